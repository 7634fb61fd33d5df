#ifndef RECD_STORE_VALUE_CODEC_H_
#define RECD_STORE_VALUE_CODEC_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "recd/feature_store.h"

namespace recd {

// Binary encodings of the feature store's values. The byte layouts are
// documented in rocksdb_feature_store.h. Every value starts with a format
// version byte so a future layout can be read next to this one; decoders
// reject versions they do not know.
//
// Decoders never trust their input: a truncated value, a length running past
// the end, an unknown event type or trailing bytes all give DataLoss with a
// short description (the caller adds the table and key). Pure functions;
// thread-safe.

inline constexpr uint8_t kHistoryFormatV1 = 1;
inline constexpr uint8_t kHistoryFormatV2 = 2;  // v1 with applied request ids
inline constexpr uint8_t kItemFormatV1 = 1;
inline constexpr uint8_t kBlobFormatV1 = 1;

// Histories: v1 for events alone, v2 when applied request ids are kept too.
// DecodeHistory reads both and sets `known`.
void EncodeHistory(std::span<const StoredEvent> events, std::string* out);
void EncodeHistory(const StoredHistory& history, std::string* out);
absl::StatusOr<StoredHistory> DecodeHistory(std::string_view value);

// The item id is the key, so it is not part of the value.
void EncodeItemInfo(const ItemInfo& info, std::string* out);
absl::StatusOr<ItemInfo> DecodeItemInfo(std::string_view value);

// Profiles and metadata: a version byte, then the bytes as given.
void EncodeBlob(std::string_view bytes, std::string* out);
absl::StatusOr<std::string> DecodeBlob(std::string_view value);

// True for the event types this version of recd knows.
bool IsKnownEventType(EventType type);

}  // namespace recd

#endif  // RECD_STORE_VALUE_CODEC_H_
