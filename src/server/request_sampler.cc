#include "server/request_sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/server_config.h"

namespace recd {
namespace {

// splitmix64's finaliser: a cheap, well-mixed hash of one word.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

int RequestSampler::MaxSessionItems() { return ServerConfig().max_ids_per_request; }

absl::Status RequestSampler::Validate(const Options& o) {
  if (!(o.zipf_s >= 0) || !std::isfinite(o.zipf_s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--users-zipf: must be a finite number >= 0 (0 = uniform), got ", o.zipf_s));
  }
  if (o.session_items < 0 || o.session_items > MaxSessionItems()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--session-items: must be in 0..", MaxSessionItems(),
                     " (the recent_item_ids a request may carry, server.max_ids_per_request), got ",
                     o.session_items));
  }
  if (o.session_items > 0 && o.num_items == 0) {
    return absl::InvalidArgumentError(
        "--session-items: needs item ids to draw sessions from (--items-file or --recd-config)");
  }
  if (o.num_users > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--users: at most 2^32-1 users, got ", o.num_users));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RequestSampler>> RequestSampler::Create(const Options& options) {
  if (absl::Status s = Validate(options); !s.ok()) return s;
  return std::unique_ptr<RequestSampler>(new RequestSampler(options));
}

RequestSampler::RequestSampler(const Options& options) : options_(options) {
  const size_t n = options_.num_users;
  if (options_.zipf_s > 0 && n > 0) {
    cdf_.resize(n);
    double sum = 0;
    for (size_t r = 0; r < n; ++r) {
      sum += std::pow(static_cast<double>(r + 1), -options_.zipf_s);
      cdf_[r] = sum;
    }
    for (double& c : cdf_) c /= sum;
    cdf_.back() = 1.0;  // a draw below 1 always lands on a rank
    rank_to_user_.resize(n);
    for (size_t r = 0; r < n; ++r) rank_to_user_[r] = static_cast<uint32_t>(r);
    // Fisher-Yates with our own generator rather than std::shuffle, whose
    // algorithm the standard leaves open: the same seed gives the same
    // popular users with every standard library.
    std::mt19937_64 rng(Mix(options_.seed ^ 0x5A17F00DULL));
    for (size_t i = n - 1; i > 0; --i) std::swap(rank_to_user_[i], rank_to_user_[rng() % (i + 1)]);
  }
  if (options_.session_items > 0 && n > 0) {
    steps_ = std::make_unique<std::atomic<uint64_t>[]>(n);
    for (size_t u = 0; u < n; ++u) steps_[u].store(0, std::memory_order_relaxed);
  }
}

size_t RequestSampler::DrawUser(std::mt19937_64& rng) const {
  if (cdf_.empty()) return static_cast<size_t>(rng() % options_.num_users);
  const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;  // [0, 1)
  const size_t rank =
      static_cast<size_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  return rank_to_user_[std::min(rank, cdf_.size() - 1)];
}

size_t RequestSampler::SessionItem(size_t user, uint64_t position) const {
  const uint64_t h = Mix(Mix(options_.seed * 0x9E3779B97F4A7C15ULL + user) + position);
  return static_cast<size_t>(h % options_.num_items);
}

std::string RequestSampler::Describe() const {
  std::string s =
      options_.zipf_s > 0
          ? absl::StrFormat("users zipf s=%g over %d (popularity order shuffled by seed %d)",
                            options_.zipf_s, options_.num_users, options_.seed)
          : absl::StrFormat("users uniform over %d", options_.num_users);
  if (options_.session_items > 0) {
    absl::StrAppend(&s, absl::StrFormat(", %d session items per request from %d item ids",
                                        options_.session_items, options_.num_items));
  } else {
    absl::StrAppend(&s, ", no session items");
  }
  return s;
}

}  // namespace recd
