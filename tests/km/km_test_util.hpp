// SPDX-License-Identifier: BSD-3-Clause
// Small helpers shared by the key-management tests.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace skm::km::test {

/// Hex text (either case, no separators) to octets; throws on bad input (test data only).
inline std::vector<std::uint8_t> hex_bytes(std::string_view h) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("bad hex in test data");
  };
  if (h.size() % 2) throw std::invalid_argument("odd hex length in test data");
  std::vector<std::uint8_t> out(h.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<std::uint8_t>(nibble(h[2 * i]) << 4 | nibble(h[2 * i + 1]));
  return out;
}

/// Octets to lower-case hex.
inline std::string to_hex(std::span<const std::uint8_t> b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * b.size());
  for (auto x : b) {
    s.push_back(digits[x >> 4]);
    s.push_back(digits[x & 15]);
  }
  return s;
}

}  // namespace skm::km::test
