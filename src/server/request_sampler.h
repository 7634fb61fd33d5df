#ifndef RECD_SERVER_REQUEST_SAMPLER_H_
#define RECD_SERVER_REQUEST_SAMPLER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace recd {

// What each recd-bench call asks for: which user, drawn uniformly or from a
// Zipf-popular population (the shape of shop traffic: a few users make many
// of the calls), and with session items, the user's recent items.
//
// Deterministic for a given seed: which user is rank r of the popularity
// order depends only on the seed (the order is a seeded shuffle, so the
// popular users are not the user file's first lines, which would correlate
// with whatever the daemon keys its caches by); the user of a call only on
// the call's generator; a user's j-th session window only on the seed, the
// user and j.
//
// A session is a seeded sequence of catalog items per user; the j-th
// request of a user carries items j..j+N-1 of it, oldest first, so each
// request drops the oldest item of the previous one and adds one.
//
// Thread-safe: the draws read immutable tables; a user's session step is an
// atomic counter. Built once per run (the Zipf table costs one double per
// user).
class RequestSampler {
 public:
  // Every field's default is the value shown.
  struct Options {
    size_t num_users = 0;
    size_t num_items = 0;  // catalog ids sessions are drawn from
    // 0: users are drawn uniformly. > 0: the user of popularity rank r
    // (1-based) is drawn with probability proportional to 1 / r^zipf_s.
    double zipf_s = 0;
    int session_items = 0;  // recent_item_ids per RecommendItems; 0 = none
    uint64_t seed = 1;
  };

  // Most session items a request may carry: the daemon's default limit on
  // recent_item_ids (server.max_ids_per_request).
  static int MaxSessionItems();

  // Errors name the recd-bench flag at fault (--users-zipf, --session-items).
  static absl::Status Validate(const Options& options);
  static absl::StatusOr<std::unique_ptr<RequestSampler>> Create(const Options& options);

  RequestSampler(const RequestSampler&) = delete;
  RequestSampler& operator=(const RequestSampler&) = delete;

  // The user (an index below num_users) of a call whose generator is `rng`.
  // Uniform: rng() % num_users, one draw. Zipf: one draw and a binary search
  // of the popularity CDF.
  size_t DrawUser(std::mt19937_64& rng) const;

  // The user of popularity rank `rank` (0-based). Uniform: the identity.
  size_t UserOfRank(size_t rank) const {
    return rank_to_user_.empty() ? rank : rank_to_user_[rank];
  }

  // Advances `user`'s session by one request and returns the step of the
  // window it should send: items SessionItem(user, step + i), i < N.
  // REQUIRES: session_items > 0.
  uint64_t NextStep(size_t user) { return steps_[user].fetch_add(1, std::memory_order_relaxed); }

  // Item (an index below num_items) at `position` of `user`'s session.
  size_t SessionItem(size_t user, uint64_t position) const;

  const Options& options() const { return options_; }

  // One line for reports: "users zipf s=1.1 over 50000 (popularity order
  // shuffled by seed 1), 3 session items per request from 100000 item ids".
  std::string Describe() const;

 private:
  explicit RequestSampler(const Options& options);

  const Options options_;
  std::vector<double> cdf_;                         // Zipf: P(rank <= r), last entry 1
  std::vector<uint32_t> rank_to_user_;              // Zipf: the seeded popularity order
  std::unique_ptr<std::atomic<uint64_t>[]> steps_;  // per user, with sessions
};

}  // namespace recd

#endif  // RECD_SERVER_REQUEST_SAMPLER_H_
