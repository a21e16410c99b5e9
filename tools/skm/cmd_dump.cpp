// SPDX-License-Identifier: BSD-3-Clause
// skm imsg dump: a MIKEY message payload by payload, like a protocol analyzer: every payload that
// parses, then the exact offset and reason where parsing stopped and the bytes left over. Text
// (mikey/dump.hpp's layout) and JSON show the same fields.
#include <iostream>
#include <optional>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "dump_json.hpp"
#include "skm/mikey/dump.hpp"
#include "skm/mikey/message.hpp"

namespace skm::cli {

namespace {

constexpr std::string_view dump_help = R"(usage: skm imsg dump [--json] MESSAGE

Dissects a MIKEY message (RFC 3830 / 6043 / 6509) payload by payload, field by field, with
offsets and sizes, as far as its bytes allow: every payload that parses is shown, then the
offset and reason where parsing stopped (a truncated payload, an unknown payload type, bytes
after the last payload, a rule of RFC 6509 broken) and the bytes left over. No keys are needed
and nothing is verified. Exit code 0 only for a message that parses completely.

MESSAGE is one of: 'mikey BASE64' (the SDP key-mgmt value), a whole 'a=key-mgmt:mikey ...'
line, bare base64 (line breaks and missing padding accepted), hex, or @FILE (@- for standard
input) holding any of these, a whole SDP body, or the raw octets.

  --json    one JSON object: ok, size, complete, each payload with its type, offset, length and
            fields, and where parsing stopped ("stopped": {offset, reason}) and what was left
            ("trailing": {offset, length, hex})
)";

/// The payloads that parse, in order, and where and why parsing stopped.
struct dissection {
  std::vector<mikey::payload_entry> payloads;
  std::optional<mikey::error> stopped;
  std::size_t end = 0;  ///< the first byte not covered by a parsed payload
};

/// The next payload after `prev` at `pos`, or why there is none (nullopt and no error: the end).
std::optional<mikey::error> next_payload(mikey::bytes_view in, const mikey::payload_entry& prev,
                                         std::size_t pos, std::optional<mikey::payload_entry>& e) {
  using mikey::payload_type;
  if (prev.type == payload_type::sign || prev.next == payload_type::last) {
    if (pos != in.size())
      return mikey::error{mikey::errc::trailing_bytes,
                          prev.type == payload_type::sign ? "SIGN" : "message", "", pos};
    return std::nullopt;
  }
  if (!mikey::detail::parsable(prev.next))
    return mikey::error{mikey::errc::unknown_payload,
                        prev.type == payload_type::hdr ? "HDR" : mikey::name(prev.type),
                        "next payload", prev.offset + mikey::detail::next_field_offset(prev.type)};
  if (pos == in.size())
    return mikey::error{mikey::errc::truncated, mikey::name(prev.next), "", pos};
  mikey::payload_entry entry;
  if (auto err = mikey::detail::decode_payload(prev.next, in, pos, entry)) return err;
  e = entry;
  return std::nullopt;
}

dissection dissect(mikey::bytes_view in) {
  dissection d;
  mikey::payload_entry hdr;
  if (auto err = mikey::detail::decode_into<mikey::hdr_payload>(in, 0, hdr)) {
    d.stopped = *err;
    return d;
  }
  d.payloads.push_back(hdr);
  d.end = hdr.raw.size();
  while (d.payloads.size() < mikey::max_payloads) {
    std::optional<mikey::payload_entry> e;
    d.stopped = next_payload(in, d.payloads.back(), d.end, e);
    if (!e) break;
    d.payloads.push_back(*e);
    d.end += e->raw.size();
  }
  if (!d.stopped && d.end != in.size())
    d.stopped = mikey::error{mikey::errc::too_many_payloads, "message", "", d.end};
  // Every payload parsed: the whole-message rules (size, RFC 6509 payload counts) still apply.
  if (!d.stopped)
    if (const auto m = mikey::parse_message(in); !m) d.stopped = m.error();
  return d;
}

/// mikey::dump's text for one payload, with a T payload's date taken as the JSON takes it (the
/// NTP era nearest the clock, so 2037 is not "before 1970").
std::string payload_text(const mikey::payload_entry& e) {
  mikey::detail::dump_writer w;
  mikey::detail::dump_payload(w, e);
  const auto* t = e.get<mikey::t_payload>();
  if (t == nullptr || t->type == mikey::ts_type::counter) return std::move(w.out);
  const auto at = w.out.find("TS value: ");
  const auto open = w.out.find(" (", at);
  const auto close = w.out.find(")\n", open);
  if (at == std::string::npos || open == std::string::npos || close == std::string::npos)
    return std::move(w.out);
  return w.out.substr(0, open + 2) + iso(t_payload_time(*t)) + w.out.substr(close);
}

void print_text(mikey::bytes_view bytes, const dissection& d) {
  std::string out = "MIKEY message, " + std::to_string(bytes.size()) + " bytes, " +
                    std::to_string(d.payloads.size()) + " payloads" +
                    (d.stopped ? " parsed before the error" : "") + "\n";
  for (const auto& e : d.payloads) out += payload_text(e);
  if (d.stopped) {
    out += "STOPPED at byte " + std::to_string(d.stopped->offset) + ": " +
           mikey::to_string(*d.stopped) + "\n";
    if (d.end < bytes.size())
      out += "    Not parsed: " + std::to_string(bytes.size() - d.end) + " bytes from offset " +
             std::to_string(d.end) + ": " + to_hex(bytes.subspan(d.end)) + "\n";
  }
  std::cout << out;
}

std::string json_text(mikey::bytes_view bytes, const dissection& d) {
  json j;
  j.begin_object()
      .field("ok", !d.stopped)
      .field("size", std::uint64_t{bytes.size()})
      .field("complete", !d.stopped);
  j.key("payloads").begin_array();
  for (const auto& e : d.payloads) dump_json_payload(j, e);
  j.end_array();
  if (d.stopped)
    j.key("stopped")
        .begin_object()
        .field("offset", std::uint64_t{d.stopped->offset})
        .field("reason", mikey::describe(d.stopped->code))
        .field("payload", d.stopped->payload)
        .field("field", d.stopped->field)
        .field("message", mikey::to_string(*d.stopped))
        .end_object();
  if (d.end < bytes.size())
    j.key("trailing")
        .begin_object()
        .field("offset", std::uint64_t{d.end})
        .field("length", std::uint64_t{bytes.size() - d.end})
        .field("hex", to_hex(bytes.subspan(d.end)))
        .end_object();
  j.end_object();
  return j.text();
}

}  // namespace

int run_imsg_dump(std::span<char* const> args) {
  const arguments a(args, {{"json", false}}, "imsg dump");
  if (a.help()) {
    std::cout << dump_help;
    return exit_ok;
  }
  const auto bytes = read_message(a);
  const auto d = dissect(bytes);
  if (a.flag("json")) {
    const auto text = json_text(bytes, d);
    if (d.stopped)
      throw failure("not a valid MIKEY message: " + mikey::to_string(*d.stopped), text);
    std::cout << text << "\n";
    return exit_ok;
  }
  print_text(bytes, d);
  if (d.stopped) throw failure("not a valid MIKEY message: " + mikey::to_string(*d.stopped));
  return exit_ok;
}

}  // namespace skm::cli
