#include "recd/model_bundle.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace recd {

namespace fs = std::filesystem;

absl::StatusOr<std::shared_ptr<const ModelBundle>> ModelBundle::Load(const std::string& dir) {
  if (!fs::is_directory(dir)) return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  auto items = IdMap::Load((fs::path(dir) / "items.txt").string());
  if (!items.ok()) return items.status();
  auto fusion = FusionConfig::LoadFile((fs::path(dir) / "fusion.yaml").string());
  if (!fusion.ok()) return fusion.status();

  std::vector<fs::path> model_dirs;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory() && fs::exists(entry.path() / "manifest.json")) {
      model_dirs.push_back(entry.path());
    }
  }
  std::sort(model_dirs.begin(), model_dirs.end());
  if (model_dirs.empty()) return absl::NotFoundError(absl::StrCat(dir, ": no model directories"));

  auto bundle = std::shared_ptr<ModelBundle>(new ModelBundle());
  bundle->dir_ = dir;
  bundle->items_ = *std::move(items);
  bundle->fusion_ = *std::move(fusion);
  for (const auto& md : model_dirs) {
    auto scorer = LoadScorer(md.string());
    if (!scorer.ok()) return scorer.status();
    if ((*scorer)->num_items() != bundle->items_.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat(md.string(), ": model has ", (*scorer)->num_items(), " items but ", dir,
                       "/items.txt has ", bundle->items_.size()));
    }
    bundle->scorers_.push_back(*std::move(scorer));
  }
  bundle->version_ = fs::path(dir).filename().string();
  if (!bundle->fusion_.version.empty()) absl::StrAppend(&bundle->version_, "+", bundle->fusion_.version);
  spdlog::info("loaded model bundle {} ({} models, {} items)", dir, bundle->scorers_.size(),
               bundle->items_.size());
  return std::shared_ptr<const ModelBundle>(std::move(bundle));
}

std::shared_ptr<const ModelBundle> ModelBundle::FromScorers(
    IdMap items, std::vector<std::unique_ptr<Scorer>> scorers, FusionConfig fusion) {
  auto bundle = std::shared_ptr<ModelBundle>(new ModelBundle());
  bundle->items_ = std::move(items);
  bundle->scorers_ = std::move(scorers);
  bundle->fusion_ = std::move(fusion);
  bundle->version_ = "in-memory";
  return bundle;
}

const Scorer* ModelBundle::Find(std::string_view name) const {
  for (const auto& s : scorers_) {
    if (s->name() == name) return s.get();
  }
  return nullptr;
}

}  // namespace recd
