// SPDX-License-Identifier: BSD-3-Clause
// The KMS security extension (skm/kms_security/) in the service: the handler's protector
// (protection.hpp) on a key directory (kms_security/key_directory.hpp), and the client's hooks
// (client.hpp). Only builds that include this header need libxml2 and xmlsec1.
//
// Server, per answer to the authenticated caller U:
//   - KmsKeyProv: U's key material wrapped under U's current TrK; U's pending TrK/InK carried as
//     NewTransportKey / NewIntegrityKey (wrapped under the current TrK, CarriedKeyName) and
//     promoted to current once the answer is written; the whole signed with U's InK when held
//     (sign ink), else the TrK.
//   - KmsInit (init answers): signed likewise, carrying a pending rotation as KmsKeyProv does
//     (one delivery: whichever of the two answers comes first); KmsCertCache, cert: signed.
//   - U without a TrK: 403 with KmsError, unless plain answers were allowed for such users.
//   - Error answers (KmsError) are not signed.
// Client: a signed answer verified (InK if held, else TrK) and only the verified octets parsed;
// key elements unwrapped with the TrK; an unsigned answer refused.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "skm/kms_security/key_directory.hpp"
#include "skm/kms_security/secured_documents.hpp"
#include "skm/kms_service/client.hpp"
#include "skm/kms_service/protection.hpp"

namespace skm::kms_service {

struct trk_service_options {
  kms_security::sign_with sign = kms_security::sign_with::ink;  ///< ink: the InK when held
  kms_security::encrypt_with encrypt = kms_security::encrypt_with::rfc5649;
  kms_security::cipher_value_encoding encoding = kms_security::cipher_value_encoding::hex;
  /// Users without a TrK get unprotected answers instead of 403 (docs/security.md: the risk).
  bool plain_without_trk = false;
};

/// The protector of `skm kms serve --trk-dir`.
class trk_protector final : public response_protector {
 public:
  trk_protector(kms_security::key_directory dir, trk_service_options o)
      : dir_(std::move(dir)), options_(o) {}

  [[nodiscard]] result<km::secret_bytes, protection_failure> key_prov(
      const std::string& identity, km::xml::kms_key_prov_response& doc) override {
    return deliver(identity, doc, [](const auto& d, const auto& keys, const auto& p) {
      return kms_security::write_secured_kms_key_prov(d, keys, p);
    });
  }

  [[nodiscard]] result<std::string, protection_failure> init(
      const std::string& identity, km::xml::kms_init_response& doc) override {
    auto text = deliver(identity, doc, [](const auto& d, const auto& keys, const auto& p) {
      return kms_security::write_secured_kms_init(d, keys, p);
    });
    if (!text) return unexpected{text.error()};
    return std::string(text->as_text());
  }

  [[nodiscard]] result<std::string, protection_failure> other(const std::string& identity,
                                                              std::string_view text) override {
    auto files = dir_.load(identity);
    if (!files) return unexpected{store_failure(files.error())};
    if (!files->current.trk) {
      if (!options_.plain_without_trk) return unexpected{no_trk()};
      return std::string(text);
    }
    if (options_.sign == kms_security::sign_with::none) return std::string(text);
    const auto p = protection_of(*files);
    auto key = kms_security::signing_key(files->current, p.sign);
    if (!key) return unexpected{protection_failure{500, "cannot sign the answer", key.error()}};
    auto signed_text = kms_security::sign_kms_document(text, **key, p.signing);
    if (!signed_text)
      return unexpected{protection_failure{500, "cannot sign the answer", signed_text.error()}};
    return std::move(*signed_text);
  }

 private:
  /// The one delivery of KmsInit and KmsKeyProv answers: `identity`'s pending TrK/InK carried
  /// in `doc` (wrapped under the current TrK), the answer written by `write` (key material
  /// wrapped, the whole signed), and the pending keys promoted once it is written. One user's
  /// rotation at a time in this process: the answer that carries a pending key promotes it.
  template <class Doc, class Write>
  [[nodiscard]] result<km::secret_bytes, protection_failure> deliver(const std::string& identity,
                                                                     Doc& doc, Write write) {
    namespace sec = kms_security;
    const std::lock_guard lock(mutex_);
    auto files = dir_.load(identity);
    if (!files) return unexpected{store_failure(files.error())};
    if (!files->current.trk) {
      if (!options_.plain_without_trk) return unexpected{no_trk()};
      auto text = write(doc, files->current, sec::protection{});
      if (!text) return unexpected{protection_failure{500, "cannot write the answer", ""}};
      return as_secret(std::move(*text));
    }
    const bool rotating = files->pending_trk || files->pending_ink;
    if (rotating && options_.encrypt == sec::encrypt_with::none)
      return unexpected{
          protection_failure{500, "a key rotation is pending but key material is not encrypted",
                             "key rotation needs --encrypt rfc5649 or rfc3394-stripped"}};
    if (files->pending_trk) doc.new_transport_key = sec::carry(*files->pending_trk);
    if (files->pending_ink) doc.new_integrity_key = sec::carry(*files->pending_ink);
    auto text = write(doc, files->current, protection_of(*files));
    if (!text)
      return unexpected{protection_failure{500, "cannot protect the answer", text.error()}};
    if (rotating)
      if (auto problem = dir_.promote(*files))
        return unexpected{protection_failure{500, "the key rotation failed", *problem}};
    return as_secret(std::move(*text));
  }

  [[nodiscard]] static km::secret_bytes as_secret(km::secret_bytes text) { return text; }
  [[nodiscard]] static km::secret_bytes as_secret(const std::string& text) {
    return km::secret_bytes(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }

  /// sign ink means the InK when the user holds one, else the TrK (TS 33.180 D.1).
  [[nodiscard]] kms_security::protection protection_of(
      const kms_security::user_key_files& f) const {
    kms_security::protection p;
    p.sign = options_.sign;
    if (p.sign == kms_security::sign_with::ink && !f.current.ink)
      p.sign = kms_security::sign_with::trk;
    p.encrypt = options_.encrypt;
    p.encoding = options_.encoding;
    return p;
  }

  [[nodiscard]] static protection_failure no_trk() {
    return {403, "no transport key is provisioned for this identity", ""};
  }
  [[nodiscard]] static protection_failure store_failure(std::string detail) {
    return {500, "the transport keys of this identity cannot be read", std::move(detail)};
  }

  kms_security::key_directory dir_;
  trk_service_options options_;
  std::mutex mutex_;
};

/// Where a client keeps the keys it is sent (e.g. its key files); returns why it could not.
using carried_key_store =
    std::function<std::optional<std::string>(const kms_security::user_security_keys& installed)>;

/// The client side: verification before parsing (an unsigned answer is refused), key elements
/// unwrapped with the TrK, and keys carried in an init or keyprov answer installed: first in
/// `store` (when given), then in `keys`, which the hooks read at each answer, so the next
/// request of the same provisioning verifies and unwraps with them.
inline void use_transport_keys(client_options& o,
                               const std::shared_ptr<kms_security::user_security_keys>& keys,
                               kms_security::key_element_wrap wrap, carried_key_store store = {}) {
  o.verify = [keys](std::string_view text) -> result<km::secret_bytes, std::string> {
    std::optional<kms_security::verified_document> signature;
    kms_security::expectation e;
    return kms_security::detail::verified_octets(text, *keys, e, signature);
  };
  o.parse.decrypt_keys =
      [keys, wrap](const km::xml::key_decrypt_request& r) -> result<km::secret_bytes, std::string> {
    if (!keys->trk) return unexpected{std::string("no TrK to unwrap with")};
    return kms_security::make_key_decryptor(*keys->trk, wrap)(r);
  };
  o.carried_keys =
      [keys, store = std::move(store)](
          const std::optional<km::xml::carried_key>& trk,
          const std::optional<km::xml::carried_key>& ink) -> std::optional<std::string> {
    kms_security::user_security_keys installed;
    if (auto problem = kms_security::install_carried_keys(installed, trk, ink)) return problem;
    if (store)
      if (auto problem = store(installed)) return problem;
    if (installed.trk) keys->trk = std::move(installed.trk);
    if (installed.ink) keys->ink = std::move(installed.ink);
    return std::nullopt;
  };
}

}  // namespace skm::kms_service
