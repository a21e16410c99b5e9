// SPDX-License-Identifier: BSD-3-Clause
// The ec layer on NIST P-256, against Crypto++'s ECP (an independent implementation).
#include <cryptopp/ecp.h>
#include <cryptopp/integer.h>
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "ec_test_util.hpp"
#include "skm/bigint/bytes.hpp"
#include "skm/curves/p256.hpp"
#include "skm/ec/ec.hpp"

namespace test_ec_p256 {

namespace {

using curve = skm::curves::p256;
using field = curve::base_field;
using scalar = curve::scalar_field::uint_type;
using affine = skm::ec::affine_point<curve>;
using jacobian = skm::ec::jacobian_point<curve>;
namespace ec = skm::ec;

template <std::size_t N>
CryptoPP::Integer to_integer(const skm::uint<N>& v) {
  const auto bytes = skm::to_bytes_be<8 * N>(v);
  return CryptoPP::Integer(bytes.data(), bytes.size());
}
CryptoPP::Integer to_integer(const field& v) { return to_integer(v.to_uint()); }

struct cryptopp_p256 {
  CryptoPP::ECP curve{to_integer(curve::p), to_integer(curve::a), to_integer(curve::b)};
  CryptoPP::ECP::Point g{to_integer(curve::generator_x), to_integer(curve::generator_y)};

  static CryptoPP::ECP::Point from(const affine& p) {
    if (p.infinity.declassify()) return CryptoPP::ECP::Point();
    return {to_integer(p.x), to_integer(p.y)};
  }
  static bool same(const CryptoPP::ECP::Point& ref, const jacobian& j) {
    const affine a = ec::to_affine_vartime(j);
    if (ref.identity) return a.infinity.declassify();
    return !a.infinity.declassify() && to_integer(a.x) == ref.x && to_integer(a.y) == ref.y;
  }
};

/// Scalars that exercise the edges: 0, 1, 2, small, q-1, q, q+1, all ones, and random ones.
std::vector<scalar> interesting_scalars(std::mt19937_64& rng, int random_count) {
  std::vector<scalar> v = {scalar{},
                           scalar::from_u64(1),
                           scalar::from_u64(2),
                           scalar::from_u64(3),
                           scalar::from_u64(15),
                           scalar::from_u64(16),
                           scalar::from_u64(17),
                           curve::q - 1,
                           curve::q - 2,
                           curve::q,
                           curve::q + 1,
                           scalar{{~0ull, ~0ull, ~0ull, ~0ull}},
                           scalar{{0, 0, 0, 1ull << 63}}};
  for (int i = 0; i < random_count; ++i) v.push_back(skm::test::random_uint<4>(rng));
  for (int i = 0; i < random_count; ++i) v.push_back(skm::test::random_below(rng, curve::q));
  return v;
}

affine random_point(std::mt19937_64& rng) {
  return ec::to_affine_vartime(
      ec::mul(ec::generator<curve>(), skm::test::random_below(rng, curve::q)));
}

}  // namespace

// Compile-time checks beside the run-time ones: the formulas are constexpr.
static_assert(ec::curve_facts<curve>::shape == ec::curve_shape::a_minus_3);
static_assert(ec::on_curve(ec::generator<curve>()).declassify());
static_assert(ec::ct_equal(ec::dbl(ec::to_jacobian(ec::generator<curve>())),
                           ec::add(ec::to_jacobian(ec::generator<curve>()), ec::generator<curve>()))
                  .declassify());

TEST_CASE("P-256 generator facts", "[ec][ec-p256]") {
  const affine g = ec::generator<curve>();
  REQUIRE(ec::on_curve(g).declassify());
  REQUIRE(ec::is_identity(ec::mul(g, curve::q)).declassify());
  REQUIRE(ec::is_identity(ec::mul_vartime(g, curve::q)).declassify());
  REQUIRE(ec::in_subgroup_vartime(g));
  REQUIRE(ec::ct_equal(ec::mul(g, curve::q - 1), ec::to_jacobian(ec::negate(g))).declassify());
}

TEST_CASE("P-256 addition special cases", "[ec][ec-p256]") {
  std::mt19937_64 rng(1);
  cryptopp_p256 ref;
  const affine p = random_point(rng);
  const affine q = random_point(rng);
  const jacobian pj = ec::to_jacobian(p), qj = ec::to_jacobian(q);
  const jacobian o = ec::identity<curve>();
  const affine oa = ec::identity_affine<curve>();

  // Rescale a Jacobian point (same point, different Z) so the equal-inputs case is not trivial.
  const field lambda = field::from_u64(0x1234567);
  const jacobian p_scaled{pj.x * lambda.square(), pj.y * lambda.square() * lambda, pj.z * lambda};
  REQUIRE(ec::ct_equal(p_scaled, pj).declassify());

  const auto two_p = ref.curve.Double(cryptopp_p256::from(p));
  const auto p_plus_q = ref.curve.Add(cryptopp_p256::from(p), cryptopp_p256::from(q));
  SECTION("complete, constant time") {
    CHECK(cryptopp_p256::same(p_plus_q, ec::add(pj, qj)));
    CHECK(cryptopp_p256::same(p_plus_q, ec::add(pj, q)));
    CHECK(cryptopp_p256::same(two_p, ec::add(pj, p_scaled)));
    CHECK(cryptopp_p256::same(two_p, ec::add(p_scaled, p)));
    CHECK(cryptopp_p256::same(two_p, ec::dbl(pj)));
    CHECK(cryptopp_p256::same(two_p, ec::dbl(p)));
    CHECK(ec::is_identity(ec::add(pj, ec::negate(p_scaled))).declassify());
    CHECK(ec::is_identity(ec::add(p_scaled, ec::negate(p))).declassify());
    CHECK(ec::ct_equal(ec::add(pj, o), pj).declassify());
    CHECK(ec::ct_equal(ec::add(o, pj), pj).declassify());
    CHECK(ec::ct_equal(ec::add(pj, oa), pj).declassify());
    CHECK(ec::ct_equal(ec::add(o, p), pj).declassify());
    CHECK(ec::is_identity(ec::add(o, o)).declassify());
    CHECK(ec::is_identity(ec::add(o, oa)).declassify());
    CHECK(ec::is_identity(ec::dbl(o)).declassify());
    CHECK(ec::is_identity(ec::dbl(oa)).declassify());
  }
  SECTION("variable time") {
    CHECK(cryptopp_p256::same(p_plus_q, ec::add_vartime(pj, qj)));
    CHECK(cryptopp_p256::same(p_plus_q, ec::add_vartime(pj, q)));
    CHECK(cryptopp_p256::same(two_p, ec::add_vartime(pj, p_scaled)));
    CHECK(cryptopp_p256::same(two_p, ec::add_vartime(p_scaled, p)));
    CHECK(ec::is_identity(ec::add_vartime(pj, ec::negate(p_scaled))).declassify());
    CHECK(ec::is_identity(ec::add_vartime(p_scaled, ec::negate(p))).declassify());
    CHECK(ec::ct_equal(ec::add_vartime(pj, o), pj).declassify());
    CHECK(ec::ct_equal(ec::add_vartime(o, pj), pj).declassify());
    CHECK(ec::ct_equal(ec::add_vartime(pj, oa), pj).declassify());
    CHECK(ec::ct_equal(ec::add_vartime(o, p), pj).declassify());
  }
  SECTION("equality") {
    CHECK_FALSE(ec::ct_equal(pj, qj).declassify());
    CHECK_FALSE(ec::ct_equal(pj, o).declassify());
    CHECK_FALSE(ec::ct_equal(pj, ec::negate(pj)).declassify());
    CHECK(ec::ct_equal(o, o).declassify());
    CHECK(ec::ct_equal(p, ec::to_affine(p_scaled)).declassify());
    CHECK(ec::to_affine(o).infinity.declassify());
    CHECK(ec::affine_equal_x(p_scaled, p.x));
    CHECK_FALSE(ec::affine_equal_x(p_scaled, q.x));
    CHECK_FALSE(ec::affine_equal_x(o, p.x));
  }
}

TEST_CASE("P-256 scalar multiplication against Crypto++", "[ec][ec-p256]") {
  std::mt19937_64 rng(2);
  cryptopp_p256 ref;
  const auto scalars = interesting_scalars(rng, 12);
  const affine p = random_point(rng);
  const ec::fixed_base_table<curve> g_table(ec::generator<curve>());
  const ec::fixed_base_table<curve, 4> p_table(p);  // another width on a run-time point
  for (const auto& k : scalars) {
    INFO("k = " << to_integer(k));
    const auto kg = ref.curve.ScalarMultiply(ref.g, to_integer(k));
    const auto kp = ref.curve.ScalarMultiply(cryptopp_p256::from(p), to_integer(k));
    CHECK(cryptopp_p256::same(kg, ec::mul(ec::generator<curve>(), k)));
    CHECK(cryptopp_p256::same(kp, ec::mul(p, k)));
    CHECK(cryptopp_p256::same(kg, g_table.mul(k)));
    CHECK(cryptopp_p256::same(kg, g_table.mul_vartime(k)));
    CHECK(cryptopp_p256::same(kp, p_table.mul(k)));
    CHECK(cryptopp_p256::same(kp, p_table.mul_vartime(k)));
    CHECK(cryptopp_p256::same(kg, ec::mul_vartime(ec::generator<curve>(), k)));
    CHECK(cryptopp_p256::same(kp, ec::mul_vartime(p, k)));
  }
}

TEST_CASE("P-256 two-point multiplication against Crypto++", "[ec][ec-p256]") {
  std::mt19937_64 rng(3);
  cryptopp_p256 ref;
  const auto scalars = interesting_scalars(rng, 6);
  const affine p = random_point(rng);
  const affine g = ec::generator<curve>();
  for (std::size_t i = 0; i < scalars.size(); ++i) {
    const scalar& a = scalars[i];
    const scalar& b = scalars[(i * 7 + 3) % scalars.size()];
    const auto expected = ref.curve.CascadeScalarMultiply(ref.g, to_integer(a),
                                                          cryptopp_p256::from(p), to_integer(b));
    CHECK(cryptopp_p256::same(expected, ec::double_mul_vartime(g, a, p, b)));
  }
  // Cancelling terms: [a]G + [q-a]G = O, and P = G exercises the shared-doubling path.
  const scalar a = skm::test::random_below(rng, curve::q);
  CHECK(ec::is_identity(ec::double_mul_vartime(g, a, g, curve::q - a)).declassify());
  CHECK(ec::is_identity(ec::double_mul_vartime(ec::identity_affine<curve>(), a, g, scalar{}))
            .declassify());
}

TEST_CASE("P-256 batch conversion to affine", "[ec][ec-p256]") {
  std::mt19937_64 rng(4);
  std::vector<jacobian> pts;
  for (int i = 0; i < 9; ++i) {
    pts.push_back(ec::mul(ec::generator<curve>(), skm::test::random_uint<4>(rng)));
    if (i % 3 == 1) pts.push_back(ec::identity<curve>());
  }
  std::vector<affine> ct_out(pts.size()), vt_out(pts.size());
  ec::batch_to_affine<curve>(pts, ct_out);
  ec::batch_to_affine_vartime<curve>(pts, vt_out);
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const affine one = ec::to_affine(pts[i]);
    CHECK(ec::ct_equal(one, ct_out[i]).declassify());
    CHECK(ec::ct_equal(one, vt_out[i]).declassify());
    CHECK(one.infinity.declassify() == ec::is_identity(pts[i]).declassify());
  }
}

TEST_CASE("P-256 SEC1 encoding round trips and rejections", "[ec][ec-p256][ec-encoding]") {
  std::mt19937_64 rng(5);
  constexpr std::size_t n = 32;
  const affine p = random_point(rng);
  const auto enc = ec::encode_uncompressed(p).value();
  REQUIRE(enc.size() == 65);
  REQUIRE(enc[0] == 0x04);
  CHECK(to_integer(p.x) == CryptoPP::Integer(enc.data() + 1, n));
  CHECK(to_integer(p.y) == CryptoPP::Integer(enc.data() + 1 + n, n));
  const auto dec = ec::decode_uncompressed<curve>(enc, ec::subgroup_check::require);
  REQUIRE(dec.has_value());
  CHECK(ec::ct_equal(*dec, p).declassify());

  // The generator's encoding, and a point with a short x (leading zero octets kept).
  const auto genc = ec::encode_uncompressed(ec::generator<curve>()).value();
  CHECK(CryptoPP::Integer(genc.data() + 1, n) == to_integer(curve::generator_x));

  auto expect_error = [](std::span<const std::uint8_t> bytes, ec::point_error e) {
    const auto r = ec::decode_uncompressed<curve>(bytes, ec::subgroup_check::require);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == e);
    CHECK(!std::string(ec::describe(e)).empty());
  };
  SECTION("length") {
    expect_error(std::span<const std::uint8_t>(enc).first(64), ec::point_error::bad_length);
    std::vector<std::uint8_t> longer(enc.begin(), enc.end());
    longer.push_back(0);
    expect_error(longer, ec::point_error::bad_length);
    expect_error({}, ec::point_error::bad_length);
    expect_error(std::span<const std::uint8_t>(enc).first(33), ec::point_error::bad_length);
  }
  SECTION("prefix") {
    auto bad = enc;
    for (std::uint8_t prefix : {0x00, 0x01, 0x05, 0x06, 0x07, 0xFF}) {
      bad[0] = prefix;
      expect_error(bad, ec::point_error::bad_prefix);
    }
    bad[0] = 0x02;
    expect_error(bad, ec::point_error::compressed_form);
    bad[0] = 0x03;
    expect_error(bad, ec::point_error::compressed_form);
    const std::array<std::uint8_t, 1> zero{0x00};
    expect_error(zero, ec::point_error::identity);
  }
  SECTION("coordinates not below p") {
    auto bad = enc;
    const auto p_bytes = skm::to_bytes_be<32>(curve::p);
    std::copy(p_bytes.begin(), p_bytes.end(), bad.begin() + 1);
    expect_error(bad, ec::point_error::x_out_of_range);
    bad = enc;
    std::copy(p_bytes.begin(), p_bytes.end(), bad.begin() + 1 + n);
    expect_error(bad, ec::point_error::y_out_of_range);
    bad = enc;
    std::fill(bad.begin() + 1, bad.begin() + 1 + n, 0xFF);
    expect_error(bad, ec::point_error::x_out_of_range);
    // A point with a small x, so that x + p still fits 32 octets: the same residue, not canonical.
    affine small{};
    for (std::uint64_t x = 0;; ++x) {
      const field fx = field::from_u64(x);
      const auto y =
          ((fx.square() - field::from_u64(3)) * fx + ec::curve_facts<curve>::b).sqrt_vartime();
      if (y) {
        small = affine{fx, *y};
        break;
      }
    }
    REQUIRE(ec::decode_uncompressed<curve>(ec::encode_uncompressed(small).value(),
                                           ec::subgroup_check::require)
                .has_value());
    bad = ec::encode_uncompressed(small).value();
    const auto xb = skm::to_bytes_be<32>(small.x.to_uint() + curve::p);
    std::copy(xb.begin(), xb.end(), bad.begin() + 1);
    expect_error(bad, ec::point_error::x_out_of_range);
  }
  SECTION("not on the curve") {
    auto bad = enc;
    bad[64] ^= 0x01;
    expect_error(bad, ec::point_error::not_on_curve);
    std::array<std::uint8_t, 65> zeros{};
    zeros[0] = 0x04;
    expect_error(zeros, ec::point_error::not_on_curve);  // (0, 0): b != 0
  }
  SECTION("encoding the identity is refused") {
    const auto r = ec::encode_uncompressed(ec::identity_affine<curve>());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == ec::point_error::identity);
  }
}

TEST_CASE("P-256 fixed-base table sizes", "[ec][ec-p256]") {
  using table7 = ec::fixed_base_table<curve>;
  STATIC_REQUIRE(table7::window == 7);
  STATIC_REQUIRE(table7::windows == 37);  // ceil(257 / 7)
  STATIC_REQUIRE(table7::per_window == 64);
}

TEST_CASE("P-256 fixed-base tables: the doubling-free windows", "[ec][ec-p256]") {
  using table7 = ec::fixed_base_table<curve>;
  // 2^(7 i) * 65 <= q holds up to i = 35 (7*35 + 6.02 < 256), not for i = 36.
  STATIC_REQUIRE(table7::first_unsafe_window == 36);
  STATIC_REQUIRE(ec::fixed_base_table<curve, 4>::first_unsafe_window ==
                 64);  // 9 * 2^252 < q < 9 * 2^256
  const table7& g_table = ec::generator_table<curve>();
  CHECK(g_table.base_has_order_q());
  // add_not_equal agrees with add whenever the inputs differ, and handles P = -Q and identities.
  std::mt19937_64 rng(6);
  const affine p = random_point(rng), q = random_point(rng);
  const jacobian pj = ec::to_jacobian(p);
  CHECK(ec::ct_equal(ec::add_not_equal(pj, q), ec::add(pj, q)).declassify());
  CHECK(ec::is_identity(ec::add_not_equal(pj, ec::negate(p))).declassify());
  CHECK(ec::ct_equal(ec::add_not_equal(ec::identity<curve>(), q), ec::to_jacobian(q)).declassify());
  CHECK(ec::ct_equal(ec::add_not_equal(pj, ec::identity_affine<curve>()), pj).declassify());
  // Scalars that fill the top (complete-addition) window.
  for (const scalar& k :
       {curve::q - 1, curve::q + curve::q - 1, scalar{{~0ull, ~0ull, ~0ull, ~0ull}}}) {
    CHECK(ec::ct_equal(g_table.mul(k), ec::mul_vartime(ec::generator<curve>(), k)).declassify());
  }
}

TEST_CASE("P-256 blinded inversion and blinded conversion to affine", "[ec][ec-p256]") {
  std::mt19937_64 rng(8);
  struct seeded {
    std::mt19937_64 g{9};
    void GenerateBlock(std::uint8_t* out, std::size_t n) {
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(g());
    }
  } source;
  struct stuck_at_zero {
    void GenerateBlock(std::uint8_t* out, std::size_t n) { std::fill(out, out + n, 0); }
  } zeros;
  for (int i = 0; i < 20; ++i) {
    const field x = field::reduce(skm::test::random_uint<4>(rng));
    CHECK(ec::inverse_blinded(x, source) * x == field::one());
    CHECK(ec::inverse_blinded(x, zeros) == x.inverse());  // no usable blinding factor: the CT path
    using qfield = curve::scalar_field;
    const qfield t = qfield::reduce(skm::test::random_uint<4>(rng));
    CHECK(ec::inverse_blinded(t, source) * t == qfield::one());
  }
  CHECK(ec::inverse_blinded(field(), source).is_zero().declassify());
  const jacobian p = ec::mul(ec::generator<curve>(), skm::test::random_uint<4>(rng));
  CHECK(ec::ct_equal(ec::to_affine_blinded(p, source), ec::to_affine(p)).declassify());
  CHECK(ec::to_affine_blinded(ec::identity<curve>(), source).infinity.declassify());
}

TEST_CASE("P-256 fixed-base tables: copies and moved-from tables", "[ec][ec-p256]") {
  std::mt19937_64 rng(10);
  const affine p = random_point(rng);
  const scalar k = skm::test::random_below(rng, curve::q);
  ec::fixed_base_table<curve, 4> table(p);
  const auto expected = ec::mul_vartime(p, k);
  const auto copy = table;
  CHECK(ec::ct_equal(copy.mul(k), expected).declassify());
  auto moved = std::move(table);
  CHECK(ec::ct_equal(moved.mul(k), expected).declassify());
  CHECK(moved.base_has_order_q());
  // NOLINTNEXTLINE(bugprone-use-after-move): the moved-from state is specified
  CHECK(table.empty());
  CHECK(ec::is_identity(table.mul(k)).declassify());
  CHECK(ec::is_identity(table.mul_vartime(k)).declassify());
  table = std::move(moved);
  CHECK(ec::ct_equal(table.mul_vartime(k), expected).declassify());
}

TEST_CASE("wNAF recoding: sum, oddness, range, spacing", "[ec][ec-p256]") {
  std::mt19937_64 rng(12);
  auto scalars = interesting_scalars(rng, 40);
  for (const scalar& k : scalars) {
    std::array<std::int8_t, 257> digits;
    const std::size_t len = ec::detail::wnaf<5>(k, digits);
    skm::uint<5> pos, neg;
    std::size_t last_nonzero = 0;
    bool first = true;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      const std::int8_t d = digits[i];
      if (d == 0) continue;
      CHECK(i < len);
      CHECK((d & 1) != 0);
      CHECK(d > -16);
      CHECK(d < 16);
      if (!first) CHECK(i - last_nonzero >= 5);  // at most one nonzero digit in any 5 positions
      first = false;
      last_nonzero = i;
      const auto term = skm::uint<5>::from_u64(static_cast<std::uint64_t>(d > 0 ? d : -d)) << i;
      if (d > 0)
        pos = pos + term;
      else
        neg = neg + term;
    }
    CHECK(pos - neg == k.resize<5>());
  }
}

TEST_CASE("P-256 multi-scalar multiplication with a wide-window base table", "[ec][ec-p256]") {
  std::mt19937_64 rng(13);
  cryptopp_p256 ref;
  const auto scalars = interesting_scalars(rng, 5);
  const affine p = random_point(rng), q = random_point(rng);
  const auto& g_table = ec::generator_wnaf_table<curve>();
  const ec::wnaf_table<curve, 6> p_table(p);  // another width, on a run-time point
  for (std::size_t i = 0; i < scalars.size(); ++i) {
    const scalar& a = scalars[i];
    const scalar& b = scalars[(i * 5 + 1) % scalars.size()];
    const scalar& c = scalars[(i * 11 + 2) % scalars.size()];
    const auto ga = ref.curve.ScalarMultiply(ref.g, to_integer(a));
    const auto pb = ref.curve.ScalarMultiply(cryptopp_p256::from(p), to_integer(b));
    const auto qc = ref.curve.ScalarMultiply(cryptopp_p256::from(q), to_integer(c));
    CHECK(cryptopp_p256::same(ref.curve.Add(ref.curve.Add(ga, pb), qc),
                              ec::multi_mul_vartime(g_table, a, std::array<affine, 2>{p, q},
                                                    std::array<scalar, 2>{b, c})));
    CHECK(cryptopp_p256::same(
        ref.curve.Add(ga, pb),
        ec::multi_mul_vartime(g_table, a, std::array<affine, 1>{p}, std::array<scalar, 1>{b})));
    const auto pa = ref.curve.ScalarMultiply(cryptopp_p256::from(p), to_integer(a));
    CHECK(cryptopp_p256::same(
        ref.curve.Add(pa, qc),
        ec::multi_mul_vartime(p_table, a, std::array<affine, 1>{q}, std::array<scalar, 1>{c})));
    // an identity among the points contributes nothing
    CHECK(cryptopp_p256::same(
        ref.curve.Add(ga, qc),
        ec::multi_mul_vartime(g_table, a, std::array<affine, 2>{ec::identity_affine<curve>(), q},
                              std::array<scalar, 2>{b, c})));
  }
  // terms that cancel: [a]G + [q - a]G = O
  const scalar a = skm::test::random_below(rng, curve::q);
  CHECK(ec::is_identity(ec::multi_mul_vartime(g_table, a,
                                              std::array<affine, 1>{ec::generator<curve>()},
                                              std::array<scalar, 1>{curve::q - a}))
            .declassify());
}

TEST_CASE(
    "P-256: batched fixed-base products with affine accumulators (one blinded inversion a window)",
    "[ec][ec-p256]") {
  skm::os_random blinding;
  std::mt19937_64 rng(78);
  CHECK(skm::test::check_mul_batch_affine(ec::generator_table<curve>(), rng, blinding,
                                          {1, 2, 3, 16}) == 22);
  const ec::fixed_base_table<curve, 4> p_table(ec::to_affine_vartime(
      ec::generator_table<curve>().mul_vartime(skm::test::random_below(rng, curve::q))));
  CHECK(skm::test::check_mul_batch_affine(p_table, rng, blinding, {7}) == 7);
}

}  // namespace test_ec_p256
