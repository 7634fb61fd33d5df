#include "server/token_authenticator.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace recd {
namespace {

constexpr absl::string_view kBearer = "Bearer ";

bool ParseRole(absl::string_view name, TokenAuthenticator::Role& role) {
  if (name == "serve") role = TokenAuthenticator::Role::kServe;
  else if (name == "write") role = TokenAuthenticator::Role::kWrite;
  else if (name == "admin") role = TokenAuthenticator::Role::kAdmin;
  else return false;
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseDigest(absl::string_view hex, TokenAuthenticator::Digest& out) {
  if (hex.size() != 2 * out.size()) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]), lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open tokens file"));
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

absl::StatusOr<std::unique_ptr<TokenAuthenticator>> TokenAuthenticator::Parse(absl::string_view text,
                                                                               const std::string& path) {
  auto auth = std::unique_ptr<TokenAuthenticator>(new TokenAuthenticator());
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (const size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const std::vector<absl::string_view> fields = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    auto error = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_no, ": ", why));
    };
    if (fields.size() != 2) return error("expected `ROLE SHA256_HEX_OF_TOKEN`");
    Entry entry;
    if (!ParseRole(fields[0], entry.role)) {
      return error(absl::StrCat("unknown role '", fields[0], "' (serve, write or admin)"));
    }
    if (!ParseDigest(fields[1], entry.hash)) return error("the hash must be 64 hex characters (SHA-256 of the token)");
    auth->entries_.push_back(entry);
  }
  if (auth->entries_.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no tokens listed"));
  return auth;
}

absl::StatusOr<TokenAuthenticator::Role> TokenAuthenticator::RoleFor(absl::string_view method) {
  if (method == "RecommendItems" || method == "SimilarItems" || method == "RankItems" || method == "CompleteCart") {
    return Role::kServe;
  }
  if (method == "RecordEvents" || method == "UpdateStock") return Role::kWrite;
  if (method == "ReloadConfig" || method == "GetStatus" || method == "ForgetUser" || method == "ReleaseQuarantine" ||
      method == "ListQuarantine" || method == "PromoteShadow" || method == "DropShadow") {
    return Role::kAdmin;
  }
  return absl::NotFoundError(absl::StrCat("no role is allowed ", method));
}

absl::string_view TokenAuthenticator::RoleName(Role role) {
  switch (role) {
    case Role::kServe: return "serve";
    case Role::kWrite: return "write";
    case Role::kAdmin: return "admin";
  }
  return "?";
}

TokenAuthenticator::Digest TokenAuthenticator::Sha256(absl::string_view bytes) {
  Digest out{};
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

bool TokenAuthenticator::ConstantTimeEquals(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::Status TokenAuthenticator::Authorize(absl::string_view method, absl::string_view authorization) const {
  auto needed = RoleFor(method);
  if (!needed.ok()) return absl::PermissionDeniedError(needed.status().message());
  if (!absl::StartsWith(authorization, kBearer)) {
    return absl::UnauthenticatedError("missing `authorization: Bearer TOKEN` metadata");
  }
  const Digest presented = Sha256(absl::StripAsciiWhitespace(authorization.substr(kBearer.size())));
  // Every entry is compared, whatever matched before: the time taken
  // depends on the number of tokens only.
  bool known = false, allowed = false;
  for (const Entry& e : entries_) {
    const bool match = ConstantTimeEquals(presented, e.hash);
    known |= match;
    allowed |= match & (e.role == *needed);
  }
  if (!known) return absl::UnauthenticatedError("unknown token");
  if (!allowed) {
    return absl::PermissionDeniedError(
        absl::StrCat(method, " needs a token of role '", RoleName(*needed), "'"));
  }
  return absl::OkStatus();
}

}  // namespace recd
