// SPDX-License-Identifier: BSD-3-Clause
// The ec layer on the 1024-bit SAKKE curve (RFC 6509 parameter set 1: y^2 = x^3 - 3x, cofactor 4,
// 1022-bit q): against the textbook affine reference, and algebraic identities.
#include <catch2/catch.hpp>

#include <array>
#include <random>
#include <vector>

#include "ec_test_util.hpp"
#include "skm/bigint/bytes.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/ec/ec.hpp"

namespace test_ec_set1 {

namespace {

using curve = skm::curves::sakke_param_set_1;
using field = curve::base_field;
using qfield = curve::scalar_field;
using scalar = qfield::uint_type;
using affine = skm::ec::affine_point<curve>;
using jacobian = skm::ec::jacobian_point<curve>;
using reference = skm::test::affine_reference<curve>;
namespace ec = skm::ec;

const affine P = ec::generator<curve>();

/// A point on the curve that is (almost surely) not in the order-q subgroup: the first x for
/// which x^3 - 3x is a square.
affine some_curve_point(std::uint64_t start) {
  for (std::uint64_t x = start;; ++x) {
    const field fx = field::from_u64(x);
    const auto y = ((fx.square() - field::from_u64(3)) * fx).sqrt_vartime();
    if (y && !y->is_zero().declassify()) return affine{fx, *y};
  }
}

/// (0, 0) lies on y^2 = x^3 - 3x and has order 2.
const affine order_two{field(), field()};

}  // namespace

static_assert(ec::curve_facts<curve>::shape == ec::curve_shape::a_minus_3);
static_assert(ec::curve_facts<curve>::scalar_bits == 1024);

TEST_CASE("set 1: generator order and group identities", "[ec][ec-set1]") {
  std::mt19937_64 rng(11);
  REQUIRE(ec::on_curve(P).declassify());
  CHECK(ec::is_identity(ec::mul(P, curve::q)).declassify());
  CHECK(ec::is_identity(ec::mul_vartime(P, curve::q)).declassify());
  CHECK(ec::in_subgroup_vartime(P));
  CHECK(ec::ct_equal(ec::mul(P, curve::q + 1), ec::to_jacobian(P)).declassify());
  CHECK(ec::ct_equal(ec::mul(P, curve::q - 1), ec::to_jacobian(ec::negate(P))).declassify());

  // [a]([b]P) = [ab mod q]P, with the constant-time and the variable-time paths mixed.
  for (int i = 0; i < 2; ++i) {
    const scalar a = skm::test::random_below(rng, curve::q);
    const scalar b = skm::test::random_below(rng, curve::q);
    const scalar ab = (qfield::from_uint(a).value() * qfield::from_uint(b).value()).to_uint();
    const affine bp = ec::to_affine(ec::mul(P, b));
    CHECK(ec::ct_equal(ec::mul(bp, a), ec::mul_vartime(P, ab)).declassify());
    // [a]P + [b]P = [a + b]P
    const scalar a_plus_b = (qfield::from_uint(a).value() + qfield::from_uint(b).value()).to_uint();
    CHECK(ec::ct_equal(ec::double_mul_vartime(P, a, P, b), ec::mul_vartime(P, a_plus_b))
              .declassify());
  }
}

TEST_CASE("set 1: scalar multiplication against the affine reference", "[ec][ec-set1]") {
  std::mt19937_64 rng(12);
  const affine Q =
      ec::to_affine_vartime(ec::mul_vartime(P, skm::test::random_below(rng, curve::q)));
  std::vector<scalar> scalars = {scalar{},
                                 scalar::from_u64(1),
                                 scalar::from_u64(2),
                                 scalar::from_u64(31),
                                 curve::q - 1,
                                 skm::test::random_uint<16>(rng)};
  for (int i = 0; i < 2; ++i) scalars.push_back(skm::test::random_below(rng, curve::q));
  const ec::fixed_base_table<curve> q_table(Q);  // a table built at run time from a computed point
  for (const auto& k : scalars) {
    const auto expected = reference::mul(reference::from(Q), k);
    CHECK(reference::same(expected, ec::mul(Q, k)));
    CHECK(reference::same(expected, ec::mul_vartime(Q, k)));
    CHECK(reference::same(expected, q_table.mul(k)));
    CHECK(reference::same(expected, q_table.mul_vartime(k)));
  }
  const scalar a = skm::test::random_below(rng, curve::q),
               b = skm::test::random_below(rng, curve::q);
  CHECK(reference::same(
      reference::add(reference::mul(reference::from(P), a), reference::mul(reference::from(Q), b)),
      ec::double_mul_vartime(P, a, Q, b)));
}

TEST_CASE("set 1: points outside the subgroup and of small order", "[ec][ec-set1]") {
  std::mt19937_64 rng(13);
  REQUIRE(ec::on_curve(order_two).declassify());
  // Complete formulas: doubling a point of order two, adding it to itself, multiplying it.
  CHECK(ec::is_identity(ec::dbl(ec::to_jacobian(order_two))).declassify());
  CHECK(ec::is_identity(ec::dbl(order_two)).declassify());
  CHECK(ec::is_identity(ec::add(ec::to_jacobian(order_two), order_two)).declassify());
  CHECK(ec::is_identity(ec::add(ec::to_jacobian(order_two), ec::to_jacobian(order_two)))
            .declassify());
  CHECK(ec::is_identity(ec::mul(order_two, scalar::from_u64(1234))).declassify());
  CHECK(ec::ct_equal(ec::mul(order_two, scalar::from_u64(1235)), ec::to_jacobian(order_two))
            .declassify());
  CHECK(ec::ct_equal(ec::mul_vartime(order_two, scalar::from_u64(1235)), ec::to_jacobian(order_two))
            .declassify());
  const ec::fixed_base_table<curve, 3> t2(order_two);  // every other entry is the identity
  CHECK(ec::ct_equal(t2.mul(scalar::from_u64(77)), ec::to_jacobian(order_two)).declassify());
  CHECK(ec::is_identity(t2.mul(scalar::from_u64(78))).declassify());
  CHECK(ec::is_identity(t2.mul_vartime(scalar::from_u64(78))).declassify());

  // A full-order point R (order 4q or 2q): [q]R != O, but [4q]R = O; [4]R is in the subgroup.
  const affine r = some_curve_point(2);
  REQUIRE(ec::on_curve(r).declassify());
  CHECK_FALSE(ec::in_subgroup_vartime(r));
  const affine r4 = ec::to_affine(ec::dbl(ec::dbl(ec::to_jacobian(r))));
  CHECK(ec::in_subgroup_vartime(r4));
  const scalar k = skm::test::random_below(rng, curve::q);
  CHECK(reference::same(reference::mul(reference::from(r), k), ec::mul(r, k)));

  // Decoding with and without the subgroup check.
  const auto enc_r = ec::encode_uncompressed(r).value();
  CHECK(ec::decode_uncompressed<curve>(enc_r, ec::subgroup_check::skip).has_value());
  const auto rejected = ec::decode_uncompressed<curve>(enc_r, ec::subgroup_check::require);
  REQUIRE_FALSE(rejected.has_value());
  CHECK(rejected.error() == ec::point_error::not_in_subgroup);
  const auto enc_two = ec::encode_uncompressed(order_two).value();
  CHECK(ec::decode_uncompressed<curve>(enc_two, ec::subgroup_check::require).error() ==
        ec::point_error::not_in_subgroup);
  CHECK(ec::decode_uncompressed<curve>(enc_two, ec::subgroup_check::skip).has_value());
  const auto enc_r4 = ec::encode_uncompressed(r4).value();
  CHECK(ec::decode_uncompressed<curve>(enc_r4, ec::subgroup_check::require).has_value());
  CHECK(ec::validate(r, ec::subgroup_check::require).error() == ec::point_error::not_in_subgroup);
}

TEST_CASE("set 1: SEC1 encoding", "[ec][ec-set1][ec-encoding]") {
  const auto enc = ec::encode_uncompressed(P).value();
  REQUIRE(enc.size() == 257);
  CHECK(enc[0] == 0x04);
  CHECK(skm::from_bytes_be<16>(std::span<const std::uint8_t>(enc).subspan(1, 128)).value() ==
        curve::generator_x);
  CHECK(skm::from_bytes_be<16>(std::span<const std::uint8_t>(enc).subspan(129, 128)).value() ==
        curve::generator_y);
  const auto dec = ec::decode_uncompressed<curve>(enc, ec::subgroup_check::require);
  REQUIRE(dec.has_value());
  CHECK(ec::ct_equal(*dec, P).declassify());
  CHECK(ec::decode_uncompressed<curve>(std::span<const std::uint8_t>(enc).first(256),
                                       ec::subgroup_check::skip)
            .error() == ec::point_error::bad_length);
  auto bad = enc;
  bad[256] ^= 1;
  CHECK(ec::decode_uncompressed<curve>(bad, ec::subgroup_check::skip).error() ==
        ec::point_error::not_on_curve);
  bad = enc;
  const auto p_bytes = skm::to_bytes_be<128>(curve::p);
  std::copy(p_bytes.begin(), p_bytes.end(), bad.begin() + 129);
  CHECK(ec::decode_uncompressed<curve>(bad, ec::subgroup_check::skip).error() ==
        ec::point_error::y_out_of_range);
}

TEST_CASE("set 1: batch conversion with identities", "[ec][ec-set1]") {
  std::mt19937_64 rng(14);
  std::vector<jacobian> pts = {ec::mul(P, skm::test::random_below(rng, curve::q)),
                               ec::identity<curve>(), ec::dbl(ec::to_jacobian(order_two)),
                               ec::mul(P, scalar::from_u64(5))};
  std::vector<affine> out(pts.size());
  ec::batch_to_affine<curve>(pts, out);
  for (std::size_t i = 0; i < pts.size(); ++i)
    CHECK(ec::ct_equal(out[i], ec::to_affine_vartime(pts[i])).declassify());
}

TEST_CASE(
    "set 1: batched fixed-base products with affine accumulators (one blinded inversion a window)",
    "[ec][ec-set1]") {
  skm::os_random blinding;
  std::mt19937_64 rng(77);
  // the shared generator table and a run-time base of order q
  const auto& p_table = ec::generator_table<curve>();
  CHECK(skm::test::check_mul_batch_affine(p_table, rng, blinding, {1, 2, 3, 9}) == 15);
  const affine q_point =
      ec::to_affine_vartime(p_table.mul_vartime(skm::test::random_below(rng, curve::q)));
  const ec::fixed_base_table<curve, 5> q_table(q_point);
  CHECK(skm::test::check_mul_batch_affine(q_table, rng, blinding, {8}) == 8);
  // a base outside the subgroup: no window is known safe, mul_batch_affine is mul_batch
  const ec::fixed_base_table<curve, 4> outside(some_curve_point(5));
  REQUIRE_FALSE(outside.base_has_order_q());
  CHECK(skm::test::check_mul_batch_affine(outside, rng, blinding, {4}) == 4);
}

}  // namespace test_ec_set1
