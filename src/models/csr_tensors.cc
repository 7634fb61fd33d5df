#include "models/csr_tensors.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace recd {
void AddCsrTensors(const std::string& prefix, const SparseRowMatrix& m, SafetensorsWriter* out) {
  const int64_t rows = m.rows();
  const int64_t nnz = m.nonZeros();
  out->Add(prefix + ".indptr", DType::kI32, {rows + 1}, m.outerIndexPtr());
  out->Add(prefix + ".indices", DType::kI32, {nnz}, m.innerIndexPtr());
  out->Add(prefix + ".values", DType::kF32, {nnz}, m.valuePtr());
}

absl::StatusOr<SparseRowMatrix> ReadCsrTensors(const SafetensorsFile& file,
                                               const std::string& prefix, int64_t rows,
                                               int64_t cols) {
  if (rows < 0 || cols < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.path(), ": tensor ", prefix, ": negative matrix shape"));
  }
  auto indptr_view = file.Get(prefix + ".indptr", DType::kI32, {rows + 1});
  if (!indptr_view.ok()) return indptr_view.status();
  auto indices_view = file.Get(prefix + ".indices", DType::kI32, {-1});
  if (!indices_view.ok()) return indices_view.status();
  auto values_view = file.Get(prefix + ".values", DType::kF32, {-1});
  if (!values_view.ok()) return values_view.status();
  const auto indptr = indptr_view->i32();
  const auto indices = indices_view->i32();
  const auto values = values_view->f32();
  const auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(file.path(), ": tensor ", prefix, ": ", what));
  };
  const int64_t nnz = static_cast<int64_t>(indices.size());
  if (static_cast<int64_t>(values.size()) != nnz) return bad("indices and values differ in length");
  if (indptr[0] != 0 || indptr[static_cast<size_t>(rows)] != nnz) {
    return bad("indptr must start at 0 and end at nnz");
  }
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t begin = indptr[static_cast<size_t>(r)];
    const int32_t end = indptr[static_cast<size_t>(r) + 1];
    if (end < begin) return bad(absl::StrCat("indptr decreases at row ", r));
    for (int32_t p = begin; p < end; ++p) {
      const int32_t c = indices[static_cast<size_t>(p)];
      if (c < 0 || c >= cols) return bad(absl::StrCat("row ", r, ": column ", c, " out of range"));
      if (p > begin && c <= indices[static_cast<size_t>(p) - 1]) {
        return bad(absl::StrCat("row ", r, ": columns not strictly increasing"));
      }
      if (!std::isfinite(values[static_cast<size_t>(p)])) {
        return bad(absl::StrCat("row ", r, ": non-finite value"));
      }
    }
  }
  const Eigen::Map<const SparseRowMatrix> view(rows, cols, nnz, indptr.data(), indices.data(),
                                               values.data());
  SparseRowMatrix m = view;
  m.makeCompressed();
  return m;
}

absl::StatusOr<std::vector<float>> ReadF32Vector(const SafetensorsFile& file,
                                                 const std::string& name, int64_t size) {
  auto view = file.Get(name, DType::kF32, {size});
  if (!view.ok()) return view.status();
  const auto data = view->f32();
  for (float v : data) {
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.path(), ": tensor ", name, ": non-finite value"));
    }
  }
  return std::vector<float>(data.begin(), data.end());
}

}  // namespace recd
