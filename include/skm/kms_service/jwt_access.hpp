// SPDX-License-Identifier: BSD-3-Clause
// The access tokens of TS 33.180 Annex B / TS 33.434 §5.3 as a token_verifier: a JWT checked by
// jwt_verifier (signature, algorithm, issuer, audience, times), then
//
//   scope     "scope" (space-separated string, RFC 6749 §3.3) or "scp" (string or array) must hold
//             one of the accepted scopes: by default both 3GPP naming generations,
//               3gpp:mcptt:key_management_server                        (Rel-13)
//               3gpp:mc:ptt_key_management_service, 3gpp:mc:data_key_management_service,
//               3gpp:mc:video_key_management_service                    (later releases)
//             plus any configured one (a SEAL deployment names its own key-management scope);
//   identity  the first string claim of mcptt_id, mcdata_id, mcvideo_id, or the configured claim
//             names instead (e.g. a SEAL VAL user identity claim).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "skm/kms_service/auth.hpp"
#include "skm/kms_service/jwt.hpp"

namespace skm::kms_service {

inline const std::vector<std::string> default_key_management_scopes{
    "3gpp:mcptt:key_management_server", "3gpp:mc:ptt_key_management_service",
    "3gpp:mc:data_key_management_service", "3gpp:mc:video_key_management_service"};

inline const std::vector<std::string> default_identity_claims{"mcptt_id", "mcdata_id",
                                                              "mcvideo_id"};

struct access_policy {
  std::vector<std::string> scopes = default_key_management_scopes;
  std::vector<std::string> identity_claims = default_identity_claims;
};

/// Seconds since 1970-01-01 UTC; replaceable for tests.
using unix_clock = std::function<std::int64_t()>;

[[nodiscard]] inline std::int64_t system_unix_time() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class jwt_token_verifier final : public token_verifier {
 public:
  jwt_token_verifier(jwt_verifier jwt, access_policy policy, unix_clock clock = system_unix_time)
      : jwt_(std::move(jwt)), policy_(std::move(policy)), clock_(std::move(clock)) {}

  [[nodiscard]] result<principal, auth_failure> verify(std::string_view token) const override {
    const auto claims = jwt_.verify(token, clock_());
    if (!claims)
      return unexpected{auth_failure{bearer_error::invalid_token, describe(claims.error())}};
    if (!has_scope(*claims))
      return unexpected{
          auth_failure{bearer_error::insufficient_scope, "the token has no key management scope"}};
    for (const auto& name : policy_.identity_claims) {
      const auto it = claims->find(name);
      if (it == claims->end()) continue;
      if (!it->is_string() || it->get<std::string>().empty())
        return unexpected{auth_failure{bearer_error::invalid_token,
                                       "the identity claim " + name + " is not a URI"}};
      return principal{it->get<std::string>()};
    }
    return unexpected{
        auth_failure{bearer_error::invalid_token, "the token carries no identity claim"}};
  }

 private:
  [[nodiscard]] bool accepted(std::string_view scope) const {
    for (const auto& s : policy_.scopes)
      if (s == scope) return true;
    return false;
  }

  [[nodiscard]] bool has_scope(const nlohmann::json& claims) const {
    for (const char* name : {"scope", "scp"}) {
      const auto it = claims.find(name);
      if (it == claims.end()) continue;
      if (it->is_string()) {
        const std::string text = it->get<std::string>();
        std::size_t start = 0;
        while (start <= text.size()) {
          const auto end = std::min(text.find(' ', start), text.size());
          if (accepted(std::string_view(text).substr(start, end - start))) return true;
          start = end + 1;
        }
      } else if (it->is_array()) {
        for (const auto& s : *it)
          if (s.is_string() && accepted(s.get<std::string>())) return true;
      }
    }
    return false;
  }

  jwt_verifier jwt_;
  access_policy policy_;
  unix_clock clock_;
};

}  // namespace skm::kms_service
