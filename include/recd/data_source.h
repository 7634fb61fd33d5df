#ifndef RECD_DATA_SOURCE_H_
#define RECD_DATA_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "recd/data_loaders.h"
#include "recd/dataset.h"

namespace recd {

// Where the tools read interactions from: either the Amazon benchmark pair
// `<prefix>.txt` + `<prefix>_item2attributes.json`, or an event log with an
// optional catalog.
struct DataSource {
  std::string amazon_prefix;  // e.g. ../shared/data/amazon-beauty/Beauty
  std::string events_path;    // user_id,item_id,event,timestamp CSV
  std::string catalog_path;   // .csv or .jsonl; optional
  // A RocksDB feature store directory (recd's store.path): its catalog and
  // every stored history, read as a secondary instance, so recd may keep
  // serving from it meanwhile. Each history holds at most the store's
  // max_history newest events.
  std::string store_path;
  bool strict = false;        // fail on the first bad line
};

// Loads the source; `summary` (optional) receives one line per file read.
absl::StatusOr<Dataset> LoadDataSource(const DataSource& source, std::string* summary);

// A stable hash of a data source's files, recorded in model manifests.
// InvalidArgument for a store, which changes while recd serves from it:
// hash what was read from it instead (DatasetHash).
absl::StatusOr<std::string> DataSourceHash(const DataSource& source);

// A stable hash of the dataset's ids, catalog order and events.
std::string DatasetHash(const Dataset& data);

}  // namespace recd

#endif  // RECD_DATA_SOURCE_H_
