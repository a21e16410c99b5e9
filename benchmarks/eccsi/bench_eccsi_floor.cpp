// SPDX-License-Identifier: BSD-3-Clause
// ECCSI (RFC 6507) on P-256: each operation's field-operation counts (COUNT lines) and its
// arithmetic floor (FLOOR lines: products x the product time of the same run, next to the
// operation's time). Apart from bench_eccsi because the counters cost a little time per product
// and P-256 products are short; bench_eccsi's RATIO lines stay free of them.
#define SKM_COUNT_FIELD_OPS 1

#include <cryptopp/osrng.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "../support/floor.hpp"
#include "../support/timing.hpp"
#include "skm/curves/p256.hpp"
#include "skm/eccsi/eccsi.hpp"

using skm::bench::keep;
namespace eccsi = skm::eccsi;

namespace {

[[noreturn]] void fail(const char* what) {
  (void)std::fprintf(stderr, "bench_eccsi_floor: %s failed\n", what);
  std::exit(1);
}

// Many short batches: on a shared machine a preempted batch then moves the median less.
constexpr int rounds = 41;

}  // namespace

int main() {
  CryptoPP::AutoSeededRandomPool os;  // as bench_eccsi: a user-space DRBG seeded from the OS
  const std::vector<std::uint8_t> id = [] {
    const char text[] = "2026-11\0tel:+447700900123";
    return std::vector<std::uint8_t>(text, text + sizeof(text));  // with both NULs, as RFC 6509
  }();
  const std::vector<std::uint8_t> message(100, 0x42);
  const auto kms = eccsi::kms<>::generate(os).value();
  const auto pair = kms.issue(id, os).value();
  const auto signer = eccsi::signer<>::create(kms.kpak(), id, pair.ssk, pair.pvt).value();
  const auto sig = signer.sign(message, os).value();
  const auto ctx =
      eccsi::signer_context<>::create(kms.kpak(), id, pair.pvt, eccsi::precompute::y_point).value();
  const auto ctx_table =
      eccsi::signer_context<>::create(kms.kpak(), id, pair.pvt, eccsi::precompute::y_table).value();

  const std::vector<skm::bench::named_op> ops = {
      {"sign", [&] { keep(signer.sign(message, os).value()); }},
      {"verify_cached",
       [&] {
         if (!ctx_table.verify(message, sig)) fail("verify (Y table)");
       }},
      {"verify_cached_y_point",
       [&] {
         if (!ctx.verify(message, sig)) fail("verify (Y point)");
       }},
      {"verify_cold",
       [&] {
         if (!eccsi::verify(kms.kpak(), id, message, sig)) fail("cold verify");
       }},
      {"issue", [&] { keep(kms.issue(id, os).value()); }},
      {"validate",
       [&] {
         if (!eccsi::signer<>::create(kms.kpak(), id, pair.ssk, pair.pvt)) fail("validate");
       }},
  };
  std::printf("== ECCSI on P-256: counts and arithmetic floor (median of %d rounds) ==\n", rounds);
  skm::bench::floor_table<skm::curves::p256>("P-256", ops, rounds, 8);
  return 0;
}
