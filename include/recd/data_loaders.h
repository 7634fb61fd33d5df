#ifndef RECD_DATA_LOADERS_H_
#define RECD_DATA_LOADERS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "recd/dataset.h"

namespace recd {

// What a loader read and what it refused, so nothing is dropped silently.
struct LoadReport {
  int64_t lines = 0;                       // data lines seen (header excluded)
  int64_t loaded = 0;                      // records kept
  std::map<std::string, int64_t> skipped;  // reason -> count
  std::vector<std::string> examples;       // first few "file:line: reason"

  int64_t total_skipped() const;
  void Skip(const std::string& file, int64_t line, const std::string& reason);
  std::string Summary() const;  // one line for logs and CLI output
};

// The public Amazon benchmark format: `<Name>.txt` with one user per line,
// "user item item ..." in time order, and optionally
// `<Name>_item2attributes.json` mapping item -> [attribute ids]. Events get
// type kPurchase and their position as timestamp. Items are added to the id
// map in order of first appearance in the sequence file; attribute-only items
// are added after. A malformed line fails the load with file and line.
absl::StatusOr<Dataset> LoadAmazonSequences(const std::string& sequences_path,
                                            const std::string& attributes_path,
                                            LoadReport* report);

}  // namespace recd

#endif  // RECD_DATA_LOADERS_H_
