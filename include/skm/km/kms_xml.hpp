// SPDX-License-Identifier: BSD-3-Clause
// The TS 33.180 Annex D KMS documents: KmsCertificate (the community's public values) inside
// KmsResponse/KmsMessage/KmsInit, and user key sets (KmsKeySet) inside
// KmsResponse/KmsMessage/KmsKeyProv. Generated and parsed with pugixml; keys are byte strings here.
//
// Shapes (namespace urn:3gpp:ns:mcsecKMSInterface:1.0; order as in the schema; ? = optional):
//
//   <KmsResponse Version>                    <KmsCertificate Id Version Role IsSecurityGateway?>
//     UserUri, KmsUri, Time, KmsId?,           CertUri?, KmsUri, Issuer?, ValidFrom?, ValidTo?,
//     ClientReqUrl, KmsMessage?, KmsError?     Revoked?, UserIdFormat, UserKeyPeriod,
//     UserKeyOffset,
//   <KmsMessage> one of KmsInit, KmsKeyProv    PubEncKey (Z, 257 octets), PubAuthKey (KPAK, 65),
//   <KmsInit> KmsCertificate, NewTK?, NewIK?   ParameterSet?, KmsDomainList? (1..n KmsDomain)
//   <KmsKeyProv Version> KmsKeySet*, NewTK?, NewIK?   (NewTransportKey, NewIntegrityKey)
//   <KmsKeySet Version>
//     KmsUri, CertUri?, Issuer?, UserUri, UserID, ValidFrom?, ValidTo?, KeyPeriodNo, Revoked?,
//     UserDecryptKey (RSK, 257 octets), UserSigningKeySSK (32), UserPubTokenPVT (65)
//
// Parsing is strict: elements of the KMS namespace must appear in schema order, exactly as often
// as the schema allows; unknown ones, stray text, bad integers/booleans/dates/hex and wrong key
// lengths are errors that name the element. Elements of other namespaces are skipped (TS 33.180
// D.1 lets documents be extended that way; this also skips an XML signature, which skm does not
// verify). TrK-encrypted keys and NewTK/NewIK need the key hooks below, else are unsupported.
//
// Point and key validation: the text layer checks lengths and the uncompressed-point prefix 0x04;
// every parse and validate function then runs a `kms_key_checks` object. The default,
// `curve_checks`, decodes and validates every key (key_material.hpp): Z on the SAKKE curve and of
// order q, KPAK on P-256, ParameterSet 1 when given, the RSK by RFC 6508 §6.1.2 and SSK/PVT by
// RFC 6507 §5.1.2 against the certificate. `no_curve_checks` (structure only) must be asked for.
//
// Secrets: the input text is copied into a buffer that pugixml parses in place and that is wiped
// afterwards; secret keys are decoded in constant time into wiping containers; a generated
// document holding keys comes back as `secret_bytes`, and the DOM copies are wiped before the
// document is freed.
#pragma once

#include <pugixml.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "skm/common/ct.hpp"
#include "skm/common/decimal.hpp"
#include "skm/common/result.hpp"
#include "skm/common/stack_scrub.hpp"
#include "skm/km/identity.hpp"
#include "skm/km/key_material.hpp"
#include "skm/km/secret.hpp"
#include "skm/km/time.hpp"

namespace skm::km::xml {

inline constexpr std::string_view kms_namespace = "urn:3gpp:ns:mcsecKMSInterface:1.0";
inline constexpr std::string_view kms_certificate_version = "1.1.0";
inline constexpr std::string_view kms_key_set_version = "1.1.0";
inline constexpr std::string_view kms_response_schema_version = "1.0.0";
inline constexpr std::string_view kms_key_prov_schema_version = "1.0.0";
inline constexpr std::string_view xmldsig_namespace = "http://www.w3.org/2000/09/xmldsig#";

/// Octet lengths of the key values (parameter set 1 SAKKE points, P-256 points, P-256 scalars).
inline constexpr std::size_t sakke_point_octets =
    257;  // Z, RSK: 0x04 || x || y, 128-octet coordinates
inline constexpr std::size_t eccsi_point_octets =
    65;  // KPAK, PVT: 0x04 || x || y, 32-octet coordinates
inline constexpr std::size_t eccsi_scalar_octets = 32;  // SSK

enum class xml_error {
  malformed_xml,               ///< not well-formed XML
  wrong_root_element,          ///< the document element is not the one expected
  wrong_namespace,             ///< the document element is not in the KMS namespace
  unbound_prefix,              ///< a namespace prefix without a declaration
  missing_element,             ///< a required element is absent
  duplicate_element,           ///< an element appears more often than the schema allows
  unexpected_element,          ///< an element that is unknown or out of schema order
  unexpected_text,             ///< character data where only elements may appear
  missing_attribute,           ///< a required attribute is absent
  unexpected_attribute,        ///< an unknown attribute (without a namespace)
  bad_attribute_value,         ///< Role not Root/External, a bad boolean, …
  empty_value,                 ///< a required value is empty
  bad_integer,                 ///< not a non-negative decimal integer that fits 64 bits
  bad_value,                   ///< an integer out of its allowed range (e.g. UserKeyPeriod 0)
  bad_boolean,                 ///< not true/false/1/0
  bad_datetime,                ///< not an ISO-8601 dateTime skm accepts
  bad_hex,                     ///< hexBinary with a non-hex character or odd length
  wrong_key_length,            ///< Z/RSK not 257 octets, KPAK/PVT not 65, SSK not 32
  bad_point_encoding,          ///< a point not in uncompressed form (first octet 0x04)
  encrypted_key_unsupported,   ///< a key protected with a transport key (xenc:EncryptedKey)
  unsupported_message,         ///< a KmsMessage of another kind than the one asked for, or TrK/InK
                               ///< material
  kms_error_response,          ///< the KMS answered with KmsError (code and message in detail)
  invalid_key,                 ///< the key checks (curve membership, RSK/SSK validation) failed
  kms_uri_mismatch,            ///< key set issued by another KMS than the certificate's
  cert_uri_mismatch,           ///< key set names another certificate
  user_id_mismatch,            ///< UserID is not the identifier of (UserUri, KMS, period)
  unsupported_user_id_format,  ///< a UserIdFormat skm cannot recompute
  revoked,                     ///< the certificate or key set is marked revoked
  outside_validity,            ///< used before its ValidFrom or after its ValidTo
  key_decryption_failed,       ///< an xenc:EncryptedKey the key decryptor refused
};

[[nodiscard]] constexpr const char* describe(xml_error e) noexcept {
  switch (e) {
    case xml_error::malformed_xml: return "malformed XML";
    case xml_error::wrong_root_element: return "unexpected document element";
    case xml_error::wrong_namespace:
      return "element not in the KMS namespace urn:3gpp:ns:mcsecKMSInterface:1.0";
    case xml_error::unbound_prefix: return "undeclared namespace prefix";
    case xml_error::missing_element: return "missing required element";
    case xml_error::duplicate_element: return "element appears more than once";
    case xml_error::unexpected_element: return "unknown or out-of-order element";
    case xml_error::unexpected_text: return "unexpected character data";
    case xml_error::missing_attribute: return "missing required attribute";
    case xml_error::unexpected_attribute: return "unknown attribute";
    case xml_error::bad_attribute_value: return "bad attribute value";
    case xml_error::empty_value: return "required value is empty";
    case xml_error::bad_integer: return "not a non-negative integer within 64 bits";
    case xml_error::bad_value: return "value out of range";
    case xml_error::bad_boolean: return "not a boolean (true, false, 1, 0)";
    case xml_error::bad_datetime: return "not an ISO-8601 dateTime";
    case xml_error::bad_hex: return "bad hexBinary";
    case xml_error::wrong_key_length: return "key has the wrong length";
    case xml_error::bad_point_encoding: return "point is not in uncompressed form (04 || x || y)";
    case xml_error::encrypted_key_unsupported:
      return "transport-key-encrypted keys are not supported";
    case xml_error::unsupported_message: return "unsupported or unexpected KMS message";
    case xml_error::kms_error_response: return "the KMS returned an error";
    case xml_error::invalid_key: return "key failed validation";
    case xml_error::kms_uri_mismatch: return "key set KmsUri differs from the certificate's";
    case xml_error::cert_uri_mismatch: return "key set CertUri differs from the certificate's";
    case xml_error::user_id_mismatch:
      return "UserID is not the identifier of UserUri for this KMS and key period";
    case xml_error::unsupported_user_id_format: return "unsupported UserIdFormat";
    case xml_error::revoked: return "certificate or key set is revoked";
    case xml_error::outside_validity: return "used outside its ValidFrom/ValidTo period";
    case xml_error::key_decryption_failed: return "encrypted key could not be decrypted";
  }
  return "unknown xml_error";
}

/// A KmsError answer (KmsResponse/KmsError): an integer code (deployed KMSs use HTTP status
/// numbers) and an optional message.
struct kms_error {
  std::int64_t code = 0;
  std::optional<std::string> message;

  friend bool operator==(const kms_error&, const kms_error&) = default;
};

/// An error with the element (path) it concerns and, where useful, a detail.
struct xml_failure {
  xml_failure() = default;
  xml_failure(xml_error c, std::string w = {}, std::string d = {},
              std::optional<kms_error> answer = {})
      : code(c), where(std::move(w)), detail(std::move(d)), kms_answer(std::move(answer)) {}

  xml_error code = xml_error::malformed_xml;
  std::string where;
  std::string detail;
  /// With xml_error::kms_error_response from the single-message parsers: the KMS's answer.
  /// (parse_kms_response in kms_request.hpp returns it as a result instead.)
  std::optional<kms_error> kms_answer;

  [[nodiscard]] std::string message() const {
    std::string m = describe(code);
    if (!where.empty()) m += " at " + where;
    if (!detail.empty()) m += ": " + detail;
    return m;
  }
};

enum class kms_role { root, external };

/// The Signed… wrapper (SignedKmsCertificate, SignedKmsResponse, SignedKmsRequest) around an
/// element: <SignedX Id?><X …/><ds:Signature/>?</SignedX>. skm does not verify the XML signature
/// yet (it needs the TrK/InK): a parsed signature is reported as present and unverified.
struct signed_wrapper {
  std::string id;                  ///< the wrapper's Id attribute ("" = none)
  bool signature_present = false;  ///< a ds:Signature child was found (NOT verified)

  friend bool operator==(const signed_wrapper&, const signed_wrapper&) = default;
};

struct kms_certificate {
  // attributes
  std::string id;
  std::string version = "1.1.0";
  kms_role role = kms_role::root;
  std::optional<bool> is_security_gateway;
  // elements
  std::optional<std::string> cert_uri;
  std::string kms_uri;
  std::optional<std::string> issuer;
  std::optional<ntp_time> valid_from;
  std::optional<ntp_time> valid_to;
  std::optional<bool> revoked;
  std::string user_id_format = "2";
  std::uint64_t user_key_period = 0;       ///< seconds
  std::uint64_t user_key_offset = 0;       ///< seconds
  std::vector<std::uint8_t> pub_enc_key;   ///< SAKKE KMS public key Z, 257 octets
  std::vector<std::uint8_t> pub_auth_key;  ///< ECCSI KPAK, 65 octets
  std::optional<std::uint64_t> parameter_set;
  std::vector<std::string> kms_domains;  ///< KmsDomainList (omitted when empty)
  /// Set when the certificate came in (or is to be written in) a SignedKmsCertificate.
  std::optional<signed_wrapper> signed_by;

  [[nodiscard]] key_period_schedule schedule() const noexcept {
    return {user_key_period, user_key_offset};
  }
};

struct kms_key_set {
  std::string version = "1.1.0";
  std::string kms_uri;
  std::optional<std::string> cert_uri;
  std::optional<std::string> issuer;
  std::string user_uri;
  std::string user_id;  ///< for UserIdFormat 2: the hex of the 32-octet UID
  std::optional<ntp_time> valid_from;
  std::optional<ntp_time> valid_to;
  std::uint64_t key_period_no = 0;
  std::optional<bool> revoked;
  secret_bytes user_decrypt_key;                 ///< SAKKE RSK, 257 octets
  secret_bytes user_signing_key_ssk;             ///< ECCSI SSK, 32 octets
  std::vector<std::uint8_t> user_pub_token_pvt;  ///< ECCSI PVT, 65 octets (public)
};

/// The KmsResponse fields around the message.
struct kms_response_header {
  std::string id;  ///< Id attribute ("" = none)
  std::string version = "1.0.0";
  std::string user_uri;
  std::string kms_uri;
  ntp_time time;
  std::optional<std::string> kms_id;
  std::string client_req_url;
};

/// A key carried in NewTransportKey / NewIntegrityKey (TS 33.180 D.3.5): always an
/// EncKeyContentType wrapped under the current TrK, named by CarriedKeyName.
struct carried_key {
  std::string name;  ///< CarriedKeyName, e.g. tk.2.sip:alice@example.org
  secret_bytes key;  ///< 32 octets
};
inline constexpr std::size_t carried_key_octets = 32;

struct kms_init_response {
  kms_response_header header;
  kms_certificate certificate;
  std::optional<carried_key> new_transport_key{};  ///< KmsInitTkIkType only
  std::optional<carried_key> new_integrity_key{};  ///< KmsInitTkIkType only
};

struct kms_key_prov_response {
  kms_response_header header;
  std::string key_prov_version = "1.0.0";
  std::vector<kms_key_set> key_sets;
  std::optional<carried_key> new_transport_key;  ///< KmsKeyProvTkIkType only
  std::optional<carried_key> new_integrity_key;  ///< KmsKeyProvTkIkType only
};

// ---------------------------------------------------------------------------------------------
// The transport-key hooks (EncKeyContentType). This layer only moves the text of an
// xenc:EncryptedKey; the key wrap itself (OpenSSL) lives in skm/kms_security/, which supplies
// these callbacks, so that a user of the plain documents does not pull in OpenSSL.
//
//   <UserDecryptKey xsi:type="EncKeyContentType">
//     <xenc:EncryptedKey>
//       <xenc:EncryptionMethod Algorithm="…xmlenc#kw-aes256"/>
//       <ds:KeyInfo><ds:KeyName>tk.1.alice@example.org</ds:KeyName></ds:KeyInfo>
//       <xenc:CipherData><xenc:CipherValue>hex or base64</xenc:CipherValue></xenc:CipherData>
//       <xenc:CarriedKeyName>…</xenc:CarriedKeyName>        (NewTransportKey/NewIntegrityKey)
//     </xenc:EncryptedKey>
//   </UserDecryptKey>

inline constexpr std::string_view xmlenc_namespace = "http://www.w3.org/2001/04/xmlenc#";

/// The text fields of one xenc:EncryptedKey (all public).
struct encrypted_key_text {
  std::string algorithm;         ///< EncryptionMethod/@Algorithm
  std::string key_name;          ///< KeyInfo/KeyName: the wrapping key ("" = none given)
  std::string cipher_value;      ///< CipherData/CipherValue, trimmed
  std::string carried_key_name;  ///< CarriedKeyName ("" = none)
};

/// What a key decryptor is asked: the element (path), its EncryptedKey, and the plaintext shape
/// the element needs (`octets`; `point` = an uncompressed point 04||x||y).
struct key_decrypt_request {
  std::string_view where;
  const encrypted_key_text& encrypted;
  std::size_t octets;
  bool point;
};

/// Returns exactly `octets` octets of key, or a reason (reported as key_decryption_failed).
using key_decryptor = std::function<result<secret_bytes, std::string>(const key_decrypt_request&)>;
/// Wraps the plaintext key of `element` (`point` as above); returns the EncryptedKey fields.
using key_encryptor = std::function<result<encrypted_key_text, std::string>(
    std::string_view element, std::span<const std::uint8_t> plain, bool point)>;

// ---------------------------------------------------------------------------------------------
// The key-validation hook

/// Checks that need curve arithmetic. Each returns no value when the keys are good, or a short
/// reason (reported as xml_error::invalid_key).
template <class V>
concept kms_key_checks = requires(const V& v, const kms_certificate& c, const kms_key_set& k) {
  { v.check_certificate_keys(c) } -> std::same_as<std::optional<std::string>>;
  { v.check_key_set_keys(k, c) } -> std::same_as<std::optional<std::string>>;
};

/// Structure only: accepts every key that passed the text checks (length, 0x04 prefix). It does
/// NOT check that Z, KPAK, RSK and PVT are on their curves, nor RSK and SSK/PVT validation. For
/// tests of the document layer, or when the keys are validated later by other means.
struct no_curve_checks {
  [[nodiscard]] std::optional<std::string> check_certificate_keys(const kms_certificate&) const {
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::string> check_key_set_keys(const kms_key_set&,
                                                              const kms_certificate&) const {
    return std::nullopt;
  }
};
static_assert(kms_key_checks<no_curve_checks>);

/// The identifier a key set's keys belong to, per the certificate's UserIdFormat ("2" or "1").
[[nodiscard]] inline std::optional<identifier> key_set_identifier(const kms_key_set& k,
                                                                  const kms_certificate& c) {
  const identity_context ctx{k.user_uri, c.kms_uri, c.schedule()};
  result<identifier, identity_error> id = unexpected{identity_error::empty_uri};
  if (c.user_id_format == mikey_sakke_uid_format::user_id_format)
    id = mikey_sakke_uid_format{}.make_identifier(ctx, k.key_period_no);
  else if (c.user_id_format == rfc6509_format::user_id_format)
    id = rfc6509_format{}.make_identifier(ctx, k.key_period_no);
  else
    return std::nullopt;
  if (!id) return std::nullopt;
  return *id;
}

/// The default checks: every key decoded and validated (see key_material.hpp). The certificate:
/// ParameterSet (when present) is 1, Z is a point of order q on the SAKKE curve, KPAK is on
/// P-256. A key set: RSK validation (RFC 6508 §6.1.2) and SSK/PVT validation (RFC 6507 §5.1.2)
/// with the identifier recomputed from UserUri, the certificate and KeyPeriodNo.
struct curve_checks {
  /// The identity octets the community's keys are bound to (identity.hpp).
  identity_convention convention = identity_convention::raw;

  [[nodiscard]] std::optional<std::string> check_certificate_keys(const kms_certificate& c) const {
    if (auto e = check_community_keys(c.parameter_set.value_or(sakke_parameter_set), c.pub_enc_key,
                                      c.pub_auth_key))
      return std::string(describe(*e));
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::string> check_key_set_keys(const kms_key_set& k,
                                                              const kms_certificate& c) const {
    if (auto e = check_parameter_set(c.parameter_set.value_or(sakke_parameter_set)))
      return std::string(describe(*e));
    const auto id = key_set_identifier(k, c);
    if (!id)
      return std::string("no identifier can be formed for UserUri with UserIdFormat ") +
             c.user_id_format;
    auto check_as = [&](identity_convention conv) {
      return check_user_keys(c.pub_enc_key, c.pub_auth_key, identity_octets(*id, conv),
                             k.user_decrypt_key.span(), k.user_signing_key_ssk.span(),
                             k.user_pub_token_pvt);
    };
    const auto e = check_as(convention);
    if (!e) return std::nullopt;
    // Say so when the keys belong to the other convention (never accepted silently).
    const auto other = convention == identity_convention::raw ? identity_convention::hex_text
                                                              : identity_convention::raw;
    if ((*e == key_error::rsk_invalid || *e == key_error::ssk_invalid) && !check_as(other))
      return std::string(describe(*e)) + "; the keys validate with the " + describe(other) +
             " identity convention (" +
             (other == identity_convention::hex_text ? "the UID's 64-character hex text"
                                                     : "the 32 raw UID octets") +
             " as identity): select that convention for this community to accept them";
    return std::string(describe(*e));
  }
};
static_assert(kms_key_checks<curve_checks>);

// ---------------------------------------------------------------------------------------------
// Helpers (hex, namespaces, strict child walking)

namespace detail {

[[nodiscard]] constexpr bool is_xml_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

[[nodiscard]] constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_xml_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_xml_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Hex digit to value without branching on the character (key text is secret).
/// Returns the value in the low 4 bits; `bad` gets all ones if the character is not hex.
[[nodiscard]] constexpr unsigned hex_value_ct(char ch, unsigned& bad) noexcept {
  const int c = static_cast<unsigned char>(ch);
  const int lower = c | 0x20;
  const unsigned is_digit = ~static_cast<unsigned>(((c - '0') | ('9' - c)) >> 31);
  const unsigned is_alpha = ~static_cast<unsigned>(((lower - 'a') | ('f' - lower)) >> 31);
  bad |= ~(is_digit | is_alpha);
  return (is_digit & static_cast<unsigned>(c - '0')) |
         (is_alpha & static_cast<unsigned>(lower - 'a' + 10));
}

/// Value 0..15 to a lower-case hex digit, without a table lookup.
[[nodiscard]] constexpr char hex_digit_ct(unsigned v) noexcept {
  const unsigned over9 =
      static_cast<unsigned>((9 - static_cast<int>(v)) >> 31);  // all ones if v > 9
  return static_cast<char>(v + '0' + (over9 & ('a' - '0' - 10)));
}

/// Decode hex (either case) in constant time with respect to the digits. The length is public.
[[nodiscard]] inline std::optional<xml_error> decode_hex_ct(std::string_view text,
                                                            std::span<std::uint8_t> out) noexcept {
  if (text.size() != 2 * out.size()) return xml_error::wrong_key_length;
  unsigned bad = 0;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(hex_value_ct(text[2 * i], bad) << 4 |
                                       hex_value_ct(text[2 * i + 1], bad));
  // Declassified here: whether the text was valid hex is public (the document is then rejected).
  if (bad != 0) {
    ct::wipe(out.data(), out.size());
    return xml_error::bad_hex;
  }
  return std::nullopt;
}

/// Hex text (NUL-terminated, in a wiping buffer) of octets.
[[nodiscard]] inline secret_bytes encode_hex_ct(std::span<const std::uint8_t> in) {
  secret_bytes out(2 * in.size() + 1);
  auto o = out.span();
  for (std::size_t i = 0; i < in.size(); ++i) {
    o[2 * i] = static_cast<std::uint8_t>(hex_digit_ct(in[i] >> 4));
    o[2 * i + 1] = static_cast<std::uint8_t>(hex_digit_ct(in[i] & 15u));
  }
  o[2 * in.size()] = 0;
  return out;
}

[[nodiscard]] inline std::string_view local_name(pugi::xml_node n) {
  std::string_view name = n.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

/// The namespace URI of an element, from the xmlns declarations in scope; nullopt if its prefix
/// is not declared.
[[nodiscard]] inline std::optional<std::string_view> namespace_of(pugi::xml_node n) {
  const std::string_view name = n.name();
  const auto colon = name.find(':');
  std::string attr = colon == std::string_view::npos
                         ? std::string("xmlns")
                         : "xmlns:" + std::string(name.substr(0, colon));
  if (attr == "xmlns:xml") return std::string_view("http://www.w3.org/XML/1998/namespace");
  for (pugi::xml_node p = n; p && p.type() == pugi::node_element; p = p.parent())
    if (pugi::xml_attribute a = p.attribute(attr.c_str())) return std::string_view(a.value());
  if (colon == std::string_view::npos) return std::string_view();  // no default namespace: none
  return std::nullopt;
}

}  // namespace detail

/// Explicit interop options for documents of deployed KMSs that break the schema. Off by default;
/// each one is a risk (docs/key-management.md).
struct kms_parse_options {
  /// Rel-13 KmsResponse header order (KmsUri before UserUri), as one 2018 KMS wrote it.
  bool rel13_order = false;
  /// A vendor namespace read as if it were the KMS namespace (empty: none). Elements of every
  /// other namespace stay extensions that are skipped.
  std::string vendor_namespace;
  /// Decrypts EncKeyContentType keys (skm/kms_security/ supplies one); without it such keys are
  /// refused with encrypted_key_unsupported.
  key_decryptor decrypt_keys;
};

/// Options of the writers.
struct kms_write_options {
  /// When set, every key element of a key set is written as EncKeyContentType (an
  /// xenc:EncryptedKey) with what this returns; the plaintext never enters the DOM.
  key_encryptor encrypt_keys;
};

namespace detail {

/// Parser state: the first failure wins; later steps become no-ops. Notes collect what was
/// accepted but is worth reporting (an unverified signature, a Version other than the schema's).
class parse_state {
 public:
  parse_state() = default;
  explicit parse_state(kms_parse_options o) : options_(std::move(o)) {}

  [[nodiscard]] const kms_parse_options& options() const noexcept { return options_; }
  /// The KMS namespace, or the vendor namespace the options allow in its place.
  [[nodiscard]] bool is_kms_namespace(std::string_view ns) {
    if (ns == kms_namespace) return true;
    if (options_.vendor_namespace.empty() || ns != options_.vendor_namespace) return false;
    if (!vendor_noted_)
      note("vendor namespace " + options_.vendor_namespace + " read as the KMS namespace");
    vendor_noted_ = true;
    return true;
  }
  [[nodiscard]] bool failed() const noexcept { return failure_.has_value(); }
  void fail(xml_error code, std::string where, std::string detail = {}) {
    if (!failure_) failure_ = xml_failure{code, std::move(where), std::move(detail)};
  }
  void fail(xml_failure f) {
    if (!failure_) failure_ = std::move(f);
  }
  [[nodiscard]] const xml_failure& failure() const { return *failure_; }
  void note(std::string n) { notes_.push_back(std::move(n)); }
  [[nodiscard]] std::vector<std::string> take_notes() { return std::move(notes_); }

 private:
  std::optional<xml_failure> failure_;
  std::vector<std::string> notes_;
  kms_parse_options options_;
  bool vendor_noted_ = false;
};

[[nodiscard]] inline std::string path_of(pugi::xml_node n) {
  std::string p;
  for (; n && n.type() == pugi::node_element; n = n.parent()) {
    if (!p.empty()) p.insert(0, 1, '/');
    p.insert(0, local_name(n));
  }
  return p;
}

/// Walks the children of an element in schema order. Elements of other namespaces are skipped;
/// non-whitespace text is an error.
class child_walker {
 public:
  child_walker(parse_state& st, pugi::xml_node parent)
      : st_(st), parent_(parent), next_(advance(parent.first_child())) {}

  /// The next element if it is `name` (and not repeated right after), else an empty node; an
  /// error if it is required and absent.
  pugi::xml_node take(std::string_view name, bool required) {
    if (st_.failed()) return {};
    if (next_ && local_name(next_) == name) {
      pugi::xml_node got = next_;
      next_ = advance(next_.next_sibling());
      if (next_ && local_name(next_) == name) {
        st_.fail(xml_error::duplicate_element, path_of(next_));
        return {};
      }
      return got;
    }
    if (required)
      st_.fail(xml_error::missing_element, path_of(parent_) + "/" + std::string(name),
               next_ ? "found " + std::string(local_name(next_)) + " instead" : std::string());
    return {};
  }
  pugi::xml_node required(std::string_view name) { return take(name, true); }
  pugi::xml_node optional(std::string_view name) { return take(name, false); }

  /// Every following element named `name` (0..n).
  std::vector<pugi::xml_node> repeated(std::string_view name) {
    std::vector<pugi::xml_node> all;
    while (!st_.failed() && next_ && local_name(next_) == name) {
      all.push_back(next_);
      next_ = advance(next_.next_sibling());
    }
    return all;
  }

  /// The next element of the KMS namespace whatever its name (empty at the end).
  pugi::xml_node take_any() {
    if (st_.failed() || !next_) return {};
    pugi::xml_node got = next_;
    next_ = advance(next_.next_sibling());
    return got;
  }

  /// The name of the next element, or empty at the end.
  [[nodiscard]] std::string_view peek() const {
    return next_ ? local_name(next_) : std::string_view();
  }

  /// Nothing of the KMS namespace may be left.
  void finish() {
    if (!st_.failed() && next_) st_.fail(xml_error::unexpected_element, path_of(next_));
  }

 private:
  pugi::xml_node advance(pugi::xml_node n) {
    for (; n && !st_.failed(); n = n.next_sibling()) {
      if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) {
        if (!trim(n.value()).empty()) st_.fail(xml_error::unexpected_text, path_of(parent_));
        continue;
      }
      if (n.type() != pugi::node_element) continue;
      const auto ns = namespace_of(n);
      if (!ns) {
        st_.fail(xml_error::unbound_prefix, path_of(n));
        return {};
      }
      if (st_.is_kms_namespace(*ns)) return n;
      // A foreign-namespace extension: skipped.
    }
    return {};
  }

  parse_state& st_;
  pugi::xml_node parent_;
  pugi::xml_node next_;
};

/// Attributes: the allowed unqualified names; namespace declarations and qualified attributes pass.
inline void check_attributes(parse_state& st, pugi::xml_node n,
                             std::initializer_list<std::string_view> allowed) {
  for (pugi::xml_attribute a : n.attributes()) {
    const std::string_view name = a.name();
    if (name == "xmlns" || name.find(':') != std::string_view::npos) continue;
    bool ok = false;
    for (auto al : allowed) ok = ok || al == name;
    if (!ok) st.fail(xml_error::unexpected_attribute, path_of(n) + "/@" + std::string(name));
  }
}

inline constexpr std::string_view xsi_namespace = "http://www.w3.org/2001/XMLSchema-instance";

/// The local name of an xsi:type attribute (its QName's prefix is dropped), or nullopt.
[[nodiscard]] inline std::optional<std::string_view> xsi_type(pugi::xml_node n) {
  for (pugi::xml_attribute a : n.attributes()) {
    const std::string_view name = a.name();
    const auto colon = name.find(':');
    if (colon == std::string_view::npos || name.substr(colon + 1) != "type") continue;
    const std::string decl = "xmlns:" + std::string(name.substr(0, colon));
    for (pugi::xml_node p = n; p && p.type() == pugi::node_element; p = p.parent())
      if (pugi::xml_attribute d = p.attribute(decl.c_str())) {
        if (d.value() != xsi_namespace) break;
        std::string_view v = trim(a.value());
        if (const auto c = v.find(':'); c != std::string_view::npos) v.remove_prefix(c + 1);
        return v;
      }
  }
  return std::nullopt;
}

/// An xsi:type, if present, must be one of `allowed` (the schema's type or its derivations).
inline void check_xsi_type(parse_state& st, pugi::xml_node n,
                           std::initializer_list<std::string_view> allowed) {
  const auto t = xsi_type(n);
  if (!t || st.failed()) return;
  for (auto al : allowed)
    if (*t == al) return;
  st.fail(xml_error::bad_attribute_value, path_of(n) + "/@xsi:type", std::string(*t));
}

/// The character content of a simple element (no child elements of any namespace).
[[nodiscard]] inline std::string text_of(parse_state& st, pugi::xml_node n) {
  std::string out;
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata)
      out += c.value();
    else if (c.type() == pugi::node_element)
      st.fail(xml_error::unexpected_element, path_of(c));
  }
  return out;
}

[[nodiscard]] inline std::string required_string(parse_state& st, pugi::xml_node n,
                                                 bool trim_it = true) {
  if (!n || st.failed()) return {};
  check_attributes(st, n, {});
  std::string s = text_of(st, n);
  if (trim_it) s = std::string(trim(s));
  if (s.empty()) st.fail(xml_error::empty_value, path_of(n));
  return s;
}

[[nodiscard]] inline std::optional<std::string> optional_string(parse_state& st, pugi::xml_node n,
                                                                bool trim_it = true) {
  if (!n || st.failed()) return std::nullopt;
  return required_string(st, n, trim_it);
}

/// An xs:unsignedLong / xs:integer lexical form: the schema types allow a leading '+'.
[[nodiscard]] inline std::optional<std::uint64_t> parse_u64(std::string_view s) noexcept {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  return parse_decimal_u64(s);
}

[[nodiscard]] inline std::uint64_t required_u64(parse_state& st, pugi::xml_node n) {
  if (!n || st.failed()) return 0;
  const std::string s = required_string(st, n);
  if (st.failed()) return 0;
  auto v = parse_u64(s);
  if (!v) st.fail(xml_error::bad_integer, path_of(n), s);
  return v.value_or(0);
}

[[nodiscard]] inline std::optional<bool> parse_bool(std::string_view s) noexcept {
  if (s == "true" || s == "1") return true;
  if (s == "false" || s == "0") return false;
  return std::nullopt;
}

[[nodiscard]] inline std::optional<bool> optional_bool(parse_state& st, pugi::xml_node n) {
  if (!n || st.failed()) return std::nullopt;
  const std::string s = required_string(st, n);
  if (st.failed()) return std::nullopt;
  auto b = parse_bool(s);
  if (!b) st.fail(xml_error::bad_boolean, path_of(n), s);
  return b;
}

[[nodiscard]] inline std::optional<ntp_time> optional_time(parse_state& st, pugi::xml_node n) {
  if (!n || st.failed()) return std::nullopt;
  const std::string s = required_string(st, n);
  if (st.failed()) return std::nullopt;
  auto t = parse_iso8601(s);
  if (!t) {
    st.fail(xml_error::bad_datetime, path_of(n), s + " (" + describe(t.error()) + ")");
    return std::nullopt;
  }
  return *t;
}

/// The single element child of `n` named `name` in namespace `ns`; fails on others.
[[nodiscard]] inline pugi::xml_node only_child(parse_state& st, pugi::xml_node n,
                                               std::string_view ns, std::string_view name) {
  pugi::xml_node found;
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) {
      if (!trim(c.value()).empty()) st.fail(xml_error::unexpected_text, path_of(n));
      continue;
    }
    if (c.type() != pugi::node_element) continue;
    if (local_name(c) != name || namespace_of(c) != ns || found) {
      st.fail(xml_error::unexpected_element, path_of(c), "expected one " + std::string(name));
      return {};
    }
    found = c;
  }
  if (!found && !st.failed())
    st.fail(xml_error::missing_element, path_of(n) + "/" + std::string(name));
  return st.failed() ? pugi::xml_node{} : found;
}

/// The fields of an xenc:EncryptedKey: EncryptionMethod, KeyInfo/KeyName?, CipherData/
/// CipherValue, CarriedKeyName?, in that order; anything else (EncryptionProperties,
/// ReferenceList, other KeyInfo children) is refused rather than ignored.
[[nodiscard]] inline encrypted_key_text read_encrypted_key(parse_state& st, pugi::xml_node ek) {
  encrypted_key_text out;
  std::string_view expect[] = {"EncryptionMethod", "KeyInfo", "CipherData", "CarriedKeyName"};
  std::size_t next = 0;
  for (pugi::xml_node c : ek.children()) {
    if (st.failed()) return out;
    if (c.type() == pugi::node_pcdata && !trim(c.value()).empty())
      st.fail(xml_error::unexpected_text, path_of(ek));
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = local_name(c);
    while (next < std::size(expect) && expect[next] != name) ++next;
    const auto ns = namespace_of(c);
    const bool ok = next < std::size(expect) &&
                    ns == (name == "KeyInfo" ? xmldsig_namespace : xmlenc_namespace);
    if (!ok) {
      st.fail(xml_error::unexpected_element, path_of(c), "in xenc:EncryptedKey");
      return out;
    }
    ++next;
    if (name == "EncryptionMethod") {
      out.algorithm = std::string(trim(c.attribute("Algorithm").value()));
      if (c.first_child()) st.fail(xml_error::unexpected_element, path_of(c), "parameters");
    } else if (name == "KeyInfo") {
      out.key_name = trim(text_of(st, only_child(st, c, xmldsig_namespace, "KeyName")));
    } else if (name == "CipherData") {
      out.cipher_value = trim(text_of(st, only_child(st, c, xmlenc_namespace, "CipherValue")));
    } else {
      out.carried_key_name = trim(text_of(st, c));
    }
  }
  if (st.failed()) return out;
  if (out.algorithm.empty())
    st.fail(xml_error::missing_attribute, path_of(ek) + "/EncryptionMethod/@Algorithm");
  else if (out.cipher_value.empty())
    st.fail(xml_error::missing_element, path_of(ek) + "/CipherData/CipherValue");
  return out;
}

/// An EncKeyContentType key: its EncryptedKey goes to the decryptor of the options, whose
/// plaintext lands in `out` (exactly `len` octets).
inline encrypted_key_text read_encrypted_key_into(parse_state& st, pugi::xml_node n,
                                                  std::size_t len, bool point,
                                                  std::span<std::uint8_t> out) {
  if (!st.options().decrypt_keys) {
    st.fail(xml_error::encrypted_key_unsupported, path_of(n),
            "encrypted with a transport key (EncKeyContentType) and no transport key given");
    return {};
  }
  const pugi::xml_node ek = only_child(st, n, xmlenc_namespace, "EncryptedKey");
  if (st.failed()) return {};
  encrypted_key_text text = read_encrypted_key(st, ek);
  if (st.failed()) return text;
  const std::string where = path_of(n);
  auto plain = st.options().decrypt_keys(key_decrypt_request{where, text, len, point});
  if (!plain) {
    st.fail(xml_error::key_decryption_failed, where, plain.error());
    return text;
  }
  if (plain->size() != len) {
    st.fail(xml_error::wrong_key_length, where,
            "decrypted key of " + std::to_string(plain->size()) + " octets");
    return text;
  }
  std::copy(plain->span().begin(), plain->span().end(), out.begin());
  if (point && out[0] != 0x04) st.fail(xml_error::bad_point_encoding, where);
  return text;
}

/// A key element: hexBinary of exactly `len` octets, decoded in constant time; `point` adds the
/// 0x04 prefix check. EncKeyContentType goes to the key decryptor.
inline void read_key(parse_state& st, pugi::xml_node n, std::size_t len, bool point,
                     std::span<std::uint8_t> out) {
  if (!n || st.failed()) return;
  check_attributes(st, n, {"Id"});
  if (xsi_type(n) == std::optional<std::string_view>("EncKeyContentType")) {
    (void)read_encrypted_key_into(st, n, len, point, out);
    return;
  }
  check_xsi_type(st, n, {"KeyContentType"});
  std::size_t total = 0;
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_element) {
      st.fail(xml_error::encrypted_key_unsupported, path_of(n));
      return;
    }
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata)
      total += std::strlen(c.value());
  }
  // Gather the text into a wiping buffer (usually there is a single text node).
  secret_bytes text(total);
  std::size_t pos = 0;
  for (pugi::xml_node c : n.children()) {
    if (c.type() != pugi::node_pcdata && c.type() != pugi::node_cdata) continue;
    const std::size_t k = std::strlen(c.value());
    std::memcpy(text.span().data() + pos, c.value(), k);
    pos += k;
  }
  const std::string_view hex = trim(text.as_text());
  if (hex.empty()) {
    st.fail(xml_error::empty_value, path_of(n));
    return;
  }
  if (hex.size() % 2 != 0) {
    st.fail(xml_error::bad_hex, path_of(n), "odd number of hex digits");
    return;
  }
  if (hex.size() != 2 * len) {
    st.fail(xml_error::wrong_key_length, path_of(n),
            std::to_string(hex.size()) + " hex digits, expected " + std::to_string(2 * len) + " (" +
                std::to_string(len) + " octets)");
    return;
  }
  if (auto e = decode_hex_ct(hex, out)) {
    st.fail(*e, path_of(n));
    return;
  }
  if (point && out[0] != 0x04) st.fail(xml_error::bad_point_encoding, path_of(n));
}

[[nodiscard]] inline std::vector<std::uint8_t> read_public_key(parse_state& st, pugi::xml_node n,
                                                               std::size_t len, bool point) {
  std::vector<std::uint8_t> v(len);
  read_key(st, n, len, point, v);
  if (st.failed()) return {};
  return v;
}

[[nodiscard]] inline secret_bytes read_secret_key(parse_state& st, pugi::xml_node n,
                                                  std::size_t len, bool point) {
  secret_bytes v(len);
  read_key(st, n, len, point, v.span());
  if (st.failed()) return {};
  return v;
}

/// XML 1.0 Char (§2.2): tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF.
[[nodiscard]] constexpr bool is_xml_char(std::uint32_t c) noexcept {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/// A character reference `&#…;` / `&#x…;` at text[pos]: its code point, or nullopt if malformed.
[[nodiscard]] constexpr std::optional<std::uint32_t> char_reference(std::string_view text,
                                                                    std::size_t pos) noexcept {
  std::size_t i = pos + 2;
  const bool hex = i < text.size() && text[i] == 'x';
  if (hex) ++i;
  std::uint32_t v = 0;
  const std::size_t start = i;
  for (; i < text.size() && text[i] != ';'; ++i) {
    const char c = text[i];
    int d = -1;
    if (c >= '0' && c <= '9') d = c - '0';
    if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') d = (c | 0x20) - 'a' + 10;
    if (d < 0 || v > 0x10FFFF) return std::nullopt;
    v = v * (hex ? 16u : 10u) + static_cast<std::uint32_t>(d);
  }
  if (i == start || i == text.size()) return std::nullopt;
  return v;
}

/// What pugixml does not check itself: raw control characters and character references to code
/// points XML forbids (`&#0;`). Comments, CDATA sections and processing instructions are skipped
/// for the references (their text is literal). Returns the problem, or empty.
[[nodiscard]] inline std::string check_characters(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && c != 0x9 && c != 0xA && c != 0xD)
      return "control character " + std::to_string(c) + " at offset " + std::to_string(i);
    if (c == '<') {
      for (auto [open, close] :
           {std::pair{"<!--", "-->"}, std::pair{"<![CDATA[", "]]>"}, std::pair{"<?", "?>"}})
        if (text.substr(i).starts_with(open)) {
          const auto end = text.find(close, i);
          if (end == std::string_view::npos) return {};  // pugixml reports the truncation
          for (std::size_t k = i; k < end; ++k)
            if (static_cast<unsigned char>(text[k]) < 0x20 && !is_xml_space(text[k]))
              return "control character at offset " + std::to_string(k);
          i = end + std::string_view(close).size() - 1;
          break;
        }
    } else if (c == '&' && i + 1 < text.size() && text[i + 1] == '#') {
      const auto v = char_reference(text, i);
      if (!v || !is_xml_char(*v))
        return "character reference to a code point XML forbids at offset " + std::to_string(i);
    }
  }
  return {};
}

/// The document level holds one element and nothing but comments and processing instructions
/// around it (no DOCTYPE, no text); no element repeats an attribute.
[[nodiscard]] inline std::string check_structure(const pugi::xml_document& doc) {
  int elements = 0;
  for (pugi::xml_node n : doc.children()) {
    if (n.type() == pugi::node_doctype) return "a DOCTYPE is not allowed";
    if (n.type() == pugi::node_element && ++elements > 1) return "a second root element";
    if ((n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) && !trim(n.value()).empty())
      return "text outside the root element";
  }
  if (elements == 0) return "no document element";
  // Every element, iteratively (no recursion on attacker-controlled depth).
  for (pugi::xml_node n = doc.document_element(); n;) {
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute())
      for (pugi::xml_attribute b = a.next_attribute(); b; b = b.next_attribute())
        if (std::strcmp(a.name(), b.name()) == 0)
          return "duplicate attribute " + std::string(a.name()) + " on " + n.name();
    if (pugi::xml_node c = n.first_child()) {
      n = c;
      continue;
    }
    while (n && !n.next_sibling() && n != doc.document_element()) n = n.parent();
    if (!n || n == doc.document_element()) break;
    n = n.next_sibling();
  }
  return {};
}

/// Parses `text` in place in a wiping copy, so no stray copy of key text survives. Refuses what
/// is not well-formed XML 1.0, including what pugixml lets through (see check_characters and
/// check_structure).
class parsed_document {
 public:
  explicit parsed_document(std::string_view text) : buffer_(text.size() + 1) {
    if (text.empty()) {
      error_ = "empty document";
      return;
    }
    std::memcpy(buffer_.span().data(), text.data(), text.size());
    buffer_.span()[text.size()] = 0;  // the terminator pugixml needs in fragment mode
    error_ = check_characters(text);
    if (!error_.empty()) return;
    // Fragment mode keeps text and further elements at the document level, so they can be
    // refused; the DOCTYPE is kept for the same reason.
    const pugi::xml_parse_result r = doc_.load_buffer_inplace(
        buffer_.span().data(), buffer_.size(),
        pugi::parse_default | pugi::parse_doctype | pugi::parse_fragment, pugi::encoding_utf8);
    if (!r) {
      error_ = std::string(r.description()) + " at offset " + std::to_string(r.offset);
      return;
    }
    error_ = check_structure(doc_);
  }
  parsed_document(const parsed_document&) = delete;
  parsed_document& operator=(const parsed_document&) = delete;
  ~parsed_document() {
    doc_.reset();  // drop the DOM before the text it points into is wiped by buffer_'s destructor
  }

  [[nodiscard]] bool ok() const noexcept { return error_.empty(); }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  [[nodiscard]] pugi::xml_node root() const { return doc_.document_element(); }

 private:
  secret_bytes buffer_;
  pugi::xml_document doc_;
  std::string error_;
};

/// The document element must be `name` in the KMS namespace.
[[nodiscard]] inline pugi::xml_node expect_root(parse_state& st, const parsed_document& d,
                                                std::string_view name) {
  if (!d.ok()) {
    st.fail(xml_error::malformed_xml, "", d.error());
    return {};
  }
  pugi::xml_node r = d.root();
  if (!r) {
    st.fail(xml_error::malformed_xml, "", "no document element");
    return {};
  }
  if (local_name(r) != name) {
    st.fail(xml_error::wrong_root_element, std::string(local_name(r)),
            "expected " + std::string(name));
    return {};
  }
  const auto ns = namespace_of(r);
  if (!ns) {
    st.fail(xml_error::unbound_prefix, std::string(local_name(r)));
    return {};
  }
  if (!st.is_kms_namespace(*ns)) {
    st.fail(xml_error::wrong_namespace, std::string(local_name(r)), std::string(*ns));
    return {};
  }
  return r;
}

[[nodiscard]] inline std::string required_attribute(parse_state& st, pugi::xml_node n,
                                                    const char* name) {
  if (!n || st.failed()) return {};
  pugi::xml_attribute a = n.attribute(name);
  if (!a) {
    st.fail(xml_error::missing_attribute, path_of(n) + "/@" + name);
    return {};
  }
  std::string v(trim(a.value()));
  if (v.empty()) st.fail(xml_error::empty_value, path_of(n) + "/@" + name);
  return v;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Element readers (usable on any node already located in the KMS namespace)

namespace detail {

/// An optional Version attribute ("" when absent); a value other than the schema's is accepted
/// and noted.
[[nodiscard]] inline std::string optional_version(parse_state& st, pugi::xml_node n,
                                                  std::string_view schema_value) {
  const pugi::xml_attribute a = n.attribute("Version");
  if (!a || st.failed()) return {};
  std::string v(trim(a.value()));
  if (v.empty())
    st.fail(xml_error::empty_value, path_of(n) + "/@Version");
  else if (v != schema_value)
    st.note(path_of(n) + "/@Version is " + v + " (the schema fixes " + std::string(schema_value) +
            ")");
  return v;
}

/// A KmsUri with a scheme (`http://host:port`): accepted in a client role, reported.
inline void note_kms_uri_scheme(parse_state& st, pugi::xml_node n, std::string_view kms_uri) {
  if (!st.failed() && kms_uri.find("://") != std::string_view::npos)
    st.note(path_of(n) + "/KmsUri has a scheme: " + std::string(kms_uri));
}

inline kms_certificate read_certificate(parse_state& st, pugi::xml_node n) {
  kms_certificate c;
  if (!n || st.failed()) return c;
  check_attributes(st, n, {"Id", "Version", "Role", "IsSecurityGateway"});
  if (pugi::xml_attribute id = n.attribute("Id")) c.id = std::string(trim(id.value()));
  c.version = optional_version(st, n, kms_certificate_version);
  const std::string role = required_attribute(st, n, "Role");
  if (!st.failed()) {
    if (role == "Root")
      c.role = kms_role::root;
    else if (role == "External")
      c.role = kms_role::external;
    else
      st.fail(xml_error::bad_attribute_value, path_of(n) + "/@Role", role);
  }
  if (pugi::xml_attribute g = n.attribute("IsSecurityGateway"); g && !st.failed()) {
    c.is_security_gateway = parse_bool(trim(g.value()));
    if (!c.is_security_gateway)
      st.fail(xml_error::bad_attribute_value, path_of(n) + "/@IsSecurityGateway", g.value());
  }
  child_walker w(st, n);
  c.cert_uri = optional_string(st, w.optional("CertUri"));
  c.kms_uri = required_string(st, w.required("KmsUri"));
  note_kms_uri_scheme(st, n, c.kms_uri);
  c.issuer = optional_string(st, w.optional("Issuer"), false);
  c.valid_from = optional_time(st, w.optional("ValidFrom"));
  c.valid_to = optional_time(st, w.optional("ValidTo"));
  c.revoked = optional_bool(st, w.optional("Revoked"));
  c.user_id_format = required_string(st, w.required("UserIdFormat"));
  const pugi::xml_node period = w.required("UserKeyPeriod");
  c.user_key_period = required_u64(st, period);
  if (!st.failed() && c.user_key_period == 0)
    st.fail(xml_error::bad_value, path_of(period), "key period length must be positive");
  c.user_key_offset = required_u64(st, w.required("UserKeyOffset"));
  c.pub_enc_key = read_public_key(st, w.required("PubEncKey"), sakke_point_octets, true);
  c.pub_auth_key = read_public_key(st, w.required("PubAuthKey"), eccsi_point_octets, true);
  if (pugi::xml_node ps = w.optional("ParameterSet")) c.parameter_set = required_u64(st, ps);
  if (pugi::xml_node list = w.optional("KmsDomainList"); list && !st.failed()) {
    check_attributes(st, list, {"Id"});
    child_walker lw(st, list);
    for (pugi::xml_node d : lw.repeated("KmsDomain"))
      c.kms_domains.push_back(required_string(st, d));
    if (!st.failed() && c.kms_domains.empty())
      st.fail(xml_error::missing_element, path_of(list) + "/KmsDomain");
    lw.finish();
  }
  w.finish();
  return c;
}

/// <SignedX Id?><X …/><ds:Signature/>?</SignedX>: returns X; the wrapper's Id and whether a
/// signature is present go to `out`, and a note says the signature was not verified.
inline pugi::xml_node unwrap_signed(parse_state& st, pugi::xml_node wrapper, std::string_view inner,
                                    signed_wrapper& out) {
  if (!wrapper || st.failed()) return {};
  check_attributes(st, wrapper, {"Id", "Version"});
  if (pugi::xml_attribute id = wrapper.attribute("Id")) out.id = std::string(trim(id.value()));
  child_walker w(st, wrapper);
  const pugi::xml_node x = w.required(inner);
  w.finish();
  for (pugi::xml_node c : wrapper.children())
    if (c.type() == pugi::node_element && local_name(c) == "Signature" &&
        namespace_of(c) == xmldsig_namespace)
      out.signature_present = true;
  if (!st.failed())
    st.note(path_of(wrapper) + (out.signature_present
                                    ? ": XML signature present but NOT verified (TrK/InK "
                                      "signatures are not supported yet)"
                                    : ": no XML signature"));
  return x;
}

/// The document element `name`, or `Signed<name>` wrapping it (then `wrapper` is set).
inline pugi::xml_node expect_root_maybe_signed(parse_state& st, const parsed_document& d,
                                               std::string_view name,
                                               std::optional<signed_wrapper>& wrapper) {
  const std::string signed_name = "Signed" + std::string(name);
  if (!d.ok() || !d.root() || local_name(d.root()) != signed_name) return expect_root(st, d, name);
  signed_wrapper w;
  const pugi::xml_node inner = unwrap_signed(st, expect_root(st, d, signed_name), name, w);
  wrapper = w;
  return inner;
}

/// A KmsCertificate or a SignedKmsCertificate element.
inline kms_certificate read_any_certificate(parse_state& st, pugi::xml_node n) {
  if (!n || st.failed()) return {};
  if (local_name(n) != "SignedKmsCertificate") return read_certificate(st, n);
  signed_wrapper w;
  kms_certificate c = read_certificate(st, unwrap_signed(st, n, "KmsCertificate", w));
  c.signed_by = w;
  return c;
}

inline kms_key_set read_key_set(parse_state& st, pugi::xml_node n) {
  kms_key_set k;
  if (!n || st.failed()) return k;
  check_attributes(st, n, {"Id", "Version"});
  k.version = optional_version(st, n, kms_key_set_version);
  child_walker w(st, n);
  k.kms_uri = required_string(st, w.required("KmsUri"));
  k.cert_uri = optional_string(st, w.optional("CertUri"));
  k.issuer = optional_string(st, w.optional("Issuer"), false);
  k.user_uri = required_string(st, w.required("UserUri"));
  k.user_id = required_string(st, w.required("UserID"));
  k.valid_from = optional_time(st, w.optional("ValidFrom"));
  k.valid_to = optional_time(st, w.optional("ValidTo"));
  k.key_period_no = required_u64(st, w.required("KeyPeriodNo"));
  k.revoked = optional_bool(st, w.optional("Revoked"));
  k.user_decrypt_key = read_secret_key(st, w.required("UserDecryptKey"), sakke_point_octets, true);
  k.user_signing_key_ssk =
      read_secret_key(st, w.required("UserSigningKeySSK"), eccsi_scalar_octets, false);
  k.user_pub_token_pvt =
      read_public_key(st, w.required("UserPubTokenPVT"), eccsi_point_octets, true);
  w.finish();
  return k;
}

/// The KmsMessage and KmsError children of a KmsResponse (either may be empty).
struct response_parts {
  pugi::xml_node message;
  pugi::xml_node error;
};

/// KmsResponse header fields, then locates KmsMessage and KmsError.
inline response_parts read_response_parts(parse_state& st, pugi::xml_node r,
                                          kms_response_header& h) {
  if (!r || st.failed()) return {};
  check_attributes(st, r, {"Id", "Version"});
  if (pugi::xml_attribute id = r.attribute("Id")) h.id = std::string(trim(id.value()));
  h.version = optional_version(st, r, kms_response_schema_version);
  child_walker w(st, r);
  if (st.options().rel13_order && w.peek() == "KmsUri") {
    st.note(path_of(r) + ": Rel-13 element order (KmsUri before UserUri)");
    h.kms_uri = required_string(st, w.required("KmsUri"));
    h.user_uri = required_string(st, w.required("UserUri"));
  } else {
    h.user_uri = required_string(st, w.required("UserUri"));
    h.kms_uri = required_string(st, w.required("KmsUri"));
  }
  note_kms_uri_scheme(st, r, h.kms_uri);
  const pugi::xml_node time = w.required("Time");
  if (auto t = optional_time(st, time)) h.time = *t;
  h.kms_id = optional_string(st, w.optional("KmsId"));
  h.client_req_url = required_string(st, w.required("ClientReqUrl"));
  response_parts parts;
  parts.message = w.optional("KmsMessage");
  parts.error = w.optional("KmsError");
  w.finish();
  if (!st.failed() && !parts.message && !parts.error)
    st.fail(xml_error::missing_element, path_of(r) + "/KmsMessage");
  return parts;
}

[[nodiscard]] inline std::optional<std::int64_t> parse_i64(std::string_view s) noexcept {
  const bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  if (negative && (s.empty() || s.front() == '+')) return std::nullopt;
  const auto v = parse_u64(s);
  if (!v || *v > (negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1))
    return std::nullopt;
  return negative ? static_cast<std::int64_t>(~*v + 1) : static_cast<std::int64_t>(*v);
}

/// KmsError: ErrorCode (xs:integer, within 64 bits), ErrorMsg?.
inline kms_error read_kms_error(parse_state& st, pugi::xml_node err) {
  kms_error e;
  if (!err || st.failed()) return e;
  check_attributes(st, err, {"Id", "Version"});
  child_walker w(st, err);
  const pugi::xml_node code = w.required("ErrorCode");
  const std::string text = required_string(st, code);
  if (!st.failed()) {
    if (auto v = parse_i64(text))
      e.code = *v;
    else
      st.fail(xml_error::bad_integer, path_of(code), text);
  }
  e.message = optional_string(st, w.optional("ErrorMsg"), false);
  w.finish();
  return e;
}

[[nodiscard]] inline std::string describe_kms_error(const kms_error& e) {
  return "code " + std::to_string(e.code) + (e.message ? ": " + *e.message : std::string());
}

/// For the parsers of one kind of message: KmsError is a failure (kms_error_response) that
/// carries the answer; otherwise the KmsMessage element.
inline pugi::xml_node read_response(parse_state& st, pugi::xml_node r, kms_response_header& h) {
  const response_parts parts = read_response_parts(st, r, h);
  if (parts.error && !st.failed()) {
    const kms_error e = read_kms_error(st, parts.error);
    if (!st.failed())
      st.fail(xml_failure{xml_error::kms_error_response, path_of(parts.error),
                          describe_kms_error(e), e});
  }
  if (!st.failed() && !parts.message)
    st.fail(xml_error::missing_element, path_of(r) + "/KmsMessage");
  return parts.message;
}

/// The single child of KmsMessage, which must be `kind`.
inline pugi::xml_node message_body(parse_state& st, pugi::xml_node message, std::string_view kind) {
  if (!message || st.failed()) return {};
  check_attributes(st, message, {"Id", "Version"});
  child_walker w(st, message);
  const std::string_view got = w.peek();
  if (got.empty()) {
    st.fail(xml_error::missing_element, path_of(message) + "/" + std::string(kind));
    return {};
  }
  if (got != kind) {
    st.fail(xml_error::unsupported_message, path_of(message) + "/" + std::string(got),
            "expected " + std::string(kind));
    return {};
  }
  pugi::xml_node body = w.required(kind);
  w.finish();
  return body;
}

/// NewTransportKey / NewIntegrityKey: an EncKeyContentType of 32 octets with CarriedKeyName
/// (a key in the clear is refused: it would travel unprotected).
[[nodiscard]] inline std::optional<carried_key> read_carried_key(parse_state& st,
                                                                 pugi::xml_node n) {
  if (!n || st.failed()) return std::nullopt;
  check_attributes(st, n, {"Id"});
  if (xsi_type(n) != std::optional<std::string_view>("EncKeyContentType")) {
    st.fail(xml_error::bad_attribute_value, path_of(n) + "/@xsi:type",
            "a new transport or integrity key must be encrypted (EncKeyContentType)");
    return std::nullopt;
  }
  carried_key k{{}, secret_bytes(carried_key_octets)};
  k.name = read_encrypted_key_into(st, n, carried_key_octets, false, k.key.span()).carried_key_name;
  if (!st.failed() && k.name.empty())
    st.fail(xml_error::missing_element, path_of(n) + "/EncryptedKey/CarriedKeyName");
  if (st.failed()) return std::nullopt;
  return k;
}

/// TrK/InK material where the schema has none (after a KmsCertCache's certificates).
inline void refuse_transport_keys(parse_state& st, pugi::xml_node parent, std::string_view next) {
  if (!st.failed() && (next == "NewTransportKey" || next == "NewIntegrityKey"))
    st.fail(xml_error::unsupported_message, path_of(parent) + "/" + std::string(next),
            "transport/integrity keys are not carried here");
}

/// KmsInit: one KmsCertificate or SignedKmsCertificate, then NewTransportKey?,
/// NewIntegrityKey? (KmsInitTkIkType; the same order as in KmsKeyProv).
inline void read_init_body(parse_state& st, pugi::xml_node init, kms_init_response& out) {
  if (!init || st.failed()) return;
  check_attributes(st, init, {"Id", "Version"});
  (void)optional_version(st, init, kms_response_schema_version);
  check_xsi_type(st, init, {"KmsInitType", "KmsInitTkIkType"});
  child_walker w(st, init);
  const bool is_signed = w.peek() == "SignedKmsCertificate";
  out.certificate =
      read_any_certificate(st, w.required(is_signed ? "SignedKmsCertificate" : "KmsCertificate"));
  out.new_transport_key = read_carried_key(st, w.optional("NewTransportKey"));
  out.new_integrity_key = read_carried_key(st, w.optional("NewIntegrityKey"));
  w.finish();
}

/// KmsInit for readers without carried keys (kms_request.hpp): a NewTransportKey or
/// NewIntegrityKey is refused rather than dropped.
inline kms_certificate read_init_body(parse_state& st, pugi::xml_node init) {
  kms_init_response r;
  read_init_body(st, init, r);
  if (!st.failed() && (r.new_transport_key || r.new_integrity_key))
    st.fail(xml_error::unsupported_message, path_of(init),
            "transport/integrity keys are read by parse_kms_init only");
  return std::move(r.certificate);
}

/// KmsKeyProv: Version, 0..n KmsKeySet, NewTransportKey?, NewIntegrityKey?.
inline void read_key_prov_body(parse_state& st, pugi::xml_node prov, kms_key_prov_response& out) {
  if (!prov || st.failed()) return;
  check_attributes(st, prov, {"Id", "Version"});
  check_xsi_type(st, prov, {"KmsKeyProvType", "KmsKeyProvTkIkType"});
  out.key_prov_version = optional_version(st, prov, kms_key_prov_schema_version);
  child_walker w(st, prov);
  for (pugi::xml_node ks : w.repeated("KmsKeySet")) out.key_sets.push_back(read_key_set(st, ks));
  out.new_transport_key = read_carried_key(st, w.optional("NewTransportKey"));
  out.new_integrity_key = read_carried_key(st, w.optional("NewIntegrityKey"));
  w.finish();
}

/// KmsKeyProv for readers without carried keys (kms_request.hpp): a NewTransportKey or
/// NewIntegrityKey is refused rather than dropped.
inline void read_key_prov_body(parse_state& st, pugi::xml_node prov, std::string& version,
                               std::vector<kms_key_set>& key_sets) {
  kms_key_prov_response r;
  read_key_prov_body(st, prov, r);
  if (!st.failed() && (r.new_transport_key || r.new_integrity_key))
    st.fail(xml_error::unsupported_message, path_of(prov),
            "transport/integrity keys are read by parse_kms_key_prov only");
  version = std::move(r.key_prov_version);
  key_sets = std::move(r.key_sets);
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Validation of a key set against its community's certificate

/// Base64 (RFC 4648, with or without padding) of a UserID. Public data: plain decoding.
[[nodiscard]] inline std::optional<std::vector<std::uint8_t>> decode_base64_user_id(
    std::string_view t) {
  std::vector<std::uint8_t> out;
  while (!t.empty() && t.back() == '=') t.remove_suffix(1);
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : t) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '+') v = 62;
    if (c == '/') v = 63;
    if (v < 0) return std::nullopt;
    acc = acc << 6 | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  if (out.empty() || acc != 0) return std::nullopt;
  return out;
}

/// How a UserID text names the identifier: hex (either case), or base64 of its octets.
enum class user_id_encoding { hex, base64, none };

[[nodiscard]] inline user_id_encoding user_id_encoding_of(std::string_view text,
                                                          std::span<const std::uint8_t> id) {
  text = detail::trim(text);
  std::vector<std::uint8_t> octets(id.size());
  if (text.size() == 2 * id.size() && !detail::decode_hex_ct(text, octets) &&
      std::equal(octets.begin(), octets.end(), id.begin(), id.end()))
    return user_id_encoding::hex;
  const auto b = decode_base64_user_id(text);
  if (b && std::equal(b->begin(), b->end(), id.begin(), id.end())) return user_id_encoding::base64;
  return user_id_encoding::none;
}

[[nodiscard]] inline bool user_id_matches(std::string_view text, std::span<const std::uint8_t> id) {
  return user_id_encoding_of(text, id) != user_id_encoding::none;
}

/// Whether a certificate or key set may be used at `at` (ValidFrom <= at <= ValidTo, where
/// given). Call it at the time of use; leaving it out is the explicit forensic override.
template <class D>
requires requires(const D& d) {
  d.valid_from;
  d.valid_to;
}
[[nodiscard]] std::optional<xml_failure> check_validity(const D& d, ntp_time at,
                                                        std::string_view what) {
  auto show = [](ntp_time t) {
    const auto f = format_iso8601(t);
    return f ? *f : std::string("?");
  };
  if (d.valid_from && at < *d.valid_from)
    return xml_failure{
        xml_error::outside_validity, std::string(what) + "/ValidFrom",
        "not valid before " + show(*d.valid_from) + " (time of use " + show(at) + ")"};
  if (d.valid_to && at > *d.valid_to)
    return xml_failure{xml_error::outside_validity, std::string(what) + "/ValidTo",
                       "expired " + show(*d.valid_to) + " (time of use " + show(at) + ")"};
  return std::nullopt;
}

/// Checks a key set against the certificate: same KMS (and certificate, if both name one),
/// neither revoked, UserID equal to the identifier recomputed with `format` (compared as hex,
/// ignoring case), then the curve checks. `format` must be the one the certificate announces.
template <identity_format F, kms_key_checks V = curve_checks>
[[nodiscard]] std::optional<xml_failure> validate_key_set(const kms_key_set& k,
                                                          const kms_certificate& c, const F& format,
                                                          const V& checks = {}) {
  if (c.user_id_format != F::user_id_format)
    return xml_failure{xml_error::unsupported_user_id_format, "KmsCertificate/UserIdFormat",
                       c.user_id_format};
  if (k.kms_uri != c.kms_uri)
    return xml_failure{xml_error::kms_uri_mismatch, "KmsKeySet/KmsUri",
                       k.kms_uri + " vs " + c.kms_uri};
  if (k.cert_uri && c.cert_uri && *k.cert_uri != *c.cert_uri)
    return xml_failure{xml_error::cert_uri_mismatch, "KmsKeySet/CertUri",
                       *k.cert_uri + " vs " + *c.cert_uri};
  if (c.revoked.value_or(false))
    return xml_failure{xml_error::revoked, "KmsCertificate/Revoked", {}};
  if (k.revoked.value_or(false)) return xml_failure{xml_error::revoked, "KmsKeySet/Revoked", {}};
  auto id = format.make_identifier({k.user_uri, c.kms_uri, c.schedule()}, k.key_period_no);
  if (!id)
    return xml_failure{xml_error::user_id_mismatch, "KmsKeySet/UserID", describe(id.error())};
  const secret_bytes hex = detail::encode_hex_ct(*id);
  const std::string_view expected = hex.as_text().substr(0, 2 * id->size());
  if (!user_id_matches(k.user_id, *id))
    return xml_failure{xml_error::user_id_mismatch, "KmsKeySet/UserID",
                       k.user_id + ", computed " + std::string(expected)};
  if (auto why = checks.check_key_set_keys(k, c))
    return xml_failure{xml_error::invalid_key, "KmsKeySet", *why};
  return std::nullopt;
}

/// As above with the format the certificate announces: "2" (hashed UID) or "1" (RFC 6509).
template <kms_key_checks V = curve_checks>
[[nodiscard]] std::optional<xml_failure> validate_key_set(const kms_key_set& k,
                                                          const kms_certificate& c,
                                                          const V& checks = {}) {
  if (c.user_id_format == mikey_sakke_uid_format::user_id_format)
    return validate_key_set(k, c, mikey_sakke_uid_format{}, checks);
  if (c.user_id_format == rfc6509_format::user_id_format)
    return validate_key_set(k, c, rfc6509_format{}, checks);
  return xml_failure{xml_error::unsupported_user_id_format, "KmsCertificate/UserIdFormat",
                     c.user_id_format};
}

/// Whether the key set is the one for the period containing `t` (e.g. an I_MESSAGE's T).
[[nodiscard]] inline bool key_set_covers(const kms_key_set& k, const kms_certificate& c,
                                         ntp_time t) noexcept {
  auto n = key_period_number(t, c.schedule());
  return n && *n == k.key_period_no;
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// A KmsResponse carrying KmsInit with the KMS certificate.
template <kms_key_checks V = curve_checks>
[[nodiscard]] result<kms_init_response, xml_failure> parse_kms_init(
    std::string_view text, const V& checks = {}, const kms_parse_options& options = {}) {
  detail::parse_state st(options);
  detail::parsed_document doc(text);
  kms_init_response out;
  std::optional<signed_wrapper> wrapper;
  const pugi::xml_node root = detail::expect_root_maybe_signed(st, doc, "KmsResponse", wrapper);
  const pugi::xml_node message = detail::read_response(st, root, out.header);
  detail::read_init_body(st, detail::message_body(st, message, "KmsInit"), out);
  if (!st.failed())
    if (auto why = checks.check_certificate_keys(out.certificate))
      st.fail(xml_error::invalid_key, "KmsCertificate", *why);
  if (st.failed()) return unexpected{st.failure()};
  return out;
}

/// A stand-alone KmsCertificate document.
template <kms_key_checks V = curve_checks>
[[nodiscard]] result<kms_certificate, xml_failure> parse_kms_certificate(
    std::string_view text, const V& checks = {}, const kms_parse_options& options = {}) {
  detail::parse_state st(options);
  detail::parsed_document doc(text);
  std::optional<signed_wrapper> wrapper;
  kms_certificate c = detail::read_certificate(
      st, detail::expect_root_maybe_signed(st, doc, "KmsCertificate", wrapper));
  c.signed_by = wrapper;
  if (!st.failed())
    if (auto why = checks.check_certificate_keys(c))
      st.fail(xml_error::invalid_key, "KmsCertificate", *why);
  if (st.failed()) return unexpected{st.failure()};
  return c;
}

/// A KmsResponse carrying KmsKeyProv, NOT validated (hence the name): without a certificate only
/// the structure and the key encodings are checked; use parse_kms_key_prov(text, certificate)
/// below (or validate_key_set) before using the keys.
[[nodiscard]] inline result<kms_key_prov_response, xml_failure> parse_kms_key_prov_unvalidated(
    std::string_view text, const kms_parse_options& options = {}) {
  detail::parse_state st(options);
  detail::parsed_document doc(text);
  kms_key_prov_response out;
  std::optional<signed_wrapper> wrapper;
  const pugi::xml_node root = detail::expect_root_maybe_signed(st, doc, "KmsResponse", wrapper);
  const pugi::xml_node message = detail::read_response(st, root, out.header);
  detail::read_key_prov_body(st, detail::message_body(st, message, "KmsKeyProv"), out);
  if (st.failed()) return unexpected{st.failure()};
  return out;
}

/// A KmsKeyProv response whose every key set is validated against `cert` (validate_key_set).
template <kms_key_checks V = curve_checks>
[[nodiscard]] result<kms_key_prov_response, xml_failure> parse_kms_key_prov(
    std::string_view text, const kms_certificate& cert, const V& checks = {},
    const kms_parse_options& options = {}) {
  auto parsed = parse_kms_key_prov_unvalidated(text, options);
  if (!parsed) return parsed;
  for (std::size_t i = 0; i < parsed->key_sets.size(); ++i) {
    if (auto f = validate_key_set(parsed->key_sets[i], cert, checks)) {
      // Point at the offending key set: "KmsKeySet/UserID" becomes "…/KmsKeySet[2]/UserID".
      const std::string prefix =
          "KmsResponse/KmsMessage/KmsKeyProv/KmsKeySet[" + std::to_string(i + 1) + "]";
      if (f->where.starts_with("KmsKeySet"))
        f->where = prefix + f->where.substr(9);
      else
        f->where = f->where + " (for " + prefix + ")";
      return unexpected{*f};
    }
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Generation

namespace detail {

/// Builds the DOM; remembers the text nodes that hold secrets so they can be wiped.
class builder {
 public:
  builder() {
    pugi::xml_node decl = doc_.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
  }
  builder(const builder&) = delete;
  builder& operator=(const builder&) = delete;
  ~builder() {
    for (pugi::xml_node n : secret_nodes_) {
      char* p = const_cast<char*>(n.value());
      ct::wipe(p, std::strlen(p));
    }
  }

  pugi::xml_document& doc() { return doc_; }
  /// The key encryptor of the writer's options (may be empty).
  void set_encryptor(key_encryptor e) { encryptor_ = std::move(e); }
  [[nodiscard]] const key_encryptor& encryptor() const noexcept { return encryptor_; }

  static pugi::xml_node element(pugi::xml_node parent, const char* name) {
    return parent.append_child(name);
  }
  static void text(pugi::xml_node parent, const char* name, std::string_view value) {
    parent.append_child(name).append_child(pugi::node_pcdata).set_value(std::string(value).c_str());
  }
  static void optional_text(pugi::xml_node parent, const char* name,
                            const std::optional<std::string>& v) {
    if (v) text(parent, name, *v);
  }
  static void number(pugi::xml_node parent, const char* name, std::uint64_t v) {
    text(parent, name, std::to_string(v));
  }
  static void boolean(pugi::xml_node parent, const char* name, const std::optional<bool>& v) {
    if (v) text(parent, name, *v ? "true" : "false");
  }
  static void time(pugi::xml_node parent, const char* name, const std::optional<ntp_time>& t,
                   parse_state& st) {
    if (!t) return;
    auto s = format_iso8601(*t);
    if (!s) {
      st.fail(xml_error::bad_datetime, std::string(name), describe(s.error()));
      return;
    }
    text(parent, name, *s);
  }
  void key(pugi::xml_node parent, const char* name, std::span<const std::uint8_t> k, bool secret) {
    const secret_bytes hex = encode_hex_ct(k);
    pugi::xml_node t = parent.append_child(name).append_child(pugi::node_pcdata);
    t.set_value(reinterpret_cast<const char*>(hex.span().data()));
    if (secret) secret_nodes_.push_back(t);
  }

  /// Serialise into a wiping buffer of the exact size (two passes: count, then write). pugixml
  /// formats through a buffer on the stack, which holds the key hex after the writing frames
  /// die: that stack is scrubbed (common/stack_scrub.hpp).
  [[nodiscard]] secret_bytes save() {
    auto out = save_steps();
    ct::scrub_stack<save_stack_bytes>();
    return out;
  }

 private:
  /// Above pugixml's output buffer and the frames of its writer (checked by
  /// tests/hardening/test_zeroization.cpp).
  static constexpr std::size_t save_stack_bytes = std::size_t{32} * 1024;

  [[gnu::noinline]] secret_bytes save_steps() {
    struct counter : pugi::xml_writer {
      std::size_t n = 0;
      void write(const void*, std::size_t size) override { n += size; }
    } count;
    doc_.save(count, "  ", pugi::format_default, pugi::encoding_utf8);
    secret_bytes out(count.n);
    struct filler : pugi::xml_writer {
      std::span<std::uint8_t> dst;
      std::size_t pos = 0;
      void write(const void* data, std::size_t size) override {
        const std::size_t k = size <= dst.size() - pos ? size : dst.size() - pos;
        std::memcpy(dst.data() + pos, data, k);
        pos += k;
      }
    } fill;
    fill.dst = out.span();
    doc_.save(fill, "  ", pugi::format_default, pugi::encoding_utf8);
    return out;
  }

  pugi::xml_document doc_;
  std::vector<pugi::xml_node> secret_nodes_;
  key_encryptor encryptor_;
};

inline void check_length(parse_state& st, std::string where, std::size_t got, std::size_t want) {
  if (got != want)
    st.fail(xml_error::wrong_key_length, std::move(where),
            std::to_string(got) + " octets, expected " + std::to_string(want));
}

inline void check_nonempty(parse_state& st, std::string where, std::string_view v) {
  if (trim(v).empty()) st.fail(xml_error::empty_value, std::move(where));
}

inline void check_point(parse_state& st, std::string where, std::span<const std::uint8_t> p,
                        std::size_t len) {
  check_length(st, where, p.size(), len);
  if (!st.failed() && p[0] != 0x04) st.fail(xml_error::bad_point_encoding, std::move(where));
}

inline void write_certificate(builder& b, parse_state& st, pugi::xml_node parent,
                              const kms_certificate& c) {
  check_nonempty(st, "KmsCertificate/KmsUri", c.kms_uri);
  check_nonempty(st, "KmsCertificate/UserIdFormat", c.user_id_format);
  if (c.user_key_period == 0)
    st.fail(xml_error::bad_value, "KmsCertificate/UserKeyPeriod",
            "key period length must be positive");
  check_point(st, "KmsCertificate/PubEncKey", c.pub_enc_key, sakke_point_octets);
  check_point(st, "KmsCertificate/PubAuthKey", c.pub_auth_key, eccsi_point_octets);
  if (c.signed_by) {
    parent = builder::element(parent, "SignedKmsCertificate");
    if (!c.signed_by->id.empty()) parent.append_attribute("Id") = c.signed_by->id.c_str();
  }
  pugi::xml_node n = builder::element(parent, "KmsCertificate");
  if (!c.id.empty()) n.append_attribute("Id") = c.id.c_str();
  if (!c.version.empty()) n.append_attribute("Version") = c.version.c_str();
  n.append_attribute("Role") = c.role == kms_role::root ? "Root" : "External";
  if (c.is_security_gateway)
    n.append_attribute("IsSecurityGateway") = *c.is_security_gateway ? "true" : "false";
  builder::optional_text(n, "CertUri", c.cert_uri);
  builder::text(n, "KmsUri", c.kms_uri);
  builder::optional_text(n, "Issuer", c.issuer);
  builder::time(n, "ValidFrom", c.valid_from, st);
  builder::time(n, "ValidTo", c.valid_to, st);
  builder::boolean(n, "Revoked", c.revoked);
  builder::text(n, "UserIdFormat", c.user_id_format);
  builder::number(n, "UserKeyPeriod", c.user_key_period);
  builder::number(n, "UserKeyOffset", c.user_key_offset);
  if (!st.failed()) {
    b.key(n, "PubEncKey", c.pub_enc_key, false);
    b.key(n, "PubAuthKey", c.pub_auth_key, false);
  }
  if (c.parameter_set) builder::number(n, "ParameterSet", *c.parameter_set);
  if (!c.kms_domains.empty()) {
    pugi::xml_node list = builder::element(n, "KmsDomainList");
    for (const auto& d : c.kms_domains) {
      check_nonempty(st, "KmsCertificate/KmsDomainList/KmsDomain", d);
      builder::text(list, "KmsDomain", d);
    }
  }
}

/// An EncKeyContentType element: the encryptor's xenc:EncryptedKey (the plaintext stays out of
/// the DOM).
inline void write_encrypted_key(parse_state& st, pugi::xml_node parent, const char* name,
                                const encrypted_key_text& e) {
  pugi::xml_node n = builder::element(parent, name);
  n.append_attribute("xmlns:xsi") = std::string(xsi_namespace).c_str();
  n.append_attribute("xsi:type") = "EncKeyContentType";
  pugi::xml_node ek = builder::element(n, "xenc:EncryptedKey");
  ek.append_attribute("xmlns:xenc") = std::string(xmlenc_namespace).c_str();
  builder::element(ek, "xenc:EncryptionMethod").append_attribute("Algorithm") = e.algorithm.c_str();
  if (!e.key_name.empty()) {
    pugi::xml_node ki = builder::element(ek, "ds:KeyInfo");
    ki.append_attribute("xmlns:ds") = std::string(xmldsig_namespace).c_str();
    builder::text(ki, "ds:KeyName", e.key_name);
  }
  builder::text(builder::element(ek, "xenc:CipherData"), "xenc:CipherValue", e.cipher_value);
  if (!e.carried_key_name.empty()) builder::text(ek, "xenc:CarriedKeyName", e.carried_key_name);
  if (e.algorithm.empty() || e.cipher_value.empty())
    st.fail(xml_error::empty_value, path_of(n), "the key encryptor returned no ciphertext");
}

/// A key element in hex, or encrypted when the builder has a key encryptor.
inline void write_key(builder& b, parse_state& st, pugi::xml_node parent, const char* name,
                      std::span<const std::uint8_t> k, bool secret, bool point) {
  if (st.failed()) return;
  if (!b.encryptor()) {
    b.key(parent, name, k, secret);
    return;
  }
  auto e = b.encryptor()(name, k, point);
  if (!e) {
    st.fail(xml_error::key_decryption_failed, path_of(parent) + "/" + name, e.error());
    return;
  }
  write_encrypted_key(st, parent, name, *e);
}

inline void write_key_set(builder& b, parse_state& st, pugi::xml_node parent,
                          const kms_key_set& k) {
  check_nonempty(st, "KmsKeySet/KmsUri", k.kms_uri);
  check_nonempty(st, "KmsKeySet/UserUri", k.user_uri);
  check_nonempty(st, "KmsKeySet/UserID", k.user_id);
  check_point(st, "KmsKeySet/UserDecryptKey", k.user_decrypt_key.span(), sakke_point_octets);
  check_length(st, "KmsKeySet/UserSigningKeySSK", k.user_signing_key_ssk.size(),
               eccsi_scalar_octets);
  check_point(st, "KmsKeySet/UserPubTokenPVT", k.user_pub_token_pvt, eccsi_point_octets);
  if (st.failed()) return;
  pugi::xml_node n = builder::element(parent, "KmsKeySet");
  if (!k.version.empty()) n.append_attribute("Version") = k.version.c_str();
  builder::text(n, "KmsUri", k.kms_uri);
  builder::optional_text(n, "CertUri", k.cert_uri);
  builder::optional_text(n, "Issuer", k.issuer);
  builder::text(n, "UserUri", k.user_uri);
  builder::text(n, "UserID", k.user_id);
  builder::time(n, "ValidFrom", k.valid_from, st);
  builder::time(n, "ValidTo", k.valid_to, st);
  builder::number(n, "KeyPeriodNo", k.key_period_no);
  builder::boolean(n, "Revoked", k.revoked);
  write_key(b, st, n, "UserDecryptKey", k.user_decrypt_key.span(), true, true);
  write_key(b, st, n, "UserSigningKeySSK", k.user_signing_key_ssk.span(), true, false);
  write_key(b, st, n, "UserPubTokenPVT", k.user_pub_token_pvt, false, true);
}

/// NewTransportKey / NewIntegrityKey: only ever written encrypted, with CarriedKeyName.
inline void write_carried_key(builder& b, parse_state& st, pugi::xml_node parent, const char* name,
                              const std::optional<carried_key>& k) {
  if (!k || st.failed()) return;
  const std::string where = std::string(parent.name()) + "/" + name;
  check_length(st, where, k->key.size(), carried_key_octets);
  check_nonempty(st, where + "/CarriedKeyName", k->name);
  if (!b.encryptor() && !st.failed())
    st.fail(xml_error::encrypted_key_unsupported, where,
            "a new transport or integrity key is only sent encrypted under the current TrK");
  if (st.failed()) return;
  auto e = b.encryptor()(name, k->key.span(), false);
  if (!e) {
    st.fail(xml_error::key_decryption_failed, where, e.error());
    return;
  }
  e->carried_key_name = k->name;
  write_encrypted_key(st, parent, name, *e);
}

/// NewTransportKey?, NewIntegrityKey? at the end of `parent` (KmsInit or KmsKeyProv), which then
/// gets the schema's type that allows them (`tk_ik_type`).
inline void write_carried_keys(builder& b, parse_state& st, pugi::xml_node parent,
                               const char* tk_ik_type, const std::optional<carried_key>& trk,
                               const std::optional<carried_key>& ink) {
  if (!trk && !ink) return;
  parent.append_attribute("xmlns:xsi") = std::string(xsi_namespace).c_str();
  parent.append_attribute("xsi:type") = tk_ik_type;
  write_carried_key(b, st, parent, "NewTransportKey", trk);
  write_carried_key(b, st, parent, "NewIntegrityKey", ink);
}

/// KmsKeyProv (Version omitted when empty) with its key sets and carried keys.
inline void write_key_prov(builder& b, parse_state& st, pugi::xml_node message,
                           const kms_key_prov_response& r) {
  pugi::xml_node prov = builder::element(message, "KmsKeyProv");
  if (!r.key_prov_version.empty()) prov.append_attribute("Version") = r.key_prov_version.c_str();
  for (const auto& k : r.key_sets) write_key_set(b, st, prov, k);
  write_carried_keys(b, st, prov, "KmsKeyProvTkIkType", r.new_transport_key, r.new_integrity_key);
}

/// KmsKeyProv without carried keys (kms_request.hpp).
inline void write_key_prov(builder& b, parse_state& st, pugi::xml_node message,
                           const std::string& version, const std::vector<kms_key_set>& key_sets) {
  kms_key_prov_response r;
  r.key_prov_version = version;
  for (const auto& k : key_sets) r.key_sets.push_back(k);
  write_key_prov(b, st, message, r);
}

/// The document element `name` in the KMS namespace, inside a Signed… wrapper when asked.
inline pugi::xml_node open_root(builder& b, const char* name,
                                const std::optional<signed_wrapper>& wrapper) {
  pugi::xml_node parent = b.doc();
  if (wrapper) {
    const std::string signed_name = std::string("Signed") + name;
    parent = parent.append_child(signed_name.c_str());
    parent.append_attribute("xmlns") = std::string(kms_namespace).c_str();
    if (!wrapper->id.empty()) parent.append_attribute("Id") = wrapper->id.c_str();
  }
  pugi::xml_node r = parent.append_child(name);
  if (!wrapper) r.append_attribute("xmlns") = std::string(kms_namespace).c_str();
  return r;
}

/// KmsResponse with its header (up to ClientReqUrl); returns the KmsResponse element.
inline pugi::xml_node write_response_header(builder& b, parse_state& st,
                                            const kms_response_header& h,
                                            const std::optional<signed_wrapper>& wrapper = {}) {
  check_nonempty(st, "KmsResponse/UserUri", h.user_uri);
  check_nonempty(st, "KmsResponse/KmsUri", h.kms_uri);
  check_nonempty(st, "KmsResponse/ClientReqUrl", h.client_req_url);
  pugi::xml_node r = open_root(b, "KmsResponse", wrapper);
  if (!h.id.empty()) r.append_attribute("Id") = h.id.c_str();
  if (!h.version.empty()) r.append_attribute("Version") = h.version.c_str();
  builder::text(r, "UserUri", h.user_uri);
  builder::text(r, "KmsUri", h.kms_uri);
  builder::time(r, "Time", h.time, st);
  builder::optional_text(r, "KmsId", h.kms_id);
  builder::text(r, "ClientReqUrl", h.client_req_url);
  return r;
}

/// KmsResponse with its header; returns the KmsMessage element.
inline pugi::xml_node write_response(builder& b, parse_state& st, const kms_response_header& h,
                                     const std::optional<signed_wrapper>& wrapper = {}) {
  return builder::element(write_response_header(b, st, h, wrapper), "KmsMessage");
}

}  // namespace detail

/// The KmsResponse/KmsInit document for a certificate (public content). A NewTransportKey /
/// NewIntegrityKey is written only wrapped, with `options.encrypt_keys` (the current TrK), so the
/// document stays public.
[[nodiscard]] inline result<std::string, xml_failure> write_kms_init(
    const kms_init_response& r, const kms_write_options& options = {}) {
  detail::parse_state st;
  detail::builder b;
  b.set_encryptor(options.encrypt_keys);
  pugi::xml_node message = detail::write_response(b, st, r.header);
  pugi::xml_node init = detail::builder::element(message, "KmsInit");
  detail::write_certificate(b, st, init, r.certificate);
  detail::write_carried_keys(b, st, init, "KmsInitTkIkType", r.new_transport_key,
                             r.new_integrity_key);
  if (st.failed()) return unexpected{st.failure()};
  const secret_bytes out = b.save();
  return std::string(out.as_text());
}

/// A stand-alone KmsCertificate document (public content).
[[nodiscard]] inline result<std::string, xml_failure> write_kms_certificate(
    const kms_certificate& c) {
  detail::parse_state st;
  detail::builder b;
  detail::write_certificate(b, st, b.doc(), c);
  if (st.failed()) return unexpected{st.failure()};
  b.doc().document_element().prepend_attribute("xmlns") = std::string(kms_namespace).c_str();
  const secret_bytes out = b.save();
  return std::string(out.as_text());
}

/// The KmsResponse/KmsKeyProv document. It holds RSKs and SSKs, so it comes back in a wiping
/// buffer (`as_text()` views it); send it only over a confidential, authenticated channel.
[[nodiscard]] inline result<secret_bytes, xml_failure> write_kms_key_prov(
    const kms_key_prov_response& r, const kms_write_options& options = {}) {
  detail::parse_state st;
  detail::builder b;
  b.set_encryptor(options.encrypt_keys);
  pugi::xml_node message = detail::write_response(b, st, r.header);
  detail::write_key_prov(b, st, message, r);
  if (st.failed()) return unexpected{st.failure()};
  return b.save();
}

// ---------------------------------------------------------------------------------------------
// Between the documents and the key material of key_material.hpp / skm_server.hpp

/// The KmsCertificate of a community (UserIdFormat "2", ParameterSet given). `id` is the
/// certificate's Id attribute; the optional fields are left for the caller to fill.
[[nodiscard]] inline kms_certificate make_certificate(const community_public_values& v,
                                                      std::string id) {
  kms_certificate c;
  c.id = std::move(id);
  c.kms_uri = v.kms_uri;
  c.user_id_format = std::string(mikey_sakke_uid_format::user_id_format);
  c.user_key_period = v.schedule.length_seconds;
  c.user_key_offset = v.schedule.offset_seconds;
  c.pub_enc_key.assign(v.z.begin(), v.z.end());
  c.pub_auth_key.assign(v.kpak.begin(), v.kpak.end());
  c.parameter_set = v.parameter_set;
  return c;
}

/// The KmsKeySet of an issued key set (UserID = hex of the UID).
[[nodiscard]] inline kms_key_set make_key_set(const user_key_set& k) {
  kms_key_set out;
  out.kms_uri = k.kms_uri;
  out.user_uri = k.user_uri;
  const secret_bytes hex = detail::encode_hex_ct(k.id);
  out.user_id = std::string(hex.as_text().substr(0, 2 * k.id.size()));
  out.key_period_no = k.period;
  out.user_decrypt_key = secret_bytes(std::span<const std::uint8_t>(k.rsk.span()));
  out.user_signing_key_ssk = secret_bytes(std::span<const std::uint8_t>(k.ssk.span()));
  out.user_pub_token_pvt.assign(k.pvt.begin(), k.pvt.end());
  return out;
}

/// The community values of a certificate. Only UserIdFormat "2" with parameter set 1 (or none
/// given) is accepted; the keys are validated with curve_checks.
[[nodiscard]] inline result<community_public_values, xml_failure> community_from_certificate(
    const kms_certificate& c, identity_convention convention = identity_convention::raw) {
  if (c.user_id_format != mikey_sakke_uid_format::user_id_format)
    return unexpected{xml_failure{xml_error::unsupported_user_id_format,
                                  "KmsCertificate/UserIdFormat", c.user_id_format}};
  if (c.revoked.value_or(false))
    return unexpected{xml_failure{xml_error::revoked, "KmsCertificate/Revoked", {}}};
  if (c.user_key_period == 0)
    return unexpected{xml_failure{xml_error::bad_value, "KmsCertificate/UserKeyPeriod", "zero"}};
  if (c.pub_enc_key.size() != z_octets || c.pub_auth_key.size() != kpak_octets)
    return unexpected{xml_failure{xml_error::wrong_key_length, "KmsCertificate", {}}};
  if (auto why = curve_checks{}.check_certificate_keys(c))
    return unexpected{xml_failure{xml_error::invalid_key, "KmsCertificate", *why}};
  community_public_values v;
  v.kms_uri = c.kms_uri;
  v.schedule = c.schedule();
  v.parameter_set = c.parameter_set.value_or(sakke_parameter_set);
  v.convention = convention;
  std::copy(c.pub_enc_key.begin(), c.pub_enc_key.end(), v.z.begin());
  std::copy(c.pub_auth_key.begin(), c.pub_auth_key.end(), v.kpak.begin());
  return v;
}

/// The key material of a key set, after validate_key_set against its certificate (UserIdFormat
/// "2"): UserID recomputed, RSK and SSK/PVT validated.
template <kms_key_checks V = curve_checks>
[[nodiscard]] result<user_key_set, xml_failure> user_keys_from_key_set(const kms_key_set& k,
                                                                       const kms_certificate& c,
                                                                       const V& checks = {}) {
  if (c.user_id_format != mikey_sakke_uid_format::user_id_format)
    return unexpected{xml_failure{xml_error::unsupported_user_id_format,
                                  "KmsCertificate/UserIdFormat", c.user_id_format}};
  if (auto f = validate_key_set(k, c, mikey_sakke_uid_format{}, checks)) return unexpected{*f};
  if (k.user_decrypt_key.size() != rsk_octets || k.user_signing_key_ssk.size() != ssk_octets ||
      k.user_pub_token_pvt.size() != pvt_octets)
    return unexpected{xml_failure{xml_error::wrong_key_length, "KmsKeySet", {}}};
  user_key_set out;
  out.user_uri = k.user_uri;
  out.kms_uri = k.kms_uri;
  out.period = k.key_period_no;
  const auto id = mikey_sakke_uid(k.user_uri, c.kms_uri, c.schedule(), k.key_period_no);
  if (!id)
    return unexpected{
        xml_failure{xml_error::user_id_mismatch, "KmsKeySet/UserID", describe(id.error())}};
  out.id = *id;
  std::copy(k.user_decrypt_key.span().begin(), k.user_decrypt_key.span().end(), out.rsk.data());
  std::copy(k.user_signing_key_ssk.span().begin(), k.user_signing_key_ssk.span().end(),
            out.ssk.data());
  std::copy(k.user_pub_token_pvt.begin(), k.user_pub_token_pvt.end(), out.pvt.begin());
  return out;
}

}  // namespace skm::km::xml
