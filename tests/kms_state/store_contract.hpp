// SPDX-License-Identifier: BSD-3-Clause
// What every kms_state::store backend must do, as functions over a freshly created store; the
// SQLite and PostgreSQL tests run the same ones.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "skm/kms_state/store.hpp"

namespace skm::kms_state::contract {

inline void revocations(store& s) {
  REQUIRE(s.schema_version().value() == 1);
  REQUIRE(s.revocations().value().empty());
  const revocation alice{revocation_kind::user, "sip:alice@example.org", 7, 1000, "stolen"};
  REQUIRE(s.revoke(alice).value());
  REQUIRE(s.revoke({revocation_kind::device, "dev-1", 0, 1001, ""}).value());
  REQUIRE(s.revoke({revocation_kind::client, "client-9", 0, 1002, ""}).value());

  revocation_query q{"sip:alice@example.org", "kms.example.org", std::nullopt, std::nullopt};
  auto m = s.match(q).value();
  REQUIRE(m.matches.size() == 1);
  CHECK(m.matches[0] == alice);
  CHECK_FALSE(m.revoked(6));  // before the revocation's first period
  CHECK(m.revoked(7));
  CHECK(m.revoked(8));

  q.user_uri = "sip:bob@example.org";
  CHECK(s.match(q).value().matches.empty());
  q.device_id = "dev-1";  // a device revocation holds for every period and every user
  CHECK(s.match(q).value().revoked(0));
  q.device_id = "dev-2";
  q.client_id = "client-9";
  CHECK(s.match(q).value().revoked(0));
  q.client_id = "dev-1";  // a client id equal to a revoked device id is a different thing
  q.device_id = std::nullopt;
  CHECK_FALSE(s.match(q).value().revoked(0));

  // Replacing a revocation moves its first period; the community revocation covers everyone.
  REQUIRE_FALSE(s.revoke({revocation_kind::user, "sip:alice@example.org", 3, 2000, ""}).value());
  q.user_uri = "sip:alice@example.org";
  CHECK(s.match(q).value().revoked(3));
  REQUIRE(s.revoke({revocation_kind::community, "kms.example.org", 0, 2001, "compromise"}).value());
  q.user_uri = "sip:carol@example.org";
  CHECK(s.match(q).value().revoked(0));
  CHECK(s.revocations().value().size() == 4);

  CHECK(s.unrevoke(revocation_kind::community, "kms.example.org").value());
  CHECK_FALSE(s.unrevoke(revocation_kind::community, "kms.example.org").value());
  CHECK_FALSE(s.match(q).value().revoked(100));
  CHECK(s.unrevoke(revocation_kind::user, "sip:alice@example.org").value());
  q.user_uri = "sip:alice@example.org";
  CHECK_FALSE(s.match(q).value().revoked(100));
  CHECK(s.revocations().value().size() == 2);
}

inline void audit_trail(store& s) {
  audit_record r;
  r.time_ms = 1000;
  r.identity = "sip:alice@example.org";
  r.subject = "sip:alice@example.org";
  r.client_id = "client-1";
  r.endpoint = "keyprov";
  r.periods = {41, 42};
  r.status = 200;
  r.result = "issued";
  r.replica = "replica-a";
  const auto first = s.append_audit(r).value();
  audit_record gms = r;
  gms.time_ms = 2000;
  gms.identity = "sip:gms@example.org";
  gms.subject = "sip:group@example.org";
  gms.client_id = std::nullopt;
  gms.device_id = "dev-7";
  gms.periods = {42};
  const auto second = s.append_audit(gms).value();
  CHECK(second > first);
  audit_record refused = r;
  refused.time_ms = 3000;
  refused.status = 403;
  refused.result = "revoked";
  refused.periods = {};
  (void)s.append_audit(refused).value();

  const auto all = s.audit({}).value();
  REQUIRE(all.size() == 3);
  r.id = first;
  CHECK(all[0] == r);  // every field comes back as written (periods, optional ids)
  gms.id = second;
  CHECK(all[1] == gms);
  CHECK(all[2].periods.empty());

  audit_query by_alice{"sip:alice@example.org", std::nullopt, std::nullopt, 100};
  CHECK(s.audit(by_alice).value().size() == 2);
  audit_query by_subject{"sip:group@example.org", std::nullopt, std::nullopt, 100};
  CHECK(s.audit(by_subject).value().size() == 1);    // the subject asked for counts too
  audit_query range{std::nullopt, 1500, 3000, 100};  // [since, until)
  const auto mid = s.audit(range).value();
  REQUIRE(mid.size() == 1);
  CHECK(mid[0].identity == "sip:gms@example.org");
  audit_query limited{std::nullopt, std::nullopt, std::nullopt, 2};
  CHECK(s.audit(limited).value().size() == 2);
  audit_query nobody{"sip:nobody@example.org", std::nullopt, std::nullopt, 100};
  CHECK(s.audit(nobody).value().empty());
}

inline void cert_cache(store& s) {
  CHECK(s.cache_num().value() == 0);
  CHECK(s.cert_cache().value().certificates.empty());
  CHECK(s.put_certificate("kms.b.example", "<KmsCertificate>b1</KmsCertificate>").value() == 1);
  CHECK(s.put_certificate("kms.a.example", "<KmsCertificate>a1</KmsCertificate>").value() == 2);
  CHECK(s.put_certificate("kms.b.example", "<KmsCertificate>b2</KmsCertificate>").value() == 3);
  auto c = s.cert_cache().value();
  CHECK(c.cache_num == 3);
  REQUIRE(c.certificates.size() == 2);
  CHECK(c.certificates[0] ==
        cached_certificate{"kms.a.example", "<KmsCertificate>a1</KmsCertificate>", 2});
  CHECK(c.certificates[1] ==
        cached_certificate{"kms.b.example", "<KmsCertificate>b2</KmsCertificate>", 3});
  CHECK(s.remove_certificate("kms.a.example").value() == std::optional<std::uint64_t>{4});
  CHECK_FALSE(s.remove_certificate("kms.a.example").value().has_value());  // no change...
  CHECK(s.cache_num().value() == 4);                                       // ...no new number
  c = s.cert_cache().value();
  REQUIRE(c.certificates.size() == 1);
  CHECK(c.certificates[0].kms_uri == "kms.b.example");
}

}  // namespace skm::kms_state::contract
