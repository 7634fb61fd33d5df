#include "server/serving_state.h"

#include <malloc.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "models/live_overlay_scorer.h"
#include "models/new_items_scorer.h"
#include "recd/bundle_versions.h"
#include "server/new_catalog_items.h"
#include "spdlog/spdlog.h"
#include "util/json_log_formatter.h"
#include "util/usable_cores.h"

namespace recd {

namespace fs = std::filesystem;

namespace {

void AppendStamp(const fs::path& p, std::string& out) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  const auto mtime = fs::last_write_time(p, ec);
  absl::StrAppend(&out, p.string(), ":", ec ? 0 : size, ":",
                  ec ? 0 : mtime.time_since_epoch().count(), ";");
}

std::string FileStamp(const std::string& path) {
  std::string s;
  AppendStamp(path, s);
  return s;
}

// Fusion weights must name models the bundle has: a typo would silently
// drop a model from every answer.
absl::Status CheckFusionMatchesBundle(const FusionConfig& fusion, const ModelBundle& bundle) {
  auto check = [&](const std::map<std::string, double>& weights, const std::string& field) -> absl::Status {
    double usable = 0;
    for (const auto& [model, w] : weights) {
      if (bundle.Find(model) == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(field, ".", model, ": no model '", model,
                                                       "' in bundle ", bundle.dir()));
      }
      usable += w;
    }
    if (usable <= 0) return absl::InvalidArgumentError(absl::StrCat(field, ": no positive weight"));
    return absl::OkStatus();
  };
  if (auto s = check(fusion.weights, "fusion.weights"); !s.ok()) return s;
  for (size_t i = 0; i < fusion.segments.size(); ++i) {
    if (auto s = check(fusion.segments[i].weights, absl::StrCat("fusion.segments[", i, "].weights")); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// The profile a candidate ranking (an arm, the shadow) blends with on
// The live model (live.fusion_weight) in the served weights and segments;
// profiles (cart, a request's own) keep theirs.
void WeighLiveModel(double weight, FusionConfig& fusion) {
  if (weight <= 0) return;
  fusion.weights[std::string(kLiveModelName)] = weight;
  for (FusionSegment& segment : fusion.segments) segment.weights[std::string(kLiveModelName)] = weight;
}

// `bundle`: `fusion`, else the bundle's fusion.<bundle_fusion>.yaml, else
// `otherwise`. Errors name `field`.
absl::StatusOr<FusionConfig> CandidateFusion(const std::optional<FusionConfig>& fusion,
                                             const std::string& bundle_fusion, const ModelBundle& bundle,
                                             const FusionConfig& otherwise, const std::string& field) {
  if (fusion) return *fusion;
  if (bundle_fusion.empty()) return otherwise;
  auto shipped = FusionConfig::LoadFile(
      (std::filesystem::path(bundle.dir()) / BundleFusionProfileFile(bundle_fusion)).string());
  if (!shipped.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".bundle_fusion: ", shipped.status().message()));
  }
  return *std::move(shipped);
}

}  // namespace

std::vector<LiveFeed> LiveFeedsOf(const ServingState& state) {
  std::vector<LiveFeed> feeds;
  auto add = [&feeds](const ServingState* s) {
    if (s == nullptr || s->live == nullptr) return;
    for (const LiveFeed& f : feeds) {
      if (f.stats == s->live.get()) return;
    }
    feeds.push_back({s->live.get(), s->bundle.get()});
  };
  add(&state);
  if (state.experiments != nullptr) {
    for (const ExperimentArms::Arm& arm : state.experiments->arms()) add(arm.state.get());
  }
  if (state.shadow != nullptr) add(state.shadow->state.get());
  return feeds;
}

RankingContext RankingContextOf(const ServingState& state) {
  RankingContext context;
  context.bundle = state.bundle;
  context.pipeline = state.pipeline.get();
  context.catalog = state.catalog;
  context.similarity = state.similarity.get();
  context.exclude_seen = state.config->exclude_seen;
  context.max_rule_scan_items = state.config->max_rule_scan_items;
  context.result_cache_items = static_cast<int>(state.config->result_cache_items);
  if (state.live != nullptr) {
    const std::shared_ptr<const LiveSnapshot> live = state.live->Snapshot();
    context.live_generation = live->generation;
    context.min_live_generation =
        live->OldestFresh(absl::Now(), absl::Milliseconds(state.config->live_result_cache_lag_ms));
  }
  return context;
}

std::function<absl::Duration(std::string_view model)> ModelBudgetsOf(std::shared_ptr<const ServerConfig> config) {
  return [config = std::move(config)](std::string_view model) {
    return absl::Milliseconds(config->BudgetMs(std::string(model)));
  };
}

UserServing ServingForUser(const ServingState& live, std::string_view user_id) {
  UserServing out{&live, nullptr};
  if (live.experiments == nullptr) return out;
  out.arm = &live.experiments->For(user_id);
  if (out.arm->state != nullptr) out.state = out.arm->state.get();
  return out;
}

absl::StatusOr<std::unique_ptr<ServingStateManager>> ServingStateManager::Create(const Options& options) {
  if (options.store == nullptr) return absl::InvalidArgumentError("ServingStateManager: store is required");
  auto manager = std::unique_ptr<ServingStateManager>(new ServingStateManager(options));
  auto state = manager->Build(nullptr);
  if (!state.ok()) return state.status();
  {
    absl::MutexLock lock(&manager->mu_);
    manager->state_ = *std::move(state);
  }
  manager->reloader_ = std::thread([m = manager.get()] { m->ReloadLoop(); });
  return manager;
}

ServingStateManager::~ServingStateManager() {
  stop_.Notify();
  if (reloader_.joinable()) reloader_.join();
  absl::MutexLock lock(&waiters_mu_);
  for (auto& done : waiters_) done(absl::UnavailableError("recd is shutting down; not reloaded"));
}

std::shared_ptr<const ServingState> ServingStateManager::Current() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

absl::StatusOr<std::shared_ptr<const ServingState>> ServingStateManager::Build(
    const ServingState* current) const {
  // Loading touches the file system and parses untrusted files: whatever it
  // throws (filesystem_error, bad_alloc from a corrupt size) rejects this
  // reload, never ends the process.
  try {
    return BuildUnchecked(current);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("loading ", options_.config_path, " failed: ", e.what()));
  }
}

absl::StatusOr<std::shared_ptr<const ServingState>> ServingStateManager::BuildUnchecked(
    const ServingState* current) const {
  auto config = ServerConfig::LoadFile(options_.config_path);
  if (!config.ok()) return config.status();
  if (current != nullptr) {
    if (auto s = current->config->CheckReloadable(*config); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(options_.config_path, ": ", s.message()));
    }
  }
  auto state = std::make_shared<ServingState>();
  state->config = std::make_shared<const ServerConfig>(ApplyShadowDecision(*std::move(config), *state));
  if (!state->config->auth_tokens_file.empty()) {
    auto auth = TokenAuthenticator::Load(state->config->auth_tokens_file);
    if (!auth.ok()) {
      return absl::Status(auth.status().code(), absl::StrCat("server.auth.tokens_file: ", auth.status().message()));
    }
    state->auth = *std::move(auth);
  }

  // models.path is a root of numbered versions (bundle_versions.h): serve
  // models.serve_version, or the newest one that loads, reusing what the
  // current state (or its shadow) has loaded when it is still that.
  state->bundle_fingerprint = BundleRootStamp(state->config->models_path);
  const ServingState* current_shadow = current != nullptr && current->shadow ? current->shadow->state.get() : nullptr;
  // The first load has the machine to itself; a reload shares it with the
  // requests being served.
  const int load_threads = current == nullptr ? UsableCores() : 1;
  if (auto s = LoadBundleParts(*state, state->config->serve_version, {current, current_shadow}, load_threads);
      !s.ok()) {
    return state->config->serve_version == 0 ? s : absl::Status(s.code(), absl::StrCat("models.serve_version: ", s.message()));
  }

  FusionConfig fusion = state->config->fusion ? *state->config->fusion : state->bundle->fusion();
  if (state->live != nullptr) WeighLiveModel(state->config->live_fusion_weight, fusion);
  if (auto s = CheckFusionMatchesBundle(fusion, *state->bundle); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(options_.config_path, ": ", s.message()));
  }
  state->pipeline = std::make_shared<const RankingPipeline>(state->bundle, fusion, state->candidates,
                                                            state->config->candidates.search);
  if (const auto& experiments = state->config->experiments) {
    auto arms = BuildExperimentArms(*experiments, *state, current);
    if (!arms.ok()) return absl::Status(arms.status().code(), absl::StrCat(options_.config_path, ": ", arms.status().message()));
    state->experiments = *std::move(arms);
  }
  if (state->config->shadow) {
    auto shadow = BuildShadow(*state, current);
    if (!shadow.ok()) return absl::Status(shadow.status().code(), absl::StrCat(options_.config_path, ": ", shadow.status().message()));
    state->shadow = *std::move(shadow);
  }
  spdlog::set_level(spdlog::level::from_str(state->config->log_level));
  UseJsonLogs(state->config->log_format == "json");
  return std::shared_ptr<const ServingState>(std::move(state));
}

absl::StatusOr<std::shared_ptr<const ServingState>> ServingStateManager::BuildCandidateState(
    const ServingState& live, int64_t bundle_version, const std::vector<const ServingState*>& reusable) const {
  auto state = std::make_shared<ServingState>();
  state->config = live.config;
  const int64_t number = bundle_version == kNewestBundleVersion ? 0
                         : bundle_version == 0                  ? live.bundle_version
                                                                : bundle_version;
  std::vector<const ServingState*> loaded = {&live};
  loaded.insert(loaded.end(), reusable.begin(), reusable.end());
  if (auto s = LoadBundleParts(*state, number, loaded); !s.ok()) return s;
  return std::shared_ptr<const ServingState>(std::move(state));
}

namespace {

// States an earlier build loaded for arms and the shadow, so a reload that
// keeps them does not read or index those bundles again.
std::vector<const ServingState*> CandidateStatesOf(const ServingState* current) {
  std::vector<const ServingState*> out;
  if (current == nullptr) return out;
  out.push_back(current);
  if (current->shadow) out.push_back(current->shadow->state.get());
  if (current->experiments) {
    for (const ExperimentArms::Arm& arm : current->experiments->arms()) {
      if (arm.state) out.push_back(arm.state.get());
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ExperimentArms>> ServingStateManager::BuildExperimentArms(
    const ExperimentConfig& config, const ServingState& live, const ServingState* current) const {
  std::vector<ExperimentArms::Arm> arms;
  std::vector<double> shares;
  for (const ExperimentConfig::Arm& arm : config.arms) shares.push_back(arm.share);
  const std::vector<int> ends = ArmEndBuckets(shares);
  for (size_t i = 0; i < config.arms.size(); ++i) {
    const ExperimentConfig::Arm& arm = config.arms[i];
    const std::string field = absl::StrCat("experiments.arms[", i, "]");
    ExperimentArms::Arm built;
    built.name = arm.name;
    built.end_bucket = ends[i];
    // An arm on another bundle version ranks with that bundle's state.
    const ServingState* ranked_on = &live;
    if (arm.bundle_version != 0) {
      auto state = BuildCandidateState(live, arm.bundle_version, CandidateStatesOf(current));
      if (!state.ok()) {
        return absl::Status(state.status().code(), absl::StrCat(field, ".bundle_version: ", state.status().message()));
      }
      if ((*state)->bundle != live.bundle) built.state = *std::move(state);
      if (built.state) ranked_on = built.state.get();
    }
    const FusionConfig& otherwise = built.state ? built.state->bundle->fusion() : live.pipeline->fusion();
    auto fusion = CandidateFusion(arm.fusion, arm.bundle_fusion, *ranked_on->bundle, otherwise, field);
    if (!fusion.ok()) return fusion.status();
    if (auto s = CheckFusionMatchesBundle(*fusion, *ranked_on->bundle); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(field, " (", arm.name, "): ", s.message()));
    }
    if (!arm.fusion && arm.bundle_fusion.empty() && !built.state) {
      built.pipeline = live.pipeline;  // the served profile on the served bundle
    } else {
      built.pipeline = std::make_shared<const RankingPipeline>(ranked_on->bundle, *fusion, ranked_on->candidates,
                                                               live.config->candidates.search);
    }
    if (built.state) {
      auto with_pipeline = std::make_shared<ServingState>(*built.state);
      with_pipeline->pipeline = built.pipeline;
      built.state = std::move(with_pipeline);
    }
    arms.push_back(std::move(built));
  }
  return std::make_shared<const ExperimentArms>(config.salt, std::move(arms));
}

ServerConfig ServingStateManager::ApplyShadowDecision(ServerConfig loaded, ServingState& state) const {
  absl::MutexLock lock(&decision_mu_);
  if (!decision_) return loaded;
  // A decision holds for the shadow it was made on; a config that names
  // another (or none) starts afresh.
  if (!loaded.shadow || loaded.shadow->name != decision_->name) {
    decision_.reset();
    return loaded;
  }
  if (decision_->promote) {
    loaded.fusion = decision_->fusion;
    if (decision_->bundle_version != 0) loaded.serve_version = decision_->bundle_version;
    state.promoted_shadow = decision_->name;
  } else {
    state.dropped_shadow = decision_->name;
  }
  loaded.shadow.reset();
  return loaded;
}

absl::Status ServingStateManager::LoadBundleParts(ServingState& state, int64_t number,
                                                  const std::vector<const ServingState*>& reusable,
                                                  int load_threads) const {
  std::vector<std::shared_ptr<const ModelBundle>> loaded;
  for (const ServingState* r : reusable) loaded.push_back(r != nullptr ? r->trained : nullptr);
  auto servable = SelectServableVersion(state.config->models_path, number, loaded, load_threads);
  if (!servable.ok()) return servable.status();
  state.trained = std::move(servable->bundle);
  state.bundle_version = servable->version.number;
  const CandidateBuildOptions& candidate_options = state.config->candidates.build;
  const ServingState* same = nullptr;
  for (const ServingState* r : reusable) {
    if (r != nullptr && r->trained == state.trained) same = r;
  }
  auto new_rows = NewCatalogRows(*state.trained, same != nullptr ? same->bundle.get() : nullptr, *options_.store,
                                 state.config->max_new_items);
  if (!new_rows.ok()) return new_rows.status();
  const auto served_items = static_cast<size_t>(state.trained->num_items()) + new_rows->size();
  if (same != nullptr && static_cast<size_t>(same->bundle->num_items()) == served_items) {
    state.bundle = same->bundle;
    state.live = same->live;
    state.catalog = same->catalog;
    state.similarity = same->similarity;
  } else {
    // A bundle loaded now starts its overlay empty: it was trained on the
    // events the last one's overlay learned from, or will be soon. New
    // catalog items keep the overlay of the bundle they extend.
    if (same != nullptr) {
      state.live = same->live;
    } else if (state.config->live_enabled) {
      state.live = std::make_shared<LiveItemStats>(state.trained->num_items() + state.config->max_new_items,
                                                   state.config->live, absl::Now());
    }
    state.bundle = WithNewCatalogItems(state.trained, *new_rows);
    if (state.live != nullptr) state.bundle = WithLiveOverlay(*state.bundle, state.live, state.config->live_weights);
    auto catalog = CatalogIndex::Build(state.bundle->items(), *options_.store);
    if (!catalog.ok()) return catalog.status();
    state.catalog = std::make_shared<const CatalogIndex>(*std::move(catalog));
    state.similarity = ItemSimilarity::ForBundle(*state.bundle);
  }
  // Retrieval indexes take long to build on a large catalog: keep them
  // across reloads that change neither the bundle nor their build options
  // (search-time settings go to the pipeline).
  if (same != nullptr && same->candidates->options() == candidate_options) {
    state.candidates = same->candidates;
  } else {
    auto candidates = CandidateStage::Build(state.bundle, candidate_options, load_threads);
    if (!candidates.ok()) return candidates.status();
    state.candidates = *std::move(candidates);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const ShadowTarget>> ServingStateManager::BuildShadow(const ServingState& live,
                                                                                   const ServingState* current) const {
  const ShadowConfig& config = *live.config->shadow;
  auto target = std::make_shared<ShadowTarget>();
  target->name = config.name;
  target->fraction = config.fraction;
  target->max_queue = config.max_queue;
  auto loaded = BuildCandidateState(live, config.bundle_version, CandidateStatesOf(current));
  if (!loaded.ok()) {
    return absl::Status(loaded.status().code(), absl::StrCat("shadow.bundle_version: ", loaded.status().message()));
  }
  auto state = std::make_shared<ServingState>(**loaded);
  target->bundle_version = state->bundle_version;
  target->own_bundle = state->bundle != live.bundle;
  auto fusion = CandidateFusion(config.fusion, config.bundle_fusion, *state->bundle,
                                target->own_bundle ? state->bundle->fusion() : live.pipeline->fusion(), "shadow");
  if (!fusion.ok()) return fusion.status();
  if (auto s = CheckFusionMatchesBundle(*fusion, *state->bundle); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("shadow (", config.name, "): ", s.message()));
  }
  state->pipeline = std::make_shared<const RankingPipeline>(state->bundle, *fusion, state->candidates,
                                                            live.config->candidates.search);
  target->state = std::move(state);
  return std::shared_ptr<const ShadowTarget>(std::move(target));
}

void ServingStateManager::DecideShadowAsync(const std::string& name, bool promote,
                                            std::function<void(absl::Status)> done) {
  const auto current = Current();
  if (current->shadow == nullptr || current->shadow->name != name) {
    done(absl::FailedPreconditionError(absl::StrCat(
        "name: no shadow '", name, "' is running (running: ",
        current->shadow ? absl::StrCat("'", current->shadow->name, "'") : std::string("none"), ")")));
    return;
  }
  {
    absl::MutexLock lock(&decision_mu_);
    ShadowDecision d;
    d.name = name;
    d.promote = promote;
    d.fusion = current->shadow->state->pipeline->fusion();
    d.bundle_version = current->shadow->own_bundle ? current->shadow->bundle_version : 0;
    decision_ = std::move(d);
  }
  ReloadAsync([this, name, promote, done = std::move(done)](absl::Status s) {
    // A decision that did not take leaves nothing behind for a later reload.
    if (!s.ok()) {
      absl::MutexLock lock(&decision_mu_);
      decision_.reset();
    }
    // A config that named another shadow in the meantime made it moot.
    const auto now = Current();
    if (s.ok() && (promote ? now->promoted_shadow : now->dropped_shadow) != name) {
      s = absl::AbortedError(absl::StrCat("name: the config no longer runs shadow '", name, "'; nothing changed"));
    }
    done(std::move(s));
  });
}

absl::Status ServingStateManager::Reload() {
  absl::MutexLock reload_lock(&reload_mu_);
  auto current = Current();
  auto next = Build(current.get());
  if (!next.ok()) {
    ++rejected_;
    spdlog::error("reload rejected, keeping config {} and bundle {}: {}", current->config->version,
                  current->bundle->version(), std::string(next.status().message()));
    return next.status();
  }
  std::function<void()> after_swap;
  if (options_.before_swap && (*next)->bundle != current->bundle) after_swap = options_.before_swap(*next);
  {
    absl::MutexLock lock(&mu_);
    state_ = *next;
  }
  retired_.push_back(std::move(current));
  if (after_swap) after_swap();
  ++reloads_;
  spdlog::info("reloaded: config {} bundle {}", (*next)->config->version, (*next)->bundle->version());
  return absl::OkStatus();
}

void ServingStateManager::FreeRetired() {
  absl::MutexLock lock(&reload_mu_);
  // use_count() == 1: only this list holds it, and nothing can take a new
  // reference to a state that is no longer current.
  std::erase_if(retired_, [](const std::shared_ptr<const ServingState>& s) { return s.use_count() == 1; });
}

void ServingStateManager::ReloadAsync(std::function<void(absl::Status)> done) {
  {
    absl::MutexLock lock(&waiters_mu_);
    waiters_.push_back(std::move(done));
  }
  reload_requested_.store(true);
}

void ServingStateManager::ReloadLoop() {
  // Reloads read, check and index whole bundles and warm caches: work that
  // should yield the cores to requests. Linux applies nice per thread.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  std::string config_stamp = FileStamp(options_.config_path);
  std::string bundle_stamp = Current()->bundle_fingerprint;
  // Short ticks so an admin reload starts promptly; the files are looked at
  // once per watch_interval.
  const absl::Duration tick = std::min(options_.watch_interval, absl::Milliseconds(20));
  absl::Time next_look = absl::Now() + options_.watch_interval;
  absl::Time trim_at = absl::InfiniteFuture();
  while (!stop_.WaitForNotificationWithTimeout(tick)) {
    FreeRetired();
    if (absl::Now() >= trim_at) {
      malloc_trim(0);
      trim_at = absl::InfiniteFuture();
    }
    bool changed = false;
    if (watching_.load() && absl::Now() >= next_look) {
      next_look = absl::Now() + options_.watch_interval;
      const std::string c = FileStamp(options_.config_path);
      const std::string b = BundleRootStamp(Current()->config->models_path);
      changed = c != config_stamp || b != bundle_stamp;
      // Whether or not the reload succeeds, wait for the next change before
      // trying again, so a broken file is reported once rather than every tick.
      config_stamp = c;
      bundle_stamp = b;
    }
    if (!reload_requested_.exchange(false) && !changed) continue;
    std::vector<std::function<void(absl::Status)>> waiters;
    {
      absl::MutexLock lock(&waiters_mu_);
      waiters.swap(waiters_);
    }
    const absl::Status status = Reload();
    for (auto& done : waiters) done(status);
    // The replaced bundle is freed once its last request is done, moments
    // later; hand the freed heap back to the system then, so RSS follows
    // the bundles.
    if (status.ok()) trim_at = absl::Now() + absl::Seconds(1);
  }
}

}  // namespace recd
