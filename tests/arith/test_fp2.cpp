// SPDX-License-Identifier: BSD-3-Clause
// F_p^2 and PF_p against schoolbook arithmetic on pairs of mpz values.
#include <catch2/catch.hpp>

#include "../support/mpz_util.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/ext/fp2.hpp"

namespace test_fp2 {

using namespace skm;
using skm::test::element;
using skm::test::from_mpz;
using skm::test::operand_source;
using skm::test::to_mpz;
using skm::test::value;

namespace {

mpz_class mod(const mpz_class& v, const mpz_class& p) {
  mpz_class r = v % p;
  return r < 0 ? mpz_class(r + p) : r;
}

template <class F>
void fp2_suite(std::uint64_t seed, int count) {
  using E = fp2<F>;
  const mpz_class p = to_mpz(F::modulus);
  operand_source<F::limbs> src(F::modulus, seed);
  for (int i = 0; i < count; ++i) {
    const mpz_class a = src.next(), b = src.next(), c = src.next(), d = src.next();
    const E x{element<F>(a), element<F>(b)}, y{element<F>(c), element<F>(d)};
    INFO("x = " << a.get_str(16) << " + i " << b.get_str(16) << ", y = " << c.get_str(16) << " + i "
                << d.get_str(16));
    const E prod = x * y;
    REQUIRE(value(prod.re) == mod(a * c - b * d, p));
    REQUIRE(value(prod.im) == mod(a * d + b * c, p));
    const E sq = x.square();
    REQUIRE(value(sq.re) == mod(a * a - b * b, p));
    REQUIRE(value(sq.im) == mod(2 * a * b, p));
    REQUIRE(x + y - y == x);
    REQUIRE(value((-x).im) == mod(-b, p));
    REQUIRE(value(x.conjugate().im) == mod(-b, p));
    REQUIRE(value(x.norm()) == mod(a * a + b * b, p));
    if (!x.is_zero().declassify()) {
      REQUIRE(x * x.inverse() == E::one());
    } else {
      REQUIRE(x.inverse().is_zero().declassify());
    }
    // PF_p: the product of representatives r, s is (r + s)/(1 - r s) (RFC 6508 §2.1)
    const F r = element<F>(a), s = element<F>(c);
    if (!(F::one() - r * s).is_zero().declassify()) {
      const auto ps = pfp<F>::from_canonical(r) * pfp<F>::from_canonical(s);
      REQUIRE(ps.canonical() == (r + s) * (F::one() - r * s).inverse());
    }
    // scaling by a non-zero F_p factor does not change a PF_p element
    const F k = element<F>(mod(d, p) == 0 ? mpz_class(5) : d);
    if (!x.re.is_zero().declassify()) {
      REQUIRE(pfp<F>(x) == pfp<F>(x * k));
      REQUIRE(pfp<F>(x).canonical() == pfp<F>(x * k).canonical());
      REQUIRE(value(pfp<F>(x).canonical()) == mod(
                                                  b *
                                                      [&] {
                                                        mpz_class inv;
                                                        mpz_invert(inv.get_mpz_t(), a.get_mpz_t(),
                                                                   p.get_mpz_t());
                                                        return inv;
                                                      }(),
                                                  p));
      REQUIRE(pfp<F>(x) * pfp<F>(x).inverse() == pfp<F>());
    }
  }
  // i^2 = -1
  const E i{F(), F::one()};
  REQUIRE(i.square() == E{-F::one(), F()});
  // x^(p+1) is in F_p (the norm): the Frobenius is conjugation
  const E x{element<F>(src.next()), element<F>(src.next())};
  const E frob = x.pow_public(F::modulus);
  REQUIRE(frob == x.conjugate());
}

}  // namespace

TEST_CASE("fp2/PF_p over P-256's field", "[fp2]") { fp2_suite<curves::p256::base_field>(21, 2000); }
TEST_CASE("fp2/PF_p over parameter set 1's field", "[fp2]") {
  fp2_suite<curves::sakke_param_set_1::base_field>(22, 2000);
}

}  // namespace test_fp2
