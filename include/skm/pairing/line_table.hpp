// SPDX-License-Identifier: BSD-3-Clause
// Precomputed Miller lines for a fixed first argument K (mcl's precomputeG2 idea).
//
// Every line of the Miller loop driven by K, evaluated at [i]Q = (-Qx, i Qy), has the form
//     lambda (Qx + x) - y + i Qy  =  (lambda Qx + c) + i Qy,   c = lambda x - y,
// where (x, y) is a point on K's chain and lambda the slope: (lambda, c) depends on K only.
// precompute(K) runs the loop once on K in Jacobian coordinates, keeps each line as
// (lambda_num, c_num) / den, and normalizes all of them with ONE inversion (Montgomery's
// trick). Then pair(Q) costs per doubling step one product for lambda Qx, a squaring and a
// product in F_p^2 (6 base-field multiplications instead of about 17).
//
// In SAKKE the receiver keeps K = RSK for a whole key period and computes <R, RSK> as
// <RSK, R> (the pairing is symmetric on E(F_p)[q]). The RSK is secret, so precompute() is
// constant time: a fixed sequence of field operations, one constant-time inversion. The table
// is secret too: it is wiped when destroyed and cannot be copied by accident.
//
// precompute() needs K of order q (a validated RSK): otherwise some denominator is 0, the
// product of all of them is 0, and every line comes out 0 (a wrong pairing, never a crash).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "skm/common/ct.hpp"
#include "skm/ext/fp2.hpp"
#include "skm/pairing/tate.hpp"

namespace skm::pairing {

template <class Curve>
class line_table {
 public:
  using params = pairing_params<Curve>;
  using Fp = typename Curve::base_field;
  using gt = pfp<Fp>;
  using point = affine<Fp>;

  /// Lines in loop order: params::doublings + params::additions of them.
  static constexpr std::size_t size = params::doublings + params::additions;

  line_table() = default;
  line_table(const line_table&) = delete;
  line_table& operator=(const line_table&) = delete;
  line_table(line_table&& o) noexcept
      : lines_(std::move(o.lines_)), driver_has_order_q_(o.driver_has_order_q_) {
    o.lines_.clear();
    o.driver_has_order_q_ = ct::choice::no();
  }
  line_table& operator=(line_table&& o) noexcept {
    if (this != &o) {
      lines_ = std::move(o.lines_);  // the buffer it held is wiped as it is freed
      driver_has_order_q_ = o.driver_has_order_q_;
      o.lines_.clear();
      o.driver_has_order_q_ = ct::choice::no();
    }
    return *this;
  }

  [[nodiscard]] bool empty() const noexcept { return lines_.empty(); }
  /// Whether K had order q ([q]K = O), checked for free at the end of precompute(): a table
  /// built from any other point is meaningless and its owner must discard it.
  [[nodiscard]] ct::choice driver_has_order_q() const noexcept { return driver_has_order_q_; }

  /// Build the table for K (constant time in K).
  [[nodiscard]] static line_table precompute(const point& K) {
    using steps = miller_steps<Fp>;
    line_table t;
    t.lines_.resize(size);
    ct::secret_vector<Fp> den(size);  // the RSK's lines: secret
    typename steps::jacobian C{K.x, K.y, Fp::one()};
    const point minus_k = K.negate();
    std::size_t j = 0;
    for (std::size_t i = params::schedule.length - 1; i-- > 0;) {
      const auto d = steps::double_point(C);
      t.lines_[j] = {d.m * d.zz, d.m * d.x_old - d.yy2};
      den[j++] = d.den;
      const std::int8_t digit = params::schedule.digit[i];  // public: a digit of q - 1
      if (digit != 0) {
        const point& A = digit > 0 ? K : minus_k;
        const auto a = steps::add_point(C, A);
        t.lines_[j] = {a.r, a.r * A.x - a.den * A.y};
        den[j++] = a.den;
      }
    }
    // Montgomery's trick: prefix[j] = den[0] ... den[j]; one inversion of the full product.
    ct::secret_vector<Fp> prefix(size);
    prefix[0] = den[0];
    for (std::size_t k = 1; k < size; ++k) prefix[k] = prefix[k - 1] * den[k];
    Fp inv = prefix[size - 1].inverse();
    for (std::size_t k = size; k-- > 0;) {
      const Fp inv_k = k == 0 ? inv : inv * prefix[k - 1];  // 1/den[k]
      if (k != 0) inv = inv * den[k];
      t.lines_[k].lambda = t.lines_[k].lambda * inv_k;
      t.lines_[k].c = t.lines_[k].c * inv_k;
    }
    t.driver_has_order_q_ = steps::ends_at_minus(C, K);
    ct::wipe_object(C);
    ct::wipe_object(inv);
    return t;
  }

  /// f_K([i]Q) in PF_p from the table.
  /// An empty (default or moved-from) table gives the degenerate (0 : 0), never a crash.
  [[nodiscard]] gt miller_loop(const point& Q) const noexcept {
    if (lines_.size() != size) return gt(fp2<Fp>::zero());
    fp2<Fp> v = fp2<Fp>::one();
    std::size_t j = 0;
    bool first = true;
    for (std::size_t i = params::schedule.length - 1; i-- > 0;) {
      const fp2<Fp> line{lines_[j].lambda * Q.x + lines_[j].c, Q.y};
      ++j;
      v = first ? line : v.square() * line;
      first = false;
      if (params::schedule.digit[i] != 0) {
        v *= fp2<Fp>{lines_[j].lambda * Q.x + lines_[j].c, Q.y};
        ++j;
      }
    }
    return gt(v);
  }

  /// <K, Q> = <Q, K> as its canonical F_p value.
  [[nodiscard]] Fp pair(const point& Q) const noexcept {
    return tate<Curve>::final_exponentiation(miller_loop(Q));
  }

 private:
  struct line {
    Fp lambda;
    Fp c;
  };
  ct::secret_vector<line> lines_;  // an RSK's lines, wiped when freed
  ct::choice driver_has_order_q_ = ct::choice::no();
};

}  // namespace skm::pairing
