#include "retrieval/ann_index.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

// hnswlib 0.6.2 prefetches one link past the end of an upper-layer link
// list, reading up to 3 bytes beyond its malloc block: inside glibc's chunk
// padding, so harmless, but AddressSanitizer stops on it. The prefetches
// exist only in hnswlib's SIMD code, so sanitizer builds use its scalar
// distances instead.
#if defined(__SANITIZE_ADDRESS__)
#define NO_MANUAL_VECTORIZATION
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_MANUAL_VECTORIZATION
#endif
#endif

// hnswlib.h defines non-inline functions (cpuid, AVXCapable, ...), so it may
// be included by one translation unit only: this one. Hence the opaque Graph.
#include "hnswlib/hnswlib.h"

namespace recd {

// The space must outlive the graph, which keeps pointers into it.
struct AnnIndex::Graph {
  Graph(size_t dim, size_t max_items, const AnnIndexOptions& o)
      : space(dim), hnsw(&space, max_items, o.m, o.ef_construction, o.seed) {}

  hnswlib::InnerProductSpace space;
  hnswlib::HierarchicalNSW<float> hnsw;
};

namespace {

absl::Status ValidateOptions(const AnnIndexOptions& o) {
  if (o.m < 2) {
    return absl::InvalidArgumentError(absl::StrCat("ann: options.m must be >= 2, got ", o.m));
  }
  if (o.ef_construction < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ann: options.ef_construction must be >= 1, got ", o.ef_construction));
  }
  if (o.ef_search < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ann: options.ef_search must be >= 1, got ", o.ef_search));
  }
  if (o.threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ann: options.threads must be >= 0, got ", o.threads));
  }
  return absl::OkStatus();
}

absl::Status ValidateItems(const Eigen::Ref<const RowMatrixXf>& items,
                           std::span<const float> bias) {
  if (items.rows() == 0 || items.cols() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("ann: items is empty (", items.rows(), " x ", items.cols(), ")"));
  }
  if (items.rows() > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ann: items has ", items.rows(), " rows, more than int32 ids can name"));
  }
  if (!bias.empty() && static_cast<Eigen::Index>(bias.size()) != items.rows()) {
    return absl::InvalidArgumentError(
        absl::StrCat("ann: bias has ", bias.size(), " values for ", items.rows(), " items"));
  }
  for (Eigen::Index r = 0; r < items.rows(); ++r) {
    if (!items.row(r).allFinite()) {
      return absl::InvalidArgumentError(absl::StrCat("ann: items row ", r, " is not finite"));
    }
  }
  for (size_t r = 0; r < bias.size(); ++r) {
    if (!std::isfinite(bias[r])) {
      return absl::InvalidArgumentError(absl::StrCat("ann: bias[", r, "] is not finite"));
    }
  }
  return absl::OkStatus();
}

// Writes the vector the graph stores for item `row`: [x, b?, pad?], where
// pad = sqrt(max_norm2 - |[x, b]|^2) gives every item the norm
// sqrt(max_norm2) (see AnnIndexOptions::equalize_norms).
void AugmentItem(const Eigen::Ref<const RowMatrixXf>& items, std::span<const float> bias,
                 int32_t row, bool equalize, float max_norm2, std::span<float> out) {
  const Eigen::Index d = items.cols();
  Eigen::Map<Eigen::VectorXf>(out.data(), d) = items.row(row).transpose();
  float norm2 = items.row(row).squaredNorm();
  size_t next = d;
  if (!bias.empty()) {
    out[next++] = bias[row];
    norm2 += bias[row] * bias[row];
  }
  if (equalize) out[next] = std::sqrt(std::max(0.0f, max_norm2 - norm2));
}

// Inserts items in the order of `rows`, labelled by row id, from `threads`
// threads. hnswlib's addPoint is meant for concurrent inserts of distinct
// labels; the first row goes in on its own so the graph has an entry point
// before the others race to link to it. Converts hnswlib's exceptions
// (allocation failures) to a status.
//
// ThreadSanitizer reports two things inside hnswlib 0.6.2's addPoint. With
// more than one thread, a data race on the level generator, which
// getRandomLevel() advances without a lock: formally undefined, in effect
// two inserts may draw the same level. With any number of threads, a
// lock-order inversion between node locks, which as we read the code cannot
// deadlock: besides its own node an insert locks only nodes already linked
// at the level it is working on, and it works its levels downwards, so two
// inserts never wait on each other's node. Concurrent searches are clean.
absl::Status InsertAll(const Eigen::Ref<const RowMatrixXf>& items, std::span<const float> bias,
                       std::span<const int32_t> rows, bool equalize, float max_norm2,
                       size_t stored_dim, int threads, hnswlib::HierarchicalNSW<float>& hnsw) {
  const int64_t n = static_cast<int64_t>(rows.size());
  std::mutex error_mu;
  std::string error;  // the first failure; guarded by error_mu
  std::atomic<bool> failed{false};
  auto insert = [&](int64_t i, std::span<float> buf) {
    AugmentItem(items, bias, rows[i], equalize, max_norm2, buf);
    try {
      hnsw.addPoint(buf.data(), static_cast<hnswlib::labeltype>(rows[i]));
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(error_mu);
      if (error.empty()) error = absl::StrCat("row ", rows[i], ": ", e.what());
      failed = true;
    }
  };
  std::atomic<int64_t> next{1};
  auto work = [&] {
    std::vector<float> buf(stored_dim);
    for (int64_t i = next++; i < n && !failed; i = next++) insert(i, buf);
  };
  {
    std::vector<float> buf(stored_dim);
    insert(0, buf);
  }
  threads = static_cast<int>(std::min<int64_t>(threads, n - 1));
  if (threads <= 1) {
    work();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(work);
    for (std::thread& t : pool) t.join();
  }
  if (!error.empty()) return absl::ResourceExhaustedError(absl::StrCat("ann: build: ", error));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<AnnIndex>> AnnIndex::Build(
    const Eigen::Ref<const RowMatrixXf>& items, std::span<const float> bias,
    const AnnIndexOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (absl::Status s = ValidateItems(items, bias); !s.ok()) return s;
  const int32_t n = static_cast<int32_t>(items.rows());
  const bool has_bias = !bias.empty();
  const bool equalize = options.equalize_norms;
  const size_t stored_dim = items.cols() + (has_bias ? 1 : 0) + (equalize ? 1 : 0);

  // Longest first: see AnnIndexOptions::equalize_norms for why the order
  // matters. Ties by row id keep a one-thread build reproducible.
  Eigen::VectorXf norm2 = items.rowwise().squaredNorm();
  if (has_bias) norm2 += Eigen::Map<const Eigen::VectorXf>(bias.data(), n).cwiseAbs2();
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return norm2[a] != norm2[b] ? norm2[a] > norm2[b] : a < b;
  });

  std::unique_ptr<Graph> graph;
  try {
    graph = std::make_unique<Graph>(stored_dim, items.rows(), options);
  } catch (const std::exception& e) {
    return absl::ResourceExhaustedError(
        absl::StrCat("ann: allocating the graph for ", items.rows(), " items: ", e.what()));
  }
  int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (absl::Status s = InsertAll(items, bias, order, equalize, norm2[order.front()], stored_dim,
                                 std::max(threads, 1), graph->hnsw);
      !s.ok()) {
    return s;
  }
  // hnswlib's searchKnn searches with a beam of max(ef_, k), and ef_ is one
  // field shared by all queries. Pinning it to 1 and asking for max(k, ef)
  // results instead gives each Search() call its own beam without a write
  // to shared state.
  graph->hnsw.setEf(1);
  return std::unique_ptr<AnnIndex>(new AnnIndex(std::move(graph), n, static_cast<int>(items.cols()),
                                                has_bias, equalize, options.ef_search));
}

AnnIndex::AnnIndex(std::unique_ptr<Graph> graph, int32_t size, int dim, bool has_bias,
                   bool equalized, int ef_search)
    : graph_(std::move(graph)),
      size_(size),
      dim_(dim),
      has_bias_(has_bias),
      equalized_(equalized),
      ef_search_(ef_search) {}

AnnIndex::~AnnIndex() = default;

absl::StatusOr<std::vector<int32_t>> AnnIndex::Search(std::span<const float> query, int k,
                                                      int ef) const {
  if (k <= 0) return absl::InvalidArgumentError(absl::StrCat("ann: k must be > 0, got ", k));
  if (ef < 0) return absl::InvalidArgumentError(absl::StrCat("ann: ef must be >= 0, got ", ef));
  if (static_cast<int64_t>(query.size()) != dim_) {
    return absl::InvalidArgumentError(
        absl::StrCat("ann: query has ", query.size(), " values, the index has dimension ", dim_));
  }
  // The stored vectors are [x, b?, pad?]; the query is [q, 1?, 0?].
  std::vector<float> q(query.begin(), query.end());
  for (size_t j = 0; j < q.size(); ++j) {
    if (!std::isfinite(q[j])) {
      return absl::InvalidArgumentError(absl::StrCat("ann: query[", j, "] is not finite"));
    }
  }
  if (has_bias_) q.push_back(1.0f);
  if (equalized_) q.push_back(0.0f);

  const size_t beam = std::max(k, ef > 0 ? ef : ef_search_);
  // A max-heap on distance (1 - score): the worst result is on top.
  auto found = graph_->hnsw.searchKnn(q.data(), beam);
  while (found.size() > static_cast<size_t>(k)) found.pop();
  std::vector<int32_t> ids(found.size());
  for (size_t i = ids.size(); i-- > 0; found.pop()) {
    ids[i] = static_cast<int32_t>(found.top().second);
  }
  return ids;
}

}  // namespace recd
