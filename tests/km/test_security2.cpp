// SPDX-License-Identifier: BSD-3-Clause
// Security round 2 (issue 19 items 1-5 and 7, issue 14 item 6), receiver side and the checks
// below it. Messages are made by create_i_message and then altered and re-signed by their
// initiator, so each refusal is the later check's and not the signature's:
// - a hidden initiator (IDRuidi) releases no key unless a candidate URI confirms its UID for the
//   key period of T (or the caller accepts it unconfirmed);
// - the RFC 6509 / TS 33.180 payload rules: no CERT, KEMAC, ID, V or ERR; one SAKKE-to-self and
//   one key-parameters extension; known IDR roles and ID types; the profile's payload order; a
//   defined (or registered) key purpose; the GENERIC-ID SPI of every purpose; key-parameter
//   status, expiry and activation;
// - ECCSI malleability and the canonical-s option;
// - key periods at a rollover (T and the receiver's clock in different periods), IDRr naming
//   someone else, SSK' = q - SSK with the genuine PVT;
// - the degenerate (0 : 0) of PF_p, a moved-from SAKKE receiver, escaped message octets;
// - the legacy RFC 3830 SRTP-ID map of IWF peers behind its receiver option.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "km_test_util.hpp"
#include "skm/common/printable.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/eccsi/eccsi.hpp"
#include "skm/ext/fp2.hpp"
#include "skm/km/i_message.hpp"
#include "skm/km/skm_server.hpp"

namespace test_security2 {

using namespace skm::km;
using skm::km::test::to_hex;
namespace mk = skm::mikey;

namespace {

using bytes = std::vector<std::uint8_t>;

skm::os_random& rng() {
  static skm::os_random r;
  return r;
}

constexpr std::uint64_t period_length = 2592000;  // 30 days, offset 0
const std::string alice_uri = "sip:alice@example.org";
const std::string bob_uri = "sip:bob@example.org";
const std::string eve_uri = "sip:eve@example.org";  // as long as Bob's
const std::string carol_uri = "sip:carol@example.org";

struct test_kms {
  skm_server server;
  community pub;
};
const test_kms& kms() {
  static const test_kms k = [] {
    auto s = skm_server::generate({"kms.security2.example.org", {period_length, 0}}, rng()).value();
    auto c = community::create(s.public_values()).value();
    return test_kms{std::move(s), std::move(c)};
  }();
  return k;
}

const std::uint64_t N = parse_iso8601("2026-11-28T12:00:00Z").value().seconds / period_length;
const ntp_time t0{N * period_length + 1000, 0};

const user_key_set& key_set(const std::string& uri, std::uint64_t period) {
  static std::map<std::pair<std::string, std::uint64_t>, user_key_set> cache;
  auto it = cache.find({uri, period});
  if (it == cache.end())
    it = cache.emplace(std::make_pair(uri, period), kms().server.issue(uri, period, rng()).value())
             .first;
  return it->second;
}
const period_keys& keys(const std::string& uri, std::uint64_t period) {
  static std::map<std::pair<std::string, std::uint64_t>, period_keys> cache;
  auto it = cache.find({uri, period});
  if (it == cache.end())
    it = cache
             .emplace(std::make_pair(uri, period),
                      period_keys::create(kms().pub, key_set(uri, period)).value())
             .first;
  return it->second;
}

i_message_receiver bob_receiver(std::initializer_list<std::uint64_t> periods,
                                receiver_options o = {}) {
  i_message_receiver r{bob_uri, std::move(o)};
  r.trust(kms().pub);
  for (const auto p : periods)
    REQUIRE(r.add_keys(period_keys::create(kms().pub, key_set(bob_uri, p)).value()).has_value());
  return r;
}

/// A message from `from` (its key set of the period of t) to `to`, created at t.
i_message send(const std::string& from, const std::string& to, ntp_time t,
               const i_message_options& o = {}) {
  const auto period = kms().pub.period_at(t).value();
  return create_i_message(keys(from, period), kms().pub, to, kms().pub, t, o, rng()).value();
}

/// The signature is the last octets and covers every octet before them (RFC 3830 §5.2).
bytes resign(bytes m, const period_keys& signer) {
  const auto n = m.size() - eccsi_suite::signature_size;
  const auto sig = signer.signer().sign(std::span<const std::uint8_t>(m).first(n), rng()).value();
  std::copy(sig.begin(), sig.end(), m.begin() + static_cast<std::ptrdiff_t>(n));
  return m;
}

/// The message rebuilt payload by payload through `edit(builder, payload)`, signed by `signer`.
template <class Edit>
bytes rebuild(const bytes& m, const period_keys& signer, Edit edit) {
  const auto parsed = mk::parse_message(m).value();
  mk::message_builder b;
  for (const auto& e : parsed.payloads()) {
    if (e.type == mk::payload_type::sign) break;
    std::visit([&](const auto& p) { edit(b, p); }, e.value);
  }
  const auto to_sign = b.begin_signature(mk::sign_type::eccsi, eccsi_suite::signature_size);
  INFO((to_sign ? std::string() : mk::to_string(to_sign.error())));
  REQUIRE(to_sign.has_value());
  const auto sig = signer.signer().sign(*to_sign, rng()).value();
  return b.finish_signature(sig).value();
}

template <class P, class Q>
constexpr bool is = std::is_same_v<std::decay_t<P>, Q>;

void require_failure(const auto& r, i_message_error code) {
  REQUIRE_FALSE(r.has_value());
  INFO(r.error().message());
  REQUIRE(r.error().code == code);
}

void require_key(const auto& r, const secret_array<16>& key) {
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.has_value());
  REQUIRE(to_hex(r->key.span()) == to_hex(key.span()));
}

std::span<const std::uint8_t> octets(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void replace_once(bytes& m, std::span<const std::uint8_t> from, std::span<const std::uint8_t> to) {
  REQUIRE(from.size() == to.size());
  const auto at = std::search(m.begin(), m.end(), from.begin(), from.end());
  REQUIRE(at != m.end());
  REQUIRE(std::search(at + 1, m.end(), from.begin(), from.end()) == m.end());
  std::copy(to.begin(), to.end(), at);
}

initiator_binding candidates(std::vector<std::string> uris) {
  initiator_binding b;
  b.candidate_uris = std::move(uris);
  return b;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Item 1: hidden initiators

TEST_CASE("security-2: a hidden initiator releases no key unless a candidate URI confirms it",
          "[security-2]") {
  i_message_options hidden;
  hidden.identities = identity_form::hashed_uid;
  const auto sent = send(alice_uri, bob_uri, t0, hidden);

  auto r = bob_receiver({N});
  require_failure(r.process(sent.bytes, t0), i_message_error::initiator_unconfirmed);
  require_failure(r.process(sent.bytes, t0, candidates({carol_uri})),
                  i_message_error::initiator_mismatch);
  REQUIRE(r.replay().size() == 0);  // nothing refused was recorded

  {  // a candidate list that holds the initiator
    auto x = bob_receiver({N});
    const auto got = x.process(sent.bytes, t0, candidates({carol_uri, alice_uri}));
    require_key(got, sent.key);
    REQUIRE(got->initiator_confirmed);
    REQUIRE(got->initiator_uri == alice_uri);
    REQUIRE(got->initiator_period == N);
    REQUIRE(got->initiator_uid == keys(alice_uri, N).id());
  }
  {  // a resolver
    auto x = bob_receiver({N});
    initiator_binding b;
    std::size_t asked = 0;
    b.resolver = [&](const uid& carried, std::string_view kms_uri) {
      ++asked;
      REQUIRE(carried == keys(alice_uri, N).id());
      REQUIRE(kms_uri == kms().pub.kms_uri());
      return std::vector<std::string>{carol_uri, alice_uri};
    };
    const auto got = x.process(sent.bytes, t0, b);
    require_key(got, sent.key);
    REQUIRE(asked == 1);
    REQUIRE(got->initiator_uri == alice_uri);
    REQUIRE(got->initiator_confirmed);
  }
  {  // explicitly accepted unconfirmed, confirmed later
    auto x = bob_receiver({N});
    initiator_binding b;
    b.accept_unconfirmed = true;
    const auto got = x.process(sent.bytes, t0, b);
    require_key(got, sent.key);
    REQUIRE_FALSE(got->initiator_confirmed);
    REQUIRE_FALSE(got->initiator_uri.has_value());
    REQUIRE_FALSE(got->initiator_period.has_value());
    REQUIRE(confirm_initiator(*got, alice_uri, kms().pub).value() == N);
  }
  {  // a clear IDRi must be among the candidates when any are given
    const auto clear = send(alice_uri, bob_uri, t0);
    auto x = bob_receiver({N});
    require_failure(x.process(clear.bytes, t0, candidates({carol_uri})),
                    i_message_error::initiator_mismatch);
    const auto got = x.process(clear.bytes, t0, candidates({carol_uri, alice_uri}));
    require_key(got, clear.key);
    REQUIRE(got->initiator_confirmed);
    auto y = bob_receiver({N});
    REQUIRE(y.process(clear.bytes, t0).value().initiator_confirmed);  // no list: as carried
  }
}

TEST_CASE("security-2: a hidden initiator signing with a key set of an expired period is refused",
          "[security-2]") {
  // Alice's key set of period N - 3 signs a message dated in period N: the carried UID is one the
  // KMS issued, so the signature verifies; only the binding to the period of T refuses it.
  i_message_options hidden;
  hidden.identities = identity_form::hashed_uid;
  const auto sent = send(alice_uri, bob_uri, t0, hidden);
  auto m = sent.bytes;
  replace_once(m, keys(alice_uri, N).id(), keys(alice_uri, N - 3).id());
  m = resign(std::move(m), keys(alice_uri, N - 3));

  auto strict = bob_receiver({N});
  require_failure(strict.process(m, t0, candidates({alice_uri})),
                  i_message_error::initiator_mismatch);
  receiver_options tolerant;
  tolerant.key_period_tolerance = 1;
  auto lenient = bob_receiver({N}, tolerant);
  require_failure(lenient.process(m, t0, candidates({alice_uri})),
                  i_message_error::initiator_mismatch);
  // Accepted unconfirmed only on request, and then reported as such.
  initiator_binding b;
  b.accept_unconfirmed = true;
  const auto got = strict.process(m, t0, b);
  require_key(got, sent.key);
  REQUIRE_FALSE(got->initiator_confirmed);
  require_failure(confirm_initiator(*got, alice_uri, kms().pub, 1),
                  i_message_error::initiator_mismatch);
}

// ---------------------------------------------------------------------------------------------
// Item 2: payload rules

TEST_CASE(
    "security-2: payloads outside the profile, duplicated extensions, unknown roles and types",
    "[security-2]") {
  i_message_options o;
  o.sakke_to_self = true;
  key_parameters kp;
  kp.key_type = static_cast<std::uint8_t>(key_purpose::pck);
  o.parameters = kp;
  const auto sent = send(alice_uri, bob_uri, t0, o);
  const auto& alice = keys(alice_uri, N);
  const std::string junk = "junk";

  // The control: an untouched rebuild opens.
  {
    auto r = bob_receiver({N});
    require_key(r.process(rebuild(sent.bytes, alice, [](auto& b, const auto& p) { b.add(p); }), t0),
                sent.key);
  }

  // One extra payload after IDRkmsr (where RFC 6509 allows a CERT) for each refused kind.
  const auto with_extra_after_kmsr = [&](auto extra) {
    return rebuild(sent.bytes, alice, [&](auto& b, const auto& p) {
      b.add(p);
      if constexpr (is<decltype(p), mk::idr_payload>)
        if (p.role == mk::id_role::responder_kms) b.add(extra);
    });
  };
  struct refused_case {
    const char* what;
    bytes message;
  };
  const refused_case cases[] = {
      {"CERT", with_extra_after_kmsr(mk::cert_payload{0, octets(junk)})},
      {"ID", with_extra_after_kmsr(mk::id_payload{1, octets(carol_uri)})},
      {"KEMAC",
       with_extra_after_kmsr(mk::kemac_payload{mk::encr_alg::null, {}, mk::mac_alg::null, {}})},
      {"V", with_extra_after_kmsr(mk::v_payload{mk::mac_alg::null, {}})},
      {"ERR", with_extra_after_kmsr(mk::err_payload{})},
      {"IDR role 3 (IDRkms)",
       with_extra_after_kmsr(
           mk::idr_payload{mk::id_role::kms, mk::id_type::uri, octets(kms().pub.kms_uri())})},
      {"IDR role 42", with_extra_after_kmsr(mk::idr_payload{static_cast<mk::id_role>(42),
                                                            mk::id_type::uri, octets(junk)})},
      {"IDR ID type 7 (IDRkmsi)", rebuild(sent.bytes, alice,
                                          [&](auto& b, const auto& p) {
                                            if constexpr (is<decltype(p), mk::idr_payload>) {
                                              if (p.role == mk::id_role::initiator_kms) {
                                                auto q = p;
                                                q.type = static_cast<mk::id_type>(7);
                                                b.add(q);
                                                return;
                                              }
                                            }
                                            b.add(p);
                                          })},
      {"SAKKE-to-self twice", rebuild(sent.bytes, alice,
                                      [&](auto& b, const auto& p) {
                                        b.add(p);
                                        if constexpr (is<decltype(p), mk::general_ext_payload>)
                                          if (p.type == mk::ext_type::sakke_to_self) b.add(p);
                                      })},
      {"key parameters twice", rebuild(sent.bytes, alice,
                                       [&](auto& b, const auto& p) {
                                         b.add(p);
                                         if constexpr (is<decltype(p), mk::general_ext_payload>)
                                           if (p.type == mk::ext_type::key_parameters) b.add(p);
                                       })},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    REQUIRE(mk::parse_message(c.message).has_value());  // well-formed MIKEY
    auto r = bob_receiver({N});
    require_failure(r.process(c.message, t0, candidates({alice_uri})),
                    i_message_error::not_3gpp_profile);
  }
}

TEST_CASE("security-2: payloads out of the profile's order are refused", "[security-2]") {
  i_message_options o;
  o.security_policy = true;
  o.sakke_to_self = true;
  key_parameters kp;
  kp.key_type = static_cast<std::uint8_t>(key_purpose::pck);
  o.parameters = kp;
  const auto sent = send(alice_uri, bob_uri, t0, o);
  const auto& alice = keys(alice_uri, N);

  /// Moves the first payload matching `pick` to just after the first matching `after`.
  const auto moved = [&](auto pick, auto after) {
    std::optional<mk::payload_variant> held;
    return rebuild(sent.bytes, alice, [&](auto& b, const auto& p) {
      const mk::payload_variant v = p;
      if (!held && pick(v)) {
        held = v;
        return;
      }
      b.add(p);
      if (held && after(v)) {
        std::visit([&](const auto& q) { b.add(q); }, *held);
        held.reset();
      }
    });
  };
  const auto type_is = [](mk::payload_type t) {
    return [t](const mk::payload_variant& v) {
      return std::visit([&](const auto& p) { return std::decay_t<decltype(p)>::kind == t; }, v);
    };
  };
  const auto role_is = [](mk::id_role role) {
    return [role](const mk::payload_variant& v) {
      const auto* i = std::get_if<mk::idr_payload>(&v);
      return i != nullptr && i->role == role;
    };
  };
  const auto ext_is = [](mk::ext_type t) {
    return [t](const mk::payload_variant& v) {
      const auto* x = std::get_if<mk::general_ext_payload>(&v);
      return x != nullptr && x->type == t;
    };
  };
  struct order_case {
    const char* what;
    bytes message;
  };
  const order_case cases[] = {
      {"T after RAND", moved(type_is(mk::payload_type::t), type_is(mk::payload_type::rand))},
      {"IDRi after IDRr", moved(role_is(mk::id_role::initiator), role_is(mk::id_role::responder))},
      {"IDRkmsi after IDRkmsr",
       moved(role_is(mk::id_role::initiator_kms), role_is(mk::id_role::responder_kms))},
      {"SP after SAKKE", moved(type_is(mk::payload_type::sp), type_is(mk::payload_type::sakke))},
      {"SAKKE after SAKKE-to-self",
       moved(type_is(mk::payload_type::sakke), ext_is(mk::ext_type::sakke_to_self))},
      {"SAKKE-to-self after key parameters",
       moved(ext_is(mk::ext_type::sakke_to_self), ext_is(mk::ext_type::key_parameters))},
      {"IDRkmsr before SAKKE moved after it",
       moved(role_is(mk::id_role::responder_kms), type_is(mk::payload_type::sakke))},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    REQUIRE(mk::parse_message(c.message).has_value());
    auto r = bob_receiver({N});
    require_failure(r.process(c.message, t0), i_message_error::not_3gpp_profile);
  }
  auto r = bob_receiver({N});
  require_key(r.process(sent.bytes, t0), sent.key);  // the profile's order opens
}

TEST_CASE("security-2: a key purpose must be defined or registered", "[security-2]") {
  constexpr key_purpose vendor_purpose{7};
  i_message_options o;
  o.purpose = vendor_purpose;
  o.key_id = sk_id::make(vendor_purpose, 0x0123456).value();
  const auto sent = send(alice_uri, bob_uri, t0, o);

  auto strict = bob_receiver({N});
  require_failure(strict.process(sent.bytes, t0), i_message_error::unknown_key_purpose);
  REQUIRE(strict.replay().size() == 0);

  receiver_options registered;
  registered.registered_purposes = {{vendor_purpose, "VENDOR-7"}};
  auto r = bob_receiver({N}, registered);
  const auto got = r.process(sent.bytes, t0);
  require_key(got, sent.key);
  REQUIRE(got->purpose == vendor_purpose);
  REQUIRE(got->key_id == *o.key_id);

  // Another undefined purpose stays refused with purpose 7 registered.
  i_message_options o15;
  o15.purpose = key_purpose{15};
  auto r2 = bob_receiver({N}, registered);
  require_failure(r2.process(send(alice_uri, bob_uri, t0, o15).bytes, t0),
                  i_message_error::unknown_key_purpose);
}

TEST_CASE("security-2: the GENERIC-ID SPI is checked for every purpose that carries one",
          "[security-2]") {
  for (const auto purpose : {key_purpose::pck, key_purpose::csk, key_purpose::musik}) {
    INFO("purpose " << static_cast<unsigned>(purpose));
    i_message_options o;
    o.purpose = purpose;
    const auto sent = send(alice_uri, bob_uri, t0, o);
    const auto with_spi = [&](std::span<const std::uint8_t> spi) {
      return rebuild(sent.bytes, keys(alice_uri, N), [&](auto& b, const auto& p) {
        if constexpr (is<decltype(p), mk::hdr_payload>) {
          mk::generic_id_entry e;
          e.cs_id = 6;
          e.spi = spi;
          const std::array<mk::generic_id_entry, 1> map{e};
          b.add_hdr(p, std::span<const mk::generic_id_entry>(map));
        } else {
          b.add(p);
        }
      });
    };
    const auto good_spi = key_id_mki(sent.key_id);
    auto bad_spi = good_spi;
    bad_spi[3] ^= 0x01;
    auto r = bob_receiver({N});
    require_failure(r.process(with_spi(bad_spi), t0), i_message_error::key_id_mismatch);
    const auto got = r.process(with_spi(good_spi), t0);
    require_key(got, sent.key);
    REQUIRE(got->form == message_form::generic_id);
    REQUIRE(got->cs_ids == std::vector<std::uint8_t>{6});
  }
}

TEST_CASE("security-2: key-parameter status, expiry and activation are acted on", "[security-2]") {
  const auto with = [](auto set) {
    i_message_options o;
    key_parameters kp;
    kp.key_type = static_cast<std::uint8_t>(key_purpose::pck);
    set(kp);
    o.parameters = kp;
    return send(alice_uri, bob_uri, t0, o);
  };
  auto r = bob_receiver({N});
  require_failure(r.process(with([](key_parameters& k) { k.status = 0; }).bytes, t0),
                  i_message_error::key_revoked);
  require_failure(r.process(with([](key_parameters& k) { k.status = 2; }).bytes, t0),
                  i_message_error::key_revoked);
  require_failure(r.process(with([](key_parameters& k) {
                              k.expiry_time = key_parameter_time_octets({t0.seconds - 1, 0});
                            }).bytes,
                            t0),
                  i_message_error::key_expired);
  REQUIRE(r.replay().size() == 0);

  const auto fine = with([](key_parameters& k) {
    k.status = 3;  // not revoked, shared with a security gateway
    k.expiry_time = key_parameter_time_octets({t0.seconds + 3600, 0});
    k.activation_time = key_parameter_time_octets({t0.seconds - 10, 0});
  });
  const auto got = r.process(fine.bytes, t0);
  require_key(got, fine.key);
  REQUIRE(got->active);
  REQUIRE(got->expiry_time == ntp_time{t0.seconds + 3600, 0});
  REQUIRE(got->activation_time == ntp_time{t0.seconds - 10, 0});

  const auto later = with([](key_parameters& k) {
    k.activation_time = key_parameter_time_octets({t0.seconds + 86400, 0});
  });
  const auto pending = r.process(later.bytes, t0);
  require_key(pending, later.key);
  REQUIRE_FALSE(pending->active);
  REQUIRE(pending->activation_time == ntp_time{t0.seconds + 86400, 0});

  const auto plain = send(alice_uri, bob_uri, t0);  // no extension: active, no times
  const auto p = r.process(plain.bytes, t0);
  require_key(p, plain.key);
  REQUIRE(p->active);
  REQUIRE_FALSE(p->activation_time.has_value());
}

// ---------------------------------------------------------------------------------------------
// Item 3: malleability

TEST_CASE("security-2: ECCSI malleability, the canonical-s option and the replay cache",
          "[security-2]") {
  using Fq = eccsi_suite::qfield;
  constexpr std::size_t n = eccsi_suite::N;
  const auto flip_s = [](bytes m) {
    const auto at = m.size() - eccsi_suite::signature_size + n;
    const auto s = Fq::from_bytes(std::span<const std::uint8_t>(m).subspan(at, n)).value();
    const auto flipped = (-s).to_bytes();
    std::copy(flipped.begin(), flipped.end(), m.begin() + static_cast<std::ptrdiff_t>(at));
    return m;
  };
  const auto signature_of = [](const bytes& m) {
    return std::span<const std::uint8_t>(m).last(eccsi_suite::signature_size);
  };

  i_message_options canonical;
  canonical.canonical_s = true;
  for (int i = 0; i < 4; ++i) {  // s is canonical whatever the random j
    const auto sent = send(alice_uri, bob_uri, t0, canonical);
    REQUIRE(skm::eccsi::has_canonical_s(signature_of(sent.bytes)));
    const auto other = flip_s(sent.bytes);
    REQUIRE_FALSE(skm::eccsi::has_canonical_s(signature_of(other)));
    REQUIRE(to_hex(skm::eccsi::canonical_s(signature_of(other)).value()) ==
            to_hex(signature_of(sent.bytes)));

    // (r, q - s) verifies too: a default receiver opens either form, once (RAND is the key).
    auto plain = bob_receiver({N});
    require_key(plain.process(other, t0), sent.key);
    require_failure(plain.process(sent.bytes, t0), i_message_error::replayed);

    receiver_options o;
    o.require_canonical_s = true;
    auto strict = bob_receiver({N}, o);
    require_failure(strict.process(other, t0), i_message_error::signature_not_canonical);
    require_key(strict.process(sent.bytes, t0), sent.key);
  }
  REQUIRE_FALSE(skm::eccsi::canonical_s(bytes(12, 0)).has_value());
  REQUIRE_FALSE(skm::eccsi::has_canonical_s(bytes(eccsi_suite::signature_size, 0)));  // s = 0
}

// ---------------------------------------------------------------------------------------------
// Item 4: key periods at a rollover, a message for someone else, SSK' = q - SSK

TEST_CASE("security-2: T and the receiver's clock on either side of a key period boundary",
          "[security-2]") {
  const std::uint64_t boundary = (N + 1) * period_length;
  struct rollover {
    const char* what;
    ntp_time t, now;
    std::uint64_t period_of_t;
  };
  const rollover cases[] = {
      {"sent 5 s before the boundary, received 5 s after", {boundary - 5, 0}, {boundary + 5, 0}, N},
      {"sent 5 s after the boundary, received 5 s before",
       {boundary + 5, 0},
       {boundary - 5, 0},
       N + 1},
  };
  for (const auto& c : cases) {
    for (const auto ids : {identity_form::uri, identity_form::hashed_uid}) {
      for (const unsigned tolerance : {0u, 1u}) {
        INFO(c.what << "; hidden ids " << (ids == identity_form::hashed_uid) << "; tolerance "
                    << tolerance);
        i_message_options o;
        o.identities = ids;
        const auto sent = send(alice_uri, bob_uri, c.t, o);
        // Both ends' UIDs are those of the period of T, not of either clock's other period.
        const auto parsed = mk::parse_message(sent.bytes).value();
        if (ids == identity_form::hashed_uid) {
          const auto i = parsed.idr(mk::id_role::initiator_uid)->data;
          const auto r = parsed.idr(mk::id_role::responder_uid)->data;
          REQUIRE(to_hex(i) == to_hex(keys(alice_uri, c.period_of_t).id()));
          REQUIRE(to_hex(r) == to_hex(keys(bob_uri, c.period_of_t).id()));
        }
        receiver_options opt;
        opt.key_period_tolerance = tolerance;
        auto r = bob_receiver({N, N + 1}, opt);
        const auto got = r.process(sent.bytes, c.now, candidates({alice_uri}));
        require_key(got, sent.key);
        REQUIRE(got->time_period == c.period_of_t);
        REQUIRE(got->period == c.period_of_t);
        REQUIRE(got->initiator_period == c.period_of_t);
        REQUIRE(got->initiator_uid == keys(alice_uri, c.period_of_t).id());
        // Holding only the key set of the clock's period is not enough without the tolerance.
        const auto clock_period = kms().pub.period_at(c.now).value();
        REQUIRE(clock_period != c.period_of_t);
        auto only_clock = bob_receiver({clock_period}, opt);
        const auto by_clock = only_clock.process(sent.bytes, c.now, candidates({alice_uri}));
        if (tolerance == 0) {
          require_failure(by_clock, i_message_error::no_key_for_period);
        } else {
          INFO((by_clock ? std::string() : by_clock.error().message()));
          REQUIRE_FALSE(by_clock.has_value());  // encapsulated to the UID of the period of T
        }
      }
    }
  }
}

TEST_CASE("security-2: IDRr naming someone else is wrong_recipient even when SAKKE would open",
          "[security-2]") {
  const auto sent = send(alice_uri, bob_uri, t0);  // encapsulated to Bob
  auto m = sent.bytes;
  replace_once(m, octets(bob_uri), octets(eve_uri));
  m = resign(std::move(m), keys(alice_uri, N));
  auto r = bob_receiver({N});
  require_failure(r.process(m, t0), i_message_error::wrong_recipient);

  // Hidden form: IDRuidr is Eve's UID, the SAKKE payload still Bob's.
  i_message_options hidden;
  hidden.identities = identity_form::hashed_uid;
  const auto sent_h = send(alice_uri, bob_uri, t0, hidden);
  auto mh = sent_h.bytes;
  replace_once(mh, keys(bob_uri, N).id(), keys(eve_uri, N).id());
  mh = resign(std::move(mh), keys(alice_uri, N));
  require_failure(r.process(mh, t0, candidates({alice_uri})), i_message_error::wrong_recipient);
  REQUIRE(r.replay().size() == 0);
  require_key(r.process(sent.bytes, t0), sent.key);  // the genuine message opens
}

TEST_CASE("security-2: SSK' = q - SSK with the genuine PVT is refused (KPAK compared as a point)",
          "[security-2]") {
  using Fq = eccsi_suite::qfield;
  const auto& k = key_set(alice_uri, N);
  const auto& kpak = kms().pub.kpak();
  REQUIRE(skm::eccsi::signer<>::create(kpak, k.id, k.ssk.span(), k.pvt).has_value());
  // [q - SSK]G = -[SSK]G = -(KPAK + [HS]PVT) has the x coordinate of KPAK + [HS]PVT: a
  // comparison of x alone would take it.
  auto ssk = Fq::from_bytes(k.ssk.span()).value();
  auto negated = (-ssk).to_bytes();
  const auto r = skm::eccsi::signer<>::create(kpak, k.id, negated, k.pvt);
  REQUIRE_FALSE(r.has_value());
  REQUIRE(r.error() == skm::eccsi::error::ssk_invalid);
  skm::ct::wipe_object(ssk);
  skm::ct::wipe(negated.data(), negated.size());
}

// ---------------------------------------------------------------------------------------------
// Item 5: PF_p equality, a moved-from SAKKE receiver

TEST_CASE("security-2: the degenerate (0 : 0) of PF_p equals only itself", "[security-2]") {
  using Fp = skm::curves::sakke_param_set_1::base_field;
  using P = skm::pfp<Fp>;
  const P zero_zero(skm::fp2<Fp>{Fp::zero(), Fp::zero()});
  const P one = P{};
  const P x = P::from_canonical(Fp::from_u64(5));
  const P x_scaled(skm::fp2<Fp>{Fp::from_u64(3), Fp::from_u64(15)});  // (3 : 15) = (1 : 5)
  REQUIRE(zero_zero.is_degenerate().declassify());
  REQUIRE_FALSE(x.is_degenerate().declassify());
  REQUIRE_FALSE(zero_zero == one);
  REQUIRE_FALSE(zero_zero == x);
  REQUIRE_FALSE(x == zero_zero);
  REQUIRE(zero_zero == zero_zero);
  REQUIRE(x == x_scaled);
  REQUIRE_FALSE(x == one);
  const P order_two(skm::fp2<Fp>{Fp::zero(), Fp::one()});  // (0 : 1), a proper element
  REQUIRE_FALSE(order_two == zero_zero);
  REQUIRE(order_two == P(skm::fp2<Fp>{Fp::zero(), Fp::from_u64(7)}));
}

TEST_CASE("security-2: a moved-from SAKKE receiver refuses with a clear error", "[security-2]") {
  const auto sent = send(alice_uri, bob_uri, t0);
  const auto parsed = mk::parse_message(sent.bytes).value();
  auto from = period_keys::create(kms().pub, key_set(bob_uri, N)).value();
  REQUIRE(from.receiver().usable());
  const auto to = std::move(from);
  // NOLINTNEXTLINE(bugprone-use-after-move): the point of the test
  const auto& moved_from = from.receiver();
  REQUIRE_FALSE(moved_from.usable());
  const auto refused = moved_from.decapsulate(parsed.sakke()->data);
  REQUIRE_FALSE(refused.has_value());
  REQUIRE(refused.error() == skm::sakke::sakke_error::receiver_moved_from);
  REQUIRE(std::string(skm::sakke::describe(refused.error())).find("moved") != std::string::npos);
  const auto opened = to.receiver().decapsulate(parsed.sakke()->data);
  REQUIRE(opened.has_value());
  REQUIRE(to_hex(*opened) == to_hex(sent.key.span()));
}

// ---------------------------------------------------------------------------------------------
// Item 7: escaping

TEST_CASE("security-2: printable() escapes every non-printable octet, injectively",
          "[security-2]") {
  REQUIRE(skm::printable(std::string_view("sip:alice@example.org")) == "sip:alice@example.org");
  REQUIRE(skm::printable(std::string_view("a\x1b[2Jb\n\r\t")) == "a\\x1b[2Jb\\x0a\\x0d\\x09");
  REQUIRE(skm::printable(std::string_view("back\\slash")) == "back\\\\slash");
  REQUIRE(skm::printable(std::string_view("\\x41")) == "\\\\x41");  // not confused with "A"
  const std::array<std::uint8_t, 4> high{0x00, 0x7F, 0x80, 0xFF};
  REQUIRE(skm::printable(high) == "\\x00\\x7f\\x80\\xff");
  for (unsigned c = 0; c < 256; ++c) {
    const std::array<std::uint8_t, 1> one{static_cast<std::uint8_t>(c)};
    for (const char x : skm::printable(one)) REQUIRE((x >= 0x20 && x <= 0x7E));
  }
}

TEST_CASE("security-2: message octets reach error texts escaped", "[security-2]") {
  const auto sent = send(alice_uri, bob_uri, t0);
  const std::string evil = "sip:\x1b]0;owned\x07\n\x1b[2J@example.org";
  const auto m = rebuild(sent.bytes, keys(alice_uri, N), [&](auto& b, const auto& p) {
    if constexpr (is<decltype(p), mk::idr_payload>) {
      if (p.role == mk::id_role::responder) {
        b.add(mk::idr_payload{p.role, p.type, octets(evil)});
        return;
      }
    }
    b.add(p);
  });
  auto r = bob_receiver({N});
  const auto got = r.process(m, t0);
  require_failure(got, i_message_error::wrong_recipient);
  const auto text = got.error().message();
  for (const char x : text) REQUIRE((x >= 0x20 && x <= 0x7E));
  REQUIRE(text.find("\\x1b]0;owned\\x07\\x0a\\x1b[2J") != std::string::npos);

  // The same for an IDRkmsr naming an unknown KMS.
  const auto kms_evil = rebuild(sent.bytes, keys(alice_uri, N), [&](auto& b, const auto& p) {
    if constexpr (is<decltype(p), mk::idr_payload>) {
      if (p.role == mk::id_role::responder_kms) {
        b.add(mk::idr_payload{p.role, p.type, octets(evil)});
        return;
      }
    }
    b.add(p);
  });
  const auto k = r.process(kms_evil, t0);
  require_failure(k, i_message_error::wrong_kms);
  for (const char x : k.error().message()) REQUIRE((x >= 0x20 && x <= 0x7E));
}

// ---------------------------------------------------------------------------------------------
// Issue 14 item 6: the legacy RFC 3830 SRTP-ID map

namespace {

/// A HDR with the RFC 3830 SRTP-ID map, octet by octet from RFC 3830 §6.1 and §6.1.1 (not from
/// skm's encoder): version 1 | data type 26 | next payload 5 (T) | V 0, PRF func 1 | CSB ID |
/// #CS | CS ID map type 0 | per crypto session: Policy_no (1) | SSRC (4) | ROC (4).
bytes legacy_hdr(std::uint32_t csb_id, std::uint8_t prf, std::size_t sessions) {
  bytes h{0x01,
          0x1A,
          0x05,
          prf,
          static_cast<std::uint8_t>(csb_id >> 24),
          static_cast<std::uint8_t>(csb_id >> 16),
          static_cast<std::uint8_t>(csb_id >> 8),
          static_cast<std::uint8_t>(csb_id),
          static_cast<std::uint8_t>(sessions),
          0x00};
  for (std::size_t i = 0; i < sessions; ++i) {
    const bytes session{0x00, 0xCA, 0xFE, 0xBA, static_cast<std::uint8_t>(0xB0 + i),
                        0x00, 0x00, 0x00, 0x00};
    h.insert(h.end(), session.begin(), session.end());
  }
  return h;
}

/// The message with its HDR (10 octets: #CS 0, empty map) replaced by a legacy one, re-signed.
bytes with_legacy_hdr(const i_message& sent, std::size_t sessions, const period_keys& signer) {
  REQUIRE(sent.bytes[8] == 0);  // #CS 0
  REQUIRE(sent.bytes[9] == 1);  // empty map
  bytes m = legacy_hdr(sent.csb_id.value(), sent.bytes[3], sessions);
  m.insert(m.end(), sent.bytes.begin() + 10, sent.bytes.end());
  return resign(std::move(m), signer);
}

}  // namespace

TEST_CASE("security-2: legacy IWF messages with the SRTP-ID map, behind the receiver option",
          "[security-2]") {
  const auto& alice = keys(alice_uri, N);
  receiver_options legacy;
  legacy.accept_srtp_id_map = true;

  const auto sent = send(alice_uri, bob_uri, t0);
  const auto m = with_legacy_hdr(sent, 2, alice);
  const auto parsed = mk::parse_message(m).value();
  REQUIRE(parsed.hdr().map_type == mk::cs_map_type::srtp_id);
  REQUIRE(parsed.hdr().cs_count == 2);

  auto strict = bob_receiver({N});
  const auto refused = strict.process(m, t0);
  require_failure(refused, i_message_error::not_3gpp_profile);
  REQUIRE(refused.error().detail.find("CS ID map type") != std::string::npos);

  auto r = bob_receiver({N}, legacy);
  const auto got = r.process(m, t0);
  require_key(got, sent.key);
  REQUIRE(got->form == message_form::legacy_srtp_id);
  REQUIRE(got->cs_ids == std::vector<std::uint8_t>{1, 2});
  REQUIRE(got->key_id == sent.key_id);
  REQUIRE(std::string(describe(got->form)) == "legacy-srtp-id");
  require_failure(r.process(m, t0), i_message_error::replayed);
  // A standard message is reported as such by the same receiver.
  const auto standard = send(alice_uri, bob_uri, t0);
  REQUIRE(r.process(standard.bytes, t0).value().form == message_form::empty_map);

  // The same checks as any message: signature, SAKKE, key ID purpose, recipient.
  {
    auto x = with_legacy_hdr(send(alice_uri, bob_uri, t0), 1, alice);
    x[x.size() - 70] ^= 0x01;
    require_failure(r.process(x, t0), i_message_error::signature_invalid);
  }
  {
    auto x = with_legacy_hdr(send(alice_uri, bob_uri, t0), 1, keys(carol_uri, N));
    require_failure(r.process(x, t0), i_message_error::signature_invalid);
  }
  {
    const auto s = send(alice_uri, bob_uri, t0);
    auto x = with_legacy_hdr(s, 1, alice);
    const auto sakke_at = [&] {
      // Keep the parsed message alive: the loop's range is a member of it.
      const auto parsed = mk::parse_message(x).value();
      for (const auto& e : parsed.payloads())
        if (e.type == mk::payload_type::sakke) return e.offset + e.raw.size() - 1;
      return std::size_t{0};
    }();
    REQUIRE(sakke_at != 0);
    x[sakke_at] ^= 0x01;
    require_failure(r.process(resign(std::move(x), alice), t0),
                    i_message_error::decapsulation_failed);
  }
  {
    i_message_options o;
    o.purpose = key_purpose{9};
    const auto x = with_legacy_hdr(send(alice_uri, bob_uri, t0, o), 1, alice);
    require_failure(r.process(x, t0), i_message_error::unknown_key_purpose);
  }
  {
    const auto x = with_legacy_hdr(send(alice_uri, eve_uri, t0), 1, alice);
    require_failure(r.process(x, t0), i_message_error::wrong_recipient);
  }
  // A GMK through the legacy map: the GMK-ID still comes from the GUK-ID and the key.
  {
    i_message_options o;
    o.purpose = key_purpose::gmk;
    o.cs_id = std::nullopt;
    const auto g = send(alice_uri, bob_uri, t0, o);
    // A GMK normally carries a GENERIC-ID map; rebuild its HDR as the legacy one.
    const auto parsed_g = mk::parse_message(g.bytes).value();
    const auto hdr_size = parsed_g.payloads()[0].raw.size();
    bytes x = legacy_hdr(g.csb_id.value(), g.bytes[3], 1);
    x.insert(x.end(), g.bytes.begin() + static_cast<std::ptrdiff_t>(hdr_size), g.bytes.end());
    x = resign(std::move(x), alice);
    const auto gk = r.process(x, t0);
    require_key(gk, g.key);
    REQUIRE(gk->key_id == g.key_id);
    REQUIRE(gk->csb_id == g.csb_id);
    REQUIRE(gk->form == message_form::legacy_srtp_id);
  }
}

}  // namespace test_security2
