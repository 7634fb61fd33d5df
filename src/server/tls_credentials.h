#ifndef RECD_SERVER_TLS_CREDENTIALS_H_
#define RECD_SERVER_TLS_CREDENTIALS_H_

#include <memory>

#include <grpcpp/security/server_credentials.h>

#include "absl/status/statusor.h"
#include "server/server_config.h"

namespace recd {

// The serving port's credentials from server.tls: plaintext when no
// certificate is configured, TLS with the certificate and key, and mutual
// TLS (a client certificate signed by client_ca_file required and verified)
// when a client CA is given. Every file is read and checked here (PEM that
// parses, a key that matches the certificate), so a bad file is a start
// error naming the file and its key, never a listener that fails later.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const ServerConfig& config);

}  // namespace recd

#endif  // RECD_SERVER_TLS_CREDENTIALS_H_
