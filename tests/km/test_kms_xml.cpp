// SPDX-License-Identifier: BSD-3-Clause
// TS 33.180 Annex D KMS documents: generation, parsing, validation against the certificate, and
// every rejection path.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "km_test_util.hpp"
#include "skm/km/kms_request.hpp"
#include "skm/km/kms_xml.hpp"

namespace test_kms_xml {

using namespace skm::km;
using namespace skm::km::xml;
using skm::km::test::hex_bytes;
using skm::km::test::to_hex;

namespace {

// The vendor community and key sets (specs/vectors/mcx-pck-example.md).
const std::string vendor_z =
    "046fc2cf00fd48467abe7c02f383002fc49b6632bf0f7071d958f1f128154e6fae1f69bb91691a191a358fe647a3e020d2365d52f81fb3af4ea271654f1a880274"
    "c1ae228ac72cc15d535394321bd2143cea2619fb3b0c6ce7a5f72714d8ef4d11cb0c991c3376ca31b168b01e66021effdbf7920bd66615e6f0d6a1e61c06e72e61"
    "b4138738c11bc249a3849e9c4cff327a7d0d2769c3d97a37f86adfb13baa257e628ce236f40360d3f7b8d95b0e3fcc19417602d7d6b8928b855eae9129be1f0b87"
    "d33e884906dd95a04a8bd61240bad60f9dfada64806726f8f08b86343f54046416f5198116e9798c218bcf9ca07d0baa4be50062bfe54e44495b6ed59cb6";
const std::string vendor_kpak =
    "0448f9c2c48b50735f6bc70ec6691073243f1e0bd83cc73bb936d61ffcb2d6049a5b297e8205b29fbd8591cb582d6402add21451ce4beebeaaa7520e93b11cf28f";
const std::string alice_rsk =
    "0428b44cd6dffd2e7fe73521a5c514738287df177c1ae841ba6f5d72601b9c6bc5509c3fd800ac1fee833dd81c74ab39d2740a10fba25cd9b0debb25a3da958cf5"
    "2e35e863d2db37ea22b318d23d9911d36f585eb110e430123f3cd84d2692a4013bc7f59533e5da2083d8e6e8b96764eb8e8be599dc2361e7428460b8490200417b"
    "aa5bac10efaa5262301b3110f6da9e8bc9c4b62827c3d4f4070a8e341346a326a23f219d2a99298036615956bb85a60cf303d15d469c1ee837c29cba5dccb28d74"
    "e4ba0d83dac9400d72eecb1817cc60127203f1321e82b7a24f60c07f1804a9895cbb455a94694a5ef627b1c631760295dad53f0eed1714ba52d5a932bddd";
const std::string alice_ssk = "a1be54a56c7905c06abd2be177fc0c137a32278c9067550b0f0d93fb630d2428";
const std::string alice_pvt =
    "0426cd8b0a33af9b381ee53ebc6841aed5c1c98fb0d2beb9c7ff98d7c79808d1f566659f6b735016192dd9984df56e54f3f95c76ac4638c1f3d3228f3c752c8cc8";
const std::string bob_rsk =
    "04421d385f108bd51f66abbce40b899efe187dbb08085d9a535fca8766677db317812e48da407235d73399d4d2e2ed4f5a35d7694b64595ce0599e4d3592f5b57e"
    "de83890fd798aec2cd96f333d6139d9f7ecfecbb79b769f5fbbc6825beeb25999acdf6fb2edd369176f45db0caf5909aa81512e57064c46ae1c23df9284ffba557"
    "41cde0b7a8145fdbea76b4ee243d79bd70db4300c55570f342ca0df98e8f3b410e1df4ccbdd279403d3da06cad4c5db8d4e078a191a7a0545391e8ca72e51c7934"
    "48c4ba8be71fbac90a84ded3d6127c4d7438a3132f354b283d65da75a5070ecd96f02d694c505efcb05caf2290bf15ee45c15a0e652496b88acbaf1d26a3";
const std::string bob_ssk = "a36885736f21b6ceba48448093086f4ada1ce099bd77e3047c04529ac3f4d4eb";
const std::string bob_pvt =
    "049c203fda536ae9481eb7f3a1e4662d0adaa6a3b7d3fff0c2dfadd148a754af424d434253b62dcd08eb6aedb6cd091e09f8539d41d3ef2d0ce07e8ead352f2dd9";

kms_certificate vendor_certificate() {
  kms_certificate c;
  c.id = "kms.mydev.streamwide.com";
  c.version = "1.1.0";
  c.role = kms_role::root;
  c.kms_uri = "kms.mydev.streamwide.com";
  c.cert_uri = "cert1.kms.mydev.streamwide.com";
  c.issuer = "www.example.org";
  c.valid_from = parse_iso8601("2025-01-01T00:00:00Z").value();
  c.valid_to = parse_iso8601("2027-01-01T00:00:00Z").value();
  c.revoked = false;
  c.user_id_format = "2";
  c.user_key_period = 16777215;
  c.user_key_offset = 0;
  c.pub_enc_key = hex_bytes(vendor_z);
  c.pub_auth_key = hex_bytes(vendor_kpak);
  c.parameter_set = 1;
  c.kms_domains = {"streamwide.com", "example.org"};
  return c;
}

kms_key_set key_set(std::string uri, std::string uid_hex, const std::string& rsk,
                    const std::string& ssk, const std::string& pvt) {
  kms_key_set k;
  k.kms_uri = "kms.mydev.streamwide.com";
  k.cert_uri = "cert1.kms.mydev.streamwide.com";
  k.user_uri = std::move(uri);
  k.user_id = std::move(uid_hex);
  k.key_period_no = 236;
  k.revoked = false;
  k.user_decrypt_key = secret_bytes(hex_bytes(rsk));
  k.user_signing_key_ssk = secret_bytes(hex_bytes(ssk));
  k.user_pub_token_pvt = hex_bytes(pvt);
  return k;
}

kms_key_set alice() {
  return key_set("sip:alice@streamwide.com",
                 "b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4", alice_rsk,
                 alice_ssk, alice_pvt);
}
kms_key_set bob() {
  return key_set("sip:bob@streamwide.com",
                 "780851CDA91A9C33F941CD3A2831697E2893264754E363F8A0CEF827EB201A81", bob_rsk,
                 bob_ssk, bob_pvt);
}

kms_response_header header(std::string user) {
  kms_response_header h;
  h.user_uri = std::move(user);
  h.kms_uri = "kms.mydev.streamwide.com";
  h.time = parse_iso8601("2025-10-02T23:47:52Z").value();
  h.kms_id = "KMS-1";
  h.client_req_url = "https://kms.mydev.streamwide.com/keymanagement/identity/v1/init";
  return h;
}

std::string init_document() {
  return write_kms_init({header("sip:alice@streamwide.com"), vendor_certificate()}).value();
}

std::string key_prov_document() {
  kms_key_prov_response r;
  r.header = header("sip:alice@streamwide.com");
  r.key_sets.push_back(alice());
  r.key_sets.push_back(bob());
  return std::string(write_kms_key_prov(r).value().as_text());
}

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
  return s;
}

/// Remove the whole element <name …>…</name> (first occurrence).
std::string remove_element(std::string s, const std::string& name) {
  const auto start = s.find("<" + name);
  REQUIRE(start != std::string::npos);
  const std::string close = "</" + name + ">";
  const auto end = s.find(close, start);
  REQUIRE(end != std::string::npos);
  s.erase(start, end + close.size() - start);
  return s;
}

/// The element <name …>…</name> (first occurrence) as text.
std::string element_text(const std::string& s, const std::string& name) {
  const auto start = s.find("<" + name);
  const std::string close = "</" + name + ">";
  const auto end = s.find(close, start);
  return s.substr(start, end + close.size() - start);
}

template <class R>
void require_failure(const R& r, xml_error code, std::string_view where_part = {}) {
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message());
  REQUIRE(r.error().code == code);
  if (!where_part.empty()) REQUIRE(r.error().where.find(where_part) != std::string::npos);
}

}  // namespace

TEST_CASE("KmsInit: generate, then parse back every field", "[kms_xml]") {
  const std::string doc = init_document();
  // Namespace, attributes and children in schema order.
  REQUIRE(doc.find("<KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" Version=\"1.0.0\">") !=
          std::string::npos);
  REQUIRE(doc.find(
              "<KmsCertificate Id=\"kms.mydev.streamwide.com\" Version=\"1.1.0\" Role=\"Root\">") !=
          std::string::npos);
  const std::vector<std::string> order{
      "<CertUri>",    "<KmsUri>",       "<Issuer>",        "<ValidFrom>",     "<ValidTo>",
      "<Revoked>",    "<UserIdFormat>", "<UserKeyPeriod>", "<UserKeyOffset>", "<PubEncKey>",
      "<PubAuthKey>", "<ParameterSet>", "<KmsDomainList>"};
  const std::string cert = element_text(doc, "KmsCertificate");
  std::size_t last = 0;
  for (const auto& tag : order) {
    const auto pos = cert.find(tag);
    INFO(tag);
    REQUIRE(pos != std::string::npos);
    REQUIRE(pos > last);
    last = pos;
  }
  REQUIRE(cert.find("<ValidFrom>2025-01-01T00:00:00Z</ValidFrom>") != std::string::npos);

  const auto parsed = parse_kms_init(doc).value();
  REQUIRE(parsed.header.version == "1.0.0");
  REQUIRE(parsed.header.user_uri == "sip:alice@streamwide.com");
  REQUIRE(parsed.header.kms_uri == "kms.mydev.streamwide.com");
  REQUIRE(parsed.header.time == parse_iso8601("2025-10-02T23:47:52Z").value());
  REQUIRE(parsed.header.kms_id == std::optional<std::string>("KMS-1"));
  REQUIRE(parsed.header.client_req_url ==
          "https://kms.mydev.streamwide.com/keymanagement/identity/v1/init");
  const auto& c = parsed.certificate;
  const auto want = vendor_certificate();
  REQUIRE(c.id == want.id);
  REQUIRE(c.version == want.version);
  REQUIRE(c.role == kms_role::root);
  REQUIRE_FALSE(c.is_security_gateway.has_value());
  REQUIRE(c.cert_uri == want.cert_uri);
  REQUIRE(c.kms_uri == want.kms_uri);
  REQUIRE(c.issuer == want.issuer);
  REQUIRE(c.valid_from == want.valid_from);
  REQUIRE(c.valid_to == want.valid_to);
  REQUIRE(c.revoked == std::optional<bool>(false));
  REQUIRE(c.user_id_format == "2");
  REQUIRE(c.user_key_period == 16777215);
  REQUIRE(c.user_key_offset == 0);
  REQUIRE(to_hex(c.pub_enc_key) == vendor_z);
  REQUIRE(to_hex(c.pub_auth_key) == vendor_kpak);
  REQUIRE(c.parameter_set == std::optional<std::uint64_t>(1));
  REQUIRE(c.kms_domains == want.kms_domains);
  // Generate → parse → generate is a fixed point.
  REQUIRE(write_kms_init(parsed).value() == doc);
}

TEST_CASE("KmsCertificate: minimal, External role, stand-alone document", "[kms_xml]") {
  kms_certificate c;
  c.id = "x";
  c.role = kms_role::external;
  c.is_security_gateway = true;
  c.kms_uri = "kms.other.example";
  c.user_key_period = 2592000;
  c.user_key_offset = 7;
  c.pub_enc_key = hex_bytes(vendor_z);
  c.pub_auth_key = hex_bytes(vendor_kpak);
  const std::string doc = write_kms_certificate(c).value();
  REQUIRE(
      doc.find(
          "<KmsCertificate xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" Id=\"x\" Version=\"1.1.0\" Role=\"External\" "
          "IsSecurityGateway=\"true\">") != std::string::npos);
  for (const char* absent :
       {"CertUri", "Issuer", "ValidFrom", "ValidTo", "Revoked", "ParameterSet", "KmsDomainList"})
    REQUIRE(doc.find(absent) == std::string::npos);
  const auto back = parse_kms_certificate(doc).value();
  REQUIRE(back.role == kms_role::external);
  REQUIRE(back.is_security_gateway == std::optional<bool>(true));
  REQUIRE(back.user_key_offset == 7);
  REQUIRE_FALSE(back.cert_uri.has_value());
  REQUIRE(back.kms_domains.empty());
}

TEST_CASE("parsing tolerates what XML allows: prefixes, case, whitespace, comments, extensions",
          "[kms_xml]") {
  std::string upper_z = vendor_z;
  std::transform(upper_z.begin(), upper_z.end(), upper_z.begin(),
                 [](char ch) { return static_cast<char>(std::toupper(ch)); });
  const std::string doc =
      "<?xml version=\"1.0\"?>\n"
      "<!-- a comment -->\n"
      "<k:KmsResponse xmlns:k=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" xmlns:ext=\"urn:example:ext\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" k:Version=\"x\" Version=\"1.0.0\">\n"
      "  <k:UserUri> sip:alice@streamwide.com </k:UserUri>\n"
      "  <k:KmsUri>kms.mydev.streamwide.com</k:KmsUri>\n"
      "  <k:Time>2025-10-02T23:47:52.250+00:00</k:Time>\n"
      "  <ext:Whatever><ext:Deep/></ext:Whatever>\n"
      "  <k:ClientReqUrl>https://kms/init</k:ClientReqUrl>\n"
      "  <k:KmsMessage><k:KmsInit>\n"
      "    <KmsCertificate xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\" Id=\"a\" Version=\"1.1.0\" Role=\"Root\" IsSecurityGateway=\"0\">\n"
      "      <KmsUri>kms.mydev.streamwide.com</KmsUri>\n"
      "      <!-- keys follow -->\n"
      "      <UserIdFormat>2</UserIdFormat>\n"
      "      <UserKeyPeriod>+16777215</UserKeyPeriod>\n"
      "      <UserKeyOffset>0</UserKeyOffset>\n"
      "      <PubEncKey xsi:type=\"k:KeyContentType\">\n        " +
      upper_z +
      "\n      </PubEncKey>\n"
      "      <PubAuthKey><![CDATA[" +
      vendor_kpak +
      "]]></PubAuthKey>\n"
      "      <ext:Extension>ignored</ext:Extension>\n"
      "    </KmsCertificate>\n"
      "  </k:KmsInit></k:KmsMessage>\n"
      "  <Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo/></Signature>\n"
      "</k:KmsResponse>\n";
  const auto r = parse_kms_init(doc);
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.has_value());
  REQUIRE(r->header.user_uri == "sip:alice@streamwide.com");
  REQUIRE(r->header.time.fraction == 0x40000000u);
  REQUIRE_FALSE(r->header.kms_id.has_value());
  REQUIRE(r->certificate.is_security_gateway == std::optional<bool>(false));
  REQUIRE(r->certificate.user_key_period == 16777215);
  REQUIRE(to_hex(r->certificate.pub_enc_key) == vendor_z);
  REQUIRE(to_hex(r->certificate.pub_auth_key) == vendor_kpak);
}

TEST_CASE("KmsKeyProv: generate, parse, validate the vendor key sets against the certificate",
          "[kms_xml]") {
  const std::string doc = key_prov_document();
  REQUIRE(doc.find("<KmsKeyProv Version=\"1.0.0\">") != std::string::npos);
  REQUIRE(doc.find("<KmsKeySet Version=\"1.1.0\">") != std::string::npos);
  const std::vector<std::string> order{
      "<KmsUri>",  "<CertUri>",        "<UserUri>",           "<UserID>",         "<KeyPeriodNo>",
      "<Revoked>", "<UserDecryptKey>", "<UserSigningKeySSK>", "<UserPubTokenPVT>"};
  const std::string ks = element_text(doc, "KmsKeySet");
  std::size_t last = 0;
  for (const auto& tag : order) {
    const auto pos = ks.find(tag);
    INFO(tag);
    REQUIRE(pos != std::string::npos);
    REQUIRE(pos > last);
    last = pos;
  }
  const auto cert = vendor_certificate();
  const auto parsed = parse_kms_key_prov(doc, cert).value();
  REQUIRE(parsed.key_prov_version == "1.0.0");
  REQUIRE(parsed.key_sets.size() == 2);
  const auto& a = parsed.key_sets[0];
  REQUIRE(a.user_uri == "sip:alice@streamwide.com");
  REQUIRE(a.key_period_no == 236);
  REQUIRE(to_hex(a.user_decrypt_key.span()) == alice_rsk);
  REQUIRE(to_hex(a.user_signing_key_ssk.span()) == alice_ssk);
  REQUIRE(to_hex(a.user_pub_token_pvt) == alice_pvt);
  const auto& b = parsed.key_sets[1];
  REQUIRE(
      b.user_id ==
      "780851CDA91A9C33F941CD3A2831697E2893264754E363F8A0CEF827EB201A81");  // upper case accepted
  REQUIRE(to_hex(b.user_decrypt_key.span()) == bob_rsk);
  REQUIRE(to_hex(b.user_signing_key_ssk.span()) == bob_ssk);
  REQUIRE(to_hex(b.user_pub_token_pvt) == bob_pvt);
  // The I_MESSAGE's T lies in period 236; the next period does not match.
  REQUIRE(key_set_covers(b, cert, from_ntp_wire(0xEC898DA800000000ull)));
  REQUIRE_FALSE(key_set_covers(b, cert, ntp_time{237ull * 16777215ull, 0}));
  // No key sets at all is a valid (empty) provision.
  kms_key_prov_response empty;
  empty.header = header("sip:alice@streamwide.com");
  REQUIRE(parse_kms_key_prov_unvalidated(write_kms_key_prov(empty).value().as_text())
              .value()
              .key_sets.empty());
}

TEST_CASE("key set validation failures", "[kms_xml]") {
  const auto cert = vendor_certificate();
  REQUIRE_FALSE(validate_key_set(alice(), cert).has_value());
  {
    auto k = alice();
    k.key_period_no = 237;  // key set for the wrong period: the UserID no longer matches
    const auto f = validate_key_set(k, cert);
    REQUIRE(f.has_value());
    REQUIRE(f->code == xml_error::user_id_mismatch);
  }
  {
    auto k = alice();
    k.user_uri = "sip:bob@streamwide.com";
    REQUIRE(validate_key_set(k, cert)->code == xml_error::user_id_mismatch);
  }
  {
    auto k = alice();
    k.user_id += "00";
    REQUIRE(validate_key_set(k, cert)->code == xml_error::user_id_mismatch);
  }
  {
    auto k = alice();
    k.kms_uri = "kms.other";
    REQUIRE(validate_key_set(k, cert)->code == xml_error::kms_uri_mismatch);
  }
  {
    auto k = alice();
    k.cert_uri = "cert2";
    REQUIRE(validate_key_set(k, cert)->code == xml_error::cert_uri_mismatch);
  }
  {
    auto k = alice();
    k.revoked = true;
    REQUIRE(validate_key_set(k, cert)->code == xml_error::revoked);
    auto c = cert;
    c.revoked = true;
    REQUIRE(validate_key_set(alice(), c)->code == xml_error::revoked);
  }
  {
    auto c = cert;
    c.user_id_format = "240";
    REQUIRE(validate_key_set(alice(), c)->code == xml_error::unsupported_user_id_format);
    REQUIRE(validate_key_set(alice(), cert, rfc6509_format{})->code ==
            xml_error::unsupported_user_id_format);
  }
  {
    // UserIdFormat 1 (RFC 6509): UserID is compared as the hex of "YYYY-MM\0tel:…\0".
    auto c = cert;
    c.user_id_format = "1";
    kms_key_set k = alice();
    k.user_uri = "tel:+447700900123";
    k.key_period_no = year_month{2011, 2}.period_number();
    k.user_id = "323031312D30320074656C3A2B34343737303039303031323300";
    // (Alice's vendor keys belong to her hashed UID, so only the UserID comparison is tested.)
    REQUIRE_FALSE(validate_key_set(k, c, no_curve_checks{}).has_value());
    REQUIRE(validate_key_set(k, c)->code == xml_error::invalid_key);
    k.key_period_no += 1;
    REQUIRE(validate_key_set(k, c, no_curve_checks{})->code == xml_error::user_id_mismatch);
  }
  // A parse with the certificate points at the failing key set.
  kms_key_prov_response r;
  r.header = header("sip:alice@streamwide.com");
  r.key_sets.push_back(alice());
  r.key_sets.push_back(bob());
  r.key_sets[1].key_period_no = 235;
  const std::string doc(write_kms_key_prov(r).value().as_text());
  const auto f = parse_kms_key_prov(doc, cert);
  require_failure(f, xml_error::user_id_mismatch, "KmsKeySet[2]/UserID");
}

namespace {
// A stand-in for the key checks that rejects chosen keys, to show the hook is consulted at the
// right places (the real checks, curve_checks, are tested in test_exchange.cpp).
struct rejecting_checks {
  bool reject_certificate = false;
  bool reject_key_set = false;
  [[nodiscard]] std::optional<std::string> check_certificate_keys(const kms_certificate&) const {
    if (reject_certificate) return std::string("Z not on the curve");
    return std::nullopt;
  }
  [[nodiscard]] std::optional<std::string> check_key_set_keys(const kms_key_set& k,
                                                              const kms_certificate&) const {
    if (reject_key_set && k.user_uri == "sip:bob@streamwide.com")
      return std::string("RSK does not validate");
    return std::nullopt;
  }
};
static_assert(kms_key_checks<rejecting_checks>);
}  // namespace

TEST_CASE("the key-validation hook is consulted", "[kms_xml]") {
  const std::string init = init_document();
  REQUIRE(parse_kms_init(init, rejecting_checks{}).has_value());
  const auto f = parse_kms_init(init, rejecting_checks{true, false});
  require_failure(f, xml_error::invalid_key, "KmsCertificate");
  REQUIRE(f.error().detail == "Z not on the curve");
  require_failure(
      parse_kms_certificate(element_text(init, "KmsCertificate")
                                .insert(15, " xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\""),
                            rejecting_checks{true, false}),
      xml_error::invalid_key);
  const std::string prov = key_prov_document();
  REQUIRE(parse_kms_key_prov(prov, vendor_certificate(), rejecting_checks{}).has_value());
  const auto g = parse_kms_key_prov(prov, vendor_certificate(), rejecting_checks{false, true});
  require_failure(g, xml_error::invalid_key, "KmsKeySet[2]");
}

TEST_CASE("malformed and misplaced documents", "[kms_xml]") {
  const std::string init = init_document();
  require_failure(parse_kms_init(""), xml_error::malformed_xml);
  require_failure(parse_kms_init("<KmsResponse"), xml_error::malformed_xml);
  require_failure(parse_kms_init("not xml at all"), xml_error::malformed_xml);
  require_failure(parse_kms_init(replace_once(replace_once(init, "<KmsResponse ", "<KmsRequest "),
                                              "</KmsResponse>", "</KmsRequest>")),
                  xml_error::wrong_root_element);
  require_failure(parse_kms_certificate(init), xml_error::wrong_root_element);
  require_failure(
      parse_kms_init(replace_once(init, "urn:3gpp:ns:mcsecKMSInterface:1.0", "urn:other")),
      xml_error::wrong_namespace);
  require_failure(
      parse_kms_init(replace_once(init, " xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\"", "")),
      xml_error::wrong_namespace);
  require_failure(parse_kms_init(replace_once(init, "<UserUri>", "<q:Foo/><UserUri>")),
                  xml_error::unbound_prefix);
  // A key provision is not a KmsInit and vice versa.
  require_failure(parse_kms_init(key_prov_document()), xml_error::unsupported_message,
                  "KmsKeyProv");
  require_failure(parse_kms_key_prov_unvalidated(init), xml_error::unsupported_message, "KmsInit");
  // A SignedKmsCertificate wraps a KmsCertificate (accepted, signature reported as unverified);
  // one that is a renamed KmsCertificate is not a wrapper.
  require_failure(
      parse_kms_init(replace_once(replace_once(init, "<KmsCertificate ", "<SignedKmsCertificate "),
                                  "</KmsCertificate>", "</SignedKmsCertificate>")),
      xml_error::unexpected_attribute, "SignedKmsCertificate/@Role");
  {
    const auto wrapped = parse_kms_init(replace_once(
        replace_once(init, "<KmsCertificate ", "<SignedKmsCertificate><KmsCertificate "),
        "</KmsCertificate>", "</KmsCertificate></SignedKmsCertificate>"));
    REQUIRE(wrapped.has_value());
    REQUIRE(wrapped->certificate.signed_by == std::optional<signed_wrapper>(signed_wrapper{}));
  }
  // A carried key in the clear (no EncKeyContentType) is refused; carried keys are tested below.
  require_failure(parse_kms_init(replace_once(init, "</KmsInit>", "<NewTransportKey/></KmsInit>")),
                  xml_error::bad_attribute_value, "NewTransportKey/@xsi:type");
  require_failure(parse_kms_init(remove_element(init, "KmsMessage")), xml_error::missing_element,
                  "KmsMessage");
  require_failure(parse_kms_init(replace_once(init, "<KmsInit>", "<KmsLookup/><KmsInit>")),
                  xml_error::unsupported_message);
  // Stray text.
  require_failure(parse_kms_init(replace_once(init, "<UserUri>", "junk<UserUri>")),
                  xml_error::unexpected_text);
  // Element content where text is expected.
  require_failure(parse_kms_init(replace_once(init, "<UserIdFormat>2", "<UserIdFormat><b>2</b>")),
                  xml_error::unexpected_element, "UserIdFormat/b");
  // KmsError answers.
  const std::string err = replace_once(
      init, "</KmsResponse>",
      "  <KmsError><ErrorCode>403</ErrorCode><ErrorMsg>denied</ErrorMsg></KmsError>\n</KmsResponse>");
  const auto e = parse_kms_init(err);
  require_failure(e, xml_error::kms_error_response);
  REQUIRE(e.error().detail == "code 403: denied");
}

TEST_CASE("truncation at every length fails cleanly", "[kms_xml]") {
  const std::string init = init_document();
  const std::string prov = key_prov_document();
  const auto cut = init.rfind("</KmsResponse>");
  for (std::size_t n = 0; n < cut; ++n)
    REQUIRE_FALSE(parse_kms_init(std::string_view(init).substr(0, n)).has_value());
  const auto cut2 = prov.rfind("</KmsResponse>");
  for (std::size_t n = 0; n < cut2; n += 7)
    REQUIRE_FALSE(parse_kms_key_prov_unvalidated(std::string_view(prov).substr(0, n)).has_value());
}

TEST_CASE(
    "every octet of every key, made non-hex, is rejected; any byte flip parses or fails cleanly",
    "[kms_xml]") {
  const std::string prov = key_prov_document();
  std::size_t key_digits = 0;
  for (const std::string* key :
       {&alice_rsk, &alice_ssk, &alice_pvt, &bob_rsk, &bob_ssk, &bob_pvt}) {
    const auto start = prov.find(*key);
    REQUIRE(start != std::string::npos);
    for (std::size_t i = 0; i < key->size(); ++i) {
      std::string bad = prov;
      bad[start + i] = 'z';
      const auto r = parse_kms_key_prov_unvalidated(bad);
      if (r.has_value() || r.error().code != xml_error::bad_hex)
        FAIL("not rejected as bad hex at offset " << start + i);
      ++key_digits;
    }
  }
  REQUIRE(key_digits == std::size_t{2} * 2 * (257 + 32 + 65));
  // Flip each byte of the KmsInit document (three ways): the parser must return, value or error,
  // without crashing (the sanitizer build checks memory safety), and a flip inside a key is never
  // accepted as-is.
  const std::string init = init_document();
  const auto z_start = init.find(vendor_z);
  std::size_t accepted = 0, rejected = 0;
  for (std::size_t i = 0; i < init.size(); ++i) {
    for (unsigned char x : {0x01, 0x20, 0x80}) {
      std::string m = init;
      m[i] = static_cast<char>(m[i] ^ x);
      const auto r = parse_kms_init(m);
      if (r) {
        ++accepted;
        const bool case_flip =
            x == 0x20 && init[i] >= 'a' && init[i] <= 'f';  // hex is case-insensitive
        if (!case_flip && i >= z_start && i < z_start + vendor_z.size() &&
            to_hex(r->certificate.pub_enc_key) == vendor_z)
          FAIL("a flipped Z digit parsed to the original key at offset " << i);
      } else {
        ++rejected;
        REQUIRE_FALSE(r.error().message().empty());
      }
    }
  }
  REQUIRE(rejected > 0);
  REQUIRE(accepted + rejected == 3 * init.size());
}

TEST_CASE("every required element missing, duplicated, or moved", "[kms_xml]") {
  const std::string init = init_document();
  for (const char* name : {"UserUri", "KmsUri", "Time", "ClientReqUrl", "KmsCertificate"}) {
    INFO(name);
    require_failure(parse_kms_init(remove_element(init, name)), xml_error::missing_element, name);
  }
  const std::string cert = element_text(init, "KmsCertificate");
  for (const char* name :
       {"KmsUri", "UserIdFormat", "UserKeyPeriod", "UserKeyOffset", "PubEncKey", "PubAuthKey"}) {
    INFO(name);
    const std::string without = replace_once(init, cert, remove_element(cert, name));
    require_failure(parse_kms_init(without), xml_error::missing_element,
                    std::string("KmsCertificate/") + name);
  }
  for (const char* name : {"CertUri", "KmsUri", "Issuer", "ValidFrom", "ValidTo", "Revoked",
                           "UserIdFormat", "UserKeyPeriod", "UserKeyOffset", "PubEncKey",
                           "PubAuthKey", "ParameterSet", "KmsDomainList"}) {
    INFO(name);
    const std::string el = element_text(cert, name);
    const std::string doubled = replace_once(init, cert, replace_once(cert, el, el + el));
    require_failure(parse_kms_init(doubled), xml_error::duplicate_element, name);
  }
  // Optional elements may be absent.
  for (const char* name :
       {"CertUri", "Issuer", "ValidFrom", "ValidTo", "Revoked", "ParameterSet", "KmsDomainList"}) {
    INFO(name);
    REQUIRE(parse_kms_init(replace_once(init, cert, remove_element(cert, name))).has_value());
  }
  // Out of order: PubAuthKey before PubEncKey; CertUri after KmsUri.
  {
    const std::string enc = element_text(cert, "PubEncKey"),
                      auth = element_text(cert, "PubAuthKey");
    const std::string swapped = replace_once(replace_once(cert, enc, "@@"), auth, enc);
    require_failure(parse_kms_init(replace_once(init, cert, replace_once(swapped, "@@", auth))),
                    xml_error::missing_element);
    const std::string curi = element_text(cert, "CertUri"), kuri = element_text(cert, "KmsUri");
    const std::string moved = replace_once(replace_once(cert, curi, ""), kuri, kuri + curi);
    const auto m = parse_kms_init(replace_once(init, cert, moved));
    require_failure(m, xml_error::missing_element, "UserIdFormat");
    REQUIRE(m.error().detail == "found CertUri instead");
    // An optional element moved behind the last one is left over: unexpected.
    const std::string issuer = element_text(cert, "Issuer");
    const std::string late = replace_once(replace_once(cert, issuer, ""), "</KmsCertificate>",
                                          issuer + "</KmsCertificate>");
    require_failure(parse_kms_init(replace_once(init, cert, late)), xml_error::unexpected_element,
                    "Issuer");
  }
  // Unknown KMS-namespace element.
  const auto bogus =
      parse_kms_init(replace_once(init, "<PubAuthKey>", "<Bogus>1</Bogus><PubAuthKey>"));
  require_failure(bogus, xml_error::missing_element, "PubAuthKey");
  REQUIRE(bogus.error().detail == "found Bogus instead");
  require_failure(
      parse_kms_init(replace_once(init, "</KmsCertificate>", "<Bogus>1</Bogus></KmsCertificate>")),
      xml_error::unexpected_element, "KmsCertificate/Bogus");
  // An empty KmsDomainList.
  require_failure(
      parse_kms_init(replace_once(init, element_text(cert, "KmsDomainList"), "<KmsDomainList/>")),
      xml_error::missing_element, "KmsDomain");

  const std::string prov = key_prov_document();
  const std::string ks = element_text(prov, "KmsKeySet");
  for (const char* name : {"KmsUri", "UserUri", "UserID", "KeyPeriodNo", "UserDecryptKey",
                           "UserSigningKeySSK", "UserPubTokenPVT"}) {
    INFO(name);
    require_failure(
        parse_kms_key_prov_unvalidated(replace_once(prov, ks, remove_element(ks, name))),
        xml_error::missing_element, std::string("KmsKeySet/") + name);
    const std::string el = element_text(ks, name);
    require_failure(
        parse_kms_key_prov_unvalidated(replace_once(prov, ks, replace_once(ks, el, el + el))),
        xml_error::duplicate_element, std::string("KmsKeySet/") + name);
  }
}

TEST_CASE("attributes and simple values", "[kms_xml]") {
  const std::string init = init_document();
  require_failure(parse_kms_init(replace_once(init, " Role=\"Root\"", "")),
                  xml_error::missing_attribute, "@Role");
  // Id and Version are optional in the schema (kms-xml-interop tests cover the deployed shapes).
  REQUIRE(parse_kms_init(replace_once(init, " Id=\"kms.mydev.streamwide.com\"", ""))
              ->certificate.id.empty());
  REQUIRE(
      parse_kms_init(replace_once(init, " Version=\"1.1.0\"", ""))->certificate.version.empty());
  REQUIRE(parse_kms_init(replace_once(init, " Version=\"1.0.0\"", ""))->header.version.empty());
  require_failure(parse_kms_init(replace_once(init, " Version=\"1.0.0\"", " Version=\" \"")),
                  xml_error::empty_value, "KmsResponse/@Version");
  require_failure(parse_kms_init(replace_once(init, "Role=\"Root\"", "Role=\"root\"")),
                  xml_error::bad_attribute_value, "@Role");
  require_failure(parse_kms_init(replace_once(init, "Role=\"Root\"",
                                              "Role=\"Root\" IsSecurityGateway=\"yes\"")),
                  xml_error::bad_attribute_value, "@IsSecurityGateway");
  require_failure(
      parse_kms_init(replace_once(init, "Role=\"Root\"", "Role=\"Root\" Colour=\"blue\"")),
      xml_error::unexpected_attribute, "@Colour");
  require_failure(parse_kms_init(replace_once(init, "<UserIdFormat>", "<UserIdFormat a=\"1\">")),
                  xml_error::unexpected_attribute);
  require_failure(
      parse_kms_init(replace_once(init, "<UserKeyPeriod>16777215", "<UserKeyPeriod>-1")),
      xml_error::bad_integer, "UserKeyPeriod");
  require_failure(
      parse_kms_init(replace_once(init, "<UserKeyPeriod>16777215", "<UserKeyPeriod>1e6")),
      xml_error::bad_integer);
  require_failure(parse_kms_init(replace_once(init, "<UserKeyPeriod>16777215",
                                              "<UserKeyPeriod>18446744073709551616")),
                  xml_error::bad_integer);
  REQUIRE(parse_kms_init(
              replace_once(init, "<UserKeyPeriod>16777215", "<UserKeyPeriod>18446744073709551615"))
              .has_value());
  require_failure(parse_kms_init(replace_once(init, "<UserKeyPeriod>16777215", "<UserKeyPeriod>0")),
                  xml_error::bad_value, "UserKeyPeriod");
  require_failure(parse_kms_init(replace_once(init, "<UserKeyOffset>0", "<UserKeyOffset>")),
                  xml_error::empty_value, "UserKeyOffset");
  require_failure(parse_kms_init(replace_once(init, "<Revoked>false", "<Revoked>no")),
                  xml_error::bad_boolean, "Revoked");
  require_failure(parse_kms_init(replace_once(init, "<ValidTo>2027-01-01T00:00:00Z",
                                              "<ValidTo>2027-13-01T00:00:00Z")),
                  xml_error::bad_datetime, "ValidTo");
  require_failure(
      parse_kms_init(replace_once(init, "<Time>2025-10-02T23:47:52Z", "<Time>yesterday")),
      xml_error::bad_datetime, "Time");
  require_failure(parse_kms_init(replace_once(init, "<KmsUri>kms.mydev.streamwide.com</KmsUri>",
                                              "<KmsUri>  </KmsUri>")),
                  xml_error::empty_value, "KmsUri");
}

TEST_CASE("key values: hex, lengths, point encoding, encryption", "[kms_xml]") {
  const std::string init = init_document();
  // Bad hex digit at several positions of each certificate key.
  for (std::size_t pos : {std::size_t{0}, std::size_t{1}, std::size_t{100}, vendor_z.size() - 1}) {
    std::string z = vendor_z;
    z[pos] = 'g';
    require_failure(parse_kms_init(replace_once(init, vendor_z, z)), xml_error::bad_hex,
                    "PubEncKey");
  }
  {
    std::string k = vendor_kpak;
    k[64] = ' ';
    require_failure(parse_kms_init(replace_once(init, vendor_kpak, k)), xml_error::bad_hex,
                    "PubAuthKey");
  }
  // Lengths: one octet short or long, odd digit count.
  require_failure(
      parse_kms_init(replace_once(init, vendor_z, vendor_z.substr(0, vendor_z.size() - 2))),
      xml_error::wrong_key_length, "PubEncKey");
  require_failure(parse_kms_init(replace_once(init, vendor_z, vendor_z + "00")),
                  xml_error::wrong_key_length, "PubEncKey");
  require_failure(parse_kms_init(replace_once(init, vendor_z, vendor_z.substr(1))),
                  xml_error::bad_hex, "PubEncKey");
  require_failure(parse_kms_init(replace_once(init, vendor_kpak, vendor_kpak.substr(0, 128))),
                  xml_error::wrong_key_length, "PubAuthKey");
  require_failure(parse_kms_init(replace_once(init, vendor_kpak, "")), xml_error::empty_value,
                  "PubAuthKey");
  // Not an uncompressed point.
  require_failure(parse_kms_init(replace_once(init, vendor_z, "02" + vendor_z.substr(2))),
                  xml_error::bad_point_encoding, "PubEncKey");
  require_failure(parse_kms_init(replace_once(init, vendor_kpak, "00" + vendor_kpak.substr(2))),
                  xml_error::bad_point_encoding, "PubAuthKey");

  const std::string prov = key_prov_document();
  require_failure(
      parse_kms_key_prov_unvalidated(replace_once(prov, alice_rsk, alice_rsk.substr(2))),
      xml_error::wrong_key_length, "UserDecryptKey");
  require_failure(
      parse_kms_key_prov_unvalidated(replace_once(prov, alice_rsk, "05" + alice_rsk.substr(2))),
      xml_error::bad_point_encoding, "UserDecryptKey");
  require_failure(parse_kms_key_prov_unvalidated(replace_once(prov, alice_ssk, alice_ssk + "00")),
                  xml_error::wrong_key_length, "UserSigningKeySSK");
  require_failure(
      parse_kms_key_prov_unvalidated(replace_once(prov, alice_ssk, "x" + alice_ssk.substr(1))),
      xml_error::bad_hex, "UserSigningKeySSK");
  require_failure(
      parse_kms_key_prov_unvalidated(replace_once(prov, alice_pvt, alice_pvt.substr(0, 66))),
      xml_error::wrong_key_length, "UserPubTokenPVT");
  require_failure(
      parse_kms_key_prov_unvalidated(replace_once(prov, alice_pvt, "03" + alice_pvt.substr(2))),
      xml_error::bad_point_encoding, "UserPubTokenPVT");
  // A transport-key-encrypted key.
  require_failure(parse_kms_key_prov_unvalidated(replace_once(
                      prov, alice_ssk,
                      "<xenc:EncryptedKey xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\"/>")),
                  xml_error::encrypted_key_unsupported, "UserSigningKeySSK");
}

TEST_CASE("the writers refuse what the parsers would refuse", "[kms_xml]") {
  {
    auto c = vendor_certificate();
    c.pub_enc_key.pop_back();
    require_failure(write_kms_init({header("u"), c}), xml_error::wrong_key_length, "PubEncKey");
    c = vendor_certificate();
    c.pub_auth_key[0] = 0x02;
    require_failure(write_kms_init({header("u"), c}), xml_error::bad_point_encoding, "PubAuthKey");
    c = vendor_certificate();
    c.user_key_period = 0;
    require_failure(write_kms_init({header("u"), c}), xml_error::bad_value, "UserKeyPeriod");
    c = vendor_certificate();
    c.kms_uri.clear();
    require_failure(write_kms_certificate(c), xml_error::empty_value, "KmsUri");
    c = vendor_certificate();
    c.valid_to = ntp_time{~std::uint64_t{0}, 0};
    require_failure(write_kms_certificate(c), xml_error::bad_datetime, "ValidTo");
    require_failure(write_kms_init({header(""), vendor_certificate()}), xml_error::empty_value,
                    "UserUri");
  }
  kms_key_prov_response r;
  r.header = header("sip:alice@streamwide.com");
  r.key_sets.push_back(alice());
  r.key_sets[0].user_signing_key_ssk = secret_bytes(hex_bytes("00"));
  require_failure(write_kms_key_prov(r), xml_error::wrong_key_length, "UserSigningKeySSK");
  r.key_sets[0] = alice();
  r.key_sets[0].user_decrypt_key = secret_bytes();
  require_failure(write_kms_key_prov(r), xml_error::wrong_key_length, "UserDecryptKey");
  r.key_sets[0] = alice();
  r.key_sets[0].user_id.clear();
  require_failure(write_kms_key_prov(r), xml_error::empty_value, "UserID");
}

TEST_CASE("constant-time hex helpers agree with a plain decoder", "[kms_xml]") {
  for (int c = 0; c < 256; ++c) {
    unsigned bad = 0;
    const unsigned v = xml::detail::hex_value_ct(static_cast<char>(c), bad);
    const bool is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    INFO(c);
    REQUIRE((bad == 0) == is_hex);
    if (is_hex) REQUIRE(v == static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10));
  }
  for (unsigned v = 0; v < 16; ++v) REQUIRE(xml::detail::hex_digit_ct(v) == "0123456789abcdef"[v]);
  std::vector<std::uint8_t> all(256);
  for (std::size_t i = 0; i < 256; ++i) all[i] = static_cast<std::uint8_t>(i);
  const auto hex = xml::detail::encode_hex_ct(all);
  REQUIRE(hex.as_text().substr(0, 512) == to_hex(all));
  REQUIRE(hex.as_text()[512] == '\0');
  std::vector<std::uint8_t> back(256);
  REQUIRE_FALSE(xml::detail::decode_hex_ct(hex.as_text().substr(0, 512), back).has_value());
  REQUIRE(back == all);
}

namespace {

// A stand-in for the TrK key wrap (kms_security/transport_keys.hpp, tested with AES in [trk]):
// the CipherValue is the hex of the key XOR 0x5c, enough to see the document carry it.
key_encryptor xor_encryptor() {
  return [](std::string_view, std::span<const std::uint8_t> plain,
            bool) -> skm::result<encrypted_key_text, std::string> {
    std::vector<std::uint8_t> x(plain.begin(), plain.end());
    for (auto& b : x) b ^= 0x5c;
    return encrypted_key_text{"urn:test:xor", "tk.1.alice", to_hex(x), ""};
  };
}

key_decryptor xor_decryptor() {
  return [](const key_decrypt_request& r) -> skm::result<secret_bytes, std::string> {
    const auto x = hex_bytes(r.encrypted.cipher_value);
    if (x.size() != r.octets) return skm::unexpected{std::string("wrong length")};
    secret_bytes out(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) out.span()[i] = x[i] ^ 0x5c;
    return out;
  };
}

carried_key make_carried(std::string name, std::uint8_t seed) {
  carried_key k{std::move(name), secret_bytes(carried_key_octets)};
  for (std::size_t i = 0; i < carried_key_octets; ++i)
    k.key.span()[i] = static_cast<std::uint8_t>(seed + i);
  return k;
}

}  // namespace

TEST_CASE("KmsInit carries NewTransportKey and NewIntegrityKey (KmsInitTkIkType)", "[kms_xml]") {
  kms_init_response r{header("sip:alice@streamwide.com"), vendor_certificate()};
  r.new_transport_key = make_carried("tk.2.sip:alice@streamwide.com", 0x10);
  r.new_integrity_key = make_carried("ik.2.sip:alice@streamwide.com", 0x80);
  kms_write_options w;
  w.encrypt_keys = xor_encryptor();
  const std::string doc = write_kms_init(r, w).value();
  // After the certificate, TrK before InK, the element typed KmsInitTkIkType.
  const auto cert_end = doc.find("</KmsCertificate>");
  const auto tk = doc.find("<NewTransportKey");
  const auto ik = doc.find("<NewIntegrityKey");
  REQUIRE(cert_end != std::string::npos);
  REQUIRE(cert_end < tk);
  REQUIRE(tk < ik);
  REQUIRE(doc.find("xsi:type=\"KmsInitTkIkType\"") < doc.find("<KmsCertificate"));
  REQUIRE(doc.find("<xenc:CarriedKeyName>tk.2.sip:alice@streamwide.com</xenc:CarriedKeyName>") !=
          std::string::npos);
  REQUIRE(doc.find(to_hex(r.new_transport_key->key.span())) == std::string::npos);

  kms_parse_options o;
  o.decrypt_keys = xor_decryptor();
  const auto back = parse_kms_init(doc, curve_checks{}, o).value();
  REQUIRE(back.new_transport_key->name == r.new_transport_key->name);
  REQUIRE(to_hex(back.new_transport_key->key.span()) == to_hex(r.new_transport_key->key.span()));
  REQUIRE(back.new_integrity_key->name == r.new_integrity_key->name);
  REQUIRE(to_hex(back.new_integrity_key->key.span()) == to_hex(r.new_integrity_key->key.span()));
  REQUIRE(write_kms_init(back, w).value() == doc);
  // Only one of them.
  kms_init_response only_ik{r.header, r.certificate};
  only_ik.new_integrity_key = r.new_integrity_key;
  const auto one = parse_kms_init(write_kms_init(only_ik, w).value(), curve_checks{}, o).value();
  REQUIRE_FALSE(one.new_transport_key.has_value());
  REQUIRE(one.new_integrity_key->name == r.new_integrity_key->name);

  SECTION("refusals") {
    // Never written in the clear, always named, 32 octets.
    require_failure(write_kms_init(r), xml_error::encrypted_key_unsupported,
                    "KmsInit/NewTransportKey");
    kms_init_response unnamed = r;
    unnamed.new_transport_key->name.clear();
    require_failure(write_kms_init(unnamed, w), xml_error::empty_value, "CarriedKeyName");
    kms_init_response short_key = r;
    short_key.new_integrity_key->key = secret_bytes(16);
    require_failure(write_kms_init(short_key, w), xml_error::wrong_key_length,
                    "KmsInit/NewIntegrityKey");
    // Without a decryptor, with the wrong length, without or with an empty CarriedKeyName.
    require_failure(parse_kms_init(doc), xml_error::encrypted_key_unsupported, "NewTransportKey");
    const std::string wrapped_tk = to_hex(make_carried("", 0x10).key.span());
    std::vector<std::uint8_t> x = hex_bytes(wrapped_tk);
    for (auto& b : x) b ^= 0x5c;
    const std::string cv = to_hex(x);
    REQUIRE(doc.find(cv) != std::string::npos);
    const auto e = parse_kms_init(replace_once(doc, cv, cv.substr(0, 48)), curve_checks{}, o);
    REQUIRE_FALSE(e.has_value());
    REQUIRE(e.error().where.find("NewTransportKey") != std::string::npos);
    require_failure(parse_kms_init(replace_once(doc,
                                                "<xenc:CarriedKeyName>tk.2.sip:alice@streamwide."
                                                "com</xenc:CarriedKeyName>",
                                                ""),
                                   curve_checks{}, o),
                    xml_error::missing_element, "NewTransportKey/EncryptedKey/CarriedKeyName");
    require_failure(parse_kms_init(replace_once(doc, ">tk.2.sip:alice@streamwide.com<", "> <"),
                                   curve_checks{}, o),
                    xml_error::missing_element, "CarriedKeyName");
    // Out of order, twice, or in a type that does not allow them.
    const auto tk_end = doc.find("</NewTransportKey>") + 18;
    const std::string tk_elem = doc.substr(tk, tk_end - tk);
    const std::string swapped =
        replace_once(replace_once(doc, tk_elem, ""), "</KmsInit>", tk_elem + "</KmsInit>");
    REQUIRE_FALSE(parse_kms_init(swapped, curve_checks{}, o).has_value());
    REQUIRE_FALSE(parse_kms_init(replace_once(doc, tk_elem, tk_elem + tk_elem), curve_checks{}, o)
                      .has_value());
    // The generic response reader (kms_request.hpp) does not drop them: refused.
    require_failure(parse_kms_response(doc, curve_checks{}, o), xml_error::unsupported_message,
                    "KmsInit");
    require_failure(parse_kms_init(replace_once(doc, "\"KmsInitTkIkType\"", "\"KmsCertCacheType\""),
                                   curve_checks{}, o),
                    xml_error::bad_attribute_value, "xsi:type");
  }
}

}  // namespace test_kms_xml
