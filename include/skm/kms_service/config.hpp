// SPDX-License-Identifier: BSD-3-Clause
// Configuration of the KMS service and the community it serves:
//
//   - the community directory that `skm kms init` writes: kms-cert.xml (public) and kms-secrets
//     (z and KSAK in hex). The secrets file must be a regular file owned by the service's user
//     with no group or other permission bits (like ssh's private keys); otherwise load_community
//     refuses it. Its text is wiped after parsing; the secrets live on inside skm_server, which
//     wipes them when it dies.
//   - the servers file (--servers): who may fetch key sets for identities other than its own.
//     One line per acting identity, '#' starts a comment:
//
//         sip:gms@example.org   sip:group-1@example.org sip:group-2@example.org
//         sip:mcptt-server@example.org   sip:mcptt-server@example.org
//
//     A GMS is listed with the group URIs it manages; an MCX server with its own URI.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "skm/common/ct.hpp"
#include "skm/common/result.hpp"
#include "skm/km/kms_xml.hpp"
#include "skm/km/secret.hpp"
#include "skm/km/secret_file.hpp"
#include "skm/km/skm_server.hpp"

namespace skm::kms_service {

/// What the handler enforces beyond the access token.
struct service_config {
  /// A KmsRequest body's Time must lie within this many seconds of the server's clock.
  std::int64_t request_time_window_seconds = 300;
  /// How much each issued key set is checked before it leaves (consistency: SSK/PVT by
  /// RFC 6507 §5.1.2 and the RSK decodes; the user checks the RSK's pairing on receipt).
  km::issue_check check = km::issue_check::consistency;
  /// Acting identity -> the other identities it may be provisioned for (servers file).
  std::map<std::string, std::set<std::string>, std::less<>> delegations;
  /// Per-identity rate limit: a token bucket of `rate_burst` requests refilled at
  /// `rate_per_second`; 0 disables the limit.
  double rate_per_second = 5.0;
  double rate_burst = 20.0;
  std::size_t rate_max_identities = 100000;  ///< bound on the limiter's memory
  /// Other KMSs' certificates for certcache (inter-domain), and the cache's version number.
  std::vector<km::xml::kms_certificate> external_certificates;
  std::uint64_t cert_cache_number = 0;
};

struct community {
  km::xml::kms_certificate certificate;
  km::skm_server server;
};

namespace detail {

[[nodiscard]] inline std::string join_path(const std::string& dir, std::string_view name) {
  if (dir.empty() || dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

[[nodiscard]] inline std::optional<std::string> read_text_file(const std::string& path,
                                                               std::size_t max_octets) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(max_octets + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_octets) return std::nullopt;
  return text;
}

/// Hex digits to octets (lower or upper case), or nullopt; constant time in the digits.
[[nodiscard]] inline std::optional<std::vector<std::uint8_t>> secret_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<std::uint8_t> out(hex.size() / 2);
  if (km::xml::detail::decode_hex_ct(hex, out).has_value()) {
    ct::wipe(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

/// A secret file's content, read with read(2) straight into a wiping buffer
/// (km/secret_file.hpp). The file is opened without following a symbolic link; nullopt when it
/// cannot be read or exceeds `max_octets`.
[[nodiscard]] inline std::optional<km::secret_bytes> read_secret_file(const std::string& path,
                                                                      std::size_t max_octets) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  auto content = km::read_secret_descriptor(fd, max_octets);
  ::close(fd);
  if (!content) return std::nullopt;
  return std::move(*content);
}

struct wiped_octets {
  std::optional<std::vector<std::uint8_t>> v;
  ~wiped_octets() {
    if (v) ct::wipe(v->data(), v->size());
  }
};

}  // namespace detail

/// The secrets file is owner-only: a regular file of this user, mode without group/other bits.
[[nodiscard]] inline std::optional<std::string> check_secrets_file_mode(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return path + " cannot be read";
  if (!S_ISREG(st.st_mode)) return path + " is not a regular file";
  if (st.st_uid != ::geteuid()) return path + " is not owned by the user running the service";
  if ((st.st_mode & 077) != 0)
    return path + " is readable or writable by group or others (mode must be 0600 or 0400)";
  return std::nullopt;
}

/// The community in DIR (kms-cert.xml, kms-secrets), with every check of `skm kms provision`
/// plus the owner-only mode of the secrets file. An error is one sentence.
[[nodiscard]] inline result<community, std::string> load_community(const std::string& dir) {
  const std::string cert_path = detail::join_path(dir, "kms-cert.xml");
  const std::string secrets_path = detail::join_path(dir, "kms-secrets");
  const auto cert_text = detail::read_text_file(cert_path, 1 << 20);
  if (!cert_text) return unexpected{cert_path + " cannot be read"};
  const auto parsed = km::xml::parse_kms_init(*cert_text);  // curve checks on Z and KPAK
  if (!parsed) return unexpected{cert_path + ": " + parsed.error().message()};
  const auto values = km::xml::community_from_certificate(parsed->certificate);
  if (!values) return unexpected{cert_path + ": " + values.error().message()};
  if (auto bad = check_secrets_file_mode(secrets_path)) return unexpected{*bad};

  const auto content = detail::read_secret_file(secrets_path, 1 << 16);
  if (!content) return unexpected{secrets_path + " cannot be read"};
  const std::string_view text(reinterpret_cast<const char*>(content->span().data()),
                              content->size());
  std::string kms_uri;
  detail::wiped_octets z, ksak;
  bool ok = true;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = std::min(text.find('\n', pos), text.size());
    const auto line = km::xml::detail::trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.find(' ');
    const auto key = line.substr(0, space);
    const auto value = space == std::string_view::npos ? std::string_view()
                                                       : km::xml::detail::trim(line.substr(space));
    if (key == "kms-uri")
      kms_uri = std::string(value);
    else if (key == "z")
      z.v = detail::secret_hex(value);
    else if (key == "ksak")
      ksak.v = detail::secret_hex(value);
    else
      ok = false;
  }
  if (!ok || !z.v || !ksak.v || kms_uri.empty())
    return unexpected{secrets_path + " is not an skm master secrets file (kms-uri, z and ksak)"};
  if (kms_uri != values->kms_uri)
    return unexpected{secrets_path + " holds the secrets of " + kms_uri + ", not of " +
                      values->kms_uri};
  auto server = km::skm_server::from_secrets(
      {values->kms_uri, values->schedule, values->parameter_set}, *z.v, *ksak.v);
  if (!server) return unexpected{secrets_path + ": " + km::describe(server.error())};
  if (server->public_values().z != values->z || server->public_values().kpak != values->kpak)
    return unexpected{secrets_path + " does not hold the secrets behind " + cert_path};
  return community{parsed->certificate, std::move(*server)};
}

/// The servers file (see the top of this file).
[[nodiscard]] inline result<std::map<std::string, std::set<std::string>, std::less<>>, std::string>
parse_servers_file(std::string_view text) {
  std::map<std::string, std::set<std::string>, std::less<>> out;
  std::istringstream lines{std::string(text)};
  std::string line;
  std::size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream words(line);
    std::string who, uri;
    if (!(words >> who)) continue;
    auto& allowed = out[who];
    while (words >> uri) allowed.insert(uri);
    if (allowed.empty())
      return unexpected{"line " + std::to_string(number) + ": " + who + " lists no URI"};
  }
  return out;
}

}  // namespace skm::kms_service
