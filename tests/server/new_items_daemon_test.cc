// Items added to the catalog after the bundle was trained, in a real daemon:
// Admin.AddItems stores them and serves them at once, without a new bundle;
// content and the estimated item vectors rank them before any event, the
// live statistics as their events arrive; they survive a restart; bad rows
// are refused naming the field; their number is bounded.

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "absl/time/clock.h"
#include "test_util/daemon_fixture.h"

namespace recd {
namespace {

class NewItemsDaemonTest : public DaemonTest {
 protected:
  NewItemsDaemonTest() {
    config_extra_ = "live: {enabled: true, publish_ms: 100, max_pairs: 5000, result_cache_lag_ms: 2000}\n";
  }

  static v1::CatalogItem Item(const std::string& id, const ItemInfo& info) {
    v1::CatalogItem item;
    item.set_item_id(id);
    item.set_title(info.title);
    for (const std::string& c : info.category_path) item.add_category_path(c);
    item.set_brand(info.brand);
    if (std::isfinite(info.price)) item.set_price(info.price);
    for (const std::string& a : info.attributes) item.add_attributes(a);
    return item;
  }

  // A row sharing no token with the synthetic catalog.
  static v1::CatalogItem Stranger(const std::string& id) {
    ItemInfo info;
    info.title = "Zzyzx Garden Rake";
    info.category_path = {"Garden", "Rakes"};
    info.brand = "Zzyzx";
    return Item(id, info);
  }

  // A new item with trained item `of`'s catalog row.
  static v1::CatalogItem Twin(const std::string& id, const std::string& of) {
    return Item(id, world->data.item_info[static_cast<size_t>(*world->data.items.Find(of))]);
  }

  grpc::Status AddItems(const std::vector<v1::CatalogItem>& items, v1::AddItemsResponse* resp) {
    v1::AddItemsRequest req;
    for (const auto& item : items) *req.add_items() = item;
    grpc::ClientContext ctx;
    return admin_->AddItems(&ctx, req, resp);
  }

  v1::AddItemsResponse AddItemsOk(const std::vector<v1::CatalogItem>& items) {
    v1::AddItemsResponse resp;
    grpc::Status s = AddItems(items, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  int64_t ModelItems() {
    v1::GetStatusResponse status;
    grpc::ClientContext ctx;
    EXPECT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
    EXPECT_GT(status.models_size(), 0);
    return status.models_size() > 0 ? status.models(0).num_items() : 0;
  }
};

TEST_F(NewItemsDaemonTest, ANewItemIsServedAtOnceWithoutANewBundle) {
  std::vector<std::string> ids;
  EXPECT_EQ(SimilarTo("new-rake", 10, &ids).error_code(), grpc::StatusCode::NOT_FOUND);
  const int64_t trained = ModelItems();
  const v1::AddItemsResponse added = AddItemsOk({Stranger("new-rake"), Twin("new-twin", "i42")});
  EXPECT_EQ(added.new_items(), 2);
  EXPECT_EQ(added.trained_items(), 0);
  EXPECT_EQ(added.served_new_items(), 2);
  EXPECT_EQ(ModelItems(), trained + 2);
  v1::GetStatusResponse status;
  grpc::ClientContext ctx;
  ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
  EXPECT_EQ(status.counters().at("catalog_new_items"), 2);
  EXPECT_EQ(status.counters().at("catalog_max_new_items"), 10000);
  // Known at once: ranked from and rankable.
  EXPECT_EQ(Similar("new-rake", 10).size(), 10u);
  // Content and the vectors estimated from its content neighbours put i42's
  // twin among i42's most similar items before any event, and i42 among
  // the twin's (its row forms the content profile SimilarItems ranks with).
  EXPECT_TRUE(HasId(Similar("i42", 10), "new-twin"));
  EXPECT_TRUE(HasId(Similar("new-twin", 10), "i42"));
}

TEST_F(NewItemsDaemonTest, ACoViewedNewItemJoinsSimilarItemsWithinASecondOfItsEvents) {
  AddItemsOk({Stranger("new-rake")});
  const std::string a = "i10";
  ASSERT_FALSE(HasId(Similar(a, 10), "new-rake"));  // nothing links them yet
  for (int u = 0; u < 5; ++u) {
    ASSERT_TRUE(Record("u" + std::to_string(u), a, v1::VIEW).ok());
    ASSERT_TRUE(Record("u" + std::to_string(u), "new-rake", v1::VIEW).ok());
  }
  const absl::Time last_event = absl::Now();
  std::optional<absl::Duration> took;
  while (absl::Now() - last_event < absl::Seconds(20)) {
    if (HasId(Similar(a, 10), "new-rake")) {
      took = absl::Now() - last_event;
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(took.has_value()) << "the new item never joined " << a << "'s similar items";
  std::printf("new item joined SimilarItems %.0f ms after its last event was recorded\n",
              absl::ToDoubleMilliseconds(*took));
}

TEST_F(NewItemsDaemonTest, ANewItemInAHistoryIsLeftOutLikeAnySeenItem) {
  AddItemsOk({Stranger("new-rake")});
  ASSERT_TRUE(Record("u7", "new-rake", v1::VIEW).ok());
  v1::RecommendRequest req;
  req.set_user_id("u7");
  req.set_k(20);
  v1::RecommendResponse resp;
  ASSERT_TRUE(Recommend(req, &resp).ok());
  EXPECT_EQ(resp.items_size(), 20);
  EXPECT_FALSE(HasId(Ids(resp), "new-rake"));  // in the history: excluded as any viewed item
}

TEST_F(NewItemsDaemonTest, NewItemsSurviveARestart) {
  const int64_t trained = ModelItems();
  AddItemsOk({Stranger("new-rake"), Twin("new-twin", "i42")});
  server_.reset();
  StartServer();
  EXPECT_EQ(ModelItems(), trained + 2);
  EXPECT_EQ(Similar("new-rake", 5).size(), 5u);
  EXPECT_TRUE(HasId(Similar("i42", 10), "new-twin"));
  // Adding more keeps the ids the others had.
  AddItemsOk({Stranger("new-hoe")});
  EXPECT_EQ(ModelItems(), trained + 3);
  EXPECT_TRUE(HasId(Similar("i42", 10), "new-twin"));
}

TEST_F(NewItemsDaemonTest, ARowOfATrainedItemIsNotANewItem) {
  const int64_t trained = ModelItems();
  const v1::AddItemsResponse added = AddItemsOk({Twin("i5", "i5")});
  EXPECT_EQ(added.new_items(), 0);
  EXPECT_EQ(added.trained_items(), 1);
  EXPECT_EQ(ModelItems(), trained);
}

TEST_F(NewItemsDaemonTest, NewItemsPastTheBoundWaitForTheNextBundle) {
  server_extra_ += ", max_new_items: 2";
  WriteConfig(world->bundle_a, config_extra_);
  v1::ReloadConfigResponse reloaded;
  ASSERT_TRUE(Reload(&reloaded).ok());
  const v1::AddItemsResponse added = AddItemsOk({Stranger("new-1"), Stranger("new-2"), Stranger("new-3")});
  EXPECT_EQ(added.new_items(), 3);
  EXPECT_EQ(added.served_new_items(), 2);
  EXPECT_EQ(added.max_new_items(), 2);
  std::vector<std::string> ids;
  EXPECT_TRUE(SimilarTo("new-2", 5, &ids).ok());
  EXPECT_EQ(SimilarTo("new-3", 5, &ids).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(NewItemsDaemonTest, BadRowsAreRefusedNamingTheField) {
  v1::AddItemsResponse resp;
  grpc::Status s = AddItems({}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("items"), std::string::npos) << s.error_message();

  v1::CatalogItem no_id = Stranger("");
  s = AddItems({Stranger("ok"), no_id}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("items[1].item_id"), std::string::npos) << s.error_message();

  s = AddItems({Stranger("twice"), Stranger("ok"), Stranger("twice")}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("items[2].item_id: 'twice' repeats items[0]"), std::string::npos)
      << s.error_message();

  v1::CatalogItem bad_price = Stranger("bad-price");
  bad_price.set_price(std::nan(""));
  s = AddItems({bad_price}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("items[0].price"), std::string::npos) << s.error_message();

  v1::CatalogItem long_title = Stranger("long-title");
  long_title.set_title(std::string(5000, 'x'));
  s = AddItems({long_title}, &resp);
  EXPECT_NE(s.error_message().find("items[0].title"), std::string::npos) << s.error_message();
  // Nothing of a refused call was stored or served.
  std::vector<std::string> ids;
  EXPECT_EQ(SimilarTo("ok", 5, &ids).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace recd
