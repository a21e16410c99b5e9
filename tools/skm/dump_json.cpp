// SPDX-License-Identifier: BSD-3-Clause
#include "dump_json.hpp"

#include <string>

#include "skm/mikey/payloads.hpp"

namespace skm::cli {

namespace {

/// An enumerated field: {"value": 26, "name": "SAKKE msg"} (name null when unknown).
template <class E>
void enum_field(json& j, std::string_view key, E v) {
  j.key(key).begin_object().field("value", static_cast<std::uint64_t>(v));
  const char* n = mikey::name(v);
  if (n != nullptr)
    j.field("name", n);
  else
    j.key("name").null();
  j.end_object();
}

/// Identities: the octets in hex, and as text when printable ASCII.
void id_fields(json& j, mikey::bytes_view data) {
  j.field("data_hex", to_hex(data));
  bool printable = true;
  for (const auto c : data) printable = printable && c >= 0x20 && c <= 0x7E;
  if (printable)
    j.field("data_text", std::string_view(reinterpret_cast<const char*>(data.data()), data.size()));
}

void sakke_fields(json& j, const mikey::sakke_payload& s) {
  j.field("sakke_params", std::uint64_t{s.params}).field("id_scheme", std::uint64_t{s.id_scheme});
  j.field("data_length", std::uint64_t{s.data.size()}).field("data", to_hex(s.data));
}

/// HDR: the common header with its CS ID map entries.
void hdr_fields(json& j, const mikey::hdr_payload& h) {
  j.field("version", std::uint64_t{h.version});
  enum_field(j, "data_type", h.data_type);
  j.field("v", h.v);
  enum_field(j, "prf_func", h.prf);
  j.field("csb_id", hex32(h.csb_id)).field("cs_count", std::uint64_t{h.cs_count});
  enum_field(j, "cs_id_map_type", h.map_type);
  j.key("srtp_ids").begin_array();
  for (const auto s : h.srtp_ids())
    j.begin_object()
        .field("policy_no", std::uint64_t{s.policy_no})
        .field("ssrc", hex32(s.ssrc))
        .field("roc", std::uint64_t{s.roc})
        .end_object();
  j.end_array();
  j.key("generic_ids").begin_array();
  for (const auto g : h.generic_ids()) {
    j.begin_object().field("cs_id", std::uint64_t{g.cs_id});
    enum_field(j, "prot_type", g.prot);
    j.field("s", g.s);
    j.key("policies").begin_array();
    for (const auto p : g.policies) j.number(p);
    j.end_array();
    j.field("session_data", to_hex(g.session_data)).field("spi", to_hex(g.spi)).end_object();
  }
  j.end_array();
}

void t_fields(json& j, const mikey::t_payload& t) {
  enum_field(j, "ts_type", t.type);
  std::array<std::uint8_t, 8> value{};
  for (std::size_t i = 0; i < value.size(); ++i)
    value[i] = static_cast<std::uint8_t>(t.value >> (56 - 8 * i));
  j.field("value", to_hex(value));
  if (t.type != mikey::ts_type::counter) {
    // The era nearest today's clock, as a receiver would take it.
    const auto when = t_payload_time(t);
    j.field("ntp_seconds", when.seconds).field("time", iso(when));
  }
}

void sp_fields(json& j, const mikey::sp_payload& sp) {
  using namespace mikey;
  j.field("policy_no", std::uint64_t{sp.policy_no});
  enum_field(j, "prot_type", sp.prot);
  j.key("parameters").begin_array();
  for (const auto p : sp.parameters()) {
    j.begin_object().field("type", std::uint64_t{p.type});
    const bool srtp = sp.prot == prot_type::srtp;
    if (const char* n = srtp ? name(static_cast<srtp_param>(p.type)) : nullptr) j.field("name", n);
    j.field("value", to_hex(p.value));
    if (const auto b = p.byte_value(); srtp && b)
      if (const char* vn = srtp_value_name(static_cast<srtp_param>(p.type), *b))
        j.field("value_name", vn);
    j.end_object();
  }
  j.end_array();
}

void ext_fields(json& j, const mikey::general_ext_payload& g) {
  enum_field(j, "ext_type", g.type);
  j.field("data_length", std::uint64_t{g.data.size()}).field("data", to_hex(g.data));
  if (g.type == mikey::ext_type::sakke_to_self)
    if (const auto inner = g.sakke_to_self()) {
      j.key("sakke").begin_object();
      sakke_fields(j, *inner);
      j.end_object();
    }
}

void sign_fields(json& j, const mikey::sign_payload& sg) {
  enum_field(j, "s_type", sg.type);
  j.field("signature_length", std::uint64_t{sg.signature.size()})
      .field("signature", to_hex(sg.signature));
  if (sg.type == mikey::sign_type::eccsi && sg.signature.size() == 129)
    j.field("r", to_hex(sg.signature.first(32)))
        .field("s", to_hex(sg.signature.subspan(32, 32)))
        .field("pvt", to_hex(sg.signature.subspan(64)));
}

/// The payloads of RFC 3830 that an I_MESSAGE of this profile does not carry.
void other_fields(json& j, const mikey::payload_entry& e) {
  using namespace mikey;
  if (const auto* c = e.get<cert_payload>()) {
    j.field("cert_type", std::uint64_t{c->type}).field("data", to_hex(c->data));
  } else if (const auto* k = e.get<kemac_payload>()) {
    enum_field(j, "encr_alg", k->encr_alg);
    j.field("encr_data", to_hex(k->encr_data));
    enum_field(j, "mac_alg", k->mac_alg);
    j.field("mac", to_hex(k->mac));
  } else if (const auto* v = e.get<v_payload>()) {
    enum_field(j, "auth_alg", v->auth_alg);
    j.field("ver_data", to_hex(v->ver_data));
  } else if (const auto* er = e.get<err_payload>()) {
    j.field("error_no", std::uint64_t{er->error_no});
    if (const char* n = error_no_name(er->error_no)) j.field("error_name", n);
  }
}

}  // namespace

km::ntp_time t_payload_time(const mikey::t_payload& t) {
  return km::from_ntp_wire(std::uint64_t{t.ntp_seconds()} << 32, now());
}

void dump_json_payload(json& j, const mikey::payload_entry& e) {
  using namespace mikey;
  j.begin_object();
  j.field("type", e.type == payload_type::hdr ? "HDR" : name(e.type));
  if (e.type != payload_type::hdr) j.field("code", static_cast<std::uint64_t>(e.type));
  j.field("offset", std::uint64_t{e.offset}).field("length", std::uint64_t{e.raw.size()});
  if (e.type != payload_type::sign) j.field("next_payload", static_cast<std::uint64_t>(e.next));
  if (const auto* h = e.get<hdr_payload>()) {
    hdr_fields(j, *h);
  } else if (const auto* t = e.get<t_payload>()) {
    t_fields(j, *t);
  } else if (const auto* r = e.get<rand_payload>()) {
    j.field("rand_length", std::uint64_t{r->rand.size()}).field("rand", to_hex(r->rand));
  } else if (const auto* i = e.get<idr_payload>()) {
    enum_field(j, "id_role", i->role);
    enum_field(j, "id_type", i->type);
    j.field("data_length", std::uint64_t{i->data.size()});
    id_fields(j, i->data);
  } else if (const auto* id = e.get<id_payload>()) {
    enum_field(j, "id_type", static_cast<id_type>(id->type));
    j.field("data_length", std::uint64_t{id->data.size()});
    id_fields(j, id->data);
  } else if (const auto* sp = e.get<sp_payload>()) {
    sp_fields(j, *sp);
  } else if (const auto* s = e.get<sakke_payload>()) {
    sakke_fields(j, *s);
  } else if (const auto* g = e.get<general_ext_payload>()) {
    ext_fields(j, *g);
  } else if (const auto* sg = e.get<sign_payload>()) {
    sign_fields(j, *sg);
  } else {
    other_fields(j, e);
  }
  j.end_object();
}

void dump_json(json& j, const mikey::message_view& m) {
  j.begin_object().field("size", std::uint64_t{m.bytes().size()});
  j.key("payloads").begin_array();
  for (const auto& e : m.payloads()) dump_json_payload(j, e);
  j.end_array().end_object();
}

}  // namespace skm::cli
