// SPDX-License-Identifier: BSD-3-Clause
// The KMS security extension end to end: a KmsKeyProv/KmsInit response written with its keys
// wrapped under the TrK and signed with the InK or TrK, and read back by verifying the
// signature first and parsing only the verified octets, decrypting the keys as they are read,
// then validating the key sets as any key set is.
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skm/km/kms_xml.hpp"
#include "skm/kms_security/transport_keys.hpp"
#include "skm/kms_security/xmldsig.hpp"

namespace skm::kms_security {

enum class sign_with { none, ink, trk };
enum class encrypt_with { none, rfc5649, rfc3394_stripped };

/// The shared keys of one user, on either side.
struct user_security_keys {
  std::optional<named_key> trk;  ///< transport key (wraps key material; signs without an InK)
  std::optional<named_key> ink;  ///< integrity key (signs when present)
};

/// What the server does with a response.
struct protection {
  sign_with sign = sign_with::none;
  encrypt_with encrypt = encrypt_with::none;
  cipher_value_encoding encoding = cipher_value_encoding::hex;
  sign_options signing;
};

/// What the client expects.
struct expectation {
  /// Refuse an unsigned response (on by default once keys are held).
  bool require_signature = true;
  /// How EncKeyContentType keys are unwrapped (never guessed).
  key_element_wrap wrap = key_element_wrap::rfc5649;
  km::xml::kms_parse_options parse;
};

[[nodiscard]] inline key_element_wrap wrap_of(encrypt_with e) noexcept {
  return e == encrypt_with::rfc3394_stripped ? key_element_wrap::rfc3394_stripped
                                             : key_element_wrap::rfc5649;
}

/// The key that signs: the InK when asked for and held, the TrK when asked for.
[[nodiscard]] inline result<const named_key*, std::string> signing_key(
    const user_security_keys& keys, sign_with s) {
  if (s == sign_with::ink && keys.ink) return &*keys.ink;
  if (s == sign_with::trk && keys.trk) return &*keys.trk;
  return unexpected{std::string(s == sign_with::ink ? "no InK" : "no TrK") + " to sign with"};
}

/// The KmsKeyProv response, its keys wrapped and the whole signed as `p` says. The header needs
/// an Id when signing. Comes back in a wiping buffer (it may hold plaintext keys).
[[nodiscard]] inline result<km::secret_bytes, std::string> write_secured_kms_key_prov(
    const km::xml::kms_key_prov_response& r, const user_security_keys& keys, const protection& p) {
  km::xml::kms_write_options w;
  if (p.encrypt != encrypt_with::none) {
    if (!keys.trk) return unexpected{std::string("no TrK to encrypt the key material with")};
    w.encrypt_keys = make_key_encryptor(*keys.trk, wrap_of(p.encrypt), p.encoding);
  }
  auto text = km::xml::write_kms_key_prov(r, w);
  if (!text) return unexpected{text.error().message()};
  if (p.sign == sign_with::none) return std::move(*text);
  auto key = signing_key(keys, p.sign);
  if (!key) return unexpected{key.error()};
  auto signed_text = sign_kms_document(text->as_text(), **key, p.signing);
  if (!signed_text) return unexpected{signed_text.error()};
  return km::secret_bytes(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(signed_text->data()), signed_text->size()));
}

/// The KmsInit response, signed as `p` says; a NewTransportKey / NewIntegrityKey in `r` is
/// wrapped under the current TrK with the flavour of `p.encrypt` (never sent in the clear, so
/// carrying one needs an encryption). The header needs an Id when signing.
[[nodiscard]] inline result<std::string, std::string> write_secured_kms_init(
    const km::xml::kms_init_response& r, const user_security_keys& keys, const protection& p) {
  km::xml::kms_write_options w;
  if (r.new_transport_key || r.new_integrity_key) {
    if (p.encrypt == encrypt_with::none)
      return unexpected{std::string("a new transport or integrity key is only sent wrapped")};
    if (!keys.trk) return unexpected{std::string("no TrK to wrap the new keys with")};
    w.encrypt_keys = make_key_encryptor(*keys.trk, wrap_of(p.encrypt), p.encoding);
  }
  auto text = km::xml::write_kms_init(r, w);
  if (!text) return unexpected{text.error().message()};
  if (p.sign == sign_with::none) return std::move(*text);
  auto key = signing_key(keys, p.sign);
  if (!key) return unexpected{key.error()};
  return sign_kms_document(*text, **key, p.signing);
}

/// A response read through the security extension.
template <class Body>
struct secured {
  Body body;
  std::optional<verified_document> signature;  ///< empty: the response was not signed
  decryption_log decrypted;                    ///< one record per unwrapped key element
};

namespace detail {

/// The keys that may verify, InK first.
[[nodiscard]] inline std::vector<named_key> verification_keys(const user_security_keys& keys) {
  std::vector<named_key> v;
  if (keys.ink) v.push_back(*keys.ink);
  if (keys.trk) v.push_back(*keys.trk);
  return v;
}

/// Verifies when signed (or refuses an unsigned response when a signature is required); returns
/// the octets to parse (the verified ones) and fills `signature`.
[[nodiscard]] inline result<km::secret_bytes, std::string> verified_octets(
    std::string_view text, const user_security_keys& keys, const expectation& e,
    std::optional<verified_document>& signature) {
  const bool is_signed = text.find("SignedKmsResponse") != std::string_view::npos;
  if (!is_signed) {
    if (e.require_signature) return unexpected{std::string("the response is not signed")};
    return km::secret_bytes(std::span<const std::uint8_t>(
        reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  const auto vk = verification_keys(keys);
  auto v = verify_kms_signature(text, "KmsResponse", vk);
  if (!v) return unexpected{"signature: " + v.error()};
  km::secret_bytes octets = std::move(v->canonical);
  signature = std::move(*v);
  return octets;
}

}  // namespace detail

/// A KmsKeyProv response: signature verified (when present or required), keys unwrapped with
/// the TrK, every key set validated against `cert`.
template <km::xml::kms_key_checks V = km::xml::curve_checks>
[[nodiscard]] result<secured<km::xml::kms_key_prov_response>, std::string>
read_secured_kms_key_prov(std::string_view text, const km::xml::kms_certificate& cert,
                          const user_security_keys& keys, const expectation& e = {},
                          const V& checks = {}) {
  secured<km::xml::kms_key_prov_response> out;
  auto octets = detail::verified_octets(text, keys, e, out.signature);
  if (!octets) return unexpected{octets.error()};
  km::xml::kms_parse_options options = e.parse;
  auto log = std::make_shared<decryption_log>();
  if (keys.trk) options.decrypt_keys = make_key_decryptor(*keys.trk, e.wrap, log);
  auto parsed = km::xml::parse_kms_key_prov(octets->as_text(), cert, checks, options);
  if (!parsed) return unexpected{parsed.error().message()};
  out.body = std::move(*parsed);
  out.decrypted = std::move(*log);
  return out;
}

/// A KmsInit response: signature verified (when present or required), the certificate's Z and
/// KPAK validated, a carried NewTransportKey / NewIntegrityKey unwrapped with the TrK.
template <km::xml::kms_key_checks V = km::xml::curve_checks>
[[nodiscard]] result<secured<km::xml::kms_init_response>, std::string> read_secured_kms_init(
    std::string_view text, const user_security_keys& keys, const expectation& e = {},
    const V& checks = {}) {
  secured<km::xml::kms_init_response> out;
  auto octets = detail::verified_octets(text, keys, e, out.signature);
  if (!octets) return unexpected{octets.error()};
  km::xml::kms_parse_options options = e.parse;
  auto log = std::make_shared<decryption_log>();
  if (keys.trk) options.decrypt_keys = make_key_decryptor(*keys.trk, e.wrap, log);
  auto parsed = km::xml::parse_kms_init(octets->as_text(), checks, options);
  if (!parsed) return unexpected{parsed.error().message()};
  out.body = std::move(*parsed);
  out.decrypted = std::move(*log);
  return out;
}

/// Why a carried key cannot be installed: not 32 octets, or a CarriedKeyName that is empty or
/// holds spaces or control characters (it names the key in a key file, "<name> <hex>").
[[nodiscard]] inline std::optional<std::string> carried_key_problem(
    const std::optional<km::xml::carried_key>& c) {
  if (!c) return std::nullopt;
  if (c->key.size() != shared_key_octets)
    return std::string("a new transport or integrity key is not 256 bits");
  const bool printable =
      !c->name.empty() && std::all_of(c->name.begin(), c->name.end(), [](char ch) {
        const auto u = static_cast<unsigned char>(ch);
        return u > 0x20 && u != 0x7f;
      });
  if (!printable) return std::string("a CarriedKeyName is empty or holds spaces or controls");
  return std::nullopt;
}

/// Key rotation on the client: the TrK/InK a verified response (KmsInit or KmsKeyProv) carried,
/// unwrapped with the current TrK, replace the current ones for the next request on. Call it
/// only with a response read by read_secured_kms_init / read_secured_kms_key_prov. Returns why
/// nothing was installed (carried_key_problem), or nothing.
[[nodiscard]] inline std::optional<std::string> install_carried_keys(
    user_security_keys& keys, const std::optional<km::xml::carried_key>& new_trk,
    const std::optional<km::xml::carried_key>& new_ink) {
  for (const auto* c : {&new_trk, &new_ink})
    if (auto problem = carried_key_problem(*c)) return problem;
  auto to_named = [](const km::xml::carried_key& c) {
    named_key k;
    k.name = c.name;
    std::copy_n(c.key.span().begin(), shared_key_octets, k.key.span().begin());
    return k;
  };
  if (new_trk) keys.trk = to_named(*new_trk);
  if (new_ink) keys.ink = to_named(*new_ink);
  return std::nullopt;
}

/// install_carried_keys for a whole response; true when installed (or nothing was carried).
template <class Response>
[[nodiscard]] bool install_carried_keys(user_security_keys& keys, const Response& r) {
  return !install_carried_keys(keys, r.new_transport_key, r.new_integrity_key).has_value();
}

/// Key rotation on the server: a new key to send, wrapped under the current TrK.
[[nodiscard]] inline km::xml::carried_key carry(const named_key& k) {
  return {k.name, km::secret_bytes(std::span<const std::uint8_t>(k.key.span()))};
}

}  // namespace skm::kms_security
