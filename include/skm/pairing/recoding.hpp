// SPDX-License-Identifier: BSD-3-Clause
// Signed-window (width-w NAF) recoding of a public integer, computed at compile time.
//
// k = sum d_i 2^i with every non-zero digit odd, |d_i| < 2^(w-1), and at most one non-zero digit
// in any w consecutive positions. The Miller loop runs over the digits of q - 1 (RFC 6508 §3.2):
// for w = 2 (plain NAF) about lg(q)/3 additions instead of the lg(q)/2 of the binary expansion.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "skm/bigint/uint.hpp"

namespace skm::pairing {

template <std::size_t MaxLen>
struct signed_digits {
  std::array<std::int8_t, MaxLen> digit{};  ///< digit[i] multiplies 2^i
  std::size_t length = 0;                   ///< index of the top digit + 1 (the top digit is 1)
  std::size_t nonzero = 0;                  ///< number of non-zero digits (additions + 1)
};

/// Width-w NAF of k > 0 (public), into MaxLen >= bit_length(k) + 1 digits.
template <std::size_t MaxLen, std::size_t N>
[[nodiscard]] constexpr signed_digits<MaxLen> wnaf_recode(uint<N> k, unsigned w) {
  if (w < 2 || w > 7)
    throw std::invalid_argument("skm::pairing::wnaf_recode: window width must be in [2, 7]");
  if (k.is_zero().declassify())
    throw std::invalid_argument("skm::pairing::wnaf_recode: k must be positive");
  signed_digits<MaxLen> out;
  const limb_t mask = (limb_t{1} << w) - 1;
  const limb_t half = limb_t{1} << (w - 1);
  std::size_t i = 0;
  while (!k.is_zero().declassify()) {
    if (i >= MaxLen) throw std::out_of_range("skm::pairing::wnaf_recode: too many digits");
    int d = 0;
    if ((k.limb[0] & 1) != 0) {
      const limb_t m = k.limb[0] & mask;
      if (m >= half) {
        d = static_cast<int>(m) - static_cast<int>(limb_t{1} << w);
        k = k + uint<N>::from_u64(static_cast<std::uint64_t>(-d));
      } else {
        d = static_cast<int>(m);
        k = k - uint<N>::from_u64(static_cast<std::uint64_t>(d));
      }
      ++out.nonzero;
    }
    out.digit[i] = static_cast<std::int8_t>(d);
    k = k >> 1;
    ++i;
  }
  out.length = i;
  return out;
}

/// The value sum d_i 2^i back as an integer (compile-time self-check of a recoding).
template <std::size_t N, std::size_t MaxLen>
[[nodiscard]] constexpr uint<N> wnaf_value(const signed_digits<MaxLen>& s) {
  uint<N> v;
  for (std::size_t i = s.length; i-- > 0;) {
    v = v << 1;
    const int d = s.digit[i];
    if (d > 0) v = v + uint<N>::from_u64(static_cast<std::uint64_t>(d));
    if (d < 0) v = v - uint<N>::from_u64(static_cast<std::uint64_t>(-d));
  }
  return v;
}

}  // namespace skm::pairing
