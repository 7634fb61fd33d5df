#include "store/value_codec.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace recd {
namespace {

void PutVarint64(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutLengthPrefixed(std::string_view s, std::string* out) {
  PutVarint64(s.size(), out);
  out->append(s);
}

// Zig-zag maps small negative deltas (late events) to small unsigned ints.
uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// A bounds-checked cursor over an encoded value. Every getter returns false
// instead of reading past the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool empty() const { return data_.empty(); }
  size_t remaining() const { return data_.size(); }

  bool GetByte(uint8_t* v) {
    if (data_.empty()) return false;
    *v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }

  bool GetVarint64(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift <= 63 && !data_.empty(); shift += 7) {
      const uint8_t byte = static_cast<uint8_t>(data_[0]);
      data_.remove_prefix(1);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }

  bool GetLengthPrefixed(std::string_view* s) {
    uint64_t n = 0;
    if (!GetVarint64(&n) || n > data_.size()) return false;
    *s = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }

  bool GetFixed32(uint32_t* v) {
    if (data_.size() < 4) return false;
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i)
      r |= static_cast<uint32_t>(static_cast<uint8_t>(data_[i])) << (8 * i);
    data_.remove_prefix(4);
    *v = r;
    return true;
  }

 private:
  std::string_view data_;
};

void PutFixed32(uint32_t v, std::string* out) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

absl::Status CheckVersion(Reader& r, uint8_t expected, absl::string_view what) {
  uint8_t version = 0;
  if (!r.GetByte(&version)) return absl::DataLossError(absl::StrCat("empty ", what, " value"));
  if (version != expected) {
    return absl::DataLossError(absl::StrCat("unknown ", what, " format version ",
                                            static_cast<int>(version), " (this build reads ",
                                            static_cast<int>(expected), ")"));
  }
  return absl::OkStatus();
}

absl::Status Truncated(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("truncated ", what));
}

bool GetStringList(Reader& r, std::vector<std::string>* out) {
  uint64_t n = 0;
  // Each entry takes at least its one-byte length, so a count larger than
  // the rest of the value is corrupt; checking avoids a huge reserve().
  if (!r.GetVarint64(&n) || n > r.remaining()) return false;
  out->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!r.GetLengthPrefixed(&s)) return false;
    out->emplace_back(s);
  }
  return true;
}

void PutStringList(const std::vector<std::string>& list, std::string* out) {
  PutVarint64(list.size(), out);
  for (const auto& s : list) PutLengthPrefixed(s, out);
}

void PutEvents(std::span<const StoredEvent> events, std::string* out) {
  PutVarint64(events.size(), out);
  int64_t prev = 0;
  for (const StoredEvent& e : events) {
    PutLengthPrefixed(e.item_id, out);
    out->push_back(static_cast<char>(e.type));
    // Wrapping subtraction: deltas of any two int64 round-trip exactly.
    PutVarint64(ZigZag(static_cast<int64_t>(static_cast<uint64_t>(e.timestamp) -
                                            static_cast<uint64_t>(prev))),
                out);
    prev = e.timestamp;
  }
}

}  // namespace

bool IsKnownEventType(EventType type) {
  return static_cast<uint8_t>(type) <= static_cast<uint8_t>(EventType::kPurchase);
}

void EncodeHistory(std::span<const StoredEvent> events, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kHistoryFormatV1));
  PutEvents(events, out);
}

void EncodeHistory(const StoredHistory& history, std::string* out) {
  if (history.applied_requests.empty()) return EncodeHistory(history.events, out);
  out->clear();
  out->push_back(static_cast<char>(kHistoryFormatV2));
  PutEvents(history.events, out);
  PutStringList(history.applied_requests, out);
}

absl::StatusOr<StoredHistory> DecodeHistory(std::string_view value) {
  Reader r(value);
  uint8_t version = 0;
  if (!r.GetByte(&version)) return absl::DataLossError("empty history value");
  if (version != kHistoryFormatV1 && version != kHistoryFormatV2) {
    return absl::DataLossError(absl::StrCat("unknown history format version ", static_cast<int>(version),
                                            " (this build reads 1 and 2)"));
  }
  uint64_t n = 0;
  // An event takes at least 3 bytes (id length, type, timestamp delta).
  if (!r.GetVarint64(&n) || n > r.remaining() / 3) {
    return absl::DataLossError("bad history event count");
  }
  StoredHistory history;
  history.known = true;
  std::vector<StoredEvent>& events = history.events;
  events.resize(n);
  int64_t prev = 0;
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view id;
    uint8_t type = 0;
    uint64_t delta = 0;
    if (!r.GetLengthPrefixed(&id) || !r.GetByte(&type) || !r.GetVarint64(&delta)) {
      return Truncated(absl::StrCat("history at event ", i, " of ", n));
    }
    StoredEvent& e = events[i];
    e.item_id.assign(id);
    e.type = static_cast<EventType>(type);
    if (!IsKnownEventType(e.type)) {
      return absl::DataLossError(
          absl::StrCat("unknown event type ", static_cast<int>(type), " at event ", i));
    }
    e.timestamp =
        static_cast<int64_t>(static_cast<uint64_t>(prev) + static_cast<uint64_t>(UnZigZag(delta)));
    prev = e.timestamp;
  }
  if (version == kHistoryFormatV2 && !GetStringList(r, &history.applied_requests)) {
    return Truncated("history request ids");
  }
  if (!r.empty()) {
    return absl::DataLossError(absl::StrCat(r.remaining(), " trailing bytes after history"));
  }
  return history;
}

namespace {
constexpr uint8_t kItemInStock = 1;
}  // namespace

void EncodeItemInfo(const ItemInfo& info, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kItemFormatV1));
  out->push_back(static_cast<char>(info.in_stock ? kItemInStock : 0));
  uint32_t price_bits = 0;
  static_assert(sizeof(float) == sizeof(uint32_t));
  std::memcpy(&price_bits, &info.price, sizeof(price_bits));  // NaN kept bit-exact
  PutFixed32(price_bits, out);
  PutLengthPrefixed(info.title, out);
  PutStringList(info.category_path, out);
  PutLengthPrefixed(info.brand, out);
  PutStringList(info.attributes, out);
}

absl::StatusOr<ItemInfo> DecodeItemInfo(std::string_view value) {
  Reader r(value);
  if (absl::Status s = CheckVersion(r, kItemFormatV1, "item"); !s.ok()) return s;
  ItemInfo info;
  uint8_t flags = 0;
  uint32_t price_bits = 0;
  if (!r.GetByte(&flags) || !r.GetFixed32(&price_bits)) return Truncated("item header");
  if ((flags & ~kItemInStock) != 0) {
    return absl::DataLossError(absl::StrCat("unknown item flags ", static_cast<int>(flags)));
  }
  info.in_stock = (flags & kItemInStock) != 0;
  std::memcpy(&info.price, &price_bits, sizeof(price_bits));
  std::string_view title, brand;
  if (!r.GetLengthPrefixed(&title)) return Truncated("item title");
  if (!GetStringList(r, &info.category_path)) return Truncated("item category path");
  if (!r.GetLengthPrefixed(&brand)) return Truncated("item brand");
  if (!GetStringList(r, &info.attributes)) return Truncated("item attributes");
  if (!r.empty()) {
    return absl::DataLossError(absl::StrCat(r.remaining(), " trailing bytes after item"));
  }
  info.title.assign(title);
  info.brand.assign(brand);
  return info;
}

void EncodeBlob(std::string_view bytes, std::string* out) {
  out->clear();
  out->reserve(bytes.size() + 1);
  out->push_back(static_cast<char>(kBlobFormatV1));
  out->append(bytes);
}

absl::StatusOr<std::string> DecodeBlob(std::string_view value) {
  Reader r(value);
  if (absl::Status s = CheckVersion(r, kBlobFormatV1, "blob"); !s.ok()) return s;
  return std::string(value.substr(1));
}

}  // namespace recd
