// SPDX-License-Identifier: BSD-3-Clause
// SRTP session keys from the master key and salt (RFC 3711 §4.3), with the AES-CM PRF (§4.3.3).
//
//   r      = index DIV key_derivation_rate          (DIV 0 = 0; index = 48-bit ROC || SEQ)
//   key_id = label (8 bits) || r (48 bits)
//   x      = key_id XOR master_salt                 (right-aligned, 112 bits)
//   PRF_n(k_master, x) = the first n bits of AES-CM keystream with IV = x · 2^16:
//            AES_k(IV) || AES_k(IV + 1) || …
//
// Labels 0/1/2 are the SRTP encryption, authentication and salting keys, 3/4/5 the SRTCP ones.
// For SRTCP skm keeps r 48 bits wide, as libsrtp does; with key_derivation_rate 0 (the TS 33.180
// profiles) r is 0 and the width does not matter.
// Only 14-octet master salts are accepted: AEAD profiles with 12-octet salts (RFC 7714) define
// their own handling, which is not in the specifications skm was built from.
#pragma once

#include <cryptopp/aes.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "skm/common/ct.hpp"
#include "skm/common/result.hpp"
#include "skm/km/secret.hpp"

namespace skm::km {

enum class srtp_label : std::uint8_t {
  rtp_encryption = 0x00,
  rtp_authentication = 0x01,
  rtp_salt = 0x02,
  rtcp_encryption = 0x03,
  rtcp_authentication = 0x04,
  rtcp_salt = 0x05,
};

enum class srtp_kdf_error {
  bad_master_key_length,   ///< AES keys are 16, 24 or 32 octets
  bad_master_salt_length,  ///< the master salt must be 14 octets (112 bits)
  index_out_of_range,      ///< the packet index exceeds 48 bits
  bad_derivation_rate,     ///< key_derivation_rate must be 0 or a power of two up to 2^24
  output_too_long,         ///< the AES-CM PRF yields at most 2^23 bits (2^20 octets)
};

[[nodiscard]] constexpr const char* describe(srtp_kdf_error e) noexcept {
  switch (e) {
    case srtp_kdf_error::bad_master_key_length: return "SRTP master key is not 16, 24 or 32 octets";
    case srtp_kdf_error::bad_master_salt_length: return "SRTP master salt is not 14 octets";
    case srtp_kdf_error::index_out_of_range: return "SRTP packet index exceeds 48 bits";
    case srtp_kdf_error::bad_derivation_rate:
      return "SRTP key derivation rate is not 0 or a power of two up to 2^24";
    case srtp_kdf_error::output_too_long: return "SRTP key derivation output longer than 2^23 bits";
  }
  return "unknown srtp_kdf_error";
}

/// PRF_n(k_master, x) for the given label and packet index, n = `out_len` octets.
[[nodiscard]] inline result<secret_bytes, srtp_kdf_error> srtp_derive_session_key(
    std::span<const std::uint8_t> master_key, std::span<const std::uint8_t> master_salt,
    srtp_label label, std::size_t out_len, std::uint64_t index = 0,
    std::uint64_t key_derivation_rate = 0) {
  if (master_key.size() != 16 && master_key.size() != 24 && master_key.size() != 32)
    return unexpected{srtp_kdf_error::bad_master_key_length};
  if (master_salt.size() != 14) return unexpected{srtp_kdf_error::bad_master_salt_length};
  if (index >> 48) return unexpected{srtp_kdf_error::index_out_of_range};
  if (key_derivation_rate != 0 &&
      ((key_derivation_rate & (key_derivation_rate - 1)) != 0 || key_derivation_rate > (1u << 24)))
    return unexpected{srtp_kdf_error::bad_derivation_rate};
  if (out_len > (std::size_t{1} << 20)) return unexpected{srtp_kdf_error::output_too_long};

  const std::uint64_t r = key_derivation_rate == 0 ? 0 : index / key_derivation_rate;
  // IV = (key_id XOR salt) · 2^16: 14 octets of x, then two zero octets as the block counter.
  std::array<std::uint8_t, 16> iv{};
  for (std::size_t i = 0; i < 14; ++i) iv[i] = master_salt[i];
  iv[7] ^= static_cast<std::uint8_t>(label);
  for (std::size_t i = 0; i < 6; ++i) iv[8 + i] ^= static_cast<std::uint8_t>(r >> (40 - 8 * i));

  CryptoPP::AES::Encryption aes(master_key.data(), master_key.size());
  secret_bytes out(out_len);
  std::array<std::uint8_t, 16> block{};
  for (std::size_t done = 0, counter = 0; done < out_len; done += 16, ++counter) {
    iv[14] = static_cast<std::uint8_t>(counter >> 8);
    iv[15] = static_cast<std::uint8_t>(counter);
    aes.ProcessBlock(iv.data(), block.data());
    const std::size_t n = out_len - done < 16 ? out_len - done : 16;
    for (std::size_t i = 0; i < n; ++i) out.span()[done + i] = block[i];
  }
  ct::wipe(block.data(), block.size());
  return out;
}

/// The three session values of one direction (SRTP or SRTCP).
struct srtp_session_keys {
  secret_bytes encryption_key;
  secret_bytes authentication_key;
  secret_bytes salt;
};

/// Derive encryption key (enc_len), authentication key (auth_len, may be 0) and salt (salt_len)
/// for SRTP (`rtcp` false) or SRTCP (`rtcp` true).
[[nodiscard]] inline result<srtp_session_keys, srtp_kdf_error> srtp_derive_session_keys(
    std::span<const std::uint8_t> master_key, std::span<const std::uint8_t> master_salt, bool rtcp,
    std::size_t enc_len, std::size_t auth_len, std::size_t salt_len, std::uint64_t index = 0,
    std::uint64_t key_derivation_rate = 0) {
  const auto base = static_cast<std::uint8_t>(rtcp ? 3 : 0);
  auto e = srtp_derive_session_key(master_key, master_salt, static_cast<srtp_label>(base), enc_len,
                                   index, key_derivation_rate);
  if (!e) return unexpected{e.error()};
  auto a = srtp_derive_session_key(master_key, master_salt, static_cast<srtp_label>(base + 1),
                                   auth_len, index, key_derivation_rate);
  if (!a) return unexpected{a.error()};
  auto s = srtp_derive_session_key(master_key, master_salt, static_cast<srtp_label>(base + 2),
                                   salt_len, index, key_derivation_rate);
  if (!s) return unexpected{s.error()};
  return srtp_session_keys{std::move(*e), std::move(*a), std::move(*s)};
}

}  // namespace skm::km
