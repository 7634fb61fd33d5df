// Fuzzes the config parser and validator: ServerConfig::Parse on arbitrary
// YAML (every section, fusion included), then what a reload does with a
// config that parsed (CheckReloadable against the defaults). The same bytes
// are also read as a bundle's fusion.yaml (FusionConfig::LoadFile). Any
// fusion config that validates must survive ToYaml -> parse, since
// recd-train writes fusion.yaml that way.

#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "recd/fusion_config.h"
#include "server/server_config.h"
#include "yaml-cpp/yaml.h"

namespace {

void CheckRoundTrip(const recd::FusionConfig& fusion) {
  (void)fusion.WeightsFor(0);
  (void)fusion.WeightsFor(INT64_MAX);
  const std::string text = fusion.ToYaml();
  absl::StatusOr<recd::FusionConfig> again;
  try {
    again = recd::FusionConfig::FromYaml(YAML::Load(text)["fusion"]);
  } catch (const YAML::Exception&) {
    __builtin_trap();  // ToYaml wrote YAML its own parser rejects
  }
  if (!again.ok() || again->weights.size() != fusion.weights.size() ||
      again->segments.size() != fusion.segments.size()) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(recd::fuzz::AsView(data, size));
  if (auto config = recd::ServerConfig::Parse(text, "/etc/recd"); config.ok()) {
    (void)recd::ServerConfig().CheckReloadable(*config);
    (void)config->BudgetMs("mf");
    if (config->fusion) CheckRoundTrip(*config->fusion);
  }
  const std::string path = recd::fuzz::WriteTempFile("fusion.yaml", text);
  if (auto fusion = recd::FusionConfig::LoadFile(path); fusion.ok()) CheckRoundTrip(*fusion);
  return 0;
}
