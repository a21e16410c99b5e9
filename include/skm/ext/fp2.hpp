// SPDX-License-Identifier: BSD-3-Clause
// F_p^2 = F_p[i]/(i^2 + 1) (RFC 6508 §2.1; p = 3 mod 4 makes -1 a non-square, so this is a field),
// and PF_p = (F_p^2)* / (F_p)*, the projective line in which RFC 6508's pairing takes values.
#pragma once

#include <cstddef>
#include <cstdint>

#include "skm/common/ct.hpp"
#include "skm/field/fp.hpp"

namespace skm {

/// a + b i with i^2 = -1.
template <class Fp>
struct fp2 {
  static_assert(Fp::p_is_3_mod_4,
                "F_p[i]/(i^2+1) is a field only when -1 is a non-square, i.e. p = 3 mod 4");
  using base_field = Fp;

  Fp re;  ///< a, the coefficient of 1
  Fp im;  ///< b, the coefficient of i

  [[nodiscard]] static constexpr fp2 zero() noexcept { return {}; }
  [[nodiscard]] static constexpr fp2 one() noexcept { return {Fp::one(), Fp()}; }

  [[nodiscard]] friend constexpr fp2 operator+(const fp2& x, const fp2& y) noexcept {
    return {x.re + y.re, x.im + y.im};
  }
  [[nodiscard]] friend constexpr fp2 operator-(const fp2& x, const fp2& y) noexcept {
    return {x.re - y.re, x.im - y.im};
  }
  [[nodiscard]] constexpr fp2 operator-() const noexcept { return {-re, -im}; }

  /// Karatsuba: three base-field products.
  [[nodiscard]] friend constexpr fp2 operator*(const fp2& x, const fp2& y) noexcept {
    const Fp ac = x.re * y.re;
    const Fp bd = x.im * y.im;
    const Fp cross = (x.re + x.im) * (y.re + y.im);
    return {ac - bd, cross - ac - bd};
  }
  [[nodiscard]] friend constexpr fp2 operator*(const fp2& x, const Fp& k) noexcept {
    return {x.re * k, x.im * k};
  }
  constexpr fp2& operator*=(const fp2& y) noexcept { return *this = *this * y; }

  /// (a + bi)^2 = (a+b)(a-b) + 2ab i: two base-field products.
  [[nodiscard]] constexpr fp2 square() const noexcept {
    const Fp ab = re * im;
    return {(re + im) * (re - im), ab + ab};
  }
  [[nodiscard]] constexpr fp2 conjugate() const noexcept { return {re, -im}; }
  /// a^2 + b^2, the norm to F_p.
  [[nodiscard]] constexpr Fp norm() const noexcept { return re.square() + im.square(); }
  /// Constant-time inverse through the norm (0 maps to 0).
  [[nodiscard]] constexpr fp2 inverse() const noexcept {
    const Fp n_inv = norm().inverse();
    return {re * n_inv, -(im * n_inv)};
  }

  /// x^e for a public exponent (x may be secret), square-and-multiply over e's bits.
  template <std::size_t M>
  [[nodiscard]] constexpr fp2 pow_public(const uint<M>& e) const noexcept {
    fp2 r = one();
    for (std::size_t i = e.bit_length_vartime(); i-- > 0;) {
      r = r.square();
      if (e.bit(i)) r *= *this;
    }
    return r;
  }

  [[nodiscard]] constexpr ct::choice is_zero() const noexcept {
    return re.is_zero() & im.is_zero();
  }
  [[nodiscard]] friend constexpr ct::choice ct_equal(const fp2& x, const fp2& y) noexcept {
    return ct_equal(x.re, y.re) & ct_equal(x.im, y.im);
  }
  [[nodiscard]] friend constexpr bool operator==(const fp2& x, const fp2& y) noexcept {
    return ct_equal(x, y).declassify();
  }
  [[nodiscard]] static constexpr fp2 select(ct::choice c, const fp2& x, const fp2& y) noexcept {
    return {Fp::select(c, x.re, y.re), Fp::select(c, x.im, y.im)};
  }
};

/// An element of PF_p: a non-zero a + b i up to a non-zero F_p factor, written (a : b).
/// RFC 6508 §2.1 represents it by the single F_p value b/a; products and squares need no
/// inversion, so the pairing stays in this form until its final step.
template <class Fp>
class pfp {
 public:
  using base_field = Fp;

  constexpr pfp() noexcept : v_(fp2<Fp>::one()) {}  // the identity (1 : 0)
  constexpr explicit pfp(const fp2<Fp>& v) noexcept : v_(v) {}

  /// The element whose canonical representative is x: (1 : x).
  [[nodiscard]] static constexpr pfp from_canonical(const Fp& x) noexcept {
    return pfp(fp2<Fp>{Fp::one(), x});
  }

  [[nodiscard]] constexpr const fp2<Fp>& value() const noexcept { return v_; }

  [[nodiscard]] friend constexpr pfp operator*(const pfp& x, const pfp& y) noexcept {
    return pfp(x.v_ * y.v_);
  }
  constexpr pfp& operator*=(const pfp& y) noexcept { return *this = *this * y; }
  [[nodiscard]] constexpr pfp square() const noexcept { return pfp(v_.square()); }
  /// The inverse of (a : b) is (a : -b), since (a+bi)(a-bi) is in F_p.
  [[nodiscard]] constexpr pfp inverse() const noexcept { return pfp(v_.conjugate()); }

  /// The canonical F_p representative b/a (constant time). Every element of order dividing the
  /// odd q has a != 0; for the one element with a = 0, (0 : 1) of order 2, this returns 0.
  [[nodiscard]] constexpr Fp canonical() const noexcept { return v_.im * v_.re.inverse(); }

  /// Whether this is the degenerate (0 : 0), which is no element of PF_p (a pairing computation
  /// that went wrong can produce it).
  [[nodiscard]] constexpr ct::choice is_degenerate() const noexcept {
    return v_.re.is_zero() & v_.im.is_zero();
  }

  /// (a : b) == (c : d)  <=>  a d == b c, for two proper elements; the degenerate (0 : 0), for
  /// which the cross products always agree, equals only itself.
  [[nodiscard]] friend constexpr ct::choice ct_equal(const pfp& x, const pfp& y) noexcept {
    const ct::choice x0 = x.is_degenerate(), y0 = y.is_degenerate();
    return (x0 & y0) | ((!x0) & (!y0) & ct_equal(x.v_.re * y.v_.im, x.v_.im * y.v_.re));
  }
  [[nodiscard]] friend constexpr bool operator==(const pfp& x, const pfp& y) noexcept {
    return ct_equal(x, y).declassify();
  }

 private:
  fp2<Fp> v_;
};

}  // namespace skm
