// SPDX-License-Identifier: BSD-3-Clause
// The skm command-line tool: shared vocabulary of every command (argument parsing, errors, JSON
// output, hex, times, reading files and MIKEY messages in their various textual forms).
//
// Errors: a command throws usage_error (bad arguments, exit 2) or failure (the operation failed:
// missing file, bad XML, a message that does not verify, …, exit 1). main() prints exactly one
// line "skm: <sentence>" on stderr for either.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "files.hpp"
#include "skm/km/time.hpp"

namespace skm::cli {

/// Bad command line (exit code 2).
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// The operation failed (exit code 1). With --json, main() prints `json_body` when the command
/// gave its own shape of failure (e.g. imsg open's {"verified": false, …}), else {"ok": false, …}.
struct failure : std::runtime_error {
  using std::runtime_error::runtime_error;
  failure(const std::string& sentence, std::string json)
      : std::runtime_error(sentence), json_body(std::move(json)) {}
  std::string json_body;
};

inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// ---------------------------------------------------------------------------------------------
// Arguments

struct option_spec {
  std::string_view name;    ///< without the leading "--"
  bool takes_value = true;  ///< false: a flag
};

/// `--name value`, `--name=value`, flags, positionals, and `--` to end the options. Every command
/// accepts `--help` / `-h`. Unknown or repeated options are usage errors naming the command.
class arguments {
 public:
  arguments(std::span<char* const> args, std::initializer_list<option_spec> specs,
            std::string command);

  [[nodiscard]] bool help() const noexcept { return help_; }
  [[nodiscard]] bool flag(std::string_view name) const;
  [[nodiscard]] std::optional<std::string> value(std::string_view name) const;
  [[nodiscard]] std::string required(std::string_view name) const;
  [[nodiscard]] bool has(std::string_view name) const {
    return values_.count(std::string(name)) != 0;
  }
  [[nodiscard]] const std::vector<std::string>& positional() const noexcept { return positional_; }
  [[nodiscard]] const std::string& command() const noexcept { return command_; }

  /// A usage error about this command ("… (see 'skm uid --help')").
  [[nodiscard]] usage_error error(const std::string& sentence) const;
  /// At most one of `names` may be given; returns the one given, if any.
  [[nodiscard]] std::optional<std::string> one_of(
      std::initializer_list<std::string_view> names) const;
  void no_positionals() const;

  [[nodiscard]] std::uint64_t u64(
      std::string_view name) const;  ///< the required option as a number
  [[nodiscard]] std::optional<std::uint64_t> optional_u64(std::string_view name) const;

 private:
  std::string command_;
  bool help_ = false;
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positional_;
};

/// A non-negative decimal integer that fits 64 bits, or a usage error naming `what`.
[[nodiscard]] std::uint64_t parse_u64(std::string_view text, std::string_view what);

// ---------------------------------------------------------------------------------------------
// Text

[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);
/// Hex digits (either case, optional "0x", whitespace and ':' ignored) to octets; nullopt if bad.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);
[[nodiscard]] std::string hex32(std::uint32_t v);  ///< 8 lower-case hex digits
[[nodiscard]] std::string_view trim(std::string_view s) noexcept;

/// A line for the terminal with every octet outside printable ASCII as \xNN, so no escape
/// sequence or control character of a peer ever reaches it raw. Unlike skm::printable (which the
/// library uses to quote untrusted octets unambiguously, doubling backslashes), it leaves a
/// backslash alone, so it is idempotent: applied to whole lines (every error line, text output)
/// it keeps the library's already-quoted texts as they are.
[[nodiscard]] std::string terminal_safe(std::string_view untrusted);

/// A minimal JSON writer: objects, arrays, strings (escaped, invalid UTF-8 bytes as \u00XX),
/// numbers and booleans. Keys and values are appended in call order.
class json {
 public:
  json& begin_object();
  json& end_object();
  json& begin_array();
  json& end_array();
  json& key(std::string_view k);
  json& string(std::string_view v);
  json& number(std::uint64_t v);
  json& real(double v);  ///< three decimals
  json& boolean(bool v);
  json& null();
  /// Shorthands for `key(k).value(v)`.
  json& field(std::string_view k, std::string_view v) { return key(k).string(v); }
  json& field(std::string_view k, const char* v) { return key(k).string(v); }
  json& field(std::string_view k, const std::string& v) { return key(k).string(v); }
  json& field(std::string_view k, std::uint64_t v) { return key(k).number(v); }
  json& field(std::string_view k, bool v) { return key(k).boolean(v); }
  [[nodiscard]] const std::string& text() const noexcept { return out_; }

 private:
  void separator();
  std::string out_;
  std::vector<bool> first_;  ///< per open container: no element written yet
  bool after_key_ = false;
};

// ---------------------------------------------------------------------------------------------
// URIs

/// The longest user or KMS URI accepted (octets).
inline constexpr std::size_t max_uri_length = 1024;

/// The one URI rule of every command: surrounding spaces and tabs are removed; what remains must
/// be 1..max_uri_length octets of valid UTF-8 with no space and no control character (C0, DEL,
/// C1). Returns why `uri` (already trimmed) breaks the rule, or "" when it does not.
[[nodiscard]] std::string uri_problem(std::string_view uri);
/// The option `name` as a URI by that rule (trimmed), or a usage error that says why not.
[[nodiscard]] std::string uri_argument(const arguments& a, std::string_view name);

// ---------------------------------------------------------------------------------------------
// Output

/// Writes `text` to standard output directly (no stream buffer keeps a copy of a key set) and
/// fails with the reason when it cannot (a full disk, a closed pipe).
void write_stdout(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Time

/// The system clock as an NTP instant.
[[nodiscard]] km::ntp_time now();
/// "2026-11-28T07:00:00Z", or "NTP <seconds>" outside the calendar range.
[[nodiscard]] std::string iso(km::ntp_time t);
/// An instant as NTP seconds (digits only) or ISO 8601 (YYYY-MM-DD[Thh:mm:ss[.f][Z|±hh:mm]]).
[[nodiscard]] km::ntp_time parse_instant(const arguments& a, std::string_view option,
                                         const std::string& text);
/// The option `option` as an instant (NTP seconds or ISO 8601), else `fallback`.
[[nodiscard]] km::ntp_time at_argument(const arguments& a, std::string_view option,
                                       km::ntp_time fallback);
/// The instant named by --time or --date (each NTP seconds or ISO 8601) (whichever of
/// `time_option`, `date_option` is given), else `fallback`.
[[nodiscard]] km::ntp_time time_argument(const arguments& a, std::string_view time_option,
                                         std::string_view date_option, km::ntp_time fallback);

// ---------------------------------------------------------------------------------------------
// MIKEY messages

/// A MIKEY message from its textual form: `mikey BASE64`, an `a=key-mgmt:mikey …` line (or a whole
/// SDP body), bare base64, hex, or `@FILE` (`@-`: standard input) holding any of these or the raw
/// octets. `args` are the command's positionals (a split `mikey` `BASE64` pair is accepted).
[[nodiscard]] std::vector<std::uint8_t> read_message(const arguments& a);

/// The I_MESSAGE as the SDP key-mgmt value: "mikey <base64>".
[[nodiscard]] std::string key_mgmt_value(std::span<const std::uint8_t> message);

}  // namespace skm::cli
