#include "server/server_config.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "recd/content_hash.h"
#include "yaml-cpp/yaml.h"
#include "util/status_macros.h"

namespace recd {
namespace {

namespace fs = std::filesystem;

absl::Status CheckKeys(const YAML::Node& node, const std::string& section,
                       const std::set<std::string>& known) {
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(section, ": must be a mapping"));
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!known.count(key)) return absl::InvalidArgumentError(absl::StrCat(section, ".", key, ": unknown field"));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status Read(const YAML::Node& node, const std::string& key, const std::string& field, T& out) {
  if (!node[key]) return absl::OkStatus();
  if (!YAML::convert<T>::decode(node[key], out)) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": wrong type"));
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status ReadAtLeast(const YAML::Node& node, const std::string& key, const std::string& field,
                         T min, T& out) {
  if (auto s = Read(node, key, field, out); !s.ok()) return s;
  if (out < min) return absl::InvalidArgumentError(absl::StrCat(field, ": must be >= ", min));
  return absl::OkStatus();
}

std::string Resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

template <typename T>
absl::Status ReadInRange(const YAML::Node& node, const std::string& key, const std::string& field, T min, T max,
                         T& out) {
  if (auto s = ReadAtLeast(node, key, field, min, out); !s.ok()) return s;
  if (out > max) return absl::InvalidArgumentError(absl::StrCat(field, ": must be <= ", max));
  return absl::OkStatus();
}

// The keys of server.limits, with the smallest value each may take: below
// it a limit would refuse ordinary traffic rather than protect it.
struct LimitKey {
  const char* key;
  int ChannelLimits::*field;
  int min;
};
constexpr LimitKey kLimitKeys[] = {
    {"max_receive_message_bytes", &ChannelLimits::max_receive_message_bytes, 1024},
    {"max_send_message_bytes", &ChannelLimits::max_send_message_bytes, 1024},
    {"max_concurrent_streams", &ChannelLimits::max_concurrent_streams, 1},
    {"keepalive_time_ms", &ChannelLimits::keepalive_time_ms, 1000},
    {"keepalive_timeout_ms", &ChannelLimits::keepalive_timeout_ms, 1000},
    {"min_ping_interval_ms", &ChannelLimits::min_ping_interval_ms, 0},
    {"max_ping_strikes", &ChannelLimits::max_ping_strikes, 0},
    {"max_connection_idle_ms", &ChannelLimits::max_connection_idle_ms, 0},
    {"max_connection_age_ms", &ChannelLimits::max_connection_age_ms, 0},
    {"max_connection_age_grace_ms", &ChannelLimits::max_connection_age_grace_ms, 0},
    {"handshake_timeout_ms", &ChannelLimits::handshake_timeout_ms, 100},
    {"max_connections", &ChannelLimits::max_connections, 0},
};

absl::Status ReadLimits(const YAML::Node& node, ChannelLimits& limits) {
  std::set<std::string> known = {"permit_keepalive_without_calls"};
  for (const LimitKey& k : kLimitKeys) known.insert(k.key);
  RECD_RETURN_IF_ERROR(CheckKeys(node, "server.limits", known));
  for (const LimitKey& k : kLimitKeys) {
    // gRPC takes every limit as an int channel argument.
    RECD_RETURN_IF_ERROR(ReadInRange(node, k.key, absl::StrCat("server.limits.", k.key), k.min,
                                     std::numeric_limits<int>::max(), limits.*k.field));
  }
  RECD_RETURN_IF_ERROR(Read(node, "permit_keepalive_without_calls", "server.limits.permit_keepalive_without_calls",
                            limits.permit_keepalive_without_calls));
  if (limits.max_connection_idle_ms > 0 && limits.max_connection_idle_ms < 1000) {
    return absl::InvalidArgumentError("server.limits.max_connection_idle_ms: must be 0 (never) or >= 1000");
  }
  if (limits.max_connection_age_ms > 0 && limits.max_connection_age_ms < 1000) {
    return absl::InvalidArgumentError("server.limits.max_connection_age_ms: must be 0 (never) or >= 1000");
  }
  return absl::OkStatus();
}

absl::Status CheckHostPort(const std::string& field, const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be HOST:PORT, got '", address, "'"));
  }
  return absl::OkStatus();
}

// store.redis; an absent section leaves the defaults.
absl::Status ParseRedis(const YAML::Node& r, ServerConfig& c) {
  if (!r) return absl::OkStatus();
  RECD_RETURN_IF_ERROR(CheckKeys(r, "store.redis", {"nodes", "wait_replicas", "wait_timeout_ms", "connect_timeout_ms",
                                                    "command_timeout_ms", "pool_size", "key_prefix"}));
  if (const YAML::Node n = r["nodes"]) {
    if (!n.IsSequence()) return absl::InvalidArgumentError("store.redis.nodes: must be a list of host:port");
    c.redis_nodes.clear();
    for (size_t i = 0; i < n.size(); ++i) {
      std::string node;
      const std::string field = absl::StrCat("store.redis.nodes[", i, "]");
      if (!n[i].IsScalar() || !YAML::convert<std::string>::decode(n[i], node)) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": must be a host:port string"));
      }
      RECD_RETURN_IF_ERROR(CheckHostPort(field, node));
      int port = 0;
      if (!absl::SimpleAtoi(node.substr(node.rfind(':') + 1), &port) || port < 1 || port > 65535) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": '", node, "' has no valid port (1-65535)"));
      }
      c.redis_nodes.push_back(node);
    }
  }
  RECD_RETURN_IF_ERROR(ReadInRange(r, "wait_replicas", "store.redis.wait_replicas", 0, 16, c.redis_wait_replicas));
  RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(r, "wait_timeout_ms", "store.redis.wait_timeout_ms", 1, c.redis_wait_timeout_ms));
  RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(r, "connect_timeout_ms", "store.redis.connect_timeout_ms", 1,
                                            c.redis_connect_timeout_ms));
  RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(r, "command_timeout_ms", "store.redis.command_timeout_ms", 1,
                                            c.redis_command_timeout_ms));
  RECD_RETURN_IF_ERROR(ReadInRange(r, "pool_size", "store.redis.pool_size", 1, 1024, c.redis_pool_size));
  RECD_RETURN_IF_ERROR(Read(r, "key_prefix", "store.redis.key_prefix", c.redis_key_prefix));
  if (c.redis_key_prefix.find_first_of("{}") != std::string::npos) {
    return absl::InvalidArgumentError("store.redis.key_prefix: must not contain '{' or '}' (they pick hash slots)");
  }
  if (c.redis_wait_timeout_ms >= c.redis_command_timeout_ms) {
    return absl::InvalidArgumentError(absl::StrCat("store.redis.wait_timeout_ms: must be below store.redis.command_timeout_ms (",
                                                   c.redis_command_timeout_ms, "): WAIT blocks the connection"));
  }
  return absl::OkStatus();
}

// server.shilling. The event counts are bounded because the detector keeps
// that many times per user and per (user, item) pair.
absl::Status ReadShilling(const YAML::Node& q, ServerConfig& c) {
  RECD_RETURN_IF_ERROR(CheckKeys(q, "server.shilling", {"enabled", "burst_events", "burst_seconds", "hammer_events",
                                                         "hammer_seconds", "swarm_accounts", "new_account_seconds",
                                                         "swarm_seconds", "swarm_share"}));
  ShillingOptions& o = c.shilling;
  RECD_RETURN_IF_ERROR(Read(q, "enabled", "server.shilling.enabled", c.shilling_enabled));
  RECD_RETURN_IF_ERROR(ReadInRange(q, "burst_events", "server.shilling.burst_events", 2, 1000, o.burst_events));
  RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(q, "burst_seconds", "server.shilling.burst_seconds", 1, o.burst_seconds));
  RECD_RETURN_IF_ERROR(ReadInRange(q, "hammer_events", "server.shilling.hammer_events", 2, 1000, o.hammer_events));
  RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(q, "hammer_seconds", "server.shilling.hammer_seconds", 1, o.hammer_seconds));
  RECD_RETURN_IF_ERROR(ReadAtLeast(q, "swarm_accounts", "server.shilling.swarm_accounts", 1, o.swarm_accounts));
  RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(q, "new_account_seconds", "server.shilling.new_account_seconds", 0,
                                            o.new_account_seconds));
  RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(q, "swarm_seconds", "server.shilling.swarm_seconds", 1, o.swarm_seconds));
  RECD_RETURN_IF_ERROR(Read(q, "swarm_share", "server.shilling.swarm_share", o.swarm_share));
  if (!(o.swarm_share > 0 && o.swarm_share <= 1)) {
    return absl::InvalidArgumentError("server.shilling.swarm_share: must be in (0, 1]");
  }
  return absl::OkStatus();
}

// live: the overlay of item statistics learned from the event stream.
absl::Status ReadLive(const YAML::Node& l, ServerConfig& c) {
  RECD_RETURN_IF_ERROR(CheckKeys(l, "live", {"enabled", "half_life_minutes", "pair_window", "max_pairs",
                                             "max_neighbours", "shrink", "publish_ms", "result_cache_lag_ms",
                                             "weights", "fusion_weight"}));
  RECD_RETURN_IF_ERROR(Read(l, "enabled", "live.enabled", c.live_enabled));
  double half_life_minutes = absl::ToDoubleMinutes(c.live.half_life);
  RECD_RETURN_IF_ERROR(Read(l, "half_life_minutes", "live.half_life_minutes", half_life_minutes));
  if (!(half_life_minutes >= 1 && half_life_minutes <= 525600)) {
    return absl::InvalidArgumentError("live.half_life_minutes: must be in [1, 525600] (a minute to a year)");
  }
  c.live.half_life = absl::Minutes(half_life_minutes);
  RECD_RETURN_IF_ERROR(ReadInRange(l, "pair_window", "live.pair_window", 0, 50, c.live.pair_window));
  RECD_RETURN_IF_ERROR(ReadInRange<int64_t>(l, "max_pairs", "live.max_pairs", 0, 100'000'000, c.live.max_pairs));
  RECD_RETURN_IF_ERROR(ReadInRange(l, "max_neighbours", "live.max_neighbours", 1, 100'000, c.live.max_neighbours));
  RECD_RETURN_IF_ERROR(Read(l, "shrink", "live.shrink", c.live.shrink));
  if (!(c.live.shrink >= 0 && c.live.shrink <= 1e6)) return absl::InvalidArgumentError("live.shrink: must be in [0, 1e6]");
  RECD_RETURN_IF_ERROR(ReadInRange<int64_t>(l, "publish_ms", "live.publish_ms", 10, 60'000, c.live_publish_ms));
  RECD_RETURN_IF_ERROR(ReadInRange<int64_t>(l, "result_cache_lag_ms", "live.result_cache_lag_ms", 0, 3'600'000,
                                            c.live_result_cache_lag_ms));
  RECD_RETURN_IF_ERROR(Read(l, "fusion_weight", "live.fusion_weight", c.live_fusion_weight));
  if (!(c.live_fusion_weight >= 0 && c.live_fusion_weight <= 1e6)) {
    return absl::InvalidArgumentError("live.fusion_weight: must be in [0, 1e6]");
  }
  if (const YAML::Node w = l["weights"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(w, "live.weights", {"pop", "knn", "markov"}));
    for (auto [key, field] : {std::pair{"pop", &LiveOverlayWeights::pop}, std::pair{"knn", &LiveOverlayWeights::knn},
                              std::pair{"markov", &LiveOverlayWeights::markov}}) {
      float& weight = c.live_weights.*field;
      RECD_RETURN_IF_ERROR(Read(w, key, absl::StrCat("live.weights.", key), weight));
      if (!(weight >= 0 && weight <= 1e6)) {
        return absl::InvalidArgumentError(absl::StrCat("live.weights.", key, ": must be in [0, 1e6]"));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ServerConfig> ParseRoot(const YAML::Node& root, const std::string& base_dir) {
  ServerConfig c;
  RECD_RETURN_IF_ERROR(CheckKeys(root, "config", {"server", "admin", "ops", "store", "models", "live", "fusion", "experiments", "shadow", "rules", "candidates", "logging"}));
  if (const YAML::Node s = root["server"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "server", {"listen", "threads", "default_deadline_ms", "max_k", "max_ids_per_request", "max_rank_items",
                                             "max_cart_items", "max_new_items", "admission", "limits", "rate_limits", "shilling", "tls", "auth"}));
    RECD_RETURN_IF_ERROR(Read(s, "listen", "server.listen", c.listen));
    if (c.listen.find(':') == std::string::npos) {
      return absl::InvalidArgumentError("server.listen: must be HOST:PORT");
    }
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "threads", "server.threads", 0, c.threads));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "default_deadline_ms", "server.default_deadline_ms", 1, c.default_deadline_ms));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "max_k", "server.max_k", 1, c.max_k));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "max_ids_per_request", "server.max_ids_per_request", 1, c.max_ids_per_request));
    RECD_RETURN_IF_ERROR(ReadInRange(s, "max_rank_items", "server.max_rank_items", 1, 10000, c.max_rank_items));
    RECD_RETURN_IF_ERROR(ReadInRange(s, "max_cart_items", "server.max_cart_items", 1, 1000, c.max_cart_items));
    RECD_RETURN_IF_ERROR(ReadInRange(s, "max_new_items", "server.max_new_items", 0, 100000, c.max_new_items));
    if (const YAML::Node a = s["admission"]) {
      RECD_RETURN_IF_ERROR(CheckKeys(a, "server.admission", {"max_in_flight_reads", "max_in_flight_writes", "max_queue_ms",
                                                              "max_connection_share", "share_refusal_hold_ms",
                                                              "hog_refusals_per_second"}));
      RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(a, "hog_refusals_per_second", "server.admission.hog_refusals_per_second",
                                                10, c.hog_refusals_per_second));
      RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(a, "share_refusal_hold_ms", "server.admission.share_refusal_hold_ms", 0,
                                                c.share_refusal_hold_ms));
      RECD_RETURN_IF_ERROR(Read(a, "max_connection_share", "server.admission.max_connection_share", c.max_connection_share));
      if (!(c.max_connection_share > 0 && c.max_connection_share <= 1)) {
        return absl::InvalidArgumentError("server.admission.max_connection_share: must be in (0, 1]");
      }
      RECD_RETURN_IF_ERROR(ReadAtLeast(a, "max_in_flight_reads", "server.admission.max_in_flight_reads", 0, c.max_in_flight_reads));
      RECD_RETURN_IF_ERROR(ReadAtLeast(a, "max_in_flight_writes", "server.admission.max_in_flight_writes", 0, c.max_in_flight_writes));
      RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(a, "max_queue_ms", "server.admission.max_queue_ms", 1, c.max_queue_ms));
    }
    if (const YAML::Node r = s["rate_limits"]) {
      RECD_RETURN_IF_ERROR(CheckKeys(r, "server.rate_limits", {"user_events_per_minute", "item_events_per_minute"}));
      RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(r, "user_events_per_minute", "server.rate_limits.user_events_per_minute", 0,
                                                c.user_events_per_minute));
      RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(r, "item_events_per_minute", "server.rate_limits.item_events_per_minute", 0,
                                                c.item_events_per_minute));
    }
    if (const YAML::Node q = s["shilling"]) RECD_RETURN_IF_ERROR(ReadShilling(q, c));
    if (const YAML::Node l = s["limits"]) RECD_RETURN_IF_ERROR(ReadLimits(l, c.limits));
    if (const YAML::Node t = s["tls"]) {
      RECD_RETURN_IF_ERROR(CheckKeys(t, "server.tls", {"cert_file", "key_file", "client_ca_file", "reload_interval_s"}));
      RECD_RETURN_IF_ERROR(ReadAtLeast(t, "reload_interval_s", "server.tls.reload_interval_s", 0, c.tls_reload_interval_s));
      RECD_RETURN_IF_ERROR(Read(t, "cert_file", "server.tls.cert_file", c.tls_cert_file));
      RECD_RETURN_IF_ERROR(Read(t, "key_file", "server.tls.key_file", c.tls_key_file));
      RECD_RETURN_IF_ERROR(Read(t, "client_ca_file", "server.tls.client_ca_file", c.tls_client_ca_file));
      if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
        return absl::InvalidArgumentError("server.tls: cert_file and key_file must be set together");
      }
      if (!c.tls_client_ca_file.empty() && c.tls_cert_file.empty()) {
        return absl::InvalidArgumentError("server.tls.client_ca_file: needs cert_file and key_file (mutual TLS is TLS)");
      }
    }
    if (const YAML::Node a = s["auth"]) {
      RECD_RETURN_IF_ERROR(CheckKeys(a, "server.auth", {"tokens_file"}));
      RECD_RETURN_IF_ERROR(Read(a, "tokens_file", "server.auth.tokens_file", c.auth_tokens_file));
    }
  }
  if (const YAML::Node a = root["admin"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(a, "admin", {"listen"}));
    RECD_RETURN_IF_ERROR(Read(a, "listen", "admin.listen", c.admin_listen));
    if (!c.admin_listen.empty()) {
      RECD_RETURN_IF_ERROR(CheckHostPort("admin.listen", c.admin_listen));
      if (c.admin_listen == c.listen && !c.listen.ends_with(":0")) {
        return absl::InvalidArgumentError(
            absl::StrCat("admin.listen: must differ from server.listen (", c.listen, "); leave it empty to share it"));
      }
    }
  }
  if (const YAML::Node o = root["ops"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(o, "ops", {"listen"}));
    RECD_RETURN_IF_ERROR(Read(o, "listen", "ops.listen", c.ops_listen));
    if (!c.ops_listen.empty()) {
      RECD_RETURN_IF_ERROR(CheckHostPort("ops.listen", c.ops_listen));
      if (!c.ops_listen.ends_with(":0") && (c.ops_listen == c.listen || c.ops_listen == c.admin_listen)) {
        return absl::InvalidArgumentError(
            absl::StrCat("ops.listen: must differ from server.listen and admin.listen (", c.ops_listen, ")"));
      }
    }
  }
  if (const YAML::Node s = root["store"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "store", {"backend", "path", "history_length", "history_cache_entries", "write_queue_batches", "seed_catalog",
                                          "seed_events", "redis"}));
    RECD_RETURN_IF_ERROR(Read(s, "backend", "store.backend", c.store_backend));
    if (c.store_backend != "rocksdb" && c.store_backend != "redis") {
      return absl::InvalidArgumentError(
          absl::StrCat("store.backend: must be rocksdb or redis, got '", c.store_backend, "'"));
    }
    RECD_RETURN_IF_ERROR(ParseRedis(s["redis"], c));
    if (c.store_backend == "redis" && c.redis_nodes.empty()) {
      return absl::InvalidArgumentError("store.redis.nodes: required with store.backend: redis (host:port seeds)");
    }
    RECD_RETURN_IF_ERROR(Read(s, "path", "store.path", c.store_path));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "history_length", "store.history_length", 1, c.history_length));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "history_cache_entries", "store.history_cache_entries", 0, c.history_cache_entries));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "write_queue_batches", "store.write_queue_batches", 1,
                                              c.write_queue_batches));
    RECD_RETURN_IF_ERROR(Read(s, "seed_catalog", "store.seed_catalog", c.seed_catalog));
    RECD_RETURN_IF_ERROR(Read(s, "seed_events", "store.seed_events", c.seed_events));
  }
  if (const YAML::Node l = root["live"]) RECD_RETURN_IF_ERROR(ReadLive(l, c));
  if (const YAML::Node s = root["models"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "models", {"path", "budget_ms", "budget_overrides_ms", "state_cache_entries", "result_cache_items", "warm_users", "warm_ms", "serve_version"}));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "serve_version", "models.serve_version", 0, c.serve_version));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "warm_users", "models.warm_users", 0, c.warm_users));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "warm_ms", "models.warm_ms", 0, c.warm_ms));
    RECD_RETURN_IF_ERROR(Read(s, "path", "models.path", c.models_path));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "budget_ms", "models.budget_ms", 1, c.model_budget_ms));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "state_cache_entries", "models.state_cache_entries", 0,
                                              c.state_cache_entries));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "result_cache_items", "models.result_cache_items", 0,
                                              c.result_cache_items));
    if (c.result_cache_items > 10000) {
      return absl::InvalidArgumentError("models.result_cache_items: must be at most 10000 (memory per cached user)");
    }
    if (const YAML::Node o = s["budget_overrides_ms"]) {
      if (!o.IsMap()) return absl::InvalidArgumentError("models.budget_overrides_ms: must be a mapping");
      for (const auto& kv : o) {
        const std::string model = kv.first.as<std::string>();
        int64_t ms = 0;
        if (!YAML::convert<int64_t>::decode(kv.second, ms) || ms < 1) {
          return absl::InvalidArgumentError(absl::StrCat("models.budget_overrides_ms.", model, ": must be an integer >= 1"));
        }
        c.model_budget_overrides[model] = ms;
      }
    }
  }
  if (const YAML::Node f = root["fusion"]) {
    auto fusion = FusionConfig::FromYaml(f);
    if (!fusion.ok()) return fusion.status();
    c.fusion = *std::move(fusion);
  }
  if (const YAML::Node e = root["experiments"]) {
    auto experiments = ExperimentConfig::FromYaml(e);
    if (!experiments.ok()) return experiments.status();
    c.experiments = *std::move(experiments);
  }
  if (const YAML::Node sh = root["shadow"]) {
    auto shadow = ShadowConfig::FromYaml(sh);
    if (!shadow.ok()) return shadow.status();
    c.shadow = *std::move(shadow);
  }
  if (const YAML::Node s = root["rules"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "rules", {"exclude_seen", "exclude_purchased", "diversity_max_per_category",
                                               "cart_leave_out_substitutes"}));
    RECD_RETURN_IF_ERROR(Read(s, "cart_leave_out_substitutes", "rules.cart_leave_out_substitutes",
                              c.cart_leave_out_substitutes));
    RECD_RETURN_IF_ERROR(Read(s, "exclude_seen", "rules.exclude_seen", c.exclude_seen));
    RECD_RETURN_IF_ERROR(Read(s, "exclude_purchased", "rules.exclude_purchased", c.exclude_purchased));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "diversity_max_per_category", "rules.diversity_max_per_category", 0, c.diversity_max_per_category));
  }
  if (const YAML::Node s = root["candidates"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "candidates", {"full_scan_max_items", "per_source", "ann", "ann_ef_search", "build_threads", "max_rule_scan_items"}));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "max_rule_scan_items", "candidates.max_rule_scan_items", 1, c.max_rule_scan_items));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "full_scan_max_items", "candidates.full_scan_max_items", 0, c.candidates.build.full_scan_max_items));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "per_source", "candidates.per_source", 1, c.candidates.search.per_source));
    RECD_RETURN_IF_ERROR(Read(s, "ann", "candidates.ann", c.candidates.build.ann));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "ann_ef_search", "candidates.ann_ef_search", 1, c.candidates.search.ann_ef_search));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "build_threads", "candidates.build_threads", 0, c.candidates.build.build_threads));
  }
  if (const YAML::Node s = root["logging"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "logging", {"level", "format"}));
    RECD_RETURN_IF_ERROR(Read(s, "level", "logging.level", c.log_level));
    static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (!kLevels.count(c.log_level)) {
      return absl::InvalidArgumentError(absl::StrCat("logging.level: unknown level '", c.log_level, "'"));
    }
    RECD_RETURN_IF_ERROR(Read(s, "format", "logging.format", c.log_format));
    if (c.log_format != "text" && c.log_format != "json") {
      return absl::InvalidArgumentError(
          absl::StrCat("logging.format: unknown format '", c.log_format, "' (expected text or json)"));
    }
  }
  c.store_path = Resolve(base_dir, c.store_path);
  c.models_path = Resolve(base_dir, c.models_path);
  c.seed_catalog = Resolve(base_dir, c.seed_catalog);
  c.seed_events = Resolve(base_dir, c.seed_events);
  c.tls_cert_file = Resolve(base_dir, c.tls_cert_file);
  c.tls_key_file = Resolve(base_dir, c.tls_key_file);
  c.tls_client_ca_file = Resolve(base_dir, c.tls_client_ca_file);
  c.auth_tokens_file = Resolve(base_dir, c.auth_tokens_file);
  return c;
}

}  // namespace

int64_t ServerConfig::BudgetMs(const std::string& model) const {
  auto it = model_budget_overrides.find(model);
  return it == model_budget_overrides.end() ? model_budget_ms : it->second;
}

absl::Status ServerConfig::CheckReloadable(const ServerConfig& next) const {
  // Keys read once at start: the listener, the thread pools, the store and
  // the cache sizes. Accepting a change and ignoring it would leave the
  // operator believing it applied.
  auto changed = [](const std::string& key, const auto& was, const auto& now) {
    return absl::InvalidArgumentError(absl::StrCat(
        key, ": read only at start (running ", was, ", file has ", now, "); restart recd to apply it"));
  };
#define RECD_START_ONLY(key, field) \
  if (field != next.field) return changed(key, field, next.field)
  RECD_START_ONLY("server.listen", listen);
  RECD_START_ONLY("server.threads", threads);
  RECD_START_ONLY("server.admission.max_in_flight_reads", max_in_flight_reads);
  RECD_START_ONLY("server.admission.max_in_flight_writes", max_in_flight_writes);
  RECD_START_ONLY("server.admission.max_queue_ms", max_queue_ms);
  RECD_START_ONLY("server.admission.max_connection_share", max_connection_share);
  RECD_START_ONLY("server.admission.share_refusal_hold_ms", share_refusal_hold_ms);
  RECD_START_ONLY("server.admission.hog_refusals_per_second", hog_refusals_per_second);
  for (const LimitKey& k : kLimitKeys) {
    if (limits.*k.field != next.limits.*k.field) {
      return changed(absl::StrCat("server.limits.", k.key), limits.*k.field, next.limits.*k.field);
    }
  }
  if (limits.permit_keepalive_without_calls != next.limits.permit_keepalive_without_calls) {
    auto name = [](bool b) { return b ? "true" : "false"; };
    return changed("server.limits.permit_keepalive_without_calls", name(limits.permit_keepalive_without_calls),
                   name(next.limits.permit_keepalive_without_calls));
  }
  RECD_START_ONLY("admin.listen", admin_listen);
  RECD_START_ONLY("ops.listen", ops_listen);
  RECD_START_ONLY("server.tls.cert_file", tls_cert_file);
  RECD_START_ONLY("server.tls.key_file", tls_key_file);
  RECD_START_ONLY("server.tls.client_ca_file", tls_client_ca_file);
  RECD_START_ONLY("server.tls.reload_interval_s", tls_reload_interval_s);
  RECD_START_ONLY("server.auth.tokens_file", auth_tokens_file);
  RECD_START_ONLY("store.backend", store_backend);
  RECD_START_ONLY("store.path", store_path);
  if (redis_nodes != next.redis_nodes) {
    return changed("store.redis.nodes", absl::StrJoin(redis_nodes, ","), absl::StrJoin(next.redis_nodes, ","));
  }
  RECD_START_ONLY("store.redis.wait_replicas", redis_wait_replicas);
  RECD_START_ONLY("store.redis.wait_timeout_ms", redis_wait_timeout_ms);
  RECD_START_ONLY("store.redis.connect_timeout_ms", redis_connect_timeout_ms);
  RECD_START_ONLY("store.redis.command_timeout_ms", redis_command_timeout_ms);
  RECD_START_ONLY("store.redis.pool_size", redis_pool_size);
  RECD_START_ONLY("store.redis.key_prefix", redis_key_prefix);
  RECD_START_ONLY("store.history_length", history_length);
  RECD_START_ONLY("store.history_cache_entries", history_cache_entries);
  RECD_START_ONLY("store.seed_catalog", seed_catalog);
  RECD_START_ONLY("store.seed_events", seed_events);
  RECD_START_ONLY("models.state_cache_entries", state_cache_entries);
  // The overlay is built with each bundle: a change would apply to some
  // bundles and not others.
  RECD_START_ONLY("live.enabled", live_enabled);
  if (live.half_life != next.live.half_life) {
    return changed("live.half_life_minutes", absl::ToDoubleMinutes(live.half_life),
                   absl::ToDoubleMinutes(next.live.half_life));
  }
  RECD_START_ONLY("live.pair_window", live.pair_window);
  RECD_START_ONLY("live.max_pairs", live.max_pairs);
  RECD_START_ONLY("live.max_neighbours", live.max_neighbours);
  RECD_START_ONLY("live.shrink", live.shrink);
  RECD_START_ONLY("live.publish_ms", live_publish_ms);
  RECD_START_ONLY("live.weights.pop", live_weights.pop);
  RECD_START_ONLY("live.weights.knn", live_weights.knn);
  RECD_START_ONLY("live.weights.markov", live_weights.markov);
#undef RECD_START_ONLY
  return absl::OkStatus();
}

absl::StatusOr<ServerConfig> ServerConfig::Parse(const std::string& yaml_text, const std::string& base_dir) {
  try {
    YAML::Node root = YAML::Load(yaml_text);
    if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    auto config = ParseRoot(root, base_dir);
    if (!config.ok()) return config;
    config->version = HashBytes(yaml_text.data(), yaml_text.size());
    return config;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

absl::StatusOr<ServerConfig> ServerConfig::LoadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream text;
  text << in.rdbuf();
  const std::string base = fs::absolute(path).parent_path().string();
  auto config = Parse(text.str(), base);
  if (!config.ok()) {
    return absl::Status(config.status().code(), absl::StrCat(path, ": ", config.status().message()));
  }
  config->path = path;
  return config;
}

}  // namespace recd
