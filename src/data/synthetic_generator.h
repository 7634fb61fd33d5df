#ifndef RECD_DATA_SYNTHETIC_GENERATOR_H_
#define RECD_DATA_SYNTHETIC_GENERATOR_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "recd/dataset.h"
#include "util/progress_reporter.h"

namespace recd {

// Sizes and shape of a synthetic data set. Every field has a default; the
// defaults make a small demo that trains in seconds.
struct SyntheticOptions {
  int32_t num_items = 2000;
  int32_t num_users = 3000;
  // Approximate total; every user gets at least kMinEventsPerUser events.
  int64_t num_events = 100000;
  uint64_t seed = 1;
  // Category tree: top categories x subcategories. The first 8 x 6 have
  // hand-written names and vocabularies; beyond that names are generated.
  int32_t top_categories = 8;
  int32_t subcategories_per_top = 6;
  int32_t brands_per_top = 6;
  int64_t start_time = 1704067200;  // 2024-01-01T00:00:00Z
  int32_t days = 180;               // users join in the first half
  double popularity_exponent = 1.0;  // Zipf exponent of item popularity
};

// What WriteEvents produced.
struct SyntheticSummary {
  int64_t events = 0;
  int64_t views = 0;
  int64_t carts = 0;
  int64_t purchases = 0;
  int64_t first_timestamp = 0;
  int64_t last_timestamp = 0;
};

// A seeded, deterministic generator of e-commerce data with planted
// structure for models to find:
//  - catalog: a category tree; brands tied to a top category with a price
//    tier; log-normal prices around a per-subcategory median; titles from
//    brand / adjective (tier-dependent) / subcategory noun / colour; 95% in
//    stock; Zipf item popularity.
//  - complements: in every top category the first half of the
//    subcategories are "main" (phones) and each has an accessory
//    subcategory (phone cases); every main item has 2-4 complementary items
//    there, which often follow it in a session (mostly after a cart or a
//    purchase).
//  - users: 1-3 favourite subcategories with weights, favourite brands, a
//    price level and an exploration rate; tastes drift between sessions
//    (weights random-walk, now and then a favourite is replaced). Activity
//    is log-normal.
//  - sessions: browsing within one subcategory with occasional switches and
//    revisits, a view -> cart -> purchase funnel (~10% of views carted, 45%
//    of carts bought, never out-of-stock items), increasing timestamps with
//    dwell times within and gaps of at least 30 minutes between sessions.
// Item i is written as catalog line i with id "i<i>", so loading the catalog
// first gives dense item id i; users are "u<u>". Everything is derived from
// the seed with a portable generator (no std:: distributions), so the same
// options give byte-identical files on every run and platform; each user has
// their own random stream, so users can be generated in any order.
// Memory is O(items + users); events are streamed user by user (each user's
// rows together, in time order).
// Thread-safety: immutable after Create; const methods may run concurrently.
class SyntheticGenerator {
 public:
  static constexpr int32_t kMinEventsPerUser = 3;

  static absl::StatusOr<std::unique_ptr<SyntheticGenerator>> Create(
      const SyntheticOptions& options);
  SyntheticGenerator(const SyntheticGenerator&) = delete;
  SyntheticGenerator& operator=(const SyntheticGenerator&) = delete;

  const SyntheticOptions& options() const { return options_; }
  int32_t num_items() const { return static_cast<int32_t>(item_sub_.size()); }
  int32_t num_users() const { return static_cast<int32_t>(user_budget_.size()); }
  int32_t num_subcategories() const { return static_cast<int32_t>(subs_.size()); }

  static std::string ItemId(int32_t item);  // "i<item>"
  static std::string UserId(int32_t user);  // "u<user>"
  // The catalog row of `item` (title, category path, brand, price, stock,
  // attributes).
  ItemInfo MakeItemInfo(int32_t item) const;

  // Planted structure, for tests and diagnostics.
  int32_t SubcategoryOf(int32_t item) const { return item_sub_[static_cast<size_t>(item)]; }
  std::span<const int32_t> ComplementsOf(int32_t item) const;
  int64_t num_complement_links() const { return static_cast<int64_t>(complements_.size()); }
  std::vector<int32_t> InitialFavouriteSubcategories(int32_t user) const;

  // Appends `user`'s events, oldest first, items as generator indices.
  void GenerateUser(int32_t user, std::vector<Event>* events) const;

  absl::Status WriteCatalog(const std::string& jsonl_path) const;
  // `progress`, if given, draws a bar over the users generated.
  absl::StatusOr<SyntheticSummary> WriteEvents(const std::string& csv_path,
                                               const ProgressFactory& progress = {}) const;

 private:
  struct Subcategory {
    int32_t top = 0;
    int32_t accessory = -1;  // subcategory of complements, -1 if none
    std::string top_name, name;
    std::vector<std::string> nouns;
    float median_price = 0;
    double weight = 0;  // share of catalog and of exploration traffic
    int32_t begin = 0, end = 0;  // range in slots_
  };
  struct Brand {
    std::string name;
    int32_t top = 0;
    int tier = 1;  // 0 budget, 1 mid, 2 premium
    double weight = 0;
  };
  // One slot per item, grouped by subcategory, forming a Walker alias table
  // per group (O(1) popularity-weighted draws) and carrying what the taste
  // check needs, so a draw touches one or two cache lines however big the
  // catalog is.
  struct Slot {
    float prob = 1;      // keep this slot with this probability,
    int32_t other = 0;   // else take this one (index into slots_)
    int32_t item = 0;
    int32_t brand = 0;
    float log_price = 0;  // log(price / subcategory median)
  };
  struct Profile;  // a user's tastes, defined in the .cc
  class Rng;
  class UserSimulation;

  explicit SyntheticGenerator(const SyntheticOptions& options) : options_(options) {}
  void BuildCategories();
  void BuildBrands();
  void BuildItems();
  void BuildComplements();
  void BuildUserBudgets();

  // Draws a user's initial tastes: the first draws of their stream.
  Profile MakeProfile(Rng& rng) const;
  int32_t DrawSubcategory(Rng& rng) const;
  const Slot& DrawSlotIn(int32_t sub, Rng& rng) const;
  int32_t DrawItemIn(int32_t sub, Rng& rng) const { return DrawSlotIn(sub, rng).item; }
  int32_t PickItem(int32_t sub, const Profile& p, const std::vector<int32_t>& seen,
                   Rng& rng) const;
  void PlaceSessions(const std::vector<size_t>& session_begin, Rng& rng,
                     std::vector<Event>* events) const;
  // 1 at the user's price level, falling off log-normally.
  static double PriceFit(float log_price, const Profile& p);
  double PriceFit(int32_t item, const Profile& p) const;

  SyntheticOptions options_;
  std::vector<Subcategory> subs_;
  std::vector<double> sub_cdf_;  // cumulative weights, for DrawSubcategory
  std::vector<Brand> brands_;
  std::vector<int32_t> item_sub_;
  std::vector<int32_t> item_brand_;
  std::vector<float> item_price_;
  std::vector<uint8_t> item_in_stock_;
  std::vector<Slot> slots_;
  std::vector<int64_t> complement_begin_;  // size num_items + 1
  std::vector<int32_t> complements_;
  std::vector<int32_t> user_budget_;  // events per user
};

}  // namespace recd

#endif  // RECD_DATA_SYNTHETIC_GENERATOR_H_
