// SPDX-License-Identifier: BSD-3-Clause
// What kms_handler asks of the KMS state (skm/kms_state/store.hpp) when one is attached:
//
//   keyprov    the revocations that apply to (subject, this KMS, ClientId, DeviceId): a revoked
//              period is answered as a KmsKeySet with Revoked true and no usable key (zero
//              keys), or left out with KmsError 403 when none is left (revoked_answer::error)
//   init       this KMS's certificate, with Revoked true once the community is revoked
//   certcache  the database's cache: CacheNum and, when the client's number is older, the
//              whole cache (KmsCertCache cannot express a removal, so no delta is sent)
//   cert/<u>   a certificate of the database's cache
//   every KMS request: one audit record, written before the answer leaves; when the write
//              fails the answer becomes 503 (no key set leaves without its record)
//
// A database failure anywhere is a 503 KmsError; the next request tries the database again.
// The store is read on every request (no cache of revocations), so a revocation committed
// through any replica is seen by the next request on every replica sharing the database.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "skm/km/identity.hpp"
#include "skm/km/key_material.hpp"
#include "skm/km/kms_xml.hpp"
#include "skm/kms_state/store.hpp"

namespace skm::kms_service {

/// How keyprov answers a revoked key period.
enum class revoked_answer {
  key_set,  ///< a KmsKeySet with Revoked true and zero keys (TS 33.180 D.3.3)
  error,    ///< left out; KmsError 403 when no period is left
};

struct state_options {
  revoked_answer answer = revoked_answer::key_set;
  std::string replica;  ///< names this server in the audit trail (e.g. host:port)
};

/// ClientId and DeviceId of the request's KmsRequest body, when it had them.
struct request_ids {
  std::optional<std::string> client_id;
  std::optional<std::string> device_id;
};

/// The external certificates of the cache, parsed once per CacheNum.
struct parsed_cert_cache {
  std::uint64_t cache_num = 0;
  std::vector<km::xml::kms_certificate> certificates;
};

class service_state {
 public:
  /// `s` must outlive this object; it is used from several threads (stores lock inside).
  service_state(kms_state::store& s, state_options o) : store_(s), options_(std::move(o)) {}

  [[nodiscard]] const state_options& options() const noexcept { return options_; }

  [[nodiscard]] kms_state::outcome<kms_state::revocation_match> match(const std::string& subject,
                                                                      const std::string& kms_uri,
                                                                      const request_ids& ids) {
    return store_.match({subject, kms_uri, ids.client_id, ids.device_id});
  }

  [[nodiscard]] kms_state::outcome<bool> community_revoked(const std::string& kms_uri) {
    const auto m = store_.match({"", kms_uri, std::nullopt, std::nullopt});
    if (!m) return unexpected{m.error()};
    for (const auto& r : m->matches)
      if (r.kind == kms_state::revocation_kind::community) return true;
    return false;
  }

  /// The cache, re-read and re-parsed only when CacheNum moved.
  [[nodiscard]] kms_state::outcome<std::shared_ptr<const parsed_cert_cache>> cert_cache() {
    const auto num = store_.cache_num();
    if (!num) return unexpected{num.error()};
    {
      const std::lock_guard lock(mutex_);
      if (parsed_ && parsed_->cache_num == *num) return parsed_;
    }
    const auto snapshot = store_.cert_cache();
    if (!snapshot) return unexpected{snapshot.error()};
    auto fresh = std::make_shared<parsed_cert_cache>();
    fresh->cache_num = snapshot->cache_num;
    for (const auto& c : snapshot->certificates) {
      auto cert = km::xml::parse_kms_certificate(c.certificate_xml);
      if (!cert)
        return unexpected{"the cached certificate of " + c.kms_uri +
                          " is not a valid KmsCertificate: " + cert.error().message()};
      fresh->certificates.push_back(std::move(*cert));
    }
    const std::lock_guard lock(mutex_);
    parsed_ = fresh;
    return std::shared_ptr<const parsed_cert_cache>(fresh);
  }

  /// Appends the record of one answered request; the reason on failure.
  [[nodiscard]] std::optional<std::string> audit(kms_state::audit_record a) {
    a.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    a.replica = options_.replica;
    const auto id = store_.append_audit(a);
    if (!id) return id.error();
    return std::nullopt;
  }

 private:
  kms_state::store& store_;
  state_options options_;
  std::mutex mutex_;
  std::shared_ptr<const parsed_cert_cache> parsed_;
};

/// A KmsKeySet for a revoked period: Revoked true, the UserID of (user, period), and keys that
/// are no keys (the encodings' lengths with every octet zero after the point tag), so that even
/// a client ignoring Revoked cannot use it: a validating parser rejects it.
[[nodiscard]] inline result<km::xml::kms_key_set, std::string> revoked_key_set(
    const std::string& user_uri, const km::community_public_values& v, std::uint64_t period) {
  const auto uid = km::mikey_sakke_uid(user_uri, v.kms_uri, v.schedule, period);
  if (!uid) return unexpected{std::string("the user URI cannot name a key set")};
  km::xml::kms_key_set k;
  k.kms_uri = v.kms_uri;
  k.user_uri = user_uri;
  static constexpr char digits[] = "0123456789abcdef";
  for (const auto b : *uid) {
    k.user_id += digits[b >> 4];
    k.user_id += digits[b & 15];
  }
  k.key_period_no = period;
  k.revoked = true;
  std::vector<std::uint8_t> rsk(km::xml::sakke_point_octets, 0),
      pvt(km::xml::eccsi_point_octets, 0);
  rsk[0] = 0x04;  // the writer requires an uncompressed point's tag; the point is not on a curve
  pvt[0] = 0x04;
  k.user_decrypt_key = km::secret_bytes(std::span<const std::uint8_t>(rsk));
  k.user_signing_key_ssk = km::secret_bytes(
      std::span<const std::uint8_t>(std::vector<std::uint8_t>(km::xml::eccsi_scalar_octets, 0)));
  k.user_pub_token_pvt = std::move(pvt);
  return k;
}

}  // namespace skm::kms_service
