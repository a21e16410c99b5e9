// SPDX-License-Identifier: BSD-3-Clause
// AVX-512 IFMA Montgomery multiplication and squaring for 16-limb (1024-bit) moduli.
//
// A drop-in for the 64-bit-limb kernels: operands and result are 16 little-endian 64-bit limbs
// in the usual Montgomery form (R = 2^1024), result fully reduced below p. Inside, the operands
// are re-sliced into radix 2^52 (20 digits, five 256-bit vectors) so that VPMADD52LUQ/HUQ do
// four 52x52-bit multiply-adds per instruction; the Montgomery reduction then works per 52-bit
// digit, which makes its natural factor R' = 2^1040, not 2^1024. The missing 2^16 is folded
// into the re-slicing at no cost: b enters as b * 2^16 (a * b 2^16 / 2^1040 = a b / 2^1024), and
// a squared value as a * 2^8.
//
// Why 256-bit vectors only: 20 digits fill five 4-lane vectors exactly (three 8-lane ones waste
// four lanes), some cores (AMD Zen 4) issue 512-bit IFMA at half the rate of 256-bit IFMA, and
// on Intel cores 512-bit instructions lower the clock of the whole core for a while. The radix
// changes are per-vector permutes: each digit vector comes from one window of four limbs, each
// limb vector from two digit vectors (both facts are static_asserts below).
//
// Constant time by construction: every loop has a fixed trip count and is unrolled, there is no
// branch and no data-dependent address; the carry and borrow ripples are resolved with mask
// arithmetic (carry lookahead), not loops. Valgrind cannot execute AVX-512, so the constant-time
// suite checks the compiled kernels' instructions instead (tests/ct/kernel_instructions.py).
//
// Bounds (inputs a, b < p < 2^1024, so a < 2^1024 and b 2^16 < 2^1040): the accumulator after
// the 20 steps is (a b' + m p) / 2^1040 < p + p = 2p with m < 2^1040, and for the square
// (a 2^8)^2 / 2^1040 < p^2 2^16 / 2^1040 < p. Each step adds less than 2^55 to a lane, so 20
// steps of unnormalized lanes stay far below 2^64. One masked subtraction maps [0, 2p) to [0, p).
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SKM_HAVE_IFMA_KERNELS 1

#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "skm/bigint/uint.hpp"

// The all-lanes-masked intrinsic forms are used throughout: g++ 12 expands some unmasked ones
// (alignr, srli, permutexvar) into a self-initialized "undefined" vector that trips
// -Wuninitialized under a target attribute. They compile to the same instructions.
#define SKM_IFMA_TARGET __attribute__((target("avx512f,avx512vl,avx512ifma")))
#define SKM_IFMA_INLINE [[gnu::always_inline]] SKM_IFMA_TARGET inline

namespace skm::kernels::ifma {

using u64 = std::uint64_t;
inline constexpr int digits = 20;  // 20 * 52 = 1040 bits
inline constexpr u64 mask52 = (u64{1} << 52) - 1;

/// 20 radix-2^52 digits, padded to 24: the kernels' last digit broadcast reads index 20 (zero).
struct alignas(64) digit_vector {
  std::array<u64, 24> d{};
};

/// The modulus in radix 2^52 and -p^-1 mod 2^52, computed once per modulus (at compile time for
/// a field's own modulus) from p and the 64-bit kernels' m_inv = -p^-1 mod 2^64
/// (montgomery::neg_inverse_mod_2_64), whose low 52 bits are -p^-1 mod 2^52.
struct modulus16 {
  digit_vector p;
  u64 p_inv = 0;

  constexpr modulus16(const uint<16>& m, limb_t m_inv) noexcept : p_inv(m_inv & mask52) {
    for (int k = 0; k < digits; ++k) {
      const int bit = 52 * k, w = bit / 64, s = bit % 64;
      u64 v = m.limb[static_cast<std::size_t>(w)] >> s;
      if (s > 12 && w + 1 < 16) v |= m.limb[static_cast<std::size_t>(w) + 1] << (64 - s);
      p.d[static_cast<std::size_t>(k)] = v & mask52;
    }
  }
};

// ---- radix changes, as permute/shift tables computed at compile time ----

struct v5 {  // 20 lanes in five 256-bit vectors (a plain array: std::array drops vector attributes)
  __m256i v[5];
};
inline constexpr __mmask8 all4 = 0x0F;

/// 16 limbs x 2^Shift into 20 digits: digit k is bits [52k - Shift, 52k - Shift + 52) of x, taken
/// from limb w (>> s) and, when it runs past that limb (s > 12), limb w+1 (<< 64 - s). Every digit
/// vector j (digits 4j..4j+3) needs limbs from one window of four, loaded as one vector: window[j]
/// is its first limb, the index tables are relative to it, and `fits` records that the windows
/// suffice (checked below).
template <int Shift>
struct to_digit_tables {
  alignas(32) std::array<u64, 20> lo_index{}, lo_shift{}, hi_index{}, hi_shift{};
  std::array<int, 5> window{};
  unsigned lo_lanes = 0, hi_lanes = 0;  // lanes whose lo / hi limb exists
  bool fits = true;

  constexpr to_digit_tables() noexcept {
    for (int j = 0; j < 5; ++j) {
      const int first_bit = 52 * 4 * j - Shift;
      const int first = first_bit < 0 ? 0 : first_bit / 64;
      window[static_cast<std::size_t>(j)] = first > 12 ? 12 : first;
    }
    for (int k = 0; k < digits; ++k) {
      const int bit = 52 * k - Shift, base = window[static_cast<std::size_t>(k / 4)];
      const int w = bit >= 0 ? bit / 64 : -1, s = bit - 64 * w;
      const auto lane = static_cast<std::size_t>(k);
      if (w >= 0) {
        fits = fits && w - base >= 0 && w - base < 4;
        lo_index[lane] = static_cast<u64>(w - base);
        lo_shift[lane] = static_cast<u64>(s);
        lo_lanes |= 1u << k;
      }
      if (s > 64 - 52 && w + 1 < 16) {  // the digit runs into limb w+1
        fits = fits && w + 1 - base >= 0 && w + 1 - base < 4;
        hi_index[lane] = static_cast<u64>(w + 1 - base);
        hi_shift[lane] = static_cast<u64>(64 - s);
        hi_lanes |= 1u << k;
      }
    }
  }
};
template <int Shift>
inline constexpr to_digit_tables<Shift> to_digit = {};
static_assert(to_digit<0>.fits && to_digit<8>.fits && to_digit<16>.fits,
              "a digit vector needs limbs outside its window");

/// 20 normalized digits (value < 2^1024) into 16 limbs: limb w gathers up to three digits,
/// digit j shifted right by 64w - 52j or left by 52j - 64w. Limb vector k (limbs 4k..4k+3)
/// reads digits 4k..4k+7, i.e. digit vectors k and k+1 (checked by `fits`).
struct from_digit_tables {
  alignas(32) std::array<std::array<u64, 16>, 3> index{}, right{}, left{};
  std::array<unsigned, 3> lanes{};
  bool fits = true;

  constexpr from_digit_tables() noexcept {
    for (int w = 0; w < 16; ++w) {
      const int base = 4 * (w / 4), j0 = 64 * w / 52;
      for (int t = 0; t < 3; ++t) {
        const int j = j0 + t;
        if (j >= digits || 52 * j >= 64 * w + 64) continue;
        fits = fits && j - base >= 0 && j - base < 8;
        const auto lane = static_cast<std::size_t>(w), term = static_cast<std::size_t>(t);
        index[term][lane] = static_cast<u64>(j - base);
        if (52 * j <= 64 * w)
          right[term][lane] = static_cast<u64>(64 * w - 52 * j);
        else
          left[term][lane] = static_cast<u64>(52 * j - 64 * w);
        lanes[term] |= 1u << w;
      }
    }
  }
};
inline constexpr from_digit_tables from_digit = {};
static_assert(from_digit.fits, "a limb vector needs digits outside its two digit vectors");

template <std::size_t N>
SKM_IFMA_INLINE __m256i load4(const std::array<u64, N>& t, int part) noexcept {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(t.data() + std::ptrdiff_t{4} * part));
}

/// x * 2^Shift (x < 2^1024, Shift <= 16) as normalized digits.
template <int Shift>
SKM_IFMA_INLINE v5 to_digits(const uint<16>& x) noexcept {
  constexpr const auto& t = to_digit<Shift>;
  const __m256i m = _mm256_set1_epi64x(static_cast<long long>(mask52));
  v5 out;
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j) {
    const __m256i limbs = _mm256_loadu_si256(
        reinterpret_cast<const __m256i*>(x.limb.data() + t.window[static_cast<std::size_t>(j)]));
    const __m256i lo = _mm256_maskz_permutexvar_epi64(
        static_cast<__mmask8>((t.lo_lanes >> (4 * j)) & 0xF), load4(t.lo_index, j), limbs);
    const __m256i hi = _mm256_maskz_permutexvar_epi64(
        static_cast<__mmask8>((t.hi_lanes >> (4 * j)) & 0xF), load4(t.hi_index, j), limbs);
    out.v[j] = _mm256_and_si256(_mm256_or_si256(_mm256_srlv_epi64(lo, load4(t.lo_shift, j)),
                                                _mm256_sllv_epi64(hi, load4(t.hi_shift, j))),
                                m);
  }
  return out;
}

/// Normalized digits of a value below 2^1024 into 16 limbs.
SKM_IFMA_INLINE void from_digits(uint<16>& out, const v5& x) noexcept {
  constexpr const auto& t = from_digit;
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    __m256i acc = _mm256_setzero_si256();
#pragma GCC unroll 3
    for (int term = 0; term < 3; ++term) {
      const auto i = static_cast<std::size_t>(term);
      const __m256i d =
          _mm256_maskz_permutex2var_epi64(static_cast<__mmask8>((t.lanes[i] >> (4 * k)) & 0xF),
                                          x.v[k], load4(t.index[i], k), x.v[k + 1]);
      acc = _mm256_or_si256(
          acc, _mm256_sllv_epi64(_mm256_srlv_epi64(d, load4(t.right[i], k)), load4(t.left[i], k)));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out.limb.data() + std::ptrdiff_t{4} * k), acc);
  }
}

/// Lanes (bit j = lane j) of the 20 where x > y, x == y.
SKM_IFMA_INLINE unsigned lanes_gt(const v5& x, __m256i y) noexcept {
  unsigned r = 0;
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j) r |= unsigned(_mm256_cmpgt_epu64_mask(x.v[j], y)) << (4 * j);
  return r;
}
SKM_IFMA_INLINE unsigned lanes_eq(const v5& x, __m256i y) noexcept {
  unsigned r = 0;
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j) r |= unsigned(_mm256_cmpeq_epu64_mask(x.v[j], y)) << (4 * j);
  return r;
}

/// Carry (or borrow) lookahead over the 20 lanes, one bit per lane: `generate` lanes send one
/// out, `propagate` lanes pass an incoming one on. Returns the lanes that receive one (bit 20:
/// one leaves the top lane). The ripple through any run of propagating lanes is one integer
/// addition: adding the generate bits, shifted up a lane, into the propagate bits carries
/// through exactly those runs.
[[nodiscard]] constexpr unsigned lanes_receiving(unsigned generate, unsigned propagate) noexcept {
  return ((generate << 1) + propagate) ^ propagate;
}

/// Carry-normalizes lanes below 2^63 into 52-bit digits: one shift-and-add pass leaves every
/// lane at most 2^52 - 1 + 2^11, so each then carries at most one; the ripple through all-ones
/// digits is resolved at once by adding bit masks (generate = lane > 2^52 - 1, propagate =
/// lane == 2^52 - 1), as in a carry-lookahead adder. The value must stay below 2^1040.
SKM_IFMA_INLINE v5 normalize(v5 x) noexcept {
  const __m256i m = _mm256_set1_epi64x(static_cast<long long>(mask52)), z = _mm256_setzero_si256();
  __m256i c[5];
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j) c[j] = _mm256_maskz_srli_epi64(all4, x.v[j], 52);
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j)
    x.v[j] = _mm256_add_epi64(_mm256_and_si256(x.v[j], m),
                              _mm256_maskz_alignr_epi64(all4, c[j], j ? c[j - 1] : z, 3));
  const unsigned g = lanes_gt(x, m), p = lanes_eq(x, m);
  const unsigned carry_in = lanes_receiving(g, p);
  const __m256i one = _mm256_set1_epi64x(1);
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j)
    x.v[j] = _mm256_and_si256(
        _mm256_mask_add_epi64(x.v[j], static_cast<__mmask8>((carry_in >> (4 * j)) & 0xF), x.v[j],
                              one),
        m);
  return x;
}

/// x in [0, 2p) as normalized digits -> x mod p: d = x - p digit-wise, borrows resolved with the
/// same lookahead as normalize() (generate = negative difference, propagate = zero difference),
/// then a masked blend keeps x when the subtraction borrowed out of the top digit.
SKM_IFMA_INLINE v5 subtract_p_once(const v5& x, const digit_vector& p) noexcept {
  const __m256i m = _mm256_set1_epi64x(static_cast<long long>(mask52)), z = _mm256_setzero_si256();
  v5 d;
  unsigned g = 0, e = 0;
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j) {
    d.v[j] = _mm256_sub_epi64(x.v[j], load4(p.d, j));
    g |= unsigned(_mm256_cmplt_epi64_mask(d.v[j], z)) << (4 * j);
    e |= unsigned(_mm256_cmpeq_epi64_mask(d.v[j], z)) << (4 * j);
  }
  const unsigned borrow_in = lanes_receiving(g, e);  // bit 20: x < p
  const auto keep_x = static_cast<__mmask8>(0u - ((borrow_in >> digits) & 1));
  const __m256i one = _mm256_set1_epi64x(1);
  v5 out;
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j) {
    const __m256i dv = _mm256_and_si256(
        _mm256_mask_sub_epi64(d.v[j], static_cast<__mmask8>((borrow_in >> (4 * j)) & 0xF), d.v[j],
                              one),
        m);
    out.v[j] = _mm256_mask_blend_epi64(keep_x, dv, x.v[j]);
  }
  return out;
}

/// One Montgomery step after the step's product terms are in acc (low halves) and h (high
/// halves, which belong one digit up): m = t p' mod 2^52 from the broadcast lane 0 `t`;
/// acc += lo(m P), h += hi(m P); acc = (acc >> one digit) + h. acc_0 is then 0 mod 2^52 and only
/// its high bits carry; the next lane 0 is formed straight from lanes 1 and 0 of this step's
/// terms, which keeps the lane shift off the serial chain (lane 0 -> m -> m P -> next lane 0).
SKM_IFMA_INLINE void reduce_step(v5& acc, __m256i (&h)[5], __m256i& t, const __m256i (&pv)[5],
                                 __m256i p_inv) noexcept {
  const __m256i z = _mm256_setzero_si256();
  const __m256i m = _mm256_madd52lo_epu64(z, t, p_inv);
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j) {
    acc.v[j] = _mm256_madd52lo_epu64(acc.v[j], m, pv[j]);
    h[j] = _mm256_madd52hi_epu64(h[j], m, pv[j]);
  }
  const __m256i carry = _mm256_maskz_srli_epi64(all4, acc.v[0], 52);
  const __m256i c0 = _mm256_add_epi64(h[0], carry);
  t = _mm256_add_epi64(_mm256_permute4x64_epi64(acc.v[0], 0x55), _mm256_permute4x64_epi64(c0, 0));
  h[0] = _mm256_add_epi64(h[0], _mm256_maskz_srli_epi64(1, acc.v[0], 52));
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j)
    acc.v[j] = _mm256_add_epi64(
        _mm256_maskz_alignr_epi64(all4, j < 4 ? acc.v[j + 1] : z, acc.v[j], 1), h[j]);
}

/// Row i of a^2 in the accumulator frame of step i (lane l of vector j = digit i + 4j + l): lo or
/// hi of a_i a_k for k >= i, doubled for k > i (a product half fits 52 bits, so doubling cannot
/// overflow a lane; doubling a_k first would not fit IFMA's 52-bit inputs). i and j are loop
/// indices: the masks are compile-time constants once the loops are unrolled.
template <bool High>
SKM_IFMA_INLINE __m256i square_row(int i, int j, __m256i ai, __m256i aj) noexcept {
  const __m256i z = _mm256_setzero_si256();
  if (i >= digits || 4 * j + 3 < i) return z;
  unsigned ge = 0, gt = 0;
  for (int l = 0; l < 4; ++l) {
    ge |= unsigned(4 * j + l >= i) << l;
    gt |= unsigned(4 * j + l > i) << l;
  }
  const __m256i x = High ? _mm256_maskz_madd52hi_epu64(static_cast<__mmask8>(ge), z, ai, aj)
                         : _mm256_maskz_madd52lo_epu64(static_cast<__mmask8>(ge), z, ai, aj);
  return _mm256_mask_add_epi64(x, static_cast<__mmask8>(gt), x, x);
}

/// The shared end: normalize, subtract p once, back to limbs.
SKM_IFMA_INLINE void finish(uint<16>& out, const v5& acc, const modulus16& mod) noexcept {
  from_digits(out, subtract_p_once(normalize(acc), mod.p));
}

/// The product terms of a b' (b' = b 2^16 in digits): step 0's low halves, and step i's
/// hi(a_i B) + lo(a_{i+1} B) (both off the serial reduction chain).
struct product_rows {
  const v5& b;
  SKM_IFMA_INLINE __m256i first(__m256i a0, int j) const noexcept {
    return _mm256_madd52lo_epu64(_mm256_setzero_si256(), a0, b.v[j]);
  }
  SKM_IFMA_INLINE __m256i row(int, int j, __m256i ai, __m256i an) const noexcept {
    return _mm256_madd52hi_epu64(_mm256_madd52lo_epu64(_mm256_setzero_si256(), an, b.v[j]), ai,
                                 b.v[j]);
  }
};

/// The product terms of a'^2 (a' = a 2^8 in digits), the symmetric half of each row left out.
struct square_rows {
  const v5& a;
  SKM_IFMA_INLINE __m256i first(__m256i a0, int j) const noexcept {
    return square_row<false>(0, j, a0, a.v[j]);
  }
  SKM_IFMA_INLINE __m256i row(int i, int j, __m256i ai, __m256i an) const noexcept {
    return _mm256_add_epi64(square_row<false>(i + 1, j, an, a.v[j]),
                            square_row<true>(i, j, ai, a.v[j]));
  }
};

/// The 20 steps both kernels share: the left operand's digits are broadcast one at a time from
/// `ad` (ad.d[20] is zero padding), `rows` gives each step's product terms, reduce_step() the
/// Montgomery step; then finish().
template <class Rows>
SKM_IFMA_INLINE void montgomery_steps(uint<16>& out, const digit_vector& ad, const Rows& rows,
                                      const modulus16& mod) noexcept {
  __m256i pv[5], h[5];
  v5 acc;
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j) pv[j] = load4(mod.p.d, j);
  const __m256i p_inv = _mm256_set1_epi64x(static_cast<long long>(mod.p_inv));
  __m256i ai = _mm256_set1_epi64x(static_cast<long long>(ad.d[0]));
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j) acc.v[j] = rows.first(ai, j);
  __m256i t = _mm256_permute4x64_epi64(acc.v[0], 0);
#pragma GCC unroll 20
  for (int i = 0; i < digits; ++i) {
    const __m256i an =
        _mm256_set1_epi64x(static_cast<long long>(ad.d[static_cast<std::size_t>(i) + 1]));
#pragma GCC unroll 5
    for (int j = 0; j < 5; ++j) h[j] = rows.row(i, j, ai, an);
    reduce_step(acc, h, t, pv, p_inv);
    ai = an;
  }
  finish(out, acc, mod);
}

SKM_IFMA_INLINE digit_vector stored(const v5& x) noexcept {
  digit_vector d;  // d.d[20..23] stay zero
#pragma GCC unroll 5
  for (int j = 0; j < 5; ++j)
    _mm256_store_si256(reinterpret_cast<__m256i*>(d.d.data() + std::ptrdiff_t{4} * j), x.v[j]);
  return d;
}

/// out = a b 2^-1024 mod p, fully reduced. Requires a, b < p. out may alias a or b.
[[gnu::noinline]] SKM_IFMA_TARGET inline void montmul16(uint<16>& out, const uint<16>& a,
                                                        const uint<16>& b,
                                                        const modulus16& mod) noexcept {
  const v5 bv = to_digits<16>(b);
  montgomery_steps(out, stored(to_digits<0>(a)), product_rows{bv}, mod);
}

/// out = a^2 2^-1024 mod p, fully reduced. Requires a < p. out may alias a.
[[gnu::noinline]] SKM_IFMA_TARGET inline void montsqr16(uint<16>& out, const uint<16>& a,
                                                        const modulus16& mod) noexcept {
  const v5 av = to_digits<8>(a);
  montgomery_steps(out, stored(av), square_rows{av}, mod);
}

}  // namespace skm::kernels::ifma

#undef SKM_IFMA_INLINE
#undef SKM_IFMA_TARGET

#endif
