// SPDX-License-Identifier: BSD-3-Clause
// A test that cannot run here (a missing tool or CPU feature) ends its process with exit code 77,
// which Meson reports as SKIP, instead of passing. Only test cases that Meson runs in a process of
// their own may call it: they carry a hidden tag ("[.]" plus their own tag, e.g. "[cpu-adx]"), so
// a run of the whole executable without a tag never reaches them, and each Meson test selects
// exactly one such tag.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace skm_test {

inline constexpr int meson_skip_exit_code = 77;

[[noreturn]] inline void skip_test(const char* why) {
  std::printf("SKIP: %s\n", why);
  (void)std::fflush(stdout);
  std::exit(meson_skip_exit_code);
}

}  // namespace skm_test
