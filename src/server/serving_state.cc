#include "server/serving_state.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "recd/bundle_versions.h"
#include "spdlog/spdlog.h"

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

}  // namespace

std::string BundleFingerprint(const std::string& dir) {
  std::string out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) AppendStamp(f, out);
  return out;
}

absl::StatusOr<std::unique_ptr<ServingStateManager>> ServingStateManager::Create(const Options& options) {
  if (options.store == nullptr) return absl::InvalidArgumentError("ServingStateManager: store is required");
  auto manager = std::unique_ptr<ServingStateManager>(new ServingStateManager(options));
  auto state = manager->Build(nullptr);
  if (!state.ok()) return state.status();
  absl::MutexLock lock(&manager->mu_);
  manager->state_ = *std::move(state);
  return manager;
}

ServingStateManager::~ServingStateManager() {
  stop_.Notify();
  if (watcher_.joinable()) watcher_.join();
}

std::shared_ptr<const ServingState> ServingStateManager::Current() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

absl::StatusOr<std::shared_ptr<const ServingState>> ServingStateManager::Build(
    const ServingState* current) const {
  auto config = ServerConfig::LoadFile(options_.config_path);
  if (!config.ok()) return config.status();
  auto state = std::make_shared<ServingState>();
  state->config = std::make_shared<const ServerConfig>(*std::move(config));

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
  // across reloads that change neither the bundle nor their options.
  const CandidateOptions candidate_options = state->config->candidates;
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
  state->pipeline = std::make_shared<const RankingPipeline>(state->bundle, fusion, state->candidates);
  spdlog::set_level(spdlog::level::from_str(state->config->log_level));
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
  {
    absl::MutexLock lock(&mu_);
    state_ = *next;
  }
  ++reloads_;
  spdlog::info("reloaded: config {} bundle {}", (*next)->config->version, (*next)->bundle->version());
  return absl::OkStatus();
}

void ServingStateManager::StartWatching() {
  watcher_ = std::thread([this] { WatchLoop(); });
}

void ServingStateManager::WatchLoop() {
  std::string config_stamp = FileStamp(options_.config_path);
  std::string bundle_stamp = Current()->bundle_fingerprint;
  while (!stop_.WaitForNotificationWithTimeout(options_.watch_interval)) {
    const std::string c = FileStamp(options_.config_path);
    const std::string b = BundleRootStamp(Current()->config->models_path);
    const bool requested = reload_requested_.exchange(false);
    if (!requested && c == config_stamp && b == bundle_stamp) continue;
    // Whether or not the reload succeeds, wait for the next change before
    // trying again, so a broken file is reported once rather than every tick.
    config_stamp = c;
    bundle_stamp = b;
    (void)Reload();
  }
}

}  // namespace recd
