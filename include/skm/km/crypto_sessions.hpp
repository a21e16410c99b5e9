// SPDX-License-Identifier: BSD-3-Clause
// The crypto sessions of TS 33.180 E.1.3: which CS ID of an I_MESSAGE's key protects which
// media or signalling stream. The CS ID is an input of the SRTP master key derivation (RFC 3830
// §4.1.3), so sender and receiver must agree on it; when the message's CS ID map is empty
// (#CS = 0, the default profile) the purpose of the key implies the crypto sessions.
//
//   CS ID  stream                                       key
//   0      MCPTT private call, initiator's media        PCK
//   1      MCPTT private call, receiver's media         PCK
//   2      MCVideo private call, initiator's media      PCK
//   3      MCVideo private call, receiver's media       PCK
//   4      MCPTT group call                             GMK
//   5      MCVideo group call                           GMK
//   6      SRTCP for MCPTT (client-server)              CSK
//   7      SRTCP for MCPTT (multicast signalling)       MuSiK
//   8      SRTCP for MCVideo (client-server)            CSK
//   9      SRTCP for MCVideo (multicast signalling)     MuSiK
//
// Evidence (specs/3gpp-notes.md §B): CS ID 6 for a CSK is confirmed by TS 36.579-1's conformance
// table; 4 for a GMK by a deployed product's messages; the rest of the table is a deployed
// implementation's citation of E.1.3, not yet checked against the specification text
// (`confirmed` below says which is which).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "skm/km/key_id.hpp"

namespace skm::km {

/// The mission-critical service a key is used in (the CS IDs differ between them).
enum class mc_service : std::uint8_t { mcptt, mcvideo };

struct crypto_session {
  std::uint8_t cs_id;
  std::string_view meaning;
  key_purpose purpose;  ///< the key that protects it
  mc_service service;
  bool confirmed;  ///< seen in specification text or interop messages (see the header comment)
};

inline constexpr std::array<crypto_session, 10> crypto_session_table{{
    {0, "MCPTT private call, initiator's media", key_purpose::pck, mc_service::mcptt, false},
    {1, "MCPTT private call, receiver's media", key_purpose::pck, mc_service::mcptt, false},
    {2, "MCVideo private call, initiator's media", key_purpose::pck, mc_service::mcvideo, false},
    {3, "MCVideo private call, receiver's media", key_purpose::pck, mc_service::mcvideo, false},
    {4, "MCPTT group call", key_purpose::gmk, mc_service::mcptt, true},
    {5, "MCVideo group call", key_purpose::gmk, mc_service::mcvideo, false},
    {6, "SRTCP for MCPTT, client-server key (CSK)", key_purpose::csk, mc_service::mcptt, true},
    {7, "SRTCP for MCPTT, multicast signalling key (MuSiK)", key_purpose::musik, mc_service::mcptt,
     false},
    {8, "SRTCP for MCVideo, client-server key (CSK)", key_purpose::csk, mc_service::mcvideo, false},
    {9, "SRTCP for MCVideo, multicast signalling key (MuSiK)", key_purpose::musik,
     mc_service::mcvideo, false},
}};

/// The table entry of `cs_id`, or nullptr for an ID the table does not define.
[[nodiscard]] constexpr const crypto_session* find_crypto_session(std::uint8_t cs_id) noexcept {
  for (const auto& s : crypto_session_table)
    if (s.cs_id == cs_id) return &s;
  return nullptr;
}

/// What `cs_id` protects, or "" when the table does not define it.
[[nodiscard]] constexpr std::string_view crypto_session_meaning(std::uint8_t cs_id) noexcept {
  const auto* s = find_crypto_session(cs_id);
  return s == nullptr ? std::string_view() : s->meaning;
}

/// The CS IDs a key of `purpose` is used with in `service` when the CS ID map is empty: both
/// directions of a private call (PCK), the group call (GMK), the SRTCP session (CSK, MuSiK).
/// Empty for purposes without SRTP use (SPK, MKFC, MSCCK, unregistered ones).
[[nodiscard]] constexpr std::span<const crypto_session> default_crypto_sessions(
    key_purpose purpose, mc_service service = mc_service::mcptt) noexcept {
  std::size_t first = crypto_session_table.size();
  std::size_t count = 0;
  for (std::size_t i = 0; i < crypto_session_table.size(); ++i) {
    const auto& s = crypto_session_table[i];
    if (s.purpose != purpose || s.service != service) continue;
    if (count == 0) first = i;
    ++count;
  }
  return std::span<const crypto_session>(crypto_session_table).subspan(first, count);
}

static_assert(default_crypto_sessions(key_purpose::pck).size() == 2 &&
              default_crypto_sessions(key_purpose::pck)[1].cs_id == 1);
static_assert(default_crypto_sessions(key_purpose::csk).front().cs_id == 6);
static_assert(default_crypto_sessions(key_purpose::musik, mc_service::mcvideo).front().cs_id == 9);
static_assert(default_crypto_sessions(key_purpose::spk).empty());

}  // namespace skm::km
