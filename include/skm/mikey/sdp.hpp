// SPDX-License-Identifier: BSD-3-Clause
// MIKEY in SDP (RFC 4567 §3.1): the key-mgmt attribute
//
//   a=key-mgmt:mikey <base64 of the MIKEY message>
//
//   key-mgmt-attribute = "key-mgmt" ":" [SP] prtcl-id SP keymgmt-data   (prtcl-id "mikey")
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "skm/mikey/base64.hpp"
#include "skm/mikey/wire.hpp"

namespace skm::mikey::sdp {

inline constexpr std::string_view attribute_prefix = "a=key-mgmt:mikey ";

/// "a=key-mgmt:mikey <base64>" (no line terminator).
[[nodiscard]] inline std::string key_mgmt_attribute(bytes_view message) {
  std::string s(attribute_prefix);
  s += base64::encode(message);
  return s;
}

/// The base64 text of one key-mgmt line: "a=key-mgmt:mikey X" or the bare attribute
/// "key-mgmt:mikey X" (one optional space may follow the colon, as RFC 4567's grammar allows),
/// optionally ending in one CRLF or LF. Offsets in errors are from the start of `line`.
[[nodiscard]] constexpr result<std::string_view> key_mgmt_data(std::string_view line) noexcept {
  if (line.ends_with("\r\n"))
    line.remove_suffix(2);
  else if (line.ends_with('\n'))
    line.remove_suffix(1);
  std::size_t at = 0;
  if (line.starts_with("a=")) at = 2;
  constexpr std::string_view attr = "key-mgmt:";
  if (line.substr(at, attr.size()) != attr)
    return unexpected<error>{error{errc::bad_sdp, "SDP", "attribute name", at}};
  at += attr.size();
  if (at < line.size() && line[at] == ' ') ++at;
  constexpr std::string_view proto = "mikey";
  if (line.substr(at, proto.size()) != proto)
    return unexpected<error>{error{errc::bad_sdp, "SDP", "protocol id", at}};
  at += proto.size();
  if (at >= line.size() || line[at] != ' ')
    return unexpected<error>{error{errc::bad_sdp, "SDP", "space after protocol id", at}};
  ++at;
  return line.substr(at);
}

/// Decodes the MIKEY message of one key-mgmt line (see key_mgmt_data for the accepted forms).
[[nodiscard]] inline result<std::vector<std::uint8_t>> parse_key_mgmt(std::string_view line) {
  const auto data = key_mgmt_data(line);
  if (!data) return unexpected<error>{data.error()};
  auto bytes = base64::decode(*data);
  if (!bytes) {
    auto e = bytes.error();
    e.offset += static_cast<std::size_t>(data->data() - line.data());
    return unexpected<error>{e};
  }
  return bytes;
}

/// The first MIKEY key-mgmt line of a whole SDP body (session or media level), decoded. Lines
/// for other key management protocols are skipped.
[[nodiscard]] inline result<std::vector<std::uint8_t>> find_key_mgmt(std::string_view body) {
  std::size_t start = 0;
  while (start < body.size()) {
    auto end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    auto line = body.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.starts_with("a=key-mgmt:")) {
      const auto data = key_mgmt_data(line);
      const bool other_protocol = !data && std::string_view(data.error().field) == "protocol id";
      if (!other_protocol) {
        auto r = parse_key_mgmt(line);
        if (!r) {
          auto e = r.error();
          e.offset += start;
          return unexpected<error>{e};
        }
        return r;
      }
    }
    start = end + 1;
  }
  return unexpected<error>{error{errc::bad_sdp, "SDP", "no a=key-mgmt:mikey line", body.size()}};
}

}  // namespace skm::mikey::sdp
