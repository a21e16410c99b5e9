// SPDX-License-Identifier: BSD-3-Clause
// [kms-service] the transport-independent handler, called directly (no HTTP, no TLS): routing and
// statuses, RFC 6750 answers, keyprov (current + next period, or the period of the path's time)
// parsed back and validated against the certificate, delegation, request bodies, rate limit,
// metrics. Tokens are real ES256 JWTs checked by jwt_token_verifier.

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "handler_fixture.hpp"
#include "skm/kms_service/handler.hpp"
#include "skm/kms_service/jwt_access.hpp"

namespace test_handler {

namespace {

using namespace skm;
using namespace skm::kms_service;
using json = nlohmann::json;

constexpr std::int64_t unix_now = test::handler_unix_now;
const km::ntp_time now = km::from_unix_seconds(unix_now).value();
constexpr std::string_view base = "/keymanagement/identity/v1";

using test::idms;

struct service {
  idms issuer;
  community kms = test::make_community("kms.example.org");
  jwt_token_verifier tokens{jwt_verifier(parse_jwks(issuer.jwks()).value(), policy()),
                            access_policy{}, [] { return unix_now; }};
  kms_handler handler{kms, tokens, config()};

  static jwt_policy policy() {
    jwt_policy p;
    p.issuer = "idms";
    p.audiences = {"kms.example.org"};
    return p;
  }
  static service_config config() {
    service_config c;
    c.delegations["sip:gms@example.org"] = {"sip:group@example.org"};
    c.rate_per_second = 1;
    c.rate_burst = 50;
    return c;
  }

  http_response post(std::string_view target, const std::string& who, std::string_view body = "",
                     std::string_view method = "POST") {
    const std::string auth = "Bearer " + issuer.token(who);
    return handler.handle({method, target, {{"Authorization", auth}}, body}, now);
  }
};

std::string header(const http_response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

}  // namespace

TEST_CASE("handler: keyprov gives current and next period, validated on parse", "[kms-service]") {
  service s;
  const auto r = s.post(std::string(base) + "/keyprov", "sip:alice@example.org");
  REQUIRE(r.status == 200);
  CHECK(header(r, "Content-Type") == "application/xml; charset=utf-8");
  CHECK(header(r, "Cache-Control") == "no-store");
  const auto doc = km::xml::parse_kms_key_prov(r.body, s.kms.certificate);  // checks every key
  REQUIRE(doc.has_value());
  const auto period = s.kms.server.period_at(now).value();
  REQUIRE(doc->key_sets.size() == 2);
  CHECK(doc->key_sets[0].key_period_no == period);
  CHECK(doc->key_sets[1].key_period_no == period + 1);
  CHECK(doc->key_sets[0].user_uri == "sip:alice@example.org");
  CHECK(r.record.periods == std::vector<std::uint64_t>{period, period + 1});
  CHECK(r.record.identity == "sip:alice@example.org");

  // The same again (stateless), and by the path's time only that period.
  const auto again = s.post(std::string(base) + "/keyprov", "sip:alice@example.org");
  CHECK(km::xml::parse_kms_key_prov_unvalidated(again.body)->key_sets[1].user_pub_token_pvt ==
        doc->key_sets[1].user_pub_token_pvt);
  const auto wire =
      km::to_ntp_wire(km::from_unix_seconds(unix_now + std::int64_t{5} * 86400).value());
  char hex[17];
  (void)std::snprintf(hex, sizeof hex, "%016llX", static_cast<unsigned long long>(wire));
  const auto at = s.post(std::string(base) + "/keyprov/sip%3Aalice%40example.org/" + hex,
                         "sip:alice@example.org");
  REQUIRE(at.status == 200);
  const auto one = km::xml::parse_kms_key_prov(at.body, s.kms.certificate).value();
  REQUIRE(one.key_sets.size() == 1);
  CHECK(one.key_sets[0].key_period_no == period + 5);
}

TEST_CASE("handler: routes, methods and RFC 6750 answers", "[kms-service]") {
  service s;
  const auto status = [&](const std::string& target, const std::string& method = "POST") {
    return s.post(target, "sip:alice@example.org", "", method).status;
  };
  CHECK(status(std::string(base) + "/init") == 200);
  CHECK(status(std::string(base) + "/certcache") == 200);
  CHECK(status(std::string(base) + "/cert/kms.example.org") == 200);
  CHECK(status(std::string(base) + "/cert/kms.other.org") == 404);
  CHECK(status("/nothing") == 404);
  CHECK(status(std::string(base) + "/redirect") == 404);
  CHECK(status(std::string(base) + "/keyprov/a/123") == 400);
  CHECK(status(std::string(base) + "/init", "GET") == 405);
  CHECK(status("/healthz", "GET") == 200);
  CHECK(status("/healthz", "DELETE") == 405);

  const auto error_of = [](const http_response& r) {
    const auto parsed = km::xml::parse_kms_response(r.body, km::xml::no_curve_checks{});
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->error() != nullptr);
    return parsed->error()->code;
  };
  const std::string init = std::string(base) + "/init";
  auto r = s.handler.handle({"POST", init, {}, ""}, now);
  CHECK(r.status == 401);
  CHECK(error_of(r) == 401);
  CHECK(header(r, "WWW-Authenticate") == "Bearer realm=\"skm-kms\"");
  r = s.handler.handle({"POST", init, {{"authorization", "Bearer x.y.z"}}, ""}, now);
  CHECK(r.status == 401);
  CHECK(header(r, "WWW-Authenticate").find("error=\"invalid_token\"") != std::string::npos);
  r = s.handler.handle({"POST", init, {{"Authorization", "Basic abc"}}, ""}, now);
  CHECK(r.status == 400);
  CHECK(header(r, "WWW-Authenticate").find("error=\"invalid_request\"") != std::string::npos);
  const std::string t = "Bearer " + s.issuer.token("sip:alice@example.org");
  r = s.handler.handle({"POST", init, {{"Authorization", t}, {"Authorization", t}}, ""}, now);
  CHECK(r.status == 400);
  const std::string wrong_scope = "Bearer " + s.issuer.token("sip:alice@example.org", "openid");
  r = s.handler.handle({"POST", init, {{"Authorization", wrong_scope}}, ""}, now);
  CHECK(r.status == 403);
  CHECK(header(r, "WWW-Authenticate").find("insufficient_scope") != std::string::npos);
  CHECK(r.record.error.find("scope") != std::string::npos);
}

TEST_CASE("handler: who may fetch which key sets; request bodies", "[kms-service]") {
  service s;
  const std::string prov = std::string(base) + "/keyprov/";
  CHECK(s.post(prov + "sip:bob@example.org", "sip:alice@example.org").status == 403);
  CHECK(s.post(prov + "sip:group@example.org", "sip:alice@example.org").status == 403);
  CHECK(s.post(prov + "sip:group@example.org", "sip:gms@example.org").status == 200);
  CHECK(s.post(prov + "sip:other-group@example.org", "sip:gms@example.org").status == 403);

  km::xml::kms_request req;
  req.user_uri = "sip:alice@example.org";
  req.kms_uri = "kms.example.org";
  req.time = now;
  req.client_req_url = "https://kms.example.org/keymanagement/identity/v1/keyprov";
  const auto body = [&](const km::xml::kms_request& q) {
    return km::xml::write_kms_request(q).value();
  };
  const std::string own = std::string(base) + "/keyprov";
  CHECK(s.post(own, "sip:alice@example.org", body(req)).status == 200);
  auto bad = req;
  bad.kms_uri = "kms.other.org";
  CHECK(s.post(own, "sip:alice@example.org", body(bad)).status == 400);
  bad = req;
  bad.user_uri = "sip:bob@example.org";
  CHECK(s.post(own, "sip:alice@example.org", body(bad)).status == 403);
  bad = req;
  bad.time.seconds -= 301;
  CHECK(s.post(own, "sip:alice@example.org", body(bad)).status == 400);
  bad = req;
  bad.client_req_url = "https://kms.example.org/keymanagement/identity/v1/init";
  CHECK(s.post(own, "sip:alice@example.org", body(bad)).status == 400);
  CHECK(s.post(own, "sip:alice@example.org", "<KmsRequest/>").status == 400);
  CHECK(s.post(own, "sip:alice@example.org", " \r\n").status == 200);  // blank = no body
}

TEST_CASE("handler: per-identity rate limit and metrics", "[kms-service]") {
  service s;
  const std::string init = std::string(base) + "/init";
  int limited = 0;
  for (int i = 0; i < 60; ++i)
    if (s.post(init, "sip:busy@example.org").status == 429) ++limited;
  CHECK(limited >= 9);  // burst 50, 1/s refill: at most ~51 of 60 pass
  CHECK(s.post(init, "sip:calm@example.org").status == 200);
  const auto m = s.handler.handle({"GET", "/metrics", {}, ""}, now);
  REQUIRE(m.status == 200);
  CHECK(m.body.find("skm_kms_requests_total{endpoint=\"init\",code=\"429\"} " +
                    std::to_string(limited)) != std::string::npos);
  CHECK(m.body.find("# TYPE skm_kms_connections_open gauge") != std::string::npos);

  rate_limiter small(1, 1, 2);  // two identities at most
  CHECK(small.allow("a"));
  CHECK(small.allow("b"));
  CHECK_FALSE(small.allow("c"));  // table full of identities that have not refilled
  CHECK_FALSE(small.allow("a"));
}

}  // namespace test_handler
