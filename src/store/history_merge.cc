#include "store/history_merge.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "store/value_codec.h"

namespace recd {

absl::Status ValidateAppend(std::string_view user_id, std::span<const StoredEvent> events) {
  if (user_id.empty()) return absl::InvalidArgumentError("append: empty user id");
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].item_id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "append to user '", absl::CEscape(absl::string_view(user_id.data(), user_id.size())),
          "': event ", i, " has an empty item id"));
    }
    if (!IsKnownEventType(events[i].type)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "append to user '", absl::CEscape(absl::string_view(user_id.data(), user_id.size())),
          "': event ", i, " has unknown type ", static_cast<int>(events[i].type)));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateEntry(const UserEvents& entry) {
  if (absl::Status s = ValidateAppend(entry.user_id, entry.events); !s.ok()) return s;
  if (entry.request_id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("append to user '", absl::CEscape(entry.user_id),
                                                   "': request id of ", entry.request_id.size(),
                                                   " bytes (at most ", kMaxRequestIdBytes, ")"));
  }
  return absl::OkStatus();
}

absl::Status ValidateReplace(std::span<const UserEvents> batch) {
  absl::flat_hash_set<std::string_view> seen;
  for (const UserEvents& u : batch) {
    if (absl::Status s = ValidateAppend(u.user_id, u.events); !s.ok()) return s;
    if (!seen.insert(u.user_id).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "replace histories: user '", absl::CEscape(u.user_id), "' appears more than once"));
    }
  }
  return absl::OkStatus();
}

namespace {

std::shared_ptr<StoredHistory> Merged(const StoredHistory& old, std::span<const StoredEvent> events,
                                      int32_t max_history) {
  const size_t max = static_cast<size_t>(max_history);
  const size_t total = old.events.size() + events.size();
  size_t drop = total > max ? total - max : 0;
  auto merged = std::make_shared<StoredHistory>();
  merged->known = true;
  merged->events.reserve(std::min(total, max));
  const size_t drop_old = std::min(drop, old.events.size());
  merged->events.insert(merged->events.end(), old.events.begin() + drop_old, old.events.end());
  drop -= drop_old;
  merged->events.insert(merged->events.end(), events.begin() + drop, events.end());
  merged->applied_requests = old.applied_requests;
  return merged;
}

}  // namespace

std::shared_ptr<const StoredHistory> MergeHistory(const StoredHistory& old,
                                                  std::span<const StoredEvent> events,
                                                  int32_t max_history) {
  return Merged(old, events, max_history);
}

std::shared_ptr<const StoredHistory> MergeEntry(const StoredHistory& old, const UserEvents& entry,
                                                int32_t max_history) {
  if (entry.events.empty()) return nullptr;
  const std::vector<std::string>& seen = old.applied_requests;
  if (!entry.request_id.empty() && std::find(seen.begin(), seen.end(), entry.request_id) != seen.end()) {
    return nullptr;
  }
  std::shared_ptr<StoredHistory> merged = Merged(old, entry.events, max_history);
  if (entry.request_id.empty()) return merged;
  std::vector<std::string>& ids = merged->applied_requests;
  ids.push_back(entry.request_id);
  if (ids.size() > kRememberedRequestIds) ids.erase(ids.begin(), ids.end() - kRememberedRequestIds);
  return merged;
}

}  // namespace recd
