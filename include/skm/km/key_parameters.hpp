// SPDX-License-Identifier: BSD-3-Clause
// The 3GPP key-parameters General Extension (MIKEY ext type 7, TS 33.180 E.6), as deployed
// (3gpp-notes D.6): an MCData-style protected payload whose plaintext is a "Key Parameters" IE.
//
//   Protected payload (all big-endian):
//   +------+-----------+------------+-----+-----+---------+----------+-----+--------+--------------+
//   | 0x43 | date-time | payload ID | seq | alg |   IV    | DPPK-ID  | IEI | length | ct || tag |
//   |  1   |     5     |     4      |  1  |  1  |   16    |    4     |  1  |   2    | length |
//   +------+-----------+------------+-----+-----+---------+----------+-----+--------+--------------+
//   alg 1 = AES-128-GCM with a 16-octet tag; AAD = the first 32 octets (the first 12 || IV ||
//   DPPK-ID); key DPCK = 128 LSB of KDF(DPPK, FC 0x53, DPPK-ID) where DPPK = the key the MIKEY
//   message carries and DPPK-ID = its CSB ID. Payload ID and sequence number are 0.
//
//   Key Parameters plaintext (TS 33.180 table E.6.1-1, the part seen):
//   key type (1; the purpose tag) | status (4) | activation time (5) | expiry time (5) |
//   text (2-octet length || octets) | further IEs (kept opaque)
//
// Facts here are [I+V] in the notes: one vendor message decrypts this way. The IEI (0x00 there)
// is not covered by the GCM tag; it is checked to be 0x00 (inside a MIKEY message the ECCSI
// signature covers it anyway). Whether 3GPP assigns another IEI value is an open question.
#pragma once

#include <cryptopp/aes.h>
#include <cryptopp/gcm.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/km/kdf.hpp"
#include "skm/km/secret.hpp"
#include "skm/km/time.hpp"

namespace skm::km {

enum class key_parameters_error {
  truncated,              ///< shorter than its fields say
  bad_message_type,       ///< first octet is not 0x43
  unsupported_algorithm,  ///< algorithm other than 1 (AES-128-GCM)
  key_id_mismatch,        ///< DPPK-ID differs from the message's CSB ID
  length_mismatch,        ///< the IE length does not match the rest of the payload
  unexpected_iei,         ///< an IEI other than the 0x00 seen in deployed messages
  authentication_failed,  ///< the GCM tag does not verify (wrong key or tampered)
  text_too_long,          ///< text longer than 65535 octets
  bad_key,                ///< the DPPK is empty
};

[[nodiscard]] constexpr const char* describe(key_parameters_error e) noexcept {
  switch (e) {
    case key_parameters_error::truncated: return "key parameters payload is truncated";
    case key_parameters_error::bad_message_type:
      return "key parameters payload does not start with message type 0x43";
    case key_parameters_error::unsupported_algorithm:
      return "key parameters payload uses an algorithm other than AES-128-GCM";
    case key_parameters_error::key_id_mismatch:
      return "key parameters DPPK-ID differs from the CSB ID";
    case key_parameters_error::length_mismatch:
      return "key parameters IE length does not match the payload";
    case key_parameters_error::unexpected_iei: return "key parameters IEI is not 0x00";
    case key_parameters_error::authentication_failed:
      return "key parameters do not authenticate under the DPCK";
    case key_parameters_error::text_too_long: return "key parameters text longer than 65535 octets";
    case key_parameters_error::bad_key: return "key parameters need a non-empty key";
  }
  return "unknown key_parameters_error";
}

/// The decrypted Key Parameters IE.
struct key_parameters {
  std::uint8_t key_type = 0;                      ///< the purpose tag (0 GMK, 1 PCK, …)
  std::uint32_t status = 1;                       ///< 0x1 = not revoked (as deployed)
  std::array<std::uint8_t, 5> activation_time{};  ///< as carried (0 = none)
  std::array<std::uint8_t, 5> expiry_time{};      ///< as carried (0 = none)
  std::vector<std::uint8_t> text;
  std::vector<std::uint8_t> further;  ///< IEs after the text, opaque

  friend bool operator==(const key_parameters&, const key_parameters&) = default;
};

/// Status bit 0 set means "not revoked" as deployed (3gpp-notes D.6: 0x1 not revoked, 0x2 shared
/// with a security gateway); a status with bit 0 clear marks a revoked key, which a receiver
/// refuses (i_message_error::key_revoked).
inline constexpr std::uint32_t key_status_not_revoked = 0x1;

[[nodiscard]] constexpr bool is_revoked(const key_parameters& kp) noexcept {
  return (kp.status & key_status_not_revoked) == 0;
}

/// An activation or expiry time as the 40-bit count of seconds since the NTP epoch (1900) that
/// the 5 octets carry (TS 24.379 Annex I date and time; the encoding is [U] in the notes: the one
/// vendor message carries 0); none for 0, which means "not given".
[[nodiscard]] constexpr std::optional<ntp_time> key_parameter_time(
    const std::array<std::uint8_t, 5>& t) noexcept {
  std::uint64_t v = 0;
  for (const auto x : t) v = v << 8 | x;
  if (v == 0) return std::nullopt;
  return ntp_time{v, 0};
}

/// The inverse of key_parameter_time (times beyond 40 bits are clamped to the largest).
[[nodiscard]] constexpr std::array<std::uint8_t, 5> key_parameter_time_octets(ntp_time t) noexcept {
  const std::uint64_t v =
      t.seconds < (std::uint64_t{1} << 40) ? t.seconds : (std::uint64_t{1} << 40) - 1;
  std::array<std::uint8_t, 5> out{};
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(v >> (8 * (4 - i)));
  return out;
}

namespace detail {

inline constexpr std::uint8_t protected_payload_type = 0x43;
inline constexpr std::uint8_t aes_128_gcm = 1;
inline constexpr std::uint8_t key_parameters_iei =
    0x00;  // as deployed; outside the GCM AAD, so checked here
inline constexpr std::size_t kp_iv_octets = 16;
inline constexpr std::size_t kp_tag_octets = 16;
inline constexpr std::size_t kp_aad_octets = 32;     // type .. alg (12) || IV (16) || DPPK-ID (4)
inline constexpr std::size_t kp_header_octets = 35;  // the AAD, IEI (1), length (2)

inline void put_be(std::vector<std::uint8_t>& v, std::uint64_t x, int octets) {
  for (int i = octets - 1; i >= 0; --i) v.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
}

}  // namespace detail

/// The plaintext IE content.
[[nodiscard]] inline result<std::vector<std::uint8_t>, key_parameters_error> encode_key_parameters(
    const key_parameters& kp) {
  if (kp.text.size() > 0xFFFF) return unexpected{key_parameters_error::text_too_long};
  std::vector<std::uint8_t> out;
  out.push_back(kp.key_type);
  detail::put_be(out, kp.status, 4);
  out.insert(out.end(), kp.activation_time.begin(), kp.activation_time.end());
  out.insert(out.end(), kp.expiry_time.begin(), kp.expiry_time.end());
  detail::put_be(out, kp.text.size(), 2);
  out.insert(out.end(), kp.text.begin(), kp.text.end());
  out.insert(out.end(), kp.further.begin(), kp.further.end());
  return out;
}

[[nodiscard]] inline result<key_parameters, key_parameters_error> decode_key_parameters(
    std::span<const std::uint8_t> in) {
  if (in.size() < 17) return unexpected{key_parameters_error::truncated};
  key_parameters kp;
  kp.key_type = in[0];
  kp.status =
      std::uint32_t{in[1]} << 24 | std::uint32_t{in[2]} << 16 | std::uint32_t{in[3]} << 8 | in[4];
  std::copy(in.begin() + 5, in.begin() + 10, kp.activation_time.begin());
  std::copy(in.begin() + 10, in.begin() + 15, kp.expiry_time.begin());
  // The text length is structure, parsed like any message: public even when the rest of the
  // plaintext is not (for the constant-time suite, common/ct.hpp).
  ct::mark_public(in.data() + 15, 2);
  const std::size_t text_len = std::size_t{in[15]} << 8 | in[16];
  if (in.size() - 17 < text_len) return unexpected{key_parameters_error::truncated};
  kp.text.assign(in.begin() + 17, in.begin() + 17 + static_cast<std::ptrdiff_t>(text_len));
  kp.further.assign(in.begin() + 17 + static_cast<std::ptrdiff_t>(text_len), in.end());
  return kp;
}

/// The protected payload (extension data) for `kp` under the key `dppk` with ID `dppk_id`.
/// `date_time` is copied as carried; the IV comes from `rng`.
template <random_source Rng>
[[nodiscard]] result<std::vector<std::uint8_t>, key_parameters_error> protect_key_parameters(
    const key_parameters& kp, std::span<const std::uint8_t> dppk, std::uint32_t dppk_id,
    std::array<std::uint8_t, 5> date_time, Rng& rng) {
  if (dppk.empty()) return unexpected{key_parameters_error::bad_key};
  auto plain = encode_key_parameters(kp);
  if (!plain) return unexpected{plain.error()};
  if (plain->size() + detail::kp_tag_octets > 0xFFFF)
    return unexpected{key_parameters_error::text_too_long};
  const auto dpck = derive_dpck(dppk, dppk_id);
  if (!dpck) return unexpected{key_parameters_error::bad_key};
  std::array<std::uint8_t, detail::kp_iv_octets> iv{};
  rng.GenerateBlock(iv.data(), iv.size());

  std::vector<std::uint8_t> out;
  out.push_back(detail::protected_payload_type);
  out.insert(out.end(), date_time.begin(), date_time.end());
  detail::put_be(out, 0, 4);  // payload ID
  out.push_back(0);           // sequence number
  out.push_back(detail::aes_128_gcm);
  out.insert(out.end(), iv.begin(), iv.end());
  detail::put_be(out, dppk_id, 4);
  out.push_back(detail::key_parameters_iei);
  detail::put_be(out, plain->size() + detail::kp_tag_octets, 2);
  const std::size_t ct_at = out.size();
  out.resize(ct_at + plain->size() + detail::kp_tag_octets);

  CryptoPP::GCM<CryptoPP::AES>::Encryption enc;
  enc.SetKeyWithIV(dpck->data(), dpck->size(), iv.data(), iv.size());
  enc.EncryptAndAuthenticate(out.data() + ct_at, out.data() + ct_at + plain->size(),
                             detail::kp_tag_octets, iv.data(), iv.size(), out.data(),
                             detail::kp_aad_octets, plain->data(), plain->size());
  ct::wipe(plain->data(), plain->size());
  return out;
}

/// Checks and decrypts a protected payload with the message's key and CSB ID.
[[nodiscard]] inline result<key_parameters, key_parameters_error> unprotect_key_parameters(
    std::span<const std::uint8_t> data, std::span<const std::uint8_t> dppk, std::uint32_t dppk_id) {
  if (dppk.empty()) return unexpected{key_parameters_error::bad_key};
  if (data.size() < detail::kp_header_octets + detail::kp_tag_octets)
    return unexpected{key_parameters_error::truncated};
  if (data[0] != detail::protected_payload_type)
    return unexpected{key_parameters_error::bad_message_type};
  if (data[11] != detail::aes_128_gcm)
    return unexpected{key_parameters_error::unsupported_algorithm};
  const std::uint32_t id = std::uint32_t{data[28]} << 24 | std::uint32_t{data[29]} << 16 |
                           std::uint32_t{data[30]} << 8 | data[31];
  if (id != dppk_id) return unexpected{key_parameters_error::key_id_mismatch};
  if (data[32] != detail::key_parameters_iei)
    return unexpected{key_parameters_error::unexpected_iei};
  const std::size_t len = std::size_t{data[33]} << 8 | data[34];
  if (len != data.size() - detail::kp_header_octets || len < detail::kp_tag_octets)
    return unexpected{key_parameters_error::length_mismatch};
  const auto dpck = derive_dpck(dppk, dppk_id);
  if (!dpck) return unexpected{key_parameters_error::bad_key};
  const std::size_t ct_len = len - detail::kp_tag_octets;
  secret_bytes plain(ct_len);
  CryptoPP::GCM<CryptoPP::AES>::Decryption dec;
  const std::uint8_t* iv = data.data() + 12;
  dec.SetKeyWithIV(dpck->data(), dpck->size(), iv, detail::kp_iv_octets);
  const std::uint8_t* ct = data.data() + detail::kp_header_octets;
  const bool ok =
      dec.DecryptAndVerify(plain.span().data(), ct + ct_len, detail::kp_tag_octets, iv,
                           detail::kp_iv_octets, data.data(), detail::kp_aad_octets, ct, ct_len);
  ct::mark_public_object(ok);  // the verification result is public (for the constant-time suite)
  if (!ok) return unexpected{key_parameters_error::authentication_failed};
  return decode_key_parameters(plain.span());
}

}  // namespace skm::km
