// SPDX-License-Identifier: BSD-3-Clause
// The portable constant-time Montgomery kernels (field/montgomery.hpp: unrolled CIOS
// multiplication, half-product squaring, separate reduction) against GMP mpz, for fields of 8,
// 12, 24 and 32 limbs (where they are the default kernel) and 16 limbs (where they serve CPUs
// without BMI2 and every non-x86 CPU). Each size has three moduli: a random prime, the largest
// prime below 2^(64N) (all-ones limbs: every carry chain runs full length) and the smallest prime
// above 2^(64(N-1)) (a top limb of 1). Edge operands, random operands, in-place calls (the output
// aliasing an input), and the GMP-forced field must agree bit for bit; where the CPU has ADX, the
// generated ADX kernels (8, 12 and 16 limbs) are checked the same way.
#include <catch2/catch.hpp>

#include <cstdint>

#include "../support/mpz_util.hpp"
#include "../support/wide_moduli.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/field/fp.hpp"

namespace test_fp_portable {

using namespace skm;
using skm::test::element;
using skm::test::from_mpz;
using skm::test::operand_source;
using skm::test::p12;
using skm::test::p24;
using skm::test::p32;
using skm::test::p8;
using skm::test::to_mpz;
using skm::test::value;

namespace {

constexpr int kRandomOperands = 2000;

/// 2^(64N) - c
template <std::size_t N>
constexpr skm::uint<N> below_power(limb_t c) {
  skm::uint<N> v;
  for (auto& l : v.limb) l = ~limb_t{0};
  return v - skm::uint<N>::from_u64(c - 1);
}
/// 2^(64(N-1)) + c
template <std::size_t N>
constexpr skm::uint<N> above_power(limb_t c) {
  skm::uint<N> v;
  v.limb[N - 1] = 1;
  v.limb[0] = c;
  return v;
}

template <auto Modulus>
struct params {
  static constexpr auto modulus = Modulus;
};
template <auto Modulus>
struct gmp_params {
  static constexpr auto modulus = Modulus;
  static constexpr bool use_gmp = true;
};

/// The kernels called directly, including in place, against mpz: mul_cios, sqr_portable, and
/// the reduction redc_portable (through from_montgomery -> to_uint).
template <std::size_t N>
void direct_kernels(const skm::uint<N>& p, std::uint64_t seed) {
  const limb_t m_inv = montgomery::neg_inverse_mod_2_64(p.limb[0]);
  const mpz_class pz = to_mpz(p), r = mpz_class(1) << (64 * N);
  mpz_class r_inv;
  mpz_invert(r_inv.get_mpz_t(), r.get_mpz_t(), pz.get_mpz_t());
  operand_source<N> src(p, seed);
  const int total = kRandomOperands + static_cast<int>(src.edge_count());
  for (int i = 0; i < total; ++i) {
    const mpz_class a = src.next(), b = (i % 3 == 0) ? a : src.random_below();
    INFO("a = " << a.get_str(16) << ", b = " << b.get_str(16));
    const auto au = from_mpz<N>(a), bu = from_mpz<N>(b);
    skm::uint<N> prod, sq;
    montgomery::mul_cios(prod, au, bu, p, m_inv);
    montgomery::sqr_portable(sq, au, p, m_inv);
    REQUIRE(to_mpz(prod) == a * b * r_inv % pz);
    REQUIRE(to_mpz(sq) == a * a * r_inv % pz);
    auto x = au, y = au;
    montgomery::mul_cios(x, x, bu, p, m_inv);  // out aliases a
    montgomery::sqr_portable(y, y, p, m_inv);  // out aliases a
    REQUIRE(x == prod);
    REQUIRE(y == sq);
    auto z = bu;
    montgomery::mul_cios(z, au, z, p, m_inv);  // out aliases b
    REQUIRE(z == prod);
    std::array<limb_t, 2 * N> wide{};
    for (std::size_t k = 0; k < N; ++k) wide[k] = au.limb[k];
    skm::uint<N> red;
    montgomery::redc_portable(red, wide, p, m_inv);
    REQUIRE(to_mpz(red) == a * r_inv % pz);
    if (montgomery::adx_kernel_available<N>()) {  // the generated ADX kernels (8, 12, 16 limbs)
      auto u = au, v = au;
      montgomery::mul_adx(u, u, bu, p, m_inv);
      montgomery::sqr_adx(v, v, p, m_inv);
      REQUIRE(u == prod);
      REQUIRE(v == sq);
    }
  }
}

/// fp<> with the default kernel choice (portable at these sizes, on every CPU) against mpz and
/// against the GMP-forced field, for the operations that reach the kernels.
template <auto Modulus>
void field_against_mpz(std::uint64_t seed) {
  using F = fp<params<Modulus>>;
  using G = fp<gmp_params<Modulus>>;
  static_assert(!F::cios_chosen && !F::gmp_forced && G::gmp_forced);
  const mpz_class p = to_mpz(F::modulus);
  INFO("modulus " << p.get_str(16));
  operand_source<F::limbs> src(F::modulus, seed);
  const int total = kRandomOperands + static_cast<int>(src.edge_count());
  for (int i = 0; i < total; ++i) {
    const mpz_class a = src.next(), b = src.random_below();
    INFO("a = " << a.get_str(16) << ", b = " << b.get_str(16));
    const F x = element<F>(a), y = element<F>(b);
    REQUIRE(value(x) == a);
    REQUIRE(value(x * y) == a * b % p);
    REQUIRE(value(x.square()) == a * a % p);
    REQUIRE((x * y).montgomery_form() == (element<G>(a) * element<G>(b)).montgomery_form());
    REQUIRE(x.square().montgomery_form() == element<G>(a).square().montgomery_form());
    F z = x;
    z *= y;
    REQUIRE(value(z) == a * b % p);
    skm::uint<2 * F::limbs + 1> w;
    for (auto& l : w.limb) l = src.raw();
    REQUIRE(value(F::reduce(w)) == to_mpz(w) % p);
  }
  for (int i = 0; i < 20; ++i) {  // exponentiation and inversion: long kernel chains
    const mpz_class a = src.random_below(), e = src.random_below();
    mpz_class expect;
    mpz_powm(expect.get_mpz_t(), a.get_mpz_t(), e.get_mpz_t(), p.get_mpz_t());
    REQUIRE(value(element<F>(a).pow_secret(from_mpz<F::limbs>(e))) == expect);
    mpz_class inv = 0;
    if (a != 0) mpz_invert(inv.get_mpz_t(), a.get_mpz_t(), p.get_mpz_t());
    REQUIRE(value(element<F>(a).inverse()) == inv);
  }
}

template <std::size_t N, auto Random>
void all_three_moduli(limb_t below, limb_t above, std::uint64_t seed) {
  SECTION("random prime") {
    direct_kernels(Random, seed);
    field_against_mpz<Random>(seed + 1);
  }
  SECTION("largest prime below 2^(64N)") { direct_kernels(below_power<N>(below), seed + 2); }
  SECTION("smallest prime above 2^(64(N-1))") { direct_kernels(above_power<N>(above), seed + 3); }
}

}  // namespace

TEST_CASE("portable Montgomery kernels, 8 limbs, against mpz", "[fp][portable][security-2]") {
  all_three_moduli<8, p8>(0x239, 0x255, 81);
  SECTION("field with an all-ones modulus") { field_against_mpz<below_power<8>(0x239)>(85); }
}
TEST_CASE("portable Montgomery kernels, 12 limbs, against mpz", "[fp][portable][security-2]") {
  all_three_moduli<12, p12>(0x339, 0x68d, 121);
  SECTION("field with a top limb of 1") { field_against_mpz<above_power<12>(0x68d)>(125); }
}
TEST_CASE("portable Montgomery kernels, 24 limbs, against mpz", "[fp][portable][security-2]") {
  all_three_moduli<24, p24>(0xd7d, 0x759, 241);
}
TEST_CASE("portable Montgomery kernels, 32 limbs, against mpz", "[fp][portable][security-2]") {
  all_three_moduli<32, p32>(0x615, 0xe61, 321);
}
TEST_CASE("portable Montgomery kernels, 16 limbs (CPUs without BMI2, non-x86), against mpz",
          "[fp][portable][security-2]") {
  direct_kernels(curves::sakke_param_set_1::p, 161);
  direct_kernels(below_power<16>(0x15f), 162);  // any odd modulus: Montgomery does not need a prime
}

}  // namespace test_fp_portable
