// SPDX-License-Identifier: BSD-3-Clause
// Field arithmetic: skm's Montgomery kernels against GMP mpz/mpn baselines of the same run,
// for P-256's p (4 limbs) and parameter set 1's p (16 limbs); the portable constant-time kernels
// against GMP's mpn path for 8, 12, 24 and 32 limbs (and 16); then the 16-limb run-time kernels
// against each other (MULX, ADX, AVX-512 IFMA, portable, GMP; multiplication and squaring) and
// P-256's two kernels (ADX assembly, C++ carry chains), called directly.
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

template <auto Modulus>
struct default_params {
  static constexpr auto modulus = Modulus;
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
              F::has_custom_kernel                     ? "the curve's own"
              : F::cios_chosen                         ? "unrolled CIOS"
              : montgomery::ifma_kernel_available<N>() ? "AVX-512 IFMA"
              : montgomery::adx_kernel_available<N>()  ? "generated ADX"
              : montgomery::bmi2_kernel_available<N>() ? "generated MULX"
                                                       : "portable CIOS");
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

// Random primes of 8, 12, 24 and 32 limbs (the moduli of tests/arith/test_fp_portable.cpp).
constexpr auto p8 = hex<512>(
    "e2a068f893ab31ac7a91f189972a427bf70c18dca0b43c7d8d9608e9f6949737"
    "1ed432257cc7f4fb9a85265e8ff7f54a2c2fbb56cdc0111afe50cb6005a22813");
constexpr auto p12 = hex<768>(
    "9b29cd2f6469986e32d8a2ae2197e280797e18ac609f6d4197ef2c2a01437986"
    "349a34af67c31dc8f3773aff1c5452ae80180afd103b1b3caddcb2fb558aa254"
    "4dc8f2afb661a1818bd7f5967e552c0e255eb018dd81434a5cc4827fb34be9bf");
constexpr auto p24 = hex<1536>(
    "ee186785d5bf51301c79602e9f0ec12e302efbd289ded29f3302f9a56f148b63"
    "076f2fcf1aeb4ae73ab0b0b87aff38866e74e6a2d99d15382c4ba59243303646"
    "d4619c602032e600ab7b27c550c4dd21efa8c22f51645895a2d795761d697f0d"
    "ed465d6907e3b2df3ef5b19b976670aed5d177f3005b8aa644eefaf0fae5d2ec"
    "0e1a4a22d9edffc21edccd8c4728c0c277045005c90ac0b763f5aa20783a1487"
    "8e347a25081ec59f53d795f69a707accb9a4180baf11d31ed693387babaf0b1f");
constexpr auto p32 = hex<2048>(
    "a3c70e94e7c6e2982a7171920e768b1b6713744f2afcec1c1970724e750efaec"
    "7945e303a5b5756d5902a4e6bfd75542767b48141a625df9868221819da1ffd4"
    "330544ba1a23800c35085cc82c9711c502b51cb5b41c07b9b67050583765e1d5"
    "b2721db17d634a25343471d6ac28187ad38a19c66e8b6f7a6ce9fc13e8b3a487"
    "6326845d75af989a79e21463e54c29a5c118ad466e1d87a2201751da7676fb89"
    "f7a5df1a855839e4291af7185021210ae9574fc47a7fba34f8a314bac5459eae"
    "0dbb1df817a9b27adc086b9d8269881a31cf17aa292a8a315494817aa339238a"
    "6a1fe898bea562a1ca29d601299848de95dde5ce65ab87df98cc0f4f56103217");

/// One modulus: the default kernel (generated ADX at 8 and 12 limbs where the CPU has it, else
/// the portable kernels), the portable kernels called directly, and the GMP mpn path
/// (use_gmp = true); multiplication and squaring, each a dependent chain.
template <auto Modulus>
void bench_portable(const char* name, int rounds, int calls) {
  using F = fp<default_params<Modulus>>;
  using F_gmp = fp<kernel_params<Modulus, true>>;
  constexpr std::size_t N = F::limbs;
  const auto& p = F::modulus;
  constexpr limb_t m_inv = F::m_inv;
  std::mt19937_64 rng(4);
  const auto a = random_element<F>(rng).montgomery_form(),
             b = random_element<F>(rng).montgomery_form();
  std::printf("\n== %s (%zu-bit p, %zu limbs; default kernel: %s) ==\n", name, F::bits, N,
              montgomery::adx_kernel_available<N>() ? "generated ADX" : "portable");
  F x = F::from_montgomery(a), y = x;
  F_gmp u = F_gmp::from_montgomery(a), v = u;
  auto c = a, d = a;
  const F bf = F::from_montgomery(b);
  const F_gmp bg = F_gmp::from_montgomery(b);
  const auto s = interleaved({
                                 [&] { x = x * bf; },
                                 [&] { y = y.square(); },
                                 [&] { montgomery::mul_cios(c, c, b, p, m_inv); },
                                 [&] { montgomery::sqr_portable(d, d, p, m_inv); },
                                 [&] { u = u * bg; },
                                 [&] { v = v.square(); },
                             },
                             rounds, calls);
  const char* labels[] = {"mul, default kernel",
                          "sqr, default kernel",
                          "mul, portable CIOS kernel",
                          "sqr, portable kernel",
                          "mul, GMP mpn (not constant time)",
                          "sqr, GMP mpn (not constant time)"};
  for (std::size_t i = 0; i < s.size(); ++i) bench::print_row(labels[i], s[i]);
  bench::print_ratio(std::string("fp_mul_") + name, "gmp_mpn", s[0], s[4]);
  bench::print_ratio(std::string("fp_mul_") + name + "_portable", "gmp_mpn", s[2], s[4]);
  bench::print_ratio(std::string("fp_sqr_") + name + "_portable", "gmp_mpn", s[3], s[5]);
  keep(x), keep(y), keep(u), keep(v), keep(c), keep(d);
}

/// A 768-bit field against the 1024-bit one (parameter set 1), default kernels, interleaved.
void bench_768_vs_1024(int rounds, int calls) {
  using F12 = fp<default_params<p12>>;
  using F16 = curves::sakke_param_set_1::base_field;
  std::mt19937_64 rng(5);
  F12 x = random_element<F12>(rng), y = x;
  const F12 b12 = random_element<F12>(rng);
  F16 u = random_element<F16>(rng), v = u;
  const F16 b16 = random_element<F16>(rng);
  std::printf("\n== 768-bit against 1024-bit field, default kernels ==\n");
  const auto s = interleaved({
                                 [&] { x = x * b12; },
                                 [&] { u = u * b16; },
                                 [&] { y = y.square(); },
                                 [&] { v = v.square(); },
                             },
                             rounds, calls);
  const char* labels[] = {"mul, 768-bit p", "mul, 1024-bit p (set 1)", "sqr, 768-bit p",
                          "sqr, 1024-bit p (set 1)"};
  for (std::size_t i = 0; i < s.size(); ++i) bench::print_row(labels[i], s[i]);
  bench::print_ratio("fp_mul_p768", "fp_mul_set1", s[0], s[1]);
  bench::print_ratio("fp_sqr_p768", "fp_sqr_set1", s[2], s[3]);
  keep(x), keep(y), keep(u), keep(v);
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
  auto x = a, y = a, z = a, w = a, u = a, v = a, c = a, d = a;
  const auto s = interleaved({
                                 [&] { montgomery::mul_bmi2(x, x, b, p, m_inv); },
                                 [&] { montgomery::mul_adx(y, y, b, p, m_inv); },
                                 [&] { montgomery::mul_bmi2(z, z, z, p, m_inv); },
                                 [&] { montgomery::sqr_adx(w, w, p, m_inv); },
                                 [&] { montgomery::mul_gmp(u, u, b, p, m_inv); },
                                 [&] { montgomery::sqr_gmp(v, v, p, m_inv); },
                                 [&] { montgomery::mul_cios(c, c, b, p, m_inv); },
                                 [&] { montgomery::sqr_portable(d, d, p, m_inv); },
                             },
                             rounds, calls);
  const char* labels[] = {"mul, MULX kernel (product scanning)",
                          "mul, ADX kernel (two carry chains)",
                          "sqr, MULX kernel (= mul(a, a))",
                          "sqr, ADX squaring kernel",
                          "mul, GMP mpn kernel",
                          "sqr, GMP mpn kernel",
                          "mul, portable CIOS kernel (no BMI2)",
                          "sqr, portable kernel (no BMI2)"};
  for (std::size_t i = 0; i < s.size(); ++i) bench::print_row(labels[i], s[i]);
  bench::print_ratio("fp_mul_set1_portable", "gmp_mpn", s[6], s[4]);
  bench::print_ratio("fp_sqr_set1_portable", "gmp_mpn", s[7], s[5]);
  bench::print_ratio("fp_mul_set1_adx", "mulx_kernel", s[1], s[0]);
  bench::print_ratio("fp_sqr_set1_adx", "mulx_kernel", s[3], s[2]);
  bench::print_ratio("fp_sqr_set1_adx", "adx_mul", s[3], s[1]);
  keep(x), keep(y), keep(z), keep(w), keep(u), keep(v), keep(c), keep(d);
  bench_ifma16(rounds, calls, a, b);
}

}  // namespace

int main() {
  bench_field<curves::p256>("p256", 15, 200000);
  bench_field<curves::sakke_param_set_1>("set1", 15, 40000);
  bench_portable<p8>("p512", 15, 100000);
  bench_portable<p12>("p768", 15, 60000);
  bench_portable<p24>("p1536", 15, 15000);
  bench_portable<p32>("p2048", 15, 8000);
  bench_768_vs_1024(15, 60000);
  bench_kernels16(15, 40000);
  bench_p256_kernels(15, 200000);
  return 0;
}
