#include "server/request_handler.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/request_validation.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

EventType FromProto(v1::EventType t) {
  switch (t) {
    case v1::CART:
      return EventType::kCart;
    case v1::PURCHASE:
      return EventType::kPurchase;
    default:
      return EventType::kView;
  }
}

// A user's history in the dense ids of one bundle. Events on items the models
// do not know are skipped: they cannot be scored from.
struct DenseHistory {
  std::vector<Event> events;
  absl::flat_hash_set<int32_t> purchased;
};

DenseHistory ToDense(const std::vector<StoredEvent>& stored, const IdMap& items) {
  DenseHistory h;
  for (const StoredEvent& e : stored) {
    auto id = items.Find(e.item_id);
    if (!id) continue;
    h.events.push_back(Event{*id, e.type, e.timestamp});
    if (e.type == EventType::kPurchase) h.purchased.insert(*id);
  }
  return h;
}

ScoringOptions MakeScoringOptions(const ServingState& state, ThreadPool* pool, absl::Time deadline) {
  ScoringOptions options;
  options.pool = pool;
  const absl::Time fallback = absl::Now() + absl::Milliseconds(state.config->default_deadline_ms);
  options.deadline = deadline == absl::InfiniteFuture() ? fallback : deadline;
  auto config = state.config;
  options.budget = [config](std::string_view model) {
    return absl::Milliseconds(config->BudgetMs(std::string(model)));
  };
  return options;
}

void RecordOutcomes(const RankingResult& result, ServerMetrics& metrics) {
  for (const ScorerOutcome& o : result.outcomes) {
    ModelMetrics& m = metrics.Model(o.model);
    ++m.calls;
    if (o.kind == ScorerOutcome::kFailed) ++m.failures;
    if (o.kind == ScorerOutcome::kTimedOut) ++m.timeouts;
    m.latency.Record(o.latency);
    if (o.kind == ScorerOutcome::kFailed) spdlog::warn("model {} failed: {}", o.model, o.error);
  }
}

// The filters every ranking RPC shares, turned into the pipeline's rules.
void ApplyFilters(const v1::Filters& filters, const ServingState& state,
                          const absl::flat_hash_set<int32_t>* purchased, RankRequest& request,
                          google::protobuf::RepeatedPtrField<std::string>* ignored) {
  const IdMap& items = state.bundle->items();
  for (const std::string& id : filters.exclude_item_ids()) {
    if (auto dense = items.Find(id)) {
      request.exclude.push_back(*dense);
    } else {
      *ignored->Add() = id;
    }
  }
  if (purchased != nullptr) {
    for (int32_t p : *purchased) request.exclude.push_back(p);
  }
  auto catalog = state.catalog;
  const bool in_stock_only = filters.in_stock_only();
  std::vector<std::string> categories(filters.allowed_categories().begin(), filters.allowed_categories().end());
  if (in_stock_only || !categories.empty()) {
    request.allowed = [catalog, in_stock_only, categories](int32_t item) {
      if (in_stock_only && !catalog->in_stock(item)) return false;
      if (categories.empty()) return true;
      return std::any_of(categories.begin(), categories.end(),
                         [&](const std::string& c) { return catalog->InCategory(item, c); });
    };
  }
  if (state.config->diversity_max_per_category > 0) {
    request.max_per_group = state.config->diversity_max_per_category;
    request.group_of = [catalog](int32_t item) { return catalog->group(item); };
  }
}

const char* PastTense(EventType type) {
  switch (type) {
    case EventType::kCart:
      return "added to cart";
    case EventType::kPurchase:
      return "bought";
    default:
      return "viewed";
  }
}

// "similar to X you viewed; " when a history item is alike, else "".
std::string SimilarHistoryItem(int32_t item, const ServingState& state, std::span<const Event> history) {
  if (state.similarity == nullptr) return "";
  const int pos = state.similarity->MostSimilar(item, history);
  if (pos < 0) return "";
  const Event& e = history[static_cast<size_t>(pos)];
  return absl::StrCat("similar to ", state.bundle->items().Name(e.item), " you ", PastTense(e.type), "; ");
}

// `history`: what the user did, for reasons naming a history item; empty
// when the answer is about an item rather than a user.
void FillItems(const RankingResult& result, const ServingState& state, bool explain,
               std::span<const Event> history, google::protobuf::RepeatedPtrField<v1::ScoredItem>* out) {
  const IdMap& items = state.bundle->items();
  for (const RankedItem& r : result.items) {
    v1::ScoredItem* item = out->Add();
    item->set_item_id(items.Name(r.item));
    item->set_score(r.score);
    if (!explain) continue;
    v1::Explanation* ex = item->mutable_explanation();
    size_t best = 0;
    double best_contribution = -1e300;
    for (size_t m = 0; m < result.models.size(); ++m) {
      v1::ModelContribution* c = ex->add_contributions();
      c->set_model(result.models[m]);
      c->set_raw_score(r.raw[m]);
      c->set_normalized_score(r.normalized[m]);
      c->set_weight(static_cast<float>(result.weights[m]));
      const double contribution = result.weights[m] * r.normalized[m];
      c->set_contribution(static_cast<float>(contribution));
      if (contribution > best_contribution) {
        best_contribution = contribution;
        best = m;
      }
    }
    if (!result.models.empty()) {
      ex->set_reason(absl::StrCat(SimilarHistoryItem(r.item, state, history),
                                  absl::StrFormat("ranked mostly by %s (%.3f of %.3f)", result.models[best],
                                                  best_contribution, r.score)));
    }
  }
}

// True if the request encoded a state the cache did not have.
bool EncodedAnyState(const UserStateCache::States& given, const UserStateCache::States& used) {
  for (size_t i = 0; i < used.size(); ++i) {
    if (used[i] != nullptr && (i >= given.size() || given[i] == nullptr)) return true;
  }
  return false;
}

void FillVersions(const ServingState& state, v1::RecommendResponse* response) {
  for (const auto& scorer : state.bundle->scorers()) {
    (*response->mutable_model_versions())[std::string(scorer->name())] = state.bundle->version();
  }
  response->set_config_version(state.config->version);
}

}  // namespace

std::string RequestHandler::NewRequestId() const {
  return absl::StrFormat("%x-%d", static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now())),
                         next_request_.fetch_add(1));
}

absl::Status RequestHandler::Recommend(const v1::RecommendRequest& request, absl::Time deadline,
                                       v1::RecommendResponse* response) const {
  const auto state = states_->Current();
  if (auto s = ValidateRecommendRequest(request, *state->config); !s.ok()) return s;
  response->set_request_id(NewRequestId());

  auto stored = store_->GetHistory(request.user_id());
  if (!stored.ok()) return stored.status();
  DenseHistory history = ToDense(stored->events, state->bundle->items());
  const size_t stored_events = history.events.size();
  const uint64_t fingerprint = HistoryFingerprint(history.events);
  // Session context the caller knows but may not have recorded yet.
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (const std::string& id : request.recent_item_ids()) {
    if (auto dense = state->bundle->items().Find(id)) {
      history.events.push_back(Event{*dense, EventType::kView, now});
    } else {
      *response->add_ignored_item_ids() = id;
    }
  }

  RankRequest rank;
  rank.history = UserHistory{history.events, -1};
  rank.k = request.k();
  rank.explain = request.explain();
  rank.exclude_history = state->config->exclude_seen;
  const bool exclude_purchased = request.filters().exclude_purchased() || state->config->exclude_purchased;
  ApplyFilters(request.filters(), *state, exclude_purchased ? &history.purchased : nullptr, rank,
               response->mutable_ignored_item_ids());
  if (!request.category().empty()) {
    // Context category: keep the answer inside it when the catalog has it.
    auto catalog = state->catalog;
    const std::string category = request.category();
    auto previous = rank.allowed;
    rank.allowed = [catalog, category, previous](int32_t item) {
      return catalog->InCategory(item, category) && (!previous || previous(item));
    };
  }

  // States encoded from the stored history serve this request unless the
  // session context added events to it.
  const bool cacheable = state_cache_ != nullptr && history.events.size() == stored_events;
  if (cacheable) {
    rank.states = state_cache_->Lookup(request.user_id(), state->bundle, fingerprint);
    metrics_->CountStateCache(!rank.states.empty());
  }
  RankingResult result = state->pipeline->Rank(rank, MakeScoringOptions(*state, scorer_pool_, deadline));
  if (cacheable && EncodedAnyState(rank.states, result.states)) {
    state_cache_->Insert(request.user_id(), state->bundle, fingerprint, std::move(result.states));
  }
  RecordOutcomes(result, *metrics_);
  FillItems(result, *state, request.explain(), history.events, response->mutable_items());
  for (const std::string& d : result.degraded) *response->add_degraded() = d;
  FillVersions(*state, response);
  spdlog::debug("[{}] RecommendItems user={} k={} history={} returned={} degraded={}", response->request_id(),
                request.user_id(), request.k(), history.events.size(), response->items_size(),
                result.degraded.size());
  return absl::OkStatus();
}

absl::Status RequestHandler::SimilarItems(const v1::SimilarItemsRequest& request, absl::Time deadline,
                                          v1::SimilarItemsResponse* response) const {
  const auto state = states_->Current();
  if (auto s = ValidateSimilarItemsRequest(request, *state->config); !s.ok()) return s;
  auto item = state->bundle->items().Find(request.item_id());
  if (!item) return absl::NotFoundError(absl::StrCat("item_id: unknown item '", request.item_id(), "'"));
  response->set_request_id(NewRequestId());
  // "Shoppers who just looked at this item": every model scores the item as a
  // one-event history, so co-occurrence, content and embedding neighbours are
  // fused by the same weights as recommendations.
  const std::vector<Event> one{Event{*item, EventType::kView, absl::ToUnixSeconds(absl::Now())}};
  RankRequest rank;
  rank.history = UserHistory{one, -1};
  rank.k = request.k();
  rank.explain = request.explain();
  google::protobuf::RepeatedPtrField<std::string> ignored;
  ApplyFilters(request.filters(), *state, nullptr, rank, &ignored);
  const RankingResult result = state->pipeline->Rank(rank, MakeScoringOptions(*state, scorer_pool_, deadline));
  RecordOutcomes(result, *metrics_);
  FillItems(result, *state, request.explain(), {}, response->mutable_items());
  for (const std::string& d : result.degraded) *response->add_degraded() = d;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<UserEvents>> RequestHandler::EventsToRecord(
    const v1::RecordEventsRequest& request) const {
  const auto state = states_->Current();
  if (auto s = ValidateRecordEventsRequest(request, *state->config); !s.ok()) return s;
  // Every item must be known before anything is written, so a bad batch
  // leaves no partial trace.
  for (int i = 0; i < request.events_size(); ++i) {
    const std::string& item = request.events(i).item_id();
    if (!state->bundle->items().Find(item) && !store_->GetItem(item).ok()) {
      return absl::NotFoundError(absl::StrCat("events[", i, "].item_id: unknown item '", item, "'"));
    }
  }
  std::vector<UserEvents> batch;
  absl::flat_hash_map<std::string, size_t> slot;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (const v1::Event& e : request.events()) {
    auto [it, added] = slot.try_emplace(e.user_id(), batch.size());
    if (added) batch.push_back(UserEvents{e.user_id(), {}});
    batch[it->second].events.push_back(
        StoredEvent{e.item_id(), FromProto(e.type()), e.has_timestamp() ? e.timestamp().seconds() : now});
  }
  return batch;
}

void RequestHandler::RecordEvents(const v1::RecordEventsRequest& request, absl::Time deadline,
                                  v1::RecordEventsResponse* response, EventWriter::Done done) const {
  absl::StatusOr<std::vector<UserEvents>> batch = EventsToRecord(request);
  if (!batch.ok()) {
    done(batch.status());
    return;
  }
  const int accepted = request.events_size();
  event_writer_->Submit(*std::move(batch), deadline,
                        [response, accepted, done = std::move(done)](absl::Status s) {
                          if (s.ok()) response->set_accepted(accepted);
                          done(std::move(s));
                        });
}

}  // namespace recd
