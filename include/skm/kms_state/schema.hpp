// SPDX-License-Identifier: BSD-3-Clause
// The versioned schema of the KMS state: migration N (1-based) takes a database from version
// N-1 to N; skm_schema holds one row per applied migration. Never edit a released migration:
// append a new one (both backends, same number), so that existing databases follow.
#pragma once

#include <array>
#include <string_view>

namespace skm::kms_state::schema {

/// SQLite. The audit table refuses UPDATE and DELETE (append-only, enforced by the database).
[[nodiscard]] constexpr std::array<std::string_view, 1> sqlite_migrations() noexcept {
  return {R"sql(
CREATE TABLE revocations (
  kind          TEXT    NOT NULL CHECK (kind IN ('user', 'device', 'client', 'community')),
  value         TEXT    NOT NULL,
  from_period   INTEGER NOT NULL DEFAULT 0,
  revoked_at_ms INTEGER NOT NULL,
  reason        TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (kind, value)
);
CREATE TABLE audit (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms   INTEGER NOT NULL,
  identity  TEXT    NOT NULL,
  subject   TEXT    NOT NULL,
  client_id TEXT,
  device_id TEXT,
  endpoint  TEXT    NOT NULL,
  periods   TEXT    NOT NULL,
  status    INTEGER NOT NULL,
  result    TEXT    NOT NULL,
  replica   TEXT    NOT NULL
);
CREATE INDEX audit_by_identity ON audit (identity, time_ms);
CREATE INDEX audit_by_subject ON audit (subject, time_ms);
CREATE INDEX audit_by_time ON audit (time_ms);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE cert_cache (
  kms_uri     TEXT    PRIMARY KEY,
  certificate TEXT    NOT NULL,
  changed_in  INTEGER NOT NULL
);
CREATE TABLE cert_cache_number (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  cache_num INTEGER NOT NULL
);
INSERT INTO cert_cache_number (id, cache_num) VALUES (1, 0);
)sql"};
}

/// PostgreSQL: the same tables and rules.
[[nodiscard]] constexpr std::array<std::string_view, 1> postgres_migrations() noexcept {
  return {R"sql(
CREATE TABLE revocations (
  kind          TEXT   NOT NULL CHECK (kind IN ('user', 'device', 'client', 'community')),
  value         TEXT   NOT NULL,
  from_period   BIGINT NOT NULL DEFAULT 0,
  revoked_at_ms BIGINT NOT NULL,
  reason        TEXT   NOT NULL DEFAULT '',
  PRIMARY KEY (kind, value)
);
CREATE TABLE audit (
  id        BIGSERIAL PRIMARY KEY,
  time_ms   BIGINT  NOT NULL,
  identity  TEXT    NOT NULL,
  subject   TEXT    NOT NULL,
  client_id TEXT,
  device_id TEXT,
  endpoint  TEXT    NOT NULL,
  periods   TEXT    NOT NULL,
  status    INTEGER NOT NULL,
  result    TEXT    NOT NULL,
  replica   TEXT    NOT NULL
);
CREATE INDEX audit_by_identity ON audit (identity, time_ms);
CREATE INDEX audit_by_subject ON audit (subject, time_ms);
CREATE INDEX audit_by_time ON audit (time_ms);
CREATE FUNCTION skm_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION skm_audit_append_only();
CREATE TABLE cert_cache (
  kms_uri     TEXT   PRIMARY KEY,
  certificate TEXT   NOT NULL,
  changed_in  BIGINT NOT NULL
);
CREATE TABLE cert_cache_number (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  cache_num BIGINT  NOT NULL
);
INSERT INTO cert_cache_number (id, cache_num) VALUES (1, 0);
)sql"};
}

}  // namespace skm::kms_state::schema
