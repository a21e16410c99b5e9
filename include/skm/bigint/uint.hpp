// SPDX-License-Identifier: BSD-3-Clause
// Fixed-width unsigned integers over GMP limbs.
//
// uint<N> is N little-endian 64-bit limbs (limb 0 least significant), a plain aggregate that never
// allocates. Every function is constexpr: in constant evaluation a portable limb loop runs; at run
// time the multi-limb primitives call GMP's mpn layer, whose add/sub/mul at these sizes are
// side-channel silent (design.md §5). Functions named *_vartime may branch on their inputs and are
// for public values only; everything else takes the same path for every value.
#pragma once

#include <gmp.h>

#include <array>
#include <bit>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <type_traits>

#include "skm/common/ct.hpp"

#if defined(__x86_64__)
#include <x86intrin.h>  // _addcarry_u64 / _subborrow_u64: plain ADC/SBB chains
#endif

namespace skm {

__extension__ using uint128_t = unsigned __int128;

template <std::size_t N>
struct uint {
  static_assert(N >= 1, "uint needs at least one limb");
  static constexpr std::size_t limbs = N;
  static constexpr std::size_t bits = 64 * N;

  std::array<limb_t, N> limb{};

  [[nodiscard]] static constexpr uint from_u64(std::uint64_t v) noexcept {
    uint r;
    r.limb[0] = v;
    return r;
  }

  [[nodiscard]] constexpr bool bit(std::size_t i) const noexcept {
    return i < bits && ((limb[i / 64] >> (i % 64)) & 1) != 0;
  }
  constexpr void set_bit(std::size_t i) noexcept { limb[i / 64] |= limb_t{1} << (i % 64); }

  /// Number of significant bits (0 for zero). Variable time: for public values.
  [[nodiscard]] constexpr std::size_t bit_length_vartime() const noexcept {
    for (std::size_t i = N; i-- > 0;) {
      if (limb[i] != 0) return 64 * i + (64 - static_cast<std::size_t>(std::countl_zero(limb[i])));
    }
    return 0;
  }

  [[nodiscard]] constexpr ct::choice is_zero() const noexcept {
    limb_t acc = 0;
    for (limb_t l : limb) acc |= l;
    return ct::choice::from_mask(ct::zero_mask(acc));
  }

  /// Ordinary comparison: variable time, for public values (moduli, lengths, exponents).
  friend constexpr bool operator==(const uint&, const uint&) = default;
  friend constexpr std::strong_ordering operator<=>(const uint& a, const uint& b) noexcept {
    for (std::size_t i = N; i-- > 0;) {
      if (a.limb[i] != b.limb[i])
        return a.limb[i] < b.limb[i] ? std::strong_ordering::less : std::strong_ordering::greater;
    }
    return std::strong_ordering::equal;
  }

  /// Widen or narrow to M limbs (narrowing drops high limbs; callers check bit_length first).
  template <std::size_t M>
  [[nodiscard]] constexpr uint<M> resize() const noexcept {
    uint<M> r;
    for (std::size_t i = 0; i < (M < N ? M : N); ++i) r.limb[i] = limb[i];
    return r;
  }
};

// ---------------------------------------------------------------------------------------------
// Carry arithmetic. Returns the carry (or borrow) out as 0/1.

/// Up to this many limbs the portable loops run at run time too (they inline and unroll).
inline constexpr std::size_t inline_limbs = 6;

template <std::size_t N>
constexpr limb_t add(uint<N>& r, const uint<N>& a, const uint<N>& b) noexcept {
  // GMP pays off above a few limbs; below, a call costs more than the inline carry chain.
  if (!std::is_constant_evaluated()) {
    if constexpr (N > inline_limbs) {
      return mpn_add_n(r.limb.data(), a.limb.data(), b.limb.data(), N);
    } else {
#if defined(__x86_64__)
      unsigned char carry = 0;
#pragma GCC unroll 8
      for (std::size_t i = 0; i < N; ++i) {
        unsigned long long out;
        carry = _addcarry_u64(carry, a.limb[i], b.limb[i], &out);
        r.limb[i] = out;
      }
      return carry;
#endif
    }
  }
  limb_t carry = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const uint128_t s = static_cast<uint128_t>(a.limb[i]) + b.limb[i] + carry;
    r.limb[i] = static_cast<limb_t>(s);
    carry = static_cast<limb_t>(s >> 64);
  }
  return carry;
}

template <std::size_t N>
constexpr limb_t sub(uint<N>& r, const uint<N>& a, const uint<N>& b) noexcept {
  if (!std::is_constant_evaluated()) {
    if constexpr (N > inline_limbs) {
      return mpn_sub_n(r.limb.data(), a.limb.data(), b.limb.data(), N);
    } else {
#if defined(__x86_64__)
      unsigned char borrow = 0;
#pragma GCC unroll 8
      for (std::size_t i = 0; i < N; ++i) {
        unsigned long long out;
        borrow = _subborrow_u64(borrow, a.limb[i], b.limb[i], &out);
        r.limb[i] = out;
      }
      return borrow;
#endif
    }
  }
  limb_t borrow = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const uint128_t d = static_cast<uint128_t>(a.limb[i]) - b.limb[i] - borrow;
    r.limb[i] = static_cast<limb_t>(d);
    borrow = static_cast<limb_t>(d >> 64) & 1;
  }
  return borrow;
}

/// Wrapping sum and difference, for building constants (p - 2, p + 1, ...).
template <std::size_t N>
[[nodiscard]] constexpr uint<N> operator+(const uint<N>& a, const uint<N>& b) noexcept {
  uint<N> r;
  (void)add(r, a, b);
  return r;
}
template <std::size_t N>
[[nodiscard]] constexpr uint<N> operator-(const uint<N>& a, const uint<N>& b) noexcept {
  uint<N> r;
  (void)sub(r, a, b);
  return r;
}
template <std::size_t N>
[[nodiscard]] constexpr uint<N> operator+(const uint<N>& a, std::uint64_t b) noexcept {
  return a + uint<N>::from_u64(b);
}
template <std::size_t N>
[[nodiscard]] constexpr uint<N> operator-(const uint<N>& a, std::uint64_t b) noexcept {
  return a - uint<N>::from_u64(b);
}

/// Full product of two N-limb numbers.
template <std::size_t N>
[[nodiscard]] constexpr uint<2 * N> mul_wide(const uint<N>& a, const uint<N>& b) noexcept {
  uint<2 * N> r;
  if (!std::is_constant_evaluated()) {
    if (&a == &b) {
      mpn_sqr(r.limb.data(), a.limb.data(), N);
    } else {
      mpn_mul_n(r.limb.data(), a.limb.data(), b.limb.data(), N);
    }
    return r;
  }
  for (std::size_t i = 0; i < N; ++i) {
    limb_t carry = 0;
    for (std::size_t j = 0; j < N; ++j) {
      const uint128_t t = static_cast<uint128_t>(a.limb[i]) * b.limb[j] + r.limb[i + j] + carry;
      r.limb[i + j] = static_cast<limb_t>(t);
      carry = static_cast<limb_t>(t >> 64);
    }
    r.limb[i + N] = carry;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Shifts by a public amount, and bitwise operations.

template <std::size_t N>
[[nodiscard]] constexpr uint<N> operator<<(const uint<N>& a, std::size_t s) noexcept {
  uint<N> r;
  const std::size_t w = s / 64, b = s % 64;
  for (std::size_t i = N; i-- > 0;) {
    if (i < w) continue;
    limb_t v = a.limb[i - w] << b;
    if (b != 0 && i - w >= 1) v |= a.limb[i - w - 1] >> (64 - b);
    r.limb[i] = v;
  }
  return r;
}

template <std::size_t N>
[[nodiscard]] constexpr uint<N> operator>>(const uint<N>& a, std::size_t s) noexcept {
  uint<N> r;
  const std::size_t w = s / 64, b = s % 64;
  for (std::size_t i = 0; i + w < N; ++i) {
    limb_t v = a.limb[i + w] >> b;
    if (b != 0 && i + w + 1 < N) v |= a.limb[i + w + 1] << (64 - b);
    r.limb[i] = v;
  }
  return r;
}

template <std::size_t N>
[[nodiscard]] constexpr uint<N> operator&(const uint<N>& a, const uint<N>& b) noexcept {
  uint<N> r;
  for (std::size_t i = 0; i < N; ++i) r.limb[i] = a.limb[i] & b.limb[i];
  return r;
}
template <std::size_t N>
[[nodiscard]] constexpr uint<N> operator|(const uint<N>& a, const uint<N>& b) noexcept {
  uint<N> r;
  for (std::size_t i = 0; i < N; ++i) r.limb[i] = a.limb[i] | b.limb[i];
  return r;
}
template <std::size_t N>
[[nodiscard]] constexpr uint<N> operator^(const uint<N>& a, const uint<N>& b) noexcept {
  uint<N> r;
  for (std::size_t i = 0; i < N; ++i) r.limb[i] = a.limb[i] ^ b.limb[i];
  return r;
}

// ---------------------------------------------------------------------------------------------
// Constant-time comparison and selection.

/// a == b, without early exit.
template <std::size_t N>
[[nodiscard]] constexpr ct::choice ct_equal(const uint<N>& a, const uint<N>& b) noexcept {
  limb_t acc = 0;
  for (std::size_t i = 0; i < N; ++i) acc |= a.limb[i] ^ b.limb[i];
  return ct::choice::from_mask(ct::zero_mask(acc));
}

/// a < b, from the borrow of a - b (portable loop: mpn_cmp exits early).
template <std::size_t N>
[[nodiscard]] constexpr ct::choice ct_less(const uint<N>& a, const uint<N>& b) noexcept {
  limb_t borrow = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const uint128_t d = static_cast<uint128_t>(a.limb[i]) - b.limb[i] - borrow;
    borrow = static_cast<limb_t>(d >> 64) & 1;
  }
  return ct::choice::from_bit(borrow);
}

/// c ? a : b
template <std::size_t N>
[[nodiscard]] constexpr uint<N> ct_select(ct::choice c, const uint<N>& a,
                                          const uint<N>& b) noexcept {
  uint<N> r;
#pragma GCC unroll 8
  for (std::size_t i = 0; i < N; ++i) r.limb[i] = ct::select(c, a.limb[i], b.limb[i]);
  return r;
}

/// if (c) swap(a, b)
template <std::size_t N>
constexpr void ct_swap(ct::choice c, uint<N>& a, uint<N>& b) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    const limb_t t = c.mask() & (a.limb[i] ^ b.limb[i]);
    a.limb[i] ^= t;
    b.limb[i] ^= t;
  }
}

// ---------------------------------------------------------------------------------------------
// Division: bit-serial, variable time. For deriving constants (at compile time) and public values.

template <std::size_t N, std::size_t M>
struct divmod_result {
  uint<N> quotient;
  uint<M> remainder;
};

template <std::size_t N, std::size_t M>
[[nodiscard]] constexpr divmod_result<N, M> divmod_vartime(const uint<N>& a, const uint<M>& d) {
  if (d.is_zero().declassify()) throw std::domain_error("skm::divmod_vartime: division by zero");
  // Shift-and-subtract from d aligned under a's top bit: one step per quotient bit, so that the
  // compile-time constants (p+1 = 4q: three steps) cost the compiler little.
  constexpr std::size_t W = (N > M ? N : M) + 1;
  uint<W> rem = a.template resize<W>();
  divmod_result<N, M> out;
  const std::size_t a_bits = a.bit_length_vartime(), d_bits = d.bit_length_vartime();
  if (a_bits >= d_bits) {
    const std::size_t top = a_bits - d_bits;  // the quotient has at most top + 1 bits
    uint<W> aligned = d.template resize<W>() << top;
    for (std::size_t i = top + 1; i-- > 0;) {
      if (rem >= aligned) {
        rem = rem - aligned;
        out.quotient.set_bit(i);
      }
      aligned = aligned >> 1;
    }
  }
  out.remainder = rem.template resize<M>();
  return out;
}

template <std::size_t N, std::size_t M>
[[nodiscard]] constexpr uint<M> mod_vartime(const uint<N>& a, const uint<M>& d) {
  return divmod_vartime(a, d).remainder;
}

// ---------------------------------------------------------------------------------------------
// Hex literals, parsed at compile time. Spaces, newlines and a leading "0x" are ignored so that
// values can be pasted in the RFCs' grouped layout.

namespace detail {
constexpr int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
constexpr bool is_hex_space(char c) noexcept {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}
}  // namespace detail

/// Parse hexadecimal into a uint of ceil(Bits/64) limbs. Invalid digits or a value wider than
/// Bits bits throw (a compile error in a constant expression).
template <std::size_t Bits>
[[nodiscard]] constexpr uint<(Bits + 63) / 64> hex(std::string_view s) {
  using result_type = uint<(Bits + 63) / 64>;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  // Each digit goes straight to its nibble, from the last digit up: one pass of cheap steps, so
  // that the 1024-bit curve constants cost the compiler little in every translation unit.
  result_type r;
  std::size_t digits = 0;       // digits read
  std::size_t significant = 0;  // bit length of the value so far, counted from the last digit
  for (std::size_t i = s.size(); i-- > 0;) {
    const char c = s[i];
    if (detail::is_hex_space(c)) continue;
    const int d = detail::hex_digit(c);
    if (d < 0) throw std::invalid_argument("skm::hex: not a hexadecimal digit");
    if (d != 0)
      significant = 4 * digits + static_cast<std::size_t>(std::bit_width(static_cast<unsigned>(d)));
    if (significant > Bits)
      throw std::out_of_range("skm::hex: value does not fit the requested width");
    if (d != 0) r.limb[digits / 16] |= static_cast<limb_t>(d) << (4 * (digits % 16));
    ++digits;
  }
  if (digits == 0) throw std::invalid_argument("skm::hex: no digits");
  return r;
}

}  // namespace skm
