#ifndef RECD_SCORER_H_
#define RECD_SCORER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "recd/dataset.h"
#include "recd/model_dir.h"

namespace recd {

// What a scorer knows of the user it is scoring for.
struct UserHistory {
  std::span<const Event> events;  // oldest first
  int32_t user = -1;              // dense id if the user was in training, else -1
};

// A model's compact summary of one user (MF factor, LSTM hidden state,
// content profile, last item...). Built once per user and reused for every
// candidate, so per-request work is a dot product per item.
class UserState {
 public:
  virtual ~UserState() = default;
};

// A trained model that scores catalog items for a user. Implementations hold
// immutable model data and are thread-safe for concurrent const calls.
class Scorer {
 public:
  virtual ~Scorer() = default;
  Scorer() = default;
  Scorer(const Scorer&) = delete;
  Scorer& operator=(const Scorer&) = delete;

  // Short stable name used in configs, metrics and explanations ("mf", "lstm").
  virtual std::string_view name() const = 0;
  virtual int32_t num_items() const = 0;

  // Summarises the user's history. Never null.
  virtual std::unique_ptr<UserState> Encode(const UserHistory& history) const = 0;

  // The state of `full_history`, given `previous`: this scorer's state of
  // the same history without its last `appended` events. Lets the daemon
  // refresh a cached user after new events without re-encoding all of them.
  // The default re-encodes `full_history`; a model overrides it only where
  // its incremental form equals Encode(full_history). Never null.
  // REQUIRES: `previous` came from this scorer; appended <= events.size().
  virtual std::unique_ptr<UserState> Extend(const UserState& previous,
                                            const UserHistory& full_history,
                                            size_t appended) const;

  // Writes the score of every item into `out`.
  // REQUIRES: out.size() == num_items(); `state` came from this scorer's Encode.
  virtual void ScoreAll(const UserState& state, std::span<float> out) const = 0;

  // Writes the score of candidates[i] into out[i]. The default scores all
  // items and gathers; models with cheap per-item scores override it.
  // REQUIRES: out.size() == candidates.size(), every candidate < num_items().
  virtual void ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                               std::span<float> out) const;

  // Writes the model to a model directory. `base` supplies the data hash,
  // metrics and extra params; the model fills in type, dims and tensors.
  // Models that cannot be stored (test fakes) return Unimplemented.
  virtual absl::Status Save(const std::string& dir, ModelManifest base) const;
};

// Upcasts a factory's result, e.g. AsScorer(MfScorer::Load(dir)).
template <typename T>
absl::StatusOr<std::unique_ptr<Scorer>> AsScorer(absl::StatusOr<std::unique_ptr<T>> scorer) {
  if (!scorer.ok()) return scorer.status();
  return std::unique_ptr<Scorer>(*std::move(scorer));
}

}  // namespace recd

#endif  // RECD_SCORER_H_
