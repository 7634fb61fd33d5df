#ifndef RECD_DATA_LOADERS_H_
#define RECD_DATA_LOADERS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
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

// How loaders treat bad lines.
struct LoadOptions {
  // false (default): a bad line is skipped and counted by reason in the
  // LoadReport. true: the first bad line fails the load with
  // "file:line: reason". Structural problems (missing file, empty file, bad
  // header) fail the load either way.
  bool strict = false;
  // LoadInteractions calls it with the bytes read since its last call, every
  // kProgressLines lines and at the end, for a progress display
  // (recd-ingest). Default none.
  std::function<void(int64_t bytes)> on_bytes;
  static constexpr int64_t kProgressLines = 8192;
};

// "view", "cart", "purchase": the names used in event files.
std::string_view EventTypeName(EventType type);
// Case-insensitive inverse of EventTypeName; nullopt for anything else.
std::optional<EventType> ParseEventType(std::string_view name);

// Interaction log: CSV with a header naming the columns user_id, item_id,
// event, timestamp in any order (exactly those; an unknown or missing column
// fails with "file:1: ..." naming it). Fields may be double-quoted ("" is a
// quote; commas inside quotes are kept); a record is one line. event is
// view|cart|purchase in any case; timestamp is integer seconds since the
// epoch or ISO-8601 UTC ("2024-05-01T12:00:00Z", optional fraction, a
// +hh:mm offset, or no zone meaning UTC). Blank lines are ignored.
//
// Loads into `*data`, so interactions share the item ids of a catalog loaded
// before (LoadCatalog) and vice versa: unseen users and items are appended to
// the id maps, item_info grows to match with empty entries, events append to
// existing histories. Every history is then stably sorted by timestamp, so
// events with equal timestamps keep their file order. Fails on an empty file
// or when no event was loaded. On failure `*data` may hold part of the file;
// discard it. `report` may be null.
absl::Status LoadInteractions(const std::string& path, const LoadOptions& options, Dataset* data,
                              LoadReport* report);
// The same into a fresh Dataset (user and item ids in order of first
// appearance in the file).
absl::StatusOr<Dataset> LoadInteractions(const std::string& path, const LoadOptions& options,
                                         LoadReport* report);

// Item catalog, format chosen by extension:
//  .csv   header with item_id (required) and any of title, category, brand,
//         price, in_stock; every other column becomes a free attribute
//         "column=value" (empty values are left out). category is a path
//         split on '>' if it contains one, else on '/', parts trimmed.
//  .jsonl one object per line with item_id (string or integer) and
//         optionally title, category (path string as above, or array of
//         strings), brand, price (number or null), in_stock (bool),
//         attributes (array of scalars -> tokens, or object -> "key=value").
// price empty/absent -> NaN; in_stock empty/absent -> true (also accepts
// 1/0, yes/no, true/false in any case). Unknown items are appended to
// data->items; known ones (e.g. from a log loaded before) get their info
// filled in. A bad line (including an item_id seen twice in the file) is
// skipped and counted, or with options.strict fails as "file:line: reason".
absl::Status LoadCatalog(const std::string& path, Dataset* data, LoadReport* report,
                         const LoadOptions& options = {});

// Writes every history as "user_id,item_id,event,timestamp" with integer
// timestamps, users in id order, each history in its stored order. Fields
// are quoted when they need it, so LoadInteractions reads the file back.
absl::Status WriteInteractionsCsv(const Dataset& data, const std::string& path);
// Writes one JSON object per item in id order with the fields LoadCatalog
// reads (category as an array, price omitted when NaN, attributes as array).
absl::Status WriteCatalogJsonl(const Dataset& data, const std::string& path);

}  // namespace recd

#endif  // RECD_DATA_LOADERS_H_
