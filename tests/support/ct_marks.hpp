// SPDX-License-Identifier: BSD-3-Clause
// Marks for the constant-time harnesses run under valgrind memcheck (design.md §5): a secret is
// marked undefined, so memcheck reports every branch and memory address that depends on it; an
// output the protocol publishes (or a result about to be compared with its expected value) is
// marked defined again. Outside valgrind the client requests do nothing.
#pragma once

#include <valgrind/memcheck.h>

#include <cstdint>
#include <span>

namespace skm::test {

template <class T>
void secret(T& v) {
  (void)VALGRIND_MAKE_MEM_UNDEFINED(&v, sizeof(v));
}
/// Only memcheck's shadow state changes, never the value.
template <class T>
void declassify(const T& v) {
  (void)VALGRIND_MAKE_MEM_DEFINED(&v, sizeof(v));
}
inline void declassify_bytes(std::span<const std::uint8_t> s) {
  (void)VALGRIND_MAKE_MEM_DEFINED(s.data(), s.size());
}

}  // namespace skm::test
