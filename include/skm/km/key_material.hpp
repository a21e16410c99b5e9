// SPDX-License-Identifier: BSD-3-Clause
// The key material of a MIKEY-SAKKE community, as octet strings, and its validation.
//
//   community_public_values   what a KMS publishes (its KmsCertificate): KMS URI, key period
//                             schedule, SAKKE parameter set, Z (SAKKE KMS public key) and KPAK
//                             (ECCSI KMS public authentication key)
//   user_key_set              what a KMS issues to one user for one key period (its KmsKeySet):
//                             UID, RSK (SAKKE receiver secret key), SSK (ECCSI secret signing
//                             key) and PVT (ECCSI public validation token)
//
// Validation, as a receiver of these values must do it before use:
//   Z      0x04 || x || y on the parameter-set-1 curve, coordinates < p, not the identity, and
//          in the order-q subgroup ([q]Z = O: Z is long-lived, RFC 6508 §2.2)
//   KPAK   on P-256, not the identity (RFC 6507 §4.2)
//   RSK    on the curve, of order q, and <[b]P + Z, RSK> = g (RFC 6508 §6.1.2), b = the UID
//   SSK    in [1, q-1], PVT on P-256, and KPAK = [SSK]G - [HS]PVT (RFC 6507 §5.1.2)
//
// The RSK check here does not go through sakke::validate_rsk: that takes a sakke::kms_public_key,
// whose constructor builds the wide fixed-base table of Z (meant for a community used many times),
// far more work than one validation. The same three steps are done with the shared table of P
// and one checked Miller loop (which also proves [q]RSK = O, see sakke/receiver.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "skm/common/ct.hpp"
#include "skm/common/result.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/ec/ec.hpp"
#include "skm/eccsi/eccsi.hpp"
#include "skm/km/identity.hpp"
#include "skm/km/secret.hpp"
#include "skm/km/time.hpp"
#include "skm/pairing/tate.hpp"
#include "skm/sakke/sakke.hpp"

namespace skm::km {

using sakke_curve = curves::sakke_param_set_1;  ///< RFC 6509 parameter set 1
using eccsi_curve = curves::p256;
using sakke_scheme = sakke::scheme<sakke_curve>;
using eccsi_suite = eccsi::suite<eccsi_curve, sha256>;

inline constexpr std::size_t z_octets = sakke_scheme::point_bytes;          ///< 257
inline constexpr std::size_t rsk_octets = sakke_scheme::point_bytes;        ///< 257
inline constexpr std::size_t kpak_octets = eccsi_suite::point_size;         ///< 65
inline constexpr std::size_t pvt_octets = eccsi_suite::point_size;          ///< 65
inline constexpr std::size_t ssk_octets = eccsi_suite::N;                   ///< 32
inline constexpr std::uint64_t sakke_parameter_set = sakke_curve::iana_id;  ///< 1

enum class key_error {
  unsupported_parameter_set,  ///< a SAKKE parameter set other than 1
  bad_z,                      ///< Z is not a point of order q on the SAKKE curve
  bad_kpak,                   ///< KPAK is not a point of P-256 (or is the identity)
  bad_identifier,             ///< the UID cannot be used as a SAKKE identifier (not in [2, q-1])
  bad_rsk_encoding,           ///< RSK is not an uncompressed point on the SAKKE curve
  rsk_not_in_subgroup,        ///< [q]RSK != O
  rsk_invalid,                ///< <[b]P + Z, RSK> != g: the RSK does not belong to this UID and Z
  bad_ssk,                    ///< SSK has the wrong length or is not in [1, q-1]
  bad_pvt,                    ///< PVT is not a point of P-256
  ssk_invalid,  ///< KPAK != [SSK]G - [HS]PVT: SSK/PVT do not belong to this UID and KPAK
};

[[nodiscard]] constexpr const char* describe(key_error e) noexcept {
  switch (e) {
    case key_error::unsupported_parameter_set:
      return "unsupported SAKKE parameter set (only 1 is supported)";
    case key_error::bad_z: return "Z (PubEncKey) is not a point of order q on the SAKKE curve";
    case key_error::bad_kpak: return "KPAK (PubAuthKey) is not a valid P-256 point";
    case key_error::bad_identifier: return "UID is not usable as a SAKKE identifier";
    case key_error::bad_rsk_encoding: return "RSK is not an uncompressed point on the SAKKE curve";
    case key_error::rsk_not_in_subgroup: return "RSK is not in the order-q subgroup";
    case key_error::rsk_invalid:
      return "RSK does not validate against the UID and Z (RFC 6508 §6.1.2)";
    case key_error::bad_ssk: return "SSK has the wrong length or is not in [1, q-1]";
    case key_error::bad_pvt: return "PVT is not a valid P-256 point";
    case key_error::ssk_invalid:
      return "SSK/PVT do not validate against the UID and KPAK (RFC 6507 §5.1.2)";
  }
  return "unknown key_error";
}

/// A community's public values (the content of its KmsCertificate that skm uses). UserIdFormat
/// "2" (the TS 33.180 F.2.1 UID) is implied.
struct community_public_values {
  std::string kms_uri;
  key_period_schedule schedule;
  std::uint64_t parameter_set = sakke_parameter_set;
  std::array<std::uint8_t, z_octets> z{};        ///< SAKKE KMS public key, 0x04 || x || y
  std::array<std::uint8_t, kpak_octets> kpak{};  ///< ECCSI KPAK, 0x04 || x || y
  /// The identity octets SAKKE and ECCSI use for a UID in this community (identity.hpp).
  identity_convention convention = identity_convention::raw;

  /// What SAKKE and ECCSI take as the identity of `id` in this community.
  [[nodiscard]] identifier identity_of(const uid& id) const {
    return identity_octets(id, convention);
  }

  [[nodiscard]] identity_context context_for(std::string_view user_uri) const noexcept {
    return {user_uri, kms_uri, schedule};
  }
};

/// One user's keys for one key period. RSK and SSK are secret and wipe themselves.
struct user_key_set {
  std::string user_uri;
  std::string kms_uri;
  std::uint64_t period = 0;
  uid id{};                      ///< the F.2.1 UID for (user_uri, kms_uri, schedule, period)
  secret_array<rsk_octets> rsk;  ///< SAKKE RSK, 0x04 || x || y
  secret_array<ssk_octets> ssk;  ///< ECCSI SSK
  std::array<std::uint8_t, pvt_octets> pvt{};  ///< ECCSI PVT, 0x04 || x || y
};

// ---------------------------------------------------------------------------------------------
// Checks on octet strings

[[nodiscard]] inline std::optional<key_error> check_parameter_set(std::uint64_t set) noexcept {
  if (set != sakke_parameter_set) return key_error::unsupported_parameter_set;
  return std::nullopt;
}

/// Z: uncompressed, on the curve, not the identity, order q.
[[nodiscard]] inline result<ec::affine_point<sakke_curve>, key_error> decode_z(
    std::span<const std::uint8_t> z) {
  const auto p = ec::decode_uncompressed<sakke_curve>(z, ec::subgroup_check::require);
  if (!p) return unexpected{key_error::bad_z};
  return *p;
}

/// KPAK: uncompressed, on P-256, not the identity.
[[nodiscard]] inline result<eccsi::public_key<>, key_error> decode_kpak(
    std::span<const std::uint8_t> kpak) {
  auto k = eccsi::public_key<>::from_bytes(kpak);
  if (!k) return unexpected{key_error::bad_kpak};
  return *k;
}

/// RFC 6508 §6.1.2 for the RSK of identifier `id` under the KMS public key `z` (already decoded).
[[nodiscard]] inline std::optional<key_error> check_rsk(const ec::affine_point<sakke_curve>& z,
                                                        std::span<const std::uint8_t> id,
                                                        std::span<const std::uint8_t> rsk_bytes) {
  using S = sakke_scheme;
  const auto b = S::identifier_value(id);
  if (!b) return key_error::bad_identifier;
  const auto i = ec::add_vartime(S::p_table().mul_vartime(*b), z);  // I = [b]P + Z (public)
  if (ec::is_identity(i).declassify()) return key_error::bad_identifier;
  auto rsk = sakke::decode_rsk<sakke_curve>(rsk_bytes);
  if (!rsk) return key_error::bad_rsk_encoding;
  const auto m = pairing::tate<sakke_curve>::miller_loop_checked(
      S::coords(*rsk), S::coords(ec::to_affine_vartime(i)));
  ct::wipe_object(*rsk);
  if (!m.driver_has_order_q.declassify()) return key_error::rsk_not_in_subgroup;
  const auto w = pairing::tate<sakke_curve>::final_power(m.value);
  if (!ct_equal(w, pfp<typename S::Fp>::from_canonical(S::g())).declassify())
    return key_error::rsk_invalid;
  return std::nullopt;
}

/// RFC 6507 §5.1.2 for (SSK, PVT) of identifier `id` under `kpak`.
[[nodiscard]] inline std::optional<key_error> check_ssk_pvt(const eccsi::public_key<>& kpak,
                                                            std::span<const std::uint8_t> id,
                                                            std::span<const std::uint8_t> ssk,
                                                            std::span<const std::uint8_t> pvt) {
  const auto s = eccsi::signer<>::create(kpak, id, ssk, pvt);
  if (s) return std::nullopt;
  switch (s.error()) {
    case eccsi::error::ssk_bad_length:
    case eccsi::error::ssk_out_of_range: return key_error::bad_ssk;
    case eccsi::error::ssk_invalid:
    case eccsi::error::hs_zero: return key_error::ssk_invalid;
    default: return key_error::bad_pvt;
  }
}

/// The certificate's keys: parameter set, Z and KPAK.
[[nodiscard]] inline std::optional<key_error> check_community_keys(
    std::uint64_t parameter_set, std::span<const std::uint8_t> z,
    std::span<const std::uint8_t> kpak) {
  if (auto e = check_parameter_set(parameter_set)) return e;
  if (auto p = decode_z(z); !p) return p.error();
  if (auto k = decode_kpak(kpak); !k) return k.error();
  return std::nullopt;
}

/// A user's RSK, SSK and PVT for identifier `id` against the community's Z and KPAK.
[[nodiscard]] inline std::optional<key_error> check_user_keys(
    std::span<const std::uint8_t> z_bytes, std::span<const std::uint8_t> kpak_bytes,
    std::span<const std::uint8_t> id, std::span<const std::uint8_t> rsk,
    std::span<const std::uint8_t> ssk, std::span<const std::uint8_t> pvt) {
  const auto z = decode_z(z_bytes);
  if (!z) return z.error();
  const auto kpak = decode_kpak(kpak_bytes);
  if (!kpak) return kpak.error();
  if (auto e = check_rsk(*z, id, rsk)) return e;
  return check_ssk_pvt(*kpak, id, ssk, pvt);
}

/// A whole key set against its community: UID recomputed and compared, then the key checks.
/// Returns the first failure; `uid_mismatch` is reported as bad_identifier.
[[nodiscard]] inline std::optional<key_error> check_user_key_set(const community_public_values& c,
                                                                 const user_key_set& k) {
  if (auto e = check_parameter_set(c.parameter_set)) return e;
  const auto expected = mikey_sakke_uid(k.user_uri, c.kms_uri, c.schedule, k.period);
  if (!expected || k.kms_uri != c.kms_uri || *expected != k.id) return key_error::bad_identifier;
  return check_user_keys(c.z, c.kpak, c.identity_of(k.id), k.rsk.span(), k.ssk.span(), k.pvt);
}

}  // namespace skm::km
