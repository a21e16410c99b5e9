// SPDX-License-Identifier: BSD-3-Clause
// SAKKE (RFC 6508) vocabulary shared by the KMS, sender and receiver: errors, sizes, the hash,
// identifiers, and the KMS public values with their precomputations.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <variant>
#include <vector>

#include "skm/bigint/bytes.hpp"
#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/ec/ec.hpp"
#include "skm/hash/hash_to_integer_range.hpp"
#include "skm/hash/sha256.hpp"
#include "skm/pairing/gt_fixed_base.hpp"
#include "skm/pairing/tate.hpp"

namespace skm::sakke {

enum class sakke_error {
  bad_identifier,     ///< identifier empty, or as an integer not in [2, q-1]
  bad_master_secret,  ///< KMS master secret not exactly Fq::bytes octets, or not in [2, q-1]
  identifier_not_invertible,  ///< b + z = 0 mod q: no RSK exists for this identifier
  bad_public_key,             ///< KMS public key Z failed decoding or validation
  bad_rsk_encoding,           ///< RSK failed decoding (length, prefix, range, curve, identity)
  rsk_not_in_subgroup,        ///< [q]RSK != O
  rsk_pairing_mismatch,       ///< <[b]P + Z, RSK> != g (RFC 6508 §6.1.2)
  bad_ssv_length,             ///< SSV not exactly n/8 octets
  degenerate_ssv,  ///< r = 0 mod q for this SSV and identifier (probability 2^-lg(q)): pick another
                   ///< SSV
  decapsulation_failed,  ///< the single error for every receiver-side failure (RFC 6508 §6.2.2)
  receiver_moved_from,   ///< a receiver object used after it was moved from (a caller's bug)
};

[[nodiscard]] constexpr const char* describe(sakke_error e) noexcept {
  switch (e) {
    case sakke_error::bad_identifier: return "SAKKE identifier is empty or not in [2, q-1]";
    case sakke_error::bad_master_secret:
      return "SAKKE master secret has the wrong length or is not in [2, q-1]";
    case sakke_error::identifier_not_invertible:
      return "b + z = 0 mod q: no RSK exists for this identifier";
    case sakke_error::bad_public_key: return "SAKKE KMS public key is not a valid point of order q";
    case sakke_error::bad_rsk_encoding: return "RSK is not a valid encoded curve point";
    case sakke_error::rsk_not_in_subgroup: return "RSK is not in the order-q subgroup";
    case sakke_error::rsk_pairing_mismatch: return "RSK does not satisfy <[b]P + Z, RSK> = g";
    case sakke_error::bad_ssv_length: return "SSV does not have exactly n/8 octets";
    case sakke_error::degenerate_ssv: return "this SSV gives r = 0 mod q; choose another SSV";
    case sakke_error::decapsulation_failed: return "SAKKE encapsulated data could not be processed";
    case sakke_error::receiver_moved_from:
      return "SAKKE receiver was moved from and holds no key any more";
  }
  return "unknown sakke_error";
}

using ok_t = std::monostate;

/// Sizes and types of a SAKKE instance over curve traits `Curve` (RFC 6508 §4).
template <class Curve>
struct scheme {
  using Fp = typename Curve::base_field;
  using Fq = typename Curve::scalar_field;
  using scalar = typename Fq::uint_type;
  using point = ec::affine_point<Curve>;
  using hash = decltype([] {
    if constexpr (requires { typename Curve::hash; }) {
      return typename Curve::hash{};
    } else {
      return sha256{};
    }
  }());
  static_assert(hash_function<hash>);
  static_assert(Curve::n_bits % 8 == 0, "SSV length n must be a whole number of octets");
  static_assert(2 * Curve::n_bits < pairing::pairing_params<Curve>::q_bits,
                "RFC 6508 §2.1: lg(q) must exceed 2n");

  static constexpr std::size_t field_bytes = Fp::bytes;                       ///< L
  static constexpr std::size_t point_bytes = ec::encoded_point_size<Curve>;   ///< 2L + 1
  static constexpr std::size_t ssv_bytes = Curve::n_bits / 8;                 ///< n / 8
  static constexpr std::size_t encapsulated_bytes = point_bytes + ssv_bytes;  ///< 2L + 1 + n/8

  using ssv_type = std::array<std::uint8_t, ssv_bytes>;
  using encapsulated_type = std::array<std::uint8_t, encapsulated_bytes>;

  static constexpr auto q = Curve::q.template resize<scalar::limbs>();

  /// The identifier b as an integer (big-endian, RFC 6508 §6.2): must lie in [2, q-1].
  /// Identifiers are public, so the range check may branch.
  [[nodiscard]] static result<scalar, sakke_error> identifier_value(
      std::span<const std::uint8_t> id) {
    if (id.empty()) return unexpected{sakke_error::bad_identifier};
    const auto v = from_bytes_be<scalar::limbs>(id);
    if (!v) return unexpected{sakke_error::bad_identifier};
    if (*v < scalar::from_u64(2) || *v >= q) return unexpected{sakke_error::bad_identifier};
    return *v;
  }

  /// r = HashToIntegerRange(SSV || b, q) (constant time in the SSV).
  [[nodiscard]] static scalar derive_r(std::span<const std::uint8_t, ssv_bytes> ssv,
                                       std::span<const std::uint8_t> id) {
    return hash_to_integer_range<hash>({std::span<const std::uint8_t>(ssv), id}, q);
  }

  /// HashToIntegerRange(x, 2^n) for a PF_p value x given canonically (L octets, leading zeros
  /// kept).
  [[nodiscard]] static ssv_type mask(const Fp& x) {
    auto bytes = x.to_bytes();
    auto m =
        hash_to_integer_range_pow2<hash, Curve::n_bits>({std::span<const std::uint8_t>(bytes)});
    ct::wipe(bytes.data(), bytes.size());
    return m;
  }

  [[nodiscard]] static const Fp& g() {
    static const Fp value = Fp::from_uint(Curve::g).value();
    return value;
  }

  /// Window widths of the fixed-base tables. The shared ones (P, every KMS key Z, g) are built
  /// once and used by every operation, so they are wide; a per-recipient table is built per
  /// identity and key period, so it is narrower; a receiver's own table of I is narrower still,
  /// since a receiver is built when a key period starts, where build time counts.
  static constexpr unsigned shared_window = 7;
  static constexpr unsigned recipient_window = 6;
  static constexpr unsigned receiver_window = 5;
  static constexpr unsigned g_window = 6;
  using shared_table = ec::fixed_base_table<Curve, shared_window>;

  /// The fixed-base table of g, built on first use and shared read-only.
  [[nodiscard]] static const pairing::gt_fixed_base<Curve, g_window>& g_table() {
    static const pairing::gt_fixed_base<Curve, g_window> table(g());
    return table;
  }

  /// The fixed-base table of P (wider than ec::generator_table's default), built on first use
  /// and shared read-only.
  [[nodiscard]] static const shared_table& p_table() {
    static const shared_table table(ec::generator<Curve>());
    return table;
  }

  [[nodiscard]] static pairing::affine<Fp> coords(const point& a) noexcept { return {a.x, a.y}; }

  /// The canonical value b/a of a secret PF_p element (a : b): the final step of a pairing or
  /// of g^r. One blinded inversion (ec::inverse_blinded: a uniformly random multiple of a goes
  /// through GMP's fast variable-time inversion, so nothing of a is exposed) instead of the
  /// constant-time mpn_sec_invert, about twenty times slower at 1024 bits.
  [[nodiscard]] static Fp canonical(const pfp<Fp>& t) {
    os_random rng;
    return t.value().im * ec::inverse_blinded(t.value().re, rng);
  }
};

/// A KMS public key Z with the fixed-base table that makes [r]Z cheap: with the shared table of
/// P, [r]([b]P + Z) = [r b mod q]P + [r]Z needs nothing per identity, which is how a new
/// recipient is encapsulated to and how a receiver computes TEST. Built once per KMS key;
/// immutable afterwards, so copies share the table.
template <class Curve>
class kms_public_key {
 public:
  using S = scheme<Curve>;
  using point = typename S::point;

  /// From a validated point (order q). Use decode() for bytes from outside.
  explicit kms_public_key(const point& z)
      : z_(z), table_(std::make_shared<const typename S::shared_table>(z)) {}

  /// Decode 0x04 || x || y and check it fully: coordinates < p, on the curve, not the identity,
  /// and [q]Z = O (Z is long-lived, so the subgroup check is worth its cost here).
  [[nodiscard]] static result<kms_public_key, sakke_error> decode(
      std::span<const std::uint8_t> in) {
    const auto z = ec::decode_uncompressed<Curve>(in, ec::subgroup_check::require);
    if (!z) return unexpected{sakke_error::bad_public_key};
    return kms_public_key(*z);
  }

  [[nodiscard]] const point& point_value() const noexcept { return z_; }
  [[nodiscard]] const typename S::shared_table& table() const noexcept { return *table_; }
  [[nodiscard]] std::array<std::uint8_t, S::point_bytes> encode() const {
    return ec::encode_uncompressed(z_).value();
  }

  /// I = [b]P + Z for a public identifier b (variable time: everything here is public).
  [[nodiscard]] result<point, sakke_error> identity_point(std::span<const std::uint8_t> id) const {
    const auto b = S::identifier_value(id);
    if (!b) return unexpected{b.error()};
    const auto i = ec::add_vartime(S::p_table().mul_vartime(*b), z_);
    // I = O would need b = -z mod q; such an identifier has no RSK and nobody can receive on it.
    if (ec::is_identity(i).declassify()) return unexpected{sakke_error::identifier_not_invertible};
    return ec::to_affine_vartime(i);
  }

  /// mul_identity_point for several (r, b) pairs at once: each table is read once for the
  /// batch (ec::fixed_base_table::mul_batch). out[j] = [r_j]([b_j]P + Z).
  void mul_identity_points(std::span<const typename S::scalar> r,
                           std::span<const typename S::scalar> b,
                           std::span<ec::jacobian_point<Curve>> out) const {
    using Fq = typename S::Fq;
    const std::size_t n = std::min({r.size(), b.size(), out.size()});
    ct::secret_vector<typename S::scalar> rb(n);
    for (std::size_t j = 0; j < n; ++j) rb[j] = (Fq::reduce(r[j]) * Fq::reduce(b[j])).to_uint();
    ct::secret_vector<ec::jacobian_point<Curve>> rz(n);
    os_random rng;  // the blinding of each window's shared inversion
    S::p_table().mul_batch_affine(rb, out.first(n), rng);
    table_->mul_batch_affine(r.first(n), rz, rng);
    for (std::size_t j = 0; j < n; ++j) out[j] = ec::add(out[j], rz[j]);
  }

  /// [r]([b]P + Z) = [r b mod q]P + [r]Z for a secret r, constant time in r.
  [[nodiscard]] ec::jacobian_point<Curve> mul_identity_point(
      const typename S::scalar& r, const typename S::scalar& b) const noexcept {
    using Fq = typename S::Fq;
    auto rb = (Fq::reduce(r) * Fq::reduce(b)).to_uint();
    const auto sum = ec::add(S::p_table().mul(rb), table_->mul(r));
    ct::wipe_object(rb);
    return sum;
  }

 private:
  point z_;
  std::shared_ptr<const typename S::shared_table> table_;
};

}  // namespace skm::sakke
