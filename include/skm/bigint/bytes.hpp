// SPDX-License-Identifier: BSD-3-Clause
// Big-endian octet strings <-> uint (RFC 6508 §4 / I2OSP and OS2IP): integers are written with a
// fixed length, left-padded with zero octets; the length is always a public parameter.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "skm/bigint/uint.hpp"
#include "skm/common/result.hpp"

namespace skm {

enum class bytes_error {
  too_long,  ///< more octets than the integer type holds
};

[[nodiscard]] constexpr const char* describe(bytes_error e) noexcept {
  switch (e) {
    case bytes_error::too_long: return "octet string longer than the integer width";
  }
  return "unknown bytes_error";
}

/// Write the low out.size() octets of `a`, most significant first. Octets beyond the integer's
/// width are written as zeros. The caller chooses a length that holds the value (a field
/// element always fits its field's octet length).
template <std::size_t N>
constexpr void to_bytes_be(const uint<N>& a, std::span<std::uint8_t> out) noexcept {
  const std::size_t len = out.size();
  for (std::size_t i = 0; i < len; ++i) {
    const std::size_t byte_index = len - 1 - i;  // 0 = least significant
    out[i] = byte_index < 8 * N
                 ? static_cast<std::uint8_t>(a.limb[byte_index / 8] >> (8 * (byte_index % 8)))
                 : 0;
  }
}

template <std::size_t Len, std::size_t N>
[[nodiscard]] constexpr std::array<std::uint8_t, Len> to_bytes_be(const uint<N>& a) noexcept {
  std::array<std::uint8_t, Len> out{};
  to_bytes_be(a, std::span<std::uint8_t>(out));
  return out;
}

/// Read a big-endian octet string of any length up to 8*N octets.
template <std::size_t N>
[[nodiscard]] constexpr result<uint<N>, bytes_error> from_bytes_be(
    std::span<const std::uint8_t> in) noexcept {
  if (in.size() > 8 * N) return unexpected{bytes_error::too_long};
  uint<N> r;
  const std::size_t len = in.size();
  for (std::size_t i = 0; i < len; ++i) {
    const std::size_t byte_index = len - 1 - i;
    r.limb[byte_index / 8] |= static_cast<limb_t>(in[i]) << (8 * (byte_index % 8));
  }
  return r;
}

}  // namespace skm
