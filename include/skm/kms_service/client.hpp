// SPDX-License-Identifier: BSD-3-Clause
// The KMS client side (SKM-C): provisioning an MCX client in process over HTTPS.
//
//   provision(options, what) ── TLS 1.2+ to the KMS (server certificate verified against the
//     │                          given CA or the system's, host name or IP address checked;
//     │                          optional client certificate), one kept-alive connection
//     ├─ POST …/init                     -> KmsInit: the KMS certificate, Z and KPAK validated
//     ├─ POST …/keyprov[/<uri>[/<time>]] -> KmsKeyProv: every key set validated against that
//     │                                     certificate (RSK by RFC 6508 §6.1.2, SSK/PVT by
//     │                                     RFC 6507 §5.1.2), for the URI asked for, and one
//     │                                     of them covering the time asked for (or now)
//     └─ POST …/certcache (when asked)   -> KmsCertCache, every certificate validated
//
// The bearer token goes in the Authorization header only; it is never part of an error message.
// The key sets come back as the received document in a wiping buffer, ready to be written out
// (skm kms fetch writes cert.xml and keyset.xml) or used directly.
#pragma once

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "skm/common/ct.hpp"
#include "skm/km/kms_request.hpp"
#include "skm/km/kms_url.hpp"
#include "skm/km/kms_xml.hpp"
#include "skm/km/time.hpp"

namespace skm::kms_service {

struct client_options {
  std::string url;          ///< https://HOST[:PORT] (a path prefix before /keymanagement is kept)
  std::string token;        ///< the bearer access token
  std::string ca_file;      ///< PEM CA to verify the server; empty: the system's trust store
  std::string client_cert;  ///< PEM, for mutual TLS (with client_key)
  std::string client_key;
  std::chrono::milliseconds timeout{30000};  ///< per request
  std::size_t max_response_octets = 4 << 20;
  /// The security extension's hooks (kms_service/security.hpp fills them): `verify` turns an
  /// answer into the octets to parse (a signed answer's verified element; an error refuses it),
  /// `parse` decrypts EncKeyContentType keys. Empty: answers are parsed as received.
  std::function<result<km::secret_bytes, std::string>(std::string_view)> verify;
  km::xml::kms_parse_options parse;
  /// Called with the NewTransportKey / NewIntegrityKey of a verified init or keyprov answer
  /// (either may be empty, not both) before the next request, which must use them: the KMS
  /// has switched once it sent them. Returns why they could not be installed (the provisioning
  /// stops), or nothing. Empty: an answer carrying keys is refused.
  std::function<std::optional<std::string>(const std::optional<km::xml::carried_key>&,
                                           const std::optional<km::xml::carried_key>&)>
      carried_keys;

  ~client_options() { ct::wipe(token.data(), token.size()); }
};

struct provision_request {
  std::optional<std::string> uri;  ///< whose key sets (default: the token's own identity)
  std::optional<km::ntp_time> at;  ///< the key period holding this time (default: current + next)
  bool cert_cache = false;         ///< also fetch the certificate cache
};

struct provisioned {
  std::string certificate_xml;  ///< the KmsResponse/KmsInit document (its verified octets)
  km::xml::kms_certificate certificate;
  km::secret_bytes key_prov_xml;  ///< the KmsResponse/KmsKeyProv document (verified octets)
  km::xml::kms_key_prov_response key_prov;
  std::optional<std::string> cert_cache_xml;
};

namespace client_detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

struct parsed_url {
  std::string host;
  std::string port = "443";
  std::string prefix;  ///< path before /keymanagement/… ("" usually)
};

[[nodiscard]] inline result<parsed_url, std::string> parse_url(std::string_view url) {
  if (!url.starts_with("https://")) return unexpected{std::string("the URL must start https://")};
  url.remove_prefix(8);
  parsed_url u;
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) u.prefix = std::string(url.substr(slash));
  while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
  if (authority.starts_with("[")) {  // [IPv6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return unexpected{std::string("bad IPv6 address in URL")};
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(":")) u.port = std::string(authority.substr(1));
  } else {
    const auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(authority.substr(colon + 1));
  }
  if (u.host.empty() || u.port.empty() ||
      u.port.find_first_not_of("0123456789") != std::string::npos)
    return unexpected{std::string("the URL needs a host and a numeric port")};
  return u;
}

/// One kept-alive TLS connection to the KMS.
class connection {
 public:
  explicit connection(const client_options& o) : options_(o), tls_(net::ssl::context::tls_client) {}

  [[nodiscard]] std::optional<std::string> open(const parsed_url& u) {
    url_ = u;
    SSL_CTX* ctx = tls_.native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    boost::system::error_code ec;
    if (options_.ca_file.empty())
      tls_.set_default_verify_paths(ec);
    else
      tls_.load_verify_file(options_.ca_file, ec);
    if (ec) return options_.ca_file + ": not a PEM CA certificate";
    if (!options_.client_cert.empty()) {
      tls_.use_certificate_chain_file(options_.client_cert, ec);
      if (!ec) tls_.use_private_key_file(options_.client_key, net::ssl::context::pem, ec);
      if (ec) return "cannot load the client certificate and key";
    }
    tls_.set_verify_mode(net::ssl::verify_peer);
    stream_.emplace(ioc_, tls_);
    SSL* ssl = stream_->native_handle();
    boost::system::error_code ip_ec;
    net::ip::make_address(u.host, ip_ec);
    if (!ip_ec) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), u.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl, u.host.c_str());
      SSL_set1_host(ssl, u.host.c_str());
    }
    net::ip::tcp::resolver resolver(ioc_);
    const auto endpoints = resolver.resolve(u.host, u.port, ec);
    if (ec) return "cannot resolve " + u.host + ": " + ec.message();
    beast::get_lowest_layer(*stream_).expires_after(options_.timeout);
    beast::get_lowest_layer(*stream_).connect(endpoints, ec);
    if (ec) return "cannot connect to " + u.host + ":" + u.port + ": " + ec.message();
    stream_->handshake(net::ssl::stream_base::client, ec);
    if (ec) return "TLS handshake with " + u.host + ":" + u.port + " failed: " + ec.message();
    return std::nullopt;
  }

  struct answer {
    unsigned status = 0;
    std::string www_authenticate;
    std::string body;
    ~answer() { ct::wipe(body.data(), body.size()); }
  };

  [[nodiscard]] result<answer, std::string> post(const std::string& path) {
    http::request<http::empty_body> req(http::verb::post, url_.prefix + path, 11);
    req.set(http::field::host, url_.host);
    req.set(http::field::user_agent, "skm-kms-client");
    req.set(http::field::accept, "application/xml");
    std::string authorization = "Bearer " + options_.token;
    req.set(http::field::authorization, authorization);
    ct::wipe(authorization.data(), authorization.size());
    req.content_length(0);
    req.keep_alive(true);
    boost::system::error_code ec;
    beast::get_lowest_layer(*stream_).expires_after(options_.timeout);
    http::write(*stream_, req, ec);
    if (ec) return unexpected{"sending " + path + " failed: " + ec.message()};
    http::response_parser<http::string_body> parser;
    parser.body_limit(options_.max_response_octets);
    http::read(*stream_, buffer_, parser, ec);
    if (ec) return unexpected{"reading the answer to " + path + " failed: " + ec.message()};
    answer a;
    auto& res = parser.get();
    a.status = res.result_int();
    if (const auto w = res.find(http::field::www_authenticate); w != res.end())
      a.www_authenticate = std::string(w->value());
    a.body.swap(res.body());
    return a;
  }

  ~connection() {
    if (!stream_) return;
    // The close_notify is best effort. A timer that cannot be armed (asio throws system_error)
    // must not end the program from a destructor; the socket is closed with the stream anyway.
    try {
      beast::get_lowest_layer(*stream_).expires_after(std::chrono::seconds(2));
      boost::system::error_code ec;
      stream_->shutdown(ec);
    } catch (const boost::system::system_error&) {
    }
  }

 private:
  const client_options& options_;
  net::io_context ioc_;
  net::ssl::context tls_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
  beast::flat_buffer buffer_;
  parsed_url url_;
};

/// "HTTP 403: <the KmsError message>" for an answer that is not 200.
[[nodiscard]] inline std::string refusal(const std::string& path, const connection::answer& a) {
  std::string why = path + ": HTTP " + std::to_string(a.status);
  if (const auto r = km::xml::parse_kms_response(a.body, km::xml::no_curve_checks{}))
    if (const auto* e = r->error(); e && e->message) why += ": " + *e->message;
  if (!a.www_authenticate.empty()) why += " (" + a.www_authenticate + ")";
  return why;
}

/// The octets to parse of a 200 answer: through the verify hook when there is one.
[[nodiscard]] inline result<km::secret_bytes, std::string> answer_octets(const client_options& o,
                                                                         const std::string& path,
                                                                         std::string_view body) {
  if (!o.verify)
    return km::secret_bytes(
        std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  auto v = o.verify(body);
  if (!v) return unexpected{path + ": " + v.error()};
  return v;
}

/// Hands the keys an answer carried to the carried_keys hook (before anything else is checked:
/// the KMS uses them from now on).
[[nodiscard]] inline std::optional<std::string> take_carried_keys(
    const client_options& o, const std::string& path,
    const std::optional<km::xml::carried_key>& trk,
    const std::optional<km::xml::carried_key>& ink) {
  if (!trk && !ink) return std::nullopt;
  if (!o.carried_keys) return path + ": carries a new transport or integrity key, not expected";
  if (auto e = o.carried_keys(trk, ink)) return path + ": " + *e;
  return std::nullopt;
}

}  // namespace client_detail

namespace client_detail {

/// The keyprov answer at `path`: verified, parsed with every key checked, for the URI asked for
/// and covering the time asked for.
[[nodiscard]] inline std::optional<std::string> fetch_key_prov(connection& c,
                                                               const client_options& options,
                                                               const provision_request& what,
                                                               km::ntp_time now, provisioned& out) {
  km::kms_url::request_target t{km::kms_url::request_kind::key_prov, what.uri, {}, {}};
  if (what.at) {
    if (!what.uri) return std::string("a time in the request needs the URI too");
    t.ntp_wire = km::to_ntp_wire(*what.at);
  }
  const std::string prov_path = km::kms_url::path(t);
  auto prov = c.post(prov_path);
  if (!prov) return prov.error();
  if (prov->status != 200) return refusal(prov_path, *prov);
  auto octets = answer_octets(options, prov_path, prov->body);
  if (!octets) return octets.error();
  auto parsed = km::xml::parse_kms_key_prov(octets->as_text(), out.certificate,
                                            km::xml::curve_checks{}, options.parse);
  if (!parsed) return "the key sets: " + parsed.error().message();
  if (auto e = take_carried_keys(options, prov_path, parsed->new_transport_key,
                                 parsed->new_integrity_key))
    return e;
  if (parsed->key_sets.empty()) return std::string("the KMS sent no key set");
  const std::string& user = parsed->key_sets.front().user_uri;
  const km::ntp_time when = what.at.value_or(now);
  bool covered = false;
  for (const auto& k : parsed->key_sets) {
    if (k.user_uri != user || (what.uri && k.user_uri != *what.uri))
      return "the KMS sent a key set for " + k.user_uri + ", not the URI asked for";
    covered = covered || km::xml::key_set_covers(k, out.certificate, when);
  }
  if (!covered) return std::string("no key set covers the time asked for");
  out.key_prov_xml = std::move(*octets);
  out.key_prov = std::move(*parsed);
  return std::nullopt;
}

}  // namespace client_detail

/// Fetches and validates the KMS certificate and the key sets `what` names (see the top).
[[nodiscard]] inline result<provisioned, std::string> provision(const client_options& options,
                                                                const provision_request& what,
                                                                km::ntp_time now) {
  namespace cd = client_detail;
  const auto url = cd::parse_url(options.url);
  if (!url) return unexpected{url.error()};
  cd::connection c(options);
  if (auto e = c.open(*url)) return unexpected{*e};
  provisioned out;

  const std::string init_path = std::string(km::kms_url::base_path) + "/init";
  auto init = c.post(init_path);
  if (!init) return unexpected{init.error()};
  if (init->status != 200) return unexpected{cd::refusal(init_path, *init)};
  const auto init_octets = cd::answer_octets(options, init_path, init->body);
  if (!init_octets) return unexpected{init_octets.error()};
  // Z and KPAK validated; a carried key unwrapped
  const auto cert =
      km::xml::parse_kms_init(init_octets->as_text(), km::xml::curve_checks{}, options.parse);
  if (!cert) return unexpected{"the KMS certificate: " + cert.error().message()};
  if (auto e = cd::take_carried_keys(options, init_path, cert->new_transport_key,
                                     cert->new_integrity_key))
    return unexpected{*e};
  out.certificate_xml = std::string(init_octets->as_text());
  out.certificate = cert->certificate;
  if (cert->new_transport_key || cert->new_integrity_key) {
    // The certificate without the carried keys: readers of cert.xml hold no TrK.
    km::xml::kms_init_response plain{cert->header, cert->certificate};
    plain.header.id.clear();
    auto text = km::xml::write_kms_init(plain);
    if (!text) return unexpected{"the KMS certificate: " + text.error().message()};
    out.certificate_xml = std::move(*text);
  }

  if (auto e = cd::fetch_key_prov(c, options, what, now, out)) return unexpected{*e};

  if (what.cert_cache) {
    const std::string cache_path = std::string(km::kms_url::base_path) + "/certcache";
    auto cache = c.post(cache_path);
    if (!cache) return unexpected{cache.error()};
    if (cache->status != 200) return unexpected{cd::refusal(cache_path, *cache)};
    const auto octets = cd::answer_octets(options, cache_path, cache->body);
    if (!octets) return unexpected{octets.error()};
    const auto r = km::xml::parse_kms_response(octets->as_text());  // certificates validated
    if (!r || r->kind() != km::xml::kms_response_kind::cert_cache)
      return unexpected{std::string("the certificate cache is not a KmsCertCache")};
    out.cert_cache_xml = std::string(octets->as_text());
  }
  return out;
}

}  // namespace skm::kms_service
