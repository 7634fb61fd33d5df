#include "server/server_config.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(ServerConfigTest, EmptyFileGivesDefaults) {
  auto c = ServerConfig::Parse("", "/etc/recd");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "0.0.0.0:50051");
  EXPECT_EQ(c->max_k, 1000);
  EXPECT_EQ(c->store_path, "/etc/recd/data/store");
  EXPECT_FALSE(c->fusion.has_value());
  EXPECT_EQ(c->candidates.build.full_scan_max_items, 20000);
  EXPECT_TRUE(c->candidates.build.ann);
  EXPECT_EQ(c->candidates.build.build_threads, 0);
  EXPECT_EQ(c->candidates.search.per_source, 100);
  EXPECT_EQ(c->state_cache_entries, 100000);
  EXPECT_EQ(c->write_queue_batches, 4096);
}

TEST(ServerConfigTest, RankAndCartLimitsHaveDefaultsAndAreRead) {
  auto defaults = ServerConfig::Parse("", "/");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_rank_items, 500);
  EXPECT_EQ(defaults->max_cart_items, 100);
  EXPECT_TRUE(defaults->cart_leave_out_substitutes);
  auto c = ServerConfig::Parse(
      "server: {max_rank_items: 40, max_cart_items: 3}\nrules: {cart_leave_out_substitutes: false}", "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_rank_items, 40);
  EXPECT_EQ(c->max_cart_items, 3);
  EXPECT_FALSE(c->cart_leave_out_substitutes);
}

TEST(ServerConfigTest, RelativePathsResolveAgainstTheConfigDirectory) {
  auto c = ServerConfig::Parse("models: {path: ../models/demo}\nstore: {path: /abs/store}", "/srv/recd/config");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->models_path, "/srv/recd/models/demo");
  EXPECT_EQ(c->store_path, "/abs/store");
}

TEST(ServerConfigTest, WriteQueueBoundIsRead) {
  auto c = ServerConfig::Parse("store: {write_queue_batches: 16}", "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->write_queue_batches, 16);
}

TEST(ServerConfigTest, StoreBackendDefaultsToRocksDb) {
  auto c = ServerConfig::Parse("", "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->store_backend, "rocksdb");
  EXPECT_TRUE(c->redis_nodes.empty());
  EXPECT_EQ(c->redis_wait_replicas, 0);
  EXPECT_EQ(c->redis_wait_timeout_ms, 500);
  EXPECT_EQ(c->redis_connect_timeout_ms, 1000);
  EXPECT_EQ(c->redis_command_timeout_ms, 1000);
  EXPECT_EQ(c->redis_pool_size, 8);
  EXPECT_EQ(c->redis_key_prefix, "recd");
}

TEST(ServerConfigTest, RedisStoreKeysAreRead) {
  auto c = ServerConfig::Parse(
      "store:\n  backend: redis\n  redis:\n    nodes: ['10.0.0.1:7000', 'redis-2:7001']\n"
      "    wait_replicas: 1\n    wait_timeout_ms: 50\n    connect_timeout_ms: 200\n"
      "    command_timeout_ms: 300\n    pool_size: 4\n    key_prefix: shop1\n",
      "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->store_backend, "redis");
  EXPECT_EQ(c->redis_nodes, (std::vector<std::string>{"10.0.0.1:7000", "redis-2:7001"}));
  EXPECT_EQ(c->redis_wait_replicas, 1);
  EXPECT_EQ(c->redis_wait_timeout_ms, 50);
  EXPECT_EQ(c->redis_connect_timeout_ms, 200);
  EXPECT_EQ(c->redis_command_timeout_ms, 300);
  EXPECT_EQ(c->redis_pool_size, 4);
  EXPECT_EQ(c->redis_key_prefix, "shop1");
}

TEST(ServerConfigTest, BadRedisStoreKeysNameTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"store: {backend: mongo}", "store.backend"},
      {"store: {backend: redis}", "store.redis.nodes"},
      {"store: {backend: redis, redis: {nodes: 'h:1'}}", "store.redis.nodes"},
      {"store: {redis: {nodes: [nocolon]}}", "store.redis.nodes[0]"},
      {"store: {redis: {nodes: ['h:1', 'h:99999']}}", "store.redis.nodes[1]"},
      {"store: {redis: {nodes: [[a]]}}", "store.redis.nodes[0]"},
      {"store: {redis: {wait_replicas: -1}}", "store.redis.wait_replicas"},
      {"store: {redis: {pool_size: 0}}", "store.redis.pool_size"},
      {"store: {redis: {connect_timeout_ms: 0}}", "store.redis.connect_timeout_ms"},
      {"store: {redis: {wait_timeout_ms: 1000, command_timeout_ms: 1000}}", "store.redis.wait_timeout_ms"},
      {"store: {redis: {key_prefix: 'a{b}'}}", "store.redis.key_prefix"},
      {"store: {redis: {node: ['h:1']}}", "store.redis.node"},
  };
  for (const auto& [yaml, field] : cases) {
    auto c = ServerConfig::Parse(yaml, "/");
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find(field), absl::string_view::npos) << yaml << " -> " << c.status();
  }
}

TEST(ServerConfigTest, LogFormatDefaultsToTextAndReadsJson) {
  auto text = ServerConfig::Parse("logging: {level: warn}", "/");
  auto json = ServerConfig::Parse("logging: {format: json}", "/");
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(text->log_format, "text");
  EXPECT_EQ(json->log_format, "json");
  // Applied with each serving state, like the level: not start-only.
  EXPECT_TRUE(text->CheckReloadable(*json).ok());
}

TEST(ServerConfigTest, BudgetOverridesApplyPerModel) {
  auto c = ServerConfig::Parse("models: {budget_ms: 20, budget_overrides_ms: {lstm: 45}}", "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->BudgetMs("lstm"), 45);
  EXPECT_EQ(c->BudgetMs("mf"), 20);
}

// The search-time settings are a separate struct from what shapes the
// indexes, so a reload that changes only them keeps the candidate stage.
TEST(ServerConfigTest, CandidateKeysSplitIntoBuildAndSearchOptions) {
  auto a = ServerConfig::Parse("candidates: {per_source: 20, ann_ef_search: 300}", "/");
  auto b = ServerConfig::Parse("candidates: {per_source: 50, ann_ef_search: 64, build_threads: 3}", "/");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->candidates.search.per_source, 20);
  EXPECT_EQ(a->candidates.search.ann_ef_search, 300);
  EXPECT_EQ(b->candidates.build.build_threads, 3);
  b->candidates.build.build_threads = 0;
  EXPECT_TRUE(a->candidates.build == b->candidates.build);
  EXPECT_FALSE(a->candidates.search == b->candidates.search);
}

TEST(ServerConfigTest, ErrorsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"server: {max_k: 0}", "server.max_k"},
      {"server: {threads: lots}", "server.threads"},
      {"server: {listen: nocolon}", "server.listen"},
      {"store: {pth: x}", "store.pth"},
      {"store: {write_queue_batches: 0}", "store.write_queue_batches"},
      {"logging: {level: loud}", "logging.level"},
      {"logging: {format: xml}", "logging.format"},
      {"logging: {format: JSON}", "logging.format"},
      {"logging: {format: [json]}", "logging.format"},
      {"rules: {diversity_max_per_category: -1}", "rules.diversity_max_per_category"},
      {"fusion: {weights: {mf: -1}}", "fusion.weights.mf"},
      {"models: {budget_overrides_ms: {lstm: 0}}", "models.budget_overrides_ms.lstm"},
      {"models: {state_cache_entries: -1}", "models.state_cache_entries"},
      {"candidates: {per_source: 0}", "candidates.per_source"},
      {"candidates: {ann_ef_search: 0}", "candidates.ann_ef_search"},
      {"candidates: {ann: maybe}", "candidates.ann"},
      {"candidates: {build_threads: -1}", "candidates.build_threads"},
      {"nonsense: 1", "config.nonsense"},
      {"server: {admission: {max_in_flight_reads: -1}}", "server.admission.max_in_flight_reads"},
      {"server: {admission: {max_queue_ms: 0}}", "server.admission.max_queue_ms"},
      {"server: {admission: {queue: 3}}", "server.admission.queue"},
      {"models: {warm_users: -2}", "models.warm_users"},
      {"candidates: {max_rule_scan_items: 0}", "candidates.max_rule_scan_items"},
      {"server: {max_rank_items: 0}", "server.max_rank_items"},
      {"server: {max_rank_items: 10001}", "server.max_rank_items"},
      {"server: {max_cart_items: 0}", "server.max_cart_items"},
      {"fusion: {weights: {mf: 1}, cart_profile: nope}", "fusion.cart_profile"},
      {"server: {shilling: {burst_events: 1}}", "server.shilling.burst_events: must be >= 2"},
      {"server: {shilling: {burst_events: 5000}}", "server.shilling.burst_events: must be <= 1000"},
      {"server: {shilling: {burst_seconds: 0}}", "server.shilling.burst_seconds: must be >= 1"},
      {"server: {shilling: {hammer_events: 0}}", "server.shilling.hammer_events"},
      {"server: {shilling: {hammer_seconds: -1}}", "server.shilling.hammer_seconds"},
      {"server: {shilling: {swarm_accounts: 0}}", "server.shilling.swarm_accounts"},
      {"server: {shilling: {new_account_seconds: -1}}", "server.shilling.new_account_seconds"},
      {"server: {shilling: {swarm_seconds: 0}}", "server.shilling.swarm_seconds"},
      {"server: {shilling: {swarm_share: 0}}", "server.shilling.swarm_share: must be in (0, 1]"},
      {"server: {shilling: {swarm_share: 1.5}}", "server.shilling.swarm_share"},
      {"server: {shilling: {enabled: maybe}}", "server.shilling.enabled: wrong type"},
      {"server: {shilling: {burst: 3}}", "server.shilling.burst: unknown field"},
      {"server: {shilling: on}", "server.shilling: must be a mapping"},
      {"live: {enabled: sometimes}", "live.enabled: wrong type"},
      {"live: {half_life_minutes: 0}", "live.half_life_minutes"},
      {"live: {pair_window: -1}", "live.pair_window"},
      {"live: {max_pairs: -1}", "live.max_pairs"},
      {"live: {max_neighbours: 0}", "live.max_neighbours"},
      {"live: {shrink: -1}", "live.shrink"},
      {"live: {publish_ms: 1}", "live.publish_ms"},
      {"live: {result_cache_lag_ms: -1}", "live.result_cache_lag_ms"},
      {"live: {weights: {knn: -1}}", "live.weights.knn"},
      {"live: {fusion_weight: -0.5}", "live.fusion_weight"},
      {"live: {weights: {mf: 1}}", "live.weights.mf: unknown field"},
      {"live: {window: 3}", "live.window: unknown field"},
  };
  for (const auto& [yaml, field] : cases) {
    auto c = ServerConfig::Parse(yaml, "/");
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find(field), absl::string_view::npos) << yaml << " -> " << c.status();
  }
}

TEST(ServerConfigTest, ReloadRejectsChangedStartOnlyKeysNamingThem) {
  auto running = ServerConfig::Parse("server: {threads: 2}\nfusion: {weights: {mf: 1}}", "/");
  ASSERT_TRUE(running.ok());
  const std::pair<const char*, const char*> cases[] = {
      {"server: {threads: 4}", "server.threads"},
      {"server: {threads: 2, listen: '127.0.0.1:1'}", "server.listen"},
      {"server: {threads: 2, admission: {max_in_flight_reads: 3}}", "server.admission.max_in_flight_reads"},
      {"server: {threads: 2}\nstore: {path: elsewhere}", "store.path"},
      {"server: {threads: 2}\nstore: {backend: redis, redis: {nodes: ['h:1']}}", "store.backend"},
      {"server: {threads: 2}\nstore: {redis: {nodes: ['h:1']}}", "store.redis.nodes"},
      {"server: {threads: 2}\nstore: {redis: {wait_replicas: 1}}", "store.redis.wait_replicas"},
      {"server: {threads: 2}\nstore: {redis: {pool_size: 2}}", "store.redis.pool_size"},
      {"server: {threads: 2}\nstore: {redis: {command_timeout_ms: 2000}}", "store.redis.command_timeout_ms"},
      {"server: {threads: 2}\nstore: {redis: {key_prefix: x}}", "store.redis.key_prefix"},
      {"server: {threads: 2}\nmodels: {state_cache_entries: 5}", "models.state_cache_entries"},
      {"server: {threads: 2, tls: {cert_file: c.pem, key_file: k.pem}}", "server.tls.cert_file"},
      {"server: {threads: 2, auth: {tokens_file: tokens}}", "server.auth.tokens_file"},
  };
  for (const auto& [yaml, key] : cases) {
    auto next = ServerConfig::Parse(yaml, "/");
    ASSERT_TRUE(next.ok()) << yaml;
    const absl::Status s = running->CheckReloadable(*next);
    EXPECT_FALSE(s.ok()) << yaml;
    EXPECT_NE(s.message().find(key), absl::string_view::npos) << s;
  }
  auto reloadable = ServerConfig::Parse(
      "server: {threads: 2, default_deadline_ms: 7, max_rank_items: 50, max_cart_items: 5}\n"
      "fusion: {weights: {mf: 2}, profiles: {gift: {knn: 1}}, cart_profile: gift}\ncandidates: {ann_ef_search: 64}",
      "/");
  ASSERT_TRUE(reloadable.ok());
  EXPECT_TRUE(running->CheckReloadable(*reloadable).ok());
}

TEST(ServerConfigTest, SecurityFilesResolveAgainstTheConfigDirectory) {
  auto c = ServerConfig::Parse(
      "server: {tls: {cert_file: certs/server.pem, key_file: certs/server.key, client_ca_file: /ca.pem},"
      " auth: {tokens_file: certs/tokens}}",
      "/srv/recd");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tls_cert_file, "/srv/recd/certs/server.pem");
  EXPECT_EQ(c->tls_key_file, "/srv/recd/certs/server.key");
  EXPECT_EQ(c->tls_client_ca_file, "/ca.pem");
  EXPECT_EQ(c->auth_tokens_file, "/srv/recd/certs/tokens");
}

TEST(ServerConfigTest, SecurityIsOffByDefault) {
  auto c = ServerConfig::Parse("", "/");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->tls_cert_file.empty());
  EXPECT_TRUE(c->auth_tokens_file.empty());
}

TEST(ServerConfigTest, IncompleteTlsIsRejected) {
  const std::pair<const char*, const char*> cases[] = {
      {"server: {tls: {cert_file: c.pem}}", "server.tls"},
      {"server: {tls: {key_file: k.pem}}", "server.tls"},
      {"server: {tls: {client_ca_file: ca.pem}}", "server.tls.client_ca_file"},
      {"server: {tls: {cert: c.pem}}", "server.tls.cert"},
      {"server: {auth: {tokens: t}}", "server.auth.tokens"},
  };
  for (const auto& [yaml, key] : cases) {
    auto c = ServerConfig::Parse(yaml, "/");
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find(key), absl::string_view::npos) << c.status();
  }
}

TEST(ServerConfigTest, ChannelLimitsHaveBoundedDefaults) {
  auto c = ServerConfig::Parse("", "/");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->limits.max_receive_message_bytes, 1 << 20);
  EXPECT_EQ(c->limits.max_concurrent_streams, 64);
  EXPECT_GT(c->limits.max_connection_idle_ms, 0);
  EXPECT_GT(c->limits.max_connection_age_ms, 0);
  EXPECT_FALSE(c->limits.permit_keepalive_without_calls);
  EXPECT_EQ(c->limits.max_connections, 0);  // sized from the fd limit
  EXPECT_TRUE(c->admin_listen.empty());
}

TEST(ServerConfigTest, ChannelLimitsAndAdminListenAreRead) {
  auto c = ServerConfig::Parse(
      "server: {listen: '0.0.0.0:1', limits: {max_receive_message_bytes: 4096, max_send_message_bytes: 8192,"
      " max_concurrent_streams: 8, keepalive_time_ms: 5000, keepalive_timeout_ms: 2000, min_ping_interval_ms: 0,"
      " permit_keepalive_without_calls: true, max_ping_strikes: 0, max_connection_idle_ms: 0,"
      " max_connection_age_ms: 60000, max_connection_age_grace_ms: 100, handshake_timeout_ms: 500,"
      " max_connections: 300}}\n"
      "admin: {listen: '127.0.0.1:2'}",
      "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->limits.max_receive_message_bytes, 4096);
  EXPECT_EQ(c->limits.max_send_message_bytes, 8192);
  EXPECT_EQ(c->limits.max_concurrent_streams, 8);
  EXPECT_EQ(c->limits.keepalive_time_ms, 5000);
  EXPECT_TRUE(c->limits.permit_keepalive_without_calls);
  EXPECT_EQ(c->limits.max_connection_idle_ms, 0);
  EXPECT_EQ(c->limits.max_connection_age_ms, 60000);
  EXPECT_EQ(c->limits.max_connections, 300);
  EXPECT_EQ(c->admin_listen, "127.0.0.1:2");
}

TEST(ServerConfigTest, OpsListenIsOffByDefaultAndRead) {
  auto off = ServerConfig::Parse("", "/");
  ASSERT_TRUE(off.ok());
  EXPECT_TRUE(off->ops_listen.empty());
  auto on = ServerConfig::Parse("ops: {listen: '127.0.0.1:9464'}", "/");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_EQ(on->ops_listen, "127.0.0.1:9464");
}

TEST(ServerConfigTest, BadChannelLimitsNameTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {"server: {limits: {max_receive_message_bytes: 10}}", "server.limits.max_receive_message_bytes: must be >= 1024"},
      {"server: {limits: {max_send_message_bytes: 3000000000}}", "server.limits.max_send_message_bytes"},
      {"server: {limits: {max_concurrent_streams: 0}}", "server.limits.max_concurrent_streams"},
      {"server: {limits: {keepalive_time_ms: 10}}", "server.limits.keepalive_time_ms"},
      {"server: {limits: {max_connection_idle_ms: 500}}", "server.limits.max_connection_idle_ms"},
      {"server: {limits: {max_connection_age_ms: -1}}", "server.limits.max_connection_age_ms"},
      {"server: {limits: {max_connections: -5}}", "server.limits.max_connections"},
      {"server: {limits: {permit_keepalive_without_calls: sometimes}}",
       "server.limits.permit_keepalive_without_calls"},
      {"server: {limits: {max_streams: 3}}", "server.limits.max_streams: unknown field"},
      {"admin: {listen: nocolon}", "admin.listen: must be HOST:PORT"},
      {"admin: {port: 3}", "admin.port"},
      {"server: {admission: {max_connection_share: 0}}", "server.admission.max_connection_share"},
      {"server: {admission: {max_connection_share: 1.5}}", "server.admission.max_connection_share"},
      {"server: {listen: '0.0.0.0:7'}\nadmin: {listen: '0.0.0.0:7'}", "admin.listen: must differ"},
      {"ops: {listen: nocolon}", "ops.listen: must be HOST:PORT"},
      {"ops: {listen: ':9464'}", "ops.listen: must be HOST:PORT"},
      {"ops: {listen: [1]}", "ops.listen: wrong type"},
      {"ops: {port: 9464}", "ops.port: unknown field"},
      {"server: {listen: '127.0.0.1:7'}\nops: {listen: '127.0.0.1:7'}", "ops.listen: must differ"},
  };
  for (const auto& [yaml, message] : cases) {
    auto c = ServerConfig::Parse(yaml, "/");
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find(message), absl::string_view::npos) << yaml << " -> " << c.status();
  }
}

TEST(ServerConfigTest, ShillingDefaultsAreTheOfflineDetectorsAndAreRead) {
  auto defaults = ServerConfig::Parse("", "/");
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->shilling_enabled);
  const ShillingOptions offline;
  EXPECT_EQ(defaults->shilling.burst_events, offline.burst_events);
  EXPECT_EQ(defaults->shilling.swarm_accounts, offline.swarm_accounts);
  EXPECT_EQ(defaults->shilling.swarm_share, offline.swarm_share);
  auto c = ServerConfig::Parse(
      "server: {shilling: {enabled: false, burst_events: 40, burst_seconds: 30, hammer_events: 20, "
      "hammer_seconds: 600, swarm_accounts: 10, new_account_seconds: 3600, swarm_seconds: 7200, swarm_share: 0.8}}",
      "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->shilling_enabled);
  EXPECT_EQ(c->shilling.burst_events, 40);
  EXPECT_EQ(c->shilling.burst_seconds, 30);
  EXPECT_EQ(c->shilling.hammer_events, 20);
  EXPECT_EQ(c->shilling.hammer_seconds, 600);
  EXPECT_EQ(c->shilling.swarm_accounts, 10);
  EXPECT_EQ(c->shilling.new_account_seconds, 3600);
  EXPECT_EQ(c->shilling.swarm_seconds, 7200);
  EXPECT_DOUBLE_EQ(c->shilling.swarm_share, 0.8);
  // Reloadable: a running config takes it.
  EXPECT_TRUE(defaults->CheckReloadable(*c).ok());
}

TEST(ServerConfigTest, LiveIsOffByDefaultReadAndStartOnly) {
  auto defaults = ServerConfig::Parse("", "/");
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(defaults->live_enabled);
  auto c = ServerConfig::Parse(
      "live: {enabled: true, half_life_minutes: 90, pair_window: 5, max_pairs: 1000, max_neighbours: 20, "
      "shrink: 2.5, publish_ms: 250, weights: {pop: 0.5, knn: 2, markov: 0}}",
      "/");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->live_enabled);
  EXPECT_EQ(c->live.half_life, absl::Minutes(90));
  EXPECT_EQ(c->live.pair_window, 5);
  EXPECT_EQ(c->live.max_pairs, 1000);
  EXPECT_EQ(c->live.max_neighbours, 20);
  EXPECT_DOUBLE_EQ(c->live.shrink, 2.5);
  EXPECT_EQ(c->live_publish_ms, 250);
  EXPECT_FLOAT_EQ(c->live_weights.pop, 0.5f);
  EXPECT_FLOAT_EQ(c->live_weights.knn, 2.0f);
  EXPECT_FLOAT_EQ(c->live_weights.markov, 0.0f);
  const absl::Status s = defaults->CheckReloadable(*c);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("live.enabled"), absl::string_view::npos) << s;
  auto other = ServerConfig::Parse("live: {enabled: true, half_life_minutes: 30, pair_window: 5, max_pairs: 1000, "
                                   "max_neighbours: 20, shrink: 2.5, publish_ms: 250, weights: {pop: 0.5, knn: 2, markov: 0}}",
                                   "/");
  ASSERT_TRUE(other.ok());
  const absl::Status h = c->CheckReloadable(*other);
  EXPECT_NE(h.message().find("live.half_life_minutes"), absl::string_view::npos) << h;
  EXPECT_TRUE(c->CheckReloadable(*c).ok());
  EXPECT_EQ(c->live_result_cache_lag_ms, 10000);
  EXPECT_EQ(c->live_fusion_weight, 0.0);
  // The same config with one more key, which a running `c` takes on reload.
  const auto reloaded_with = [&c](const std::string& key) {
    auto next = ServerConfig::Parse("live: {enabled: true, half_life_minutes: 90, pair_window: 5, max_pairs: 1000, "
                                    "max_neighbours: 20, shrink: 2.5, publish_ms: 250, " + key +
                                        ", weights: {pop: 0.5, knn: 2, markov: 0}}",
                                    "/");
    EXPECT_TRUE(next.ok()) << next.status();
    EXPECT_TRUE(next.ok() && c->CheckReloadable(*next).ok()) << key << " is reloadable";
    return next.ok() ? *next : ServerConfig{};
  };
  EXPECT_EQ(reloaded_with("result_cache_lag_ms: 0").live_result_cache_lag_ms, 0);
  EXPECT_DOUBLE_EQ(reloaded_with("fusion_weight: 0.75").live_fusion_weight, 0.75);
}

TEST(ServerConfigTest, ChannelLimitsAndAdminListenAreStartOnly) {
  auto running = ServerConfig::Parse("", "/");
  ASSERT_TRUE(running.ok());
  const std::pair<const char*, const char*> cases[] = {
      {"server: {limits: {max_concurrent_streams: 9}}", "server.limits.max_concurrent_streams"},
      {"server: {limits: {max_connections: 9}}", "server.limits.max_connections"},
      {"server: {limits: {permit_keepalive_without_calls: true}}", "server.limits.permit_keepalive_without_calls"},
      {"admin: {listen: '127.0.0.1:50052'}", "admin.listen"},
      {"ops: {listen: '127.0.0.1:9464'}", "ops.listen"},
  };
  for (const auto& [yaml, key] : cases) {
    auto next = ServerConfig::Parse(yaml, "/");
    ASSERT_TRUE(next.ok()) << yaml << " " << next.status();
    const absl::Status s = running->CheckReloadable(*next);
    EXPECT_NE(s.message().find(key), absl::string_view::npos) << yaml << " -> " << s;
  }
}

TEST(ServerConfigTest, MalformedYamlIsAnErrorNotACrash) {
  EXPECT_FALSE(ServerConfig::Parse("server: {max_k: [", "/").ok());
}

TEST(ServerConfigTest, MissingFileNamesThePath) {
  auto c = ServerConfig::LoadFile("/nonexistent/recd.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/recd.yaml"), absl::string_view::npos);
}

TEST(ServerConfigTest, VersionFollowsContent) {
  auto a = ServerConfig::Parse("server: {max_k: 10}", "/");
  auto b = ServerConfig::Parse("server: {max_k: 11}", "/");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->version, b->version);
  EXPECT_EQ(a->version, ServerConfig::Parse("server: {max_k: 10}", "/")->version);
}

}  // namespace
}  // namespace recd

namespace recd {
namespace {

// The configs in the repository load, and config/recd.yaml spells out the
// defaults of server.limits rather than other values.
TEST(ServerConfigTest, ShippedConfigsLoad) {
  for (const char* file : {"config/recd.yaml", "config/secure.yaml", "config/live.yaml", "docker/recd.yaml"}) {
    auto c = ServerConfig::LoadFile(std::string(RECD_SOURCE_DIR) + "/" + file);
    EXPECT_TRUE(c.ok()) << file << ": " << c.status();
  }
  auto c = ServerConfig::LoadFile(std::string(RECD_SOURCE_DIR) + "/config/recd.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->limits == ChannelLimits{});
  EXPECT_TRUE(c->admin_listen.empty());
  EXPECT_EQ(ServerConfig::LoadFile(std::string(RECD_SOURCE_DIR) + "/config/secure.yaml")->admin_listen,
            "127.0.0.1:50052");
}

// config/live.yaml copies the demo bundle's tuned fusion to add a profile
// beside it: recommendations must still rank as the bundle ships them.
TEST(ServerConfigTest, TheLiveConfigKeepsTheDemoBundlesFusion) {
  auto live = ServerConfig::LoadFile(std::string(RECD_SOURCE_DIR) + "/config/live.yaml");
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_TRUE(live->fusion.has_value());
  EXPECT_TRUE(live->live_enabled);
  EXPECT_EQ(live->fusion->similar_profile, "also-viewed");
  // The newest version of the demo root, as the daemon serves it.
  std::filesystem::path newest;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(RECD_SOURCE_DIR) + "/models/demo")) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && !name.empty() && std::all_of(name.begin(), name.end(), ::isdigit) &&
        (newest.empty() || std::stoi(name) > std::stoi(newest.filename().string()))) {
      newest = entry.path();
    }
  }
  ASSERT_FALSE(newest.empty());
  auto shipped = FusionConfig::LoadFile((newest / "fusion.yaml").string());
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  EXPECT_EQ(live->fusion->weights, shipped->weights) << newest;
  ASSERT_EQ(live->fusion->segments.size(), shipped->segments.size());
  for (size_t i = 0; i < shipped->segments.size(); ++i) {
    EXPECT_EQ(live->fusion->segments[i].max_history, shipped->segments[i].max_history);
    EXPECT_EQ(live->fusion->segments[i].weights, shipped->segments[i].weights);
  }
  EXPECT_EQ(live->fusion->normalization, shipped->normalization);
  EXPECT_EQ(live->fusion->method, shipped->method);
}

TEST(ServerConfigTest, ShadowSectionIsReadWithDefaults) {
  auto c = ServerConfig::Parse("shadow: {name: next, bundle_version: newest}\nmodels: {serve_version: 3}\n", "/");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->shadow.has_value());
  EXPECT_EQ(c->shadow->name, "next");
  EXPECT_DOUBLE_EQ(c->shadow->fraction, 0.1);
  EXPECT_EQ(c->shadow->bundle_version, kNewestBundleVersion);
  EXPECT_EQ(c->shadow->max_queue, 256);
  EXPECT_FALSE(c->shadow->fusion.has_value());
  EXPECT_EQ(c->serve_version, 3);
  auto pinned = ServerConfig::Parse("shadow: {name: a, bundle_version: 4, fraction: 0.25, bundle_fusion: rank}\n", "/");
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  EXPECT_EQ(pinned->shadow->bundle_version, 4);
  EXPECT_EQ(pinned->shadow->bundle_fusion, "rank");
  EXPECT_FALSE(ServerConfig::Parse("", "/")->shadow.has_value());
}

TEST(ServerConfigTest, BadShadowFieldsAreNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"shadow: {fraction: 0.5}", "shadow.name"},
      {"shadow: {name: 'a b'}", "shadow.name"},
      {"shadow: {name: a, fraction: 0}", "shadow.fraction"},
      {"shadow: {name: a, fraction: 1.5}", "shadow.fraction"},
      {"shadow: {name: a, bundle_version: latest}", "shadow.bundle_version"},
      {"shadow: {name: a, bundle_version: -2}", "shadow.bundle_version"},
      {"shadow: {name: a, max_queue: 0}", "shadow.max_queue"},
      {"shadow: {name: a, colour: red}", "shadow.colour"},
      {"shadow: {name: a, bundle_fusion: rank, fusion: {weights: {pop: 1}}}", "shadow.bundle_fusion"},
      {"models: {serve_version: -1}", "models.serve_version"},
  };
  for (const auto& [yaml, field] : cases) {
    auto c = ServerConfig::Parse(yaml, "/");
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find(field), std::string::npos) << yaml << ": " << c.status();
  }
}

}  // namespace
}  // namespace recd
