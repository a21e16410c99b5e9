// SPDX-License-Identifier: BSD-3-Clause
// The TS 33.220 Annex B generic key derivation function and its input encoding.
//
//   S = FC || P0 || L0 || P1 || L1 || … || Pn || Ln        (TS 33.220 B.2)
//   derived key = HMAC-SHA-256(Key, S)                      (TS 33.220 B.2.2)
//
// FC is one octet, each Li the 2-octet big-endian length of Pi. A non-negative integer parameter
// is written big-endian in the fewest octets, zero as the single octet 0x00 (3gpp-notes §A, the
// encoding that reproduces the published UID vectors). Where 128 bits are wanted, 3GPP takes the
// 128 least significant bits, i.e. the last 16 octets of the HMAC output.
//
// The same S encoding is hashed with plain SHA-256 to form the MIKEY-SAKKE UID (identity.hpp).
#pragma once

#include <cryptopp/hmac.h>
#include <cryptopp/sha.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "skm/common/result.hpp"
#include "skm/km/secret.hpp"

namespace skm::km {

enum class kdf_error {
  parameter_too_long,  ///< a parameter longer than 65535 octets (its length does not fit L_i)
  empty_key,           ///< HMAC key of zero length
};

[[nodiscard]] constexpr const char* describe(kdf_error e) noexcept {
  switch (e) {
    case kdf_error::parameter_too_long: return "KDF parameter longer than 65535 octets";
    case kdf_error::empty_key: return "KDF key is empty";
  }
  return "unknown kdf_error";
}

/// FC values used by skm (TS 33.180 Annex F; 3gpp-notes §A).
namespace fc {
inline constexpr std::uint8_t mikey_sakke_uid = 0x00;  ///< dummy FC of the hashed UID (F.2.1)
inline constexpr std::uint8_t guk_id = 0x50;           ///< GUK-ID user salt (F.1.3)
inline constexpr std::uint8_t dpck = 0x53;             ///< DPCK from a DPPK (F.1.5)
}  // namespace fc

/// Builds S = FC || P0 || L0 || … . Parameters are public data (identities, key IDs).
class kdf_input {
 public:
  explicit kdf_input(std::uint8_t fc) { s_.push_back(fc); }

  /// Append an octet-string parameter and its 2-octet length.
  kdf_input& add(std::span<const std::uint8_t> p) {
    if (p.size() > 0xFFFF) {
      too_long_ = true;
      return *this;
    }
    s_.insert(s_.end(), p.begin(), p.end());
    s_.push_back(static_cast<std::uint8_t>(p.size() >> 8));
    s_.push_back(static_cast<std::uint8_t>(p.size()));
    return *this;
  }
  /// Append a character-string parameter (its octets as they are, e.g. a UTF-8 URI).
  kdf_input& add(std::string_view p) {
    return add(
        std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(p.data()), p.size()));
  }
  /// Append a non-negative integer in the fewest big-endian octets (0 -> one 0x00 octet).
  kdf_input& add_integer(std::uint64_t v) {
    std::array<std::uint8_t, 8> be{};
    std::size_t n = 0;
    do {
      be[7 - n++] = static_cast<std::uint8_t>(v);
      v >>= 8;
    } while (v != 0);
    return add(std::span<const std::uint8_t>(be).last(n));
  }

  /// The encoded S, or the error if a parameter was too long.
  [[nodiscard]] result<std::span<const std::uint8_t>, kdf_error> bytes() const noexcept {
    if (too_long_) return unexpected{kdf_error::parameter_too_long};
    return std::span<const std::uint8_t>(s_);
  }

 private:
  std::vector<std::uint8_t> s_;
  bool too_long_ = false;
};

/// The 256-bit derived key HMAC-SHA-256(key, S).
[[nodiscard]] inline result<secret_array<32>, kdf_error> kdf_33220(
    std::span<const std::uint8_t> key, const kdf_input& s) {
  if (key.empty()) return unexpected{kdf_error::empty_key};
  auto in = s.bytes();
  if (!in) return unexpected{in.error()};
  CryptoPP::HMAC<CryptoPP::SHA256> mac(key.data(),
                                       key.size());  // Crypto++ wipes its key copy (SecBlock)
  mac.Update(in->data(), in->size());
  secret_array<32> out;
  mac.Final(out.data());
  return out;
}

/// The 128 least significant bits of the KDF output (the last 16 octets).
[[nodiscard]] inline result<secret_array<16>, kdf_error> kdf_33220_128(
    std::span<const std::uint8_t> key, const kdf_input& s) {
  auto full = kdf_33220(key, s);
  if (!full) return unexpected{full.error()};
  return secret_array<16>(full->span().last<16>());
}

/// DPCK (TS 33.180 F.1.5, 3gpp-notes §A.1): 128 LSB of KDF(DPPK, FC 0x53, P0 = DPPK-ID as 4
/// octets). For the MIKEY key-parameters extension the DPPK is the key carried in the same message
/// and the DPPK-ID is that message's CSB ID.
[[nodiscard]] inline result<secret_array<16>, kdf_error> derive_dpck(
    std::span<const std::uint8_t> dppk, std::uint32_t dppk_id) {
  const std::array<std::uint8_t, 4> id{
      static_cast<std::uint8_t>(dppk_id >> 24), static_cast<std::uint8_t>(dppk_id >> 16),
      static_cast<std::uint8_t>(dppk_id >> 8), static_cast<std::uint8_t>(dppk_id)};
  kdf_input s(fc::dpck);
  s.add(std::span<const std::uint8_t>(id));
  return kdf_33220_128(dppk, s);
}

}  // namespace skm::km
