#ifndef RECD_MODELS_CSR_TENSORS_H_
#define RECD_MODELS_CSR_TENSORS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "models/sparse_matrix.h"
#include "recd/safetensors.h"

namespace recd {

// Adds `m` as three tensors: <prefix>.indptr (I32 [rows + 1]),
// <prefix>.indices (I32 [nnz]) and <prefix>.values (F32 [nnz]).
// REQUIRES: m is compressed.
void AddCsrTensors(const std::string& prefix, const SparseRowMatrix& m, SafetensorsWriter* out);

// Reads the tensors written by AddCsrTensors and checks them: indptr starts
// at 0, never decreases and ends at nnz; column indices lie in [0, cols) and
// strictly increase within a row; values are finite. Errors name the file
// and tensor.
absl::StatusOr<SparseRowMatrix> ReadCsrTensors(const SafetensorsFile& file,
                                               const std::string& prefix, int64_t rows,
                                               int64_t cols);

// Reads a F32 vector tensor of exactly `size` elements.
absl::StatusOr<std::vector<float>> ReadF32Vector(const SafetensorsFile& file,
                                                 const std::string& name, int64_t size);

}  // namespace recd

#endif  // RECD_MODELS_CSR_TENSORS_H_
