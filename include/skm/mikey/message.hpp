// SPDX-License-Identifier: BSD-3-Clause
// MIKEY messages: an owning builder that chains the next-payload codes itself, and a strict
// parser that returns a view over the input (no copies) with typed access to each payload.
//
// Message layout (RFC 3830 §5.2): HDR first, then payloads each naming the type of the one that
// follows, then (for signed messages) SIGN, which has no next-payload field and must be last.
// The signature covers every byte from the HDR up to and including SIGN's 2-byte header.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "skm/mikey/payloads.hpp"
#include "skm/mikey/wire.hpp"

namespace skm::mikey {

/// Messages larger than this are rejected by default (both when parsing and when building).
inline constexpr std::size_t default_max_message_size = std::size_t{64} * 1024;
/// Capacity of the parser's payload table (an I_MESSAGE has about a dozen payloads).
inline constexpr std::size_t max_payloads = 64;

using payload_variant = std::variant<hdr_payload, t_payload, rand_payload, id_payload, cert_payload,
                                     idr_payload, sp_payload, sakke_payload, sign_payload,
                                     general_ext_payload, kemac_payload, v_payload, err_payload>;

/// One parsed payload: its type, where it is, its bytes, the next-payload code it carried and
/// its decoded fields (which view the message buffer).
struct payload_entry {
  payload_type type = payload_type::hdr;
  std::size_t offset = 0;
  bytes_view raw{};
  payload_type next = payload_type::last;
  payload_variant value{};

  template <class P>
  [[nodiscard]] constexpr const P* get() const noexcept {
    return std::get_if<P>(&value);
  }
};

static_assert(std::is_trivially_copyable_v<payload_entry>,
              "payload views must stay trivially copyable");

struct parse_options {
  std::size_t max_message_size = default_max_message_size;
};

class message_view;
[[nodiscard]] constexpr result<message_view> parse_message(bytes_view in,
                                                           parse_options options = {}) noexcept;

/// A parsed, validated message. Views the input buffer, which must outlive it.
class message_view {
 public:
  [[nodiscard]] constexpr bytes_view bytes() const noexcept { return bytes_; }
  [[nodiscard]] constexpr std::span<const payload_entry> payloads() const noexcept {
    return std::span<const payload_entry>(entries_.data(), count_);
  }
  [[nodiscard]] constexpr const hdr_payload& hdr() const noexcept {
    return *entries_[0].get<hdr_payload>();
  }

  /// The first payload of type P, or nullptr.
  template <class P>
  [[nodiscard]] constexpr const P* first() const noexcept {
    for (const auto& e : payloads())
      if (const auto* p = e.get<P>()) return p;
    return nullptr;
  }
  /// How many payloads of type P the message holds.
  template <class P>
  [[nodiscard]] constexpr std::size_t count() const noexcept {
    std::size_t n = 0;
    for (const auto& e : payloads()) n += e.get<P>() != nullptr ? 1 : 0;
    return n;
  }

  [[nodiscard]] constexpr const t_payload* t() const noexcept { return first<t_payload>(); }
  [[nodiscard]] constexpr const rand_payload* rand() const noexcept {
    return first<rand_payload>();
  }
  [[nodiscard]] constexpr const sakke_payload* sakke() const noexcept {
    return first<sakke_payload>();
  }
  [[nodiscard]] constexpr const sign_payload* sign() const noexcept {
    return first<sign_payload>();
  }
  [[nodiscard]] constexpr const sp_payload* sp() const noexcept { return first<sp_payload>(); }
  /// The IDR payload with the given role, or nullptr.
  [[nodiscard]] constexpr const idr_payload* idr(id_role role) const noexcept {
    for (const auto& e : payloads())
      if (const auto* p = e.get<idr_payload>(); p != nullptr && p->role == role) return p;
    return nullptr;
  }
  /// The first General Extension of the given type, or nullptr.
  [[nodiscard]] constexpr const general_ext_payload* extension(ext_type type) const noexcept {
    for (const auto& e : payloads())
      if (const auto* p = e.get<general_ext_payload>(); p != nullptr && p->type == type) return p;
    return nullptr;
  }

  /// The bytes the signature covers (RFC 3830 §5.2): from the HDR up to and including the SIGN
  /// payload's 2-byte header, i.e. everything but the signature value.
  [[nodiscard]] constexpr result<bytes_view> signed_range() const noexcept {
    const auto* s = sign_entry();
    if (s == nullptr) return missing_sign();
    return bytes_.first(s->offset + sign_payload::header_size);
  }

  /// COMPATIBILITY ONLY, not RFC 3830: the bytes before the SIGN payload, *without* its 2-byte
  /// header, as some deployed products sign. A verifier must only use this when explicitly
  /// configured for such peers (km::receiver_options::accept_signature_without_sign_header), never
  /// by default.
  [[nodiscard]] constexpr result<bytes_view> signed_range_without_sign_header_compat()
      const noexcept {
    const auto* s = sign_entry();
    if (s == nullptr) return missing_sign();
    return bytes_.first(s->offset);
  }

 private:
  friend constexpr result<message_view> parse_message(bytes_view, parse_options) noexcept;

  [[nodiscard]] constexpr const payload_entry* sign_entry() const noexcept {
    if (count_ != 0 && entries_[count_ - 1].type == payload_type::sign)
      return &entries_[count_ - 1];
    return nullptr;
  }
  [[nodiscard]] constexpr unexpected<error> missing_sign() const noexcept {
    return unexpected<error>{error{errc::missing_payload, "SIGN", "", bytes_.size()}};
  }

  bytes_view bytes_{};
  std::array<payload_entry, max_payloads> entries_{};
  std::size_t count_ = 0;
};

namespace detail {

template <class P>
[[nodiscard]] constexpr std::optional<error> decode_into(bytes_view in, std::size_t at,
                                                         payload_entry& e) noexcept {
  auto d = P::decode(in.subspan(at), at);
  if (!d) return d.error();
  // Whole-entry assignment (trivial for these trivially copyable payloads) rather than assigning
  // the variant: clang 14 cannot switch libstdc++'s variant alternative in a constant expression.
  e = payload_entry{P::kind, at, in.subspan(at, d->size), d->next,
                    payload_variant(std::in_place_type<P>, d->payload)};
  return std::nullopt;
}

/// The payload codes this parser decodes.
[[nodiscard]] constexpr bool parsable(payload_type type) noexcept {
  switch (type) {
    case payload_type::t:
    case payload_type::rand:
    case payload_type::id:
    case payload_type::cert:
    case payload_type::idr:
    case payload_type::sp:
    case payload_type::sakke:
    case payload_type::sign:
    case payload_type::general_ext:
    case payload_type::kemac:
    case payload_type::v:
    case payload_type::err: return true;
    default: return false;
  }
}

/// Decodes the payload announced by `type` at `at`; unknown codes are reported by the caller.
[[nodiscard]] constexpr std::optional<error> decode_payload(payload_type type, bytes_view in,
                                                            std::size_t at,
                                                            payload_entry& e) noexcept {
  switch (type) {
    case payload_type::t: return decode_into<t_payload>(in, at, e);
    case payload_type::rand: return decode_into<rand_payload>(in, at, e);
    case payload_type::id: return decode_into<id_payload>(in, at, e);
    case payload_type::cert: return decode_into<cert_payload>(in, at, e);
    case payload_type::idr: return decode_into<idr_payload>(in, at, e);
    case payload_type::sp: return decode_into<sp_payload>(in, at, e);
    case payload_type::sakke: return decode_into<sakke_payload>(in, at, e);
    case payload_type::sign: return decode_into<sign_payload>(in, at, e);
    case payload_type::general_ext: return decode_into<general_ext_payload>(in, at, e);
    case payload_type::kemac: return decode_into<kemac_payload>(in, at, e);
    case payload_type::v: return decode_into<v_payload>(in, at, e);
    case payload_type::err: return decode_into<err_payload>(in, at, e);
    default: break;
  }
  return error{errc::unknown_payload, "message", "next payload", at};
}

/// Offset of the next-payload field inside a payload (HDR: byte 2; SIGN has none).
[[nodiscard]] constexpr std::size_t next_field_offset(payload_type t) noexcept {
  return t == payload_type::hdr ? 2 : 0;
}

/// Appends n zero bytes. (A push_back loop rather than resize(): clang 14 cannot evaluate
/// libstdc++'s resize of a byte vector in a constant expression.)
constexpr void grow(std::vector<std::uint8_t>& v, std::size_t n) {
  v.reserve(v.size() + n);
  for (std::size_t i = 0; i < n; ++i) v.push_back(0);
}

[[nodiscard]] constexpr std::vector<std::uint8_t> zeros(std::size_t n) {
  std::vector<std::uint8_t> v;
  grow(v, n);
  return v;
}

}  // namespace detail

/// Parses and validates a whole message. Rules, in order of checking:
/// - size <= options.max_message_size; HDR first (version 1, #CS consistent with the map);
/// - every payload fits in what remains; only known payload codes (ID, CERT, IDR, T, RAND, SP,
///   SAKKE, SIGN, General Extension, KEMAC, V, ERR) are accepted;
/// - SIGN is last and followed by nothing; no bytes after the payload whose next code is 0;
/// - in a SAKKE I_MESSAGE (data type 26, RFC 6509): exactly one T (NTP-UTC or NTP), RAND, SAKKE
///   and SIGN, and at most one IDR per role.
[[nodiscard]] constexpr result<message_view> parse_message(bytes_view in,
                                                           parse_options options) noexcept {
  if (in.size() > options.max_message_size)
    return unexpected<error>{
        error{errc::message_too_large, "message", "", options.max_message_size}};
  message_view m;
  m.bytes_ = in;
  if (auto e = detail::decode_into<hdr_payload>(in, 0, m.entries_[0])) return unexpected<error>{*e};
  m.count_ = 1;
  std::size_t pos = m.entries_[0].raw.size();
  for (;;) {
    const auto& prev = m.entries_[m.count_ - 1];
    if (prev.type == payload_type::sign) {
      if (pos != in.size()) return unexpected<error>{error{errc::trailing_bytes, "SIGN", "", pos}};
      break;
    }
    const auto next = prev.next;
    const auto next_field_at = prev.offset + detail::next_field_offset(prev.type);
    if (next == payload_type::last) {
      if (pos != in.size())
        return unexpected<error>{error{errc::trailing_bytes, "message", "", pos}};
      break;
    }
    if (!detail::parsable(next))
      return unexpected<error>{error{errc::unknown_payload,
                                     prev.type == payload_type::hdr ? "HDR" : name(prev.type),
                                     "next payload", next_field_at}};
    if (pos == in.size()) return unexpected<error>{error{errc::truncated, name(next), "", pos}};
    if (m.count_ == max_payloads)
      return unexpected<error>{error{errc::too_many_payloads, "message", "", pos}};
    auto& e = m.entries_[m.count_];
    if (auto err = detail::decode_payload(next, in, pos, e)) return unexpected<error>{*err};
    pos += e.raw.size();
    ++m.count_;
  }

  if (m.hdr().data_type == data_type::sakke) {
    // RFC 6509 §2.2.1: HDR, T, RAND, SAKKE and SIGN, once each; IDRs optional, one per role.
    const auto once = [&m](payload_type type, const char* label) -> std::optional<error> {
      std::size_t seen = 0;
      for (const auto& e : m.payloads()) {
        if (e.type != type) continue;
        if (++seen == 2) return error{errc::duplicate_payload, label, "", e.offset};
      }
      if (seen == 0) return error{errc::missing_payload, label, "", m.bytes().size()};
      return std::nullopt;
    };
    if (auto e = once(payload_type::t, "T")) return unexpected<error>{*e};
    if (auto e = once(payload_type::rand, "RAND")) return unexpected<error>{*e};
    if (auto e = once(payload_type::sakke, "SAKKE")) return unexpected<error>{*e};
    if (auto e = once(payload_type::sign, "SIGN")) return unexpected<error>{*e};
    for (const auto& e : m.payloads()) {
      if (const auto* t = e.get<t_payload>();
          t != nullptr && t->type != ts_type::ntp_utc && t->type != ts_type::ntp)
        return unexpected<error>{error{errc::invalid_value, "T", "TS type", e.offset + 1}};
    }
    const auto ids = m.payloads();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto* a = ids[i].get<idr_payload>();
      if (a == nullptr) continue;
      for (std::size_t j = 0; j < i; ++j)
        if (const auto* b = ids[j].get<idr_payload>(); b != nullptr && b->role == a->role)
          return unexpected<error>{
              error{errc::duplicate_payload, "IDR", "ID Role", ids[i].offset + 1}};
    }
  }
  return m;
}

/// A message_view must not outlive its bytes: parsing a temporary vector is refused at compile
/// time.
result<message_view> parse_message(const std::vector<std::uint8_t>&& temporary,
                                   parse_options options = {}) = delete;

/// Options of check_3gpp_profile(); the defaults are the profile, strictly.
struct profile_options {
  /// Also accept the RFC 3830 SRTP-ID crypto-session map (map type 0, #CS > 0) that legacy
  /// interworking (IWF) peers send instead of GENERIC-ID
  /// (km::receiver_options::accept_srtp_id_map).
  bool allow_srtp_id_map = false;
};

namespace detail {

/// Where a payload may stand in a profile I_MESSAGE (TS 33.180 Annex E, RFC 6509 Figure 1):
///
///   HDR, T, RAND, IDRi|IDRuidi, IDRr|IDRuidr, IDRkmsi, IDRkmsr, [SP], SAKKE,
///   [SAKKE-to-self ext 6], [key-parameters ext 7 and other General Extensions], SIGN
///
/// Ranks must not decrease along the message. None: the payload has no place in the profile
/// (CERT, KEMAC, ID, V, ERR; IDR roles 3-5 and unknown roles).
[[nodiscard]] constexpr std::optional<unsigned> profile_rank(const payload_entry& e) noexcept {
  switch (e.type) {
    case payload_type::hdr: return 0;
    case payload_type::t: return 1;
    case payload_type::rand: return 2;
    case payload_type::idr:
      switch (e.get<idr_payload>()->role) {
        case id_role::initiator:
        case id_role::initiator_uid: return 3;
        case id_role::responder:
        case id_role::responder_uid: return 4;
        case id_role::initiator_kms: return 5;
        case id_role::responder_kms: return 6;
        default: return std::nullopt;
      }
    case payload_type::sp: return 7;
    case payload_type::sakke: return 8;
    case payload_type::general_ext:
      return e.get<general_ext_payload>()->type == ext_type::sakke_to_self ? 9u : 10u;
    case payload_type::sign: return 11;
    default: return std::nullopt;
  }
}

[[nodiscard]] constexpr bool known_id_type(id_type t) noexcept {
  return t == id_type::nai || t == id_type::uri || t == id_type::byte_string;
}

/// The payload kinds, IDR roles and ID types of the profile, in the profile's order, with the
/// SAKKE-to-self and key-parameters extensions at most once each.
[[nodiscard]] constexpr std::optional<error> check_profile_payloads(
    const message_view& m) noexcept {
  unsigned last_rank = 0;
  std::size_t to_self = 0, key_parameters = 0;
  for (const auto& e : m.payloads()) {
    const char* label = e.type == payload_type::hdr ? "HDR" : name(e.type);
    const auto rank = profile_rank(e);
    if (!rank) {
      if (e.type == payload_type::idr)
        return error{errc::invalid_value, "IDR", "ID Role", e.offset + 1};
      return error{errc::unknown_payload, label, "not in a MIKEY-SAKKE I_MESSAGE", e.offset};
    }
    if (*rank < last_rank) return error{errc::misplaced_payload, label, "payload order", e.offset};
    last_rank = *rank;
    if (const auto* i = e.get<idr_payload>(); i != nullptr && !known_id_type(i->type))
      return error{errc::invalid_value, "IDR", "ID Type", e.offset + 2};
    if (const auto* x = e.get<general_ext_payload>()) {
      const bool again = (x->type == ext_type::sakke_to_self && ++to_self == 2) ||
                         (x->type == ext_type::key_parameters && ++key_parameters == 2);
      if (again)
        return error{errc::duplicate_payload, "General Extension", name(x->type), e.offset};
    }
  }
  return std::nullopt;
}

}  // namespace detail

/// The TS 33.180 Annex E profile of an I_MESSAGE, on top of parse_message's RFC 6509 rules:
/// data type 26, V = 0, T is NTP-UTC, an initiator identity (IDRi or IDRuidi, not both), a
/// responder identity (IDRr or IDRuidr, not both), IDRkmsi, IDRkmsr, an ECCSI signature, and
/// #CS = 0 with the empty map or #CS > 0 with GENERIC-ID (or, with allow_srtp_id_map, the RFC 3830
/// SRTP-ID map). Only the payloads of the profile, in its order (detail::profile_rank): no CERT,
/// KEMAC, ID, V or ERR; IDR roles 1, 2, 6-9 only, ID types 0-2; at most one SAKKE-to-self and one
/// key-parameters extension. Returns nullopt when it conforms.
[[nodiscard]] constexpr std::optional<error> check_3gpp_profile(
    const message_view& m, profile_options options = {}) noexcept {
  const auto& h = m.hdr();
  if (h.data_type != data_type::sakke) return error{errc::invalid_value, "HDR", "data type", 1};
  if (h.v) return error{errc::invalid_value, "HDR", "V", 3};
  const bool empty_ok = h.cs_count == 0 && h.map_type == cs_map_type::empty;
  const bool generic_ok = h.cs_count > 0 && h.map_type == cs_map_type::generic_id;
  const bool srtp_ok =
      options.allow_srtp_id_map && h.cs_count > 0 && h.map_type == cs_map_type::srtp_id;
  if (!empty_ok && !generic_ok && !srtp_ok)
    return error{errc::invalid_value, "HDR", "CS ID map type", 9};
  if (m.t() == nullptr || m.t()->type != ts_type::ntp_utc)
    return error{errc::invalid_value, "T", "TS type", 0};
  if (auto e = detail::check_profile_payloads(m)) return e;
  const auto one_of = [&m](id_role plain, id_role hashed,
                           const char* label) -> std::optional<error> {
    const bool a = m.idr(plain) != nullptr;
    const bool b = m.idr(hashed) != nullptr;
    if (!a && !b) return error{errc::missing_payload, label, "", m.bytes().size()};
    if (a && b) return error{errc::duplicate_payload, label, "", m.bytes().size()};
    return std::nullopt;
  };
  if (auto e = one_of(id_role::initiator, id_role::initiator_uid, "IDRi/IDRuidi")) return e;
  if (auto e = one_of(id_role::responder, id_role::responder_uid, "IDRr/IDRuidr")) return e;
  if (m.idr(id_role::initiator_kms) == nullptr)
    return error{errc::missing_payload, "IDRkmsi", "", m.bytes().size()};
  if (m.idr(id_role::responder_kms) == nullptr)
    return error{errc::missing_payload, "IDRkmsr", "", m.bytes().size()};
  if (m.sign() == nullptr || m.sign()->type != sign_type::eccsi)
    return error{errc::invalid_value, "SIGN", "S type", m.bytes().size()};
  return std::nullopt;
}

/// Builds a message payload by payload. Errors are sticky: the first one is kept and reported
/// by finish(), so calls can be chained and checked once.
///
///   message_builder b;
///   b.add(hdr).add(t).add(rand).add(idr_i).add(idr_r).add(sakke);
///   auto to_sign = b.begin_signature(sign_type::eccsi, 129);   // HDR .. SIGN header
///   ... sign *to_sign ...
///   auto bytes = b.finish_signature(signature);
class message_builder {
 public:
  constexpr explicit message_builder(
      std::size_t max_message_size = default_max_message_size) noexcept
      : max_size_(max_message_size) {}

  /// Appends a payload (HDR must come first); the previous payload's next code is set to it.
  template <class P>
  constexpr message_builder& add(const P& p) {
    if (!admit(P::kind, p.encoded_size())) return *this;
    const auto at = buf_.size();
    detail::grow(buf_, p.encoded_size());
    auto r = p.encode(mutable_bytes(buf_).subspan(at), payload_type::last);
    if (!r) {
      buf_.resize(at);
      error_ = r.error();
      error_->offset = at;
      return *this;
    }
    link(P::kind, at);
    if constexpr (P::kind == payload_type::sign) state_ = state::closed;
    return *this;
  }

  /// HDR with a GENERIC-ID or SRTP-ID map built from entries (#CS and the map type follow them).
  constexpr message_builder& add_hdr(hdr_payload h, std::span<const generic_id_entry> map) {
    return add_hdr_with_map(h, map, cs_map_type::generic_id);
  }
  constexpr message_builder& add_hdr(hdr_payload h, std::span<const srtp_id_entry> map) {
    return add_hdr_with_map(h, map, cs_map_type::srtp_id);
  }

  /// SP payload from a parameter list.
  constexpr message_builder& add_sp(std::uint8_t policy_no, prot_type prot,
                                    std::span<const sp_param> params) {
    auto block = detail::zeros(list_size(params));
    if (auto r = encode_list(params, block); !r) return fail(r.error());
    return add(sp_payload{policy_no, prot, block});
  }

  /// General Extension type 6 (TS 33.180 E.5) carrying a complete SAKKE payload.
  constexpr message_builder& add_sakke_to_self(const sakke_payload& s) {
    auto inner = detail::zeros(s.encoded_size());
    if (auto r = s.encode(inner, payload_type::last); !r) return fail(r.error());
    return add(general_ext_payload{ext_type::sakke_to_self, inner});
  }

  /// Appends the SIGN header for a signature of `signature_size` bytes and returns the bytes the
  /// signature must cover (valid until the builder is modified).
  [[nodiscard]] constexpr result<bytes_view> begin_signature(sign_type type,
                                                             std::size_t signature_size) {
    if (!admit(payload_type::sign, sign_payload::header_size + signature_size))
      return unexpected<error>{*error_};
    const auto at = buf_.size();
    detail::grow(buf_, sign_payload::header_size);
    if (auto r = sign_payload::encode_header(mutable_bytes(buf_).subspan(at), type, signature_size);
        !r) {
      buf_.resize(at);
      fail(r.error());
      return unexpected<error>{*error_};
    }
    link(payload_type::sign, at);
    pending_signature_ = signature_size;
    state_ = state::signing;
    return bytes_view(buf_);
  }

  /// Appends the signature value announced by begin_signature() and returns the message.
  [[nodiscard]] constexpr result<std::vector<std::uint8_t>> finish_signature(bytes_view signature) {
    if (!error_ && state_ != state::signing)
      fail(error{errc::misplaced_payload, "SIGN", "", buf_.size()});
    if (!error_ && signature.size() != pending_signature_)
      fail(error{errc::length_mismatch, "SIGN", "Signature", buf_.size()});
    if (error_) return unexpected<error>{*error_};
    for (const auto x : signature) buf_.push_back(x);
    state_ = state::closed;
    return finish();
  }

  /// The finished message (the last payload's next code stays 0), or the first error.
  [[nodiscard]] constexpr result<std::vector<std::uint8_t>> finish() {
    if (!error_ && buf_.empty()) fail(error{errc::missing_payload, "HDR", "", 0});
    if (!error_ && state_ == state::signing)
      fail(error{errc::missing_payload, "SIGN", "Signature", buf_.size()});
    if (error_) return unexpected<error>{*error_};
    return std::move(buf_);
  }

  [[nodiscard]] constexpr const std::optional<error>& first_error() const noexcept {
    return error_;
  }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return buf_.size(); }

 private:
  enum class state : std::uint8_t { open, signing, closed };

  constexpr message_builder& fail(error e) {
    if (!error_) error_ = e;
    return *this;
  }

  /// Ordering and size rules before appending a payload of `kind` and `size` bytes.
  constexpr bool admit(payload_type kind, std::size_t size) {
    if (error_) return false;
    const char* label = kind == payload_type::hdr ? "HDR" : name(kind);
    const bool is_hdr = kind == payload_type::hdr;
    if (state_ != state::open)
      fail(error{errc::misplaced_payload, label, "after SIGN", buf_.size()});
    else if (is_hdr != buf_.empty())
      fail(error{errc::misplaced_payload, label, is_hdr ? "HDR not first" : "before HDR",
                 buf_.size()});
    else if (size > max_size_ || buf_.size() > max_size_ - size)
      fail(error{errc::message_too_large, label, "", buf_.size()});
    return !error_;
  }

  /// Points the previous payload's next field at the payload just written at `at`.
  constexpr void link(payload_type kind, std::size_t at) {
    if (next_at_) buf_[*next_at_] = static_cast<std::uint8_t>(kind);
    if (kind == payload_type::sign)
      next_at_.reset();
    else
      next_at_ = at + detail::next_field_offset(kind);
  }

  template <class Entry>
  constexpr message_builder& add_hdr_with_map(hdr_payload h, std::span<const Entry> map,
                                              cs_map_type type) {
    if (map.size() > 0xFF) return fail(error{errc::field_too_long, "HDR", "#CS", 0});
    auto info = detail::zeros(list_size(map));
    if (auto r = encode_list(map, info); !r) return fail(r.error());
    h.cs_count = static_cast<std::uint8_t>(map.size());
    h.map_type = type;
    h.map_info = info;
    return add(h);
  }

  std::vector<std::uint8_t> buf_;
  std::optional<std::size_t> next_at_;
  std::optional<error> error_;
  std::size_t max_size_;
  std::size_t pending_signature_ = 0;
  state state_ = state::open;
};

}  // namespace skm::mikey
