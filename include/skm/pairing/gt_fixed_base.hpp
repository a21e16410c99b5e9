// SPDX-License-Identifier: BSD-3-Clause
// Fixed-base exponentiation in PF_p[q] for one public base (SAKKE's g = <P, P>), constant time
// in the exponent.
//
// For every window position i the table holds base^(d 2^(W i)) for d = 1 .. 2^(W-1), each
// normalized to (1 : t) and stored as t alone. A signed (Booth) digit -d selects (1 : -t): in
// PF_p the inverse of (a : b) is (a : -b). Multiplying by (1 : t) costs two base-field products:
//     (v0 + i v1)(1 + i t) = (v0 - v1 t) + i (v1 + v0 t).
// So g^r is ceil((bits(q)+1)/W) such products, no squarings; every row is scanned in full, so
// neither the digits nor the memory addresses depend on r (r reveals the SSV in SAKKE).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "skm/bigint/uint.hpp"
#include "skm/common/ct.hpp"
#include "skm/ext/fp2.hpp"
#include "skm/pairing/tate.hpp"

namespace skm::pairing {

template <class Curve, unsigned W = 5>
class gt_fixed_base {
 public:
  static_assert(W >= 2 && W <= 8);
  using Fp = typename Curve::base_field;
  using gt = pfp<Fp>;
  static constexpr std::size_t exponent_bits = pairing_params<Curve>::q_bits;  // exponents are < q
  static constexpr std::size_t windows = (exponent_bits + 1 + W - 1) / W;
  static constexpr std::size_t per_window = std::size_t{1} << (W - 1);

  /// Table for the element of PF_p whose canonical value is `base` (public).
  explicit gt_fixed_base(const Fp& base) : entries_(windows * per_window) {
    std::vector<fp2<Fp>> full(windows * per_window);
    fp2<Fp> row_base{Fp::one(), base};
    for (std::size_t i = 0; i < windows; ++i) {
      fp2<Fp>* row = full.data() + i * per_window;
      row[0] = row_base;
      for (std::size_t d = 1; d < per_window; ++d) row[d] = row[d - 1] * row_base;
      row_base = row[per_window - 1].square();  // base^(2^(W-1) 2^(W i) * 2) = next row's base
    }
    // t = im / re for every entry, with one inversion (the base is public).
    std::vector<Fp> prefix(full.size());
    prefix[0] = full[0].re;
    for (std::size_t k = 1; k < full.size(); ++k) prefix[k] = prefix[k - 1] * full[k].re;
    Fp inv = prefix.back().inverse_vartime();
    for (std::size_t k = full.size(); k-- > 0;) {
      const Fp inv_k = k == 0 ? inv : inv * prefix[k - 1];
      if (k != 0) inv = inv * full[k].re;
      entries_[k] = full[k].im * inv_k;
    }
  }

  /// base^k for 0 <= k < 2^(exponent_bits) (SAKKE: k = r < q), constant time in k.
  template <std::size_t M>
  [[nodiscard]] gt pow(const uint<M>& k) const noexcept {
    fp2<Fp> v = fp2<Fp>::one();
    for (std::size_t w = 0; w < windows; ++w) {
      // Booth digit: bits [W w - 1, W w + W - 1] of k (bit -1 is 0), d = (v >> 1) + (v & 1) - 2^W
      // sign
      const limb_t bits = window_bits(k, static_cast<std::ptrdiff_t>(W * w) - 1);
      const ct::choice negative = ct::choice::from_bit(bits >> W);
      const limb_t d = (bits >> 1) + (bits & 1);  // in [0, 2^W]
      const limb_t magnitude = ct::select(negative, (limb_t{1} << W) - d, d);
      Fp t;  // magnitude 0 leaves t = 0: (1 : 0) is the identity
      for (std::size_t j = 0; j < per_window; ++j) {
        const ct::choice hit =
            ct::choice::from_mask(ct::zero_mask(static_cast<limb_t>(j + 1) ^ magnitude));
        t = Fp::select(hit, entries_[w * per_window + j], t);
      }
      t = Fp::select(negative, -t, t);
      v = fp2<Fp>{v.re - v.im * t, v.im + v.re * t};
    }
    return gt(v);
  }

  /// base^(ks[j]) for several secret exponents, each exactly as pow() computes it (constant
  /// time in every exponent), window by window across the batch so that each row of the table
  /// is read once for the whole batch. out[j] for j < min(ks.size(), out.size()).
  template <std::size_t M>
  void pow_batch(std::span<const uint<M>> ks, std::span<gt> out) const {
    const std::size_t n = std::min(ks.size(), out.size());
    ct::secret_vector<fp2<Fp>> v(n, fp2<Fp>::one());
    for (std::size_t w = 0; w < windows; ++w)
      for (std::size_t j = 0; j < n; ++j) {
        const limb_t bits = window_bits(ks[j], static_cast<std::ptrdiff_t>(W * w) - 1);
        const ct::choice negative = ct::choice::from_bit(bits >> W);
        const limb_t d = (bits >> 1) + (bits & 1);
        const limb_t magnitude = ct::select(negative, (limb_t{1} << W) - d, d);
        Fp t;
        for (std::size_t i = 0; i < per_window; ++i) {
          const ct::choice hit =
              ct::choice::from_mask(ct::zero_mask(static_cast<limb_t>(i + 1) ^ magnitude));
          t = Fp::select(hit, entries_[w * per_window + i], t);
        }
        t = Fp::select(negative, -t, t);
        v[j] = fp2<Fp>{v[j].re - v[j].im * t, v[j].im + v[j].re * t};
      }
    for (std::size_t j = 0; j < n; ++j) out[j] = gt(v[j]);
  }

  /// base^k as its canonical F_p value (one constant-time inversion).
  template <std::size_t M>
  [[nodiscard]] Fp pow_canonical(const uint<M>& k) const noexcept {
    return pow(k).canonical();
  }

  [[nodiscard]] std::size_t memory_bytes() const noexcept { return entries_.size() * sizeof(Fp); }

 private:
  /// W + 1 bits of k starting at bit `pos` (public position; pos = -1 reads a 0 below bit 0).
  template <std::size_t M>
  [[nodiscard]] static constexpr limb_t window_bits(const uint<M>& k, std::ptrdiff_t pos) noexcept {
    limb_t v = 0;
    for (unsigned b = 0; b <= W; ++b) {
      const std::ptrdiff_t i = pos + static_cast<std::ptrdiff_t>(b);
      if (i < 0 || static_cast<std::size_t>(i) >= 64 * M) continue;  // public positions
      const std::size_t ui = static_cast<std::size_t>(i);
      v |= ((k.limb[ui / 64] >> (ui % 64)) & 1) << b;
    }
    return v;
  }

  std::vector<Fp> entries_;
};

}  // namespace skm::pairing
