// SPDX-License-Identifier: BSD-3-Clause
// The ec layer on curves whose a is not -3, to exercise the other doubling formulas chosen at
// compile time: secp256k1 (a = 0) and brainpoolP256r1 (a generic). Each is one traits struct, as
// a user adding a curve would write it; Crypto++'s ECP is the oracle.
#include <cryptopp/ecp.h>
#include <cryptopp/integer.h>
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "ec_test_util.hpp"
#include "skm/bigint/bytes.hpp"
#include "skm/curves/checks.hpp"
#include "skm/ec/ec.hpp"
#include "skm/field/fp.hpp"

namespace test_ec_shapes {

namespace {

/// SEC 2 secp256k1: y^2 = x^3 + 7.
struct secp256k1 {
  struct base_field_params {
    static constexpr auto modulus =
        skm::hex<256>("FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE FFFFFC2F");
  };
  struct scalar_field_params {
    static constexpr auto modulus =
        skm::hex<256>("FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE BAAEDCE6 AF48A03B BFD25E8C D0364141");
  };
  using base_field = skm::fp<base_field_params>;
  using scalar_field = skm::fp<scalar_field_params>;
  static constexpr auto p = base_field_params::modulus;
  static constexpr auto q = scalar_field_params::modulus;
  static constexpr auto a = skm::uint<4>{};
  static constexpr auto b = skm::uint<4>::from_u64(7);
  static constexpr auto generator_x =
      skm::hex<256>("79BE667E F9DCBBAC 55A06295 CE870B07 029BFCDB 2DCE28D9 59F2815B 16F81798");
  static constexpr auto generator_y =
      skm::hex<256>("483ADA77 26A3C465 5DA4FBFC 0E1108A8 FD17B448 A6855419 9C47D08F FB10D4B8");
  static constexpr unsigned cofactor = 1;
};
static_assert(skm::curves::generator_on_curve<secp256k1>());

/// RFC 5639 brainpoolP256r1.
struct brainpool_p256r1 {
  struct base_field_params {
    static constexpr auto modulus =
        skm::hex<256>("A9FB57DB A1EEA9BC 3E660A90 9D838D72 6E3BF623 D5262028 2013481D 1F6E5377");
  };
  struct scalar_field_params {
    static constexpr auto modulus =
        skm::hex<256>("A9FB57DB A1EEA9BC 3E660A90 9D838D71 8C397AA3 B561A6F7 901E0E82 974856A7");
  };
  using base_field = skm::fp<base_field_params>;
  using scalar_field = skm::fp<scalar_field_params>;
  static constexpr auto p = base_field_params::modulus;
  static constexpr auto q = scalar_field_params::modulus;
  static constexpr auto a =
      skm::hex<256>("7D5A0975 FC2C3057 EEF67530 417AFFE7 FB8055C1 26DC5C6C E94A4B44 F330B5D9");
  static constexpr auto b =
      skm::hex<256>("26DC5C6C E94A4B44 F330B5D9 BBD77CBF 95841629 5CF7E1CE 6BCCDC18 FF8C07B6");
  static constexpr auto generator_x =
      skm::hex<256>("8BD2AEB9 CB7E57CB 2C4B482F FC81B7AF B9DE27E1 E3BD23C2 3A4453BD 9ACE3262");
  static constexpr auto generator_y =
      skm::hex<256>("547EF835 C3DAC4FD 97F8461A 14611DC9 C2774513 2DED8E54 5C1D54C7 2F046997");
  static constexpr unsigned cofactor = 1;
};
static_assert(skm::curves::generator_on_curve<brainpool_p256r1>());

static_assert(skm::ec::curve_facts<secp256k1>::shape == skm::ec::curve_shape::a_zero);
static_assert(skm::ec::curve_facts<brainpool_p256r1>::shape == skm::ec::curve_shape::generic);

template <std::size_t N>
CryptoPP::Integer to_integer(const skm::uint<N>& v) {
  const auto bytes = skm::to_bytes_be<8 * N>(v);
  return CryptoPP::Integer(bytes.data(), bytes.size());
}

template <class Curve>
void check_curve() {
  namespace ec = skm::ec;
  using affine = ec::affine_point<Curve>;
  using jacobian = ec::jacobian_point<Curve>;
  using scalar = typename ec::curve_facts<Curve>::scalar;
  const CryptoPP::ECP ref(to_integer(Curve::p), to_integer(Curve::a), to_integer(Curve::b));
  auto same = [](const CryptoPP::ECP::Point& r, const jacobian& j) {
    const affine a = ec::to_affine_vartime(j);
    if (r.identity) return a.infinity.declassify();
    return !a.infinity.declassify() && to_integer(a.x.to_uint()) == r.x &&
           to_integer(a.y.to_uint()) == r.y;
  };
  auto from = [](const affine& p) {
    return CryptoPP::ECP::Point(to_integer(p.x.to_uint()), to_integer(p.y.to_uint()));
  };

  std::mt19937_64 rng(31);
  const affine g = ec::generator<Curve>();
  REQUIRE(ec::is_identity(ec::mul(g, Curve::q)).declassify());
  const affine p = ec::to_affine(ec::mul(g, skm::test::random_below(rng, Curve::q)));
  const jacobian pj = ec::to_jacobian(p);
  // doubling, in every form
  CHECK(same(ref.Double(from(p)), ec::dbl(pj)));
  CHECK(same(ref.Double(from(p)), ec::dbl(p)));
  CHECK(same(ref.Double(from(p)), ec::add(pj, p)));
  CHECK(same(ref.Double(from(p)), ec::add(pj, pj)));
  CHECK(same(ref.Double(from(p)), ec::add_vartime(pj, p)));
  CHECK(ec::is_identity(ec::add(pj, ec::negate(p))).declassify());

  const ec::fixed_base_table<Curve, 5> table(p);
  for (int i = 0; i < 6; ++i) {
    const scalar k = i == 0 ? Curve::q - 1 : skm::test::random_uint<4>(rng);
    const scalar k2 = skm::test::random_below(rng, Curve::q);
    const auto expected = ref.ScalarMultiply(from(p), to_integer(k));
    CHECK(same(expected, ec::mul(p, k)));
    CHECK(same(expected, ec::mul_vartime(p, k)));
    CHECK(same(expected, table.mul(k)));
    CHECK(same(expected, table.mul_vartime(k)));
    CHECK(same(ref.CascadeScalarMultiply(from(g), to_integer(k2), from(p), to_integer(k)),
               ec::double_mul_vartime(g, k2, p, k)));
  }
  const auto enc = ec::encode_uncompressed(p).value();
  const auto dec = ec::decode_uncompressed<Curve>(enc, ec::subgroup_check::require);
  REQUIRE(dec.has_value());
  CHECK(ec::ct_equal(*dec, p).declassify());
}

}  // namespace

TEST_CASE("secp256k1 (a = 0) against Crypto++", "[ec][ec-shapes]") { check_curve<secp256k1>(); }
TEST_CASE("brainpoolP256r1 (generic a) against Crypto++", "[ec][ec-shapes]") {
  check_curve<brainpool_p256r1>();
}

}  // namespace test_ec_shapes
