// SPDX-License-Identifier: BSD-3-Clause
// Rejections of the negative catalogue (docs/security.md) that no layer test asserted by their
// exact error value: the key checks of key_material.hpp (the XML tests see them only as
// xml_error::invalid_key), a too-long MIKEY PRF label, a too-long key-parameters text, and the
// SKM-S issuing failure on a random source that goes stuck.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "skm/km/key_material.hpp"
#include "skm/km/key_parameters.hpp"
#include "skm/km/mikey_prf.hpp"
#include "skm/km/skm_server.hpp"

namespace test_rejections {

namespace {

using namespace skm::km;
using bytes = std::vector<std::uint8_t>;

struct lcg_rng {
  std::uint64_t state;
  std::size_t good = SIZE_MAX;  ///< octets of pseudo-random output, then zeros (a stuck source)
  std::size_t used = 0;
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i, ++used) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      out[i] = used < good ? static_cast<std::uint8_t>(state >> 56) : 0;
    }
  }
};

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <class A>
bytes vec(const A& a) {
  return bytes(a.begin(), a.end());
}
bytes flip_last(bytes b) {
  b.back() ^= 1;
  return b;
}

// A community (Z, KPAK) and one user's keys for an identifier, from the scheme objects.
struct community {
  bytes z, kpak, id, rsk, ssk, pvt;
  static const community& get() {
    static const community c = [] {
      lcg_rng rng{0xc0};
      const auto sakke_kms = skm::sakke::kms<sakke_curve>::generate(rng);
      const auto eccsi_kms = skm::eccsi::kms<>::generate(rng).value();
      community out;
      out.id = vec(std::string_view("2026-11\0tel:+447700900123\0", 26));
      out.z = vec(sakke_kms.public_key().encode());
      out.kpak = vec(eccsi_kms.kpak().bytes());
      out.rsk = vec(skm::ec::encode_uncompressed(sakke_kms.issue_rsk(out.id).value()).value());
      const auto kp = eccsi_kms.issue(out.id, rng).value();
      out.ssk = vec(kp.ssk);
      out.pvt = vec(kp.pvt);
      return out;
    }();
    return c;
  }
};

}  // namespace

TEST_CASE("key checks name the failing key (key_error)", "[hardening][catalogue]") {
  const auto& c = community::get();
  REQUIRE_FALSE(check_community_keys(sakke_parameter_set, c.z, c.kpak).has_value());
  REQUIRE_FALSE(check_user_keys(c.z, c.kpak, c.id, c.rsk, c.ssk, c.pvt).has_value());

  REQUIRE(check_community_keys(2, c.z, c.kpak) == key_error::unsupported_parameter_set);
  REQUIRE(check_community_keys(sakke_parameter_set, flip_last(c.z), c.kpak) == key_error::bad_z);
  bytes z_order_2(c.z.size(), 0);  // (0, 0): on the curve, order 2
  z_order_2[0] = 0x04;
  REQUIRE(check_community_keys(sakke_parameter_set, z_order_2, c.kpak) == key_error::bad_z);
  REQUIRE(check_community_keys(sakke_parameter_set, c.z, flip_last(c.kpak)) == key_error::bad_kpak);

  REQUIRE(check_user_keys(c.z, c.kpak, c.id, flip_last(c.rsk), c.ssk, c.pvt) ==
          key_error::bad_rsk_encoding);
  bytes rsk_order_2(c.rsk.size(), 0);
  rsk_order_2[0] = 0x04;
  REQUIRE(check_user_keys(c.z, c.kpak, c.id, rsk_order_2, c.ssk, c.pvt) ==
          key_error::rsk_not_in_subgroup);
  // [2]RSK: a point of order q, but not the RSK of this identifier
  const auto rsk_point = skm::sakke::decode_rsk_unvalidated<sakke_curve>(c.rsk).value();
  const auto doubled =
      vec(skm::ec::encode_uncompressed(
              skm::ec::to_affine_vartime(skm::ec::dbl(skm::ec::to_jacobian(rsk_point))))
              .value());
  REQUIRE(check_user_keys(c.z, c.kpak, c.id, doubled, c.ssk, c.pvt) == key_error::rsk_invalid);
  REQUIRE(check_user_keys(c.z, c.kpak, bytes{1}, c.rsk, c.ssk, c.pvt) == key_error::bad_identifier);

  REQUIRE(check_user_keys(c.z, c.kpak, c.id, c.rsk, bytes(c.ssk.begin(), c.ssk.end() - 1), c.pvt) ==
          key_error::bad_ssk);
  REQUIRE(check_user_keys(c.z, c.kpak, c.id, c.rsk, bytes(c.ssk.size(), 0), c.pvt) ==
          key_error::bad_ssk);
  REQUIRE(check_user_keys(c.z, c.kpak, c.id, c.rsk, flip_last(c.ssk), c.pvt) ==
          key_error::ssk_invalid);
  REQUIRE(check_user_keys(c.z, c.kpak, c.id, c.rsk, c.ssk, flip_last(c.pvt)) == key_error::bad_pvt);
}

TEST_CASE("MIKEY PRF refuses a label beyond 2^16 octets", "[hardening][catalogue]") {
  const bytes key(16, 1);
  std::array<std::uint8_t, 16> out{};
  REQUIRE_FALSE(
      mikey_prf_into(mikey_prf::prf_hmac_sha_256, key, bytes(0xFFFF, 2), out).has_value());
  REQUIRE(mikey_prf_into(mikey_prf::prf_hmac_sha_256, key, bytes(0x10000, 2), out) ==
          prf_error::label_too_long);
}

TEST_CASE("key parameters refuse a text beyond 65535 octets", "[hardening][catalogue]") {
  key_parameters kp;
  kp.text.assign(0xFFFF, 'a');
  REQUIRE(encode_key_parameters(kp).has_value());
  kp.text.push_back('a');
  REQUIRE(encode_key_parameters(kp).error() == key_parameters_error::text_too_long);
}

TEST_CASE("SKM-S: a random source that goes stuck gives issuing_failed", "[hardening][catalogue]") {
  community_config config;
  config.kms_uri = "kms.example.org";
  // how many octets the SAKKE master secret takes from this source
  lcg_rng probe{0x51};
  (void)skm::sakke::kms<sakke_curve>::generate(probe);
  // the same source stuck at zero right after them: z is drawn, every KSAK draw is 0
  lcg_rng stuck{0x51, probe.used};
  const auto s = skm_server::generate(config, stuck);
  REQUIRE_FALSE(s.has_value());
  REQUIRE(s.error() == kms_error::issuing_failed);
}

namespace {
struct zero_source {
  void GenerateBlock(std::uint8_t* out, std::size_t n) const {
    std::fill(out, out + n, std::uint8_t{0});
  }
};
}  // namespace

TEST_CASE("a random source stuck at zero is an error, not a hang", "[hardening][catalogue]") {
  zero_source zeros;
  REQUIRE_THROWS_AS(skm::sakke::kms<sakke_curve>::generate(zeros), std::runtime_error);
  community_config config;
  config.kms_uri = "kms.example.org";
  const auto s = skm_server::generate(config, zeros);
  REQUIRE_FALSE(s.has_value());
  REQUIRE(s.error() == kms_error::issuing_failed);
}

}  // namespace test_rejections
