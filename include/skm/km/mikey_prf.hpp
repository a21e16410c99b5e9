// SPDX-License-Identifier: BSD-3-Clause
// The MIKEY pseudo-random function and the keys derived with it.
//
// RFC 3830 §4.1.2: with HMAC over hash H (output h bits),
//     P(s, label, m) = HMAC(s, A_1 || label) || HMAC(s, A_2 || label) || … || HMAC(s, A_m || label)
//     A_0 = label,  A_i = HMAC(s, A_(i-1))
//   inkey is split into n = ceil(inkey_len / 256) blocks s_1 … s_n (the last may be shorter),
//   m = ceil(outkey_len / h), and outkey = the outkey_len most significant bits of
//     P(s_1, label, m) XOR … XOR P(s_n, label, m).
// PRF func 0 (MIKEY-1) uses HMAC-SHA-1 (h = 160); PRF func 1 (PRF-HMAC-SHA-256, RFC 6043 §6.1)
// uses HMAC-SHA-256 with h = 256. The 256-bit inkey block size is the same for both.
//
// Labels:
//   from a TGK  (§4.1.3): constant || cs_id (1) || csb_id (4) || RAND
//   from an envelope / pre-shared key (§4.1.4): constant || 0xFF || csb_id (4) || RAND
// In MIKEY-SAKKE (RFC 6509) the TGK is the SSV, i.e. the GMK / PCK / CSK / MuSiK carried by the
// I_MESSAGE, so the SRTP master key is the TEK and the master salt the salting key derived from it.
#pragma once

#include <cryptopp/hmac.h>
#include <cryptopp/sha.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "skm/common/ct.hpp"
#include "skm/common/result.hpp"
#include "skm/km/key_id.hpp"
#include "skm/km/secret.hpp"

namespace skm::km {

/// The HDR payload's PRF func field (RFC 3830 §6.1, RFC 6043 Table 6.3).
enum class mikey_prf : std::uint8_t {
  mikey_1 = 0,           ///< HMAC-SHA-1 (RFC 3830 default)
  prf_hmac_sha_256 = 1,  ///< HMAC-SHA-256 (RFC 6043), the value TS 33.180 uses
};

enum class prf_error {
  empty_key,        ///< inkey of length zero
  unknown_prf,      ///< a PRF func value skm does not implement
  rand_too_short,   ///< RAND shorter than the 128 bits RFC 3830 §4.1.1 requires
  rand_too_long,    ///< RAND longer than the 255 octets its payload can carry
  output_too_long,  ///< more output asked for than the PRF will produce (2^20 octets here)
  label_too_long,   ///< label beyond 2^16 octets
};

[[nodiscard]] constexpr const char* describe(prf_error e) noexcept {
  switch (e) {
    case prf_error::empty_key: return "MIKEY PRF input key is empty";
    case prf_error::unknown_prf: return "unknown MIKEY PRF function";
    case prf_error::rand_too_short: return "RAND shorter than 16 octets";
    case prf_error::rand_too_long: return "RAND longer than 255 octets";
    case prf_error::output_too_long: return "requested MIKEY PRF output too long";
    case prf_error::label_too_long: return "MIKEY PRF label too long";
  }
  return "unknown prf_error";
}

namespace detail {

inline constexpr std::size_t prf_inkey_block = 32;       // 256 bits, both PRFs
inline constexpr std::size_t prf_max_output = 1u << 20;  // generous; SRTP needs 30 octets at most

/// out ^= P(s, label, m) truncated to out.size() octets.
template <class Hash>
void mikey_p_xor(std::span<const std::uint8_t> s, std::span<const std::uint8_t> label,
                 std::span<std::uint8_t> out) {
  constexpr std::size_t h = Hash::DIGESTSIZE;
  CryptoPP::HMAC<Hash> mac(s.data(), s.size());
  std::array<std::uint8_t, h> a{};      // A_i
  std::array<std::uint8_t, h> block{};  // HMAC(s, A_i || label)
  // A_1 = HMAC(s, A_0) with A_0 = label.
  mac.Update(label.data(), label.size());
  mac.Final(a.data());
  for (std::size_t done = 0; done < out.size(); done += h) {
    mac.Update(a.data(), a.size());
    mac.Update(label.data(), label.size());
    mac.Final(block.data());
    const std::size_t n = std::min(h, out.size() - done);
    for (std::size_t i = 0; i < n; ++i) out[done + i] ^= block[i];
    mac.Update(a.data(), a.size());  // A_(i+1) = HMAC(s, A_i)
    mac.Final(a.data());
  }
  ct::wipe(a.data(), a.size());
  ct::wipe(block.data(), block.size());
}

}  // namespace detail

/// PRF(inkey, label) into `out` (out.size() octets = outkey_len / 8). No value means success;
/// on an error `out` is left untouched.
[[nodiscard]] inline std::optional<prf_error> mikey_prf_into(mikey_prf prf,
                                                             std::span<const std::uint8_t> inkey,
                                                             std::span<const std::uint8_t> label,
                                                             std::span<std::uint8_t> out) {
  if (inkey.empty()) return prf_error::empty_key;
  if (out.size() > detail::prf_max_output) return prf_error::output_too_long;
  if (label.size() > 0xFFFF) return prf_error::label_too_long;
  if (prf != mikey_prf::mikey_1 && prf != mikey_prf::prf_hmac_sha_256)
    return prf_error::unknown_prf;
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  for (std::size_t off = 0; off < inkey.size(); off += detail::prf_inkey_block) {
    const auto s = inkey.subspan(off, std::min(detail::prf_inkey_block, inkey.size() - off));
    if (prf == mikey_prf::mikey_1)
      detail::mikey_p_xor<CryptoPP::SHA1>(s, label, out);
    else
      detail::mikey_p_xor<CryptoPP::SHA256>(s, label, out);
  }
  return std::nullopt;
}

/// PRF(inkey, label) → `n` octets.
[[nodiscard]] inline result<secret_bytes, prf_error> mikey_prf_derive(
    mikey_prf prf, std::span<const std::uint8_t> inkey, std::span<const std::uint8_t> label,
    std::size_t n) {
  if (n > detail::prf_max_output) return unexpected{prf_error::output_too_long};
  secret_bytes out(n);
  if (auto e = mikey_prf_into(prf, inkey, label, out.span())) return unexpected{*e};
  return out;
}

/// Label constants, RFC 3830 Tables 4.1.3 and 4.1.4.
enum class tgk_constant : std::uint32_t {
  tek = 0x2AD01C64,
  authentication_key = 0x1B5C7973,
  encryption_key = 0x15798CEF,
  salting_key = 0x39A2C14B,
};
enum class envelope_constant : std::uint32_t {
  encryption_key = 0x150533E1,
  authentication_key = 0x2D22AC75,
  salt_key = 0x29B88916,
};

namespace detail {
inline void put_u32(std::vector<std::uint8_t>& v, std::uint32_t x) {
  for (int shift = 24; shift >= 0; shift -= 8) v.push_back(static_cast<std::uint8_t>(x >> shift));
}
[[nodiscard]] inline result<std::vector<std::uint8_t>, prf_error> make_label(
    std::uint32_t constant, std::uint8_t cs_byte, std::uint32_t csb_id,
    std::span<const std::uint8_t> rand) {
  if (rand.size() < 16) return unexpected{prf_error::rand_too_short};
  if (rand.size() > 255) return unexpected{prf_error::rand_too_long};
  std::vector<std::uint8_t> label;
  label.reserve(9 + rand.size());
  put_u32(label, constant);
  label.push_back(cs_byte);
  put_u32(label, csb_id);
  label.insert(label.end(), rand.begin(), rand.end());
  return label;
}
}  // namespace detail

/// RFC 3830 §4.1.3 label: constant || cs_id || csb_id || RAND.
[[nodiscard]] inline result<std::vector<std::uint8_t>, prf_error> tgk_label(
    tgk_constant c, std::uint8_t cs_id, std::uint32_t csb_id, std::span<const std::uint8_t> rand) {
  return detail::make_label(static_cast<std::uint32_t>(c), cs_id, csb_id, rand);
}

/// RFC 3830 §4.1.4 label: constant || 0xFF || csb_id || RAND.
[[nodiscard]] inline result<std::vector<std::uint8_t>, prf_error> envelope_label(
    envelope_constant c, std::uint32_t csb_id, std::span<const std::uint8_t> rand) {
  return detail::make_label(static_cast<std::uint32_t>(c), 0xFF, csb_id, rand);
}

/// A key derived from a TGK (§4.1.3): PRF(TGK, constant || cs_id || csb_id || RAND), n octets.
[[nodiscard]] inline result<secret_bytes, prf_error> derive_from_tgk(
    mikey_prf prf, std::span<const std::uint8_t> tgk, tgk_constant c, std::uint8_t cs_id,
    std::uint32_t csb_id, std::span<const std::uint8_t> rand, std::size_t n) {
  auto label = tgk_label(c, cs_id, csb_id, rand);
  if (!label) return unexpected{label.error()};
  return mikey_prf_derive(prf, tgk, *label, n);
}

/// A key derived from an envelope or pre-shared key (§4.1.4).
[[nodiscard]] inline result<secret_bytes, prf_error> derive_from_envelope_key(
    mikey_prf prf, std::span<const std::uint8_t> key, envelope_constant c, std::uint32_t csb_id,
    std::span<const std::uint8_t> rand, std::size_t n) {
  auto label = envelope_label(c, csb_id, rand);
  if (!label) return unexpected{label.error()};
  return mikey_prf_derive(prf, key, *label, n);
}

/// SRTP master key and master salt for one crypto session.
struct srtp_master {
  secret_bytes key;   ///< the TEK
  secret_bytes salt;  ///< the salting key
};

/// The SRTP master key (TEK, `key_len` octets) and master salt (`salt_len` octets) of crypto
/// session `cs_id` from the TGK. TS 33.180's default profiles use 16-octet keys with 12-octet
/// salts (AES-GCM, 3gpp-notes D.1); RFC 3711's AES-CM uses 14-octet salts.
[[nodiscard]] inline result<srtp_master, prf_error> derive_srtp_master(
    mikey_prf prf, std::span<const std::uint8_t> tgk, std::uint8_t cs_id, std::uint32_t csb_id,
    std::span<const std::uint8_t> rand, std::size_t key_len = 16, std::size_t salt_len = 12) {
  auto key = derive_from_tgk(prf, tgk, tgk_constant::tek, cs_id, csb_id, rand, key_len);
  if (!key) return unexpected{key.error()};
  auto salt = derive_from_tgk(prf, tgk, tgk_constant::salting_key, cs_id, csb_id, rand, salt_len);
  if (!salt) return unexpected{salt.error()};
  return srtp_master{std::move(*key), std::move(*salt)};
}

// ---------------------------------------------------------------------------------------------
// MKI (SRTP Master Key Identifier)
//
// Group communication: MKI = GMK-ID || GUK-ID (8 octets), the same value the GMK message's
// GENERIC-ID map carries as SPI (3gpp-notes §A.1 / D.3; TS 33.180 §7.4.2 as cited by an open
// implementation, not read in the spec text). Other keys: the 4-octet key ID (PCK-ID, CSK-ID, …)
// — unconfirmed, see docs/key-management.md.

[[nodiscard]] constexpr std::array<std::uint8_t, 8> group_mki(sk_id gmk_id, sk_id guk_id) noexcept {
  const auto a = gmk_id.to_bytes();
  const auto b = guk_id.to_bytes();
  return {a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]};
}

[[nodiscard]] constexpr std::array<std::uint8_t, 4> key_id_mki(sk_id id) noexcept {
  return id.to_bytes();
}

}  // namespace skm::km
