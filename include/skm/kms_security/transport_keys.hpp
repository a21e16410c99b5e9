// SPDX-License-Identifier: BSD-3-Clause
// Transport-key (TrK) encryption of the key elements of a KmsKeySet (TS 33.180 D.3.5): each of
// UserDecryptKey (RSK, 257 octets), UserSigningKeySSK (32) and UserPubTokenPVT (65) becomes an
// xenc:EncryptedKey with Algorithm kw-aes256 and KeyInfo/KeyName = the TrK's name.
//
// RFC 3394 wraps multiples of 8 octets only, and 257 and 65 are not; deployed readings differ, so
// the flavour is an explicit choice, never guessed:
//
//   rfc5649           the whole element (points with their 04 prefix) wrapped with RFC 5649
//                     padding under the kw-aes256 URI (what the one implementation seen does)
//   rfc3394_stripped  points without the 04 prefix (256 / 64 octets), the SSK as is, wrapped
//                     with RFC 3394; the prefix is put back after unwrapping
//
// The CipherValue is written in hex or base64 (an explicit choice too). When reading, the
// encoding is recognised by its exact length: for every element and flavour the hex and base64
// lengths of the expected ciphertext differ, so nothing is guessed there either.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "skm/km/kms_xml.hpp"
#include "skm/km/secret.hpp"
#include "skm/kms_security/key_wrap.hpp"
#include "skm/mikey/base64.hpp"

namespace skm::kms_security {

inline constexpr std::string_view kw_aes256_uri = "http://www.w3.org/2001/04/xmlenc#kw-aes256";

/// A shared AES-256/HMAC-SHA256 key with its name (TrK `tk.<n>.<user>`, InK likewise).
struct named_key {
  std::string name;
  km::secret_array<shared_key_octets> key;
};

/// skm's key names: tk.<n>.<user> for the n-th TrK of a user (TS 33.180 examples), and
/// ik.<n>.<user> for its InK (the specification names no pattern for the InK).
[[nodiscard]] inline std::string transport_key_name(std::uint64_t n, std::string_view user) {
  return "tk." + std::to_string(n) + "." + std::string(user);
}
[[nodiscard]] inline std::string integrity_key_name(std::uint64_t n, std::string_view user) {
  return "ik." + std::to_string(n) + "." + std::string(user);
}

/// A key file (the out-of-band provisioning of the first TrK, and where a client keeps the
/// keys it is sent): one line "<name> <64 hex digits>", the name without spaces.
[[nodiscard]] inline result<named_key, std::string> parse_key_file(std::string_view text) {
  const auto space = text.find(' ');
  if (space == 0 || space == std::string_view::npos)
    return unexpected{std::string("a key file holds one line: <name> <64 hex digits>")};
  named_key k;
  k.name = std::string(text.substr(0, space));
  const std::string_view hex = km::xml::detail::trim(text.substr(space + 1));
  if (hex.size() != 2 * shared_key_octets ||
      km::xml::detail::decode_hex_ct(hex, k.key.span()).has_value())
    return unexpected{"the key of '" + k.name + "' is not 64 hex digits"};
  return k;
}

[[nodiscard]] inline km::secret_bytes format_key_file(const named_key& k) {
  const km::secret_bytes hex = km::xml::detail::encode_hex_ct(k.key.span());
  km::secret_bytes out(k.name.size() + 2 + 2 * shared_key_octets);
  auto it = std::copy(k.name.begin(), k.name.end(), out.span().begin());
  *it++ = ' ';
  it = std::copy_n(hex.span().begin(), 2 * shared_key_octets, it);
  *it = '\n';
  return out;
}

enum class key_element_wrap { rfc5649, rfc3394_stripped };
enum class cipher_value_encoding { hex, base64 };

[[nodiscard]] constexpr const char* describe(key_element_wrap w) noexcept {
  return w == key_element_wrap::rfc5649 ? "rfc5649" : "rfc3394-stripped";
}
[[nodiscard]] constexpr const char* describe(cipher_value_encoding e) noexcept {
  return e == cipher_value_encoding::hex ? "hex" : "base64";
}

/// What was decrypted, for `skm kms inspect` and logs (no key material).
struct decryption_record {
  std::string where;
  std::string key_name;
  key_element_wrap flavour = key_element_wrap::rfc5649;
  cipher_value_encoding encoding = cipher_value_encoding::hex;
};
using decryption_log = std::vector<decryption_record>;

namespace detail {

[[nodiscard]] constexpr key_wrap_mode mode_of(key_element_wrap w) noexcept {
  return w == key_element_wrap::rfc5649 ? key_wrap_mode::rfc5649 : key_wrap_mode::rfc3394;
}

/// The octets that are wrapped for an element of `octets` octets.
[[nodiscard]] constexpr std::size_t wrapped_plain_size(key_element_wrap w, std::size_t octets,
                                                       bool point) noexcept {
  return w == key_element_wrap::rfc3394_stripped && point ? octets - 1 : octets;
}

[[nodiscard]] inline std::string encode_cipher_value(std::span<const std::uint8_t> c,
                                                     cipher_value_encoding e) {
  if (e == cipher_value_encoding::base64) return mikey::base64::encode(c);
  const km::secret_bytes hex = km::xml::detail::encode_hex_ct(c);
  return std::string(hex.as_text().substr(0, 2 * c.size()));
}

/// The CipherValue as the `expected` octets of ciphertext: hex if it has 2·expected characters,
/// base64 if it has the base64 length of `expected`; anything else is refused.
[[nodiscard]] inline result<std::vector<std::uint8_t>, std::string> decode_cipher_value(
    std::string_view text, std::size_t expected, cipher_value_encoding& encoding) {
  std::string compact;
  for (char ch : text)
    if (!km::xml::detail::is_xml_space(ch)) compact.push_back(ch);
  std::vector<std::uint8_t> out(expected);
  if (compact.size() == 2 * expected) {
    if (km::xml::detail::decode_hex_ct(compact, out))
      return unexpected{std::string("CipherValue is not hex")};
    encoding = cipher_value_encoding::hex;
    return out;
  }
  if (compact.size() == mikey::base64::encoded_size(expected)) {
    auto b = mikey::base64::decode(compact);
    if (!b || b->size() != expected) return unexpected{std::string("CipherValue is not base64")};
    encoding = cipher_value_encoding::base64;
    return std::move(*b);
  }
  return unexpected{"CipherValue of " + std::to_string(compact.size()) +
                    " characters is neither the hex nor the base64 of the " +
                    std::to_string(expected) + "-octet wrapped key"};
}

/// Unwraps one element with `trk` (algorithm, KeyName and lengths checked first).
[[nodiscard]] inline result<km::secret_bytes, std::string> decrypt_element(
    const named_key& trk, key_element_wrap flavour, const km::xml::key_decrypt_request& r,
    cipher_value_encoding& encoding) {
  const km::xml::encrypted_key_text& e = r.encrypted;
  if (e.algorithm != kw_aes256_uri) return unexpected{"unsupported algorithm " + e.algorithm};
  if (e.key_name != trk.name)
    return unexpected{"encrypted under key '" + e.key_name + "', not the transport key '" +
                      trk.name + "'"};
  if (r.octets < 2) return unexpected{std::string("no key of this size")};
  const std::size_t plain_size = wrapped_plain_size(flavour, r.octets, r.point);
  auto wrapped =
      decode_cipher_value(e.cipher_value, wrapped_size(mode_of(flavour), plain_size), encoding);
  if (!wrapped) return unexpected{wrapped.error()};
  auto plain = unwrap_key(mode_of(flavour), trk.key.span(), *wrapped);
  if (!plain) return unexpected{plain.error()};
  if (plain->size() != plain_size)
    return unexpected{"unwrapped " + std::to_string(plain->size()) + " octets, expected " +
                      std::to_string(plain_size)};
  if (plain_size == r.octets) return std::move(*plain);
  km::secret_bytes out(r.octets);
  out.span()[0] = 0x04;
  std::copy(plain->span().begin(), plain->span().end(), out.span().begin() + 1);
  return out;
}

}  // namespace detail

/// A key encryptor for km::xml::kms_write_options: wraps every key element under `trk`.
[[nodiscard]] inline km::xml::key_encryptor make_key_encryptor(
    named_key trk, key_element_wrap flavour,
    cipher_value_encoding encoding = cipher_value_encoding::hex) {
  auto key = std::make_shared<const named_key>(std::move(trk));
  return [key, flavour, encoding](std::string_view element, std::span<const std::uint8_t> plain,
                                  bool point) -> result<km::xml::encrypted_key_text, std::string> {
    std::span<const std::uint8_t> input = plain;
    if (flavour == key_element_wrap::rfc3394_stripped && point) {
      if (plain.empty() || plain[0] != 0x04)
        return unexpected{std::string(element) + " is not an uncompressed point"};
      input = plain.subspan(1);
    }
    auto wrapped = wrap_key(detail::mode_of(flavour), key->key.span(), input);
    if (!wrapped) return unexpected{std::string(element) + ": " + wrapped.error()};
    km::xml::encrypted_key_text e;
    e.algorithm = std::string(kw_aes256_uri);
    e.key_name = key->name;
    e.cipher_value = detail::encode_cipher_value(*wrapped, encoding);
    return e;
  };
}

/// A key decryptor for km::xml::kms_parse_options: unwraps key elements encrypted under `trk`
/// with `flavour`; `log` (optional) receives one record per decrypted element.
[[nodiscard]] inline km::xml::key_decryptor make_key_decryptor(
    named_key trk, key_element_wrap flavour, std::shared_ptr<decryption_log> log = {}) {
  auto key = std::make_shared<const named_key>(std::move(trk));
  return [key, flavour, log = std::move(log)](
             const km::xml::key_decrypt_request& r) -> result<km::secret_bytes, std::string> {
    cipher_value_encoding encoding = cipher_value_encoding::hex;
    auto plain = detail::decrypt_element(*key, flavour, r, encoding);
    if (plain && log)
      log->push_back(decryption_record{std::string(r.where), key->name, flavour, encoding});
    return plain;
  };
}

}  // namespace skm::kms_security
