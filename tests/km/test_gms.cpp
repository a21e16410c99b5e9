// SPDX-License-Identifier: BSD-3-Clause
// The group management server (km/gms.hpp): a GMK to every member of a large group over a
// thread pool, each message opened by that member's own receiver; members of a second
// community; unusable members; removal and rekey with revocation; the member's store choosing
// the GMK by activation time, honouring revocation and dropping expired keys; the group-IDs
// field of the key parameters.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "skm/km/gms.hpp"
#include "skm/km/i_message.hpp"
#include "skm/km/skm_server.hpp"

using namespace skm::km;
namespace gms = skm::km::gms;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif
#else
constexpr bool sanitized = false;
#endif

// Every member builds a full receiver (RSK and SSK checks, SAKKE tables: ~20 ms optimized, far
// more under ASan), so sanitized builds use fewer members to stay within the suite's time bound.
constexpr std::size_t large_group = sanitized ? 40 : 200;

skm::os_random& rng() {
  static skm::os_random r;
  return r;
}

constexpr ntp_time now{3'900'000'000ull, 0};

struct kms_fixture {
  skm_server server;
  community c;
};

kms_fixture make_kms(const std::string& uri) {
  auto s = skm_server::generate({uri, {2592000, 0}, sakke_parameter_set}, rng()).value();
  auto c = community::create(s.public_values()).value();
  return {std::move(s), std::move(c)};
}

const kms_fixture& kms_a() {
  static const kms_fixture k = make_kms("kms.a.example.org");
  return k;
}
const kms_fixture& kms_b() {
  static const kms_fixture k = make_kms("kms.b.example.org");
  return k;
}

constexpr std::string_view gms_uri = "sip:gms@a.example.org";

period_keys keys_for(const kms_fixture& k, std::string_view uri, ntp_time t = now) {
  const auto period = k.server.period_at(t).value();
  const auto set = k.server.issue(uri, period, rng(), issue_check::consistency).value();
  return period_keys::create(k.c, set).value();
}

gms::server make_gms() {
  std::vector<period_keys> own;
  own.push_back(keys_for(kms_a(), gms_uri));
  return gms::server::create(std::move(own), kms_a().c, {kms_b().c}).value();
}

/// A member's receiver: trusts the GMS's community and its own.
i_message_receiver receiver_for(const kms_fixture& home, const std::string& uri,
                                bool deliver_revoked = true) {
  receiver_options o;
  o.deliver_revoked_keys = deliver_revoked;
  i_message_receiver r(uri, o);
  r.trust(kms_a().c);
  if (&home != &kms_a()) r.trust(home.c);
  REQUIRE(r.add_keys(keys_for(home, uri)));
  return r;
}

gms::gmk make_gmk(std::vector<std::string> ids, std::optional<ntp_time> activation = {},
                  std::optional<ntp_time> expiry = {}, std::string text = "") {
  return gms::gmk::generate({std::move(ids), activation, expiry, std::move(text)}, rng()).value();
}

std::string member_uri(std::size_t i) {
  return "sip:member" + std::to_string(i) + "@a.example.org";
}

/// One message from the GMS to `uri` carrying `key`.
std::vector<std::uint8_t> one_message(const gms::server& g, const std::string& uri,
                                      const gms::gmk& key, std::string kms = {}) {
  const std::vector<gms::member> m{{uri, std::move(kms)}};
  auto d = g.distribute(m, key, now).value();
  REQUIRE(d.members.at(0).ok());
  return d.members[0].bytes;
}

}  // namespace

TEST_CASE("gms: group IDs in the key parameters", "[gms]") {
  const std::vector<std::string> ids{"group-1@example.org", "g2"};
  const auto enc = gms::encode_group_ids(ids).value();
  REQUIRE(enc.size() == 2 + 2 + ids[0].size() + 2 + ids[1].size());
  CHECK(enc[0] == 0);
  CHECK(enc[1] == enc.size() - 2);
  CHECK(gms::decode_group_ids(enc).value() == ids);
  // Further IEs after the list are left alone.
  auto longer = enc;
  longer.push_back(0x99);
  CHECK(gms::decode_group_ids(longer).value() == ids);
  CHECK(gms::decode_group_ids({}).value().empty());
  CHECK(gms::encode_group_ids({}).value().empty());

  // Malformed: truncated total, an entry overrunning the total, an empty entry, one octet.
  auto cut = enc;
  cut.pop_back();
  CHECK(gms::decode_group_ids(cut).error() == gms::gms_error::group_ids_malformed);
  auto overrun = enc;
  overrun[3] = 0x7F;
  CHECK(gms::decode_group_ids(overrun).error() == gms::gms_error::group_ids_malformed);
  const std::vector<std::uint8_t> empty_entry{0, 2, 0, 0};
  CHECK(gms::decode_group_ids(empty_entry).error() == gms::gms_error::group_ids_malformed);
  const std::vector<std::uint8_t> one{0};
  CHECK(gms::decode_group_ids(one).error() == gms::gms_error::group_ids_malformed);
  const std::vector<std::string> bad{""};
  CHECK(gms::encode_group_ids(bad).error() == gms::gms_error::bad_request);
  const std::vector<std::string> huge{std::string(0x10000, 'g')};
  CHECK(gms::encode_group_ids(huge).error() == gms::gms_error::group_ids_too_long);

  // A GMK needs a GMK-ID of purpose GMK, 16 octets, and expiry after activation; a GMK without
  // group IDs carries none.
  const std::array<std::uint8_t, 16> key{1, 2, 3};
  const auto gmk_id = sk_id::make(key_purpose::gmk, 0x1234567).value();
  const auto pck_id = sk_id::make(key_purpose::pck, 0x1234567).value();
  CHECK(gms::gmk::from_key(key, gmk_id, {{}, {}, {}, ""}).value().parameters().further.empty());
  CHECK(gms::gmk::from_key(key, pck_id, {{"g"}, {}, {}, ""}).error() ==
        gms::gms_error::bad_request);
  CHECK(gms::gmk::from_key(std::span(key).first(15), gmk_id, {{"g"}, {}, {}, ""}).error() ==
        gms::gms_error::bad_request);
  CHECK(gms::gmk::from_key(key, gmk_id, {{"g"}, ntp_time{200, 0}, ntp_time{100, 0}, ""}).error() ==
        gms::gms_error::bad_request);
  const auto g =
      gms::gmk::from_key(key, gmk_id, {{"g"}, ntp_time{100, 0}, ntp_time{200, 0}, "t"}).value();
  CHECK(g.parameters().key_type == 0);
  CHECK(g.parameters().status == key_status_not_revoked);
  CHECK(key_parameter_time(g.parameters().activation_time) == ntp_time{100, 0});
  CHECK(key_parameter_time(g.parameters().expiry_time) == ntp_time{200, 0});
  CHECK(!g.is_revoked());
  CHECK(g.revoked().is_revoked());
  CHECK(g.revoked().id() == g.id());
}

TEST_CASE("gms: every member of a large group opens its message and recovers the same GMK",
          "[gms]") {
  const auto g = make_gms();
  gms::group group{"sip:group-1@a.example.org", {}, {}};
  for (std::size_t i = 0; i < large_group; ++i) group.members.push_back({member_uri(i), {}});
  const auto key = make_gmk(group.served_ids(), {}, {}, "rekey");

  std::vector<std::size_t> progress;
  std::size_t expected_total = large_group;
  gms::distribution_options o;
  o.threads = 2;
  o.progress = [&](std::size_t done, std::size_t total) {
    CHECK(total == expected_total);
    progress.push_back(done);
  };
  const auto d = g.distribute(group, key, now, o).value();
  REQUIRE(d.delivered == large_group);
  REQUIRE(d.failed == 0);
  CHECK(d.gmk_id == key.id());
  // The progress callback ran once per member, serialized, counting up to the total.
  REQUIRE(progress.size() == large_group);
  for (std::size_t i = 0; i < progress.size(); ++i) CHECK(progress[i] == i + 1);

  // Each member's own receiver (its key set issued and checked, its SAKKE tables built) opens
  // its message; the receivers are built on two threads (Catch2 checks stay on this one).
  std::vector<std::optional<skm::result<received_key, i_message_failure>>> opened(large_group);
  {
    std::atomic<std::size_t> next{0};
    auto work = [&] {
      skm::os_random own_rng;
      for (std::size_t i = next++; i < large_group; i = next++) {
        const auto& m = d.members[i];
        const auto period = kms_a().server.period_at(now).value();
        const auto set = kms_a().server.issue(m.uri, period, own_rng, issue_check::consistency);
        i_message_receiver r(m.uri, {});
        r.trust(kms_a().c);
        if (!set || !r.add_keys(period_keys::create(kms_a().c, *set).value())) continue;
        opened[i] = r.process(m.bytes, now);
      }
    };
    std::thread helper(work);
    work();
    helper.join();
  }
  std::set<std::uint32_t> guk_ids;
  for (std::size_t i = 0; i < large_group; ++i) {
    const auto& m = d.members[i];
    REQUIRE(m.uri == member_uri(i));
    REQUIRE(m.guk_id);
    guk_ids.insert(m.guk_id->value());
    REQUIRE(opened[i]);
    const auto& k = *opened[i];
    REQUIRE(k);
    CHECK(k->purpose == key_purpose::gmk);
    CHECK(k->key.ct_equal(key.key()).declassify());
    CHECK(k->key_id == key.id());
    CHECK(k->csb_id == *m.guk_id);
    CHECK(k->initiator_uri == std::string(gms_uri));
    CHECK(k->cs_ids == std::vector<std::uint8_t>{cs_id_mcptt_group_call});
    CHECK(k->active);
    REQUIRE(k->parameters);
    CHECK(gms::decode_group_ids(k->parameters->further).value() == group.served_ids());
    // The SRTP MKI is GMK-ID || GUK-ID.
    const auto expected_mki = group_mki(key.id(), *m.guk_id);
    CHECK(mki(k->purpose, k->key_id, k->csb_id) ==
          std::vector<std::uint8_t>(expected_mki.begin(), expected_mki.end()));
    if (i < 3) {
      // Another member cannot open it (addressed to someone else).
      auto other = receiver_for(kms_a(), member_uri(i + 1));
      CHECK(other.process(m.bytes, now).error().code == i_message_error::wrong_recipient);
    }
  }
  // GUK-IDs differ per member (28-bit salts: a collision among 200 is possible but rare; the
  // test allows a few).
  CHECK(guk_ids.size() + 2 >= large_group);

  // One thread gives the same result shape (deterministic order, every member served).
  o.threads = 1;
  progress.clear();
  expected_total = 5;
  const std::vector<gms::member> few(group.members.begin(), group.members.begin() + 5);
  const auto single = g.distribute(few, key, now, o).value();
  CHECK(single.delivered == 5);
  CHECK(progress == std::vector<std::size_t>{1, 2, 3, 4, 5});
}

TEST_CASE("gms: members of a second community, and members that cannot be served", "[gms]") {
  const auto g = make_gms();
  std::vector<gms::member> members{
      {"sip:alice@a.example.org", {}},
      {"sip:bob@b.example.org", "kms.b.example.org"},
      {"", {}},                                          // no UID for an empty URI
      {std::string("sip:nul\0@a", 10), {}},              // nor for one with a NUL octet
      {"sip:carol@c.example.org", "kms.c.example.org"},  // no certificate for this KMS
      {"sip:dave@b.example.org", "kms.b.example.org"},
  };
  const auto key = make_gmk({"grp"});
  const auto d = g.distribute(members, key, now, {.threads = 2}).value();
  CHECK(d.delivered == 3);
  CHECK(d.failed == 3);
  REQUIRE(d.members.size() == members.size());
  CHECK(d.members[2].error->code == i_message_error::identity_failed);
  CHECK(d.members[3].error->code == i_message_error::identity_failed);
  CHECK(d.members[4].error->code == i_message_error::bad_request);
  CHECK(d.members[4].error->message().find("kms.c.example.org") != std::string::npos);
  CHECK(d.members[2].bytes.empty());
  CHECK(!d.members[2].guk_id);
  CHECK(d.members[1].kms_uri == "kms.b.example.org");
  CHECK(d.members[0].kms_uri == "kms.a.example.org");

  for (const std::size_t i : {0u, 1u, 5u}) {
    const auto& home = members[i].kms_uri.empty() ? kms_a() : kms_b();
    auto r = receiver_for(home, members[i].uri);
    const auto k = r.process(d.members[i].bytes, now);
    REQUIRE(k);
    CHECK(k->key.ct_equal(key.key()).declassify());
    CHECK(k->key_id == key.id());
  }
  // Bob's message is encapsulated to his UID in community B: his key set from A would not do.
  auto wrong = receiver_for(kms_a(), "sip:bob@b.example.org");
  CHECK(wrong.process(d.members[1].bytes, now).error().code == i_message_error::wrong_kms);

  // The GMS cannot sign outside the key periods it holds keys for: the whole call fails.
  const ntp_time later{now.seconds + 2 * std::uint64_t{2592000}, 0};
  CHECK(g.distribute(members, key, later).error().code == i_message_error::wrong_period);
  // An empty group is no error.
  CHECK(g.distribute(std::span<const gms::member>{}, key, now).value().delivered == 0);
}

TEST_CASE("gms: joining, leaving, rekey and revocation", "[gms]") {
  const auto g = make_gms();
  gms::group group{"grp-7", {}, {}};
  for (std::size_t i = 0; i < 4; ++i) group.members.push_back({member_uri(i), {}});
  const auto first = make_gmk(group.served_ids());
  REQUIRE(g.distribute(group, first, now).value().delivered == 4);

  // A member joins: it receives the current GMK.
  const std::vector<gms::member> joining{{member_uri(9), {}}};
  const auto added = g.add_members(group, joining, first, now).value();
  REQUIRE(added.delivered == 1);
  CHECK(group.members.size() == 5);
  {
    auto r = receiver_for(kms_a(), member_uri(9));
    const auto k = r.process(added.members[0].bytes, now).value();
    CHECK(k.key.ct_equal(first.key()).declassify());
  }
  // Adding a member twice is refused, and the group stays as it was.
  CHECK(g.add_members(group, joining, first, now).error().code == i_message_error::bad_request);
  CHECK(group.members.size() == 5);

  // Removing someone not in the group is refused.
  const std::vector<std::string> stranger{"sip:nobody@a.example.org"};
  CHECK(g.remove_members(group, stranger, first, now, rng()).error().code ==
        i_message_error::bad_request);

  // Member 1 leaves: the other four get a new GMK, active 60 s later, and the old one revoked.
  const std::vector<std::string> leaving{member_uri(1)};
  gms::rekey_policy policy;
  policy.activation_delay_seconds = 60;
  const auto rm = g.remove_members(group, leaving, first, now, rng(), policy).value();
  CHECK(group.members.size() == 4);
  CHECK(!group.has(member_uri(1)));
  CHECK(rm.removed == leaving);
  CHECK(rm.new_gmk.id() != first.id());
  CHECK(!rm.new_gmk.key().empty());
  REQUIRE(rm.rekey.delivered == 4);
  REQUIRE(rm.revocation);
  REQUIRE(rm.revocation->delivered == 4);
  CHECK(rm.revocation->gmk_id == first.id());
  const ntp_time activation{now.seconds + 60, 0};
  CHECK(key_parameter_time(rm.new_gmk.parameters().activation_time) == activation);

  for (std::size_t i = 0; i < group.members.size(); ++i) {
    const auto& uri = group.members[i].uri;
    CHECK(rm.rekey.members[i].uri == uri);
    auto r = receiver_for(kms_a(), uri);
    gms::group_key_store store({std::string(gms_uri)});
    // The member held the first GMK.
    const auto old = r.process(one_message(g, uri, first), now).value();
    REQUIRE(store.accept(old).value() == gms::store_outcome::added);
    const auto k = r.process(rm.rekey.members[i].bytes, now).value();
    CHECK(k.key.ct_equal(rm.new_gmk.key()).declassify());
    CHECK(!k.active);  // distributed ahead of its use
    CHECK(k.activation_time == activation);
    REQUIRE(store.accept(k).value() == gms::store_outcome::added);
    CHECK(store.for_transmission("grp-7", now)->gmk_id == first.id());
    // The revocation is delivered when the new GMK becomes active.
    const auto rev = r.process(rm.revocation->members[i].bytes, activation).value();
    CHECK(rev.revoked);
    CHECK(!rev.active);
    CHECK(rev.key_id == first.id());
    REQUIRE(store.accept(rev).value() == gms::store_outcome::revoked);
    CHECK(store.is_revoked(first.id()));
    CHECK(store.find(first.id(), activation) == nullptr);
    CHECK(store.for_transmission("grp-7", activation)->gmk_id == rm.new_gmk.id());
  }
  // The member who left cannot open any of the new messages.
  auto gone = receiver_for(kms_a(), member_uri(1));
  for (const auto& m : rm.rekey.members)
    CHECK(gone.process(m.bytes, now).error().code == i_message_error::wrong_recipient);

  // Without revocation in the policy only the new GMK goes out.
  policy.send_revocation = false;
  const std::vector<std::string> leaving2{member_uri(2)};
  const auto rm2 = g.remove_members(group, leaving2, rm.new_gmk, now, rng(), policy).value();
  CHECK(!rm2.revocation);
  CHECK(rm2.rekey.delivered == 3);
  // A new GMK must become active after the message time.
  policy.activation_delay_seconds = 0;
  const std::vector<std::string> leaving3{member_uri(3)};
  CHECK(g.remove_members(group, leaving3, rm2.new_gmk, now, rng(), policy).error().code ==
        i_message_error::bad_request);
  CHECK(group.has(member_uri(3)));
}

TEST_CASE("gms: the member's store chooses the GMK by activation time and drops expired ones",
          "[gms]") {
  const auto g = make_gms();
  const std::string uri = member_uri(0);
  auto r = receiver_for(kms_a(), uri);
  gms::group_key_store store({std::string(gms_uri)});

  const auto k1 = make_gmk({"grp-a", "grp-b"});
  const auto k2 = make_gmk({"grp-a"}, ntp_time{now.seconds + 100, 0});
  const auto k3 =
      make_gmk({"grp-a"}, ntp_time{now.seconds + 200, 0}, ntp_time{now.seconds + 400, 0});
  const auto k_other = make_gmk({"grp-c"}, ntp_time{now.seconds + 50, 0});
  // Arrival order differs from activation order: the choice follows activation times.
  for (const auto* k : {&k3, &k1, &k_other, &k2}) {
    const auto rk = r.process(one_message(g, uri, *k), now).value();
    REQUIRE(store.accept(rk).value() == gms::store_outcome::added);
  }
  CHECK(store.size() == 4);
  const auto at = [&](std::uint64_t dt) { return ntp_time{now.seconds + dt, 0}; };
  CHECK(store.for_transmission("grp-a", at(0))->gmk_id == k1.id());
  CHECK(store.for_transmission("grp-a", at(99))->gmk_id == k1.id());
  CHECK(store.for_transmission("grp-a", at(100))->gmk_id == k2.id());
  CHECK(store.for_transmission("grp-a", at(250))->gmk_id == k3.id());
  CHECK(store.for_transmission("grp-b", at(250))->gmk_id == k1.id());
  CHECK(store.for_transmission("grp-c", at(0)) == nullptr);  // not active yet
  CHECK(store.for_transmission("grp-c", at(50))->gmk_id == k_other.id());
  CHECK(store.for_transmission("grp-x", at(50)) == nullptr);
  CHECK(store.keys_of("grp-a").size() == 3);
  // Reception by GMK-ID: a not yet active key is usable for receiving; an expired one is not.
  CHECK(store.find(k3.id(), at(0)) != nullptr);
  CHECK(store.find(k3.id(), at(400)) == nullptr);
  // After k3's expiry the choice falls back to k2; drop_expired forgets k3.
  CHECK(store.for_transmission("grp-a", at(400))->gmk_id == k2.id());
  CHECK(store.drop_expired(at(399)) == 0);
  CHECK(store.drop_expired(at(400)) == 1);
  CHECK(store.size() == 3);
  CHECK(store.find(k3.id(), at(0)) == nullptr);
  // The held key is the GMK itself.
  CHECK(store.find(k2.id(), at(0))->key->ct_equal(k2.key()).declassify());

  // The same GMK again is recognised; a different key under a held GMK-ID is refused.
  CHECK(store.accept(r.process(one_message(g, uri, k1), now).value()).value() ==
        gms::store_outcome::already_held);
  const std::array<std::uint8_t, 16> other_key{9, 9, 9};
  const auto forged = gms::gmk::from_key(other_key, k1.id(), k1.settings()).value();
  CHECK(store.accept(r.process(one_message(g, uri, forged), now).value()).error() ==
        gms::gms_error::conflicting_gmk);
}

TEST_CASE("gms: revoked status, and keys the store refuses", "[gms]") {
  const auto g = make_gms();
  const std::string uri = member_uri(0);
  const auto key = make_gmk({"grp"});

  // A receiver without deliver_revoked_keys refuses a revoked key outright.
  {
    auto strict = receiver_for(kms_a(), uri, false);
    CHECK(strict.process(one_message(g, uri, key.revoked()), now).error().code ==
          i_message_error::key_revoked);
  }
  auto r = receiver_for(kms_a(), uri);
  gms::group_key_store store({std::string(gms_uri)});
  REQUIRE(store.accept(r.process(one_message(g, uri, key), now).value()).value() ==
          gms::store_outcome::added);
  const auto rev = r.process(one_message(g, uri, key.revoked()), now).value();
  CHECK(rev.revoked);
  CHECK(rev.parameters->status == 0);
  REQUIRE(store.accept(rev).value() == gms::store_outcome::revoked);
  CHECK(store.for_transmission("grp", now) == nullptr);
  CHECK(store.find(key.id(), now) == nullptr);
  REQUIRE(store.keys_of("grp").size() == 1);
  CHECK(!store.keys_of("grp")[0]->key);  // wiped
  // Once revoked, the GMK-ID is not accepted again (a replayed or late distribution).
  CHECK(store.accept(r.process(one_message(g, uri, key), now).value()).error() ==
        gms::gms_error::gmk_revoked);
  // A revocation of a GMK never held leaves a tombstone.
  const auto unseen = make_gmk({"grp"});
  CHECK(store.accept(r.process(one_message(g, uri, unseen.revoked()), now).value()).value() ==
        gms::store_outcome::revoked);
  CHECK(store.accept(r.process(one_message(g, uri, unseen), now).value()).error() ==
        gms::gms_error::gmk_revoked);

  // Only GMKs, and only from a GMS the store trusts.
  gms::group_key_store picky({"sip:other-gms@a.example.org"});
  CHECK(picky.accept(r.process(one_message(g, uri, make_gmk({"grp"})), now).value()).error() ==
        gms::gms_error::not_from_a_gms);
  {
    // A PCK from the same sender is no GMK.
    auto sender = keys_for(kms_a(), gms_uri);
    i_message_options o;
    o.purpose = key_purpose::pck;
    const auto m = create_i_message(sender, kms_a().c, uri, kms_a().c, now, o, rng()).value();
    CHECK(store.accept(r.process(m.bytes, now).value()).error() == gms::gms_error::not_a_gmk);
  }
  {
    // A GMK without key parameters names no group unless the caller does.
    auto sender = keys_for(kms_a(), gms_uri);
    i_message_options o;
    o.purpose = key_purpose::gmk;
    const auto m = create_i_message(sender, kms_a().c, uri, kms_a().c, now, o, rng()).value();
    const auto k = r.process(m.bytes, now).value();
    CHECK(store.accept(k).error() == gms::gms_error::no_group_ids);
    CHECK(store.accept(k, "grp-fallback").value() == gms::store_outcome::added);
    CHECK(store.for_transmission("grp-fallback", now)->gmk_id == k.key_id);
  }
  // A full store refuses more.
  gms::group_key_store tiny({std::string(gms_uri)}, 1);
  REQUIRE(tiny.accept(r.process(one_message(g, uri, make_gmk({"grp"})), now).value()));
  CHECK(tiny.accept(r.process(one_message(g, uri, make_gmk({"grp"})), now).value()).error() ==
        gms::gms_error::store_full);
}

TEST_CASE("gms: batched SAKKE encapsulation gives exactly the single encapsulations", "[gms]") {
  // SAKKE encapsulation is deterministic in (SSV, identifier): the batch, which reads each shared
  // table once per batch, must give the same octets as one encapsulation at a time.
  const auto& c = kms_a().c;
  const auto period = c.period_at(now).value();
  std::vector<identifier> ids;
  for (std::size_t i = 0; i < 9; ++i)
    ids.push_back(c.identity_of(c.uid_of(member_uri(i), period).value()));
  ids[4].clear();  // an unusable identifier in the middle of the batch
  std::vector<std::span<const std::uint8_t>> spans(ids.begin(), ids.end());
  const auto key = make_gmk({"grp"});
  const auto batch = skm::sakke::encapsulate_batch(c.z(), spans, key.key());
  REQUIRE(batch.size() == ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto single = skm::sakke::encapsulate(c.z(), spans[i], key.key());
    REQUIRE(batch[i].has_value() == single.has_value());
    if (single) CHECK(*batch[i] == *single);
  }
  CHECK(batch[4].error() == skm::sakke::sakke_error::bad_identifier);
  // A wrong SSV length fails every entry; an empty batch is empty.
  const auto short_ssv = skm::sakke::encapsulate_batch(c.z(), spans, key.key().first(15));
  for (const auto& e : short_ssv) CHECK(e.error() == skm::sakke::sakke_error::bad_ssv_length);
  CHECK(skm::sakke::encapsulate_batch(c.z(), {}, key.key()).empty());
  // A precomputed payload needs its key.
  auto sender = keys_for(kms_a(), gms_uri);
  i_message_options o;
  o.purpose = key_purpose::gmk;
  o.encapsulated = *batch[0];
  CHECK(create_i_message(sender, c, member_uri(0), c, now, o, rng()).error().code ==
        i_message_error::bad_request);
}
