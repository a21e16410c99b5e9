// SPDX-License-Identifier: BSD-3-Clause
// Strict base64 (RFC 4648 §4, standard alphabet, '=' padding required), constexpr.
//
// MIKEY messages travel base64-encoded in SDP and RTSP (RFC 4567). The decoder accepts exactly
// the canonical encoding: no whitespace or line breaks, no characters outside the alphabet,
// padding only at the end and only to a multiple of 4, and zero spare bits in the last symbol.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "skm/mikey/wire.hpp"

namespace skm::mikey::base64 {

inline constexpr std::string_view alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

[[nodiscard]] constexpr std::size_t encoded_size(std::size_t n) noexcept { return (n + 2) / 3 * 4; }

/// Writes the encoding of `in` to `out` (which must hold encoded_size(in.size()) characters).
constexpr void encode(bytes_view in, std::span<char> out) noexcept {
  std::size_t o = 0;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    for (int s = 18; s >= 0; s -= 6) out[o++] = alphabet[(v >> s) & 0x3F];
  }
  const auto rest = in.size() - i;
  if (rest != 0) {
    std::uint32_t v = std::uint32_t{in[i]} << 16;
    if (rest == 2) v |= std::uint32_t{in[i + 1]} << 8;
    out[o++] = alphabet[(v >> 18) & 0x3F];
    out[o++] = alphabet[(v >> 12) & 0x3F];
    out[o++] = rest == 2 ? alphabet[(v >> 6) & 0x3F] : '=';
    out[o++] = '=';
  }
}

[[nodiscard]] inline std::string encode(bytes_view in) {
  std::string s(encoded_size(in.size()), '\0');
  encode(in, std::span<char>(s.data(), s.size()));
  return s;
}

namespace detail {
/// 0..63 for alphabet characters, -1 otherwise.
[[nodiscard]] constexpr int value_of(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
[[nodiscard]] constexpr bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
}  // namespace detail

/// Validates `s` completely and returns the number of bytes it decodes to.
[[nodiscard]] constexpr result<std::size_t> decoded_size(std::string_view s) noexcept {
  const auto fail = [](errc code, const char* field, std::size_t at) {
    return unexpected<error>{error{code, "base64", field, at}};
  };
  std::size_t pad = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '=') {
      ++pad;
      continue;
    }
    if (detail::is_space(c)) return fail(errc::bad_base64, "whitespace", i);
    if (detail::value_of(c) < 0) return fail(errc::bad_base64, "character", i);
    if (pad != 0) return fail(errc::bad_padding, "'=' before the end", i - pad);
  }
  if (s.size() % 4 != 0) return fail(errc::bad_padding, "length not a multiple of 4", s.size());
  if (pad > 2) return fail(errc::bad_padding, "more than two '='", s.size() - pad);
  if (pad != 0) {
    // The bits of the last symbol that fall outside the decoded bytes must be zero.
    const int last = detail::value_of(s[s.size() - pad - 1]);
    const int spare_mask = pad == 1 ? 0x03 : 0x0F;
    if ((last & spare_mask) != 0)
      return fail(errc::bad_padding, "non-zero spare bits", s.size() - pad - 1);
  }
  return s.size() / 4 * 3 - pad;
}

/// Decodes `s` into `out` (at least decoded_size(s) bytes); returns the number of bytes written.
[[nodiscard]] constexpr result<std::size_t> decode(std::string_view s, mutable_bytes out) noexcept {
  const auto n = decoded_size(s);
  if (!n) return n;
  if (out.size() < *n) return unexpected<error>{error{errc::buffer_too_small, "base64", "", 0}};
  std::size_t o = 0;
  for (std::size_t i = 0; i < s.size(); i += 4) {
    std::uint32_t v = 0;
    int symbols = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const int x = detail::value_of(s[i + k]);
      v = (v << 6) | static_cast<std::uint32_t>(x < 0 ? 0 : x);
      symbols += x < 0 ? 0 : 1;
    }
    out[o++] = static_cast<std::uint8_t>(v >> 16);
    if (symbols >= 3) out[o++] = static_cast<std::uint8_t>(v >> 8);
    if (symbols == 4) out[o++] = static_cast<std::uint8_t>(v);
  }
  return o;
}

[[nodiscard]] inline result<std::vector<std::uint8_t>> decode(std::string_view s) {
  const auto n = decoded_size(s);
  if (!n) return unexpected<error>{n.error()};
  std::vector<std::uint8_t> out(*n);
  if (auto r = decode(s, out); !r) return unexpected<error>{r.error()};
  return out;
}

}  // namespace skm::mikey::base64
