#include "store/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace recd {
namespace {

timeval TimevalOf(absl::Duration d) {
  return absl::ToTimeval(d < absl::Milliseconds(1) ? absl::Milliseconds(1) : d);
}

RedisReply Convert(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r.elements);
      for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(Convert(*r.element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

}  // namespace

absl::Status ParseHostPort(std::string_view text, std::string_view what, std::string* host,
                           int* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), ": '", std::string(text), "' is not host:port"));
  }
  std::string_view h = text.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = 0;
  const std::string_view digits = text.substr(colon + 1);
  if (!absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &p) || p <= 0 || p > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), ": '", std::string(text), "' has no valid port (1-65535)"));
  }
  host->assign(h);
  *port = p;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Connect(const Options& options) {
  std::string address = absl::StrCat(options.host, ":", options.port);
  redisContext* c =
      redisConnectWithTimeout(options.host.c_str(), options.port, TimevalOf(options.connect_timeout));
  if (c == nullptr) return absl::ResourceExhaustedError(absl::StrCat("redis ", address, ": out of memory"));
  if (c->err != 0) {
    absl::Status s = absl::UnavailableError(absl::StrCat("redis ", address, ": cannot connect: ", c->errstr));
    redisFree(c);
    return s;
  }
  if (redisSetTimeout(c, TimevalOf(options.command_timeout)) != REDIS_OK) {
    absl::Status s = absl::UnavailableError(absl::StrCat("redis ", address, ": setting the timeout: ", c->errstr));
    redisFree(c);
    return s;
  }
  return std::unique_ptr<RedisConnection>(new RedisConnection(c, std::move(address)));
}

RedisConnection::RedisConnection(redisContext* context, std::string address)
    : context_(context), address_(std::move(address)) {}

RedisConnection::~RedisConnection() { redisFree(context_); }

absl::StatusOr<std::vector<RedisReply>> RedisConnection::Pipeline(
    std::span<const RedisCommand> commands) {
  if (broken_) return absl::UnavailableError(absl::StrCat("redis ", address_, ": connection is broken"));
  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  for (const RedisCommand& cmd : commands) {
    argv.clear();
    argvlen.clear();
    for (const std::string& arg : cmd) {
      argv.push_back(arg.data());
      argvlen.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), argvlen.data()) !=
        REDIS_OK) {
      broken_ = true;
      return absl::UnavailableError(absl::StrCat("redis ", address_, ": ", context_->errstr));
    }
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      broken_ = true;
      // hiredis reports a timeout as EAGAIN ("Resource temporarily unavailable").
      return absl::UnavailableError(absl::StrCat("redis ", address_, ": ", context_->errstr));
    }
    replies.push_back(Convert(*static_cast<redisReply*>(raw)));
    freeReplyObject(raw);
  }
  return replies;
}

}  // namespace recd
