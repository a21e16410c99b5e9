// SPDX-License-Identifier: BSD-3-Clause
// The request URLs of the TS 33.180 Annex D KMS interface (every request is an HTTP POST; the
// path selects the request). Pure string handling: no XML, no HTTP.
//
//   /keymanagement/identity/v1/init                        KMS Initialize (the KMS certificate)
//   /keymanagement/identity/v1/keyprov                     key sets for the caller's own identity
//   /keymanagement/identity/v1/keyprov/<uri>               … for a named user or group URI
//   /keymanagement/identity/v1/keyprov/<uri>/<ntp>         … for the key period holding <ntp>
//   /keymanagement/identity/v1/certcache                   the certificates of other KMSs
//   /keymanagement/identity/v1/certcache/<n>               … newer than cache number <n>
//   /keymanagement/identity/v1/cert/<kms-uri>              one KMS certificate
//
// <ntp> is the 64-bit NTP timestamp (seconds << 32 | fraction) in exactly 16 hex digits, either
// case (`D6B4323200000000` = 2014-02-23T08:39:14Z). <uri> and <kms-uri> are one path segment:
// deployed clients send them as they are (`keyprov/sip:alice@example.org`), others
// percent-encode them (`sip%3Aalice%40example.org`); both parse to the same request. A full URL
// (`https://kms.example.org:8443/keymanagement/…`, as in ClientReqUrl) is accepted too: scheme and
// authority are dropped, and so are a query and a fragment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "skm/common/decimal.hpp"
#include "skm/common/result.hpp"
#include "skm/km/time.hpp"

namespace skm::km::kms_url {

inline constexpr std::string_view base_path = "/keymanagement/identity/v1";

enum class request_kind { init, key_prov, cert_cache, cert };

[[nodiscard]] constexpr const char* describe(request_kind k) noexcept {
  switch (k) {
    case request_kind::init: return "init";
    case request_kind::key_prov: return "keyprov";
    case request_kind::cert_cache: return "certcache";
    case request_kind::cert: return "cert";
  }
  return "unknown";
}

enum class url_error {
  not_under_base,        ///< the path does not start with /keymanagement/identity/v1/
  unknown_request,       ///< a request name other than init, keyprov, certcache, cert
  empty_segment,         ///< an empty path segment (`keyprov//…`, a trailing slash)
  extra_segment,         ///< more segments than the request takes
  missing_segment,       ///< `cert` without the KMS URI
  bad_percent_encoding,  ///< `%` not followed by two hex digits, or an encoded NUL
  bad_time,              ///< the time segment is not 16 hex digits
  bad_cache_number,      ///< the cache number is not a decimal integer within 64 bits
};

[[nodiscard]] constexpr const char* describe(url_error e) noexcept {
  switch (e) {
    case url_error::not_under_base: return "path is not under /keymanagement/identity/v1/";
    case url_error::unknown_request:
      return "unknown KMS request (expected init, keyprov, certcache or cert)";
    case url_error::empty_segment: return "empty path segment";
    case url_error::extra_segment: return "too many path segments for this request";
    case url_error::missing_segment: return "cert needs the KMS URI as the next path segment";
    case url_error::bad_percent_encoding: return "bad percent-encoding";
    case url_error::bad_time: return "key period time is not 16 hex digits (NTP timestamp)";
    case url_error::bad_cache_number: return "cache number is not a decimal integer (64 bits)";
  }
  return "unknown url_error";
}

/// A parsed request path. `identity` is the (decoded) URI of keyprov/<uri> and of cert/<kms-uri>.
struct request_target {
  request_kind kind = request_kind::init;
  std::optional<std::string> identity;
  std::optional<std::uint64_t> ntp_wire;   ///< keyprov/<uri>/<ntp>: the 64-bit timestamp
  std::optional<std::uint64_t> cache_num;  ///< certcache/<n>

  /// The instant of the time segment (RFC 4330 era rule: 1968–2104).
  [[nodiscard]] std::optional<ntp_time> time() const noexcept {
    if (!ntp_wire) return std::nullopt;
    return from_ntp_wire(*ntp_wire);
  }

  friend bool operator==(const request_target&, const request_target&) = default;
};

/// How generate() writes a URI segment.
enum class uri_encoding {
  /// Percent-encode only what a path segment cannot hold as it is (RFC 3986 pchar), so
  /// `sip:alice@example.org` and `tel:+4477…` stay readable, as deployed clients write them.
  minimal,
  /// Percent-encode everything but the unreserved characters (A-Z a-z 0-9 - . _ ~).
  strict,
};

namespace detail {

[[nodiscard]] constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

[[nodiscard]] constexpr bool is_unreserved(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

/// RFC 3986 pchar without percent-encoding: unreserved, sub-delims, ':' and '@'.
[[nodiscard]] constexpr bool is_plain_pchar(char c) noexcept {
  return is_unreserved(c) || std::string_view("!$&'()*+,;=:@").find(c) != std::string_view::npos;
}

[[nodiscard]] inline result<std::string, url_error> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (s.size() - i < 3) return unexpected{url_error::bad_percent_encoding};
    const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
      return unexpected{url_error::bad_percent_encoding};
    out += static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

[[nodiscard]] inline std::string percent_encode(std::string_view s, uri_encoding how) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const bool plain = how == uri_encoding::strict ? is_unreserved(c) : is_plain_pchar(c);
    if (plain) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 15];
    }
  }
  return out;
}

/// The path of a URL or path: scheme and authority, query and fragment removed.
[[nodiscard]] constexpr std::string_view path_part(std::string_view url) noexcept {
  if (const auto scheme_end = url.find("://");
      scheme_end != std::string_view::npos &&
      url.substr(0, scheme_end).find('/') == std::string_view::npos) {
    const auto path_start = url.find('/', scheme_end + 3);
    url = path_start == std::string_view::npos ? std::string_view() : url.substr(path_start);
  }
  if (const auto end = url.find_first_of("?#"); end != std::string_view::npos)
    url = url.substr(0, end);
  return url;
}

/// The '/'-separated segments of `rest`; an empty one (`a//b`, a trailing '/') is an error.
[[nodiscard]] inline result<std::vector<std::string_view>, url_error> segments(
    std::string_view rest) {
  std::vector<std::string_view> out;
  while (true) {
    const auto slash = rest.find('/');
    const std::string_view seg = rest.substr(0, slash);
    if (seg.empty()) return unexpected{url_error::empty_segment};
    out.push_back(seg);
    if (slash == std::string_view::npos) return out;
    rest.remove_prefix(slash + 1);
  }
}

[[nodiscard]] constexpr std::optional<std::uint64_t> parse_ntp_hex(std::string_view s) noexcept {
  if (s.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    const int d = hex_value(c);
    if (d < 0) return std::nullopt;
    v = v << 4 | static_cast<std::uint64_t>(d);
  }
  return v;
}

}  // namespace detail

/// The request a URL or path names (see the table at the top of this file).
[[nodiscard]] inline result<request_target, url_error> parse(std::string_view url) {
  std::string_view path = detail::path_part(url);
  if (!path.starts_with(base_path) || path.size() <= base_path.size() + 1 ||
      path[base_path.size()] != '/')
    return unexpected{url_error::not_under_base};
  path.remove_prefix(base_path.size() + 1);
  const auto segs = detail::segments(path);
  if (!segs) return unexpected{segs.error()};
  const std::vector<std::string_view>& s = *segs;
  request_target t;
  const std::string_view name = s[0];
  if (name == "init") {
    t.kind = request_kind::init;
    if (s.size() > 1) return unexpected{url_error::extra_segment};
  } else if (name == "keyprov") {
    t.kind = request_kind::key_prov;
    if (s.size() > 3) return unexpected{url_error::extra_segment};
    if (s.size() >= 2) {
      auto uri = detail::percent_decode(s[1]);
      if (!uri) return unexpected{uri.error()};
      t.identity = std::move(*uri);
    }
    if (s.size() == 3) {
      t.ntp_wire = detail::parse_ntp_hex(s[2]);
      if (!t.ntp_wire) return unexpected{url_error::bad_time};
    }
  } else if (name == "certcache") {
    t.kind = request_kind::cert_cache;
    if (s.size() > 2) return unexpected{url_error::extra_segment};
    if (s.size() == 2) {
      t.cache_num = parse_decimal_u64(s[1]);
      if (!t.cache_num) return unexpected{url_error::bad_cache_number};
    }
  } else if (name == "cert") {
    t.kind = request_kind::cert;
    if (s.size() < 2) return unexpected{url_error::missing_segment};
    if (s.size() > 2) return unexpected{url_error::extra_segment};
    auto uri = detail::percent_decode(s[1]);
    if (!uri) return unexpected{uri.error()};
    t.identity = std::move(*uri);
  } else {
    return unexpected{url_error::unknown_request};
  }
  return t;
}

/// The path of a request (append it to `https://host[:port]`). Fields the request kind does not
/// take are ignored; a time needs an identity (the path has no place for it otherwise) and is
/// dropped without one; cert without a KMS URI gives `cert/` (which parse() refuses).
[[nodiscard]] inline std::string path(const request_target& t,
                                      uri_encoding how = uri_encoding::minimal) {
  std::string p(base_path);
  p += '/';
  p += describe(t.kind);
  switch (t.kind) {
    case request_kind::init: break;
    case request_kind::key_prov:
      if (t.identity) {
        p += '/' + detail::percent_encode(*t.identity, how);
        if (t.ntp_wire) {
          static constexpr char digits[] = "0123456789ABCDEF";
          p += '/';
          for (int shift = 60; shift >= 0; shift -= 4) p += digits[(*t.ntp_wire >> shift) & 15];
        }
      }
      break;
    case request_kind::cert_cache:
      if (t.cache_num) p += '/' + std::to_string(*t.cache_num);
      break;
    case request_kind::cert: p += '/' + detail::percent_encode(t.identity.value_or(""), how); break;
  }
  return p;
}

/// keyprov/<uri>/<ntp> for the key period containing `t`.
[[nodiscard]] inline request_target key_prov_at(std::string uri, ntp_time t) {
  return {request_kind::key_prov, std::move(uri), to_ntp_wire(t), std::nullopt};
}

}  // namespace skm::km::kms_url
