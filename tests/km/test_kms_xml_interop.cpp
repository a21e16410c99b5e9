// SPDX-License-Identifier: BSD-3-Clause
// KMS documents in the shapes deployed KMSs write (written here from the descriptions in the
// project's KMS notes, not copied from anyone's files): what the schema allows must parse, what
// XML and the schema forbid must not.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "km_test_util.hpp"
#include "skm/km/kms_request.hpp"
#include "vendor_vectors.hpp"

namespace test_kms_xml_interop {

using namespace skm::km;
using namespace skm::km::xml;
using skm::km::test::hex_bytes;
namespace vendor = skm::km::test::vendor;

namespace {

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
  return s;
}

bool has_note(const std::vector<std::string>& notes, std::string_view part) {
  for (const auto& n : notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

template <class R>
void require_failure(const R& r, xml_error code, std::string_view where_or_detail = {}) {
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message());
  REQUIRE(r.error().code == code);
  if (!where_or_detail.empty())
    REQUIRE(r.error().message().find(where_or_detail) != std::string::npos);
}

const std::string ns = "urn:3gpp:ns:mcsecKMSInterface:1.0";

/// The certificate part as one deployed KMS writes it: no Id, no Version, zone-less times.
std::string deployed_certificate(std::string_view kms_uri = vendor::kms_uri) {
  return "<KmsCertificate Role=\"Root\">\n"
         "  <KmsUri>" +
         std::string(kms_uri) +
         "</KmsUri>\n"
         "  <ValidFrom>2021-01-01T00:00:00</ValidFrom>\n"
         "  <ValidTo>2031-01-01T00:00:00.000</ValidTo>\n"
         "  <UserIdFormat>2</UserIdFormat>\n"
         "  <UserKeyPeriod>16777215</UserKeyPeriod>\n"
         "  <UserKeyOffset>0</UserKeyOffset>\n"
         "  <PubEncKey>" +
         std::string(vendor::z) + "</PubEncKey>\n  <PubAuthKey>" + std::string(vendor::kpak) +
         "</PubAuthKey>\n</KmsCertificate>\n";
}

/// KmsResponse with Id="xmldoc", no Version, a zone-less Time, a full URL as ClientReqUrl.
std::string deployed_response(const std::string& message,
                              std::string_view kms_uri = "localhost:8080") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KmsResponse xmlns=\"" + ns +
         "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" Id=\"xmldoc\">\n"
         "  <UserUri>sip:alice@streamwide.com</UserUri>\n  <KmsUri>" +
         std::string(kms_uri) +
         "</KmsUri>\n  <Time>2021-05-10T11:23:02</Time>\n"
         "  <ClientReqUrl>http://localhost:8080/keymanagement/identity/v1/keyprov</ClientReqUrl>\n"
         "  <KmsMessage>\n" +
         message + "  </KmsMessage>\n</KmsResponse>\n";
}

std::string deployed_key_set(std::string_view user_id = vendor::alice_uid,
                             std::string_view key_type_attr = "") {
  const std::string t(key_type_attr);
  return "<KmsKeySet>\n  <KmsUri>" + std::string(vendor::kms_uri) +
         "</KmsUri>\n  <UserUri>sip:alice@streamwide.com</UserUri>\n  <UserID>" +
         std::string(user_id) +
         "</UserID>\n  <ValidFrom>2021-05-10T00:00:00</ValidFrom>\n"
         "  <ValidTo>2031-05-10T00:00:00</ValidTo>\n  <KeyPeriodNo>236</KeyPeriodNo>\n"
         "  <UserDecryptKey" +
         t + ">" + std::string(vendor::alice_rsk) + "</UserDecryptKey>\n  <UserSigningKeySSK" + t +
         ">" + std::string(vendor::alice_ssk) + "</UserSigningKeySSK>\n  <UserPubTokenPVT" + t +
         ">" + std::string(vendor::alice_pvt) + "</UserPubTokenPVT>\n</KmsKeySet>\n";
}

}  // namespace

TEST_CASE("deployed KmsInit: Id, no Version, zone-less times, fractional seconds, no cert Id",
          "[kms-xml-interop]") {
  const std::string doc = deployed_response("<KmsInit>" + deployed_certificate() + "</KmsInit>");
  const auto init = parse_kms_init(doc);  // curve checks on Z and KPAK
  REQUIRE(init.has_value());
  REQUIRE(init->header.id == "xmldoc");
  REQUIRE(init->header.version.empty());
  REQUIRE(init->header.kms_uri == "localhost:8080");
  REQUIRE(format_iso8601(init->header.time).value() == "2021-05-10T11:23:02Z");  // zone-less = UTC
  REQUIRE(init->certificate.id.empty());
  REQUIRE(init->certificate.version.empty());
  REQUIRE(format_iso8601(*init->certificate.valid_to).value() == "2031-01-01T00:00:00Z");
  // The same through parse_kms_response; written back it stays without Id/Version.
  const auto any = parse_kms_response(doc).value();
  REQUIRE(any.kind() == kms_response_kind::init);
  const std::string rewritten(write_kms_response(any).value().as_text());
  REQUIRE(rewritten.find("<KmsCertificate Role=\"Root\">") != std::string::npos);
  REQUIRE(parse_kms_init(rewritten).has_value());
  // KmsInit's own Version (a deployed client's) and an Id everywhere the schema has one.
  REQUIRE(parse_kms_init(replace_once(doc, "<KmsInit>", "<KmsInit Version=\"1.0.0\" Id=\"i\">"))
              .has_value());
  REQUIRE(parse_kms_init(replace_once(doc, "<KmsInit>", "<KmsInit Id=\"i\">")).has_value());
  REQUIRE(parse_kms_init(replace_once(doc, "<KmsMessage>", "<KmsMessage Id=\"m\">")).has_value());
}

TEST_CASE("deployed Version values other than the schema's are accepted and reported",
          "[kms-xml-interop]") {
  const std::string doc = replace_once(
      deployed_response("<KmsKeyProv Version=\"1.1.0\">" + deployed_key_set() + "</KmsKeyProv>"),
      "Id=\"xmldoc\"", "Id=\"xmldoc\" Version=\"1.1.0\"");
  const auto r = parse_kms_response(doc).value();
  REQUIRE(has_note(r.notes, "KmsResponse/@Version is 1.1.0 (the schema fixes 1.0.0)"));
  REQUIRE(has_note(r.notes, "KmsKeyProv/@Version is 1.1.0"));
  REQUIRE(std::get<kms_key_prov>(r.body).key_sets.size() == 1);
}

TEST_CASE("deployed KmsKeyProv: lowercase and base64 UserID validate against the certificate",
          "[kms-xml-interop]") {
  const auto cert =
      parse_kms_init(deployed_response("<KmsInit>" + deployed_certificate() + "</KmsInit>"))
          .value()
          .certificate;
  const std::string hex_doc =
      deployed_response("<KmsKeyProv>" + deployed_key_set() + "</KmsKeyProv>");
  const auto prov = parse_kms_key_prov(hex_doc, cert);  // full RSK and SSK/PVT validation
  REQUIRE(prov.has_value());
  REQUIRE(prov->key_prov_version.empty());
  REQUIRE(user_id_encoding_of(prov->key_sets[0].user_id, hex_bytes(vendor::alice_uid)) ==
          user_id_encoding::hex);
  // base64 of the 32 UID octets.
  const std::string b64 = "tcRSMJIZ2mo9gFYVVI1sGw9N5FprSPsT2aJNhX/APcQ=";
  const auto p64 = parse_kms_key_prov(
      deployed_response("<KmsKeyProv>" + deployed_key_set(b64) + "</KmsKeyProv>"), cert);
  REQUIRE(p64.has_value());
  REQUIRE(user_id_encoding_of(b64, hex_bytes(vendor::alice_uid)) == user_id_encoding::base64);
  // Without padding too; one character off is a mismatch.
  REQUIRE(
      parse_kms_key_prov(
          deployed_response("<KmsKeyProv>" + deployed_key_set(b64.substr(0, 43)) + "</KmsKeyProv>"),
          cert)
          .has_value());
  require_failure(
      parse_kms_key_prov(deployed_response("<KmsKeyProv>" + deployed_key_set("u" + b64.substr(1)) +
                                           "</KmsKeyProv>"),
                         cert),
      xml_error::user_id_mismatch);
}

TEST_CASE("xsi:type variants of KmsInit, KmsKeyProv and the key elements", "[kms-xml-interop]") {
  const std::string init = deployed_response("<KmsInit xsi:type=\"KmsInitTkIkType\">" +
                                             deployed_certificate() + "</KmsInit>");
  REQUIRE(parse_kms_init(init).has_value());
  const std::string typed_keys = deployed_response(
      "<KmsKeyProv xsi:type=\"KmsKeyProvTkIkType\">" +
      deployed_key_set(vendor::alice_uid, " xsi:type=\"KeyContentType\"") + "</KmsKeyProv>");
  REQUIRE(parse_kms_key_prov_unvalidated(typed_keys).has_value());
  // A prefixed type name (resolved by local name) and another prefix for the xsi namespace.
  REQUIRE(parse_kms_key_prov_unvalidated(
              replace_once(typed_keys, "\"KmsKeyProvTkIkType\"", "\"k:KmsKeyProvTkIkType\""))
              .has_value());
  // EncKeyContentType: a clear "encrypted with a transport key" error.
  const std::string encrypted =
      replace_once(typed_keys, "<UserSigningKeySSK xsi:type=\"KeyContentType\">",
                   "<UserSigningKeySSK xsi:type=\"EncKeyContentType\">");
  require_failure(parse_kms_key_prov_unvalidated(encrypted), xml_error::encrypted_key_unsupported,
                  "encrypted with a transport key");
  // Types the schema does not derive there are refused.
  require_failure(parse_kms_init(replace_once(init, "KmsInitTkIkType", "KmsKeyProvTkIkType")),
                  xml_error::bad_attribute_value, "xsi:type");
  require_failure(parse_kms_key_prov_unvalidated(
                      replace_once(typed_keys, "\"KmsKeyProvTkIkType\"", "\"Anything\"")),
                  xml_error::bad_attribute_value, "KmsKeyProv/@xsi:type");
}

TEST_CASE("signed wrappers: SignedKmsResponse, SignedKmsCertificate", "[kms-xml-interop]") {
  const std::string inner = deployed_response("<KmsInit>" + deployed_certificate() + "</KmsInit>");
  std::string body = inner.substr(inner.find("<KmsResponse"));
  body = replace_once(body, " xmlns=\"" + ns + "\"", "");
  const std::string sig =
      "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo/>"
      "<ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>";
  const std::string signed_doc = "<SignedKmsResponse xmlns=\"" + ns +
                                 "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">" +
                                 body + sig + "</SignedKmsResponse>";
  const auto r = parse_kms_response(signed_doc).value();
  REQUIRE(r.signed_by.has_value());
  REQUIRE(r.signed_by->signature_present);
  REQUIRE(has_note(r.notes, "NOT verified"));
  REQUIRE(parse_kms_init(signed_doc).has_value());
  // A stand-alone SignedKmsCertificate.
  const std::string cert_doc = "<SignedKmsCertificate xmlns=\"" + ns + "\" Id=\"c\">" +
                               deployed_certificate() + sig + "</SignedKmsCertificate>";
  const auto c = parse_kms_certificate(cert_doc).value();
  REQUIRE(c.signed_by == std::optional<signed_wrapper>(signed_wrapper{"c", true}));
  // Two certificates in one wrapper are refused.
  require_failure(
      parse_kms_certificate(replace_once(cert_doc, "</SignedKmsCertificate>",
                                         deployed_certificate() + "</SignedKmsCertificate>")),
      xml_error::duplicate_element);
}

TEST_CASE("a KmsUri with a scheme is accepted and reported", "[kms-xml-interop]") {
  const auto r = parse_kms_response(
      deployed_response("<KmsInit>" + deployed_certificate("http://localhost:8080") + "</KmsInit>",
                        "http://localhost:8080"));
  REQUIRE(r.has_value());
  REQUIRE(has_note(r->notes, "KmsResponse/KmsUri has a scheme: http://localhost:8080"));
  REQUIRE(has_note(r->notes, "KmsCertificate/KmsUri has a scheme"));
}

TEST_CASE("Rel-13 order and a vendor namespace only behind their interop options",
          "[kms-xml-interop]") {
  const std::string doc = deployed_response("<KmsInit>" + deployed_certificate() + "</KmsInit>");
  const std::string rel13 =
      replace_once(replace_once(doc, "  <UserUri>sip:alice@streamwide.com</UserUri>\n", ""),
                   "<Time>", "<UserUri>sip:alice@streamwide.com</UserUri><Time>");
  require_failure(parse_kms_init(rel13), xml_error::missing_element, "UserUri");
  kms_parse_options rel13_opt;
  rel13_opt.rel13_order = true;
  const auto r = parse_kms_response(rel13, curve_checks{}, rel13_opt).value();
  REQUIRE(r.header.user_uri == "sip:alice@streamwide.com");
  REQUIRE(has_note(r.notes, "Rel-13 element order"));
  REQUIRE(parse_kms_init(rel13, curve_checks{}, rel13_opt).has_value());
  // The option does not make the normal order fail.
  REQUIRE(parse_kms_init(doc, curve_checks{}, rel13_opt).has_value());

  const std::string vendor_ns = replace_once(doc, ns, "http://vendor.example.com/kms");
  require_failure(parse_kms_init(vendor_ns), xml_error::wrong_namespace);
  kms_parse_options v;
  v.vendor_namespace = "http://vendor.example.com/kms";
  const auto vr = parse_kms_response(vendor_ns, curve_checks{}, v).value();
  REQUIRE(has_note(vr.notes, "vendor namespace"));
  // Under the option, elements of the KMS namespace keep working too (mixed documents).
  REQUIRE(parse_kms_init(doc, curve_checks{}, v).has_value());
}

TEST_CASE("documents that are not well-formed XML are refused", "[kms-xml-interop]") {
  const std::string doc = deployed_response("<KmsInit>" + deployed_certificate() + "</KmsInit>");
  REQUIRE(parse_kms_init(doc).has_value());
  require_failure(parse_kms_init(doc + "<KmsResponse/>"), xml_error::malformed_xml,
                  "second root element");
  require_failure(parse_kms_init(doc + "trailing text"), xml_error::malformed_xml,
                  "text outside the root element");
  require_failure(parse_kms_init("leading text" + doc.substr(doc.find("<KmsResponse"))),
                  xml_error::malformed_xml);
  require_failure(parse_kms_init(replace_once(doc, "Id=\"xmldoc\"", "Id=\"xmldoc\" Id=\"again\"")),
                  xml_error::malformed_xml, "duplicate attribute Id");
  require_failure(parse_kms_init(replace_once(doc, "<KmsInit>", "<KmsInit Id=\"a\" Id=\"b\">")),
                  xml_error::malformed_xml, "duplicate attribute");
  for (const char* ref :
       {"&#0;", "&#x0;", "&#1;", "&#xFFFE;", "&#xD800;", "&#1114112;", "&#;", "&#x;", "&#12a;"}) {
    INFO(ref);
    require_failure(
        parse_kms_init(replace_once(doc, "sip:alice@", std::string("sip:alice") + ref + "@")),
        xml_error::malformed_xml);
  }
  // Allowed references still work.
  REQUIRE(parse_kms_init(replace_once(doc, "sip:alice@", "sip:&#97;lice&#x40;"))->header.user_uri ==
          "sip:alice@streamwide.com");
  // Raw control characters, a DOCTYPE (with or without an internal subset).
  require_failure(parse_kms_init(replace_once(doc, "sip:alice@", std::string("sip:al\x01ice@"))),
                  xml_error::malformed_xml, "control character");
  require_failure(
      parse_kms_init(replace_once(doc, "<KmsResponse", "<!DOCTYPE KmsResponse>\n<KmsResponse")),
      xml_error::malformed_xml, "DOCTYPE");
  require_failure(
      parse_kms_init(replace_once(doc, "<KmsResponse",
                                  "<!DOCTYPE KmsResponse [<!ENTITY e \"x\">]>\n<KmsResponse")),
      xml_error::malformed_xml, "DOCTYPE");
  // A reference inside a comment or CDATA is literal text, not a reference.
  REQUIRE(
      parse_kms_init(replace_once(doc, "<KmsMessage>", "<!-- &#0; --><KmsMessage>")).has_value());
  // The same checks guard requests.
  const std::string req =
      write_kms_request(kms_request{"",
                                    "1.1.0",
                                    "sip:a@b",
                                    "kms.b",
                                    {},
                                    {},
                                    {},
                                    "https://kms.b/keymanagement/identity/v1/init",
                                    false,
                                    {},
                                    {},
                                    {}})
          .value();
  require_failure(parse_kms_request(req + "<KmsRequest/>"), xml_error::malformed_xml);
}

TEST_CASE("schema order and bounds stay errors in deployed documents", "[kms-xml-interop]") {
  const std::string doc = deployed_response("<KmsInit>" + deployed_certificate() + "</KmsInit>");
  // Time before KmsUri (out of order), two Time elements, two certificates in KmsInit.
  require_failure(parse_kms_init(replace_once(
                      replace_once(doc, "  <Time>2021-05-10T11:23:02</Time>\n", ""),
                      "<KmsUri>localhost", "<Time>2021-05-10T11:23:02</Time><KmsUri>localhost")),
                  xml_error::missing_element, "KmsUri");
  require_failure(
      parse_kms_init(replace_once(doc, "<Time>", "<Time>2021-05-10T11:23:02</Time><Time>")),
      xml_error::duplicate_element, "Time");
  require_failure(
      parse_kms_init(replace_once(doc, "</KmsInit>", deployed_certificate() + "</KmsInit>")),
      xml_error::duplicate_element, "KmsInit/KmsCertificate");
}

TEST_CASE("ValidFrom / ValidTo at the time of use", "[kms-xml-interop]") {
  const auto cert =
      parse_kms_init(deployed_response("<KmsInit>" + deployed_certificate() + "</KmsInit>"))
          .value()
          .certificate;
  const auto set = parse_kms_key_prov_unvalidated(
                       deployed_response("<KmsKeyProv>" + deployed_key_set() + "</KmsKeyProv>"))
                       .value()
                       .key_sets[0];
  REQUIRE_FALSE(
      check_validity(cert, parse_iso8601("2025-06-01T00:00:00Z").value(), "KmsCertificate"));
  REQUIRE_FALSE(
      check_validity(cert, parse_iso8601("2031-01-01T00:00:00Z").value(), "KmsCertificate"));
  const auto early =
      check_validity(cert, parse_iso8601("2020-12-31T23:59:59Z").value(), "KmsCertificate");
  REQUIRE(early);
  REQUIRE(early->code == xml_error::outside_validity);
  REQUIRE(early->where == "KmsCertificate/ValidFrom");
  const auto late = check_validity(set, parse_iso8601("2031-05-10T00:00:01Z").value(), "KmsKeySet");
  REQUIRE(late);
  REQUIRE(late->code == xml_error::outside_validity);
  REQUIRE(late->message().find("expired 2031-05-10T00:00:00Z") != std::string::npos);
  // Without dates there is nothing to refuse.
  kms_key_set undated;
  REQUIRE_FALSE(check_validity(undated, ntp_time{}, "KmsKeySet"));
}

}  // namespace test_kms_xml_interop
