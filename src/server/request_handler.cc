#include "server/request_handler.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/strings/str_join.h"
#include "ranking/cart_completion.h"
#include "ranking/rank_items.h"
#include "ranking/recommend.h"
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

// OK when the store has a catalog row for `item`; NOT_FOUND naming `field`
// and the item when it has none; the store's own error (UNAVAILABLE: retry)
// when it cannot answer.
absl::Status CheckCatalogRow(FeatureStore& store, const std::string& item, const std::string& field) {
  const absl::StatusOr<ItemRecord> row = store.GetItem(item);
  if (absl::IsNotFound(row.status())) {
    return absl::NotFoundError(absl::StrCat(field, ": unknown item '", item, "'"));
  }
  if (!row.ok()) return absl::Status(row.status().code(), absl::StrCat(field, ": feature store: ", row.status().message()));
  return absl::OkStatus();
}

ScoringOptions MakeScoringOptions(const ServingState& state, ThreadPool* pool, absl::Time deadline,
                                  ServerMetrics* metrics) {
  ScoringOptions options;
  options.pool = pool;
  const absl::Time fallback = absl::Now() + absl::Milliseconds(state.config->default_deadline_ms);
  options.deadline = deadline == absl::InfiniteFuture() ? fallback : deadline;
  options.budget = ModelBudgetsOf(state.config);
  options.skipped_tasks = metrics->skipped_tasks();
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
  if (!result.degraded.empty()) metrics.CountDegraded();
  if (result.fallback) metrics.CountFallback();
}

RuleSpec RulesFromProto(const v1::Filters& filters, const ServerConfig& config) {
  RuleSpec rules;
  rules.exclude_item_ids.assign(filters.exclude_item_ids().begin(), filters.exclude_item_ids().end());
  rules.exclude_purchased = filters.exclude_purchased() || config.exclude_purchased;
  rules.in_stock_only = filters.in_stock_only();
  rules.allowed_categories.assign(filters.allowed_categories().begin(), filters.allowed_categories().end());
  rules.diversity_max_per_category = config.diversity_max_per_category;
  return rules;
}

// What the user is ranked with: their arm's pipeline (and bundle, when the
// arm has a version of its own) when the config runs an experiment.
RankingContext ContextForUser(const UserServing& serving) {
  RankingContext context = RankingContextOf(*serving.state);
  if (serving.arm != nullptr) context.pipeline = serving.arm->pipeline.get();
  return context;
}

// An answer no model scored is no answer: the popularity fallback had
// nothing either (it failed, or the bundle has no popularity model).
absl::Status CheckAnswered(const RankingResult& result) {
  if (result.answered()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat("no model could rank this request (left out: ",
                                             absl::StrJoin(result.degraded, ", "), ")"));
}

void FillItems(const RecommendAnswer& answer, const IdMap& items,
               google::protobuf::RepeatedPtrField<v1::ScoredItem>* out) {
  const RankingResult& result = answer.ranking;
  for (size_t i = 0; i < result.items.size(); ++i) {
    const RankedItem& r = result.items[i];
    v1::ScoredItem* item = out->Add();
    item->set_item_id(items.Name(r.item));
    item->set_score(r.score);
    if (i >= answer.reasons.size()) continue;  // not explained
    v1::Explanation* ex = item->mutable_explanation();
    for (size_t m = 0; m < result.models.size(); ++m) {
      v1::ModelContribution* c = ex->add_contributions();
      c->set_model(result.models[m]);
      c->set_raw_score(r.raw[m]);
      c->set_normalized_score(r.normalized[m]);
      c->set_weight(static_cast<float>(result.weights[m]));
      c->set_contribution(static_cast<float>(result.weights[m] * r.normalized[m]));
    }
    ex->set_reason(answer.reasons[i]);
  }
}

// `degraded` of a response: the models left out, and "store" when the
// user's history could not be read (counted as a degraded answer once).
void FillDegraded(const RankingResult& result, bool store_out, ServerMetrics& metrics,
                  google::protobuf::RepeatedPtrField<std::string>* degraded) {
  for (const std::string& d : result.degraded) *degraded->Add() = d;
  if (store_out) {
    *degraded->Add() = "store";
    if (result.degraded.empty()) metrics.CountDegraded();  // else counted already
  }
}

template <typename Response>
void FillVersions(const ServingState& state, Response* response) {
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
  const absl::Time started = absl::Now();
  const auto state = states_->Current();
  if (auto s = ValidateRecommendRequest(request, *state->config); !s.ok()) return s;
  response->set_request_id(NewRequestId());
  bool store_out = false;
  auto stored = ReadHistory(request.user_id(), response->request_id(), store_out);
  if (!stored.ok()) return stored.status();

  RecommendQuery query;
  query.user_id = request.user_id();
  query.stored_history = stored->events;
  query.recent_item_ids.assign(request.recent_item_ids().begin(), request.recent_item_ids().end());
  query.k = request.k();
  query.explain = request.explain();
  query.rules = RulesFromProto(request.filters(), *state->config);
  query.rules.category = request.category();
  const UserServing serving = ServingForUser(*state, request.user_id());
  const ExperimentArms::Arm* arm = serving.arm;
  const RankingContext context = ContextForUser(serving);
  auto answer = RecommendForUser(context, query, MakeScoringOptions(*state, scorer_pool_, deadline, metrics_),
                                 state_cache_);
  if (!answer.ok()) return answer.status();
  if (answer->state_cache_hit) metrics_->CountStateCache(*answer->state_cache_hit);
  if (answer->result_cache_hit) metrics_->CountResultCache(*answer->result_cache_hit);
  RecordOutcomes(answer->ranking, *metrics_);
  if (auto s = CheckAnswered(answer->ranking); !s.ok()) return s;
  FillItems(*answer, serving.state->bundle->items(), response->mutable_items());
  FillDegraded(answer->ranking, store_out, *metrics_, response->mutable_degraded());
  for (const std::string& id : answer->ignored_ids) *response->add_ignored_item_ids() = id;
  response->set_fallback(answer->ranking.fallback);
  FillVersions(*serving.state, response);
  if (arm != nullptr) {
    response->set_experiment_arm(arm->name);
    metrics_->RecordArm(arm->name, absl::Now() - started);
  }
  spdlog::debug("[{}] RecommendItems user={} k={} history={} returned={} degraded={}", response->request_id(),
                request.user_id(), request.k(), stored->events.size(), response->items_size(),
                answer->ranking.degraded.size());
  if (shadow_ != nullptr && state->shadow != nullptr && shadow_->Sample(*state->shadow)) {
    ShadowRanker::Task task{.target = state->shadow,
                            .user_id = request.user_id(),
                            .stored_history = std::move(stored->events),
                            .recent_item_ids = std::move(query.recent_item_ids),
                            .k = request.k(),
                            .rules = std::move(query.rules),
                            .live_items = {}};
    for (const v1::ScoredItem& item : response->items()) task.live_items.push_back(item.item_id());
    shadow_->Offer(std::move(task));
  }
  return absl::OkStatus();
}

absl::Status RequestHandler::SimilarItems(const v1::SimilarItemsRequest& request, absl::Time deadline,
                                          v1::SimilarItemsResponse* response) const {
  const auto state = states_->Current();
  if (auto s = ValidateSimilarItemsRequest(request, *state->config); !s.ok()) return s;
  auto item = state->bundle->items().Find(request.item_id());
  if (!item) return absl::NotFoundError(absl::StrCat("item_id: unknown item '", request.item_id(), "'"));
  response->set_request_id(NewRequestId());
  RuleSpec rules = RulesFromProto(request.filters(), *state->config);
  rules.exclude_purchased = false;  // no user
  auto answer = RecommendSimilar(RankingContextOf(*state), *item, request.k(), request.explain(), rules,
                                 MakeScoringOptions(*state, scorer_pool_, deadline, metrics_));
  if (!answer.ok()) return answer.status();
  RecordOutcomes(answer->ranking, *metrics_);
  if (auto s = CheckAnswered(answer->ranking); !s.ok()) return s;
  FillItems(*answer, state->bundle->items(), response->mutable_items());
  for (const std::string& d : answer->ranking.degraded) *response->add_degraded() = d;
  response->set_fallback(answer->ranking.fallback);
  const FusionConfig& fusion = state->pipeline->fusion();
  if (fusion.Profile(fusion.similar_profile) != nullptr) response->set_profile(fusion.similar_profile);
  return absl::OkStatus();
}

absl::StatusOr<StoredHistory> RequestHandler::ReadHistory(const std::string& user_id, const std::string& request_id,
                                                          bool& store_out) const {
  auto stored = store_->GetHistory(user_id);
  // A store that cannot answer (down, failing over, too slow) does not stop
  // the answer: it is ranked from what the request carries (its session
  // items) and the models' item-side scores, and flagged. Anything else
  // the store says is the caller's answer.
  store_out = !stored.ok() && (absl::IsUnavailable(stored.status()) || absl::IsDeadlineExceeded(stored.status()));
  if (store_out) {
    // A line a second at most: an outage would otherwise log every request.
    static std::atomic<int64_t> warned_second{0};
    const int64_t second = absl::ToUnixSeconds(absl::Now());
    if (warned_second.exchange(second, std::memory_order_relaxed) != second) {
      spdlog::warn("[{}] feature store unavailable, answering without the user's history: {}", request_id,
                   std::string(stored.status().message()));
    }
    stored = StoredHistory{};
  }
  return stored;
}

absl::Status RequestHandler::RankItems(const v1::RankItemsRequest& request, absl::Time deadline,
                                       v1::RankItemsResponse* response) const {
  const auto state = states_->Current();
  if (auto s = ValidateRankItemsRequest(request, *state->config); !s.ok()) return s;
  response->set_request_id(NewRequestId());
  bool store_out = false;
  auto stored = ReadHistory(request.user_id(), response->request_id(), store_out);
  if (!stored.ok()) return stored.status();

  RankItemsQuery query;
  query.user_id = request.user_id();
  query.stored_history = stored->events;
  query.recent_item_ids.assign(request.recent_item_ids().begin(), request.recent_item_ids().end());
  query.item_ids.assign(request.item_ids().begin(), request.item_ids().end());
  query.apply_rules = request.apply_rules();
  query.rules = RulesFromProto(request.filters(), *state->config);
  query.explain = request.explain();
  const UserServing serving = ServingForUser(*state, request.user_id());
  const RankingContext context = ContextForUser(serving);
  auto ranked = RankItemsForUser(context, query, MakeScoringOptions(*state, scorer_pool_, deadline, metrics_),
                                 state_cache_);
  if (!ranked.ok()) return ranked.status();
  const RecommendAnswer& answer = ranked->answer;
  if (answer.state_cache_hit) metrics_->CountStateCache(*answer.state_cache_hit);
  RecordOutcomes(answer.ranking, *metrics_);
  if (auto s = CheckAnswered(answer.ranking); !s.ok()) return s;
  FillItems(answer, serving.state->bundle->items(), response->mutable_items());
  FillDegraded(answer.ranking, store_out, *metrics_, response->mutable_degraded());
  for (const std::string& id : ranked->unknown_ids) *response->add_unknown_item_ids() = id;
  for (const std::string& id : ranked->filtered_ids) *response->add_filtered_item_ids() = id;
  for (const std::string& id : answer.ignored_ids) *response->add_ignored_item_ids() = id;
  response->set_fallback(answer.ranking.fallback);
  FillVersions(*serving.state, response);
  if (serving.arm != nullptr) response->set_experiment_arm(serving.arm->name);
  spdlog::debug("[{}] RankItems user={} items={} returned={} unknown={} degraded={}", response->request_id(),
                request.user_id(), request.item_ids_size(), response->items_size(), ranked->unknown_ids.size(),
                answer.ranking.degraded.size());
  return absl::OkStatus();
}

absl::Status RequestHandler::CompleteCart(const v1::CompleteCartRequest& request, absl::Time deadline,
                                          v1::CompleteCartResponse* response) const {
  const auto state = states_->Current();
  if (auto s = ValidateCompleteCartRequest(request, *state->config); !s.ok()) return s;
  response->set_request_id(NewRequestId());
  bool store_out = false;
  StoredHistory stored;
  if (!request.user_id().empty()) {
    auto read = ReadHistory(request.user_id(), response->request_id(), store_out);
    if (!read.ok()) return read.status();
    stored = *std::move(read);
  }

  CartQuery query;
  query.user_id = request.user_id();
  query.stored_history = stored.events;
  query.cart_item_ids.assign(request.item_ids().begin(), request.item_ids().end());
  query.k = request.k();
  query.explain = request.explain();
  query.rules = RulesFromProto(request.filters(), *state->config);
  if (request.user_id().empty()) query.rules.exclude_purchased = false;  // no user
  query.leave_out_substitutes = state->config->cart_leave_out_substitutes;
  // An anonymous cart has no user to cache states for.
  auto answer = CompleteCartForUser(RankingContextOf(*state), query,
                                    MakeScoringOptions(*state, scorer_pool_, deadline, metrics_),
                                    request.user_id().empty() ? nullptr : state_cache_);
  if (!answer.ok()) return answer.status();
  if (answer->state_cache_hit) metrics_->CountStateCache(*answer->state_cache_hit);
  RecordOutcomes(answer->ranking, *metrics_);
  if (auto s = CheckAnswered(answer->ranking); !s.ok()) return s;
  FillItems(*answer, state->bundle->items(), response->mutable_items());
  FillDegraded(answer->ranking, store_out, *metrics_, response->mutable_degraded());
  for (const std::string& id : answer->ignored_ids) *response->add_ignored_item_ids() = id;
  response->set_fallback(answer->ranking.fallback);
  response->set_profile(state->pipeline->fusion().cart_profile);
  FillVersions(*state, response);
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
    if (state->bundle->items().Find(item)) continue;
    if (auto s = CheckCatalogRow(*store_, item, absl::StrCat("events[", i, "].item_id")); !s.ok()) return s;
  }
  std::vector<UserEvents> batch;
  absl::flat_hash_map<std::string, size_t> slot;
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (const v1::Event& e : request.events()) {
    auto [it, added] = slot.try_emplace(e.user_id(), batch.size());
    if (added) batch.push_back(UserEvents{e.user_id(), {}, request.request_id()});
    batch[it->second].events.push_back(
        StoredEvent{e.item_id(), FromProto(e.type()), e.has_timestamp() ? e.timestamp().seconds() : now});
  }
  // Last, so only calls that would be written count against the limits.
  const EventLimits::Limits limits{.user_events_per_minute = state->config->user_events_per_minute,
                                   .item_events_per_minute = state->config->item_events_per_minute};
  if (absl::Status s = event_limits_.Admit(batch, limits, absl::Now()); !s.ok()) {
    metrics_->CountEventsRateLimited();
    return s;
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
  // The quarantine counts only what is written (a refused write that is
  // retried must not count twice). Users new to it are looked up here, on
  // the request's thread and before the write, so the writer's thread only
  // counts; what it counts is a copy, as the batch moves to the writer.
  const std::shared_ptr<const ServerConfig> config = states_->Current()->config;
  std::function<void()> observe;
  if (config->shilling_enabled) {
    auto first = quarantine_.FirstEvents(*batch, [this](const std::string& user) { return FirstEventTime(user); });
    observe = [this, config, first = std::move(first), observed = *batch] {
      quarantine_.Observe(observed, config->shilling, first, absl::Now());
    };
  }
  event_writer_->Submit(*std::move(batch), deadline,
                        [response, accepted, metrics = metrics_, submitted = absl::Now(),
                         observe = std::move(observe), done = std::move(done)](absl::Status s) {
                          if (s.ok()) {
                            metrics->event_write_latency().Record(absl::Now() - submitted);
                            response->set_accepted(accepted);
                            if (observe) observe();
                          }
                          done(std::move(s));
                        });
}

std::optional<int64_t> RequestHandler::FirstEventTime(const std::string& user_id) const {
  absl::StatusOr<StoredHistory> history = store_->GetHistory(user_id);
  // A store that cannot answer says nothing of the user's age: count them
  // as an old account, so an outage cannot make every user look new.
  if (!history.ok()) return 0;
  if (history->events.empty()) return std::nullopt;
  int64_t first = history->events.front().timestamp;
  for (const StoredEvent& e : history->events) first = std::min(first, e.timestamp);
  return first;
}

absl::Status RequestHandler::ReleaseQuarantine(const v1::ReleaseQuarantineRequest& request,
                                               v1::ReleaseQuarantineResponse* response) const {
  if (auto s = ValidateReleaseQuarantineRequest(request); !s.ok()) return s;
  response->set_was_quarantined(quarantine_.Release(request.user_id()));
  spdlog::info("released user {} from quarantine ({})", request.user_id(),
               response->was_quarantined() ? "was quarantined" : "was not quarantined");
  return absl::OkStatus();
}

namespace {

void FillQuarantinedUser(const OnlineShillingDetector::QuarantinedUser& u, v1::QuarantinedUser* out) {
  out->set_user_id(u.user_id);
  out->set_signal(OnlineShillingDetector::SignalName(u.signal));
  out->set_since_unix_seconds(u.since);
  out->set_item_id(u.item_id);
}

}  // namespace

absl::Status RequestHandler::ListQuarantine(const v1::ListQuarantineRequest& request,
                                            v1::ListQuarantineResponse* response) const {
  constexpr int kMaxPage = 10000;  // ~1 MB of ids at most, under max_send_message_bytes
  if (request.max_users() < 0 || request.max_users() > kMaxPage) {
    return absl::InvalidArgumentError(absl::StrCat("max_users: must be in 0..", kMaxPage, ", got ", request.max_users()));
  }
  const size_t limit = static_cast<size_t>(request.max_users() == 0 ? kMaxPage : request.max_users());
  bool more = false;
  for (const auto& u : quarantine_.List(request.after_user_id(), limit, &more)) {
    FillQuarantinedUser(u, response->add_users());
  }
  response->set_more(more);
  return absl::OkStatus();
}

void RequestHandler::FillQuarantineStatus(v1::QuarantineStatus* status) const {
  constexpr size_t kListed = 100;  // users and items in GetStatus; ListQuarantine pages through all
  const OnlineShillingDetector::Summary s = quarantine_.Summarize(kListed);
  using Signal = OnlineShillingDetector::Signal;
  status->set_enabled(states_->Current()->config->shilling_enabled);
  status->set_users(s.users);
  status->set_burst_users(s.by_signal[static_cast<size_t>(Signal::kBurst)]);
  status->set_hammer_users(s.by_signal[static_cast<size_t>(Signal::kHammer)]);
  status->set_swarm_users(s.by_signal[static_cast<size_t>(Signal::kSwarm)]);
  status->set_targeted_items(s.targeted_items);
  status->set_unrecorded_users(s.unrecorded_users);
  for (const auto& u : s.first_users) FillQuarantinedUser(u, status->add_first_users());
  for (const std::string& item : s.targeted_item_ids) status->add_targeted_item_ids(item);
}

void RequestHandler::FillShadowStatus(v1::ShadowStatus* status) const {
  const auto state = states_->Current();
  if (const auto& shadow = state->shadow) {
    status->set_name(shadow->name);
    status->set_fraction(shadow->fraction);
    status->set_bundle_version_number(shadow->bundle_version);
    status->set_own_bundle(shadow->own_bundle);
  }
  status->set_promoted(state->promoted_shadow);
  status->set_dropped(state->dropped_shadow);
  if (shadow_ == nullptr) return;
  const ShadowRanker::Stats s = shadow_->Snapshot();
  status->set_measured_name(s.name);
  status->set_sampled(s.sampled);
  status->set_skipped(s.skipped);
  status->set_ranked(s.ranked);
  status->set_failed(s.failed);
  status->set_degraded(s.degraded);
  status->set_overlap_at_k(s.mean_overlap());
  status->set_correlated(s.correlated);
  status->set_rank_correlation(s.mean_correlation());
  status->set_latency_p50_ms(s.latency->count() > 0 ? s.latency->QuantileMs(0.5) : 0);
  status->set_latency_p99_ms(s.latency->count() > 0 ? s.latency->QuantileMs(0.99) : 0);
}

absl::Status RequestHandler::UpdateStock(const v1::UpdateStockRequest& request,
                                        v1::UpdateStockResponse* response) const {
  if (auto s = ValidateUpdateStockRequest(request, *states_->Current()->config); !s.ok()) return s;
  for (int i = 0; i < request.changes_size(); ++i) {
    const std::string field = absl::StrCat("changes[", i, "].item_id");
    if (auto s = CheckCatalogRow(*store_, request.changes(i).item_id(), field); !s.ok()) return s;
  }
  std::vector<StockChange> changes;
  for (int i = 0; i < request.changes_size(); ++i) {
    const v1::StockChange& c = request.changes(i);
    if (absl::Status s = store_->SetStock(c.item_id(), c.in_stock()); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("changes[", i, "]: feature store: ", s.message()));
    }
    changes.push_back({c.item_id(), c.in_stock()});
  }
  stock_updates_->Apply(changes);
  if (CatalogFeed* feed = store_->catalog_feed()) {
    if (absl::Status s = feed->Publish(changes); !s.ok()) {
      return absl::UnavailableError(absl::StrCat("stock stored and applied by this replica, but not announced to the "
                                                 "others (retry the call): ", s.message()));
    }
  }
  response->set_updated(request.changes_size());
  return absl::OkStatus();
}

absl::Status RequestHandler::ForgetUser(const v1::ForgetUserRequest& request,
                                       v1::ForgetUserResponse* response) const {
  if (auto s = ValidateForgetUserRequest(request); !s.ok()) return s;
  absl::StatusOr<StoredHistory> before = store_->GetHistory(request.user_id());
  if (!before.ok()) return before.status();
  if (absl::Status s = store_->ForgetUser(request.user_id()); !s.ok()) return s;
  // After the store: a request racing this one re-reads an empty history,
  // whose fingerprint no cached entry of the old one can match.
  if (state_cache_ != nullptr) state_cache_->Erase(request.user_id());
  // And from what the live item statistics learned of them.
  for (const LiveFeed& feed : LiveFeedsOf(*states_->Current())) {
    feed.stats->Forget(ToDenseHistory(before->events, feed.bundle->items()).events, absl::Now());
  }
  response->set_had_history(before->known);
  spdlog::info("forgot user {} ({})", request.user_id(), before->known ? "had a history" : "no history stored");
  return absl::OkStatus();
}

absl::Status RequestHandler::AddItems(const v1::AddItemsRequest& request, v1::AddItemsResponse* response) const {
  const auto state = states_->Current();
  if (auto s = ValidateAddItemsRequest(request, *state->config); !s.ok()) return s;
  std::vector<ItemRecord> rows;
  rows.reserve(static_cast<size_t>(request.items_size()));
  for (const v1::CatalogItem& item : request.items()) {
    ItemRecord& row = rows.emplace_back();
    row.item_id = item.item_id();
    row.info.title = item.title();
    row.info.category_path.assign(item.category_path().begin(), item.category_path().end());
    row.info.brand = item.brand();
    if (item.price() > 0) row.info.price = static_cast<float>(item.price());
    row.info.attributes.assign(item.attributes().begin(), item.attributes().end());
    row.info.in_stock = !item.out_of_stock();
    if (state->trained->items().Find(row.item_id)) {
      response->set_trained_items(response->trained_items() + 1);
    } else {
      response->set_new_items(response->new_items() + 1);
    }
  }
  if (absl::Status s = store_->PutItems(rows, StoreWriteOptions{}); !s.ok()) return s;
  // Other replicas on a shared store hear of the rows as stock changes and
  // serve the new items with a reload (StockUpdates::Apply).
  if (CatalogFeed* feed = store_->catalog_feed()) {
    std::vector<StockChange> announced;
    for (const ItemRecord& row : rows) announced.push_back({row.item_id, row.info.in_stock});
    if (absl::Status s = feed->Publish(announced); !s.ok()) {
      return absl::UnavailableError(absl::StrCat("items stored, but not announced to the other replicas (retry the "
                                                 "call): ", s.message()));
    }
  }
  spdlog::info("catalog: {} items added, {} rows of trained items replaced", response->new_items(),
               response->trained_items());
  return absl::OkStatus();
}

}  // namespace recd
