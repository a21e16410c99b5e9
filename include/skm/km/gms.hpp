// SPDX-License-Identifier: BSD-3-Clause
// Group keys: the group management server (GMS, SEAL SGM-S) that distributes a GMK to every
// member of a group, and the member's store of the GMKs it holds.
//
//   GMS (gms::server)                                    member (i_message_receiver +
//                                                                gms::group_key_store)
//   new_gmk(): GMK (16 random octets), GMK-ID (purpose
//   0, 28 random bits), key parameters (E.6): type 0,
//   status, activation, expiry, text, group IDs
//   distribute(group, gmk, now):  one I_MESSAGE per member,  ──►  process(bytes, now): verify,
//     over a pool of std::threads:                                 open, GMK-ID from GUK-ID
//       SAKKE to the member's UID for the period of now            store.accept(received_key)
//       CSB ID = GUK-ID (GMK-ID ^ salt(GMK, member URI))           store.for_transmission(
//       GENERIC-ID CS 4, SPI = GMK-ID || GUK-ID                       group ID, t)
//       key parameters extension (type 7)                          store.find(GMK-ID, t)
//       ECCSI-signed with the GMS's own key set                    store.drop_expired(now)
//   add_members(): the current GMK to the new members
//   remove_members(): a new GMK, active in the future, to the rest; the old GMK's status
//     "revoked" to the rest (where the profile allows)
//
// Group IDs in the key parameters (TS 33.180 E.6.3) follow the text field; their encoding was
// not seen in the specification (3gpp-notes D.6, [U]). skm writes them as one LV-E (2-octet
// length) whose content is a sequence of LV-E group IDs:
//
//   +--------+-------+--------------+-------+--------------+-----
//   | total  | len 1 | group ID 1   | len 2 | group ID 2   | ...     (lengths 2 octets, BE)
//   +--------+-------+--------------+-------+--------------+-----
//
// A member's failure (no UID for its URI, an unknown community, a refused encapsulation) is
// reported for that member; the others are still served.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/km/i_message.hpp"
#include "skm/km/key_id.hpp"
#include "skm/km/key_parameters.hpp"
#include "skm/km/secret.hpp"
#include "skm/km/time.hpp"

namespace skm::km::gms {

enum class gms_error {
  bad_request,  ///< inconsistent arguments (empty group ID, activation not in the future…)
  group_ids_malformed,  ///< the group-IDs field of the key parameters does not parse
  group_ids_too_long,   ///< a group ID or the list longer than a 2-octet length holds
  not_a_gmk,            ///< the received key is not a GMK (purpose tag 0)
  not_from_a_gms,       ///< the key's initiator is not one of the GMSs the store trusts
  no_group_ids,         ///< the GMK names no group and the caller gave none
  conflicting_gmk,      ///< a different key arrived under a GMK-ID already held
  gmk_revoked,          ///< the GMK-ID was revoked; it is not accepted again
  store_full,           ///< the store holds its maximum number of GMKs
  unknown_member,       ///< a member to remove is not in the group
  duplicate_member,     ///< a member to add is already in the group
};

[[nodiscard]] constexpr const char* describe(gms_error e) noexcept {
  switch (e) {
    case gms_error::bad_request: return "inconsistent group-key request";
    case gms_error::group_ids_malformed: return "group IDs of the key parameters are malformed";
    case gms_error::group_ids_too_long: return "group ID list longer than 65535 octets";
    case gms_error::not_a_gmk: return "key is not a GMK (purpose tag 0)";
    case gms_error::not_from_a_gms: return "key was not sent by a trusted group management server";
    case gms_error::no_group_ids: return "GMK names no group";
    case gms_error::conflicting_gmk: return "a different key is already held under this GMK-ID";
    case gms_error::gmk_revoked: return "GMK-ID was revoked";
    case gms_error::store_full: return "group key store is full";
    case gms_error::unknown_member: return "member is not in the group";
    case gms_error::duplicate_member: return "member is already in the group";
  }
  return "unknown gms_error";
}

// ---------------------------------------------------------------------------------------------
// Group IDs in the key parameters

/// The group-IDs field (see the diagram above); an empty list encodes as nothing.
[[nodiscard]] inline result<std::vector<std::uint8_t>, gms_error> encode_group_ids(
    std::span<const std::string> ids) {
  std::vector<std::uint8_t> out;
  if (ids.empty()) return out;
  std::size_t total = 0;
  for (const auto& id : ids) {
    if (id.empty()) return unexpected{gms_error::bad_request};
    if (id.size() > 0xFFFF) return unexpected{gms_error::group_ids_too_long};
    total += 2 + id.size();
  }
  if (total > 0xFFFF) return unexpected{gms_error::group_ids_too_long};
  out.reserve(2 + total);
  detail::put_be(out, total, 2);
  for (const auto& id : ids) {
    detail::put_be(out, id.size(), 2);
    out.insert(out.end(), id.begin(), id.end());
  }
  return out;
}

/// The group IDs carried in key_parameters::further (none when it is empty). Octets after the
/// list are further IEs and are ignored.
[[nodiscard]] inline result<std::vector<std::string>, gms_error> decode_group_ids(
    std::span<const std::uint8_t> further) {
  std::vector<std::string> ids;
  if (further.empty()) return ids;
  if (further.size() < 2) return unexpected{gms_error::group_ids_malformed};
  const std::size_t total = std::size_t{further[0]} << 8 | further[1];
  if (further.size() - 2 < total) return unexpected{gms_error::group_ids_malformed};
  auto rest = further.subspan(2, total);
  while (!rest.empty()) {
    if (rest.size() < 2) return unexpected{gms_error::group_ids_malformed};
    const std::size_t len = std::size_t{rest[0]} << 8 | rest[1];
    if (len == 0 || rest.size() - 2 < len) return unexpected{gms_error::group_ids_malformed};
    ids.emplace_back(reinterpret_cast<const char*>(rest.data() + 2), len);
    rest = rest.subspan(2 + len);
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Groups and GMKs

/// A member: its URI and the KMS of its community (empty: the GMS's own community).
struct member {
  std::string uri;
  std::string kms_uri;

  friend bool operator==(const member&, const member&) = default;
};

/// A group: its ID and members. The GMK serves `served_ids()`: the group IDs given, or the
/// group's own ID.
struct group {
  std::string id;
  std::vector<member> members;
  std::vector<std::string> group_ids;

  [[nodiscard]] std::vector<std::string> served_ids() const {
    return group_ids.empty() ? std::vector<std::string>{id} : group_ids;
  }
  [[nodiscard]] bool has(std::string_view uri) const noexcept {
    return std::any_of(members.begin(), members.end(),
                       [&](const member& m) { return m.uri == uri; });
  }
};

/// What a new GMK carries in its key parameters.
struct gmk_settings {
  /// The groups it serves; none: the key parameters name no group (a member's store then needs
  /// the group from elsewhere, group_key_store::accept's fallback).
  std::vector<std::string> group_ids;
  std::optional<ntp_time> activation;  ///< from when members transmit with it; none: at once
  std::optional<ntp_time> expiry;      ///< none: no expiry
  std::string text;                    ///< free text (E.6.5)
};

/// A group master key: the 16 key octets (wiped when the object dies), its GMK-ID and its key
/// parameters (type GMK, status, activation and expiry time, text, group IDs).
class gmk {
 public:
  /// A fresh GMK and GMK-ID from `rng`.
  template <random_source Rng>
  [[nodiscard]] static result<gmk, gms_error> generate(const gmk_settings& s, Rng& rng) {
    secret_array<16> key;
    rng.GenerateBlock(key.data(), key.span().size());
    const auto id = sk_id::generate(key_purpose::gmk, rng);
    if (!id) return unexpected{gms_error::bad_request};
    return from_key(key.span(), *id, s);
  }

  /// A GMK with a given key and GMK-ID (e.g. restored from the GMS's store).
  [[nodiscard]] static result<gmk, gms_error> from_key(std::span<const std::uint8_t> key, sk_id id,
                                                       const gmk_settings& s) {
    if (key.size() != 16 || id.purpose() != key_purpose::gmk)
      return unexpected{gms_error::bad_request};
    if (s.expiry && s.activation && *s.expiry <= *s.activation)
      return unexpected{gms_error::bad_request};
    auto ids = encode_group_ids(s.group_ids);
    if (!ids) return unexpected{ids.error()};
    gmk g;
    std::copy(key.begin(), key.end(), g.key_.data());
    g.id_ = id;
    g.settings_ = s;
    g.params_.key_type = static_cast<std::uint8_t>(key_purpose::gmk);
    g.params_.status = key_status_not_revoked;
    if (s.activation) g.params_.activation_time = key_parameter_time_octets(*s.activation);
    if (s.expiry) g.params_.expiry_time = key_parameter_time_octets(*s.expiry);
    g.params_.text.assign(s.text.begin(), s.text.end());
    g.params_.further = std::move(*ids);
    return g;
  }

  /// The same key and GMK-ID with the status "revoked" (status 0: bit 0, "not revoked", clear).
  [[nodiscard]] gmk revoked() const {
    gmk g = *this;
    g.params_.status = 0;
    return g;
  }

  [[nodiscard]] std::span<const std::uint8_t, 16> key() const noexcept { return key_.span(); }
  [[nodiscard]] sk_id id() const noexcept { return id_; }
  [[nodiscard]] const key_parameters& parameters() const noexcept { return params_; }
  [[nodiscard]] const gmk_settings& settings() const noexcept { return settings_; }
  [[nodiscard]] bool is_revoked() const noexcept { return km::is_revoked(params_); }

 private:
  gmk() = default;
  secret_array<16> key_;
  sk_id id_;
  gmk_settings settings_;
  key_parameters params_;
};

// ---------------------------------------------------------------------------------------------
// The GMS

/// One member's message, or why it has none.
struct member_message {
  std::string uri;
  std::string kms_uri;                     ///< the member's community
  std::optional<sk_id> guk_id;             ///< the CSB ID of its message
  std::vector<std::uint8_t> bytes;         ///< the signed I_MESSAGE (empty on failure)
  std::optional<i_message_failure> error;  ///< why this member got no message

  [[nodiscard]] bool ok() const noexcept { return !error.has_value(); }
};

struct distribution {
  sk_id gmk_id;
  std::vector<member_message> members;  ///< in the order of the members given
  std::size_t delivered = 0;
  std::size_t failed = 0;
};

struct distribution_options {
  unsigned threads = 0;  ///< worker threads; 0: std::thread::hardware_concurrency()
  /// Called after each member, with (members done, total); from the workers, one call at a time
  /// (serialized by a mutex), `done` strictly increasing. Must not throw.
  std::function<void(std::size_t, std::size_t)> progress{};
  identity_form identities = identity_form::uri;
  bool security_policy = false;  ///< an SP payload with the default SRTP policy
  bool canonical_s = false;      ///< signatures with s <= (q - 1) / 2
};

/// How membership changes rekey.
struct rekey_policy {
  /// The new GMK after a removal becomes active this long after the message time, so that every
  /// remaining member holds it before anyone transmits with it.
  std::uint64_t activation_delay_seconds = 60;
  /// Also send the old GMK with the status "revoked" to the remaining members (as the deployed
  /// profile carries the status, 3gpp-notes D.6); off for peers that refuse revoked keys
  /// outright (they learn of the change from the new GMK's activation only).
  bool send_revocation = true;
};

/// After a removal: the new GMK, its messages, and the old GMK's revocation messages.
struct removal {
  gmk new_gmk;
  distribution rekey;
  std::optional<distribution> revocation;
  std::vector<std::string> removed;
};

class server {
 public:
  /// The GMS: its own key sets (one or more key periods, all of `mine`), its community, and the
  /// other communities its members may belong to.
  [[nodiscard]] static result<server, i_message_failure> create(
      std::vector<period_keys> own, community mine, std::vector<community> others = {}) {
    if (own.empty())
      return detail::fail(i_message_error::bad_request, "the GMS needs its own key set");
    for (const auto& k : own)
      if (k.kms_uri() != mine.kms_uri() || k.user_uri() != own.front().user_uri())
        return detail::fail(i_message_error::bad_request,
                            "the GMS's key sets must be one URI's, of its own community");
    for (const auto& c : others)
      if (c.kms_uri() == mine.kms_uri())
        return detail::fail(i_message_error::bad_request, "a community is given twice");
    server s;
    s.own_ = std::move(own);
    s.communities_.push_back(std::move(mine));
    for (auto& c : others) s.communities_.push_back(std::move(c));
    return s;
  }

  [[nodiscard]] const std::string& uri() const noexcept { return own_.front().user_uri(); }
  [[nodiscard]] const community& own_community() const noexcept { return communities_.front(); }

  /// The GMS's key set for the key period of `now`.
  [[nodiscard]] result<const period_keys*, i_message_failure> keys_at(ntp_time now) const {
    const auto period = own_community().period_at(now);
    if (!period) return unexpected{period.error()};
    for (const auto& k : own_)
      if (k.period() == *period) return &k;
    return detail::fail(i_message_error::wrong_period,
                        "the GMS holds no key set for period " + std::to_string(*period));
  }

  /// One I_MESSAGE carrying `key` to each of `members`, built by `options.threads` workers. A
  /// member's failure is recorded in its entry; the call fails only when the GMS itself cannot
  /// sign at `now` (no key set for its period).
  [[nodiscard]] result<distribution, i_message_failure> distribute(
      std::span<const member> members, const gmk& key, ntp_time now,
      const distribution_options& options = {}) const {
    const auto me = keys_at(now);
    if (!me) return unexpected{me.error()};
    distribution out;
    out.gmk_id = key.id();
    out.members.resize(members.size());
    const i_message_options opt = message_options(key, options);
    std::atomic<std::size_t> next{0};
    std::size_t done = 0;
    std::mutex progress_lock;
    const std::size_t n = members.size();
    const std::size_t workers = worker_count(options.threads, n);
    // no larger than a worker's share, so a small group still spreads over every worker
    const std::size_t chunk_size = std::clamp<std::size_t>((n + workers - 1) / workers, 1, batch);
    auto work = [&] {
      os_random rng;  // one per worker: no shared state between threads
      for (std::size_t i = next.fetch_add(chunk_size); i < n; i = next.fetch_add(chunk_size)) {
        const auto chunk = members.subspan(i, std::min(chunk_size, n - i));
        std::vector<std::optional<sakke_scheme::encapsulated_type>> sealed;
        try {
          sealed = encapsulate_chunk(chunk, key, now);
        } catch (...) {
          sealed.clear();  // out of memory: each member is then encapsulated on its own
        }
        for (std::size_t j = 0; j < chunk.size(); ++j) {
          i_message_options o = opt;
          if (j < sealed.size()) o.encapsulated = sealed[j];
          out.members[i + j] = one_member(**me, chunk[j], now, o, rng);
          if (!options.progress) continue;
          const std::lock_guard lock(progress_lock);
          options.progress(++done, n);
        }
      }
    };
    run_workers(workers, work);
    for (const auto& m : out.members) (m.ok() ? out.delivered : out.failed)++;
    return out;
  }

  [[nodiscard]] result<distribution, i_message_failure> distribute(
      const group& g, const gmk& key, ntp_time now,
      const distribution_options& options = {}) const {
    return distribute(g.members, key, now, options);
  }

  /// New members join: they receive the current GMK (the others keep theirs). A member already
  /// in the group is refused before anything is sent.
  [[nodiscard]] result<distribution, i_message_failure> add_members(
      group& g, std::span<const member> joining, const gmk& current, ntp_time now,
      const distribution_options& options = {}) const {
    for (std::size_t i = 0; i < joining.size(); ++i) {
      const bool twice =
          std::any_of(joining.begin(), joining.begin() + static_cast<std::ptrdiff_t>(i),
                      [&](const member& m) { return m.uri == joining[i].uri; });
      if (g.has(joining[i].uri) || twice)
        return detail::fail(i_message_error::bad_request,
                            std::string(describe(gms_error::duplicate_member)) + ": " +
                                detail::quoted(joining[i].uri));
    }
    auto d = distribute(joining, current, now, options);
    if (!d) return d;
    g.members.insert(g.members.end(), joining.begin(), joining.end());
    return d;
  }

  /// Members leave: the rest get a new GMK (the settings of `current`, a fresh key and GMK-ID,
  /// active `policy.activation_delay_seconds` after `now`) and, under the policy, the old GMK
  /// with the status "revoked". The group is changed only when the GMS could sign.
  template <random_source Rng>
  [[nodiscard]] result<removal, i_message_failure> remove_members(
      group& g, std::span<const std::string> leaving, const gmk& current, ntp_time now, Rng& rng,
      const rekey_policy& policy = {}, const distribution_options& options = {}) const {
    for (const auto& uri : leaving)
      if (!g.has(uri))
        return detail::fail(
            i_message_error::bad_request,
            std::string(describe(gms_error::unknown_member)) + ": " + detail::quoted(uri));
    if (policy.activation_delay_seconds == 0)
      return detail::fail(i_message_error::bad_request,
                          "the new GMK must become active after the message time");
    group rest = g;
    std::erase_if(rest.members, [&](const member& m) {
      return std::find(leaving.begin(), leaving.end(), m.uri) != leaving.end();
    });
    gmk_settings s = current.settings();
    s.activation = ntp_time{now.seconds + policy.activation_delay_seconds, 0};
    if (s.expiry && *s.expiry <= *s.activation) s.expiry.reset();
    auto fresh = gmk::generate(s, rng);
    if (!fresh) return detail::fail(i_message_error::bad_request, describe(fresh.error()));
    auto rekey = distribute(rest.members, *fresh, now, options);
    if (!rekey) return unexpected{rekey.error()};
    std::optional<distribution> revocation;
    if (policy.send_revocation) {
      auto r = distribute(rest.members, current.revoked(), now, options);
      if (!r) return unexpected{r.error()};
      revocation = std::move(*r);
    }
    g = std::move(rest);
    return removal{std::move(*fresh), std::move(*rekey), std::move(revocation),
                   std::vector<std::string>(leaving.begin(), leaving.end())};
  }

 private:
  server() = default;

  [[nodiscard]] static i_message_options message_options(const gmk& key,
                                                         const distribution_options& o) {
    i_message_options opt;
    opt.purpose = key_purpose::gmk;
    opt.key = key.key();
    opt.key_id = key.id();
    opt.identities = o.identities;
    opt.security_policy = o.security_policy;
    opt.parameters = key.parameters();
    opt.canonical_s = o.canonical_s;
    return opt;
  }

  [[nodiscard]] const community* find_community(std::string_view kms_uri) const noexcept {
    if (kms_uri.empty()) return &communities_.front();
    for (const auto& c : communities_)
      if (c.kms_uri() == kms_uri) return &c;
    return nullptr;
  }

  /// At most this many members encapsulated together (sakke::encapsulate_batch): each shared
  /// table (P, Z, g) is read once per batch instead of once per member, and in each window the
  /// batch's affine point additions share one blinded inversion (fixed_base_table::
  /// mul_batch_affine), which pays more the larger the batch (docs/performance.md: 8, 32, 64, 128
  /// members gave 1,486, 1,957, 2,063, 2,119 members/s on two cores without IFMA).
  static constexpr std::size_t batch = 64;

  /// The SAKKE data of the GMK for each member of `chunk` whose UID can be formed, batched per
  /// community; none for the others (their message then fails with the reason, in one_member).
  [[nodiscard]] std::vector<std::optional<sakke_scheme::encapsulated_type>> encapsulate_chunk(
      std::span<const member> chunk, const gmk& key, ntp_time now) const {
    std::vector<std::optional<sakke_scheme::encapsulated_type>> out(chunk.size());
    for (const auto& c : communities_) {
      const auto period = c.period_at(now);
      if (!period) continue;
      std::vector<identifier> ids;
      std::vector<std::size_t> at;
      for (std::size_t j = 0; j < chunk.size(); ++j) {
        if (find_community(chunk[j].kms_uri) != &c) continue;
        const auto u = c.uid_of(chunk[j].uri, *period);
        if (!u) continue;
        ids.push_back(c.identity_of(*u));
        at.push_back(j);
      }
      if (ids.empty()) continue;
      std::vector<std::span<const std::uint8_t>> spans(ids.begin(), ids.end());
      const auto sealed = sakke::encapsulate_batch(c.z(), spans, key.key());
      for (std::size_t i = 0; i < at.size(); ++i)
        if (sealed[i]) out[at[i]] = *sealed[i];
    }
    return out;
  }

  /// One member's message; every failure (including an exception) stays with that member.
  [[nodiscard]] member_message one_member(const period_keys& me, const member& m, ntp_time now,
                                          const i_message_options& opt,
                                          os_random& rng) const noexcept {
    member_message out;
    try {
      out.uri = m.uri;
      const community* theirs = find_community(m.kms_uri);
      out.kms_uri = theirs ? theirs->kms_uri() : m.kms_uri;
      if (theirs == nullptr) {
        out.error =
            i_message_failure{i_message_error::bad_request,
                              "no certificate for the member's KMS " + detail::quoted(m.kms_uri)};
        return out;
      }
      auto msg = create_i_message(me, own_community(), m.uri, *theirs, now, opt, rng);
      if (!msg) {
        out.error = msg.error();
        return out;
      }
      out.guk_id = msg->csb_id;
      out.bytes = std::move(msg->bytes);
    } catch (const std::exception& e) {
      out.error = i_message_failure{i_message_error::encoding_failed, e.what()};
    } catch (...) {
      out.error = i_message_failure{i_message_error::encoding_failed, "unexpected exception"};
    }
    return out;
  }

  [[nodiscard]] static unsigned worker_count(unsigned wanted, std::size_t members) {
    unsigned n = wanted != 0 ? wanted : std::max(1u, std::thread::hardware_concurrency());
    if (members < n) n = static_cast<unsigned>(std::max<std::size_t>(members, 1));
    return n;
  }

  /// `n - 1` std::threads and the calling thread run `work`; all are joined before returning.
  /// If a thread cannot be started, the threads that did (and the caller) do the work.
  template <class F>
  static void run_workers(unsigned n, F& work) {
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < n; ++i) {
      try {
        threads.emplace_back(std::ref(work));
      } catch (const std::system_error&) {
        break;
      }
    }
    work();
    for (auto& t : threads) t.join();
  }

  std::vector<period_keys> own_;
  std::vector<community> communities_;  ///< the GMS's own first
};

// ---------------------------------------------------------------------------------------------
// The member's side

/// One GMK a member holds (or the tombstone of a revoked one: no key, revoked = true).
struct held_gmk {
  sk_id gmk_id;
  std::optional<secret_array<16>> key;  ///< none once revoked
  std::vector<std::string> group_ids;
  std::optional<ntp_time> activation;  ///< none: active from receipt
  std::optional<ntp_time> expiry;      ///< none: no expiry
  std::string text;
  std::uint32_t status = key_status_not_revoked;
  bool revoked = false;
  std::string gms_uri;         ///< who sent it
  std::uint64_t received = 0;  ///< arrival order (ties in activation go to the later)

  [[nodiscard]] bool serves(std::string_view group_id) const noexcept {
    return std::find(group_ids.begin(), group_ids.end(), group_id) != group_ids.end();
  }
  [[nodiscard]] bool usable_at(ntp_time t) const noexcept {
    return !revoked && key.has_value() && (!expiry || t < *expiry);
  }
};

/// What accept() did with a received GMK.
enum class store_outcome {
  added,         ///< a new GMK is held
  already_held,  ///< the same GMK and GMK-ID again (a repeated distribution)
  revoked,       ///< the GMK-ID is now revoked (its key wiped)
};

[[nodiscard]] constexpr const char* describe(store_outcome o) noexcept {
  switch (o) {
    case store_outcome::added: return "added";
    case store_outcome::already_held: return "already held";
    case store_outcome::revoked: return "revoked";
  }
  return "unknown";
}

/// The GMKs a member holds, per group, with their activation times: which one to transmit with
/// at time t (the latest activated, not revoked, not expired), which one a received packet's
/// GMK-ID names, revocations honoured (a revoked GMK-ID is never accepted again), expired keys
/// dropped. Feed it the keys an i_message_receiver accepted, with
/// receiver_options::deliver_revoked_keys set so that revocations reach it.
class group_key_store {
 public:
  /// `gms_uris`: the URIs of the GMSs whose GMKs are accepted (the initiator of the message,
  /// confirmed). `capacity`: the most GMKs (and tombstones) held.
  explicit group_key_store(std::vector<std::string> gms_uris, std::size_t capacity = 256)
      : gms_uris_(std::move(gms_uris)), capacity_(capacity) {}

  /// Takes a GMK from an accepted I_MESSAGE. `fallback_group_id` names the group when the key
  /// parameters carry no group IDs (e.g. the group of the call the message came with).
  [[nodiscard]] result<store_outcome, gms_error> accept(const received_key& k,
                                                        std::string_view fallback_group_id = {}) {
    if (k.purpose != key_purpose::gmk || k.key_id.purpose() != key_purpose::gmk)
      return unexpected{gms_error::not_a_gmk};
    if (!k.initiator_confirmed || !k.initiator_uri ||
        std::find(gms_uris_.begin(), gms_uris_.end(), *k.initiator_uri) == gms_uris_.end())
      return unexpected{gms_error::not_from_a_gms};
    std::vector<std::string> ids;
    if (k.parameters) {
      auto d = decode_group_ids(k.parameters->further);
      if (!d) return unexpected{d.error()};
      ids = std::move(*d);
    }
    if (ids.empty() && !fallback_group_id.empty()) ids.emplace_back(fallback_group_id);
    if (ids.empty() && !k.revoked) return unexpected{gms_error::no_group_ids};
    held_gmk* held = find_any(k.key_id);
    if (held && held->key && !held->key->ct_equal(k.key.span()).declassify())
      return unexpected{gms_error::conflicting_gmk};
    if (k.revoked) return revoke(held, k);
    if (held && held->revoked) return unexpected{gms_error::gmk_revoked};
    if (held) return store_outcome::already_held;
    if (keys_.size() >= capacity_) return unexpected{gms_error::store_full};
    held_gmk h;
    h.gmk_id = k.key_id;
    h.key.emplace(k.key.span());
    h.group_ids = std::move(ids);
    h.activation = k.activation_time;
    h.expiry = k.expiry_time;
    if (k.parameters) {
      h.text.assign(k.parameters->text.begin(), k.parameters->text.end());
      h.status = k.parameters->status;
    }
    h.gms_uri = *k.initiator_uri;
    h.received = ++arrivals_;
    keys_.push_back(std::move(h));
    return store_outcome::added;
  }

  /// The GMK to transmit with in `group_id` at time `t`: among those usable at t and active (no
  /// activation time, or one not after t), the latest activated; none if there is none.
  [[nodiscard]] const held_gmk* for_transmission(std::string_view group_id,
                                                 ntp_time t) const noexcept {
    const held_gmk* best = nullptr;
    for (const auto& h : keys_) {
      if (!h.serves(group_id) || !h.usable_at(t) || (h.activation && t < *h.activation)) continue;
      if (best == nullptr || later(h, *best)) best = &h;
    }
    return best;
  }

  /// The GMK a received packet names (its MKI's GMK-ID), if it is usable at `t` (not revoked,
  /// not expired; a key not yet active is usable for receiving from an early sender).
  [[nodiscard]] const held_gmk* find(sk_id gmk_id, ntp_time t) const noexcept {
    for (const auto& h : keys_)
      if (h.gmk_id == gmk_id) return h.usable_at(t) ? &h : nullptr;
    return nullptr;
  }

  /// Every entry serving `group_id` (revoked tombstones included), in arrival order.
  [[nodiscard]] std::vector<const held_gmk*> keys_of(std::string_view group_id) const {
    std::vector<const held_gmk*> out;
    for (const auto& h : keys_)
      if (h.serves(group_id)) out.push_back(&h);
    return out;
  }

  /// Forgets (and wipes) every GMK, revoked or not, whose expiry time is not after `now`.
  std::size_t drop_expired(ntp_time now) {
    return std::erase_if(keys_, [&](const held_gmk& h) { return h.expiry && *h.expiry <= now; });
  }

  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }
  [[nodiscard]] bool is_revoked(sk_id gmk_id) const noexcept {
    for (const auto& h : keys_)
      if (h.gmk_id == gmk_id) return h.revoked;
    return false;
  }

 private:
  [[nodiscard]] static bool later(const held_gmk& a, const held_gmk& b) noexcept {
    const ntp_time ta = a.activation.value_or(ntp_time{}), tb = b.activation.value_or(ntp_time{});
    return ta != tb ? tb < ta : a.received > b.received;
  }

  [[nodiscard]] held_gmk* find_any(sk_id id) noexcept {
    for (auto& h : keys_)
      if (h.gmk_id == id) return &h;
    return nullptr;
  }

  /// A revocation: the key (when held) is wiped and a tombstone kept, so that the GMK-ID is not
  /// accepted again (its expiry, when known, lets drop_expired remove the tombstone later).
  [[nodiscard]] result<store_outcome, gms_error> revoke(held_gmk* held, const received_key& k) {
    if (held == nullptr) {
      if (keys_.size() >= capacity_) return unexpected{gms_error::store_full};
      keys_.push_back(held_gmk{});
      held = &keys_.back();
      held->gmk_id = k.key_id;
      held->gms_uri = *k.initiator_uri;
      held->received = ++arrivals_;
      held->expiry = k.expiry_time;
      if (k.parameters)
        if (auto d = decode_group_ids(k.parameters->further)) held->group_ids = std::move(*d);
    }
    held->key.reset();  // secret_array wipes itself
    held->revoked = true;
    held->status = k.parameters ? k.parameters->status : 0;
    return store_outcome::revoked;
  }

  std::vector<std::string> gms_uris_;
  std::size_t capacity_;
  std::vector<held_gmk> keys_;
  std::uint64_t arrivals_ = 0;
};

}  // namespace skm::km::gms
