#ifndef RECD_RETRIEVAL_ANN_INDEX_H_
#define RECD_RETRIEVAL_ANN_INDEX_H_

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "models/implicit_solve.h"  // RowMatrixXf

namespace recd {

// How an AnnIndex is built and searched.
struct AnnIndexOptions {
  // Links per node and layer of the HNSW graph (2*m on the base layer,
  // 8*m bytes per item). Higher: better recall at a given ef, slower build.
  int m = 16;
  // Beam width while inserting. Higher: a better graph, slower build.
  int ef_construction = 200;
  // Beam width of Search() when the call passes ef = 0. The beam is never
  // narrower than k, so at ef_search <= k it is k. 128 gave recall@100 0.98
  // at ~0.14 ms on the benchmark's 100k x 64 items, 200 gave 0.994 at 0.21.
  int ef_search = 128;
  // Threads inserting items in parallel; 0 = hardware threads. With one
  // thread the graph is a function of the data and `seed`; with more it also
  // depends on scheduling, so two builds may differ slightly in recall, and
  // hnswlib draws node levels from an unsynchronised generator (a benign
  // data race that ThreadSanitizer reports, see ann_index.cc). A TSan
  // build always uses one thread.
  int threads = 0;
  // Seed of the random layer assignment.
  uint64_t seed = 100;
  // Give every item the same norm, the largest one, by an extra coordinate
  // sqrt(max_norm^2 - |x|^2) that is 0 in the query: inner products, and so
  // the ranking, are unchanged, and the search becomes an angular one, the
  // kind HNSW is made for (inner product is no metric). Items are inserted
  // longest first either way, and with the padding that order is what makes
  // it pay: in row order the padded graph found almost nothing (recall@100
  // at ef 200 on 100k x 64 clustered vectors with norms spread like the demo
  // MF item factors: 0.18, raw inner products 0.87); longest first it finds
  // 0.99, faster than raw (208 vs 241 us), and a beam of n finds the exact
  // top k, which the raw graph does not. Our reading: the links made first
  // are the long-range ones, and they should join the long vectors, which
  // are what queries look for. false: a graph over raw inner products,
  // kept for comparison (benchmarks/ann_index_bench.cc).
  bool equalize_norms = true;
};

// Approximate maximum-inner-product search over a fixed set of item vectors:
// given a query q, the items i with the largest x_i . q (+ b_i with a bias),
// via an HNSW graph (hnswlib). Item ids are row numbers of the built matrix.
// Holds a copy of the vectors plus about 8*m bytes of links per item.
//
// Immutable after Build() or Load(); all const methods are thread-safe, and
// concurrent Search() calls return what serial ones would. Build() once (in
// recd-train, which Save()s it into the bundle, or at load time) and share
// the index behind the model snapshot.
class AnnIndex {
 public:
  // The files Save() writes into a directory: the graph in hnswlib's own
  // format, and its description (retrieval/ann_index_meta.h).
  static constexpr char kGraphFile[] = "ann.hnsw";
  static constexpr char kMetaFile[] = "ann.json";

  // Indexes the rows of `items` [n x d]. With `bias` (n values) an item's
  // score is items.row(i) . q + bias[i], as in an output layer; empty `bias`
  // means none. Copies the data: `items` may be freed afterwards.
  // Fails with InvalidArgument naming the field for an empty matrix, a bias
  // of the wrong length, non-finite values and out-of-range options.
  static absl::StatusOr<std::unique_ptr<AnnIndex>> Build(const Eigen::Ref<const RowMatrixXf>& items,
                                                         std::span<const float> bias,
                                                         const AnnIndexOptions& options);

  // Reads the index Save() wrote into `dir` for these very `items` and
  // `bias`. It must have been built with options.equalize_norms; its M and
  // ef_construction are whatever the writer chose, and options.ef_search is
  // this index's default beam as with Build(). The graph file's size and
  // checksum are verified, and its header checked against the description,
  // before hnswlib reads it, since hnswlib trusts its input. Errors name the
  // file: NotFound when `dir` holds no kMetaFile; FailedPrecondition when
  // the index was built from other vectors or with other settings (stale);
  // DataLoss when either file is corrupt or truncated.
  static absl::StatusOr<std::unique_ptr<AnnIndex>> Load(const std::string& dir,
                                                        const Eigen::Ref<const RowMatrixXf>& items,
                                                        std::span<const float> bias,
                                                        const AnnIndexOptions& options);

  // Writes kGraphFile, then kMetaFile, into the existing directory `dir`,
  // each replaced atomically, so a reader racing the writer sees the old
  // description (whose checksum the new graph fails) or the new pair.
  absl::Status Save(const std::string& dir) const;

  // Process-wide counts of indexes made by Build() and by Load() so far, for
  // the daemon's status: a reload that keeps or loads its indexes adds no
  // build. Thread-safe.
  static int64_t builds_total();
  static int64_t loads_total();

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

  // What the graph was built from and how, as Save() records it.
  struct Provenance {
    int m = 0;
    int ef_construction = 0;
    uint64_t seed = 0;
    std::string items_checksum;
    std::string bias_checksum;
  };

  AnnIndex(std::unique_ptr<Graph> graph, int32_t size, int dim, bool has_bias, bool equalized,
           int ef_search, Provenance provenance);

  std::unique_ptr<Graph> graph_;
  int32_t size_;
  int dim_;
  bool has_bias_;
  bool equalized_;
  int ef_search_;
  Provenance provenance_;
};

}  // namespace recd

#endif  // RECD_RETRIEVAL_ANN_INDEX_H_
