#ifndef RECD_DATA_EVENT_CSV_WRITER_H_
#define RECD_DATA_EVENT_CSV_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "recd/dataset.h"

namespace recd {

// Streams an interaction log "user_id,item_id,event,timestamp" in the format
// LoadInteractions reads, so a generator can write millions of rows without
// holding them. Output is buffered and written in large blocks.
// Not thread-safe; one writer per file.
class EventCsvWriter {
 public:
  // Creates or truncates `path` and writes the header.
  static absl::StatusOr<std::unique_ptr<EventCsvWriter>> Open(const std::string& path);
  ~EventCsvWriter();
  EventCsvWriter(const EventCsvWriter&) = delete;
  EventCsvWriter& operator=(const EventCsvWriter&) = delete;

  // Errors surface in the next Flush()/Close().
  void Add(std::string_view user, std::string_view item, EventType type, int64_t timestamp);
  // Writes out the buffer and closes the file; reports any write error.
  absl::Status Close();
  int64_t rows() const { return rows_; }

 private:
  EventCsvWriter(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}
  absl::Status Flush();

  std::string path_;
  std::FILE* file_;
  std::string buffer_;
  int64_t rows_ = 0;
  bool failed_ = false;
};

}  // namespace recd

#endif  // RECD_DATA_EVENT_CSV_WRITER_H_
