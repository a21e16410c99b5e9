// SPDX-License-Identifier: BSD-3-Clause
// MIKEY in RTSP (RFC 4567 §3.2): the KeyMgmt header
//
//   KeyMgmt: prot=mikey; uri="rtsp://movie.example.com/action"; data="<base64>"
//
//   KeyMgmt       = "KeyMgmt" ":" key-mgmt-spec 0*("," key-mgmt-spec)
//   key-mgmt-spec = "prot" "=" KMPID ";" ["uri" "=" %x22 URI %x22 ";"] "data" "=" %x22 base64 %x22
//
// (The RFC's grammar line stops after the uri parameter; its examples and §4 show the data
// parameter that ends each spec.) Header and parameter names are case-insensitive like all ABNF
// literals; the protocol id is case-sensitive (RFC 4567 §3). Whitespace is allowed around the
// separators, as RTSP's implicit linear white space rule says; none inside the base64.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skm/mikey/base64.hpp"
#include "skm/mikey/wire.hpp"

namespace skm::mikey::rtsp {

/// One key-mgmt-spec, viewing the header text.
struct key_mgmt_spec {
  std::string_view prot;
  std::optional<std::string_view> uri;
  std::string_view data;        // base64, not yet decoded
  std::size_t data_offset = 0;  // where `data` starts in the header, for error reports
};

/// "KeyMgmt: prot=mikey; uri=\"<uri>\"; data=\"<base64>\"" (the uri parameter only if non-empty).
[[nodiscard]] inline std::string key_mgmt_header(bytes_view message, std::string_view uri = {}) {
  std::string s = "KeyMgmt: prot=mikey; ";
  if (!uri.empty()) {
    s += "uri=\"";
    s += uri;
    s += "\"; ";
  }
  s += "data=\"";
  s += base64::encode(message);
  s += '"';
  return s;
}

namespace detail {

[[nodiscard]] constexpr char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

struct text_cursor {
  std::string_view s;
  std::size_t pos = 0;

  constexpr void skip_space() noexcept {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  }
  /// Case-insensitive literal.
  [[nodiscard]] constexpr bool literal(std::string_view lit) noexcept {
    if (s.size() - pos < lit.size()) return false;
    for (std::size_t i = 0; i < lit.size(); ++i)
      if (lower(s[pos + i]) != lower(lit[i])) return false;
    pos += lit.size();
    return true;
  }
  [[nodiscard]] constexpr bool ch(char c) noexcept {
    skip_space();
    if (pos < s.size() && s[pos] == c) {
      ++pos;
      skip_space();
      return true;
    }
    return false;
  }
  [[nodiscard]] constexpr unexpected<error> fail(const char* field) const noexcept {
    return unexpected<error>{error{errc::bad_rtsp, "RTSP KeyMgmt", field, pos}};
  }
  /// A %x22-quoted string without escapes; returns the inside.
  [[nodiscard]] constexpr std::optional<std::string_view> quoted() noexcept {
    if (pos >= s.size() || s[pos] != '"') return std::nullopt;
    const auto close = s.find('"', pos + 1);
    if (close == std::string_view::npos) return std::nullopt;
    const auto inside = s.substr(pos + 1, close - pos - 1);
    pos = close + 1;
    return inside;
  }
};

[[nodiscard]] constexpr bool is_alnum(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace detail

/// Up to N parsed specs of one header.
template <std::size_t N = 8>
struct key_mgmt_specs {
  std::array<key_mgmt_spec, N> items{};
  std::size_t count = 0;
};

/// Splits a KeyMgmt header (with or without its "KeyMgmt:" name, optionally ending in CRLF/LF)
/// into its specs, checking the grammar. Up to `N` specs are returned; more is an error.
template <std::size_t N = 8>
[[nodiscard]] constexpr result<key_mgmt_specs<N>> parse_specs(std::string_view header) noexcept {
  if (header.ends_with("\r\n"))
    header.remove_suffix(2);
  else if (header.ends_with('\n'))
    header.remove_suffix(1);
  detail::text_cursor c{header};
  c.skip_space();
  if (c.literal("KeyMgmt")) {
    if (!c.ch(':')) return c.fail("':' after KeyMgmt");
  }
  key_mgmt_specs<N> out;
  for (;;) {
    c.skip_space();
    key_mgmt_spec spec;
    if (!c.literal("prot") || !c.ch('=')) return c.fail("prot=");
    const auto prot_at = c.pos;
    while (c.pos < header.size() && detail::is_alnum(header[c.pos])) ++c.pos;
    if (c.pos == prot_at) return c.fail("protocol id");
    spec.prot = header.substr(prot_at, c.pos - prot_at);
    if (!c.ch(';')) return c.fail("';' after protocol id");
    if (c.literal("uri")) {
      if (!c.ch('=')) return c.fail("uri=");
      spec.uri = c.quoted();
      if (!spec.uri) return c.fail("quoted uri");
      if (!c.ch(';')) return c.fail("';' after uri");
    }
    if (!c.literal("data") || !c.ch('=')) return c.fail("data=");
    spec.data_offset = c.pos + 1;
    const auto data = c.quoted();
    if (!data) return c.fail("quoted data");
    spec.data = *data;
    if (out.count == N) return c.fail("too many key-mgmt-specs");
    out.items[out.count++] = spec;
    c.skip_space();
    if (c.pos == header.size()) break;
    if (!c.ch(',')) return c.fail("',' between key-mgmt-specs");
  }
  return out;
}

/// The MIKEY message of a KeyMgmt header (the first spec with prot=mikey), and its uri if any.
struct mikey_spec {
  std::optional<std::string> uri;
  std::vector<std::uint8_t> message;
};

[[nodiscard]] inline result<mikey_spec> parse_key_mgmt(std::string_view header) {
  const auto specs = parse_specs(header);
  if (!specs) return unexpected<error>{specs.error()};
  for (std::size_t i = 0; i < specs->count; ++i) {
    const auto& s = specs->items[i];
    if (s.prot != "mikey") continue;
    auto bytes = base64::decode(s.data);
    if (!bytes) {
      auto e = bytes.error();
      e.offset += s.data_offset;
      return unexpected<error>{e};
    }
    mikey_spec r;
    if (s.uri) r.uri = std::string(*s.uri);
    r.message = std::move(*bytes);
    return r;
  }
  return unexpected<error>{
      error{errc::bad_rtsp, "RTSP KeyMgmt", "no prot=mikey spec", header.size()}};
}

}  // namespace skm::mikey::rtsp
