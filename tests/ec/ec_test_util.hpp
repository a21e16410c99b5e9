// SPDX-License-Identifier: BSD-3-Clause
// Helpers shared by the ec tests: seeded random scalars and a slow affine reference
// implementation (textbook chord-and-tangent with an inversion per step) used as an oracle.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <random>
#include <vector>

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

/// mul_batch_affine against mul() one scalar at a time and against mul_batch, for batches of
/// `sizes` scalars drawn from edge values (0, 1, 2, q - 1, q - 2, powers of two that leave whole
/// windows of zero digits, a scalar repeated in the batch) and random ones. Returns the number of
/// products compared.
template <class Curve, unsigned W, class Rng>
std::size_t check_mul_batch_affine(const ec::fixed_base_table<Curve, W>& table,
                                   std::mt19937_64& rng, Rng& blinding,
                                   std::initializer_list<std::size_t> sizes) {
  using scalar = typename ec::curve_facts<Curve>::scalar;
  // a power of two whose digits are zero below window 5, and the scalar one below it
  const scalar low_windows = scalar::from_u64(1) << (5 * W);
  const std::vector<scalar> edges{scalar{},       scalar::from_u64(1), scalar::from_u64(2),
                                  Curve::q - 1,   Curve::q - 2,        low_windows,
                                  low_windows - 1};
  std::size_t compared = 0;
  for (const std::size_t n : sizes) {
    std::vector<scalar> ks;
    for (std::size_t j = 0; j < n; ++j)
      ks.push_back(j < edges.size() && n > 2 ? edges[j] : random_below(rng, Curve::q));
    if (n >= 3) ks[n - 1] = ks[n / 2];  // the same scalar twice in one batch
    std::vector<ec::jacobian_point<Curve>> batched(n), affine_batched(n);
    table.mul_batch(ks, batched);
    table.mul_batch_affine(ks, affine_batched, blinding);
    for (std::size_t j = 0; j < n; ++j) {
      const auto want = ec::to_affine_vartime(table.mul(ks[j]));
      const auto got = ec::to_affine_vartime(affine_batched[j]);
      const auto other = ec::to_affine_vartime(batched[j]);
      INFO("batch of " << n << ", scalar " << j);
      REQUIRE(ec::ct_equal(got, want).declassify());
      REQUIRE(ec::ct_equal(other, want).declassify());
      ++compared;
    }
  }
  return compared;
}

}  // namespace skm::test
