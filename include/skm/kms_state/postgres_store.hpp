// SPDX-License-Identifier: BSD-3-Clause
// The KMS state in PostgreSQL (libpq), for several `skm kms serve` replicas sharing one state.
// One connection per store object, serialized by a mutex (a server's worker threads queue on
// it; run more replicas for more throughput). Statements are prepared once per connection,
// parameters go as text (no SQL is ever built from a value).
//
//   lost connection   the failing call answers its error; the next call resets the
//                     connection (PQreset) and prepares again, so a database that comes
//                     back is used again without a restart
//   timeouts          connect_timeout 5 s; statement_timeout 5 s: a stalled database
//                     answers an error, not a hung request
//   migrations        at open, in one transaction holding an advisory lock: replicas that
//                     start together migrate once
//   CacheNum          incremented in the same statement as the change (a data-modifying
//                     WITH), so no two changes share a number
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "skm/kms_state/schema.hpp"
#include "skm/kms_state/store.hpp"

namespace skm::kms_state {

namespace detail {

struct pg_closer {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
struct pg_result_closer {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, pg_result_closer>;

/// A statement's parameters as text (nullopt: SQL NULL).
using pg_params = std::vector<std::optional<std::string>>;

[[nodiscard]] inline std::string pg_error(PGconn* c, const PGresult* r) {
  std::string why = r != nullptr ? PQresultErrorMessage(r) : "";
  if (why.empty()) why = PQerrorMessage(c);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
  return why.empty() ? std::string("unknown error") : why;
}

}  // namespace detail

class postgres_store final : public store {
 public:
  /// Connects to `conninfo` (a postgresql:// URI or key=value string) and migrates.
  [[nodiscard]] static outcome<std::unique_ptr<postgres_store>> open(const std::string& conninfo) {
    std::unique_ptr<postgres_store> s(new postgres_store(conninfo));
    if (auto bad = s->connect()) return unexpected{*bad};
    if (auto bad = s->migrate()) return unexpected{*bad};
    return s;
  }

  [[nodiscard]] std::string_view backend() const noexcept override { return "postgresql"; }

  [[nodiscard]] outcome<int> schema_version() override {
    const std::lock_guard lock(mutex_);
    auto r = run("schema_version", "SELECT coalesce(max(version), 0) FROM skm_schema", {});
    if (!r) return unexpected{r.error()};
    return std::stoi(value(*r, 0, 0));
  }

  [[nodiscard]] outcome<bool> revoke(const revocation& v) override {
    const std::lock_guard lock(mutex_);
    auto r = run("revoke",
                 "INSERT INTO revocations (kind, value, from_period, revoked_at_ms, reason) "
                 "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, value) DO UPDATE SET "
                 "from_period = excluded.from_period, revoked_at_ms = excluded.revoked_at_ms, "
                 "reason = excluded.reason RETURNING (xmax = 0)",
                 {std::string(kind_name(v.kind)), v.value, std::to_string(as_signed(v.from_period)),
                  std::to_string(v.revoked_at_ms), v.reason});
    if (!r) return unexpected{r.error()};
    return value(*r, 0, 0) == "t";  // xmax 0: a new row, not an update
  }

  [[nodiscard]] outcome<bool> unrevoke(revocation_kind kind, const std::string& v) override {
    const std::lock_guard lock(mutex_);
    auto r = run("unrevoke", "DELETE FROM revocations WHERE kind = $1 AND value = $2",
                 {std::string(kind_name(kind)), v});
    if (!r) return unexpected{r.error()};
    return std::string(PQcmdTuples(r->get())) != "0";
  }

  [[nodiscard]] outcome<std::vector<revocation>> revocations() override {
    const std::lock_guard lock(mutex_);
    auto r = run("revocations",
                 "SELECT kind, value, from_period, revoked_at_ms, reason FROM revocations "
                 "ORDER BY kind, value",
                 {});
    if (!r) return unexpected{r.error()};
    return read_revocations(r->get());
  }

  [[nodiscard]] outcome<revocation_match> match(const revocation_query& q) override {
    const std::lock_guard lock(mutex_);
    auto r = run("match",
                 "SELECT kind, value, from_period, revoked_at_ms, reason FROM revocations WHERE "
                 "(kind = 'user' AND value = $1) OR (kind = 'community' AND value = $2) OR "
                 "(kind = 'client' AND value = $3) OR (kind = 'device' AND value = $4)",
                 {q.user_uri, q.kms_uri, q.client_id, q.device_id});
    if (!r) return unexpected{r.error()};
    return revocation_match{read_revocations(r->get())};
  }

  [[nodiscard]] outcome<std::int64_t> append_audit(const audit_record& a) override {
    const std::lock_guard lock(mutex_);
    auto r =
        run("append_audit",
            "INSERT INTO audit (time_ms, identity, subject, client_id, device_id, endpoint, "
            "periods, status, result, replica) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
            "$10) RETURNING id",
            {std::to_string(a.time_ms), a.identity, a.subject, a.client_id, a.device_id, a.endpoint,
             periods_text(a.periods), std::to_string(a.status), a.result, a.replica});
    if (!r) return unexpected{r.error()};
    return std::stoll(value(*r, 0, 0));
  }

  [[nodiscard]] outcome<std::vector<audit_record>> audit(const audit_query& q) override {
    const std::lock_guard lock(mutex_);
    const auto number = [](const std::optional<std::int64_t>& v) -> std::optional<std::string> {
      if (!v) return std::nullopt;
      return std::to_string(*v);
    };
    auto r = run("audit",
                 "SELECT id, time_ms, identity, subject, client_id, device_id, endpoint, periods, "
                 "status, result, replica FROM audit WHERE ($1::text IS NULL OR identity = $1 OR "
                 "subject = $1) AND ($2::bigint IS NULL OR time_ms >= $2) AND ($3::bigint IS "
                 "NULL OR time_ms < $3) ORDER BY id LIMIT $4",
                 {q.identity, number(q.since_ms), number(q.until_ms), std::to_string(q.limit)});
    if (!r) return unexpected{r.error()};
    std::vector<audit_record> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      audit_record a;
      a.id = std::stoll(value(*r, i, 0));
      a.time_ms = std::stoll(value(*r, i, 1));
      a.identity = value(*r, i, 2);
      a.subject = value(*r, i, 3);
      a.client_id = nullable(*r, i, 4);
      a.device_id = nullable(*r, i, 5);
      a.endpoint = value(*r, i, 6);
      a.periods = periods_from_text(value(*r, i, 7));
      a.status = std::stoi(value(*r, i, 8));
      a.result = value(*r, i, 9);
      a.replica = value(*r, i, 10);
      out.push_back(std::move(a));
    }
    return out;
  }

  [[nodiscard]] outcome<std::uint64_t> put_certificate(const std::string& kms_uri,
                                                       const std::string& xml) override {
    const std::lock_guard lock(mutex_);
    auto r = run("put_certificate",
                 "WITH n AS (UPDATE cert_cache_number SET cache_num = cache_num + 1 WHERE id = 1 "
                 "RETURNING cache_num) INSERT INTO cert_cache (kms_uri, certificate, changed_in) "
                 "SELECT $1, $2, cache_num FROM n ON CONFLICT (kms_uri) DO UPDATE SET "
                 "certificate = excluded.certificate, changed_in = excluded.changed_in "
                 "RETURNING changed_in",
                 {kms_uri, xml});
    if (!r) return unexpected{r.error()};
    return std::stoull(value(*r, 0, 0));
  }

  [[nodiscard]] outcome<std::optional<std::uint64_t>> remove_certificate(
      const std::string& kms_uri) override {
    const std::lock_guard lock(mutex_);
    auto r = run("remove_certificate",
                 "WITH d AS (DELETE FROM cert_cache WHERE kms_uri = $1 RETURNING kms_uri), "
                 "n AS (UPDATE cert_cache_number SET cache_num = cache_num + 1 WHERE id = 1 AND "
                 "EXISTS (SELECT 1 FROM d) RETURNING cache_num) SELECT cache_num FROM n",
                 {kms_uri});
    if (!r) return unexpected{r.error()};
    if (PQntuples(r->get()) == 0) return std::optional<std::uint64_t>{};
    return std::optional<std::uint64_t>{std::stoull(value(*r, 0, 0))};
  }

  [[nodiscard]] outcome<std::uint64_t> cache_num() override {
    const std::lock_guard lock(mutex_);
    auto r = run("cache_num", "SELECT cache_num FROM cert_cache_number WHERE id = 1", {});
    if (!r) return unexpected{r.error()};
    return std::stoull(value(*r, 0, 0));
  }

  [[nodiscard]] outcome<cert_cache_snapshot> cert_cache() override {
    const std::lock_guard lock(mutex_);
    // One statement, one snapshot: the number and the certificates belong together.
    auto r = run("cert_cache",
                 "SELECT n.cache_num, c.kms_uri, c.certificate, c.changed_in FROM "
                 "cert_cache_number n LEFT JOIN cert_cache c ON true WHERE n.id = 1 "
                 "ORDER BY c.kms_uri",
                 {});
    if (!r) return unexpected{r.error()};
    cert_cache_snapshot s;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      s.cache_num = std::stoull(value(*r, i, 0));
      if (PQgetisnull(r->get(), i, 1) != 0) continue;
      s.certificates.push_back({value(*r, i, 1), value(*r, i, 2), std::stoull(value(*r, i, 3))});
    }
    return s;
  }

 private:
  explicit postgres_store(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  [[nodiscard]] static std::int64_t as_signed(std::uint64_t v) noexcept {
    return v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
  }

  [[nodiscard]] static std::string value(const detail::pg_result& r, int row, int col) {
    return {PQgetvalue(r.get(), row, col),
            static_cast<std::size_t>(PQgetlength(r.get(), row, col))};
  }
  [[nodiscard]] static std::optional<std::string> nullable(const detail::pg_result& r, int row,
                                                           int col) {
    if (PQgetisnull(r.get(), row, col) != 0) return std::nullopt;
    return value(r, row, col);
  }

  [[nodiscard]] static std::vector<revocation> read_revocations(PGresult* r) {
    std::vector<revocation> out;
    for (int i = 0; i < PQntuples(r); ++i) {
      revocation v;
      v.kind = kind_from_name(PQgetvalue(r, i, 0)).value_or(revocation_kind::user);
      v.value = PQgetvalue(r, i, 1);
      v.from_period = std::stoull(PQgetvalue(r, i, 2));
      v.revoked_at_ms = std::stoll(PQgetvalue(r, i, 3));
      v.reason = PQgetvalue(r, i, 4);
      out.push_back(std::move(v));
    }
    return out;
  }

  /// (Re)connects: the session settings, and no statement prepared yet.
  [[nodiscard]] std::optional<std::string> connect() {
    prepared_.clear();
    if (!conn_) {
      const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
      const char* values[] = {conninfo_.c_str(), "5", "skm-kms", nullptr};
      conn_.reset(PQconnectdbParams(keys, values, 1));  // expand_dbname: conninfo_ is a URI
    } else {
      PQreset(conn_.get());
    }
    // The server's notices (e.g. "terminating connection due to administrator command") would
    // go to stderr between the service's JSON log lines; the failing call reports instead.
    if (conn_)
      PQsetNoticeProcessor(
          conn_.get(), [](void*, const char*) {}, nullptr);
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK)
      return "cannot connect to the state database: " +
             (conn_ ? detail::pg_error(conn_.get(), nullptr) : std::string("out of memory"));
    detail::pg_result r(PQexec(conn_.get(),
                               "SET statement_timeout = 5000; SET lock_timeout = 5000; "
                               "SET client_min_messages = warning"));
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
      return "the state database refused the session settings: " +
             detail::pg_error(conn_.get(), r.get());
    return std::nullopt;
  }

  /// Runs the named prepared statement (preparing it on first use on this connection). A lost
  /// connection is reset on the next call.
  [[nodiscard]] outcome<detail::pg_result> run(const char* name, const char* sql,
                                               const detail::pg_params& params) {
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK)
      if (auto bad = connect()) return unexpected{*bad};
    if (prepared_.count(name) == 0) {
      detail::pg_result p(
          PQprepare(conn_.get(), name, sql, static_cast<int>(params.size()), nullptr));
      if (PQresultStatus(p.get()) != PGRES_COMMAND_OK)
        return unexpected{"the state database failed: " + detail::pg_error(conn_.get(), p.get())};
      prepared_.emplace(name);
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    detail::pg_result r(PQexecPrepared(conn_.get(), name, static_cast<int>(values.size()),
                                       values.data(), nullptr, nullptr, 0));
    const auto status = PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      return unexpected{"the state database failed: " + detail::pg_error(conn_.get(), r.get())};
    return r;
  }

  [[nodiscard]] std::optional<std::string> exec(const std::string& sql) {
    detail::pg_result r(PQexec(conn_.get(), sql.c_str()));
    const auto status = PQresultStatus(r.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return std::nullopt;
    return detail::pg_error(conn_.get(), r.get());
  }

  /// One transaction under an advisory lock (the key spells "skm-kms"): check the version,
  /// apply what is missing.
  [[nodiscard]] std::optional<std::string> migrate() {
    const auto fail = [&](const std::string& why) -> std::optional<std::string> {
      (void)exec("ROLLBACK");
      return "cannot migrate the state database: " + why;
    };
    if (auto bad = exec("BEGIN")) return fail(*bad);
    if (auto bad = exec("SELECT pg_advisory_xact_lock(7237491855287667)")) return fail(*bad);
    if (auto bad = exec("CREATE TABLE IF NOT EXISTS skm_schema (version INTEGER NOT NULL)"))
      return fail(*bad);
    detail::pg_result r(PQexec(conn_.get(), "SELECT coalesce(max(version), 0) FROM skm_schema"));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK)
      return fail(detail::pg_error(conn_.get(), r.get()));
    const int version = std::stoi(PQgetvalue(r.get(), 0, 0));
    const auto steps = schema::postgres_migrations();
    if (version > static_cast<int>(steps.size()))
      return fail("schema version " + std::to_string(version) + " is newer than this skm knows (" +
                  std::to_string(steps.size()) + ")");
    for (auto v = static_cast<std::size_t>(version); v < steps.size(); ++v) {
      if (auto bad = exec(std::string(steps[v])))
        return fail("migration " + std::to_string(v + 1) + ": " + *bad);
      if (auto bad =
              exec("INSERT INTO skm_schema (version) VALUES (" + std::to_string(v + 1) + ")"))
        return fail(*bad);
    }
    if (auto bad = exec("COMMIT")) return fail(*bad);
    return std::nullopt;
  }

  std::string conninfo_;
  std::mutex mutex_;
  std::unique_ptr<PGconn, detail::pg_closer> conn_;
  std::set<std::string, std::less<>> prepared_;
};

}  // namespace skm::kms_state
