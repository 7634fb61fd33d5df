#include "server/tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include "absl/strings/str_cat.h"

namespace recd {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

absl::StatusOr<std::string> ReadPem(const std::string& key, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(key, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::unique_ptr<BIO, BioFree> Bio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::unique_ptr<X509, X509Free> ParseCert(const std::string& pem) {
  auto bio = Bio(pem);
  return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// TLS whose key, certificate and client CA gRPC's file watcher reads again
// every tls_reload_interval_s: new handshakes get what the files hold then
// (a key that does not match its certificate is not taken), connections
// already open keep theirs.
std::shared_ptr<grpc::ServerCredentials> WatchedCredentials(const ServerConfig& config) {
  const bool mutual = !config.tls_client_ca_file.empty();
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      config.tls_key_file, config.tls_cert_file, config.tls_client_ca_file,
      static_cast<unsigned int>(config.tls_reload_interval_s));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (mutual) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const ServerConfig& config) {
  if (config.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  auto cert = ReadPem("server.tls.cert_file", config.tls_cert_file);
  if (!cert.ok()) return cert.status();
  auto key = ReadPem("server.tls.key_file", config.tls_key_file);
  if (!key.ok()) return key.status();
  auto x509 = ParseCert(*cert);
  if (!x509) {
    return absl::InvalidArgumentError(
        absl::StrCat("server.tls.cert_file: ", config.tls_cert_file, " holds no PEM certificate"));
  }
  auto key_bio = Bio(*key);
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) {
    return absl::InvalidArgumentError(absl::StrCat(
        "server.tls.key_file: ", config.tls_key_file, " holds no PEM private key (or one with a passphrase)"));
  }
  if (X509_check_private_key(x509.get(), pkey.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("server.tls.key_file: ", config.tls_key_file,
                                                   " is not the key of ", config.tls_cert_file));
  }
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (!config.tls_client_ca_file.empty()) {
    auto ca = ReadPem("server.tls.client_ca_file", config.tls_client_ca_file);
    if (!ca.ok()) return ca.status();
    if (!ParseCert(*ca)) {
      return absl::InvalidArgumentError(absl::StrCat("server.tls.client_ca_file: ", config.tls_client_ca_file,
                                                     " holds no PEM certificate"));
    }
    options.pem_root_certs = *ca;
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  // Every file checked: a bad one is a start error, not a watcher that
  // never serves.
  if (config.tls_reload_interval_s > 0) return WatchedCredentials(config);
  return grpc::SslServerCredentials(options);
}

}  // namespace recd
