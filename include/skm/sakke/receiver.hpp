// SPDX-License-Identifier: BSD-3-Clause
// SAKKE receiver: RSK validation (RFC 6508 §6.1.2) and decapsulation (§6.2.2).
//
//   w    = <R, RSK>                         (computed as <RSK, R>: the RSK drives the Miller loop)
//   SSV  = H XOR HashToIntegerRange(w, 2^n)
//   r    = HashToIntegerRange(SSV || b, q)
//   TEST = [r]([b]P + Z) = [r]I, compared with R in constant time (a receiver context: from its
//          own table of I; decapsulation without a context: [r b]P + [r]Z from shared tables)
//
// Why R needs no explicit subgroup check. R is decoded with every cheap check (exact length,
// 0x04, coordinates < p, on the curve, not the identity). Beyond that, an R outside <P> cannot
// be accepted: TEST = [r]I is always in <P> (I is), so TEST = R forces R into <P>. And such an
// R cannot make the computation misbehave before that comparison, because R never drives the
// Miller loop: the RSK (a validated point of order q) does, and R only enters as the
// evaluation point of lines with F_p coefficients. For R of order 2 or 4 the pairing value is
// just some element of PF_p. So every R outside <P> ends in the same uniform failure as a bad H,
// for free; a full [q]R would cost about a third of a decapsulation.
//
// Every failure (length, encoding, TEST) returns the single error decapsulation_failed, and no
// SSV leaves the function unless TEST = R.
//
// RSK validation checks <[b]P + Z, RSK> = g as <RSK, [b]P + Z> with the RSK driving the loop;
// the loop ends at [q-1]RSK, and comparing that with -RSK checks [q]RSK = O for free (the
// pairing test alone does not see a component of order 2 or 4 in the RSK).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "skm/common/ct.hpp"
#include "skm/common/result.hpp"
#include "skm/common/stack_scrub.hpp"
#include "skm/pairing/line_table.hpp"
#include "skm/pairing/tate.hpp"
#include "skm/sakke/common.hpp"

namespace skm::sakke {

/// Decode an RSK: 0x04 || x || y, coordinates < p, on the curve, not the identity. NOT validated
/// (hence the name): the subgroup membership and <[b]P + Z, RSK> = g are checked by validate_rsk
/// or receiver::create (for free, see above), one of which must run before the RSK is used.
template <class Curve>
[[nodiscard]] result<ec::affine_point<Curve>, sakke_error> decode_rsk_unvalidated(
    std::span<const std::uint8_t> in) {
  const auto k = ec::decode_uncompressed<Curve>(in, ec::subgroup_check::skip);
  if (!k) return unexpected{sakke_error::bad_rsk_encoding};
  return *k;
}

/// RFC 6508 §6.1.2: the RSK is on the curve, of order q, and <[b]P + Z, RSK> = g.
template <class Curve>
[[nodiscard]] result<ok_t, sakke_error> validate_rsk(const kms_public_key<Curve>& kms,
                                                     std::span<const std::uint8_t> id,
                                                     const ec::affine_point<Curve>& rsk) {
  using S = scheme<Curve>;
  if ((rsk.infinity | !ec::on_curve(rsk)).declassify())
    return unexpected{sakke_error::bad_rsk_encoding};
  const auto i = kms.identity_point(id);
  if (!i) return unexpected{i.error()};
  const auto m = pairing::tate<Curve>::miller_loop_checked(S::coords(rsk), S::coords(*i));
  if (!m.driver_has_order_q.declassify()) return unexpected{sakke_error::rsk_not_in_subgroup};
  // compared projectively with (1 : g): no inversion
  const auto w = pairing::tate<Curve>::final_power(m.value);
  if (!ct_equal(w, pfp<typename S::Fp>::from_canonical(S::g())).declassify())
    return unexpected{sakke_error::rsk_pairing_mismatch};
  return ok_t{};
}

namespace detail {

/// Stack scrubbed after a decapsulation: above the deepest the steps reach (measured by
/// tests/hardening/test_zeroization.cpp).
inline constexpr std::size_t decapsulate_stack_bytes = std::size_t{64} * 1024;

/// The receiver steps shared by the cold and the warm path, in their own frame (see
/// decapsulate_core). PairWith(R) returns <RSK, R>; MulI(r) returns [r]I in Jacobian form.
template <class Curve, class PairWith, class MulI>
[[gnu::noinline]] result<typename scheme<Curve>::ssv_type, sakke_error> decapsulate_steps(
    std::span<const std::uint8_t> data, std::span<const std::uint8_t> id, PairWith& pair_with,
    MulI& mul_i) {
  using S = scheme<Curve>;
  if (data.size() != S::encapsulated_bytes) return unexpected{sakke_error::decapsulation_failed};
  const auto r_point =
      ec::decode_uncompressed<Curve>(data.first(S::point_bytes), ec::subgroup_check::skip);
  if (!r_point) return unexpected{sakke_error::decapsulation_failed};
  const auto h = data.subspan(S::point_bytes, S::ssv_bytes);

  typename S::Fp w = pair_with(S::coords(*r_point));
  auto mask = S::mask(w);
  typename S::ssv_type ssv;
  for (std::size_t i = 0; i < S::ssv_bytes; ++i) ssv[i] = static_cast<std::uint8_t>(h[i] ^ mask[i]);
  auto r = S::derive_r(ssv, id);
  auto test = mul_i(r);
  const ct::choice ok = ec::ct_equal(test, ec::to_jacobian(*r_point));
  ct::wipe_object(w);
  ct::wipe(mask.data(), mask.size());
  ct::wipe_object(r);
  ct::wipe_object(test);
  if (!ok.declassify()) {
    ct::wipe(ssv.data(), ssv.size());
    return unexpected{sakke_error::decapsulation_failed};
  }
  result<typename S::ssv_type, sakke_error> out{ssv};
  ct::wipe(ssv.data(), ssv.size());
  return out;
}

/// The receiver steps, then a scrub of the stack they used: w = <RSK, R>, the mask and r each
/// yield the SSV (common/stack_scrub.hpp).
template <class Curve, class PairWith, class MulI>
[[nodiscard]] result<typename scheme<Curve>::ssv_type, sakke_error> decapsulate_core(
    std::span<const std::uint8_t> data, std::span<const std::uint8_t> id, PairWith&& pair_with,
    MulI&& mul_i) {
  auto out = decapsulate_steps<Curve>(data, id, pair_with, mul_i);
  ct::scrub_stack<decapsulate_stack_bytes>();
  return out;
}

}  // namespace detail

/// Decapsulation without any per-receiver precomputation ("cold"): the RSK drives a full Miller
/// loop; TEST = [r b]P + [r]Z uses the shared tables of P and of the KMS key (public objects
/// every user holds anyway). The RSK is taken as given, NOT validated (hence the name; a
/// validation would cost another pairing per call): it must have been validated (validate_rsk)
/// when it was provisioned. receiver::create validates and is the usual way.
template <class Curve>
[[nodiscard]] result<typename scheme<Curve>::ssv_type, sakke_error>
decapsulate_with_unvalidated_rsk(const kms_public_key<Curve>& kms, std::span<const std::uint8_t> id,
                                 const ec::affine_point<Curve>& rsk,
                                 std::span<const std::uint8_t> data) {
  using S = scheme<Curve>;
  const auto b = S::identifier_value(id);
  if (!b) return unexpected{sakke_error::decapsulation_failed};
  return detail::decapsulate_core<Curve>(
      data, id,
      [&](const pairing::affine<typename S::Fp>& r) {
        return S::canonical(pairing::tate<Curve>::final_power(
            pairing::tate<Curve>::miller_loop(S::coords(rsk), r)));
      },
      [&](const typename S::scalar& r) { return kms.mul_identity_point(r, *b); });
}

namespace detail {
/// True until the object holding it is moved from: a moved-from receiver has no line table and
/// no table of I left, and says so instead of dereferencing them.
class live_flag {
 public:
  live_flag() noexcept = default;
  live_flag(live_flag&& o) noexcept : live_(std::exchange(o.live_, false)) {}
  live_flag& operator=(live_flag&& o) noexcept {
    if (this != &o) live_ = std::exchange(o.live_, false);
    return *this;
  }
  live_flag(const live_flag&) = delete;
  live_flag& operator=(const live_flag&) = delete;
  ~live_flag() = default;
  [[nodiscard]] explicit operator bool() const noexcept { return live_; }

 private:
  bool live_ = true;
};

/// The receiver's own fixed-base table of I (none for W = 0).
template <class Curve, unsigned W>
struct identity_table {
  using table_type = ec::fixed_base_table<Curve, W>;
  std::unique_ptr<const table_type> table;
  static identity_table build(const typename scheme<Curve>::point& i) {
    return {std::make_unique<const table_type>(i)};
  }
};
template <class Curve>
struct identity_table<Curve, 0> {
  static identity_table build(const typename scheme<Curve>::point&) { return {}; }
};
}  // namespace detail

/// A receiver for one identifier and key period: the validated RSK and its Miller line table,
/// the KMS public key, and its own fixed-base table of I = [b]P + Z, so that TEST = [r]I is one
/// table multiplication (W = 5: 205 mixed additions, 0.8 MB for parameter set 1, built in about
/// twice the time of the line table). W = 0 keeps no table of I: TEST = [r b]P + [r]Z then comes
/// from the shared tables of P and of the KMS key (294 additions), for receivers that must be
/// built fast or small. Building it validates the RSK.
template <class Curve, unsigned W = scheme<Curve>::receiver_window>
class receiver {
 public:
  using S = scheme<Curve>;
  using point = typename S::point;
  static constexpr bool has_identity_table = W != 0;

  [[nodiscard]] static result<receiver, sakke_error> create(const kms_public_key<Curve>& kms,
                                                            std::span<const std::uint8_t> id,
                                                            const point& rsk) {
    if ((rsk.infinity | !ec::on_curve(rsk)).declassify())
      return unexpected{sakke_error::bad_rsk_encoding};
    const auto i = kms.identity_point(id);
    if (!i) return unexpected{i.error()};
    auto lines = pairing::line_table<Curve>::precompute(S::coords(rsk));
    if (!lines.driver_has_order_q().declassify())
      return unexpected{sakke_error::rsk_not_in_subgroup};
    // RFC 6508 §6.1.2 with the table: <RSK, I> = <I, RSK> = g.
    const auto w = pairing::tate<Curve>::final_power(lines.miller_loop(S::coords(*i)));
    if (!ct_equal(w, pfp<typename S::Fp>::from_canonical(S::g())).declassify())
      return unexpected{sakke_error::rsk_pairing_mismatch};
    return receiver(std::vector<std::uint8_t>(id.begin(), id.end()),
                    S::identifier_value(id).value(), rsk, std::move(lines), kms, *i,
                    detail::identity_table<Curve, W>::build(*i));
  }

  receiver(receiver&&) noexcept = default;
  receiver& operator=(receiver&&) noexcept = default;
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;
  ~receiver() { ct::wipe_object(rsk_); }

  [[nodiscard]] std::span<const std::uint8_t> identifier() const noexcept { return id_; }
  [[nodiscard]] const point& identity_point() const noexcept { return i_; }

  /// False once the receiver was moved from (then decapsulate() refuses with
  /// receiver_moved_from).
  [[nodiscard]] bool usable() const noexcept { return static_cast<bool>(live_); }

  /// RFC 6508 §6.2.2 with the receiver's tables.
  [[nodiscard]] result<typename S::ssv_type, sakke_error> decapsulate(
      std::span<const std::uint8_t> data) const {
    if (!live_) return unexpected{sakke_error::receiver_moved_from};
    return detail::decapsulate_core<Curve>(
        data, id_,
        [&](const pairing::affine<typename S::Fp>& r) {
          return S::canonical(pairing::tate<Curve>::final_power(lines_.miller_loop(r)));
        },
        [&](const typename S::scalar& r) {
          if constexpr (has_identity_table) {
            return i_table_.table->mul(r);
          } else {
            return kms_.mul_identity_point(r, b_);
          }
        });
  }

 private:
  receiver(std::vector<std::uint8_t> id, const typename S::scalar& b, const point& rsk,
           pairing::line_table<Curve>&& lines, const kms_public_key<Curve>& kms, const point& i,
           detail::identity_table<Curve, W>&& i_table)
      : id_(std::move(id)),
        b_(b),
        rsk_(rsk),
        lines_(std::move(lines)),
        kms_(kms),
        i_(i),
        i_table_(std::move(i_table)) {}

  std::vector<std::uint8_t> id_;
  typename S::scalar b_;
  point rsk_;
  pairing::line_table<Curve> lines_;
  kms_public_key<Curve> kms_;
  point i_;
  detail::identity_table<Curve, W> i_table_;
  detail::live_flag live_;
};

}  // namespace skm::sakke
