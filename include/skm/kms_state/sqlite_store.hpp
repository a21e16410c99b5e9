// SPDX-License-Identifier: BSD-3-Clause
// The KMS state in an SQLite file (the embedded default: DIR/kms-state.sqlite next to the
// community's certificate and secrets). One connection per store object, serialized by a mutex;
// several store objects (threads, processes: a server and `skm kms revoke`) share the file:
//
//   journal_mode=WAL     readers never block the writer nor it them
//   synchronous=FULL     a committed audit record survives a crash of the process or the host
//   busy_timeout         a writer waits for another writer instead of failing at once
//   prepared statements  compiled once per connection, reset after every use
//
// The file is created owner-only (0600): the audit trail says who received keys when. The
// schema is versioned (table skm_schema); migrations run at open in one IMMEDIATE transaction,
// and a database written by a newer skm (a higher version) is refused, never altered.
#pragma once

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "skm/kms_state/schema.hpp"
#include "skm/kms_state/store.hpp"

namespace skm::kms_state {

struct sqlite_options {
  int busy_timeout_ms = 5000;
  /// A quota on the file (PRAGMA max_page_count; 0: SQLite's default). Writes past it fail
  /// with "database or disk is full" and leave the database intact.
  std::uint64_t max_page_count = 0;
};

namespace detail {

/// SQLite's message for the connection's last error, with the operating system's reason for an
/// I/O failure: "disk I/O error" alone does not tell an operator that the file hit a size limit
/// ("disk I/O error (File too large)") or the disk is full. `os_errno`: errno right after the
/// failed call (sqlite3_system_errno is often 0 after a failed write: SQLite reads errno for it
/// only later, on some paths, when other calls have overwritten it).
[[nodiscard]] inline std::string error_message(sqlite3* db, int os_errno) {
  std::string out = sqlite3_errmsg(db);
  const int primary = sqlite3_extended_errcode(db) & 0xff;
  const int system = os_errno != 0 ? os_errno : sqlite3_system_errno(db);
  if ((primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN) &&
      system != 0)
    out += " (" + std::generic_category().message(system) + ")";
  return out;
}

struct sqlite_closer {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct statement_closer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};

/// A prepared statement in use: bound, stepped, and reset (bindings cleared) when it goes.
class sqlite_use {
 public:
  /// `s` null: the statement did not compile; every use fails with the connection's error.
  sqlite_use(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s), ok_(s != nullptr) {}
  sqlite_use(const sqlite_use&) = delete;
  sqlite_use& operator=(const sqlite_use&) = delete;
  ~sqlite_use() {
    if (s_ == nullptr) return;
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }

  sqlite_use& text(int i, std::string_view v) {
    ok_ = ok_ && sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) ==
                     SQLITE_OK;
    return *this;
  }
  sqlite_use& nullable_text(int i, const std::optional<std::string>& v) {
    if (v) return text(i, std::string_view(*v));
    ok_ = ok_ && sqlite3_bind_null(s_, i) == SQLITE_OK;
    return *this;
  }
  sqlite_use& integer(int i, std::int64_t v) {
    ok_ = ok_ && sqlite3_bind_int64(s_, i, v) == SQLITE_OK;
    return *this;
  }

  /// true: a row is ready; false: done. An error sets failed().
  [[nodiscard]] bool step() {
    if (!ok_) return false;
    errno = 0;
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) {
      ok_ = false;
      os_errno_ = errno;
    }
    return false;
  }
  [[nodiscard]] bool failed() const noexcept { return !ok_; }
  [[nodiscard]] std::string error() const { return error_message(db_, os_errno_); }

  [[nodiscard]] std::int64_t column_integer(int col) const { return sqlite3_column_int64(s_, col); }
  [[nodiscard]] std::string column_text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<std::size_t>(sqlite3_column_bytes(s_, col)));
  }
  [[nodiscard]] std::optional<std::string> column_optional_text(int col) const {
    if (sqlite3_column_type(s_, col) == SQLITE_NULL) return std::nullopt;
    return column_text(col);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_;
  bool ok_;
  int os_errno_ = 0;
};

}  // namespace detail

class sqlite_store final : public store {
 public:
  /// Opens (creating owner-only when missing) and migrates the database at `path`.
  [[nodiscard]] static outcome<std::unique_ptr<sqlite_store>> open(const std::string& path,
                                                                   sqlite_options options = {}) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return unexpected{path + " cannot be opened or created"};
    ::close(fd);
    sqlite3* raw = nullptr;
    const int rc =
        sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
    std::unique_ptr<sqlite3, detail::sqlite_closer> db(raw);
    if (rc != SQLITE_OK)
      return unexpected{path + ": " + (raw != nullptr ? sqlite3_errmsg(raw) : "out of memory")};
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, options.busy_timeout_ms);
    std::unique_ptr<sqlite_store> s(new sqlite_store(path, std::move(db)));
    if (auto bad = s->configure(options)) return unexpected{path + ": " + *bad};
    if (auto bad = s->migrate()) return unexpected{path + ": " + *bad};
    return s;
  }

  [[nodiscard]] std::string_view backend() const noexcept override { return "sqlite"; }

  [[nodiscard]] outcome<int> schema_version() override {
    const std::lock_guard lock(mutex_);
    auto q = use("SELECT max(version) FROM skm_schema");
    if (!q.step()) return failure(q);
    return static_cast<int>(q.column_integer(0));
  }

  [[nodiscard]] outcome<bool> revoke(const revocation& r) override {
    const std::lock_guard lock(mutex_);
    return in_transaction<bool>([&]() -> outcome<bool> {
      bool fresh = true;
      {
        auto q = use("SELECT 1 FROM revocations WHERE kind = ?1 AND value = ?2");
        q.text(1, kind_name(r.kind)).text(2, r.value);
        fresh = !q.step();
        if (q.failed()) return failure(q);
      }
      auto q =
          use("INSERT INTO revocations(kind, value, from_period, revoked_at_ms, reason) "
              "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(kind, value) DO UPDATE SET "
              "from_period = excluded.from_period, revoked_at_ms = excluded.revoked_at_ms, "
              "reason = excluded.reason");
      q.text(1, kind_name(r.kind)).text(2, r.value).integer(3, as_signed(r.from_period));
      q.integer(4, r.revoked_at_ms).text(5, r.reason);
      (void)q.step();
      if (q.failed()) return failure(q);
      return fresh;
    });
  }

  [[nodiscard]] outcome<bool> unrevoke(revocation_kind kind, const std::string& value) override {
    const std::lock_guard lock(mutex_);
    auto q = use("DELETE FROM revocations WHERE kind = ?1 AND value = ?2");
    q.text(1, kind_name(kind)).text(2, value);
    (void)q.step();
    if (q.failed()) return failure(q);
    return sqlite3_changes(db_.get()) > 0;
  }

  [[nodiscard]] outcome<std::vector<revocation>> revocations() override {
    const std::lock_guard lock(mutex_);
    auto q =
        use("SELECT kind, value, from_period, revoked_at_ms, reason FROM revocations "
            "ORDER BY kind, value");
    std::vector<revocation> out;
    while (q.step()) out.push_back(read_revocation(q));
    if (q.failed()) return failure(q);
    return out;
  }

  [[nodiscard]] outcome<revocation_match> match(const revocation_query& r) override {
    const std::lock_guard lock(mutex_);
    auto q =
        use("SELECT kind, value, from_period, revoked_at_ms, reason FROM revocations WHERE "
            "(kind = 'user' AND value = ?1) OR (kind = 'community' AND value = ?2) OR "
            "(kind = 'client' AND value = ?3) OR (kind = 'device' AND value = ?4)");
    q.text(1, r.user_uri)
        .text(2, r.kms_uri)
        .nullable_text(3, r.client_id)
        .nullable_text(4, r.device_id);
    revocation_match out;
    while (q.step()) out.matches.push_back(read_revocation(q));
    if (q.failed()) return failure(q);
    return out;
  }

  [[nodiscard]] outcome<std::int64_t> append_audit(const audit_record& r) override {
    const std::lock_guard lock(mutex_);
    auto q = use(
        "INSERT INTO audit(time_ms, identity, subject, client_id, device_id, endpoint, periods, "
        "status, result, replica) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    q.integer(1, r.time_ms).text(2, r.identity).text(3, r.subject).nullable_text(4, r.client_id);
    q.nullable_text(5, r.device_id).text(6, r.endpoint).text(7, periods_text(r.periods));
    q.integer(8, r.status).text(9, r.result).text(10, r.replica);
    (void)q.step();
    if (q.failed()) return failure(q);
    return sqlite3_last_insert_rowid(db_.get());
  }

  [[nodiscard]] outcome<std::vector<audit_record>> audit(const audit_query& a) override {
    const std::lock_guard lock(mutex_);
    auto q = use(
        "SELECT id, time_ms, identity, subject, client_id, device_id, endpoint, periods, status, "
        "result, replica FROM audit WHERE (?1 IS NULL OR identity = ?1 OR subject = ?1) "
        "AND (?2 IS NULL OR time_ms >= ?2) AND (?3 IS NULL OR time_ms < ?3) "
        "ORDER BY id LIMIT ?4");
    q.nullable_text(1, a.identity);
    if (a.since_ms) q.integer(2, *a.since_ms);
    if (a.until_ms) q.integer(3, *a.until_ms);
    q.integer(4, static_cast<std::int64_t>(a.limit));
    std::vector<audit_record> out;
    while (q.step()) {
      audit_record r;
      r.id = q.column_integer(0);
      r.time_ms = q.column_integer(1);
      r.identity = q.column_text(2);
      r.subject = q.column_text(3);
      r.client_id = q.column_optional_text(4);
      r.device_id = q.column_optional_text(5);
      r.endpoint = q.column_text(6);
      r.periods = periods_from_text(q.column_text(7));
      r.status = static_cast<int>(q.column_integer(8));
      r.result = q.column_text(9);
      r.replica = q.column_text(10);
      out.push_back(std::move(r));
    }
    if (q.failed()) return failure(q);
    return out;
  }

  [[nodiscard]] outcome<std::uint64_t> put_certificate(const std::string& kms_uri,
                                                       const std::string& xml) override {
    const std::lock_guard lock(mutex_);
    return in_transaction<std::uint64_t>([&]() -> outcome<std::uint64_t> {
      auto num = bump_cache_num();  // not const: moved out when it is an error
      if (!num) return num;
      auto q =
          use("INSERT INTO cert_cache(kms_uri, certificate, changed_in) VALUES (?1, ?2, ?3) "
              "ON CONFLICT(kms_uri) DO UPDATE SET certificate = excluded.certificate, "
              "changed_in = excluded.changed_in");
      q.text(1, kms_uri).text(2, xml).integer(3, as_signed(*num));
      (void)q.step();
      if (q.failed()) return failure(q);
      return *num;
    });
  }

  [[nodiscard]] outcome<std::optional<std::uint64_t>> remove_certificate(
      const std::string& kms_uri) override {
    using answer = std::optional<std::uint64_t>;
    const std::lock_guard lock(mutex_);
    return in_transaction<answer>([&]() -> outcome<answer> {
      auto q = use("DELETE FROM cert_cache WHERE kms_uri = ?1");
      q.text(1, kms_uri);
      (void)q.step();
      if (q.failed()) return failure(q);
      if (sqlite3_changes(db_.get()) == 0) return answer{};
      const auto num = bump_cache_num();
      if (!num) return unexpected{num.error()};
      return answer{*num};
    });
  }

  [[nodiscard]] outcome<std::uint64_t> cache_num() override {
    const std::lock_guard lock(mutex_);
    return read_cache_num();
  }

  [[nodiscard]] outcome<cert_cache_snapshot> cert_cache() override {
    const std::lock_guard lock(mutex_);
    // One read transaction: the number and the certificates belong together.
    return in_transaction<cert_cache_snapshot>(
        [&]() -> outcome<cert_cache_snapshot> {
          cert_cache_snapshot s;
          const auto num = read_cache_num();
          if (!num) return unexpected{num.error()};
          s.cache_num = *num;
          auto q = use("SELECT kms_uri, certificate, changed_in FROM cert_cache ORDER BY kms_uri");
          while (q.step())
            s.certificates.push_back({q.column_text(0), q.column_text(1),
                                      static_cast<std::uint64_t>(q.column_integer(2))});
          if (q.failed()) return failure(q);
          return s;
        },
        "BEGIN");
  }

  /// PRAGMA integrity_check: "ok" or what is wrong.
  [[nodiscard]] outcome<std::string> integrity_check() {
    const std::lock_guard lock(mutex_);
    auto q = use("PRAGMA integrity_check");
    std::string out;
    while (q.step()) out += (out.empty() ? "" : "; ") + q.column_text(0);
    if (q.failed()) return failure(q);
    return out;
  }

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  sqlite_store(std::string path, std::unique_ptr<sqlite3, detail::sqlite_closer> db)
      : path_(std::move(path)), db_(std::move(db)) {}

  [[nodiscard]] static std::int64_t as_signed(std::uint64_t v) noexcept {
    return v > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v);
  }

  [[nodiscard]] static revocation read_revocation(const detail::sqlite_use& q) {
    revocation r;
    r.kind = kind_from_name(q.column_text(0)).value_or(revocation_kind::user);
    r.value = q.column_text(1);
    r.from_period = static_cast<std::uint64_t>(q.column_integer(2));
    r.revoked_at_ms = q.column_integer(3);
    r.reason = q.column_text(4);
    return r;
  }

  [[nodiscard]] static unexpected<std::string> failure(const detail::sqlite_use& q) {
    return unexpected{"the state database failed: " + q.error()};
  }

  /// The prepared statement of `sql`, compiled on first use. One that does not compile (a
  /// damaged or unreadable database) comes back failed: step() false, failed() true.
  [[nodiscard]] detail::sqlite_use use(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      sqlite3_stmt* s = nullptr;
      if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) !=
              SQLITE_OK ||
          s == nullptr) {
        sqlite3_finalize(s);
        return detail::sqlite_use(db_.get(), nullptr);
      }
      it = statements_.emplace(sql, std::unique_ptr<sqlite3_stmt, detail::statement_closer>(s))
               .first;
    }
    return detail::sqlite_use(db_.get(), it->second.get());
  }

  /// Runs SQL without results (configuration, migrations, transactions).
  [[nodiscard]] std::optional<std::string> exec(const std::string& sql) {
    char* message = nullptr;
    errno = 0;
    if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK)
      return std::nullopt;
    const int os_errno = errno;
    sqlite3_free(message);  // the same text as error_message's, without the system's reason
    return detail::error_message(db_.get(), os_errno);
  }

  /// `body` inside BEGIN (IMMEDIATE by default: a writer takes the lock up front, so two
  /// writers wait on busy_timeout instead of failing on upgrade) ... COMMIT, or ROLLBACK.
  template <class T, class F>
  [[nodiscard]] outcome<T> in_transaction(F&& body, const char* begin = "BEGIN IMMEDIATE") {
    if (auto bad = exec(begin)) return unexpected{"the state database failed: " + *bad};
    outcome<T> r = body();
    if (r) {
      if (auto bad = exec("COMMIT")) {
        (void)exec("ROLLBACK");
        return unexpected{"the state database failed: " + *bad};
      }
    } else {
      (void)exec("ROLLBACK");
    }
    return r;
  }

  [[nodiscard]] outcome<std::uint64_t> read_cache_num() {
    auto q = use("SELECT cache_num FROM cert_cache_number WHERE id = 1");
    if (!q.step()) return failure(q);
    return static_cast<std::uint64_t>(q.column_integer(0));
  }

  [[nodiscard]] outcome<std::uint64_t> bump_cache_num() {
    {
      auto q = use("UPDATE cert_cache_number SET cache_num = cache_num + 1 WHERE id = 1");
      (void)q.step();
      if (q.failed()) return failure(q);
    }
    return read_cache_num();
  }

  [[nodiscard]] std::optional<std::string> configure(const sqlite_options& o) {
    // journal_mode answers with a row; WAL cannot be set inside a transaction.
    if (auto bad = exec("PRAGMA journal_mode = WAL")) return bad;
    if (auto bad = exec("PRAGMA synchronous = FULL")) return bad;
    if (auto bad = exec("PRAGMA foreign_keys = ON")) return bad;
    if (o.max_page_count != 0)
      if (auto bad = exec("PRAGMA max_page_count = " + std::to_string(o.max_page_count)))
        return bad;
    return std::nullopt;
  }

  /// The applied version: 0 for a new database. Needs no write lock.
  [[nodiscard]] outcome<int> applied_version() {
    {
      auto q =
          use("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'skm_schema'");
      if (!q.step()) return unexpected{q.error()};
      if (q.column_integer(0) == 0) return 0;
    }
    auto q = use("SELECT coalesce(max(version), 0) FROM skm_schema");
    if (!q.step()) return unexpected{q.error()};
    return static_cast<int>(q.column_integer(0));
  }

  /// Brings the schema to the latest version. A database already there costs one read (many
  /// processes open it at once without queueing for the write lock); otherwise the migrations
  /// run in one IMMEDIATE transaction, which a second migrating process waits for and then
  /// finds nothing left to do.
  [[nodiscard]] std::optional<std::string> migrate() {
    const auto steps = schema::sqlite_migrations();
    const int latest = static_cast<int>(steps.size());
    const auto seen = applied_version();
    if (!seen) return seen.error();
    if (*seen > latest)
      return "schema version " + std::to_string(*seen) + " is newer than this skm knows (" +
             std::to_string(latest) + ")";
    if (*seen == latest) return std::nullopt;
    if (auto bad = exec("BEGIN IMMEDIATE")) return "cannot lock the database: " + *bad;
    const auto fail = [&](std::string why) -> std::optional<std::string> {
      (void)exec("ROLLBACK");
      return why;
    };
    if (auto bad = exec("CREATE TABLE IF NOT EXISTS skm_schema (version INTEGER NOT NULL)"))
      return fail(*bad);
    const auto version = applied_version();  // another process may have migrated meanwhile
    if (!version) return fail(version.error());
    for (auto v = static_cast<std::size_t>(*version); v < steps.size(); ++v) {
      if (auto bad = exec(std::string(steps[v])))
        return fail("migration " + std::to_string(v + 1) + ": " + *bad);
      if (auto bad =
              exec("INSERT INTO skm_schema (version) VALUES (" + std::to_string(v + 1) + ")"))
        return fail(*bad);
    }
    if (auto bad = exec("COMMIT")) return fail(*bad);
    statements_.clear();  // compiled against the old schema
    return std::nullopt;
  }

  std::string path_;
  std::mutex mutex_;
  std::unique_ptr<sqlite3, detail::sqlite_closer> db_;
  // Keyed by the SQL text's address: every statement is a string literal of this class. Declared
  // after db_ so that they are finalized before the connection closes.
  std::map<const char*, std::unique_ptr<sqlite3_stmt, detail::statement_closer>> statements_;
};

}  // namespace skm::kms_state
