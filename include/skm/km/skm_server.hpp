// SPDX-License-Identifier: BSD-3-Clause
// The SEAL key management server (SKM-S, TS 33.434 §5.3) in its TS 33.180 form: a KMS for one
// community. It holds the SAKKE master secret z (Z = [z]P) and the ECCSI KSAK (KPAK = [KSAK]G),
// publishes the community's public values, and issues each user's key set for a key period:
//
//   UID = TS 33.180 F.2.1 hash of (user URI, KMS URI, period length, offset, period number)
//   RSK = [(UID + z)^-1]P                       (RFC 6508 §6.1.1)
//   (SSK, PVT) with HS = hash(G || KPAK || UID || PVT), SSK = KSAK + HS v   (RFC 6507 §5.1.1)
//
// Every issued set is validated as a receiver would (RFC 6508 §6.1.2, RFC 6507 §5.1.2) before it
// leaves issue(): a KMS fault never reaches a user. The master secrets stay inside the scheme
// objects (which wipe them); export_secrets() hands them out for secure storage only. Nothing
// here prints or logs a secret.
//
// The XML forms (KmsCertificate, KmsKeySet) are in kms_xml.hpp: make_certificate(public_values(),
// …) and make_key_set(issued set).
//
// Stateless issuing (issue_deterministic): RFC 6507 only asks that v be secret and unpredictable.
// A KMS that derives v from a secret and the UID, as RFC 6979 derives an ECDSA nonce, returns the
// same key set however often it is asked, and so does every replica holding the same master
// secrets, with nothing to store or synchronise:
//
//   K_v = HMAC-SHA256(KSAK, "skm kms v-derivation key")        (at construction; wiped at the end)
//   v   = RFC 6507 draw (as issue()) from HMAC_DRBG-SHA256(entropy K_v, nonce UID,
//                                                          personalization "skm kms v for ECCSI")
//
// UID already binds user URI, KMS URI and key period, so each (user, period) gets its own v; an
// observer without K_v cannot predict it (HMAC as a PRF), and K_v reveals nothing of the KSAK.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <cryptopp/drbg.h>
#include <cryptopp/hmac.h>
#include <cryptopp/sha.h>

#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/eccsi/eccsi.hpp"
#include "skm/km/identity.hpp"
#include "skm/km/key_material.hpp"
#include "skm/km/time.hpp"
#include "skm/sakke/sakke.hpp"

namespace skm::km {

enum class kms_error {
  bad_community,        ///< empty KMS URI, zero key period length, or unsupported parameter set
  bad_master_secret,    ///< z or KSAK of the wrong length or out of range
  bad_user_uri,         ///< the UID cannot be formed (empty URI, NUL octet, too long)
  bad_period,           ///< the time lies before the community's key period offset
  identifier_unusable,  ///< UID + z = 0 mod q (probability ~2^-1022): no RSK exists
  issuing_failed,       ///< the random source gave only degenerate values
  self_check_failed,    ///< an issued key set failed the receiver-side validation (a KMS fault)
};

[[nodiscard]] constexpr const char* describe(kms_error e) noexcept {
  switch (e) {
    case kms_error::bad_community:
      return "community needs a KMS URI, a non-zero key period length and parameter set 1";
    case kms_error::bad_master_secret:
      return "KMS master secret has the wrong length or is out of range";
    case kms_error::bad_user_uri: return "no UID can be formed for this user URI";
    case kms_error::bad_period: return "time lies before the community's key period offset";
    case kms_error::identifier_unusable: return "no RSK exists for this UID (UID + z = 0 mod q)";
    case kms_error::issuing_failed: return "random source produced only degenerate values";
    case kms_error::self_check_failed: return "an issued key set failed validation";
  }
  return "unknown kms_error";
}

/// How a community is set up.
struct community_config {
  std::string kms_uri;
  key_period_schedule schedule{2592000, 0};  ///< 30-day periods from 1900-01-01 by default
  std::uint64_t parameter_set = sakke_parameter_set;
};

/// The master secrets, for secure storage (wiped when they die).
struct kms_secrets {
  secret_array<sakke_scheme::Fq::bytes> z;  ///< SAKKE master secret
  secret_array<ssk_octets> ksak;            ///< ECCSI KMS secret authentication key
};

/// How much skm_server::issue checks a key set before it leaves the KMS.
enum class issue_check {
  /// Everything a receiving user checks (check_key_set): the UID, RFC 6508 §6.1.2 (a pairing)
  /// and RFC 6507 §5.1.2. The default.
  receiver_side,
  /// For bulk provisioning: the RSK decodes (below p, on the curve, not the identity) and
  /// RFC 6507 §5.1.2 holds for (SSK, PVT). The RSK's pairing check, most of the issuing time, is
  /// left to the user, who must make it anyway on receipt (RFC 6508 §6.1.2).
  consistency,
};

class skm_server {
 public:
  /// A new community with fresh master secrets.
  template <random_source Rng>
  [[nodiscard]] static result<skm_server, kms_error> generate(community_config config, Rng& rng) {
    if (!config_ok(config)) return unexpected{kms_error::bad_community};
    try {
      auto sakke_kms = sakke::kms<sakke_curve>::generate(rng);
      auto eccsi_kms = eccsi::kms<>::generate(rng);
      if (!eccsi_kms) return unexpected{kms_error::issuing_failed};
      return skm_server(std::move(config), sakke_kms, *eccsi_kms);
    } catch (const std::runtime_error&) {  // a broken random source (see fp::random)
      return unexpected{kms_error::issuing_failed};
    }
  }

  /// A community restored from its stored master secrets.
  [[nodiscard]] static result<skm_server, kms_error> from_secrets(
      community_config config, std::span<const std::uint8_t> z,
      std::span<const std::uint8_t> ksak) {
    if (!config_ok(config)) return unexpected{kms_error::bad_community};
    auto sakke_kms = sakke::kms<sakke_curve>::from_master_secret(z);
    if (!sakke_kms) return unexpected{kms_error::bad_master_secret};
    auto eccsi_kms = eccsi::kms<>::from_ksak(ksak);
    if (!eccsi_kms) return unexpected{kms_error::bad_master_secret};
    return skm_server(std::move(config), *sakke_kms, *eccsi_kms);
  }

  [[nodiscard]] const community_public_values& public_values() const noexcept { return public_; }

  /// The identity octets this KMS binds keys to (identity.hpp): a property of the community,
  /// chosen once before any key set is issued and published with the public values.
  void set_identity_convention(identity_convention c) noexcept { public_.convention = c; }
  [[nodiscard]] const sakke::kms_public_key<sakke_curve>& sakke_public_key() const noexcept {
    return sakke_.public_key();
  }
  [[nodiscard]] const eccsi::public_key<>& kpak() const noexcept { return eccsi_.kpak(); }

  [[nodiscard]] kms_secrets export_secrets() const {
    kms_secrets s;
    auto z = sakke_.export_master_secret();
    auto k = eccsi_.export_ksak();
    std::copy(z.begin(), z.end(), s.z.data());
    std::copy(k.begin(), k.end(), s.ksak.data());
    ct::wipe(z.data(), z.size());
    ct::wipe(k.data(), k.size());
    return s;
  }

  /// The key period containing `t` under this community's schedule.
  [[nodiscard]] result<std::uint64_t, kms_error> period_at(ntp_time t) const noexcept {
    auto n = key_period_number(t, public_.schedule);
    if (!n) return unexpected{kms_error::bad_period};
    return *n;
  }

  /// The key set of `user_uri` for key period `period`, checked (as `check` says) before it is
  /// returned; a set that fails is never returned (self_check_failed).
  template <random_source Rng>
  [[nodiscard]] result<user_key_set, kms_error> issue(
      std::string_view user_uri, std::uint64_t period, Rng& rng,
      issue_check check = issue_check::receiver_side) const {
    const auto id = mikey_sakke_uid(user_uri, public_.kms_uri, public_.schedule, period);
    if (!id) return unexpected{kms_error::bad_user_uri};
    const identifier identity = public_.identity_of(*id);  // the community's convention
    auto rsk = sakke_.issue_rsk(identity);
    if (!rsk)
      return unexpected{rsk.error() == sakke::sakke_error::bad_identifier
                            ? kms_error::bad_user_uri
                            : kms_error::identifier_unusable};
    auto pair = eccsi_.issue(identity, rng);
    if (!pair) {
      ct::wipe_object(*rsk);
      return unexpected{kms_error::issuing_failed};
    }
    user_key_set out;
    out.user_uri = std::string(user_uri);
    out.kms_uri = public_.kms_uri;
    out.period = period;
    out.id = *id;
    auto rsk_bytes = ec::encode_uncompressed(*rsk);
    ct::wipe_object(*rsk);
    if (!rsk_bytes) return unexpected{kms_error::self_check_failed};
    std::copy(rsk_bytes->begin(), rsk_bytes->end(), out.rsk.data());
    ct::wipe(rsk_bytes->data(), rsk_bytes->size());
    std::copy(pair->ssk.begin(), pair->ssk.end(), out.ssk.data());
    out.pvt = pair->pvt;
    // On exactly the octets handed out.
    if (check == issue_check::receiver_side) {
      if (auto e = check_key_set(out)) return unexpected{*e};
    } else {
      auto decoded = sakke::decode_rsk_unvalidated<sakke_curve>(out.rsk.span());
      const bool rsk_ok = decoded.has_value();
      if (decoded) ct::wipe_object(*decoded);
      if (!rsk_ok || check_ssk_pvt(eccsi_.kpak(), identity, out.ssk.span(), out.pvt))
        return unexpected{kms_error::self_check_failed};
    }
    return out;
  }

  /// The checks a receiving user makes (its UID from URI and period, RFC 6508 §6.1.2 for the RSK,
  /// RFC 6507 §5.1.2 for SSK and PVT) of a key set of this community. issue() runs them on every
  /// set before handing it out, so a fault in issuing never leaves the KMS; an operator may run
  /// them again on stored sets. Any failure is kms_error::self_check_failed.
  [[nodiscard]] std::optional<kms_error> check_key_set(const user_key_set& k) const {
    const auto id = mikey_sakke_uid(k.user_uri, public_.kms_uri, public_.schedule, k.period);
    if (k.kms_uri != public_.kms_uri || !id || *id != k.id) return kms_error::self_check_failed;
    const identifier identity = public_.identity_of(k.id);
    if (check_rsk(sakke_.public_key().point_value(), identity, k.rsk.span()) ||
        check_ssk_pvt(eccsi_.kpak(), identity, k.ssk.span(), k.pvt))
      return kms_error::self_check_failed;
    return std::nullopt;
  }

  /// The key set of `user_uri` for `period` with v derived from the master secrets and the UID
  /// (see the top of this file): repeated calls, and every replica with the same master secrets,
  /// return the identical key set. Checked as issue() checks.
  [[nodiscard]] result<user_key_set, kms_error> issue_deterministic(
      std::string_view user_uri, std::uint64_t period,
      issue_check check = issue_check::receiver_side) const {
    const auto id = mikey_sakke_uid(user_uri, public_.kms_uri, public_.schedule, period);
    if (!id) return unexpected{kms_error::bad_user_uri};
    static constexpr std::string_view personalization = "skm kms v for ECCSI";
    CryptoPP::HMAC_DRBG<CryptoPP::SHA256, 16, 32> drbg(
        v_key_.data(), v_key_.span().size(), id->data(), id->size(),
        reinterpret_cast<const CryptoPP::byte*>(personalization.data()), personalization.size());
    return issue(user_uri, period, drbg, check);
  }

  /// The key set for the period containing `t`.
  template <random_source Rng>
  [[nodiscard]] result<user_key_set, kms_error> issue_at(
      std::string_view user_uri, ntp_time t, Rng& rng,
      issue_check check = issue_check::receiver_side) const {
    const auto period = period_at(t);
    if (!period) return unexpected{period.error()};
    return issue(user_uri, *period, rng, check);
  }

 private:
  // The schemes' KMS objects are copied (they wipe their secrets and have no moving form).
  skm_server(community_config config, const sakke::kms<sakke_curve>& s, const eccsi::kms<>& e)
      : sakke_(s), eccsi_(e) {
    public_.kms_uri = std::move(config.kms_uri);
    public_.schedule = config.schedule;
    public_.parameter_set = config.parameter_set;
    public_.z = sakke_.public_key().encode();
    public_.kpak = eccsi_.kpak().bytes();
    derive_v_key();
  }

  void derive_v_key() {
    static constexpr std::string_view label = "skm kms v-derivation key";
    auto ksak = eccsi_.export_ksak();
    CryptoPP::HMAC<CryptoPP::SHA256> mac(ksak.data(), ksak.size());
    ct::wipe(ksak.data(), ksak.size());
    mac.Update(reinterpret_cast<const CryptoPP::byte*>(label.data()), label.size());
    mac.Final(v_key_.data());
  }

  [[nodiscard]] static bool config_ok(const community_config& c) noexcept {
    return !c.kms_uri.empty() && c.kms_uri.size() <= 0xFFFF &&
           c.kms_uri.find('\0') == std::string::npos && c.schedule.length_seconds != 0 &&
           !check_parameter_set(c.parameter_set);
  }

  sakke::kms<sakke_curve> sakke_;
  eccsi::kms<> eccsi_;
  community_public_values public_;
  secret_array<32> v_key_;  ///< K_v: keys the derivation of v in issue_deterministic
};

}  // namespace skm::km
