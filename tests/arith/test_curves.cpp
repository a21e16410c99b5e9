// SPDX-License-Identifier: BSD-3-Clause
// Curve traits: the values copied from the RFC texts are checked against what they must satisfy.
#include <catch2/catch.hpp>

#include "../support/mpz_util.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"

namespace test_curves {

using namespace skm;
using skm::test::to_mpz;

namespace {
template <class C>
bool on_curve_mpz() {
  const mpz_class p = to_mpz(C::p), x = to_mpz(C::generator_x), y = to_mpz(C::generator_y);
  const mpz_class a = to_mpz(C::a), b = to_mpz(C::b);
  return (y * y - (x * x * x + a * x + b)) % p == 0;
}
}  // namespace

TEST_CASE("curves: NIST P-256 traits", "[curves]") {
  using C = curves::p256;
  static_assert(curves::generator_on_curve<C>());
  REQUIRE(curves::generator_on_curve<C>());
  REQUIRE(on_curve_mpz<C>());
  REQUIRE(mpz_probab_prime_p(to_mpz(C::p).get_mpz_t(), 40) != 0);
  REQUIRE(mpz_probab_prime_p(to_mpz(C::q).get_mpz_t(), 40) != 0);
  REQUIRE(to_mpz(C::p) == (mpz_class(1) << 256) - (mpz_class(1) << 224) + (mpz_class(1) << 192) +
                              (mpz_class(1) << 96) - 1);
  REQUIRE(to_mpz(C::a) == to_mpz(C::p) - 3);
  REQUIRE(C::cofactor == 1);
}

TEST_CASE("curves: RFC 6509 parameter set 1 traits", "[curves]") {
  using C = curves::sakke_param_set_1;
  const mpz_class p = to_mpz(C::p), q = to_mpz(C::q);
  static_assert(curves::generator_on_curve<C>());
  REQUIRE(curves::generator_on_curve<C>());
  REQUIRE(on_curve_mpz<C>());
  REQUIRE(mpz_probab_prime_p(p.get_mpz_t(), 40) != 0);
  REQUIRE(mpz_probab_prime_p(q.get_mpz_t(), 40) != 0);
  REQUIRE(p % 4 == 3);
  REQUIRE(q * 4 == p + 1);  // the supersingular curve has p + 1 points: cofactor 4
  REQUIRE(mpz_sizeinbase(q.get_mpz_t(), 2) == 1022);
  REQUIRE(to_mpz(C::g) < p);
  REQUIRE(to_mpz(C::b) == 0);
  REQUIRE(C::n_bits == 128);
  // lg(q) > 2n (RFC 6508 §2.1)
  REQUIRE(mpz_sizeinbase(q.get_mpz_t(), 2) > std::size_t{2} * C::n_bits);
}

}  // namespace test_curves
