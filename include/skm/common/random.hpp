// SPDX-License-Identifier: BSD-3-Clause
// Randomness sources. Anything with Crypto++'s GenerateBlock(byte*, size_t) works, so callers
// can inject a deterministic source (e.g. to reproduce an RFC appendix) or pass any Crypto++ RNG.
#pragma once

#include <cryptopp/osrng.h>

#include <concepts>
#include <cstddef>
#include <cstdint>

namespace skm {

template <class R>
concept random_source = requires(R& r, std::uint8_t* out, std::size_t n) {
  r.GenerateBlock(out, n);
};

/// The operating system's generator (getrandom / /dev/urandom), through Crypto++.
using os_random = CryptoPP::NonblockingRng;
static_assert(random_source<os_random>);

}  // namespace skm
