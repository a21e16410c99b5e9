// SPDX-License-Identifier: BSD-3-Clause
// Key identifiers (SK-IDs) and their purpose tags, and the GUK-ID of group keys.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |purpose|               28 random bits                          |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// TS 33.180 §5.2.2 / E.6.11 (3gpp-notes §B): a key ID is 32 bits, the 4 most significant bits the
// purpose of the key, the other 28 random. Carried big-endian (e.g. as the MIKEY CSB ID).
//
// GUK-ID (TS 33.180 F.1.3, 3gpp-notes §A.1): User Salt = the 28 least significant bits of
// KDF(GMK, FC 0x50, P0 = receiving user's URI); GUK-ID = GMK-ID with its 28 low bits XORed with
// the salt (the purpose tag stays). The receiver, once it has the GMK, recovers GMK-ID = GUK-ID ^
// salt.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/km/kdf.hpp"

namespace skm::km {

enum class key_id_error {
  purpose_out_of_range,  ///< a purpose value above 15 does not fit 4 bits
  random_out_of_range,   ///< more than 28 bits offered as the random part
  unknown_purpose_name,  ///< a name that is neither built in nor in the caller's table
  wrong_length,          ///< a key ID must be exactly 4 octets
  not_a_group_key,       ///< GUK-IDs are formed from GMK-IDs (purpose 0) only
  bad_key,               ///< empty key or receiver URI too long for the KDF
};

[[nodiscard]] constexpr const char* describe(key_id_error e) noexcept {
  switch (e) {
    case key_id_error::purpose_out_of_range: return "key purpose value does not fit 4 bits";
    case key_id_error::random_out_of_range: return "random part of a key ID does not fit 28 bits";
    case key_id_error::unknown_purpose_name: return "unknown key purpose name";
    case key_id_error::wrong_length: return "key ID is not 4 octets";
    case key_id_error::not_a_group_key: return "GUK-ID needs a GMK-ID (purpose tag 0)";
    case key_id_error::bad_key:
      return "GUK-ID derivation needs a non-empty GMK and a receiver URI of at most 65535 octets";
  }
  return "unknown key_id_error";
}

/// The 4-bit purpose tag. Every value 0..15 is representable, so a deployment can name its own
/// (e.g. `constexpr key_purpose my_key{7};`) and give `purpose_name`/`purpose_from_name` a table.
enum class key_purpose : std::uint8_t {
  gmk = 0,    ///< Group Master Key
  pck = 1,    ///< Private Call Key
  csk = 2,    ///< Client-Server Key
  spk = 3,    ///< Signalling Protection Key
  mkfc = 4,   ///< Multicast Key for Floor Control
  mscck = 5,  ///< MBMS subchannel control key
  musik = 6,  ///< Multicast Signalling Key
};

struct purpose_entry {
  key_purpose purpose;
  std::string_view name;
};

/// The purposes of TS 33.180 (3gpp-notes §B), with their conventional names.
inline constexpr std::array<purpose_entry, 7> known_purposes{{
    {key_purpose::gmk, "GMK"},
    {key_purpose::pck, "PCK"},
    {key_purpose::csk, "CSK"},
    {key_purpose::spk, "SPK"},
    {key_purpose::mkfc, "MKFC"},
    {key_purpose::mscck, "MSCCK"},
    {key_purpose::musik, "MuSiK"},
}};

[[nodiscard]] constexpr result<key_purpose, key_id_error> purpose_from_value(unsigned v) noexcept {
  if (v > 15) return unexpected{key_id_error::purpose_out_of_range};
  return static_cast<key_purpose>(v);
}

/// The name of a purpose: the caller's table first, then the built-in one; empty if unnamed.
[[nodiscard]] constexpr std::string_view purpose_name(
    key_purpose p, std::span<const purpose_entry> extra = {}) noexcept {
  for (const auto& e : extra)
    if (e.purpose == p) return e.name;
  for (const auto& e : known_purposes)
    if (e.purpose == p) return e.name;
  return {};
}

/// Whether `p` is a purpose of TS 33.180 (known_purposes) or one the caller registered in
/// `registered`. A receiver refuses key IDs with any other purpose tag
/// (i_message_error::unknown_key_purpose; receiver_options::registered_purposes).
[[nodiscard]] constexpr bool is_defined_purpose(
    key_purpose p, std::span<const purpose_entry> registered = {}) noexcept {
  for (const auto& e : known_purposes)
    if (e.purpose == p) return true;
  for (const auto& e : registered)
    if (e.purpose == p) return true;
  return false;
}

namespace detail {
[[nodiscard]] constexpr char ascii_lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
[[nodiscard]] constexpr bool iequal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}
}  // namespace detail

/// A purpose from its name, ignoring ASCII case ("MuSiK", "musik"): the caller's table first.
[[nodiscard]] constexpr result<key_purpose, key_id_error> purpose_from_name(
    std::string_view name, std::span<const purpose_entry> extra = {}) noexcept {
  for (const auto& e : extra)
    if (detail::iequal(e.name, name)) return e.purpose;
  for (const auto& e : known_purposes)
    if (detail::iequal(e.name, name)) return e.purpose;
  return unexpected{key_id_error::unknown_purpose_name};
}

/// A 32-bit key identifier: purpose tag in the top 4 bits, 28 random bits below.
class sk_id {
 public:
  static constexpr std::uint32_t random_mask = 0x0FFFFFFFu;

  constexpr sk_id() noexcept = default;
  /// Any 32-bit value is a key ID (as read from a CSB ID field).
  [[nodiscard]] static constexpr sk_id from_value(std::uint32_t v) noexcept { return sk_id(v); }

  [[nodiscard]] static constexpr result<sk_id, key_id_error> make(
      key_purpose p, std::uint32_t random_part) noexcept {
    if (static_cast<unsigned>(p) > 15) return unexpected{key_id_error::purpose_out_of_range};
    if (random_part > random_mask) return unexpected{key_id_error::random_out_of_range};
    return sk_id((static_cast<std::uint32_t>(p) << 28) | random_part);
  }

  /// A fresh key ID with 28 bits from `rng`.
  template <random_source R>
  [[nodiscard]] static result<sk_id, key_id_error> generate(key_purpose p, R& rng) {
    std::array<std::uint8_t, 4> b{};
    rng.GenerateBlock(b.data(), b.size());
    const std::uint32_t r =
        (std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3]) &
        random_mask;
    return make(p, r);
  }

  [[nodiscard]] static constexpr result<sk_id, key_id_error> from_bytes(
      std::span<const std::uint8_t> in) noexcept {
    if (in.size() != 4) return unexpected{key_id_error::wrong_length};
    return sk_id(std::uint32_t{in[0]} << 24 | std::uint32_t{in[1]} << 16 |
                 std::uint32_t{in[2]} << 8 | in[3]);
  }
  [[nodiscard]] constexpr std::array<std::uint8_t, 4> to_bytes() const noexcept {
    return {static_cast<std::uint8_t>(value_ >> 24), static_cast<std::uint8_t>(value_ >> 16),
            static_cast<std::uint8_t>(value_ >> 8), static_cast<std::uint8_t>(value_)};
  }

  [[nodiscard]] constexpr std::uint32_t value() const noexcept { return value_; }
  [[nodiscard]] constexpr key_purpose purpose() const noexcept {
    return static_cast<key_purpose>(value_ >> 28);
  }
  [[nodiscard]] constexpr std::uint32_t random_part() const noexcept {
    return value_ & random_mask;
  }

  friend constexpr bool operator==(sk_id, sk_id) = default;

 private:
  constexpr explicit sk_id(std::uint32_t v) noexcept : value_(v) {}
  std::uint32_t value_ = 0;
};

/// The GUK-ID user salt: the 28 least significant bits of KDF(GMK, FC 0x50, P0 = receiver URI).
[[nodiscard]] inline result<std::uint32_t, key_id_error> guk_user_salt(
    std::span<const std::uint8_t> gmk, std::string_view receiver_uri) {
  kdf_input s(fc::guk_id);
  s.add(receiver_uri);
  auto k = kdf_33220(gmk, s);
  if (!k) return unexpected{key_id_error::bad_key};
  const auto b = k->span();
  return (std::uint32_t{b[28]} << 24 | std::uint32_t{b[29]} << 16 | std::uint32_t{b[30]} << 8 |
          b[31]) &
         sk_id::random_mask;
}

/// GUK-ID = GMK-ID XOR user salt on the 28 low bits; the GMK-ID must carry purpose GMK.
[[nodiscard]] inline result<sk_id, key_id_error> derive_guk_id(sk_id gmk_id,
                                                               std::span<const std::uint8_t> gmk,
                                                               std::string_view receiver_uri) {
  if (gmk_id.purpose() != key_purpose::gmk) return unexpected{key_id_error::not_a_group_key};
  auto salt = guk_user_salt(gmk, receiver_uri);
  if (!salt) return unexpected{salt.error()};
  return sk_id::from_value(gmk_id.value() ^ *salt);
}

/// The receiver's side: GMK-ID = GUK-ID XOR user salt (computed with its own URI).
[[nodiscard]] inline result<sk_id, key_id_error> recover_gmk_id(sk_id guk_id,
                                                                std::span<const std::uint8_t> gmk,
                                                                std::string_view receiver_uri) {
  if (guk_id.purpose() != key_purpose::gmk) return unexpected{key_id_error::not_a_group_key};
  auto salt = guk_user_salt(gmk, receiver_uri);
  if (!salt) return unexpected{salt.error()};
  return sk_id::from_value(guk_id.value() ^ *salt);
}

}  // namespace skm::km
