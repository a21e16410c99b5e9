// SPDX-License-Identifier: BSD-3-Clause
// Test data shared by the MIKEY tests.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace skm_test::mikey {

/// The vendor I_MESSAGE of specs/vectors/mcx-pck-example.md (a deployed MCX product's private
/// call key message, Alice -> Bob), exactly as its SDP a=key-mgmt value carries it.
inline constexpr std::string_view vendor_pck_base64 =
    "ARoFARaZJjgAAQsA7ImNqAAAAAAOEAKii92vmExeBWO8HOhX34MOCAEAILXEUjCSGdpqPYBWFVSNbBsPTeRaa0j7E9miTYV/"
    "wD3EDgkBACB4CFHNqRqcM/lBzTooMWl+KJMmR1TjY/igzvgn6yAagQ4GAQAYa21zLm15ZGV2LnN0cmVhbXdpZGUuY29tCgcB"
    "ABhrbXMubXlkZXYuc3RyZWFtd2lkZS5jb20aAAAAGwABBgEBEAIBBAQBDAUBAAYBABIBBBMBABQBEBUBAgERBF0yVtvyB49K"
    "hE+ao3Hj8W+gNROh57Tk5/9BWa2jNv1YLxYpBxV7206wlv/WHWlzz+NgptVcWgECwaekKAGURuP4TA+dRQpkGvqW8wImX2EF"
    "8Zjy+a1pOZMZ3YFAYRiYEAAGmOByWKdDDOT0TfgL2pPFXS1CvZ/bZtQL03Q8fL/JInBbnv4dSYiJ9/fkeeqg37yIRsjA3Xfd"
    "s7k/2o4f0s4NisOs74F2xjE12l3/764H+g1y2rAMAWkjaJbS9jbVfZNGDauoRhq8zuXEXH1c5ftqs4VEPeOPmWjAkW1rQe8K"
    "xkZbmtrygtNpBIXVeZZEyorzD+MyQ2zL9xoGVs8cToze4NOxYt19SOInSpGO5Q0vBAcAREMAAAAAAQAAAAAAAfb0FW9YVClh"
    "y8qPsQ5m8WcWmSY4AAAhpTVAAi78zLNoUFiVPGjByx4N9U9gccPiQl1eiCiFLm8BIIFAPW9oE9lYM5oS5nQS9bWbJzGv+vWN"
    "Ah2uUWmyG/OTGMeFzAD0JFMB6zcf7ck7GFns2OEPIGGx+7046le+CihyBCbNiwozr5s4HuU+vGhBrtXByY+w0r65x/+Y18eY"
    "CNH1ZmWfa3NQFhkt2ZhN9W5U8/lcdqxGOMHz0yKPPHUsjMg=";

/// Hex to bytes (test helper); throws on odd length or a non-hex digit.
inline std::vector<std::uint8_t> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) throw std::invalid_argument("from_hex: odd length");
  std::vector<std::uint8_t> out;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nib(hex[i]);
    const int lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0) throw std::invalid_argument("from_hex: not a hex digit");
    out.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return out;
}

}  // namespace skm_test::mikey
