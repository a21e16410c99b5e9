// SPDX-License-Identifier: BSD-3-Clause
// Key distribution with MIKEY-SAKKE I_MESSAGEs (RFC 6509) in the TS 33.180 Annex E profile: the
// initiator encapsulates a key (GMK, PCK, CSK, MuSiK, …) to the receiver's UID for the current key
// period and signs the message with its own UID; the receiver checks, verifies, decapsulates.
//
//   I_MESSAGE = HDR, T, RAND, IDRi|IDRuidi, IDRr|IDRuidr, IDRkmsi, IDRkmsr, [SP], SAKKE,
//               [SAKKE-to-self ext 6], [key-parameters ext 7], SIGN
//
//   HDR    data type 26, V = 0, PRF 1 (PRF-HMAC-SHA-256), CSB ID = the key ID (the GUK-ID for a
//          GMK), #CS 0 with the empty map, or GENERIC-ID crypto sessions (GMK: CS ID 4, SPI =
//          GMK-ID || GUK-ID, the SRTP MKI)
//   T      NTP-UTC of the sending time; it selects the key period of both UIDs
//   RAND   16 random octets
//   IDR*   URIs (roles 1/2), or the 32-octet UIDs (roles 8/9, ID type URI as deployed)
//   SAKKE  params 1, ID scheme 2 (the 3GPP hashed UID, as deployed), R || H for the receiver's UID
//   SIGN   ECCSI by the initiator's UID over HDR .. SIGN header (RFC 3830 §5.2)
//
// Objects, all owned by the caller (no global state):
//   community           a KMS's validated public values with the precomputations SAKKE needs
//   period_keys         one user's validated key set for one period (ECCSI signer + SAKKE receiver)
//   create_i_message()  the initiator
//   i_message_receiver  the receiver: its URI, its key sets, the communities it trusts, a replay
//                       guard and a cache of per-signer verification contexts; receiver_options
//                       holds the interop options (off by default, each with its risk)
// Session keys follow with session_keys() (MIKEY PRF → SRTP master key and salt) and mki().
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "skm/common/printable.hpp"
#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/eccsi/eccsi.hpp"
#include "skm/km/identity.hpp"
#include "skm/km/key_id.hpp"
#include "skm/km/key_material.hpp"
#include "skm/km/key_parameters.hpp"
#include "skm/km/mikey_prf.hpp"
#include "skm/km/replay.hpp"
#include "skm/km/secret.hpp"
#include "skm/km/time.hpp"
#include "skm/mikey/message.hpp"
#include "skm/mikey/payloads.hpp"
#include "skm/sakke/sakke.hpp"

namespace skm::km {

enum class i_message_error {
  // initiator
  bad_request,           ///< inconsistent options (key length, key ID purpose, …)
  wrong_period,          ///< the own key set is not the one for the key period of the time given
  identity_failed,       ///< a UID cannot be formed for a URI
  encapsulation_failed,  ///< SAKKE refused the key (degenerate SSV) or the identifier
  signing_failed,        ///< ECCSI signing failed (degenerate random values)
  encoding_failed,       ///< the MIKEY builder refused a payload
  // receiver
  malformed,                  ///< not a well-formed MIKEY message (the detail says where)
  not_3gpp_profile,           ///< well-formed, but not a TS 33.180 MIKEY-SAKKE I_MESSAGE
  unsupported_prf,            ///< HDR PRF func other than 0 or 1
  unsupported_parameter_set,  ///< SAKKE params other than 1
  unsupported_id_scheme,      ///< SAKKE ID scheme other than 2 (hashed UID)
  unknown_initiator_kms,      ///< IDRkmsi names no community the receiver trusts
  wrong_kms,                  ///< IDRkmsr is not a KMS the receiver holds keys from
  wrong_recipient,            ///< IDRr / IDRuidr is not the receiver
  no_key_for_period,          ///< the receiver holds no key set for the key period of T
  too_old,                    ///< T older than the clock-skew window
  in_future,                  ///< T further in the future than the window
  replayed,                   ///< the same message was already accepted
  replay_cache_full,          ///< the replay cache is full: refused until entries expire
  bad_rand,                   ///< RAND shorter than 16 octets
  signature_invalid,       ///< the ECCSI signature does not verify for the initiator's UID and KPAK
  decapsulation_failed,    ///< the SAKKE payload does not open with the receiver's RSK
  key_id_mismatch,         ///< the GENERIC-ID SPI disagrees with GMK-ID || GUK-ID
  key_parameters_invalid,  ///< the key-parameters extension does not decrypt or disagrees
  initiator_mismatch,      ///< a URI offered for a hidden initiator does not hash to its UID
  initiator_unconfirmed,   ///< a hidden initiator (IDRuidi) that no candidate URI confirms
  unknown_key_purpose,     ///< the CSB ID's purpose tag is neither defined nor registered
  key_revoked,             ///< the key parameters' status marks the key revoked
  key_expired,             ///< the key parameters' expiry time has passed
  signature_not_canonical,  ///< s above (q - 1) / 2 under receiver_options::require_canonical_s
};

[[nodiscard]] constexpr const char* describe(i_message_error e) noexcept {
  switch (e) {
    case i_message_error::bad_request: return "inconsistent I_MESSAGE request";
    case i_message_error::wrong_period:
      return "own key set is not for the key period of the message time";
    case i_message_error::identity_failed: return "no UID can be formed for the URI";
    case i_message_error::encapsulation_failed: return "SAKKE encapsulation failed";
    case i_message_error::signing_failed: return "ECCSI signing failed";
    case i_message_error::encoding_failed: return "MIKEY encoding failed";
    case i_message_error::malformed: return "malformed MIKEY message";
    case i_message_error::not_3gpp_profile: return "not a TS 33.180 MIKEY-SAKKE I_MESSAGE";
    case i_message_error::unsupported_prf: return "unsupported MIKEY PRF";
    case i_message_error::unsupported_parameter_set: return "unsupported SAKKE parameter set";
    case i_message_error::unsupported_id_scheme: return "unsupported SAKKE identifier scheme";
    case i_message_error::unknown_initiator_kms: return "initiator's KMS (IDRkmsi) is not trusted";
    case i_message_error::wrong_kms: return "message is for another KMS (IDRkmsr)";
    case i_message_error::wrong_recipient: return "message is addressed to someone else";
    case i_message_error::no_key_for_period:
      return "no own key set for the key period of the message";
    case i_message_error::too_old: return "message timestamp is older than the allowed clock skew";
    case i_message_error::in_future: return "message timestamp lies too far in the future";
    case i_message_error::replayed: return "message was already received (replay)";
    case i_message_error::replay_cache_full: return "replay cache full";
    case i_message_error::bad_rand: return "RAND shorter than 16 octets";
    case i_message_error::signature_invalid: return "signature invalid";
    case i_message_error::decapsulation_failed: return "SAKKE decapsulation failed";
    case i_message_error::key_id_mismatch: return "key identifiers in the message disagree";
    case i_message_error::key_parameters_invalid: return "key parameters extension invalid";
    case i_message_error::initiator_mismatch:
      return "initiator URI does not match the hidden initiator UID";
    case i_message_error::initiator_unconfirmed:
      return "hidden initiator not confirmed (no candidate URI matches its UID)";
    case i_message_error::unknown_key_purpose: return "key ID purpose is not defined";
    case i_message_error::key_revoked: return "key is revoked (key parameters status)";
    case i_message_error::key_expired: return "key has expired (key parameters expiry time)";
    case i_message_error::signature_not_canonical:
      return "ECCSI signature is not in canonical form (s > (q-1)/2)";
  }
  return "unknown i_message_error";
}

struct i_message_failure {
  i_message_error code = i_message_error::malformed;
  std::string detail;

  [[nodiscard]] std::string message() const {
    std::string m = describe(code);
    if (!detail.empty()) m += ": " + detail;
    return m;
  }
};

namespace detail {
[[nodiscard]] inline unexpected<i_message_failure> fail(i_message_error code,
                                                        std::string detail = {}) {
  return unexpected<i_message_failure>{i_message_failure{code, std::move(detail)}};
}
[[nodiscard]] inline std::span<const std::uint8_t> octets(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
[[nodiscard]] inline std::string_view text(std::span<const std::uint8_t> b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
}  // namespace detail

/// SAKKE "ID scheme" value of the 3GPP hashed UID as deployed (3gpp-notes D.2).
inline constexpr std::uint8_t sakke_id_scheme_uid = 2;
/// The crypto session ID of an MCPTT group call (3gpp-notes §B), used for GMKs by default.
inline constexpr std::uint8_t cs_id_mcptt_group_call = 4;

// ---------------------------------------------------------------------------------------------
// A community (KMS) as seen by its users and peers

class community {
 public:
  /// Validates the values (parameter set, Z of order q, KPAK on P-256) and builds Z's table.
  [[nodiscard]] static result<community, i_message_failure> create(
      const community_public_values& v) {
    if (v.kms_uri.empty() || v.schedule.length_seconds == 0)
      return detail::fail(i_message_error::bad_request,
                          "community needs a KMS URI and a key period");
    if (auto e = check_parameter_set(v.parameter_set))
      return detail::fail(i_message_error::unsupported_parameter_set, describe(*e));
    const auto z = decode_z(v.z);
    if (!z) return detail::fail(i_message_error::bad_request, describe(z.error()));
    auto kpak = decode_kpak(v.kpak);
    if (!kpak) return detail::fail(i_message_error::bad_request, describe(kpak.error()));
    return community(v, sakke::kms_public_key<sakke_curve>(*z), *kpak);
  }

  [[nodiscard]] const community_public_values& values() const noexcept { return values_; }
  [[nodiscard]] const std::string& kms_uri() const noexcept { return values_.kms_uri; }
  [[nodiscard]] const sakke::kms_public_key<sakke_curve>& z() const noexcept { return z_; }
  [[nodiscard]] const eccsi::public_key<>& kpak() const noexcept { return kpak_; }

  [[nodiscard]] result<std::uint64_t, i_message_failure> period_at(ntp_time t) const {
    const auto n = key_period_number(t, values_.schedule);
    if (!n) return detail::fail(i_message_error::no_key_for_period, describe(n.error()));
    return *n;
  }
  [[nodiscard]] result<uid, i_message_failure> uid_of(std::string_view user_uri,
                                                      std::uint64_t period) const {
    const auto u = mikey_sakke_uid(user_uri, values_.kms_uri, values_.schedule, period);
    if (!u) return detail::fail(i_message_error::identity_failed, describe(u.error()));
    return *u;
  }
  /// The identity octets SAKKE and ECCSI use for a UID (the community's identity_convention).
  [[nodiscard]] identifier identity_of(const uid& id) const { return values_.identity_of(id); }

 private:
  community(const community_public_values& v, sakke::kms_public_key<sakke_curve> z,
            eccsi::public_key<> kpak)
      : values_(v), z_(std::move(z)), kpak_(kpak) {}

  community_public_values values_;
  sakke::kms_public_key<sakke_curve> z_;
  eccsi::public_key<> kpak_;
};

// ---------------------------------------------------------------------------------------------
// One user's keys for one key period

class period_keys {
 public:
  /// Validates the key set against the community (UID recomputed, SSK/PVT §5.1.2, RSK §6.1.2)
  /// and prepares signing and decapsulation.
  [[nodiscard]] static result<period_keys, i_message_failure> create(const community& c,
                                                                     const user_key_set& k) {
    if (k.kms_uri != c.kms_uri())
      return detail::fail(i_message_error::bad_request,
                          "key set is from KMS " + k.kms_uri + ", not " + c.kms_uri());
    const auto expected = c.uid_of(k.user_uri, k.period);
    if (!expected) return unexpected{expected.error()};
    if (*expected != k.id)
      return detail::fail(i_message_error::bad_request,
                          "key set UID is not the UID of its URI and period");
    auto signer = eccsi::signer<>::create(c.kpak(), c.identity_of(k.id), k.ssk.span(), k.pvt);
    if (!signer)
      return detail::fail(i_message_error::bad_request,
                          std::string("SSK/PVT invalid: ") + eccsi::describe(signer.error()));
    auto rsk = sakke::decode_rsk_unvalidated<sakke_curve>(k.rsk.span());
    if (!rsk) return detail::fail(i_message_error::bad_request, "RSK invalid: not a curve point");
    auto receiver = sakke::receiver<sakke_curve>::create(c.z(), c.identity_of(k.id), *rsk);
    ct::wipe_object(*rsk);  // the receiver keeps (and wipes) its own copy
    if (!receiver)
      return detail::fail(i_message_error::bad_request,
                          std::string("RSK invalid: ") + sakke::describe(receiver.error()));
    return period_keys(k, *signer, std::move(*receiver));
  }

  [[nodiscard]] const std::string& user_uri() const noexcept { return user_uri_; }
  [[nodiscard]] const std::string& kms_uri() const noexcept { return kms_uri_; }
  [[nodiscard]] std::uint64_t period() const noexcept { return period_; }
  [[nodiscard]] const uid& id() const noexcept { return id_; }
  [[nodiscard]] const eccsi::signer<>& signer() const noexcept { return signer_; }
  [[nodiscard]] const sakke::receiver<sakke_curve>& receiver() const noexcept { return receiver_; }

 private:
  // The signer is copied (it wipes its key on destruction and has no move; the caller's copy is
  // wiped with its result), the receiver moved (it cannot be copied).
  period_keys(const user_key_set& k, const eccsi::signer<>& s, sakke::receiver<sakke_curve> r)
      : user_uri_(k.user_uri),
        kms_uri_(k.kms_uri),
        period_(k.period),
        id_(k.id),
        signer_(s),
        receiver_(std::move(r)) {}

  std::string user_uri_;
  std::string kms_uri_;
  std::uint64_t period_;
  uid id_;
  eccsi::signer<> signer_;
  sakke::receiver<sakke_curve> receiver_;
};

// ---------------------------------------------------------------------------------------------
// Initiator

enum class identity_form {
  uri,         ///< IDRi / IDRr carry the URIs
  hashed_uid,  ///< IDRuidi / IDRuidr carry the UIDs (TS 33.180 E.7)
};

/// One SRTP policy parameter with a one-octet value.
struct srtp_policy_param {
  std::uint8_t type;
  std::uint8_t value;
};

/// The SRTP policy the deployed 3GPP products send (3gpp-notes D.1): AES-GCM, 16-octet key,
/// RCCm3, 12-octet salt, AES-CM PRF, KDR 0, SRTP tag 4, SRTCP tag 0, AEAD tag 16.
inline constexpr std::array<srtp_policy_param, 9> default_srtp_policy{
    {{0, 6}, {1, 16}, {2, 4}, {4, 12}, {5, 0}, {6, 0}, {18, 4}, {19, 0}, {20, 16}}};

struct i_message_options {
  key_purpose purpose = key_purpose::pck;
  std::span<const std::uint8_t> key{};  ///< the 16-octet key to send; empty: a fresh random key
  std::optional<sk_id> key_id;          ///< its ID (purpose must match); none: 28 random bits
  identity_form identities = identity_form::uri;
  bool security_policy = false;  ///< include an SP payload (policy 0, default_srtp_policy)
  bool sakke_to_self = false;    ///< also encapsulate to the initiator's own UID (E.5)
  std::optional<key_parameters> parameters;  ///< the key-parameters extension (E.6)
  std::optional<std::uint8_t>
      cs_id;  ///< one GENERIC-ID crypto session (GMK default: 4); none: empty map
  /// Send the ECCSI signature in canonical form, s <= (q - 1) / 2 (eccsi::canonical_s), for
  /// receivers that require it (receiver_options::require_canonical_s).
  bool canonical_s = false;
  /// The SAKKE data (R || H) of `key` to the responder's UID for the key period of the message
  /// time, computed beforehand (sakke::encapsulate_batch, as gms::server does for a group); none:
  /// encapsulated here. Only with a given `key`; the caller answers for the match (a mismatch
  /// gives a message no receiver opens).
  std::optional<sakke_scheme::encapsulated_type> encapsulated{};
};

/// The message and what the initiator keeps.
struct i_message {
  std::vector<std::uint8_t> bytes;
  secret_array<16> key;
  key_purpose purpose = key_purpose::pck;
  sk_id key_id;  ///< GMK-ID / PCK-ID / …
  sk_id csb_id;  ///< the HDR CSB ID (the GUK-ID for a GMK, else the key ID)
  std::vector<std::uint8_t> rand;
  ntp_time time;
  mikey_prf prf = mikey_prf::prf_hmac_sha_256;
};

namespace detail {

/// The key to send (given, or fresh from `rng`), its ID (given with the same purpose, or 28 random
/// bits), the CSB ID (the GUK-ID for a GMK, else the key ID) and a 16-octet RAND.
template <random_source Rng>
[[nodiscard]] std::optional<i_message_failure> choose_key(i_message& out,
                                                          std::string_view responder_uri,
                                                          const i_message_options& opt, Rng& rng) {
  out.purpose = opt.purpose;
  if (opt.key.empty())
    rng.GenerateBlock(out.key.data(), out.key.span().size());
  else if (opt.key.size() == out.key.span().size())
    std::copy(opt.key.begin(), opt.key.end(), out.key.data());
  else
    return i_message_failure{i_message_error::bad_request, "the key must be 16 octets"};
  if (opt.key_id) {
    if (opt.key_id->purpose() != opt.purpose)
      return i_message_failure{i_message_error::bad_request,
                               "key ID purpose differs from the purpose"};
    out.key_id = *opt.key_id;
  } else {
    const auto id = sk_id::generate(opt.purpose, rng);
    if (!id) return i_message_failure{i_message_error::bad_request, describe(id.error())};
    out.key_id = *id;
  }
  if (opt.purpose == key_purpose::gmk) {
    const auto guk = derive_guk_id(out.key_id, out.key.span(), responder_uri);
    if (!guk) return i_message_failure{i_message_error::bad_request, describe(guk.error())};
    out.csb_id = *guk;
  } else {
    out.csb_id = out.key_id;
  }
  out.rand.resize(16);
  rng.GenerateBlock(out.rand.data(), out.rand.size());
  return std::nullopt;
}

/// What the key becomes in the message: SAKKE data to the responder's UID, optionally to the
/// initiator's own UID (SAKKE-to-self), and the protected key parameters.
struct sealed_key {
  sakke_scheme::encapsulated_type to_responder;
  std::optional<sakke_scheme::encapsulated_type> to_self;
  std::optional<std::vector<std::uint8_t>> parameters;
};

template <random_source Rng>
[[nodiscard]] result<sealed_key, i_message_failure> seal_key(
    const i_message& out, const period_keys& me, const community& mine, const community& theirs,
    const uid& their_uid, const i_message_options& opt, Rng& rng) {
  if (opt.encapsulated && opt.key.empty())
    return fail(i_message_error::bad_request, "a precomputed SAKKE payload needs its key");
  const auto encapsulated =
      opt.encapsulated
          ? result<sakke_scheme::encapsulated_type, sakke::sakke_error>(*opt.encapsulated)
          : sakke::encapsulate(theirs.z(), theirs.identity_of(their_uid), out.key.span());
  if (!encapsulated)
    return fail(i_message_error::encapsulation_failed, sakke::describe(encapsulated.error()));
  sealed_key sealed{*encapsulated, std::nullopt, std::nullopt};
  if (opt.sakke_to_self) {
    const auto s = sakke::encapsulate(mine.z(), mine.identity_of(me.id()), out.key.span());
    if (!s) return fail(i_message_error::encapsulation_failed, sakke::describe(s.error()));
    sealed.to_self = *s;
  }
  if (opt.parameters) {
    auto p = protect_key_parameters(*opt.parameters, out.key.span(), out.csb_id.value(), {}, rng);
    if (!p) return fail(i_message_error::bad_request, describe(p.error()));
    sealed.parameters = std::move(*p);
  }
  return sealed;
}

/// HDR: data type 26, V 0, PRF 1, the CSB ID; one GENERIC-ID crypto session (the given CS ID, or
/// 4 for a GMK, whose SPI is GMK-ID || GUK-ID) or #CS 0 with the empty map.
inline void write_hdr(mikey::message_builder& b, const i_message& out,
                      const i_message_options& opt) {
  using namespace mikey;
  hdr_payload hdr;
  hdr.data_type = data_type::sakke;
  hdr.v = false;
  hdr.prf = prf_func::hmac_sha_256;
  hdr.csb_id = out.csb_id.value();
  const bool group = opt.purpose == key_purpose::gmk;
  const std::array<std::uint8_t, 1> policy0{0};
  const auto group_spi = group_mki(out.key_id, out.csb_id);
  const std::optional<std::uint8_t> cs_id =
      opt.cs_id ? opt.cs_id
                : (group ? std::optional<std::uint8_t>(cs_id_mcptt_group_call) : std::nullopt);
  if (cs_id) {
    generic_id_entry e;
    e.cs_id = *cs_id;
    e.prot = prot_type::srtp;
    if (opt.security_policy) e.policies = policy0;
    if (group) e.spi = group_spi;
    const std::array<generic_id_entry, 1> map{e};
    b.add_hdr(hdr, std::span<const generic_id_entry>(map));
  } else {
    hdr.cs_count = 0;
    hdr.map_type = cs_map_type::empty;
    b.add(hdr);
  }
}

/// The payloads after HDR and before SIGN, in the profile's order: T, RAND, the identities, the
/// KMSs, [SP], SAKKE, [SAKKE-to-self], [key parameters].
inline void write_payloads(mikey::message_builder& b, const i_message& out, const period_keys& me,
                           const community& mine, std::string_view responder_uri,
                           const community& theirs, const uid& their_uid,
                           const i_message_options& opt, const sealed_key& sealed) {
  using namespace mikey;
  b.add(t_payload{ts_type::ntp_utc, to_ntp_wire(out.time)});
  b.add(rand_payload{out.rand});
  if (opt.identities == identity_form::uri) {
    b.add(idr_payload{id_role::initiator, id_type::uri, octets(me.user_uri())});
    b.add(idr_payload{id_role::responder, id_type::uri, octets(responder_uri)});
  } else {
    b.add(idr_payload{id_role::initiator_uid, id_type::uri, me.id()});
    b.add(idr_payload{id_role::responder_uid, id_type::uri, their_uid});
  }
  b.add(idr_payload{id_role::initiator_kms, id_type::uri, octets(mine.kms_uri())});
  b.add(idr_payload{id_role::responder_kms, id_type::uri, octets(theirs.kms_uri())});
  if (opt.security_policy) {
    std::array<std::array<std::uint8_t, 1>, default_srtp_policy.size()> values{};
    std::array<sp_param, default_srtp_policy.size()> params{};
    for (std::size_t i = 0; i < params.size(); ++i) {
      values[i][0] = default_srtp_policy[i].value;
      params[i] = sp_param{default_srtp_policy[i].type, values[i]};
    }
    b.add_sp(0, prot_type::srtp, params);
  }
  b.add(sakke_payload{static_cast<std::uint8_t>(sakke_parameter_set), sakke_id_scheme_uid,
                      sealed.to_responder});
  if (sealed.to_self)
    b.add_sakke_to_self(sakke_payload{static_cast<std::uint8_t>(sakke_parameter_set),
                                      sakke_id_scheme_uid, *sealed.to_self});
  if (sealed.parameters) b.add(general_ext_payload{ext_type::key_parameters, *sealed.parameters});
}

}  // namespace detail

/// Builds and signs an I_MESSAGE from `me` (whose community is `mine`) to `responder_uri` in
/// community `theirs`, at time `now` (which must lie in the key period of `me`).
template <random_source Rng>
[[nodiscard]] result<i_message, i_message_failure> create_i_message(
    const period_keys& me, const community& mine, std::string_view responder_uri,
    const community& theirs, ntp_time now, const i_message_options& opt, Rng& rng) {
  if (me.kms_uri() != mine.kms_uri())
    return detail::fail(i_message_error::bad_request,
                        "own key set is not from the given community");
  const auto my_period = mine.period_at(now);
  if (!my_period) return unexpected{my_period.error()};
  if (*my_period != me.period())
    return detail::fail(i_message_error::wrong_period,
                        "key set for period " + std::to_string(me.period()) + ", time in period " +
                            std::to_string(*my_period));
  const auto their_period = theirs.period_at(now);
  if (!their_period) return unexpected{their_period.error()};
  const auto their_uid = theirs.uid_of(responder_uri, *their_period);
  if (!their_uid) return unexpected{their_uid.error()};

  i_message out;
  out.time = now;
  if (auto e = detail::choose_key(out, responder_uri, opt, rng)) return unexpected{*e};
  const auto sealed = detail::seal_key(out, me, mine, theirs, *their_uid, opt, rng);
  if (!sealed) return unexpected{sealed.error()};

  mikey::message_builder b;
  detail::write_hdr(b, out, opt);
  detail::write_payloads(b, out, me, mine, responder_uri, theirs, *their_uid, opt, *sealed);
  const auto to_sign = b.begin_signature(mikey::sign_type::eccsi, eccsi_suite::signature_size);
  if (!to_sign)
    return detail::fail(i_message_error::encoding_failed, mikey::to_string(to_sign.error()));
  auto signature = me.signer().sign(*to_sign, rng);
  if (signature && opt.canonical_s) signature = eccsi::canonical_s(*signature);
  if (!signature)
    return detail::fail(i_message_error::signing_failed, eccsi::describe(signature.error()));
  auto bytes = b.finish_signature(*signature);
  if (!bytes)
    return detail::fail(i_message_error::encoding_failed, mikey::to_string(bytes.error()));
  out.bytes = std::move(*bytes);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Receiver

/// The SRTP MKI: GMK-ID || GUK-ID for a group key, else the key ID (3gpp-notes §A.1).
[[nodiscard]] inline std::vector<std::uint8_t> mki(key_purpose purpose, sk_id key_id,
                                                   sk_id csb_id) {
  if (purpose == key_purpose::gmk) {
    const auto m = group_mki(key_id, csb_id);
    return {m.begin(), m.end()};
  }
  const auto m = key_id_mki(key_id);
  return {m.begin(), m.end()};
}

/// The crypto-session map a received message carried.
enum class message_form {
  empty_map,       ///< #CS 0, empty map (TS 33.180 default profile)
  generic_id,      ///< GENERIC-ID crypto sessions (RFC 6043)
  legacy_srtp_id,  ///< the RFC 3830 SRTP-ID map of legacy IWF peers (receiver_options option)
};

[[nodiscard]] constexpr const char* describe(message_form f) noexcept {
  switch (f) {
    case message_form::empty_map: return "empty-map";
    case message_form::generic_id: return "generic-id";
    case message_form::legacy_srtp_id: return "legacy-srtp-id";
  }
  return "unknown";
}

/// What a receiver learns from an accepted I_MESSAGE.
struct received_key {
  secret_array<16> key;
  key_purpose purpose = key_purpose::pck;
  sk_id csb_id;  ///< as carried (the GUK-ID for a GMK)
  sk_id key_id;  ///< the GMK-ID (recovered) for a GMK, else the CSB ID
  /// The initiator's URI: carried in the clear (IDRi), or the candidate URI that hashes to the
  /// hidden initiator's UID (IDRuidi; see initiator_binding). None for an unconfirmed one.
  std::optional<std::string> initiator_uri;
  uid initiator_uid{};
  std::string initiator_kms_uri;
  /// Whether the initiator's URI is bound to the UID that signed: always for IDRi; for IDRuidi
  /// when a candidate URI hashed to the carried UID for the key period of T. False only when the
  /// caller accepted an unconfirmed hidden initiator (initiator_binding::accept_unconfirmed):
  /// then the signer is some user the KMS issued keys to, for some period, and no more is known
  /// until confirm_initiator() succeeds.
  bool initiator_confirmed = false;
  std::uint64_t period = 0;  ///< the receiver's key period used (its key set that opened SAKKE)
  std::uint64_t time_period = 0;  ///< the key period of T in the receiver's community
  /// The initiator's key period whose UID verified the signature (for a hidden initiator: the
  /// period for which its confirmed URI hashes to the carried UID); none for an unconfirmed one.
  /// Differs from the period of T only under receiver_options::key_period_tolerance.
  std::optional<std::uint64_t> initiator_period;
  /// The signature verified only over the bytes before the SIGN payload (not RFC 3830), accepted
  /// under receiver_options::accept_signature_without_sign_header.
  bool signature_without_sign_header = false;
  ntp_time time;
  std::vector<std::uint8_t> rand;
  mikey_prf prf = mikey_prf::prf_hmac_sha_256;
  message_form form = message_form::empty_map;  ///< the crypto-session map carried
  /// CS IDs of the map: GENERIC-ID as carried; SRTP-ID 1 .. #CS (RFC 3830 §6.1.1 numbers the
  /// crypto sessions in map order); empty map: none.
  std::vector<std::uint8_t> cs_ids;
  std::optional<key_parameters> parameters;  ///< the decrypted key-parameters extension
  /// The key's activation time from the key parameters, when given. A key not yet active (time
  /// later than the `now` of process()) is delivered with active = false: hold it, use it from
  /// then on (a GMK is distributed ahead of its use).
  std::optional<ntp_time> activation_time;
  std::optional<ntp_time> expiry_time;  ///< from the key parameters (an expired key is refused)
  bool active = true;
  /// The key parameters mark the key revoked (only under receiver_options::deliver_revoked_keys;
  /// otherwise such a message is refused with key_revoked). Never use such a key.
  bool revoked = false;
  bool has_sakke_to_self = false;
};

/// The largest receiver_options::key_period_tolerance; larger values are clamped to it.
inline constexpr unsigned max_key_period_tolerance = 1;

struct receiver_options {
  replay_policy replay{};
  std::size_t signer_cache_capacity = 16;  ///< per-signer verification contexts kept (0: none)
  eccsi::precompute signer_precompute = eccsi::precompute::y_table;
  /// Key purposes beyond those of TS 33.180 that this deployment defines (the purpose nibble of
  /// the CSB ID); a key ID with any other undefined purpose is refused (unknown_key_purpose).
  std::vector<purpose_entry> registered_purposes{};
  /// Refuse ECCSI signatures whose s is above (q - 1) / 2 (signature_not_canonical), for
  /// deployments that de-duplicate messages by a hash over the signature: ECCSI signatures are
  /// malleable, (r, q - s) verifies too (eccsi::has_canonical_s). Only for peers that sign with
  /// i_message_options::canonical_s (or skm): others send a non-canonical s half the time.
  bool require_canonical_s = false;

  // Interop options, off by default: each accepts messages that TS 33.180 / RFC 3830 reject.

  /// Also accept an ECCSI signature computed over the bytes before the SIGN payload WITHOUT its
  /// 2-byte header, as some deployed products sign (RFC 3830 §5.2 includes the header). Tried
  /// only after the RFC 3830 range fails, and reported in received_key. Risk: a forged message
  /// costs twice the verifications, the signature no longer covers the SIGN header (its type
  /// and length; both are still checked by the parser and the signature length check), and
  /// either form is accepted from every peer. The payload chain fixes where SIGN starts, so one
  /// signed byte string cannot serve as both forms of well-formed messages.
  bool accept_signature_without_sign_header = false;
  /// 0: the key periods are those of T, strictly. 1: when the strict attempt fails in a way an
  /// off-by-one period explains (no own key set for the period of T, IDRuidr not my UID for it,
  /// the initiator's UID for it does not verify, SAKKE does not open with its key set), the
  /// adjacent periods are tried too, for a peer whose clock or key selection is one period off at
  /// a period boundary; the periods used are reported in received_key. Risk: a key set (own or
  /// the initiator's) is accepted one period beyond its validity, so a revoked or expired UID
  /// stays usable for one more period, and forged messages cost up to three times the signature
  /// verifications (six with the option above) and valid ones up to three SAKKE decapsulations.
  /// Values above max_key_period_tolerance are clamped to it (see i_message_receiver::options()).
  unsigned key_period_tolerance = 0;
  /// Also accept the RFC 3830 SRTP-ID crypto-session map (HDR map type 0) that legacy
  /// interworking (IWF) peers carry instead of GENERIC-ID; reported as
  /// message_form::legacy_srtp_id. The signature, SAKKE and key-ID checks are those of any
  /// message. Risk: the map carries no SPI, so the GMK-ID || GUK-ID cross-check of a GENERIC-ID
  /// map is absent (the GMK-ID still comes from the GUK-ID and the key), and the crypto sessions
  /// are named by position only.
  bool accept_srtp_id_map = false;
  /// Deliver a key whose key parameters mark it revoked (received_key::revoked, active false)
  /// instead of refusing it with key_revoked: for a group key store (km/gms.hpp) that must learn
  /// which GMK-ID the key server revoked. The key itself must then never be used.
  bool deliver_revoked_keys = false;
};

/// Who a hidden initiator (IDRuidi) may be, for one call of i_message_receiver::process(). The
/// receiver releases a key from a hidden initiator only when one candidate URI hashes to the
/// carried UID for the key period of T (the initiator's community, ± 1 under the tolerance), or
/// when the caller explicitly accepts an unconfirmed initiator.
struct initiator_binding {
  /// URIs the initiator may be (e.g. the peer of a call being set up). For a message with IDRi
  /// in the clear, a non-empty list must contain that URI too.
  std::vector<std::string> candidate_uris{};
  /// Asked for further candidates for a hidden initiator's UID of the named KMS (e.g. a
  /// directory of the group's members); may be empty.
  std::function<std::vector<std::string>(const uid& carried, std::string_view initiator_kms_uri)>
      resolver{};
  /// Release the key of a hidden initiator that no candidate confirms (received_key::
  /// initiator_confirmed = false). Risk: the signer is only "some user of that KMS, of some key
  /// period" — a user whose keys expired long ago still signs acceptably — until
  /// confirm_initiator() binds a URI.
  bool accept_unconfirmed = false;
};

namespace detail {
/// The key period `p`, then (tolerant) p - 1 and p + 1 where they exist: the order in which the
/// receiver tries key periods under receiver_options::key_period_tolerance.
struct period_list {
  std::array<std::uint64_t, 3> v{};
  std::size_t n = 0;
  [[nodiscard]] constexpr const std::uint64_t* begin() const noexcept { return v.data(); }
  [[nodiscard]] constexpr const std::uint64_t* end() const noexcept { return v.data() + n; }
};
[[nodiscard]] constexpr period_list periods_around(std::uint64_t p, bool tolerant) noexcept {
  period_list l;
  l.v[l.n++] = p;
  if (tolerant && p > 0) l.v[l.n++] = p - 1;
  if (tolerant && p < std::numeric_limits<std::uint64_t>::max()) l.v[l.n++] = p + 1;
  return l;
}
/// Unauthenticated octets from a message, escaped for an error text (skm::printable).
[[nodiscard]] inline std::string quoted(std::span<const std::uint8_t> b) { return printable(b); }
[[nodiscard]] inline std::string quoted(std::string_view s) { return printable(s); }
}  // namespace detail

class i_message_receiver {
 public:
  explicit i_message_receiver(std::string my_uri, receiver_options options = {})
      : uri_(std::move(my_uri)), options_(std::move(options)), replay_(options_.replay) {
    options_.key_period_tolerance =
        std::min(options_.key_period_tolerance, max_key_period_tolerance);
  }

  /// Trust a community: messages signed under its KPAK (named in IDRkmsi) are accepted. The
  /// receiver's own community must be trusted too. Replaces a community of the same KMS URI.
  void trust(community c) {
    std::erase_if(signers_, [&](const signer_entry& e) { return e.kms_uri == c.kms_uri(); });
    for (auto& x : communities_)
      if (x.kms_uri() == c.kms_uri()) {
        x = std::move(c);
        return;
      }
    communities_.push_back(std::move(c));
  }

  /// Add one of the receiver's key sets (its community must be trusted first).
  [[nodiscard]] result<std::monostate, i_message_failure> add_keys(period_keys keys) {
    if (keys.user_uri() != uri_)
      return detail::fail(i_message_error::bad_request,
                          "key set is for " + keys.user_uri() + ", not " + uri_);
    if (find_community(keys.kms_uri()) == nullptr)
      return detail::fail(i_message_error::bad_request, "the key set's community is not trusted");
    std::erase_if(keys_, [&](const period_keys& k) {
      return k.kms_uri() == keys.kms_uri() && k.period() == keys.period();
    });
    keys_.push_back(std::move(keys));
    return std::monostate{};
  }
  /// Forget the key sets of periods before `period` (of KMS `kms_uri`).
  void drop_keys_before(std::string_view kms_uri, std::uint64_t period) {
    std::erase_if(
        keys_, [&](const period_keys& k) { return k.kms_uri() == kms_uri && k.period() < period; });
  }

  [[nodiscard]] const std::string& uri() const noexcept { return uri_; }
  /// The options in effect (key_period_tolerance clamped to max_key_period_tolerance).
  [[nodiscard]] const receiver_options& options() const noexcept { return options_; }
  [[nodiscard]] const replay_guard& replay() const noexcept { return replay_; }
  [[nodiscard]] std::size_t cached_signers() const noexcept { return signers_.size(); }

  /// Checks and opens an I_MESSAGE received at `now`. Every failure names its cause (quoting
  /// message octets only through skm::printable) and returns no key. Order: parse and profile
  /// (payload kinds and order, map type, PRF, SAKKE parameters, key purpose); T against the
  /// clock-skew window and the replay cache; KMSs; own key set for the period of T; addressed to
  /// me; the initiator's identity (a hidden one bound through `binding`); signature; SAKKE; key
  /// IDs and parameters (revoked or expired keys refused); then the message is recorded against
  /// replay (once, whichever variant of options() accepted it).
  [[nodiscard]] result<received_key, i_message_failure> process(
      std::span<const std::uint8_t> message, ntp_time now, const initiator_binding& binding = {}) {
    const auto m = mikey::parse_message(message);
    if (!m) return detail::fail(i_message_error::malformed, mikey::to_string(m.error()));
    received_key out;
    if (auto e = read_profile(*m, out)) return unexpected{*e};
    if (auto e = check_time_and_replay(*m, now, out)) return unexpected{*e};
    const auto parties = find_parties(*m, out);
    if (!parties) return unexpected{parties.error()};
    const auto initiators = initiator_identities(*m, *parties->theirs, binding, out);
    if (!initiators) return unexpected{initiators.error()};
    if (auto e = verify_initiator(*m, *parties->theirs, *initiators, out)) return unexpected{*e};
    if (auto e = open_key(*m, *parties, out)) return unexpected{*e};
    if (auto e = check_key_ids(*m, out)) return unexpected{*e};
    if (auto e = read_key_parameters(*m, now, out)) return unexpected{*e};
    if (auto e = replay_failure(replay_.accept(out.time, out.rand, now))) return unexpected{*e};
    return out;
  }

 private:
  struct signer_entry {
    std::string kms_uri;
    uid id;
    std::array<std::uint8_t, pvt_octets> pvt;
    eccsi::signer_context<> context;
  };

  /// The communities of both ends and the own key sets to try, in order.
  struct parties {
    const community* theirs = nullptr;
    std::array<const period_keys*, 3> own{};
    std::size_t own_count = 0;
  };

  /// The initiator UIDs to verify the signature with, in order, with their key periods (none for
  /// an unconfirmed hidden initiator).
  struct initiator_list {
    std::array<uid, 3> uids{};
    std::array<std::optional<std::uint64_t>, 3> periods{};
    std::size_t count = 0;
  };

  using failure = std::optional<i_message_failure>;

  /// The TS 33.180 profile (with the SRTP-ID map under its option), HDR PRF, SAKKE parameter set
  /// and ID scheme, the map form and the purpose of the CSB ID.
  [[nodiscard]] failure read_profile(const mikey::message_view& m, received_key& out) const {
    using namespace mikey;
    if (auto e = check_3gpp_profile(m, {.allow_srtp_id_map = options_.accept_srtp_id_map}))
      return i_message_failure{i_message_error::not_3gpp_profile, mikey::to_string(*e)};
    const auto& hdr = m.hdr();
    if (hdr.prf == prf_func::hmac_sha_256)
      out.prf = mikey_prf::prf_hmac_sha_256;
    else if (hdr.prf == prf_func::mikey_1)
      out.prf = mikey_prf::mikey_1;
    else
      return i_message_failure{i_message_error::unsupported_prf,
                               std::to_string(static_cast<unsigned>(hdr.prf))};
    const auto* sakke_p = m.sakke();
    if (sakke_p->params != sakke_parameter_set)
      return i_message_failure{i_message_error::unsupported_parameter_set,
                               std::to_string(sakke_p->params)};
    if (sakke_p->id_scheme != sakke_id_scheme_uid)
      return i_message_failure{i_message_error::unsupported_id_scheme,
                               std::to_string(sakke_p->id_scheme)};
    out.form = hdr.map_type == cs_map_type::generic_id ? message_form::generic_id
               : hdr.map_type == cs_map_type::srtp_id  ? message_form::legacy_srtp_id
                                                       : message_form::empty_map;
    out.csb_id = sk_id::from_value(hdr.csb_id);
    out.purpose = out.csb_id.purpose();
    out.key_id = out.csb_id;
    if (!is_defined_purpose(out.purpose, options_.registered_purposes))
      return i_message_failure{
          i_message_error::unknown_key_purpose,
          "purpose tag " + std::to_string(static_cast<unsigned>(out.purpose)) + " of CSB ID"};
    return std::nullopt;
  }

  /// T against the clock-skew window and RAND against the replay cache (before any curve
  /// arithmetic).
  [[nodiscard]] failure check_time_and_replay(const mikey::message_view& m, ntp_time now,
                                              received_key& out) const {
    out.time = from_ntp_wire(m.t()->value, now);
    const auto rand = m.rand()->rand;
    if (auto e = replay_failure(replay_.check(out.time, rand, now))) return e;
    out.rand.assign(rand.begin(), rand.end());
    return std::nullopt;
  }

  /// The KMSs (IDRkmsr one I hold keys from, IDRkmsi trusted), the own key sets for the key
  /// period of T (either side under the tolerance) and the recipient (IDRr my URI, or IDRuidr my
  /// UID for one of those periods, which then selects the key set).
  [[nodiscard]] result<parties, i_message_failure> find_parties(const mikey::message_view& m,
                                                                received_key& out) const {
    using mikey::id_role;
    const auto kmsr = detail::text(m.idr(id_role::responder_kms)->data);
    const auto kmsi = detail::text(m.idr(id_role::initiator_kms)->data);
    const community* mine = find_community(kmsr);
    const bool hold_keys_there = std::any_of(
        keys_.begin(), keys_.end(), [&](const period_keys& k) { return k.kms_uri() == kmsr; });
    if (mine == nullptr || !hold_keys_there)
      return detail::fail(i_message_error::wrong_kms, detail::quoted(kmsr));
    parties p;
    p.theirs = find_community(kmsi);
    if (p.theirs == nullptr)
      return detail::fail(i_message_error::unknown_initiator_kms, detail::quoted(kmsi));
    out.initiator_kms_uri = std::string(kmsi);
    const auto period = mine->period_at(out.time);
    if (!period) return unexpected{period.error()};
    out.time_period = *period;
    const bool tolerant = options_.key_period_tolerance != 0;
    for (const auto q : detail::periods_around(*period, tolerant))
      if (const auto* k = find_keys(kmsr, q)) p.own[p.own_count++] = k;
    if (p.own_count == 0)
      return detail::fail(i_message_error::no_key_for_period,
                          "period " + std::to_string(*period) +
                              (tolerant ? " or either side" : "") + " of " + detail::quoted(kmsr));
    if (const auto* r = m.idr(id_role::responder)) {
      if (detail::text(r->data) != uri_)
        return detail::fail(i_message_error::wrong_recipient, "IDRr is " + detail::quoted(r->data));
      return p;
    }
    // The UID names the period: keep only the key set it belongs to.
    const auto data = m.idr(id_role::responder_uid)->data;
    const auto own_end = p.own.begin() + static_cast<std::ptrdiff_t>(p.own_count);
    const auto it = std::find_if(p.own.begin(), own_end, [&](const period_keys* k) {
      return std::equal(data.begin(), data.end(), k->id().begin(), k->id().end());
    });
    if (it == own_end)
      return detail::fail(i_message_error::wrong_recipient,
                          "IDRuidr is not my UID for period " + std::to_string(*period) +
                              (tolerant ? " or either side" : ""));
    p.own[0] = *it;
    p.own_count = 1;
    return p;
  }

  /// The initiator's UIDs to try: from IDRi's URI for the key period of T (either side under the
  /// tolerance), which must be one of the candidates when any are given; or IDRuidi's UID, bound
  /// to a URI by the candidates and the resolver, or accepted unconfirmed on request.
  [[nodiscard]] result<initiator_list, i_message_failure> initiator_identities(
      const mikey::message_view& m, const community& theirs, const initiator_binding& binding,
      received_key& out) const {
    const bool tolerant = options_.key_period_tolerance != 0;
    const auto their_period = theirs.period_at(out.time);
    if (!their_period) return unexpected{their_period.error()};
    initiator_list l;
    if (const auto* i = m.idr(mikey::id_role::initiator)) {
      const auto uri = detail::text(i->data);
      const auto& c = binding.candidate_uris;
      if (!c.empty() && std::find(c.begin(), c.end(), uri) == c.end())
        return detail::fail(i_message_error::initiator_mismatch,
                            "IDRi is " + detail::quoted(uri) + ", none of the expected initiators");
      out.initiator_uri = std::string(uri);
      for (const auto p : detail::periods_around(*their_period, tolerant)) {
        const auto u = theirs.uid_of(uri, p);
        if (!u) return unexpected{u.error()};
        l.uids[l.count] = *u;
        l.periods[l.count++] = p;
      }
      out.initiator_confirmed = true;
      return l;
    }
    const auto data = m.idr(mikey::id_role::initiator_uid)->data;
    if (data.size() != l.uids[0].size())
      return detail::fail(i_message_error::malformed, "IDRuidi is not 32 octets");
    std::copy(data.begin(), data.end(), l.uids[0].begin());
    l.count = 1;
    if (auto e = bind_hidden_initiator(theirs, *their_period, binding, l, out))
      return unexpected{*e};
    return l;
  }

  /// A hidden initiator's carried UID (l.uids[0]) against the candidate URIs, then the
  /// resolver's: the first URI whose UID for the period of T (± 1 under the tolerance) is the
  /// carried one confirms it. Candidates but no match: initiator_mismatch. No candidates at all:
  /// initiator_unconfirmed unless the caller accepts that.
  [[nodiscard]] failure bind_hidden_initiator(const community& theirs, std::uint64_t their_period,
                                              const initiator_binding& binding, initiator_list& l,
                                              received_key& out) const {
    std::vector<std::string> resolved;
    if (binding.resolver) resolved = binding.resolver(l.uids[0], theirs.kms_uri());
    const bool tolerant = options_.key_period_tolerance != 0;
    std::size_t tried = 0;
    const std::array<const std::vector<std::string>*, 2> lists{&binding.candidate_uris, &resolved};
    for (const auto* list : lists) {
      for (const auto& uri : *list) {
        ++tried;
        for (const auto p : detail::periods_around(their_period, tolerant)) {
          const auto u = theirs.uid_of(uri, p);
          if (!u) return u.error();
          if (*u != l.uids[0]) continue;
          out.initiator_uri = uri;
          l.periods[0] = p;
          out.initiator_confirmed = true;
          return std::nullopt;
        }
      }
    }
    if (tried != 0)
      return i_message_failure{
          i_message_error::initiator_mismatch,
          "none of " + std::to_string(tried) + " candidate URIs hashes to IDRuidi for period " +
              std::to_string(their_period) + (tolerant ? " or either side" : "")};
    if (!binding.accept_unconfirmed)
      return i_message_failure{i_message_error::initiator_unconfirmed,
                               "no candidate URI for the hidden initiator (IDRuidi)"};
    out.initiator_confirmed = false;
    return std::nullopt;
  }

  /// The signature: the RFC 3830 range first, then (option) the range without the SIGN header;
  /// for each UID in turn. The first failure (the strict one) is reported.
  [[nodiscard]] failure verify_initiator(const mikey::message_view& m, const community& theirs,
                                         const initiator_list& l, received_key& out) {
    const auto signed_range = m.signed_range();
    if (!signed_range)
      return i_message_failure{i_message_error::malformed, mikey::to_string(signed_range.error())};
    const auto compat_range = m.signed_range_without_sign_header_compat();
    if (!compat_range)
      return i_message_failure{i_message_error::malformed, mikey::to_string(compat_range.error())};
    const auto signature = m.sign()->signature;
    if (signature.size() != eccsi_suite::signature_size)
      return i_message_failure{i_message_error::signature_invalid,
                               "ECCSI signature has the wrong length"};
    if (options_.require_canonical_s && !eccsi::has_canonical_s(signature))
      return i_message_failure{i_message_error::signature_not_canonical, {}};
    failure first_failure;
    for (std::size_t i = 0; i < l.count; ++i) {
      for (const bool without_header : {false, true}) {
        if (without_header && !options_.accept_signature_without_sign_header) continue;
        const auto e = verify_signature(theirs, l.uids[i],
                                        without_header ? *compat_range : *signed_range, signature);
        if (!e) {
          out.initiator_uid = l.uids[i];
          out.initiator_period = l.periods[i];
          out.signature_without_sign_header = without_header;
          return std::nullopt;
        }
        if (!first_failure) first_failure = *e;
      }
    }
    if (l.count > 1 || options_.accept_signature_without_sign_header)
      first_failure->detail += first_failure->detail.empty() ? "every interop variant tried"
                                                             : " (every interop variant tried)";
    return first_failure;
  }

  /// The key: SAKKE opened with the own key set(s) left, in order; one uniform failure.
  [[nodiscard]] static failure open_key(const mikey::message_view& m, const parties& p,
                                        received_key& out) {
    for (std::size_t i = 0; i < p.own_count; ++i) {
      auto ssv = p.own[i]->receiver().decapsulate(m.sakke()->data);
      if (!ssv) continue;
      std::copy(ssv->begin(), ssv->end(), out.key.data());
      ct::wipe(ssv->data(), ssv->size());
      out.period = p.own[i]->period();
      return std::nullopt;
    }
    return i_message_failure{i_message_error::decapsulation_failed, {}};
  }

  /// The GMK-ID recovered from the GUK-ID, and the SPI of every GENERIC-ID crypto session that
  /// carries one: GMK-ID || GUK-ID for a GMK, the key ID for every other purpose (the SRTP MKI,
  /// 3gpp-notes §A.1). SRTP-ID maps carry no SPI; their CS IDs are the positions 1 .. #CS.
  [[nodiscard]] failure check_key_ids(const mikey::message_view& m, received_key& out) const {
    using mikey::cs_map_type;
    if (out.purpose == key_purpose::gmk) {
      const auto gmk_id = recover_gmk_id(out.csb_id, out.key.span(), uri_);
      if (!gmk_id)
        return i_message_failure{i_message_error::key_id_mismatch, describe(gmk_id.error())};
      out.key_id = *gmk_id;
    }
    const auto& hdr = m.hdr();
    if (hdr.map_type == cs_map_type::srtp_id) {
      for (unsigned i = 1; i <= hdr.cs_count; ++i)
        out.cs_ids.push_back(static_cast<std::uint8_t>(i));
      return std::nullopt;
    }
    const auto expected_spi = mki(out.purpose, out.key_id, out.csb_id);
    for (const auto e : hdr.generic_ids()) {
      out.cs_ids.push_back(e.cs_id);
      if (!e.spi.empty() &&
          !std::equal(e.spi.begin(), e.spi.end(), expected_spi.begin(), expected_spi.end()))
        return i_message_failure{i_message_error::key_id_mismatch,
                                 out.purpose == key_purpose::gmk
                                     ? "GENERIC-ID SPI is not GMK-ID || GUK-ID"
                                     : "GENERIC-ID SPI is not the key ID"};
    }
    return std::nullopt;
  }

  /// The key-parameters extension: decrypted, its key type the CSB ID's purpose, the key not
  /// revoked (status) nor expired at `now`; the activation time decides received_key::active.
  [[nodiscard]] failure read_key_parameters(const mikey::message_view& m, ntp_time now,
                                            received_key& out) const {
    out.has_sakke_to_self = m.extension(mikey::ext_type::sakke_to_self) != nullptr;
    const auto* kp = m.extension(mikey::ext_type::key_parameters);
    if (kp == nullptr) return std::nullopt;
    auto p = unprotect_key_parameters(kp->data, out.key.span(), out.csb_id.value());
    if (!p) return i_message_failure{i_message_error::key_parameters_invalid, describe(p.error())};
    if (p->key_type != static_cast<std::uint8_t>(out.purpose))
      return i_message_failure{i_message_error::key_parameters_invalid,
                               "key type differs from the CSB ID purpose"};
    if (is_revoked(*p)) {
      if (!options_.deliver_revoked_keys)
        return i_message_failure{i_message_error::key_revoked,
                                 "status " + std::to_string(p->status)};
      out.revoked = true;
    }
    out.expiry_time = key_parameter_time(p->expiry_time);
    if (out.expiry_time && *out.expiry_time <= now)
      return i_message_failure{
          i_message_error::key_expired,
          "expiry " + std::to_string(out.expiry_time->seconds) + " (NTP seconds) is not after now"};
    out.activation_time = key_parameter_time(p->activation_time);
    out.active = !out.revoked && (!out.activation_time || *out.activation_time <= now);
    out.parameters = std::move(*p);
    return std::nullopt;
  }

  [[nodiscard]] static failure replay_failure(replay_verdict v) {
    switch (v) {
      case replay_verdict::fresh: return std::nullopt;
      case replay_verdict::too_old: return i_message_failure{i_message_error::too_old, {}};
      case replay_verdict::in_future: return i_message_failure{i_message_error::in_future, {}};
      case replay_verdict::replayed: return i_message_failure{i_message_error::replayed, {}};
      case replay_verdict::cache_full:
        return i_message_failure{i_message_error::replay_cache_full, {}};
      case replay_verdict::bad_rand: return i_message_failure{i_message_error::bad_rand, {}};
    }
    return i_message_failure{i_message_error::malformed, "unknown replay verdict"};
  }

  [[nodiscard]] const community* find_community(std::string_view kms_uri) const noexcept {
    for (const auto& c : communities_)
      if (c.kms_uri() == kms_uri) return &c;
    return nullptr;
  }
  [[nodiscard]] const period_keys* find_keys(std::string_view kms_uri,
                                             std::uint64_t period) const noexcept {
    for (const auto& k : keys_)
      if (k.kms_uri() == kms_uri && k.period() == period) return &k;
    return nullptr;
  }

  /// ECCSI verification for (KMS, UID, PVT carried in the signature). A signer heard before is
  /// verified with its cached context; a new one with the one-off verification, and only once
  /// that succeeds is its context built and cached (the oldest entry leaves when the cache is
  /// full), so forged messages cost no table builds and cannot flush the cache.
  [[nodiscard]] std::optional<i_message_failure> verify_signature(
      const community& c, const uid& id, std::span<const std::uint8_t> range,
      std::span<const std::uint8_t> signature) {
    const auto pvt = signature.subspan(2 * eccsi_suite::N);
    for (const auto& e : signers_) {
      if (e.kms_uri != c.kms_uri() || e.id != id ||
          !std::equal(pvt.begin(), pvt.end(), e.pvt.begin(), e.pvt.end()))
        continue;
      if (const auto v = e.context.verify(range, signature); !v)
        return i_message_failure{i_message_error::signature_invalid, eccsi::describe(v.error())};
      return std::nullopt;
    }
    if (const auto v = eccsi::verify(c.kpak(), c.identity_of(id), range, signature); !v)
      return i_message_failure{i_message_error::signature_invalid, eccsi::describe(v.error())};
    if (options_.signer_cache_capacity == 0) return std::nullopt;
    auto ctx = eccsi::signer_context<>::create(c.kpak(), c.identity_of(id), pvt,
                                               options_.signer_precompute);
    if (!ctx)
      return std::nullopt;  // cannot happen for a PVT that just verified; nothing to cache then
    if (signers_.size() >= options_.signer_cache_capacity) signers_.erase(signers_.begin());
    std::array<std::uint8_t, pvt_octets> pvt_copy{};
    std::copy(pvt.begin(), pvt.end(), pvt_copy.begin());
    signers_.push_back(signer_entry{c.kms_uri(), id, pvt_copy, std::move(*ctx)});
    return std::nullopt;
  }

  std::string uri_;
  receiver_options options_;
  replay_guard replay_;
  std::vector<community> communities_;
  std::vector<period_keys> keys_;
  std::vector<signer_entry> signers_;
};

/// For a hidden initiator (IDRuidi): check that `uri`, learnt later, hashes to the carried UID
/// for the key period of T, or (key_period_tolerance 1, as the receiver's option, same risk) for
/// the period either side. Returns the initiator's key period that matched.
[[nodiscard]] inline result<std::uint64_t, i_message_failure> confirm_initiator(
    const received_key& k, std::string_view uri, const community& initiator_community,
    unsigned key_period_tolerance = 0) {
  if (initiator_community.kms_uri() != k.initiator_kms_uri)
    return detail::fail(i_message_error::unknown_initiator_kms,
                        detail::quoted(initiator_community.kms_uri()));
  const auto period = initiator_community.period_at(k.time);
  if (!period) return unexpected{period.error()};
  for (const auto p : detail::periods_around(*period, key_period_tolerance != 0)) {
    const auto u = initiator_community.uid_of(uri, p);
    if (!u) return unexpected{u.error()};
    if (*u == k.initiator_uid) return p;
  }
  return detail::fail(i_message_error::initiator_mismatch, detail::quoted(uri));
}

// ---------------------------------------------------------------------------------------------
// Session keys

/// The SRTP master key and salt of crypto session `cs_id` (RFC 3830 §4.1.3 with the message's
/// PRF): TGK = the transported key, CSB ID and RAND from the message.
template <class M>
requires requires(const M& m) {
  m.key;
  m.csb_id;
  m.rand;
  m.prf;
}
[[nodiscard]] result<srtp_master, prf_error> session_keys(const M& m, std::uint8_t cs_id,
                                                          std::size_t key_len = 16,
                                                          std::size_t salt_len = 12) {
  return derive_srtp_master(m.prf, m.key.span(), cs_id, m.csb_id.value(), m.rand, key_len,
                            salt_len);
}

}  // namespace skm::km
