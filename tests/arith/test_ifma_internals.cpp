// SPDX-License-Identifier: BSD-3-Clause
// The AVX-512 IFMA kernels' internal steps on inputs built to reach their rare paths: random
// products almost never make a carry or borrow ripple across many radix-2^52 digits, so the
// carry-lookahead normalization, the final subtraction of p and the radix changes are checked
// here on their own, against mpz.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>

#include "../support/mpz_util.hpp"
#include "../support/skip.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/field/fp.hpp"

namespace test_ifma_internals {

#if defined(SKM_HAVE_IFMA_KERNELS)

using namespace skm;
using namespace skm::kernels::ifma;
using skm::test::from_mpz;
using skm::test::to_mpz;

namespace {

using set1 = curves::sakke_param_set_1;

// Entry points with the kernels' target, so the always-inline steps can be called from here.
#define SKM_TEST_IFMA __attribute__((target("avx512f,avx512vl,avx512ifma")))

SKM_TEST_IFMA v5 load_digits(const digit_vector& x) {
  v5 v;
  for (int j = 0; j < 5; ++j)
    v.v[j] =
        _mm256_load_si256(reinterpret_cast<const __m256i*>(x.d.data() + std::ptrdiff_t{4} * j));
  return v;
}
SKM_TEST_IFMA void store_digits(digit_vector& x, const v5& v) {
  for (int j = 0; j < 5; ++j)
    _mm256_store_si256(reinterpret_cast<__m256i*>(x.d.data() + std::ptrdiff_t{4} * j), v.v[j]);
}

SKM_TEST_IFMA void normalize_lanes(digit_vector& x) { store_digits(x, normalize(load_digits(x))); }

SKM_TEST_IFMA void subtract_p(digit_vector& x, const modulus16& m) {
  store_digits(x, subtract_p_once(load_digits(x), m.p));
}

template <int Shift>
SKM_TEST_IFMA void limbs_to_digits(digit_vector& out, const skm::uint<16>& x) {
  store_digits(out, to_digits<Shift>(x));
}

SKM_TEST_IFMA void digits_to_limbs(skm::uint<16>& out, const digit_vector& x) {
  from_digits(out, load_digits(x));
}

/// The value of the 24 lanes, sum x_k 2^(52 k) (lanes may exceed 52 bits).
mpz_class value_of(const digit_vector& x) {
  mpz_class v = 0;
  for (int k = 23; k >= 0; --k)
    v = (v << 52) + mpz_class(std::to_string(x.d[static_cast<std::size_t>(k)]));
  return v;
}
digit_vector digits_of(mpz_class v) {
  digit_vector x;
  for (auto& d : x.d) {
    d = mpz_class(v & mpz_class(std::to_string(mask52))).get_ui();
    v >>= 52;
  }
  return x;
}
bool normalized(const digit_vector& x) {
  for (std::size_t k = 0; k < 24; ++k)
    if (x.d[k] > mask52 || (k >= static_cast<std::size_t>(digits) && x.d[k] != 0)) return false;
  return true;
}

/// Ends the process as a Meson skip (exit 77) when this CPU cannot run the kernels.
void skip_without_ifma() {
  if (!montgomery::ifma_kernel_available<16>())
    skm_test::skip_test("this CPU lacks AVX-512 F/VL/IFMA; the IFMA internals were not tested");
}

}  // namespace

TEST_CASE("ifma internals: normalization resolves every carry ripple", "[.][cpu-ifma]") {
  skip_without_ifma();
  std::mt19937_64 rng(9);
  for (int c = 0; c < 3000; ++c) {
    digit_vector x;
    if (c ==
        0) {  // the first pass leaves [M, 2^52, M, ..., M, 0]: one carry runs through lanes 1..19
      x.d.fill(mask52);
      x.d[0] = (std::uint64_t{1} << 53) - 1;
      x.d[19] = 0;
    } else if (c ==
               1) {  // every lane all ones and a carry into lane 0: it ripples to the top digit
      x.d.fill(mask52);
      x.d[0] += 1;
      x.d[19] = 0;
    } else {
      for (int i = 0; i < digits; ++i)
        x.d[static_cast<std::size_t>(i)] = i == digits - 1 ? rng() >> 24 : rng() >> (1 + c % 12);
      if (c % 3 == 0)  // runs of all-ones digits behind a large lane
        for (int i = 1 + c % 7; i < digits - 1; ++i) x.d[static_cast<std::size_t>(i)] = mask52;
    }
    for (std::size_t k = digits; k < 24; ++k) x.d[k] = 0;
    const mpz_class before = value_of(x);
    INFO("case " << c << ", value " << before.get_str(16));
    normalize_lanes(x);
    REQUIRE(normalized(x));
    REQUIRE(value_of(x) == before);
  }
}

TEST_CASE("ifma internals: the final subtraction maps [0, 2p) to [0, p) with every borrow ripple",
          "[.][cpu-ifma]") {
  skip_without_ifma();
  const modulus16 m(set1::p, set1::base_field::m_inv);
  const mpz_class p = to_mpz(set1::p);
  std::vector<mpz_class> cases = {0, 1, p - 1, p, p + 1, 2 * p - 1, 2 * p - 2};
  // differences from p that are zero over long runs of digits: a borrow must cross them all
  for (int k = 1; k < digits; ++k) {
    cases.emplace_back(p - (mpz_class(1) << (mp_bitcnt_t{52} * k)));
    cases.emplace_back(p + (mpz_class(1) << (mp_bitcnt_t{52} * k)));
    cases.emplace_back(p - 1 + (mpz_class(1) << (mp_bitcnt_t{52} * k)));
  }
  std::mt19937_64 rng(10);
  for (int i = 0; i < 2000; ++i) {
    mpz_class v = 0;
    for (int l = 0; l < 17; ++l) v = (v << 64) + mpz_class(std::to_string(rng()));
    cases.emplace_back(v % (2 * p));
  }
  for (const mpz_class& v : cases) {
    if (v < 0 || v >= 2 * p) continue;
    INFO("x = " << v.get_str(16));
    digit_vector x = digits_of(v);
    subtract_p(x, m);
    REQUIRE(normalized(x));
    REQUIRE(value_of(x) == v % p);
  }
}

TEST_CASE("ifma internals: the radix changes, with the Montgomery pre-shifts, are exact",
          "[.][cpu-ifma]") {
  skip_without_ifma();
  std::mt19937_64 rng(11);
  for (int c = 0; c < 2000; ++c) {
    skm::uint<16> x;
    for (auto& l : x.limb)
      l = c == 0 ? ~std::uint64_t{0} : c == 1 ? 0 : rng();  // 2^1024 - 1, 0, random
    if (c % 5 == 2) x.limb[static_cast<std::size_t>(rng() % 16)] = 0;
    const mpz_class v = to_mpz(x);
    INFO("x = " << v.get_str(16));
    digit_vector d0, d8, d16;
    limbs_to_digits<0>(d0, x);
    limbs_to_digits<8>(d8, x);
    limbs_to_digits<16>(d16, x);
    REQUIRE(normalized(d0));
    REQUIRE(normalized(d8));
    REQUIRE(normalized(d16));
    REQUIRE(value_of(d0) == v);
    REQUIRE(value_of(d8) == v << 8);
    REQUIRE(value_of(d16) == v << 16);
    skm::uint<16> back;
    digits_to_limbs(back, d0);
    REQUIRE(back == x);
  }
}

#else

TEST_CASE("ifma internals: not built for this target", "[.][cpu-ifma]") {
  skm_test::skip_test("the AVX-512 IFMA kernels are not compiled for this target");
}

#endif

}  // namespace test_ifma_internals
