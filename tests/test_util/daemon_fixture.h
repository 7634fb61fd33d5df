#ifndef RECD_TESTS_TEST_UTIL_DAEMON_FIXTURE_H_
#define RECD_TESTS_TEST_UTIL_DAEMON_FIXTURE_H_

// The daemon test fixture: synthetic data, two trained bundles shared by every
// test of a suite (training is the slow part), and a real recd started per
// test on a loopback port with its own RocksDB store.

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "data/synthetic_generator.h"
#include "gtest/gtest.h"
#include "recd/data_source.h"
#include "recd/v1/recommender.grpc.pb.h"
#include "server/recd_server.h"
#include "train/bundle_trainer.h"

namespace recd {

// Data and two trained bundles shared by every test (training is the slow part).
// bundle_a and bundle_b are bundle roots (what models.path names) holding one
// version each: bundle_a/1 and bundle_b/2, numbered apart so that the
// bundle_version a reload reports tells them apart.
struct World {
  std::filesystem::path dir;
  std::filesystem::path catalog, events, bundle_a, bundle_b;
  Dataset data;
  // What made catalog and events: SyntheticGenerator::Create(generator)
  // again gives the planted structure (complements) to test against.
  SyntheticOptions generator;
};

inline World* world = nullptr;

// `threads` clients calling RecommendItems (k = 10) in a loop on `channel`
// until Stop(), counting answers with 10 items and everything else.
class RecommendLoad {
 public:
  RecommendLoad(std::shared_ptr<grpc::Channel> channel, int threads) {
    for (int t = 0; t < threads; ++t) {
      clients_.emplace_back([this, channel, t] {
        auto stub = v1::Recommender::NewStub(channel);
        for (int i = 0; !stop_.load(); ++i) {
          v1::RecommendRequest req;
          req.set_user_id("u" + std::to_string((t * 97 + i) % 400));
          req.set_k(10);
          v1::RecommendResponse resp;
          grpc::ClientContext ctx;
          ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
          grpc::Status s = stub->RecommendItems(&ctx, req, &resp);
          (s.ok() && resp.items_size() == 10 ? ok_ : failed_).fetch_add(1);
        }
      });
    }
  }
  ~RecommendLoad() { Stop(); }

  void Stop() {
    stop_ = true;
    for (auto& c : clients_) {
      if (c.joinable()) c.join();
    }
  }
  int64_t ok() const { return ok_.load(); }
  int64_t failed() const { return failed_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> ok_{0}, failed_{0};
  std::vector<std::thread> clients_;
};

class DaemonTest : public ::testing::Test {
 protected:
  // Trains once per process; every suite derived from DaemonTest shares it.
  static void SetUpTestSuite() {
    if (world != nullptr) return;
    world = new World();
    std::atexit(+[] {
      std::filesystem::remove_all(world->dir);
      delete world;
    });
    world->dir = std::filesystem::temp_directory_path() / ("recd_daemon_test_" + std::to_string(getpid()));
    std::filesystem::remove_all(world->dir);
    std::filesystem::create_directories(world->dir);
    SyntheticOptions gen;
    gen.num_items = 300;
    gen.num_users = 400;
    gen.num_events = 12000;
    gen.seed = 3;
    world->generator = gen;
    auto generator = SyntheticGenerator::Create(gen);
    ASSERT_TRUE(generator.ok()) << generator.status();
    world->catalog = world->dir / "catalog.jsonl";
    world->events = world->dir / "events.csv";
    ASSERT_TRUE((*generator)->WriteCatalog(world->catalog).ok());
    ASSERT_TRUE((*generator)->WriteEvents(world->events).ok());
    DataSource source;
    source.events_path = world->events;
    source.catalog_path = world->catalog;
    auto data = LoadDataSource(source, nullptr);
    ASSERT_TRUE(data.ok()) << data.status();
    world->data = *std::move(data);
    const LeaveOneOutSplit split = SplitLeaveOneOut(world->data);

    BundleTrainOptions options;
    options.models = {"pop", "markov", "knn", "content", "mf", "lstm"};
    options.lstm.epochs = 2;
    options.lstm.hidden_dim = 16;
    options.lstm.embedding_dim = 16;



    options.als.factors = 16;
    options.als.iterations = 3;
    options.fusion.normalizations = {Normalization::kZScore};
    options.fusion.rounds = 1;
    options.data_hash = "test";
    world->bundle_a = world->dir / "bundle_a";
    options.second_profile = Normalization::kRank;  // fusion.rank.yaml, for experiment arms
    ASSERT_TRUE(TrainBundle(world->data, split, options, world->bundle_a / "1").ok());
    options.second_profile.reset();
    options.models = {"pop", "markov", "content"};
    world->bundle_b = world->dir / "bundle_b";
    ASSERT_TRUE(TrainBundle(world->data, split, options, world->bundle_b / "2").ok());
  }

  void SetUp() override {
    ASSERT_NE(world, nullptr);
    test_dir_ = world->dir / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(test_dir_);
    config_path_ = test_dir_ / "recd.yaml";
    WriteConfig(world->bundle_a, config_extra_);
    StartServer();
  }

  void TearDown() override { server_.reset(); }

  void WriteConfig(const std::filesystem::path& bundle, const std::string& extra, const std::string& models_extra = "") {
    std::ofstream out(config_path_, std::ios::trunc);
    out << "server: {listen: '127.0.0.1:0', threads: 2, default_deadline_ms: 5000" << server_extra_ << "}\n"
        << "store: {path: " << (test_dir_ / "store").string() << ", seed_catalog: " << world->catalog.string()
        << ", seed_events: " << world->events.string() << store_extra_ << "}\n"
        << "models: {path: " << bundle.string() << ", budget_ms: 5000" << models_extra << "}\n"
        << "logging: {level: warn" << logging_extra_ << "}\n"
        << extra;
  }

  void StartServer(bool watch_files = false) {
    RecdServer::Options options;
    options.config_path = config_path_;
    options.watch_files = watch_files;  // most tests reload explicitly
    auto server = RecdServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials());
    recommender_ = v1::Recommender::NewStub(channel_);
    admin_ = v1::Admin::NewStub(channel_);
  }

  grpc::Status Recommend(const v1::RecommendRequest& req, v1::RecommendResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return recommender_->RecommendItems(&ctx, req, resp);
  }

  v1::RecommendResponse RecommendOk(const std::string& user, int k, bool explain = false) {
    v1::RecommendRequest req;
    req.set_user_id(user);
    req.set_k(k);
    req.set_explain(explain);
    v1::RecommendResponse resp;
    grpc::Status s = Recommend(req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Record(const std::string& user, const std::string& item, v1::EventType type) {
    v1::RecordEventsRequest req;
    v1::Event* e = req.add_events();
    e->set_user_id(user);
    e->set_item_id(item);
    e->set_type(type);
    v1::RecordEventsResponse resp;
    grpc::ClientContext ctx;
    return recommender_->RecordEvents(&ctx, req, &resp);
  }

  grpc::Status Reload(v1::ReloadConfigResponse* resp) {
    grpc::ClientContext ctx;
    return admin_->ReloadConfig(&ctx, {}, resp);
  }

  // SimilarItems of `item`: its status, the ids appended to `ids`.
  grpc::Status SimilarTo(const std::string& item, int k, std::vector<std::string>* ids) {
    v1::SimilarItemsRequest req;
    req.set_item_id(item);
    req.set_k(k);
    v1::SimilarItemsResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = recommender_->SimilarItems(&ctx, req, &resp);
    for (const auto& i : resp.items()) ids->push_back(i.item_id());
    return s;
  }

  std::vector<std::string> Similar(const std::string& item, int k) {
    std::vector<std::string> ids;
    grpc::Status s = SimilarTo(item, k, &ids);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return ids;
  }

  static bool HasId(const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  }

  // Item ids of any response with ranked `items`, in order.
  template <typename Response>
  static std::vector<std::string> Ids(const Response& r) {
    std::vector<std::string> ids;
    for (const auto& i : r.items()) ids.push_back(i.item_id());
    return ids;
  }

  std::filesystem::path test_dir_, config_path_;
  // More keys of the server: section. A generous queue bound keeps tests
  // deterministic on a loaded machine; overload tests set their own.
  std::string server_extra_ = ", admission: {max_queue_ms: 10000}";
  // More keys of the store: section (", backend: redis, redis: {...}").
  std::string store_extra_;
  // Appended inside logging: {...}.
  std::string logging_extra_;
  // More top-level sections (admin:, ...) of the config SetUp writes.
  std::string config_extra_;
  std::unique_ptr<RecdServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Recommender::Stub> recommender_;
  std::unique_ptr<v1::Admin::Stub> admin_;
};

}  // namespace recd

#endif  // RECD_TESTS_TEST_UTIL_DAEMON_FIXTURE_H_
