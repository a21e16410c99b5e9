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
#include <stdexcept>

#include "skm/bigint/uint.hpp"

namespace skm::pairing {

template <std::size_t MaxLen>
struct signed_digits {
  std::array<std::int8_t, MaxLen> digit{};  ///< digit[i] multiplies 2^i
  std::size_t length = 0;                   ///< index of the top digit + 1 (the top digit is 1)
  std::size_t nonzero = 0;                  ///< number of non-zero digits (additions + 1)
};

namespace detail {
/// v += x 2^pos, or v -= x 2^pos, mod 2^(64 N), for x < 2^63; the carry or borrow stops early (a
/// constant-expression helper for public values: the recoding below runs in every translation
/// unit that pairs).
template <std::size_t N>
constexpr void add_at(uint<N>& v, limb_t x, std::size_t pos, bool subtract = false) noexcept {
  const std::size_t first = pos / 64;
  const uint128_t shifted = static_cast<uint128_t>(x) << (pos % 64);
  const std::array<limb_t, 2> operand = {static_cast<limb_t>(shifted),
                                         static_cast<limb_t>(shifted >> 64)};
  limb_t carry = 0;  // or borrow
  for (std::size_t j = first; j < N; ++j) {
    const limb_t o = j - first < 2 ? operand[j - first] : 0;
    const uint128_t r = subtract ? static_cast<uint128_t>(v.limb[j]) - o - carry
                                 : static_cast<uint128_t>(v.limb[j]) + o + carry;
    v.limb[j] = static_cast<limb_t>(r);
    carry = static_cast<limb_t>(r >> 64) & 1;
    if (carry == 0 && j > first) break;
  }
}

/// Bits pos .. pos + w - 1 of v (w <= 8).
template <std::size_t N>
[[nodiscard]] constexpr limb_t bits_at(const uint<N>& v, std::size_t pos, unsigned w) noexcept {
  const std::size_t i = pos / 64, b = pos % 64;
  limb_t m = i < N ? v.limb[i] >> b : 0;
  if (b + w > 64 && i + 1 < N) m |= v.limb[i + 1] << (64 - b);
  return m & ((limb_t{1} << w) - 1);
}
}  // namespace detail

/// Width-w NAF of k > 0 (public), into MaxLen >= bit_length(k) + 1 digits.
///
/// Digit i is chosen from bits i .. i+w-1 of the running value, which is then made divisible by
/// 2^(i+1) in place (k -= d 2^i), instead of shifting the whole integer right once per digit.
template <std::size_t MaxLen, std::size_t N>
[[nodiscard]] constexpr signed_digits<MaxLen> wnaf_recode(uint<N> k, unsigned w) {
  if (w < 2 || w > 7)
    throw std::invalid_argument("skm::pairing::wnaf_recode: window width must be in [2, 7]");
  if (k.is_zero().declassify())
    throw std::invalid_argument("skm::pairing::wnaf_recode: k must be positive");
  signed_digits<MaxLen> out;
  const limb_t half = limb_t{1} << (w - 1);
  // A NAF has at most one digit more than the binary expansion.
  const std::size_t positions = k.bit_length_vartime() + 1;
  for (std::size_t i = 0; i < positions && i < 64 * N; ++i) {
    if (!k.bit(i)) continue;
    if (i >= MaxLen) throw std::out_of_range("skm::pairing::wnaf_recode: too many digits");
    const limb_t m = detail::bits_at(k, i, w);
    int d = 0;
    if (m >= half) {
      d = static_cast<int>(m) - static_cast<int>(limb_t{1} << w);
      detail::add_at(k, static_cast<limb_t>(-d), i);
    } else {
      d = static_cast<int>(m);
      detail::add_at(k, static_cast<limb_t>(d), i, /*subtract=*/true);
    }
    out.digit[i] = static_cast<std::int8_t>(d);
    ++out.nonzero;
    out.length = i + 1;
  }
  if (!k.is_zero().declassify())
    throw std::logic_error("skm::pairing::wnaf_recode: k did not reduce to zero");
  return out;
}

/// The value sum d_i 2^i back as an integer, mod 2^(64 N) (compile-time self-check of a
/// recoding): the positive and the negative digits summed apart, then subtracted.
template <std::size_t N, std::size_t MaxLen>
[[nodiscard]] constexpr uint<N> wnaf_value(const signed_digits<MaxLen>& s) {
  uint<N> positive, negative;
  for (std::size_t i = 0; i < s.length; ++i) {
    const std::int8_t d = s.digit[i];
    if (d > 0) detail::add_at(positive, static_cast<limb_t>(d), i);
    if (d < 0) detail::add_at(negative, static_cast<limb_t>(-d), i);
  }
  return positive - negative;
}

}  // namespace skm::pairing
