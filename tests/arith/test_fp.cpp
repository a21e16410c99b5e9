// SPDX-License-Identifier: BSD-3-Clause
// Prime-field arithmetic against GMP mpz on edge values and 10,000 random operands per operation,
// for the four moduli the library ships: P-256 p and n, parameter set 1 p and q.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "../support/mpz_util.hpp"
#include "../support/skip.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/field/fp.hpp"

namespace test_fp {

using namespace skm;
using skm::test::element;
using skm::test::from_mpz;
using skm::test::operand_source;
using skm::test::to_mpz;
using skm::test::value;

namespace {

/// Random operands per differential check: 10,000, or SKM_TEST_RANDOM_OPERANDS (CI's sanitizer
/// leg lowers it: there the suite looks for memory and undefined-behaviour errors, and the plain
/// g++ and clang legs run the full count against GMP).
const int kRandomOperands = [] {
  const char* env = std::getenv("SKM_TEST_RANDOM_OPERANDS");
  if (env == nullptr) return 10000;
  char* end = nullptr;
  const long n = std::strtol(env, &end, 10);
  return *end == '\0' && n > 0 && n <= 10000 ? static_cast<int>(n) : 10000;
}();

template <class F>
void differential_suite(std::uint64_t seed) {
  using U = typename F::uint_type;
  const mpz_class p = to_mpz(F::modulus);
  INFO("modulus " << p.get_str(16) << ", seed " << seed);
  operand_source<F::limbs> a_src(F::modulus, seed), b_src(F::modulus, seed ^ 0x9E3779B97F4A7C15ull);
  const int total = kRandomOperands + static_cast<int>(a_src.edge_count());

  SECTION("encoding round trip, add, sub, neg, dbl, half, mul, sqr") {
    for (int i = 0; i < total; ++i) {
      const mpz_class a = a_src.next(), b = b_src.next();
      const F x = element<F>(a), y = element<F>(b);
      INFO("a = " << a.get_str(16) << ", b = " << b.get_str(16));
      REQUIRE(value(x) == a);
      mpz_class expect = (a + b) % p;
      REQUIRE(value(x + y) == expect);
      expect = a - b;
      if (expect < 0) expect += p;
      REQUIRE(value(x - y) == expect);
      REQUIRE(value(-x) == (p - a) % p);
      REQUIRE(value(x.dbl()) == (2 * a) % p);
      // half: the r with 2r = a (mod p)
      REQUIRE(value(x.half()) == (a % 2 == 0 ? mpz_class(a / 2) : mpz_class((a + p) / 2)));
      REQUIRE(value(x * y) == (a * b) % p);
      REQUIRE(value(x.square()) == (a * a) % p);
    }
  }

  SECTION("inverse (constant time) and inverse_vartime") {
    for (int i = 0; i < total; ++i) {
      const mpz_class a = a_src.next();
      const F x = element<F>(a);
      INFO("a = " << a.get_str(16));
      mpz_class expect = 0;
      if (a != 0) mpz_invert(expect.get_mpz_t(), a.get_mpz_t(), p.get_mpz_t());
      REQUIRE(value(x.inverse()) == expect);
      REQUIRE(value(x.inverse_vartime()) == expect);
    }
  }

  SECTION("pow_public and pow_secret with random full-width exponents") {
    for (int i = 0; i < total; ++i) {
      const mpz_class a = a_src.next();
      const mpz_class e = b_src.next();  // exponents below p, edge values included
      const F x = element<F>(a);
      const U eu = from_mpz<F::limbs>(e);
      INFO("a = " << a.get_str(16) << ", e = " << e.get_str(16));
      mpz_class expect;
      mpz_powm(expect.get_mpz_t(), a.get_mpz_t(), e.get_mpz_t(), p.get_mpz_t());
      REQUIRE(value(x.pow_public(eu)) == expect);
      REQUIRE(value(x.pow_secret(eu)) == expect);
    }
  }

  SECTION("Legendre symbol, constant time and variable time") {
    for (int i = 0; i < total; ++i) {
      const mpz_class a = a_src.next();
      const F x = element<F>(a);
      INFO("a = " << a.get_str(16));
      const int expect = mpz_legendre(a.get_mpz_t(), p.get_mpz_t());
      REQUIRE(x.legendre() == expect);
      REQUIRE(x.legendre_vartime() == expect);
    }
  }

  SECTION("square roots (p = 3 mod 4 only)") {
    if constexpr (F::p_is_3_mod_4) {
      int squares = 0;
      for (int i = 0; i < total; ++i) {
        const mpz_class a = a_src.next();
        const F x = element<F>(a);
        INFO("a = " << a.get_str(16));
        const bool is_square = mpz_legendre(a.get_mpz_t(), p.get_mpz_t()) >= 0;
        F root;
        REQUIRE(x.sqrt(root).declassify() == is_square);
        if (is_square) {
          ++squares;
          REQUIRE(value(root) * value(root) % p == a);
          REQUIRE(x.sqrt_vartime().has_value());
        } else {
          REQUIRE_FALSE(x.sqrt_vartime().has_value());
        }
      }
      REQUIRE(squares > total / 3);  // about half of the operands are squares
    }
  }

  SECTION("reduce: integers wider than the field, and octet strings of any length") {
    for (int i = 0; i < total; ++i) {
      skm::uint<2 * F::limbs + 1> wide;
      for (auto& l : wide.limb) l = a_src.raw();
      if (i % 5 == 0) wide.limb.back() = 0;
      const mpz_class w = to_mpz(wide);
      REQUIRE(value(F::reduce(wide)) == w % p);
      REQUIRE(value(F::reduce(F::modulus)) == 0);

      const std::size_t len = static_cast<std::size_t>(a_src.raw() % (3 * F::bytes));
      std::vector<std::uint8_t> octets(len);
      for (auto& o : octets) o = static_cast<std::uint8_t>(a_src.raw());
      mpz_class o_val = 0;
      for (auto o : octets) o_val = o_val * 256 + o;
      REQUIRE(value(F::reduce_bytes(octets)) == o_val % p);
    }
  }

  SECTION("fixed-length octet encoding: round trip, wrong lengths and values >= p rejected") {
    for (int i = 0; i < 1000; ++i) {
      const mpz_class a = a_src.next();
      const F x = element<F>(a);
      const auto bytes = x.to_bytes();
      static_assert(std::tuple_size_v<decltype(bytes)> == F::bytes);
      auto back = F::from_bytes(bytes);
      REQUIRE(back.has_value());
      REQUIRE(*back == x);
      // leading zero octets are kept, not stripped
      REQUIRE(mpz_class(to_mpz(from_bytes_be<F::limbs>(bytes).value())) == a);
    }
    std::vector<std::uint8_t> too_short(F::bytes - 1, 0), too_long(F::bytes + 1, 0);
    REQUIRE(F::from_bytes(too_short).error() == field_error::bad_length);
    REQUIRE(F::from_bytes(too_long).error() == field_error::bad_length);
    REQUIRE(F::from_bytes({}).error() == field_error::bad_length);
    for (const mpz_class& bad :
         {p, mpz_class(p + 1), mpz_class((mpz_class(1) << (8 * F::bytes)) - 1)}) {
      const auto enc = to_bytes_be<F::bytes>(from_mpz<F::limbs>(bad));
      auto r = F::from_bytes(enc);
      REQUIRE_FALSE(r.has_value());
      REQUIRE(r.error() == field_error::out_of_range);
      REQUIRE_FALSE(F::from_uint(from_mpz<F::limbs>(bad)).has_value());
    }
  }

  SECTION("constant-time equality, select and swap") {
    for (int i = 0; i < 1000; ++i) {
      const mpz_class a = a_src.next(), b = b_src.next();
      F x = element<F>(a), y = element<F>(b);
      REQUIRE(ct_equal(x, y).declassify() == (a == b));
      REQUIRE(ct_equal(x, x).declassify());
      REQUIRE(F::select(ct::choice::yes(), x, y) == x);
      REQUIRE(F::select(ct::choice::no(), x, y) == y);
      F::cswap(ct::choice::yes(), x, y);
      REQUIRE(value(x) == b);
      REQUIRE(value(y) == a);
      F::cswap(ct::choice::no(), x, y);
      REQUIRE(value(x) == b);
      REQUIRE(x.is_zero().declassify() == (b == 0));
    }
  }
}

using p256 = curves::p256;
using set1 = curves::sakke_param_set_1;

}  // namespace

TEST_CASE("fp: P-256 base field p against mpz", "[fp][p256-p]") {
  differential_suite<p256::base_field>(1);
}
TEST_CASE("fp: P-256 scalar field n against mpz", "[fp][p256-n]") {
  differential_suite<p256::scalar_field>(2);
}
TEST_CASE("fp: parameter set 1 base field p against mpz", "[fp][set1-p]") {
  differential_suite<set1::base_field>(3);
}
TEST_CASE("fp: parameter set 1 scalar field q against mpz", "[fp][set1-q]") {
  differential_suite<set1::scalar_field>(4);
}

namespace {
struct p256_gmp {
  static constexpr auto modulus = p256::p;
  static constexpr bool use_gmp = true;
};
struct set1_cios {
  static constexpr auto modulus = set1::p;
  static constexpr bool use_gmp = false;
};
struct set1_gmp {  // forces GMP's mpn where the default would take the generated MULX kernel
  static constexpr auto modulus = set1::p;
  static constexpr bool use_gmp = true;
};
}  // namespace

TEST_CASE(
    "fp: every run-time kernel (unrolled CIOS, GMP, MULX/ADX/IFMA, P-256's own) agrees bit for bit",
    "[fp][kernels]") {
  INFO("IFMA kernels available here: " << montgomery::ifma_kernel_available<16>());
  INFO("MULX kernel available here: " << montgomery::bmi2_kernel_available<16>());
  INFO("ADX kernels available here: " << montgomery::adx_kernel_available<16>());
  operand_source<4> s4(p256::p, 7);
  operand_source<16> s16(set1::p, 8);
  for (int i = 0; i < 2000; ++i) {
    const mpz_class a = s4.next(), b = s4.next();
    const auto x = element<p256::base_field>(a) * element<p256::base_field>(b);
    const auto y = element<fp<p256_gmp>>(a) * element<fp<p256_gmp>>(b);
    REQUIRE(x.montgomery_form() == y.montgomery_form());
    REQUIRE(element<fp<p256_gmp>>(a).square() ==
            element<fp<p256_gmp>>(a) * element<fp<p256_gmp>>(a));
    const mpz_class c = s16.next(), d = s16.next();
    const auto u = element<set1::base_field>(c) * element<set1::base_field>(d);
    const auto v = element<fp<set1_cios>>(c) * element<fp<set1_cios>>(d);
    REQUIRE(u.montgomery_form() == v.montgomery_form());
    REQUIRE(element<fp<set1_cios>>(c).square() ==
            element<fp<set1_cios>>(c) * element<fp<set1_cios>>(c));
    const auto w = element<fp<set1_gmp>>(c) * element<fp<set1_gmp>>(d);
    REQUIRE(u.montgomery_form() == w.montgomery_form());
    REQUIRE(element<set1::base_field>(c).square().montgomery_form() ==
            element<fp<set1_gmp>>(c).square().montgomery_form());
    // in place: the run-time kernels (MULX, ADX, IFMA) allow their output to alias an input
    auto x1 = element<set1::base_field>(c);
    x1 *= element<set1::base_field>(d);
    REQUIRE(x1 == u);
  }
}

namespace {
/// The operand pairs every direct kernel test runs: each pair of edge values (the source's own,
/// then `extra`), then kRandomOperands random pairs (a, b), each also as (a, a) and as a with a
/// random edge value.
template <std::size_t N, class Check>
void edge_and_random_pairs(operand_source<N>& src, const std::vector<mpz_class>& extra,
                           Check&& check) {
  std::vector<mpz_class> edges;
  for (std::size_t i = 0; i < src.edge_count(); ++i) edges.push_back(src.next());
  edges.insert(edges.end(), extra.begin(), extra.end());
  for (const mpz_class& a : edges)
    for (const mpz_class& b : edges) check(a, b);
  for (int i = 0; i < kRandomOperands; ++i) {
    const mpz_class a = src.next(), b = src.next();
    check(a, b);
    check(a, a);
    check(a, edges[static_cast<std::size_t>(src.raw() % edges.size())]);
  }
}

/// A 16-limb Montgomery kernel pair called directly (not through fp's dispatch).
struct kernel16 {
  const char* name;
  std::function<void(skm::uint<16>&, const skm::uint<16>&, const skm::uint<16>&)> mul;
  std::function<void(skm::uint<16>&, const skm::uint<16>&)> sqr;
};

/// A kernel pair against the portable CIOS kernel and mpz, for a 16-limb modulus, on
/// edge_and_random_pairs(); the output may alias an input.
void kernels_against_cios_and_mpz(const skm::uint<16>& p, std::uint64_t seed, const kernel16& k) {
  const mpz_class pz = to_mpz(p), r = mpz_class(1) << 1024;
  mpz_class r_inv;
  mpz_invert(r_inv.get_mpz_t(), r.get_mpz_t(), pz.get_mpz_t());
  const limb_t m_inv = montgomery::neg_inverse_mod_2_64(p.limb[0]);
  INFO(k.name << " kernels, modulus " << pz.get_str(16) << ", seed " << seed);

  operand_source<16> src(p, seed);
  std::vector<mpz_class> extra;
  // values near R, reduced below p (the kernels require operands < p)
  for (const mpz_class& v :
       {mpz_class(r - 1), mpz_class(r - 2), mpz_class(r - (mpz_class(1) << 64)),
        mpz_class(r - (mpz_class(1) << 960)), mpz_class((r >> 1) - 1)})
    extra.emplace_back(v % pz);
  extra.emplace_back(pz - (mpz_class(1) << 960));  // top limb one less than p's
  // values whose radix-2^52 digits are all ones or all zeros over long runs
  extra.emplace_back(((mpz_class(1) << 1000) - 1) % pz);
  extra.emplace_back((mpz_class(1) << 1012) % pz);

  auto check = [&](const mpz_class& a, const mpz_class& b) {
    INFO("a = " << a.get_str(16) << ", b = " << b.get_str(16));
    const auto ua = from_mpz<16>(a), ub = from_mpz<16>(b);
    skm::uint<16> expect, expect_sq, got;
    montgomery::mul_cios(expect, ua, ub, p, m_inv);
    montgomery::mul_cios(expect_sq, ua, ua, p, m_inv);
    REQUIRE(to_mpz(expect) == a * b * r_inv % pz);
    REQUIRE(to_mpz(expect_sq) == a * a * r_inv % pz);
    k.mul(got, ua, ub);
    REQUIRE(got == expect);
    k.sqr(got, ua);
    REQUIRE(got == expect_sq);
    got = ua;
    k.mul(got, got, ub);
    REQUIRE(got == expect);
    got = ub;
    k.mul(got, ua, got);
    REQUIRE(got == expect);
    got = ua;
    k.sqr(got, got);
    REQUIRE(got == expect_sq);
  };
  edge_and_random_pairs(src, extra, check);
}

/// p and q of parameter set 1 are below 0.62 * 2^1024, so a kernel's carry out of 2^1024 never
/// occurs for them; an odd modulus just below 2^1024 (any odd modulus works for Montgomery) makes
/// it occur.
skm::uint<16> modulus_near_r() {
  mpz_class near_r = (mpz_class(1) << 1024) - (to_mpz(set1::p) >> 200);
  near_r |= 1;
  return from_mpz<16>(near_r);
}

kernel16 adx_kernels(const skm::uint<16>& p) {
  const limb_t m_inv = montgomery::neg_inverse_mod_2_64(p.limb[0]);
  return {"ADX",
          [p, m_inv](auto& out, const auto& a, const auto& b) {
            montgomery::mul_adx(out, a, b, p, m_inv);
          },
          [p, m_inv](auto& out, const auto& a) { montgomery::sqr_adx(out, a, p, m_inv); }};
}
kernel16 mulx_kernel(const skm::uint<16>& p) {
  const limb_t m_inv = montgomery::neg_inverse_mod_2_64(p.limb[0]);
  return {"MULX",
          [p, m_inv](auto& out, const auto& a, const auto& b) {
            montgomery::mul_bmi2(out, a, b, p, m_inv);
          },
          [p, m_inv](auto& out, const auto& a) { montgomery::mul_bmi2(out, a, a, p, m_inv); }};
}
}  // namespace

TEST_CASE("fp: the ADX kernels equal CIOS and mpz for 16-limb moduli", "[.][cpu-adx]") {
  if (!montgomery::adx_kernel_available<16>())
    skm_test::skip_test("this CPU lacks BMI2/ADX; the ADX kernels were not tested");
  kernels_against_cios_and_mpz(set1::p, 11, adx_kernels(set1::p));
  kernels_against_cios_and_mpz(set1::q, 12, adx_kernels(set1::q));
  kernels_against_cios_and_mpz(modulus_near_r(), 13, adx_kernels(modulus_near_r()));
}

TEST_CASE("fp: the MULX kernel equals CIOS and mpz for 16-limb moduli", "[.][cpu-bmi2]") {
  if (!montgomery::bmi2_kernel_available<16>())
    skm_test::skip_test("this CPU lacks BMI2; the MULX kernel was not tested");
  kernels_against_cios_and_mpz(set1::p, 14, mulx_kernel(set1::p));
  kernels_against_cios_and_mpz(modulus_near_r(), 15, mulx_kernel(modulus_near_r()));
}

#if defined(__x86_64__)
TEST_CASE(
    "fp: the 16-limb addition and subtraction kernels equal mpz, with and without a carry out of 2^1024",
    "[fp][kernels]") {
  // Set 1's p and q are below 0.62 * 2^1024, so a + b never carries out of 16 limbs for them;
  // the modulus near 2^1024 makes it carry about half the time.
  for (const skm::uint<16>& p : {set1::p, set1::q, modulus_near_r()}) {
    const mpz_class pz = to_mpz(p);
    INFO("modulus " << pz.get_str(16));
    operand_source<16> src(p, 41);
    auto check = [&](const mpz_class& a, const mpz_class& b) {
      INFO("a = " << a.get_str(16) << ", b = " << b.get_str(16));
      const auto ua = from_mpz<16>(a), ub = from_mpz<16>(b);
      skm::uint<16> got;
      kernels::add16_mod(got, ua, ub, p);
      REQUIRE(to_mpz(got) == (a + b) % pz);
      kernels::sub16_mod(got, ua, ub, p);
      REQUIRE(to_mpz(got) == ((a - b) % pz + pz) % pz);
      got = ua;  // the output may alias either input
      kernels::add16_mod(got, got, ub, p);
      REQUIRE(to_mpz(got) == (a + b) % pz);
      got = ub;
      kernels::sub16_mod(got, ua, got, p);
      REQUIRE(to_mpz(got) == ((a - b) % pz + pz) % pz);
    };
    edge_and_random_pairs(src, {}, check);
  }
}

namespace {
/// The P-256 operand pairs (edge values, then random ones), each checked by `kernel_check` against
/// CIOS, which is checked against mpz.
template <class Check>
void p256_kernel_pairs(Check kernel_check) {
  const skm::uint<4>& p = p256::p;
  const mpz_class pz = to_mpz(p), r = mpz_class(1) << 256;
  mpz_class r_inv;
  mpz_invert(r_inv.get_mpz_t(), r.get_mpz_t(), pz.get_mpz_t());
  const limb_t m_inv = montgomery::neg_inverse_mod_2_64(p.limb[0]);
  REQUIRE(m_inv == 1);  // p = -1 mod 2^64, which both kernels rely on

  operand_source<4> src(p, 31);
  std::vector<mpz_class> extra;
  for (const mpz_class& v :
       {mpz_class(r - 1), mpz_class(r - pz), mpz_class(pz - (mpz_class(1) << 224)),
        mpz_class(pz - (mpz_class(1) << 192)), mpz_class((mpz_class(1) << 224) - 1)})
    extra.emplace_back(v % pz);

  auto check = [&](const mpz_class& a, const mpz_class& b) {
    INFO("a = " << a.get_str(16) << ", b = " << b.get_str(16));
    const auto ua = from_mpz<4>(a), ub = from_mpz<4>(b);
    skm::uint<4> expect;
    montgomery::mul_cios(expect, ua, ub, p, m_inv);
    REQUIRE(to_mpz(expect) == a * b * r_inv % pz);
    kernel_check(ua, ub, expect);
  };
  edge_and_random_pairs(src, extra, check);
}
}  // namespace

TEST_CASE("fp: the P-256 C++ carry-chain kernel equals CIOS and mpz", "[fp][kernels]") {
  using K = kernels::p256_montgomery;
  p256_kernel_pairs([](const skm::uint<4>& ua, const skm::uint<4>& ub, const skm::uint<4>& expect) {
    skm::uint<4> got;
    K::mul_x86_64(got, ua, ub);
    REQUIRE(got == expect);
  });
}

TEST_CASE("fp: the P-256 ADX assembly kernel equals CIOS and mpz", "[.][cpu-adx]") {
  if (!montgomery::cpu_has_adx())
    skm_test::skip_test("this CPU lacks BMI2/ADX; the P-256 ADX kernel was not run");
  p256_kernel_pairs([](const skm::uint<4>& ua, const skm::uint<4>& ub, const skm::uint<4>& expect) {
    skm::uint<4> got;
    kernels::p256_montmul_adx(got, ua, ub);
    REQUIRE(got == expect);
    got = ua;  // the output may alias either input
    kernels::p256_montmul_adx(got, got, ub);
    REQUIRE(got == expect);
    got = ub;
    kernels::p256_montmul_adx(got, ua, got);
    REQUIRE(got == expect);
  });
}
#endif

#if defined(SKM_HAVE_IFMA_KERNELS)
namespace {
kernel16 ifma_kernels(const skm::uint<16>& p) {
  const kernels::ifma::modulus16 m(p, montgomery::neg_inverse_mod_2_64(p.limb[0]));
  return {"AVX-512 IFMA",
          [m](auto& out, const auto& a, const auto& b) { kernels::ifma::montmul16(out, a, b, m); },
          [m](auto& out, const auto& a) { kernels::ifma::montsqr16(out, a, m); }};
}
}  // namespace

TEST_CASE("fp: the AVX-512 IFMA kernels equal CIOS and mpz for 16-limb moduli", "[.][cpu-ifma]") {
  INFO("IFMA kernels available here: " << montgomery::ifma_kernel_available<16>());
  // the radix-2^52 modulus constants, computed at compile time, against mpz
  constexpr kernels::ifma::modulus16 m(set1::p, set1::base_field::m_inv);
  mpz_class digits_value = 0;
  for (int k = kernels::ifma::digits - 1; k >= 0; --k) {
    REQUIRE(m.p.d[static_cast<std::size_t>(k)] <= kernels::ifma::mask52);
    digits_value =
        (digits_value << 52) + mpz_class(std::to_string(m.p.d[static_cast<std::size_t>(k)]));
  }
  REQUIRE(digits_value == to_mpz(set1::p));
  REQUIRE(((m.p_inv * set1::p.limb[0]) & kernels::ifma::mask52) ==
          kernels::ifma::mask52);  // p p' = -1 mod 2^52
  if (!montgomery::ifma_kernel_available<16>())
    skm_test::skip_test("this CPU lacks AVX-512 F/VL/IFMA; the IFMA kernels were not run");
  kernels_against_cios_and_mpz(set1::p, 21, ifma_kernels(set1::p));
  kernels_against_cios_and_mpz(set1::q, 22, ifma_kernels(set1::q));
  kernels_against_cios_and_mpz(modulus_near_r(), 23, ifma_kernels(modulus_near_r()));
}
#endif

// ---- compile-time facts, each checked beside the same value at run time ----

namespace {
using Fp256 = p256::base_field;
using Fq1 = set1::scalar_field;

// Montgomery constants for P-256: R = 2^256.
constexpr auto r_mod_p256 =
    hex<256>("00000000FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF000000000000000000000001");
static_assert(Fp256::r1 == r_mod_p256);
static_assert(Fp256::m_inv == 1);  // -p^-1 mod 2^64 for P-256: p = -1 mod 2^64
static_assert(Fp256::p_minus_2 ==
              hex<256>("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFD"));

// A product of two literals, computed at compile time in the field.
constexpr Fp256 seven = Fp256::from_u64(7);
constexpr Fp256 six = Fp256::from_u64(6);
static_assert((seven * six).to_uint() == skm::uint<4>::from_u64(42));
static_assert((six - seven).to_uint() == p256::p - 1);
static_assert((seven * seven.inverse()) == Fp256::one());

// A product of two 1024-bit literals, reduced mod q at compile time.
constexpr auto big_product =
    (Fq1::from_uint(set1::generator_x - set1::q - set1::q).value() * Fq1::from_u64(3)).to_uint();
}  // namespace

TEST_CASE("fp: compile-time constants equal their run-time computation", "[fp][constexpr]") {
  const mpz_class p = to_mpz(p256::p);
  REQUIRE(to_mpz(Fp256::r1) == (mpz_class(1) << 256) % p);
  REQUIRE(to_mpz(Fp256::r2) == (mpz_class(1) << 512) % p);
  REQUIRE(to_mpz(Fp256::r3) == (mpz_class(1) << 768) % p);
  REQUIRE(Fp256::r1 == r_mod_p256);
  const mpz_class q = to_mpz(set1::q);
  REQUIRE(to_mpz(Fq1::r1) == (mpz_class(1) << 1024) % q);
  REQUIRE(to_mpz(Fq1::r2) == (mpz_class(1) << 2048) % q);
  REQUIRE(to_mpz(Fq1::r3) == (mpz_class(1) << 3072) % q);
  const mpz_class minv = (mpz_class(1) << 64) - [&] {
    mpz_class inv;
    mpz_class two64 = mpz_class(1) << 64;
    mpz_invert(inv.get_mpz_t(), mpz_class(to_mpz(set1::q) % two64).get_mpz_t(), two64.get_mpz_t());
    return inv;
  }();
  REQUIRE(mpz_class(static_cast<unsigned long>(Fq1::m_inv)) == minv);
  REQUIRE((seven * six).to_uint() == skm::uint<4>::from_u64(42));
  REQUIRE(to_mpz(big_product) == (to_mpz(set1::generator_x) - 2 * q) * 3 % q);
  REQUIRE(to_mpz(Fq1::sqrt_exponent) == (q + 1) / 4);
}

namespace {
/// A random source that always returns the same octet.
struct stuck_source {
  std::uint8_t value;
  void GenerateBlock(std::uint8_t* out, std::size_t n) const {
    for (std::size_t i = 0; i < n; ++i) out[i] = value;
  }
};
/// Deterministic bytes from a seeded generator.
struct seeded_source {
  std::mt19937_64 rng{99};
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(rng());
  }
};
}  // namespace

TEST_CASE("fp: random elements are in range, and a broken source is an error, not a hang",
          "[fp][kernels]") {
  seeded_source good;
  for (int i = 0; i < 200; ++i) {
    const auto x = set1::base_field::random(good);
    REQUIRE(ct_less(x.to_uint(), set1::p).declassify());
    REQUIRE_FALSE(p256::scalar_field::random_nonzero(good).is_zero().declassify());
  }
  stuck_source zeros{0x00}, ones{0xFF};
  REQUIRE(p256::base_field::random(zeros).is_zero().declassify());  // 0 is a valid draw
  REQUIRE_THROWS_AS(p256::base_field::random_nonzero(zeros), std::runtime_error);
  REQUIRE_THROWS_AS(p256::base_field::random(ones), std::runtime_error);  // 2^256 - 1 >= p, always
  REQUIRE_THROWS_AS(set1::scalar_field::random(ones), std::runtime_error);
}

}  // namespace test_fp
