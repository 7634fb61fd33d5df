#include "models/implicit_solve.h"

#include <algorithm>

#include <Eigen/Cholesky>

namespace recd {

std::vector<Observation> AggregateConfidences(std::span<const Event> events,
                                              const MfFoldIn& fold_in, int32_t num_items) {
  std::vector<Observation> obs;
  obs.reserve(events.size());
  float recency = 1.0f;
  for (size_t k = events.size(); k-- > 0;) {
    const Event& e = events[k];
    if (e.item >= 0 && e.item < num_items) {
      obs.push_back({e.item, recency * fold_in.event_weights.Of(e.type)});
    }
    recency *= fold_in.recency_decay;
  }
  std::sort(obs.begin(), obs.end(),
            [](const Observation& a, const Observation& b) { return a.index < b.index; });
  // Merge repeats, then turn weight sums into confidences.
  size_t out = 0;
  for (size_t i = 0; i < obs.size(); ++i) {
    if (out > 0 && obs[out - 1].index == obs[i].index) {
      obs[out - 1].confidence += obs[i].confidence;
    } else {
      obs[out++] = obs[i];
    }
  }
  obs.resize(out);
  for (Observation& o : obs) o.confidence = 1.0f + fold_in.alpha * o.confidence;
  return obs;
}

void SolveRowCholesky(const Eigen::MatrixXf& gram, float reg, const ConstRowMatrixMap& y,
                      std::span<const Observation> row, Eigen::Ref<Eigen::VectorXf> x) {
  const Eigen::Index f = gram.rows();
  Eigen::MatrixXf a = gram;
  a.diagonal().array() += reg;
  Eigen::VectorXf b = Eigen::VectorXf::Zero(f);
  for (const Observation& o : row) {
    const auto yj = y.row(o.index).transpose();
    // Only the lower triangle is read by the LLT below.
    a.selfadjointView<Eigen::Lower>().rankUpdate(yj, o.confidence - 1.0f);
    b.noalias() += o.confidence * yj;
  }
  Eigen::LLT<Eigen::MatrixXf, Eigen::Lower> llt(a);
  x = llt.solve(b);
}

void SolveRowConjugateGradient(const Eigen::MatrixXf& gram, float reg,
                               const ConstRowMatrixMap& y, std::span<const Observation> row,
                               int steps, Eigen::Ref<Eigen::VectorXf> x) {
  // A v = gram v + reg v + sum_j (c_j - 1) (y_j . v) y_j, never formed.
  auto apply = [&](const Eigen::VectorXf& v, Eigen::VectorXf& out) {
    out.noalias() = gram * v;
    out += reg * v;
    for (const Observation& o : row) {
      const auto yj = y.row(o.index).transpose();
      out.noalias() += ((o.confidence - 1.0f) * yj.dot(v)) * yj;
    }
  };
  Eigen::VectorXf r(x.size());
  Eigen::VectorXf xv = x;
  apply(xv, r);
  r = -r;
  for (const Observation& o : row) r.noalias() += o.confidence * y.row(o.index).transpose();
  Eigen::VectorXf p = r;
  Eigen::VectorXf ap(x.size());
  float rs_old = r.squaredNorm();
  for (int s = 0; s < steps; ++s) {
    if (rs_old < 1e-20f) break;
    apply(p, ap);
    const float p_ap = p.dot(ap);
    if (p_ap <= 0.0f) break;  // numerically singular; keep what we have
    const float step = rs_old / p_ap;
    xv.noalias() += step * p;
    r.noalias() -= step * ap;
    const float rs_new = r.squaredNorm();
    p = r + (rs_new / rs_old) * p;
    rs_old = rs_new;
  }
  x = xv;
}

}  // namespace recd
