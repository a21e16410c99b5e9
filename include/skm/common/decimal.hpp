// SPDX-License-Identifier: BSD-3-Clause
// Unsigned decimal numbers in text from a peer (a KMS URL's CacheNum, a KMS document's integer
// elements): ASCII digits only, no sign, no spaces, refused when the value does not fit 64 bits.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace skm {

/// The value of a non-empty string of ASCII digits, or none (any other character, overflow).
[[nodiscard]] constexpr std::optional<std::uint64_t> parse_decimal_u64(
    std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (~std::uint64_t{0} - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

static_assert(parse_decimal_u64("18446744073709551615") == ~std::uint64_t{0});
static_assert(!parse_decimal_u64("18446744073709551616"));
static_assert(!parse_decimal_u64("") && !parse_decimal_u64("+1") && !parse_decimal_u64("1 "));

}  // namespace skm
