// SPDX-License-Identifier: BSD-3-Clause
// [kms-service] stateless issuing: skm_server::issue_deterministic returns the identical key set
// for repeated requests and from a second server restored from the same master secrets (two
// replicas), a different one for another user, period or community, and every set validates as a
// receiver checks it. (The derivation of v itself is recomputed independently, in Python, by the
// kms-service process tests.)
#include <catch2/catch.hpp>

#include "skm/km/skm_server.hpp"

namespace test_stateless {

namespace {

using namespace skm;
using namespace skm::km;

bool same(const user_key_set& a, const user_key_set& b) {
  return a.user_uri == b.user_uri && a.period == b.period && a.id == b.id && a.pvt == b.pvt &&
         a.ssk.ct_equal(b.ssk.span()).declassify() && a.rsk.ct_equal(b.rsk.span()).declassify();
}

}  // namespace

TEST_CASE("stateless issuing: identical key sets across requests and replicas", "[kms-service]") {
  os_random rng;
  const community_config config{"kms.example.org", {86400, 0}};
  const auto a = skm_server::generate(config, rng).value();
  const auto secrets = a.export_secrets();
  const auto replica =
      skm_server::from_secrets(config, secrets.z.span(), secrets.ksak.span()).value();
  const std::uint64_t period = 45000;

  const auto k1 = a.issue_deterministic("sip:alice@example.org", period).value();
  const auto k2 = a.issue_deterministic("sip:alice@example.org", period).value();
  const auto k3 =
      replica.issue_deterministic("sip:alice@example.org", period, issue_check::consistency)
          .value();
  CHECK(same(k1, k2));
  CHECK(same(k1, k3));
  CHECK_FALSE(a.check_key_set(k1).has_value());

  // Another period, another user: another v (the PVT differs), and still valid.
  const auto next = a.issue_deterministic("sip:alice@example.org", period + 1).value();
  const auto bob = a.issue_deterministic("sip:bob@example.org", period).value();
  CHECK(next.pvt != k1.pvt);
  CHECK(bob.pvt != k1.pvt);
  CHECK_FALSE(a.check_key_set(next).has_value());
  CHECK_FALSE(a.check_key_set(bob).has_value());

  // A random issue() for the same (user, period) has the same RSK and UID but its own PVT.
  const auto random = a.issue("sip:alice@example.org", period, rng).value();
  CHECK(random.rsk.ct_equal(k1.rsk.span()).declassify());
  CHECK(random.pvt != k1.pvt);

  // Another community (other KSAK) derives other values for the same user and period.
  const auto other = skm_server::generate(config, rng).value();
  CHECK(other.issue_deterministic("sip:alice@example.org", period).value().pvt != k1.pvt);

  // Bad input is refused as by issue().
  CHECK(a.issue_deterministic("", period).error() == kms_error::bad_user_uri);
}

}  // namespace test_stateless
