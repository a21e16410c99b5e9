// SPDX-License-Identifier: BSD-3-Clause
// The hex-text identity convention: a KMS that binds RSK and SSK/PVT to the UID's 64-character
// lowercase hex text. Its key sets are refused under the raw convention with a hint, accepted
// when the community selects hex-text, and two users of such a community exchange I_MESSAGEs
// (both directions, and a GMK from the group management server).
#include <catch2/catch.hpp>

#include <string>

#include "km_test_util.hpp"
#include "skm/common/random.hpp"
#include "skm/km/i_message.hpp"
#include "skm/km/kms_request.hpp"
#include "skm/km/skm_server.hpp"

namespace test_kms_xml_hex_text {

using namespace skm::km;
using namespace skm::km::xml;
using skm::km::test::to_hex;

namespace {

skm::os_random& rng() {
  static skm::os_random r;
  return r;
}

const ntp_time now0 = parse_iso8601("2026-11-28T12:00:00Z").value();

/// A KMS of the hex-text convention, built once.
const skm_server& hex_kms() {
  static const skm_server s = [] {
    auto k = skm_server::generate({"localhost:8080", {2592000, 0}}, rng()).value();
    k.set_identity_convention(identity_convention::hex_text);
    return k;
  }();
  return s;
}

}  // namespace

TEST_CASE("identity_octets: raw octets or the lowercase hex text", "[kms-xml-interop]") {
  uid id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(0xA0 + i);
  REQUIRE(identity_octets(id, identity_convention::raw) == identifier(id.begin(), id.end()));
  const identifier text = identity_octets(id, identity_convention::hex_text);
  REQUIRE(std::string(text.begin(), text.end()) == to_hex(id));
  REQUIRE(text.size() == 64);
  REQUIRE(parse_identity_convention("hex-text") == identity_convention::hex_text);
  REQUIRE(parse_identity_convention("raw") == identity_convention::raw);
  REQUIRE_FALSE(parse_identity_convention("hex"));
  REQUIRE(std::string(describe(identity_convention::hex_text)) == "hex-text");
}

TEST_CASE("hex-text key sets: refused as raw with a hint, accepted under the convention",
          "[kms-xml-interop]") {
  const skm_server& kms = hex_kms();
  const user_key_set alice = kms.issue_at("sip:alice@example.org", now0, rng()).value();
  REQUIRE_FALSE(check_user_key_set(kms.public_values(), alice).has_value());
  community_public_values raw_values = kms.public_values();
  raw_values.convention = identity_convention::raw;
  REQUIRE(check_user_key_set(raw_values, alice) == key_error::rsk_invalid);

  // Through the documents, as a client receives them.
  const kms_certificate cert = make_certificate(kms.public_values(), "cert-1");
  const std::string init =
      write_kms_init({{"", "1.0.0", "sip:alice@example.org", "localhost:8080", now0, std::nullopt,
                       "http://localhost:8080/keymanagement/identity/v1/init"},
                      cert})
          .value();
  const kms_certificate parsed_cert = parse_kms_init(init).value().certificate;
  kms_key_prov_response prov;
  prov.header = {"",
                 "1.0.0",
                 "sip:alice@example.org",
                 "localhost:8080",
                 now0,
                 std::nullopt,
                 "http://localhost:8080/keymanagement/identity/v1/keyprov"};
  prov.key_sets.push_back(make_key_set(alice));
  const secret_bytes doc = write_kms_key_prov(prov).value();

  const auto as_raw = parse_kms_key_prov(doc.as_text(), parsed_cert);
  REQUIRE_FALSE(as_raw.has_value());
  REQUIRE(as_raw.error().code == xml_error::invalid_key);
  INFO(as_raw.error().message());
  REQUIRE(as_raw.error().message().find("validate with the hex-text identity convention") !=
          std::string::npos);

  const curve_checks hex{identity_convention::hex_text};
  const auto accepted = parse_kms_key_prov(doc.as_text(), parsed_cert, hex);
  REQUIRE(accepted.has_value());
  const auto keys = user_keys_from_key_set(accepted->key_sets[0], parsed_cert, hex).value();
  REQUIRE(keys.id == alice.id);
  REQUIRE(community_from_certificate(parsed_cert, identity_convention::hex_text)->convention ==
          identity_convention::hex_text);
  // The other way round: raw keys under the hex-text convention get the mirror hint.
  const skm_server raw_kms =
      skm_server::generate({"kms.raw.example.org", {2592000, 0}}, rng()).value();
  const auto raw_set = make_key_set(raw_kms.issue_at("sip:bob@example.org", now0, rng()).value());
  const auto raw_cert = make_certificate(raw_kms.public_values(), "c");
  const auto why = validate_key_set(raw_set, raw_cert, hex);
  REQUIRE(why);
  REQUIRE(why->message().find("validate with the raw identity convention") != std::string::npos);
  REQUIRE_FALSE(validate_key_set(raw_set, raw_cert).has_value());
}

TEST_CASE("two users of a hex-text community exchange I_MESSAGEs both ways, GMK included",
          "[kms-xml-interop]") {
  const skm_server& kms = hex_kms();
  const community pub = community::create(kms.public_values()).value();
  REQUIRE(pub.values().convention == identity_convention::hex_text);
  const std::string alice_uri = "sip:alice@example.org", bob_uri = "sip:bob@example.org",
                    gms_uri = "sip:gms@example.org";
  const user_key_set alice_set = kms.issue_at(alice_uri, now0, rng()).value();
  const user_key_set bob_set = kms.issue_at(bob_uri, now0, rng()).value();
  auto keys = [&](const user_key_set& k) { return period_keys::create(pub, k).value(); };
  const period_keys alice = keys(alice_set), bob = keys(bob_set);
  const period_keys gms = keys(kms.issue_at(gms_uri, now0, rng()).value());
  auto receiver = [&](const std::string& uri, const user_key_set& k) {
    i_message_receiver r{uri};
    r.trust(pub);
    REQUIRE(r.add_keys(keys(k)).has_value());
    return r;
  };
  i_message_receiver alice_rx = receiver(alice_uri, alice_set);
  i_message_receiver bob_rx = receiver(bob_uri, bob_set);

  ntp_time t = now0;
  // Alice to Bob (URIs, SAKKE-to-self), then Bob to Alice (hidden initiator).
  {
    i_message_options o;
    o.sakke_to_self = true;
    const auto sent = create_i_message(alice, pub, bob_uri, pub, t, o, rng()).value();
    const auto got = bob_rx.process(sent.bytes, t);
    INFO((got ? std::string() : got.error().message()));
    REQUIRE(got.has_value());
    REQUIRE(to_hex(got->key.span()) == to_hex(sent.key.span()));
    REQUIRE(got->initiator_uid == alice.id());
  }
  {
    t.seconds += 1;
    i_message_options o;
    o.identities = identity_form::hashed_uid;
    const auto sent = create_i_message(bob, pub, alice_uri, pub, t, o, rng()).value();
    // The hidden initiator is bound to Bob's URI by the receiver (the UID from the raw form).
    const auto got = alice_rx.process(sent.bytes, t, {.candidate_uris = {bob_uri}});
    INFO((got ? std::string() : got.error().message()));
    REQUIRE(got.has_value());
    REQUIRE(got->initiator_confirmed);
    REQUIRE(to_hex(got->key.span()) == to_hex(sent.key.span()));
    REQUIRE(confirm_initiator(*got, bob_uri, pub).has_value());
  }
  // A GMK from the GMS to both members.
  {
    t.seconds += 1;
    i_message_options o;
    o.purpose = key_purpose::gmk;
    for (auto* member : {&alice_rx, &bob_rx}) {
      const std::string& to = member == &alice_rx ? alice_uri : bob_uri;
      const auto sent = create_i_message(gms, pub, to, pub, t, o, rng()).value();
      const auto got = member->process(sent.bytes, t);
      INFO((got ? std::string() : got.error().message()));
      REQUIRE(got.has_value());
      REQUIRE(got->purpose == key_purpose::gmk);
      REQUIRE(to_hex(got->key.span()) == to_hex(sent.key.span()));
      REQUIRE(got->key_id == sent.key_id);
      REQUIRE(got->initiator_uid == gms.id());
      t.seconds += 1;
    }
  }
  // A receiver that takes the same KMS as raw cannot verify the signature: the convention is
  // never guessed per message.
  {
    community_public_values raw_values = kms.public_values();
    raw_values.convention = identity_convention::raw;
    const community raw_pub = community::create(raw_values).value();
    REQUIRE_FALSE(period_keys::create(raw_pub, bob_set).has_value());
    // On the wire: Alice's signature verifies with her UID's hex text, not with the raw UID.
    t.seconds += 1;
    const auto sent = create_i_message(alice, pub, bob_uri, pub, t, {}, rng()).value();
    const auto parsed = skm::mikey::parse_message(sent.bytes).value();
    const auto range = parsed.signed_range().value();
    const auto sig = parsed.sign()->signature;
    REQUIRE(skm::eccsi::verify(pub.kpak(), pub.identity_of(alice.id()), range, sig).has_value());
    REQUIRE_FALSE(skm::eccsi::verify(pub.kpak(), alice.id(), range, sig).has_value());
  }
}

}  // namespace test_kms_xml_hex_text
