// SPDX-License-Identifier: BSD-3-Clause
// Compile-time sanity checks shared by every curve traits file.
#pragma once

#include "skm/bigint/uint.hpp"

namespace skm::curves {

/// y^2 == x^3 + a x + b over the traits' base field, evaluated in a constant expression.
template <class Curve>
[[nodiscard]] constexpr bool generator_on_curve() {
  using F = typename Curve::base_field;
  const F x = F::from_uint(Curve::generator_x).value();
  const F y = F::from_uint(Curve::generator_y).value();
  const F a = F::from_uint(Curve::a).value();
  const F b = F::from_uint(Curve::b).value();
  return y.square() == (x.square() + a) * x + b;
}

}  // namespace skm::curves
