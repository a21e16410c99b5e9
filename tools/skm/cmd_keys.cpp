// SPDX-License-Identifier: BSD-3-Clause
// skm imsg keys: the SRTP master keys of a message from a key known by other means (a product's
// log, the sender's JSON), without key sets: to check one end's SRTP keys against the other's.
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "skm/common/ct.hpp"
#include "skm/mikey/message.hpp"
#include "srtp.hpp"

namespace skm::cli {

namespace {

constexpr std::string_view keys_help =
    R"(usage: skm imsg keys --key HEX [--key-id HEX] [--purpose NAME] [--cs-id N[,N...]] [--mcvideo]
                      [--json] MESSAGE

The SRTP master key, master salt and MKI of each crypto session of MESSAGE for a known key (the
16-octet PCK/GMK/CSK/MuSiK): RFC 3830 §4.1.3 with the message's PRF, CSB ID and RAND. Nothing is
verified or decrypted: the message is only parsed, so this also works for a message whose
receiver's key set you do not have.

The crypto sessions are those of the message's CS ID map; for an empty map those the purpose
implies (TS 33.180 E.1.3; the purpose is the top 4 bits of the CSB ID unless --purpose says
otherwise), plus any --cs-id.

  --key HEX            the key carried by the message (32 hex digits)
  --key-id HEX         the GMK-ID of a GMK (the MKI is GMK-ID || GUK-ID); default: the CSB ID
  --purpose NAME       PCK, GMK, CSK, MuSiK, SPK, MKFC or MSCCK
  --cs-id N[,N...]     also derive these crypto sessions
  --mcvideo            the MCVideo crypto sessions for an empty map
  --json               one JSON object

MESSAGE: as for 'skm imsg dump'.
)";

km::key_purpose purpose_argument(const arguments& a, std::uint32_t csb_id) {
  const auto p = a.value("purpose");
  if (!p) return km::sk_id::from_value(csb_id).purpose();
  const auto purpose = km::purpose_from_name(*p);
  if (!purpose)
    throw a.error("unknown --purpose '" + std::string(*p) +
                  "' (PCK, GMK, CSK, MuSiK, SPK, MKFC or MSCCK)");
  return *purpose;
}

}  // namespace

int run_imsg_keys(std::span<char* const> args) {
  const arguments a(
      args, {{"key"}, {"key-id"}, {"purpose"}, {"cs-id"}, {"mcvideo", false}, {"json", false}},
      "imsg keys");
  if (a.help()) {
    std::cout << keys_help;
    return exit_ok;
  }
  auto key = from_hex(a.required("key"));
  if (!key || key->size() != 16) throw a.error("--key must be 32 hex digits (16 octets)");
  std::optional<km::sk_id> key_id;
  if (const auto id = a.value("key-id")) {
    const auto bytes = from_hex(*id);
    if (!bytes || bytes->size() != 4) throw a.error("--key-id must be 8 hex digits (4 octets)");
    key_id = km::sk_id::from_bytes(*bytes).value();
  }
  const auto request = srtp_arguments(a);
  const auto bytes = read_message(a);
  const auto m = mikey::parse_message(bytes);
  if (!m) throw failure("not a valid MIKEY message: " + mikey::to_string(m.error()));
  const auto* rand = m->rand();
  if (rand == nullptr) throw failure("the message has no RAND payload");
  const auto& hdr = m->hdr();
  srtp_inputs in;
  in.prf = static_cast<km::mikey_prf>(hdr.prf);
  in.key = *key;
  in.csb_id = hdr.csb_id;
  in.rand = rand->rand;
  in.purpose = purpose_argument(a, hdr.csb_id);
  in.key_id = key_id.value_or(km::sk_id::from_value(hdr.csb_id));
  for (const auto g : hdr.generic_ids()) in.map_cs_ids.push_back(g.cs_id);
  const auto sessions = derive_sessions(in, request);
  ct::wipe(key->data(), key->size());
  if (a.flag("json")) {
    json j;
    j.begin_object()
        .field("ok", true)
        .field("purpose", std::string(km::purpose_name(in.purpose)))
        .field("csb_id", hex32(in.csb_id))
        .field("key_id", hex32(in.key_id.value()))
        .field("rand", to_hex(in.rand))
        .field("prf", in.prf == km::mikey_prf::prf_hmac_sha_256 ? "PRF-HMAC-SHA-256" : "MIKEY-1");
    srtp_json(j, sessions);
    j.end_object();
    std::cout << j.text() << "\n";
  } else {
    srtp_text(std::cout, sessions, in.purpose);
  }
  return exit_ok;
}

}  // namespace skm::cli
