// SPDX-License-Identifier: BSD-3-Clause
// A human-readable dump of a parsed MIKEY message: payload by payload, field by field, like
// Wireshark's packet detail view. Meant for people (and the command-line tool), not for parsing.
#pragma once

#include <cstdint>
#include <string>

#include "skm/mikey/message.hpp"
#include "skm/mikey/payloads.hpp"

namespace skm::mikey {

namespace detail {

inline void hex_to(std::string& s, bytes_view b) {
  constexpr char digits[] = "0123456789abcdef";
  for (const auto x : b) {
    s += digits[x >> 4];
    s += digits[x & 0xF];
  }
}

inline std::string hex(bytes_view b) {
  std::string s;
  hex_to(s, b);
  return s;
}

inline std::string hex_number(std::uint64_t v, int digits) {
  std::string s = "0x";
  for (int i = digits - 1; i >= 0; --i) s += "0123456789abcdef"[(v >> (4 * i)) & 0xF];
  return s;
}

/// "26 (SAKKE msg)" or "7 (unknown)".
template <class E>
std::string enum_text(E value) {
  const char* n = name(value);
  return std::to_string(static_cast<unsigned>(value)) + " (" + (n != nullptr ? n : "unknown") + ")";
}

/// Printable ASCII is shown as text, anything else as hex.
inline std::string id_text(bytes_view b) {
  for (const auto x : b)
    if (x < 0x20 || x > 0x7E) return hex(b);
  return "\"" + std::string(b.begin(), b.end()) + "\"";
}

/// The 32-bit seconds field of an NTP timestamp, era-extended by the fixed rule of RFC 4330 §3
/// (a set top bit is era 0, 1968–2036; a clear one era 1, 2036–2104): a dump has no clock to take
/// the nearest era from, and without the rule every date after February 2036 would read as 1900.
[[nodiscard]] constexpr std::uint64_t ntp_era_extended(std::uint32_t ntp_seconds) noexcept {
  return (ntp_seconds & 0x80000000u) != 0 ? ntp_seconds
                                          : std::uint64_t{ntp_seconds} + (std::uint64_t{1} << 32);
}

/// Seconds since 1900-01-01 (era-extended) as a UTC date, "YYYY-MM-DD hh:mm:ss UTC".
inline std::string ntp_date(std::uint64_t ntp_seconds) {
  constexpr std::int64_t unix_epoch = 2208988800;  // 1970-01-01 in NTP seconds
  const std::int64_t t = static_cast<std::int64_t>(ntp_seconds) - unix_epoch;  // may be < 0
  const std::int64_t days = (t >= 0 ? t : t - 86399) / 86400;                  // floor
  const std::int64_t sod = t - days * 86400;
  // Days to civil date (proleptic Gregorian), after H. Hinnant's days_from_civil inverse.
  const std::int64_t z = days + 719468;  // >= 0 for every date after 0000-03-01
  const std::int64_t era = z / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const auto two = [](std::int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); };
  return std::to_string(y) + "-" + two(m) + "-" + two(d) + " " + two(sod / 3600) + ":" +
         two(sod / 60 % 60) + ":" + two(sod % 60) + " UTC";
}

struct dump_writer {
  std::string out;
  void line(int indent, const std::string& label, const std::string& value) {
    out.append(static_cast<std::size_t>(indent) * 4, ' ');
    out += label;
    out += ": ";
    out += value;
    out += '\n';
  }
  void heading(int indent, const std::string& text) {
    out.append(static_cast<std::size_t>(indent) * 4, ' ');
    out += text;
    out += '\n';
  }
};

inline std::string next_text(payload_type t) {
  return std::to_string(static_cast<unsigned>(t)) + " (" + name(t) + ")";
}

inline void dump_sakke_fields(dump_writer& w, int indent, const sakke_payload& s) {
  w.line(indent, "SAKKE params",
         std::to_string(s.params) + (s.params == 1 ? " (Parameter Set 1)" : ""));
  const char* scheme = s.id_scheme == 1   ? " (tel URI with monthly keys)"
                       : s.id_scheme == 2 ? " (3GPP MCX hashed UID)"
                                          : "";
  w.line(indent, "ID scheme", std::to_string(s.id_scheme) + scheme);
  w.line(indent, "SAKKE data length", std::to_string(s.data.size()));
  w.line(indent, "SAKKE data", hex(s.data));
}

inline void dump_generic_id(dump_writer& w, std::size_t n, const generic_id_entry& g) {
  w.heading(1, "GENERIC-ID entry " + std::to_string(n));
  w.line(2, "CS ID", std::to_string(g.cs_id));
  w.line(2, "Prot type", enum_text(g.prot));
  w.line(2, "S", g.s ? "1" : "0");
  w.line(2, "#P", std::to_string(g.policies.size()));
  std::string ps;
  for (const auto p : g.policies) ps += (ps.empty() ? "" : " ") + std::to_string(p);
  w.line(2, "Policies", ps.empty() ? "(none)" : ps);
  w.line(2, "Session Data Length", std::to_string(g.session_data.size()));
  if (g.prot == prot_type::srtp && !g.session_data.empty()) {
    w.line(3, "SSRC", hex_number(g.ssrc(), 8));
    if (g.roc()) w.line(3, "ROC", std::to_string(*g.roc()));
    if (g.seq()) w.line(3, "SEQ", std::to_string(*g.seq()));
  } else if (!g.session_data.empty()) {
    w.line(2, "Session Data", hex(g.session_data));
  }
  w.line(2, "SPI Length", std::to_string(g.spi.size()));
  if (!g.spi.empty()) w.line(2, "SPI", hex(g.spi));
}

inline void dump_hdr(dump_writer& w, const payload_entry& e, const hdr_payload& h) {
  w.line(1, "Version", std::to_string(h.version));
  w.line(1, "Data type", enum_text(h.data_type));
  w.line(1, "Next payload", next_text(e.next));
  w.line(1, "V", h.v ? "1 (response expected)" : "0 (no response expected)");
  w.line(1, "PRF func", enum_text(h.prf));
  w.line(1, "CSB ID", hex_number(h.csb_id, 8));
  w.line(1, "#CS", std::to_string(h.cs_count));
  w.line(1, "CS ID map type", enum_text(h.map_type));
  std::size_t i = 0;
  for (const auto s : h.srtp_ids()) {
    w.heading(1, "SRTP-ID entry " + std::to_string(++i));
    w.line(2, "Policy no", std::to_string(s.policy_no));
    w.line(2, "SSRC", hex_number(s.ssrc, 8));
    w.line(2, "ROC", std::to_string(s.roc));
  }
  for (const auto g : h.generic_ids()) dump_generic_id(w, ++i, g);
}

inline void dump_sp(dump_writer& w, const sp_payload& sp) {
  w.line(1, "Policy no", std::to_string(sp.policy_no));
  w.line(1, "Prot type", enum_text(sp.prot));
  w.line(1, "Policy param length", std::to_string(sp.params.size()));
  for (const auto p : sp.parameters()) {
    const bool srtp = sp.prot == prot_type::srtp;
    const char* n = srtp ? name(static_cast<srtp_param>(p.type)) : nullptr;
    std::string value = p.byte_value() ? std::to_string(*p.byte_value()) : hex(p.value);
    const char* vn = srtp && p.byte_value()
                         ? srtp_value_name(static_cast<srtp_param>(p.type), *p.byte_value())
                         : nullptr;
    if (vn != nullptr) value += std::string(" (") + vn + ")";
    w.line(1,
           std::string(n != nullptr ? n : "Parameter") + " (type " + std::to_string(p.type) + ")",
           value);
  }
}

inline void dump_general_ext(dump_writer& w, const general_ext_payload& g) {
  w.line(1, "Type", enum_text(g.type));
  w.line(1, "Length", std::to_string(g.data.size()));
  if (auto inner = g.sakke_to_self(); g.type == ext_type::sakke_to_self && inner) {
    w.heading(1, "Embedded SAKKE payload");
    dump_sakke_fields(w, 2, *inner);
  } else {
    w.line(1, "Data", hex(g.data));
  }
}

inline void dump_sign(dump_writer& w, const sign_payload& sg) {
  w.line(1, "S type", enum_text(sg.type));
  w.line(1, "Signature len", std::to_string(sg.signature.size()));
  if (sg.type == sign_type::eccsi && sg.signature.size() == 129) {
    w.line(1, "r", hex(sg.signature.first(32)));
    w.line(1, "s", hex(sg.signature.subspan(32, 32)));
    w.line(1, "PVT", hex(sg.signature.subspan(64)));
  } else {
    w.line(1, "Signature", hex(sg.signature));
  }
}

/// The payloads with a handful of fields each: T, RAND, IDR, ID, CERT, KEMAC, V, ERR.
inline void dump_simple_fields(dump_writer& w, const payload_entry& e) {
  if (const auto* t = e.get<t_payload>()) {
    w.line(1, "TS type", enum_text(t->type));
    const bool wide = ts_value_size(t->type) == 8u;
    std::string v = hex_number(t->value, wide ? 16 : 8);
    if (t->type != ts_type::counter) v += " (" + ntp_date(ntp_era_extended(t->ntp_seconds())) + ")";
    w.line(1, "TS value", v);
  } else if (const auto* r = e.get<rand_payload>()) {
    w.line(1, "RAND len", std::to_string(r->rand.size()));
    w.line(1, "RAND", hex(r->rand));
  } else if (const auto* i = e.get<idr_payload>()) {
    w.line(1, "ID Role", enum_text(i->role));
    w.line(1, "ID Type", enum_text(i->type));
    w.line(1, "ID len", std::to_string(i->data.size()));
    w.line(1, "ID Data", id_text(i->data));
  } else if (const auto* id = e.get<id_payload>()) {
    w.line(1, "ID Type", enum_text(static_cast<id_type>(id->type)));
    w.line(1, "ID len", std::to_string(id->data.size()));
    w.line(1, "ID Data", id_text(id->data));
  } else if (const auto* c = e.get<cert_payload>()) {
    w.line(1, "Cert Type", std::to_string(c->type));
    w.line(1, "Cert len", std::to_string(c->data.size()));
    w.line(1, "Certificate", hex(c->data));
  } else if (const auto* k = e.get<kemac_payload>()) {
    w.line(1, "Encr alg", enum_text(k->encr_alg));
    w.line(1, "Encr data len", std::to_string(k->encr_data.size()));
    w.line(1, "Encr data", hex(k->encr_data));
    w.line(1, "Mac alg", enum_text(k->mac_alg));
    w.line(1, "MAC", hex(k->mac));
  } else if (const auto* v = e.get<v_payload>()) {
    w.line(1, "Auth alg", enum_text(v->auth_alg));
    w.line(1, "Ver data", hex(v->ver_data));
  } else if (const auto* er = e.get<err_payload>()) {
    const char* n = error_no_name(er->error_no);
    w.line(1, "Error no",
           std::to_string(er->error_no) + " (" + (n != nullptr ? n : "unknown") + ")");
    w.line(1, "Reserved", hex_number(er->reserved, 4));
  }
}

inline void dump_payload(dump_writer& w, const payload_entry& e) {
  std::string title = e.type == payload_type::hdr ? "HDR (Common Header)" : name(e.type);
  const char* kind = nullptr;  // the role or extension type, shown in the heading as Wireshark does
  if (const auto* i = e.get<idr_payload>()) kind = name(i->role);
  if (const auto* g = e.get<general_ext_payload>()) kind = name(g->type);
  if (kind != nullptr) title += std::string(" (") + kind + ")";
  w.heading(0, title + ", offset " + std::to_string(e.offset) + ", " +
                   std::to_string(e.raw.size()) + " bytes");
  if (const auto* h = e.get<hdr_payload>()) return dump_hdr(w, e, *h);
  if (e.type != payload_type::sign) w.line(1, "Next payload", next_text(e.next));
  if (const auto* sp = e.get<sp_payload>()) return dump_sp(w, *sp);
  if (const auto* s = e.get<sakke_payload>()) return dump_sakke_fields(w, 1, *s);
  if (const auto* g = e.get<general_ext_payload>()) return dump_general_ext(w, *g);
  if (const auto* sg = e.get<sign_payload>()) return dump_sign(w, *sg);
  dump_simple_fields(w, e);
}

}  // namespace detail

/// The whole message, one payload per block, one field per line.
[[nodiscard]] inline std::string dump(const message_view& m) {
  detail::dump_writer w;
  w.heading(0, "MIKEY message, " + std::to_string(m.bytes().size()) + " bytes, " +
                   std::to_string(m.payloads().size()) + " payloads");
  for (const auto& e : m.payloads()) detail::dump_payload(w, e);
  return std::move(w.out);
}

}  // namespace skm::mikey
