#include "server/server_config.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "recd/content_hash.h"
#include "yaml-cpp/yaml.h"

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

#define RECD_RETURN_IF_ERROR(expr)          \
  do {                                      \
    if (absl::Status _s = (expr); !_s.ok()) \
      return _s;                            \
  } while (0)

absl::StatusOr<ServerConfig> ParseRoot(const YAML::Node& root, const std::string& base_dir) {
  ServerConfig c;
  RECD_RETURN_IF_ERROR(CheckKeys(root, "config", {"server", "store", "models", "fusion", "rules", "candidates", "logging"}));
  if (const YAML::Node s = root["server"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "server", {"listen", "threads", "default_deadline_ms", "max_k", "max_ids_per_request"}));
    RECD_RETURN_IF_ERROR(Read(s, "listen", "server.listen", c.listen));
    if (c.listen.find(':') == std::string::npos) {
      return absl::InvalidArgumentError("server.listen: must be HOST:PORT");
    }
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "threads", "server.threads", 0, c.threads));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "default_deadline_ms", "server.default_deadline_ms", 1, c.default_deadline_ms));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "max_k", "server.max_k", 1, c.max_k));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "max_ids_per_request", "server.max_ids_per_request", 1, c.max_ids_per_request));
  }
  if (const YAML::Node s = root["store"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "store", {"path", "history_length", "history_cache_entries", "write_queue_batches", "seed_catalog",
                                          "seed_events"}));
    RECD_RETURN_IF_ERROR(Read(s, "path", "store.path", c.store_path));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "history_length", "store.history_length", 1, c.history_length));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "history_cache_entries", "store.history_cache_entries", 0, c.history_cache_entries));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "write_queue_batches", "store.write_queue_batches", 1,
                                              c.write_queue_batches));
    RECD_RETURN_IF_ERROR(Read(s, "seed_catalog", "store.seed_catalog", c.seed_catalog));
    RECD_RETURN_IF_ERROR(Read(s, "seed_events", "store.seed_events", c.seed_events));
  }
  if (const YAML::Node s = root["models"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "models", {"path", "budget_ms", "budget_overrides_ms", "state_cache_entries"}));
    RECD_RETURN_IF_ERROR(Read(s, "path", "models.path", c.models_path));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "budget_ms", "models.budget_ms", 1, c.model_budget_ms));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "state_cache_entries", "models.state_cache_entries", 0,
                                              c.state_cache_entries));
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
  if (const YAML::Node s = root["rules"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "rules", {"exclude_seen", "exclude_purchased", "diversity_max_per_category"}));
    RECD_RETURN_IF_ERROR(Read(s, "exclude_seen", "rules.exclude_seen", c.exclude_seen));
    RECD_RETURN_IF_ERROR(Read(s, "exclude_purchased", "rules.exclude_purchased", c.exclude_purchased));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "diversity_max_per_category", "rules.diversity_max_per_category", 0, c.diversity_max_per_category));
  }
  if (const YAML::Node s = root["candidates"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "candidates", {"full_scan_max_items", "per_source", "ann", "ann_ef_search"}));
    RECD_RETURN_IF_ERROR(ReadAtLeast<int64_t>(s, "full_scan_max_items", "candidates.full_scan_max_items", 0, c.candidates.full_scan_max_items));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "per_source", "candidates.per_source", 1, c.candidates.per_source));
    RECD_RETURN_IF_ERROR(Read(s, "ann", "candidates.ann", c.candidates.ann));
    RECD_RETURN_IF_ERROR(ReadAtLeast(s, "ann_ef_search", "candidates.ann_ef_search", 1, c.candidates.ann_ef_search));
  }
  if (const YAML::Node s = root["logging"]) {
    RECD_RETURN_IF_ERROR(CheckKeys(s, "logging", {"level"}));
    RECD_RETURN_IF_ERROR(Read(s, "level", "logging.level", c.log_level));
    static const std::set<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (!kLevels.count(c.log_level)) {
      return absl::InvalidArgumentError(absl::StrCat("logging.level: unknown level '", c.log_level, "'"));
    }
  }
  c.store_path = Resolve(base_dir, c.store_path);
  c.models_path = Resolve(base_dir, c.models_path);
  c.seed_catalog = Resolve(base_dir, c.seed_catalog);
  c.seed_events = Resolve(base_dir, c.seed_events);
  return c;
}

}  // namespace

int64_t ServerConfig::BudgetMs(const std::string& model) const {
  auto it = model_budget_overrides.find(model);
  return it == model_budget_overrides.end() ? model_budget_ms : it->second;
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
