// SPDX-License-Identifier: BSD-3-Clause
// Field arithmetic: skm's Montgomery kernels against GMP mpz/mpn baselines of the same run,
// for P-256's p (4 limbs) and parameter set 1's p (16 limbs); then the 16-limb run-time kernels
// against each other (MULX, ADX, AVX-512 IFMA, GMP; multiplication and squaring) and P-256's two
// kernels (ADX assembly, C++ carry chains), called directly.
#include <gmp.h>

#include <cstdio>
#include <random>

#include "../support/timing.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/field/fp.hpp"

using namespace skm;
using bench::interleaved;
using bench::keep;

namespace {

template <auto Modulus, bool Gmp>
struct kernel_params {
  static constexpr auto modulus = Modulus;
  static constexpr bool use_gmp = Gmp;
};

template <class F>
F random_element(std::mt19937_64& rng) {
  typename F::uint_type v;
  for (auto& l : v.limb) l = rng();
  return F::reduce(v);
}

template <class Curve>
void bench_field(const char* name, int rounds, int calls) {
  using F = typename Curve::base_field;
  using F_cios = fp<kernel_params<Curve::p, false>>;
  using F_gmp = fp<kernel_params<Curve::p, true>>;
  constexpr std::size_t N = F::limbs;
  std::mt19937_64 rng(1);
  const F a = random_element<F>(rng), b = random_element<F>(rng);
  const F_cios ac = F_cios::from_montgomery(a.montgomery_form()),
               bc = F_cios::from_montgomery(b.montgomery_form());
  const F_gmp ag = F_gmp::from_montgomery(a.montgomery_form()),
              bg = F_gmp::from_montgomery(b.montgomery_form());

  mpz_t za, zb, zp, zr, ze;
  const auto ua = a.to_uint(), ub = b.to_uint();
  mpz_inits(za, zb, zp, zr, ze, nullptr);
  mpz_import(za, N, -1, 8, 0, 0, ua.limb.data());
  mpz_import(zb, N, -1, 8, 0, 0, ub.limb.data());
  mpz_import(zp, N, -1, 8, 0, 0, F::modulus.limb.data());
  mpz_import(ze, N, -1, 8, 0, 0, F::sqrt_exponent.limb.data());
  std::array<mp_limb_t, 2 * N> wide;

  std::printf("\n== %s (%zu-bit p, %zu limbs; default kernel: %s) ==\n", name, F::bits, N,
              F::has_custom_kernel                                   ? "the curve's own"
              : montgomery::ifma_kernel_available<N>() && F::use_gmp ? "AVX-512 IFMA"
              : montgomery::adx_kernel_available<N>() && F::use_gmp  ? "generated ADX"
              : montgomery::bmi2_kernel_available<N>() && F::use_gmp ? "generated MULX"
              : F::use_gmp                                           ? "GMP mpn"
                                                                     : "unrolled CIOS");
  // Every variant runs a dependent chain (each product feeds the next), i.e. measures latency.
  F x = a, y = a;
  F_cios xc = ac;
  F_gmp xg = ag;
  const auto s = interleaved({
                                 [&] { x = x * b; },
                                 [&] { y = y.square(); },
                                 [&] { xc = xc * bc; },
                                 [&] { xg = xg * bg; },
                                 [&] {
                                   mpn_mul_n(wide.data(), ua.limb.data(), ub.limb.data(), N);
                                   keep(wide);
                                 },
                                 [&] {
                                   mpn_sqr(wide.data(), ua.limb.data(), N);
                                   keep(wide);
                                 },
                                 [&] {
                                   mpz_mul(zr, za, zb);
                                   mpz_mod(zr, zr, zp);
                                 },
                             },
                             rounds, calls);
  const char* labels[] = {"skm mul (default kernel)",      "skm sqr (default kernel)",
                          "skm mul, unrolled CIOS kernel", "skm mul, GMP mpn kernel",
                          "GMP mpn_mul_n (product only)",  "GMP mpn_sqr (product only)",
                          "GMP mpz_mul + mpz_mod"};
  for (std::size_t i = 0; i < s.size(); ++i) bench::print_row(labels[i], s[i]);
  bench::print_ratio(std::string("fp_mul_") + name, "mpz_mulmod", s[0], s[6]);

  const auto t = interleaved({
                                 [&] { keep(a.inverse()); },
                                 [&] { keep(a.inverse_vartime()); },
                                 [&] { mpz_invert(zr, za, zp); },
                                 [&] {
                                   F r;
                                   keep(a.sqrt(r));
                                   keep(r);
                                 },
                                 [&] { mpz_powm(zr, za, ze, zp); },
                                 [&] { mpz_powm_sec(zr, za, ze, zp); },
                             },
                             rounds, std::max(1, calls / 200));
  const char* labels2[] = {
      "skm inverse (constant time)", "skm inverse_vartime",    "GMP mpz_invert",
      "skm sqrt (constant time)",    "GMP mpz_powm ((p+1)/4)", "GMP mpz_powm_sec ((p+1)/4)"};
  for (std::size_t i = 0; i < t.size(); ++i) bench::print_row(labels2[i], t[i]);
  bench::print_ratio(std::string("fp_inverse_") + name, "mpz_invert", t[0], t[2]);
  bench::print_ratio(std::string("fp_sqrt_") + name, "mpz_powm_sec", t[3], t[5]);
  mpz_clears(za, zb, zp, zr, ze, nullptr);
  keep(x);
  keep(y);
  keep(xc);
  keep(xg);
}

/// P-256's two run-time kernels, called directly: the generated ADX assembly and the C++ carry
/// chains (the dispatch takes the first where the CPU has BMI2 and ADX).
void bench_p256_kernels(int rounds, int calls) {
  using F = curves::p256::base_field;
  std::mt19937_64 rng(3);
  const auto a = random_element<F>(rng).montgomery_form(),
             b = random_element<F>(rng).montgomery_form();
  std::printf("\n== P-256 kernels, called directly (ADX: %s) ==\n",
              montgomery::cpu_has_adx() ? "yes" : "no");
  if (!montgomery::cpu_has_adx()) {
    std::printf("SKIPPED: this CPU lacks BMI2 or ADX; no kernel-vs-kernel comparison\n");
    return;
  }
  auto x = a, y = a;
  const auto s = interleaved({
                                 [&] { kernels::p256_montmul_adx(x, x, b); },
                                 [&] { kernels::p256_montgomery::mul_x86_64(y, y, b); },
                             },
                             rounds, calls);
  bench::print_row("mul, P-256 ADX kernel (generated assembly)", s[0]);
  bench::print_row("mul, P-256 C++ carry-chain kernel", s[1]);
  bench::print_ratio("fp_mul_p256_adx", "carry_chain_kernel", s[0], s[1]);
  keep(x), keep(y);
}

/// The AVX-512 IFMA kernels against the ADX ones (the two the dispatch chooses between).
void bench_ifma16(int rounds, int calls, const skm::uint<16>& a, const skm::uint<16>& b) {
#if defined(SKM_HAVE_IFMA_KERNELS)
  using F = curves::sakke_param_set_1::base_field;
  const auto& p = F::modulus;
  constexpr limb_t m_inv = F::m_inv;
  std::printf("\n== set1 16-limb AVX-512 IFMA kernels, called directly (IFMA: %s) ==\n",
              montgomery::ifma_kernel_available<16>() ? "yes" : "no");
  if (!montgomery::ifma_kernel_available<16>()) {
    std::printf("SKIPPED: this CPU lacks AVX-512 F/VL/IFMA; no IFMA-vs-ADX comparison\n");
    return;
  }
  auto x = a, y = a, z = a, w = a;
  const auto s = interleaved({
                                 [&] { kernels::ifma::montmul16(x, x, b, F::ifma_modulus); },
                                 [&] { montgomery::mul_adx(y, y, b, p, m_inv); },
                                 [&] { kernels::ifma::montsqr16(z, z, F::ifma_modulus); },
                                 [&] { montgomery::sqr_adx(w, w, p, m_inv); },
                             },
                             rounds, calls);
  const char* labels[] = {"mul, IFMA kernel (radix 2^52)", "mul, ADX kernel",
                          "sqr, IFMA squaring kernel", "sqr, ADX squaring kernel"};
  for (std::size_t i = 0; i < s.size(); ++i) bench::print_row(labels[i], s[i]);
  bench::print_ratio("fp_mul_set1_ifma", "adx_kernel", s[0], s[1]);
  bench::print_ratio("fp_sqr_set1_ifma", "adx_sqr", s[2], s[3]);
  keep(x), keep(y), keep(z), keep(w);
#else
  (void)rounds, (void)calls, (void)a, (void)b;
  std::printf("\nSKIPPED: no AVX-512 IFMA kernels on this target\n");
#endif
}

/// The 16-limb kernels side by side, each a dependent chain (latency), interleaved round by round.
void bench_kernels16(int rounds, int calls) {
  using F = curves::sakke_param_set_1::base_field;
  const auto& p = F::modulus;
  constexpr limb_t m_inv = F::m_inv;
  std::mt19937_64 rng(2);
  const auto a = random_element<F>(rng).montgomery_form(),
             b = random_element<F>(rng).montgomery_form();
  const bool mulx = montgomery::bmi2_kernel_available<16>(),
             adx = montgomery::adx_kernel_available<16>();
  std::printf("\n== set1 16-limb kernels, called directly (MULX: %s, ADX: %s) ==\n",
              mulx ? "yes" : "no", adx ? "yes" : "no");
  if (!mulx || !adx) {
    std::printf("SKIPPED: this CPU lacks BMI2 or ADX; no kernel-vs-kernel comparison\n");
    return;
  }
  auto x = a, y = a, z = a, w = a, u = a, v = a;
  const auto s = interleaved({
                                 [&] { montgomery::mul_bmi2(x, x, b, p, m_inv); },
                                 [&] { montgomery::mul_adx(y, y, b, p, m_inv); },
                                 [&] { montgomery::mul_bmi2(z, z, z, p, m_inv); },
                                 [&] { montgomery::sqr_adx(w, w, p, m_inv); },
                                 [&] { montgomery::mul_gmp(u, u, b, p, m_inv); },
                                 [&] { montgomery::sqr_gmp(v, v, p, m_inv); },
                             },
                             rounds, calls);
  const char* labels[] = {"mul, MULX kernel (product scanning)",
                          "mul, ADX kernel (two carry chains)",
                          "sqr, MULX kernel (= mul(a, a))",
                          "sqr, ADX squaring kernel",
                          "mul, GMP mpn kernel",
                          "sqr, GMP mpn kernel"};
  for (std::size_t i = 0; i < s.size(); ++i) bench::print_row(labels[i], s[i]);
  bench::print_ratio("fp_mul_set1_adx", "mulx_kernel", s[1], s[0]);
  bench::print_ratio("fp_sqr_set1_adx", "mulx_kernel", s[3], s[2]);
  bench::print_ratio("fp_sqr_set1_adx", "adx_mul", s[3], s[1]);
  keep(x), keep(y), keep(z), keep(w), keep(u), keep(v);
  bench_ifma16(rounds, calls, a, b);
}

}  // namespace

int main() {
  bench_field<curves::p256>("p256", 15, 200000);
  bench_field<curves::sakke_param_set_1>("set1", 15, 40000);
  bench_kernels16(15, 40000);
  bench_p256_kernels(15, 200000);
  return 0;
}
