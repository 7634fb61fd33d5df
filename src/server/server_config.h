#ifndef RECD_SERVER_SERVER_CONFIG_H_
#define RECD_SERVER_SERVER_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "abuse/shilling_options.h"
#include "models/live_item_stats.h"
#include "models/live_overlay_scorer.h"
#include "recd/fusion_config.h"
#include "server/experiments.h"
#include "server/shadow_config.h"
#include "retrieval/candidate_stage.h"

namespace recd {

// server.limits: bounds on every gRPC connection, so that no client, however
// many connections, streams or bytes it sends, can take the daemon from the
// others. Applied to the gRPC server's channel arguments at start (and to the
// admin listener). A value type.
struct ChannelLimits {
  // Largest request / response message. Requests are small (at most
  // server.max_ids_per_request ids of at most 256 bytes); a larger one is
  // refused with RESOURCE_EXHAUSTED before it is parsed.
  int max_receive_message_bytes = 1 << 20;
  int max_send_message_bytes = 4 << 20;
  // HTTP/2 streams one connection may have open at once; beyond it the
  // client's transport waits for one to finish.
  int max_concurrent_streams = 64;
  // The server pings a connection silent this long and closes it when the
  // ping is not answered within the timeout: dead peers free their fds.
  int keepalive_time_ms = 120000;
  int keepalive_timeout_ms = 20000;
  // Keepalive enforcement: a client pinging more often than this without
  // data, or pinging with no call open (unless permitted), earns a strike;
  // more than max_ping_strikes strikes and it gets GOAWAY (ENHANCE_YOUR_CALM).
  int min_ping_interval_ms = 60000;
  bool permit_keepalive_without_calls = false;
  int max_ping_strikes = 2;
  // A connection without calls for this long is sent GOAWAY and closed;
  // 0 = never.
  int max_connection_idle_ms = 300000;
  // Every connection is sent GOAWAY at this age (clients reconnect, which
  // also rebalances them), and closed after the grace; 0 = never.
  int max_connection_age_ms = 3600000;
  int max_connection_age_grace_ms = 30000;
  // A TLS connection must finish its handshake within this.
  int handshake_timeout_ms = 10000;
  // Client connections held at once (ConnectionLimiter): at the cap the
  // connections silent longest are shut down to make room for new ones.
  // 0 = the file-descriptor limit (raised to its hard limit at start) less
  // 256 for the store, the models and gRPC itself. Never above that.
  int max_connections = 0;

  bool operator==(const ChannelLimits&) const = default;
};

// config/recd.yaml, parsed and validated. Relative paths are resolved against
// the config file's directory. An immutable value: a reload builds a new one
// and swaps it in only if it validates. Every field's default is given here.
struct ServerConfig {
  // server:
  std::string listen = "0.0.0.0:50051";
  int threads = 0;                   // scorer pool; 0 = number of cores
  int64_t default_deadline_ms = 100; // when the caller sets no gRPC deadline
  int max_k = 1000;                  // larger k is INVALID_ARGUMENT
  int max_ids_per_request = 1000;    // recent_item_ids, exclusions, events
  // RankItems: items one call may rank (1..10000). Each is scored by every
  // model; a longer list is a catalog scan, which RecommendItems does better.
  // Reloadable. Default 500 (a search page's hits, with room to spare).
  int max_rank_items = 500;
  // CompleteCart: items one cart may hold (1..1000). Reloadable. Default 100.
  int max_cart_items = 100;
  // Items added to the catalog since the bundle was trained (Admin.AddItems,
  // or rows another writer put in the store) served until the next bundle
  // holds them (0..100000). Every request scores all of them, so keep it
  // to a day's additions. Read when a bundle is loaded or items are added;
  // rows past it wait for the next bundle. Default 10000.
  int max_new_items = 10000;
  // server.admission: how much work may be in flight before calls are
  // refused with RESOURCE_EXHAUSTED. 0 = sized from the machine: reads
  // 2 x the request threads (each a scorer's worth of work queued behind
  // one running), writes 256 (they mostly wait for a shared fsync).
  int max_in_flight_reads = 0;
  int max_in_flight_writes = 0;
  // An admitted read that waited longer than this for a thread is refused.
  int64_t max_queue_ms = 20;
  // Of those places, the share one client connection may hold (at least
  // one): a connection with thousands of streams open leaves the rest to
  // other clients. 1 = no per-connection bound.
  double max_connection_share = 0.5;
  // A connection refused more than hog_refusals_per_second times a second
  // (within a tenth of one) is a hog: its refusals are answered after
  // share_refusal_hold_ms, with a retry pushback of the same (HeldRefusals),
  // so a flood of streams on one connection is paced to its stream limit
  // per hold; a client that honours pushback loses nothing. Other refusals
  // are answered at once. Hold 0 = never held. Defaults 100 ms and 1000.
  int64_t share_refusal_hold_ms = 100;
  int64_t hog_refusals_per_second = 1000;
  // server.rate_limits: RecordEvents events one user, or one item, may
  // record per minute (token buckets, bursts up to a minute's worth); a call
  // over either is refused whole with RESOURCE_EXHAUSTED naming the user or
  // item. 0 = no limit. Per user 300 (5 a second sustained: far above a
  // person, well below a bot); per item none, since a sale can draw any
  // number of real shoppers to one item. Reloadable.
  int64_t user_events_per_minute = 300;
  int64_t item_events_per_minute = 0;
  // server.shilling: the online quarantine (OnlineShillingDetector): each
  // event RecordEvents accepts is checked for the signals of `shilling`
  // (the offline detector's thresholds and defaults), and users found are
  // listed in GetStatus until released. Storing and serving are unchanged.
  // Reloadable (a changed swarm window restarts the items' counts).
  // Default enabled.
  bool shilling_enabled = true;
  ShillingOptions shilling;
  // server.limits: what one client, connection or call may take of the
  // daemon (ChannelLimits). Start-only.
  ChannelLimits limits;
  // server.tls: TLS on the serving port when cert_file and key_file are
  // both set (PEM; "" = plaintext). With client_ca_file, every client must
  // present a certificate signed by that CA (mutual TLS). The paths are
  // start-only; the files' contents are read again every
  // tls_reload_interval_s (gRPC's file watcher), so rotated certificates
  // and CAs apply to new connections without a restart, and open ones are
  // kept. 0 = read once at start. Default 10.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  int tls_reload_interval_s = 10;
  // server.auth: a file of `ROLE SHA256_HEX_OF_TOKEN` lines (TokenAuthenticator);
  // every call but health checks must then carry `authorization: Bearer TOKEN`
  // of a role allowed the method, and reflection is off. "" = no
  // authentication. Read at start only.
  std::string auth_tokens_file;
  // admin.listen: HOST:PORT of a second listener for Admin (ReloadConfig,
  // GetStatus), health checking and reflection, which the serving port then
  // no longer offers. "" = everything on server.listen. Start-only.
  std::string admin_listen;
  // ops.listen: HOST:PORT of the HTTP ops listener (/metrics, /healthz,
  // /readyz; OpsListener), e.g. 127.0.0.1:9464; port 0 = any free port.
  // "" = off (the default, so that two daemons on one machine never race
  // for a fixed port). Keep it on loopback or a private network: it has no
  // authentication. Start-only.
  std::string ops_listen;
  // store:
  // store.backend: "rocksdb" (embedded, at store.path) or "redis" (a Redis
  // Cluster or standalone server shared by replicas, store.redis.*).
  std::string store_backend = "rocksdb";
  std::string store_path = "data/store";   // rocksdb only
  int history_length = 200;          // events kept per user
  int64_t history_cache_entries = 100000;
  // RecordEvents batches waiting for the event writer's next group commit;
  // more are refused with RESOURCE_EXHAUSTED. Bounds the memory and the wait
  // of pending writes when the disk stalls.
  int64_t write_queue_batches = 4096;
  // store.redis: every key start-only. See RedisStoreOptions for what each does.
  std::vector<std::string> redis_nodes;    // host:port seeds; required with backend redis
  int redis_wait_replicas = 0;             // WAIT for this many replicas per synced write
  int64_t redis_wait_timeout_ms = 500;     // must be below command_timeout_ms
  int64_t redis_connect_timeout_ms = 1000;
  int64_t redis_command_timeout_ms = 1000;
  int redis_pool_size = 8;                 // connections per node
  std::string redis_key_prefix = "recd";
  std::string seed_catalog;          // loaded into an empty store on first start
  std::string seed_events;
  // models:
  std::string models_path = "models/demo";        // bundle root of numbered versions (recd/bundle_versions.h)
  // The version served: 0 = the newest that loads (a new one is picked up
  // when it appears); N = version N only, so a newer one can be tried as a
  // shadow first. Reloadable.
  int64_t serve_version = 0;
  int64_t model_budget_ms = 30;                    // per scorer, per request
  std::map<std::string, int64_t> model_budget_overrides;
  // Users whose encoded model states are kept between requests (read at
  // start); 0 = encode every request.
  int64_t state_cache_entries = 100000;
  // Fused items kept with each cached user's states (the result cache): a
  // request for a user whose history has not changed is answered from them
  // when enough pass its rules. 0 = rank every request. Reloadable.
  int64_t result_cache_items = 50;
  // Before a new bundle takes traffic, this many of the most recently
  // served users have their states encoded by it (bounded by warm_ms too),
  // so a swap does not turn every cached user into a miss at once.
  int64_t warm_users = 2000;
  int64_t warm_ms = 3000;
  // live: item statistics that follow the event stream (LiveItemStats),
  // overlaid on the bundle's pop, knn and markov models until the next
  // bundle. Off by default: with it on, answers depend on when events
  // arrived, so the daemon no longer matches recd-eval's replay of the same
  // log event for event (README, Learning during the day). Start-only.
  bool live_enabled = false;
  LiveStatsOptions live;
  LiveOverlayWeights live_weights;
  // The fusion weight of the "live" model (the live co-occurrence as a
  // model of its own, beside the trained knn), added to the served fusion's
  // weights and segments. Reloadable. Default 0: not run.
  double live_fusion_weight = 0;
  // How often new counts are published to the models: the most an event
  // waits to count, besides its group commit. Default 500 ms.
  int64_t live_publish_ms = 500;
  // How far behind the live statistics a cached top list (the result
  // cache) may be: a user who did nothing new is served a list ranked on
  // statistics at most this old, so steady writes do not empty the cache
  // every publish. A user's own events always count at once (their history
  // changed). 0 = only lists of the latest publish. Reloadable. Default
  // 10 s: measured on the demo with 10% writes, 2 s cost a quarter of the
  // answers per second, 10 s about 6% (benchmarks/live_stats.sh).
  int64_t live_result_cache_lag_ms = 10000;
  // fusion: optional; when absent the bundle's tuned fusion.yaml is used.
  std::optional<FusionConfig> fusion;
  // experiments: optional A/B arms of fusion profiles (README, Experiments).
  // Reloadable.
  std::optional<ExperimentConfig> experiments;
  // shadow: optional candidate ranked beside the live answers (README,
  // Shadow rollouts). Reloadable.
  std::optional<ShadowConfig> shadow;
  // rules:
  // Leave out every item already in the user's history (viewed, carted or
  // bought), as the offline evaluation does. With false, only purchases are
  // left out (by default) and viewed items may come back.
  bool exclude_seen = true;
  bool exclude_purchased = true;     // default for requests
  int diversity_max_per_category = 0;// 0 = no cap
  // CompleteCart leaves out items in the leaf category of a cart item
  // (substitutes: another phone for the phone in the cart). Reloadable.
  bool cart_leave_out_substitutes = true;
  // candidates: when to retrieve rather than score the whole catalog.
  CandidateOptions candidates;
  // When rules leave fewer than k candidates even after deeper nomination:
  // at most this many allowed items are scored directly.
  int max_rule_scan_items = 20000;
  // logging: both reloadable (applied with each new serving state).
  std::string log_level = "info";
  // "text" (spdlog's default pattern) or "json" (one object per line for
  // log shippers; util/json_log_formatter.h).
  std::string log_format = "text";

  std::string path;     // the file it came from
  std::string version;  // content hash of that file

  int64_t BudgetMs(const std::string& model) const;

  // OK if `next` differs from this running config only in keys a reload
  // can apply; otherwise names the first start-only key that changed.
  absl::Status CheckReloadable(const ServerConfig& next) const;

  static absl::StatusOr<ServerConfig> LoadFile(const std::string& path);
  static absl::StatusOr<ServerConfig> Parse(const std::string& yaml_text, const std::string& base_dir);
};

}  // namespace recd

#endif  // RECD_SERVER_SERVER_CONFIG_H_
