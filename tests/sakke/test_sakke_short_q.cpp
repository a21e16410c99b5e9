// SPDX-License-Identifier: BSD-3-Clause
// SAKKE on a parameter set whose cofactor does not fit any built-in integer (a 288-bit q in a
// 512-bit p, so h has 224 bits, written as an skm::uint): the traits struct compiles, keys are
// issued and validated (the subgroup check on the RSK and the KMS key runs because h != 1),
// encapsulation and decapsulation round trip, and a point outside the order-q subgroup is refused
// with not_in_subgroup where the check is required.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "../pairing/oracle.hpp"
#include "../support/hex.hpp"
#include "sakke_test_params_short_q.hpp"
#include "skm/curves/p256.hpp"
#include "skm/sakke/sakke.hpp"

using skm_test::sakke_test_params_short_q;

TEST_CASE("SAKKE with a 224-bit cofactor (short q): round trip and subgroup checks",
          "[sakke][short-q][security-2]") {
  using namespace skm::sakke;
  using C = sakke_test_params_short_q;
  using S = scheme<C>;
  using Fp = typename S::Fp;
  STATIC_REQUIRE(!skm::ec::cofactor_is_one<C>());
  STATIC_REQUIRE(skm::ec::cofactor_is_one<skm::curves::p256>());

  skm_test::test_rng rng{0x5a4f};
  auto k = kms<C>::generate(rng);
  const auto id = skm::test::unhex("3230 31312D30 32007465 6C3A2B34 34373730 30393030 31323300");
  const auto rsk = k.issue_rsk(id);
  REQUIRE(rsk.has_value());
  REQUIRE(validate_rsk(k.public_key(), id, *rsk).has_value());
  const auto rec = receiver<C>::create(k.public_key(), id, *rsk);
  REQUIRE(rec.has_value());
  const auto to = recipient<C>::create(k.public_key(), id);
  REQUIRE(to.has_value());
  for (int trial = 0; trial < 3; ++trial) {
    const auto e = encapsulate_random(*to, rng);
    REQUIRE(e.has_value());
    const auto warm = rec->decapsulate(e->data);
    REQUIRE(warm.has_value());
    REQUIRE(*warm == e->ssv);
    const auto cold = decapsulate_with_unvalidated_rsk(k.public_key(), id, *rsk, e->data);
    REQUIRE(cold.has_value());
    REQUIRE(*cold == e->ssv);
  }

  // A point of E(F_p) outside the order-q subgroup (a random point: its order is a multiple of q
  // times a factor of h > 1, almost surely), and the same point times h, inside it.
  using point = typename S::point;
  int outside = 0;
  for (int tries = 0; tries < 50 && outside < 3; ++tries) {
    const Fp x = Fp::random(rng);
    const auto y = (x.square() * x - Fp::from_u64(3) * x).sqrt_vartime();
    if (!y || y->is_zero().declassify()) continue;
    const point pt{x, *y, skm::ct::choice::no()};
    const auto enc = skm::ec::encode_uncompressed(pt).value();
    const auto inside = skm::ec::to_affine_vartime(skm::ec::mul_vartime(pt, C::cofactor));
    if (inside.infinity.declassify()) continue;
    if (skm::ec::in_subgroup_vartime(pt)) continue;  // (negligible) already of order q
    ++outside;
    const auto strict = skm::ec::decode_uncompressed<C>(enc, skm::ec::subgroup_check::require);
    REQUIRE_FALSE(strict.has_value());
    REQUIRE(strict.error() == skm::ec::point_error::not_in_subgroup);
    REQUIRE(skm::ec::decode_uncompressed<C>(enc, skm::ec::subgroup_check::skip).has_value());
    const auto enc_inside = skm::ec::encode_uncompressed(inside).value();
    REQUIRE(
        skm::ec::decode_uncompressed<C>(enc_inside, skm::ec::subgroup_check::require).has_value());
    // as an RSK, such a point fails validation
    REQUIRE_FALSE(validate_rsk(k.public_key(), id, pt).has_value());
  }
  REQUIRE(outside == 3);
}
