// Fuzzes the feature store's value decoders (store/value_codec.h) with the
// bytes of a RocksDB value. Every input goes through all three decoders;
// whatever one accepts must survive encode -> decode unchanged.

#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "store/value_codec.h"

namespace {

bool SameItem(const recd::ItemInfo& a, const recd::ItemInfo& b) {
  // Price is compared bit for bit: the codec keeps NaNs exactly.
  return a.in_stock == b.in_stock && std::memcmp(&a.price, &b.price, sizeof(a.price)) == 0 &&
         a.title == b.title && a.category_path == b.category_path && a.brand == b.brand &&
         a.attributes == b.attributes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view value = recd::fuzz::AsView(data, size);
  std::string encoded;
  if (auto history = recd::DecodeHistory(value); history.ok()) {
    recd::EncodeHistory(*history, &encoded);
    auto again = recd::DecodeHistory(encoded);
    if (!again.ok() || *history != *again) __builtin_trap();
  }
  if (auto item = recd::DecodeItemInfo(value); item.ok()) {
    recd::EncodeItemInfo(*item, &encoded);
    auto again = recd::DecodeItemInfo(encoded);
    if (!again.ok() || !SameItem(*item, *again)) __builtin_trap();
  }
  if (auto blob = recd::DecodeBlob(value); blob.ok()) {
    recd::EncodeBlob(*blob, &encoded);
    if (encoded != value) __builtin_trap();  // a blob's encoding is canonical
  }
  return 0;
}
