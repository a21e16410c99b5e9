// SPDX-License-Identifier: BSD-3-Clause
// The KMS security extension [trk]: AES key wrap (RFC 3394/5649 known answers), TrK encryption
// of the key elements in both flavours, XML-DSig with the InK/TrK (round trips, tampering,
// wrong keys, signature wrapping, algorithm and shape refusals), and the two together.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "skm/kms_security/secured_documents.hpp"
#include "trk_fixtures.hpp"

namespace test_trk {

using namespace skm::kms_security;
using namespace skm::kms_security::test;

namespace {

named_key make_key(std::string name, std::uint8_t seed) {
  named_key k;
  k.name = std::move(name);
  for (std::size_t i = 0; i < k.key.span().size(); ++i)
    k.key.span()[i] = static_cast<std::uint8_t>(seed + 7 * i);
  return k;
}

const named_key trk = make_key("tk.1.sip:alice@streamwide.com", 0x11);
const named_key ink = make_key("ik.1.sip:alice@streamwide.com", 0x55);

std::string replace_once(std::string s, std::string_view from, std::string_view to) {
  const auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  s.replace(pos, from.size(), to);
  return s;
}

std::string plain_key_prov() {
  return std::string(write_kms_key_prov(key_prov_response()).value().as_text());
}

std::string encrypted_key_prov(key_element_wrap w, cipher_value_encoding e,
                               const named_key& k = trk) {
  kms_write_options o;
  o.encrypt_keys = make_key_encryptor(k, w, e);
  return std::string(write_kms_key_prov(key_prov_response(), o).value().as_text());
}

kms_parse_options decrypting(key_element_wrap w, const named_key& k = trk,
                             std::shared_ptr<decryption_log> log = {}) {
  kms_parse_options o;
  o.decrypt_keys = make_key_decryptor(k, w, std::move(log));
  return o;
}

void require_same_keys(const kms_key_set& got, const kms_key_set& want) {
  REQUIRE(to_hex(got.user_decrypt_key.span()) == to_hex(want.user_decrypt_key.span()));
  REQUIRE(to_hex(got.user_signing_key_ssk.span()) == to_hex(want.user_signing_key_ssk.span()));
  REQUIRE(to_hex(got.user_pub_token_pvt) == to_hex(want.user_pub_token_pvt));
}

std::string signed_key_prov(const named_key& k = trk, sign_options o = {}) {
  return sign_kms_document(plain_key_prov(), k, o).value();
}

void require_refused(const std::string& doc, std::string_view why,
                     std::vector<named_key> keys = {trk}) {
  const auto v = verify_kms_signature(doc, "KmsResponse", keys);
  REQUIRE_FALSE(v.has_value());
  INFO(v.error());
  REQUIRE(v.error().find(why) != std::string::npos);
}

}  // namespace

TEST_CASE("AES key wrap: RFC 3394 and RFC 5649 known answers", "[trk]") {
  const auto kek = hex_bytes("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
  const auto data = hex_bytes("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
  const auto w = wrap_key(key_wrap_mode::rfc3394, kek, data).value();
  REQUIRE(to_hex(w) ==
          "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21");
  REQUIRE(to_hex(unwrap_key(key_wrap_mode::rfc3394, kek, w).value().span()) == to_hex(data));

  const auto kek5649 = hex_bytes("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");
  const auto w20 = wrap_key(key_wrap_mode::rfc5649, kek5649,
                            hex_bytes("c37b7e6492584340bed12207808941155068f738"))
                       .value();
  REQUIRE(to_hex(w20) == "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a");
  const auto w7 = wrap_key(key_wrap_mode::rfc5649, kek5649, hex_bytes("466f7250617369")).value();
  REQUIRE(to_hex(w7) == "afbeb0f07dfbf5419200f2ccb50bb24f");
  REQUIRE(to_hex(unwrap_key(key_wrap_mode::rfc5649, kek5649, w7).value().span()) ==
          "466f7250617369");

  SECTION("refusals") {
    auto bad = w;
    bad[5] ^= 1;
    REQUIRE_FALSE(unwrap_key(key_wrap_mode::rfc3394, kek, bad).has_value());
    auto other = kek;
    other[0] ^= 0x80;
    REQUIRE_FALSE(unwrap_key(key_wrap_mode::rfc3394, other, w).has_value());
    REQUIRE_FALSE(unwrap_key(key_wrap_mode::rfc5649, kek, w).has_value());  // wrong flavour
    REQUIRE_FALSE(unwrap_key(key_wrap_mode::rfc3394, kek, std::span(w).first(39)).has_value());
    REQUIRE_FALSE(wrap_key(key_wrap_mode::rfc3394, kek, hex_bytes("00112233445566778899")));
    REQUIRE_FALSE(wrap_key(key_wrap_mode::rfc3394, std::span(kek).first(31), data));
  }
}

TEST_CASE("TrK encryption of the three key elements, both flavours and encodings", "[trk]") {
  for (auto w : {key_element_wrap::rfc5649, key_element_wrap::rfc3394_stripped})
    for (auto e : {cipher_value_encoding::hex, cipher_value_encoding::base64}) {
      INFO(describe(w) << " " << describe(e));
      const std::string doc = encrypted_key_prov(w, e);
      REQUIRE(doc.find(alice_ssk) == std::string::npos);
      REQUIRE(doc.find(alice_rsk.substr(2, 40)) == std::string::npos);
      REQUIRE(doc.find("xsi:type=\"EncKeyContentType\"") != std::string::npos);
      REQUIRE(doc.find(std::string(kw_aes256_uri)) != std::string::npos);
      auto log = std::make_shared<decryption_log>();
      const auto parsed =
          parse_kms_key_prov(doc, vendor_certificate(), curve_checks{}, decrypting(w, trk, log));
      INFO((parsed ? std::string() : parsed.error().message()));
      REQUIRE(parsed.has_value());
      require_same_keys(parsed->key_sets.at(0), alice());
      REQUIRE(log->size() == 3);
      for (const auto& r : *log) {
        REQUIRE(r.flavour == w);
        REQUIRE(r.encoding == e);
        REQUIRE(r.key_name == trk.name);
      }
      REQUIRE(log->at(0).where.ends_with("UserDecryptKey"));
    }
}

TEST_CASE("TrK decryption refusals", "[trk]") {
  const std::string doc = encrypted_key_prov(key_element_wrap::rfc5649, cipher_value_encoding::hex);
  const auto cert = vendor_certificate();
  auto fails = [&](const std::string& d, const kms_parse_options& o, xml_error code,
                   std::string_view detail) {
    const auto r = parse_kms_key_prov(d, cert, curve_checks{}, o);
    REQUIRE_FALSE(r.has_value());
    INFO(r.error().message());
    REQUIRE(r.error().code == code);
    REQUIRE(r.error().message().find(detail) != std::string::npos);
  };
  const auto ok = decrypting(key_element_wrap::rfc5649);
  // No TrK given: the old refusal.
  fails(doc, {}, xml_error::encrypted_key_unsupported, "UserDecryptKey");
  // The right name, the wrong key (the unwrap's integrity check fails).
  named_key wrong = trk;
  wrong.key.span()[31] ^= 1;
  fails(doc, decrypting(key_element_wrap::rfc5649, wrong), xml_error::key_decryption_failed,
        "unwrap failed");
  // A key of another name.
  named_key renamed = trk;
  renamed.name = "tk.2.sip:alice@streamwide.com";
  fails(doc, decrypting(key_element_wrap::rfc5649, renamed), xml_error::key_decryption_failed,
        "not the transport key");
  // The other flavour: the lengths do not match.
  fails(doc, decrypting(key_element_wrap::rfc3394_stripped), xml_error::key_decryption_failed,
        "neither the hex nor the base64");
  // Unknown algorithm.
  fails(replace_once(doc, "xmlenc#kw-aes256", "xmlenc#kw-aes128"), ok,
        xml_error::key_decryption_failed, "unsupported algorithm");
  fails(replace_once(doc, "xmlenc#kw-aes256", "xmlenc#rsa-oaep-mgf1p"), ok,
        xml_error::key_decryption_failed, "unsupported algorithm");
  // CipherValue one octet short, one long, altered.
  const auto cv_start = doc.find("<xenc:CipherValue>") + 18;
  const auto cv_end = doc.find("</xenc:CipherValue>", cv_start);
  const std::string cv = doc.substr(cv_start, cv_end - cv_start);
  fails(replace_once(doc, cv, cv.substr(2)), ok, xml_error::key_decryption_failed, "characters");
  fails(replace_once(doc, cv, cv + "00"), ok, xml_error::key_decryption_failed, "characters");
  std::string flipped = cv;
  flipped[10] = flipped[10] == '0' ? '1' : '0';
  fails(replace_once(doc, cv, flipped), ok, xml_error::key_decryption_failed, "unwrap failed");
  // Shape: extra children, missing CipherData, two EncryptedKeys.
  fails(replace_once(doc, "<xenc:CipherData>", "<xenc:EncryptionProperties/><xenc:CipherData>"), ok,
        xml_error::unexpected_element, "EncryptionProperties");
  const auto ek = doc.find("<xenc:EncryptedKey");
  const auto ek_end = doc.find("</xenc:EncryptedKey>", ek) + 20;
  const std::string ek_text = doc.substr(ek, ek_end - ek);
  fails(replace_once(doc, ek_text, ek_text + ek_text), ok, xml_error::unexpected_element,
        "EncryptedKey");
  // A plaintext key where EncKeyContentType is announced.
  fails(replace_once(doc, ek_text, alice_rsk), ok, xml_error::unexpected_text, "UserDecryptKey");
}

TEST_CASE("XML-DSig: sign and verify with every canonicalisation", "[trk]") {
  for (auto c : {c14n_method::c14n, c14n_method::c14n_with_comments, c14n_method::exc_c14n,
                 c14n_method::exc_c14n_with_comments})
    for (bool enveloped : {true, false}) {
      INFO(uri_of(c) << " enveloped " << enveloped);
      const std::string doc = signed_key_prov(trk, {c, enveloped});
      REQUIRE(doc.find("<SignedKmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\">") !=
              std::string::npos);
      REQUIRE(doc.find("URI=\"#xmldoc\"") != std::string::npos);
      const std::vector<named_key> keys{ink, trk};
      const auto v = verify_kms_signature(doc, "KmsResponse", keys);
      INFO((v ? std::string() : v.error()));
      REQUIRE(v.has_value());
      REQUIRE(v->key_name == trk.name);
      REQUIRE(v->signed_element == "KmsResponse");
      REQUIRE(v->c14n == c);
      REQUIRE(v->transforms.size() == (enveloped ? 2u : 1u));
      // The verified octets are the signed element, and parse to the same key set.
      REQUIRE(v->canonical.as_text().starts_with("<KmsResponse"));
      const auto parsed = parse_kms_key_prov(v->canonical.as_text(), vendor_certificate());
      REQUIRE(parsed.has_value());
      REQUIRE(parsed->header.user_uri == "sip:alice@streamwide.com");
      require_same_keys(parsed->key_sets.at(0), alice());
    }
}

TEST_CASE("XML-DSig: tampering, wrong keys, wrong KeyName", "[trk]") {
  const std::string doc = signed_key_prov();
  // Every kind of change inside the signed element.
  require_refused(replace_once(doc, "sip:alice@streamwide.com</UserUri>",
                               "sip:mallory@streamwide.com</UserUri>"),
                  "does not verify");
  require_refused(replace_once(doc, alice_ssk, "b" + alice_ssk.substr(1)), "does not verify");
  require_refused(replace_once(doc, "<KeyPeriodNo>236", "<KeyPeriodNo>237"), "does not verify");
  // The signature value or digest altered.
  const auto sv = doc.find("<ds:SignatureValue>") + 19;
  std::string bad = doc;
  bad[sv + 3] = bad[sv + 3] == 'A' ? 'B' : 'A';
  require_refused(bad, "does not verify");
  // Wrong key under the right name; a name not held.
  named_key wrong = trk;
  wrong.key.span()[0] ^= 1;
  require_refused(doc, "does not verify", {wrong});
  require_refused(doc, "not held", {ink});
  require_refused(replace_once(doc, "<ds:KeyName>" + trk.name, "<ds:KeyName>" + ink.name),
                  "does not verify", {ink, trk});
  // InK preferred on the server, verified with the InK on the client.
  const std::string by_ink = signed_key_prov(ink);
  REQUIRE(verify_kms_signature(by_ink, "KmsResponse", std::vector<named_key>{ink, trk})->key_name ==
          ink.name);
  require_refused(by_ink, "not held", {trk});
}

TEST_CASE("XML-DSig: signature wrapping attacks are refused", "[trk]") {
  const std::string doc = signed_key_prov();
  const auto kr = doc.find("<KmsResponse");
  const auto kr_end = doc.find("</KmsResponse>") + 14;
  const std::string signed_element = doc.substr(kr, kr_end - kr);
  const std::string forged =
      replace_once(replace_once(signed_element, " Id=\"xmldoc\"", ""),
                   "sip:alice@streamwide.com</UserUri>", "sip:mallory@streamwide.com</UserUri>");
  SECTION("the signed element moved into an extension element, a forged one in its place") {
    const std::string moved =
        replace_once(doc, signed_element,
                     replace_once(forged, "<KmsMessage>",
                                  "<x:Ext xmlns:x=\"urn:example:x\">" + signed_element +
                                      "</x:Ext><KmsMessage>"));
    require_refused(moved, "does not name the KmsResponse");
  }
  SECTION("the signed element moved into a ds:Object of the Signature") {
    std::string moved = replace_once(doc, signed_element, forged);
    moved = replace_once(moved, "</ds:Signature>",
                         "<ds:Object>" + signed_element + "</ds:Object></ds:Signature>");
    require_refused(moved, "must hold SignedInfo, SignatureValue, KeyInfo");
  }
  SECTION("the forged element carries the signed one's Id; the original kept elsewhere") {
    std::string moved =
        replace_once(doc, signed_element,
                     replace_once(signed_element, "sip:alice@streamwide.com</UserUri>",
                                  "sip:mallory@streamwide.com</UserUri>"));
    moved =
        replace_once(moved, "<KmsMessage>",
                     "<x:Ext xmlns:x=\"urn:example:x\">" + signed_element + "</x:Ext><KmsMessage>");
    require_refused(moved, "appears twice");
  }
  SECTION("a second, unsigned KmsKeySet inside the signed element") {
    const auto ks = doc.find("<KmsKeySet");
    const auto ks_end = doc.find("</KmsKeySet>") + 12;
    const std::string set = doc.substr(ks, ks_end - ks);
    require_refused(replace_once(doc, set, set + set), "does not verify");
  }
  SECTION("a second KmsResponse or KmsKeySet beside the signed element") {
    require_refused(replace_once(doc, "</KmsResponse>", "</KmsResponse>" + forged),
                    "must hold exactly KmsResponse then ds:Signature");
    require_refused(replace_once(doc, "</KmsResponse>", "</KmsResponse><KmsKeySet/>"),
                    "must hold exactly KmsResponse then ds:Signature");
  }
  SECTION("two signatures") {
    const auto s = doc.find("<ds:Signature");
    const auto s_end = doc.find("</ds:Signature>") + 15;
    const std::string sig = doc.substr(s, s_end - s);
    require_refused(replace_once(doc, sig, sig + sig), "exactly one is accepted");
    require_refused(replace_once(doc, "<KmsMessage>", sig + "<KmsMessage>"),
                    "exactly one is accepted");
  }
  SECTION("the Reference points elsewhere or at the whole document") {
    require_refused(replace_once(doc, "URI=\"#xmldoc\"", "URI=\"\""), "does not name");
    require_refused(replace_once(doc, "URI=\"#xmldoc\"", "URI=\"#other\""), "does not name");
  }
}

TEST_CASE("XML-DSig: algorithms and shapes outside the profile are refused", "[trk]") {
  const std::string doc = signed_key_prov();
  const std::string hmac = "xmldsig-more#hmac-sha256\"/>";
  for (const char* len : {"128", "255", "160", "257", "abc", ""})
    require_refused(replace_once(doc, hmac,
                                 std::string("xmldsig-more#hmac-sha256\"><ds:HMACOutputLength>") +
                                     len + "</ds:HMACOutputLength></ds:SignatureMethod>"),
                    "HMACOutputLength");
  require_refused(replace_once(doc, "xmldsig-more#hmac-sha256", "xmldsig#hmac-sha1"),
                  "unsupported SignatureMethod");
  require_refused(replace_once(doc, "xmldsig-more#hmac-sha256", "xmldsig-more#rsa-sha256"),
                  "unsupported SignatureMethod");
  require_refused(replace_once(doc, "xmlenc#sha256", "xmldsig#sha1"), "unsupported DigestMethod");
  require_refused(
      replace_once(
          doc,
          "CanonicalizationMethod Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"",
          "CanonicalizationMethod Algorithm=\"http://www.w3.org/2006/12/xml-c14n11\""),
      "unsupported CanonicalizationMethod");
  require_refused(replace_once(doc, "xmldsig#enveloped-signature", "TR/1999/REC-xslt-19991116"),
                  "unsupported Transform");
  require_refused(replace_once(doc, "xmldsig#enveloped-signature", "TR/1999/REC-xpath-19991116"),
                  "unsupported Transform");
  require_refused(replace_once(doc, "<ds:KeyName>" + trk.name + "</ds:KeyName>", ""),
                  "exactly one KeyName");
  require_refused("<!DOCTYPE x [<!ENTITY e \"a\">]>" + doc.substr(doc.find("<SignedKmsResponse")),
                  "DOCTYPE");
  require_refused(plain_key_prov(), "is not SignedKmsResponse");
  require_refused(doc.substr(0, doc.size() / 2), "malformed");
}

TEST_CASE("the security extension end to end: encrypted, signed, verified, validated", "[trk]") {
  user_security_keys server{trk, ink};
  for (auto s : {sign_with::ink, sign_with::trk})
    for (auto e : {encrypt_with::rfc5649, encrypt_with::rfc3394_stripped}) {
      protection p;
      p.sign = s;
      p.encrypt = e;
      p.encoding = cipher_value_encoding::base64;
      const auto text = write_secured_kms_key_prov(key_prov_response(), server, p).value();
      expectation x;
      x.wrap = wrap_of(e);
      const auto got = read_secured_kms_key_prov(text.as_text(), vendor_certificate(), server, x);
      INFO((got ? std::string() : got.error()));
      REQUIRE(got.has_value());
      REQUIRE(got->signature->key_name == (s == sign_with::ink ? ink.name : trk.name));
      REQUIRE(got->decrypted.size() == 3);
      require_same_keys(got->body.key_sets.at(0), alice());
      // A client with the TrK only cannot check an InK signature: refused, not skipped.
      const auto trk_only = read_secured_kms_key_prov(text.as_text(), vendor_certificate(),
                                                      user_security_keys{trk, std::nullopt}, x);
      REQUIRE(trk_only.has_value() == (s == sign_with::trk));
    }
  // Unsigned responses are refused unless explicitly allowed.
  const std::string plain = plain_key_prov();
  REQUIRE_FALSE(read_secured_kms_key_prov(plain, vendor_certificate(), server).has_value());
  expectation lax;
  lax.require_signature = false;
  REQUIRE(read_secured_kms_key_prov(plain, vendor_certificate(), server, lax).has_value());
  // Decrypted keys are validated as any key set: a valid wrapping of a wrong SSK is refused.
  kms_key_prov_response r = key_prov_response();
  r.key_sets[0].user_signing_key_ssk = secret_bytes(hex_bytes(bob_ssk));
  protection p;
  p.sign = sign_with::trk;
  p.encrypt = encrypt_with::rfc5649;
  const auto text = write_secured_kms_key_prov(r, server, p).value();
  const auto got = read_secured_kms_key_prov(text.as_text(), vendor_certificate(), server);
  REQUIRE_FALSE(got.has_value());
  REQUIRE(got.error().find("key failed validation") != std::string::npos);
}

TEST_CASE("key files and names", "[trk]") {
  REQUIRE(transport_key_name(12, "user@example.org") == "tk.12.user@example.org");
  REQUIRE(integrity_key_name(1, "sip:a@b") == "ik.1.sip:a@b");
  const auto text = format_key_file(trk);
  const auto back = parse_key_file(text.as_text()).value();
  REQUIRE(back.name == trk.name);
  REQUIRE(to_hex(back.key.span()) == to_hex(trk.key.span()));
  REQUIRE_FALSE(parse_key_file("no-key").has_value());
  REQUIRE_FALSE(parse_key_file(" 00").has_value());
  REQUIRE_FALSE(parse_key_file("tk.1.a " + std::string(62, '0')).has_value());
  REQUIRE_FALSE(parse_key_file("tk.1.a " + std::string(63, '0') + "g").has_value());
}

TEST_CASE("rotation: NewTransportKey and NewIntegrityKey under the current TrK", "[trk]") {
  const named_key trk2 = make_key(transport_key_name(2, "sip:alice@streamwide.com"), 0x99);
  const named_key ink2 = make_key(integrity_key_name(2, "sip:alice@streamwide.com"), 0x33);
  user_security_keys server{trk, ink};
  user_security_keys client{trk, ink};
  kms_key_prov_response r = key_prov_response();
  r.new_transport_key = carry(trk2);
  r.new_integrity_key = carry(ink2);
  protection p;
  p.sign = sign_with::ink;
  p.encrypt = encrypt_with::rfc5649;
  const auto text = write_secured_kms_key_prov(r, server, p).value();
  const std::string doc(text.as_text());
  REQUIRE(doc.find("<xenc:CarriedKeyName>" + trk2.name + "</xenc:CarriedKeyName>") !=
          std::string::npos);
  REQUIRE(doc.find(to_hex(trk2.key.span())) == std::string::npos);
  const auto got = read_secured_kms_key_prov(doc, vendor_certificate(), client).value();
  REQUIRE(got.body.new_transport_key->name == trk2.name);
  REQUIRE(got.decrypted.size() == 5);
  REQUIRE(install_carried_keys(client, got.body));
  REQUIRE(client.trk->name == trk2.name);
  REQUIRE(to_hex(client.trk->key.span()) == to_hex(trk2.key.span()));
  REQUIRE(client.ink->name == ink2.name);
  // The next response uses the new keys; the old ones no longer verify or decrypt it.
  server = user_security_keys{trk2, ink2};
  const auto next = write_secured_kms_key_prov(key_prov_response(), server, p).value();
  REQUIRE(read_secured_kms_key_prov(next.as_text(), vendor_certificate(), client).has_value());
  REQUIRE_FALSE(
      read_secured_kms_key_prov(next.as_text(), vendor_certificate(), user_security_keys{trk, ink})
          .has_value());

  SECTION("a NewTransportKey wrapped under the wrong key is refused") {
    named_key other = trk;  // same name, other key: the server's TrK is not the client's
    other.key.span()[3] ^= 0x40;
    protection unsigned_p;
    unsigned_p.encrypt = encrypt_with::rfc5649;
    const auto bad =
        write_secured_kms_key_prov(r, user_security_keys{other, std::nullopt}, unsigned_p).value();
    // Only the carried keys under the wrong key: splice them into a good document.
    const std::string bad_doc(bad.as_text());
    const auto good =
        write_secured_kms_key_prov(r, user_security_keys{trk, std::nullopt}, unsigned_p).value();
    std::string mixed(good.as_text());
    const auto from = bad_doc.find("<NewTransportKey");
    const auto to = bad_doc.find("</NewTransportKey>") + 18;
    const auto gfrom = mixed.find("<NewTransportKey");
    const auto gto = mixed.find("</NewTransportKey>") + 18;
    mixed.replace(gfrom, gto - gfrom, bad_doc.substr(from, to - from));
    expectation lax;
    lax.require_signature = false;
    const auto refused = read_secured_kms_key_prov(mixed, vendor_certificate(),
                                                   user_security_keys{trk, std::nullopt}, lax);
    REQUIRE_FALSE(refused.has_value());
    REQUIRE(refused.error().find("NewTransportKey") != std::string::npos);
    REQUIRE(refused.error().find("unwrap failed") != std::string::npos);
    REQUIRE(read_secured_kms_key_prov(good.as_text(), vendor_certificate(),
                                      user_security_keys{trk, std::nullopt}, lax)
                .has_value());
  }
  SECTION("carried keys are never written or accepted in the clear, and must be named") {
    REQUIRE_FALSE(write_kms_key_prov(r).has_value());
    std::string clear = replace_once(
        doc, "</KmsKeyProv>",
        "<NewTransportKey>" + std::string(64, 'a') + "</NewTransportKey></KmsKeyProv>");
    expectation lax;
    lax.require_signature = false;
    protection enc_only;
    enc_only.encrypt = encrypt_with::rfc5649;
    kms_key_prov_response plain_r = key_prov_response();
    const auto base = write_secured_kms_key_prov(plain_r, server, enc_only).value();
    clear = replace_once(
        std::string(base.as_text()), "</KmsKeyProv>",
        "<NewTransportKey>" + std::string(64, 'a') + "</NewTransportKey></KmsKeyProv>");
    const auto e = read_secured_kms_key_prov(clear, vendor_certificate(), server, lax);
    REQUIRE_FALSE(e.has_value());
    REQUIRE(e.error().find("must be encrypted") != std::string::npos);
    kms_key_prov_response unnamed = key_prov_response();
    unnamed.new_transport_key = carry(trk2);
    unnamed.new_transport_key->name.clear();
    REQUIRE_FALSE(write_secured_kms_key_prov(unnamed, server, enc_only).has_value());
  }
}

namespace {

kms_init_response init_response() {
  kms_init_response r{key_prov_response().header, vendor_certificate()};
  r.header.client_req_url = "https://kms.mydev.streamwide.com/keymanagement/identity/v1/init";
  return r;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_CASE("rotation in KmsInit: RFC 3394 known answer, install, next answer", "[trk]") {
  // RFC 3394 §4.6: 256 bits of key data with a 256-bit KEK.
  named_key kek;
  kek.name = "tk.1.sip:alice@streamwide.com";
  const auto kek_bytes =
      hex_bytes("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
  std::copy(kek_bytes.begin(), kek_bytes.end(), kek.key.span().begin());
  named_key trk2;
  trk2.name = transport_key_name(2, "sip:alice@streamwide.com");
  const auto data = hex_bytes("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
  std::copy(data.begin(), data.end(), trk2.key.span().begin());
  const std::string rfc3394_cipher =
      "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21";

  user_security_keys server{kek, std::nullopt};
  user_security_keys client{kek, std::nullopt};
  kms_init_response r = init_response();
  r.new_transport_key = carry(trk2);
  protection p;
  p.sign = sign_with::trk;
  p.encrypt = encrypt_with::rfc3394_stripped;
  const std::string doc = write_secured_kms_init(r, server, p).value();
  REQUIRE(lower(doc).find(">" + rfc3394_cipher + "<") != std::string::npos);
  REQUIRE(doc.find("KmsInitTkIkType") != std::string::npos);
  expectation e;
  e.wrap = key_element_wrap::rfc3394_stripped;
  const auto got = read_secured_kms_init(doc, client, e).value();
  REQUIRE(got.signature.has_value());
  REQUIRE(got.body.new_transport_key->name == trk2.name);
  REQUIRE(to_hex(got.body.new_transport_key->key.span()) == to_hex(trk2.key.span()));
  REQUIRE_FALSE(got.body.new_integrity_key.has_value());
  REQUIRE(got.decrypted.size() == 1);
  REQUIRE(install_carried_keys(client, got.body));
  REQUIRE(client.trk->name == trk2.name);
  // The next answer, signed with the new TrK, verifies with the installed key only.
  server.trk = trk2;
  const std::string next = write_secured_kms_init(init_response(), server, p).value();
  REQUIRE(read_secured_kms_init(next, client, e).has_value());
  REQUIRE_FALSE(read_secured_kms_init(next, user_security_keys{kek, std::nullopt}, e).has_value());
  // An InK carried in KmsInit (RFC 5649 flavour) signs the answers after it.
  const named_key ink2 = make_key(integrity_key_name(2, "sip:alice@streamwide.com"), 0x33);
  kms_init_response with_ink = init_response();
  with_ink.new_integrity_key = carry(ink2);
  protection p5649 = p;
  p5649.encrypt = encrypt_with::rfc5649;
  const auto ink_doc =
      read_secured_kms_init(write_secured_kms_init(with_ink, server, p5649).value(), client)
          .value();
  REQUIRE(install_carried_keys(client, ink_doc.body));
  REQUIRE(to_hex(client.ink->key.span()) == to_hex(ink2.key.span()));
  server.ink = ink2;
  protection by_ink = p5649;
  by_ink.sign = sign_with::ink;
  const std::string by_ink_doc = write_secured_kms_init(init_response(), server, by_ink).value();
  REQUIRE(read_secured_kms_init(by_ink_doc, client).value().signature->key_name == ink2.name);
}

TEST_CASE("rotation in KmsInit: refusals", "[trk]") {
  const named_key trk2 = make_key(transport_key_name(2, "sip:alice@streamwide.com"), 0x99);
  kms_init_response r = init_response();
  r.new_transport_key = carry(trk2);
  protection enc_only;
  enc_only.encrypt = encrypt_with::rfc5649;
  expectation lax;
  lax.require_signature = false;
  const user_security_keys keys{trk, std::nullopt};
  const std::string good = write_secured_kms_init(r, keys, enc_only).value();
  REQUIRE(read_secured_kms_init(good, keys, lax).has_value());

  SECTION("wrapped under the wrong key") {
    named_key other = trk;  // same name, another key
    other.key.span()[0] ^= 0x01;
    const std::string bad =
        write_secured_kms_init(r, user_security_keys{other, std::nullopt}, enc_only).value();
    const auto refused = read_secured_kms_init(bad, keys, lax);
    REQUIRE_FALSE(refused.has_value());
    REQUIRE(refused.error().find("NewTransportKey") != std::string::npos);
    REQUIRE(refused.error().find("unwrap failed") != std::string::npos);
  }
  SECTION("a CipherValue of the wrong length") {
    // A well-formed RFC 5649 wrap of 24 octets under the right TrK: 32 octets, not 40.
    const std::vector<std::uint8_t> short_key(24, 0x42);
    const auto w = wrap_key(key_wrap_mode::rfc5649, trk.key.span(), short_key).value();
    const auto from = good.find("<xenc:CipherValue>") + 18;
    const auto to = good.find("</xenc:CipherValue>");
    std::string spliced = good;
    spliced.replace(from, to - from, to_hex(w));
    const auto refused = read_secured_kms_init(spliced, keys, lax);
    REQUIRE_FALSE(refused.has_value());
    INFO(refused.error());
    REQUIRE(refused.error().find("NewTransportKey") != std::string::npos);
  }
  SECTION("a malformed CarriedKeyName") {
    for (const std::string& name :
         std::vector<std::string>{"tk.2 sip:alice", "", "tk.2\tx", "tk.\x7f"}) {
      INFO(name);
      carried_key c = carry(trk2);
      c.name = name;
      REQUIRE(carried_key_problem(c).has_value());
      user_security_keys client = keys;
      REQUIRE(install_carried_keys(client, c, std::nullopt).has_value());
      REQUIRE(client.trk->name == trk.name);  // nothing installed
    }
    // Spaces in the document's CarriedKeyName: read (any string) but not installed.
    const std::string spaced = replace_once(good, ">" + trk2.name + "<", ">tk.2 x<");
    const auto got = read_secured_kms_init(spaced, keys, lax).value();
    user_security_keys client = keys;
    REQUIRE_FALSE(install_carried_keys(client, got.body));
    // An empty one is refused by the reader.
    REQUIRE_FALSE(read_secured_kms_init(replace_once(good, ">" + trk2.name + "<", "><"), keys, lax)
                      .has_value());
  }
  SECTION("never sent in the clear") {
    protection sign_only;
    sign_only.sign = sign_with::trk;
    REQUIRE_FALSE(write_secured_kms_init(r, keys, sign_only).has_value());
    REQUIRE_FALSE(write_kms_init(r).has_value());
  }
}

}  // namespace test_trk
