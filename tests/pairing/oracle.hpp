// SPDX-License-Identifier: BSD-3-Clause
// Test-only, obviously-correct references: affine point arithmetic with one (variable-time)
// inversion per operation, and the RFC 6508 §3.2 pairing transcribed line by line from the
// RFC's pseudocode (binary expansion of q - 1, affine C, explicit F_p^2 products). Slow and
// not constant time; it exists only to check the fast code against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>

#include "skm/bigint/uint.hpp"
#include "skm/pairing/tate.hpp"

namespace skm_test {

/// A deterministic random source for reproducible tests (not for keys).
struct test_rng {
  std::mt19937_64 engine;
  explicit test_rng(std::uint64_t seed) : engine(seed) {}
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(engine());
  }
};

template <class Curve>
struct oracle {
  using Fp = typename Curve::base_field;
  using point = skm::pairing::affine<Fp>;
  using maybe_point = std::optional<point>;  // nullopt = the point at infinity
  using uint_type = typename Fp::uint_type;

  static Fp three() { return Fp::from_u64(3); }

  static bool on_curve(const point& A) {
    return A.y.square() == A.x.square() * A.x - three() * A.x;
  }

  static maybe_point add(const maybe_point& A, const maybe_point& B) {
    if (!A) return B;
    if (!B) return A;
    Fp l;
    if (A->x == B->x) {
      if ((A->y + B->y).is_zero().declassify()) return std::nullopt;
      l = three() * (A->x.square() - Fp::one()) * A->y.dbl().inverse_vartime();
    } else {
      l = (B->y - A->y) * (B->x - A->x).inverse_vartime();
    }
    const Fp x = l.square() - A->x - B->x;
    return point{x, l * (A->x - x) - A->y};
  }

  template <std::size_t N>
  static maybe_point mul(const skm::uint<N>& k, const maybe_point& A) {
    maybe_point r;
    for (std::size_t i = k.bit_length_vartime(); i-- > 0;) {
      r = add(r, r);
      if (k.bit(i)) r = add(r, A);
    }
    return r;
  }

  static point generator() {
    return {Fp::from_uint(Curve::generator_x).value(), Fp::from_uint(Curve::generator_y).value()};
  }

  /// A random point of E(F_p)[q]: a random point of E(F_p) times the cofactor.
  template <class Rng>
  static point random_point(Rng& rng) {
    for (;;) {
      const Fp x = Fp::random(rng);
      const auto y = (x.square() * x - three() * x).sqrt_vartime();
      if (!y || y->is_zero().declassify()) continue;
      const auto Q = mul(uint_type::from_u64(Curve::cofactor), maybe_point(point{x, *y}));
      if (Q) return *Q;
    }
  }

  /// A random scalar in [1, q).
  template <class Rng>
  static uint_type random_scalar(Rng& rng) {
    using Fq = typename Curve::scalar_field;
    for (;;) {
      const auto k = Fq::random(rng).to_uint();
      if (!k.is_zero().declassify()) return k.template resize<uint_type::limbs>();
    }
  }

  // F_p^2 elements as explicit pairs (a, b) = a + ib.
  struct f2 {
    Fp a, b;
  };
  static f2 f2mul(const f2& u, const f2& v) {
    return {u.a * v.a - u.b * v.b, u.a * v.b + u.b * v.a};
  }

  /// RFC 6508 §3.2, "Routine for computing the pairing <R,Q>", verbatim in affine coordinates.
  static Fp pair(const point& R, const point& Q) {
    const auto q = Curve::q.template resize<uint_type::limbs>();
    const auto q_minus_1 = q - 1;
    f2 v{Fp::one(), Fp()};  // v = (F_p)*
    point C = R;
    const auto c = skm::divmod_vartime(Curve::p + 1, q).quotient;  // c = (p+1)/q
    for (std::size_t i = q_minus_1.bit_length_vartime() - 1; i-- > 0;) {
      // gradient of line through C, C, [-2]C
      Fp l = three() * (C.x.square() - Fp::one()) * C.y.dbl().inverse_vartime();
      // accumulate line evaluated at [i]Q into v
      v = f2mul(f2mul(v, v), f2{l * (Q.x + C.x) - C.y, Q.y});
      C = *add(C, C);
      if (q_minus_1.bit(i)) {
        // gradient of line through C, R, -C-R
        l = (C.y - R.y) * (C.x - R.x).inverse_vartime();
        v = f2mul(v, f2{l * (Q.x + C.x) - C.y, Q.y});
        C = *add(C, R);
      }
    }
    f2 t{Fp::one(), Fp()};  // t = v^c
    for (std::size_t i = c.bit_length_vartime(); i-- > 0;) {
      t = f2mul(t, t);
      if (c.bit(i)) t = f2mul(t, v);
    }
    return t.b * t.a.inverse_vartime();  // representative in F_p of t
  }

  /// x^e in PF_p for x given by its canonical value (square and multiply on (1 : x)).
  template <std::size_t N>
  static Fp pf_pow(const Fp& x, const skm::uint<N>& e) {
    f2 t{Fp::one(), Fp()};
    const f2 base{Fp::one(), x};
    for (std::size_t i = e.bit_length_vartime(); i-- > 0;) {
      t = f2mul(t, t);
      if (e.bit(i)) t = f2mul(t, base);
    }
    return t.b * t.a.inverse_vartime();
  }
};

}  // namespace skm_test
