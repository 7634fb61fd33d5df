#include "server/token_authenticator.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

std::string HexSha256(const std::string& token) {
  const TokenAuthenticator::Digest d = TokenAuthenticator::Sha256(token);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::unique_ptr<TokenAuthenticator> ParseTokens(const std::string& text) {
  auto auth = TokenAuthenticator::Parse(text, "tokens");
  EXPECT_TRUE(auth.ok()) << auth.status();
  return auth.ok() ? *std::move(auth) : nullptr;
}

TEST(TokenAuthenticatorTest, Sha256MatchesTheStandardVector) {
  EXPECT_EQ(HexSha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexSha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(TokenAuthenticatorTest, ConstantTimeEqualsComparesEveryByte) {
  TokenAuthenticator::Digest a = TokenAuthenticator::Sha256("x"), b = a;
  EXPECT_TRUE(TokenAuthenticator::ConstantTimeEquals(a, b));
  b.back() ^= 1;  // differs in the last byte only
  EXPECT_FALSE(TokenAuthenticator::ConstantTimeEquals(a, b));
  b = a;
  b.front() ^= 0x80;
  EXPECT_FALSE(TokenAuthenticator::ConstantTimeEquals(a, b));
}

TEST(TokenAuthenticatorTest, RoleTableGivesEachMethodOneRole) {
  using Role = TokenAuthenticator::Role;
  EXPECT_EQ(*TokenAuthenticator::RoleFor("RecommendItems"), Role::kServe);
  EXPECT_EQ(*TokenAuthenticator::RoleFor("SimilarItems"), Role::kServe);
  EXPECT_EQ(*TokenAuthenticator::RoleFor("RankItems"), Role::kServe);
  EXPECT_EQ(*TokenAuthenticator::RoleFor("CompleteCart"), Role::kServe);
  EXPECT_EQ(*TokenAuthenticator::RoleFor("RecordEvents"), Role::kWrite);
  EXPECT_EQ(*TokenAuthenticator::RoleFor("ReloadConfig"), Role::kAdmin);
  EXPECT_EQ(*TokenAuthenticator::RoleFor("GetStatus"), Role::kAdmin);
  EXPECT_EQ(*TokenAuthenticator::RoleFor("PromoteShadow"), Role::kAdmin);
  EXPECT_EQ(*TokenAuthenticator::RoleFor("DropShadow"), Role::kAdmin);
  EXPECT_FALSE(TokenAuthenticator::RoleFor("Echo").ok());
}

TEST(TokenAuthenticatorTest, TokenOfTheRightRoleIsAllowed) {
  auto auth = ParseTokens(absl::StrCat("# comment\n\nserve ", HexSha256("s3cret"), "  # the frontend\nwrite ",
                                 HexSha256("w"), "\n"));
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->num_tokens(), 2u);
  EXPECT_TRUE(auth->Authorize("RecommendItems", "Bearer s3cret").ok());
  EXPECT_TRUE(auth->Authorize("RecordEvents", "Bearer w").ok());
}

TEST(TokenAuthenticatorTest, MissingOrUnknownTokenIsUnauthenticated) {
  auto auth = ParseTokens(absl::StrCat("serve ", HexSha256("s3cret")));
  ASSERT_NE(auth, nullptr);
  for (const char* header : {"", "s3cret", "Basic s3cret", "Bearer ", "Bearer s3cre", "Bearer s3cret2"}) {
    EXPECT_EQ(auth->Authorize("RecommendItems", header).code(), absl::StatusCode::kUnauthenticated) << header;
  }
}

TEST(TokenAuthenticatorTest, WrongRoleIsPermissionDeniedNamingMethodAndRoleNotToken) {
  auto auth = ParseTokens(absl::StrCat("serve ", HexSha256("s3cret")));
  ASSERT_NE(auth, nullptr);
  const absl::Status s = auth->Authorize("ReloadConfig", "Bearer s3cret");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("ReloadConfig"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("admin"), absl::string_view::npos) << s;
  EXPECT_EQ(s.message().find("s3cret"), absl::string_view::npos) << s;
}

TEST(TokenAuthenticatorTest, TokenListedUnderTwoRolesHasBoth) {
  const std::string h = HexSha256("ops");
  auto auth = ParseTokens(absl::StrCat("admin ", h, "\nwrite ", h));
  ASSERT_NE(auth, nullptr);
  EXPECT_TRUE(auth->Authorize("GetStatus", "Bearer ops").ok());
  EXPECT_TRUE(auth->Authorize("RecordEvents", "Bearer ops").ok());
  EXPECT_EQ(auth->Authorize("RecommendItems", "Bearer ops").code(), absl::StatusCode::kPermissionDenied);
}

TEST(TokenAuthenticatorTest, UppercaseHexIsAccepted) {
  std::string h = HexSha256("t");
  for (char& c : h) c = static_cast<char>(std::toupper(c));
  auto auth = ParseTokens("serve " + h);
  ASSERT_NE(auth, nullptr);
  EXPECT_TRUE(auth->Authorize("SimilarItems", "Bearer t").ok());
}

TEST(TokenAuthenticatorTest, FileErrorsNameFileAndLine) {
  const std::string ok = "serve " + HexSha256("a") + "\n";
  const std::pair<std::string, std::string> cases[] = {
      {ok + "serve\n", "tokens:2: expected"},
      {ok + "# fine\nroot " + HexSha256("b") + "\n", "tokens:3: unknown role 'root'"},
      {ok + "write abc123\n", "tokens:2: the hash must be 64 hex"},
      {ok + "write " + std::string(63, 'a') + "g\n", "tokens:2: the hash must be 64 hex"},
      {ok + "write " + HexSha256("b") + " extra\n", "tokens:2: expected"},
      {"# only comments\n", "tokens: no tokens listed"},
  };
  for (const auto& [text, want] : cases) {
    auto auth = TokenAuthenticator::Parse(text, "tokens");
    ASSERT_FALSE(auth.ok()) << text;
    EXPECT_NE(auth.status().message().find(want), absl::string_view::npos) << auth.status();
  }
}

TEST(TokenAuthenticatorTest, MissingFileNamesThePath) {
  auto auth = TokenAuthenticator::Load("/nonexistent/recd/tokens");
  ASSERT_FALSE(auth.ok());
  EXPECT_NE(auth.status().message().find("/nonexistent/recd/tokens"), absl::string_view::npos);
}

}  // namespace
}  // namespace recd
