#ifndef RECD_SERVER_TOKEN_AUTHENTICATOR_H_
#define RECD_SERVER_TOKEN_AUTHENTICATOR_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace recd {

// Who may call what: bearer tokens from a tokens file, each of one or more
// roles, and the role each RPC method needs:
//   serve: RecommendItems, SimilarItems, RankItems, CompleteCart
//   write: RecordEvents, UpdateStock
//   admin: ReloadConfig, GetStatus, ForgetUser, ReleaseQuarantine, ListQuarantine
// The file holds `ROLE SHA256_HEX_OF_TOKEN` lines (`#` starts a comment,
// blank lines are skipped); a token listed under two roles has both. Only
// hashes are kept, so neither the file nor a memory dump gives a usable
// token, and a presented token is hashed and compared in constant time
// against every known hash (no early exit), so timing says nothing about
// how close a guess came. Immutable after Load(); thread-safe.
class TokenAuthenticator {
 public:
  enum class Role { kServe, kWrite, kAdmin };
  using Digest = std::array<uint8_t, 32>;

  // Fails with `path:line: reason` on a malformed line, an unknown role or
  // a hash that is not 64 hex characters, and when no token is listed.
  static absl::StatusOr<std::unique_ptr<TokenAuthenticator>> Load(const std::string& path);
  static absl::StatusOr<std::unique_ptr<TokenAuthenticator>> Parse(absl::string_view text, const std::string& path);

  // OK when `authorization` (the call's "authorization" metadata, "" when
  // absent) is `Bearer TOKEN` with a token of the role `method` needs.
  // UNAUTHENTICATED without a known token, PERMISSION_DENIED for a known
  // token of another role (naming the method and the role, never the
  // token), and PERMISSION_DENIED for a method not in the table.
  absl::Status Authorize(absl::string_view method, absl::string_view authorization) const;

  // The role `method` needs; NOT_FOUND for a method not in the table.
  static absl::StatusOr<Role> RoleFor(absl::string_view method);
  static absl::string_view RoleName(Role role);
  static Digest Sha256(absl::string_view bytes);
  // Equality that reads every byte whatever the contents (CRYPTO_memcmp).
  static bool ConstantTimeEquals(const Digest& a, const Digest& b);

  size_t num_tokens() const { return entries_.size(); }

 private:
  struct Entry {
    Role role;
    Digest hash;
  };
  TokenAuthenticator() = default;
  std::vector<Entry> entries_;
};

}  // namespace recd

#endif  // RECD_SERVER_TOKEN_AUTHENTICATOR_H_
