// SPDX-License-Identifier: BSD-3-Clause
// HashToIntegerRange (RFC 6508 §5.1), generic over any skm::hash_function.
//
//   A   = hashfn(s)
//   h_0 = 00...00 (hashlen bits)
//   l   = Ceiling(lg(n) / hashlen)
//   for i in 1..l:  h_i = hashfn(h_(i-1));  v_i = hashfn(h_i || A)
//   v   = (v_1 || ... || v_l) mod n
//
// Two forms of the range n:
//   * a modulus (e.g. q): v' is reduced with GMP's mpn_sec_div_r, which is side-channel silent,
//     because the input (SSV || b) is secret and so is r;
//   * n = 2^bits (the SSV mask): v' mod 2^bits is simply its low `bits` bits, returned as the
//     ceil(bits/8)-octet big-endian string (the top octet masked when bits % 8 != 0).
// The input is a list of octet-string parts hashed as their concatenation, so callers hash
// SSV || b without building (and then wiping) a joined copy. Every part must already be in its
// RFC 6508 §4 fixed-length form (an F_p value as L octets with its leading zeros).
#pragma once

#include <gmp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "skm/bigint/bytes.hpp"
#include "skm/bigint/uint.hpp"
#include "skm/common/ct.hpp"
#include "skm/hash/sha256.hpp"

namespace skm {

namespace detail {

/// l = Ceiling(lg(n) / hashlen) for n > 1 given by its bit length and whether it is a power of
/// two (then lg(n) = bit_length - 1 exactly; otherwise bit_length - 1 < lg(n) < bit_length).
[[nodiscard]] constexpr std::size_t hash_blocks(std::size_t bit_length, bool power_of_two,
                                                std::size_t hash_bits) noexcept {
  if (power_of_two) {
    const std::size_t lg = bit_length - 1;
    return (lg + hash_bits - 1) / hash_bits;
  }
  // Ceiling of a non-integer lg(n) in (bit_length-1, bit_length), divided by hash_bits.
  return (bit_length + hash_bits - 1) / hash_bits;
}

/// Writes v' = v_1 || ... || v_l into out (l * digest_size octets).
template <hash_function H>
void hash_to_range_stream(std::initializer_list<std::span<const std::uint8_t>> parts, std::size_t l,
                          std::span<std::uint8_t> out) {
  constexpr std::size_t hl = H::digest_size;
  H hash;
  for (auto part : parts) hash.update(part);
  auto a = hash.final();
  std::array<std::uint8_t, hl> h{};  // h_0 = 0...0
  for (std::size_t i = 0; i < l; ++i) {
    hash.update(std::span<const std::uint8_t>(h));
    h = hash.final();  // h_i = hashfn(h_(i-1))
    hash.update(std::span<const std::uint8_t>(h));
    hash.update(std::span<const std::uint8_t>(a));
    const auto v = hash.final();  // v_i = hashfn(h_i || A)
    for (std::size_t j = 0; j < hl; ++j) out[i * hl + j] = v[j];
  }
  ct::wipe(a.data(), a.size());
}

}  // namespace detail

/// HashToIntegerRange(s, n, H) for a modulus n >= 2 (public). Returns v in [0, n), computed in
/// constant time in the hashed data (the reduction is mpn_sec_div_r).
template <hash_function H, std::size_t N>
[[nodiscard]] uint<N> hash_to_integer_range(
    std::initializer_list<std::span<const std::uint8_t>> parts, const uint<N>& n) {
  constexpr std::size_t hl = H::digest_size;
  const std::size_t nbits = n.bit_length_vartime();  // n is public
  if (nbits < 2)
    throw std::domain_error("skm::hash_to_integer_range: the range must be at least 2");
  const bool pow2 = (n & (n - 1)).is_zero().declassify();
  const std::size_t l = detail::hash_blocks(nbits, pow2, 8 * hl);

  const std::size_t vbytes = l * hl;
  const std::size_t n_limbs = (nbits + 63) / 64;  // significant limbs of n
  const std::size_t v_limbs = (vbytes + 7) / 8;
  const std::size_t buf_limbs = v_limbs > n_limbs ? v_limbs : n_limbs;

  ct::secret_vector<std::uint8_t> vbuf(vbytes);
  detail::hash_to_range_stream<H>(parts, l, vbuf);

  // v' as little-endian limbs
  ct::secret_vector<limb_t> num(buf_limbs, 0);
  for (std::size_t i = 0; i < vbytes; ++i) {
    const std::size_t byte_index = vbytes - 1 - i;
    num[byte_index / 8] |= static_cast<limb_t>(vbuf[i]) << (8 * (byte_index % 8));
  }
  ct::secret_vector<limb_t> scratch(static_cast<std::size_t>(
      mpn_sec_div_r_itch(static_cast<mp_size_t>(buf_limbs), static_cast<mp_size_t>(n_limbs))));
  mpn_sec_div_r(num.data(), static_cast<mp_size_t>(buf_limbs), n.limb.data(),
                static_cast<mp_size_t>(n_limbs), scratch.data());

  uint<N> v;
  for (std::size_t i = 0; i < n_limbs; ++i) v.limb[i] = num[i];
  return v;
}

template <hash_function H, std::size_t N>
[[nodiscard]] uint<N> hash_to_integer_range(std::span<const std::uint8_t> s, const uint<N>& n) {
  return hash_to_integer_range<H>({s}, n);
}

/// HashToIntegerRange(s, 2^Bits, H): the low Bits bits of v', as a ceil(Bits/8)-octet
/// big-endian string.
template <hash_function H, std::size_t Bits>
[[nodiscard]] std::array<std::uint8_t, (Bits + 7) / 8> hash_to_integer_range_pow2(
    std::initializer_list<std::span<const std::uint8_t>> parts) {
  static_assert(Bits >= 1);
  constexpr std::size_t hl = H::digest_size;
  constexpr std::size_t l = detail::hash_blocks(Bits + 1, true, 8 * hl);  // lg(2^Bits) = Bits
  constexpr std::size_t out_bytes = (Bits + 7) / 8;
  std::array<std::uint8_t, l * hl> vbuf;
  detail::hash_to_range_stream<H>(parts, l, vbuf);
  std::array<std::uint8_t, out_bytes> out;
  for (std::size_t i = 0; i < out_bytes; ++i) out[i] = vbuf[l * hl - out_bytes + i];
  if constexpr (Bits % 8 != 0) out[0] &= static_cast<std::uint8_t>((1u << (Bits % 8)) - 1);
  ct::wipe(vbuf.data(), vbuf.size());
  return out;
}

template <hash_function H, std::size_t Bits>
[[nodiscard]] std::array<std::uint8_t, (Bits + 7) / 8> hash_to_integer_range_pow2(
    std::span<const std::uint8_t> s) {
  return hash_to_integer_range_pow2<H, Bits>({s});
}

}  // namespace skm
