// SPDX-License-Identifier: BSD-3-Clause
#include "srtp.hpp"

#include <algorithm>

#include "skm/km/i_message.hpp"

namespace skm::cli {

srtp_request srtp_arguments(const arguments& a) {
  srtp_request r;
  if (a.flag("mcvideo")) r.service = km::mc_service::mcvideo;
  const auto list = a.value("cs-id");
  if (!list) return r;
  std::string_view rest = *list;
  while (true) {
    const auto comma = rest.find(',');
    const auto item = rest.substr(0, comma);
    std::uint64_t v = 0;
    try {
      v = parse_u64(trim(item), "--cs-id");
    } catch (const usage_error&) {
      v = 256;
    }
    if (v > 255)
      throw a.error("--cs-id takes CS IDs 0..255 separated by commas, not '" + std::string(*list) +
                    "'");
    r.extra_cs_ids.push_back(static_cast<std::uint8_t>(v));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return r;
}

std::vector<srtp_session> derive_sessions(const srtp_inputs& in, const srtp_request& request) {
  std::vector<std::pair<std::uint8_t, const char*>> wanted;
  for (const auto cs : in.map_cs_ids) wanted.emplace_back(cs, "map");
  if (in.map_cs_ids.empty())
    for (const auto& s : km::default_crypto_sessions(in.purpose, request.service))
      wanted.emplace_back(s.cs_id, "purpose");
  for (const auto cs : request.extra_cs_ids)
    if (std::none_of(wanted.begin(), wanted.end(), [&](const auto& w) { return w.first == cs; }))
      wanted.emplace_back(cs, "--cs-id");
  const auto mki = km::mki(in.purpose, in.key_id, km::sk_id::from_value(in.csb_id));
  std::vector<srtp_session> out;
  for (const auto& [cs, origin] : wanted) {
    const auto m = km::derive_srtp_master(in.prf, in.key, cs, in.csb_id, in.rand);
    if (!m) throw failure(std::string("cannot derive the SRTP keys: ") + km::describe(m.error()));
    out.push_back({cs, origin, std::string(km::crypto_session_meaning(cs)), to_hex(m->key.span()),
                   to_hex(m->salt.span()), to_hex(mki)});
  }
  return out;
}

void srtp_json(json& j, const std::vector<srtp_session>& sessions) {
  j.key("srtp").begin_array();
  for (const auto& s : sessions) {
    j.begin_object().field("cs_id", std::uint64_t{s.cs_id}).field("origin", s.origin);
    j.key("meaning");
    if (s.meaning.empty())
      j.null();
    else
      j.string(s.meaning);
    j.field("master_key", s.master_key)
        .field("master_salt", s.master_salt)
        .field("mki", s.mki)
        .end_object();
  }
  j.end_array();
}

void srtp_text(std::ostream& out, const std::vector<srtp_session>& sessions,
               km::key_purpose purpose) {
  if (sessions.empty())
    out << "SRTP          no crypto session: the map is empty and TS 33.180 E.1.3 gives purpose "
        << static_cast<unsigned>(purpose) << " none (--cs-id N derives one)\n";
  for (const auto& s : sessions)
    out << "SRTP CS " << unsigned{s.cs_id} << "      master key " << s.master_key
        << ", master salt " << s.master_salt << ", MKI " << s.mki << "  ("
        << (s.meaning.empty() ? "undefined in E.1.3" : s.meaning) << "; " << s.origin << ")\n";
}

}  // namespace skm::cli
