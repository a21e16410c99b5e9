// SPDX-License-Identifier: BSD-3-Clause
// Replay protection for received MIKEY messages (RFC 3830 §5.4): a clock-skew window on the
// T payload plus a cache of the RANDs of messages already accepted inside that window.
//
// Use: after parsing, `check` (cheap, before the expensive signature verification if you like);
// after the message authenticated, `accept` (checks again and records it). Only authenticated
// messages may enter the cache, or an attacker could fill it. A message whose time has left the
// window needs no cache entry: the window alone rejects it, so expired entries are dropped.
// When the cache is full of live entries the guard refuses new messages ("rejects all incoming
// requests until the clock skew interval has passed", §5.4) rather than forget one that could
// then be replayed.
//
// Malleability: ECCSI signatures are malleable ((r, q - s) verifies wherever (r, s) does; see
// eccsi::has_canonical_s), so two byte strings can carry the same authenticated message. This
// guard keys on RAND (and T), both under the signature, never on a hash of the message bytes or
// of the signature, so the altered form of an accepted message is still a replay. A deployment
// that de-duplicates by a hash over the whole message must normalise s first
// (eccsi::canonical_s) or require the canonical form (km::receiver_options::require_canonical_s).
//
// Each guard is an ordinary object owned by the caller (one per receiving identity, say): no
// global state.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "skm/hash/sha256.hpp"
#include "skm/km/time.hpp"

namespace skm::km {

enum class replay_verdict {
  fresh,       ///< inside the window and not seen before
  too_old,     ///< T lies more than max_age before now
  in_future,   ///< T lies more than max_future_skew after now
  replayed,    ///< this RAND was already accepted inside the window
  cache_full,  ///< no room to remember it: refused until entries expire
  bad_rand,    ///< RAND shorter than 16 octets (RFC 3830 §4.1.1)
};

[[nodiscard]] constexpr const char* describe(replay_verdict v) noexcept {
  switch (v) {
    case replay_verdict::fresh: return "message is fresh";
    case replay_verdict::too_old: return "message timestamp is older than the allowed clock skew";
    case replay_verdict::in_future:
      return "message timestamp lies further in the future than the allowed clock skew";
    case replay_verdict::replayed: return "message was already received (replay)";
    case replay_verdict::cache_full:
      return "replay cache full: message refused until older entries expire";
    case replay_verdict::bad_rand: return "RAND shorter than 16 octets";
  }
  return "unknown replay_verdict";
}

struct replay_policy {
  std::uint64_t max_age_seconds = 300;          ///< how far in the past T may lie
  std::uint64_t max_future_skew_seconds = 300;  ///< how far in the future T may lie
  std::size_t cache_capacity = 4096;            ///< live entries kept at most
};

class replay_guard {
 public:
  explicit replay_guard(replay_policy policy = {}) : policy_(policy) {}

  /// The verdict for a message with timestamp `t` and `rand` received at `now`; nothing recorded.
  [[nodiscard]] replay_verdict check(ntp_time t, std::span<const std::uint8_t> rand,
                                     ntp_time now) const {
    if (auto v = window_verdict(t, rand, now); v != replay_verdict::fresh) return v;
    const auto key = sha256::hash(rand);
    for (const auto& e : entries_)
      if (e.rand_hash == key && !expired(e, now)) return replay_verdict::replayed;
    return replay_verdict::fresh;
  }

  /// As `check`, and if fresh, remember the message. Call only for authenticated messages.
  [[nodiscard]] replay_verdict accept(ntp_time t, std::span<const std::uint8_t> rand,
                                      ntp_time now) {
    const replay_verdict v = check(t, rand, now);
    if (v != replay_verdict::fresh) return v;
    purge(now);
    if (entries_.size() >= policy_.cache_capacity) return replay_verdict::cache_full;
    entries_.push_back({sha256::hash(rand), t});
    return replay_verdict::fresh;
  }

  /// Drop the entries whose timestamps have left the window.
  void purge(ntp_time now) {
    std::erase_if(entries_, [&](const entry& e) { return expired(e, now); });
  }

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] const replay_policy& policy() const noexcept { return policy_; }

 private:
  struct entry {
    sha256::digest rand_hash;
    ntp_time time;
  };

  [[nodiscard]] replay_verdict window_verdict(ntp_time t, std::span<const std::uint8_t> rand,
                                              ntp_time now) const noexcept {
    if (rand.size() < 16) return replay_verdict::bad_rand;
    if (t < now && now.seconds - t.seconds > policy_.max_age_seconds)
      return replay_verdict::too_old;
    if (t > now && t.seconds - now.seconds > policy_.max_future_skew_seconds)
      return replay_verdict::in_future;
    return replay_verdict::fresh;
  }
  [[nodiscard]] bool expired(const entry& e, ntp_time now) const noexcept {
    return e.time < now && now.seconds - e.time.seconds > policy_.max_age_seconds;
  }

  replay_policy policy_;
  std::vector<entry> entries_;
};

}  // namespace skm::km
