// SPDX-License-Identifier: BSD-3-Clause
// The SKM-S (TS 33.180 Annex D KMS) as a transport-independent request handler: method, path,
// headers and body in; status, headers and body out. Embed it in any HTTP stack; skm's own HTTPS
// server (https_server.hpp) is one such stack. Token checking is a token_verifier (auth.hpp).
//
//   POST /keymanagement/identity/v1/init                   KmsInit: this KMS's certificate
//   POST …/keyprov[/<uri>[/<16 hex digits NTP time>]]      KmsKeyProv: the key sets of <uri> (by
//                                                          default the caller) for the current and
//                                                          the next key period, or for the period
//                                                          holding the time
//   POST …/certcache[/<n>]                                 KmsCertCache (other KMSs), empty when
//                                                          the client's number <n> is current
//   POST …/cert/<kms-uri>                                  KmsInit with that KMS's certificate
//   GET  /healthz, GET /metrics                            liveness; Prometheus counters
//
// Every answer to a KMS path is a KmsResponse (application/xml, Cache-Control: no-store); errors
// carry KmsError with ErrorCode = the HTTP status (as deployed KMSs do). Bearer token problems
// follow RFC 6750 §3 (401 invalid_token with WWW-Authenticate, 403 insufficient_scope, 400
// invalid_request). The order of checks:
//
//   path (404 unknown, 400 malformed) -> method (405, Allow: POST) -> Authorization (RFC 6750)
//   -> rate limit of the identity (429) -> body, when present: a KmsRequest or SignedKmsRequest
//   whose KmsUri is this KMS, whose ClientReqUrl names the same request as the path, whose Time
//   is within the configured window and whose UserUri is the authenticated identity (400/403)
//   -> authorization of the identity asked for (403) -> the answer.
//
// Key sets are issued statelessly (skm_server::issue_deterministic), so any number of handler
// instances, in one process or in replicas sharing the community directory, give the same key
// set for the same (user, period). Response bodies holding keys are wiped when the response dies.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "skm/common/ct.hpp"
#include "skm/km/kms_request.hpp"
#include "skm/km/kms_url.hpp"
#include "skm/km/kms_xml.hpp"
#include "skm/km/skm_server.hpp"
#include "skm/km/time.hpp"
#include "skm/kms_service/auth.hpp"
#include "skm/kms_service/config.hpp"
#include "skm/kms_service/metrics.hpp"
#include "skm/kms_service/protection.hpp"
#include "skm/kms_service/state.hpp"

namespace skm::kms_service {

struct http_header {
  std::string_view name;
  std::string_view value;
};

struct http_request {
  std::string_view method;
  std::string_view target;  ///< the request target (origin form: path and query)
  std::vector<http_header> headers;
  std::string_view body;
};

/// What the per-request log line records: never a key, a token or a body.
struct request_record {
  std::string identity;  ///< the authenticated caller, when known
  endpoint kind = endpoint::other;
  std::string subject;                 ///< the identity asked for (keyprov) or KMS URI (cert)
  std::vector<std::uint64_t> periods;  ///< key periods issued
  std::string error;                   ///< why the request failed, when it did
  request_ids ids{};                   ///< ClientId, DeviceId of the KmsRequest body
  bool revoked = false;                ///< a key period asked for was revoked
};

struct http_response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  request_record record;

  http_response() = default;
  http_response(http_response&&) noexcept = default;
  http_response& operator=(http_response&&) noexcept = default;
  http_response(const http_response&) = delete;
  http_response& operator=(const http_response&) = delete;
  ~http_response() { ct::wipe(body.data(), body.size()); }  // it may hold RSKs and SSKs
};

/// A token bucket per identity, bounded in memory: when the table is full, the identities whose
/// buckets have refilled completely (and so carry no state worth keeping) are dropped.
class rate_limiter {
 public:
  rate_limiter(double per_second, double burst, std::size_t max_identities)
      : per_second_(per_second), burst_(burst), max_(max_identities) {}

  [[nodiscard]] bool allow(const std::string& identity) {
    if (per_second_ <= 0) return true;
    const double now = seconds_now();
    const std::lock_guard lock(mutex_);
    if (buckets_.size() >= max_ && buckets_.find(identity) == buckets_.end()) prune(now);
    if (buckets_.size() >= max_) return false;  // everybody is busy: refuse newcomers
    auto [it, fresh] = buckets_.try_emplace(identity, bucket{burst_, now});
    bucket& b = it->second;
    if (!fresh) b.tokens = std::min(burst_, b.tokens + (now - b.last) * per_second_);
    b.last = now;
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
  }

 private:
  struct bucket {
    double tokens;
    double last;
  };
  static double seconds_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void prune(double now) {
    std::erase_if(buckets_, [&](const auto& kv) {
      return kv.second.tokens + (now - kv.second.last) * per_second_ >= burst_;
    });
  }

  double per_second_, burst_;
  std::size_t max_;
  std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
};

class kms_handler {
 public:
  /// `c` and `tokens` must outlive the handler.
  kms_handler(const community& c, const token_verifier& tokens, service_config config)
      : community_(c),
        tokens_(tokens),
        config_(std::move(config)),
        limiter_(config_.rate_per_second, config_.rate_burst, config_.rate_max_identities) {}

  /// Revocations, the audit trail and the certificate cache from `s` (state.hpp), which must
  /// outlive the handler. Without it the handler is stateless (no revocation, no audit).
  void attach_state(kms_state::store& s, state_options o) { state_.emplace(s, std::move(o)); }

  /// Signed answers and wrapped key material (protection.hpp; kms_service/security.hpp is the
  /// TS 33.180 one); `p` must outlive the handler. Error answers (KmsError) stay unsigned.
  void attach_protector(response_protector& p) noexcept { protector_ = &p; }

  [[nodiscard]] service_metrics& metrics() noexcept { return metrics_; }
  [[nodiscard]] const service_config& config() const noexcept { return config_; }

  /// Answers one request at `now` (the KmsResponse Time; the reference of the Time window and
  /// of the current key period). Never throws for bad input; safe from several threads.
  [[nodiscard]] http_response handle(const http_request& req, km::ntp_time now) {
    const auto start = std::chrono::steady_clock::now();
    http_response r = dispatch(req, now);
    if (state_ && r.record.kind != endpoint::healthz && r.record.kind != endpoint::metrics)
      r = audited(std::move(r), now);
    metrics_.count(r.record.kind, r.status);
    metrics_.request_microseconds.fetch_add(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - start)
                                       .count()),
        std::memory_order_relaxed);
    return r;
  }

 private:
  using target = km::kms_url::request_target;

  [[nodiscard]] http_response dispatch(const http_request& req, km::ntp_time now) {
    const std::string_view path = req.target.substr(0, req.target.find('?'));
    if (path == "/healthz" || path == "/metrics") return plain_endpoint(req, path);
    const auto t = km::kms_url::parse(req.target);
    if (!t) {
      const bool unknown = t.error() == km::kms_url::url_error::not_under_base ||
                           t.error() == km::kms_url::url_error::unknown_request;
      return kms_failure(endpoint::other, unknown ? 404 : 400, km::kms_url::describe(t.error()),
                         now, "");
    }
    const endpoint kind = endpoint_of(t->kind);
    if (req.method != "POST") {
      auto r = kms_failure(kind, 405, "KMS requests are HTTP POST", now, "");
      r.headers.emplace_back("Allow", "POST");
      return r;
    }
    auto who = authenticate(req, kind, now);
    if (!who) return who.take_error();
    const std::string& identity = who.identity();
    if (!limiter_.allow(identity)) {
      auto r = kms_failure(kind, 429, "too many requests for this identity", now, identity);
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    request_ids ids;
    if (!trim_body(req.body).empty()) {
      if (auto bad = check_request_body(req.body, *t, identity, now, ids)) {
        auto r = kms_failure(kind, bad->first, bad->second, now, identity);
        r.record.ids = std::move(ids);
        return r;
      }
    }
    http_response r = answer(*t, identity, ids, now);
    r.record.ids = std::move(ids);
    return r;
  }

  [[nodiscard]] http_response answer(const target& t, const std::string& identity,
                                     const request_ids& ids, km::ntp_time now) {
    switch (t.kind) {
      case km::kms_url::request_kind::init: return init(identity, now);
      case km::kms_url::request_kind::key_prov: return key_prov(t, identity, ids, now);
      case km::kms_url::request_kind::cert_cache: return cert_cache(t, identity, now);
      case km::kms_url::request_kind::cert: return cert(t, identity, now);
    }
    return kms_failure(endpoint::other, 404, "unknown request", now, identity);
  }

  // --- authentication ---------------------------------------------------------------------

  /// The authenticated identity, or the finished error response.
  class auth_outcome {
   public:
    explicit auth_outcome(std::string identity) : identity_(std::move(identity)) {}
    explicit auth_outcome(http_response r) : error_(std::move(r)) {}
    explicit operator bool() const noexcept { return !error_.has_value(); }
    [[nodiscard]] const std::string& identity() const noexcept { return identity_; }
    [[nodiscard]] http_response take_error() { return std::move(*error_); }

   private:
    std::string identity_;
    std::optional<http_response> error_;
  };

  [[nodiscard]] auth_outcome authenticate(const http_request& req, endpoint kind,
                                          km::ntp_time now) const {
    std::optional<std::string_view> authorization;
    for (const auto& h : req.headers) {
      if (!iequals(h.name, "authorization")) continue;
      if (authorization)
        return auth_outcome(bearer_failure(kind, bearer_error::invalid_request,
                                           "more than one Authorization header", now));
      authorization = h.value;
    }
    if (!authorization) {
      // RFC 6750 §3.1: no authentication at all -> 401 without an error code.
      auto r = kms_failure(kind, 401, "no access token", now, "");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"skm-kms\"");
      return auth_outcome(std::move(r));
    }
    const std::string_view a = *authorization;
    if (a.size() < 7 || !iequals(a.substr(0, 7), "bearer ") ||
        a.find_first_not_of(' ', 7) == std::string_view::npos)
      return auth_outcome(bearer_failure(kind, bearer_error::invalid_request,
                                         "the Authorization header is not \"Bearer <token>\"",
                                         now));
    const auto token = a.substr(a.find_first_not_of(' ', 7));
    const auto p = tokens_.verify(token);
    if (!p) return auth_outcome(bearer_failure(kind, p.error().code, p.error().description, now));
    return auth_outcome(p->identity);
  }

  [[nodiscard]] http_response bearer_failure(endpoint kind, bearer_error e, const std::string& why,
                                             km::ntp_time now) const {
    auto r = kms_failure(kind, http_status(e), why, now, "");
    std::string value = "Bearer realm=\"skm-kms\", error=\"";
    value += describe(e);
    value += "\", error_description=\"";
    for (const char c : why)  // a quoted-string: no quotes, backslashes or controls
      if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') value += c;
    value += "\"";
    if (e == bearer_error::insufficient_scope)
      value += ", scope=\"" + std::string("3gpp:mc:ptt_key_management_service") + "\"";
    r.headers.emplace_back("WWW-Authenticate", std::move(value));
    return r;
  }

  // --- the request body -------------------------------------------------------------------

  [[nodiscard]] static std::string_view trim_body(std::string_view b) {
    return km::xml::detail::trim(b);
  }

  /// The KmsRequest checks; a failure is (HTTP status, reason).
  [[nodiscard]] std::optional<std::pair<int, std::string>> check_request_body(
      std::string_view body, const target& path_target, const std::string& identity,
      km::ntp_time now, request_ids& ids) const {
    const auto r = km::xml::parse_kms_request(body);
    if (!r) return std::pair{400, "the body is not a KmsRequest: " + r.error().message()};
    ids = {r->client_id, r->device_id};
    if (r->kms_uri != kms_uri()) return std::pair{400, "KmsUri " + r->kms_uri + " is not this KMS"};
    const auto named = r->target();
    if (!named || !(*named == path_target))
      return std::pair{400, std::string("ClientReqUrl does not name the requested resource")};
    const auto a = static_cast<std::int64_t>(r->time.seconds);
    const auto b = static_cast<std::int64_t>(now.seconds);
    if (a - b > config_.request_time_window_seconds || b - a > config_.request_time_window_seconds)
      return std::pair{400, std::string("the request Time is outside the accepted window")};
    if (r->user_uri != identity)
      return std::pair{403, std::string("UserUri is not the authenticated identity")};
    return std::nullopt;
  }

  // --- the answers ------------------------------------------------------------------------

  [[nodiscard]] const std::string& kms_uri() const noexcept {
    return community_.server.public_values().kms_uri;
  }

  [[nodiscard]] km::xml::kms_response_header header(const std::string& user_uri, km::ntp_time now,
                                                    const target& t) const {
    km::xml::kms_response_header h;
    if (protector_) h.id = std::string(protected_response_id);
    h.user_uri = user_uri;
    h.kms_uri = kms_uri();
    h.time = now;
    h.client_req_url = "https://" + kms_uri() + km::kms_url::path(t);
    return h;
  }

  [[nodiscard]] http_response init(const std::string& identity, km::ntp_time now) {
    const target t{km::kms_url::request_kind::init, {}, {}, {}};
    if (state_) return state_init(identity, now, t);
    return certificate_answer(endpoint::init, community_.certificate, identity, now, t);
  }

  [[nodiscard]] http_response cert(const target& t, const std::string& identity, km::ntp_time now) {
    const std::string& wanted = *t.identity;
    if (wanted == kms_uri() && state_) return state_init(identity, now, t, endpoint::cert);
    if (wanted == kms_uri())
      return certificate_answer(endpoint::cert, community_.certificate, identity, now, t);
    if (state_) return state_cert(t, identity, now);
    for (const auto& c : config_.external_certificates)
      if (c.kms_uri == wanted) return certificate_answer(endpoint::cert, c, identity, now, t);
    return kms_failure(endpoint::cert, 404, "no certificate of KMS " + wanted, now, identity);
  }

  [[nodiscard]] http_response certificate_answer(endpoint kind, const km::xml::kms_certificate& c,
                                                 const std::string& identity, km::ntp_time now,
                                                 const target& t) const {
    km::xml::kms_init_response answer;
    answer.header = header(identity, now, t);
    answer.certificate = c;
    if (protector_ && kind == endpoint::init) {  // an init answer may carry a key rotation
      const auto text = protector_->init(identity, answer);
      if (!text) return protection_refused(kind, text.error(), now, identity);
      return xml_answer(kind, 200, *text, identity);
    }
    const auto doc = km::xml::write_kms_init(answer);
    if (!doc) return kms_failure(kind, 500, "cannot write the certificate", now, identity);
    return protected_answer(kind, *doc, identity, now);
  }

  [[nodiscard]] http_response cert_cache(const target& t, const std::string& identity,
                                         km::ntp_time now) {
    if (state_) return state_cert_cache(t, identity, now);
    km::xml::kms_cert_cache cache;
    cache.cache_num = config_.cert_cache_number;
    if (!t.cache_num || *t.cache_num < config_.cert_cache_number)
      cache.certificates = config_.external_certificates;
    const auto doc = km::xml::write_kms_cert_cache(header(identity, now, t), cache);
    if (!doc) return kms_failure(endpoint::certcache, 500, "cannot write the cache", now, identity);
    return protected_answer(endpoint::certcache, *doc, identity, now);
  }

  [[nodiscard]] bool may_fetch(const std::string& identity, const std::string& subject) const {
    if (identity == subject) return true;
    const auto it = config_.delegations.find(identity);
    return it != config_.delegations.end() && it->second.count(subject) != 0;
  }

  [[nodiscard]] http_response key_prov(const target& t, const std::string& identity,
                                       const request_ids& ids, km::ntp_time now) {
    const std::string subject = t.identity.value_or(identity);
    if (!may_fetch(identity, subject)) {
      auto r = kms_failure(endpoint::keyprov, 403, "not authorized for the key sets of this URI",
                           now, identity);
      r.record.subject = subject;
      return r;
    }
    const auto& server = community_.server;
    std::vector<std::uint64_t> periods;
    if (const auto at = t.time()) {
      const auto p = server.period_at(*at);
      if (!p) return kms_failure(endpoint::keyprov, 400, km::describe(p.error()), now, identity);
      periods.push_back(*p);
    } else {
      const auto p = server.period_at(now);
      if (!p) return kms_failure(endpoint::keyprov, 500, km::describe(p.error()), now, identity);
      periods = {*p, *p + 1};  // the next one too: clients roll over without a gap
    }
    kms_state::revocation_match revoked;
    if (state_) {
      auto m = state_->match(subject, kms_uri(), ids);
      if (!m) return unavailable(endpoint::keyprov, m.error(), now, identity);
      revoked = std::move(*m);
    }
    const bool any_revoked = std::any_of(periods.begin(), periods.end(),
                                         [&](std::uint64_t p) { return revoked.revoked(p); });
    if (any_revoked && state_->options().answer == revoked_answer::error) {
      std::erase_if(periods, [&](std::uint64_t p) { return revoked.revoked(p); });
      if (periods.empty()) {
        auto r = kms_failure(endpoint::keyprov, 403, "the key sets of this URI are revoked", now,
                             identity);
        r.record.subject = subject;
        r.record.revoked = true;
        return r;
      }
    }
    km::xml::kms_key_prov_response doc;
    doc.header = header(identity, now, t);
    const auto& schedule = server.public_values().schedule;
    for (const auto period : periods) {
      if (revoked.revoked(period)) {
        auto set = revoked_key_set(subject, server.public_values(), period);
        if (!set) return kms_failure(endpoint::keyprov, 400, set.error(), now, identity);
        doc.key_sets.push_back(std::move(*set));
        continue;
      }
      const auto k = server.issue_deterministic(subject, period, config_.check);
      if (!k) {
        const int status = k.error() == km::kms_error::bad_user_uri ? 400 : 500;
        return kms_failure(endpoint::keyprov, status, km::describe(k.error()), now, identity);
      }
      auto set = km::xml::make_key_set(*k);
      if (const auto from = km::key_period_start(period, schedule)) set.valid_from = *from;
      if (const auto to = km::key_period_start(period + 1, schedule)) set.valid_to = *to;
      doc.key_sets.push_back(std::move(set));
    }
    auto text = write_key_prov(doc, identity);
    if (!text) {
      auto r = protection_refused(endpoint::keyprov, text.error(), now, identity);
      r.record.subject = subject;
      return r;
    }
    metrics_.key_sets_issued.fetch_add(periods.size(), std::memory_order_relaxed);
    auto r = xml_answer(endpoint::keyprov, 200, text->as_text(), identity);
    r.record.subject = subject;
    r.record.revoked = any_revoked;
    r.record.periods = std::move(periods);
    return r;
  }

  /// The KmsKeyProv document, through the protector when one is attached.
  [[nodiscard]] result<km::secret_bytes, protection_failure> write_key_prov(
      km::xml::kms_key_prov_response& doc, const std::string& identity) {
    if (protector_) return protector_->key_prov(identity, doc);
    auto text = km::xml::write_kms_key_prov(doc);
    if (!text) return unexpected{protection_failure{500, "cannot write the key sets", {}}};
    return std::move(*text);
  }

  /// A 200 answer of public content, signed for `identity` when a protector is attached.
  [[nodiscard]] http_response protected_answer(endpoint kind, std::string_view text,
                                               const std::string& identity,
                                               km::ntp_time now) const {
    if (!protector_) return xml_answer(kind, 200, text, identity);
    const auto signed_text = protector_->other(identity, text);
    if (!signed_text) return protection_refused(kind, signed_text.error(), now, identity);
    return xml_answer(kind, 200, *signed_text, identity);
  }

  [[nodiscard]] http_response protection_refused(endpoint kind, const protection_failure& f,
                                                 km::ntp_time now,
                                                 const std::string& identity) const {
    auto r = kms_failure(kind, f.status, f.reason, now, identity);
    if (!f.detail.empty()) r.record.error += ": " + f.detail;
    return r;
  }

  // --- the state (state.hpp): revocations, audit, certificate cache ------------------------

  /// The answer once its audit record is written; 503 (the answer, keys and all, dropped)
  /// when it cannot be.
  [[nodiscard]] http_response audited(http_response r, km::ntp_time now) {
    kms_state::audit_record a;
    a.identity = r.record.identity;
    a.subject = r.record.subject;
    a.client_id = r.record.ids.client_id;
    a.device_id = r.record.ids.device_id;
    a.endpoint = std::string(endpoint_name(r.record.kind));
    a.periods = r.record.periods;
    a.status = r.status;
    a.result = r.record.revoked ? "revoked" : r.status == 200 ? "ok" : r.record.error;
    const auto failed = state_->audit(std::move(a));
    if (!failed) return r;
    auto u = unavailable(r.record.kind, "the audit record cannot be written: " + *failed, now,
                         r.record.identity);
    u.record.subject = r.record.subject;
    u.record.ids = r.record.ids;
    return u;
  }

  /// 503 with KmsError: the state database failed; the client may retry.
  [[nodiscard]] http_response unavailable(endpoint kind, const std::string& why, km::ntp_time now,
                                          const std::string& identity) const {
    auto r = kms_failure(kind, 503, "the KMS state is unavailable", now, identity);
    r.record.error = why;  // the database's reason goes to the log, not to the client
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  /// This KMS's certificate, Revoked true once the community is revoked.
  [[nodiscard]] http_response state_init(const std::string& identity, km::ntp_time now,
                                         const target& t, endpoint kind = endpoint::init) {
    const auto revoked = state_->community_revoked(kms_uri());
    if (!revoked) return unavailable(kind, revoked.error(), now, identity);
    if (!*revoked) return certificate_answer(kind, community_.certificate, identity, now, t);
    km::xml::kms_certificate c = community_.certificate;
    c.revoked = true;
    return certificate_answer(kind, c, identity, now, t);
  }

  [[nodiscard]] http_response state_cert(const target& t, const std::string& identity,
                                         km::ntp_time now) {
    const auto cache = state_->cert_cache();
    if (!cache) return unavailable(endpoint::cert, cache.error(), now, identity);
    for (const auto& c : (*cache)->certificates)
      if (c.kms_uri == *t.identity) return certificate_answer(endpoint::cert, c, identity, now, t);
    return kms_failure(endpoint::cert, 404, "no certificate of KMS " + *t.identity, now, identity);
  }

  /// The whole cache when the client's number is older (or absent), else none: KmsCertCache
  /// has no way to say "removed", so a delta could not tell a client what to drop.
  [[nodiscard]] http_response state_cert_cache(const target& t, const std::string& identity,
                                               km::ntp_time now) {
    const auto cache = state_->cert_cache();
    if (!cache) return unavailable(endpoint::certcache, cache.error(), now, identity);
    km::xml::kms_cert_cache doc;
    doc.cache_num = (*cache)->cache_num;
    if (!t.cache_num || *t.cache_num != (*cache)->cache_num)
      doc.certificates = (*cache)->certificates;
    const auto text = km::xml::write_kms_cert_cache(header(identity, now, t), doc);
    if (!text)
      return kms_failure(endpoint::certcache, 500, "cannot write the cache", now, identity);
    return protected_answer(endpoint::certcache, *text, identity, now);
  }

  // --- plumbing ---------------------------------------------------------------------------

  [[nodiscard]] http_response plain_endpoint(const http_request& req, std::string_view path) {
    const endpoint kind = path == "/healthz" ? endpoint::healthz : endpoint::metrics;
    http_response r;
    r.record.kind = kind;
    if (req.method != "GET" && req.method != "HEAD") {
      r.status = 405;
      r.headers.emplace_back("Allow", "GET, HEAD");
      r.record.error = "only GET";
      return r;
    }
    if (kind == endpoint::healthz) {
      r.body = "ok\n";
      r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    } else {
      r.body = metrics_.render();
      r.headers.emplace_back("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    }
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  [[nodiscard]] static http_response xml_answer(endpoint kind, int status, std::string_view body,
                                                const std::string& identity) {
    http_response r;
    r.status = status;
    r.body = std::string(body);
    r.headers.emplace_back("Content-Type", "application/xml; charset=utf-8");
    r.headers.emplace_back("Cache-Control", "no-store");
    r.record.kind = kind;
    r.record.identity = identity;
    return r;
  }

  /// A KmsResponse with KmsError (ErrorCode = the HTTP status).
  [[nodiscard]] http_response kms_failure(endpoint kind, int status, const std::string& why,
                                          km::ntp_time now, const std::string& identity) const {
    km::xml::kms_response_header h;
    h.user_uri = identity.empty() ? "unknown" : identity;
    h.kms_uri = kms_uri();
    h.time = now;
    h.client_req_url = "https://" + kms_uri() + std::string(km::kms_url::base_path);
    const auto doc = km::xml::write_kms_error(h, km::xml::kms_error{status, why});
    http_response r = xml_answer(kind, status, doc ? std::string_view(*doc) : "", identity);
    r.record.error = why;
    return r;
  }

  [[nodiscard]] static endpoint endpoint_of(km::kms_url::request_kind k) noexcept {
    switch (k) {
      case km::kms_url::request_kind::init: return endpoint::init;
      case km::kms_url::request_kind::key_prov: return endpoint::keyprov;
      case km::kms_url::request_kind::cert_cache: return endpoint::certcache;
      case km::kms_url::request_kind::cert: return endpoint::cert;
    }
    return endpoint::other;
  }

  [[nodiscard]] static bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto lower = [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
      };
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  }

  const community& community_;
  const token_verifier& tokens_;
  service_config config_;
  rate_limiter limiter_;
  service_metrics metrics_;
  std::optional<service_state> state_;
  response_protector* protector_ = nullptr;
};

}  // namespace skm::kms_service
