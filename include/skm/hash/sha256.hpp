// SPDX-License-Identifier: BSD-3-Clause
// The hash concept skm's schemes are written against, with a Crypto++ SHA-256 adapter.
#pragma once

#include <cryptopp/sha.h>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skm {

/// An incremental hash with a fixed digest length.
template <class H>
concept hash_function = requires(H h, std::span<const std::uint8_t> in) {
  { H::digest_size } -> std::convertible_to<std::size_t>;
  h.update(in);
  { h.final() } -> std::same_as<std::array<std::uint8_t, H::digest_size>>;
};

class sha256 {
 public:
  static constexpr std::size_t digest_size = 32;
  using digest = std::array<std::uint8_t, digest_size>;

  sha256& update(std::span<const std::uint8_t> in) {
    impl_.Update(in.data(), in.size());
    return *this;
  }
  /// Finish and reset, so the object can hash again.
  [[nodiscard]] digest final() {
    digest out;
    impl_.Final(out.data());
    return out;
  }
  [[nodiscard]] static digest hash(std::span<const std::uint8_t> in) {
    sha256 h;
    h.update(in);
    return h.final();
  }

 private:
  CryptoPP::SHA256 impl_;
};
static_assert(hash_function<sha256>);

}  // namespace skm
