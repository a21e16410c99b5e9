// SPDX-License-Identifier: BSD-3-Clause
// The hook through which the handler protects its answers (TS 33.180 D.1, D.3.5: signed
// responses, key material wrapped under the user's transport key). The handler knows only this
// interface, so it builds and runs without the security extension; kms_service/security.hpp
// implements it on skm/kms_security/ (libxml2, xmlsec1), and only the builds that include that
// header need those libraries.
#pragma once

#include <string>
#include <string_view>

#include "skm/common/result.hpp"
#include "skm/km/kms_xml.hpp"
#include "skm/km/secret.hpp"

namespace skm::kms_service {

/// Why an answer could not be protected: the HTTP status for the client (403: this caller has
/// no transport key; 500/503: the key store failed) and a reason (no key material in it).
struct protection_failure {
  int status = 500;
  std::string reason;  ///< for the client (ErrorMsg)
  std::string detail;  ///< for the server's log only (file names, library messages)
};

/// Protects the answers to the caller `identity` (the authenticated identity: the secure element
/// that receives the keys, also when a GMS fetches a group's key sets).
class response_protector {
 public:
  response_protector() = default;
  response_protector(const response_protector&) = delete;
  response_protector& operator=(const response_protector&) = delete;
  virtual ~response_protector() = default;

  /// The KmsKeyProv document for `identity`, written with its key material protected (and any
  /// key rotation pending for `identity` carried in it). `doc.header.id` names the element a
  /// signature references.
  [[nodiscard]] virtual result<km::secret_bytes, protection_failure> key_prov(
      const std::string& identity, km::xml::kms_key_prov_response& doc) = 0;

  /// The KmsInit answer to an init request for `identity`, signed, with any key rotation
  /// pending for `identity` carried in it (as in key_prov: the same delivery).
  [[nodiscard]] virtual result<std::string, protection_failure> init(
      const std::string& identity, km::xml::kms_init_response& doc) = 0;

  /// Any other KmsResponse (the KmsInit of a cert request, KmsCertCache) written as `text`,
  /// protected for `identity` (signed), or returned as is.
  [[nodiscard]] virtual result<std::string, protection_failure> other(const std::string& identity,
                                                                      std::string_view text) = 0;
};

/// The Id the handler gives the KmsResponse when a protector is attached (the Id the
/// TS 33.180 examples use).
inline constexpr std::string_view protected_response_id = "xmldoc";

}  // namespace skm::kms_service
