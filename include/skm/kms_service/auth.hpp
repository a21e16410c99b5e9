// SPDX-License-Identifier: BSD-3-Clause
// Who is asking: the interface between the KMS request handler and whatever checks the access
// token. The handler calls a token_verifier with the bearer token of each request and gets the
// authenticated identity, or an RFC 6750 §3.1 error that it answers with:
//
//   invalid_request     400  no or several Authorization headers, not "Bearer <token>"
//   invalid_token       401  expired, badly signed, wrong issuer or audience, malformed
//   insufficient_scope  403  a valid token without the key-management scope
//
// skm ships jwt_token_verifier (jwt_access.hpp); an embedder may plug in token introspection or a
// gateway's verdict instead. No JSON, HTTP or TLS here.
#pragma once

#include <string>
#include <string_view>

#include "skm/common/result.hpp"

namespace skm::kms_service {

enum class bearer_error { invalid_request, invalid_token, insufficient_scope };

[[nodiscard]] constexpr const char* describe(bearer_error e) noexcept {
  switch (e) {
    case bearer_error::invalid_request: return "invalid_request";
    case bearer_error::invalid_token: return "invalid_token";
    case bearer_error::insufficient_scope: return "insufficient_scope";
  }
  return "invalid_request";
}

/// The HTTP status of an RFC 6750 error.
[[nodiscard]] constexpr int http_status(bearer_error e) noexcept {
  switch (e) {
    case bearer_error::invalid_request: return 400;
    case bearer_error::invalid_token: return 401;
    case bearer_error::insufficient_scope: return 403;
  }
  return 400;
}

struct auth_failure {
  bearer_error code = bearer_error::invalid_token;
  std::string description;  ///< for the log and error_description; never the token itself
};

/// The authenticated caller.
struct principal {
  std::string identity;  ///< the MC service ID (user URI) from the token
};

class token_verifier {
 public:
  virtual ~token_verifier() = default;
  /// Checks a bearer token (the text after "Bearer "). Safe to call from several threads.
  [[nodiscard]] virtual result<principal, auth_failure> verify(std::string_view token) const = 0;
};

}  // namespace skm::kms_service
