// SPDX-License-Identifier: BSD-3-Clause
// ECCSI (RFC 6507) errors: every rejection names the check that failed.
#pragma once

#include "skm/ec/encoding.hpp"

namespace skm::eccsi {

enum class error {
  // signature format (RFC 6507 §3.3: r || s || PVT)
  bad_signature_length,  ///< not exactly 2N + 1 + 2N octets
  r_out_of_range,        ///< r is 0 or >= p (r is an x-coordinate)
  s_out_of_range,        ///< s is 0 or >= q
  // PVT (in a signature or a received key pair)
  pvt_bad_format,    ///< wrong length or not 0x04 || x || y
  pvt_out_of_range,  ///< a coordinate >= p
  pvt_not_on_curve,  ///< §5.1.2 step 1 / §5.2.2 step 1
  pvt_identity,      ///< the point at infinity
  pvt_mismatch,      ///< a per-signer context was asked to verify a signature with another PVT
  // signature value
  j_is_identity,  ///< §5.2.2 step 5 gave the point at infinity
  jx_mismatch,    ///< §5.2.2 step 6: Jx != r (mod p): the signature is not valid
  // KMS public key (KPAK)
  kpak_bad_format,
  kpak_out_of_range,
  kpak_not_on_curve,  ///< §4.2: "each device MUST check that the supplied KPAK lies on E"
  kpak_identity,
  kpak_not_in_subgroup,
  // secrets
  ksak_bad_length,    ///< KSAK encoding is not exactly N octets
  ksak_out_of_range,  ///< KSAK is 0 or >= q
  ssk_bad_length,     ///< SSK encoding is not exactly N octets
  ssk_out_of_range,   ///< SSK is 0 or >= q
  hs_zero,            ///< HS = 0 mod q: a KMS must not issue such a pair (§5.1.1 step 5)
  ssk_invalid,        ///< §5.1.2 step 3: KPAK != [SSK]G - [HS]PVT
  // randomness
  retries_exhausted,  ///< the random source produced only degenerate values
};

[[nodiscard]] constexpr const char* describe(error e) noexcept {
  switch (e) {
    case error::bad_signature_length: return "ECCSI signature has the wrong length";
    case error::r_out_of_range: return "ECCSI signature r is zero or not less than p";
    case error::s_out_of_range: return "ECCSI signature s is zero or not less than q";
    case error::pvt_bad_format: return "PVT is not an uncompressed point of the right length";
    case error::pvt_out_of_range: return "PVT coordinate is not less than p";
    case error::pvt_not_on_curve: return "PVT is not on the curve";
    case error::pvt_identity: return "PVT is the point at infinity";
    case error::pvt_mismatch: return "signature carries a PVT other than the signer context's";
    case error::j_is_identity: return "verification point J is the point at infinity";
    case error::jx_mismatch: return "signature does not verify (Jx != r)";
    case error::kpak_bad_format: return "KPAK is not an uncompressed point of the right length";
    case error::kpak_out_of_range: return "KPAK coordinate is not less than p";
    case error::kpak_not_on_curve: return "KPAK is not on the curve";
    case error::kpak_identity: return "KPAK is the point at infinity";
    case error::kpak_not_in_subgroup: return "KPAK is not in the order-q subgroup";
    case error::ksak_bad_length: return "KSAK has the wrong length";
    case error::ksak_out_of_range: return "KSAK is zero or not less than q";
    case error::ssk_bad_length: return "SSK has the wrong length";
    case error::ssk_out_of_range: return "SSK is zero or not less than q";
    case error::hs_zero: return "HS is zero modulo q";
    case error::ssk_invalid: return "SSK does not match KPAK, ID and PVT";
    case error::retries_exhausted: return "random source produced only degenerate values";
  }
  return "unknown eccsi::error";
}

namespace detail {
[[nodiscard]] constexpr error pvt_error(ec::point_error e) noexcept {
  switch (e) {
    case ec::point_error::x_out_of_range:
    case ec::point_error::y_out_of_range: return error::pvt_out_of_range;
    case ec::point_error::not_on_curve:
    case ec::point_error::not_in_subgroup: return error::pvt_not_on_curve;
    case ec::point_error::identity: return error::pvt_identity;
    case ec::point_error::bad_length:
    case ec::point_error::bad_prefix:
    case ec::point_error::compressed_form: break;
  }
  return error::pvt_bad_format;
}
[[nodiscard]] constexpr error kpak_error(ec::point_error e) noexcept {
  switch (e) {
    case ec::point_error::x_out_of_range:
    case ec::point_error::y_out_of_range: return error::kpak_out_of_range;
    case ec::point_error::not_on_curve: return error::kpak_not_on_curve;
    case ec::point_error::not_in_subgroup: return error::kpak_not_in_subgroup;
    case ec::point_error::identity: return error::kpak_identity;
    case ec::point_error::bad_length:
    case ec::point_error::bad_prefix:
    case ec::point_error::compressed_form: break;
  }
  return error::kpak_bad_format;
}
}  // namespace detail

}  // namespace skm::eccsi
