// SPDX-License-Identifier: BSD-3-Clause
#include "cli.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "skm/mikey/base64.hpp"
#include "skm/mikey/sdp.hpp"

namespace skm::cli {

// ---------------------------------------------------------------------------------------------
// Arguments

arguments::arguments(std::span<char* const> args, std::initializer_list<option_spec> specs,
                     std::string command)
    : command_(std::move(command)) {
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (options_done || !arg.starts_with("-") || arg == "-") {
      positional_.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    if (!arg.starts_with("--")) throw error("unknown option '" + std::string(arg) + "'");
    std::string_view name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string_view::npos) {
      inline_value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
    }
    const option_spec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == name) spec = &s;
    if (spec == nullptr) throw error("unknown option '--" + std::string(name) + "'");
    if (values_.count(name) != 0) throw error("option --" + std::string(name) + " is given twice");
    if (!spec->takes_value) {
      if (inline_value) throw error("option --" + std::string(name) + " takes no value");
      values_.emplace(std::string(name), std::string());
      continue;
    }
    if (!inline_value) {
      // A value that looks like another option is almost always a forgotten value.
      if (i + 1 >= args.size() || std::string_view(args[i + 1]).starts_with("--"))
        throw error("option --" + std::string(name) + " needs a value");
      inline_value = std::string(args[++i]);
    }
    values_.emplace(std::string(name), std::move(*inline_value));
  }
}

bool arguments::flag(std::string_view name) const { return values_.find(name) != values_.end(); }

std::optional<std::string> arguments::value(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string arguments::required(std::string_view name) const {
  auto v = value(name);
  if (!v) throw error("option --" + std::string(name) + " is required");
  if (v->empty()) throw error("option --" + std::string(name) + " must not be empty");
  return *v;
}

usage_error arguments::error(const std::string& sentence) const {
  return usage_error(sentence + " (see 'skm " + command_ + " --help')");
}

std::optional<std::string> arguments::one_of(std::initializer_list<std::string_view> names) const {
  std::optional<std::string> given;
  for (const auto n : names) {
    if (!has(n)) continue;
    if (given)
      throw error("options --" + *given + " and --" + std::string(n) + " exclude each other");
    given = std::string(n);
  }
  return given;
}

void arguments::no_positionals() const {
  if (!positional_.empty()) throw error("unexpected argument '" + positional_.front() + "'");
}

std::uint64_t arguments::u64(std::string_view name) const {
  const std::string text = required(name);  // its own error already names the --help
  try {
    return parse_u64(text, "--" + std::string(name));
  } catch (const usage_error& e) {
    throw error(e.what());
  }
}

std::optional<std::uint64_t> arguments::optional_u64(std::string_view name) const {
  if (!has(name)) return std::nullopt;
  return u64(name);
}

std::uint64_t parse_u64(std::string_view text, std::string_view what) {
  const auto bad = [&] {
    return usage_error(std::string(what) +
                       " must be a non-negative decimal integer below 2^64, not '" +
                       std::string(text) + "'");
  };
  if (text.empty() || text.size() > 20) throw bad();
  std::uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') throw bad();
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) throw bad();
    v = v * 10 + d;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Text

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * bytes.size());
  for (const auto b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 0xF];
  }
  return s;
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text) {
  text = trim(text);
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 2);  // no reallocation: no stray copies of a secret in freed heap
  int high = -1;
  for (const char c : text) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':')
      continue;
    else
      return std::nullopt;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0 || out.empty()) return std::nullopt;
  return out;
}

std::string hex32(std::uint32_t v) {
  const std::array<std::uint8_t, 4> b{
      static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
      static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
  return to_hex(b);
}

std::string_view trim(std::string_view s) noexcept {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string terminal_safe(std::string_view untrusted) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(untrusted.size());
  for (const char c : untrusted) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      out += c;
    } else {
      out += "\\x";
      out += digits[u >> 4];
      out += digits[u & 0xF];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON

void json::separator() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

json& json::begin_object() {
  separator();
  out_ += '{';
  first_.push_back(true);
  return *this;
}
json& json::end_object() {
  out_ += '}';
  first_.pop_back();
  return *this;
}
json& json::begin_array() {
  separator();
  out_ += '[';
  first_.push_back(true);
  return *this;
}
json& json::end_array() {
  out_ += ']';
  first_.pop_back();
  return *this;
}
json& json::key(std::string_view k) {
  string(k);
  out_ += ':';
  after_key_ = true;
  return *this;
}

json& json::string(std::string_view v) {
  separator();
  static constexpr char digits[] = "0123456789abcdef";
  const auto escape_byte = [&](unsigned char c) {
    out_ += "\\u00";
    out_ += digits[c >> 4];
    out_ += digits[c & 0xF];
  };
  out_ += '"';
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c == '"' || c == '\\') {
      out_ += '\\';
      out_ += static_cast<char>(c);
    } else if (c == '\n') {
      out_ += "\\n";
    } else if (c < 0x20 || c == 0x7F) {
      escape_byte(c);
    } else if (c < 0x80) {
      out_ += static_cast<char>(c);
    } else {
      // Copy a well-formed UTF-8 sequence; any other byte is shown as the code point of its value.
      std::size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
      bool ok = n != 0 && i + n <= v.size() && c != 0xC0 && c != 0xC1 && c < 0xF5;
      for (std::size_t k = 1; ok && k < n; ++k)
        ok = (static_cast<unsigned char>(v[i + k]) & 0xC0) == 0x80;
      if (ok) {
        out_.append(v.substr(i, n));
        i += n - 1;
      } else {
        escape_byte(c);
      }
    }
  }
  out_ += '"';
  return *this;
}

json& json::number(std::uint64_t v) {
  separator();
  out_ += std::to_string(v);
  return *this;
}
json& json::real(double v) {
  separator();
  char buf[64];
  (void)std::snprintf(buf, sizeof buf, "%.3f", v);
  out_ += buf;
  return *this;
}
json& json::boolean(bool v) {
  separator();
  out_ += v ? "true" : "false";
  return *this;
}
json& json::null() {
  separator();
  out_ += "null";
  return *this;
}

// ---------------------------------------------------------------------------------------------
// URIs

namespace {

/// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
/// surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  const std::size_t n = c < 0x80                   ? 1
                        : (c >= 0xC2 && c <= 0xDF) ? 2
                        : (c & 0xF0) == 0xE0       ? 3
                        : (c >= 0xF0 && c <= 0xF4) ? 4
                                                   : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(k) & 0xC0) != 0x80) return 0;
  if (n == 3 && ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) >= 0xA0))) return 0;
  if (n == 4 && ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) >= 0x90))) return 0;
  return n;
}

}  // namespace

std::string uri_problem(std::string_view uri) {
  if (uri.empty()) return "the URI is empty";
  if (uri.size() > max_uri_length)
    return "the URI is too long (" + std::to_string(uri.size()) + " octets; at most " +
           std::to_string(max_uri_length) + ")";
  for (std::size_t i = 0; i < uri.size();) {
    const auto c = static_cast<unsigned char>(uri[i]);
    const std::size_t n = utf8_sequence(uri, i);
    if (n == 0) return "the URI is not valid UTF-8 (octet " + std::to_string(i) + ")";
    const bool c1 = c == 0xC2 && static_cast<unsigned char>(uri[i + 1]) < 0xA0;
    if (c < 0x20 || c == 0x7F || c1)
      return "the URI holds a control character (octet " + std::to_string(i) + ")";
    if (c == ' ') return "the URI holds a space (octet " + std::to_string(i) + ")";
    i += n;
  }
  return {};
}

std::string uri_argument(const arguments& a, std::string_view name) {
  const auto raw = a.required(name);
  const auto uri = trim(raw);
  const auto problem = uri_problem(uri);
  if (!problem.empty()) throw a.error("--" + std::string(name) + ": " + problem);
  return std::string(uri);
}

// ---------------------------------------------------------------------------------------------
// Output

void write_stdout(std::string_view text) {
  std::cout.flush();
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw failure(std::string("cannot write standard output: ") +
                    std::strerror(n < 0 ? errno : EIO));
    done += static_cast<std::size_t>(n);
  }
}

// ---------------------------------------------------------------------------------------------
// Time

km::ntp_time now() {
  const auto unix_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  const auto t = km::from_unix_seconds(static_cast<std::int64_t>(unix_seconds));
  if (!t) throw failure("the system clock is before 1900");
  return *t;
}

std::string iso(km::ntp_time t) {
  const auto s = km::format_iso8601(t);
  if (!s) return "NTP " + std::to_string(t.seconds);
  return *s;
}

km::ntp_time parse_instant(const arguments& a, std::string_view option, const std::string& text) {
  const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
  if (digits) {
    try {
      return km::ntp_time{parse_u64(text, "--" + std::string(option)), 0};
    } catch (const usage_error& e) {
      throw a.error(e.what());
    }
  }
  const auto t = km::parse_iso8601(text);
  if (!t)
    throw a.error("--" + std::string(option) + " '" + std::string(text) +
                  "' is neither NTP seconds nor ISO 8601: " + km::describe(t.error()));
  return *t;
}

km::ntp_time at_argument(const arguments& a, std::string_view option, km::ntp_time fallback) {
  if (!a.has(option)) return fallback;
  return parse_instant(a, option, a.required(option));
}

km::ntp_time time_argument(const arguments& a, std::string_view time_option,
                           std::string_view date_option, km::ntp_time fallback) {
  const auto which = a.one_of({time_option, date_option});
  if (!which) return fallback;
  return parse_instant(a, *which, a.required(*which));
}

// ---------------------------------------------------------------------------------------------
// MIKEY messages

namespace {

bool is_text(std::string_view s) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x7F || (u < 0x20 && c != '\n' && c != '\r' && c != '\t')) return false;
  }
  return true;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// Base64 as people paste it: line breaks (MIME wraps at 76 columns) and missing '=' padding
/// are accepted; everything else must be RFC 4648.
std::vector<std::uint8_t> decode_base64(std::string_view text, std::string_view form) {
  std::string compact;
  compact.reserve(text.size() + 2);
  for (const char c : text)
    if (!is_space(c)) compact += c;
  if (compact.size() % 4 == 2 || compact.size() % 4 == 3)
    compact.append(4 - compact.size() % 4, '=');
  auto bytes = mikey::base64::decode(compact);
  if (!bytes)
    throw failure("MESSAGE " + std::string(form) +
                  " does not decode: " + mikey::to_string(bytes.error()));
  return std::move(*bytes);
}

/// Hex digits, with the spaces and colons people paste (and an optional 0x).
bool looks_like_hex(std::string_view text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  if (text.empty()) return false;
  for (const char c : text) {
    const bool digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!digit && !is_space(c) && c != ':') return false;
  }
  return true;
}

/// An SDP body: lines of the form "x=…" (RFC 8866 §5), the first one usually "v=0".
bool looks_like_sdp(std::string_view text) {
  return text.starts_with("v=") || text.find("\na=") != std::string_view::npos ||
         text.find("\nm=") != std::string_view::npos;
}

std::vector<std::uint8_t> decode_sdp(std::string_view text) {
  if (looks_like_sdp(text)) {
    if (text.find("a=key-mgmt:") == std::string_view::npos)
      throw failure("MESSAGE looks like an SDP body but has no a=key-mgmt:mikey line");
    auto bytes = mikey::sdp::find_key_mgmt(text);
    if (!bytes)
      throw failure("MESSAGE SDP key-mgmt line does not decode: " +
                    mikey::to_string(bytes.error()));
    return std::move(*bytes);
  }
  // One attribute line (a MIME-wrapped value may continue on the next lines).
  auto value = trim(text.substr(text.find(':') + 1));
  if (!value.starts_with("mikey"))
    throw failure("MESSAGE key-mgmt line does not decode: its protocol is not 'mikey'");
  return decode_base64(trim(value.substr(5)), "key-mgmt line (base64 after 'mikey')");
}

/// The detected form of a textual MESSAGE, decoded; errors name that form.
std::vector<std::uint8_t> decode_text_message(std::string_view text) {
  text = trim(text);
  if (text.empty()) throw failure("MESSAGE is empty");
  if (text.starts_with("a=key-mgmt:") || text.starts_with("key-mgmt:") || looks_like_sdp(text))
    return decode_sdp(text);
  if (text.starts_with("mikey ") || text.starts_with("mikey\t"))
    return decode_base64(trim(text.substr(6)), "base64 after 'mikey'");
  if (looks_like_hex(text)) {
    if (auto hex = from_hex(text)) return std::move(*hex);
    throw failure("MESSAGE hex has an odd number of digits");
  }
  return decode_base64(text, "base64");
}

std::vector<std::uint8_t> read_message_file(const std::string& path) {
  const std::string content = read_file(path, max_message_file, "MESSAGE file");
  if (content.empty())
    throw failure("MESSAGE file " + (path == "-" ? std::string("on standard input") : path) +
                  " is empty");
  // A file of raw octets: a MIKEY HDR starts with version 1 and is never text.
  if (!is_text(content)) return std::vector<std::uint8_t>(content.begin(), content.end());
  return decode_text_message(content);
}

}  // namespace

std::vector<std::uint8_t> read_message(const arguments& a) {
  const auto& p = a.positional();
  if (p.empty()) throw a.error("MESSAGE is missing");
  if (p.size() == 2 && p[0] == "mikey") return decode_text_message("mikey " + p[1]);
  if (p.size() != 1)
    throw a.error("expected one MESSAGE, got " + std::to_string(p.size()) + " arguments");
  const std::string& m = p[0];
  if (m.starts_with("@")) return read_message_file(m.substr(1));
  try {
    return decode_text_message(m);
  } catch (const failure& e) {
    // The commonest slip: a file name without '@'.
    if (m.find('\n') == std::string::npos && path_exists(m))
      throw failure(std::string(e.what()) + " ('" + std::string(m) + "' is a file: write @" +
                    std::string(m) + " to read it)");
    throw;
  }
}

std::string key_mgmt_value(std::span<const std::uint8_t> message) {
  return "mikey " + mikey::base64::encode(message);
}

}  // namespace skm::cli
