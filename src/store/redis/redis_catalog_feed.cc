#include "store/redis/redis_catalog_feed.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "store/redis/key_slot.h"

namespace recd {
namespace {

absl::Status ErrorReply(const RedisReply& r, const char* what) {
  if (!r.is_error()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("redis catalog feed: ", what, ": ", r.str));
}

}  // namespace

RedisCatalogFeed::RedisCatalogFeed(RedisClusterClient* client, std::string key)
    : client_(client), key_(std::move(key)), slot_(RedisKeySlot(key_)) {}

absl::Status RedisCatalogFeed::Publish(std::span<const StockChange> changes) {
  if (changes.empty()) return absl::OkStatus();
  std::vector<RedisCommand> commands;
  commands.reserve(changes.size());
  for (const StockChange& c : changes) {
    commands.push_back({"XADD", key_, "MAXLEN", "~", absl::StrCat(kMaxEntries), "*", "item", c.item_id, "in_stock",
                        c.in_stock ? "1" : "0"});
  }
  absl::StatusOr<std::vector<RedisReply>> r = client_->Execute(slot_, commands, {});
  if (!r.ok()) return r.status();
  for (const RedisReply& reply : *r) {
    if (absl::Status s = ErrorReply(reply, "XADD"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RedisCatalogFeed::Tail() {
  const RedisCommand command = {"XREVRANGE", key_, "+", "-", "COUNT", "1"};
  absl::StatusOr<std::vector<RedisReply>> r = client_->Execute(slot_, {&command, 1}, {});
  if (!r.ok()) return r.status();
  const RedisReply& reply = (*r)[0];
  if (absl::Status s = ErrorReply(reply, "XREVRANGE"); !s.ok()) return s;
  if (reply.elements.empty()) return std::string("0-0");  // an empty stream: from its start
  if (reply.elements[0].elements.empty()) return absl::DataLossError("redis catalog feed: XREVRANGE entry without an id");
  return reply.elements[0].elements[0].str;
}

absl::StatusOr<std::vector<StockChange>> RedisCatalogFeed::Poll(std::string* cursor, absl::Duration wait,
                                                                 size_t max) {
  const RedisCommand command = {"XREAD", "COUNT", absl::StrCat(std::max<size_t>(max, 1)), "BLOCK",
                                absl::StrCat(std::max<int64_t>(absl::ToInt64Milliseconds(wait), 1)), "STREAMS", key_,
                                *cursor};
  absl::StatusOr<std::vector<RedisReply>> r = client_->Execute(slot_, {&command, 1}, {});
  if (!r.ok()) return r.status();
  const RedisReply& reply = (*r)[0];
  if (absl::Status s = ErrorReply(reply, "XREAD"); !s.ok()) return s;
  std::vector<StockChange> changes;
  if (reply.type == RedisReply::Type::kNil) return changes;  // nothing within `wait`
  // [[key, [[id, [field, value, ...]], ...]]]
  for (const RedisReply& stream : reply.elements) {
    if (stream.elements.size() != 2) return absl::DataLossError("redis catalog feed: malformed XREAD reply");
    for (const RedisReply& entry : stream.elements[1].elements) {
      if (entry.elements.size() != 2) return absl::DataLossError("redis catalog feed: malformed stream entry");
      *cursor = entry.elements[0].str;
      StockChange change;
      const std::vector<RedisReply>& fields = entry.elements[1].elements;
      bool has_item = false;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str == "item") change.item_id = fields[i + 1].str, has_item = true;
        if (fields[i].str == "in_stock") change.in_stock = fields[i + 1].str == "1";
      }
      if (has_item && !change.item_id.empty()) changes.push_back(std::move(change));
    }
  }
  return changes;
}

}  // namespace recd
