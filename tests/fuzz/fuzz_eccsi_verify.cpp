// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: ECCSI verification (RFC 6507 §5.2.2) of attacker-chosen signatures for a
// fixed KPAK and ID (fuzz_fixtures.hpp). Input: the signature (r || s || PVT, 129 octets on
// P-256) followed by the message; an input shorter than a signature is all signature.
// Properties beyond "no crash":
// - the three verification paths (cold verify, signer context with Y's table, with Y alone)
//   agree on every input: same acceptance, same error;
// - a context refuses a signature with another PVT (pvt_mismatch) once the format is good.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "fuzz_entry.hpp"
#include "fuzz_fixtures.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skm_fuzz;
  const auto& f = eccsi_fixture::get();
  constexpr std::size_t sig_size =
      skm::eccsi::suite<skm::curves::p256, skm::sha256>::signature_size;
  const std::span<const std::uint8_t> in(data, size);
  const auto sig = in.first(std::min(size, sig_size));
  const auto message = in.subspan(sig.size());
  const auto id = bytes_of(eccsi_id);

  const auto cold = skm::eccsi::verify(f.kms.kpak(), id, message, sig);
  const auto table = f.context_table->verify(message, sig);
  const auto point = f.context_point->verify(message, sig);
  check(table.has_value() == point.has_value());
  if (!table) check(table.error() == point.error());

  const bool same_pvt =
      sig.size() == sig_size && std::equal(f.keys.pvt.begin(), f.keys.pvt.end(), sig.begin() + 64);
  if (same_pvt) {
    check(cold.has_value() == table.has_value());
    if (!cold) check(cold.error() == table.error());
  } else {
    // a context never accepts another PVT: it reports the same format error as the cold path,
    // or, once the signature parses, pvt_mismatch
    check(!table.has_value());
    if (table.error() != skm::eccsi::error::pvt_mismatch)
      check(!cold && cold.error() == table.error());
  }
  return 0;
}
