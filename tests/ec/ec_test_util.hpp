// SPDX-License-Identifier: BSD-3-Clause
// Helpers shared by the ec tests: seeded random scalars and a slow affine reference
// implementation (textbook chord-and-tangent with an inversion per step) used as an oracle.
#pragma once

#include <cstdint>
#include <optional>
#include <random>

#include "skm/bigint/uint.hpp"
#include "skm/ec/ec.hpp"

namespace skm::test {

template <std::size_t N>
uint<N> random_uint(std::mt19937_64& rng) {
  uint<N> r;
  for (auto& l : r.limb) l = rng();
  return r;
}

/// Uniform-ish below m (reduction of a full-width value; the tiny bias does not matter here).
template <std::size_t N>
uint<N> random_below(std::mt19937_64& rng, const uint<N>& m) {
  return mod_vartime(random_uint<N>(rng), m);
}

/// The textbook affine group law; std::nullopt is the identity.
template <class Curve>
struct affine_reference {
  using field = typename Curve::base_field;
  struct pt {
    field x, y;
  };
  using point = std::optional<pt>;

  static point from(const ec::affine_point<Curve>& p) {
    if (p.infinity.declassify()) return std::nullopt;
    return pt{p.x, p.y};
  }
  static point add(const point& p, const point& q) {
    if (!p) return q;
    if (!q) return p;
    field lambda;
    if (p->x == q->x) {
      if (!(p->y == q->y) || p->y.is_zero().declassify()) return std::nullopt;  // P = -Q
      const field three = field::from_u64(3);
      lambda = (three * p->x.square() + ec::curve_facts<Curve>::a) * (p->y.dbl()).inverse_vartime();
    } else {
      lambda = (q->y - p->y) * (q->x - p->x).inverse_vartime();
    }
    const field x3 = lambda.square() - p->x - q->x;
    return pt{x3, lambda * (p->x - x3) - p->y};
  }
  template <std::size_t M>
  static point mul(const point& p, const uint<M>& k) {
    point acc;
    for (std::size_t i = k.bit_length_vartime(); i-- > 0;) {
      acc = add(acc, acc);
      if (k.bit(i)) acc = add(acc, p);
    }
    return acc;
  }
  /// Same point? (the reference against an skm Jacobian result)
  static bool same(const point& r, const ec::jacobian_point<Curve>& j) {
    const auto a = ec::to_affine_vartime(j);
    if (!r) return a.infinity.declassify();
    return !a.infinity.declassify() && a.x == r->x && a.y == r->y;
  }
};

}  // namespace skm::test
