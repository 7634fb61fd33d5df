#include "recd/model_bundle.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "recd/content_hash.h"
#include "recd/model_dir.h"
#include "spdlog/spdlog.h"
#include "util/parallel_indexed.h"

namespace recd {

namespace fs = std::filesystem;

namespace {

// params.items_hash of a model's manifest, or "" when absent (bundles from
// before it was written, hand exports). The scorer has already parsed the
// manifest strictly; this only picks out the one field.
std::string ManifestItemsHash(const fs::path& model_dir) {
  std::ifstream in(model_dir / ModelDir::kManifestFile);
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return "";
  const auto params = doc.find("params");
  if (params == doc.end() || !params->is_object()) return "";
  const auto hash = params->find("items_hash");
  return hash != params->end() && hash->is_string() ? hash->get<std::string>() : "";
}

// Same item count is not enough: a model trained against another items.txt
// (reordered or with different ids) scores the wrong items silently.
absl::Status CheckItemsHash(const fs::path& model_dir, const std::string& items_hash) {
  const std::string expected = ManifestItemsHash(model_dir);
  if (expected.empty() || expected == items_hash) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(model_dir.string(), ": manifest params.items_hash is ", expected, " but ",
                   (model_dir.parent_path() / "items.txt").string(), " hashes to ", items_hash,
                   " (model trained against another item list)"));
}

// "3" for ROOT/3 and ROOT/3/: the directory's own name.
std::string DirName(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const ModelBundle>> ModelBundle::Load(const std::string& dir, int threads) {
  if (!fs::is_directory(dir)) return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  const std::string items_path = (fs::path(dir) / "items.txt").string();
  auto items = IdMap::Load(items_path);
  if (!items.ok()) return items.status();
  auto items_hash = HashFile(items_path);
  if (!items_hash.ok()) return items_hash.status();
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
  bundle->trained_items_ = bundle->items_.size();
  bundle->fusion_ = *std::move(fusion);
  for (const auto& md : model_dirs) {
    if (auto s = CheckItemsHash(md, *items_hash); !s.ok()) return s;
  }
  std::vector<absl::StatusOr<std::unique_ptr<Scorer>>> loaded(model_dirs.size());
  ForEachIndexInParallel(model_dirs.size(), threads, [&](size_t i) {
    const absl::Time start = absl::Now();
    // On a helper thread an exception (bad_alloc from a corrupt size, a
    // filesystem error) would end the process: it fails this model instead.
    try {
      loaded[i] = LoadScorer(model_dirs[i].string());
    } catch (const std::exception& e) {
      loaded[i] = absl::InternalError(absl::StrCat(model_dirs[i].string(), ": ", e.what()));
    }
    if (loaded[i].ok()) {
      spdlog::info("model {} loaded in {:.2f} s", model_dirs[i].filename().string(),
                   absl::ToDoubleSeconds(absl::Now() - start));
    }
  });
  for (size_t i = 0; i < model_dirs.size(); ++i) {
    const fs::path& md = model_dirs[i];
    absl::StatusOr<std::unique_ptr<Scorer>>& scorer = loaded[i];
    if (!scorer.ok()) return scorer.status();
    if ((*scorer)->num_items() != bundle->items_.size()) {
      return absl::FailedPreconditionError(
          absl::StrCat(md.string(), ": model has ", (*scorer)->num_items(), " items but ", dir,
                       "/items.txt has ", bundle->items_.size()));
    }
    bundle->scorers_.push_back(*std::move(scorer));
  }
  bundle->version_ = DirName(dir);
  if (!bundle->fusion_.version.empty()) absl::StrAppend(&bundle->version_, "+", bundle->fusion_.version);
  spdlog::info("loaded model bundle {} ({} models, {} items)", dir, bundle->scorers_.size(),
               bundle->items_.size());
  return std::shared_ptr<const ModelBundle>(std::move(bundle));
}

std::shared_ptr<const ModelBundle> ModelBundle::FromScorers(
    IdMap items, std::vector<std::unique_ptr<Scorer>> scorers, FusionConfig fusion) {
  auto bundle = std::shared_ptr<ModelBundle>(new ModelBundle());
  bundle->items_ = std::move(items);
  bundle->trained_items_ = bundle->items_.size();
  for (auto& scorer : scorers) bundle->scorers_.push_back(std::move(scorer));
  bundle->fusion_ = std::move(fusion);
  bundle->version_ = "in-memory";
  return bundle;
}

std::shared_ptr<const ModelBundle> ModelBundle::Derive(const ModelBundle& base, IdMap items,
                                                     std::vector<std::shared_ptr<const Scorer>> scorers) {
  auto bundle = std::shared_ptr<ModelBundle>(new ModelBundle());
  bundle->dir_ = base.dir_;
  bundle->version_ = base.version_;
  bundle->items_ = std::move(items);
  bundle->trained_items_ = base.trained_items_;
  bundle->fusion_ = base.fusion_;
  bundle->scorers_ = std::move(scorers);
  return bundle;
}

const Scorer* ModelBundle::Find(std::string_view name) const {
  for (const auto& s : scorers_) {
    if (s->name() == name) return s.get();
  }
  return nullptr;
}

}  // namespace recd
