// SPDX-License-Identifier: BSD-3-Clause
// Montgomery arithmetic kernels and the constants they need, all derived from the modulus at
// compile time (never pasted).
//
// With R = 2^(64N), an element x is held as xR mod p. mont_mul(a, b) = a*b*R^-1 mod p.
// The kernels produce the same result:
//   * portable CIOS (coarsely integrated operand scanning) in 64x64->128 arithmetic: constexpr,
//     and at a few limbs the compiler unrolls it into straight-line code that beats a GMP call;
//   * GMP at run time, only when a field forces it (comparisons): mpn_mul_n / mpn_sqr for the
//     product, then N rounds of mpn_addmul_1 for the reduction, carries added once at the end.
//   * on x86-64 for 16 limbs, picked once per process by CPUID: AVX-512 IFMA multiplication and
//     squaring in radix 2^52 (field/kernels/montmul16_ifma.hpp) when the CPU has AVX-512 F, VL
//     and IFMA; else generated straight-line assembly (field/kernels/, from
//     scripts/gen_montmul_x86_64.py): ADX multiplication and squaring when the CPU has BMI2 and
//     ADX, else the MULX multiplication. For 8 and 12 limbs the generated ADX kernels too.
//   * everywhere else above 6 limbs (other limb counts, x86 CPUs without BMI2 or ADX, every
//     non-x86 CPU): the portable kernels below, mul_cios and sqr_portable, unrolled by fold
//     expressions for any N. GMP's mpn_mul_n / mpn_sqr switch to Toom-Cook above a few limbs and
//     branch on operand data there, so they serve only when forced (use_gmp = true).
// All end in a masked conditional subtraction, so none branches on the operands.
#pragma once

#include <gmp.h>

#include <array>
#include <bit>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "skm/bigint/uint.hpp"

#if defined(__x86_64__)
#include <cpuid.h>

#include "skm/field/kernels/addsub16_x86_64.hpp"
#include "skm/field/kernels/montmul12_adx_x86_64.hpp"
#include "skm/field/kernels/montmul16_adx_x86_64.hpp"
#include "skm/field/kernels/montmul16_ifma.hpp"
#include "skm/field/kernels/montmul16_x86_64.hpp"
#include "skm/field/kernels/montmul8_adx_x86_64.hpp"
#endif

namespace skm::montgomery {

/// -p^-1 mod 2^64 by Newton iteration (each step doubles the correct low bits).
[[nodiscard]] constexpr limb_t neg_inverse_mod_2_64(limb_t p0) noexcept {
  limb_t inv = p0;  // correct to 3 bits for odd p0
  for (int i = 0; i < 5; ++i) inv *= 2 - p0 * inv;
  return limb_t{0} - inv;
}

/// x * 2^k mod p by k modular doublings (compile time; x < p).
template <std::size_t N>
[[nodiscard]] constexpr uint<N> shift_mod(uint<N> x, std::size_t k, const uint<N>& p) {
  for (std::size_t i = 0; i < k; ++i) {
    const limb_t top = x.limb[N - 1] >> 63;
    x = x << 1;
    if (top != 0 || x >= p) x = x - p;
  }
  return x;
}

/// R mod p = 2^(64N) mod p (compile time): 2^b - p for the bit length b of p (below p, as
/// 2^(b-1) <= p), then at most 63 doublings. Cheap enough for every width within clang's
/// constant-evaluation step limit (a bit-serial division of 2^2048 is not).
template <std::size_t N>
[[nodiscard]] constexpr uint<N> r_mod(const uint<N>& p) {
  const std::size_t b = p.bit_length_vartime();
  uint<N + 1> two_b;
  two_b.set_bit(b);
  const uint<N> v = (two_b - p.template resize<N + 1>()).template resize<N>();
  return shift_mod(v, 64 * N - b, p);
}

/// Subtract p once if (hi:v) >= p, where (hi:v) < 2p. Masked, no branch.
template <std::size_t N>
constexpr void final_subtract(uint<N>& v, limb_t hi, const uint<N>& p) noexcept {
  uint<N> d;
  const limb_t borrow = sub(d, v, p);
  // keep d when the value overflowed N limbs, or when v - p did not borrow
  const ct::choice take_d = ct::choice::from_bit(hi) | !ct::choice::from_bit(borrow);
  v = ct_select(take_d, d, v);
}

/// Calls f(integral_constant<I>) for I = 0 .. Count-1 as one fold expression: the loop is
/// unrolled by the language, whatever the optimizer's unrolling limits, and every index is a
/// constant (fixed addresses, no loop branch).
template <std::size_t Count, class F>
constexpr void unroll(F&& f) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (f(std::integral_constant<std::size_t, I>{}), ...);
  }
  (std::make_index_sequence<Count>{});
}

/// CIOS Montgomery multiplication; requires a, b < p. Fully unrolled for every N (the portable
/// constant-time kernel: 64x64->128 products only, no branch, no data-dependent address).
template <std::size_t N>
constexpr void mul_cios(uint<N>& out, const uint<N>& a, const uint<N>& b, const uint<N>& p,
                        limb_t m_inv) noexcept {
  std::array<limb_t, N + 2> t{};
  unroll<N>([&](auto i) {
    limb_t carry = 0;
    unroll<N>([&](auto j) {
      const uint128_t s = static_cast<uint128_t>(a.limb[j]) * b.limb[i] + t[j] + carry;
      t[j] = static_cast<limb_t>(s);
      carry = static_cast<limb_t>(s >> 64);
    });
    uint128_t s = static_cast<uint128_t>(t[N]) + carry;
    t[N] = static_cast<limb_t>(s);
    t[N + 1] = static_cast<limb_t>(s >> 64);

    const limb_t m = t[0] * m_inv;
    s = static_cast<uint128_t>(m) * p.limb[0] + t[0];
    carry = static_cast<limb_t>(s >> 64);
    unroll<N - 1>([&](auto k) {
      constexpr std::size_t j = k + 1;
      const uint128_t u = static_cast<uint128_t>(m) * p.limb[j] + t[j] + carry;
      t[j - 1] = static_cast<limb_t>(u);
      carry = static_cast<limb_t>(u >> 64);
    });
    s = static_cast<uint128_t>(t[N]) + carry;
    t[N - 1] = static_cast<limb_t>(s);
    t[N] = t[N + 1] + static_cast<limb_t>(s >> 64);
  });
  unroll<N>([&](auto j) { out.limb[j] = t[j]; });
  final_subtract(out, t[N], p);
}

/// R^2 mod p (compile time) from r1 = R mod p: x = R 2^64 by 64 doublings, then Montgomery
/// products add exponents (mont(R 2^a, R 2^b) = R 2^(a+b)): square-and-multiply over the bits of
/// N reaches R 2^(64N) = R^2 in about 2 log2(N) products.
template <std::size_t N>
[[nodiscard]] constexpr uint<N> r2_mod(const uint<N>& r1, const uint<N>& p, limb_t m_inv) {
  const uint<N> x = shift_mod(r1, 64, p);  // R 2^64
  uint<N> acc = x;
  const std::size_t top = std::bit_width(N) - 1;
  for (std::size_t i = top; i-- > 0;) {
    mul_cios(acc, acc, acc, p, m_inv);
    if (((N >> i) & 1) != 0) mul_cios(acc, acc, x, p, m_inv);
  }
  return acc;
}

/// The 2N-limb product a*b, schoolbook, fully unrolled (portable, constant time).
template <std::size_t N>
constexpr void product_portable(std::array<limb_t, 2 * N>& t, const uint<N>& a,
                                const uint<N>& b) noexcept {
  t = {};
  unroll<N>([&](auto i) {
    limb_t carry = 0;
    unroll<N>([&](auto j) {
      const uint128_t s = static_cast<uint128_t>(a.limb[i]) * b.limb[j] + t[i + j] + carry;
      t[i + j] = static_cast<limb_t>(s);
      carry = static_cast<limb_t>(s >> 64);
    });
    t[i + N] = carry;
  });
}

/// The 2N-limb square a^2: each off-diagonal product a_i a_j (i < j) once, the sum doubled by a
/// one-bit shift, then the diagonal squares added in one carry chain (about N^2/2 products
/// instead of N^2). Fully unrolled, constant time.
template <std::size_t N>
constexpr void square_portable(std::array<limb_t, 2 * N>& t, const uint<N>& a) noexcept {
  t = {};
  unroll<N - 1>([&](auto i) {
    limb_t carry = 0;
    unroll<N - 1 - i>([&](auto k) {
      constexpr std::size_t j = i + 1 + k;
      const uint128_t s = static_cast<uint128_t>(a.limb[i]) * a.limb[j] + t[i + j] + carry;
      t[i + j] = static_cast<limb_t>(s);
      carry = static_cast<limb_t>(s >> 64);
    });
    t[i + N] = carry;
  });
  limb_t shifted_out = 0;
  unroll<2 * N>([&](auto k) {
    const limb_t v = t[k];
    t[k] = (v << 1) | shifted_out;
    shifted_out = v >> 63;
  });
  limb_t carry = 0;
  unroll<N>([&](auto i) {
    const uint128_t sq = static_cast<uint128_t>(a.limb[i]) * a.limb[i];
    uint128_t s = static_cast<uint128_t>(t[2 * i]) + static_cast<limb_t>(sq) + carry;
    t[2 * i] = static_cast<limb_t>(s);
    s = static_cast<uint128_t>(t[2 * i + 1]) + static_cast<limb_t>(sq >> 64) +
        static_cast<limb_t>(s >> 64);
    t[2 * i + 1] = static_cast<limb_t>(s);
    carry = static_cast<limb_t>(s >> 64);
  });
}

/// Montgomery reduction of a 2N-limb t < p*R (portable, fully unrolled): N rows of m_i * p added
/// at limb i, each row's carry set aside and all added to the top half in one final chain (later
/// rows choose their multiplier from limbs below N only, which the deferred carries never touch).
template <std::size_t N>
constexpr void redc_portable(uint<N>& out, std::array<limb_t, 2 * N>& t, const uint<N>& p,
                             limb_t m_inv) noexcept {
  std::array<limb_t, N> carries{};
  unroll<N>([&](auto i) {
    const limb_t m = t[i] * m_inv;
    limb_t carry = 0;
    unroll<N>([&](auto j) {
      const uint128_t s = static_cast<uint128_t>(m) * p.limb[j] + t[i + j] + carry;
      t[i + j] = static_cast<limb_t>(s);
      carry = static_cast<limb_t>(s >> 64);
    });
    carries[i] = carry;
  });
  limb_t carry = 0;
  unroll<N>([&](auto j) {
    const uint128_t s = static_cast<uint128_t>(t[N + j]) + carries[j] + carry;
    out.limb[j] = static_cast<limb_t>(s);
    carry = static_cast<limb_t>(s >> 64);
  });
  final_subtract(out, carry, p);
}

/// Portable Montgomery squaring: square_portable then redc_portable; requires a < p.
template <std::size_t N>
constexpr void sqr_portable(uint<N>& out, const uint<N>& a, const uint<N>& p,
                            limb_t m_inv) noexcept {
  std::array<limb_t, 2 * N> t;
  square_portable(t, a);
  redc_portable(out, t, p, m_inv);
}

/// Montgomery reduction of a 2N-limb value t < p*R with GMP (run time only); t is clobbered.
template <std::size_t N>
inline void redc_gmp(uint<N>& out, limb_t* t, const uint<N>& p, limb_t m_inv) noexcept {
  uint<N> carries;
  for (std::size_t i = 0; i < N; ++i) {
    const limb_t m = t[i] * m_inv;
    // The carry out of row i belongs at limb i+N; later rows never read limbs >= N to choose
    // their multiplier, so all carries can be added at the end in one pass.
    carries.limb[i] = mpn_addmul_1(t + i, p.limb.data(), N, m);
  }
  const limb_t hi = mpn_add_n(out.limb.data(), t + N, carries.limb.data(), N);
  final_subtract(out, hi, p);
}

/// CPUID leaf 7 (structured extended features), EBX: asked once; a fact of the machine.
[[nodiscard]] inline unsigned cpuid_leaf7_ebx() noexcept {
#if defined(__x86_64__)
  static const unsigned ebx = [] {
    unsigned eax = 0, b = 0, ecx = 0, edx = 0;
    return __get_cpuid_count(7, 0, &eax, &b, &ecx, &edx) == 0 ? 0u : b;
  }();
  return ebx;
#else
  return 0;
#endif
}

/// Whether this processor has BMI2 (MULX).
[[nodiscard]] inline bool cpu_has_bmi2() noexcept { return ((cpuid_leaf7_ebx() >> 8) & 1) != 0; }

/// Whether this processor has BMI2 and ADX (MULX, ADCX/ADOX).
/// Valgrind's synthetic CPUID hides ADX, so under valgrind (the ct suite) the dispatch takes the
/// MULX kernel; the ADX kernels are straight-line code too (valgrind does run ADCX/ADOX when they
/// are called directly), and the arith kernel tests check them bit for bit.
[[nodiscard]] inline bool cpu_has_adx() noexcept {
  return cpu_has_bmi2() && ((cpuid_leaf7_ebx() >> 19) & 1) != 0;
}

/// Whether this processor has AVX-512 F, VL and IFMA and the operating system saves the AVX-512
/// state (XCR0 opmask and both ZMM halves, as the SDM requires before any EVEX instruction).
/// Valgrind's synthetic CPUID reports no AVX-512 (it cannot execute it), so under valgrind the
/// dispatch never takes these kernels.
[[nodiscard]] inline bool cpu_has_avx512_ifma() noexcept {
#if defined(SKM_HAVE_IFMA_KERNELS)
  static const bool has = [] {
    const unsigned b = cpuid_leaf7_ebx();
    const bool avx512f = ((b >> 16) & 1) != 0, ifma = ((b >> 21) & 1) != 0,
               vl = ((b >> 31) & 1) != 0;
    if (!avx512f || !ifma || !vl) return false;
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0 || ((ecx >> 27) & 1) == 0)
      return false;  // OSXSAVE
    unsigned xcr0_lo = 0, xcr0_hi = 0;
    __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    constexpr unsigned sse_avx_avx512_state = 0x2 | 0x4 | 0x20 | 0x40 | 0x80;
    return (xcr0_lo & sse_avx_avx512_state) == sse_avx_avx512_state;
  }();
  return has;
#else
  return false;
#endif
}

/// Whether the AVX-512 IFMA kernels (multiplication and squaring) serve N-limb moduli here.
template <std::size_t N>
[[nodiscard]] inline bool ifma_kernel_available() noexcept {
  if constexpr (N == 16) return cpu_has_avx512_ifma();
  return false;
}

/// Whether the generated ADX kernels (multiplication and squaring) serve N-limb moduli here.
template <std::size_t N>
[[nodiscard]] inline bool adx_kernel_available() noexcept {
#if defined(__x86_64__)
  if constexpr (N == 8 || N == 12 || N == 16) return cpu_has_adx();
#endif
  return false;
}

/// The ADX multiplication kernel (only call when adx_kernel_available<N>()).
template <std::size_t N>
inline void mul_adx(uint<N>& out, const uint<N>& a, const uint<N>& b, const uint<N>& p,
                    limb_t m_inv) noexcept {
#if defined(__x86_64__)
  limb_t top = 0;
  if constexpr (N == 8) {
    top = kernels::montmul8_adx(out, a, b, p, m_inv);
  } else if constexpr (N == 12) {
    top = kernels::montmul12_adx(out, a, b, p, m_inv);
  } else if constexpr (N == 16) {
    top = kernels::montmul16_adx(out, a, b, p, m_inv);
  }
  if constexpr (N == 8 || N == 12 || N == 16) {
    final_subtract(out, top, p);
    return;
  }
#endif
  (void)out, (void)a, (void)b, (void)p, (void)m_inv;
}

/// The ADX squaring kernel (only call when adx_kernel_available<N>()).
template <std::size_t N>
inline void sqr_adx(uint<N>& out, const uint<N>& a, const uint<N>& p, limb_t m_inv) noexcept {
#if defined(__x86_64__)
  limb_t top = 0;
  if constexpr (N == 8) {
    top = kernels::montsqr8_adx(out, a, p, m_inv);
  } else if constexpr (N == 12) {
    top = kernels::montsqr12_adx(out, a, p, m_inv);
  } else if constexpr (N == 16) {
    top = kernels::montsqr16_adx(out, a, p, m_inv);
  }
  if constexpr (N == 8 || N == 12 || N == 16) {
    final_subtract(out, top, p);
    return;
  }
#endif
  (void)out, (void)a, (void)p, (void)m_inv;
}

/// Whether the generated MULX kernel serves N-limb moduli on this machine.
template <std::size_t N>
[[nodiscard]] inline bool bmi2_kernel_available() noexcept {
#if defined(__x86_64__)
  if constexpr (N == 16) return cpu_has_bmi2();
#endif
  return false;
}

/// The MULX kernel (only call when bmi2_kernel_available<N>()).
template <std::size_t N>
inline void mul_bmi2(uint<N>& out, const uint<N>& a, const uint<N>& b, const uint<N>& p,
                     limb_t m_inv) noexcept {
#if defined(__x86_64__)
  if constexpr (N == 16) {
    const limb_t top = kernels::montmul16_bmi2(out, a, b, p, m_inv);
    final_subtract(out, top, p);
    return;
  }
#endif
  (void)out, (void)a, (void)b, (void)p, (void)m_inv;
}

template <std::size_t N>
inline void mul_gmp(uint<N>& out, const uint<N>& a, const uint<N>& b, const uint<N>& p,
                    limb_t m_inv) noexcept {
  std::array<limb_t, 2 * N> t;
  mpn_mul_n(t.data(), a.limb.data(), b.limb.data(), N);
  redc_gmp(out, t.data(), p, m_inv);
}

template <std::size_t N>
inline void sqr_gmp(uint<N>& out, const uint<N>& a, const uint<N>& p, limb_t m_inv) noexcept {
  std::array<limb_t, 2 * N> t;
  mpn_sqr(t.data(), a.limb.data(), N);
  redc_gmp(out, t.data(), p, m_inv);
}

}  // namespace skm::montgomery
