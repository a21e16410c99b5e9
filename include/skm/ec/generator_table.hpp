// SPDX-License-Identifier: BSD-3-Clause
// The fixed-base table of a curve's generator, built once on first use and shared read-only
// (a function-local static: thread-safe initialization, immutable afterwards).
#pragma once

#include "skm/ec/point.hpp"
#include "skm/ec/scalar_mul.hpp"

namespace skm::ec {

template <class Curve>
[[nodiscard]] const fixed_base_table<Curve>& generator_table() {
  static const fixed_base_table<Curve> table(generator<Curve>());
  return table;
}

/// The generator's odd multiples for variable-time multi-scalar multiplications (verification).
template <class Curve>
[[nodiscard]] const wnaf_table<Curve, 8>& generator_wnaf_table() {
  static const wnaf_table<Curve, 8> table(generator<Curve>());
  return table;
}

}  // namespace skm::ec
