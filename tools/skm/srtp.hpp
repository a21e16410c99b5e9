// SPDX-License-Identifier: BSD-3-Clause
// The SRTP keys of a MIKEY-SAKKE key, per crypto session: the CS IDs of the message's map, or
// (an empty map) those the key's purpose implies (km/crypto_sessions.hpp), plus any --cs-id.
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "cli.hpp"
#include "skm/km/crypto_sessions.hpp"
#include "skm/km/key_id.hpp"
#include "skm/km/mikey_prf.hpp"

namespace skm::cli {

/// --cs-id N[,N…] and --mcvideo of imsg create, open and keys.
struct srtp_request {
  std::vector<std::uint8_t> extra_cs_ids;
  km::mc_service service = km::mc_service::mcptt;
};
[[nodiscard]] srtp_request srtp_arguments(const arguments& a);

/// What the derivation needs, taken from a received, created or known key and its message.
struct srtp_inputs {
  km::mikey_prf prf = km::mikey_prf::prf_hmac_sha_256;
  std::span<const std::uint8_t> key;
  std::uint32_t csb_id = 0;
  std::span<const std::uint8_t> rand;
  km::key_purpose purpose = km::key_purpose::pck;
  km::sk_id key_id;
  std::vector<std::uint8_t> map_cs_ids;  ///< the GENERIC-ID map's CS IDs (empty map: none)
};

struct srtp_session {
  std::uint8_t cs_id = 0;
  std::string origin;   ///< "map", "purpose" or "--cs-id"
  std::string meaning;  ///< the TS 33.180 E.1.3 meaning, "" when undefined
  std::string master_key, master_salt, mki;
};

[[nodiscard]] std::vector<srtp_session> derive_sessions(const srtp_inputs& in,
                                                        const srtp_request& request);
/// "srtp": [{"cs_id", "origin", "meaning", "master_key", "master_salt", "mki"}, …]
void srtp_json(json& j, const std::vector<srtp_session>& sessions);
/// One line per crypto session; a note when there is none.
void srtp_text(std::ostream& out, const std::vector<srtp_session>& sessions,
               km::key_purpose purpose);

}  // namespace skm::cli
