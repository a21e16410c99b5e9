// SPDX-License-Identifier: BSD-3-Clause
// The elliptic-curve layer: points, scalar multiplication, fixed-base tables, SEC1 encoding.
// API summary: see skm/ec/point.hpp.
#pragma once

#include "skm/ec/encoding.hpp"
#include "skm/ec/generator_table.hpp"
#include "skm/ec/point.hpp"
#include "skm/ec/scalar_mul.hpp"
