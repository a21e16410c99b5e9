// SPDX-License-Identifier: BSD-3-Clause
// The control of the dead-stack tests: this header shadows the library's
// skm/common/stack_scrub.hpp for one test executable only (test_zeroization_no_scrub, see
// tests/hardening/meson.build), so every operation runs exactly as in the library but leaves its
// dead stack as it is. Each dead-stack test must then fail: proof that it detects the leak the
// scrub removes.
#pragma once

#include <cstddef>

namespace skm::ct {

template <std::size_t Bytes>
[[gnu::noinline]] void scrub_stack() noexcept {
  __asm__ __volatile__("" : : : "memory");
}

}  // namespace skm::ct
