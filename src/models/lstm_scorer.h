#ifndef RECD_MODELS_LSTM_SCORER_H_
#define RECD_MODELS_LSTM_SCORER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <Eigen/Core>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "models/catalog_moments.h"
#include "recd/model_dir.h"
#include "recd/scorer.h"

namespace recd {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The weights of a one-layer LSTM next-item model, in PyTorch's nn.LSTM
// layout so that a model trained in PyTorch serves unchanged: gate blocks of
// the 4H rows are ordered input, forget, cell (g), output. A value type;
// what the trainer produces and LstmScorer::Create() consumes.
struct LstmWeights {
  RowMatrixXf item_embedding;  // [num_items x E]  "item_embedding.weight"
  RowMatrixXf weight_ih;       // [4H x E]         "lstm.weight_ih_l0"
  RowMatrixXf weight_hh;       // [4H x H]         "lstm.weight_hh_l0"
  Eigen::VectorXf bias_ih;     // [4H]             "lstm.bias_ih_l0"
  Eigen::VectorXf bias_hh;     // [4H]             "lstm.bias_hh_l0"
  RowMatrixXf output_weight;   // [num_items x H]  "output.weight"
  Eigen::VectorXf output_bias; // [num_items]      "output.bias"

  // Zero-filled weights of the given sizes.
  static LstmWeights Zeros(int32_t num_items, int embedding_dim, int hidden_dim);
  int32_t num_items() const { return static_cast<int32_t>(item_embedding.rows()); }
  int embedding_dim() const { return static_cast<int>(item_embedding.cols()); }
  int hidden_dim() const { return static_cast<int>(output_weight.cols()); }
  // OK when every tensor's shape agrees with num_items, E and H.
  absl::Status Validate() const;
};

// The LSTM's summary of a user: hidden and cell state after the last item.
// A value type; the daemon keeps one per active user and advances it with
// LstmScorer::Step() per event.
struct LstmState : public UserState {
  Eigen::VectorXf h;  // [H]
  Eigen::VectorXf c;  // [H]
};

// Scores items by the next-item distribution of a one-layer LSTM run over
// the user's recent items: score(item) = output.weight[item] . h + output.bias[item].
//
// Holds the weights either owned (after training, Create()) or as Eigen maps
// over a loaded safetensors file's buffer (Load()); either way they are
// immutable, so all const methods are thread-safe.
class LstmScorer : public Scorer {
 public:
  static constexpr std::string_view kModelType = "lstm";

  // Takes ownership of trained weights. `max_len` is how many of a user's most
  // recent items Encode() runs over (what the model was trained on).
  static absl::StatusOr<std::unique_ptr<LstmScorer>> Create(LstmWeights weights, int max_len);

  // Maps <model_dir>/model.safetensors (checked by ModelDir) and uses the
  // tensors in place. Fails naming the tensor whose shape is inconsistent.
  static absl::StatusOr<std::unique_ptr<LstmScorer>> Load(const std::string& model_dir);

  // Writes the model to `dir` as manifest + safetensors. `base` supplies the
  // provenance fields (data hash, metrics, params); type and dims are set here.
  absl::Status Save(const std::string& dir, ModelManifest base) const override;

  std::string_view name() const override { return kModelType; }
  int32_t num_items() const override { return num_items_; }
  int embedding_dim() const { return embedding_dim_; }
  int hidden_dim() const { return hidden_dim_; }
  int max_len() const { return max_len_; }

  // A zero state: what an empty history encodes to.
  LstmState InitialState() const;

  // Advances `state` by one item. An id outside [0, num_items) leaves the
  // state unchanged (an item unknown to the model says nothing to it).
  // Stepping per event equals Encode() while the history has at most
  // max_len() known items; past that, Encode() forgets the oldest items and
  // Step() does not (re-Encode() from the stored window to match exactly).
  void Step(LstmState& state, int32_t item) const;

  // Runs Step() from the zero state over the last max_len() known items of the
  // history. Unknown ids are dropped before the window is taken, so they do
  // not shorten the window. Returns an LstmState.
  std::unique_ptr<UserState> Encode(const UserHistory& history) const override;

  // Step()s a copy of `previous` over the last `appended` events while the
  // full history has at most max_len() known items (where that equals
  // Encode(), up to float rounding); past that the window slides, so it
  // re-encodes. One or two Steps instead of up to max_len().
  std::unique_ptr<UserState> Extend(const UserState& previous, const UserHistory& full_history,
                                    size_t appended) const override;

  // One GEMV: output.weight * h + output.bias.
  void ScoreAll(const UserState& state, std::span<float> out) const override;
  // One dot product per candidate.
  void ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                       std::span<float> out) const override;

  // Nominates by inner product: the output layer, queried by the hidden state.
  std::optional<ItemEmbeddings> embeddings() const override {
    return ItemEmbeddings{output_weight_.data(), output_weight_.rows(), output_weight_.cols(), output_bias()};
  }
  std::span<const float> EmbeddingQuery(const UserState& state) const override {
    const Eigen::VectorXf& h = static_cast<const LstmState&>(state).h;
    return {h.data(), static_cast<size_t>(h.size())};
  }
  // Moments of output.weight . h + output.bias over the catalog.
  std::optional<ScoreMoments> CatalogMoments(const UserState& state) const override {
    return moments_.For(EmbeddingQuery(state));
  }

  // Copies the weights out (e.g. to continue training or to write them).
  LstmWeights CopyWeights() const;

  // The output layer, in place: score(item) = output_weight().row(item) . h
  // + output_bias()[item]. For retrieval indexes built over it.
  Eigen::Map<const RowMatrixXf> output_weight() const { return output_weight_; }
  std::span<const float> output_bias() const {
    return {output_bias_.data(), static_cast<size_t>(output_bias_.size())};
  }

 private:
  using ConstMatrixMap = Eigen::Map<const RowMatrixXf>;
  using ConstVectorMap = Eigen::Map<const Eigen::VectorXf>;

  LstmScorer(int32_t num_items, int embedding_dim, int hidden_dim, int max_len);
  // One LSTM cell update from the step's gate pre-activations `z` [4H]
  // (input, forget, cell, output), with the gate nonlinearities evaluated
  // as vectorised Eigen array expressions.
  void ApplyGates(const Eigen::VectorXf& z, LstmState& state) const;
  // Points the maps at the given row-major buffers and precomputes the summed bias.
  void Bind(const float* item_embedding, const float* weight_ih, const float* weight_hh,
            const float* bias_ih, const float* bias_hh, const float* output_weight,
            const float* output_bias);

  int32_t num_items_;
  int embedding_dim_;
  int hidden_dim_;
  int max_len_;

  // Exactly one of these owns the bytes behind the maps.
  std::unique_ptr<LstmWeights> owned_;
  std::unique_ptr<const ModelDir> mapped_;

  ConstMatrixMap item_embedding_{nullptr, 0, 0};
  ConstMatrixMap weight_ih_{nullptr, 0, 0};
  ConstMatrixMap weight_hh_{nullptr, 0, 0};
  ConstVectorMap bias_ih_{nullptr, 0};
  ConstVectorMap bias_hh_{nullptr, 0};
  ConstMatrixMap output_weight_{nullptr, 0, 0};
  ConstVectorMap output_bias_{nullptr, 0};
  Eigen::VectorXf bias_;  // bias_ih + bias_hh, summed once at load time
  EmbeddingMoments moments_;
};

}  // namespace recd

#endif  // RECD_MODELS_LSTM_SCORER_H_
