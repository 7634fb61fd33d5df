#ifndef RECD_RETRIEVAL_ANN_INDEX_H_
#define RECD_RETRIEVAL_ANN_INDEX_H_

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "models/implicit_solve.h"  // RowMatrixXf

namespace recd {

// How an AnnIndex is built and searched.
struct AnnIndexOptions {
  // Links per node and layer of the HNSW graph (2*m on the base layer).
  // Higher m: better recall at a given ef, slower build, 8*m more bytes per
  // item.
  int m = 16;
  // Beam width while inserting. Higher: a better graph, slower build.
  int ef_construction = 200;
  // Beam width of Search() when the call passes ef = 0. The beam is never
  // narrower than k, so at ef_search <= k it is k.
  int ef_search = 128;
  // Threads inserting items in parallel; 0 = hardware threads. With one
  // thread the graph is a function of the data and `seed`; with more it also
  // depends on scheduling, so two builds may differ slightly in recall.
  int threads = 0;
  // Seed of the random layer assignment.
  uint64_t seed = 100;
  // Give every item the same norm before building the graph: an extra
  // coordinate sqrt(max_norm^2 - |x|^2), 0 in the query. Inner products, and
  // so the ranking, are unchanged, but the graph becomes an angular one (the
  // usual reduction of MIPS to cosine search). Off by default because
  // measured recall@50 (ef 128) was worse with it wherever item norms vary
  // as in trained factors: 0.75 vs 0.99 on the demo MF item factors (norms
  // p5 0.12, p95 1.6), 0.80 vs 0.94 on clustered data with that spread. It
  // wins when norms are nearly equal and a per-row bias weighs heavily in
  // the score: 0.99 vs 0.73 on clustered data with norms varying ~2x (p5 to
  // p95) and a bias that replaces 40% of the exact top 50.
  // The demo LSTM output layer (with bias) measured >= 0.99 either way.
  // Without it a few items are no item's inner-product neighbour and no ef
  // finds them (recall@50 at ef = n: 0.98 on the clustered data, 1.0 with
  // it); at the ef values a request can afford the raw graph still wins.
  bool equalize_norms = false;
};

// Approximate maximum-inner-product search over a fixed set of item vectors:
// given a query q, the items i with the largest x_i . q (+ b_i with a bias),
// via an HNSW graph (hnswlib). Item ids are row numbers of the built matrix.
// Holds a copy of the vectors plus about 8*m bytes of links per item.
//
// Immutable after Build(); all const methods are thread-safe, and concurrent
// Search() calls return what serial ones would. Build() once at load time
// and share the index behind the model snapshot.
class AnnIndex {
 public:
  // Indexes the rows of `items` [n x d]. With `bias` (n values) an item's
  // score is items.row(i) . q + bias[i], as in an output layer; empty `bias`
  // means none. Copies the data: `items` may be freed afterwards.
  // Fails with InvalidArgument naming the field for an empty matrix, a bias
  // of the wrong length, non-finite values and out-of-range options.
  static absl::StatusOr<std::unique_ptr<AnnIndex>> Build(const Eigen::Ref<const RowMatrixXf>& items,
                                                         std::span<const float> bias,
                                                         const AnnIndexOptions& options);

  ~AnnIndex();
  AnnIndex(const AnnIndex&) = delete;
  AnnIndex& operator=(const AnnIndex&) = delete;

  // Up to k item ids (fewer only when the index holds fewer), highest score
  // first. `ef` is this call's beam width (0 = options.ef_search): wider is
  // slower and finds more of the true top k. Fails with InvalidArgument for
  // k <= 0, ef < 0, a query whose length is not dim() or non-finite values.
  absl::StatusOr<std::vector<int32_t>> Search(std::span<const float> query, int k,
                                              int ef = 0) const;

  int32_t size() const { return size_; }
  // Length of a query (the width of the built matrix).
  int dim() const { return dim_; }
  bool has_bias() const { return has_bias_; }
  int ef_search() const { return ef_search_; }

 private:
  struct Graph;  // hnswlib's types; see ann_index.cc for why they stay there

  AnnIndex(std::unique_ptr<Graph> graph, int32_t size, int dim, bool has_bias, bool equalized,
           int ef_search);

  std::unique_ptr<Graph> graph_;
  int32_t size_;
  int dim_;
  bool has_bias_;
  bool equalized_;
  int ef_search_;
};

}  // namespace recd

#endif  // RECD_RETRIEVAL_ANN_INDEX_H_
