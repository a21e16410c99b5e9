// SPDX-License-Identifier: BSD-3-Clause
// Short-Weierstrass points y^2 = x^3 + a x + b over any skm::fp<>, generic over curve traits.
//
// API summary of the ec layer (namespace skm::ec; `Curve` is a traits struct such as
// skm::curves::p256 or skm::curves::sakke_param_set_1; F = Curve::base_field;
// S = Curve::scalar_field::uint_type, the scalar type, any value up to its full width):
//
//   point.hpp (this file)
//     affine_point<Curve>{x, y, infinity}     affine form; `infinity` is a ct::choice flag
//     jacobian_point<Curve>{x, y, z}          (X/Z^2, Y/Z^3); z == 0 is the identity
//     curve_facts<Curve>                      a, b as field elements, shape (a = -3 / a = 0 /
//                                             generic: picks the doubling formula at compile time)
//     generator<Curve>(), identity<Curve>(), identity_affine<Curve>()
//     to_jacobian(A); to_affine(P) [CT inversion]; to_affine_vartime(P) [public points]
//     to_affine_blinded(P, rng)   secret P, one fast inversion of a randomly blinded Z
//     inverse_blinded(x, rng)     x^-1 for a secret field element (any fp<>), same blinding
//     batch_to_affine(span<const J>, span<A>) [one CT inversion], batch_to_affine_vartime(...)
//     dbl(P); add(P, Q) and add(P, A) complete and constant time (identity, P = Q, P = -Q);
//     add_not_equal(P, A)  constant time, for P != A known by construction (saves the doubling)
//     add_vartime(P, Q), add_vartime(P, A) branch on the special cases (public inputs only)
//     negate(P|A); is_identity(P) -> choice; ct_equal(P, Q) -> choice; on_curve(A) -> choice
//     affine_equal_x(P, x) -> bool  (vartime: P != O and X == x Z^2, no inversion; verification)
//   scalar_mul.hpp
//     mul(A|P, k)                constant time, signed fixed window (Booth digits, full table
//     scan),
//                                always 64*limbs(S) scalar bits; any point, any scalar
//     fixed_base_table<Curve, W> built at run time from ANY point (one batch inversion);
//                                .mul(k) constant time (one mixed addition per W bits, no
//                                doublings); .mul_batch(ks, out) (one table pass for many k);
//                                .mul_batch_affine(ks, out, rng) (the same, affine additions
//                                sharing one blinded inversion a window); .mul_vartime(k);
//                                .base(); .empty() (moved-from)
//     mul_vartime(A, k)          wNAF, public scalar and point
//     double_mul_vartime(A, a, B, b)   [a]A + [b]B (Straus, interleaved wNAF), public inputs
//     wnaf_table<Curve, W>       odd multiples of a fixed public point (W up to 8)
//     multi_mul_vartime(T, a, {P_i}, {b_i})   [a]B + sum [b_i]P_i, one chain of doublings
//     in_subgroup_vartime(A)     [q]A == O (public points)
//   generator_table.hpp
//     generator_table<Curve>()   the generator's fixed_base_table, built once, shared read-only
//     generator_wnaf_table<Curve>()   the generator's wnaf_table<Curve, 8>, for verification
//   encoding.hpp
//     point_error + describe(point_error)
//     encode_uncompressed(A) -> result<array<1 + 2*F::bytes>, point_error>   0x04 || x || y
//     decode_uncompressed<Curve>(bytes, subgroup_check) -> result<affine_point, point_error>
//     validate(A, subgroup_check) -> result<affine_point, point_error>
//   ec.hpp includes all of them.
//
// Constant-time rules (design.md §5): functions without _vartime take the same path and the same
// memory addresses for every value of their arguments. Formulas are from the Explicit-Formulas
// Database (dbl-2004-hmv for a = -3, dbl-2007-bl otherwise, add-1998-cmo-2, madd-2004-hmv,
// mdbl-2007-bl), chosen for few field additions;
// the exceptional cases are handled by computing the alternatives and selecting with masks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "skm/bigint/bytes.hpp"
#include "skm/bigint/uint.hpp"
#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"

namespace skm::ec {

enum class curve_shape {
  a_minus_3,  ///< a = -3: doubling with 3(X - Z^2)(X + Z^2)
  a_zero,     ///< a = 0
  generic,    ///< any other a
};

/// Facts about a curve derived at compile time from its traits.
template <class Curve>
struct curve_facts {
  using field = typename Curve::base_field;
  using scalar_field = typename Curve::scalar_field;
  using scalar = typename scalar_field::uint_type;

  static constexpr field a = field::reduce(Curve::a);
  static constexpr field b = field::reduce(Curve::b);
  static constexpr curve_shape shape = a == -field::from_u64(3)   ? curve_shape::a_minus_3
                                       : a.is_zero().declassify() ? curve_shape::a_zero
                                                                  : curve_shape::generic;
  /// Number of scalar bits every constant-time multiplication processes (the full scalar type).
  static constexpr std::size_t scalar_bits = 64 * scalar::limbs;
  static constexpr std::size_t coordinate_bytes = field::bytes;
};

template <class Curve>
struct affine_point {
  using field = typename Curve::base_field;
  field x{};
  field y{};
  ct::choice infinity = ct::choice::no();  ///< the identity has no affine coordinates
};

template <class Curve>
struct jacobian_point {
  using field = typename Curve::base_field;
  field x = field::one();
  field y = field::one();
  field z{};  ///< zero: the identity

  [[nodiscard]] static constexpr jacobian_point select(ct::choice c, const jacobian_point& p,
                                                       const jacobian_point& q) noexcept {
    return {field::select(c, p.x, q.x), field::select(c, p.y, q.y), field::select(c, p.z, q.z)};
  }
};

template <class Curve>
[[nodiscard]] constexpr affine_point<Curve> select(ct::choice c, const affine_point<Curve>& p,
                                                   const affine_point<Curve>& q) noexcept {
  using field = typename Curve::base_field;
  return {field::select(c, p.x, q.x), field::select(c, p.y, q.y),
          ct::choice::from_mask(ct::select(c, p.infinity.mask(), q.infinity.mask()))};
}

template <class Curve>
[[nodiscard]] constexpr jacobian_point<Curve> identity() noexcept {
  return {};
}
template <class Curve>
[[nodiscard]] constexpr affine_point<Curve> identity_affine() noexcept {
  return {{}, {}, ct::choice::yes()};
}
template <class Curve>
[[nodiscard]] constexpr affine_point<Curve> generator() noexcept {
  using field = typename Curve::base_field;
  return {field::from_uint(Curve::generator_x).value(),
          field::from_uint(Curve::generator_y).value(), ct::choice::no()};
}

template <class Curve>
[[nodiscard]] constexpr ct::choice is_identity(const jacobian_point<Curve>& p) noexcept {
  return p.z.is_zero();
}

template <class Curve>
[[nodiscard]] constexpr jacobian_point<Curve> to_jacobian(const affine_point<Curve>& a) noexcept {
  using field = typename Curve::base_field;
  const jacobian_point<Curve> finite{a.x, a.y, field::one()};
  return jacobian_point<Curve>::select(a.infinity, identity<Curve>(), finite);
}

/// y^2 == x^3 + a x + b (the identity counts as on the curve).
template <class Curve>
[[nodiscard]] constexpr ct::choice on_curve(const affine_point<Curve>& p) noexcept {
  using facts = curve_facts<Curve>;
  const auto rhs = (p.x.square() + facts::a) * p.x + facts::b;
  const auto equal = ct::choice::from_mask(
      ct::value_barrier(ct_equal(p.y.square(), rhs).mask()));  // no branch (ct.hpp)
  return equal | p.infinity;
}

template <class Curve>
[[nodiscard]] constexpr affine_point<Curve> negate(const affine_point<Curve>& p) noexcept {
  return {p.x, -p.y, p.infinity};
}
template <class Curve>
[[nodiscard]] constexpr jacobian_point<Curve> negate(const jacobian_point<Curve>& p) noexcept {
  return {p.x, -p.y, p.z};
}

// ---------------------------------------------------------------------------------------------
// Conversion to affine.

namespace detail {
template <class Curve>
[[nodiscard]] constexpr affine_point<Curve> from_z_inverse(
    const jacobian_point<Curve>& p, const typename Curve::base_field& z_inv) noexcept {
  const auto z_inv2 = z_inv.square();
  return {p.x * z_inv2, p.y * z_inv2 * z_inv, is_identity(p)};
}
}  // namespace detail

/// Constant-time conversion (the inversion is constant time: the point may depend on secrets).
template <class Curve>
[[nodiscard]] constexpr affine_point<Curve> to_affine(const jacobian_point<Curve>& p) noexcept {
  auto r = detail::from_z_inverse(p, p.z.inverse());
  // the identity maps to (0, 0, infinity), deterministically
  return select(r.infinity, identity_affine<Curve>(), r);
}

/// For public points only.
template <class Curve>
[[nodiscard]] affine_point<Curve> to_affine_vartime(const jacobian_point<Curve>& p) {
  if (is_identity(p).declassify()) return identity_affine<Curve>();
  return detail::from_z_inverse(p, p.z.inverse_vartime());
}

/// x^-1 (0 maps to 0) for a secret x, as b (x b)^-1 with b uniform in [1, p-1] from `rng`: x b is
/// uniform and independent of x, so the fast variable-time inversion sees nothing of x. (In
/// a valgrind constant-time check, x b is the value to mark as defined.) Several times faster
/// than the constant-time inverse() here. Falls back to inverse() if the source yields no
/// usable b.
template <class F, random_source Rng>
[[nodiscard]] F inverse_blinded(const F& x, Rng& rng) {
  std::array<std::uint8_t, 2 * F::bytes> buf;  // twice the length: reduction bias ~2^-(8 bytes)
  for (int attempt = 0; attempt < 4; ++attempt) {
    rng.GenerateBlock(buf.data(), buf.size());
    F b = F::reduce_bytes(buf);
    ct::wipe(buf.data(), buf.size());
    if (b.is_zero().declassify()) continue;
    const F blinded = x * b;          // public from here on
    ct::mark_public_object(blinded);  // for the constant-time suite (common/ct.hpp)
    F r = blinded.inverse_vartime() * b;
    ct::wipe_object(b);
    return r;
  }
  return x.inverse();
}

/// Affine form of a secret point, through inverse_blinded.
template <class Curve, random_source Rng>
[[nodiscard]] affine_point<Curve> to_affine_blinded(const jacobian_point<Curve>& p, Rng& rng) {
  auto r = detail::from_z_inverse(p, inverse_blinded(p.z, rng));
  return select(r.infinity, identity_affine<Curve>(), r);
}

namespace detail {
/// Montgomery's trick: out[i] = 1/z_i for all i with one inversion; zero z_i give a zero result
/// without disturbing the others (they are replaced by one in the running product).
template <class Curve, bool Vartime>
void batch_to_affine_impl(std::span<const jacobian_point<Curve>> in,
                          std::span<affine_point<Curve>> out) {
  using field = typename Curve::base_field;
  const std::size_t n = in.size() < out.size() ? in.size() : out.size();
  if (n == 0) return;
  std::vector<field> prefix(n);  // prefix[i] = z_0 ... z_i (zeros replaced by one)
  field acc = field::one();
  for (std::size_t i = 0; i < n; ++i) {
    acc = acc * field::select(is_identity(in[i]), field::one(), in[i].z);
    prefix[i] = acc;
  }
  field inv;
  if constexpr (Vartime) {
    inv = acc.inverse_vartime();
  } else {
    inv = acc.inverse();
  }
  for (std::size_t i = n; i-- > 0;) {
    const field z = field::select(is_identity(in[i]), field::one(), in[i].z);
    const field z_inv = i == 0 ? inv : inv * prefix[i - 1];
    inv = inv * z;
    const auto a = from_z_inverse(in[i], z_inv);
    out[i] = select(a.infinity, identity_affine<Curve>(), a);
  }
}
}  // namespace detail

/// Convert many points with one constant-time inversion (out.size() must be >= in.size()).
template <class Curve>
void batch_to_affine(std::span<const jacobian_point<Curve>> in,
                     std::span<affine_point<Curve>> out) {
  detail::batch_to_affine_impl<Curve, false>(in, out);
}
/// The same with a variable-time inversion, for public points.
template <class Curve>
void batch_to_affine_vartime(std::span<const jacobian_point<Curve>> in,
                             std::span<affine_point<Curve>> out) {
  detail::batch_to_affine_impl<Curve, true>(in, out);
}

// ---------------------------------------------------------------------------------------------
// Doubling. Correct for every input: the identity (Z = 0) and points of order two (Y = 0) give
// Z3 = 0.

template <class Curve>
[[nodiscard]] constexpr jacobian_point<Curve> dbl(const jacobian_point<Curve>& p) noexcept {
  using facts = curve_facts<Curve>;
  if constexpr (facts::shape == curve_shape::a_minus_3) {
    // dbl-2004-hmv: 4M + 4S and 10 additions (dbl-2001-b saves a product but needs 16 additions,
    // and with this field an addition costs about half a product)
    const auto zz = p.z.square();
    const auto t = (p.x - zz) * (p.x + zz);
    const auto m = t.dbl() + t;  // 3 (X - Z^2)(X + Z^2)
    const auto y2 = p.y.dbl();
    const auto z3 = y2 * p.z;
    const auto yy4 = y2.square();            // 4 Y^2
    const auto s = yy4 * p.x;                // 4 X Y^2
    const auto yyyy8 = yy4.square().half();  // 8 Y^4
    const auto x3 = m.square() - s.dbl();
    const auto y3 = (s - x3) * m - yyyy8;
    return {x3, y3, z3};
  } else {
    // dbl-2007-bl: 1M + 8S (+ 1M by a when a is neither 0 nor -3)
    const auto xx = p.x.square();
    const auto yy = p.y.square();
    const auto yyyy = yy.square();
    const auto zz = p.z.square();
    const auto s = ((p.x + yy).square() - xx - yyyy).dbl();
    auto m = xx.dbl() + xx;
    if constexpr (facts::shape == curve_shape::generic) m = m + facts::a * zz.square();
    const auto x3 = m.square() - s.dbl();
    const auto y3 = m * (s - x3) - yyyy.dbl().dbl().dbl();
    const auto z3 = (p.y + p.z).square() - yy - zz;
    return {x3, y3, z3};
  }
}

/// Doubling of an affine point into Jacobian form (mdbl-2007-bl: 1M + 5S).
template <class Curve>
[[nodiscard]] constexpr jacobian_point<Curve> dbl(const affine_point<Curve>& p) noexcept {
  using facts = curve_facts<Curve>;
  const auto xx = p.x.square();
  const auto yy = p.y.square();
  const auto yyyy = yy.square();
  const auto s = ((p.x + yy).square() - xx - yyyy).dbl();
  const auto m = xx.dbl() + xx + facts::a;
  const auto t = m.square() - s.dbl();
  const jacobian_point<Curve> r{t, m * (s - t) - yyyy.dbl().dbl().dbl(), p.y.dbl()};
  return jacobian_point<Curve>::select(p.infinity, identity<Curve>(), r);
}

// ---------------------------------------------------------------------------------------------
// Addition.

namespace detail {
/// The Jacobian sum. Also reports whether the inputs had equal x (h == 0) and equal y
/// (r == 0) in the projective sense, which is what the complete wrappers need.
template <class Curve>
struct sum_with_flags {
  jacobian_point<Curve> sum;
  ct::choice same_x;
  ct::choice same_y;
};

template <class Curve>
[[nodiscard]] constexpr sum_with_flags<Curve> add_formula(const jacobian_point<Curve>& p,
                                                          const jacobian_point<Curve>& q) noexcept {
  // add-1998-cmo-2: 12M + 4S and 7 additions
  const auto z1z1 = p.z.square();
  const auto z2z2 = q.z.square();
  const auto u1 = p.x * z2z2;
  const auto u2 = q.x * z1z1;
  const auto s1 = p.y * q.z * z2z2;
  const auto s2 = q.y * p.z * z1z1;
  const auto h = u2 - u1;
  const auto r = s2 - s1;
  const auto hh = h.square();
  const auto hhh = h * hh;
  const auto v = u1 * hh;
  const auto x3 = r.square() - hhh - v.dbl();
  const auto y3 = r * (v - x3) - s1 * hhh;
  const auto z3 = p.z * q.z * h;
  return {{x3, y3, z3}, h.is_zero(), r.is_zero()};
}

/// madd-2004-hmv (8M + 3S, 7 additions): q affine and finite.
template <class Curve>
[[nodiscard]] constexpr sum_with_flags<Curve> add_mixed_formula(
    const jacobian_point<Curve>& p, const affine_point<Curve>& q) noexcept {
  const auto z1z1 = p.z.square();
  const auto h = z1z1 * q.x - p.x;        // U2 - X1
  const auto r = z1z1 * p.z * q.y - p.y;  // S2 - Y1
  const auto z3 = p.z * h;
  const auto hh = h.square();
  const auto hhh = hh * h;
  const auto v = hh * p.x;
  const auto x3 = r.square() - v.dbl() - hhh;
  const auto y3 = (v - x3) * r - hhh * p.y;
  return {{x3, y3, z3}, h.is_zero(), r.is_zero()};
}
}  // namespace detail

/// P + Q for any inputs, constant time. The doubling case is computed every time and selected.
template <class Curve>
[[nodiscard]] constexpr jacobian_point<Curve> add(const jacobian_point<Curve>& p,
                                                  const jacobian_point<Curve>& q) noexcept {
  using J = jacobian_point<Curve>;
  const auto f = detail::add_formula(p, q);
  // h == 0 and r == 0 with both inputs finite: P == Q. (h == 0 alone: P == -Q, and z3 = 0.)
  J r = J::select(f.same_x & f.same_y, dbl(p), f.sum);
  r = J::select(is_identity(p), q, r);
  r = J::select(is_identity(q), p, r);
  return r;
}

/// P + Q with Q affine, for any inputs, constant time.
template <class Curve>
[[nodiscard]] constexpr jacobian_point<Curve> add(const jacobian_point<Curve>& p,
                                                  const affine_point<Curve>& q) noexcept {
  using J = jacobian_point<Curve>;
  using field = typename Curve::base_field;
  const auto f = detail::add_mixed_formula(p, q);
  J r = J::select(f.same_x & f.same_y, dbl(q), f.sum);
  r = J::select(is_identity(p), J{q.x, q.y, field::one()}, r);
  r = J::select(q.infinity, p, r);
  return r;
}

/// P + Q with Q affine, constant time, for callers that know P != Q unless one of them is the
/// identity (P = -Q and the identity are handled; P = Q would wrongly give the identity). The
/// fixed-base tables use it where they can prove the case impossible; it saves the doubling.
template <class Curve>
[[nodiscard]] constexpr jacobian_point<Curve> add_not_equal(const jacobian_point<Curve>& p,
                                                            const affine_point<Curve>& q) noexcept {
  using J = jacobian_point<Curve>;
  using field = typename Curve::base_field;
  J r = detail::add_mixed_formula(p, q).sum;
  r = J::select(is_identity(p), J{q.x, q.y, field::one()}, r);
  r = J::select(q.infinity, p, r);
  return r;
}

/// P + Q for public points: branches on the special cases.
template <class Curve>
[[nodiscard]] constexpr jacobian_point<Curve> add_vartime(const jacobian_point<Curve>& p,
                                                          const jacobian_point<Curve>& q) noexcept {
  if (is_identity(p).declassify()) return q;
  if (is_identity(q).declassify()) return p;
  const auto f = detail::add_formula(p, q);
  if (f.same_x.declassify()) return f.same_y.declassify() ? dbl(p) : identity<Curve>();
  return f.sum;
}
template <class Curve>
[[nodiscard]] constexpr jacobian_point<Curve> add_vartime(const jacobian_point<Curve>& p,
                                                          const affine_point<Curve>& q) noexcept {
  using field = typename Curve::base_field;
  if (q.infinity.declassify()) return p;
  if (is_identity(p).declassify()) return {q.x, q.y, field::one()};
  const auto f = detail::add_mixed_formula(p, q);
  if (f.same_x.declassify()) return f.same_y.declassify() ? dbl(q) : identity<Curve>();
  return f.sum;
}

/// P == Q as points (any representatives), constant time.
template <class Curve>
[[nodiscard]] constexpr ct::choice ct_equal(const jacobian_point<Curve>& p,
                                            const jacobian_point<Curve>& q) noexcept {
  const auto z1z1 = p.z.square();
  const auto z2z2 = q.z.square();
  const ct::choice same_x = ct_equal(p.x * z2z2, q.x * z1z1);
  const ct::choice same_y = ct_equal(p.y * z2z2 * q.z, q.y * z1z1 * p.z);
  const ct::choice p_inf = is_identity(p), q_inf = is_identity(q);
  const ct::choice both_finite = (!p_inf) & (!q_inf);
  return (p_inf & q_inf) | (both_finite & same_x & same_y);
}
template <class Curve>
[[nodiscard]] constexpr ct::choice ct_equal(const affine_point<Curve>& p,
                                            const affine_point<Curve>& q) noexcept {
  const ct::choice both_finite = (!p.infinity) & (!q.infinity);
  return (p.infinity & q.infinity) | (both_finite & ct_equal(p.x, q.x) & ct_equal(p.y, q.y));
}

/// Whether P is finite with affine x equal to `x`, without an inversion (X == x Z^2). Public use.
template <class Curve>
[[nodiscard]] constexpr bool affine_equal_x(const jacobian_point<Curve>& p,
                                            const typename Curve::base_field& x) noexcept {
  if (is_identity(p).declassify()) return false;
  return ct_equal(p.x, x * p.z.square()).declassify();
}

}  // namespace skm::ec
