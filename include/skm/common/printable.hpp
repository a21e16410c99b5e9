// SPDX-License-Identifier: BSD-3-Clause
// Unauthenticated octets (IDR payloads, URIs from a message or a peer) shown to a person: every
// error text and text output that quotes them goes through printable(), so control characters
// (terminal escape sequences, newlines that forge log lines, NUL) never reach a terminal raw.
//
//   printable("sip:a@b")        -> sip:a@b
//   printable("x\x1b[2Jy\n")    -> x\x1b[2Jy\x0a
//   printable("back\\slash")    -> back\\slash     (the escape character itself is escaped)
//
// Printable ASCII (0x20..0x7E) stays, except the backslash, which doubles; every other octet
// (controls, DEL, and every octet >= 0x80, so no UTF-8 sequence is interpreted) becomes \xHH.
// The output is therefore unambiguous: printable() is injective.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace skm {

/// The octets with every non-printable octet as \xHH and the backslash doubled.
[[nodiscard]] inline std::string printable(std::span<const std::uint8_t> octets) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(octets.size());
  for (const auto c : octets) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c >= 0x20 && c <= 0x7E) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

[[nodiscard]] inline std::string printable(std::string_view text) {
  return printable(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                                 text.size()));
}

}  // namespace skm
