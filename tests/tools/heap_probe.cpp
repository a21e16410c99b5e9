// SPDX-License-Identifier: BSD-3-Clause
// A free()/realloc() interposer for the [cli] heap tests (LD_PRELOAD, built by Meson, never
// installed): every heap block is examined as it is released, before the allocator may reuse it.
// It reports to the file named by SKM_HEAP_REPORT
//   - "raw N SIZE" when the block holds the first 16 octets of secret N of SKM_HEAP_SECRETS
//     (comma-separated hex), and
//   - "hex RUN" for each run of 32 or more hex digits (the test looks for a secret's hex in
//     them: secrets the process made itself, such as the master secrets of 'kms init').
// The released block then goes to the real allocator unchanged.
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace {

constexpr std::size_t max_secrets = 8;
constexpr std::size_t window = 16;  // octets of each secret looked for
constexpr std::size_t min_hex_run = 32;

struct probe_state {
  int report = -1;
  std::size_t secrets = 0;
  unsigned char secret[max_secrets][window]{};
};

using free_fn = void (*)(void*);
using malloc_fn = void* (*)(std::size_t);

std::atomic<int> ready{0};  // 0 not yet, 1 resolving, 2 ready
free_fn real_free = nullptr;
malloc_fn real_malloc = nullptr;
probe_state state;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// SKM_HEAP_SECRETS="hex,hex,…": the first `window` octets of each (shorter ones are ignored).
void parse_secrets(const char* text) {
  while (text != nullptr && *text != '\0' && state.secrets < max_secrets) {
    std::size_t n = 0;
    const char* p = text;
    while (n < window && hex_value(p[0]) >= 0 && hex_value(p[1]) >= 0) {
      state.secret[state.secrets][n++] =
          static_cast<unsigned char>(hex_value(p[0]) << 4 | hex_value(p[1]));
      p += 2;
    }
    if (n == window) ++state.secrets;
    text = std::strchr(text, ',');
    if (text != nullptr) ++text;
  }
}

bool resolve() {
  int expected = 0;
  if (ready.compare_exchange_strong(expected, 1)) {
    real_free = reinterpret_cast<free_fn>(dlsym(RTLD_NEXT, "free"));
    real_malloc = reinterpret_cast<malloc_fn>(dlsym(RTLD_NEXT, "malloc"));
    if (const char* path = std::getenv("SKM_HEAP_REPORT"))
      state.report = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    parse_secrets(std::getenv("SKM_HEAP_SECRETS"));
    ready = 2;
  }
  return ready.load() == 2;
}

void report(const char* a, std::size_t na, const char* b, std::size_t nb) {
  if (state.report < 0) return;
  char line[4096];
  const std::size_t n1 = na < 64 ? na : 64;
  const std::size_t n2 = nb < sizeof line - 66 ? nb : sizeof line - 66;
  std::memcpy(line, a, n1);
  std::memcpy(line + n1, b, n2);
  line[n1 + n2] = '\n';
  (void)::write(state.report, line, n1 + n2 + 1);
}

void examine(const unsigned char* block, std::size_t size) {
  for (std::size_t s = 0; s < state.secrets; ++s)
    if (memmem(block, size, state.secret[s], window) != nullptr) {
      const char digit[2] = {static_cast<char>('0' + s), ' '};
      report("raw ", 4, digit, 2);
    }
  std::size_t run = 0;
  for (std::size_t i = 0; i <= size; ++i) {
    if (i < size && hex_value(static_cast<char>(block[i])) >= 0) {
      ++run;
      continue;
    }
    if (run >= min_hex_run) report("hex ", 4, reinterpret_cast<const char*>(block + i - run), run);
    run = 0;
  }
}

}  // namespace

// The parameters named like glibc's declarations (__ptr, __size), which clang-tidy compares.
extern "C" void free(void* ptr) {
  if (ptr == nullptr) return;
  if (!resolve()) return;  // a block freed while the real functions are looked up: leaked
  examine(static_cast<const unsigned char*>(ptr), malloc_usable_size(ptr));
  real_free(ptr);
}

extern "C" void* realloc(void* ptr, std::size_t size) {
  if (!resolve()) return nullptr;
  if (ptr == nullptr) return real_malloc(size);
  if (size == 0) {
    free(ptr);
    return nullptr;
  }
  // Moved by hand, so the old block is examined like any other released one.
  void* q = real_malloc(size);
  if (q == nullptr) return nullptr;
  const std::size_t old = malloc_usable_size(ptr);
  std::memcpy(q, ptr, old < size ? old : size);
  free(ptr);
  return q;
}
