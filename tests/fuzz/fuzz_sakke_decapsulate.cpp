// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: SAKKE decapsulation (RFC 6508 §6.2.2) of attacker-chosen encapsulated data
// for a fixed receiver (fixed KMS master secret, identifier and RSK: fuzz_fixtures.hpp).
// Properties beyond "no crash":
// - the receiver context (line table) and the cold path agree on every input;
// - every failure is the single error decapsulation_failed;
// - an accepted input is exactly what encapsulating the recovered SSV to the identifier gives
//   (encapsulation is deterministic in the SSV), so no malformed variant is ever accepted.
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
  const auto& f = sakke_fixture::get();
  const std::span<const std::uint8_t> in(data, size);
  const auto warm = f.receiver->decapsulate(in);
  const auto cold = skm::sakke::decapsulate_with_unvalidated_rsk(f.kms.public_key(),
                                                                 bytes_of(sakke_id), f.rsk, in);
  check(warm.has_value() == cold.has_value());
  if (!warm) {
    check(warm.error() == skm::sakke::sakke_error::decapsulation_failed);
    check(cold.error() == skm::sakke::sakke_error::decapsulation_failed);
    return 0;
  }
  check(std::equal(warm->begin(), warm->end(), cold->begin()));
  const auto again = skm::sakke::encapsulate(f.kms.public_key(), bytes_of(sakke_id), *warm);
  check(again.has_value() && again->size() == size &&
        std::equal(again->begin(), again->end(), in.begin()));
  return 0;
}
