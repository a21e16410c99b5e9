// SPDX-License-Identifier: BSD-3-Clause
// skm::uint<N>: hex literals, carries, shifts, comparisons, division and octet conversion.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <vector>

#include "../support/mpz_util.hpp"
#include "skm/bigint/bytes.hpp"
#include "skm/bigint/uint.hpp"

namespace test_bigint {

using namespace skm;
using skm::test::from_mpz;
using skm::test::to_mpz;

namespace {
constexpr auto k_hex = hex<128>("0123456789abcdef FEDCBA9876543210");
static_assert(k_hex.limb[0] == 0xFEDCBA9876543210ull && k_hex.limb[1] == 0x0123456789ABCDEFull);
static_assert(hex<8>("0xff").limb[0] == 0xff);
static_assert(hex<65>("1 0000000000000000").limb[1] == 1);
constexpr auto k_sum = hex<128>("FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF") + 1;
static_assert(k_sum.is_zero().declassify());
static_assert((hex<128>("1 0000000000000000") - 1).limb[0] == ~limb_t{0});
static_assert((k_hex << 4) == hex<128>("123456789abcdeffedcba98765432100"));
static_assert((k_hex >> 68) == hex<128>("0123456789abcde"));
static_assert(k_hex.bit_length_vartime() == 121);
static_assert(divmod_vartime(hex<128>("100"), skm::uint<1>::from_u64(7)).quotient ==
              skm::uint<2>::from_u64(36));
static_assert(divmod_vartime(hex<128>("100"), skm::uint<1>::from_u64(7)).remainder ==
              skm::uint<1>::from_u64(4));
constexpr auto k_product = mul_wide(hex<128>("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"),
                                    hex<128>("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"));
static_assert(k_product ==
              hex<256>("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE00000000000000000000000000000001"));
constexpr auto k_octets = to_bytes_be<20>(hex<128>("0102"));
static_assert(k_octets[17] == 0 && k_octets[18] == 1 && k_octets[19] == 2);
}  // namespace

TEST_CASE("bigint: compile-time literals and values equal run-time ones", "[bigint]") {
  REQUIRE(to_mpz(k_hex) == mpz_class("0123456789abcdefFEDCBA9876543210", 16));
  REQUIRE(k_hex.limb[0] == 0xFEDCBA9876543210ull);
  REQUIRE(to_mpz(k_product) ==
          mpz_class("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE00000000000000000000000000000001", 16));
  REQUIRE(k_sum.is_zero().declassify());
  REQUIRE(k_octets[18] == 1);
}

TEST_CASE("bigint: hex rejects bad digits and values that do not fit", "[bigint]") {
  REQUIRE_THROWS_AS(hex<64>("12g4"), std::invalid_argument);
  REQUIRE_THROWS_AS(hex<64>(""), std::invalid_argument);
  REQUIRE_THROWS_AS(hex<8>("100"), std::out_of_range);
  REQUIRE_THROWS_AS(hex<7>("80"), std::out_of_range);
  REQUIRE(hex<7>("7f").limb[0] == 0x7f);
  REQUIRE(hex<8>("00000000ff").limb[0] == 0xff);  // leading zeros do not count
}

TEST_CASE("bigint: arithmetic against mpz on random operands", "[bigint]") {
  std::mt19937_64 rng(11);
  const mpz_class two256 = mpz_class(1) << 256;
  for (int i = 0; i < 10000; ++i) {
    skm::uint<4> a, b;
    for (auto& l : a.limb) l = rng();
    for (auto& l : b.limb) l = rng();
    if (i % 7 == 0) a.limb[3] = a.limb[2] = 0;
    if (i % 11 == 0) b = a;
    const mpz_class ma = to_mpz(a), mb = to_mpz(b);
    skm::uint<4> r;
    const limb_t carry = add(r, a, b);
    REQUIRE(to_mpz(r) + mpz_class(static_cast<unsigned long>(carry)) * two256 == ma + mb);
    const limb_t borrow = sub(r, a, b);
    REQUIRE(borrow == (ma < mb ? 1u : 0u));
    REQUIRE(to_mpz(r) == ((ma - mb) % two256 + two256) % two256);
    REQUIRE(to_mpz(mul_wide(a, b)) == ma * mb);
    REQUIRE(to_mpz(mul_wide(a, a)) == ma * ma);
    const std::size_t s = rng() % 300;
    REQUIRE(to_mpz(a << s) == (ma << s) % two256);
    REQUIRE(to_mpz(a >> s) == (ma >> s));
    REQUIRE(ct_less(a, b).declassify() == (ma < mb));
    REQUIRE(ct_equal(a, b).declassify() == (ma == mb));
    REQUIRE((a < b) == (ma < mb));
    REQUIRE(a.bit_length_vartime() == (ma == 0 ? 0 : mpz_sizeinbase(ma.get_mpz_t(), 2)));
    REQUIRE(a.bit(s) == (mpz_tstbit(ma.get_mpz_t(), s) == 1));
    REQUIRE(ct_select(ct::choice::yes(), a, b) == a);
    REQUIRE(ct_select(ct::choice::no(), a, b) == b);
    skm::uint<4> x = a, y = b;
    ct_swap(ct::choice::yes(), x, y);
    REQUIRE((x == b && y == a));
    if (mb != 0) {
      const auto [q, rem] = divmod_vartime(a, b);
      REQUIRE(to_mpz(q) == ma / mb);
      REQUIRE(to_mpz(rem) == ma % mb);
    }
  }
  REQUIRE_THROWS_AS(divmod_vartime(skm::uint<2>::from_u64(5), skm::uint<2>{}), std::domain_error);
}

TEST_CASE("bigint: fixed-length big-endian octets", "[bigint]") {
  std::mt19937_64 rng(12);
  for (int i = 0; i < 2000; ++i) {
    skm::uint<16> a;
    for (auto& l : a.limb) l = rng();
    const std::size_t zero_limbs = rng() % 16;
    for (std::size_t j = 0; j < zero_limbs; ++j) a.limb[15 - j] = 0;  // leading zero limbs
    const auto octets = to_bytes_be<128>(a);
    mpz_class v = 0;
    for (auto o : octets) v = v * 256 + o;
    REQUIRE(v == to_mpz(a));
    auto back = from_bytes_be<16>(octets);
    REQUIRE(back.has_value());
    REQUIRE(*back == a);
  }
  // Left padding: a 1-octet value written into 128 octets keeps 127 leading zeros.
  const auto padded = to_bytes_be<128>(skm::uint<16>::from_u64(0xAB));
  for (std::size_t i = 0; i < 127; ++i) REQUIRE(padded[i] == 0);
  REQUIRE(padded[127] == 0xAB);
  // Shorter strings are read as smaller numbers; longer than the width is rejected.
  const std::array<std::uint8_t, 3> three{1, 2, 3};
  REQUIRE(from_bytes_be<1>(three).value().limb[0] == 0x010203);
  const std::vector<std::uint8_t> nine(9, 0);
  REQUIRE(from_bytes_be<1>(nine).error() == bytes_error::too_long);
}

}  // namespace test_bigint
