// SPDX-License-Identifier: BSD-3-Clause
// Where `skm kms serve` and the admin commands (revoke, unrevoke, revocations, audit,
// certcache) find the KMS state: DIR/kms-state.sqlite (created on first use) for a community
// directory, or --db: a postgresql:// (or postgres://) connection URI for replicas sharing one
// state, or sqlite:PATH for an SQLite file elsewhere.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli.hpp"
#include "skm/kms_state/store.hpp"

namespace skm::cli {

inline constexpr std::string_view state_file_name = "kms-state.sqlite";

/// The store named by --db, else DIR/kms-state.sqlite for --dir; a usage error when neither (or
/// both) is given, a failure when the database cannot be opened or migrated.
[[nodiscard]] std::unique_ptr<kms_state::store> open_state(const arguments& a);

/// The same from explicit values (`db` wins over `dir`).
[[nodiscard]] std::unique_ptr<kms_state::store> open_state(const std::optional<std::string>& db,
                                                           const std::optional<std::string>& dir);

/// "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db": connection URIs may
/// carry a password, which no message or log line shows.
[[nodiscard]] std::string redact_db_url(const std::string& url);

}  // namespace skm::cli
