// SPDX-License-Identifier: BSD-3-Clause
// The SAKKE Key Management Service (RFC 6508 §6.1, §6.1.1): master secret z in [2, q-1],
// public key Z = [z]P, and Receiver Secret Keys RSK_b = [(b + z)^-1 mod q]P.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/common/stack_scrub.hpp"
#include "skm/sakke/common.hpp"

namespace skm::sakke {

template <class Curve>
class kms {
 public:
  using S = scheme<Curve>;
  using Fq = typename S::Fq;
  using point = typename S::point;

  /// A fresh master secret, uniform in [2, q-1]. A source that keeps producing 0 or 1 is broken:
  /// after 256 such draws this throws std::runtime_error (as Fq::random does) instead of looping.
  template <random_source Rng>
  [[nodiscard]] static kms generate(Rng& rng) {
    for (int attempt = 0; attempt < 256; ++attempt) {
      const Fq z = Fq::random(rng);
      // rejecting 0 and 1 is a public event of negligible probability
      if ((z.is_zero() | ct_equal(z, Fq::one())).declassify()) continue;
      return kms(z);
    }
    throw std::runtime_error("skm: the random source keeps producing 0 or 1; it is broken");
  }

  /// From an exported master secret: exactly Fq::bytes octets, value in [2, q-1].
  [[nodiscard]] static result<kms, sakke_error> from_master_secret(
      std::span<const std::uint8_t> z_bytes) {
    const auto z = Fq::from_bytes(z_bytes);
    if (!z) return unexpected{sakke_error::bad_master_secret};
    if ((z->is_zero() | ct_equal(*z, Fq::one())).declassify())
      return unexpected{sakke_error::bad_master_secret};
    return kms(*z);
  }

  kms(const kms&) = default;
  kms& operator=(const kms&) = default;
  ~kms() { ct::wipe_object(z_); }

  [[nodiscard]] const kms_public_key<Curve>& public_key() const noexcept { return public_; }

  /// z as Fq::bytes big-endian octets (a secret: the caller stores and wipes it).
  [[nodiscard]] std::array<std::uint8_t, Fq::bytes> export_master_secret() const {
    return z_.to_bytes();
  }

  /// RSK for identifier b: [(b + z)^-1 mod q]P, with a blinded inversion (a random multiple of
  /// b + z is inverted, so the fast inversion sees nothing of it) and a constant-time fixed-base
  /// multiplication. b + z = 0 mod q has no inverse and is refused. The steps run in their own
  /// frame and the stack they used is scrubbed afterwards: (b + z)^-1 and the intermediate values
  /// of its multiplication yield z (common/stack_scrub.hpp).
  [[nodiscard]] result<point, sakke_error> issue_rsk(std::span<const std::uint8_t> id) const {
    auto out = issue_rsk_steps(id);
    ct::scrub_stack<issue_stack_bytes>();
    return out;
  }

 private:
  /// Stack scrubbed after issue_rsk(): above the deepest the steps reach (measured by the test).
  static constexpr std::size_t issue_stack_bytes = std::size_t{64} * 1024;

  [[gnu::noinline]] result<point, sakke_error> issue_rsk_steps(
      std::span<const std::uint8_t> id) const {
    const auto b = S::identifier_value(id);
    if (!b) return unexpected{b.error()};
    Fq sum = Fq::reduce(*b) + z_;
    if (sum.is_zero().declassify()) return unexpected{sakke_error::identifier_not_invertible};
    os_random rng;  // blinding for the two inversions (ec::inverse_blinded)
    Fq inv = ec::inverse_blinded(sum, rng);
    auto k = inv.to_uint();
    const point rsk = ec::to_affine_blinded(S::p_table().mul(k), rng);
    ct::wipe_object(sum);
    ct::wipe_object(inv);
    ct::wipe_object(k);
    return rsk;
  }

  explicit kms(const Fq& z) : z_(z), public_(compute_public(z)) {}

  [[nodiscard]] static kms_public_key<Curve> compute_public(const Fq& z) {
    auto k = z.to_uint();
    os_random rng;
    const point zp = ec::to_affine_blinded(S::p_table().mul(k), rng);
    ct::mark_public_object(zp);  // Z is published (and its table built in variable time)
    ct::wipe_object(k);
    return kms_public_key<Curve>(zp);
  }

  Fq z_;
  kms_public_key<Curve> public_;
};

}  // namespace skm::sakke
