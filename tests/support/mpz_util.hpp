// SPDX-License-Identifier: BSD-3-Clause
// Test support: conversions between skm::uint and GMP's mpz_class (the reference arithmetic),
// and a seeded generator of interesting operands.
#pragma once

#include <gmpxx.h>

#include <cstdint>
#include <random>
#include <vector>

#include "skm/bigint/uint.hpp"

namespace skm::test {

template <std::size_t N>
mpz_class to_mpz(const uint<N>& v) {
  mpz_class r;
  mpz_import(r.get_mpz_t(), N, -1, sizeof(limb_t), 0, 0, v.limb.data());
  return r;
}

template <std::size_t N>
uint<N> from_mpz(const mpz_class& v) {
  uint<N> r;
  if (mpz_sizeinbase(v.get_mpz_t(), 2) > 64 * N)
    throw std::out_of_range("from_mpz: value too wide");
  mpz_export(r.limb.data(), nullptr, -1, sizeof(limb_t), 0, 0, v.get_mpz_t());
  return r;
}

/// A field element from its canonical value (which must be below the modulus), and back.
template <class F>
F element(const mpz_class& v) {
  return F::from_uint(from_mpz<F::limbs>(v)).value();
}
template <class F>
mpz_class value(const F& x) {
  return to_mpz(x.to_uint());
}

/// Operands below a modulus m: edge values first (0, 1, 2, m-1, m-2, (m-1)/2, (m+1)/2, values
/// with leading zero limbs, all-ones patterns, single bits), then uniform random values.
template <std::size_t N>
class operand_source {
 public:
  operand_source(const uint<N>& m, std::uint64_t seed) : m_(to_mpz(m)), rng_(seed) {
    const mpz_class one = 1;
    for (const mpz_class& v : {mpz_class(0), mpz_class(1), mpz_class(2), mpz_class(m_ - 1),
                               mpz_class(m_ - 2), mpz_class((m_ - 1) / 2), mpz_class((m_ + 1) / 2)})
      edges_.push_back(v);
    for (std::size_t limbs = 1; limbs < N; ++limbs)
      edges_.emplace_back((one << (64 * limbs)) - 1);  // leading zero limbs
    for (std::size_t limbs = 1; limbs < N; ++limbs) edges_.emplace_back(one << (64 * limbs));
    edges_.emplace_back(((one << mpz_sizeinbase(m_.get_mpz_t(), 2)) - 1) %
                        m_);  // all ones, reduced
    mpz_class alternating = 0;
    for (std::size_t i = 0; i < 64 * N; i += 2) alternating |= one << i;
    edges_.emplace_back(alternating % m_);
    edges_.push_back(mpz_class(m_ - (one << 64)));
  }

  /// The i-th operand: an edge value while they last, then random.
  mpz_class next() {
    if (pos_ < edges_.size()) return edges_[pos_++];
    return random_below();
  }
  mpz_class random_below() {
    uint<N> r;
    for (auto& l : r.limb) l = rng_();
    mpz_class v = to_mpz(r) % m_;
    // One time in eight, keep only a few low limbs (values with leading zero limbs).
    if ((rng_() & 7) == 0) v %= mpz_class(1) << (64 * (1 + rng_() % N));
    return v;
  }
  std::uint64_t raw() { return rng_(); }
  std::size_t edge_count() const { return edges_.size(); }

 private:
  mpz_class m_;
  std::mt19937_64 rng_;
  std::vector<mpz_class> edges_;
  std::size_t pos_ = 0;
};

}  // namespace skm::test
