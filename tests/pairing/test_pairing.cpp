// SPDX-License-Identifier: BSD-3-Clause
// The RFC 6508 pairing: the fast Jacobian/PF_p loop and the line table against the affine RFC
// transcription, bilinearity, <P, P> = g, non-degeneracy, for parameter set 1 and a second,
// test-only parameter set (512-bit p, cofactor not 4).
#include <catch2/catch.hpp>

#include <cstdint>

#include "../sakke/sakke_test_params_512.hpp"
#include "oracle.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/pairing/line_table.hpp"
#include "skm/pairing/recoding.hpp"
#include "skm/pairing/tate.hpp"

using skm::curves::sakke_param_set_1;
using skm_test::sakke_test_params_512;

namespace {

template <class Curve>
typename Curve::base_field g_of() {
  return Curve::base_field::from_uint(Curve::g).value();
}

}  // namespace

TEST_CASE("signed recoding of q - 1 is computed at compile time and is exact", "[pairing]") {
  using params = skm::pairing::pairing_params<sakke_param_set_1>;
  static_assert(skm::pairing::wnaf_value<16>(params::schedule) == sakke_param_set_1::q - 1);
  REQUIRE(skm::pairing::wnaf_value<16>(params::schedule) == sakke_param_set_1::q - 1);
  static_assert(params::doublings == 1021);
  REQUIRE(params::doublings == 1021);
  // NAF: no two adjacent non-zero digits, fewer additions than the 512 of the binary expansion.
  for (std::size_t i = 0; i + 1 < params::schedule.length; ++i) {
    REQUIRE((params::schedule.digit[i] == 0 || params::schedule.digit[i + 1] == 0));
  }
  REQUIRE(params::additions == 352);
  static_assert(skm::pairing::wnaf_value<16>(params::cold_schedule) == sakke_param_set_1::q - 1);
  REQUIRE(params::cold_doublings == 1019);  // the top window digit is 9, not 1
  REQUIRE(params::cold_additions == 144);
  static_assert(params::cofactor_exponent == skm::uint<16>::from_u64(4));

  // Wider windows on a small value, checked against the value itself.
  constexpr auto k = skm::hex<128>("F3A5 9C01 7E22 B6D4 0123 4567 89AB CDEF");
  for (unsigned w = 2; w <= 7; ++w) {
    const auto s = skm::pairing::wnaf_recode<130>(k, w);
    REQUIRE(skm::pairing::wnaf_value<2>(s) == k);
    for (std::size_t i = 0; i < s.length; ++i) {
      const std::int8_t d = s.digit[i];
      REQUIRE((d == 0 || (d % 2 != 0 && d < (1 << (w - 1)) && d > -(1 << (w - 1)))));
    }
  }
}

TEMPLATE_TEST_CASE("<P, P> = g from the traits: fast, table and oracle", "[pairing]",
                   sakke_param_set_1, sakke_test_params_512) {
  using O = skm_test::oracle<TestType>;
  using pairing = skm::pairing::tate<TestType>;
  const auto P = O::generator();
  const auto g = g_of<TestType>();
  REQUIRE(pairing::pair(P, P) == g);
  REQUIRE(O::pair(P, P) == g);
  const auto table = skm::pairing::line_table<TestType>::precompute(P);
  REQUIRE(table.pair(P) == g);
}

TEMPLATE_TEST_CASE("fast pairing = RFC oracle on random points; table = no table; symmetry",
                   "[pairing]", sakke_param_set_1, sakke_test_params_512) {
  using O = skm_test::oracle<TestType>;
  using pairing = skm::pairing::tate<TestType>;
  skm_test::test_rng rng(0x6508);
  for (int trial = 0; trial < 3; ++trial) {
    const auto R = O::random_point(rng);
    const auto Q = O::random_point(rng);
    REQUIRE(O::on_curve(R));
    REQUIRE(O::on_curve(Q));
    const auto expected = O::pair(R, Q);
    REQUIRE(pairing::pair(R, Q) == expected);
    REQUIRE(pairing::pair(Q, R) == expected);  // <R, Q> = <Q, R> on E(F_p)[q]
    const auto table_r = skm::pairing::line_table<TestType>::precompute(R);
    const auto table_q = skm::pairing::line_table<TestType>::precompute(Q);
    REQUIRE(table_r.pair(Q) == expected);
    REQUIRE(table_q.pair(R) == expected);
    // The projective Miller values differ by F_p factors but agree after the final power.
    REQUIRE(pairing::final_power(table_r.miller_loop(Q)) ==
            pairing::final_power(pairing::miller_loop(R, Q)));
  }
}

TEMPLATE_TEST_CASE("bilinearity <[a]P, [b]Q> = <P, Q>^(ab) and non-degeneracy", "[pairing]",
                   sakke_param_set_1, sakke_test_params_512) {
  using O = skm_test::oracle<TestType>;
  using pairing = skm::pairing::tate<TestType>;
  using Fq = typename TestType::scalar_field;
  using Fp = typename TestType::base_field;
  skm_test::test_rng rng(0xb111);
  const auto P = O::generator();
  const auto Q = O::random_point(rng);
  const Fp base = pairing::pair(P, Q);
  // non-degenerate: <P, Q> is not the identity (canonical 0), and has order exactly q
  REQUIRE(!base.is_zero().declassify());
  const auto q = TestType::q.template resize<Fp::uint_type::limbs>();
  REQUIRE(O::pf_pow(base, q).is_zero().declassify());
  REQUIRE(!g_of<TestType>().is_zero().declassify());
  REQUIRE(O::pf_pow(g_of<TestType>(), q).is_zero().declassify());
  for (int trial = 0; trial < 2; ++trial) {
    const auto a = O::random_scalar(rng);
    const auto b = O::random_scalar(rng);
    const auto aP = *O::mul(a, P);
    const auto bQ = *O::mul(b, Q);
    const auto ab = (Fq::reduce(a) * Fq::reduce(b)).to_uint();
    const Fp expected = O::pf_pow(base, ab);
    REQUIRE(pairing::pair(aP, bQ) == expected);
    REQUIRE(skm::pairing::line_table<TestType>::precompute(bQ).pair(aP) == expected);
    // <[a]P, Q> = <P, [a]Q>
    REQUIRE(pairing::pair(aP, Q) == pairing::pair(P, *O::mul(a, Q)));
  }
}

TEMPLATE_TEST_CASE("hostile and degenerate inputs give a value, never a crash", "[pairing]",
                   sakke_param_set_1, sakke_test_params_512) {
  using O = skm_test::oracle<TestType>;
  using pairing = skm::pairing::tate<TestType>;
  using Fp = typename TestType::base_field;
  const auto P = O::generator();
  const auto g = g_of<TestType>();
  const typename O::point two_torsion{Fp(), Fp()};  // (0, 0) has order 2 on y^2 = x^3 - 3x
  REQUIRE(O::on_curve(two_torsion));
  // A point of order 2 evaluated against P: the line values are real, the result is the identity.
  REQUIRE(pairing::pair(P, two_torsion) != g);
  REQUIRE(pairing::pair(two_torsion, P) != g);
  const auto table = skm::pairing::line_table<TestType>::precompute(P);
  REQUIRE(table.pair(two_torsion) != g);
  // A table built from a point of order 2 is all zero; an empty table gives 0.
  const auto bad_table = skm::pairing::line_table<TestType>::precompute(two_torsion);
  REQUIRE(bad_table.pair(P) != g);
  skm::pairing::line_table<TestType> empty;
  REQUIRE(empty.empty());
  REQUIRE(empty.pair(P).is_zero().declassify());
  auto moved = skm::pairing::line_table<TestType>::precompute(P);
  auto taken = std::move(moved);
  REQUIRE(taken.pair(P) == g);
}

TEMPLATE_TEST_CASE("the Miller loop reports whether its driving point has order q", "[pairing]",
                   sakke_param_set_1, sakke_test_params_512) {
  using O = skm_test::oracle<TestType>;
  using pairing = skm::pairing::tate<TestType>;
  using Fp = typename TestType::base_field;
  skm_test::test_rng rng(0x0dd);
  const auto P = O::generator();
  const auto Q = O::random_point(rng);
  REQUIRE(pairing::miller_loop_checked(P, Q).driver_has_order_q.declassify());
  REQUIRE(pairing::miller_loop_checked(Q, P).driver_has_order_q.declassify());
  REQUIRE(skm::pairing::line_table<TestType>::precompute(Q).driver_has_order_q().declassify());
  // (0, 0) has order 2
  const typename O::point t2{Fp(), Fp()};
  REQUIRE(!pairing::miller_loop_checked(t2, P).driver_has_order_q.declassify());
  REQUIRE(!skm::pairing::line_table<TestType>::precompute(t2).driver_has_order_q().declassify());
  // Q + (0, 0): order 2q, and the same pairing with P as Q (the order-2 part is invisible there)
  const auto q_t2 = *O::add(Q, t2);
  REQUIRE(!pairing::miller_loop_checked(q_t2, P).driver_has_order_q.declassify());
  REQUIRE(!skm::pairing::line_table<TestType>::precompute(q_t2).driver_has_order_q().declassify());
  REQUIRE(pairing::pair(P, q_t2) == pairing::pair(P, Q));
  // random points of E(F_p) not multiplied by the cofactor: order h' q with h' > 1 (almost surely)
  for (int i = 0; i < 3; ++i) {
    for (;;) {
      const Fp x = Fp::random(rng);
      const auto y = (x.square() * x - Fp::from_u64(3) * x).sqrt_vartime();
      if (!y) continue;
      const typename O::point A{x, *y};
      const bool order_q =
          !O::mul(TestType::q.template resize<Fp::uint_type::limbs>(), typename O::maybe_point(A))
               .has_value();
      REQUIRE(pairing::miller_loop_checked(A, P).driver_has_order_q.declassify() == order_q);
      REQUIRE(skm::pairing::line_table<TestType>::precompute(A).driver_has_order_q().declassify() ==
              order_q);
      break;
    }
  }
  // moved-from tables report no
  auto t = skm::pairing::line_table<TestType>::precompute(P);
  auto u = std::move(t);
  REQUIRE(u.driver_has_order_q().declassify());
  // NOLINTNEXTLINE(bugprone-use-after-move): the moved-from state is specified
  REQUIRE(!t.driver_has_order_q().declassify());
}
