// SPDX-License-Identifier: BSD-3-Clause
// A wiping allocator for libxml2 (and so for xmlsec1, whose buffers come from xmlMalloc): every
// block libxml2 frees or moves (xmlFree, xmlRealloc) is cleansed first, so the documents and
// trees that held key material (an `--encrypt none` answer signed with the InK, the client's
// parsed tree, the canonical octets xmlsec digests) do not linger in freed heap memory.
//
// libxml2's allocator is process-global (xmlMemSetup), and a block allocated by one allocator
// must not be freed by another. So the library never installs it behind the user's back: a
// program calls use_wiping_xml_allocator() itself, before anything in the process uses libxml2
// (the skm tool does, first thing in main). It refuses (returns false) when libxml2 was already
// started by this library or another allocator is installed.
//
// Each block carries its size in a header in front of it (malloc_usable_size is not portable).
// The one piece of process state here besides libxml2's own is the release observer, a hook for
// the tests (tests/kms_security/test_xml_wipe.cpp) that look at each block as it is released.
#pragma once

#include <libxml/xmlmemory.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace skm::kms_security {

namespace detail {

/// Room in front of each block for its size, keeping malloc's alignment for the caller.
inline constexpr std::size_t xml_block_header = alignof(std::max_align_t);
static_assert(xml_block_header >= sizeof(std::size_t));

/// Sees a block (after any wiping) just before it goes back to the C library: tests only.
using xml_release_observer = void (*)(const void* block, std::size_t size);
[[nodiscard]] inline std::atomic<xml_release_observer>& xml_release_hook() noexcept {
  static std::atomic<xml_release_observer> hook{nullptr};
  return hook;
}

/// Set when this library starts libxml2 (xmldsig.hpp): the allocator can no longer change.
[[nodiscard]] inline std::atomic<bool>& xml_library_started() noexcept {
  static std::atomic<bool> started{false};
  return started;
}

[[nodiscard]] inline unsigned char* xml_base_of(void* p) noexcept {
  return static_cast<unsigned char*>(p) - xml_block_header;
}

[[nodiscard]] inline std::size_t xml_size_of(void* p) noexcept {
  std::size_t n = 0;
  std::memcpy(&n, xml_base_of(p), sizeof n);
  return n;
}

inline void* xml_malloc(std::size_t n) noexcept {
  if (n > SIZE_MAX - xml_block_header) return nullptr;
  auto* base = static_cast<unsigned char*>(std::malloc(n + xml_block_header));
  if (base == nullptr) return nullptr;
  std::memcpy(base, &n, sizeof n);
  return base + xml_block_header;
}

/// Wipe = false only for the tests' negative control (same block layout, no cleansing).
template <bool Wipe>
void xml_free(void* p) noexcept {
  if (p == nullptr) return;
  const std::size_t n = xml_size_of(p);
  if constexpr (Wipe) OPENSSL_cleanse(p, n);
  if (const auto observe = xml_release_hook().load()) observe(p, n);
  std::free(xml_base_of(p));
}

/// Never realloc(3) in place: the old block is copied, then wiped and freed.
template <bool Wipe>
void* xml_realloc(void* p, std::size_t n) noexcept {
  if (p == nullptr) return xml_malloc(n);
  void* q = xml_malloc(n);
  if (q == nullptr) return nullptr;  // as realloc: the old block stays valid
  std::memcpy(q, p, std::min(n, xml_size_of(p)));
  xml_free<Wipe>(p);
  return q;
}

inline char* xml_strdup(const char* s) noexcept {
  const std::size_t n = std::strlen(s) + 1;
  void* p = xml_malloc(n);
  if (p != nullptr) std::memcpy(p, s, n);
  return static_cast<char*>(p);
}

/// Installs the allocator (wiping or, for the tests' control, not). Switching between the two
/// is safe at any time (same block layout); installing over libxml2's default is safe only
/// before libxml2 allocated anything.
[[nodiscard]] inline bool install_xml_allocator(bool wipe) noexcept {
  xmlFreeFunc f = nullptr;
  xmlMallocFunc m = nullptr;
  xmlReallocFunc r = nullptr;
  xmlStrdupFunc s = nullptr;
  if (xmlMemGet(&f, &m, &r, &s) != 0) return false;
  const bool ours = m == &xml_malloc && (f == &xml_free<true> || f == &xml_free<false>);
  const bool library_default = f == &std::free && m == &std::malloc && r == &std::realloc;
  if (!ours && (!library_default || xml_library_started().load())) return false;
  if (wipe) return xmlMemSetup(&xml_free<true>, &xml_malloc, &xml_realloc<true>, &xml_strdup) == 0;
  return xmlMemSetup(&xml_free<false>, &xml_malloc, &xml_realloc<false>, &xml_strdup) == 0;
}

}  // namespace detail

/// Makes libxml2 (and xmlsec1) cleanse every block before freeing it (see the top). Call it
/// before anything in the process uses libxml2; returns whether the wiping allocator is in
/// place (true again on a second call; false once libxml2 was started with another allocator).
[[nodiscard]] inline bool use_wiping_xml_allocator() noexcept {
  return detail::install_xml_allocator(true);
}

}  // namespace skm::kms_security
