// recd-train-mf: trains implicit-ALS matrix factorisation on an Amazon
// sequence file with the leave-one-out protocol, prints validation and test
// metrics, and optionally saves the model directory.
#include <chrono>
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "recd/content_hash.h"
#include "recd/data_loaders.h"
#include "recd/evaluator.h"
#include "recd/leave_one_out.h"
#include "spdlog/spdlog.h"
#include "train/als_trainer.h"

int main(int argc, char** argv) {
  CLI::App app{"Train implicit-ALS matrix factorisation and evaluate it (leave-one-out)."};
  std::string sequences, attributes, out_dir, solver = "cg";
  recd::AlsOptions o;
  app.add_option("--sequences", sequences, "Amazon <Name>.txt")->required();
  app.add_option("--attributes", attributes, "Amazon <Name>_item2attributes.json (optional)");
  app.add_option("--factors", o.factors)->capture_default_str();
  app.add_option("--reg", o.regularization)->capture_default_str();
  app.add_option("--alpha", o.alpha)->capture_default_str();
  app.add_option("--iterations", o.iterations)->capture_default_str();
  app.add_option("--recency-decay", o.recency_decay)->capture_default_str();
  app.add_option("--solver", solver, "cg or cholesky")->capture_default_str();
  app.add_option("--cg-steps", o.cg_steps)->capture_default_str();
  app.add_option("--seed", o.seed)->capture_default_str();
  app.add_option("--init-scale", o.init_scale)->capture_default_str();
  app.add_option("--threads", o.threads)->capture_default_str();
  app.add_option("--validate-every", o.validate_every)->capture_default_str();
  app.add_option("--validation-users", o.validation_max_users)->capture_default_str();
  app.add_option("--patience", o.early_stopping_patience)->capture_default_str();
  app.add_option("--out", out_dir, "write the model directory here");
  bool save_user_factors = false;
  app.add_flag("--save-user-factors", save_user_factors,
               "also store training users' factors (serving folds users in and never needs them)");
  CLI11_PARSE(app, argc, argv);
  o.solver = solver == "cholesky" ? recd::AlsSolver::kCholesky : recd::AlsSolver::kConjugateGradient;

  recd::LoadReport report;
  auto data = recd::LoadAmazonSequences(sequences, attributes, &report);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", std::string(data.status().message()).c_str());
    return 1;
  }
  spdlog::info("loaded {}", report.Summary());
  const recd::LeaveOneOutSplit split = recd::SplitLeaveOneOut(*data);
  const recd::Dataset train = recd::TrainingView(*data, split);
  const auto start = std::chrono::steady_clock::now();
  auto model = recd::TrainAls(train, o, &split);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", std::string(model.status().message()).c_str());
    return 1;
  }
  auto scorer = recd::MfScorer::Create(model->item_factors, model->fold_in,
                                       save_user_factors ? model->user_factors
                                                         : recd::RowMatrixXf());
  if (!scorer.ok()) {
    std::fprintf(stderr, "%s\n", std::string(scorer.status().message()).c_str());
    return 1;
  }
  const recd::RankingMetrics valid =
      recd::EvaluateScorer(**scorer, split, recd::EvalTarget::kValidation);
  const recd::RankingMetrics test = recd::EvaluateScorer(**scorer, split, recd::EvalTarget::kTest);
  std::printf("training %.1fs (best iteration %d)\nvalid %s\ntest  %s\n", seconds,
              model->best_iteration, valid.ToString().c_str(), test.ToString().c_str());
  if (!out_dir.empty()) {
    recd::ModelManifest manifest;
    if (auto hash = recd::HashFile(sequences); hash.ok()) manifest.data_hash = *hash;
    manifest.metrics["HR@10"] = valid.hr10;  // validation targets, as the manifest documents
    manifest.metrics["NDCG@10"] = valid.ndcg10;
    manifest.params["iterations"] = std::to_string(model->best_iteration);
    if (absl::Status s = (*scorer)->Save(out_dir, manifest); !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::printf("wrote %s\n", out_dir.c_str());
  }
  return 0;
}
