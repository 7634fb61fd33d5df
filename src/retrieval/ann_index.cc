#include "retrieval/ann_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "recd/content_hash.h"
#include "retrieval/ann_index_meta.h"

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
#include "util/usable_cores.h"

// ThreadSanitizer builds (RECD_TSAN): GCC defines __SANITIZE_THREAD__,
// clang answers __has_feature.
#if defined(__SANITIZE_THREAD__)
#define RECD_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RECD_THREAD_SANITIZER 1
#endif
#endif

namespace recd {

// The space must outlive the graph, which keeps pointers into it.
struct AnnIndex::Graph {
  Graph(size_t dim, size_t max_items, const AnnIndexOptions& o)
      : space(dim), hnsw(&space, max_items, o.m, o.ef_construction, o.seed) {}
  // hnswlib's loading constructor; REQUIRES: `path` passed CheckHnswFile.
  Graph(size_t dim, const std::string& path) : space(dim), hnsw(&space, path) {}

  hnswlib::InnerProductSpace space;
  hnswlib::HierarchicalNSW<float> hnsw;
};

namespace {

namespace fs = std::filesystem;

std::atomic<int64_t> g_builds{0};
std::atomic<int64_t> g_loads{0};

// HashBytes of the row-major vectors, whatever their stride in memory.
std::string ItemsChecksum(const Eigen::Ref<const RowMatrixXf>& items) {
  if (items.outerStride() == items.cols()) {
    return HashBytes(items.data(), sizeof(float) * static_cast<size_t>(items.size()));
  }
  const RowMatrixXf copy = items;
  return HashBytes(copy.data(), sizeof(float) * static_cast<size_t>(copy.size()));
}

std::string BiasChecksum(std::span<const float> bias) {
  return bias.empty() ? std::string() : HashBytes(bias.data(), bias.size_bytes());
}

// The fixed-size fields hnswlib 0.6.2's saveIndex writes first, in order.
struct HnswHeader {
  size_t offset_level0, max_elements, count, size_data_per_element, label_offset, offset_data;
  int max_level;
  hnswlib::tableint enter_point;
  size_t max_m, max_m0, m;
  double mult;
  size_t ef_construction;
};
constexpr size_t kHnswHeaderBytes =
    10 * sizeof(size_t) + sizeof(int) + sizeof(hnswlib::tableint) + sizeof(double);

// Levels are drawn as -ln(U) / ln(M): beyond 64 only a corrupt file goes.
constexpr int kMaxHnswLevel = 64;

absl::StatusOr<HnswHeader> ReadHnswHeader(const std::string& path) {
  char buf[kHnswHeaderBytes];
  std::ifstream in(path, std::ios::binary);
  if (!in.read(buf, sizeof(buf))) {
    return absl::DataLossError(absl::StrCat(path, ": shorter than hnswlib's header"));
  }
  HnswHeader h;
  const char* p = buf;
  auto take = [&p](auto& field) {
    std::memcpy(&field, p, sizeof(field));
    p += sizeof(field);
  };
  take(h.offset_level0), take(h.max_elements), take(h.count), take(h.size_data_per_element);
  take(h.label_offset), take(h.offset_data), take(h.max_level), take(h.enter_point);
  take(h.max_m), take(h.max_m0), take(h.m), take(h.mult), take(h.ef_construction);
  return h;
}

// What hnswlib's loader would otherwise take on trust: a header that says
// how big every record is, and records that fit in the file. A graph Build()
// makes has one record per item, 2*M base-layer links and the stored vector
// [x, b?, pad?] of `stored_dim` floats.
absl::Status CheckHnswFile(const std::string& path, int64_t file_bytes, const AnnIndexMeta& meta,
                           size_t stored_dim) {
  auto header = ReadHnswHeader(path);
  if (!header.ok()) return header.status();
  const HnswHeader& h = *header;
  const size_t links0 = 2 * h.m * sizeof(hnswlib::tableint) + sizeof(hnswlib::linklistsizeint);
  const size_t items = static_cast<size_t>(meta.items);
  std::string wrong;
  if (h.count != items || h.max_elements != items) {
    wrong = absl::StrCat("holds ", h.count, " of ", h.max_elements, " items, expected ", items);
  } else if (h.m != static_cast<size_t>(meta.m) || h.max_m != h.m || h.max_m0 != 2 * h.m) {
    wrong = absl::StrCat("has M ", h.m, " (", h.max_m, ", ", h.max_m0, "), expected ", meta.m);
  } else if (h.offset_level0 != 0 || h.offset_data != links0 ||
             h.label_offset != links0 + stored_dim * sizeof(float) ||
             h.size_data_per_element != h.label_offset + sizeof(hnswlib::labeltype)) {
    wrong = absl::StrCat("has records of ", h.size_data_per_element, " bytes, expected ",
                         links0 + stored_dim * sizeof(float) + sizeof(hnswlib::labeltype));
  } else if (h.enter_point >= items || h.max_level < 0 || h.max_level > kMaxHnswLevel) {
    wrong = absl::StrCat("has entry point ", h.enter_point, " at level ", h.max_level);
  } else if (static_cast<size_t>(file_bytes) < kHnswHeaderBytes + items * h.size_data_per_element) {
    wrong = absl::StrCat("is ", file_bytes, " bytes, too short for ", items, " records");
  }
  if (wrong.empty()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(path, ": hnswlib header ", wrong));
}

// FailedPrecondition, naming ann.json, unless the index described by
// `meta` was built from exactly these vectors with this norm padding.
absl::Status CheckBuiltFrom(const AnnIndexMeta& meta, const std::string& meta_path,
                            const Eigen::Ref<const RowMatrixXf>& items, std::span<const float> bias,
                            const AnnIndexOptions& options) {
  auto stale = [&](const std::string& what) {
    return absl::FailedPreconditionError(absl::StrCat(meta_path, ": ", what));
  };
  if (meta.items != items.rows() || meta.dim != items.cols() || meta.has_bias == bias.empty()) {
    return stale(absl::StrCat("indexes ", meta.items, " x ", meta.dim,
                              meta.has_bias ? " with" : " without", " bias; the model has ",
                              items.rows(), " x ", items.cols(),
                              bias.empty() ? " without" : " with"));
  }
  if (meta.equalize_norms != options.equalize_norms) {
    return stale(absl::StrCat("equalize_norms is ", meta.equalize_norms ? "true" : "false",
                              ", wanted ", options.equalize_norms ? "true" : "false"));
  }
  if (meta.items_checksum != ItemsChecksum(items) || meta.bias_checksum != BiasChecksum(bias)) {
    return stale("built from other item vectors than the model's (items_checksum / bias_checksum)");
  }
  return absl::OkStatus();
}

// DataLoss, naming ann.hnsw, unless it is the file `meta` describes: its
// size, its checksum, and a header that agrees (CheckHnswFile).
absl::Status CheckGraphFile(const std::string& graph_path, const AnnIndexMeta& meta,
                            size_t stored_dim) {
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(graph_path, ec);
  if (ec) return absl::DataLossError(absl::StrCat(graph_path, ": ", ec.message()));
  if (static_cast<int64_t>(bytes) != meta.graph_bytes) {
    return absl::DataLossError(absl::StrCat(graph_path, ": ", bytes, " bytes, ",
                                            AnnIndex::kMetaFile, " says ", meta.graph_bytes,
                                            " (truncated or replaced?)"));
  }
  auto checksum = HashFile(graph_path);
  if (!checksum.ok()) return absl::DataLossError(checksum.status().message());
  if (*checksum != meta.graph_checksum) {
    return absl::DataLossError(absl::StrCat(graph_path, ": checksum ", *checksum, ", ",
                                            AnnIndex::kMetaFile, " says ", meta.graph_checksum));
  }
  return CheckHnswFile(graph_path, meta.graph_bytes, meta, stored_dim);
}

// The size saveIndex writes for `hnsw`, to catch a write that failed
// silently (hnswlib does not check its stream).
int64_t ExpectedGraphBytes(const hnswlib::HierarchicalNSW<float>& hnsw) {
  int64_t bytes =
      kHnswHeaderBytes + static_cast<int64_t>(hnsw.cur_element_count * hnsw.size_data_per_element_);
  for (size_t i = 0; i < hnsw.cur_element_count; ++i) {
    bytes += sizeof(unsigned int);
    if (hnsw.element_levels_[i] > 0)
      bytes += hnsw.size_links_per_element_ * hnsw.element_levels_[i];
  }
  return bytes;
}

absl::Status FsyncFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat(path, ": cannot open to fsync"));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return absl::InternalError(absl::StrCat(path, ": fsync failed"));
  return absl::OkStatus();
}

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
      options.threads > 0 ? options.threads : UsableCores();
#ifdef RECD_THREAD_SANITIZER
  // Under TSan the race on hnswlib's level generator (see InsertAll) would
  // be reported by every test that builds an index and bury our own races.
  threads = 1;
#endif
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
  Provenance provenance{options.m, options.ef_construction, options.seed, ItemsChecksum(items),
                        BiasChecksum(bias)};
  ++g_builds;
  return std::unique_ptr<AnnIndex>(new AnnIndex(std::move(graph), n, static_cast<int>(items.cols()),
                                                has_bias, equalize, options.ef_search,
                                                std::move(provenance)));
}

absl::StatusOr<std::unique_ptr<AnnIndex>> AnnIndex::Load(const std::string& dir,
                                                         const Eigen::Ref<const RowMatrixXf>& items,
                                                         std::span<const float> bias,
                                                         const AnnIndexOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  const std::string meta_path = (fs::path(dir) / kMetaFile).string();
  const std::string graph_path = (fs::path(dir) / kGraphFile).string();
  auto meta = ReadAnnIndexMeta(meta_path);
  if (!meta.ok()) return meta.status();
  if (absl::Status s = CheckBuiltFrom(*meta, meta_path, items, bias, options); !s.ok()) return s;
  const size_t stored_dim =
      items.cols() + (meta->has_bias ? 1 : 0) + (meta->equalize_norms ? 1 : 0);
  if (absl::Status s = CheckGraphFile(graph_path, *meta, stored_dim); !s.ok()) return s;
  std::unique_ptr<Graph> graph;
  try {
    graph = std::make_unique<Graph>(stored_dim, graph_path);
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(graph_path, ": hnswlib: ", e.what()));
  }
  graph->hnsw.setEf(1);  // see Build()
  Provenance provenance{meta->m, meta->ef_construction, meta->seed, meta->items_checksum,
                        meta->bias_checksum};
  ++g_loads;
  return std::unique_ptr<AnnIndex>(new AnnIndex(std::move(graph), static_cast<int32_t>(meta->items),
                                                meta->dim, meta->has_bias, meta->equalize_norms,
                                                options.ef_search, std::move(provenance)));
}

absl::Status AnnIndex::Save(const std::string& dir) const {
  const std::string graph_path = (fs::path(dir) / kGraphFile).string();
  const std::string tmp = absl::StrCat(graph_path, ".tmp.", getpid());
  const int64_t expected = ExpectedGraphBytes(graph_->hnsw);
  std::error_code ec;
  auto fail = [&](const std::string& what) {
    fs::remove(tmp, ec);
    return absl::InternalError(absl::StrCat(graph_path, ": ", what));
  };
  try {
    graph_->hnsw.saveIndex(tmp);
  } catch (const std::exception& e) {
    return fail(absl::StrCat("hnswlib: ", e.what()));
  }
  const auto bytes = fs::file_size(tmp, ec);
  if (ec || static_cast<int64_t>(bytes) != expected) {
    return fail(absl::StrCat("write failed: ", ec ? 0 : bytes, " of ", expected, " bytes"));
  }
  auto checksum = HashFile(tmp);
  if (!checksum.ok()) return fail(std::string(checksum.status().message()));
  if (absl::Status s = FsyncFile(tmp); !s.ok()) return fail(std::string(s.message()));
  fs::rename(tmp, graph_path, ec);
  if (ec) return fail(absl::StrCat("rename: ", ec.message()));

  AnnIndexMeta meta;
  meta.items = size_;
  meta.dim = dim_;
  meta.has_bias = has_bias_;
  meta.equalize_norms = equalized_;
  meta.m = provenance_.m;
  meta.ef_construction = provenance_.ef_construction;
  meta.seed = provenance_.seed;
  meta.items_checksum = provenance_.items_checksum;
  meta.bias_checksum = provenance_.bias_checksum;
  meta.graph_bytes = expected;
  meta.graph_checksum = *checksum;
  return WriteAnnIndexMeta((fs::path(dir) / kMetaFile).string(), meta);
}

int64_t AnnIndex::builds_total() { return g_builds.load(); }
int64_t AnnIndex::loads_total() { return g_loads.load(); }

AnnIndex::AnnIndex(std::unique_ptr<Graph> graph, int32_t size, int dim, bool has_bias,
                   bool equalized, int ef_search, Provenance provenance)
    : graph_(std::move(graph)),
      size_(size),
      dim_(dim),
      has_bias_(has_bias),
      equalized_(equalized),
      ef_search_(ef_search),
      provenance_(std::move(provenance)) {}

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
