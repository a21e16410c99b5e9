// SPDX-License-Identifier: BSD-3-Clause
// SEC1 uncompressed point encoding (SEC 1 v2 §2.3.3/§2.3.4; RFC 6507 §3.2, RFC 6508 §2.2):
//
//   +------+--------------------------+--------------------------+
//   | 0x04 |  x (F::bytes octets, BE) |  y (F::bytes octets, BE) |
//   +------+--------------------------+--------------------------+
//
// Coordinates have a fixed length (leading zero octets kept). Decoding checks, in order: the
// exact length, the 0x04 prefix, x < p, y < p, the curve equation, and (on request) membership
// of the order-q subgroup, so a point never comes out of decode_uncompressed without having
// passed them. The identity has no uncompressed form: SEC1 encodes it as the single octet 0x00,
// which is reported as `identity`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "skm/common/result.hpp"
#include "skm/ec/point.hpp"
#include "skm/ec/scalar_mul.hpp"

namespace skm::ec {

enum class point_error {
  bad_length,       ///< not exactly 1 + 2 * coordinate length octets
  bad_prefix,       ///< first octet is not 0x04
  compressed_form,  ///< first octet is 0x02 / 0x03: compressed points are not accepted here
  identity,         ///< the point at infinity (SEC1 0x00), never a valid key or token
  x_out_of_range,   ///< x >= p
  y_out_of_range,   ///< y >= p
  not_on_curve,     ///< y^2 != x^3 + a x + b
  not_in_subgroup,  ///< [q]P != O (checked only on request, for cofactor != 1)
};

[[nodiscard]] constexpr const char* describe(point_error e) noexcept {
  switch (e) {
    case point_error::bad_length: return "encoded point has the wrong length";
    case point_error::bad_prefix: return "encoded point does not start with 0x04";
    case point_error::compressed_form: return "compressed point encoding is not accepted";
    case point_error::identity: return "point is the identity (point at infinity)";
    case point_error::x_out_of_range: return "point x-coordinate is not less than p";
    case point_error::y_out_of_range: return "point y-coordinate is not less than p";
    case point_error::not_on_curve: return "point is not on the curve";
    case point_error::not_in_subgroup: return "point is not in the order-q subgroup";
  }
  return "unknown point_error";
}

enum class subgroup_check {
  skip,     ///< enough for ephemeral points whose misuse a later check catches
  require,  ///< long-lived keys (KMS public keys, RSKs): [q]P == O when the cofactor is not 1
};

/// Whether a curve's cofactor h = #E(F_p) / q is 1. `Curve::cofactor` may be any unsigned
/// integer type or an skm::uint<M> of any width: SAKKE sets with a short q have a cofactor of
/// hundreds of bits. It is public and used only here, to decide whether a subgroup check is
/// needed (the check itself multiplies by q, never by h).
template <class Curve>
[[nodiscard]] constexpr bool cofactor_is_one() noexcept {
  using cofactor_type = std::remove_cvref_t<decltype(Curve::cofactor)>;
  if constexpr (std::is_integral_v<cofactor_type>) {
    static_assert(std::is_unsigned_v<cofactor_type>, "the cofactor is a positive integer");
    static_assert(Curve::cofactor != 0, "the cofactor is a positive integer");
    return Curve::cofactor == 1;
  } else {
    static_assert(!Curve::cofactor.is_zero().declassify(), "the cofactor is a positive integer");
    return Curve::cofactor == cofactor_type::from_u64(1);
  }
}

template <class Curve>
inline constexpr std::size_t encoded_point_size = 1 + 2 * curve_facts<Curve>::coordinate_bytes;

/// 0x04 || x || y. The identity cannot be encoded this way and is refused.
template <class Curve>
[[nodiscard]] constexpr result<std::array<std::uint8_t, encoded_point_size<Curve>>, point_error>
encode_uncompressed(const affine_point<Curve>& p) noexcept {
  constexpr std::size_t n = curve_facts<Curve>::coordinate_bytes;
  if (p.infinity.declassify()) return unexpected{point_error::identity};
  std::array<std::uint8_t, encoded_point_size<Curve>> out{};
  out[0] = 0x04;
  p.x.to_bytes(std::span<std::uint8_t, n>(out.data() + 1, n));
  p.y.to_bytes(std::span<std::uint8_t, n>(out.data() + 1 + n, n));
  return out;
}

/// Checks an affine point obtained some other way (the same checks as decoding, minus format).
template <class Curve>
[[nodiscard]] result<affine_point<Curve>, point_error> validate(const affine_point<Curve>& p,
                                                                subgroup_check check) {
  if (p.infinity.declassify()) return unexpected{point_error::identity};
  if (!on_curve(p).declassify()) return unexpected{point_error::not_on_curve};
  if constexpr (!cofactor_is_one<Curve>()) {
    if (check == subgroup_check::require && !in_subgroup_vartime(p))
      return unexpected{point_error::not_in_subgroup};
  } else {
    (void)check;  // every point on a prime-order curve is in the group
  }
  return p;
}

template <class Curve>
[[nodiscard]] result<affine_point<Curve>, point_error> decode_uncompressed(
    std::span<const std::uint8_t> in, subgroup_check check) {
  using field = typename Curve::base_field;
  constexpr std::size_t n = curve_facts<Curve>::coordinate_bytes;
  if (in.size() == 1 && in[0] == 0x00) return unexpected{point_error::identity};
  if (in.size() != encoded_point_size<Curve>) return unexpected{point_error::bad_length};
  if (in[0] == 0x02 || in[0] == 0x03) return unexpected{point_error::compressed_form};
  if (in[0] != 0x04) return unexpected{point_error::bad_prefix};
  const auto x = field::from_bytes(in.subspan(1, n));
  if (!x) return unexpected{point_error::x_out_of_range};
  const auto y = field::from_bytes(in.subspan(1 + n, n));
  if (!y) return unexpected{point_error::y_out_of_range};
  return validate(affine_point<Curve>{*x, *y, ct::choice::no()}, check);
}

}  // namespace skm::ec
