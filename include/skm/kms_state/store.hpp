// SPDX-License-Identifier: BSD-3-Clause
// The KMS's state (TS 33.180 Annex D beyond issuing): revocations, the audit trail of every
// provisioning request, and the certificate cache of other KMSs with its CacheNum. This header
// is the backend-neutral interface (plain C++, no SQL); sqlite_store.hpp (embedded, one host)
// and postgres_store.hpp (several replicas sharing one state) implement it.
//
//   revocations   (kind, value) -> from_period, revoked_at, reason
//                 kind user:      the user URI, from key period from_period on
//                 kind device:    a DeviceId of KmsRequest bodies (every period)
//                 kind client:    a ClientId of KmsRequest bodies (every period)
//                 kind community: this KMS's own certificate (every key set it issues)
//   audit         append-only: time, identity, subject, client id, device id, endpoint,
//                 key periods issued, HTTP status, result, replica (never a key or a token)
//   cert_cache    kms_uri -> KmsCertificate XML; every add, replace or remove increments the
//                 one CacheNum
//
// Every operation returns its value or one sentence saying why the database failed; none throws
// for a database failure, so the service can answer 503 and carry on.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skm/common/result.hpp"

namespace skm::kms_state {

template <class T>
using outcome = result<T, std::string>;

enum class revocation_kind { user, device, client, community };

[[nodiscard]] inline std::string_view kind_name(revocation_kind k) noexcept {
  switch (k) {
    case revocation_kind::user: return "user";
    case revocation_kind::device: return "device";
    case revocation_kind::client: return "client";
    case revocation_kind::community: return "community";
  }
  return "user";
}

[[nodiscard]] inline std::optional<revocation_kind> kind_from_name(std::string_view n) noexcept {
  for (const auto k : {revocation_kind::user, revocation_kind::device, revocation_kind::client,
                       revocation_kind::community})
    if (kind_name(k) == n) return k;
  return std::nullopt;
}

struct revocation {
  revocation_kind kind = revocation_kind::user;
  std::string value;               ///< user URI, device id, client id or KMS URI
  std::uint64_t from_period = 0;   ///< kind user: the first revoked key period
  std::int64_t revoked_at_ms = 0;  ///< Unix time in milliseconds
  std::string reason;

  friend bool operator==(const revocation&, const revocation&) = default;
};

/// What a provisioning request is checked against.
struct revocation_query {
  std::string user_uri;
  std::string kms_uri;
  std::optional<std::string> client_id;
  std::optional<std::string> device_id;
};

/// The revocations that apply to a request; revoked(period) tells per key period.
struct revocation_match {
  std::vector<revocation> matches;

  [[nodiscard]] bool revoked(std::uint64_t period) const noexcept {
    for (const auto& r : matches)
      if (r.kind != revocation_kind::user || r.from_period <= period) return true;
    return false;
  }
};

struct audit_record {
  std::int64_t id = 0;       ///< assigned by the store (increasing)
  std::int64_t time_ms = 0;  ///< Unix time in milliseconds
  std::string identity;      ///< the authenticated caller ("" before authentication)
  std::string subject;       ///< the identity asked for (keyprov), the KMS URI (cert)
  std::optional<std::string> client_id;
  std::optional<std::string> device_id;
  std::string endpoint;                ///< init, keyprov, certcache, cert, other
  std::vector<std::uint64_t> periods;  ///< key periods issued (or refused as revoked)
  int status = 0;                      ///< the HTTP status answered
  std::string result;                  ///< "issued", "revoked" or why the request failed
  std::string replica;                 ///< which server answered

  friend bool operator==(const audit_record&, const audit_record&) = default;
};

/// Records whose identity or subject is `identity` (any, when absent), with since_ms <= time_ms
/// < until_ms, oldest first, at most `limit`.
struct audit_query {
  std::optional<std::string> identity;
  std::optional<std::int64_t> since_ms;
  std::optional<std::int64_t> until_ms;
  std::size_t limit = 10000;
};

struct cached_certificate {
  std::string kms_uri;
  std::string certificate_xml;   ///< a stand-alone KmsCertificate (or SignedKmsCertificate)
  std::uint64_t changed_in = 0;  ///< the CacheNum of its last change

  friend bool operator==(const cached_certificate&, const cached_certificate&) = default;
};

struct cert_cache_snapshot {
  std::uint64_t cache_num = 0;
  std::vector<cached_certificate> certificates;  ///< ordered by KMS URI
};

class store {
 public:
  store() = default;
  store(const store&) = delete;
  store& operator=(const store&) = delete;
  virtual ~store() = default;

  [[nodiscard]] virtual std::string_view backend() const noexcept = 0;
  /// The schema version the database is at (migrations run when the store opens).
  [[nodiscard]] virtual outcome<int> schema_version() = 0;

  /// Adds or replaces the revocation of (kind, value); true when it is new, false when it
  /// replaced one.
  [[nodiscard]] virtual outcome<bool> revoke(const revocation& r) = 0;
  /// Removes it; false when there was none.
  [[nodiscard]] virtual outcome<bool> unrevoke(revocation_kind kind, const std::string& value) = 0;
  [[nodiscard]] virtual outcome<std::vector<revocation>> revocations() = 0;
  [[nodiscard]] virtual outcome<revocation_match> match(const revocation_query& q) = 0;

  /// Appends one record, durably; returns its id.
  [[nodiscard]] virtual outcome<std::int64_t> append_audit(const audit_record& r) = 0;
  [[nodiscard]] virtual outcome<std::vector<audit_record>> audit(const audit_query& q) = 0;

  /// Adds or replaces the certificate of `kms_uri`; returns the new CacheNum.
  [[nodiscard]] virtual outcome<std::uint64_t> put_certificate(const std::string& kms_uri,
                                                               const std::string& xml) = 0;
  /// Removes it; the new CacheNum, or nullopt (and no change) when there was none.
  [[nodiscard]] virtual outcome<std::optional<std::uint64_t>> remove_certificate(
      const std::string& kms_uri) = 0;
  [[nodiscard]] virtual outcome<std::uint64_t> cache_num() = 0;
  [[nodiscard]] virtual outcome<cert_cache_snapshot> cert_cache() = 0;
};

/// The periods of an audit record as text ("12,13") and back; the backends store them so.
[[nodiscard]] inline std::string periods_text(const std::vector<std::uint64_t>& periods) {
  std::string out;
  for (const auto p : periods) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

[[nodiscard]] inline std::vector<std::uint64_t> periods_from_text(std::string_view text) {
  std::vector<std::uint64_t> out;
  std::uint64_t v = 0;
  bool any = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
      any = true;
    } else if (c == ',' && any) {
      out.push_back(v);
      v = 0;
      any = false;
    }
  }
  if (any) out.push_back(v);
  return out;
}

}  // namespace skm::kms_state
