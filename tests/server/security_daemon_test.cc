// The daemon with TLS, mutual TLS and bearer tokens, over loopback. The
// certificates and tokens are made at run time by scripts/make-test-certs.sh
// into the suite's temp dir (never committed).

#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "test_util/daemon_fixture.h"
#include "test_util/generic_call.h"

namespace recd {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Credentials made once per process: `certs` for the daemon and its
// clients, `other` from another CA (a client the daemon must not trust).
struct Certs {
  fs::path certs, other;
  std::map<std::string, std::string> tokens;  // role -> plain token
};
inline Certs* certs = nullptr;

void MakeCerts() {
  if (certs != nullptr) return;
  certs = new Certs();
  certs->certs = world->dir / "certs";
  certs->other = world->dir / "other_certs";
  for (const fs::path& dir : {certs->certs, certs->other}) {
    const std::string cmd =
        std::string(RECD_SOURCE_DIR) + "/scripts/make-test-certs.sh " + dir.string() + " > /dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  std::ifstream in(certs->certs / "tokens.txt");
  std::string role, token;
  while (in >> role >> token) certs->tokens[role] = token;
  ASSERT_EQ(certs->tokens.size(), 3u);
}

using testing_util::GenericCall;
constexpr char kReflection[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
// ServerReflectionRequest{list_services: ""}: field 7, length 0.
const std::string kListServices("\x3a\x00", 2);

class SecurityDaemonTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUpTestSuite();
    MakeCerts();
    server_extra_ += security_;
    DaemonTest::SetUp();
  }

  std::string Tls(bool mutual) const {
    std::string s = ", tls: {cert_file: " + (certs->certs / "server.pem").string() +
                    ", key_file: " + (certs->certs / "server.key").string();
    if (mutual) s += ", client_ca_file: " + (certs->certs / "ca.pem").string();
    return s + "}";
  }
  std::string Auth() const { return ", auth: {tokens_file: " + (certs->certs / "tokens").string() + "}"; }

  // A TLS channel trusting `ca_dir`'s CA, with `client_dir`'s client
  // certificate when given.
  std::shared_ptr<grpc::Channel> TlsChannel(const fs::path& ca_dir, const fs::path& client_dir = {}) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(ca_dir / "ca.pem");
    if (!client_dir.empty()) {
      options.pem_cert_chain = ReadFile(client_dir / "client.pem");
      options.pem_private_key = ReadFile(client_dir / "client.key");
    }
    return grpc::CreateChannel("localhost:" + std::to_string(server_->port()), grpc::SslCredentials(options));
  }

  static grpc::Status Status(const std::shared_ptr<grpc::Channel>& channel, const std::string& token = "",
                             v1::GetStatusResponse* resp = nullptr) {
    v1::GetStatusResponse unused;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    return v1::Admin::NewStub(channel)->GetStatus(&ctx, {}, resp ? resp : &unused);
  }

  // Calls `method` on the plaintext channel with `authorization` metadata
  // ("" = none); the requests are valid, so an allowed call is OK.
  grpc::Status Call(const std::string& method, const std::string& authorization) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!authorization.empty()) ctx.AddMetadata("authorization", authorization);
    const std::string item = world->data.items.Name(0);
    if (method == "RecommendItems") {
      v1::RecommendRequest req;
      req.set_user_id("u1");
      req.set_k(5);
      v1::RecommendResponse resp;
      return recommender_->RecommendItems(&ctx, req, &resp);
    }
    if (method == "SimilarItems") {
      v1::SimilarItemsRequest req;
      req.set_item_id(item);
      req.set_k(5);
      v1::SimilarItemsResponse resp;
      return recommender_->SimilarItems(&ctx, req, &resp);
    }
    if (method == "RankItems") {
      v1::RankItemsRequest req;
      req.set_user_id("u1");
      req.add_item_ids(item);
      v1::RankItemsResponse resp;
      return recommender_->RankItems(&ctx, req, &resp);
    }
    if (method == "CompleteCart") {
      v1::CompleteCartRequest req;
      req.add_item_ids(item);
      req.set_k(5);
      v1::CompleteCartResponse resp;
      return recommender_->CompleteCart(&ctx, req, &resp);
    }
    if (method == "RecordEvents") {
      v1::RecordEventsRequest req;
      v1::Event* e = req.add_events();
      e->set_user_id("u1");
      e->set_item_id(item);
      e->set_type(v1::VIEW);
      v1::RecordEventsResponse resp;
      return recommender_->RecordEvents(&ctx, req, &resp);
    }
    if (method == "ReloadConfig") {
      v1::ReloadConfigResponse resp;
      return admin_->ReloadConfig(&ctx, {}, &resp);
    }
    if (method == "ReleaseQuarantine") {
      v1::ReleaseQuarantineRequest req;
      req.set_user_id("u1");
      v1::ReleaseQuarantineResponse resp;
      return admin_->ReleaseQuarantine(&ctx, req, &resp);
    }
    if (method == "ListQuarantine") {
      v1::ListQuarantineResponse resp;
      return admin_->ListQuarantine(&ctx, {}, &resp);
    }
    v1::GetStatusResponse resp;
    return admin_->GetStatus(&ctx, {}, &resp);
  }

  std::string security_;
};

class TlsDaemonTest : public SecurityDaemonTest {
 protected:
  void SetUp() override {
    MakeCertsFirst();
    security_ = Tls(/*mutual=*/false);
    SecurityDaemonTest::SetUp();
  }
  void MakeCertsFirst() {
    DaemonTest::SetUpTestSuite();
    MakeCerts();
  }
};

TEST_F(TlsDaemonTest, PlaintextClientIsRejected) {
  const grpc::Status s = Status(channel_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(TlsDaemonTest, TlsClientTrustingTheCaIsServed) {
  const grpc::Status s = Status(TlsChannel(certs->certs));
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(TlsDaemonTest, TlsClientTrustingAnotherCaFails) {
  EXPECT_FALSE(Status(TlsChannel(certs->other)).ok());
}

// Rotated certificates: the daemon reads its key and certificate files
// again (server.tls.reload_interval_s), new connections get the new ones,
// and a connection opened before keeps working.
class TlsRotationDaemonTest : public TlsDaemonTest {
 protected:
  void SetUp() override {
    MakeCertsFirst();
    served_ = world->dir / "rotating_tls";
    fs::create_directories(served_);
    Install(certs->certs);
    security_ = ", tls: {cert_file: " + (served_ / "server.pem").string() + ", key_file: " +
                (served_ / "server.key").string() + ", reload_interval_s: 1}";
    SecurityDaemonTest::SetUp();
  }
  // Puts `dir`'s server key and certificate where the daemon reads them,
  // each by a rename, so the watcher never reads half a file.
  void Install(const fs::path& dir) {
    for (const char* name : {"server.key", "server.pem"}) {
      fs::copy_file(dir / name, served_ / (std::string(name) + ".new"), fs::copy_options::overwrite_existing);
      fs::rename(served_ / (std::string(name) + ".new"), served_ / name);
    }
  }
  fs::path served_;
};

TEST_F(TlsRotationDaemonTest, NewConnectionsGetTheRotatedCertificateOpenOnesKeepServing) {
  const auto before = TlsChannel(certs->certs);
  ASSERT_TRUE(Status(before).ok());
  Install(certs->other);
  // The watcher looks every second; allow it a few.
  bool rotated = false;
  for (int i = 0; i < 100 && !rotated; ++i) {
    rotated = Status(TlsChannel(certs->other)).ok();
    if (!rotated) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(rotated) << "a client trusting the new CA was never served";
  EXPECT_FALSE(Status(TlsChannel(certs->certs)).ok()) << "new connections still get the old certificate";
  const grpc::Status s = Status(before);
  EXPECT_TRUE(s.ok()) << "the connection opened before the rotation: " << s.error_message();
}

class MutualTlsDaemonTest : public TlsDaemonTest {
 protected:
  void SetUp() override {
    MakeCertsFirst();
    security_ = Tls(/*mutual=*/true);
    SecurityDaemonTest::SetUp();
  }
};

TEST_F(MutualTlsDaemonTest, ClientWithoutCertificateIsRejected) {
  EXPECT_FALSE(Status(TlsChannel(certs->certs)).ok());
}

TEST_F(MutualTlsDaemonTest, ClientCertificateFromAnotherCaIsRejected) {
  EXPECT_FALSE(Status(TlsChannel(certs->certs, certs->other)).ok());
}

TEST_F(MutualTlsDaemonTest, ClientCertificateFromTheCaIsServed) {
  const grpc::Status s = Status(TlsChannel(certs->certs, certs->certs));
  EXPECT_TRUE(s.ok()) << s.error_message();
}

class AuthDaemonTest : public SecurityDaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUpTestSuite();
    MakeCerts();
    security_ = Auth();
    SecurityDaemonTest::SetUp();
  }
};

TEST_F(AuthDaemonTest, EachRoleIsAllowedExactlyItsMethods) {
  const std::map<std::string, std::string> needs = {
      {"RecommendItems", "serve"}, {"SimilarItems", "serve"},  {"RankItems", "serve"},
      {"CompleteCart", "serve"},   {"RecordEvents", "write"},  {"ReloadConfig", "admin"},
      {"GetStatus", "admin"},      {"ReleaseQuarantine", "admin"}, {"ListQuarantine", "admin"}};
  for (const auto& [role, token] : certs->tokens) {
    for (const auto& [method, needed] : needs) {
      const grpc::Status s = Call(method, "Bearer " + token);
      if (role == needed) {
        EXPECT_TRUE(s.ok()) << role << " calling " << method << ": " << s.error_message();
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << role << " calling " << method;
      }
    }
    // Shadow decisions are the admin's: with no shadow running, an admin
    // gets past the token to FAILED_PRECONDITION, the others no further.
    for (const bool promote : {true, false}) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      ctx.AddMetadata("authorization", "Bearer " + token);
      v1::ShadowDecisionRequest req;
      req.set_name("next");
      v1::ShadowDecisionResponse resp;
      const grpc::Status s = promote ? admin_->PromoteShadow(&ctx, req, &resp) : admin_->DropShadow(&ctx, req, &resp);
      EXPECT_EQ(s.error_code(), role == "admin" ? grpc::StatusCode::FAILED_PRECONDITION
                                                : grpc::StatusCode::PERMISSION_DENIED)
          << role << (promote ? " promoting" : " dropping") << ": " << s.error_message();
    }
  }
}

// The token table is read again on every reload: rotated tokens apply
// without a restart, and a bad file is rejected with the old table kept.
class TokenReloadDaemonTest : public SecurityDaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUpTestSuite();
    MakeCerts();
    tokens_file_ = world->dir / "rotating_tokens";
    fs::copy_file(certs->certs / "tokens", tokens_file_, fs::copy_options::overwrite_existing);
    security_ = ", auth: {tokens_file: " + tokens_file_.string() + "}";
    SecurityDaemonTest::SetUp();
  }
  static std::string Hash(const std::string& token) {
    const TokenAuthenticator::Digest d = TokenAuthenticator::Sha256(token);
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  }
  fs::path tokens_file_;
};

TEST_F(TokenReloadDaemonTest, RotatedTokensApplyOnReloadAndABadFileIsRejected) {
  const std::string old_serve = "Bearer " + certs->tokens.at("serve");
  const std::string admin = "Bearer " + certs->tokens.at("admin");
  ASSERT_TRUE(Call("RecommendItems", old_serve).ok());

  std::ofstream(tokens_file_, std::ios::trunc) << "serve " << Hash("rotated-serve-token") << "\n"
                                               << "admin " << Hash(certs->tokens.at("admin")) << "\n";
  grpc::Status s = Call("ReloadConfig", admin);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(Call("RecommendItems", old_serve).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Call("RecommendItems", "Bearer rotated-serve-token").ok());

  std::ofstream(tokens_file_, std::ios::trunc) << "serve not-a-hash\n";
  s = Call("ReloadConfig", admin);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("server.auth.tokens_file"));
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr(":1:"));
  EXPECT_TRUE(Call("RecommendItems", "Bearer rotated-serve-token").ok()) << "the running table stays";
}

TEST_F(AuthDaemonTest, MissingOrBadTokenIsUnauthenticated) {
  const std::string serve = certs->tokens.at("serve");
  for (const std::string& header : {std::string(), serve, "Bearer " + serve + "x", std::string("Bearer nope")}) {
    const grpc::Status s = Call("RecommendItems", header);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << "'" << header << "'";
    EXPECT_EQ(s.error_message().find(serve), std::string::npos);
  }
}

TEST_F(AuthDaemonTest, WrongRoleNamesMethodAndRoleNeverTheToken) {
  const std::string serve = certs->tokens.at("serve");
  const grpc::Status s = Call("RecordEvents", "Bearer " + serve);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(s.error_message().find("RecordEvents"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("'write'"), std::string::npos) << s.error_message();
  EXPECT_EQ(s.error_message().find(serve), std::string::npos) << s.error_message();
}

TEST_F(AuthDaemonTest, RefusalsAreCountedInStatus) {
  EXPECT_EQ(Call("RecommendItems", "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call("GetStatus", "Bearer bad").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Call("ReloadConfig", "Bearer " + certs->tokens.at("write")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetStatusResponse status;
  ASSERT_TRUE(Status(channel_, certs->tokens.at("admin"), &status).ok());
  EXPECT_EQ(status.counters().at("unauthenticated_calls"), 2);
  EXPECT_EQ(status.counters().at("permission_denied_calls"), 1);
  EXPECT_EQ(status.errors().at("ReloadConfig/PERMISSION_DENIED"), 1);
}

TEST_F(AuthDaemonTest, HealthCheckStaysOpenWithoutToken) {
  const grpc::Status s = GenericCall(channel_, testing_util::kHealthCheckMethod, "");
  EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
}

TEST_F(AuthDaemonTest, ReflectionIsOff) {
  EXPECT_EQ(GenericCall(channel_, kReflection, kListServices).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

// Without a tokens file, reflection stays on (the open demo).
TEST_F(TlsDaemonTest, ReflectionIsOnWithoutTokens) {
  const grpc::Status s = GenericCall(TlsChannel(certs->certs), kReflection, kListServices);
  EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
}

// TLS, client certificates and tokens together, as config/secure.yaml has them.
class FullySecuredDaemonTest : public TlsDaemonTest {
 protected:
  void SetUp() override {
    MakeCertsFirst();
    security_ = Tls(/*mutual=*/true) + Auth();
    SecurityDaemonTest::SetUp();
  }
};

TEST_F(FullySecuredDaemonTest, ClientWithCertificateAndTokenIsServed) {
  auto channel = TlsChannel(certs->certs, certs->certs);
  EXPECT_TRUE(Status(channel, certs->tokens.at("admin")).ok());
  EXPECT_EQ(Status(channel, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

// TLS connections go through the same connection cap (gRPC's external
// connection acceptor runs the handshake): raw sockets that never start one
// do not keep a TLS client out.
class TlsConnectionCapDaemonTest : public TlsDaemonTest {
 protected:
  void SetUp() override {
    MakeCertsFirst();
    security_ = Tls(/*mutual=*/false) + ", limits: {max_connections: 20}";
    SecurityDaemonTest::SetUp();
  }
};

TEST_F(TlsConnectionCapDaemonTest, TlsClientIsServedPastTheCap) {
  std::vector<int> idle;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < 100; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    idle.push_back(fd);
  }
  v1::GetStatusResponse status;
  const grpc::Status s = Status(TlsChannel(certs->certs), "", &status);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_LE(status.counters().at("open_connections"), 20);
  EXPECT_GE(status.counters().at("evicted_connections"), 80);
  for (int fd : idle) close(fd);
}

// Bad security files fail the start with the key and the file at fault.
class SecurityConfigDaemonTest : public SecurityDaemonTest {
 protected:
  absl::Status StartWith(const std::string& security) {
    server_.reset();
    server_extra_ = ", admission: {max_queue_ms: 10000}" + security;
    WriteConfig(world->bundle_a, "");
    RecdServer::Options options;
    options.config_path = config_path_;
    options.watch_files = false;
    auto server = RecdServer::Start(options);
    return server.status();
  }
  void WriteText(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }
};

TEST_F(SecurityConfigDaemonTest, MissingCertificateNamesKeyAndFile) {
  const std::string missing = (test_dir_ / "missing.pem").string();
  const absl::Status s = StartWith(", tls: {cert_file: " + missing + ", key_file: " + missing + "}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("server.tls.cert_file"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find(missing), absl::string_view::npos) << s;
}

TEST_F(SecurityConfigDaemonTest, InvalidCertificateOrKeyIsAStartError) {
  const fs::path junk = test_dir_ / "junk.pem";
  WriteText(junk, "not a certificate\n");
  const std::string cert = (certs->certs / "server.pem").string();
  absl::Status s = StartWith(", tls: {cert_file: " + junk.string() + ", key_file: " + junk.string() + "}");
  EXPECT_NE(s.message().find("server.tls.cert_file"), absl::string_view::npos) << s;
  s = StartWith(", tls: {cert_file: " + cert + ", key_file: " + junk.string() + "}");
  EXPECT_NE(s.message().find("server.tls.key_file"), absl::string_view::npos) << s;
  // The client's key is a valid key, but not the server certificate's.
  s = StartWith(", tls: {cert_file: " + cert + ", key_file: " + (certs->certs / "client.key").string() + "}");
  EXPECT_NE(s.message().find("is not the key of"), absl::string_view::npos) << s;
  s = StartWith(Tls(false).substr(0, Tls(false).size() - 1) + ", client_ca_file: " + junk.string() + "}");
  EXPECT_NE(s.message().find("server.tls.client_ca_file"), absl::string_view::npos) << s;
}

TEST_F(SecurityConfigDaemonTest, BadTokensFileIsAStartErrorWithFileAndLine) {
  const fs::path tokens = test_dir_ / "tokens";
  const std::string hash(64, 'a');
  const std::pair<std::string, std::string> cases[] = {
      {"serve " + hash + "\nserve\n", ":2: expected"},
      {"# c\nroot " + hash + "\n", ":2: unknown role 'root'"},
      {"write " + hash.substr(1) + "\n", ":1: the hash must be 64 hex"},
  };
  for (const auto& [text, want] : cases) {
    WriteText(tokens, text);
    const absl::Status s = StartWith(", auth: {tokens_file: " + tokens.string() + "}");
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_NE(s.message().find("server.auth.tokens_file: " + tokens.string() + want), absl::string_view::npos)
        << s;
  }
}

}  // namespace
}  // namespace recd
