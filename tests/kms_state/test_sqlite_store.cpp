// SPDX-License-Identifier: BSD-3-Clause
// [kms-state] The SQLite backend on real files: every operation (the shared contract),
// persistence across reopening, migrations and their refusal of a newer schema, the append-only
// audit table, owner-only creation, concurrent readers and writers on one file, a full
// database (max_page_count) that fails cleanly and stays intact.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "skm/kms_state/sqlite_store.hpp"
#include "store_contract.hpp"

namespace test_sqlite_store {

namespace ks = skm::kms_state;

namespace {

/// A temporary directory, removed with everything in it at the end of the test.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string t = (std::filesystem::temp_directory_path() / "skm-kms-state-XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()) != nullptr);
    path = t;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  [[nodiscard]] std::string file(const char* name) const { return (path / name).string(); }
};

std::unique_ptr<ks::sqlite_store> open_store(const std::string& path, ks::sqlite_options o = {}) {
  auto s = ks::sqlite_store::open(path, o);
  if (!s) FAIL(s.error());
  return std::move(*s);
}

/// Runs one SQL statement on a separate, plain connection (outside the store).
std::string raw_sql(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
  std::string out = rc == SQLITE_OK ? "" : (message != nullptr ? message : "error");
  sqlite3_free(message);
  sqlite3_close(db);
  return out;
}

}  // namespace

TEST_CASE("sqlite store: revocations", "[kms-state]") {
  const temp_dir d;
  auto s = open_store(d.file("state.sqlite"));
  CHECK(s->backend() == "sqlite");
  ks::contract::revocations(*s);
}

TEST_CASE("sqlite store: audit trail", "[kms-state]") {
  const temp_dir d;
  auto s = open_store(d.file("state.sqlite"));
  ks::contract::audit_trail(*s);
}

TEST_CASE("sqlite store: certificate cache", "[kms-state]") {
  const temp_dir d;
  auto s = open_store(d.file("state.sqlite"));
  ks::contract::cert_cache(*s);
}

TEST_CASE("sqlite store: created owner-only, in WAL mode, state survives reopening",
          "[kms-state]") {
  const temp_dir d;
  const auto path = d.file("state.sqlite");
  {
    auto s = open_store(path);
    REQUIRE(s->revoke({ks::revocation_kind::user, "sip:a@x", 2, 5, "lost"}).value());
    ks::audit_record r;
    r.identity = "sip:a@x";
    r.endpoint = "keyprov";
    r.status = 200;
    (void)s->append_audit(r).value();
    (void)s->put_certificate("kms.other", "<x/>").value();
  }
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto s = open_store(path);
  CHECK(s->schema_version().value() == 1);  // migrations are not applied twice
  CHECK(s->revocations().value().size() == 1);
  CHECK(s->audit({}).value().size() == 1);
  CHECK(s->cache_num().value() == 1);
  CHECK(s->integrity_check().value() == "ok");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(q, 0))) == "wal");
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST_CASE("sqlite store: the audit table is append-only in the database itself", "[kms-state]") {
  const temp_dir d;
  const auto path = d.file("state.sqlite");
  {
    auto s = open_store(path);
    ks::audit_record r;
    r.identity = "sip:a@x";
    (void)s->append_audit(r).value();
  }
  CHECK(raw_sql(path, "UPDATE audit SET identity = 'sip:b@x'").find("append-only") !=
        std::string::npos);
  CHECK(raw_sql(path, "DELETE FROM audit").find("append-only") != std::string::npos);
  auto s = open_store(path);
  REQUIRE(s->audit({}).value().size() == 1);
  CHECK(s->audit({}).value()[0].identity == "sip:a@x");
}

TEST_CASE("sqlite store: refuses a newer schema and a file that is not a database", "[kms-state]") {
  const temp_dir d;
  const auto path = d.file("state.sqlite");
  { auto s = open_store(path); }
  REQUIRE(raw_sql(path, "INSERT INTO skm_schema(version) VALUES (99)").empty());
  auto newer = ks::sqlite_store::open(path);
  REQUIRE_FALSE(newer);
  CHECK(newer.error().find("schema version 99 is newer") != std::string::npos);

  const auto junk = d.file("junk.sqlite");
  {
    std::FILE* f = std::fopen(junk.c_str(), "wb");
    REQUIRE(f != nullptr);
    const std::string text(4096, 'x');
    REQUIRE(std::fwrite(text.data(), 1, text.size(), f) == text.size());
    REQUIRE(std::fclose(f) == 0);
  }
  auto bad = ks::sqlite_store::open(junk);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("not a database") != std::string::npos);

  auto missing_dir = ks::sqlite_store::open(d.file("no/such/dir.sqlite"));
  REQUIRE_FALSE(missing_dir);
  CHECK(missing_dir.error().find("cannot be opened or created") != std::string::npos);
}

TEST_CASE("sqlite store: concurrent readers and writers on one file", "[kms-state]") {
  const temp_dir d;
  const auto path = d.file("state.sqlite");
  { auto init = open_store(path); }
  constexpr int writers = 3;
  constexpr int records_each = 60;
  std::atomic<int> failures{0};
  std::atomic<bool> writing{true};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    auto s = ks::sqlite_store::open(path);
    if (!s) {
      ++failures;
      return;
    }
    std::size_t last = 0;
    while (writing.load() || reads.load() < 5) {
      const auto a = (*s)->audit({});
      const auto c = (*s)->cert_cache();
      if (!a || !c || a->size() < last) ++failures;  // readers see a growing, consistent trail
      if (a) last = a->size();
      ++reads;
    }
  });
  std::vector<std::thread> threads;
  threads.reserve(writers);
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      auto s = ks::sqlite_store::open(path);  // a connection of its own, like another process
      if (!s) {
        ++failures;
        return;
      }
      for (int i = 0; i < records_each; ++i) {
        ks::audit_record r;
        r.identity = "sip:writer-" + std::to_string(w) + "@x";
        r.time_ms = i;
        if (!(*s)->append_audit(r)) ++failures;
        if (i % 20 == 0 && !(*s)->put_certificate("kms." + std::to_string(w), "<x/>")) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  writing = false;
  reader.join();
  CHECK(failures.load() == 0);
  CHECK(reads.load() > 0);
  auto s = open_store(path);
  CHECK(s->audit({}).value().size() == std::size_t{writers} * records_each);
  CHECK(s->cache_num().value() == std::uint64_t{writers} * 3);  // every change numbered, none lost
  CHECK(s->integrity_check().value() == "ok");
}

TEST_CASE("sqlite store: a full database fails cleanly and stays intact", "[kms-state]") {
  const temp_dir d;
  const auto path = d.file("state.sqlite");
  ks::sqlite_options quota;
  quota.max_page_count = 24;  // a few pages past the schema: a full disk, for this file
  auto s = open_store(path, quota);
  ks::audit_record r;
  r.identity = "sip:a@x";
  r.result = std::string(600, 'r');
  int written = 0;
  std::string error;
  for (int i = 0; i < 2000; ++i) {
    const auto id = s->append_audit(r);
    if (!id) {
      error = id.error();
      break;
    }
    ++written;
  }
  REQUIRE_FALSE(error.empty());
  CHECK(error.find("database or disk is full") != std::string::npos);
  CHECK(written > 0);
  CHECK(s->audit({}).value().size() == static_cast<std::size_t>(written));  // nothing half-done
  CHECK(s->integrity_check().value() == "ok");
  // Reads and revocation checks still work; a write that fits works again after the quota grows.
  CHECK(s->match({"sip:a@x", "kms", std::nullopt, std::nullopt}).value().matches.empty());
  s.reset();
  auto bigger = open_store(path);
  CHECK(bigger->append_audit(r).value() > 0);
  CHECK(bigger->integrity_check().value() == "ok");
}

}  // namespace test_sqlite_store
