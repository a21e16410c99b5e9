// SPDX-License-Identifier: BSD-3-Clause
// The RFC 6508 §3.2 pairing <R, Q> = f_R([i]Q)^c / (F_p)*, c = (p+1)/q, on the supersingular
// curve y^2 = x^3 - 3x over F_p (p = 3 mod 4) with the distortion map [i](x, y) = (-x, i y).
//
// How this differs from the RFC's affine pseudocode (which the tests keep as an oracle):
//   * C runs in Jacobian coordinates (x = X/Z^2, y = Y/Z^3) and every line is multiplied by an
//     F_p factor that clears its denominators. PF_p = (F_p^2)*/(F_p)* ignores F_p factors, so no
//     inversion happens inside the loop; vertical lines (Barreto's trick) are F_p values too.
//   * The loop walks signed digits of q - 1, recoded at compile time: width-6 windows here
//     (144 additions for parameter set 1, with [k]R and f_k precomputed for odd k < 32), plain
//     NAF for the line table (352 additions of 4 multiplications each, where the precomputed
//     f_k would cost more than they save). A digit -k adds -[k]R and multiplies by 1/f_k =
//     conj(f_k) in PF_p; vertical lines are F_p factors.
//   * The final exponentiation is t = v^c in F_p^2 (c = 4 for parameter set 1: two squarings)
//     and the canonical representative b/a of t = a + ib, with one constant-time inversion.
//
// Both points are passed as affine coordinates (pairs of base-field elements), so this layer
// does not depend on any point type. The operation sequence depends only on q, never on the
// points: the first argument may be a secret (an RSK) driving the loop.
//
// Where the points are not in E(F_p)[q] (a hostile input), nothing here fails or branches: the
// result is just some element of PF_p (possibly the degenerate (0 : 0), whose canonical value is
// 0). Protocols must not rely on the pairing to validate points; SAKKE's TEST comparison does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "skm/bigint/uint.hpp"
#include "skm/ext/fp2.hpp"
#include "skm/field/fp.hpp"
#include "skm/pairing/recoding.hpp"

namespace skm::pairing {

/// An affine point (x, y) of E(F_p), as its two coordinates.
template <class Fp>
struct affine {
  Fp x;
  Fp y;
  [[nodiscard]] constexpr affine negate() const noexcept { return {x, -y}; }
};

/// Compile-time facts the pairing needs from curve traits, checked once.
template <class Curve>
struct pairing_params {
  using Fp = typename Curve::base_field;
  using uint_type = typename Fp::uint_type;

  static_assert(Fp::p_is_3_mod_4, "RFC 6508 pairing: p must be 3 mod 4 (F_p^2 = F_p[i])");
  static_assert(Curve::a == Curve::p - 3, "RFC 6508 pairing: the curve must be y^2 = x^3 - 3x");
  static_assert(Curve::b.is_zero().declassify(),
                "RFC 6508 pairing: the curve must be y^2 = x^3 - 3x");

  static constexpr auto q = Curve::q.template resize<uint_type::limbs>();
  static constexpr std::size_t q_bits = q.bit_length_vartime();
  static_assert((q.limb[0] & 1) == 1 && q_bits > 2, "q must be an odd prime");

  /// c = (p+1)/q, the final exponent in PF_p.
  static constexpr auto p_plus_1_by_q = divmod_vartime(Curve::p + 1, q);
  static_assert(p_plus_1_by_q.remainder.is_zero().declassify(), "q must divide p + 1");
  static constexpr auto cofactor_exponent = p_plus_1_by_q.quotient;

  /// The NAF of q - 1: the Miller loop's schedule.
  static constexpr std::size_t max_digits = q_bits + 1;
  static constexpr signed_digits<max_digits> schedule = wnaf_recode<max_digits>(q - 1, 2);
  static_assert(wnaf_value<uint_type::limbs>(schedule) == q - 1,
                "the recoding must reproduce q - 1");
  static_assert(schedule.digit[schedule.length - 1] == 1);

  static constexpr std::size_t doublings = schedule.length - 1;
  static constexpr std::size_t additions = schedule.nonzero - 1;

  /// The loop without a table uses wider signed windows: digits odd in (-2^(W-1), 2^(W-1)),
  /// with [k]R and f_k([i]Q) precomputed for the odd k (about lg(q)/(W+1) additions).
  static constexpr unsigned cold_window = 6;
  static constexpr signed_digits<max_digits> cold_schedule =
      wnaf_recode<max_digits>(q - 1, cold_window);
  static_assert(wnaf_value<uint_type::limbs>(cold_schedule) == q - 1,
                "the recoding must reproduce q - 1");
  static constexpr std::size_t cold_doublings = cold_schedule.length - 1;
  static constexpr std::size_t cold_additions = cold_schedule.nonzero - 1;
};

/// The Miller-loop steps on the driving point, in Jacobian coordinates. Each returns the line
/// through the step's points evaluated at [i]Q, times an F_p factor, as a + ib.
template <class Fp>
struct miller_steps {
  struct jacobian {
    Fp X, Y, Z;
  };

  /// Tangent at C (a = -3), and C <- [2]C.
  ///   M = 3(X - Z^2)(X + Z^2), S = 4XY^2, X' = M^2 - 2S, Y' = M(S - X') - 8Y^4, Z' = 2YZ
  ///   line * Z' Z^2 = M (Qx Z^2 + X) - 2Y^2  +  i Qy Z' Z^2
  /// The factored form (lambda_num, c_num, den) with line = (lambda_num Qx + c_num)/den + i Qy
  /// is also returned for the line table: lambda_num = M Z^2, c_num = M X - 2Y^2, den = Z' Z^2.
  struct doubling {
    Fp m, zz, yy2, x_old, den;
  };
  [[nodiscard]] static constexpr doubling double_point(jacobian& C) noexcept {
    const Fp zz = C.Z.square();
    const Fp yy = C.Y.square();
    const Fp t = (C.X - zz) * (C.X + zz);
    const Fp m = t.dbl() + t;
    const Fp s = (C.X * yy).dbl().dbl();
    const Fp x3 = m.square() - s.dbl();
    const Fp y3 = m * (s - x3) - yy.square().dbl().dbl().dbl();
    const Fp z3 = (C.Y * C.Z).dbl();
    doubling d{m, zz, yy.dbl(), C.X, z3 * zz};
    C = {x3, y3, z3};
    return d;
  }

  /// Chord through C and A (affine), and C <- C + A. C != +-A is assumed (true throughout the
  /// loop for points of order q).
  ///   U = Ax Z^2, S = Ay Z^3, H = U - X, r = S - Y, Z' = Z H, X' = r^2 - H^3 - 2 X H^2,
  ///   Y' = r (X H^2 - X') - Y H^3;  line * Z' = r (Qx + Ax) - Z' Ay  +  i Qy Z'
  /// Factored: lambda_num = r, c_num = r Ax - Z' Ay, den = Z'.
  struct addition {
    Fp r, den;
  };
  [[nodiscard]] static constexpr addition add_point(jacobian& C, const affine<Fp>& A) noexcept {
    const Fp zz = C.Z.square();
    const Fp u = A.x * zz;
    const Fp s = A.y * (C.Z * zz);
    const Fp h = u - C.X;
    const Fp r = s - C.Y;
    const Fp z3 = C.Z * h;
    const Fp hh = h.square();
    const Fp hhh = h * hh;
    const Fp v = C.X * hh;
    const Fp x3 = r.square() - hhh - v.dbl();
    const Fp y3 = r * (v - x3) - C.Y * hhh;
    C = {x3, y3, z3};
    return {r, z3};
  }

  /// C <- C + B for a fixed Jacobian B whose Z^2 and Z^3 are kept (the odd-multiples chain).
  ///   U1 = X Zb^2, U2 = Xb Z^2, S1 = Y Zb^3, S2 = Yb Z^3, H = U2 - U1, r = S2 - S1,
  ///   X' = r^2 - H^3 - 2 U1 H^2, Y' = r (U1 H^2 - X') - S1 H^3, Z' = Z Zb H
  ///   line through B * Z' Zb^3 = r Zb (Qx Zb^2 + Xb) - Z' Yb  +  i (Qy Zb^3) Z'
  struct fixed_point {
    Fp X, Y, Z, zz, zzz;
  };
  [[nodiscard]] static constexpr addition add_jacobian(jacobian& C, const fixed_point& B) noexcept {
    const Fp z1z1 = C.Z.square();
    const Fp u1 = C.X * B.zz;
    const Fp u2 = B.X * z1z1;
    const Fp s1 = C.Y * B.zzz;
    const Fp s2 = B.Y * (C.Z * z1z1);
    const Fp h = u2 - u1;
    const Fp r = s2 - s1;
    const Fp hh = h.square();
    const Fp hhh = h * hh;
    const Fp v = u1 * hh;
    const Fp x3 = r.square() - hhh - v.dbl();
    const Fp y3 = r * (v - x3) - s1 * hhh;
    const Fp z3 = C.Z * B.Z * h;
    C = {x3, y3, z3};
    return {r, z3};
  }

  /// Whether the loop ended where it must: after the digits of q - 1, C = [q-1]A = -A exactly
  /// when [q]A = O. An exceptional case on the way (A of small order) leaves Z = 0 for good,
  /// so Z != 0 is part of the test. Constant time; costs 4 products.
  [[nodiscard]] static constexpr ct::choice ends_at_minus(const jacobian& C,
                                                          const affine<Fp>& A) noexcept {
    const Fp zz = C.Z.square();
    return (!C.Z.is_zero()) & ct_equal(C.X, A.x * zz) & ct_equal(C.Y, -(A.y * (zz * C.Z)));
  }
};

/// The pairing for curve traits `Curve` (see the file comment).
template <class Curve>
class tate {
 public:
  using params = pairing_params<Curve>;
  using Fp = typename Curve::base_field;
  using gt = pfp<Fp>;
  using point = affine<Fp>;

  struct checked_value {
    gt value;
    ct::choice
        driver_has_order_q;  ///< [q]R = O (for R on the curve): the free by-product of the loop
  };

  /// f_R([i]Q) in PF_p, before the final exponentiation. R drives the loop.
  [[nodiscard]] static constexpr gt miller_loop(const point& R, const point& Q) noexcept {
    return miller_loop_checked(R, Q).value;
  }

  /// The Miller loop, also reporting whether R has order q (see miller_steps::ends_at_minus).
  ///
  /// Signed windows of width W = params::cold_window over q - 1. Precomputation: the tangent at
  /// R gives [2]R and f_2; the chain [k+2]R = [k]R + [2]R (Jacobian, [2]R's Z^2, Z^3 kept) gives
  /// the odd multiples with f_(k+2) = f_k f_2 l_([k]R,[2]R); one constant-time inversion turns
  /// the multiples affine for the mixed additions of the loop. A digit d > 0 then multiplies by
  /// f_d and the chord through C and [d]R; d < 0 by conj(f_|d|) (= 1/f_|d| in PF_p; the
  /// vertical line is an F_p factor) and the chord through C and -[|d|]R.
  [[nodiscard]] static constexpr checked_value miller_loop_checked(const point& R,
                                                                   const point& Q) noexcept {
    using steps = miller_steps<Fp>;
    using jacobian = typename steps::jacobian;
    constexpr std::size_t n = std::size_t{1}
                              << (params::cold_window - 2);  // [1]R, [3]R, ... [2^(W-1) - 1]R
    constexpr auto& digits = params::cold_schedule;

    // [2]R and f_2 (the tangent at R)
    jacobian two{R.x, R.y, Fp::one()};
    const auto t = steps::double_point(two);
    const fp2<Fp> f2{t.m * (Q.x * t.zz + t.x_old) - t.yy2, t.den * Q.y};
    const Fp two_zz = two.Z.square();
    const typename steps::fixed_point B{two.X, two.Y, two.Z, two_zz, two_zz * two.Z};
    const Fp b_t = B.Z * (Q.x * B.zz + B.X);  // Zb (Qx Zb^2 + Xb)
    const Fp b_qy = Q.y * B.zzz;              // Qy Zb^3

    std::array<jacobian, n> chain;
    std::array<fp2<Fp>, n> f;
    chain[0] = {R.x, R.y, Fp::one()};
    f[0] = fp2<Fp>::one();
    for (std::size_t j = 1; j < n; ++j) {
      jacobian C = chain[j - 1];
      const auto a = steps::add_jacobian(C, B);
      f[j] = f[j - 1] * f2 * fp2<Fp>{a.r * b_t - a.den * B.Y, b_qy * a.den};
      chain[j] = C;
    }
    // affine odd multiples, one inversion (chain[0] = R is affine already)
    std::array<point, n> odd;
    odd[0] = R;
    std::array<Fp, n> prefix;
    prefix[0] = Fp::one();
    for (std::size_t j = 1; j < n; ++j) prefix[j] = prefix[j - 1] * chain[j].Z;
    Fp inv = prefix[n - 1].inverse();
    for (std::size_t j = n; j-- > 1;) {
      const Fp z_inv = inv * prefix[j - 1];
      inv = inv * chain[j].Z;
      const Fp zz_inv = z_inv.square();
      odd[j] = {chain[j].X * zz_inv, chain[j].Y * zz_inv * z_inv};
    }

    // the loop, from the top digit (odd, positive)
    const std::size_t top = static_cast<std::size_t>(digits.digit[digits.length - 1]);
    jacobian C{odd[top / 2].x, odd[top / 2].y, Fp::one()};
    fp2<Fp> v = f[top / 2];
    for (std::size_t i = digits.length - 1; i-- > 0;) {
      const auto d = steps::double_point(C);
      // M (Qx Z^2 + X) - 2Y^2 + i Qy Z' Z^2
      v = v.square() * fp2<Fp>{d.m * (Q.x * d.zz + d.x_old) - d.yy2, d.den * Q.y};
      const std::int8_t digit = digits.digit[i];  // public: a digit of q - 1
      if (digit != 0) {
        const std::size_t k = static_cast<std::size_t>(digit > 0 ? digit : -digit) / 2;
        const point A = digit > 0 ? odd[k] : odd[k].negate();
        const auto a = steps::add_point(C, A);
        // r (Qx + Ax) - Z' Ay + i Qy Z', times f_d
        v *= fp2<Fp>{a.r * (Q.x + A.x) - a.den * A.y, a.den * Q.y};
        v *= digit > 0 ? f[k] : f[k].conjugate();
      }
    }
    const ct::choice order_q = steps::ends_at_minus(C, R);
    ct::wipe_object(C);
    ct::wipe_object(two);
    ct::wipe_object(chain);
    ct::wipe_object(odd);
    ct::wipe_object(f);
    ct::wipe_object(inv);
    return {gt(v), order_q};
  }

  /// t = v^c, then its canonical F_p representative b/a (constant time).
  [[nodiscard]] static constexpr Fp final_exponentiation(const gt& v) noexcept {
    return gt(v.value().pow_public(params::cofactor_exponent)).canonical();
  }
  /// t = v^c as an element of PF_p (no inversion), e.g. to compare pairings projectively.
  [[nodiscard]] static constexpr gt final_power(const gt& v) noexcept {
    return gt(v.value().pow_public(params::cofactor_exponent));
  }

  /// <R, Q> as its canonical F_p value.
  [[nodiscard]] static constexpr Fp pair(const point& R, const point& Q) noexcept {
    return final_exponentiation(miller_loop(R, Q));
  }
};

}  // namespace skm::pairing
