// SPDX-License-Identifier: BSD-3-Clause
// Fixed keys shared by the ECCSI / SAKKE fuzz targets and the corpus generator, so the committed
// seed signatures and encapsulations are valid for the keys the targets hold.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/eccsi/eccsi.hpp"
#include "skm/sakke/sakke.hpp"

namespace skm_fuzz {

/// A deterministic random_source (splitmix64): the fixtures and the corpus must be reproducible.
struct fixed_rng {
  std::uint64_t state;
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 8 == 0) {
        state += 0x9e3779b97f4a7c15ULL;
        word = state;
        word = (word ^ (word >> 30)) * 0xbf58476d1ce4e5b9ULL;
        word = (word ^ (word >> 27)) * 0x94d049bb133111ebULL;
        word ^= word >> 31;
      }
      out[i] = static_cast<std::uint8_t>(word >> (8 * (i % 8)));
    }
  }
  std::uint64_t word = 0;
};

inline std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// ---- ECCSI: one KMS (fixed KSAK), one signer (fixed ID, key pair issued with a fixed rng)
using eccsi_kms = skm::eccsi::kms<>;
inline constexpr std::string_view eccsi_id{"2026-11\0tel:+447700900123",
                                           25};  // NUL inside: explicit length
inline constexpr std::string_view eccsi_message = "fuzz: the signed message";

struct eccsi_fixture {
  using context_result = skm::result<skm::eccsi::signer_context<>, skm::eccsi::error>;
  eccsi_kms kms;
  skm::eccsi::key_pair<> keys;
  // kept as the results create() returns (no move of the table: g++ 12 warns about it)
  context_result context_table;  ///< y_table mode
  context_result context_point;  ///< y_point mode

  eccsi_fixture()
      : kms(make_kms()),
        keys(issue(kms)),
        context_table(skm::eccsi::signer_context<>::create(kms.kpak(), bytes_of(eccsi_id), keys.pvt,
                                                           skm::eccsi::precompute::y_table)),
        context_point(skm::eccsi::signer_context<>::create(kms.kpak(), bytes_of(eccsi_id), keys.pvt,
                                                           skm::eccsi::precompute::y_point)) {}

  static const eccsi_fixture& get() {
    static const eccsi_fixture f;
    return f;
  }

 private:
  static eccsi_kms make_kms() {
    std::array<std::uint8_t, 32> ksak{};
    for (std::size_t i = 0; i < ksak.size(); ++i)
      ksak[i] = static_cast<std::uint8_t>(0x11 + 7 * i);  // < q (first octet 0x11)
    return eccsi_kms::from_ksak(ksak).value();
  }
  static skm::eccsi::key_pair<> issue(const eccsi_kms& k) {
    fixed_rng rng{0xecc51};
    return k.issue(bytes_of(eccsi_id), rng).value();
  }
};

// ---- SAKKE: one KMS (fixed master secret), one receiver (fixed identifier, RSK issued from it)
using set1 = skm::curves::sakke_param_set_1;
inline constexpr std::string_view sakke_id{"2026-11\0tel:+447700900123\0", 26};

struct sakke_fixture {
  skm::sakke::kms<set1> kms;
  skm::sakke::scheme<set1>::point rsk;
  skm::result<skm::sakke::receiver<set1>, skm::sakke::sakke_error> receiver;

  sakke_fixture()
      : kms(make_kms()),
        rsk(kms.issue_rsk(bytes_of(sakke_id)).value()),
        receiver(skm::sakke::receiver<set1>::create(kms.public_key(), bytes_of(sakke_id), rsk)) {}

  static const sakke_fixture& get() {
    static const sakke_fixture f;
    return f;
  }

 private:
  static skm::sakke::kms<set1> make_kms() {
    std::array<std::uint8_t, skm::sakke::scheme<set1>::Fq::bytes> z{};
    for (std::size_t i = 1; i < z.size(); ++i)
      z[i] = static_cast<std::uint8_t>(0x5a ^ (13 * i));  // z[0] = 0: z < q
    return skm::sakke::kms<set1>::from_master_secret(z).value();
  }
};

}  // namespace skm_fuzz
