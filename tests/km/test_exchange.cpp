// SPDX-License-Identifier: BSD-3-Clause
// The SKM-S and key distribution end to end: the vendor I_MESSAGE opened by skm (the interop
// known-answer test), key sets issued and validated, the KMS XML with real key checks, I_MESSAGE
// round trips (PCK, GMK with GUK-ID, CSK; URIs and hidden UIDs; SP, SAKKE-to-self, key
// parameters; two KMSs) and every rejection path.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "km_test_util.hpp"
#include "skm/km/i_message.hpp"
#include "skm/km/kms_xml.hpp"
#include "skm/km/skm_server.hpp"
#include "skm/mikey/sdp.hpp"
#include "vendor_vectors.hpp"

namespace test_exchange {

using namespace skm::km;
using skm::km::test::hex_bytes;
using skm::km::test::to_hex;
namespace vendor = skm::km::test::vendor;

namespace {

skm::os_random& rng() {
  static skm::os_random r;
  return r;
}

template <std::size_t N>
std::array<std::uint8_t, N> hex_array(std::string_view h) {
  const auto v = hex_bytes(h);
  REQUIRE(v.size() == N);
  std::array<std::uint8_t, N> a{};
  std::copy(v.begin(), v.end(), a.begin());
  return a;
}

community_public_values vendor_values() {
  community_public_values v;
  v.kms_uri = std::string(vendor::kms_uri);
  v.schedule = {vendor::key_period, vendor::key_offset};
  v.z = hex_array<z_octets>(vendor::z);
  v.kpak = hex_array<kpak_octets>(vendor::kpak);
  return v;
}

user_key_set vendor_key_set(std::string_view uri, std::string_view uid_hex, std::string_view rsk,
                            std::string_view ssk, std::string_view pvt) {
  user_key_set k;
  k.user_uri = std::string(uri);
  k.kms_uri = std::string(vendor::kms_uri);
  k.period = vendor::period_no;
  k.id = hex_array<32>(uid_hex);
  const auto r = hex_bytes(rsk), s = hex_bytes(ssk);
  std::copy(r.begin(), r.end(), k.rsk.data());
  std::copy(s.begin(), s.end(), k.ssk.data());
  k.pvt = hex_array<pvt_octets>(pvt);
  return k;
}
user_key_set vendor_alice() {
  return vendor_key_set(vendor::alice_uri, vendor::alice_uid, vendor::alice_rsk, vendor::alice_ssk,
                        vendor::alice_pvt);
}
user_key_set vendor_bob() {
  return vendor_key_set(vendor::bob_uri, vendor::bob_uid, vendor::bob_rsk, vendor::bob_ssk,
                        vendor::bob_pvt);
}

const community& vendor_community() {
  static const community c = community::create(vendor_values()).value();
  return c;
}

std::vector<std::uint8_t> vendor_message() {
  return skm::mikey::sdp::parse_key_mgmt(vendor::sdp_line).value();
}

/// The T of a message (bytes 11..18 after a 10-octet HDR with the empty map).
ntp_time message_time(const std::vector<std::uint8_t>& m) {
  const auto parsed = skm::mikey::parse_message(m).value();
  return from_ntp_wire(parsed.t()->value);
}

/// Hidden initiators are bound to a URI (issue 19): the receiver is told who may be sending.
initiator_binding from(std::string uri) {
  initiator_binding b;
  b.candidate_uris = {std::move(uri)};
  return b;
}

i_message_receiver vendor_bob_receiver() {
  i_message_receiver r{std::string(vendor::bob_uri)};
  r.trust(vendor_community());
  REQUIRE(r.add_keys(period_keys::create(vendor_community(), vendor_bob()).value()).has_value());
  return r;
}

// Two test communities with 30-day periods (A: offset 0, B: offset one day), built once.
struct test_kms {
  skm_server server;
  community pub;
};
const test_kms& kms_a() {
  static const test_kms k = [] {
    auto s = skm_server::generate({"kms.a.example.org", {2592000, 0}}, rng()).value();
    auto c = community::create(s.public_values()).value();
    return test_kms{std::move(s), std::move(c)};
  }();
  return k;
}
const test_kms& kms_b() {
  static const test_kms k = [] {
    auto s = skm_server::generate({"kms.b.example.org", {2592000, 86400}}, rng()).value();
    auto c = community::create(s.public_values()).value();
    return test_kms{std::move(s), std::move(c)};
  }();
  return k;
}

// A fixed "now": 2026-11-28T12:00:00Z.
const ntp_time now0 = parse_iso8601("2026-11-28T12:00:00Z").value();

period_keys keys_for(const test_kms& k, std::string_view uri, ntp_time t) {
  auto set = k.server.issue_at(uri, t, rng()).value();
  return period_keys::create(k.pub, set).value();
}

i_message_receiver receiver_for(const test_kms& k, std::string_view uri, ntp_time t,
                                std::initializer_list<const test_kms*> trusted = {}) {
  i_message_receiver r{std::string(uri)};
  r.trust(k.pub);
  for (const auto* x : trusted) r.trust(x->pub);
  REQUIRE(r.add_keys(keys_for(k, uri, t)).has_value());
  return r;
}

void require_failure(const auto& r, i_message_error code) {
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message());
  REQUIRE(r.error().code == code);
  REQUIRE_FALSE(r.error().message().empty());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The vendor message: the interop known-answer test

TEST_CASE("vendor I_MESSAGE: verified and opened by skm with the published keys", "[km]") {
  // UIDs recomputed from the URIs equal the published UserIDs.
  REQUIRE(to_hex(vendor_community().uid_of(vendor::alice_uri, vendor::period_no).value()) ==
          vendor::alice_uid);
  REQUIRE(to_hex(vendor_community().uid_of(vendor::bob_uri, vendor::period_no).value()) ==
          vendor::bob_uid);
  // Both key sets validate against the KMS values (RSK §6.1.2, SSK/PVT §5.1.2).
  REQUIRE_FALSE(check_user_key_set(vendor_values(), vendor_alice()).has_value());
  REQUIRE_FALSE(check_user_key_set(vendor_values(), vendor_bob()).has_value());
  REQUIRE(period_keys::create(vendor_community(), vendor_alice()).has_value());

  const auto msg = vendor_message();
  const ntp_time t = message_time(msg);
  REQUIRE(key_period_number(t, {vendor::key_period, vendor::key_offset}).value() ==
          vendor::period_no);

  // The signature verifies on its own (cold ECCSI verification over the signed range).
  {
    const auto parsed = skm::mikey::parse_message(msg).value();
    const auto range = parsed.signed_range().value();
    const auto sig = parsed.sign()->signature;
    REQUIRE(range.size() + sig.size() == msg.size());
    REQUIRE(skm::eccsi::verify(vendor_community().kpak(), hex_bytes(vendor::alice_uid), range, sig)
                .has_value());
    auto wrong_range = std::vector<std::uint8_t>(
        range.begin(), range.end() - 2);  // without the SIGN header: not RFC 3830
    REQUIRE_FALSE(skm::eccsi::verify(vendor_community().kpak(), hex_bytes(vendor::alice_uid),
                                     wrong_range, sig)
                      .has_value());
  }

  auto bob = vendor_bob_receiver();
  // The initiator is hidden (IDRuidi): no key without a candidate URI or an explicit opt-in.
  require_failure(bob.process(msg, t), i_message_error::initiator_unconfirmed);
  require_failure(bob.process(msg, t, from(std::string(vendor::bob_uri))),
                  i_message_error::initiator_mismatch);
  {
    auto confirming = vendor_bob_receiver();
    const auto bound = confirming.process(msg, t, from(std::string(vendor::alice_uri)));
    REQUIRE(bound.has_value());
    REQUIRE(bound->initiator_confirmed);
    REQUIRE(bound->initiator_uri == std::string(vendor::alice_uri));
    REQUIRE(bound->initiator_period == vendor::period_no);
  }
  initiator_binding unconfirmed;
  unconfirmed.accept_unconfirmed = true;
  const auto got = bob.process(msg, t, unconfirmed);
  INFO((got ? std::string() : got.error().message()));
  REQUIRE(got.has_value());
  REQUIRE_FALSE(got->initiator_confirmed);
  REQUIRE(to_hex(got->key.span()) == vendor::pck);
  REQUIRE(got->csb_id.value() == vendor::pck_id);
  REQUIRE(got->key_id.value() == vendor::pck_id);
  REQUIRE(got->purpose == key_purpose::pck);
  REQUIRE(to_hex(got->rand) == vendor::rand);
  REQUIRE(got->prf == mikey_prf::prf_hmac_sha_256);
  REQUIRE(got->period == vendor::period_no);
  REQUIRE_FALSE(got->initiator_uri.has_value());  // hidden (IDRuidi)
  REQUIRE(to_hex(got->initiator_uid) == vendor::alice_uid);
  REQUIRE(got->initiator_kms_uri == vendor::kms_uri);
  REQUIRE(got->cs_ids.empty());
  REQUIRE_FALSE(got->has_sakke_to_self);
  REQUIRE(got->parameters.has_value());
  REQUIRE(to_hex(encode_key_parameters(*got->parameters).value()) == vendor::key_parameters_plain);
  REQUIRE(got->parameters->key_type == 1);
  REQUIRE(got->parameters->status == 1);
  // The hidden initiator is Alice, not Bob.
  REQUIRE(confirm_initiator(*got, vendor::alice_uri, vendor_community()).has_value());
  require_failure(confirm_initiator(*got, vendor::bob_uri, vendor_community()),
                  i_message_error::initiator_mismatch);
  // Session keys: the MIKEY PRF over the PCK, CSB ID and RAND; MKI = PCK-ID.
  const auto keys = session_keys(*got, 0).value();
  const auto expected = derive_srtp_master(mikey_prf::prf_hmac_sha_256, hex_bytes(vendor::pck), 0,
                                           vendor::pck_id, hex_bytes(vendor::rand))
                            .value();
  REQUIRE(to_hex(keys.key.span()) == to_hex(expected.key.span()));
  REQUIRE(to_hex(keys.salt.span()) == to_hex(expected.salt.span()));
  REQUIRE(keys.salt.size() == 12);
  REQUIRE(to_hex(mki(got->purpose, got->key_id, got->csb_id)) == "16992638");

  // The same message again is a replay; the signer context was cached.
  REQUIRE(bob.cached_signers() == 1);
  require_failure(bob.process(msg, t, unconfirmed), i_message_error::replayed);
  // Alice is not the recipient.
  i_message_receiver alice{std::string(vendor::alice_uri)};
  alice.trust(vendor_community());
  REQUIRE(
      alice.add_keys(period_keys::create(vendor_community(), vendor_alice()).value()).has_value());
  require_failure(alice.process(msg, t), i_message_error::wrong_recipient);
}

TEST_CASE("vendor I_MESSAGE: every flipped byte and every truncation is rejected",
          "[km][negative]") {
  const auto msg = vendor_message();
  const ntp_time t = message_time(msg);
  auto bob = vendor_bob_receiver();
  std::size_t signature_failures = 0;
  for (std::size_t i = 0; i < msg.size(); ++i) {
    auto m = msg;
    m[i] ^= 0x01;
    const auto r = bob.process(m, t, from(std::string(vendor::alice_uri)));
    if (r.has_value()) FAIL("flipped byte " << i << " accepted");
    signature_failures += r.error().code == i_message_error::signature_invalid ? 1 : 0;
  }
  // Most flips reach the signature check (the rest fail earlier: parse, profile, KMS, period…).
  REQUIRE(signature_failures > msg.size() / 2);
  for (std::size_t n = 0; n < msg.size(); ++n) {
    const auto r = bob.process(std::span<const std::uint8_t>(msg).first(n), t,
                               from(std::string(vendor::alice_uri)));
    if (r.has_value()) FAIL("truncation to " << n << " octets accepted");
  }
  // The untouched message still opens (nothing above was recorded as seen).
  REQUIRE(bob.process(msg, t, from(std::string(vendor::alice_uri))).has_value());
}

TEST_CASE("vendor I_MESSAGE: time window, period, KMS and trust", "[km][negative]") {
  const auto msg = vendor_message();
  const ntp_time t = message_time(msg);
  {
    auto bob = vendor_bob_receiver();
    require_failure(bob.process(msg, ntp_time{t.seconds + 301, 0}), i_message_error::too_old);
    require_failure(bob.process(msg, ntp_time{t.seconds - 301, 0}), i_message_error::in_future);
    REQUIRE(bob.process(msg, ntp_time{t.seconds + 299, 0}, from(std::string(vendor::alice_uri)))
                .has_value());
  }
  {
    // A key set for another period only: the message's period has no key.
    i_message_receiver bob{std::string(vendor::bob_uri)};
    bob.trust(vendor_community());
    require_failure(bob.process(msg, t),
                    i_message_error::wrong_kms);  // no keys from that KMS at all
    // the vendor key set relabelled for period 237 does not validate (its UID is that of 236)
    auto k = vendor_bob();
    k.period = 237;
    require_failure(period_keys::create(vendor_community(), k), i_message_error::bad_request);
    k.id = vendor_community().uid_of(vendor::bob_uri, 237).value();
    require_failure(period_keys::create(vendor_community(), k),
                    i_message_error::bad_request);  // RSK/SSK are for the other UID
  }
  {
    // A receiver that trusts another community only (same KMS URI would be a different KPAK).
    i_message_receiver bob{std::string(vendor::bob_uri)};
    bob.trust(kms_a().pub);
    REQUIRE(bob.add_keys(keys_for(kms_a(), vendor::bob_uri, t)).has_value());
    require_failure(bob.process(msg, t), i_message_error::wrong_kms);
  }
  {
    // A community that claims the vendor KMS URI with another KPAK: Bob's vendor SSK does not
    // validate under it, so such a key set is refused before any message is processed.
    auto v = vendor_values();
    v.kpak = kms_a().pub.values().kpak;
    const auto fake = community::create(v).value();
    require_failure(period_keys::create(fake, vendor_bob()), i_message_error::bad_request);
  }
}

// ---------------------------------------------------------------------------------------------
// SKM-S: issuing, validation, XML

TEST_CASE("SKM-S: issued key sets validate; secrets restore the same community", "[km][skms]") {
  const auto& a = kms_a();
  const auto period = a.server.period_at(now0).value();
  REQUIRE(period == now0.seconds / 2592000);
  for (const char* uri : {"sip:alice@example.org", "sip:bob@example.org", "tel:+447700900123"}) {
    const auto k = a.server.issue(uri, period, rng()).value();
    REQUIRE(k.user_uri == uri);
    REQUIRE(k.period == period);
    REQUIRE(k.id == mikey_sakke_uid(uri, "kms.a.example.org", {2592000, 0}, period).value());
    REQUIRE_FALSE(check_user_key_set(a.server.public_values(), k).has_value());
    REQUIRE(period_keys::create(a.pub, k).has_value());
    // …and not against the other community, nor for another period.
    REQUIRE(check_user_key_set(kms_b().server.public_values(), k).has_value());
    auto moved = k;
    moved.period += 1;
    REQUIRE(check_user_key_set(a.server.public_values(), moved) == key_error::bad_identifier);
    moved.id = mikey_sakke_uid(uri, "kms.a.example.org", {2592000, 0}, period + 1).value();
    REQUIRE(check_user_key_set(a.server.public_values(), moved) == key_error::rsk_invalid);
  }
  // Stored secrets restore the same public values and issue valid sets.
  const auto secrets = a.server.export_secrets();
  const auto again = skm_server::from_secrets({"kms.a.example.org", {2592000, 0}}, secrets.z.span(),
                                              secrets.ksak.span())
                         .value();
  REQUIRE(again.public_values().z == a.server.public_values().z);
  REQUIRE(again.public_values().kpak == a.server.public_values().kpak);
  REQUIRE_FALSE(check_user_key_set(a.server.public_values(),
                                   again.issue("sip:carol@example.org", 7, rng()).value())
                    .has_value());
  // Rejections.
  REQUIRE(skm_server::generate({"", {1, 0}}, rng()).error() == kms_error::bad_community);
  REQUIRE(skm_server::generate({"k", {0, 0}}, rng()).error() == kms_error::bad_community);
  REQUIRE(skm_server::generate({"k", {1, 0}, 2}, rng()).error() == kms_error::bad_community);
  REQUIRE(skm_server::from_secrets({"k"}, std::span<const std::uint8_t>(secrets.z.span()).first(10),
                                   secrets.ksak.span())
              .error() == kms_error::bad_master_secret);
  REQUIRE(a.server.issue("", 1, rng()).error() == kms_error::bad_user_uri);
  REQUIRE(kms_b().server.issue_at("sip:x@y", ntp_time{100, 0}, rng()).error() ==
          kms_error::bad_period);
}

TEST_CASE("SKM-S: certificate and key sets in the Annex D XML, validated on parse",
          "[km][skms][kms_xml]") {
  using namespace skm::km::xml;
  const auto& a = kms_a();
  const auto period = a.server.period_at(now0).value();
  const auto alice = a.server.issue("sip:alice@example.org", period, rng()).value();
  const auto bob = a.server.issue("sip:bob@example.org", period, rng()).value();

  kms_response_header h;
  h.user_uri = "sip:alice@example.org";
  h.kms_uri = "kms.a.example.org";
  h.time = now0;
  h.client_req_url = "https://kms.a.example.org/keymanagement/identity/v1/init";
  const auto cert = make_certificate(a.server.public_values(), "cert-a");
  const std::string init = write_kms_init({h, cert}).value();
  const auto parsed = parse_kms_init(init).value();  // default: curve_checks
  const auto values = community_from_certificate(parsed.certificate).value();
  REQUIRE(values.kms_uri == "kms.a.example.org");
  REQUIRE(values.schedule == key_period_schedule{2592000, 0});
  REQUIRE(values.z == a.server.public_values().z);
  REQUIRE(values.kpak == a.server.public_values().kpak);

  kms_key_prov_response prov;
  prov.header = h;
  prov.key_sets.push_back(make_key_set(alice));
  prov.key_sets.push_back(make_key_set(bob));
  const auto doc = write_kms_key_prov(prov).value();
  // No secret appears in the public certificate document.
  REQUIRE(init.find(to_hex(alice.ssk.span())) == std::string::npos);
  const auto back = parse_kms_key_prov(doc.as_text(), parsed.certificate).value();
  REQUIRE(back.key_sets.size() == 2);
  const auto alice2 = user_keys_from_key_set(back.key_sets[0], parsed.certificate).value();
  REQUIRE(alice2.id == alice.id);
  REQUIRE(alice2.period == period);
  REQUIRE(to_hex(alice2.rsk.span()) == to_hex(alice.rsk.span()));
  REQUIRE(to_hex(alice2.ssk.span()) == to_hex(alice.ssk.span()));
  REQUIRE(alice2.pvt == alice.pvt);

  // A bad point in the certificate: Z or KPAK moved off its curve (last coordinate octet changed).
  for (bool z : {true, false}) {
    auto c = cert;
    auto& key = z ? c.pub_enc_key : c.pub_auth_key;
    key.back() ^= 0x01;
    const std::string bad = write_kms_init({h, c}).value();
    const auto r = parse_kms_init(bad);
    REQUIRE_FALSE(r.has_value());
    INFO(r.error().message());
    REQUIRE(r.error().code == xml_error::invalid_key);
    REQUIRE(
        parse_kms_init(bad, no_curve_checks{}).has_value());  // only the encoding is checked then
    REQUIRE_FALSE(community_from_certificate(c).has_value());
  }
  // Z = a point on the curve outside the order-q subgroup is refused too: (0, 0) has order 2.
  {
    auto c = cert;
    std::fill(c.pub_enc_key.begin() + 1, c.pub_enc_key.end(), std::uint8_t{0});
    REQUIRE(parse_kms_init(write_kms_init({h, c}).value()).error().code == xml_error::invalid_key);
  }
  // ParameterSet other than 1.
  {
    auto c = cert;
    c.parameter_set = 2;
    REQUIRE(parse_kms_init(write_kms_init({h, c}).value()).error().code == xml_error::invalid_key);
  }
  // Key sets: Bob's RSK under Alice's name, a changed SSK, a PVT off the curve.
  const auto reject = [&](auto mutate, const char* what) {
    kms_key_prov_response p;
    p.header = h;
    p.key_sets.push_back(make_key_set(alice));
    mutate(p.key_sets[0]);
    const auto d = write_kms_key_prov(p).value();
    const auto r = parse_kms_key_prov(d.as_text(), parsed.certificate);
    INFO(what);
    REQUIRE_FALSE(r.has_value());
    INFO(r.error().message());
    REQUIRE(r.error().code == xml_error::invalid_key);
    REQUIRE(r.error().where.find("KmsKeySet[1]") != std::string::npos);
    REQUIRE(parse_kms_key_prov(d.as_text(), parsed.certificate, no_curve_checks{}).has_value());
  };
  reject(
      [&](kms_key_set& k) {
        k.user_decrypt_key = secret_bytes(std::span<const std::uint8_t>(bob.rsk.span()));
      },
      "RSK of another user");
  reject(
      [&](kms_key_set& k) {
        k.user_signing_key_ssk = secret_bytes(std::span<const std::uint8_t>(bob.ssk.span()));
      },
      "SSK of another user");
  reject([&](kms_key_set& k) { k.user_pub_token_pvt.back() ^= 1; }, "PVT off the curve");
  reject([&](kms_key_set& k) { k.user_decrypt_key.span().back() ^= 1; }, "RSK off the curve");
  reject([&](kms_key_set& k) { k.user_pub_token_pvt.assign(bob.pvt.begin(), bob.pvt.end()); },
         "PVT of another user");
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST_CASE("I_MESSAGE round trips: PCK, CSK, GMK; URIs and hidden UIDs; options", "[km][exchange]") {
  const auto& a = kms_a();
  const auto alice = keys_for(a, "sip:alice@example.org", now0);
  auto bob = receiver_for(a, "sip:bob@example.org", now0);

  struct variant_case {
    key_purpose purpose;
    identity_form ids;
    bool sp, to_self, params;
  };
  const variant_case variants[] = {
      {key_purpose::pck, identity_form::uri, false, false, false},
      {key_purpose::pck, identity_form::hashed_uid, true, true, true},
      {key_purpose::csk, identity_form::uri, true, false, true},
      {key_purpose::gmk, identity_form::uri, true, false, false},
      {key_purpose::gmk, identity_form::hashed_uid, false, true, true},
      {key_purpose::musik, identity_form::uri, false, false, false},
  };
  ntp_time t = now0;
  for (const auto& v : variants) {
    INFO("purpose " << static_cast<int>(v.purpose) << " hidden "
                    << (v.ids == identity_form::hashed_uid) << " sp " << v.sp << " self "
                    << v.to_self << " params " << v.params);
    i_message_options o;
    o.purpose = v.purpose;
    o.identities = v.ids;
    o.security_policy = v.sp;
    o.sakke_to_self = v.to_self;
    if (v.params) {
      key_parameters kp;
      kp.key_type = static_cast<std::uint8_t>(v.purpose);
      kp.text = {'h', 'i'};
      o.parameters = kp;
    }
    t.seconds += 1;
    const auto sent =
        create_i_message(alice, a.pub, "sip:bob@example.org", a.pub, t, o, rng()).value();
    REQUIRE(sent.key_id.purpose() == v.purpose);
    const auto parsed = skm::mikey::parse_message(sent.bytes).value();
    REQUIRE_FALSE(skm::mikey::check_3gpp_profile(parsed).has_value());
    REQUIRE((parsed.sp() != nullptr) == v.sp);
    REQUIRE((parsed.idr(skm::mikey::id_role::initiator_uid) != nullptr) ==
            (v.ids == identity_form::hashed_uid));

    const auto got = bob.process(sent.bytes, t, from("sip:alice@example.org"));
    INFO((got ? std::string() : got.error().message()));
    REQUIRE(got.has_value());
    REQUIRE(to_hex(got->key.span()) == to_hex(sent.key.span()));
    REQUIRE(got->purpose == v.purpose);
    REQUIRE(got->csb_id == sent.csb_id);
    REQUIRE(got->key_id == sent.key_id);  // the GMK-ID recovered from the GUK-ID
    REQUIRE(got->has_sakke_to_self == v.to_self);
    REQUIRE(got->initiator_uid == alice.id());
    REQUIRE(got->initiator_uri == "sip:alice@example.org");  // hidden: the confirmed candidate
    REQUIRE(got->initiator_confirmed);
    REQUIRE(confirm_initiator(*got, "sip:alice@example.org", a.pub).has_value());
    REQUIRE(got->parameters.has_value() == v.params);
    if (v.params) REQUIRE(got->parameters == o.parameters);
    if (v.purpose == key_purpose::gmk) {
      REQUIRE(sent.csb_id ==
              derive_guk_id(sent.key_id, sent.key.span(), "sip:bob@example.org").value());
      REQUIRE(sent.csb_id != sent.key_id);
      REQUIRE(got->cs_ids == std::vector<std::uint8_t>{cs_id_mcptt_group_call});
      const auto spi = (*parsed.hdr().generic_ids().begin()).spi;
      const auto expect = group_mki(sent.key_id, sent.csb_id);
      REQUIRE(std::equal(spi.begin(), spi.end(), expect.begin(), expect.end()));
      REQUIRE(mki(got->purpose, got->key_id, got->csb_id) ==
              std::vector<std::uint8_t>(expect.begin(), expect.end()));
    } else {
      REQUIRE(sent.csb_id == sent.key_id);
      REQUIRE(got->cs_ids.empty());
    }
    // Both ends derive the same SRTP master key and salt.
    const auto k1 = session_keys(sent, 0).value();
    const auto k2 = session_keys(*got, 0).value();
    REQUIRE(to_hex(k1.key.span()) == to_hex(k2.key.span()));
    REQUIRE(to_hex(k1.salt.span()) == to_hex(k2.salt.span()));
    // SAKKE-to-self: the initiator's own RSK opens the copy.
    if (v.to_self) {
      const auto inner =
          parsed.extension(skm::mikey::ext_type::sakke_to_self)->sakke_to_self().value();
      const auto ssv = alice.receiver().decapsulate(inner.data).value();
      REQUIRE(to_hex(ssv) == to_hex(sent.key.span()));
    }
  }
  // A caller-chosen key and key ID.
  const auto key = hex_bytes("000102030405060708090a0b0c0d0e0f");
  i_message_options o;
  o.key = key;
  o.key_id = sk_id::make(key_purpose::pck, 0x1234567).value();
  t.seconds += 1;
  const auto sent =
      create_i_message(alice, a.pub, "sip:bob@example.org", a.pub, t, o, rng()).value();
  REQUIRE(sent.csb_id.value() == 0x11234567);
  const auto got = bob.process(sent.bytes, t).value();
  REQUIRE(to_hex(got.key.span()) == "000102030405060708090a0b0c0d0e0f");
  // Request errors.
  o.key_id = sk_id::make(key_purpose::gmk, 1).value();
  require_failure(create_i_message(alice, a.pub, "sip:bob@example.org", a.pub, t, o, rng()),
                  i_message_error::bad_request);
  o.key_id.reset();
  const auto short_key = hex_bytes("0001");
  o.key = short_key;
  require_failure(create_i_message(alice, a.pub, "sip:bob@example.org", a.pub, t, o, rng()),
                  i_message_error::bad_request);
  o.key = {};
  require_failure(create_i_message(alice, a.pub, "", a.pub, t, o, rng()),
                  i_message_error::identity_failed);
  // The initiator's key set is for another period than the time.
  require_failure(create_i_message(alice, a.pub, "sip:bob@example.org", a.pub,
                                   ntp_time{t.seconds + 2592000, 0}, o, rng()),
                  i_message_error::wrong_period);
  require_failure(create_i_message(alice, kms_b().pub, "sip:bob@example.org", a.pub, t, o, rng()),
                  i_message_error::bad_request);
}

TEST_CASE("I_MESSAGE across two KMSs (initiator and receiver in different communities)",
          "[km][exchange]") {
  const auto& a = kms_a();
  const auto& b = kms_b();
  const auto alice = keys_for(a, "sip:alice@a.example.org", now0);
  auto bob = receiver_for(b, "sip:bob@b.example.org", now0, {&a});
  for (auto ids : {identity_form::uri, identity_form::hashed_uid}) {
    i_message_options o;
    o.identities = ids;
    o.sakke_to_self = true;
    const ntp_time t{now0.seconds + (ids == identity_form::uri ? 0u : 1u), 0};
    const auto sent =
        create_i_message(alice, a.pub, "sip:bob@b.example.org", b.pub, t, o, rng()).value();
    const auto got = bob.process(sent.bytes, t, from("sip:alice@a.example.org"));
    INFO((got ? std::string() : got.error().message()));
    REQUIRE(got.has_value());
    REQUIRE(to_hex(got->key.span()) == to_hex(sent.key.span()));
    REQUIRE(got->initiator_kms_uri == "kms.a.example.org");
    REQUIRE(got->initiator_confirmed);
    REQUIRE(confirm_initiator(*got, "sip:alice@a.example.org", a.pub).has_value());
    require_failure(confirm_initiator(*got, "sip:alice@a.example.org", b.pub),
                    i_message_error::unknown_initiator_kms);
  }
  // A receiver in B that does not trust A.
  auto closed = receiver_for(b, "sip:bob@b.example.org", now0);
  const auto sent =
      create_i_message(alice, a.pub, "sip:bob@b.example.org", b.pub, now0, {}, rng()).value();
  require_failure(closed.process(sent.bytes, now0), i_message_error::unknown_initiator_kms);
  // A message encapsulated for B's Bob reaches A's Bob (same URI, other KMS): wrong KMS.
  auto bob_in_a = receiver_for(a, "sip:bob@b.example.org", now0, {&b});
  require_failure(bob_in_a.process(sent.bytes, now0), i_message_error::wrong_kms);
}

TEST_CASE("I_MESSAGE rejections: recipient, period, replay, tampering, KMS",
          "[km][exchange][negative]") {
  const auto& a = kms_a();
  const auto alice = keys_for(a, "sip:alice@example.org", now0);
  auto bob = receiver_for(a, "sip:bob@example.org", now0);
  auto carol = receiver_for(a, "sip:carol@example.org", now0);

  for (auto ids : {identity_form::uri, identity_form::hashed_uid}) {
    i_message_options o;
    o.identities = ids;
    const auto sent =
        create_i_message(alice, a.pub, "sip:bob@example.org", a.pub, now0, o, rng()).value();
    // Carol is not the recipient.
    require_failure(carol.process(sent.bytes, now0), i_message_error::wrong_recipient);
    // Bob opens it once; again is a replay.
    REQUIRE(bob.process(sent.bytes, now0, from("sip:alice@example.org")).has_value());
    require_failure(bob.process(sent.bytes, now0, from("sip:alice@example.org")),
                    i_message_error::replayed);
  }
  // Wrong period: a message sent in the next period, Bob holding only this period's keys.
  const ntp_time next{(now0.seconds / 2592000 + 1) * 2592000 + 10, 0};
  const auto alice_next = keys_for(a, "sip:alice@example.org", next);
  const auto later =
      create_i_message(alice_next, a.pub, "sip:bob@example.org", a.pub, next, {}, rng()).value();
  require_failure(bob.process(later.bytes, next), i_message_error::no_key_for_period);
  REQUIRE(bob.add_keys(keys_for(a, "sip:bob@example.org", next)).has_value());
  REQUIRE(bob.process(later.bytes, next).has_value());
  // Bob's key set for the wrong period does not open a message of this period: with only the
  // next period's keys, this period's message has no key.
  {
    i_message_receiver bob2("sip:bob@example.org");
    bob2.trust(a.pub);
    REQUIRE(bob2.add_keys(keys_for(a, "sip:bob@example.org", next)).has_value());
    const auto now_msg =
        create_i_message(alice, a.pub, "sip:bob@example.org", a.pub, now0, {}, rng()).value();
    require_failure(bob2.process(now_msg.bytes, now0), i_message_error::no_key_for_period);
  }
  // Too old / in the future.
  const auto m = create_i_message(alice, a.pub, "sip:bob@example.org", a.pub,
                                  ntp_time{now0.seconds + 100, 0}, {}, rng())
                     .value();
  require_failure(bob.process(m.bytes, ntp_time{now0.seconds + 100 + 301, 0}),
                  i_message_error::too_old);
  require_failure(bob.process(m.bytes, ntp_time{now0.seconds + 100 - 301, 0}),
                  i_message_error::in_future);

  // Every flipped bit position (one per byte, alternating masks) of a full-option GMK message.
  i_message_options o;
  o.purpose = key_purpose::gmk;
  o.security_policy = true;
  o.sakke_to_self = true;
  o.parameters = key_parameters{};
  const ntp_time t{now0.seconds + 200, 0};
  const auto gmk =
      create_i_message(alice, a.pub, "sip:bob@example.org", a.pub, t, o, rng()).value();
  for (std::size_t i = 0; i < gmk.bytes.size(); ++i) {
    auto x = gmk.bytes;
    x[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
    if (bob.process(x, t).has_value()) FAIL("flipped byte " << i << " accepted");
  }
  for (std::size_t n = 0; n < gmk.bytes.size(); n += 3)
    if (bob.process(std::span<const std::uint8_t>(gmk.bytes).first(n), t).has_value())
      FAIL("truncation to " << n << " accepted");
  REQUIRE(bob.process(gmk.bytes, t).has_value());

  // A message signed by someone else's key set under Alice's name does not verify: Carol's keys,
  // Alice's URI in IDRi.
  {
    const auto carol_keys = keys_for(a, "sip:carol@example.org", now0);
    auto forged = create_i_message(carol_keys, a.pub, "sip:bob@example.org", a.pub,
                                   ntp_time{now0.seconds + 300, 0}, {}, rng())
                      .value();
    const std::string from = "sip:carol@example.org", to = "sip:alice@example.org";
    REQUIRE(from.size() == to.size());
    const auto at = std::search(forged.bytes.begin(), forged.bytes.end(), from.begin(), from.end());
    REQUIRE(at != forged.bytes.end());
    std::copy(to.begin(), to.end(), at);
    require_failure(bob.process(forged.bytes, ntp_time{now0.seconds + 300, 0}),
                    i_message_error::signature_invalid);
  }
  // Not an I_MESSAGE at all / not the 3GPP profile.
  require_failure(bob.process(std::vector<std::uint8_t>{}, now0), i_message_error::malformed);
  {
    auto x = gmk.bytes;
    x[1] = 0;  // data type 0 (Initiator's pre-shared key message)
    const auto r = bob.process(x, t);
    REQUIRE_FALSE(r.has_value());
  }
}

TEST_CASE("signer contexts are cached only for verified signers", "[km][exchange][negative]") {
  const auto& a = kms_a();
  const auto alice = keys_for(a, "sip:alice@example.org", now0);
  const auto carol = keys_for(a, "sip:carol@example.org", now0);
  auto bob = receiver_for(a, "sip:bob@example.org", now0);
  REQUIRE(bob.cached_signers() == 0);
  const auto m1 =
      create_i_message(alice, a.pub, "sip:bob@example.org", a.pub, now0, {}, rng()).value();
  REQUIRE(bob.process(m1.bytes, now0).has_value());
  REQUIRE(bob.cached_signers() == 1);
  // A forgery (Carol's signature under Alice's name) fails and adds nothing.
  auto forged =
      create_i_message(carol, a.pub, "sip:bob@example.org", a.pub, now0, {}, rng()).value();
  const std::string from = "sip:carol@example.org", to = "sip:alice@example.org";
  std::copy(to.begin(), to.end(),
            std::search(forged.bytes.begin(), forged.bytes.end(), from.begin(), from.end()));
  require_failure(bob.process(forged.bytes, now0), i_message_error::signature_invalid);
  REQUIRE(bob.cached_signers() == 1);
  // A second message from Alice verifies through the cached context; a tampered one fails there.
  auto m2 = create_i_message(alice, a.pub, "sip:bob@example.org", a.pub, now0, {}, rng()).value();
  auto bad = m2.bytes;
  bad[25] ^= 0x40;  // inside RAND (HDR 0-9, T 10-19, RAND header 20-21)
  require_failure(bob.process(bad, now0), i_message_error::signature_invalid);
  REQUIRE(bob.process(m2.bytes, now0).has_value());
  REQUIRE(bob.cached_signers() == 1);
  // Carol's genuine message adds her context; capacity 1 keeps only the newest.
  i_message_receiver small{"sip:bob@example.org",
                           receiver_options{{}, 1, skm::eccsi::precompute::y_point}};
  small.trust(a.pub);
  REQUIRE(small.add_keys(keys_for(a, "sip:bob@example.org", now0)).has_value());
  const auto m3 =
      create_i_message(alice, a.pub, "sip:bob@example.org", a.pub, now0, {}, rng()).value();
  const auto m4 =
      create_i_message(carol, a.pub, "sip:bob@example.org", a.pub, now0, {}, rng()).value();
  REQUIRE(small.process(m3.bytes, now0).has_value());
  REQUIRE(small.process(m4.bytes, now0).has_value());
  REQUIRE(small.cached_signers() == 1);
  // Key sets are checked on entry: another user's, or a community not trusted.
  require_failure(small.add_keys(keys_for(a, "sip:carol@example.org", now0)),
                  i_message_error::bad_request);
  require_failure(small.add_keys(keys_for(kms_b(), "sip:bob@example.org", now0)),
                  i_message_error::bad_request);
}

TEST_CASE("key-parameters extension: protect, unprotect, rejections", "[km][exchange][negative]") {
  const auto key = hex_bytes(vendor::pck);
  key_parameters kp;
  kp.key_type = 1;
  kp.status = 2;
  kp.activation_time = {0, 0, 0, 0, 7};
  kp.text = {'x', 'y', 'z'};
  kp.further = {0x55, 0x01, 0x02};
  const auto data = protect_key_parameters(kp, key, vendor::pck_id, {0, 0, 0, 0, 1}, rng()).value();
  REQUIRE(data.size() == 35 + 17 + 3 + 3 + 16);
  REQUIRE(unprotect_key_parameters(data, key, vendor::pck_id).value() == kp);
  REQUIRE(unprotect_key_parameters(data, key, vendor::pck_id ^ 1).error() ==
          key_parameters_error::key_id_mismatch);
  auto other_key = key;
  other_key[0] ^= 1;
  REQUIRE(unprotect_key_parameters(data, other_key, vendor::pck_id).error() ==
          key_parameters_error::authentication_failed);
  for (std::size_t i = 0; i < data.size(); ++i) {
    auto x = data;
    x[i] ^= 0x10;
    if (unprotect_key_parameters(x, key, vendor::pck_id).has_value())
      FAIL("changed octet " << i << " accepted");
  }
  for (std::size_t n = 0; n < data.size(); ++n)
    REQUIRE_FALSE(
        unprotect_key_parameters(std::span<const std::uint8_t>(data).first(n), key, vendor::pck_id)
            .has_value());
  auto x = data;
  x[0] = 0x44;
  REQUIRE(unprotect_key_parameters(x, key, vendor::pck_id).error() ==
          key_parameters_error::bad_message_type);
  x = data;
  x[11] = 2;
  REQUIRE(unprotect_key_parameters(x, key, vendor::pck_id).error() ==
          key_parameters_error::unsupported_algorithm);
  x = data;
  x[32] = 6;
  REQUIRE(unprotect_key_parameters(x, key, vendor::pck_id).error() ==
          key_parameters_error::unexpected_iei);
  REQUIRE(unprotect_key_parameters(data, {}, vendor::pck_id).error() ==
          key_parameters_error::bad_key);
  REQUIRE(decode_key_parameters(hex_bytes("01000000010000000000000000000000")).error() ==
          key_parameters_error::truncated);
  REQUIRE(decode_key_parameters(hex_bytes("010000000100000000000000000000000105")).error() ==
          key_parameters_error::truncated);
}

}  // namespace test_exchange
