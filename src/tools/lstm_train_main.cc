// Trains the LSTM next-item model on an Amazon-format sequence file with the
// leave-one-out protocol and prints validation and test metrics.
//
//   recd-lstm-train --sequences Beauty.txt [--out DIR] [--epochs 40] ...

#include <chrono>
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "recd/data_loaders.h"
#include "recd/evaluator.h"
#include "recd/leave_one_out.h"
#include "train/lstm_trainer.h"

int main(int argc, char** argv) {
  CLI::App app{"Train the recd LSTM next-item model"};
  std::string sequences;
  std::string attributes;
  std::string out;
  recd::LstmTrainOptions o;
  app.add_option("--sequences", sequences, "Amazon-format sequence file")->required();
  app.add_option("--attributes", attributes, "optional <Name>_item2attributes.json");
  app.add_option("--out", out, "model directory to write (optional)");
  app.add_option("--embedding-dim", o.embedding_dim);
  app.add_option("--hidden-dim", o.hidden_dim);
  app.add_option("--max-len", o.max_len);
  app.add_option("--epochs", o.epochs, "epoch limit (early stopping may end sooner; see --fixed-epochs)");
  app.add_flag("--fixed-epochs", o.fixed_epochs,
               "train exactly --epochs epochs and keep the last: no early stopping, no time budget");
  app.add_option("--batch-size", o.batch_size);
  app.add_option("--lr", o.learning_rate);
  app.add_option("--embedding-dropout", o.embedding_dropout);
  app.add_option("--hidden-dropout", o.hidden_dropout);
  app.add_option("--weight-decay", o.weight_decay);
  app.add_option("--clip-norm", o.clip_norm);
  app.add_option("--init-scale", o.init_scale);
  app.add_option("--patience", o.patience);
  app.add_option("--seed", o.seed);
  app.add_option("--threads", o.threads);
  app.add_option("--validation-users", o.validation_users);
  app.add_option("--time-budget", o.time_budget_seconds, "seconds; 0 = none");
  app.add_option("--sampled-negatives", o.sampled_negatives, "0 = full softmax");
  app.add_option("--sampling-power", o.sampling_power, "negatives ~ (count + 1)^power");
  CLI11_PARSE(app, argc, argv);

  recd::LoadReport report;
  auto data = recd::LoadAmazonSequences(sequences, attributes, &report);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", std::string(data.status().message()).c_str());
    return 1;
  }
  std::printf("loaded %s\n", report.Summary().c_str());
  const recd::LeaveOneOutSplit split = recd::SplitLeaveOneOut(*data);
  const auto start = std::chrono::steady_clock::now();
  auto scorer = recd::TrainLstm(recd::TrainingView(*data, split), split, o);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!scorer.ok()) {
    std::fprintf(stderr, "%s\n", std::string(scorer.status().message()).c_str());
    return 1;
  }
  const recd::RankingMetrics valid =
      recd::EvaluateScorer(**scorer, split, recd::EvalTarget::kValidation);
  const recd::RankingMetrics test = recd::EvaluateScorer(**scorer, split, recd::EvalTarget::kTest);
  std::printf("training %.1fs\nvalidation %s\ntest %s\n", seconds, valid.ToString().c_str(),
              test.ToString().c_str());
  if (!out.empty()) {
    recd::ModelManifest manifest;
    manifest.metrics = {{"valid_HR@10", valid.hr10}, {"valid_NDCG@10", valid.ndcg10},
                        {"test_HR@10", test.hr10}, {"test_NDCG@10", test.ndcg10}};
    manifest.params = {{"learning_rate", std::to_string(o.learning_rate)},
                       {"batch_size", std::to_string(o.batch_size)},
                       {"embedding_dropout", std::to_string(o.embedding_dropout)},
                       {"hidden_dropout", std::to_string(o.hidden_dropout)},
                       {"sampled_negatives", std::to_string(o.sampled_negatives)},
                       {"seed", std::to_string(o.seed)}};
    if (absl::Status s = (*scorer)->Save(out, manifest); !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    std::printf("wrote %s\n", out.c_str());
  }
  return 0;
}
