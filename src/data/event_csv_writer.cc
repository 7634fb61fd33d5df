#include "data/event_csv_writer.h"

#include "absl/strings/str_cat.h"
#include "data/csv.h"
#include "data/string_util.h"
#include "recd/data_loaders.h"

namespace recd {
namespace {
constexpr size_t kFlushBytes = 1 << 20;
}

absl::StatusOr<std::unique_ptr<EventCsvWriter>> EventCsvWriter::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return absl::InternalError(absl::StrCat(path, ": cannot open for writing"));
  }
  std::unique_ptr<EventCsvWriter> writer(new EventCsvWriter(path, file));
  writer->buffer_.reserve(kFlushBytes + 256);
  writer->buffer_ = "user_id,item_id,event,timestamp\n";
  return writer;
}

EventCsvWriter::~EventCsvWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void EventCsvWriter::Add(std::string_view user, std::string_view item, EventType type,
                         int64_t timestamp) {
  AppendCsvField(user, &buffer_);
  buffer_.push_back(',');
  AppendCsvField(item, &buffer_);
  absl::StrAppend(&buffer_, ",", ToAbsl(EventTypeName(type)), ",", timestamp, "\n");
  ++rows_;
  if (buffer_.size() >= kFlushBytes) failed_ |= !Flush().ok();
}

absl::Status EventCsvWriter::Flush() {
  if (file_ == nullptr) return absl::FailedPreconditionError(absl::StrCat(path_, ": closed"));
  if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
    failed_ = true;
  }
  buffer_.clear();
  if (failed_) return absl::InternalError(absl::StrCat(path_, ": write failed"));
  return absl::OkStatus();
}

absl::Status EventCsvWriter::Close() {
  absl::Status s = Flush();
  if (file_ != nullptr && std::fclose(file_) != 0 && s.ok()) {
    s = absl::InternalError(absl::StrCat(path_, ": close failed"));
  }
  file_ = nullptr;
  return s;
}

}  // namespace recd
