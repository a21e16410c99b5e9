// SPDX-License-Identifier: BSD-3-Clause
// fp<Params>: an element of the prime field F_p in Montgomery form.
//
// Params is a small struct with `static constexpr auto modulus = skm::hex<Bits>("...")`.
// Optionally it may set `static constexpr bool use_gmp = true/false` to force the run-time
// multiplication kernel (GMP mpn or unrolled CIOS; by default unrolled CIOS up to 6 limbs, above
// that the fastest constant-time kernel for the limb count and CPU), or bring its own
// Montgomery kernel for a special prime: `using kernel = K;` where K has constexpr static
// `mul(out, a, b)` and `sqr(out, a)` computing a*b*R^-1 mod p (see field/kernels/).
//
// Everything is constant time in the element values unless the name says _vartime (or the
// argument is documented as public, like an exponent in pow_public). Every derived constant is
// computed here from the modulus at compile time.
#pragma once

#include <gmp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <type_traits>

#include "skm/bigint/bytes.hpp"
#include "skm/bigint/uint.hpp"
#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/field/montgomery.hpp"

namespace skm {

enum class field_error {
  bad_length,    ///< encoded element does not have exactly the field's octet length
  out_of_range,  ///< encoded integer is >= the modulus
};

[[nodiscard]] constexpr const char* describe(field_error e) noexcept {
  switch (e) {
    case field_error::bad_length: return "field element has the wrong octet length";
    case field_error::out_of_range: return "field element is not less than the modulus";
  }
  return "unknown field_error";
}

/// Operation counts, compiled in only when SKM_COUNT_FIELD_OPS is defined (benchmarks): one
/// thread-local set per field type, so a benchmark can report multiplications per operation.
struct field_op_counts {
  std::uint64_t mul = 0, sqr = 0, inv = 0;
};

template <class Params>
class fp {
 public:
#ifdef SKM_COUNT_FIELD_OPS
  static inline thread_local field_op_counts counts{};
#endif

  using params = Params;
  static constexpr auto modulus = Params::modulus;
  using uint_type = std::remove_cvref_t<decltype(modulus)>;
  static constexpr std::size_t limbs = uint_type::limbs;
  static constexpr std::size_t bits = modulus.bit_length_vartime();
  static constexpr std::size_t bytes = (bits + 7) / 8;

  static_assert((modulus.limb[0] & 1) == 1, "the modulus must be odd (Montgomery form)");
  static_assert(bits > 64 * (limbs - 1),
                "the modulus must use its top limb (choose the hex<> width to fit)");
  static_assert(bits >= 3, "the modulus is too small");

  // ---- Montgomery constants, all derived from the modulus ----
  static constexpr limb_t m_inv = montgomery::neg_inverse_mod_2_64(modulus.limb[0]);
  static constexpr uint_type r1 = montgomery::r_mod(modulus);              // R mod p
  static constexpr uint_type r2 = montgomery::r2_mod(r1, modulus, m_inv);  // R^2 mod p
  static constexpr uint_type r3 = [] {                                     // R^3 mod p
    uint_type out;
    montgomery::mul_cios(out, r2, r2, modulus, m_inv);  // R^2 R^2 / R
    return out;
  }();
  static_assert(static_cast<limb_t>(modulus.limb[0] * (limb_t{0} - m_inv)) == 1,
                "m_inv must be -p^-1 mod 2^64");

  // ---- exponents derived from the modulus ----
  static constexpr uint_type p_minus_2 = modulus - 2;              // Fermat inversion
  static constexpr uint_type p_minus_1_half = (modulus - 1) >> 1;  // Euler's criterion
  static constexpr bool p_is_3_mod_4 = (modulus.limb[0] & 3) == 3;
  static constexpr uint_type sqrt_exponent = (modulus >> 2) + 1;  // (p+1)/4 when p = 3 mod 4

  static constexpr bool has_custom_kernel = requires { typename Params::kernel; };
  static constexpr bool params_choose_kernel = requires { Params::use_gmp; };
  /// Params::use_gmp = true forces GMP's mpn (for comparisons: GMP branches on operand data above
  /// its Toom thresholds, so it is not the default anywhere); use_gmp = false forces the unrolled
  /// CIOS kernel. By default up to 6 limbs multiply with the unrolled CIOS kernel; above, the
  /// kernel is picked at run time, once per process: for 16 limbs on x86-64 AVX-512 IFMA (mul and
  /// sqr), else ADX (mul and sqr), else MULX; everywhere else (other limb counts, CPUs without
  /// BMI2, non-x86) the portable constant-time kernels (unrolled CIOS multiplication, squaring by
  /// half products plus a separate reduction).
  static constexpr bool gmp_forced = [] {
    if constexpr (params_choose_kernel) {
      return static_cast<bool>(Params::use_gmp);
    } else {
      return false;
    }
  }();
  static constexpr bool cios_chosen = params_choose_kernel ? !gmp_forced : limbs <= 6;
#if defined(SKM_HAVE_IFMA_KERNELS)
  /// The modulus in the IFMA kernels' radix 2^52 (16-limb moduli only; unused otherwise).
  static constexpr auto ifma_modulus = [] {
    if constexpr (limbs == 16) {
      return kernels::ifma::modulus16(modulus, m_inv);
    } else {
      return 0;
    }
  }();
#endif
  static_assert(
      [] {
        if constexpr (has_custom_kernel) {
          return Params::kernel::modulus == Params::modulus;
        } else {
          return true;
        }
      }(),
      "the kernel is for another modulus");

  constexpr fp() noexcept = default;  // zero

  [[nodiscard]] static constexpr fp zero() noexcept { return fp(); }
  [[nodiscard]] static constexpr fp one() noexcept { return from_montgomery(r1); }
  [[nodiscard]] static constexpr fp from_u64(std::uint64_t v) noexcept {
    return reduce(uint<1>::from_u64(v));
  }

  /// The canonical integer v < p; values >= p are rejected (the check is on public format).
  [[nodiscard]] static constexpr result<fp, field_error> from_uint(const uint_type& v) noexcept {
    if (!ct_less(v, modulus).declassify()) return unexpected{field_error::out_of_range};
    return from_canonical(v);
  }

  /// v mod p for an integer of any width, in constant time.
  template <std::size_t M>
  [[nodiscard]] static constexpr fp reduce(const uint<M>& v) noexcept {
    constexpr std::size_t chunks = (M + limbs - 1) / limbs;
    fp acc;
    for (std::size_t c = chunks; c-- > 0;) {
      uint_type chunk;
      for (std::size_t i = 0; i < limbs && c * limbs + i < M; ++i)
        chunk.limb[i] = v.limb[c * limbs + i];
      // acc = acc * 2^(64*limbs) + chunk; in Montgomery form, times R is a product with R^2.
      acc = acc * from_montgomery(r2) + reduce_one_chunk(chunk);
    }
    return acc;
  }

  /// Decode a fixed-length big-endian element (RFC 6508 §4): exactly `bytes` octets, value < p.
  [[nodiscard]] static constexpr result<fp, field_error> from_bytes(
      std::span<const std::uint8_t> in) noexcept {
    if (in.size() != bytes) return unexpected{field_error::bad_length};
    return from_uint(from_bytes_be<limbs>(in).value());
  }

  /// An octet string of any length read as a big-endian integer and reduced mod p (constant time).
  [[nodiscard]] static constexpr fp reduce_bytes(std::span<const std::uint8_t> in) noexcept {
    fp acc;
    // Horner over whole limbs' worth of octets keeps the number of multiplications small.
    std::size_t i = 0;
    const std::size_t head = in.size() % (8 * limbs);
    auto take = [&](std::size_t n) { return from_bytes_be<limbs>(in.subspan(i, n)).value(); };
    if (head != 0) {
      acc = reduce_one_chunk(take(head));
      i = head;
    }
    for (; i < in.size(); i += 8 * limbs)
      acc = acc * from_montgomery(r2) + reduce_one_chunk(take(8 * limbs));
    return acc;
  }

  /// Uniform in [0, p) by rejection sampling (the number of retries is independent of the result).
  /// Each draw is accepted with probability > 1/2, so a source that fails 256 times in a row is
  /// broken (stuck, or not random): that throws std::runtime_error rather than looping forever.
  template <random_source Rng>
  [[nodiscard]] static fp random(Rng& rng) {
    std::array<std::uint8_t, bytes> buf;
    constexpr unsigned top_bits = bits % 8 == 0 ? 8 : bits % 8;
    for (int attempt = 0; attempt < max_random_attempts; ++attempt) {
      rng.GenerateBlock(buf.data(), buf.size());
      buf[0] &= static_cast<std::uint8_t>((1u << top_bits) - 1);
      auto v = from_bytes_be<limbs>(std::span<const std::uint8_t>(buf)).value();
      ct::wipe(buf.data(), buf.size());
      const bool in_range = ct_less(v, modulus).declassify();
      fp r = from_canonical(v);
      ct::wipe_object(v);
      if (in_range) return r;
    }
    throw std::runtime_error(
        "skm: the random source keeps producing values out of range; it is broken");
  }
  /// Uniform in [1, p); throws std::runtime_error when the source is broken (see random()).
  template <random_source Rng>
  [[nodiscard]] static fp random_nonzero(Rng& rng) {
    for (int attempt = 0; attempt < max_random_attempts; ++attempt) {
      fp r = random(rng);
      if (!r.is_zero().declassify()) return r;
    }
    throw std::runtime_error("skm: the random source keeps producing zero; it is broken");
  }

  /// The canonical integer in [0, p).
  [[nodiscard]] constexpr uint_type to_uint() const noexcept {
    uint_type out;
    mont_mul(out, m_, uint_type::from_u64(1));
    return out;
  }
  [[nodiscard]] constexpr std::array<std::uint8_t, bytes> to_bytes() const noexcept {
    return to_bytes_be<bytes>(to_uint());
  }
  constexpr void to_bytes(std::span<std::uint8_t, bytes> out) const noexcept {
    to_bytes_be(to_uint(), std::span<std::uint8_t>(out));
  }

  /// The Montgomery representation xR mod p (for serialization-free caches and tests).
  [[nodiscard]] constexpr const uint_type& montgomery_form() const noexcept { return m_; }
  [[nodiscard]] static constexpr fp from_montgomery(const uint_type& m) noexcept {
    fp r;
    r.m_ = m;
    return r;
  }

  // ---- arithmetic ----
  [[nodiscard]] friend constexpr fp operator+(const fp& a, const fp& b) noexcept {
    fp r;
#if defined(__x86_64__)
    if constexpr (limbs == 16) {
      if (!std::is_constant_evaluated()) {  // generated ADC/SBB/CMOV chains: no GMP calls
        kernels::add16_mod(r.m_, a.m_, b.m_, modulus);
        return r;
      }
    }
#endif
    const limb_t carry = add(r.m_, a.m_, b.m_);
    montgomery::final_subtract(r.m_, carry, modulus);
    return r;
  }
  [[nodiscard]] friend constexpr fp operator-(const fp& a, const fp& b) noexcept {
    fp r;
#if defined(__x86_64__)
    if constexpr (limbs == 16) {
      if (!std::is_constant_evaluated()) {
        kernels::sub16_mod(r.m_, a.m_, b.m_, modulus);
        return r;
      }
    }
#endif
    const limb_t borrow = sub(r.m_, a.m_, b.m_);
    uint_type fix = ct_select(ct::choice::from_bit(borrow), modulus, uint_type{});
    (void)add(r.m_, r.m_, fix);
    return r;
  }
  [[nodiscard]] constexpr fp operator-() const noexcept { return fp() - *this; }
  [[nodiscard]] friend constexpr fp operator*(const fp& a, const fp& b) noexcept {
    count(&field_op_counts::mul);
    fp r;
    mont_mul(r.m_, a.m_, b.m_);
    return r;
  }
  constexpr fp& operator+=(const fp& b) noexcept { return *this = *this + b; }
  constexpr fp& operator-=(const fp& b) noexcept { return *this = *this - b; }
  constexpr fp& operator*=(const fp& b) noexcept { return *this = *this * b; }

  [[nodiscard]] constexpr fp square() const noexcept {
    count(&field_op_counts::sqr);
    fp r;
    if constexpr (has_custom_kernel) {
      Params::kernel::sqr(r.m_, m_);
    } else if (std::is_constant_evaluated() || cios_chosen) {
      montgomery::mul_cios(r.m_, m_, m_, modulus, m_inv);
    } else if constexpr (gmp_forced) {
      montgomery::sqr_gmp(r.m_, m_, modulus, m_inv);
    } else if (montgomery::ifma_kernel_available<limbs>()) {
      ifma_sqr(r.m_, m_);
    } else if (montgomery::adx_kernel_available<limbs>()) {
      montgomery::sqr_adx(r.m_, m_, modulus, m_inv);
    } else if (montgomery::bmi2_kernel_available<limbs>()) {
      montgomery::mul_bmi2(r.m_, m_, m_, modulus, m_inv);
    } else {
      montgomery::sqr_portable(r.m_, m_, modulus, m_inv);
    }
    return r;
  }
  [[nodiscard]] constexpr fp dbl() const noexcept { return *this + *this; }

  /// x/2: add p when x is odd (masked), then shift right one bit, keeping the carry.
  [[nodiscard]] constexpr fp half() const noexcept {
    const uint_type addend = ct_select(ct::choice::from_bit(m_.limb[0]), modulus, uint_type{});
    uint_type t;
    const limb_t carry = add(t, m_, addend);
    t = t >> 1;
    t.limb[limbs - 1] |= carry << 63;
    return from_montgomery(t);
  }

  /// x^e for a public exponent e (x may be secret): 4-bit fixed window, branches only on e.
  template <std::size_t M>
  [[nodiscard]] constexpr fp pow_public(const uint<M>& e) const noexcept {
    std::array<fp, 16> table;
    table[0] = one();
    table[1] = *this;
    for (std::size_t i = 2; i < 16; ++i) table[i] = table[i - 1] * *this;
    fp r = one();
    const std::size_t n = e.bit_length_vartime();
    const std::size_t windows = (n + 3) / 4;
    for (std::size_t w = windows; w-- > 0;) {
      if (w + 1 != windows) r = r.square().square().square().square();
      const unsigned digit = static_cast<unsigned>((e.limb[(4 * w) / 64] >> ((4 * w) % 64)) & 0xF);
      if (digit != 0) r *= table[digit];
    }
    return r;
  }

  /// x^e with both secret: every window squares four times and multiplies by an entry read by
  /// scanning the whole table. All 64*M exponent bits are processed, so the length stays hidden.
  template <std::size_t M>
  [[nodiscard]] constexpr fp pow_secret(const uint<M>& e) const noexcept {
    std::array<fp, 16> table;
    table[0] = one();
    table[1] = *this;
    for (std::size_t i = 2; i < 16; ++i) table[i] = table[i - 1] * *this;
    fp r = one();
    for (std::size_t w = 16 * M; w-- > 0;) {
      r = r.square().square().square().square();
      const limb_t digit = (e.limb[(4 * w) / 64] >> ((4 * w) % 64)) & 0xF;
      fp entry;
      for (limb_t i = 0; i < 16; ++i)
        entry = select(ct::choice::from_mask(ct::zero_mask(i ^ digit)), table[i], entry);
      r *= entry;
    }
    ct::wipe_object(table);
    return r;
  }

  /// x^-1 in constant time (0 maps to 0). GMP's mpn_sec_invert at run time, Fermat at compile time.
  [[nodiscard]] constexpr fp inverse() const noexcept {
    count(&field_op_counts::inv);
    if (std::is_constant_evaluated()) return pow_public(p_minus_2);
    // mpn_sec_invert works on plain integers: inv(xR) = x^-1 R^-1, and a Montgomery product
    // with R^3 turns that into x^-1 R.
    uint_type a = m_;
    uint_type inv;
    std::array<limb_t, scratch_limbs> scratch;
    mpn_sec_invert(inv.limb.data(), a.limb.data(), modulus.limb.data(), limbs, 2 * bits,
                   scratch.data());
    fp r;
    mont_mul(r.m_, inv, r3);
    // On input 0 mpn_sec_invert leaves an unspecified value; force 0.
    r.m_ = ct_select(is_zero(), uint_type{}, r.m_);
    ct::wipe(scratch.data(), sizeof(scratch));
    ct::wipe_object(a);
    ct::wipe_object(inv);
    return r;
  }

  /// x^-1 for public x (0 maps to 0): GMP's fast, variable-time extended gcd.
  [[nodiscard]] fp inverse_vartime() const {
    count(&field_op_counts::inv);
    if (is_zero().declassify()) return fp();
    const uint_type x = to_uint();
    mpz_t a, m, r;
    mpz_roinit_n(a, x.limb.data(), static_cast<mp_size_t>(limbs));
    mpz_roinit_n(m, modulus.limb.data(), static_cast<mp_size_t>(limbs));
    mpz_init(r);
    mpz_invert(r, a, m);
    uint_type out;
    mpz_export(out.limb.data(), nullptr, -1, sizeof(limb_t), 0, 0, r);
    mpz_clear(r);
    return from_canonical(out);
  }

  /// Square root for p = 3 mod 4: root = x^((p+1)/4); the returned choice says whether x is a
  /// square (when it is not, `root` holds a root of -x).
  [[nodiscard]] constexpr ct::choice sqrt(fp& root) const noexcept requires(p_is_3_mod_4) {
    root = pow_public(sqrt_exponent);
    return ct_equal(root.square(), *this);
  }
  [[nodiscard]] constexpr std::optional<fp> sqrt_vartime() const noexcept requires(p_is_3_mod_4) {
    fp root;
    if (!sqrt(root).declassify()) return std::nullopt;
    return root;
  }

  /// Legendre symbol (x/p) in {-1, 0, 1}, by Euler's criterion in constant time.
  [[nodiscard]] constexpr int legendre() const noexcept {
    const fp e = pow_public(p_minus_1_half);
    const limb_t is_one = ct_equal(e, one()).mask() & 1;
    const limb_t is_zero_bit = e.is_zero().mask() & 1;
    // 1 -> 1, 0 -> 0, p-1 -> -1, computed without branches
    return static_cast<int>(is_one) - static_cast<int>(1 - is_one - is_zero_bit);
  }
  /// Legendre symbol for a public element (GMP's binary algorithm).
  [[nodiscard]] int legendre_vartime() const {
    const uint_type x = to_uint();
    mpz_t a, m;
    mpz_roinit_n(a, x.limb.data(), static_cast<mp_size_t>(limbs));
    mpz_roinit_n(m, modulus.limb.data(), static_cast<mp_size_t>(limbs));
    return mpz_legendre(a, m);
  }

  // ---- comparison and selection ----
  [[nodiscard]] constexpr ct::choice is_zero() const noexcept { return m_.is_zero(); }
  [[nodiscard]] friend constexpr ct::choice ct_equal(const fp& a, const fp& b) noexcept {
    return ct_equal(a.m_, b.m_);
  }
  /// Equality computed in constant time; the bool result is public by the caller's choice.
  [[nodiscard]] friend constexpr bool operator==(const fp& a, const fp& b) noexcept {
    return ct_equal(a, b).declassify();
  }
  [[nodiscard]] static constexpr fp select(ct::choice c, const fp& a, const fp& b) noexcept {
    return from_montgomery(ct_select(c, a.m_, b.m_));
  }
  static constexpr void cswap(ct::choice c, fp& a, fp& b) noexcept { ct_swap(c, a.m_, b.m_); }
  /// Odd canonical value (the "sign" used by point compression); constant time.
  [[nodiscard]] constexpr ct::choice is_odd() const noexcept {
    return ct::choice::from_bit(to_uint().limb[0]);
  }

 private:
  static constexpr int max_random_attempts = 256;

  static constexpr void count([[maybe_unused]] std::uint64_t field_op_counts::*which) noexcept {
#ifdef SKM_COUNT_FIELD_OPS
    if (!std::is_constant_evaluated()) ++(counts.*which);
#endif
  }

  static constexpr std::size_t scratch_limbs = 4 * limbs + 16;  // >= mpn_sec_invert_itch(limbs)

  [[nodiscard]] static constexpr fp from_canonical(const uint_type& v) noexcept {
    fp r;
    mont_mul(r.m_, v, r2);  // v * R^2 * R^-1 = vR
    return r;
  }

  /// Any N-limb value (possibly >= p) into Montgomery form: REDC(v) = v R^-1 (valid as v < R),
  /// then a product with R^3 gives v R.
  [[nodiscard]] static constexpr fp reduce_one_chunk(const uint_type& v) noexcept {
    uint_type t;
    if constexpr (has_custom_kernel) {
      Params::kernel::mul(t, v, uint_type::from_u64(1));
    } else if (std::is_constant_evaluated() || cios_chosen) {
      montgomery::mul_cios(t, v, uint_type::from_u64(1), modulus, m_inv);
    } else {
      std::array<limb_t, 2 * limbs> wide{};
      for (std::size_t i = 0; i < limbs; ++i) wide[i] = v.limb[i];
      if constexpr (gmp_forced) {
        montgomery::redc_gmp(t, wide.data(), modulus, m_inv);
      } else {
        montgomery::redc_portable(t, wide, modulus, m_inv);
      }
    }
    fp r;
    mont_mul(r.m_, t, r3);
    return r;
  }

  static constexpr void mont_mul(uint_type& out, const uint_type& a, const uint_type& b) noexcept {
    if constexpr (has_custom_kernel) {
      Params::kernel::mul(out, a, b);
    } else if (std::is_constant_evaluated() || cios_chosen) {
      montgomery::mul_cios(out, a, b, modulus, m_inv);
    } else if constexpr (gmp_forced) {
      montgomery::mul_gmp(out, a, b, modulus, m_inv);
    } else if (montgomery::ifma_kernel_available<limbs>()) {
      ifma_mul(out, a, b);
    } else if (montgomery::adx_kernel_available<limbs>()) {
      montgomery::mul_adx(out, a, b, modulus, m_inv);
    } else if (montgomery::bmi2_kernel_available<limbs>()) {
      montgomery::mul_bmi2(out, a, b, modulus, m_inv);
    } else {
      montgomery::mul_cios(out, a, b, modulus, m_inv);
    }
  }

  // Only called when ifma_kernel_available<limbs>(), which implies 16 limbs and x86-64.
  static void ifma_mul(uint_type& out, const uint_type& a, const uint_type& b) noexcept {
#if defined(SKM_HAVE_IFMA_KERNELS)
    if constexpr (limbs == 16) {
      kernels::ifma::montmul16(out, a, b, ifma_modulus);
      return;
    }
#endif
    (void)out, (void)a, (void)b;
  }
  static void ifma_sqr(uint_type& out, const uint_type& a) noexcept {
#if defined(SKM_HAVE_IFMA_KERNELS)
    if constexpr (limbs == 16) {
      kernels::ifma::montsqr16(out, a, ifma_modulus);
      return;
    }
#endif
    (void)out, (void)a;
  }

  uint_type m_{};
};

}  // namespace skm
