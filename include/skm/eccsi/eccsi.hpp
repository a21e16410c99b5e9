// SPDX-License-Identifier: BSD-3-Clause
// ECCSI: Elliptic Curve-Based Certificateless Signatures for Identity-Based Encryption (RFC 6507).
//
// Roles and objects (all generic over curve traits and a hash; the defaults are RFC 6507
// Appendix A's NIST P-256 with SHA-256, the profile of RFC 6509 and 3GPP TS 33.180):
//
//   kms<>            KSAK (secret) and KPAK = [KSAK]G; issue(ID, rng) -> key_pair (SSK, PVT),
//   §5.1.1 public_key<>     a validated KPAK (§4.2: on the curve, not the identity) signer<> a
//   validated (SSK, PVT) for an ID (§5.1.2), with HS cached; sign(M, rng), §5.2.1 verify(...)
//   §5.2.2 for a one-off signature ("cold"): one three-term multiplication
//                    [s HE]G + [s r HS]PVT + [s r]KPAK with shared doublings
//   signer_context<> one signer (KPAK, ID, PVT): Y = [HS]PVT + KPAK cached, optionally with a
//                    fixed-base table for Y, so a verification is [s HE]G + [s r]Y from two tables
//
// Wire formats (RFC 6507 §3.3): N = ceil(n/8) octets per integer, points as 0x04 || x || y.
//
//   Signature = r || s || PVT        (N + N + 2N+1 octets: 129 for P-256)
//   +-----------+-----------+------+-----------+-----------+
//   |  r (N)    |  s (N)    | 0x04 |  PVTx (N) |  PVTy (N) |
//   +-----------+-----------+------+-----------+-----------+
//
// Secrets (KSAK, v, SSK, j) are handled in constant time: scalar arithmetic in Montgomery form,
// [k]G through the generator's table with whole-row scans; the two inversions of a signature
// (Z of J, and HE + r SSK) are blinded by a random factor from the caller's source before a fast
// variable-time inversion (ec::inverse_blinded); secrets are wiped when they die. Verification
// works on public values and uses variable-time arithmetic.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "skm/bigint/bytes.hpp"
#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/common/stack_scrub.hpp"
#include "skm/curves/p256.hpp"
#include "skm/ec/ec.hpp"
#include "skm/eccsi/error.hpp"
#include "skm/hash/sha256.hpp"

namespace skm::eccsi {

/// Marker value of a successful verification.
struct verified {};

/// Sizes and shared helpers of one ECCSI instantiation.
template <class Curve, hash_function Hash>
struct suite {
  using curve = Curve;
  using hash = Hash;
  using field = typename Curve::base_field;     ///< F_p
  using qfield = typename Curve::scalar_field;  ///< F_q
  using affine = ec::affine_point<Curve>;
  using jacobian = ec::jacobian_point<Curve>;

  static constexpr std::size_t N = field::bytes;  ///< octets in r, s, HS, HE, SSK
  static constexpr std::size_t point_size = ec::encoded_point_size<Curve>;
  static constexpr std::size_t signature_size = 2 * N + point_size;
  static constexpr std::size_t max_attempts = 16;  ///< retries for degenerate random values

  static_assert(Hash::digest_size == N, "RFC 6507 §4.1: the hash outputs N = ceil(n/8) octets");
  static_assert(ec::cofactor_is_one<Curve>(),
                "ECCSI here assumes a prime-order curve (E(F_p) = <G>)");
  static_assert(qfield::bits <= 8 * N + 1,
                "s' or q - s' must fit N octets (RFC 6507 §5.2.1 step 6)");

  using scalar_bytes = std::array<std::uint8_t, N>;
  using point_bytes = std::array<std::uint8_t, point_size>;
  using signature = std::array<std::uint8_t, signature_size>;
  using digest = std::array<std::uint8_t, N>;

  static constexpr point_bytes generator_bytes =
      ec::encode_uncompressed(ec::generator<Curve>()).value();

  /// HS = hash(G || KPAK || ID || PVT), §5.1.1 step 3.
  [[nodiscard]] static digest hash_hs(const point_bytes& kpak, std::span<const std::uint8_t> id,
                                      std::span<const std::uint8_t> pvt) {
    Hash h;
    h.update(generator_bytes);
    h.update(kpak);
    h.update(id);
    h.update(pvt);
    return h.final();
  }
  /// HE = hash(HS || r || M), §5.2.1 step 3.
  [[nodiscard]] static digest hash_he(const digest& hs, std::span<const std::uint8_t> r,
                                      std::span<const std::uint8_t> message) {
    Hash h;
    h.update(hs);
    h.update(r);
    h.update(message);
    return h.final();
  }

  /// A uniform value in [1, q-1] from the caller's source: N octets read big-endian (the high
  /// bits above q's length masked), redrawn while 0 or >= q, at most max_attempts times.
  template <random_source Rng>
  [[nodiscard]] static std::optional<qfield> draw_nonzero(Rng& rng) {
    std::array<std::uint8_t, N> buf;
    constexpr unsigned top_bits = qfield::bits % 8 == 0 ? 8 : qfield::bits % 8;
    static_assert(qfield::bytes == N);
    for (std::size_t attempt = 0; attempt < max_attempts; ++attempt) {
      rng.GenerateBlock(buf.data(), buf.size());
      buf[0] &= static_cast<std::uint8_t>((1u << top_bits) - 1);
      auto v = qfield::from_bytes(buf);
      ct::wipe(buf.data(), buf.size());
      if (v && !v->is_zero().declassify()) return *v;
    }
    return std::nullopt;
  }

  /// [k]G in constant time, to affine in constant time.
  [[nodiscard]] static affine mul_generator(const qfield& k) {
    auto k_int = k.to_uint();
    const affine r = ec::to_affine(ec::generator_table<Curve>().mul(k_int));
    ct::wipe_object(k_int);
    return r;
  }
  /// The same, with the final inversion blinded by a random factor from `rng` (faster).
  template <random_source Rng>
  [[nodiscard]] static affine mul_generator(const qfield& k, Rng& rng) {
    auto k_int = k.to_uint();
    const affine r = ec::to_affine_blinded(ec::generator_table<Curve>().mul(k_int), rng);
    ct::wipe_object(k_int);
    return r;
  }
};

template <class Curve = curves::p256, hash_function Hash = sha256>
class kms;

/// The KMS Public Authentication Key, validated (RFC 6507 §4.2).
template <class Curve = curves::p256, hash_function Hash = sha256>
class public_key {
 public:
  using suite_type = suite<Curve, Hash>;
  using affine = typename suite_type::affine;
  using point_bytes = typename suite_type::point_bytes;

  [[nodiscard]] static result<public_key, error> from_bytes(std::span<const std::uint8_t> kpak) {
    auto p = ec::decode_uncompressed<Curve>(kpak, ec::subgroup_check::require);
    if (!p) return unexpected{detail::kpak_error(p.error())};
    return public_key(*p);
  }

  [[nodiscard]] const affine& point() const noexcept { return point_; }
  [[nodiscard]] const point_bytes& bytes() const noexcept { return bytes_; }

 private:
  friend class kms<Curve, Hash>;
  explicit public_key(const affine& p) : point_(p), bytes_(ec::encode_uncompressed(p).value()) {}

  affine point_;
  point_bytes bytes_;
};

/// An issued (SSK, PVT) pair as octet strings; the SSK is wiped on destruction.
template <class Curve = curves::p256, hash_function Hash = sha256>
struct key_pair {
  using suite_type = suite<Curve, Hash>;
  typename suite_type::scalar_bytes ssk{};  ///< secret: transport it confidentially (§5.1.1)
  typename suite_type::point_bytes pvt{};

  key_pair() = default;
  key_pair(const key_pair&) = default;
  key_pair& operator=(const key_pair&) = default;
  ~key_pair() { ct::wipe(ssk.data(), ssk.size()); }
};

/// The Key Management Service side: KSAK and KPAK, and issuing of (SSK, PVT) pairs.
template <class Curve, hash_function Hash>
class kms {
 public:
  using suite_type = suite<Curve, Hash>;
  using qfield = typename suite_type::qfield;
  static constexpr std::size_t N = suite_type::N;

  /// A fresh KSAK, random in [1, q-1], and KPAK = [KSAK]G (§4.2).
  template <random_source Rng>
  [[nodiscard]] static result<kms, error> generate(Rng& rng) {
    auto ksak = suite_type::draw_nonzero(rng);
    if (!ksak) return unexpected{error::retries_exhausted};
    kms k(*ksak);
    ct::wipe_object(*ksak);
    return k;
  }

  /// The same with the operating system's generator.
  [[nodiscard]] static result<kms, error> generate() {
    os_random rng;
    return generate(rng);
  }

  /// Restore a KMS from its KSAK (N octets, big-endian, in [1, q-1]).
  [[nodiscard]] static result<kms, error> from_ksak(std::span<const std::uint8_t> ksak) {
    if (ksak.size() != N) return unexpected{error::ksak_bad_length};
    auto v = qfield::from_bytes(ksak);
    if (!v || v->is_zero().declassify()) return unexpected{error::ksak_out_of_range};
    kms k(*v);
    ct::wipe_object(*v);
    return k;
  }

  kms(const kms&) = default;
  kms& operator=(const kms&) = default;
  ~kms() { ct::wipe_object(ksak_); }

  [[nodiscard]] const public_key<Curve, Hash>& kpak() const noexcept { return kpak_; }
  /// The KSAK as N octets: the KMS's master secret, for secure storage only.
  [[nodiscard]] typename suite_type::scalar_bytes export_ksak() const noexcept {
    return ksak_.to_bytes();
  }

  /// issue() with the operating system's generator.
  [[nodiscard]] result<key_pair<Curve, Hash>, error> issue(std::span<const std::uint8_t> id) const {
    os_random rng;
    return issue(id, rng);
  }

  /// §5.1.1: v random in [1, q-1]; PVT = [v]G; HS = hash(G || KPAK || ID || PVT);
  /// SSK = (KSAK + HS v) mod q; a fresh v when SSK or HS is 0 mod q; v erased. The steps run in
  /// their own frame and the stack they used is scrubbed afterwards: v and the intermediate
  /// values of [v]G together with the SSK yield the KSAK (common/stack_scrub.hpp).
  template <random_source Rng>
  [[nodiscard]] result<key_pair<Curve, Hash>, error> issue(std::span<const std::uint8_t> id,
                                                           Rng& rng) const {
    auto out = issue_steps(id, rng);
    ct::scrub_stack<issue_stack_bytes>();
    return out;
  }

 private:
  /// Stack scrubbed after issue(): above the deepest the steps reach (measured by the test).
  static constexpr std::size_t issue_stack_bytes = std::size_t{64} * 1024;

  template <random_source Rng>
  [[gnu::noinline]] result<key_pair<Curve, Hash>, error> issue_steps(
      std::span<const std::uint8_t> id, Rng& rng) const {
    for (std::size_t attempt = 0; attempt < suite_type::max_attempts; ++attempt) {
      auto v = suite_type::draw_nonzero(rng);
      if (!v) break;
      const auto pvt = ec::encode_uncompressed(suite_type::mul_generator(*v, rng)).value();
      const auto hs = suite_type::hash_hs(kpak_.bytes(), id, pvt);
      const qfield hs_q = qfield::reduce_bytes(hs);
      qfield ssk = ksak_ + hs_q * *v;
      ct::wipe_object(*v);
      if (hs_q.is_zero().declassify() || ssk.is_zero().declassify()) {
        ct::wipe_object(ssk);
        continue;
      }
      key_pair<Curve, Hash> out;
      ssk.to_bytes(out.ssk);
      out.pvt = pvt;
      ct::wipe_object(ssk);
      return out;
    }
    return unexpected{error::retries_exhausted};
  }

  explicit kms(const qfield& ksak) : ksak_(ksak), kpak_(suite_type::mul_generator(ksak)) {}

  qfield ksak_;
  public_key<Curve, Hash> kpak_;
};

namespace detail {

/// A signature split and range-checked (§5.2.2 inputs), before any curve arithmetic on J.
template <class Curve, class Hash>
struct parsed_signature {
  using suite_type = suite<Curve, Hash>;
  std::span<const std::uint8_t> r_bytes;
  std::span<const std::uint8_t> pvt_bytes;
  typename suite_type::field r;
  typename suite_type::qfield s;
  typename suite_type::affine pvt;
};

template <class Curve, class Hash>
[[nodiscard]] result<parsed_signature<Curve, Hash>, error> parse_signature(
    std::span<const std::uint8_t> sig) {
  using S = suite<Curve, Hash>;
  if (sig.size() != S::signature_size) return unexpected{error::bad_signature_length};
  parsed_signature<Curve, Hash> out;
  out.r_bytes = sig.first(S::N);
  out.pvt_bytes = sig.subspan(2 * S::N);
  const auto r = S::field::from_bytes(out.r_bytes);
  if (!r || r->is_zero().declassify()) return unexpected{error::r_out_of_range};
  const auto s = S::qfield::from_bytes(sig.subspan(S::N, S::N));
  if (!s || s->is_zero().declassify()) return unexpected{error::s_out_of_range};
  const auto pvt = ec::decode_uncompressed<Curve>(out.pvt_bytes, ec::subgroup_check::require);
  if (!pvt) return unexpected{pvt_error(pvt.error())};
  out.r = *r;
  out.s = *s;
  out.pvt = *pvt;
  return out;
}

/// §5.2.2 step 6: J != O and Jx = r (mod p), compared projectively (no inversion).
template <class Curve>
[[nodiscard]] result<verified, error> check_j(const ec::jacobian_point<Curve>& j,
                                              const typename Curve::base_field& r) {
  if (ec::is_identity(j).declassify()) return unexpected{error::j_is_identity};
  if (!ec::affine_equal_x(j, r)) return unexpected{error::jx_mismatch};
  return verified{};
}

/// The scalars of J = [s]([HE]G + [r]Y) = [s HE]G + [s r]Y.
template <class Curve, class Hash>
struct verification_scalars {
  typename suite<Curve, Hash>::qfield u1;  ///< s HE
  typename suite<Curve, Hash>::qfield u2;  ///< s r
  typename suite<Curve, Hash>::qfield hs;  ///< HS mod q
};

template <class Curve, class Hash>
[[nodiscard]] verification_scalars<Curve, Hash> scalars_for(
    const parsed_signature<Curve, Hash>& sig, const typename suite<Curve, Hash>::digest& hs,
    std::span<const std::uint8_t> message) {
  using S = suite<Curve, Hash>;
  const auto he = S::hash_he(hs, sig.r_bytes, message);
  const auto he_q = S::qfield::reduce_bytes(he);
  const auto r_q = S::qfield::reduce_bytes(sig.r_bytes);
  return {sig.s * he_q, sig.s * r_q, S::qfield::reduce_bytes(hs)};
}

}  // namespace detail

/// A signer's validated key material (§5.1.2) with HS cached; signs messages (§5.2.1).
template <class Curve = curves::p256, hash_function Hash = sha256>
class signer {
 public:
  using suite_type = suite<Curve, Hash>;
  using qfield = typename suite_type::qfield;
  static constexpr std::size_t N = suite_type::N;

  /// §5.1.2: the PVT is on the curve; HS = hash(G || KPAK || ID || PVT); KPAK = [SSK]G - [HS]PVT.
  [[nodiscard]] static result<signer, error> create(const public_key<Curve, Hash>& kpak,
                                                    std::span<const std::uint8_t> id,
                                                    std::span<const std::uint8_t> ssk,
                                                    std::span<const std::uint8_t> pvt) {
    if (ssk.size() != N) return unexpected{error::ssk_bad_length};
    auto ssk_q = qfield::from_bytes(ssk);
    if (!ssk_q || ssk_q->is_zero().declassify()) return unexpected{error::ssk_out_of_range};
    const auto pvt_point = ec::decode_uncompressed<Curve>(pvt, ec::subgroup_check::require);
    if (!pvt_point) return unexpected{detail::pvt_error(pvt_point.error())};
    signer out;
    std::copy(pvt.begin(), pvt.end(), out.pvt_.begin());
    out.hs_ = suite_type::hash_hs(kpak.bytes(), id, pvt);
    const qfield hs_q = qfield::reduce_bytes(out.hs_);
    if (hs_q.is_zero().declassify()) return unexpected{error::hs_zero};
    // [SSK]G (secret scalar: constant time) == KPAK + [HS]PVT (public: variable time)
    auto ssk_int = ssk_q->to_uint();
    const auto lhs = ec::generator_table<Curve>().mul(ssk_int);
    ct::wipe_object(ssk_int);
    const auto rhs = ec::add_vartime(ec::mul_vartime(*pvt_point, hs_q.to_uint()), kpak.point());
    if (!ec::ct_equal(lhs, rhs).declassify()) return unexpected{error::ssk_invalid};
    out.ssk_ = *ssk_q;
    ct::wipe_object(*ssk_q);
    return out;
  }

  signer(const signer&) = default;
  signer& operator=(const signer&) = default;
  ~signer() { ct::wipe_object(ssk_); }

  [[nodiscard]] const typename suite_type::digest& hs() const noexcept { return hs_; }
  [[nodiscard]] const typename suite_type::point_bytes& pvt() const noexcept { return pvt_; }

  /// sign() with the operating system's generator (a system call per draw; a caller signing at
  /// a high rate may pass a user-space generator seeded from it, e.g. AutoSeededRandomPool).
  [[nodiscard]] result<typename suite_type::signature, error> sign(
      std::span<const std::uint8_t> message) const {
    os_random rng;
    return sign(message, rng);
  }

  /// §5.2.1 with j drawn from `rng`: J = [j]G, r = Jx, HE = hash(HS || r || M),
  /// s' = (HE + r SSK)^-1 j mod q (a fresh j when HE + r SSK = 0), s = s' or q - s' if s' does
  /// not fit N octets; j erased. Output r || s || PVT. The steps run in their own frame, and the
  /// stack they used is scrubbed afterwards: j, (HE + r SSK)^-1 and the intermediate values of
  /// [j]G each yield the SSK together with the signature (common/stack_scrub.hpp).
  template <random_source Rng>
  [[nodiscard]] result<typename suite_type::signature, error> sign(
      std::span<const std::uint8_t> message, Rng& rng) const {
    auto out = sign_steps(message, rng);
    ct::scrub_stack<sign_stack_bytes>();
    return out;
  }

 private:
  /// Stack scrubbed after sign(): above the deepest the steps reach (measured by the test).
  static constexpr std::size_t sign_stack_bytes = std::size_t{64} * 1024;

  template <random_source Rng>
  [[gnu::noinline]] result<typename suite_type::signature, error> sign_steps(
      std::span<const std::uint8_t> message, Rng& rng) const {
    for (std::size_t attempt = 0; attempt < suite_type::max_attempts; ++attempt) {
      auto j = suite_type::draw_nonzero(rng);
      if (!j) break;
      const auto big_j = suite_type::mul_generator(*j, rng);
      const auto r = big_j.x.to_bytes();     // public once the signature is out
      if (big_j.x.is_zero().declassify()) {  // r = 0 could never verify; negligible, but cheap
        ct::wipe_object(*j);
        continue;
      }
      const auto he = suite_type::hash_he(hs_, r, message);
      qfield t = qfield::reduce_bytes(he) + qfield::reduce_bytes(r) * ssk_;
      if (t.is_zero().declassify()) {
        ct::wipe_object(*j);
        ct::wipe_object(t);
        continue;
      }
      qfield t_inv = ec::inverse_blinded(t, rng);  // t^-1 through a random blinding factor
      qfield s = t_inv * *j;
      ct::wipe_object(*j);
      ct::wipe_object(t);
      ct::wipe_object(t_inv);
      if constexpr (qfield::bits > 8 * N) {
        // s' may not fit N octets: use q - s' then (step 6)
        const auto s_int = s.to_uint();
        if (s_int.bit_length_vartime() > 8 * N) s = -s;
      }
      typename suite_type::signature sig;
      std::copy(r.begin(), r.end(), sig.begin());
      const auto s_bytes = s.to_bytes();
      std::copy(s_bytes.begin(), s_bytes.end(), sig.begin() + N);
      std::copy(pvt_.begin(), pvt_.end(), sig.begin() + 2 * N);
      return sig;
    }
    return unexpected{error::retries_exhausted};
  }

  signer() = default;

  qfield ssk_;
  typename suite_type::digest hs_{};
  typename suite_type::point_bytes pvt_{};
};

/// §5.2.2 for one signature, nothing cached: J = [s HE]G + [s r HS]PVT + [s r]KPAK (the same
/// point as [s]([HE]G + [r]([HS]PVT + KPAK)) in the order-q group), as one three-term
/// multiplication sharing its doublings (G from a precomputed wide-window table).
template <class Curve = curves::p256, hash_function Hash = sha256>
[[nodiscard]] result<verified, error> verify(const public_key<Curve, Hash>& kpak,
                                             std::span<const std::uint8_t> id,
                                             std::span<const std::uint8_t> message,
                                             std::span<const std::uint8_t> signature) {
  using S = suite<Curve, Hash>;
  const auto sig = detail::parse_signature<Curve, Hash>(signature);
  if (!sig) return unexpected{sig.error()};
  const auto hs = S::hash_hs(kpak.bytes(), id, sig->pvt_bytes);
  const auto u = detail::scalars_for(*sig, hs, message);
  using scalar = typename ec::curve_facts<Curve>::scalar;
  const auto j =
      ec::multi_mul_vartime(ec::generator_wnaf_table<Curve>(), u.u1.to_uint(),
                            std::array<typename S::affine, 2>{sig->pvt, kpak.point()},
                            std::array<scalar, 2>{(u.u2 * u.hs).to_uint(), u.u2.to_uint()});
  return detail::check_j<Curve>(j, sig->r);
}

/// How much a signer_context precomputes.
enum class precompute {
  y_point,  ///< cache Y = [HS]PVT + KPAK (one multiplication at creation); a verification is
            ///< then a table lookup for G plus one variable-base multiplication
  y_table,  ///< also a fixed-base table for Y (a few milliseconds and ~170 KB on P-256): a
            ///< verification is two table lookups and no doublings (the default)
};

/// One signer (KPAK, ID, PVT) heard repeatedly: HS and Y = [HS]PVT + KPAK computed once.
template <class Curve = curves::p256, hash_function Hash = sha256>
class signer_context {
 public:
  using suite_type = suite<Curve, Hash>;

  [[nodiscard]] static result<signer_context, error> create(const public_key<Curve, Hash>& kpak,
                                                            std::span<const std::uint8_t> id,
                                                            std::span<const std::uint8_t> pvt,
                                                            precompute mode = precompute::y_table) {
    const auto pvt_point = ec::decode_uncompressed<Curve>(pvt, ec::subgroup_check::require);
    if (!pvt_point) return unexpected{detail::pvt_error(pvt_point.error())};
    signer_context out;
    std::copy(pvt.begin(), pvt.end(), out.pvt_.begin());
    out.hs_ = suite_type::hash_hs(kpak.bytes(), id, pvt);
    const auto hs_q = suite_type::qfield::reduce_bytes(out.hs_);
    out.y_ = ec::to_affine_vartime(
        ec::add_vartime(ec::mul_vartime(*pvt_point, hs_q.to_uint()), kpak.point()));
    if (mode == precompute::y_table) out.y_table_.emplace(out.y_);
    return out;
  }

  [[nodiscard]] const typename suite_type::affine& y() const noexcept { return y_; }
  [[nodiscard]] const typename suite_type::digest& hs() const noexcept { return hs_; }

  /// §5.2.2 for a signature by this signer; a signature carrying another PVT is refused.
  [[nodiscard]] result<verified, error> verify(std::span<const std::uint8_t> message,
                                               std::span<const std::uint8_t> signature) const {
    const auto sig = detail::parse_signature<Curve, Hash>(signature);
    if (!sig) return unexpected{sig.error()};
    if (!std::equal(sig->pvt_bytes.begin(), sig->pvt_bytes.end(), pvt_.begin()))
      return unexpected{error::pvt_mismatch};
    const auto u = detail::scalars_for(*sig, hs_, message);
    const auto u2 = u.u2.to_uint();
    // with Y's table: two table lookups, no doubling; with Y alone: one chain of doublings
    // shared by G's wide-window NAF and Y's
    const auto j =
        y_table_
            ? ec::add_vartime(ec::generator_table<Curve>().mul_vartime(u.u1.to_uint()),
                              y_table_->mul_vartime(u2))
            : ec::multi_mul_vartime(ec::generator_wnaf_table<Curve>(), u.u1.to_uint(),
                                    std::array<typename suite_type::affine, 1>{y_},
                                    std::array<typename ec::curve_facts<Curve>::scalar, 1>{u2});
    return detail::check_j<Curve>(j, sig->r);
  }

 private:
  signer_context() = default;

  typename suite_type::point_bytes pvt_{};
  typename suite_type::digest hs_{};
  typename suite_type::affine y_{};
  std::optional<ec::fixed_base_table<Curve>> y_table_;
};

/// Malleability (RFC 6507 §5.2.2): (r, q - s) verifies wherever (r, s) does, since
/// [q - s]([HE]G + [r]Y) = -J has the same x coordinate r. Anyone can turn one valid signature into
/// the other, so a signature (or the hash of a signed message) is no unique name of a message;
/// a verifier that de-duplicates by such a hash can require the canonical form, s <= (q - 1) / 2,
/// which a signer produces with canonical_s() (km::receiver_options::require_canonical_s,
/// km::i_message_options::canonical_s). The MIKEY replay cache keys on T and RAND, which the
/// signature covers, so it is not affected.
///
/// Whether s (octets N .. 2N - 1 of r || s || PVT) is at most (q - 1) / 2. False for a
/// signature of the wrong length or with s not in [1, q - 1].
template <class Curve = curves::p256, hash_function Hash = sha256>
[[nodiscard]] bool has_canonical_s(std::span<const std::uint8_t> signature) {
  using S = suite<Curve, Hash>;
  if (signature.size() != S::signature_size) return false;
  const auto s = S::qfield::from_bytes(signature.subspan(S::N, S::N));
  if (!s || s->is_zero().declassify()) return false;
  return s->to_uint() <= (-*s).to_uint();  // s <= q - s
}

/// The same signature with s replaced by q - s when s > (q - 1) / 2 (s is public once signed).
template <class Curve = curves::p256, hash_function Hash = sha256>
[[nodiscard]] result<typename suite<Curve, Hash>::signature, error> canonical_s(
    std::span<const std::uint8_t> signature) {
  using S = suite<Curve, Hash>;
  if (signature.size() != S::signature_size) return unexpected{error::bad_signature_length};
  const auto s = S::qfield::from_bytes(signature.subspan(S::N, S::N));
  if (!s || s->is_zero().declassify()) return unexpected{error::s_out_of_range};
  typename S::signature out;
  std::copy(signature.begin(), signature.end(), out.begin());
  if (s->to_uint() > (-*s).to_uint()) {
    const auto flipped = (-*s).to_bytes();
    std::copy(flipped.begin(), flipped.end(), out.begin() + S::N);
  }
  return out;
}

}  // namespace skm::eccsi
