#include "data/synthetic_generator.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "data/catalog_jsonl_writer.h"
#include "data/event_csv_writer.h"

namespace recd {
namespace {

// Independent random streams: every draw derives from (seed, stream, index).
enum Stream : uint64_t { kCatalog = 1, kItemText = 2, kUser = 3, kActivity = 4 };

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t StreamSeed(uint64_t seed, Stream stream, uint64_t index) {
  return Mix(Mix(Mix(seed) ^ stream) ^ index);
}

// Hand-written vocabulary for the first 8 x 6 categories. In each top the
// first three subcategories are main ones, the last three their accessories
// in the same order.
struct SubVocab {
  const char* name;
  float median_price;
  std::vector<const char*> nouns;
};
struct TopVocab {
  const char* name;
  std::vector<SubVocab> subs;
};

const std::vector<TopVocab>& Vocabulary() {
  static const auto* kVocab = new std::vector<TopVocab>{
      {"Electronics",
       {{"Phones", 450, {"Smartphone", "Phone", "5G Phone"}},
        {"Laptops", 900, {"Laptop", "Notebook", "Ultrabook"}},
        {"Cameras", 550, {"Camera", "Mirrorless Camera", "Camcorder"}},
        {"Phone Cases", 18, {"Phone Case", "Bumper Case", "Folio Cover"}},
        {"Laptop Bags", 35, {"Laptop Sleeve", "Laptop Backpack", "Messenger Bag"}},
        {"Memory Cards", 22, {"SD Card", "microSD Card", "Memory Card"}}}},
      {"Home & Kitchen",
       {{"Coffee Makers", 120, {"Coffee Maker", "Espresso Machine", "Drip Brewer"}},
        {"Cookware", 60, {"Skillet", "Saucepan", "Dutch Oven"}},
        {"Bed Frames", 350, {"Bed Frame", "Platform Bed", "Storage Bed"}},
        {"Coffee Filters", 9, {"Coffee Filters", "Reusable Filter", "Descaler"}},
        {"Kitchen Utensils", 14, {"Spatula Set", "Tongs", "Ladle"}},
        {"Bedding", 60, {"Sheet Set", "Duvet Cover", "Pillow"}}}},
      {"Beauty",
       {{"Hair Dryers", 70, {"Hair Dryer", "Blow Dryer", "Ionic Dryer"}},
        {"Electric Shavers", 90, {"Electric Shaver", "Beard Trimmer", "Rotary Shaver"}},
        {"Makeup", 25, {"Foundation", "Lipstick", "Mascara"}},
        {"Hair Care", 15, {"Heat Protectant", "Hair Oil", "Conditioner"}},
        {"Shaving Care", 10, {"Shaving Gel", "Aftershave Balm", "Cleaning Cartridge"}},
        {"Makeup Brushes", 18, {"Brush Set", "Blending Sponge", "Kabuki Brush"}}}},
      {"Sports & Outdoors",
       {{"Bikes", 600, {"Road Bike", "Mountain Bike", "Commuter Bike"}},
        {"Tents", 180, {"Tent", "Backpacking Tent", "Family Tent"}},
        {"Running Shoes", 110, {"Running Shoe", "Trail Shoe", "Racing Flat"}},
        {"Bike Helmets", 55, {"Bike Helmet", "MIPS Helmet", "Bike Light"}},
        {"Sleeping Bags", 80, {"Sleeping Bag", "Sleeping Pad", "Camp Pillow"}},
        {"Sports Socks", 14, {"Running Socks", "Insoles", "Compression Socks"}}}},
      {"Fashion",
       {{"Dresses", 70, {"Dress", "Maxi Dress", "Wrap Dress"}},
        {"Suits", 300, {"Suit", "Blazer", "Tuxedo"}},
        {"Jeans", 60, {"Jeans", "Slim Jeans", "Denim Jacket"}},
        {"Jewelry", 45, {"Necklace", "Earrings", "Bracelet"}},
        {"Ties", 30, {"Tie", "Bow Tie", "Pocket Square"}},
        {"Belts", 35, {"Leather Belt", "Canvas Belt", "Reversible Belt"}}}},
      {"Toys & Games",
       {{"Game Consoles", 400, {"Game Console", "Handheld Console", "Console Bundle"}},
        {"Board Games", 40, {"Board Game", "Strategy Game", "Party Game"}},
        {"Dolls", 30, {"Doll", "Fashion Doll", "Dollhouse"}},
        {"Controllers", 60, {"Controller", "Gamepad", "Charging Dock"}},
        {"Card Sleeves", 10, {"Card Sleeves", "Dice Set", "Game Organizer"}},
        {"Doll Clothes", 15, {"Doll Outfit", "Doll Shoes", "Doll Furniture"}}}},
      {"Pet Supplies",
       {{"Dog Food", 45, {"Dry Dog Food", "Puppy Food", "Grain-Free Kibble"}},
        {"Aquariums", 120, {"Aquarium", "Fish Tank", "Nano Tank"}},
        {"Cat Trees", 90, {"Cat Tree", "Cat Tower", "Cat Condo"}},
        {"Dog Bowls", 15, {"Dog Bowl", "Slow Feeder", "Food Storage Bin"}},
        {"Aquarium Filters", 30, {"Aquarium Filter", "Filter Cartridge", "Air Pump"}},
        {"Cat Toys", 10, {"Cat Toy", "Feather Wand", "Catnip Mouse"}}}},
      {"Office",
       {{"Printers", 200, {"Printer", "Laser Printer", "Inkjet Printer"}},
        {"Desks", 250, {"Desk", "Standing Desk", "Writing Desk"}},
        {"Office Chairs", 220, {"Office Chair", "Ergonomic Chair", "Task Chair"}},
        {"Ink Cartridges", 35, {"Ink Cartridge", "Toner", "Photo Paper"}},
        {"Desk Lamps", 40, {"Desk Lamp", "Monitor Light", "Cable Organizer"}},
        {"Chair Mats", 45, {"Chair Mat", "Seat Cushion", "Footrest"}}}},
  };
  return *kVocab;
}

constexpr const char* kAdjectives[] = {"Classic", "Compact", "Smart",  "Portable",
                                       "Essential", "Ultra", "Eco",    "Slim",
                                       "Deluxe", "Advanced", "Everyday", "Pro"};
constexpr const char* kBudgetAdjectives[] = {"Basic", "Value", "Simple", "Starter"};
constexpr const char* kPremiumAdjectives[] = {"Premium", "Luxury", "Signature", "Elite"};
constexpr const char* kColors[] = {"Black", "White", "Silver", "Blue",
                                   "Red",   "Green", "Grey",   "Rose Gold"};
constexpr const char* kBrandHeads[] = {"Ar",  "Bel", "Cor", "Dex", "El",  "Fen", "Gal", "Hal",
                                       "Ix",  "Jor", "Kel", "Lum", "Mar", "Nor", "Or",  "Pax",
                                       "Quin", "Ros", "Sol", "Tor", "Ul",  "Vel", "Wex", "Zen"};
constexpr const char* kBrandTails[] = {"a",  "ex", "io", "on",  "ora", "ix",
                                       "us", "ia", "ent", "ova", "ar",  "is"};
constexpr float kTierPriceFactor[] = {0.6f, 1.0f, 1.8f};

template <typename T, size_t N>
constexpr size_t Size(const T (&)[N]) {
  return N;
}

// Behaviour constants of the user model; see the class comment.
constexpr double kMeanSessionViews = 5.0;
constexpr double kSwitchSubcategory = 0.12;
constexpr double kRevisit = 0.06;
constexpr double kDriftReplace = 0.05;
constexpr double kDriftStep = 0.15;
constexpr double kPurchaseGivenCart = 0.45;
constexpr double kFollowAfterPurchase = 0.7;
constexpr double kFollowAfterCart = 0.5;
constexpr double kFollowAfterView = 0.1;
constexpr int kPickTries = 8;
constexpr int64_t kMinSessionGap = 1800;
// Zipf-Mandelbrot offset: keeps the head from being absurdly fat (with 2,000
// items the top item gets ~2% of traffic, the top 20% of items ~70%).
constexpr double kPopularityOffset = 10.0;

// Walker/Vose alias table over `weights`, written into prob/other (indices
// relative to the range), O(n).
void BuildAlias(std::span<const double> weights, float* prob, int32_t* other) {
  const size_t n = weights.size();
  if (n == 0) return;
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<double> scaled(n);
  std::vector<int32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * static_cast<double>(n) / total;
    (scaled[i] < 1.0 ? small : large).push_back(static_cast<int32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    const int32_t s = small.back(), l = large.back();
    small.pop_back();
    prob[s] = static_cast<float>(scaled[s]);
    other[s] = l;
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (int32_t i : large) prob[i] = 1.0f, other[i] = i;
  for (int32_t i : small) prob[i] = 1.0f, other[i] = i;  // rounding leftovers
}

}  // namespace

// splitmix64: tiny, fast, and unlike std:: distributions gives the same
// numbers with every standard library, so files are reproducible anywhere.
class SyntheticGenerator::Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  int32_t Below(int64_t n) { return static_cast<int32_t>(Uniform() * static_cast<double>(n)); }
  bool Bernoulli(double p) { return Uniform() < p; }
  double Normal() {
    const double u1 = 1.0 - Uniform();  // (0, 1]
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * Uniform());
  }
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }
  double Exponential(double mean) { return -mean * std::log(1.0 - Uniform()); }
  // 0, 1, 2, ... with the given mean.
  int32_t Geometric(double mean) {
    return static_cast<int32_t>(std::floor(std::log(1.0 - Uniform()) / std::log(mean / (1.0 + mean))));
  }

 private:
  uint64_t state_;
};

struct SyntheticGenerator::Profile {
  std::vector<int32_t> favourite_subs;
  std::vector<double> favourite_weights;
  std::vector<int32_t> favourite_brands;
  double log_price_level = 0.0;  // log of the price paid relative to the median
  double explore = 0.15;

  bool LikesBrand(int32_t brand) const {
    return std::find(favourite_brands.begin(), favourite_brands.end(), brand) !=
           favourite_brands.end();
  }
};

absl::StatusOr<std::unique_ptr<SyntheticGenerator>> SyntheticGenerator::Create(
    const SyntheticOptions& options) {
  if (options.num_items < 1 || options.num_users < 1 || options.num_events < 1) {
    return absl::InvalidArgumentError("synthetic data: items, users and events must be >= 1");
  }
  if (options.top_categories < 1 || options.subcategories_per_top < 1 ||
      options.brands_per_top < 1 || options.days < 1) {
    return absl::InvalidArgumentError(
        "synthetic data: categories, subcategories, brands and days must be >= 1");
  }
  if (options.popularity_exponent < 0) {
    return absl::InvalidArgumentError("synthetic data: popularity_exponent must be >= 0");
  }
  std::unique_ptr<SyntheticGenerator> g(new SyntheticGenerator(options));
  g->BuildCategories();
  g->BuildBrands();
  g->BuildItems();
  g->BuildComplements();
  g->BuildUserBudgets();
  return g;
}

void SyntheticGenerator::BuildCategories() {
  Rng rng(StreamSeed(options_.seed, kCatalog, 0));
  const auto& vocab = Vocabulary();
  const int32_t per_top = options_.subcategories_per_top;
  const int32_t mains = per_top / 2;
  for (int32_t t = 0; t < options_.top_categories; ++t) {
    const TopVocab* tv = static_cast<size_t>(t) < vocab.size() ? &vocab[t] : nullptr;
    std::vector<float> main_price(static_cast<size_t>(mains), 0);
    for (int32_t s = 0; s < per_top; ++s) {
      Subcategory sub;
      sub.top = t;
      sub.top_name = tv ? tv->name : absl::StrCat("Department ", t + 1);
      const bool is_main = s < mains;
      // Position among the mains, or among the accessories (accessory a
      // serves main a).
      const int32_t role_index = is_main ? s : s - mains;
      const int32_t first = static_cast<int32_t>(subs_.size()) - s;
      sub.accessory = is_main && s + mains < per_top ? first + s + mains : -1;
      const size_t vocab_index = static_cast<size_t>(is_main ? role_index : 3 + role_index);
      if (tv != nullptr && role_index < 3) {
        const SubVocab& sv = tv->subs[vocab_index];
        sub.name = sv.name;
        sub.nouns.assign(sv.nouns.begin(), sv.nouns.end());
        sub.median_price = sv.median_price;
      } else {
        sub.name = absl::StrCat(sub.top_name, is_main ? " Line " : " Accessory ", role_index + 1);
        sub.nouns = {absl::StrCat("Model ", t + 1, "-", s + 1),
                     absl::StrCat("Kit ", t + 1, "-", s + 1)};
        // Main lines cost 20-400, their accessories a tenth to a fifth.
        if (is_main || mains == 0) {
          sub.median_price = static_cast<float>(20.0 * std::exp(rng.Uniform() * std::log(20.0)));
        } else {
          sub.median_price = main_price[static_cast<size_t>(role_index % mains)] *
                             static_cast<float>(0.1 + 0.1 * rng.Uniform());
        }
        sub.median_price = std::max(sub.median_price, 2.0f);
      }
      if (is_main) main_price[static_cast<size_t>(s)] = sub.median_price;
      sub.weight = std::exp(0.5 * rng.Normal());
      subs_.push_back(std::move(sub));
    }
  }
  double total = 0;
  for (const auto& s : subs_) sub_cdf_.push_back(total += s.weight);
}

void SyntheticGenerator::BuildBrands() {
  Rng rng(StreamSeed(options_.seed, kCatalog, 1));
  absl::flat_hash_set<std::string> used;
  for (int32_t t = 0; t < options_.top_categories; ++t) {
    for (int32_t b = 0; b < options_.brands_per_top; ++b) {
      Brand brand;
      brand.top = t;
      std::string name;
      for (int tries = 0; tries < 10 && (name.empty() || used.contains(name)); ++tries) {
        // Two statements: a call's arguments are evaluated in an unspecified
        // order (GCC right to left, clang left to right), so drawing both in
        // one call named brands by compiler. Tail first is GCC's order, the
        // one the demo data was made with.
        const char* tail = kBrandTails[rng.Below(Size(kBrandTails))];
        const char* head = kBrandHeads[rng.Below(Size(kBrandHeads))];
        name = absl::StrCat(head, tail);
      }
      if (used.contains(name)) absl::StrAppend(&name, " ", brands_.size() + 1);
      used.insert(name);
      brand.name = std::move(name);
      brand.tier = b % 3;
      brand.weight = 1.0 / (1.0 + b);  // a few big brands per department
      brands_.push_back(std::move(brand));
    }
  }
}

void SyntheticGenerator::BuildItems() {
  Rng rng(StreamSeed(options_.seed, kCatalog, 2));
  const size_t n = static_cast<size_t>(options_.num_items);
  item_sub_.resize(n);
  item_brand_.resize(n);
  item_price_.resize(n);
  item_in_stock_.resize(n);
  const int32_t brands_per_top = options_.brands_per_top;
  double brand_total = 0;
  for (int32_t b = 0; b < brands_per_top; ++b) brand_total += brands_[b].weight;
  for (size_t i = 0; i < n; ++i) {
    const int32_t sub = DrawSubcategory(rng);
    item_sub_[i] = sub;
    double r = rng.Uniform() * brand_total;
    int32_t b = 0;
    while (b + 1 < brands_per_top && (r -= brands_[b].weight) > 0) ++b;
    const int32_t brand = subs_[sub].top * brands_per_top + b;
    item_brand_[i] = brand;
    double price = rng.LogNormal(subs_[sub].median_price * kTierPriceFactor[brands_[brand].tier],
                                 0.35);
    price = price >= 5 ? std::round(price) - 0.01 : std::max(0.99, std::round(price * 100) / 100);
    item_price_[i] = static_cast<float>(price);
    item_in_stock_[i] = rng.Bernoulli(0.95);
  }
  // Zipf popularity over a random ranking of the items.
  std::vector<int32_t> rank(n);
  std::iota(rank.begin(), rank.end(), 0);
  for (size_t i = n; i > 1; --i) std::swap(rank[i - 1], rank[static_cast<size_t>(rng.Below(i))]);
  std::vector<double> popularity(n);
  for (size_t i = 0; i < n; ++i) {
    popularity[i] = std::pow(kPopularityOffset + rank[i], -options_.popularity_exponent);
  }
  // Group by subcategory (counting sort keeps item order) and build alias
  // tables per group.
  for (size_t i = 0; i < n; ++i) ++subs_[item_sub_[i]].end;
  int32_t offset = 0;
  for (auto& s : subs_) {
    const int32_t count = s.end;
    s.begin = s.end = offset;
    offset += count;
  }
  slots_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const Subcategory& sub = subs_[item_sub_[i]];
    Slot& slot = slots_[static_cast<size_t>(subs_[item_sub_[i]].end++)];
    slot.item = static_cast<int32_t>(i);
    slot.brand = item_brand_[i];
    slot.log_price = std::log(item_price_[i] / sub.median_price);
  }
  std::vector<double> weights;
  std::vector<float> prob;
  std::vector<int32_t> other;
  for (const auto& s : subs_) {
    const size_t size = static_cast<size_t>(s.end - s.begin);
    weights.clear();
    for (int32_t k = s.begin; k < s.end; ++k) weights.push_back(popularity[slots_[k].item]);
    prob.assign(size, 1.0f);
    other.assign(size, 0);
    BuildAlias(weights, prob.data(), other.data());
    for (size_t k = 0; k < size; ++k) {
      slots_[s.begin + k].prob = prob[k];
      slots_[s.begin + k].other = s.begin + other[k];
    }
  }
}

void SyntheticGenerator::BuildComplements() {
  Rng rng(StreamSeed(options_.seed, kCatalog, 3));
  const size_t n = item_sub_.size();
  complement_begin_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    complement_begin_[i] = static_cast<int64_t>(complements_.size());
    const int32_t acc = subs_[item_sub_[i]].accessory;
    if (acc < 0 || subs_[acc].begin == subs_[acc].end) continue;
    const int want = 2 + rng.Below(3);
    const int64_t first = static_cast<int64_t>(complements_.size());
    for (int k = 0; k < want * 3 && complements_.size() - first < static_cast<size_t>(want); ++k) {
      // Half the complements share the main item's brand when it makes one.
      int32_t c = DrawItemIn(acc, rng);
      if (k % 2 == 0) {
        for (int tries = 0; tries < 6 && item_brand_[c] != item_brand_[i]; ++tries) {
          c = DrawItemIn(acc, rng);
        }
      }
      if (std::find(complements_.begin() + first, complements_.end(), c) == complements_.end()) {
        complements_.push_back(c);
      }
    }
  }
  complement_begin_[n] = static_cast<int64_t>(complements_.size());
}

void SyntheticGenerator::BuildUserBudgets() {
  const size_t users = static_cast<size_t>(options_.num_users);
  std::vector<double> activity(users);
  double total = 0;
  for (size_t u = 0; u < users; ++u) {
    Rng rng(StreamSeed(options_.seed, kActivity, u));
    total += activity[u] = rng.LogNormal(1.0, 1.0);
  }
  user_budget_.resize(users);
  const double scale = static_cast<double>(options_.num_events) / total;
  for (size_t u = 0; u < users; ++u) {
    user_budget_[u] = std::max<int32_t>(
        kMinEventsPerUser,
        static_cast<int32_t>(std::min(1e9, std::round(activity[u] * scale))));
  }
}

int32_t SyntheticGenerator::DrawSubcategory(Rng& rng) const {
  const double r = rng.Uniform() * sub_cdf_.back();
  const auto it = std::upper_bound(sub_cdf_.begin(), sub_cdf_.end(), r);
  return static_cast<int32_t>(std::min<ptrdiff_t>(it - sub_cdf_.begin(), sub_cdf_.size() - 1));
}

const SyntheticGenerator::Slot& SyntheticGenerator::DrawSlotIn(int32_t sub, Rng& rng) const {
  const Subcategory& s = subs_[sub];
  const Slot& slot = slots_[static_cast<size_t>(s.begin + rng.Below(s.end - s.begin))];
  return rng.Uniform() < slot.prob ? slot : slots_[static_cast<size_t>(slot.other)];
}

double SyntheticGenerator::PriceFit(float log_price, const Profile& p) {
  const double z = (log_price - p.log_price_level) / 0.5;
  return std::exp(-0.5 * z * z);
}

double SyntheticGenerator::PriceFit(int32_t item, const Profile& p) const {
  return PriceFit(std::log(item_price_[item] / subs_[item_sub_[item]].median_price), p);
}

// Popularity proposes, taste accepts: rejection sampling keeps a draw O(1)
// however big the subcategory is.
int32_t SyntheticGenerator::PickItem(int32_t sub, const Profile& p,
                                     const std::vector<int32_t>& seen, Rng& rng) const {
  int32_t item = -1;
  for (int t = 0; t < kPickTries; ++t) {
    const Slot& slot = DrawSlotIn(sub, rng);
    item = slot.item;
    // Browsing moves on to new items; going back is modelled by kRevisit.
    if (std::find(seen.begin(), seen.end(), item) != seen.end()) continue;
    const double accept =
        (p.LikesBrand(slot.brand) ? 1.0 : 0.45) * (0.2 + 0.8 * PriceFit(slot.log_price, p));
    if (rng.Bernoulli(accept)) break;
  }
  return item;
}

SyntheticGenerator::Profile SyntheticGenerator::MakeProfile(Rng& rng) const {
  Profile p;
  const double r = rng.Uniform();
  const int want = r < 0.3 ? 1 : r < 0.75 ? 2 : 3;
  const int32_t per_top = options_.subcategories_per_top;
  for (int tries = 0; static_cast<int>(p.favourite_subs.size()) < want && tries < 20; ++tries) {
    int32_t sub = DrawSubcategory(rng);
    // Tastes cluster: a second favourite is often in the same department.
    if (!p.favourite_subs.empty() && rng.Bernoulli(0.6)) {
      sub = subs_[p.favourite_subs.back()].top * per_top + rng.Below(per_top);
    }
    if (subs_[sub].begin == subs_[sub].end) continue;
    if (std::find(p.favourite_subs.begin(), p.favourite_subs.end(), sub) !=
        p.favourite_subs.end()) {
      continue;
    }
    p.favourite_subs.push_back(sub);
    p.favourite_weights.push_back(std::exp(0.5 * rng.Normal()));
    const int32_t top = subs_[sub].top;
    const int32_t brand = top * options_.brands_per_top + rng.Below(options_.brands_per_top);
    if (!p.LikesBrand(brand)) p.favourite_brands.push_back(brand);
  }
  if (p.favourite_subs.empty()) {  // only with nearly empty catalogs
    p.favourite_subs.push_back(item_sub_[0]);
    p.favourite_weights.push_back(1.0);
  }
  p.log_price_level = 0.4 * rng.Normal();
  p.explore = 0.08 + 0.15 * rng.Uniform();
  return p;
}

std::vector<int32_t> SyntheticGenerator::InitialFavouriteSubcategories(int32_t user) const {
  Rng rng(StreamSeed(options_.seed, kUser, static_cast<uint64_t>(user)));
  return MakeProfile(rng).favourite_subs;
}

std::span<const int32_t> SyntheticGenerator::ComplementsOf(int32_t item) const {
  const auto begin = complement_begin_[static_cast<size_t>(item)];
  const auto end = complement_begin_[static_cast<size_t>(item) + 1];
  return {complements_.data() + begin, static_cast<size_t>(end - begin)};
}

// One user's walk through the shop: tastes that drift between sessions,
// browsing within a session, the funnel after each view. Lives for one
// GenerateUser call. Times are offsets within the session until
// PlaceSessions spreads the sessions over the user's active period.
class SyntheticGenerator::UserSimulation {
 public:
  UserSimulation(const SyntheticGenerator& g, int32_t user, std::vector<Event>* events)
      : g_(g),
        rng_(StreamSeed(g.options_.seed, kUser, static_cast<uint64_t>(user))),
        profile_(g.MakeProfile(rng_)),
        budget_(g.user_budget_[static_cast<size_t>(user)]),
        events_(events) {}

  void Run() {
    for (int session = 0; !Done(); ++session) {
      if (session > 0) Drift();
      session_begin_.push_back(events_->size());
      Session();
    }
    g_.PlaceSessions(session_begin_, rng_, events_);
  }

 private:
  bool Done() const { return emitted_ >= budget_; }

  void Emit(int32_t item, EventType type) {
    events_->push_back(Event{item, type, t_});
    ++emitted_;
  }

  int32_t Favourite() {
    const auto& w = profile_.favourite_weights;
    double r = rng_.Uniform() * std::accumulate(w.begin(), w.end(), 0.0);
    for (size_t k = 0; k < w.size(); ++k) {
      if ((r -= w[k]) <= 0) return profile_.favourite_subs[k];
    }
    return profile_.favourite_subs.back();
  }

  int32_t SessionSubcategory() {
    for (int tries = 0; tries < 4; ++tries) {
      const int32_t sub = rng_.Bernoulli(profile_.explore) ? g_.DrawSubcategory(rng_) : Favourite();
      if (g_.subs_[sub].begin != g_.subs_[sub].end) return sub;
    }
    return profile_.favourite_subs.front();
  }

  // Weights random-walk; now and then a favourite is swapped for a new
  // subcategory, whose department brings a favourite brand.
  void Drift() {
    Profile& p = profile_;
    for (double& w : p.favourite_weights) w *= std::exp(kDriftStep * rng_.Normal());
    if (!rng_.Bernoulli(kDriftReplace)) return;
    const size_t k = static_cast<size_t>(rng_.Below(p.favourite_subs.size()));
    const int32_t sub = g_.DrawSubcategory(rng_);
    if (g_.subs_[sub].begin == g_.subs_[sub].end ||
        std::find(p.favourite_subs.begin(), p.favourite_subs.end(), sub) !=
            p.favourite_subs.end()) {
      return;
    }
    p.favourite_subs[k] = sub;
    p.favourite_weights[k] = 1.0;
    const int32_t per_top = g_.options_.brands_per_top;
    const int32_t brand = g_.subs_[sub].top * per_top + rng_.Below(per_top);
    if (!p.LikesBrand(brand)) p.favourite_brands.push_back(brand);
  }

  void Session() {
    t_ = 0;
    sub_ = SessionSubcategory();
    const int32_t views = 1 + rng_.Geometric(kMeanSessionViews - 1);
    int32_t pending = -1;  // a complement the user is about to look at
    session_items_.clear();
    for (int32_t v = 0; (v < views || pending >= 0) && !Done(); ++v) {
      const int32_t item = pending >= 0 ? pending : NextItem(v);
      session_items_.push_back(item);
      Emit(item, EventType::kView);
      pending = Funnel(item);
      t_ += 2 + static_cast<int64_t>(rng_.LogNormal(45, 0.8));  // dwell time
    }
  }

  int32_t NextItem(int32_t v) {
    if (!session_items_.empty() && rng_.Bernoulli(kRevisit)) {
      return session_items_[static_cast<size_t>(rng_.Below(session_items_.size()))];
    }
    if (v > 0 && rng_.Bernoulli(kSwitchSubcategory)) sub_ = SessionSubcategory();
    return g_.PickItem(sub_, profile_, session_items_, rng_);
  }

  // Cart and purchase after a view of `item`; returns a complement the user
  // goes on to view, or -1.
  int32_t Funnel(int32_t item) {
    bool carted = false, bought = false;
    const bool liked_brand = profile_.LikesBrand(g_.item_brand_[item]);
    const double cart_p = 0.04 + 0.08 * g_.PriceFit(item, profile_) + (liked_brand ? 0.04 : 0.0);
    if (g_.item_in_stock_[item] && !Done() && rng_.Bernoulli(cart_p)) {
      t_ += 5 + static_cast<int64_t>(rng_.Exponential(40));
      Emit(item, EventType::kCart);
      carted = true;
      if (!Done() && rng_.Bernoulli(kPurchaseGivenCart)) {
        t_ += 30 + static_cast<int64_t>(rng_.Exponential(240));
        Emit(item, EventType::kPurchase);
        bought = true;
      }
    }
    const auto comps = g_.ComplementsOf(item);
    const double follow =
        bought ? kFollowAfterPurchase : carted ? kFollowAfterCart : kFollowAfterView;
    if (comps.empty() || !rng_.Bernoulli(follow)) return -1;
    return comps[static_cast<size_t>(rng_.Below(comps.size()))];
  }

  const SyntheticGenerator& g_;
  Rng rng_;
  Profile profile_;
  const int64_t budget_;
  std::vector<Event>* events_;
  int64_t emitted_ = 0;
  int64_t t_ = 0;
  int32_t sub_ = 0;  // the subcategory being browsed
  std::vector<size_t> session_begin_;
  std::vector<int32_t> session_items_;
};

void SyntheticGenerator::GenerateUser(int32_t user, std::vector<Event>* events) const {
  UserSimulation(*this, user, events).Run();
}

// Session starts are uniform over the user's active period (a Poisson
// process given their number) from a join day in the first half of the
// log; a session never starts within kMinSessionGap of the previous end.
void SyntheticGenerator::PlaceSessions(const std::vector<size_t>& session_begin, Rng& rng,
                                       std::vector<Event>* events) const {
  const int64_t span = static_cast<int64_t>(options_.days) * 86400;
  const int64_t join = options_.start_time + static_cast<int64_t>(rng.Uniform() * 0.5 * span);
  const double active = static_cast<double>(options_.start_time + span - join);
  std::vector<int64_t> starts(session_begin.size());
  for (auto& s : starts) s = join + static_cast<int64_t>(rng.Uniform() * active);
  std::sort(starts.begin(), starts.end());
  int64_t previous_end = INT64_MIN / 2;
  for (size_t k = 0; k < session_begin.size(); ++k) {
    const size_t begin = session_begin[k];
    const size_t end = k + 1 < session_begin.size() ? session_begin[k + 1] : events->size();
    const int64_t start = std::max(starts[k], previous_end + kMinSessionGap);
    for (size_t e = begin; e < end; ++e) (*events)[e].timestamp += start;
    if (end > begin) previous_end = (*events)[end - 1].timestamp;
  }
}

std::string SyntheticGenerator::ItemId(int32_t item) { return absl::StrCat("i", item); }
std::string SyntheticGenerator::UserId(int32_t user) { return absl::StrCat("u", user); }

ItemInfo SyntheticGenerator::MakeItemInfo(int32_t item) const {
  Rng rng(StreamSeed(options_.seed, kItemText, static_cast<uint64_t>(item)));
  const size_t i = static_cast<size_t>(item);
  const Subcategory& sub = subs_[item_sub_[i]];
  const Brand& brand = brands_[item_brand_[i]];
  const char* adjective = kAdjectives[rng.Below(Size(kAdjectives))];
  if (brand.tier == 0 && rng.Bernoulli(0.5)) {
    adjective = kBudgetAdjectives[rng.Below(Size(kBudgetAdjectives))];
  } else if (brand.tier == 2 && rng.Bernoulli(0.5)) {
    adjective = kPremiumAdjectives[rng.Below(Size(kPremiumAdjectives))];
  }
  ItemInfo info;
  info.title = absl::StrCat(brand.name, " ", adjective, " ",
                            sub.nouns[static_cast<size_t>(rng.Below(sub.nouns.size()))]);
  if (rng.Bernoulli(0.5)) {
    const char* color = kColors[rng.Below(Size(kColors))];
    absl::StrAppend(&info.title, ", ", color);
    info.attributes.push_back(absl::StrCat("color=", color));
  }
  info.category_path = {sub.top_name, sub.name};
  info.brand = brand.name;
  info.price = item_price_[i];
  info.in_stock = item_in_stock_[i] != 0;
  return info;
}

absl::Status SyntheticGenerator::WriteCatalog(const std::string& jsonl_path) const {
  auto writer = CatalogJsonlWriter::Open(jsonl_path);
  if (!writer.ok()) return writer.status();
  for (int32_t i = 0; i < num_items(); ++i) (*writer)->Add(ItemId(i), MakeItemInfo(i));
  return (*writer)->Close();
}

absl::StatusOr<SyntheticSummary> SyntheticGenerator::WriteEvents(
    const std::string& csv_path, const ProgressFactory& progress) const {
  auto writer = EventCsvWriter::Open(csv_path);
  if (!writer.ok()) return writer.status();
  SyntheticSummary summary;
  summary.first_timestamp = INT64_MAX;
  summary.last_timestamp = INT64_MIN;
  std::vector<Event> events;
  std::vector<std::string> item_ids;  // formatting ids once pays off over 10M rows
  item_ids.reserve(item_sub_.size());
  for (int32_t i = 0; i < num_items(); ++i) item_ids.push_back(ItemId(i));
  const std::unique_ptr<ProgressReporter> bar = StartProgress(progress, "generated users", num_users());
  for (int32_t u = 0; u < num_users(); ++u) {
    events.clear();
    GenerateUser(u, &events);
    const std::string user = UserId(u);
    for (const Event& e : events) {
      (*writer)->Add(user, item_ids[static_cast<size_t>(e.item)], e.type, e.timestamp);
      ++summary.events;
      (e.type == EventType::kView   ? summary.views
       : e.type == EventType::kCart ? summary.carts
                                    : summary.purchases)++;
      summary.first_timestamp = std::min(summary.first_timestamp, e.timestamp);
      summary.last_timestamp = std::max(summary.last_timestamp, e.timestamp);
    }
    bar->Add();
  }
  if (auto s = (*writer)->Close(); !s.ok()) return s;
  bar->Finish();
  return summary;
}

}  // namespace recd
