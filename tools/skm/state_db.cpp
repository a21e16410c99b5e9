// SPDX-License-Identifier: BSD-3-Clause
#include "state_db.hpp"

#include "skm/kms_state/sqlite_store.hpp"
#ifdef SKM_WITH_POSTGRES
#include "skm/kms_state/postgres_store.hpp"
#endif

namespace skm::cli {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string redact_db_url(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto at = url.find('@', scheme + 3);
  const auto slash = url.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

std::unique_ptr<kms_state::store> open_state(const std::optional<std::string>& db,
                                             const std::optional<std::string>& dir) {
  if (db && (starts_with(*db, "postgresql://") || starts_with(*db, "postgres://"))) {
#ifdef SKM_WITH_POSTGRES
    auto s = kms_state::postgres_store::open(*db);
    if (!s) throw failure(redact_db_url(*db) + ": " + s.error());
    return std::move(*s);
#else
    throw failure("this skm was built without PostgreSQL (libpq): " + redact_db_url(*db));
#endif
  }
  std::string path;
  if (db) {
    path = starts_with(*db, "sqlite:") ? db->substr(7) : *db;
  } else {
    path = *dir;
    if (!path.empty() && path.back() != '/') path += '/';
    path += state_file_name;
  }
  if (path.empty()) throw failure("--db names no SQLite file");
  auto s = kms_state::sqlite_store::open(path);
  if (!s) throw failure(s.error());
  return std::move(*s);
}

std::unique_ptr<kms_state::store> open_state(const arguments& a) {
  const auto db = a.value("db");
  const auto dir = a.value("dir");
  if (!db && !dir) throw a.error("the state is in --dir DIR (kms-state.sqlite) or --db URL");
  return open_state(db, dir);
}

}  // namespace skm::cli
