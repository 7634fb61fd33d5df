#include "data/csv.h"

namespace recd {

absl::Status SplitCsvLine(std::string_view line, std::vector<std::string>* fields) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t n = 0;  // fields in use; the vector only grows, to keep capacity
  size_t i = 0;
  while (true) {
    if (n == fields->size()) fields->emplace_back();
    std::string& f = (*fields)[n++];
    f.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        const size_t q = line.find('"', i);
        if (q == std::string_view::npos) {
          fields->resize(n);
          return absl::InvalidArgumentError("unterminated quote");
        }
        f.append(line.substr(i, q - i));
        if (q + 1 < line.size() && line[q + 1] == '"') {
          f.push_back('"');
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      if (i < line.size() && line[i] != ',') {
        fields->resize(n);
        return absl::InvalidArgumentError("text after closing quote");
      }
    } else {
      const size_t comma = line.find(',', i);
      const size_t end = comma == std::string_view::npos ? line.size() : comma;
      f.append(line.substr(i, end - i));
      i = end;
    }
    if (i >= line.size()) break;
    ++i;  // the comma; a trailing comma means one more empty field
  }
  fields->resize(n);
  return absl::OkStatus();
}

void AppendCsvField(std::string_view field, std::string* out) {
  const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!field.empty() && (field.front() == ' ' || field.back() == ' '));
  if (!quote) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace recd
