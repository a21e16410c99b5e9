// Prototype (issue #8): a 1024-bit Montgomery multiplication for parameter set 1's p with AVX-512
// IFMA, in radix 2^52 (20 digits, stored padded to 24) and R' = 2^1040, in two layouts (three
// 512-bit vectors, or five 256-bit ones), measured against the library's default kernel
// (generated ADX where available). Correctness is checked against GMP before any timing; without
// IFMA the benchmark says so and exits 0.
//
// The multiplication is an almost-Montgomery one: inputs in [0, 2p), output in [0, p + 2^1010),
// so chains never need a subtraction; a constant-time final reduction maps to [0, p) at the end.
// Conversions here are radix changes only (no factor of R'); entering the R' domain would be one
// more product with R'^2 mod p.
#include <gmp.h>
#include <immintrin.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <random>

#include "../support/timing.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/field/fp.hpp"

using namespace skm;
using bench::interleaved;
using bench::keep;

namespace {

using F = curves::sakke_param_set_1::base_field;
using u64 = std::uint64_t;
using limbs16 = std::array<u64, 16>;

constexpr int digits = 20;           // 20 * 52 = 1040 bits
constexpr u64 mask52 = (u64{1} << 52) - 1;

/// 20 radix-2^52 digits, padded to 24 so that three aligned 512-bit loads cover them.
struct alignas(64) d52 {
  std::array<u64, 24> d{};
};

// ---- conversions (plain scalar code: bit slicing, no arithmetic mod p) ----

void to_d52(d52& out, const limbs16& in) noexcept {
  for (int k = 0; k < digits; ++k) {
    const int bit = 52 * k, w = bit / 64, s = bit % 64;
    u64 v = in[w] >> s;
    if (s > 12 && w + 1 < 16) v |= in[w + 1] << (64 - s);  // the digit straddles two limbs
    out.d[k] = v & mask52;
  }
  for (int k = digits; k < 24; ++k) out.d[k] = 0;
}

/// Needs normalized digits and a value below 2^1024 (bits from 1024 up are dropped).
void from_d52(limbs16& out, const d52& in) noexcept {
  out.fill(0);
  for (int k = 0; k < digits; ++k) {
    const int bit = 52 * k, w = bit / 64, s = bit % 64;
    out[w] |= in.d[k] << s;
    if (s > 12 && w + 1 < 16) out[w + 1] |= in.d[k] >> (64 - s);
  }
}

struct constants {
  d52 p;       // p in radix 2^52
  u64 p_inv;   // -p^-1 mod 2^52
};

constants make_constants() {
  constants c;
  limbs16 p;
  for (int i = 0; i < 16; ++i) p[i] = F::modulus.limb[i];
  to_d52(c.p, p);
  c.p_inv = F::m_inv & mask52;  // -p^-1 mod 2^64, reduced mod 2^52
  return c;
}
const constants k = make_constants();

// ---- AVX-512 IFMA kernel ----
#define SKM_IFMA __attribute__((target("avx512f,avx512ifma")))

struct v3 {
  __m512i v0, v1, v2;
};

// The all-lanes-masked forms: g++ 12's unmasked alignr/srli/permutexvar expand to a
// self-initialized "undefined" vector that trips -Wuninitialized under a target attribute.
constexpr __mmask8 all = 0xFF;
SKM_IFMA inline __m512i srli52(__m512i x) noexcept { return _mm512_maskz_srli_epi64(all, x, 52); }
template <int N>
SKM_IFMA inline __m512i alignr(__m512i hi, __m512i lo) noexcept {
  return _mm512_maskz_alignr_epi64(all, hi, lo, N);
}
SKM_IFMA inline __m512i broadcast_lane0(__m512i x) noexcept {
  return _mm512_maskz_permutexvar_epi64(all, _mm512_setzero_si512(), x);
}

/// 20-bit-wide lane masks of the 24 lanes, packed into one integer (bit j = lane j).
SKM_IFMA inline unsigned lanes_gt(const v3& x, __m512i y) noexcept {
  return unsigned(_mm512_cmpgt_epu64_mask(x.v0, y)) | unsigned(_mm512_cmpgt_epu64_mask(x.v1, y)) << 8 |
         unsigned(_mm512_cmpgt_epu64_mask(x.v2, y)) << 16;
}
SKM_IFMA inline unsigned lanes_eq(const v3& x, __m512i y) noexcept {
  return unsigned(_mm512_cmpeq_epu64_mask(x.v0, y)) | unsigned(_mm512_cmpeq_epu64_mask(x.v1, y)) << 8 |
         unsigned(_mm512_cmpeq_epu64_mask(x.v2, y)) << 16;
}

/// Carry-normalizes lanes below 2^63 into 52-bit digits without data-dependent branches: one
/// shift-and-add pass leaves every lane at most 2^52 - 1 + 2^11, so each carries at most one;
/// the rare ripple through all-ones digits is resolved at once by adding bit masks (carry
/// lookahead: generate = lane > 2^52 - 1, propagate = lane == 2^52 - 1).
SKM_IFMA inline v3 normalize(v3 x) noexcept {
  const __m512i m = _mm512_set1_epi64(static_cast<long long>(mask52)), z = _mm512_setzero_si512();
  __m512i c0 = srli52(x.v0), c1 = srli52(x.v1), c2 = srli52(x.v2);
  x.v0 = _mm512_add_epi64(_mm512_and_si512(x.v0, m), alignr<7>(c0, z));
  x.v1 = _mm512_add_epi64(_mm512_and_si512(x.v1, m), alignr<7>(c1, c0));
  x.v2 = _mm512_add_epi64(_mm512_and_si512(x.v2, m), alignr<7>(c2, c1));
  const unsigned g = lanes_gt(x, m), p = lanes_eq(x, m);
  const unsigned cin = ((g << 1) + p) ^ p;  // lanes receiving a carry
  const __m512i one = _mm512_set1_epi64(1);
  x.v0 = _mm512_and_si512(_mm512_mask_add_epi64(x.v0, __mmask8(cin), x.v0, one), m);
  x.v1 = _mm512_and_si512(_mm512_mask_add_epi64(x.v1, __mmask8(cin >> 8), x.v1, one), m);
  x.v2 = _mm512_and_si512(_mm512_mask_add_epi64(x.v2, __mmask8(cin >> 16), x.v2, one), m);
  return x;
}

/// r = a b 2^-1040 mod p up to one multiple of p: for a, b < 2p (normalized digits) the result is
/// below p + 2^1010 and normalized. r may alias a or b.
///
/// Operand scanning, one digit a_i per step, accumulator acc in lanes 0..23:
///   acc += lo(a_i B);  m = acc_0 p' mod 2^52;  acc += lo(m P);  acc >>= one digit (acc_0's
///   high bits carried into the new lane 0);  acc += hi(a_i B) + hi(m P)
/// The hi halves belong one digit up, so they are added right after the shift. Lanes are left
/// unnormalized (each step adds < 2^54 per lane, 20 steps stay far below 2^64); only lane 0's
/// carry moves each step, since m needs acc_0 exactly mod 2^52. a_i B is independent of the
/// m chain, so only the m dependency (lane 0 -> m -> m P -> shift) is serial.
SKM_IFMA void mul_ifma(d52& r, const d52& a, const d52& b) noexcept {
  const __m512i z = _mm512_setzero_si512();
  const __m512i b0 = _mm512_load_si512(b.d.data()), b1 = _mm512_load_si512(b.d.data() + 8),
                b2 = _mm512_load_si512(b.d.data() + 16);
  const __m512i p0 = _mm512_load_si512(k.p.d.data()), p1 = _mm512_load_si512(k.p.d.data() + 8),
                p2 = _mm512_load_si512(k.p.d.data() + 16);
  const __m512i pinv = _mm512_set1_epi64(static_cast<long long>(k.p_inv));
  // lo(a_i B) of the next step is folded into this step's hi terms, so the serial lane-0 chain
  // per step is: broadcast, IFMA (m), IFMA (lo m P), shift + carry, one add.
  __m512i ai = _mm512_set1_epi64(static_cast<long long>(a.d[0]));
  __m512i acc0 = _mm512_madd52lo_epu64(z, ai, b0), acc1 = _mm512_madd52lo_epu64(z, ai, b1),
          acc2 = _mm512_madd52lo_epu64(z, ai, b2);
  for (int i = 0; i < digits; ++i) {
    // hi(a_i B) + lo(a_{i+1} B), both off the serial chain (a_20 = 0)
    const __m512i an = _mm512_set1_epi64(static_cast<long long>(i + 1 < digits ? a.d[i + 1] : 0));
    __m512i h0 = _mm512_madd52hi_epu64(_mm512_madd52lo_epu64(z, an, b0), ai, b0);
    __m512i h1 = _mm512_madd52hi_epu64(_mm512_madd52lo_epu64(z, an, b1), ai, b1);
    __m512i h2 = _mm512_madd52hi_epu64(_mm512_madd52lo_epu64(z, an, b2), ai, b2);
    // m in every lane: broadcast acc_0 first, then one IFMA with p'
    const __m512i t = broadcast_lane0(acc0);
    const __m512i m = _mm512_madd52lo_epu64(z, t, pinv);
    acc0 = _mm512_madd52lo_epu64(acc0, m, p0);
    acc1 = _mm512_madd52lo_epu64(acc1, m, p1);
    acc2 = _mm512_madd52lo_epu64(acc2, m, p2);
    h0 = _mm512_madd52hi_epu64(h0, m, p0);
    h1 = _mm512_madd52hi_epu64(h1, m, p1);
    h2 = _mm512_madd52hi_epu64(h2, m, p2);
    // acc_0 is now 0 mod 2^52; its high part moves into the next lane, which becomes lane 0
    const __m512i carry = _mm512_maskz_srli_epi64(1, acc0, 52);
    acc0 = _mm512_add_epi64(alignr<1>(acc1, acc0), _mm512_add_epi64(carry, h0));
    acc1 = _mm512_add_epi64(alignr<1>(acc2, acc1), h1);
    acc2 = _mm512_add_epi64(alignr<1>(z, acc2), h2);
    ai = an;
  }
  const v3 out = normalize({acc0, acc1, acc2});
  _mm512_store_si512(r.d.data(), out.v0);
  _mm512_store_si512(r.d.data() + 8, out.v1);
  _mm512_store_si512(r.d.data() + 16, out.v2);
}

// ---- the same algorithm on five 256-bit vectors (needs AVX-512VL too) ----
// Zen 4 issues 512-bit IFMA at about half the rate of 256-bit IFMA (about the same digits per
// cycle), and 20 digits fill five 4-lane vectors exactly where three 8-lane ones waste 4 lanes.
#define SKM_IFMA_VL __attribute__((target("avx512f,avx512vl,avx512ifma")))
constexpr __mmask8 all4 = 0x0F;

struct v5 {
  __m256i v[5];  // a plain array: std::array would drop the vector type's attributes
};

/// Lane mask (bit j = lane j) of the 20 lanes: x > y, or x == y.
SKM_IFMA_VL inline unsigned lanes_gt(const v5& x, __m256i y) noexcept {
  unsigned r = 0;
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j) r |= unsigned(_mm256_cmpgt_epu64_mask(x.v[j], y)) << (4 * j);
  return r;
}
SKM_IFMA_VL inline unsigned lanes_eq(const v5& x, __m256i y) noexcept {
  unsigned r = 0;
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j) r |= unsigned(_mm256_cmpeq_epu64_mask(x.v[j], y)) << (4 * j);
  return r;
}

/// As normalize() above, on five vectors.
SKM_IFMA_VL inline v5 normalize(v5 x) noexcept {
  const __m256i m = _mm256_set1_epi64x(static_cast<long long>(mask52)), z = _mm256_setzero_si256();
  __m256i c[5];
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j) c[j] = _mm256_maskz_srli_epi64(all4, x.v[j], 52);
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j)
    x.v[j] = _mm256_add_epi64(_mm256_and_si256(x.v[j], m), _mm256_maskz_alignr_epi64(all4, c[j], j ? c[j - 1] : z, 3));
  const unsigned g = lanes_gt(x, m), p = lanes_eq(x, m);
  const unsigned cin = ((g << 1) + p) ^ p;  // lanes receiving a carry
  const __m256i one = _mm256_set1_epi64x(1);
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j)
    x.v[j] = _mm256_and_si256(_mm256_mask_add_epi64(x.v[j], __mmask8((cin >> (4 * j)) & 0xF), x.v[j], one), m);
  return x;
}

/// The Montgomery step both 256-bit kernels share, after the step's product terms: m from the
/// broadcast lane 0 `t`; acc += lo(m P), h += hi(m P); then the one-digit shift acc = (acc >> 1
/// digit) + h, with the next lane 0 formed straight from lanes 1 and 0 of this step's terms to keep
/// the shift (valignq) off the serial m chain.
[[gnu::always_inline]] SKM_IFMA_VL inline void reduce_step(v5& acc, __m256i (&h)[5], __m256i& t, const __m256i (&pv)[5],
                                                            __m256i pinv) noexcept {
  const __m256i z = _mm256_setzero_si256();
  const __m256i m = _mm256_madd52lo_epu64(z, t, pinv);
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j) {
    acc.v[j] = _mm256_madd52lo_epu64(acc.v[j], m, pv[j]);
    h[j] = _mm256_madd52hi_epu64(h[j], m, pv[j]);
  }
  const __m256i c0 = _mm256_add_epi64(h[0], _mm256_srli_epi64(acc.v[0], 52));
  t = _mm256_add_epi64(_mm256_permute4x64_epi64(acc.v[0], 0x55), _mm256_permute4x64_epi64(c0, 0));
  h[0] = _mm256_add_epi64(h[0], _mm256_maskz_srli_epi64(1, acc.v[0], 52));
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j)
    acc.v[j] = _mm256_add_epi64(_mm256_maskz_alignr_epi64(all4, j < 4 ? acc.v[j + 1] : z, acc.v[j], 1), h[j]);
}

/// r = the normalized accumulator, padding digits zero.
[[gnu::always_inline]] SKM_IFMA_VL inline void store_normalized(d52& r, const v5& acc) noexcept {
  const v5 out = normalize(acc);
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(r.d.data() + 4 * j), out.v[j]);
  }
  _mm256_store_si256(reinterpret_cast<__m256i*>(r.d.data() + 20), _mm256_setzero_si256());
}

/// mul_ifma() on 256-bit vectors: same contract, same steps.
SKM_IFMA_VL void mul_ifma256(d52& r, const d52& a, const d52& b) noexcept {
  const __m256i z = _mm256_setzero_si256();
  __m256i bv[5], pv[5], h[5];
  v5 acc;
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j) {
    bv[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(b.d.data() + 4 * j));
    pv[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(k.p.d.data() + 4 * j));
  }
  const __m256i pinv = _mm256_set1_epi64x(static_cast<long long>(k.p_inv));
  __m256i ai = _mm256_set1_epi64x(static_cast<long long>(a.d[0]));
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j) acc.v[j] = _mm256_madd52lo_epu64(z, ai, bv[j]);
  __m256i t = _mm256_permute4x64_epi64(acc.v[0], 0);  // lane 0 of the accumulator, broadcast
  for (int i = 0; i < digits; ++i) {
    // hi(a_i B) + lo(a_{i+1} B), both off the serial chain (a_20 = 0)
    const __m256i an = _mm256_set1_epi64x(static_cast<long long>(i + 1 < digits ? a.d[i + 1] : 0));
    _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j) {
      h[j] = _mm256_madd52hi_epu64(_mm256_madd52lo_epu64(z, an, bv[j]), ai, bv[j]);
    }
    reduce_step(acc, h, t, pv, pinv);
    ai = an;
  }
  store_normalized(r, acc);
}

/// Row i of a^2 in the accumulator frame of step i (lane j = digit i + j): lo or hi of a_i a_j
/// for j >= i, doubled for j > i (products fit 52 bits, so doubling cannot overflow a lane;
/// doubling a_j first would not fit IFMA's 52-bit inputs). Blocks entirely below i are skipped,
/// which is where squaring saves IFMAs; i is public, so this is no secret-dependent branch.
template <bool Hi>
SKM_IFMA_VL inline __m256i sqr_row(int i, int j, __m256i ai, __m256i aj) noexcept {
  const __m256i z = _mm256_setzero_si256();
  if (i >= digits || 4 * j + 3 < i) return z;
  unsigned ge = 0, gt = 0;  // lanes with digit index >= i, > i
  for (int l = 0; l < 4; ++l) {
    ge |= unsigned(4 * j + l >= i) << l;
    gt |= unsigned(4 * j + l > i) << l;
  }
  const __m256i x = Hi ? _mm256_maskz_madd52hi_epu64(__mmask8(ge), z, ai, aj)
                       : _mm256_maskz_madd52lo_epu64(__mmask8(ge), z, ai, aj);
  return _mm256_mask_add_epi64(x, __mmask8(gt), x, x);
}

/// r = a^2 2^-1040 mod p up to one multiple of p; the contract and the steps of mul_ifma256(),
/// with the symmetric half of the product rows left out.
SKM_IFMA_VL void sqr_ifma256(d52& r, const d52& a) noexcept {
  __m256i av[5], pv[5], h[5];
  v5 acc;
  for (int j = 0; j < 5; ++j) {
    av[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(a.d.data() + 4 * j));
    pv[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(k.p.d.data() + 4 * j));
  }
  const __m256i pinv = _mm256_set1_epi64x(static_cast<long long>(k.p_inv));
  __m256i ai = _mm256_set1_epi64x(static_cast<long long>(a.d[0]));
  _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j) acc.v[j] = sqr_row<false>(0, j, ai, av[j]);
  __m256i t = _mm256_permute4x64_epi64(acc.v[0], 0);  // lane 0 of the accumulator, broadcast
  _Pragma("GCC unroll 20") for (int i = 0; i < digits; ++i) {
    const __m256i an = _mm256_set1_epi64x(static_cast<long long>(i + 1 < digits ? a.d[i + 1] : 0));
    _Pragma("GCC unroll 5") for (int j = 0; j < 5; ++j) {
      h[j] = _mm256_add_epi64(sqr_row<false>(i + 1, j, an, av[j]), sqr_row<true>(i, j, ai, av[j]));
    }
    reduce_step(acc, h, t, pv, pinv);
    ai = an;
  }
  store_normalized(r, acc);
}

/// sqr_ifma256() behind the two-operand signature of the checks (b is ignored: callers pass a).
SKM_IFMA_VL void sqr_as_mul(d52& r, const d52& a, const d52&) noexcept { sqr_ifma256(r, a); }

/// Maps x in [0, 2p) (normalized digits) to [0, p) in constant time: d = x - p digit-wise, the
/// borrows resolved with the same mask lookahead as normalize(), then a masked select.
SKM_IFMA void reduce_once(d52& r, const d52& x) noexcept {
  const __m512i m = _mm512_set1_epi64(static_cast<long long>(mask52)), z = _mm512_setzero_si512();
  const v3 xv{_mm512_load_si512(x.d.data()), _mm512_load_si512(x.d.data() + 8), _mm512_load_si512(x.d.data() + 16)};
  v3 d{_mm512_sub_epi64(xv.v0, _mm512_load_si512(k.p.d.data())),
       _mm512_sub_epi64(xv.v1, _mm512_load_si512(k.p.d.data() + 8)),
       _mm512_sub_epi64(xv.v2, _mm512_load_si512(k.p.d.data() + 16))};
  // generate = digit difference negative (as a signed lane), propagate = difference zero
  const unsigned g = unsigned(_mm512_cmplt_epi64_mask(d.v0, z)) | unsigned(_mm512_cmplt_epi64_mask(d.v1, z)) << 8 |
                     unsigned(_mm512_cmplt_epi64_mask(d.v2, z)) << 16;
  const unsigned p = lanes_eq(d, z);
  const unsigned bin = ((g << 1) + p) ^ p;  // lanes receiving a borrow; bit 20 = x < p
  const __m512i one = _mm512_set1_epi64(1);
  d.v0 = _mm512_and_si512(_mm512_mask_sub_epi64(d.v0, __mmask8(bin), d.v0, one), m);
  d.v1 = _mm512_and_si512(_mm512_mask_sub_epi64(d.v1, __mmask8(bin >> 8), d.v1, one), m);
  d.v2 = _mm512_and_si512(_mm512_mask_sub_epi64(d.v2, __mmask8(bin >> 16), d.v2, one), m);
  const __mmask8 keep_x = __mmask8(0u - ((bin >> digits) & 1));  // all ones when x < p
  _mm512_store_si512(r.d.data(), _mm512_mask_blend_epi64(keep_x, d.v0, xv.v0));
  _mm512_store_si512(r.d.data() + 8, _mm512_mask_blend_epi64(keep_x, d.v1, xv.v1));
  _mm512_store_si512(r.d.data() + 16, _mm512_mask_blend_epi64(keep_x, d.v2, xv.v2));
}

/// normalize() on its own, for the tests (lanes below 2^63, value below 2^1040).
SKM_IFMA void normalize512(d52& x) noexcept {
  v3 v{_mm512_load_si512(x.d.data()), _mm512_load_si512(x.d.data() + 8), _mm512_load_si512(x.d.data() + 16)};
  v = normalize(v);
  _mm512_store_si512(x.d.data(), v.v0);
  _mm512_store_si512(x.d.data() + 8, v.v1);
  _mm512_store_si512(x.d.data() + 16, v.v2);
}
SKM_IFMA_VL void normalize256(d52& x) noexcept {
  v5 v;
  for (int j = 0; j < 5; ++j) v.v[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(x.d.data() + 4 * j));
  v = normalize(v);
  for (int j = 0; j < 5; ++j) _mm256_store_si256(reinterpret_cast<__m256i*>(x.d.data() + 4 * j), v.v[j]);
}

// ---- GMP reference ----

struct gmp_ref {
  mpz_t p, rinv, t;  // rinv = 2^-1040 mod p
  gmp_ref() {
    mpz_inits(p, rinv, t, nullptr);
    mpz_import(p, 16, -1, 8, 0, 0, F::modulus.limb.data());
    mpz_set_ui(rinv, 1);
    mpz_mul_2exp(rinv, rinv, 52 * digits);
    mpz_invert(rinv, rinv, p);
  }
  ~gmp_ref() { mpz_clears(p, rinv, t, nullptr); }
  gmp_ref(const gmp_ref&) = delete;
  gmp_ref& operator=(const gmp_ref&) = delete;
  void load(mpz_t out, const limbs16& x) { mpz_import(out, 16, -1, 8, 0, 0, x.data()); }
  limbs16 store(const mpz_t x) {
    limbs16 out{};
    size_t n = 0;
    mpz_export(out.data(), &n, -1, 8, 0, 0, x);
    return out;
  }
  /// a b 2^-1040 mod p
  void mont(mpz_t out, const mpz_t a, const mpz_t b) {
    mpz_mul(t, a, b);
    mpz_mul(t, t, rinv);
    mpz_mod(out, t, p);
  }
};

limbs16 random_below_p(std::mt19937_64& rng, gmp_ref& g) {
  limbs16 x;
  for (auto& l : x) l = rng();
  mpz_t v;
  mpz_init(v);
  g.load(v, x);
  mpz_mod(v, v, g.p);
  x = g.store(v);
  mpz_clear(v);
  return x;
}

using mul_fn = void (*)(d52&, const d52&, const d52&) noexcept;

/// The full IFMA path for canonical a, b: convert, multiply, reduce, convert back.
limbs16 ifma_mont(mul_fn mul, const limbs16& a, const limbs16& b) {
  d52 x, y, r;
  to_d52(x, a);
  to_d52(y, b);
  mul(r, x, y);
  reduce_once(r, r);
  limbs16 out;
  from_d52(out, r);
  return out;
}

/// The value of 20 (possibly unnormalized) lanes: sum of x_k 2^(52 k).
void value_of(mpz_t v, const d52& x) {
  mpz_set_ui(v, 0);
  for (int i = digits - 1; i >= 0; --i) {
    mpz_mul_2exp(v, v, 52);
    mpz_add_ui(v, v, x.d[i]);
  }
}

/// The normalization and the final reduction on their own, on inputs built to make carries and
/// borrows ripple across many digits (random products almost never do).
int check_carry_paths(gmp_ref& g) {
  std::mt19937_64 rng(9);
  int failures = 0;
  mpz_t before, after, r;
  mpz_inits(before, after, r, nullptr);
  using norm_fn = void (*)(d52&) noexcept;
  for (norm_fn norm : {norm_fn{normalize512}, norm_fn{normalize256}}) {
    for (int c = 0; c < 1000; ++c) {
      d52 x;
      if (c == 0) {  // pass one leaves [M, 2^52, M, ..., M, 0]: one carry runs through lanes 1..19
        x.d.fill(mask52);
        x.d[0] = (u64{1} << 53) - 1;
        x.d[19] = 0;
      } else if (c == 1) {  // every lane all ones plus a carry in lane 0: ripples to the top
        x.d.fill(mask52);
        x.d[0] += 1;
        x.d[19] = 0;
      } else {
        for (int i = 0; i < digits; ++i) x.d[i] = i == digits - 1 ? rng() >> 24 : rng() >> (1 + c % 12);
        if (c % 3 == 0)  // runs of all-ones digits behind a large lane
          for (int i = 1 + c % 7; i < digits - 1; ++i) x.d[i] = mask52;
      }
      for (int i = digits; i < 24; ++i) x.d[i] = 0;
      value_of(before, x);
      norm(x);
      value_of(after, x);
      bool normalized = true;
      for (u64 v : x.d) normalized = normalized && v <= mask52;
      if (!normalized || mpz_cmp(before, after) != 0) ++failures;
    }
  }
  // reduce_once on p - 1 (borrow from lane 0 through every zero difference), p, p + 1, 2p - 1,
  // 0, and random values below 2p.
  for (int c = 0; c < 1000; ++c) {
    if (c < 5) {
      const long delta[] = {-1, 0, 1};
      if (c < 3) {
        mpz_set(before, g.p);
        if (delta[c] < 0) mpz_sub_ui(before, before, 1);
        if (delta[c] > 0) mpz_add_ui(before, before, 1);
      } else if (c == 3) {
        mpz_mul_2exp(before, g.p, 1);
        mpz_sub_ui(before, before, 1);
      } else {
        mpz_set_ui(before, 0);
      }
    } else {
      limbs16 l;
      for (auto& w : l) w = rng();
      g.load(before, l);
      mpz_mul_2exp(r, g.p, 1);
      mpz_mod(before, before, r);
    }
    d52 x;
    mpz_set(r, before);
    for (int i = 0; i < digits; ++i) {
      x.d[i] = mpz_getlimbn(r, 0) & mask52;
      mpz_tdiv_q_2exp(r, r, 52);
    }
    reduce_once(x, x);
    value_of(after, x);
    mpz_mod(before, before, g.p);
    bool normalized = true;
    for (u64 v : x.d) normalized = normalized && v <= mask52;
    if (!normalized || mpz_cmp(before, after) != 0) ++failures;
  }
  mpz_clears(before, after, r, nullptr);
  return failures;
}

bool below_2p(const d52& x, gmp_ref& g) {  // also checks the digits are normalized
  for (u64 v : x.d)
    if (v > mask52) return false;
  mpz_t v, twop;
  mpz_inits(v, twop, nullptr);
  value_of(v, x);
  mpz_mul_2exp(twop, g.p, 1);
  const bool ok = mpz_cmp(v, twop) < 0;
  mpz_clears(v, twop, nullptr);
  return ok;
}

/// Products through `mul` against GMP; with `square`, mul(r, a, b) computes a^2 (b is ignored),
/// so the references square too.
int check(gmp_ref& g, mul_fn mul, bool square) {
  std::mt19937_64 rng(8);
  int failures = 0;
  mpz_t za, zb, zr, zx;
  mpz_inits(za, zb, zr, zx, nullptr);
  auto one_case = [&](const limbs16& a, const limbs16& b_in) {
    const limbs16& b = square ? a : b_in;
    g.load(za, a);
    g.load(zb, b);
    g.mont(zr, za, zb);
    if (ifma_mont(mul, a, b) != g.store(zr)) ++failures;
  };
  limbs16 zero{}, one{}, pm1;
  one[0] = 1;
  for (int i = 0; i < 16; ++i) pm1[i] = F::modulus.limb[i];
  pm1[0] -= 1;  // p is odd
  const limbs16 edges[] = {zero, one, pm1};
  for (const auto& a : edges)
    for (const auto& b : edges) one_case(a, b);
  for (int i = 0; i < 10000; ++i) {
    const limbs16 a = random_below_p(rng, g), b = random_below_p(rng, g);
    one_case(a, b);
    one_case(a, pm1);
  }
  // Lazily reduced inputs: 2p - 1 squared must stay below 2p (the chain invariant).
  {
    d52 x, r;
    mpz_mul_2exp(za, g.p, 1);
    mpz_sub_ui(za, za, 1);
    for (int i = 0; i < digits; ++i) {
      x.d[i] = mpz_getlimbn(za, 0) & mask52;
      mpz_tdiv_q_2exp(za, za, 52);
    }
    mul(r, x, x);
    if (!below_2p(r, g)) ++failures;
    mpz_mul_2exp(za, g.p, 1);
    mpz_sub_ui(za, za, 1);
    g.mont(zr, za, za);
    reduce_once(r, r);
    limbs16 out;
    from_d52(out, r);
    if (out != g.store(zr)) ++failures;
  }
  // Chains of 100 products kept in radix 2^52 without reduction, compared at the end.
  for (int c = 0; c < 20; ++c) {
    const limbs16 a = c == 0 ? pm1 : random_below_p(rng, g), b = c == 1 ? pm1 : random_below_p(rng, g);
    d52 x, y;
    to_d52(x, a);
    to_d52(y, b);
    g.load(zx, a);
    g.load(zb, b);
    for (int i = 0; i < 100; ++i) {
      mul(x, x, y);
      if (!below_2p(x, g)) ++failures;
      g.mont(zx, zx, square ? zx : zb);
    }
    reduce_once(x, x);
    limbs16 out;
    from_d52(out, x);
    if (out != g.store(zx)) ++failures;
  }
  mpz_clears(za, zb, zr, zx, nullptr);
  return failures;
}

void run_timing(int rounds, int calls) {
  std::mt19937_64 rng(1);
  typename F::uint_type ua, ub;
  for (auto& l : ua.limb) l = rng();
  for (auto& l : ub.limb) l = rng();
  const F fa = F::reduce(ua), fb = F::reduce(ub);
  limbs16 a, b;
  for (int i = 0; i < 16; ++i) a[i] = fa.montgomery_form().limb[i], b[i] = fb.montgomery_form().limb[i];
  d52 x, y, v, w;
  to_d52(x, a);
  to_d52(v, a);
  to_d52(y, b);
  limbs16 back = a;
  F fx = fa;
  const auto s = interleaved(
      {
          [&] { mul_ifma256(v, v, y); },
          [&] { fx = fx * fb; },
          [&] { mul_ifma(x, x, y); },
          [&] { sqr_ifma256(v, v); },
          [&] { to_d52(w, back); keep(w); },
          [&] { from_d52(back, w); keep(back); },
          [&] { reduce_once(w, w); keep(w); },
      },
      rounds, calls);
  const char* labels[] = {"IFMA mul, 5 x 256-bit (dependent chain)", "skm mul (default kernel, ADX here)",
                          "IFMA mul, 3 x 512-bit (dependent chain)", "IFMA sqr, 5 x 256-bit (dependent chain)",
                          "convert 16x64 -> 20x52",
                          "convert 20x52 -> 16x64", "IFMA final reduction to [0, p)"};
  for (std::size_t i = 0; i < s.size(); ++i) bench::print_row(labels[i], s[i]);
  bench::print_ratio("fp_mul_set1_ifma_prototype", "adx_kernel", s[0], s[1]);
  keep(x);
  keep(v);
  keep(fx);
}

}  // namespace

int main() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512ifma") || !__builtin_cpu_supports("avx512f") ||
      !__builtin_cpu_supports("avx512vl")) {
    std::printf("SKIPPED: this CPU lacks AVX-512 IFMA (or VL); no IFMA prototype to measure\n");
    return 0;
  }
  std::printf("== parameter set 1 (1024-bit p): AVX-512 IFMA radix-2^52 prototype vs %s ==\n",
              montgomery::adx_kernel_available<16>() ? "generated ADX kernel" : "default kernel");
  gmp_ref g;
  const int failures = check_carry_paths(g) + check(g, mul_ifma, false) + check(g, mul_ifma256, false) +
                       check(g, sqr_as_mul, true);
  if (failures != 0) {
    std::printf("FAILED: %d mismatches against GMP\n", failures);
    return 1;
  }
  std::printf(
      "correctness: carry/borrow paths; for both mul kernels and sqr 20,009 products, 20 chains of 100, (2p-1)^2 "
      "match GMP\n");
  run_timing(31, 20000);
  return 0;
}
