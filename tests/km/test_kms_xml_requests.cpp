// SPDX-License-Identifier: BSD-3-Clause
// The rest of TS 33.180 Annex D (kms_request.hpp, kms_url.hpp): the request URL forms,
// KmsRequest / SignedKmsRequest, KmsCertCache, and KmsError answers returned as results.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "km_test_util.hpp"
#include "skm/km/kms_request.hpp"
#include "skm/km/kms_url.hpp"
#include "vendor_vectors.hpp"

namespace test_kms_xml_requests {

using namespace skm::km;
using namespace skm::km::xml;
using skm::km::test::hex_bytes;
namespace vendor = skm::km::test::vendor;
namespace url = skm::km::kms_url;

namespace {

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
  return s;
}

template <class R>
void require_failure(const R& r, xml_error code, std::string_view where_part = {}) {
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message());
  REQUIRE(r.error().code == code);
  if (!where_part.empty()) REQUIRE(r.error().where.find(where_part) != std::string::npos);
}

bool has_note(const std::vector<std::string>& notes, std::string_view part) {
  for (const auto& n : notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

/// A certificate with the vendor community's (valid) keys under another KMS's name.
kms_certificate external_certificate(std::string kms_uri) {
  kms_certificate c;
  c.id = kms_uri;
  c.role = kms_role::external;
  c.kms_uri = std::move(kms_uri);
  c.user_key_period = vendor::key_period;
  c.user_key_offset = vendor::key_offset;
  c.pub_enc_key = hex_bytes(vendor::z);
  c.pub_auth_key = hex_bytes(vendor::kpak);
  c.parameter_set = 1;
  return c;
}

kms_response_header header(std::string path) {
  kms_response_header h;
  h.user_uri = std::string(vendor::alice_uri);
  h.kms_uri = std::string(vendor::kms_uri);
  h.time = parse_iso8601("2026-03-04T05:06:07Z").value();
  h.client_req_url = "https://kms.mydev.streamwide.com:8443" + std::move(path);
  return h;
}

kms_request request() {
  kms_request r;
  r.user_uri = std::string(vendor::alice_uri);
  r.kms_uri = std::string(vendor::kms_uri);
  r.time = parse_iso8601("2026-03-04T05:06:00Z").value();
  r.client_id = "client-7";
  r.device_id = "imei:35-209900-176148-1";
  r.client_req_url = "https://kms.mydev.streamwide.com/keymanagement/identity/v1/keyprov";
  return r;
}

}  // namespace

TEST_CASE("KMS request URLs: every form parses and is generated", "[kms-xml-interop]") {
  const std::string base = "/keymanagement/identity/v1/";
  {
    const auto t = url::parse(base + "init").value();
    REQUIRE(t.kind == url::request_kind::init);
    REQUIRE_FALSE(t.identity);
    REQUIRE(url::path(t) == base + "init");
  }
  {
    const auto t = url::parse(base + "keyprov").value();
    REQUIRE(t.kind == url::request_kind::key_prov);
    REQUIRE_FALSE(t.identity);
    REQUIRE(url::path(t) == base + "keyprov");
  }
  // As deployed clients send it (not encoded) and percent-encoded: the same request.
  const auto plain = url::parse(base + "keyprov/sip:alice@org.com").value();
  const auto encoded = url::parse(base + "keyprov/sip%3Aalice%40org.com").value();
  const auto lower = url::parse(base + "keyprov/sip%3aalice%40org.com").value();
  REQUIRE(plain.identity == std::optional<std::string>("sip:alice@org.com"));
  REQUIRE(plain == encoded);
  REQUIRE(plain == lower);
  REQUIRE(url::path(plain) == base + "keyprov/sip:alice@org.com");
  REQUIRE(url::path(plain, url::uri_encoding::strict) == base + "keyprov/sip%3Aalice%40org.com");
  // A segment that needs encoding: '/' and space are always encoded.
  const url::request_target odd{url::request_kind::key_prov, "urn:x/y z", std::nullopt,
                                std::nullopt};
  REQUIRE(url::path(odd) == base + "keyprov/urn:x%2Fy%20z");
  REQUIRE(url::parse(url::path(odd)).value() == odd);
  // The key period time: 64-bit NTP in 16 hex digits (the example of the spec notes).
  {
    const auto t = url::parse(base + "keyprov/tel:+447700900123/D6B4323200000000").value();
    REQUIRE(t.identity == std::optional<std::string>("tel:+447700900123"));
    REQUIRE(t.ntp_wire == std::optional<std::uint64_t>(0xD6B4323200000000ull));
    REQUIRE(format_iso8601(t.time().value()).value() == "2014-02-23T08:39:14Z");
    REQUIRE(url::path(t) == base + "keyprov/tel:+447700900123/D6B4323200000000");
    REQUIRE(url::parse(base + "keyprov/alice@org.com/e632aa0000000000").value().ntp_wire ==
            std::optional<std::uint64_t>(0xe632aa0000000000ull));
    const auto at = url::key_prov_at("sip:a@b", parse_iso8601("2014-02-23T08:39:14Z").value());
    REQUIRE(url::path(at) == base + "keyprov/sip:a@b/D6B4323200000000");
  }
  {
    const auto t = url::parse(base + "certcache").value();
    REQUIRE(t.kind == url::request_kind::cert_cache);
    REQUIRE_FALSE(t.cache_num);
    const auto n = url::parse(base + "certcache/42").value();
    REQUIRE(n.cache_num == std::optional<std::uint64_t>(42));
    REQUIRE(url::path(n) == base + "certcache/42");
    REQUIRE(url::path(t) == base + "certcache");
  }
  {
    const auto t = url::parse(base + "cert/kms.other.example.org").value();
    REQUIRE(t.kind == url::request_kind::cert);
    REQUIRE(t.identity == std::optional<std::string>("kms.other.example.org"));
    REQUIRE(url::path(t) == base + "cert/kms.other.example.org");
  }
  // Full URLs (as in ClientReqUrl), with a query or fragment.
  REQUIRE(url::parse("https://kms.example.org:8443" + base + "keyprov/sip:a@b?x=1").value() ==
          url::parse(base + "keyprov/sip:a@b").value());
  REQUIRE(url::parse("http://localhost:8080" + base + "init#frag").value().kind ==
          url::request_kind::init);
}

TEST_CASE("KMS request URLs: each malformed form is refused with its reason", "[kms-xml-interop]") {
  const std::string base = "/keymanagement/identity/v1/";
  auto error_of = [](const std::string& u) {
    const auto r = url::parse(u);
    REQUIRE_FALSE(r.has_value());
    return r.error();
  };
  REQUIRE(error_of("/keymanagement/identity/v2/init") == url::url_error::not_under_base);
  REQUIRE(error_of("/keymanagement/identity/v1") == url::url_error::not_under_base);
  REQUIRE(error_of("/keymanagement/identity/v1/") == url::url_error::not_under_base);
  REQUIRE(error_of("/keymanagement/identity/v1init") == url::url_error::not_under_base);
  REQUIRE(error_of("https://kms.example.org") == url::url_error::not_under_base);
  REQUIRE(error_of(base + "redirect") == url::url_error::unknown_request);
  REQUIRE(error_of(base + "Init") == url::url_error::unknown_request);
  REQUIRE(error_of(base + "init/") == url::url_error::empty_segment);
  REQUIRE(error_of(base + "keyprov//0000000000000000") == url::url_error::empty_segment);
  REQUIRE(error_of(base + "init/x") == url::url_error::extra_segment);
  REQUIRE(error_of(base + "keyprov/a/0000000000000000/x") == url::url_error::extra_segment);
  REQUIRE(error_of(base + "certcache/1/2") == url::url_error::extra_segment);
  REQUIRE(error_of(base + "cert/a/b") == url::url_error::extra_segment);
  REQUIRE(error_of(base + "cert") == url::url_error::missing_segment);
  REQUIRE(error_of(base + "keyprov/sip%3") == url::url_error::bad_percent_encoding);
  REQUIRE(error_of(base + "keyprov/sip%zzalice") == url::url_error::bad_percent_encoding);
  REQUIRE(error_of(base + "keyprov/sip%00alice") == url::url_error::bad_percent_encoding);
  REQUIRE(error_of(base + "keyprov/a/D6B43232") == url::url_error::bad_time);
  REQUIRE(error_of(base + "keyprov/a/D6B4323200000000F") == url::url_error::bad_time);
  REQUIRE(error_of(base + "keyprov/a/G6B4323200000000") == url::url_error::bad_time);
  REQUIRE(error_of(base + "certcache/-1") == url::url_error::bad_cache_number);
  REQUIRE(error_of(base + "certcache/18446744073709551616") == url::url_error::bad_cache_number);
  REQUIRE(url::parse(base + "certcache/18446744073709551615").value().cache_num ==
          std::optional<std::uint64_t>(18446744073709551615ull));
  for (auto e : {url::url_error::not_under_base, url::url_error::bad_time})
    REQUIRE(std::string(url::describe(e)).size() > 10);
}

TEST_CASE("KmsRequest: generate, parse back every field; SignedKmsRequest", "[kms-xml-interop]") {
  kms_request r = request();
  r.id = "req-1";
  r.client_error = "previous key set failed validation";
  const std::string doc = write_kms_request(r).value();
  REQUIRE(doc.find("<KmsRequest xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" Id=\"req-1\" "
                   "Version=\"1.1.0\">") != std::string::npos);
  REQUIRE(doc.find("<Time>2026-03-04T05:06:00Z</Time>") != std::string::npos);
  const kms_request back = parse_kms_request(doc).value();
  REQUIRE(back.id == "req-1");
  REQUIRE(back.version == "1.1.0");
  REQUIRE(back.user_uri == r.user_uri);
  REQUIRE(back.kms_uri == r.kms_uri);
  REQUIRE(back.time == r.time);
  REQUIRE(back.client_id == r.client_id);
  REQUIRE(back.device_id == r.device_id);
  REQUIRE(back.client_req_url == r.client_req_url);
  REQUIRE(back.client_error == r.client_error);
  REQUIRE_FALSE(back.signed_by);
  REQUIRE(back.notes.empty());
  REQUIRE(back.target().value().kind == url::request_kind::key_prov);
  REQUIRE(write_kms_request(back).value() == doc);

  // Minimal: optional elements and attributes left out; a deployed Version 1.0.0 is noted.
  kms_request minimal = request();
  minimal.client_id.reset();
  minimal.device_id.reset();
  minimal.version = "1.0.0";
  const auto m = parse_kms_request(write_kms_request(minimal).value()).value();
  REQUIRE_FALSE(m.client_id);
  REQUIRE_FALSE(m.device_id);
  REQUIRE(m.version == "1.0.0");
  REQUIRE(has_note(m.notes, "KmsRequest/@Version is 1.0.0"));
  minimal.version.clear();
  const std::string no_version = write_kms_request(minimal).value();
  REQUIRE(no_version.find("Version") == std::string::npos);
  REQUIRE(parse_kms_request(no_version).value().version.empty());

  // SignedKmsRequest: the wrapper is written (without a signature) and read back; a present
  // ds:Signature is reported as not verified.
  r.signed_by = signed_wrapper{"xmldoc", false};
  const std::string wrapped = write_kms_request(r).value();
  REQUIRE(wrapped.find("<SignedKmsRequest xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" "
                       "Id=\"xmldoc\">") != std::string::npos);
  const auto w = parse_kms_request(wrapped).value();
  REQUIRE(w.signed_by == std::optional<signed_wrapper>(signed_wrapper{"xmldoc", false}));
  REQUIRE(has_note(w.notes, "no XML signature"));
  const std::string with_sig =
      replace_once(wrapped, "</SignedKmsRequest>",
                   "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo/>"
                   "</ds:Signature></SignedKmsRequest>");
  const auto s = parse_kms_request(with_sig).value();
  REQUIRE(s.signed_by->signature_present);
  REQUIRE(has_note(s.notes, "NOT verified"));
  REQUIRE(s.user_uri == r.user_uri);

  // A KrrList is recognised, reported and not written back.
  const auto k = parse_kms_request(replace_once(doc, "<ClientError>",
                                                "<KrrList><x:Krr xmlns:x=\"urn:3gpp:ns:"
                                                "mcsecKMSKRR:1.0\"/></KrrList><ClientError>"))
                     .value();
  REQUIRE(k.krr_list);
  REQUIRE(has_note(k.notes, "KrrList"));
}

TEST_CASE("KmsRequest: schema violations are refused", "[kms-xml-interop]") {
  const std::string doc = write_kms_request(request()).value();
  require_failure(
      parse_kms_request(replace_once(doc, "<UserUri>sip:alice@streamwide.com</UserUri>", "")),
      xml_error::missing_element, "KmsRequest/UserUri");
  require_failure(parse_kms_request(replace_once(doc, "<Time>2026-03-04T05:06:00Z</Time>", "")),
                  xml_error::missing_element, "Time");
  // ClientId after DeviceId: out of schema order.
  require_failure(
      parse_kms_request(replace_once(replace_once(doc, "<ClientId>client-7</ClientId>", ""),
                                     "</DeviceId>", "</DeviceId><ClientId>client-7</ClientId>")),
      xml_error::missing_element, "ClientReqUrl");
  require_failure(parse_kms_request(replace_once(doc, "<ClientId>client-7</ClientId>",
                                                 "<ClientId>a</ClientId><ClientId>b</ClientId>")),
                  xml_error::duplicate_element, "ClientId");
  require_failure(parse_kms_request(replace_once(doc, "Version=\"1.1.0\"", "Version=\"\"")),
                  xml_error::empty_value, "@Version");
  require_failure(parse_kms_request(replace_once(doc, "Version=", "Colour=\"red\" Version=")),
                  xml_error::unexpected_attribute, "@Colour");
  require_failure(parse_kms_request(replace_once(doc, "2026-03-04T05:06:00Z", "tomorrow")),
                  xml_error::bad_datetime, "Time");
  // A SignedKmsRequest must wrap a KmsRequest, once.
  kms_request r = request();
  r.signed_by = signed_wrapper{};
  const std::string wrapped = write_kms_request(r).value();
  require_failure(parse_kms_request(replace_once(wrapped, "<UserUri>", "<Bad/><UserUri>")),
                  xml_error::missing_element, "UserUri");
  require_failure(parse_kms_request(replace_once(wrapped, "</SignedKmsRequest>",
                                                 "<KmsRequest/></SignedKmsRequest>")),
                  xml_error::duplicate_element, "KmsRequest");
  // A response is not a request.
  require_failure(parse_kms_request(write_kms_error(header("/x"), {500, "x"}).value()),
                  xml_error::wrong_root_element);
  // The writer refuses what the parser would refuse.
  r = request();
  r.client_req_url.clear();
  require_failure(write_kms_request(r), xml_error::empty_value, "ClientReqUrl");
}

TEST_CASE("KmsCertCache: several (signed) External certificates, CacheNum", "[kms-xml-interop]") {
  kms_cert_cache cache;
  cache.cache_num = 7;
  cache.certificates.push_back(external_certificate("kms.a.example.org"));
  cache.certificates.push_back(external_certificate("kms.b.example.org"));
  cache.certificates.back().signed_by = signed_wrapper{"cert-b", false};
  cache.certificates.push_back(external_certificate("kms.c.example.org"));
  cache.certificates.back().kms_domains = {"c.example.org"};
  const std::string doc =
      write_kms_cert_cache(header("/keymanagement/identity/v1/certcache/3"), cache).value();
  REQUIRE(doc.find("<KmsCertCache Version=\"1.0.0\" CacheNum=\"7\">") != std::string::npos);
  REQUIRE(doc.find("<SignedKmsCertificate Id=\"cert-b\">") != std::string::npos);

  const kms_response r = parse_kms_response(doc).value();  // curve checks on every certificate
  REQUIRE(r.kind() == kms_response_kind::cert_cache);
  REQUIRE_FALSE(r.error());
  const auto& got = std::get<kms_cert_cache>(r.body);
  REQUIRE(got.cache_num == std::optional<std::uint64_t>(7));
  REQUIRE(got.version == "1.0.0");
  REQUIRE(got.certificates.size() == 3);
  REQUIRE(got.certificates[0].kms_uri == "kms.a.example.org");
  REQUIRE(got.certificates[1].kms_uri == "kms.b.example.org");
  REQUIRE(got.certificates[1].signed_by ==
          std::optional<signed_wrapper>(signed_wrapper{"cert-b", false}));
  REQUIRE(got.certificates[2].kms_domains == std::vector<std::string>{"c.example.org"});
  for (const auto& c : got.certificates) REQUIRE(c.role == kms_role::external);
  REQUIRE(has_note(r.notes, "SignedKmsCertificate: no XML signature"));
  REQUIRE(write_kms_response(r).value().as_text() == doc);

  // An empty cache (the client is current); a cache without CacheNum.
  const auto empty =
      parse_kms_response(write_kms_cert_cache(header("/x"), kms_cert_cache{}).value()).value();
  REQUIRE(std::get<kms_cert_cache>(empty.body).certificates.empty());
  REQUIRE_FALSE(std::get<kms_cert_cache>(empty.body).cache_num);

  // A Root certificate in a cache is reported; bad keys, a bad CacheNum and foreign
  // KMS-namespace elements are refused.
  kms_cert_cache with_root;
  with_root.certificates.push_back(external_certificate("kms.r.example.org"));
  with_root.certificates[0].role = kms_role::root;
  const auto rooted =
      parse_kms_response(write_kms_cert_cache(header("/x"), with_root).value()).value();
  REQUIRE(has_note(rooted.notes, "Role Root in a certificate cache"));
  std::string bad_z(vendor::z);
  bad_z[300] = bad_z[300] == '0' ? '1' : '0';
  require_failure(parse_kms_response(replace_once(doc, vendor::z, bad_z)), xml_error::invalid_key,
                  "KmsCertCache/certificate 1");
  REQUIRE(parse_kms_response(replace_once(doc, vendor::z, bad_z), no_curve_checks{}).has_value());
  require_failure(parse_kms_response(replace_once(doc, "CacheNum=\"7\"", "CacheNum=\"x\"")),
                  xml_error::bad_integer, "@CacheNum");
  require_failure(
      parse_kms_response(replace_once(doc, "</KmsCertCache>", "<KmsKeySet/></KmsCertCache>")),
      xml_error::unexpected_element, "KmsCertCache/KmsKeySet");
}

TEST_CASE("KmsError answers are a result of their own, not a parse failure", "[kms-xml-interop]") {
  const std::string doc =
      write_kms_error(header("/keymanagement/identity/v1/keyprov/sip:mallory@x"),
                      {403, "not your identity"})
          .value();
  REQUIRE(doc.find("<KmsError>") != std::string::npos);
  REQUIRE(doc.find("<KmsMessage") == std::string::npos);
  const kms_response r = parse_kms_response(doc).value();
  REQUIRE(r.kind() == kms_response_kind::error);
  REQUIRE(r.error() != nullptr);
  REQUIRE(r.error()->code == 403);
  REQUIRE(r.error()->message == std::optional<std::string>("not your identity"));
  REQUIRE(r.header.user_uri == vendor::alice_uri);
  REQUIRE(write_kms_response(r).value().as_text() == doc);
  // Without ErrorMsg; negative codes are xs:integer too.
  const auto bare = parse_kms_response(write_kms_error(header("/x"), {-2, std::nullopt}).value());
  REQUIRE(bare.value().error()->code == -2);
  REQUIRE_FALSE(bare.value().error()->message);
  // The single-message parsers still fail, but hand over the answer.
  const auto as_init = parse_kms_init(doc);
  require_failure(as_init, xml_error::kms_error_response);
  REQUIRE(as_init.error().kms_answer ==
          std::optional<kms_error>(kms_error{403, "not your identity"}));
  // A KmsError with a KmsMessage: the error is what the caller gets, the message is noted.
  const std::string both =
      replace_once(doc, "<KmsError>", "<KmsMessage><KmsCertCache/></KmsMessage><KmsError>");
  const auto b = parse_kms_response(both).value();
  REQUIRE(b.kind() == kms_response_kind::error);
  REQUIRE(has_note(b.notes, "ignored"));
  // Malformed error answers are parse failures.
  require_failure(parse_kms_response(replace_once(doc, "<ErrorCode>403", "<ErrorCode>4x3")),
                  xml_error::bad_integer, "ErrorCode");
  require_failure(parse_kms_response(replace_once(doc, "<ErrorCode>403", "<ErrorCode>-+3")),
                  xml_error::bad_integer, "ErrorCode");
  require_failure(parse_kms_response(replace_once(doc, "<ErrorCode>403</ErrorCode>", "")),
                  xml_error::missing_element, "ErrorCode");
  require_failure(
      parse_kms_response(replace_once(doc, "<ErrorCode>403", "<ErrorCode>99999999999999999999")),
      xml_error::bad_integer, "ErrorCode");
}

TEST_CASE("parse_kms_response: KmsInit and KmsKeyProv, signed responses, unknown messages",
          "[kms-xml-interop]") {
  kms_certificate root = external_certificate(std::string(vendor::kms_uri));
  root.role = kms_role::root;
  const std::string init =
      write_kms_init({header("/keymanagement/identity/v1/init"), root}).value();
  const auto r = parse_kms_response(init).value();
  REQUIRE(r.kind() == kms_response_kind::init);
  REQUIRE(std::get<kms_certificate>(r.body).kms_uri == vendor::kms_uri);
  REQUIRE(write_kms_response(r).value().as_text() == init);

  kms_key_set alice;
  alice.kms_uri = std::string(vendor::kms_uri);
  alice.user_uri = std::string(vendor::alice_uri);
  alice.user_id = std::string(vendor::alice_uid);
  alice.key_period_no = vendor::period_no;
  alice.user_decrypt_key = secret_bytes(hex_bytes(vendor::alice_rsk));
  alice.user_signing_key_ssk = secret_bytes(hex_bytes(vendor::alice_ssk));
  alice.user_pub_token_pvt = hex_bytes(vendor::alice_pvt);
  kms_response prov;
  prov.header = header("/keymanagement/identity/v1/keyprov");
  kms_key_prov body;
  body.key_sets.push_back(alice);
  prov.body = std::move(body);
  prov.signed_by = signed_wrapper{"xmldoc", false};
  const secret_bytes written = write_kms_response(prov).value();
  REQUIRE(written.as_text().find("<SignedKmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" "
                                 "Id=\"xmldoc\">") != std::string_view::npos);
  const auto p = parse_kms_response(written.as_text()).value();
  REQUIRE(p.kind() == kms_response_kind::key_prov);
  REQUIRE(p.signed_by == prov.signed_by);
  const auto& sets = std::get<kms_key_prov>(p.body).key_sets;
  REQUIRE(sets.size() == 1);
  REQUIRE_FALSE(validate_key_set(sets[0], root).has_value());

  require_failure(parse_kms_response(replace_once(init, "<KmsInit>", "<KmsLookup/><KmsInit>")),
                  xml_error::unexpected_element, "KmsInit");
  require_failure(parse_kms_response(replace_once(replace_once(init, "<KmsInit>", "<KmsLookup>"),
                                                  "</KmsInit>", "</KmsLookup>")),
                  xml_error::unsupported_message, "KmsLookup");
  const std::string no_body = write_kms_cert_cache(header("/x"), {}).value();
  require_failure(
      parse_kms_response(replace_once(no_body, "<KmsCertCache Version=\"1.0.0\" />", "")),
      xml_error::missing_element, "KmsMessage/KmsInit");
}

}  // namespace test_kms_xml_requests
