// SPDX-License-Identifier: BSD-3-Clause
// Registered in place of the wolfSSL interop tests when libwolfssl-dev is absent: says so and
// reports "skipped" to Meson (exit code 77).
#include <cstdio>

int main() {
  std::puts(
      "SKIPPED: wolfSSL (libwolfssl-dev) not found; the ECCSI [wolfssl] interop tests did not run");
  return 77;
}
