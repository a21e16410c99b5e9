// SPDX-License-Identifier: BSD-3-Clause
// [kms-state] kms_handler with a real SQLite state attached (no HTTP): revoked users, devices,
// clients and the community answered as revoked key sets or KmsError, never a usable key; init
// with Revoked; certcache and cert from the database with CacheNum; one audit record per
// request; a database that refuses writes (locked by another connection, full) gives 503 with
// KmsError and no key, and the next request after it recovers is answered again.
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "../kms_service/handler_fixture.hpp"
#include "skm/kms_service/handler.hpp"
#include "skm/kms_service/jwt_access.hpp"
#include "skm/kms_state/sqlite_store.hpp"

namespace test_state_handler {

namespace {

using namespace skm;
using namespace skm::kms_service;
namespace st = skm::kms_state;
using json = nlohmann::json;

constexpr std::int64_t unix_now = test::handler_unix_now;
const km::ntp_time now = km::from_unix_seconds(unix_now).value();
const std::string base = "/keymanagement/identity/v1";
const std::string alice = "sip:alice@example.org";

using test::idms;
using test::make_community;

struct temp_db {
  std::filesystem::path dir;
  temp_db() {
    std::string t = (std::filesystem::temp_directory_path() / "skm-state-handler-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    dir = t;
  }
  temp_db(const temp_db&) = delete;
  temp_db& operator=(const temp_db&) = delete;
  ~temp_db() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  [[nodiscard]] std::string path() const { return (dir / "kms-state.sqlite").string(); }
};

struct stateful_service {
  temp_db db;
  std::unique_ptr<st::sqlite_store> store;
  idms issuer;
  community kms = make_community("kms.example.org");
  jwt_token_verifier tokens{jwt_verifier(parse_jwks(issuer.jwks()).value(), policy()),
                            access_policy{}, [] { return unix_now; }};
  kms_handler handler{kms, tokens, config()};

  explicit stateful_service(revoked_answer answer = revoked_answer::key_set,
                            st::sqlite_options o = {}) {
    o.busy_timeout_ms = 100;  // a locked database fails fast
    auto s = st::sqlite_store::open(db.path(), o);
    if (!s) FAIL(s.error());
    store = std::move(*s);
    handler.attach_state(*store, {answer, "replica-test"});
  }

  static jwt_policy policy() {
    jwt_policy p;
    p.issuer = "idms";
    p.audiences = {"kms.example.org"};
    return p;
  }
  static service_config config() {
    service_config c;
    c.rate_per_second = 0;
    return c;
  }

  http_response post(const std::string& target, const std::string& who = alice,
                     std::string_view body = "") {
    const std::string auth = "Bearer " + issuer.token(who);
    return handler.handle({"POST", target, {{"Authorization", auth}}, body}, now);
  }

  [[nodiscard]] std::uint64_t period() const { return kms.server.period_at(now).value(); }

  void revoke(st::revocation_kind kind, const std::string& value, std::uint64_t from = 0) {
    REQUIRE(store->revoke({kind, value, from, 1, "test"}).has_value());
  }
};

std::string keyprov_body(const std::optional<std::string>& client,
                         const std::optional<std::string>& device) {
  km::xml::kms_request q;
  q.user_uri = alice;
  q.kms_uri = "kms.example.org";
  q.time = now;
  q.client_id = client;
  q.device_id = device;
  q.client_req_url = "https://kms.example.org" + base + "/keyprov";
  return km::xml::write_kms_request(q).value();
}

/// A revoked key set carries no key: RSK and PVT are the tag 0x04 and zeros, the SSK zeros.
bool holds_no_key(const km::xml::kms_key_set& k) {
  const auto zero_after = [](std::span<const std::uint8_t> v, std::size_t from) {
    return std::all_of(v.begin() + static_cast<std::ptrdiff_t>(from), v.end(),
                       [](std::uint8_t b) { return b == 0; });
  };
  return k.revoked == true && k.user_decrypt_key.span()[0] == 0x04 &&
         zero_after(k.user_decrypt_key.span(), 1) && zero_after(k.user_signing_key_ssk.span(), 0) &&
         zero_after(k.user_pub_token_pvt, 1);
}

std::string file_contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string header(const http_response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

}  // namespace

TEST_CASE("state handler: every KMS request leaves one audit record, keys never in it",
          "[kms-state]") {
  stateful_service s;
  const auto r = s.post(base + "/keyprov", alice, keyprov_body("client-1", "device-1"));
  REQUIRE(r.status == 200);
  CHECK(s.post(base + "/init").status == 200);
  CHECK(s.handler.handle({"POST", base + "/init", {}, ""}, now).status == 401);
  CHECK(s.handler.handle({"GET", "/healthz", {}, ""}, now).status == 200);  // not a KMS request
  const auto trail = s.store->audit({}).value();
  REQUIRE(trail.size() == 3);
  const auto& k = trail[0];
  CHECK(k.identity == alice);
  CHECK(k.subject == alice);
  CHECK(k.endpoint == "keyprov");
  CHECK(k.client_id == std::optional<std::string>("client-1"));
  CHECK(k.device_id == std::optional<std::string>("device-1"));
  CHECK(k.periods == std::vector<std::uint64_t>{s.period(), s.period() + 1});
  CHECK(k.status == 200);
  CHECK(k.result == "ok");
  CHECK(k.replica == "replica-test");
  CHECK(k.time_ms > 0);
  CHECK(trail[1].endpoint == "init");
  CHECK(trail[2].status == 401);
  CHECK(trail[2].result == "no access token");
  // No key material reached the database files (the main file and its write-ahead log).
  const auto doc = km::xml::parse_kms_key_prov_unvalidated(r.body).value();
  const auto ssk = doc.key_sets[0].user_signing_key_ssk.span();
  std::string lower, upper;
  for (const auto b : ssk) {
    lower += "0123456789abcdef"[b >> 4];
    lower += "0123456789abcdef"[b & 15];
    upper += "0123456789ABCDEF"[b >> 4];
    upper += "0123456789ABCDEF"[b & 15];
  }
  const std::string raw(ssk.begin(), ssk.end());
  for (const auto* suffix : {"", "-wal"}) {
    const auto text = file_contents(s.db.path() + suffix);
    CHECK(text.find(lower) == std::string::npos);
    CHECK(text.find(upper) == std::string::npos);
    CHECK(text.find(raw) == std::string::npos);
    CHECK(text.find("eyJ") == std::string::npos);  // no JWT (base64url of '{"')
  }
}

TEST_CASE("state handler: a user revoked from the next period gets this period's keys only",
          "[kms-state]") {
  stateful_service s;
  s.revoke(st::revocation_kind::user, alice, s.period() + 1);
  const auto r = s.post(base + "/keyprov");
  REQUIRE(r.status == 200);
  const auto doc = km::xml::parse_kms_key_prov_unvalidated(r.body).value();
  REQUIRE(doc.key_sets.size() == 2);
  CHECK_FALSE(doc.key_sets[0].revoked.value_or(false));
  CHECK(holds_no_key(doc.key_sets[1]));
  CHECK(doc.key_sets[1].key_period_no == s.period() + 1);
  // The revoked set names the right UserID; a validating client refuses it.
  const auto uid = km::mikey_sakke_uid(alice, "kms.example.org", {86400, 0}, s.period() + 1);
  std::string uid_hex;
  for (const auto b : uid.value()) {
    uid_hex += "0123456789abcdef"[b >> 4];
    uid_hex += "0123456789abcdef"[b & 15];
  }
  CHECK(doc.key_sets[1].user_id == uid_hex);
  CHECK(km::xml::parse_kms_key_prov(r.body, s.kms.certificate).error().code ==
        km::xml::xml_error::revoked);
  CHECK(r.record.revoked);
  CHECK(s.store->audit({}).value().back().result == "revoked");
  // Bob is not affected; after unrevoke Alice gets both sets again.
  const auto bob = s.post(base + "/keyprov", "sip:bob@example.org");
  CHECK(km::xml::parse_kms_key_prov(bob.body, s.kms.certificate).has_value());
  REQUIRE(s.store->unrevoke(st::revocation_kind::user, alice).value());
  CHECK(km::xml::parse_kms_key_prov(s.post(base + "/keyprov").body, s.kms.certificate).has_value());
}

TEST_CASE("state handler: revoked devices and clients (from the KmsRequest body)", "[kms-state]") {
  stateful_service s;
  s.revoke(st::revocation_kind::device, "lost-phone");
  s.revoke(st::revocation_kind::client, "bad-client");
  const auto all_revoked = [&](const http_response& r) {
    const auto doc = km::xml::parse_kms_key_prov_unvalidated(r.body);
    return r.status == 200 && doc && doc->key_sets.size() == 2 && holds_no_key(doc->key_sets[0]) &&
           holds_no_key(doc->key_sets[1]);
  };
  CHECK(all_revoked(s.post(base + "/keyprov", alice, keyprov_body(std::nullopt, "lost-phone"))));
  CHECK(all_revoked(s.post(base + "/keyprov", alice, keyprov_body("bad-client", "new-phone"))));
  const auto fine = s.post(base + "/keyprov", alice, keyprov_body("good-client", "new-phone"));
  CHECK(km::xml::parse_kms_key_prov(fine.body, s.kms.certificate).has_value());
  CHECK(km::xml::parse_kms_key_prov(s.post(base + "/keyprov").body, s.kms.certificate)
            .has_value());  // no body: no device to match
}

TEST_CASE("state handler: revoked_answer::error answers KmsError 403 or the unrevoked period",
          "[kms-state]") {
  stateful_service s(revoked_answer::error);
  s.revoke(st::revocation_kind::user, alice, s.period() + 1);
  const auto one = s.post(base + "/keyprov");
  REQUIRE(one.status == 200);
  const auto doc = km::xml::parse_kms_key_prov(one.body, s.kms.certificate).value();
  REQUIRE(doc.key_sets.size() == 1);
  CHECK(doc.key_sets[0].key_period_no == s.period());
  CHECK(one.record.periods == std::vector<std::uint64_t>{s.period()});

  s.revoke(st::revocation_kind::user, alice, 0);
  const auto none = s.post(base + "/keyprov");
  CHECK(none.status == 403);
  CHECK(none.body.find("<ErrorCode>403</ErrorCode>") != std::string::npos);
  CHECK(none.body.find("UserDecryptKey") == std::string::npos);
  CHECK(s.store->audit({}).value().back().result == "revoked");
}

TEST_CASE("state handler: a revoked community: init shows Revoked, no key set is usable",
          "[kms-state]") {
  stateful_service s;
  const auto before = km::xml::parse_kms_init(s.post(base + "/init").body).value();
  CHECK_FALSE(before.certificate.revoked.value_or(false));
  s.revoke(st::revocation_kind::community, "kms.example.org");
  const auto after = km::xml::parse_kms_init(s.post(base + "/init").body).value();
  CHECK(after.certificate.revoked == std::optional<bool>(true));
  const auto self = km::xml::parse_kms_init(s.post(base + "/cert/kms.example.org").body).value();
  CHECK(self.certificate.revoked == std::optional<bool>(true));
  const auto r = s.post(base + "/keyprov", "sip:anyone@example.org");
  const auto doc = km::xml::parse_kms_key_prov_unvalidated(r.body).value();
  REQUIRE(doc.key_sets.size() == 2);
  CHECK(holds_no_key(doc.key_sets[0]));
  CHECK(holds_no_key(doc.key_sets[1]));
}

TEST_CASE("state handler: certcache and cert answer from the database", "[kms-state]") {
  stateful_service s;
  const auto other = make_community("kms.partner.example");
  const auto xml = km::xml::write_kms_certificate(other.certificate).value();
  const auto cache_of = [&](const std::string& target) {
    const auto r = s.post(target);
    REQUIRE(r.status == 200);
    const auto doc = km::xml::parse_kms_response(r.body).value();
    return std::get<km::xml::kms_cert_cache>(doc.body);
  };
  auto c = cache_of(base + "/certcache");
  CHECK(c.cache_num == std::optional<std::uint64_t>(0));
  CHECK(c.certificates.empty());
  CHECK(s.post(base + "/cert/kms.partner.example").status == 404);

  REQUIRE(s.store->put_certificate("kms.partner.example", xml).value() == 1);
  c = cache_of(base + "/certcache");
  CHECK(c.cache_num == std::optional<std::uint64_t>(1));
  REQUIRE(c.certificates.size() == 1);
  CHECK(c.certificates[0].pub_auth_key == other.certificate.pub_auth_key);
  c = cache_of(base + "/certcache/0");
  CHECK(c.certificates.size() == 1);  // an older number gets the whole cache
  c = cache_of(base + "/certcache/1");
  CHECK(c.cache_num == std::optional<std::uint64_t>(1));
  CHECK(c.certificates.empty());  // current: nothing to send
  const auto cert = km::xml::parse_kms_init(s.post(base + "/cert/kms.partner.example").body);
  REQUIRE(cert.has_value());
  CHECK(cert->certificate.kms_uri == "kms.partner.example");

  REQUIRE(s.store->remove_certificate("kms.partner.example").value() ==
          std::optional<std::uint64_t>(2));
  c = cache_of(base + "/certcache/1");
  CHECK(c.cache_num == std::optional<std::uint64_t>(2));
  CHECK(c.certificates.empty());
  CHECK(s.post(base + "/cert/kms.partner.example").status == 404);
}

TEST_CASE("state handler: a database that refuses writes gives 503 KmsError, then recovers",
          "[kms-state]") {
  stateful_service s;
  REQUIRE(s.post(base + "/keyprov").status == 200);
  // Another connection holds the write lock (as a long admin transaction would).
  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(s.db.path().c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  const auto refused = s.post(base + "/keyprov");
  CHECK(refused.status == 503);
  CHECK(header(refused, "Retry-After") == "1");
  CHECK(refused.body.find("<ErrorCode>503</ErrorCode>") != std::string::npos);
  CHECK(refused.body.find("UserDecryptKey") == std::string::npos);  // no key without its record
  CHECK(refused.record.error.find("locked") != std::string::npos);
  REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  CHECK(s.post(base + "/keyprov").status == 200);
  CHECK(s.store->audit({}).value().size() == 2);  // the refused request left no record
}

TEST_CASE("state handler: a full database gives 503 and stays intact", "[kms-state]") {
  st::sqlite_options quota;
  quota.max_page_count = 20;
  stateful_service s(revoked_answer::key_set, quota);
  int ok = 0, unavailable = 0;
  for (int i = 0; i < 400 && unavailable == 0; ++i) {
    const auto r = s.post(base + "/init");
    (r.status == 200 ? ok : unavailable) += 1;
    if (r.status != 200) CHECK(r.status == 503);
  }
  CHECK(ok > 0);
  CHECK(unavailable == 1);
  CHECK(s.store->audit({}).value().size() == static_cast<std::size_t>(ok));
  CHECK(s.store->integrity_check().value() == "ok");
}

}  // namespace test_state_handler
