// SPDX-License-Identifier: BSD-3-Clause
// Test support: random primes of 8, 12, 24 and 32 limbs (each = 3 mod 4, top bit set), for the
// fields whose default kernels are the portable ones or the generated 8/12-limb ADX kernels.
#pragma once

#include "skm/bigint/uint.hpp"

namespace skm::test {

inline constexpr auto p8 = hex<512>(
    "e2a068f893ab31ac7a91f189972a427bf70c18dca0b43c7d8d9608e9f6949737"
    "1ed432257cc7f4fb9a85265e8ff7f54a2c2fbb56cdc0111afe50cb6005a22813");
inline constexpr auto p12 = hex<768>(
    "9b29cd2f6469986e32d8a2ae2197e280797e18ac609f6d4197ef2c2a01437986"
    "349a34af67c31dc8f3773aff1c5452ae80180afd103b1b3caddcb2fb558aa254"
    "4dc8f2afb661a1818bd7f5967e552c0e255eb018dd81434a5cc4827fb34be9bf");
inline constexpr auto p24 = hex<1536>(
    "ee186785d5bf51301c79602e9f0ec12e302efbd289ded29f3302f9a56f148b63"
    "076f2fcf1aeb4ae73ab0b0b87aff38866e74e6a2d99d15382c4ba59243303646"
    "d4619c602032e600ab7b27c550c4dd21efa8c22f51645895a2d795761d697f0d"
    "ed465d6907e3b2df3ef5b19b976670aed5d177f3005b8aa644eefaf0fae5d2ec"
    "0e1a4a22d9edffc21edccd8c4728c0c277045005c90ac0b763f5aa20783a1487"
    "8e347a25081ec59f53d795f69a707accb9a4180baf11d31ed693387babaf0b1f");
inline constexpr auto p32 = hex<2048>(
    "a3c70e94e7c6e2982a7171920e768b1b6713744f2afcec1c1970724e750efaec"
    "7945e303a5b5756d5902a4e6bfd75542767b48141a625df9868221819da1ffd4"
    "330544ba1a23800c35085cc82c9711c502b51cb5b41c07b9b67050583765e1d5"
    "b2721db17d634a25343471d6ac28187ad38a19c66e8b6f7a6ce9fc13e8b3a487"
    "6326845d75af989a79e21463e54c29a5c118ad466e1d87a2201751da7676fb89"
    "f7a5df1a855839e4291af7185021210ae9574fc47a7fba34f8a314bac5459eae"
    "0dbb1df817a9b27adc086b9d8269881a31cf17aa292a8a315494817aa339238a"
    "6a1fe898bea562a1ca29d601299848de95dde5ce65ab87df98cc0f4f56103217");

}  // namespace skm::test
