// SPDX-License-Identifier: BSD-3-Clause
// NIST P-256 (FIPS 186-4 D.1.2.3; the curve of RFC 6507 Appendix A and of ECCSI in MIKEY-SAKKE).
#pragma once

#include "skm/bigint/uint.hpp"
#include "skm/curves/checks.hpp"
#include "skm/field/fp.hpp"
#include "skm/field/kernels/p256.hpp"

namespace skm::curves {

struct p256 {
  static constexpr const char* name = "NIST P-256";

  struct base_field_params {
    static constexpr auto modulus =
        hex<256>("FFFFFFFF 00000001 00000000 00000000 00000000 FFFFFFFF FFFFFFFF FFFFFFFF");
    using kernel =
        kernels::p256_montgomery;  // p = -1 mod 2^64 and sparse: half the reduction products
  };
  struct scalar_field_params {  // the order q of the generator G
    static constexpr auto modulus =
        hex<256>("FFFFFFFF 00000000 FFFFFFFF FFFFFFFF BCE6FAAD A7179E84 F3B9CAC2 FC632551");
  };
  using base_field = fp<base_field_params>;
  using scalar_field = fp<scalar_field_params>;

  static constexpr auto p = base_field_params::modulus;
  static constexpr auto q = scalar_field_params::modulus;
  static constexpr auto a = p - 3;  // y^2 = x^3 - 3x + b
  static constexpr auto b =
      hex<256>("5AC635D8 AA3A93E7 B3EBBD55 769886BC 651D06B0 CC53B0F6 3BCE3C3E 27D2604B");
  static constexpr auto generator_x =
      hex<256>("6B17D1F2 E12C4247 F8BCE6E5 63A440F2 77037D81 2DEB33A0 F4A13945 D898C296");
  static constexpr auto generator_y =
      hex<256>("4FE342E2 FE1A7F9B 8EE7EB4A 7C0F9E16 2BCE3357 6B315ECE CBB64068 37BF51F5");
  static constexpr unsigned cofactor = 1;
};

static_assert(p256::base_field::bits == 256 && p256::scalar_field::bits == 256);
static_assert(p256::base_field::p_is_3_mod_4,
              "P-256's p = 3 mod 4 (square roots by one exponentiation)");
static_assert(generator_on_curve<p256>(), "G must satisfy the curve equation");

}  // namespace skm::curves
