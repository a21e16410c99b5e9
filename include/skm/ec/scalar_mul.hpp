// SPDX-License-Identifier: BSD-3-Clause
// Scalar multiplication: constant time for secret scalars (variable base and fixed base), and
// variable time for public ones (verification). See point.hpp for the API summary.
//
// Signed fixed windows (Booth recoding): a scalar k of B bits is written as
//   k = sum_i d_i 2^(W i),  d_i in [-2^(W-1), 2^(W-1)],
// with d_i read from the W+1 bits k[W i - 1 .. W i + W - 1] (bit -1 is zero) as
//   d_i = k[Wi-1] + sum_{j<W-1} 2^j k[Wi+j] - 2^(W-1) k[Wi+W-1].
// ceil((B+1)/W) windows are needed so that the top window's sign bit is zero. A table then only
// holds [1..2^(W-1)]P, and a digit is applied as an entry found by scanning the whole table,
// negated with a mask.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "skm/bigint/uint.hpp"
#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/ec/point.hpp"

namespace skm::ec {

namespace detail {

/// `count` (<= 63) bits of k starting at bit `pos` (pos = -1 reads a zero below bit 0). `pos`
/// is public; the value read is not branched on.
template <std::size_t M>
[[nodiscard]] constexpr limb_t bits_at(const uint<M>& k, std::ptrdiff_t pos,
                                       unsigned count) noexcept {
  if (pos < 0) return (bits_at(k, 0, count - 1) << 1);
  const std::size_t upos = static_cast<std::size_t>(pos);
  const std::size_t li = upos / 64, off = upos % 64;
  limb_t v = 0;
  if (li < M) v = k.limb[li] >> off;
  if (off != 0 && li + 1 < M) v |= k.limb[li + 1] << (64 - off);
  return v & ((limb_t{1} << count) - 1);
}

struct signed_digit {
  limb_t magnitude;     ///< |d| in [0, 2^(W-1)]
  ct::choice negative;  ///< d < 0
};

/// Booth digit of window i, constant time.
template <unsigned W, std::size_t M>
[[nodiscard]] constexpr signed_digit booth_digit(const uint<M>& k, std::size_t window) noexcept {
  const limb_t v = bits_at(k, static_cast<std::ptrdiff_t>(W * window) - 1, W + 1);
  const limb_t sign = v >> W;
  const limb_t d = (v >> 1) + (v & 1);  // in [0, 2^W]
  const ct::choice neg = ct::choice::from_bit(sign);
  return {ct::select(neg, (limb_t{1} << W) - d, d), neg};
}

template <class Curve, class Point>
[[nodiscard]] constexpr Point select_point(ct::choice c, const Point& a, const Point& b) noexcept {
  if constexpr (std::is_same_v<Point, jacobian_point<Curve>>) {
    return jacobian_point<Curve>::select(c, a, b);
  } else {
    return ec::select(c, a, b);
  }
}

/// Entry d (1-based) of `table`, or `none` when d == 0, scanning every entry. At run time the
/// coordinates' limbs are OR-ed under masks straight from the table (no per-entry copies).
template <class Curve, class Point>
[[nodiscard]] constexpr Point ct_lookup(std::span<const Point> table, limb_t d,
                                        const Point& none) noexcept {
  if (std::is_constant_evaluated()) {
    Point r = none;
    for (std::size_t i = 0; i < table.size(); ++i) {
      const ct::choice hit = ct::choice::from_mask(ct::zero_mask(static_cast<limb_t>(i + 1) ^ d));
      r = select_point<Curve>(hit, table[i], r);
    }
    return r;
  }
  using field = typename Curve::base_field;
  constexpr std::size_t L = field::limbs;
  constexpr bool is_affine = std::is_same_v<Point, affine_point<Curve>>;
  typename field::uint_type x{}, y{}, z{};
  limb_t flag = 0, found = 0;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const limb_t mask = ct::zero_mask(static_cast<limb_t>(i + 1) ^ d);
    const auto& ex = table[i].x.montgomery_form();
    const auto& ey = table[i].y.montgomery_form();
    // unrolled, the accumulators stay in registers (measured: 13% fewer instructions for a
    // P-256 fixed-base multiplication than the vectorized loop with accumulators in memory)
#pragma GCC unroll 16
    for (std::size_t k = 0; k < L; ++k) {
      x.limb[k] |= ex.limb[k] & mask;
      y.limb[k] |= ey.limb[k] & mask;
    }
    if constexpr (is_affine) {
      flag |= table[i].infinity.mask() & mask;
    } else {
      const auto& ez = table[i].z.montgomery_form();
#pragma GCC unroll 16
      for (std::size_t k = 0; k < L; ++k) z.limb[k] |= ez.limb[k] & mask;
    }
    found |= mask;
  }
  Point r;
  if constexpr (is_affine) {
    r = {field::from_montgomery(x), field::from_montgomery(y), ct::choice::from_mask(flag)};
  } else {
    r = {field::from_montgomery(x), field::from_montgomery(y), field::from_montgomery(z)};
  }
  return select_point<Curve>(ct::choice::from_mask(found), r, none);
}

/// Width-w NAF of a public scalar: digits odd in (-2^(w-1), 2^(w-1)) or zero, k = sum d_i 2^i;
/// returns the length. Bit scanning with a carry: at a position whose bit differs from the
/// carry, the next w bits plus the carry form an odd digit, taken negative (carrying into the
/// bits above) when its top bit is set.
template <unsigned W, std::size_t M>
[[nodiscard]] constexpr std::size_t wnaf(const uint<M>& k,
                                         std::array<std::int8_t, 64 * M + 1>& digits) noexcept {
  static_assert(W >= 2 && W <= 8, "digits must fit an int8_t");
  constexpr std::size_t nbits = 64 * M;
  for (auto& d : digits) d = 0;
  std::size_t len = 0;
  limb_t carry = 0;
  std::size_t bit = 0;
  while (bit < nbits) {
    if (bits_at(k, static_cast<std::ptrdiff_t>(bit), 1) == carry) {
      ++bit;
      continue;
    }
    const unsigned now = nbits - bit < W ? static_cast<unsigned>(nbits - bit) : W;
    long word = static_cast<long>(bits_at(k, static_cast<std::ptrdiff_t>(bit), now) + carry);
    carry = static_cast<limb_t>((word >> (W - 1)) & 1);
    word -= static_cast<long>(carry << W);
    digits[bit] = static_cast<std::int8_t>(word);
    len = bit + 1;
    bit += now;
  }
  if (carry != 0) {
    digits[nbits] = 1;
    len = nbits + 1;
  }
  return len;
}

/// Odd multiples [1, 3, 5, ..., 2^(W-1) - 1]P of several public points, in affine form, with one
/// inversion for all of them.
template <class Curve, unsigned W, std::size_t Count>
[[nodiscard]] std::array<std::array<affine_point<Curve>, (1u << (W - 2))>, Count>
odd_multiples_vartime(const std::array<affine_point<Curve>, Count>& points) {
  constexpr std::size_t n = 1u << (W - 2);
  std::array<jacobian_point<Curve>, n * Count> jac;
  for (std::size_t c = 0; c < Count; ++c) {
    jacobian_point<Curve>* row = jac.data() + c * n;
    row[0] = to_jacobian(points[c]);
    const auto twice = dbl(points[c]);
    for (std::size_t i = 1; i < n; ++i) row[i] = add_vartime(row[i - 1] /* (2i-1)P */, twice);
  }
  std::array<affine_point<Curve>, n * Count> flat;
  batch_to_affine_vartime<Curve>(jac, flat);
  std::array<std::array<affine_point<Curve>, n>, Count> out;
  for (std::size_t c = 0; c < Count; ++c) {
    for (std::size_t i = 0; i < n; ++i) out[c][i] = flat[c * n + i];
  }
  return out;
}

template <class Curve, std::size_t N>
constexpr void apply_wnaf_digit(jacobian_point<Curve>& acc, int d,
                                const std::array<affine_point<Curve>, N>& table) noexcept {
  if (d > 0) acc = add_vartime(acc, table[static_cast<std::size_t>(d) / 2]);
  if (d < 0) acc = add_vartime(acc, negate(table[static_cast<std::size_t>(-d) / 2]));
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Constant-time variable-base multiplication.

/// [k]P in constant time for any P (including points of small order and the identity) and any
/// k of the scalar type: always 64*limbs bits, W = 5 signed windows, Jacobian table of
/// [1..16]P scanned in full, complete additions.
template <class Curve, std::size_t M>
[[nodiscard]] constexpr jacobian_point<Curve> mul(const jacobian_point<Curve>& p,
                                                  const uint<M>& k) noexcept {
  using J = jacobian_point<Curve>;
  constexpr unsigned W = 5;
  constexpr std::size_t windows = (64 * M + 1 + W - 1) / W;
  std::array<J, (1u << (W - 1))> table;
  table[0] = p;
  table[1] = dbl(p);
  for (std::size_t i = 2; i < table.size(); ++i) table[i] = add(table[i - 1], p);

  J acc = identity<Curve>();
  for (std::size_t w = windows; w-- > 0;) {
    if (w + 1 != windows) {
      for (unsigned j = 0; j < W; ++j) acc = dbl(acc);
    }
    const auto digit = detail::booth_digit<W>(k, w);
    J e =
        detail::ct_lookup<Curve, J>(std::span<const J>(table), digit.magnitude, identity<Curve>());
    e = J::select(digit.negative, negate(e), e);
    acc = add(acc, e);
  }
  ct::wipe_object(table);
  return acc;
}

template <class Curve, std::size_t M>
[[nodiscard]] constexpr jacobian_point<Curve> mul(const affine_point<Curve>& p,
                                                  const uint<M>& k) noexcept {
  return mul(to_jacobian(p), k);
}

// ---------------------------------------------------------------------------------------------
// Fixed-base tables.

/// Default window width: about 64 KB..200 KB tables for 256-bit curves, and a few hundred KB
/// for the 1024-bit SAKKE curve. A traits struct may set `fixed_base_window`.
template <class Curve>
constexpr unsigned default_fixed_base_window = [] {
  if constexpr (requires { Curve::fixed_base_window; }) {
    return static_cast<unsigned>(Curve::fixed_base_window);
  } else {
    return curve_facts<Curve>::scalar_bits <= 384 ? 7u : 4u;
  }
}();

/// [k]B for one base B fixed when the table is built (at run time, from any point): for every
/// window position i it stores [1..2^(W-1)] 2^(W i) B in affine form, so a multiplication is
/// one mixed addition per window and no doublings. The base is public (a generator, a public
/// key, SAKKE's I = [b]P + Z): building the table may branch on it. The scalar given to mul()
/// stays secret.
template <class Curve, unsigned W = default_fixed_base_window<Curve>>
class fixed_base_table {
 public:
  static_assert(W >= 2 && W <= 8, "window width out of the supported range");
  using affine = affine_point<Curve>;
  using jacobian = jacobian_point<Curve>;
  using scalar = typename curve_facts<Curve>::scalar;
  static constexpr unsigned window = W;
  static constexpr std::size_t scalar_bits = curve_facts<Curve>::scalar_bits;
  static constexpr std::size_t windows = (scalar_bits + 1 + W - 1) / W;
  static constexpr std::size_t per_window = std::size_t{1} << (W - 1);

  explicit fixed_base_table(const affine& base) : base_(base), entries_(windows * per_window) {
    std::vector<jacobian> jac(windows * per_window);
    jacobian row_base = to_jacobian(base);
    for (std::size_t i = 0; i < windows; ++i) {
      jacobian* row = jac.data() + i * per_window;
      row[0] = row_base;
      if (per_window > 1) row[1] = dbl(row_base);
      for (std::size_t j = 2; j < per_window; ++j) row[j] = add_vartime(row[j - 1], row_base);
      // next row's base: 2^W times this one = 2 * (2^(W-1) B_i), the row's last entry
      row_base = dbl(row[per_window - 1]);
    }
    batch_to_affine_vartime<Curve>(jac, entries_);
    base_has_order_q_ =
        !base.infinity.declassify() && is_identity(mul_vartime(Curve::q)).declassify();
  }

  fixed_base_table(const fixed_base_table&) = default;
  fixed_base_table& operator=(const fixed_base_table&) = default;
  /// A moved-from table is empty: its products are the identity (never an out-of-bounds read).
  fixed_base_table(fixed_base_table&& other) noexcept
      : base_(other.base_),
        entries_(std::move(other.entries_)),
        base_has_order_q_(other.base_has_order_q_) {
    other.entries_.clear();
    other.base_has_order_q_ = false;
  }
  fixed_base_table& operator=(fixed_base_table&& other) noexcept {
    if (this != &other) {
      base_ = other.base_;
      entries_ = std::move(other.entries_);
      base_has_order_q_ = other.base_has_order_q_;
      other.entries_.clear();
      other.base_has_order_q_ = false;
    }
    return *this;
  }
  ~fixed_base_table() = default;

  [[nodiscard]] bool empty() const noexcept { return entries_.size() != windows * per_window; }
  [[nodiscard]] const affine& base() const noexcept { return base_; }
  [[nodiscard]] std::size_t memory_bytes() const noexcept {
    return entries_.size() * sizeof(affine);
  }

  /// [k]B in constant time: one whole-row scan and one mixed addition per window.
  ///
  /// Before window i the accumulator is [m]B with |m| < 2^(W i) (a sum of lower signed
  /// digits), and the entry is [d 2^(W i)]B with 1 <= |d| <= 2^(W-1). They can only be equal if
  /// m - d 2^(W i), a nonzero integer of magnitude below 2^(W i) (2^(W-1) + 1), is a multiple of
  /// B's order. When B has prime order q (checked at construction) that is impossible in every
  /// window with 2^(W i) (2^(W-1) + 1) <= q: those windows skip the doubling case; the top
  /// windows, and every window for a base of another order, use the complete addition.
  [[nodiscard]] jacobian mul(const scalar& k) const noexcept {
    const std::size_t fast_windows = fast_window_count();
    jacobian acc = identity<Curve>();
    if (empty()) return acc;
    for (std::size_t w = 0; w < windows; ++w) {
      const affine e = signed_entry(k, w);
      acc = w < fast_windows ? add_not_equal(acc, e) : add(acc, e);
    }
    return acc;
  }

  /// [k_j]B for several secret scalars, each computed exactly as mul() does (constant time in
  /// every k_j), but window by window across the batch: one row of the table serves every
  /// scalar while it is in the cache, so a batch of n reads the table once instead of n times.
  /// out[j] = [ks[j]]B for j < min(ks.size(), out.size()).
  void mul_batch(std::span<const scalar> ks, std::span<jacobian> out) const noexcept {
    const std::size_t fast_windows = fast_window_count();
    const std::size_t n = std::min(ks.size(), out.size());
    for (std::size_t j = 0; j < n; ++j) out[j] = identity<Curve>();
    if (empty()) return;
    for (std::size_t w = 0; w < windows; ++w)
      for (std::size_t j = 0; j < n; ++j) {
        const affine e = signed_entry(ks[j], w);
        out[j] = w < fast_windows ? add_not_equal(out[j], e) : add(out[j], e);
      }
  }

  /// mul_batch with affine accumulators: in the windows where an accumulator can never equal
  /// the entry added (see mul()), the affine sums of one window across the whole batch share one
  /// field inversion (Montgomery's trick), each sum then costing 5 products and 1 squaring
  /// instead of a mixed addition's 8 and 3. The shared inversion is inverse_blinded: the product
  /// of the denominators is multiplied by a fresh random factor from `rng` and only that
  /// uniformly random value is inverted in variable time. The top windows use the complete
  /// mixed addition as mul() does. The same results as mul_batch, constant time in every k_j;
  /// it pays from a few scalars up (one inversion per window for the batch).
  ///
  ///   per window:  e_j = row entry of digit j (scan, sign)     d_j = x(e_j) - x(A_j)  (1 if A_j
  ///                or e_j is the identity)   t_j = d_0 ... d_j   u = 1 / t_(n-1)  (blinded)
  ///                back to front: 1/d_j = u t_(j-1), u = u d_j
  ///                l = (y(e_j) - y(A_j)) / d_j, x3 = l^2 - x(A_j) - x(e_j),
  ///                y3 = l (x(A_j) - x3) - y(A_j)
  template <random_source Rng>
  void mul_batch_affine(std::span<const scalar> ks, std::span<jacobian> out, Rng& rng) const {
    using field = typename Curve::base_field;
    const std::size_t n = std::min(ks.size(), out.size());
    const std::size_t fast_windows = fast_window_count();
    if (n < 2 || fast_windows == 0 || empty()) {
      mul_batch(ks, out);
      return;
    }
    ct::secret_vector<affine> acc(n, identity_affine<Curve>()), entry(n);
    ct::secret_vector<field> dx(n), prefix(n);
    for (std::size_t w = 0; w < fast_windows; ++w) {
      field run = field::one();
      for (std::size_t j = 0; j < n; ++j) {
        const affine& e = entry[j] = signed_entry(ks[j], w);
        const ct::choice special = acc[j].infinity | e.infinity;
        dx[j] = field::select(special, field::one(), e.x - acc[j].x);
        run = run * dx[j];
        prefix[j] = run;
      }
      field u = inverse_blinded(run, rng);
      for (std::size_t j = n; j-- > 0;) {
        const field inv = j == 0 ? u : u * prefix[j - 1];
        u = u * dx[j];
        const affine& e = entry[j];
        affine& a = acc[j];
        const field l = (e.y - a.y) * inv;
        const field x3 = l.square() - a.x - e.x;
        const affine sum{x3, l * (a.x - x3) - a.y, ct::choice::no()};
        a = select(a.infinity, e, select(e.infinity, a, sum));
      }
      ct::wipe_object(run);
      ct::wipe_object(u);
    }
    for (std::size_t j = 0; j < n; ++j) out[j] = to_jacobian(acc[j]);
    for (std::size_t w = fast_windows; w < windows; ++w)
      for (std::size_t j = 0; j < n; ++j) out[j] = add(out[j], signed_entry(ks[j], w));
  }

  /// The first window i with 2^(W i) (2^(W-1) + 1) > q (see mul()).
  static constexpr std::size_t first_unsafe_window = [] {
    constexpr std::size_t L = scalar::limbs + 1;
    const auto q = Curve::q.template resize<L>();
    std::size_t i = 0;
    while (W * i + W + 1 < 64 * L && ((uint<L>::from_u64((1u << (W - 1)) + 1) << (W * i)) <= q))
      ++i;
    return i;
  }();
  [[nodiscard]] bool base_has_order_q() const noexcept { return base_has_order_q_; }

  /// [k]B for a public k (direct indexing, branches).
  [[nodiscard]] jacobian mul_vartime(const scalar& k) const noexcept {
    jacobian acc = identity<Curve>();
    if (empty()) return acc;
    for (std::size_t w = 0; w < windows; ++w) {
      const auto digit = detail::booth_digit<W>(k, w);
      if (digit.magnitude == 0) continue;
      const affine& e = row(w)[digit.magnitude - 1];
      acc = add_vartime(acc, digit.negative.declassify() ? negate(e) : e);
    }
    return acc;
  }

 private:
  /// [d 2^(W w)]B for the signed digit d of k in window w: the whole row scanned (constant time
  /// in k), the entry negated with a mask.
  [[nodiscard]] affine signed_entry(const scalar& k, std::size_t w) const noexcept {
    const auto digit = detail::booth_digit<W>(k, w);
    affine e = detail::ct_lookup<Curve, affine>(row(w), digit.magnitude, identity_affine<Curve>());
    e.y = Curve::base_field::select(digit.negative, -e.y, e.y);
    return e;
  }

  /// The windows whose addition cannot meet the doubling case (see mul()): none unless the base
  /// has order q. Public.
  [[nodiscard]] std::size_t fast_window_count() const noexcept {
    return base_has_order_q_ ? first_unsafe_window : 0;
  }

  [[nodiscard]] std::span<const affine> row(std::size_t w) const noexcept {
    return std::span<const affine>(entries_).subspan(w * per_window, per_window);
  }

  affine base_;
  std::vector<affine> entries_;
  bool base_has_order_q_ = false;
};

// ---------------------------------------------------------------------------------------------
// Variable-time multiplication for public inputs.

/// [k]P, public k and P (width-5 NAF).
template <class Curve, std::size_t M>
[[nodiscard]] jacobian_point<Curve> mul_vartime(const affine_point<Curve>& p, const uint<M>& k) {
  constexpr unsigned W = 5;
  if (p.infinity.declassify()) return identity<Curve>();
  const auto table = detail::odd_multiples_vartime<Curve, W, 1>({p})[0];
  std::array<std::int8_t, 64 * M + 1> digits;
  const std::size_t len = detail::wnaf<W>(k, digits);
  jacobian_point<Curve> acc = identity<Curve>();
  for (std::size_t i = len; i-- > 0;) {
    acc = dbl(acc);
    detail::apply_wnaf_digit(acc, digits[i], table);
  }
  return acc;
}

/// [a]P + [b]Q, public inputs: interleaved width-5 NAFs sharing the doublings (Straus/Shamir).
template <class Curve, std::size_t M>
[[nodiscard]] jacobian_point<Curve> double_mul_vartime(const affine_point<Curve>& p,
                                                       const uint<M>& a,
                                                       const affine_point<Curve>& q,
                                                       const uint<M>& b) {
  constexpr unsigned W = 5;
  if (p.infinity.declassify()) return mul_vartime(q, b);
  if (q.infinity.declassify()) return mul_vartime(p, a);
  const auto tables = detail::odd_multiples_vartime<Curve, W, 2>({p, q});
  const auto& tp = tables[0];
  const auto& tq = tables[1];
  std::array<std::int8_t, 64 * M + 1> da, db;
  const std::size_t la = detail::wnaf<W>(a, da);
  const std::size_t lb = detail::wnaf<W>(b, db);
  jacobian_point<Curve> acc = identity<Curve>();
  for (std::size_t i = (la > lb ? la : lb); i-- > 0;) {
    acc = dbl(acc);
    detail::apply_wnaf_digit(acc, da[i], tp);
    detail::apply_wnaf_digit(acc, db[i], tq);
  }
  return acc;
}

/// The odd multiples [1, 3, ..., 2^(W-1) - 1]B of a fixed public point, for its wNAF term in
/// variable-time multi-scalar multiplications: a wide window costs nothing per use (W = 8: 64
/// affine points, about 1/9 of the bits need an addition).
template <class Curve, unsigned W>
class wnaf_table {
 public:
  static_assert(W >= 3 && W <= 8);
  static constexpr unsigned window = W;
  using entries_type = std::array<affine_point<Curve>, (1u << (W - 2))>;

  explicit wnaf_table(const affine_point<Curve>& base)
      : base_(base), entries_(detail::odd_multiples_vartime<Curve, W, 1>({base})[0]) {}

  [[nodiscard]] const affine_point<Curve>& base() const noexcept { return base_; }
  [[nodiscard]] const entries_type& entries() const noexcept { return entries_; }

 private:
  affine_point<Curve> base_;
  entries_type entries_;
};

/// [a]B + sum [b_i]P_i for a fixed B with a wnaf_table and Count other points, all public:
/// one shared chain of doublings (Straus), width-5 NAFs for the P_i.
template <class Curve, unsigned WB, std::size_t Count, std::size_t M>
[[nodiscard]] jacobian_point<Curve> multi_mul_vartime(
    const wnaf_table<Curve, WB>& base, const uint<M>& a,
    const std::array<affine_point<Curve>, Count>& points,
    const std::array<uint<M>, Count>& scalars) {
  constexpr unsigned W = 5;
  std::array<std::array<std::int8_t, 64 * M + 1>, Count + 1> digits;
  std::size_t len = detail::wnaf<WB>(a, digits[0]);
  for (std::size_t c = 0; c < Count; ++c) {
    if (points[c].infinity.declassify()) {
      for (auto& d : digits[c + 1]) d = 0;  // the identity contributes nothing
      continue;
    }
    const std::size_t l = detail::wnaf<W>(scalars[c], digits[c + 1]);
    if (l > len) len = l;
  }
  const auto tables = detail::odd_multiples_vartime<Curve, W, Count>(points);
  jacobian_point<Curve> acc = identity<Curve>();
  for (std::size_t i = len; i-- > 0;) {
    acc = dbl(acc);
    detail::apply_wnaf_digit(acc, digits[0][i], base.entries());
    for (std::size_t c = 0; c < Count; ++c)
      detail::apply_wnaf_digit(acc, digits[c + 1][i], tables[c]);
  }
  return acc;
}

/// Whether [q]P is the identity (always true when the cofactor is 1 and P is on the curve).
template <class Curve>
[[nodiscard]] bool in_subgroup_vartime(const affine_point<Curve>& p) {
  if (p.infinity.declassify()) return true;
  return is_identity(mul_vartime(p, Curve::q)).declassify();
}

}  // namespace skm::ec
