#include "store/redis/redis_cluster_client.h"

#include <csignal>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace recd {

// The connections of one node: at most Options::pool_size, idle ones kept
// for reuse. Thread-safe.
class RedisClusterClient::NodePool {
 public:
  NodePool(std::string host, int port, const Options& options)
      : host_(std::move(host)), port_(port), address_(absl::StrCat(host_, ":", port_)), options_(options) {}

  const std::string& host() const { return host_; }
  const std::string& address() const { return address_; }

  // An idle connection, or a new one while fewer than pool_size are open;
  // otherwise waits up to the command timeout for one to come back.
  absl::StatusOr<std::unique_ptr<RedisConnection>> Lease() {
    {
      absl::MutexLock lock(&mu_);
      auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !idle_.empty() || open_ < options_.pool_size;
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&available), options_.command_timeout)) {
        return absl::UnavailableError(absl::StrCat("redis ", address_, ": all ", options_.pool_size,
                                                   " pooled connections busy for ",
                                                   absl::FormatDuration(options_.command_timeout)));
      }
      if (!idle_.empty()) {
        std::unique_ptr<RedisConnection> c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
      ++open_;  // reserved while connecting outside the lock
    }
    RedisConnection::Options o;
    o.host = host_;
    o.port = port_;
    o.connect_timeout = options_.connect_timeout;
    o.command_timeout = options_.command_timeout;
    absl::StatusOr<std::unique_ptr<RedisConnection>> c = RedisConnection::Connect(o);
    if (!c.ok()) {
      absl::MutexLock lock(&mu_);
      --open_;
    }
    return c;
  }

  // A broken connection is dropped together with every idle one: after an
  // error (a restarted or failed-over server) they are most likely dead too.
  void Return(std::unique_ptr<RedisConnection> c) {
    absl::MutexLock lock(&mu_);
    if (!c->broken()) {
      idle_.push_back(std::move(c));
      return;
    }
    open_ -= 1 + static_cast<int>(idle_.size());
    idle_.clear();
  }

 private:
  const std::string host_;
  const int port_;
  const std::string address_;
  const Options& options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + leased + connecting
};

namespace {

bool IsTransient(const RedisReply& r) {
  return r.is_error() && (absl::StartsWith(r.str, "TRYAGAIN") || absl::StartsWith(r.str, "CLUSTERDOWN"));
}

}  // namespace

std::optional<RedisRedirect> ParseRedirect(std::string_view error) {
  std::vector<absl::string_view> parts = absl::StrSplit(absl::string_view(error.data(), error.size()), ' ');
  if (parts.size() != 3) return std::nullopt;
  RedisRedirect r;
  if (parts[0] == "MOVED") {
    r.kind = RedisRedirect::Kind::kMoved;
  } else if (parts[0] == "ASK") {
    r.kind = RedisRedirect::Kind::kAsk;
  } else {
    return std::nullopt;
  }
  if (!absl::SimpleAtoi(parts[1], &r.slot) || r.slot < 0 || r.slot >= kRedisClusterSlots) return std::nullopt;
  const size_t colon = parts[2].rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  if (!absl::SimpleAtoi(parts[2].substr(colon + 1), &r.port) || r.port <= 0 || r.port > 65535) {
    return std::nullopt;
  }
  r.host = std::string(parts[2].substr(0, colon));
  return r;
}

RedisClusterClient::RedisClusterClient(const Options& options) : options_(options) {}
RedisClusterClient::~RedisClusterClient() = default;

absl::StatusOr<std::unique_ptr<RedisClusterClient>> RedisClusterClient::Create(const Options& options) {
  if (options.nodes.empty()) return absl::InvalidArgumentError("redis: no node given");
  if (options.pool_size < 1) return absl::InvalidArgumentError("redis: pool size must be >= 1");
  if (options.max_redirects < 0) return absl::InvalidArgumentError("redis: max_redirects must be >= 0");
  std::vector<std::pair<std::string, int>> seeds;
  for (const std::string& node : options.nodes) {
    std::string host;
    int port = 0;
    if (absl::Status s = ParseHostPort(node, "redis node", &host, &port); !s.ok()) return s;
    seeds.emplace_back(std::move(host), port);
  }
  // hiredis writes to sockets with write(2): a server that closed the
  // connection would otherwise kill the whole process with SIGPIPE.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });

  auto client = std::unique_ptr<RedisClusterClient>(new RedisClusterClient(options));
  std::vector<std::string> errors;
  const RedisCommand info = {"INFO", "cluster"};
  for (const auto& [host, port] : seeds) {
    NodePool* node = client->Node(host, port);
    absl::StatusOr<std::vector<RedisReply>> r = client->RunOn(node, {&info, 1}, false, {});
    if (!r.ok()) {
      errors.push_back(std::string(r.status().message()));
      continue;
    }
    if ((*r)[0].is_error()) {
      errors.push_back(absl::StrCat("redis ", node->address(), ": INFO cluster: ", (*r)[0].str));
      continue;
    }
    if (!absl::StrContains((*r)[0].str, "cluster_enabled:1")) {
      if (seeds.size() > 1) {
        return absl::InvalidArgumentError(absl::StrCat(
            "redis ", node->address(), " is a standalone server (cluster_enabled:0): list it alone, "
            "or list only cluster nodes"));
      }
      absl::MutexLock lock(&client->mu_);
      client->seed_ = node;
      client->slots_.fill(node);
      return client;
    }
    client->cluster_ = true;
    if (absl::Status s = client->LoadSlotMap(node); !s.ok()) {
      errors.push_back(std::string(s.message()));
      continue;
    }
    return client;
  }
  return absl::UnavailableError(absl::StrCat("redis: no node answered: ", absl::StrJoin(errors, "; ")));
}

RedisClusterClient::NodePool* RedisClusterClient::Node(const std::string& host, int port) {
  const std::string address = absl::StrCat(host, ":", port);
  absl::MutexLock lock(&mu_);
  std::unique_ptr<NodePool>& node = nodes_[address];
  if (node == nullptr) node = std::make_unique<NodePool>(host, port, options_);
  return node.get();
}

RedisClusterClient::NodePool* RedisClusterClient::NodeOf(int slot) {
  absl::MutexLock lock(&mu_);
  return slots_[slot];
}

std::string RedisClusterClient::NodeForSlot(int slot) {
  NodePool* node = NodeOf(slot);
  return node == nullptr ? "" : node->address();
}

void RedisClusterClient::TEST_PointAllSlotsAt(const std::string& address) {
  std::string host;
  int port = 0;
  if (!ParseHostPort(address, "address", &host, &port).ok()) return;
  NodePool* node = Node(host, port);
  absl::MutexLock lock(&mu_);
  slots_.fill(node);
}

absl::Status RedisClusterClient::LoadSlotMap(NodePool* from) {
  const RedisCommand cmd = {"CLUSTER", "SLOTS"};
  absl::StatusOr<std::vector<RedisReply>> r = RunOn(from, {&cmd, 1}, false, {});
  if (!r.ok()) return r.status();
  const RedisReply& map = (*r)[0];
  if (map.type != RedisReply::Type::kArray) {
    return absl::UnavailableError(absl::StrCat("redis ", from->address(), ": CLUSTER SLOTS: ",
                                               map.is_error() ? map.str : "not an array"));
  }
  struct Range {
    int first, last;
    NodePool* node;
  };
  std::vector<Range> ranges;
  for (const RedisReply& e : map.elements) {
    // [first slot, last slot, [host, port, id, ...], replicas...]
    if (e.type != RedisReply::Type::kArray || e.elements.size() < 3 ||
        e.elements[0].type != RedisReply::Type::kInteger || e.elements[1].type != RedisReply::Type::kInteger ||
        e.elements[2].type != RedisReply::Type::kArray || e.elements[2].elements.size() < 2 ||
        e.elements[2].elements[1].type != RedisReply::Type::kInteger) {
      return absl::UnavailableError(absl::StrCat("redis ", from->address(), ": malformed CLUSTER SLOTS entry"));
    }
    const int first = static_cast<int>(e.elements[0].integer), last = static_cast<int>(e.elements[1].integer);
    if (first < 0 || last >= kRedisClusterSlots || first > last) {
      return absl::UnavailableError(absl::StrCat("redis ", from->address(), ": CLUSTER SLOTS range ", first,
                                                 "-", last, " is out of bounds"));
    }
    const std::string& host = e.elements[2].elements[0].str;
    const int port = static_cast<int>(e.elements[2].elements[1].integer);
    ranges.push_back({first, last, Node(host.empty() || host == "?" ? from->host() : host, port)});
  }
  absl::MutexLock lock(&mu_);
  slots_.fill(nullptr);
  for (const Range& range : ranges) {
    for (int s = range.first; s <= range.last; ++s) slots_[s] = range.node;
  }
  seed_ = from;
  return absl::OkStatus();
}

absl::Status RedisClusterClient::RefreshSlotMapSkipping(NodePool* skip) {
  if (!cluster_) return absl::OkStatus();
  std::vector<NodePool*> candidates;
  {
    absl::MutexLock lock(&mu_);
    if (seed_ != nullptr && seed_ != skip) candidates.push_back(seed_);
    for (const auto& [address, node] : nodes_) {
      if (node.get() != seed_ && node.get() != skip) candidates.push_back(node.get());
    }
  }
  if (skip != nullptr) candidates.push_back(skip);
  absl::Status last = absl::UnavailableError("redis: no node known");
  for (NodePool* node : candidates) {
    last = LoadSlotMap(node);
    if (last.ok()) return last;
  }
  return last;
}

void RedisClusterClient::RefreshAfterError(NodePool* failed) {
  if (!cluster_) return;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    if (now - last_error_refresh_ < kMinRefreshInterval) return;
    last_error_refresh_ = now;
  }
  (void)RefreshSlotMapSkipping(failed);
}

absl::StatusOr<std::vector<RedisReply>> RedisClusterClient::RunOn(NodePool* node,
                                                                  std::span<const RedisCommand> commands,
                                                                  bool asking, const WriteConcern& concern) {
  std::vector<RedisCommand> extra;
  std::span<const RedisCommand> send = commands;
  static const RedisCommand kAsking = {"ASKING"};
  if (asking || concern.replicas > 0) {
    // ASKING is good for the one command after it, so it precedes each.
    for (const RedisCommand& c : commands) {
      if (asking) extra.push_back(kAsking);
      extra.push_back(c);
    }
    if (concern.replicas > 0) {
      extra.push_back({"WAIT", absl::StrCat(concern.replicas),
                       absl::StrCat(absl::ToInt64Milliseconds(concern.timeout))});
    }
    send = extra;
  }
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn = node->Lease();
  if (!conn.ok()) return conn.status();
  absl::StatusOr<std::vector<RedisReply>> replies = (*conn)->Pipeline(send);
  node->Return(*std::move(conn));
  if (!replies.ok() || !asking) return replies;
  std::vector<RedisReply> kept;  // without the ASKING replies
  kept.reserve(commands.size() + 1);
  for (size_t i = 0; i < replies->size(); ++i) {
    if (i < 2 * commands.size() && i % 2 == 0) continue;
    kept.push_back(std::move((*replies)[i]));
  }
  return kept;
}

namespace {

// The WAIT reply that RunOn appended after `n` command replies.
absl::Status CheckWait(const std::vector<RedisReply>& replies, size_t n,
                       const RedisClusterClient::WriteConcern& concern, const std::string& node) {
  if (concern.replicas <= 0) return absl::OkStatus();
  const RedisReply& wait = replies[n];
  if (wait.type != RedisReply::Type::kInteger) {
    return absl::UnavailableError(absl::StrCat("redis ", node, ": WAIT failed: ", wait.str));
  }
  if (wait.integer < concern.replicas) {
    return absl::UnavailableError(absl::StrCat("redis ", node, ": WAIT: ", wait.integer, " of ", concern.replicas,
                                               " replicas confirmed the write within ",
                                               absl::FormatDuration(concern.timeout)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<RedisReply>> RedisClusterClient::Execute(int slot, std::span<const RedisCommand> commands,
                                                                    const WriteConcern& concern) {
  if (slot < 0 || slot >= kRedisClusterSlots) {
    return absl::InvalidArgumentError(absl::StrCat("redis: slot ", slot, " out of range"));
  }
  NodePool* node = NodeOf(slot);
  if (node == nullptr) {
    (void)RefreshSlotMap();
    node = NodeOf(slot);
    if (node == nullptr) return absl::UnavailableError(absl::StrCat("redis: no node serves slot ", slot));
  }
  bool asking = false;
  for (int attempt = 0;; ++attempt) {
    absl::StatusOr<std::vector<RedisReply>> replies = RunOn(node, commands, asking, concern);
    if (!replies.ok()) {
      // Not resent: a write may have been applied before the connection
      // failed. The next call finds the new primary if there was a failover.
      RefreshAfterError(node);
      return replies.status();
    }
    std::optional<RedisRedirect> redirect;
    const RedisReply* transient = nullptr;
    for (size_t i = 0; i < commands.size() && !redirect && transient == nullptr; ++i) {
      const RedisReply& r = (*replies)[i];
      if (!r.is_error()) continue;
      redirect = ParseRedirect(r.str);
      if (!redirect && IsTransient(r)) transient = &r;
    }
    if (!redirect && transient == nullptr) {
      if (absl::Status s = CheckWait(*replies, commands.size(), concern, node->address()); !s.ok()) return s;
      replies->resize(commands.size());
      return replies;
    }
    if (attempt >= options_.max_redirects) {
      return absl::UnavailableError(absl::StrCat("redis ", node->address(), ": slot ", slot, " still redirected after ",
                                                 attempt + 1, " tries (last reply: ",
                                                 redirect ? "MOVED/ASK" : transient->str, ")"));
    }
    if (transient != nullptr) {
      // A slot in migration (TRYAGAIN) or a failover in progress
      // (CLUSTERDOWN): give it a moment, bounded by max_redirects.
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
      if (transient->str.starts_with("CLUSTERDOWN")) (void)RefreshSlotMap();
      node = NodeOf(slot) != nullptr ? NodeOf(slot) : node;
      asking = false;
      continue;
    }
    NodePool* target = Node(redirect->host.empty() ? node->host() : redirect->host, redirect->port);
    if (redirect->kind == RedisRedirect::Kind::kAsk) {
      node = target;
      asking = true;
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      slots_[redirect->slot] = target;
    }
    // One MOVED usually means a resharding or failover moved many slots.
    (void)LoadSlotMap(target);
    node = NodeOf(slot) != nullptr ? NodeOf(slot) : target;
    asking = false;
  }
}

absl::StatusOr<std::vector<RedisReply>> RedisClusterClient::ExecuteMany(std::span<const SlotCommand> commands,
                                                                        const WriteConcern& concern) {
  std::vector<RedisReply> out(commands.size());
  std::vector<std::pair<NodePool*, std::vector<size_t>>> groups;
  std::vector<size_t> alone;  // slots without a known node, and redirected commands
  {
    absl::flat_hash_map<NodePool*, size_t> group_of;
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < commands.size(); ++i) {
      const int slot = commands[i].slot;
      NodePool* node = slot >= 0 && slot < kRedisClusterSlots ? slots_[slot] : nullptr;
      if (node == nullptr) {
        alone.push_back(i);
        continue;
      }
      auto [it, inserted] = group_of.try_emplace(node, groups.size());
      if (inserted) groups.push_back({node, {}});
      groups[it->second].second.push_back(i);
    }
  }
  std::vector<RedisCommand> chunk;
  for (const auto& [node, indices] : groups) {
    for (size_t begin = 0; begin < indices.size(); begin += kMaxPipeline) {
      const size_t end = std::min(indices.size(), begin + kMaxPipeline);
      chunk.clear();
      for (size_t k = begin; k < end; ++k) chunk.push_back(commands[indices[k]].command);
      absl::StatusOr<std::vector<RedisReply>> replies = RunOn(node, chunk, false, concern);
      if (!replies.ok()) {
        RefreshAfterError(node);
        return replies.status();
      }
      for (size_t k = begin; k < end; ++k) {
        RedisReply& r = (*replies)[k - begin];
        if (r.is_error() && (ParseRedirect(r.str) || IsTransient(r))) {
          alone.push_back(indices[k]);
        } else {
          out[indices[k]] = std::move(r);
        }
      }
      if (absl::Status s = CheckWait(*replies, chunk.size(), concern, node->address()); !s.ok()) return s;
    }
  }
  for (size_t i : alone) {
    absl::StatusOr<std::vector<RedisReply>> r = Execute(commands[i].slot, {&commands[i].command, 1}, concern);
    if (!r.ok()) return r.status();
    out[i] = std::move((*r)[0]);
  }
  return out;
}

absl::StatusOr<std::vector<RedisReply>> RedisClusterClient::ExecuteOnEveryPrimary(const RedisCommand& command) {
  std::vector<NodePool*> primaries;
  {
    absl::flat_hash_set<NodePool*> seen;
    absl::MutexLock lock(&mu_);
    for (NodePool* node : slots_) {
      if (node != nullptr && seen.insert(node).second) primaries.push_back(node);
    }
  }
  std::vector<RedisReply> out;
  for (NodePool* node : primaries) {
    absl::StatusOr<std::vector<RedisReply>> r = RunOn(node, {&command, 1}, false, {});
    if (!r.ok()) return r.status();
    out.push_back(std::move((*r)[0]));
  }
  return out;
}

}  // namespace recd
