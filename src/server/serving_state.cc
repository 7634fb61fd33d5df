#include "server/serving_state.h"

#include <malloc.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "recd/bundle_versions.h"
#include "spdlog/spdlog.h"
#include "util/json_log_formatter.h"

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

// One pipeline per arm, on the state's bundle and retrieval indexes; an arm
// without a fusion profile shares the state's pipeline.
absl::StatusOr<std::shared_ptr<const ExperimentArms>> BuildExperimentArms(const ExperimentConfig& config,
                                                                         const ServingState& state) {
  std::vector<ExperimentArms::Arm> arms;
  std::vector<double> shares;
  for (const ExperimentConfig::Arm& arm : config.arms) shares.push_back(arm.share);
  const std::vector<int> ends = ArmEndBuckets(shares);
  for (size_t i = 0; i < config.arms.size(); ++i) {
    const ExperimentConfig::Arm& arm = config.arms[i];
    ExperimentArms::Arm built;
    built.name = arm.name;
    built.end_bucket = ends[i];
    std::optional<FusionConfig> fusion = arm.fusion;
    if (!arm.bundle_fusion.empty()) {
      auto shipped = FusionConfig::LoadFile(
          (std::filesystem::path(state.bundle->dir()) / BundleFusionProfileFile(arm.bundle_fusion)).string());
      if (!shipped.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("experiments.arms[", i, "].bundle_fusion (", arm.name,
                                                       "): ", shipped.status().message()));
      }
      fusion = *std::move(shipped);
    }
    if (fusion) {
      if (auto s = CheckFusionMatchesBundle(*fusion, *state.bundle); !s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("experiments.arms[", i, "] (", arm.name, "): ", s.message()));
      }
      built.pipeline = std::make_shared<const RankingPipeline>(state.bundle, *fusion, state.candidates,
                                                               state.config->candidates.search);
    } else {
      built.pipeline = state.pipeline;
    }
    arms.push_back(std::move(built));
  }
  return std::make_shared<const ExperimentArms>(config.salt, std::move(arms));
}

}  // namespace

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
  state->config = std::make_shared<const ServerConfig>(*std::move(config));
  if (!state->config->auth_tokens_file.empty()) {
    auto auth = TokenAuthenticator::Load(state->config->auth_tokens_file);
    if (!auth.ok()) {
      return absl::Status(auth.status().code(), absl::StrCat("server.auth.tokens_file: ", auth.status().message()));
    }
    state->auth = *std::move(auth);
  }

  // models.path is a root of numbered versions (bundle_versions.h): serve the
  // newest one that loads, reusing the current bundle when it is still that.
  const std::string fingerprint = BundleRootStamp(state->config->models_path);
  auto servable = NewestServableVersion(state->config->models_path,
                                        current != nullptr ? current->bundle : nullptr);
  if (!servable.ok()) return servable.status();
  if (current != nullptr && current->bundle == servable->bundle) {
    state->bundle = current->bundle;
    state->catalog = current->catalog;
    state->similarity = current->similarity;
  } else {
    state->bundle = std::move(servable->bundle);
    auto catalog = CatalogIndex::Build(state->bundle->items(), *options_.store);
    if (!catalog.ok()) return catalog.status();
    state->catalog = std::make_shared<const CatalogIndex>(*std::move(catalog));
    state->similarity = ItemSimilarity::ForBundle(*state->bundle);
  }
  state->bundle_fingerprint = fingerprint;

  // Retrieval indexes take long to build on a large catalog: keep them
  // across reloads that change neither the bundle nor their build options
  // (search-time settings go to the pipeline below).
  const CandidateBuildOptions& candidate_options = state->config->candidates.build;
  if (current != nullptr && current->bundle == state->bundle &&
      current->candidates->options() == candidate_options) {
    state->candidates = current->candidates;
  } else {
    auto candidates = CandidateStage::Build(state->bundle, candidate_options);
    if (!candidates.ok()) return candidates.status();
    state->candidates = *std::move(candidates);
  }

  const FusionConfig& fusion = state->config->fusion ? *state->config->fusion : state->bundle->fusion();
  if (auto s = CheckFusionMatchesBundle(fusion, *state->bundle); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(options_.config_path, ": ", s.message()));
  }
  state->pipeline = std::make_shared<const RankingPipeline>(state->bundle, fusion, state->candidates,
                                                            state->config->candidates.search);
  if (const auto& experiments = state->config->experiments) {
    auto arms = BuildExperimentArms(*experiments, *state);
    if (!arms.ok()) return absl::Status(arms.status().code(), absl::StrCat(options_.config_path, ": ", arms.status().message()));
    state->experiments = *std::move(arms);
  }
  spdlog::set_level(spdlog::level::from_str(state->config->log_level));
  UseJsonLogs(state->config->log_format == "json");
  return std::shared_ptr<const ServingState>(std::move(state));
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
