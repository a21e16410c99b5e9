// SPDX-License-Identifier: BSD-3-Clause
// Montgomery multiplication specialised for the P-256 prime
//   p = 2^256 - 2^224 + 2^192 + 2^96 - 1,  limbs (low first) = {2^64-1, 2^32-1, 0, 2^64-2^32+1}.
// Because p = -1 mod 2^64, -p^-1 mod 2^64 = 1: each reduction round's multiplier is the limb
// itself, the limb-0 product cancels to an exact carry, limb 2 of p is zero, and a round costs two
// 64x64 products instead of four. Separated operand scanning: a 4x4 schoolbook product, then four
// such rounds whose carries are added once at the end. Constant time: no branch, no index on data.
#pragma once

#include <array>
#include <cstddef>

#include "skm/bigint/uint.hpp"
#include "skm/field/kernels/p256_adx_x86_64.hpp"
#include "skm/field/montgomery.hpp"

#if defined(__x86_64__)
#include <x86intrin.h>  // _addcarry_u64 / _subborrow_u64: plain ADC/SBB, no extra target features
#endif

namespace skm::kernels {

struct p256_montgomery {
  static constexpr auto modulus =
      hex<256>("FFFFFFFF 00000001 00000000 00000000 00000000 FFFFFFFF FFFFFFFF FFFFFFFF");
  static constexpr limb_t p1 = 0x00000000FFFFFFFFull;
  static constexpr limb_t p3 = 0xFFFFFFFF00000001ull;
  static_assert(modulus.limb[0] == ~limb_t{0} && modulus.limb[1] == p1 && modulus.limb[2] == 0 &&
                modulus.limb[3] == p3);

  /// out = a * b * 2^-256 mod p, for a, b < p.
  static constexpr void mul(uint<4>& out, const uint<4>& a, const uint<4>& b) noexcept {
#if defined(__x86_64__)
    if (!std::is_constant_evaluated()) {
      mul_run_time(out, a, b);
      return;
    }
#endif
    std::array<limb_t, 8> t{};
#pragma GCC unroll 4
    for (std::size_t i = 0; i < 4; ++i) {
      limb_t carry = 0;
#pragma GCC unroll 4
      for (std::size_t j = 0; j < 4; ++j) {
        const uint128_t s = static_cast<uint128_t>(a.limb[i]) * b.limb[j] + t[i + j] + carry;
        t[i + j] = static_cast<limb_t>(s);
        carry = static_cast<limb_t>(s >> 64);
      }
      t[i + 4] = carry;
    }
    reduce(out, t);
  }

  /// out = a^2 * 2^-256 mod p: the six cross products are computed once and doubled.
  static constexpr void sqr(uint<4>& out, const uint<4>& a) noexcept {
#if defined(__x86_64__)
    if (!std::is_constant_evaluated()) {
      mul_run_time(out, a,
                   a);  // measured: as fast as a dedicated squaring with explicit carry chains
      return;
    }
#endif
    std::array<limb_t, 8> t{};
    // cross products a_i a_j, i < j
#pragma GCC unroll 3
    for (std::size_t i = 0; i < 3; ++i) {
      limb_t carry = 0;
#pragma GCC unroll 3
      for (std::size_t j = i + 1; j < 4; ++j) {
        const uint128_t s = static_cast<uint128_t>(a.limb[i]) * a.limb[j] + t[i + j] + carry;
        t[i + j] = static_cast<limb_t>(s);
        carry = static_cast<limb_t>(s >> 64);
      }
      t[i + 4] = carry;
    }
    // double them
    limb_t top = 0;
#pragma GCC unroll 8
    for (std::size_t k = 0; k < 8; ++k) {
      const limb_t next_top = t[k] >> 63;
      t[k] = (t[k] << 1) | top;
      top = next_top;
    }
    // add the squares a_i^2 on the diagonal
    limb_t carry = 0;
#pragma GCC unroll 4
    for (std::size_t i = 0; i < 4; ++i) {
      const uint128_t sq = static_cast<uint128_t>(a.limb[i]) * a.limb[i];
      uint128_t s = static_cast<uint128_t>(t[2 * i]) + static_cast<limb_t>(sq) + carry;
      t[2 * i] = static_cast<limb_t>(s);
      s = static_cast<uint128_t>(t[2 * i + 1]) + static_cast<limb_t>(sq >> 64) +
          static_cast<limb_t>(s >> 64);
      t[2 * i + 1] = static_cast<limb_t>(s);
      carry = static_cast<limb_t>(s >> 64);
    }
    reduce(out, t);
  }

#if defined(__x86_64__)
  /// The run-time kernel, picked by CPUID once per process: the generated MULX + ADX assembly
  /// (p256_adx_x86_64.hpp; about 0.59x the time of the C++ carry chains with g++) where the CPU
  /// has BMI2 and ADX, else the C++ carry chains below (valgrind's CPUID hides ADX, so the
  /// constant-time suite calls the ADX kernel directly).
  static void mul_run_time(uint<4>& out, const uint<4>& a, const uint<4>& b) noexcept {
    if (montgomery::cpu_has_adx()) {
      p256_montmul_adx(out, a, b);
    } else {
      mul_x86_64(out, a, b);
    }
  }
#endif

 private:
#if defined(__x86_64__)
  using u64 = unsigned long long;  // the intrinsics' type (same width as limb_t)

  static void mul_64x64(u64 a, u64 b, u64& lo, u64& hi) noexcept {
    const uint128_t p = static_cast<uint128_t>(a) * b;
    lo = static_cast<u64>(p);
    hi = static_cast<u64>(p >> 64);
  }

  /// Row i of the product: T[i..i+4] += a * b_i, as two explicit carry chains (the low halves,
  /// then the high halves), which compilers turn into straight ADC sequences.
  static void product_row(const uint<4>& a, u64 bi, u64& t0, u64& t1, u64& t2, u64& t3,
                          u64& t4) noexcept {
    u64 l0, h0, l1, h1, l2, h2, l3, h3;
    mul_64x64(a.limb[0], bi, l0, h0);
    mul_64x64(a.limb[1], bi, l1, h1);
    mul_64x64(a.limb[2], bi, l2, h2);
    mul_64x64(a.limb[3], bi, l3, h3);
    unsigned char c = _addcarry_u64(0, h0, l1, &l1);
    c = _addcarry_u64(c, h1, l2, &l2);
    c = _addcarry_u64(c, h2, l3, &l3);
    h3 += c;
    c = _addcarry_u64(0, t0, l0, &t0);
    c = _addcarry_u64(c, t1, l1, &t1);
    c = _addcarry_u64(c, t2, l2, &t2);
    c = _addcarry_u64(c, t3, l3, &t3);
    t4 = h3 + c;
  }

  /// One reduction round: m = t0; t += m p, which zeroes t0; the carry out belongs four limbs up.
  static u64 reduce_round(u64 t0, u64& t1, u64& t2, u64& t3) noexcept {
    const u64 m = t0;
    u64 ml, mh, nl, nh;
    mul_64x64(m, p1, ml, mh);
    mul_64x64(m, p3, nl, nh);
    u64 into_t2;
    unsigned char c = _addcarry_u64(0, t1, m, &t1);  // t0 + m (2^64 - 1) = m 2^64
    (void)_addcarry_u64(c, mh, 0, &into_t2);         // mh < 2^32: no carry out
    c = _addcarry_u64(0, t1, ml, &t1);
    c = _addcarry_u64(c, t2, into_t2, &t2);
    c = _addcarry_u64(c, t3, nl, &t3);
    return nh + c;  // nh <= 2^64 - 2^32: no overflow
  }

 public:
  /// The C++ carry-chain kernel (also called directly by the kernel tests and benchmarks).
  static void mul_x86_64(uint<4>& out, const uint<4>& a, const uint<4>& b) noexcept {
    u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
    product_row(a, b.limb[0], t0, t1, t2, t3, t4);
    product_row(a, b.limb[1], t1, t2, t3, t4, t5);
    product_row(a, b.limb[2], t2, t3, t4, t5, t6);
    product_row(a, b.limb[3], t3, t4, t5, t6, t7);
    const u64 c0 = reduce_round(t0, t1, t2, t3);
    const u64 c1 = reduce_round(t1, t2, t3, t4);
    const u64 c2 = reduce_round(t2, t3, t4, t5);
    const u64 c3 = reduce_round(t3, t4, t5, t6);
    u64 r0, r1, r2, r3, d0, d1, d2, d3, top;
    unsigned char c = _addcarry_u64(0, t4, c0, &r0);
    c = _addcarry_u64(c, t5, c1, &r1);
    c = _addcarry_u64(c, t6, c2, &r2);
    c = _addcarry_u64(c, t7, c3, &r3);
    // (c:r) < 2p; subtract p unless that borrows out of the top carry.
    unsigned char bw = _subborrow_u64(0, r0, ~u64{0}, &d0);
    bw = _subborrow_u64(bw, r1, p1, &d1);
    bw = _subborrow_u64(bw, r2, 0, &d2);
    bw = _subborrow_u64(bw, r3, p3, &d3);
    bw = _subborrow_u64(bw, c, 0, &top);
    const u64 keep_r = u64{0} - bw;
    out.limb[0] = (r0 & keep_r) | (d0 & ~keep_r);
    out.limb[1] = (r1 & keep_r) | (d1 & ~keep_r);
    out.limb[2] = (r2 & keep_r) | (d2 & ~keep_r);
    out.limb[3] = (r3 & keep_r) | (d3 & ~keep_r);
  }

 private:
#endif

  static constexpr void reduce(uint<4>& out, std::array<limb_t, 8>& t) noexcept {
    uint<4> carries;
#pragma GCC unroll 4
    for (std::size_t i = 0; i < 4; ++i) {
      const limb_t m = t[i];
      // t[i] + m (2^64 - 1) = m 2^64: limb i becomes zero and m carries into limb i+1.
      uint128_t s = static_cast<uint128_t>(m) * p1 + t[i + 1] + m;
      t[i + 1] = static_cast<limb_t>(s);
      s = static_cast<uint128_t>(t[i + 2]) + static_cast<limb_t>(s >> 64);  // p's limb 2 is zero
      t[i + 2] = static_cast<limb_t>(s);
      s = static_cast<uint128_t>(m) * p3 + t[i + 3] + static_cast<limb_t>(s >> 64);
      t[i + 3] = static_cast<limb_t>(s);
      carries.limb[i] = static_cast<limb_t>(s >> 64);  // belongs at limb i+4; added below
    }
    uint<4> hi{{t[4], t[5], t[6], t[7]}};
    limb_t carry = 0;
#pragma GCC unroll 4
    for (std::size_t i = 0; i < 4; ++i) {
      const uint128_t s = static_cast<uint128_t>(hi.limb[i]) + carries.limb[i] + carry;
      out.limb[i] = static_cast<limb_t>(s);
      carry = static_cast<limb_t>(s >> 64);
    }
    montgomery::final_subtract(out, carry, modulus);
  }
};

}  // namespace skm::kernels
