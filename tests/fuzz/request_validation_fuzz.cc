// Fuzzes request validation as the service sees it: arbitrary bytes parsed
// as a request proto, then checked. The first byte picks the message
// (below 0x80: RecommendRequest, SimilarItemsRequest, RecordEventsRequest by
// its value mod 3; from 0xC0: AddItemsRequest; else from 0x80:
// RankItemsRequest or CompleteCartRequest by its lowest bit) and the limits (bit 2: the defaults, or small ones as an
// operator might set); the rest is the serialized message. A request that validates must also have what the
// pipeline relies on: k in range and ids within kMaxIdLength.

#include <cstdint>

#include "fuzz_util.h"
#include "recd/v1/recommender.pb.h"
#include "server/request_validation.h"
#include "server/server_config.h"

namespace {

const recd::ServerConfig& Config(bool small) {
  static const recd::ServerConfig defaults;
  static const recd::ServerConfig tight = [] {
    recd::ServerConfig c;
    c.max_k = 5;
    c.max_ids_per_request = 3;
    c.max_rank_items = 4;
    c.max_cart_items = 2;
    return c;
  }();
  return small ? tight : defaults;
}

void CheckK(int32_t k, const recd::ServerConfig& config) {
  if (k < 1 || k > config.max_k) __builtin_trap();
}

void CheckId(const std::string& id) {
  if (id.empty() || id.size() > recd::kMaxIdLength) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const recd::ServerConfig& config = Config(selector & 4);
  const uint8_t* body = data + 1;
  const int body_size = static_cast<int>(size - 1);
  const int message = (selector & 0xC0) == 0xC0 ? 5 : (selector & 0x80) != 0 ? 3 + (selector & 1) : selector % 3;
  switch (message) {
    case 0: {
      recd::v1::RecommendRequest r;
      if (!r.ParseFromArray(body, body_size)) return 0;
      if (!recd::ValidateRecommendRequest(r, config).ok()) return 0;
      CheckId(r.user_id());
      CheckK(r.k(), config);
      for (const auto& id : r.recent_item_ids()) CheckId(id);
      for (const auto& id : r.filters().exclude_item_ids()) CheckId(id);
      break;
    }
    case 1: {
      recd::v1::SimilarItemsRequest r;
      if (!r.ParseFromArray(body, body_size)) return 0;
      if (!recd::ValidateSimilarItemsRequest(r, config).ok()) return 0;
      CheckId(r.item_id());
      CheckK(r.k(), config);
      break;
    }
    case 2: {
      recd::v1::RecordEventsRequest r;
      if (!r.ParseFromArray(body, body_size)) return 0;
      if (!recd::ValidateRecordEventsRequest(r, config).ok()) return 0;
      if (r.events_size() == 0 || r.events_size() > config.max_ids_per_request) __builtin_trap();
      for (const auto& e : r.events()) {
        CheckId(e.user_id());
        CheckId(e.item_id());
      }
      break;
    }
    case 3: {
      recd::v1::RankItemsRequest r;
      if (!r.ParseFromArray(body, body_size)) return 0;
      if (!recd::ValidateRankItemsRequest(r, config).ok()) return 0;
      CheckId(r.user_id());
      if (r.item_ids_size() == 0 || r.item_ids_size() > config.max_rank_items) __builtin_trap();
      for (const auto& id : r.item_ids()) CheckId(id);
      for (const auto& id : r.recent_item_ids()) CheckId(id);
      break;
    }
    case 4: {
      recd::v1::CompleteCartRequest r;
      if (!r.ParseFromArray(body, body_size)) return 0;
      if (!recd::ValidateCompleteCartRequest(r, config).ok()) return 0;
      if (!r.user_id().empty()) CheckId(r.user_id());
      CheckK(r.k(), config);
      if (r.item_ids_size() == 0 || r.item_ids_size() > config.max_cart_items) __builtin_trap();
      for (const auto& id : r.item_ids()) CheckId(id);
      break;
    }
    case 5: {
      recd::v1::AddItemsRequest r;
      if (!r.ParseFromArray(body, body_size)) return 0;
      if (!recd::ValidateAddItemsRequest(r, config).ok()) return 0;
      if (r.items_size() == 0 || r.items_size() > config.max_ids_per_request) __builtin_trap();
      for (const auto& item : r.items()) {
        CheckId(item.item_id());
        if (!(item.price() >= 0)) __builtin_trap();  // NaN fails too
        for (const auto& c : item.category_path()) CheckId(c);
      }
      break;
    }
  }
  return 0;
}
