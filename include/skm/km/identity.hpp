// SPDX-License-Identifier: BSD-3-Clause
// Identities: the octet strings ECCSI signs with ("ID", RFC 6507) and SAKKE encrypts to ("a"/"b",
// RFC 6508), formed from a user's URI and the key period.
//
// Two formats are built in, and a deployment can add its own by modelling `identity_format`:
//
// * `mikey_sakke_uid_format` (TS 33.180 F.2.1, UserIdFormat "2"): a 32-octet SHA-256 hash
//       UID = SHA-256( 0x00 || "MIKEY-SAKKE-UID" || 0x000F || URI || L || KMS URI || L
//                      || key period length || L || key period offset || L || period number || L )
//   with the TS 33.220 parameter encoding (integers in the fewest octets, L = 2-octet length).
//   It is plain SHA-256, not the HMAC KDF. The 32 raw octets are the identifier.
//
// * `rfc6509_format` (RFC 6509 §3.2, UserIdFormat "1"): the US-ASCII string
//       "YYYY-MM" 0x00 URI 0x00
//   with monthly key periods and a constrained tel URI ("tel:+" and digits only).
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "skm/common/result.hpp"
#include "skm/hash/sha256.hpp"
#include "skm/km/kdf.hpp"
#include "skm/km/time.hpp"

namespace skm::km {

enum class identity_error {
  empty_uri,             ///< the user URI is empty
  uri_contains_nul,      ///< a NUL octet inside a URI would make the identifier ambiguous
  uri_too_long,          ///< longer than the 65535 octets a 2-octet length holds
  not_a_global_tel_uri,  ///< RFC 6509 §3.2 needs "tel:+" followed by digits only
  empty_kms_uri,         ///< the KMS URI is empty
  bad_key_period,        ///< zero period length, time before the offset, or out of range
  year_out_of_range,     ///< RFC 6509 identifiers hold four-digit years only
};

[[nodiscard]] constexpr const char* describe(identity_error e) noexcept {
  switch (e) {
    case identity_error::empty_uri: return "user URI is empty";
    case identity_error::uri_contains_nul: return "URI contains a NUL octet";
    case identity_error::uri_too_long: return "URI longer than 65535 octets";
    case identity_error::not_a_global_tel_uri:
      return "RFC 6509 identifiers need a global tel URI without separators or parameters (tel:+<digits>)";
    case identity_error::empty_kms_uri: return "KMS URI is empty";
    case identity_error::bad_key_period:
      return "key period cannot be computed (zero length, time before offset, or out of range)";
    case identity_error::year_out_of_range: return "year outside 1900..9999";
  }
  return "unknown identity_error";
}

/// An identifier as used by ECCSI and SAKKE: a public octet string.
using identifier = std::vector<std::uint8_t>;

/// Which user, at which KMS, in which community schedule. URIs are compared and hashed octet by
/// octet: normalise them (RFC 3986 §6) before they get here.
struct identity_context {
  std::string_view user_uri;
  std::string_view kms_uri;
  key_period_schedule schedule;
};

/// An identity format: how a key period number follows from a time, and how the identifier
/// follows from the user, the KMS and the period number. `user_id_format` is the value of the
/// KmsCertificate UserIdFormat element that announces the format.
template <class F>
concept identity_format = requires(const F& f, const identity_context& ctx, ntp_time t,
                                   std::uint64_t period) {
  { F::user_id_format } -> std::convertible_to<std::string_view>;
  { f.period_number(ctx, t) } -> std::same_as<result<std::uint64_t, identity_error>>;
  { f.make_identifier(ctx, period) } -> std::same_as<result<identifier, identity_error>>;
};

/// The identifier for the period that contains `t`.
template <identity_format F>
[[nodiscard]] result<identifier, identity_error> identifier_at(const F& f,
                                                               const identity_context& ctx,
                                                               ntp_time t) {
  auto period = f.period_number(ctx, t);
  if (!period) return unexpected{period.error()};
  return f.make_identifier(ctx, *period);
}

namespace detail {

[[nodiscard]] constexpr bool contains_nul(std::string_view s) noexcept {
  return s.find('\0') != std::string_view::npos;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// TS 33.180 F.2.1 hashed UID

using uid = std::array<std::uint8_t, 32>;

/// Which octets SAKKE and ECCSI take as the identity of a UID. TS 33.180 F.2.1 and RFC 6509 use
/// the 32 raw octets. One deployed KMS binds RSK and SSK/PVT to the UID's 64-character lowercase
/// hex text instead; its users must then encapsulate, decapsulate, sign and verify with that text.
/// It is a property of the community (stored with it), never guessed per message.
enum class identity_convention { raw, hex_text };

[[nodiscard]] constexpr const char* describe(identity_convention c) noexcept {
  return c == identity_convention::hex_text ? "hex-text" : "raw";
}

/// "raw" or "hex-text" (the names used in files, JSON and on the command line).
[[nodiscard]] constexpr std::optional<identity_convention> parse_identity_convention(
    std::string_view s) noexcept {
  if (s == "raw") return identity_convention::raw;
  if (s == "hex-text") return identity_convention::hex_text;
  return std::nullopt;
}

/// The identity octets of a UID under a convention (the UID is public: plain hex).
[[nodiscard]] inline identifier identity_octets(std::span<const std::uint8_t> id,
                                                identity_convention c) {
  if (c == identity_convention::raw) return identifier(id.begin(), id.end());
  static constexpr char digits[] = "0123456789abcdef";
  identifier out;
  out.reserve(2 * id.size());
  for (std::uint8_t b : id) {
    out.push_back(static_cast<std::uint8_t>(digits[b >> 4]));
    out.push_back(static_cast<std::uint8_t>(digits[b & 15]));
  }
  return out;
}

/// The F.2.1 UID for (user URI, KMS URI, key period length, offset, period number).
[[nodiscard]] inline result<uid, identity_error> mikey_sakke_uid(std::string_view user_uri,
                                                                 std::string_view kms_uri,
                                                                 key_period_schedule schedule,
                                                                 std::uint64_t period_number) {
  if (user_uri.empty()) return unexpected{identity_error::empty_uri};
  if (kms_uri.empty()) return unexpected{identity_error::empty_kms_uri};
  if (detail::contains_nul(user_uri) || detail::contains_nul(kms_uri))
    return unexpected{identity_error::uri_contains_nul};
  if (user_uri.size() > 0xFFFF || kms_uri.size() > 0xFFFF)
    return unexpected{identity_error::uri_too_long};
  kdf_input s(fc::mikey_sakke_uid);
  s.add(std::string_view("MIKEY-SAKKE-UID"))
      .add(user_uri)
      .add(kms_uri)
      .add_integer(schedule.length_seconds)
      .add_integer(schedule.offset_seconds)
      .add_integer(period_number);
  auto bytes = s.bytes();
  if (!bytes) return unexpected{identity_error::uri_too_long};
  return sha256::hash(*bytes);
}

/// UserIdFormat "2": the hashed UID, key periods from the community schedule.
struct mikey_sakke_uid_format {
  static constexpr std::string_view user_id_format = "2";

  [[nodiscard]] result<std::uint64_t, identity_error> period_number(const identity_context& ctx,
                                                                    ntp_time t) const noexcept {
    auto n = key_period_number(t, ctx.schedule);
    if (!n) return unexpected{identity_error::bad_key_period};
    return *n;
  }
  [[nodiscard]] result<identifier, identity_error> make_identifier(const identity_context& ctx,
                                                                   std::uint64_t period) const {
    if (ctx.schedule.length_seconds == 0) return unexpected{identity_error::bad_key_period};
    auto u = mikey_sakke_uid(ctx.user_uri, ctx.kms_uri, ctx.schedule, period);
    if (!u) return unexpected{u.error()};
    return identifier(u->begin(), u->end());
  }
};
static_assert(identity_format<mikey_sakke_uid_format>);

// ---------------------------------------------------------------------------------------------
// RFC 6509 §3.2 identifier

/// A calendar month, counted as periods since 1900-01: number = (year − 1900)·12 + (month − 1).
struct year_month {
  int year = 1900;
  unsigned month = 1;

  [[nodiscard]] constexpr std::uint64_t period_number() const noexcept {
    return static_cast<std::uint64_t>(year - 1900) * 12 + (month - 1);
  }
  [[nodiscard]] static constexpr year_month from_period_number(std::uint64_t n) noexcept {
    return {static_cast<int>(1900 + n / 12), static_cast<unsigned>(n % 12 + 1)};
  }
  [[nodiscard]] static constexpr result<year_month, identity_error> of(ntp_time t) noexcept {
    auto c = to_civil(t);
    if (!c) return unexpected{identity_error::year_out_of_range};
    return year_month{c->date.year, c->date.month};
  }
  friend constexpr bool operator==(const year_month&, const year_month&) = default;
};

/// "YYYY-MM\0" URI "\0". Only checks what keeps the string unambiguous (no NUL, four-digit year);
/// `rfc6509_format` adds the tel URI constraints of §3.2.
[[nodiscard]] inline result<identifier, identity_error> rfc6509_identifier(year_month ym,
                                                                           std::string_view uri) {
  if (uri.empty()) return unexpected{identity_error::empty_uri};
  if (detail::contains_nul(uri)) return unexpected{identity_error::uri_contains_nul};
  if (ym.year < 1900 || ym.year > 9999 || ym.month < 1 || ym.month > 12)
    return unexpected{identity_error::year_out_of_range};
  identifier id;
  id.reserve(9 + uri.size());
  unsigned y = static_cast<unsigned>(ym.year);
  const char text[8] = {static_cast<char>('0' + y / 1000),
                        static_cast<char>('0' + y / 100 % 10),
                        static_cast<char>('0' + y / 10 % 10),
                        static_cast<char>('0' + y % 10),
                        '-',
                        static_cast<char>('0' + ym.month / 10),
                        static_cast<char>('0' + ym.month % 10),
                        '\0'};
  id.insert(id.end(), text, text + 8);
  id.insert(id.end(), uri.begin(), uri.end());
  id.push_back(0);
  return id;
}

/// RFC 6509 §3.2 constraints on the tel URI: global notation, no visual separators, no
/// parameters (so no phone-context): exactly "tel:+" followed by one or more digits.
[[nodiscard]] constexpr bool is_rfc6509_tel_uri(std::string_view uri) noexcept {
  constexpr std::string_view prefix = "tel:+";
  if (uri.size() <= prefix.size() || uri.substr(0, prefix.size()) != prefix) return false;
  for (char c : uri.substr(prefix.size()))
    if (c < '0' || c > '9') return false;
  return true;
}

/// UserIdFormat "1": RFC 6509 identifiers with monthly key periods. The KMS URI and the
/// community schedule do not enter the identifier.
struct rfc6509_format {
  static constexpr std::string_view user_id_format = "1";

  [[nodiscard]] result<std::uint64_t, identity_error> period_number(const identity_context&,
                                                                    ntp_time t) const noexcept {
    auto ym = year_month::of(t);
    if (!ym) return unexpected{ym.error()};
    return ym->period_number();
  }
  [[nodiscard]] result<identifier, identity_error> make_identifier(const identity_context& ctx,
                                                                   std::uint64_t period) const {
    if (ctx.user_uri.empty()) return unexpected{identity_error::empty_uri};
    if (!is_rfc6509_tel_uri(ctx.user_uri)) return unexpected{identity_error::not_a_global_tel_uri};
    if (period > year_month{9999, 12}.period_number())
      return unexpected{identity_error::year_out_of_range};
    return rfc6509_identifier(year_month::from_period_number(period), ctx.user_uri);
  }
};
static_assert(identity_format<rfc6509_format>);

}  // namespace skm::km
