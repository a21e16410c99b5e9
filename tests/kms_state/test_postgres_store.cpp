// SPDX-License-Identifier: BSD-3-Clause
// [kms-state-postgres] The PostgreSQL backend against a real server: the same contract as the
// SQLite backend, migrations applied once by concurrent openers, and a database that goes away
// and comes back. Hidden: tests/kms_state/test_postgres.py starts a throwaway cluster and runs
// these with SKM_TEST_POSTGRES set to a connection URI of a fresh database per case
// (SKM_TEST_POSTGRES_BASE + case suffix); without it they skip.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "../support/skip.hpp"
#include "skm/kms_state/postgres_store.hpp"
#include "store_contract.hpp"

namespace test_postgres_store {

namespace ks = skm::kms_state;

namespace {

/// The database named by SKM_TEST_POSTGRES_<suffix> (the runner made it empty).
std::string database(const char* suffix) {
  const std::string name = std::string("SKM_TEST_POSTGRES_") + suffix;
  const char* url = std::getenv(name.c_str());
  if (url == nullptr) skm_test::skip_test("no PostgreSQL given (run through test_postgres.py)");
  return url;
}

std::unique_ptr<ks::postgres_store> open_store(const std::string& url) {
  auto s = ks::postgres_store::open(url);
  if (!s) FAIL(s.error());
  return std::move(*s);
}

}  // namespace

TEST_CASE("postgres store: the store contract", "[.][kms-state-postgres]") {
  auto a = open_store(database("REVOCATIONS"));
  CHECK(a->backend() == "postgresql");
  ks::contract::revocations(*a);
  auto b = open_store(database("AUDIT"));
  ks::contract::audit_trail(*b);
  auto c = open_store(database("CERTCACHE"));
  ks::contract::cert_cache(*c);
}

TEST_CASE("postgres store: concurrent openers migrate once, writers share CacheNum",
          "[.][kms-state-postgres]") {
  const auto url = database("CONCURRENT");
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      auto s = ks::postgres_store::open(url);
      if (!s) {
        ++failures;
        return;
      }
      for (int i = 0; i < 10; ++i) {
        if (!(*s)->put_certificate("kms." + std::to_string(t), "<x/>")) ++failures;
        ks::audit_record r;
        r.identity = "sip:t" + std::to_string(t);
        if (!(*s)->append_audit(r)) ++failures;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  auto s = open_store(url);
  CHECK(s->schema_version().value() == 1);
  CHECK(s->cache_num().value() == 40);
  CHECK(s->audit({}).value().size() == 40);
}

TEST_CASE("postgres store: the audit table is append-only, a newer schema is refused",
          "[.][kms-state-postgres]") {
  const auto url = database("RULES");
  auto s = open_store(url);
  ks::audit_record r;
  r.identity = "sip:a@x";
  (void)s->append_audit(r).value();
  PGconn* c = PQconnectdb(url.c_str());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* u = PQexec(c, "UPDATE audit SET identity = 'sip:b@x'");
  CHECK(std::string(PQresultErrorMessage(u)).find("append-only") != std::string::npos);
  PQclear(u);
  PGresult* d = PQexec(c, "DELETE FROM audit");
  CHECK(std::string(PQresultErrorMessage(d)).find("append-only") != std::string::npos);
  PQclear(d);
  PQclear(PQexec(c, "INSERT INTO skm_schema (version) VALUES (99)"));
  PQfinish(c);
  CHECK(s->audit({}).value().size() == 1);
  auto newer = ks::postgres_store::open(url);
  REQUIRE_FALSE(newer);
  CHECK(newer.error().find("schema version 99 is newer") != std::string::npos);
}

TEST_CASE("postgres store: an unreachable server is a clear error", "[.][kms-state-postgres]") {
  (void)database("REVOCATIONS");
  auto s = ks::postgres_store::open("postgresql:///nodb?host=/nonexistent-skm-socket-dir");
  REQUIRE_FALSE(s);
  CHECK(s.error().find("cannot connect to the state database") != std::string::npos);
}

}  // namespace test_postgres_store
