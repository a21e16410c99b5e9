// SPDX-License-Identifier: BSD-3-Clause
// Hex test data to octets, shared by the test suites.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace skm::test {

/// Hex digits in either case to octets. Whitespace is ignored (the RFCs print their vectors in
/// groups); any other character, or an odd number of digits, is a mistake in the test data.
inline std::vector<std::uint8_t> unhex(std::string_view s) {
  std::vector<std::uint8_t> out;
  int hi = -1;
  for (const char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else if (c == ' ' || c == '\n' || c == '\t')
      continue;
    else
      throw std::invalid_argument("unhex: not a hex digit in test data");
    if (hi < 0) {
      hi = d;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + d));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("unhex: odd number of hex digits in test data");
  return out;
}

}  // namespace skm::test
