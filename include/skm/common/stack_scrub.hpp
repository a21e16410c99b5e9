// SPDX-License-Identifier: BSD-3-Clause
// Stack scrubbing after secret-bearing operations.
//
// When a function returns, its frame and the frames of everything it called stay in the dead part
// of the stack, below the caller's stack pointer, until later calls overwrite them: a signing
// nonce, an inverse that yields the signing key, a decapsulated SSV. Wiping every named local
// does not reach the temporaries and spills the compiler makes. So the top-level operations that
// handle such values run their steps in a separate function that is never inlined, then call
// scrub_stack<Bytes>() from the same frame: its own frame starts where the steps' frame started
// and overwrites the `Bytes` octets below it with zeros.
//
//        higher addresses
//   |  caller's frame              |  <- stack pointer when the operation returns
//   |  dead frames of the steps    |  } overwritten by scrub_stack<Bytes>()'s zeroed array
//   |  (and of what they called)   |  }
//        lower addresses
//
// `Bytes` must cover the deepest stack the steps reach (tests/hardening/test_zeroization.cpp
// checks that no secret is left below the caller afterwards). The zeroing is a memset whose
// buffer then escapes into an empty asm statement with a memory clobber, so the compiler cannot
// prove the stores dead and elide them.
#pragma once

#include <cstddef>
#include <cstring>

namespace skm::ct {

/// Zero `Bytes` octets of stack directly below the calling frame. Call it right after the
/// non-inlined function that handled the secret returns.
template <std::size_t Bytes>
[[gnu::noinline]] void scrub_stack() noexcept {
  unsigned char area[Bytes];
  std::memset(area, 0, Bytes);
  __asm__ __volatile__("" : : "r"(area) : "memory");
}

}  // namespace skm::ct
