// recd-cli: talk to a running recd.
//
//   recd-cli recommend --user u42 -k 10 --explain
//   recd-cli similar --item i17 -k 5
//   recd-cli rank --user u42 --items i3,i17,i99 [--rules] [--explain]
//   recd-cli cart --items i17,i40 [--user u42] -k 5
//   recd-cli event --user u42 --item i17 --type purchase
//   recd-cli reload
//   recd-cli status
//   recd-cli forget --user u42
//   recd-cli add-items --catalog new_items.jsonl   (catalog.jsonl lines; served at once)
//   recd-cli quarantine-list > quarantined.txt   (then recd-train --quarantined-users quarantined.txt)
//   recd-cli release --user u42
//   recd-cli shadow-promote --name next      (or shadow-drop)
//   recd-cli --admin 127.0.0.1:50052 status   (with admin.listen set)
//
// Against a secured recd (README, Security):
//   RECD_TOKEN=... recd-cli --target localhost:50051 --ca data/certs/ca.pem
//       --cert data/certs/client.pem --key data/certs/client.key status

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "google/protobuf/util/json_util.h"
#include "recd/data_loaders.h"
#include "recd/v1/recommender.grpc.pb.h"
#include "server/load_generator.h"

namespace {

using recd::v1::Admin;
using recd::v1::Recommender;

int Fail(const grpc::Status& s) {
  std::cerr << "recd-cli: " << s.error_code() << " " << s.error_message() << "\n";
  return 1;
}

void PrintJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, options);
  std::cout << out;
}

void PrintItems(const google::protobuf::RepeatedPtrField<recd::v1::ScoredItem>& items) {
  int rank = 1;
  for (const auto& item : items) {
    std::cout << std::setw(3) << rank++ << ". " << std::left << std::setw(16) << item.item_id() << std::right
              << " score " << std::fixed << std::setprecision(4) << item.score() << "\n";
    if (!item.has_explanation()) continue;
    for (const auto& c : item.explanation().contributions()) {
      std::cout << "       " << std::left << std::setw(8) << c.model() << std::right << " raw " << std::setw(9)
                << c.raw_score() << "  norm " << std::setw(8) << c.normalized_score() << "  x weight "
                << std::setw(6) << c.weight() << " = " << std::setw(8) << c.contribution() << "\n";
    }
    if (!item.explanation().reason().empty()) std::cout << "       " << item.explanation().reason() << "\n";
  }
}

bool ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "recd-cli: cannot read " << path << "\n";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  out = text.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"recd-cli: a client for recd"};
  app.require_subcommand(1);
  std::string target = "127.0.0.1:50051";
  bool json = false;
  double timeout_s = 5;
  app.add_option("--target", target, "recd HOST:PORT")->capture_default_str();
  std::string admin;
  app.add_option("--admin", admin, "HOST:PORT of recd's admin listener (admin.listen) for reload and status; "
                                   "default: --target");
  app.add_flag("--json", json, "print the raw response as JSON");
  app.add_option("--timeout", timeout_s, "seconds")->capture_default_str();
  std::string ca, cert, key, token;
  app.add_option("--ca", ca, "TLS: the CA certificate (PEM) that signed recd's; turns TLS on");
  app.add_option("--cert", cert, "mutual TLS: this client's certificate (PEM)")->needs("--ca");
  app.add_option("--key", key, "mutual TLS: this client's private key (PEM)")->needs("--cert");
  app.add_option("--token", token, "bearer token (default: $RECD_TOKEN; prefer the variable, "
                                    "a flag shows in the process list)");

  recd::v1::RecommendRequest rec;
  int k = 10;
  std::vector<std::string> recent, exclude, categories;
  bool explain = false, in_stock = false, no_purchased = false;
  std::string category;
  auto* recommend = app.add_subcommand("recommend", "items for a user");
  recommend->add_option("--user", *rec.mutable_user_id(), "user id")->required();
  recommend->add_option("-k", k, "how many")->capture_default_str();
  recommend->add_option("--recent", recent, "session item ids, oldest first");
  recommend->add_option("--category", category, "context category path");
  recommend->add_option("--exclude", exclude, "item ids to leave out");
  recommend->add_option("--allowed-category", categories, "category path prefixes");
  recommend->add_flag("--in-stock", in_stock, "in-stock items only");
  recommend->add_flag("--exclude-purchased", no_purchased, "leave out purchased items");
  recommend->add_flag("--explain", explain, "per-model scores");

  std::string item;
  auto* similar = app.add_subcommand("similar", "items related to an item");
  similar->add_option("--item", item, "item id")->required();
  similar->add_option("-k", k, "how many")->capture_default_str();
  similar->add_flag("--explain", explain, "per-model scores");

  std::string user, type = "view";
  std::vector<std::string> items;
  bool apply_rules = false;
  auto* rank = app.add_subcommand("rank", "reorder the given items for a user (search hits, a category page)");
  rank->add_option("--user", user, "user id")->required();
  rank->add_option("--items", items, "item ids to rank, comma-separated")->required()->delimiter(',');
  rank->add_option("--recent", recent, "session item ids, oldest first")->delimiter(',');
  rank->add_flag("--rules", apply_rules, "apply business rules (--exclude, --in-stock, the config's rules)");
  rank->add_option("--exclude", exclude, "item ids to leave out (with --rules)")->delimiter(',');
  rank->add_flag("--in-stock", in_stock, "in-stock items only (with --rules)");
  rank->add_flag("--explain", explain, "per-model scores");

  auto* cart = app.add_subcommand("cart", "items that complete a cart");
  cart->add_option("--items", items, "the cart's item ids, comma-separated")->required()->delimiter(',');
  cart->add_option("--user", user, "the shopper (optional: their history is context)");
  cart->add_option("-k", k, "how many")->capture_default_str();
  cart->add_flag("--in-stock", in_stock, "in-stock items only");
  cart->add_flag("--explain", explain, "per-model scores");

  int64_t timestamp = 0;
  auto* event = app.add_subcommand("event", "record an interaction");
  event->add_option("--user", user, "user id")->required();
  event->add_option("--item", item, "item id")->required();
  event->add_option("--type", type, "view | cart | purchase")
      ->check(CLI::IsMember({"view", "cart", "purchase"}))->capture_default_str();
  event->add_option("--timestamp", timestamp, "unix seconds (default: now)");
  std::string request_id;
  event->add_option("--request-id", request_id,
                    "idempotency key: a retry with the same key records nothing twice");

  auto* stock = app.add_subcommand("stock", "mark an item in or out of stock (every replica applies it)");
  bool out_of_stock = false;
  stock->add_option("--item", item, "item id")->required();
  stock->add_flag("--out", out_of_stock, "out of stock (default: back in stock)");

  auto* reload = app.add_subcommand("reload", "re-read the config and models");
  auto* status = app.add_subcommand("status", "models, versions, counters");
  auto* forget = app.add_subcommand("forget", "erase a user: history, profile and cached states (admin)");
  forget->add_option("--user", user, "user id")->required();
  std::string catalog_file;
  auto* add_items = app.add_subcommand(
      "add-items", "add catalog rows (catalog.jsonl format); new items are served at once, without a new bundle (admin)");
  add_items->add_option("--catalog", catalog_file, "JSONL file, one item a line as in catalog.jsonl")->required();
  auto* quarantine_list = app.add_subcommand(
      "quarantine-list", "the quarantined users, one id a line (a file for recd-train --quarantined-users; admin)");
  auto* release = app.add_subcommand("release", "end a user's quarantine (admin)");
  release->add_option("--user", user, "user id")->required();
  std::string shadow_name;
  auto* shadow_promote = app.add_subcommand(
      "shadow-promote", "serve the running shadow's bundle version and fusion profile (until restart or a new shadow; admin)");
  shadow_promote->add_option("--name", shadow_name, "the running shadow's name (config shadow.name)")->required();
  auto* shadow_drop = app.add_subcommand("shadow-drop", "stop the running shadow (until restart or a new shadow; admin)");
  shadow_drop->add_option("--name", shadow_name, "the running shadow's name (config shadow.name)")->required();
  CLI11_PARSE(app, argc, argv);

  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!ca.empty()) {
    grpc::SslCredentialsOptions tls;
    if (!ReadFile(ca, tls.pem_root_certs)) return 1;
    if (!cert.empty() && (!ReadFile(cert, tls.pem_cert_chain) || !ReadFile(key, tls.pem_private_key))) return 1;
    credentials = grpc::SslCredentials(tls);
  }
  if (token.empty()) {
    if (const char* env = std::getenv("RECD_TOKEN")) token = env;
  }
  auto channel = grpc::CreateChannel(target, credentials);
  auto admin_channel = admin.empty() ? channel : grpc::CreateChannel(admin, credentials);
  grpc::ClientContext ctx;
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)));

  // For an edge with user affinity (deploy/haproxy/replicas.cfg).
  const std::string& routed_user = *recommend ? rec.user_id() : user;
  if (!routed_user.empty()) ctx.AddMetadata(std::string(recd::kUserRoutingHeader), routed_user);
  if (*recommend) {
    rec.set_k(k);
    rec.set_explain(explain);
    rec.set_category(category);
    for (auto& r : recent) rec.add_recent_item_ids(r);
    for (auto& e : exclude) rec.mutable_filters()->add_exclude_item_ids(e);
    for (auto& c : categories) rec.mutable_filters()->add_allowed_categories(c);
    rec.mutable_filters()->set_in_stock_only(in_stock);
    rec.mutable_filters()->set_exclude_purchased(no_purchased);
    recd::v1::RecommendResponse resp;
    grpc::Status s = Recommender::NewStub(channel)->RecommendItems(&ctx, rec, &resp);
    if (!s.ok()) return Fail(s);
    if (json) {
      PrintJson(resp);
      return 0;
    }
    std::cout << "recommendations for " << rec.user_id() << " (request " << resp.request_id() << ", config "
              << resp.config_version() << ")\n";
    PrintItems(resp.items());
    for (const auto& d : resp.degraded()) std::cout << "degraded: " << d << " left out\n";
    for (const auto& i : resp.ignored_item_ids()) std::cout << "ignored unknown id: " << i << "\n";
  } else if (*similar) {
    recd::v1::SimilarItemsRequest req;
    req.set_item_id(item);
    req.set_k(k);
    req.set_explain(explain);
    recd::v1::SimilarItemsResponse resp;
    grpc::Status s = Recommender::NewStub(channel)->SimilarItems(&ctx, req, &resp);
    if (!s.ok()) return Fail(s);
    if (json) {
      PrintJson(resp);
      return 0;
    }
    std::cout << "items similar to " << item << "\n";
    PrintItems(resp.items());
  } else if (*rank) {
    recd::v1::RankItemsRequest req;
    req.set_user_id(user);
    for (const auto& i : items) req.add_item_ids(i);
    for (const auto& r : recent) req.add_recent_item_ids(r);
    req.set_apply_rules(apply_rules);
    for (const auto& e : exclude) req.mutable_filters()->add_exclude_item_ids(e);
    req.mutable_filters()->set_in_stock_only(in_stock);
    req.set_explain(explain);
    recd::v1::RankItemsResponse resp;
    grpc::Status s = Recommender::NewStub(channel)->RankItems(&ctx, req, &resp);
    if (!s.ok()) return Fail(s);
    if (json) {
      PrintJson(resp);
      return 0;
    }
    std::cout << resp.items_size() << " of " << items.size() << " items ranked for " << user << " (request " << resp.request_id() << ", config "
              << resp.config_version() << ")\n";
    PrintItems(resp.items());
    for (const auto& d : resp.degraded()) std::cout << "degraded: " << d << " left out\n";
    for (const auto& i : resp.unknown_item_ids()) std::cout << "unknown, dropped: " << i << "\n";
    for (const auto& i : resp.filtered_item_ids()) std::cout << "left out by rules: " << i << "\n";
    for (const auto& i : resp.ignored_item_ids()) std::cout << "ignored unknown id: " << i << "\n";
  } else if (*cart) {
    recd::v1::CompleteCartRequest req;
    for (const auto& i : items) req.add_item_ids(i);
    req.set_user_id(user);
    req.set_k(k);
    req.mutable_filters()->set_in_stock_only(in_stock);
    req.set_explain(explain);
    recd::v1::CompleteCartResponse resp;
    grpc::Status s = Recommender::NewStub(channel)->CompleteCart(&ctx, req, &resp);
    if (!s.ok()) return Fail(s);
    if (json) {
      PrintJson(resp);
      return 0;
    }
    std::cout << "to complete a cart of " << items.size() << " item(s)" << (user.empty() ? "" : " for " + user)
              << " (profile " << resp.profile() << ", request " << resp.request_id() << ")\n";
    PrintItems(resp.items());
    for (const auto& d : resp.degraded()) std::cout << "degraded: " << d << " left out\n";
    for (const auto& i : resp.ignored_item_ids()) std::cout << "ignored unknown id: " << i << "\n";
  } else if (*event) {
    recd::v1::RecordEventsRequest req;
    auto* e = req.add_events();
    e->set_user_id(user);
    e->set_item_id(item);
    e->set_type(type == "purchase" ? recd::v1::PURCHASE : type == "cart" ? recd::v1::CART : recd::v1::VIEW);
    if (timestamp > 0) e->mutable_timestamp()->set_seconds(timestamp);
    req.set_request_id(request_id);
    recd::v1::RecordEventsResponse resp;
    grpc::Status s = Recommender::NewStub(channel)->RecordEvents(&ctx, req, &resp);
    if (!s.ok()) return Fail(s);
    std::cout << "recorded " << resp.accepted() << " event(s)\n";
  } else if (*stock) {
    recd::v1::UpdateStockRequest req;
    auto* c = req.add_changes();
    c->set_item_id(item);
    c->set_in_stock(!out_of_stock);
    recd::v1::UpdateStockResponse resp;
    grpc::Status s = Recommender::NewStub(channel)->UpdateStock(&ctx, req, &resp);
    if (!s.ok()) return Fail(s);
    std::cout << item << (out_of_stock ? " out of stock\n" : " in stock\n");
  } else if (*reload) {
    recd::v1::ReloadConfigResponse resp;
    grpc::Status s = Admin::NewStub(admin_channel)->ReloadConfig(&ctx, {}, &resp);
    if (!s.ok()) return Fail(s);
    std::cout << resp.message() << ": config " << resp.config_version() << ", models " << resp.bundle_version() << "\n";
  } else if (*status) {
    recd::v1::GetStatusResponse resp;
    grpc::Status s = Admin::NewStub(admin_channel)->GetStatus(&ctx, {}, &resp);
    if (!s.ok()) return Fail(s);
    PrintJson(resp);
  } else if (*forget) {
    recd::v1::ForgetUserRequest req;
    req.set_user_id(user);
    recd::v1::ForgetUserResponse resp;
    grpc::Status s = Admin::NewStub(admin_channel)->ForgetUser(&ctx, req, &resp);
    if (!s.ok()) return Fail(s);
    std::cout << "forgot " << user << (resp.had_history() ? "" : " (no history was stored)") << "\n";
  } else if (*add_items) {
    // Strict: a bad line is "file:line: reason", and nothing is sent.
    recd::Dataset rows;
    recd::LoadOptions strict;
    strict.strict = true;
    if (absl::Status loaded = recd::LoadCatalog(catalog_file, &rows, nullptr, strict); !loaded.ok()) {
      std::cerr << "error: " << loaded.message() << "\n";
      return 1;
    }
    auto stub = Admin::NewStub(admin_channel);
    recd::v1::AddItemsResponse total;
    constexpr int kBatch = 1000;  // server.max_ids_per_request's default
    for (int32_t first = 0; first < rows.num_items(); first += kBatch) {
      recd::v1::AddItemsRequest req;
      for (int32_t i = first; i < std::min(rows.num_items(), first + kBatch); ++i) {
        const recd::ItemInfo& info = rows.item_info[static_cast<size_t>(i)];
        recd::v1::CatalogItem* item = req.add_items();
        item->set_item_id(rows.items.Name(i));
        item->set_title(info.title);
        for (const std::string& c : info.category_path) item->add_category_path(c);
        item->set_brand(info.brand);
        if (std::isfinite(info.price)) item->set_price(info.price);
        for (const std::string& a : info.attributes) item->add_attributes(a);
        item->set_out_of_stock(!info.in_stock);
      }
      grpc::ClientContext batch;
      if (!token.empty()) batch.AddMetadata("authorization", "Bearer " + token);
      batch.set_deadline(ctx.deadline());
      recd::v1::AddItemsResponse resp;
      grpc::Status s = stub->AddItems(&batch, req, &resp);
      if (!s.ok()) return Fail(s);
      total.set_new_items(total.new_items() + resp.new_items());
      total.set_trained_items(total.trained_items() + resp.trained_items());
      total.set_served_new_items(resp.served_new_items());
      total.set_max_new_items(resp.max_new_items());
    }
    std::cout << total.new_items() << " new item(s), " << total.trained_items()
              << " row(s) of trained items replaced; serving " << total.served_new_items() << " new item(s) of at most "
              << total.max_new_items() << "\n";
  } else if (*release) {
    recd::v1::ReleaseQuarantineRequest req;
    req.set_user_id(user);
    recd::v1::ReleaseQuarantineResponse resp;
    grpc::Status s = Admin::NewStub(admin_channel)->ReleaseQuarantine(&ctx, req, &resp);
    if (!s.ok()) return Fail(s);
    std::cout << "released " << user << (resp.was_quarantined() ? "" : " (was not quarantined)") << "\n";
  } else if (*shadow_promote || *shadow_drop) {
    recd::v1::ShadowDecisionRequest req;
    req.set_name(shadow_name);
    recd::v1::ShadowDecisionResponse resp;
    auto stub = Admin::NewStub(admin_channel);
    grpc::Status s = *shadow_promote ? stub->PromoteShadow(&ctx, req, &resp) : stub->DropShadow(&ctx, req, &resp);
    if (!s.ok()) return Fail(s);
    std::cout << (*shadow_promote ? "promoted " : "dropped ") << shadow_name << ": config " << resp.config_version()
              << ", models " << resp.bundle_version() << " (version " << resp.bundle_version_number() << ")\n";
  } else if (*quarantine_list) {
    // Page by page (each call its own context, with the same token and
    // deadline); ids only, so the output is a recd-train input as it is.
    auto stub = Admin::NewStub(admin_channel);
    recd::v1::ListQuarantineRequest req;
    for (bool more = true; more;) {
      grpc::ClientContext page;
      if (!token.empty()) page.AddMetadata("authorization", "Bearer " + token);
      page.set_deadline(ctx.deadline());
      recd::v1::ListQuarantineResponse resp;
      grpc::Status s = stub->ListQuarantine(&page, req, &resp);
      if (!s.ok()) return Fail(s);
      for (const auto& u : resp.users()) std::cout << u.user_id() << "\n";
      more = resp.more() && resp.users_size() > 0;
      if (more) req.set_after_user_id(resp.users(resp.users_size() - 1).user_id());
    }
  }
  return 0;
}
