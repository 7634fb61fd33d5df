#include "server/request_validation.h"

#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "recd/feature_store.h"

namespace recd {
namespace {

absl::Status Invalid(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status CheckId(const std::string& id, const std::string& field) {
  if (id.empty()) return Invalid(field, "must not be empty");
  if (id.size() > kMaxIdLength) return Invalid(field, absl::StrCat("longer than ", kMaxIdLength, " bytes"));
  return absl::OkStatus();
}

absl::Status CheckK(int32_t k, const ServerConfig& config) {
  if (k < 1 || k > config.max_k) return Invalid("k", absl::StrCat("must be in 1..", config.max_k, ", got ", k));
  return absl::OkStatus();
}

// At most `max` ids (and at least one when `required`), each a valid id.
template <typename List>
absl::Status CheckIdList(const List& ids, const std::string& field, int max, bool required = false) {
  if (required && ids.empty()) return Invalid(field, "must not be empty");
  if (ids.size() > max) return Invalid(field, absl::StrCat("at most ", max, " ids, got ", ids.size()));
  for (int i = 0; i < ids.size(); ++i) {
    if (auto s = CheckId(ids[i], absl::StrCat(field, "[", i, "]")); !s.ok()) return s;
  }
  return absl::OkStatus();
}

template <typename List>
absl::Status CheckIdList(const List& ids, const std::string& field, const ServerConfig& config) {
  return CheckIdList(ids, field, config.max_ids_per_request);
}

absl::Status CheckFilters(const v1::Filters& f, const std::string& field, const ServerConfig& config) {
  if (auto s = CheckIdList(f.exclude_item_ids(), field + ".exclude_item_ids", config); !s.ok()) return s;
  if (f.allowed_categories_size() > config.max_ids_per_request) {
    return Invalid(field + ".allowed_categories", "too many categories");
  }
  for (int i = 0; i < f.allowed_categories_size(); ++i) {
    if (auto s = CheckId(f.allowed_categories(i), absl::StrCat(field, ".allowed_categories[", i, "]")); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRecommendRequest(const v1::RecommendRequest& r, const ServerConfig& config) {
  if (auto s = CheckId(r.user_id(), "user_id"); !s.ok()) return s;
  if (auto s = CheckK(r.k(), config); !s.ok()) return s;
  if (auto s = CheckIdList(r.recent_item_ids(), "recent_item_ids", config); !s.ok()) return s;
  if (r.category().size() > kMaxIdLength) {
    return Invalid("category", absl::StrCat("longer than ", kMaxIdLength, " bytes"));
  }
  return CheckFilters(r.filters(), "filters", config);
}

absl::Status ValidateSimilarItemsRequest(const v1::SimilarItemsRequest& r, const ServerConfig& config) {
  if (auto s = CheckId(r.item_id(), "item_id"); !s.ok()) return s;
  if (auto s = CheckK(r.k(), config); !s.ok()) return s;
  return CheckFilters(r.filters(), "filters", config);
}

absl::Status ValidateRankItemsRequest(const v1::RankItemsRequest& r, const ServerConfig& config) {
  if (auto s = CheckId(r.user_id(), "user_id"); !s.ok()) return s;
  if (auto s = CheckIdList(r.item_ids(), "item_ids", config.max_rank_items, true); !s.ok()) return s;
  if (auto s = CheckIdList(r.recent_item_ids(), "recent_item_ids", config); !s.ok()) return s;
  return CheckFilters(r.filters(), "filters", config);
}

absl::Status ValidateCompleteCartRequest(const v1::CompleteCartRequest& r, const ServerConfig& config) {
  if (!r.user_id().empty()) {
    if (auto s = CheckId(r.user_id(), "user_id"); !s.ok()) return s;
  }
  if (auto s = CheckIdList(r.item_ids(), "item_ids", config.max_cart_items, true); !s.ok()) return s;
  if (auto s = CheckK(r.k(), config); !s.ok()) return s;
  return CheckFilters(r.filters(), "filters", config);
}

absl::Status ValidateRecordEventsRequest(const v1::RecordEventsRequest& r, const ServerConfig& config) {
  if (r.events_size() == 0) return Invalid("events", "must not be empty");
  if (r.request_id().size() > kMaxRequestIdBytes) {
    return Invalid("request_id", absl::StrCat("at most ", kMaxRequestIdBytes, " bytes, got ", r.request_id().size()));
  }
  if (r.events_size() > config.max_ids_per_request) {
    return Invalid("events", absl::StrCat("at most ", config.max_ids_per_request, " per call, got ", r.events_size()));
  }
  // Far-future timestamps are clock bugs; they would sort after every real
  // event forever.
  const int64_t latest = absl::ToUnixSeconds(absl::Now() + absl::Hours(24));
  for (int i = 0; i < r.events_size(); ++i) {
    const auto& e = r.events(i);
    const std::string field = absl::StrCat("events[", i, "]");
    if (auto s = CheckId(e.user_id(), field + ".user_id"); !s.ok()) return s;
    if (auto s = CheckId(e.item_id(), field + ".item_id"); !s.ok()) return s;
    if (e.type() == v1::EVENT_TYPE_UNSPECIFIED || !v1::EventType_IsValid(e.type())) {
      return Invalid(field + ".type", "must be VIEW, CART or PURCHASE");
    }
    if (e.has_timestamp()) {
      const auto& t = e.timestamp();
      if (t.nanos() < 0 || t.nanos() > 999999999) return Invalid(field + ".timestamp", "nanos out of range");
      if (t.seconds() < 0 || t.seconds() > latest) {
        return Invalid(field + ".timestamp", absl::StrCat("seconds ", t.seconds(), " is before 1970 or in the future"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateUpdateStockRequest(const v1::UpdateStockRequest& r, const ServerConfig& config) {
  if (r.changes_size() == 0) return Invalid("changes", "must not be empty");
  if (r.changes_size() > config.max_ids_per_request) {
    return Invalid("changes", absl::StrCat("at most ", config.max_ids_per_request, " per call, got ", r.changes_size()));
  }
  for (int i = 0; i < r.changes_size(); ++i) {
    if (auto s = CheckId(r.changes(i).item_id(), absl::StrCat("changes[", i, "].item_id")); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateForgetUserRequest(const v1::ForgetUserRequest& r) { return CheckId(r.user_id(), "user_id"); }

namespace {

// Bounds of one catalog row: a title is a line of text, a path a few levels.
constexpr size_t kMaxTitleBytes = 4096;
constexpr int kMaxRowTokens = 256;  // path levels, attributes

absl::Status CheckCatalogItem(const v1::CatalogItem& item, const std::string& field) {
  if (auto s = CheckId(item.item_id(), field + ".item_id"); !s.ok()) return s;
  if (item.title().size() > kMaxTitleBytes) {
    return Invalid(field + ".title", absl::StrCat("longer than ", kMaxTitleBytes, " bytes"));
  }
  if (item.brand().size() > kMaxIdLength) {
    return Invalid(field + ".brand", absl::StrCat("longer than ", kMaxIdLength, " bytes"));
  }
  if (!std::isfinite(item.price()) || item.price() < 0) return Invalid(field + ".price", "must be finite and >= 0");
  if (auto s = CheckIdList(item.category_path(), field + ".category_path", kMaxRowTokens); !s.ok()) return s;
  return CheckIdList(item.attributes(), field + ".attributes", kMaxRowTokens);
}

}  // namespace

absl::Status ValidateAddItemsRequest(const v1::AddItemsRequest& r, const ServerConfig& config) {
  if (r.items_size() == 0) return Invalid("items", "must not be empty");
  if (r.items_size() > config.max_ids_per_request) {
    return Invalid("items", absl::StrCat("at most ", config.max_ids_per_request, " per call, got ", r.items_size()));
  }
  // A repeated id would be stored twice over and counted twice.
  absl::flat_hash_map<std::string_view, int> first_at;
  for (int i = 0; i < r.items_size(); ++i) {
    if (auto s = CheckCatalogItem(r.items(i), absl::StrCat("items[", i, "]")); !s.ok()) return s;
    auto [it, inserted] = first_at.emplace(r.items(i).item_id(), i);
    if (!inserted) {
      return Invalid(absl::StrCat("items[", i, "].item_id"),
                     absl::StrCat("'", r.items(i).item_id(), "' repeats items[", it->second, "]"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateReleaseQuarantineRequest(const v1::ReleaseQuarantineRequest& r) {
  return CheckId(r.user_id(), "user_id");
}

}  // namespace recd
