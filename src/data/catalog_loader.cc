// LoadCatalog: item catalogs as CSV or JSON lines (see recd/data_loaders.h).

#include <cmath>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "data/csv.h"
#include "data/line_error.h"
#include "data/string_util.h"
#include "nlohmann/json.hpp"
#include "recd/data_loaders.h"

namespace recd {
namespace {

using json = nlohmann::json;

// One parsed catalog line, applied to the Dataset only once it is whole so a
// skipped line leaves no trace.
struct CatalogRow {
  std::string item_id;
  ItemInfo info;
};

std::vector<std::string> ParseCategoryPath(std::string_view text) {
  const char sep = text.find('>') != std::string_view::npos ? '>' : '/';
  std::vector<std::string> path;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find(sep, begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view part = StripWhitespace(text.substr(begin, end - begin));
    if (!part.empty()) path.emplace_back(part);
    begin = end + 1;
  }
  return path;
}

std::optional<float> ParsePrice(std::string_view text) {
  float v;
  if (!absl::SimpleAtof(ToAbsl(text), &v) || !std::isfinite(v) || v < 0) return std::nullopt;
  return v;
}

std::optional<bool> ParseBool(std::string_view text) {
  for (std::string_view t : {"true", "1", "yes", "y"}) {
    if (EqualsIgnoreCase(text, t)) return true;
  }
  for (std::string_view f : {"false", "0", "no", "n"}) {
    if (EqualsIgnoreCase(text, f)) return false;
  }
  return std::nullopt;
}

// Reads catalog lines of one format; Parse fills a row or names the problem.
class LineParser {
 public:
  virtual ~LineParser() = default;
  // Called with the first non-blank line; CSV reads its header here.
  virtual absl::Status Start(const std::string& path, int64_t line_no,
                             std::string_view first_line, bool* consumed) = 0;
  virtual std::optional<LineError> Parse(std::string_view line, CatalogRow* row) = 0;
};

class CsvCatalogParser : public LineParser {
 public:
  absl::Status Start(const std::string& path, int64_t line_no, std::string_view header,
                     bool* consumed) override {
    *consumed = true;
    const std::string at = absl::StrCat(path, ":", line_no, ": ");
    std::vector<std::string> names;
    if (auto s = SplitCsvLine(header, &names); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(at, s.message()));
    }
    for (size_t i = 0; i < names.size(); ++i) {
      std::string name(StripWhitespace(names[i]));
      if (i == 0 && name.starts_with("\xEF\xBB\xBF")) name.erase(0, 3);
      if (name.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(at, "column ", i + 1, " has no name"));
      }
      for (const auto& seen : columns_) {
        if (EqualsIgnoreCase(seen, name)) {
          return absl::InvalidArgumentError(absl::StrCat(at, "duplicate column '", name, "'"));
        }
      }
      const std::string lower = absl::AsciiStrToLower(ToAbsl(name));
      int* known = lower == "item_id"    ? &item_id_
                   : lower == "title"    ? &title_
                   : lower == "category" ? &category_
                   : lower == "brand"    ? &brand_
                   : lower == "price"    ? &price_
                   : lower == "in_stock" ? &in_stock_
                                         : nullptr;
      if (known != nullptr) *known = static_cast<int>(i);
      columns_.push_back(std::move(name));
    }
    if (item_id_ < 0) {
      return absl::InvalidArgumentError(absl::StrCat(at, "missing column 'item_id'"));
    }
    return absl::OkStatus();
  }

  std::optional<LineError> Parse(std::string_view line, CatalogRow* row) override {
    if (auto s = SplitCsvLine(line, &fields_); !s.ok()) {
      return LineError{std::string(s.message()), ""};
    }
    if (fields_.size() != columns_.size()) {
      return LineError{"wrong field count",
                       absl::StrCat(" (", fields_.size(), ", expected ", columns_.size(), ")")};
    }
    auto field = [&](int i) -> std::string_view {
      return i < 0 ? std::string_view() : StripWhitespace(fields_[i]);
    };
    row->item_id = std::string(field(item_id_));
    if (row->item_id.empty()) return LineError{"empty item_id", ""};
    ItemInfo& info = row->info;
    info.title = std::string(field(title_));
    info.category_path = ParseCategoryPath(field(category_));
    info.brand = std::string(field(brand_));
    if (!field(price_).empty()) {
      const auto price = ParsePrice(field(price_));
      if (!price) return LineError{"bad price", absl::StrCat(" '", ToAbsl(field(price_)), "'")};
      info.price = *price;
    }
    if (!field(in_stock_).empty()) {
      const auto in_stock = ParseBool(field(in_stock_));
      if (!in_stock) return LineError{"bad in_stock", absl::StrCat(" '", ToAbsl(field(in_stock_)), "'")};
      info.in_stock = *in_stock;
    }
    for (size_t i = 0; i < columns_.size(); ++i) {
      const int c = static_cast<int>(i);
      if (c == item_id_ || c == title_ || c == category_ || c == brand_ || c == price_ ||
          c == in_stock_ || field(c).empty()) {
        continue;
      }
      info.attributes.push_back(absl::StrCat(columns_[i], "=", ToAbsl(field(c))));
    }
    return std::nullopt;
  }

 private:
  std::vector<std::string> columns_;
  std::vector<std::string> fields_;
  int item_id_ = -1, title_ = -1, category_ = -1, brand_ = -1, price_ = -1, in_stock_ = -1;
};

// A JSON scalar as an attribute token; nullopt for arrays and objects.
std::optional<std::string> ScalarToken(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return v.dump();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return std::nullopt;
}

class JsonlCatalogParser : public LineParser {
 public:
  absl::Status Start(const std::string&, int64_t, std::string_view, bool* consumed) override {
    *consumed = false;
    return absl::OkStatus();
  }

  std::optional<LineError> Parse(std::string_view line, CatalogRow* row) override {
    const json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return LineError{"invalid JSON", ""};
    if (!doc.is_object()) return LineError{"not a JSON object", ""};
    const auto id = doc.find("item_id");
    if (id == doc.end()) return LineError{"missing item_id", ""};
    if (id->is_string()) {
      row->item_id = std::string(StripWhitespace(id->get<std::string>()));
    } else if (id->is_number_integer()) {
      row->item_id = std::to_string(id->get<int64_t>());
    } else {
      return LineError{"bad item_id", " (must be a string or integer)"};
    }
    if (row->item_id.empty()) return LineError{"empty item_id", ""};
    ItemInfo& info = row->info;
    for (const auto& [key, value] : doc.items()) {
      if (key == "item_id" || value.is_null()) continue;
      if (key == "title" || key == "brand") {
        if (!value.is_string()) return LineError{absl::StrCat("bad ", key), " (must be a string)"};
        (key == "title" ? info.title : info.brand) = value.get<std::string>();
      } else if (key == "category") {
        if (value.is_string()) {
          info.category_path = ParseCategoryPath(value.get<std::string>());
        } else if (value.is_array()) {
          for (const auto& part : value) {
            if (!part.is_string()) return LineError{"bad category", " (array of non-strings)"};
            info.category_path.push_back(part.get<std::string>());
          }
        } else {
          return LineError{"bad category", " (must be a string or an array)"};
        }
      } else if (key == "price") {
        if (!value.is_number() || !std::isfinite(value.get<double>()) ||
            value.get<double>() < 0) {
          return LineError{"bad price", absl::StrCat(" (", value.dump(), ")")};
        }
        info.price = value.get<float>();
      } else if (key == "in_stock") {
        if (!value.is_boolean()) return LineError{"bad in_stock", " (must be true or false)"};
        info.in_stock = value.get<bool>();
      } else if (key == "attributes") {
        if (auto error = ParseAttributes(value, &info.attributes)) return error;
      }
      // Other keys are tolerated so catalogs can carry fields we do not use.
    }
    return std::nullopt;
  }

 private:
  static std::optional<LineError> ParseAttributes(const json& value,
                                                  std::vector<std::string>* out) {
    if (value.is_array()) {
      for (const auto& a : value) {
        auto token = ScalarToken(a);
        if (!token) return LineError{"bad attributes", " (array of non-scalars)"};
        out->push_back(std::move(*token));
      }
    } else if (value.is_object()) {
      for (const auto& [k, v] : value.items()) {
        auto token = ScalarToken(v);
        if (!token) return LineError{"bad attributes", absl::StrCat(" ('", k, "' is not scalar)")};
        out->push_back(absl::StrCat(k, "=", *token));
      }
    } else {
      return LineError{"bad attributes", " (must be an array or an object)"};
    }
    return std::nullopt;
  }
};

}  // namespace

absl::Status LoadCatalog(const std::string& path, Dataset* data, LoadReport* report,
                         const LoadOptions& options) {
  std::unique_ptr<LineParser> parser;
  const auto ends_with = [&](std::string_view ext) {
    return path.size() >= ext.size() &&
           EqualsIgnoreCase(std::string_view(path).substr(path.size() - ext.size()), ext);
  };
  if (ends_with(".csv")) {
    parser = std::make_unique<CsvCatalogParser>();
  } else if (ends_with(".jsonl")) {
    parser = std::make_unique<JsonlCatalogParser>();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unknown catalog format (expected a .csv or .jsonl file)"));
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  LoadReport local;
  if (report == nullptr) report = &local;

  std::vector<bool> seen(static_cast<size_t>(data->items.size()), false);
  std::string line;
  int64_t line_no = 0;
  int64_t loaded = 0;
  bool started = false;
  CatalogRow row;
  while (std::getline(in, line)) {
    ++line_no;
    if (StripWhitespace(line).empty()) continue;
    if (!started) {
      started = true;
      bool consumed = false;
      if (auto s = parser->Start(path, line_no, line, &consumed); !s.ok()) return s;
      if (consumed) continue;
    }
    ++report->lines;
    row = CatalogRow();
    std::optional<LineError> error = parser->Parse(line, &row);
    if (!error) {
      const auto existing = data->items.Find(row.item_id);
      if (existing && static_cast<size_t>(*existing) < seen.size() && seen[*existing]) {
        error = LineError{"duplicate item_id", absl::StrCat(" '", row.item_id, "'")};
      }
    }
    if (error) {
      if (options.strict) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ":", line_no, ": ", error->reason, error->detail));
      }
      report->Skip(path, line_no, error->reason);
      continue;
    }
    const size_t id = static_cast<size_t>(data->items.GetOrAdd(row.item_id));
    if (id >= seen.size()) seen.resize(id + 1, false);
    seen[id] = true;
    if (id >= data->item_info.size()) data->item_info.resize(id + 1);
    data->item_info[id] = std::move(row.info);
    ++loaded;
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ":", line_no, ": read error"));
  data->item_info.resize(static_cast<size_t>(data->items.size()));
  report->loaded += loaded;
  if (!started) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  if (loaded == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": no items loaded (", report->Summary(), ")"));
  }
  return absl::OkStatus();
}

}  // namespace recd
