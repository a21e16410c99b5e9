// SPDX-License-Identifier: BSD-3-Clause
// Fixtures of the KMS security extension tests: the vendor community and two key sets (the same
// published values as tests/km/test_kms_xml.cpp), and small text helpers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../km/km_test_util.hpp"
#include "skm/km/kms_xml.hpp"

namespace skm::kms_security::test {

using namespace skm::km;
using namespace skm::km::xml;
using skm::km::test::hex_bytes;
using skm::km::test::to_hex;

// clang-format off
inline const std::string vendor_z =
    "046fc2cf00fd48467abe7c02f383002fc49b6632bf0f7071d958f1f128154e6fae1f69bb91691a191a358fe647a3e020d2365d52f81fb3af4ea271654f1a880274"
    "c1ae228ac72cc15d535394321bd2143cea2619fb3b0c6ce7a5f72714d8ef4d11cb0c991c3376ca31b168b01e66021effdbf7920bd66615e6f0d6a1e61c06e72e61"
    "b4138738c11bc249a3849e9c4cff327a7d0d2769c3d97a37f86adfb13baa257e628ce236f40360d3f7b8d95b0e3fcc19417602d7d6b8928b855eae9129be1f0b87"
    "d33e884906dd95a04a8bd61240bad60f9dfada64806726f8f08b86343f54046416f5198116e9798c218bcf9ca07d0baa4be50062bfe54e44495b6ed59cb6";
inline const std::string vendor_kpak =
    "0448f9c2c48b50735f6bc70ec6691073243f1e0bd83cc73bb936d61ffcb2d6049a5b297e8205b29fbd8591cb582d6402add21451ce4beebeaaa7520e93b11cf28f";
inline const std::string alice_rsk =
    "0428b44cd6dffd2e7fe73521a5c514738287df177c1ae841ba6f5d72601b9c6bc5509c3fd800ac1fee833dd81c74ab39d2740a10fba25cd9b0debb25a3da958cf5"
    "2e35e863d2db37ea22b318d23d9911d36f585eb110e430123f3cd84d2692a4013bc7f59533e5da2083d8e6e8b96764eb8e8be599dc2361e7428460b8490200417b"
    "aa5bac10efaa5262301b3110f6da9e8bc9c4b62827c3d4f4070a8e341346a326a23f219d2a99298036615956bb85a60cf303d15d469c1ee837c29cba5dccb28d74"
    "e4ba0d83dac9400d72eecb1817cc60127203f1321e82b7a24f60c07f1804a9895cbb455a94694a5ef627b1c631760295dad53f0eed1714ba52d5a932bddd";
inline const std::string alice_ssk = "a1be54a56c7905c06abd2be177fc0c137a32278c9067550b0f0d93fb630d2428";
inline const std::string alice_pvt =
    "0426cd8b0a33af9b381ee53ebc6841aed5c1c98fb0d2beb9c7ff98d7c79808d1f566659f6b735016192dd9984df56e54f3f95c76ac4638c1f3d3228f3c752c8cc8";
inline const std::string bob_rsk =
    "04421d385f108bd51f66abbce40b899efe187dbb08085d9a535fca8766677db317812e48da407235d73399d4d2e2ed4f5a35d7694b64595ce0599e4d3592f5b57e"
    "de83890fd798aec2cd96f333d6139d9f7ecfecbb79b769f5fbbc6825beeb25999acdf6fb2edd369176f45db0caf5909aa81512e57064c46ae1c23df9284ffba557"
    "41cde0b7a8145fdbea76b4ee243d79bd70db4300c55570f342ca0df98e8f3b410e1df4ccbdd279403d3da06cad4c5db8d4e078a191a7a0545391e8ca72e51c7934"
    "48c4ba8be71fbac90a84ded3d6127c4d7438a3132f354b283d65da75a5070ecd96f02d694c505efcb05caf2290bf15ee45c15a0e652496b88acbaf1d26a3";
inline const std::string bob_ssk = "a36885736f21b6ceba48448093086f4ada1ce099bd77e3047c04529ac3f4d4eb";
inline const std::string bob_pvt =
    "049c203fda536ae9481eb7f3a1e4662d0adaa6a3b7d3fff0c2dfadd148a754af424d434253b62dcd08eb6aedb6cd091e09f8539d41d3ef2d0ce07e8ead352f2dd9";

// clang-format on

inline kms_certificate vendor_certificate() {
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

inline kms_key_set key_set(std::string uri, std::string uid_hex, const std::string& rsk,
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

inline kms_key_set alice() {
  return key_set("sip:alice@streamwide.com",
                 "b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4", alice_rsk,
                 alice_ssk, alice_pvt);
}
inline kms_key_set bob() {
  return key_set("sip:bob@streamwide.com",
                 "780851CDA91A9C33F941CD3A2831697E2893264754E363F8A0CEF827EB201A81", bob_rsk,
                 bob_ssk, bob_pvt);
}

inline kms_key_prov_response key_prov_response() {
  kms_key_prov_response r;
  r.header.id = "xmldoc";
  r.header.user_uri = "sip:alice@streamwide.com";
  r.header.kms_uri = "kms.mydev.streamwide.com";
  r.header.time = parse_iso8601("2025-10-02T23:47:52Z").value();
  r.header.kms_id = "KMS-1";
  r.header.client_req_url = "https://kms.mydev.streamwide.com/keymanagement/identity/v1/keyprov";
  r.key_sets.push_back(alice());
  return r;
}

}  // namespace skm::kms_security::test
