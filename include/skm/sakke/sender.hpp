// SPDX-License-Identifier: BSD-3-Clause
// SAKKE sender (RFC 6508 §6.2.1): form the Encapsulated Data R || H for identifier b.
//
//   r = HashToIntegerRange(SSV || b, q)
//   R = [r]([b]P + Z) = [r] I
//   H = SSV XOR HashToIntegerRange(g^r, 2^n)
//
//   Encapsulated Data (RFC 6508 §4), 2L + 1 + n/8 octets (273 for parameter set 1):
//   +------+-------------------+-------------------+----------------+
//   | 0x04 |  R_x (L octets)   |  R_y (L octets)   |  H (n/8 octets)|
//   +------+-------------------+-------------------+----------------+
//
// Two ways to compute [r]I, both constant time in r (hence in the SSV):
//   * recipient: a per-recipient cache of I and its fixed-base table (sending again and again
//     to the same identity within a key period);
//   * a new recipient: [r b mod q]P + [r]Z with the shared table of P and the KMS key's table,
//     so nothing per recipient has to be built.
// g^r uses the shared fixed-base table of g, scanned in full. R's affine form and g^r's canonical
// value share one inversion (Montgomery's trick on the two denominators), blinded by a random
// factor so that the fast variable-time inversion sees nothing secret (ec::inverse_blinded).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/sakke/common.hpp"

namespace skm::sakke {

/// A cached recipient: identifier b, I = [b]P + Z and the fixed-base table of I. The window W
/// trades memory for speed: W = 6 (the default) stores 171 x 32 points (1.4 MB for parameter
/// set 1) and costs 171 additions per encapsulation; W = 7: 2.5 MB, 147 additions; W = 5:
/// 0.9 MB, 205 additions. Copies share the table.
template <class Curve, unsigned W = scheme<Curve>::recipient_window>
class recipient {
 public:
  using S = scheme<Curve>;
  using point = typename S::point;

  [[nodiscard]] static result<recipient, sakke_error> create(const kms_public_key<Curve>& kms,
                                                             std::span<const std::uint8_t> id) {
    const auto i = kms.identity_point(id);
    if (!i) return unexpected{i.error()};
    return recipient(std::vector<std::uint8_t>(id.begin(), id.end()), *i);
  }

  [[nodiscard]] std::span<const std::uint8_t> identifier() const noexcept { return id_; }
  [[nodiscard]] const point& identity_point() const noexcept { return i_; }
  using table_type = ec::fixed_base_table<Curve, W>;
  [[nodiscard]] const table_type& table() const noexcept { return *table_; }

 private:
  recipient(std::vector<std::uint8_t> id, const point& i)
      : id_(std::move(id)), i_(i), table_(std::make_shared<const table_type>(i)) {}
  std::vector<std::uint8_t> id_;
  point i_;
  std::shared_ptr<const table_type> table_;
};

template <class Curve>
struct encapsulation {
  typename scheme<Curve>::ssv_type ssv;
  typename scheme<Curve>::encapsulated_type data;
  ~encapsulation() { ct::wipe(ssv.data(), ssv.size()); }
};

namespace detail {

/// Steps 3-5 once [r]I and g^r (projective) are known: encode R, compute H. Fails only if
/// R = O (r = 0 mod q).
template <class Curve>
[[nodiscard]] result<typename scheme<Curve>::encapsulated_type, sakke_error> finish_with_g_r(
    const ec::jacobian_point<Curve>& r_point, const fp2<typename scheme<Curve>::Fp>& g_r_projective,
    std::span<const std::uint8_t, scheme<Curve>::ssv_bytes> ssv) {
  using S = scheme<Curve>;
  using Fp = typename S::Fp;
  if (ec::is_identity(r_point).declassify()) return unexpected{sakke_error::degenerate_ssv};
  // One (blinded) inversion for both: inv = 1/(Z a), 1/Z = inv a, 1/a = inv Z.
  os_random rng;
  Fp inv = ec::inverse_blinded(r_point.z * g_r_projective.re, rng);
  const Fp z_inv = inv * g_r_projective.re;
  const Fp zz_inv = z_inv.square();
  const typename S::point r_affine{r_point.x * zz_inv, r_point.y * zz_inv * z_inv,
                                   ct::choice::no()};
  const auto encoded = ec::encode_uncompressed(r_affine);  // R is public from here on
  Fp g_r = g_r_projective.im * (inv * r_point.z);
  auto mask = S::mask(g_r);
  ct::wipe_object(inv);
  typename S::encapsulated_type out;
  for (std::size_t i = 0; i < S::point_bytes; ++i) out[i] = (*encoded)[i];
  for (std::size_t i = 0; i < S::ssv_bytes; ++i)
    out[S::point_bytes + i] = static_cast<std::uint8_t>(ssv[i] ^ mask[i]);
  ct::wipe_object(g_r);
  ct::wipe(mask.data(), mask.size());
  return out;
}

/// Steps 3-5 once [r]I is known: g^r from the shared table, then finish_with_g_r.
template <class Curve>
[[nodiscard]] result<typename scheme<Curve>::encapsulated_type, sakke_error> finish_encapsulation(
    const ec::jacobian_point<Curve>& r_point, const typename scheme<Curve>::scalar& r,
    std::span<const std::uint8_t, scheme<Curve>::ssv_bytes> ssv) {
  using S = scheme<Curve>;
  if (ec::is_identity(r_point).declassify()) return unexpected{sakke_error::degenerate_ssv};
  auto g_r_projective = S::g_table().pow(r).value();  // a + ib, g^r = b/a
  auto out = finish_with_g_r<Curve>(r_point, g_r_projective, ssv);
  ct::wipe_object(g_r_projective);
  return out;
}

template <class Curve>
[[nodiscard]] result<std::span<const std::uint8_t, scheme<Curve>::ssv_bytes>, sakke_error> ssv_span(
    std::span<const std::uint8_t> ssv) {
  if (ssv.size() != scheme<Curve>::ssv_bytes) return unexpected{sakke_error::bad_ssv_length};
  return std::span<const std::uint8_t, scheme<Curve>::ssv_bytes>(ssv.data(),
                                                                 scheme<Curve>::ssv_bytes);
}

}  // namespace detail

/// Encapsulate a caller-chosen SSV (exactly n/8 octets) to a cached recipient.
template <class Curve, unsigned W>
[[nodiscard]] result<typename scheme<Curve>::encapsulated_type, sakke_error> encapsulate(
    const recipient<Curve, W>& to, std::span<const std::uint8_t> ssv_in) {
  using S = scheme<Curve>;
  const auto ssv = detail::ssv_span<Curve>(ssv_in);
  if (!ssv) return unexpected{ssv.error()};
  auto r = S::derive_r(*ssv, to.identifier());
  const auto r_point = to.table().mul(r);
  auto out = detail::finish_encapsulation<Curve>(r_point, r, *ssv);
  ct::wipe_object(r);
  return out;
}

/// Encapsulate to an identifier with no cached state: R = [r b mod q]P + [r]Z.
template <class Curve>
[[nodiscard]] result<typename scheme<Curve>::encapsulated_type, sakke_error> encapsulate(
    const kms_public_key<Curve>& kms, std::span<const std::uint8_t> id,
    std::span<const std::uint8_t> ssv_in) {
  using S = scheme<Curve>;
  const auto ssv = detail::ssv_span<Curve>(ssv_in);
  if (!ssv) return unexpected{ssv.error()};
  const auto b = S::identifier_value(id);
  if (!b) return unexpected{b.error()};
  auto r = S::derive_r(*ssv, id);
  const auto r_point = kms.mul_identity_point(r, *b);
  auto out = detail::finish_encapsulation<Curve>(r_point, r, *ssv);
  ct::wipe_object(r);
  return out;
}

/// One SSV encapsulated to several identifiers with no cached state (a group key to every
/// member): the same result as encapsulate(kms, ids[j], ssv) for each j, but the shared tables
/// of P, Z and g are each read once per batch instead of once per identifier, and the point
/// additions of each window share one blinded inversion (ec::fixed_base_table::mul_batch_affine).
/// That inversion pays from about 32 identifiers a batch (docs/performance.md: 64 gave 1.41x the
/// throughput of single encapsulations on two cores without IFMA).
template <class Curve>
[[nodiscard]] std::vector<result<typename scheme<Curve>::encapsulated_type, sakke_error>>
encapsulate_batch(const kms_public_key<Curve>& kms,
                  std::span<const std::span<const std::uint8_t>> ids,
                  std::span<const std::uint8_t> ssv_in) {
  using S = scheme<Curve>;
  using out_type = result<typename S::encapsulated_type, sakke_error>;
  std::vector<out_type> out(ids.size(), out_type{unexpected{sakke_error::bad_identifier}});
  const auto ssv = detail::ssv_span<Curve>(ssv_in);
  if (!ssv) {
    for (auto& o : out) o = unexpected{ssv.error()};
    return out;
  }
  ct::secret_vector<typename S::scalar> r;  // r reveals the SSV
  std::vector<typename S::scalar> b;
  std::vector<std::size_t> at;  // the identifiers that are usable, by position
  r.reserve(ids.size());
  b.reserve(ids.size());
  at.reserve(ids.size());
  for (std::size_t j = 0; j < ids.size(); ++j) {
    const auto bj = S::identifier_value(ids[j]);
    if (!bj) continue;  // out[j] stays bad_identifier
    b.push_back(*bj);
    r.push_back(S::derive_r(*ssv, ids[j]));
    at.push_back(j);
  }
  std::vector<ec::jacobian_point<Curve>> points(at.size());
  kms.mul_identity_points(r, b, points);
  ct::secret_vector<pfp<typename S::Fp>> g_r(at.size());
  S::g_table().pow_batch(std::span<const typename S::scalar>(r), std::span(g_r));
  for (std::size_t i = 0; i < at.size(); ++i)
    out[at[i]] = detail::finish_with_g_r<Curve>(points[i], g_r[i].value(), *ssv);
  return out;
}

/// A fresh random SSV (RFC 6508 §6.2.1 step 1) encapsulated to a cached recipient.
template <class Curve, unsigned W, random_source Rng>
[[nodiscard]] result<encapsulation<Curve>, sakke_error> encapsulate_random(
    const recipient<Curve, W>& to, Rng& rng) {
  encapsulation<Curve> e;
  rng.GenerateBlock(e.ssv.data(), e.ssv.size());
  auto data = encapsulate(to, e.ssv);
  if (!data) return unexpected{data.error()};
  e.data = *data;
  return e;
}

template <class Curve, random_source Rng>
[[nodiscard]] result<encapsulation<Curve>, sakke_error> encapsulate_random(
    const kms_public_key<Curve>& kms, std::span<const std::uint8_t> id, Rng& rng) {
  encapsulation<Curve> e;
  rng.GenerateBlock(e.ssv.data(), e.ssv.size());
  auto data = encapsulate(kms, id, e.ssv);
  if (!data) return unexpected{data.error()};
  e.data = *data;
  return e;
}

}  // namespace skm::sakke
