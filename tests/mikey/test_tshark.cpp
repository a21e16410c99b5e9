// SPDX-License-Identifier: BSD-3-Clause
// Wireshark agreement: messages built by skm (and the vendor message) are written to a pcap as
// UDP datagrams to port 2269 and decoded by tshark, an independent MIKEY decoder. Each message
// must decode without a malformed-packet flag, and the fields tshark reports must equal ours.
// Skips visibly when tshark is not installed. (This tshark does not decode GENERIC-ID maps, so
// those are covered by the golden bytes of test_payloads.cpp instead.)
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "../support/skip.hpp"
#include "messages.hpp"
#include "skm/mikey/base64.hpp"
#include "skm/mikey/dump.hpp"
#include "skm/mikey/message.hpp"
#include "vectors.hpp"

using namespace skm::mikey;

namespace {

bool have_tshark() {
  // NOLINTNEXTLINE(cert-env33-c): a fixed command line, no outside input reaches the shell
  return std::system("command -v tshark >/dev/null 2>&1") == 0;
}

/// A fresh temporary directory, removed when the guard dies.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string templ = (std::filesystem::temp_directory_path() / "skm-tshark-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = templ;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

void le32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>(v >> (8 * i));
}
void le16(std::string& s, std::uint16_t v) {
  s += static_cast<char>(v);
  s += static_cast<char>(v >> 8);
}
void be16(std::vector<std::uint8_t>& s, std::size_t v) {
  s.push_back(static_cast<std::uint8_t>(v >> 8));
  s.push_back(static_cast<std::uint8_t>(v));
}

/// IPv4 (192.0.2.1 -> 192.0.2.2) + UDP 2269 -> 2269 around a MIKEY message.
std::vector<std::uint8_t> udp_datagram(const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> p{0x45, 0x00};
  be16(p, 20 + 8 + payload.size());
  p.insert(p.end(), {0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00, 192, 0, 2, 1, 192, 0, 2, 2});
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < 20; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  const auto checksum = static_cast<std::uint16_t>(~sum);
  p[10] = static_cast<std::uint8_t>(checksum >> 8);
  p[11] = static_cast<std::uint8_t>(checksum);
  be16(p, 2269);
  be16(p, 2269);
  be16(p, 8 + payload.size());
  be16(p, 0);  // no UDP checksum (allowed over IPv4)
  p.insert(p.end(), payload.begin(), payload.end());
  return p;
}

/// A classic pcap file (LINKTYPE_RAW = 101: packets start with the IP header).
void write_pcap(const std::filesystem::path& file,
                const std::vector<std::vector<std::uint8_t>>& messages) {
  std::string out;
  le32(out, 0xA1B2C3D4);
  le16(out, 2);
  le16(out, 4);
  le32(out, 0);
  le32(out, 0);
  le32(out, 65535);
  le32(out, 101);
  std::uint32_t t = 1700000000;
  for (const auto& m : messages) {
    const auto pkt = udp_datagram(m);
    le32(out, t++);
    le32(out, 0);
    le32(out, static_cast<std::uint32_t>(pkt.size()));
    le32(out, static_cast<std::uint32_t>(pkt.size()));
    out.append(pkt.begin(), pkt.end());
  }
  std::ofstream f(file, std::ios::binary);
  f << out;
  REQUIRE(f.good());
}

const std::vector<std::string> fields{
    "mikey.version",      "mikey.type",           "mikey.v.set",          "mikey.prf_func",
    "mikey.csb_id",       "mikey.cs_count",       "mikey.cs_id_map_type", "mikey.next_payload",
    "mikey.t.ts_type",    "mikey.t.ntp",          "mikey.rand.len",       "mikey.rand.data",
    "mikey.id.role",      "mikey.id.type",        "mikey.id.len",         "mikey.id.data",
    "mikey.sp.no",        "mikey.sp.proto_type",  "mikey.sp.param_len",   "mikey.sp.param.type",
    "mikey.sp.param.len", "mikey.sp.patam.value", "mikey.sakke.params",   "mikey.sakke.idscheme",
    "mikey.sakke.len",    "mikey.sakke.data",     "mikey.ext.type",       "mikey.ext.len",
    "mikey.ext.data",     "mikey.sign.type",      "mikey.sign.len",       "mikey.sign.data",
    "_ws.expert",         "_ws.malformed"};

/// One line per packet, one column per field (multiple occurrences joined with ',').
std::vector<std::vector<std::string>> run_tshark(const std::filesystem::path& pcap) {
  std::string cmd = "tshark -r '" + pcap.string() +
                    "' -T fields -E separator='|' -E occurrence=a -E aggregator=,";
  for (const auto& f : fields) cmd += " -e " + f;
  cmd += " 2>/dev/null";
  // NOLINTNEXTLINE(cert-env33-c): fixed words and a path the test made itself (quoted)
  std::FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string text;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) text.append(buf.data(), n);
  const int status = pclose(pipe);
  REQUIRE(status == 0);
  std::vector<std::vector<std::string>> rows;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const auto line = text.substr(start, end - start);
    std::vector<std::string> cols;
    std::size_t a = 0;
    for (;;) {
      const auto b = line.find('|', a);
      cols.push_back(line.substr(a, b == std::string::npos ? std::string::npos : b - a));
      if (b == std::string::npos) break;
      a = b + 1;
    }
    rows.push_back(cols);
    start = end + 1;
  }
  return rows;
}

template <class Range, class F>
std::string join(const Range& r, F f) {
  std::string s;
  for (const auto& x : r) {
    if (!s.empty()) s += ',';
    s += f(x);
  }
  return s;
}

std::string num(unsigned v) { return std::to_string(v); }

/// tshark's rendering of an NTP timestamp's seconds: "Oct  2, 2025 23:47:52".
std::string ntp_text(std::uint32_t ntp_seconds) {
  const std::time_t t = static_cast<std::time_t>(ntp_seconds - 2208988800u);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::array<char, 64> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), "%b %e, %Y %H:%M:%S", &tm);
  return {buf.data(), n};
}

/// What tshark should report for each field of `m` (fields it cannot render equally, such as
/// binary identities shown as text, are left out when `compare_id_data` is false).
std::map<std::string, std::string> expected_fields(const message_view& m, bool compare_id_data) {
  using detail::hex;
  std::map<std::string, std::string> x;
  const auto& h = m.hdr();
  x["mikey.version"] = num(h.version);
  x["mikey.type"] = num(static_cast<unsigned>(h.data_type));
  x["mikey.v.set"] = h.v ? "1" : "0";
  x["mikey.prf_func"] = num(static_cast<unsigned>(h.prf));
  x["mikey.csb_id"] = detail::hex_number(h.csb_id, 8);
  x["mikey.cs_count"] = num(h.cs_count);
  x["mikey.cs_id_map_type"] = num(static_cast<unsigned>(h.map_type));
  std::vector<payload_type> nexts;
  std::vector<const idr_payload*> idrs;
  std::vector<const general_ext_payload*> exts;
  for (const auto& e : m.payloads()) {
    if (e.type != payload_type::sign) nexts.push_back(e.next);
    if (const auto* i = e.get<idr_payload>()) idrs.push_back(i);
    if (const auto* g = e.get<general_ext_payload>()) exts.push_back(g);
  }
  x["mikey.next_payload"] =
      join(nexts, [](payload_type t) { return num(static_cast<unsigned>(t)); });
  x["mikey.t.ts_type"] = num(static_cast<unsigned>(m.t()->type));
  x["mikey.t.ntp"] = ntp_text(m.t()->ntp_seconds());  // compared as a prefix (fraction follows)
  x["mikey.rand.len"] = num(static_cast<unsigned>(m.rand()->rand.size()));
  x["mikey.rand.data"] = hex(m.rand()->rand);
  x["mikey.id.role"] =
      join(idrs, [](const idr_payload* i) { return num(static_cast<unsigned>(i->role)); });
  x["mikey.id.type"] =
      join(idrs, [](const idr_payload* i) { return num(static_cast<unsigned>(i->type)); });
  x["mikey.id.len"] =
      join(idrs, [](const idr_payload* i) { return num(static_cast<unsigned>(i->data.size())); });
  if (compare_id_data)
    x["mikey.id.data"] = join(
        idrs, [](const idr_payload* i) { return std::string(i->data.begin(), i->data.end()); });
  if (const auto* sp = m.sp()) {
    x["mikey.sp.no"] = num(sp->policy_no);
    x["mikey.sp.proto_type"] = num(static_cast<unsigned>(sp->prot));
    x["mikey.sp.param_len"] = num(static_cast<unsigned>(sp->params.size()));
    x["mikey.sp.param.type"] =
        join(sp->parameters(), [](const sp_param& p) { return num(p.type); });
    x["mikey.sp.param.len"] = join(sp->parameters(), [](const sp_param& p) {
      return num(static_cast<unsigned>(p.value.size()));
    });
    x["mikey.sp.patam.value"] =
        join(sp->parameters(), [](const sp_param& p) { return hex(p.value); });
  } else {
    for (const char* f : {"mikey.sp.no", "mikey.sp.proto_type", "mikey.sp.param_len",
                          "mikey.sp.param.type", "mikey.sp.param.len", "mikey.sp.patam.value"})
      x[f] = "";
  }
  x["mikey.sakke.params"] = num(m.sakke()->params);
  x["mikey.sakke.idscheme"] = num(m.sakke()->id_scheme);
  x["mikey.sakke.len"] = num(static_cast<unsigned>(m.sakke()->data.size()));
  x["mikey.sakke.data"] = hex(m.sakke()->data);
  x["mikey.ext.type"] =
      join(exts, [](const general_ext_payload* g) { return num(static_cast<unsigned>(g->type)); });
  x["mikey.ext.len"] = join(exts, [](const general_ext_payload* g) {
    return num(static_cast<unsigned>(g->data.size()));
  });
  x["mikey.ext.data"] = join(exts, [](const general_ext_payload* g) { return hex(g->data); });
  x["mikey.sign.type"] = num(static_cast<unsigned>(m.sign()->type));
  x["mikey.sign.len"] = num(static_cast<unsigned>(m.sign()->signature.size()));
  x["mikey.sign.data"] = hex(m.sign()->signature);
  x["_ws.expert"] = "";  // no expert notes (bad lengths, unknown values, ...) either
  x["_ws.malformed"] = "";
  return x;
}

}  // namespace

TEST_CASE("tshark decodes skm's I_MESSAGEs with the same field values", "[.][tshark]") {
  if (!have_tshark())
    skm_test::skip_test(
        "tshark is not on PATH (Debian package tshark); the Wireshark agreement tests did not run");
  const auto gpp = skm_test::mikey::build_3gpp_message();
  const auto rfc = skm_test::mikey::build_rfc6509_message();
  const auto vendor = base64::decode(skm_test::mikey::vendor_pck_base64).value();
  REQUIRE_FALSE(gpp.empty());
  REQUIRE_FALSE(rfc.empty());
  struct sample {
    const char* label;
    const std::vector<std::uint8_t>* bytes;
    bool text_ids;
  };
  const std::vector<sample> samples{{"3GPP profile (roles 8/9, SP, key parameters)", &gpp, false},
                                    {"RFC 6509 with URI identities", &rfc, true},
                                    {"vendor PCK message", &vendor, false}};

  temp_dir dir;
  const auto pcap = dir.path / "mikey.pcap";
  write_pcap(pcap, {gpp, rfc, vendor});
  const auto rows = run_tshark(pcap);
  REQUIRE(rows.size() == samples.size());

  for (std::size_t k = 0; k < samples.size(); ++k) {
    INFO(samples[k].label);
    const auto m = parse_message(*samples[k].bytes);
    REQUIRE(m);
    const auto want = expected_fields(*m, samples[k].text_ids);
    const auto& got = rows[k];
    REQUIRE(got.size() == fields.size());
    std::size_t compared = 0;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const auto it = want.find(fields[i]);
      if (it == want.end()) continue;
      INFO("field " << fields[i]);
      if (fields[i] == "mikey.t.ntp")
        CHECK(got[i].rfind(it->second, 0) == 0);
      else
        CHECK(got[i] == it->second);
      ++compared;
    }
    CHECK(compared >= fields.size() - 1);
  }
}

TEST_CASE("tshark flags a truncated message as malformed (the check can fail)", "[.][tshark]") {
  if (!have_tshark()) skm_test::skip_test("tshark is not on PATH (Debian package tshark)");
  // Guards the test above against a vacuous pass: the same pipeline reports a broken message.
  auto broken = skm_test::mikey::build_3gpp_message();
  broken.resize(broken.size() - 40);
  temp_dir dir;
  const auto pcap = dir.path / "broken.pcap";
  write_pcap(pcap, {broken});
  const auto rows = run_tshark(pcap);
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0].size() == fields.size());
  CHECK_FALSE(rows[0].back().empty());  // _ws.malformed present
}

TEST_CASE("tshark agrees on the RFC 3830 payloads: SRTP-ID map, ID, KEMAC, V, ERR", "[.][tshark]") {
  if (!have_tshark()) skm_test::skip_test("tshark is not on PATH (Debian package tshark)");
  const std::array<srtp_id_entry, 2> map{srtp_id_entry{0, 0x11223344, 0},
                                         srtp_id_entry{1, 0xCAFEBABE, 7}};
  const auto rnd = skm_test::mikey::pattern(16, 1);
  const auto encr = skm_test::mikey::pattern(40, 2);
  const auto mac = skm_test::mikey::pattern(20, 3);
  const auto ver = skm_test::mikey::pattern(20, 4);
  message_builder b;
  b.add_hdr(
       hdr_payload{
           1, data_type::psk_init, true, prf_func::mikey_1, 0x01020304, 0, cs_map_type::empty, {}},
       map)
      .add(t_payload{ts_type::ntp_utc, 0xE000000100000000})
      .add(rand_payload{rnd})
      .add(id_payload{1, skm_test::mikey::text("sip:alice@example.org")})
      .add(kemac_payload{encr_alg::aes_cm_128, encr, mac_alg::hmac_sha_1_160, mac})
      .add(v_payload{mac_alg::hmac_sha_1_160, ver})
      .add(err_payload{5, 0});
  const auto msg = b.finish().value();
  const auto m = parse_message(msg).value();

  temp_dir dir;
  const auto pcap = dir.path / "rfc3830.pcap";
  write_pcap(pcap, {msg});
  const std::vector<std::pair<std::string, std::string>> want{
      {"mikey.type", "0"},
      {"mikey.v.set", "1"},
      {"mikey.prf_func", "0"},
      {"mikey.csb_id", "0x01020304"},
      {"mikey.cs_count", "2"},
      {"mikey.cs_id_map_type", "0"},
      {"mikey.srtp_id.policy_no",
       join(m.hdr().srtp_ids(), [](const srtp_id_entry& e) { return num(e.policy_no); })},
      {"mikey.srtp_id.ssrc",
       join(m.hdr().srtp_ids(),
            [](const srtp_id_entry& e) { return detail::hex_number(e.ssrc, 8); })},
      {"mikey.srtp_id.roc",
       join(m.hdr().srtp_ids(),
            [](const srtp_id_entry& e) { return detail::hex_number(e.roc, 8); })},
      {"mikey.next_payload", "5,11,6,1,9,12,0"},
      {"mikey.rand.data", detail::hex(rnd)},
      {"mikey.id.type", "1"},
      {"mikey.id.len", "21"},
      {"mikey.id.data", "sip:alice@example.org"},
      {"mikey.kemac.encr_alg", "1"},
      {"mikey.kemac.key_data_len", "40"},
      {"mikey.kemac.key_data", detail::hex(m.first<kemac_payload>()->encr_data)},
      {"mikey.kemac.mac_alg", "1"},
      {"mikey.kemac.mac", detail::hex(m.first<kemac_payload>()->mac)},
      {"mikey.v.auth_alg", "1"},
      {"mikey.v.ver_data", detail::hex(m.first<v_payload>()->ver_data)},
      {"mikey.err.no", "5"},
      {"mikey.err.reserved", "0000"},
      {"_ws.expert", ""},
      {"_ws.malformed", ""}};
  std::string cmd = "tshark -r '" + pcap.string() + "' -T fields -E separator='|'";
  for (const auto& [field, value] : want) cmd += " -e " + field;
  cmd += " 2>/dev/null";
  // NOLINTNEXTLINE(cert-env33-c): fixed words and a path the test made itself (quoted)
  std::FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string text;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) text.append(buf.data(), n);
  REQUIRE(pclose(pipe) == 0);
  if (!text.empty() && text.back() == '\n') text.pop_back();
  std::vector<std::string> got;
  for (std::size_t a = 0;;) {
    const auto p = text.find('|', a);
    got.push_back(text.substr(a, p == std::string::npos ? std::string::npos : p - a));
    if (p == std::string::npos) break;
    a = p + 1;
  }
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("field " << want[i].first);
    CHECK(got[i] == want[i].second);
  }
}
