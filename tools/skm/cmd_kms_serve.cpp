// SPDX-License-Identifier: BSD-3-Clause
// skm kms serve: the SKM-S of a community directory as an HTTPS service (TS 33.180 Annex D),
// kms_handler behind https_server, access tokens checked by jwt_token_verifier.
#include <array>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli.hpp"
#include "commands.hpp"
#include "files.hpp"
#include "skm/kms_service/config.hpp"
#include "skm/kms_service/handler.hpp"
#include "skm/kms_service/https_server.hpp"
#include "skm/kms_service/jwt_access.hpp"
#ifdef SKM_WITH_KMS_STATE
#include <unistd.h>

#include "state_db.hpp"
#endif
#ifdef SKM_WITH_KMS_SECURITY
#include "skm/kms_service/security.hpp"
#endif

namespace skm::cli {

namespace {

namespace ks = skm::kms_service;

/// Bound of the JWKS and servers files (public configuration, a few KiB in practice).
constexpr std::size_t max_config_file = std::size_t{1024} * 1024;

constexpr std::string_view serve_help =
    R"(usage: skm kms serve --dir DIR --listen HOST:PORT --tls-cert FILE --tls-key FILE
                     --jwks FILE --issuer ISS [options]

Serves the community in DIR (made by 'skm kms init') as a TS 33.180 Annex D KMS over HTTPS:
POST /keymanagement/identity/v1/init, keyprov[/URI[/NTP-HEX]], certcache[/N], cert/KMS-URI;
GET /healthz and /metrics. keyprov answers the key sets of the current and the next key
period (or of the period holding the time in the path). Key sets are derived statelessly:
any number of servers sharing DIR answer with identical key sets.

Every KMS request needs 'Authorization: Bearer <JWT>' signed by the identity management
server with a key of the JWK Set (RFC 7517), with iss = ISS, a key-management scope, and the
caller's identity in mcptt_id / mcdata_id / mcvideo_id. A user gets only its own key sets;
--servers lists who may fetch others' (a GMS its groups, an MCX server its own URI).
DIR/kms-secrets must be owner-only (mode 0600 or 0400). Logs one JSON line per request to
stderr (never a key or token). SIGTERM or SIGINT: finish requests in progress and exit 0.

  --dir DIR               the community directory (kms-cert.xml, kms-secrets)
  --listen HOST:PORT      IP address and port (port 0: any free port), e.g. 0.0.0.0:8443
  --tls-cert FILE         PEM server certificate chain
  --tls-key FILE          PEM private key of the certificate
  --client-ca FILE        PEM CA: require client certificates it issued (mutual TLS)
  --jwks FILE             the identity management server's public keys (JWK Set)
  --issuer ISS            the "iss" of every access token
  --audience AUD[,AUD]    accepted "aud" values; a token must then carry one (default: the
                          KMS URI, and tokens without "aud" are accepted)
  --alg ALG[,ALG]         accepted signature algorithms: ES256, RS256 (default ES256)
  --skew SECONDS          clock skew allowed for exp/nbf/iat, at most 300 (default 60)
  --scope S[,S]           accepted scopes in addition to the 3GPP key-management ones
                          (e.g. the SEAL deployment's key-management scope)
  --identity-claim C[,C]  claims naming the caller, instead of mcptt_id,mcdata_id,mcvideo_id
  --servers FILE          lines "IDENTITY URI [URI...]": who may fetch whose key sets
  --time-window SECONDS   a KmsRequest body's Time must be this close to now (default 300)
  --rate PER_SECOND       per-identity request rate (default 5; 0: no limit)
  --burst N               per-identity burst (default 20)
  --max-connections N     open connections at most (default 512)
  --threads N             worker threads (default: the number of cores)
  --read-timeout MS       a request must arrive within MS (default 10000)
  --idle-timeout MS       a kept-alive connection may wait MS for its next request (30000)
  --body-limit OCTETS     largest request body (default 65536)
  --header-limit OCTETS   largest request line + headers (default 8192)
  --check MODE            consistency (default) or receiver-side: how much each issued key
                          set is checked before it leaves (see 'skm kms provision --help')
  --port-file FILE        write the bound port number to FILE once listening
)"
#ifdef SKM_WITH_KMS_STATE
    R"(
The KMS state (revocations, the audit trail, the certificate cache; see 'skm kms revoke',
'skm kms audit', 'skm kms certcache'): every KMS request is checked against the revocations
and leaves one audit record before its answer leaves; a state database that fails gives 503
with KmsError until it is back.

  --db URL                the state: postgresql://… (replicas sharing one state) or
                          sqlite:PATH (default: DIR/kms-state.sqlite, created when missing)
  --stateless             no state: no revocation, no audit, certcache empty
  --revoked-answer A      key-set (default): revoked periods as KmsKeySet with Revoked true
                          and no usable key; error: left out, KmsError 403 when none is left
  --replica-id NAME       this server in the audit trail (default HOSTNAME:PID)
)"
#endif
#ifdef SKM_WITH_KMS_SECURITY
    R"(
The security extension (TS 33.180 D.1, D.3.5; see 'skm kms trk --help'): each caller's
answers are signed with its integrity key (InK) or transport key (TrK) and its key material is
wrapped under its TrK; a pending rotation is carried in its next init or keyprov answer (the
answer to a cert request carries none). Error answers are not signed.

  --trk-dir DIR           per-user keys tk.<n>.<user> / ik.<n>.<user> (mode 0700, files 0600)
  --sign ink|trk|none     ink (default): the InK when the user has one, else the TrK
  --encrypt rfc5649|rfc3394-stripped|none
                          how key elements are wrapped (default rfc5649; none: in the clear)
  --cipher-value hex|base64  the CipherValue encoding (default hex)
  --plain-without-trk     answer users without a TrK unprotected (default: 403)
)"
#endif
    ;

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::pair<std::string, std::uint16_t> listen_argument(const arguments& a) {
  const auto v = a.required("listen");
  const auto colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw a.error("--listen must be HOST:PORT, e.g. 127.0.0.1:8443");
  std::string host = v.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const auto port = parse_u64(v.substr(colon + 1), "--listen port");
  if (port > 65535) throw a.error("--listen port must be at most 65535");
  return {host, static_cast<std::uint16_t>(port)};
}

ks::jwt_verifier make_jwt_verifier(const arguments& a, const std::string& kms_uri) {
  auto keys = ks::parse_jwks(read_file(a.required("jwks"), max_config_file, "JWKS file"));
  if (!keys) throw failure(a.required("jwks") + ": " + keys.error());
  ks::jwt_policy p;
  p.issuer = a.required("issuer");
  if (p.issuer.empty()) throw a.error("--issuer must not be empty");
  if (const auto aud = a.value("audience")) {
    p.audiences = split_list(*aud);
    p.require_audience = true;
    if (p.audiences.empty()) throw a.error("--audience needs at least one value");
  } else {
    p.audiences = {kms_uri};
  }
  p.algorithms.clear();
  for (const auto& name : split_list(a.value("alg").value_or("ES256"))) {
    const auto alg = ks::algorithm_from_name(name);
    if (!alg) throw a.error("--alg accepts ES256 and RS256, not '" + name + "'");
    p.algorithms.insert(*alg);
  }
  if (p.algorithms.empty()) throw a.error("--alg needs at least one algorithm");
  p.max_skew_seconds = static_cast<std::int64_t>(a.optional_u64("skew").value_or(60));
  if (p.max_skew_seconds > ks::max_allowed_skew_seconds)
    throw a.error("--skew must be at most 300 seconds");
  return ks::jwt_verifier(std::move(*keys), std::move(p));
}

ks::access_policy make_access_policy(const arguments& a) {
  ks::access_policy p;
  if (const auto s = a.value("scope"))
    for (auto& scope : split_list(*s)) p.scopes.push_back(std::move(scope));
  if (const auto c = a.value("identity-claim")) {
    p.identity_claims = split_list(*c);
    if (p.identity_claims.empty()) throw a.error("--identity-claim needs a claim name");
  }
  return p;
}

ks::service_config make_service_config(const arguments& a) {
  ks::service_config c;
  if (const auto w = a.optional_u64("time-window"))
    c.request_time_window_seconds = static_cast<std::int64_t>(std::min<std::uint64_t>(*w, 86400));
  if (const auto r = a.optional_u64("rate")) c.rate_per_second = static_cast<double>(*r);
  if (const auto b = a.optional_u64("burst"))
    c.rate_burst = static_cast<double>(std::max<std::uint64_t>(*b, 1));
  const auto check = a.value("check").value_or("consistency");
  if (check == "receiver-side")
    c.check = km::issue_check::receiver_side;
  else if (check != "consistency")
    throw a.error("--check must be consistency or receiver-side");
  if (const auto f = a.value("servers")) {
    auto d = ks::parse_servers_file(read_file(*f, max_config_file, "servers file"));
    if (!d) throw failure(*f + ": " + d.error());
    c.delegations = std::move(*d);
  }
  return c;
}

ks::server_limits make_limits(const arguments& a) {
  ks::server_limits l;
  const auto positive = [&](std::string_view name, auto fallback) {
    const auto v = a.optional_u64(name);
    if (v && *v == 0) throw a.error("--" + std::string(name) + " must be positive");
    return v ? static_cast<decltype(fallback)>(*v) : fallback;
  };
  l.max_connections = positive("max-connections", l.max_connections);
  l.body_limit = positive("body-limit", l.body_limit);
  l.header_limit = positive("header-limit", l.header_limit);
  l.read_timeout = std::chrono::milliseconds(positive("read-timeout", std::uint64_t{10000}));
  l.idle_timeout = std::chrono::milliseconds(positive("idle-timeout", std::uint64_t{30000}));
  return l;
}

/// One JSON object per line on stderr; lines from several threads never interleave.
class access_log {
 public:
  void operator()(const ks::access_record& r) {
    nlohmann::json j{{"time", iso(now())},
                     {"remote", r.remote},
                     {"method", r.method},
                     {"endpoint", ks::endpoint_name(r.request.kind)},
                     {"status", r.status},
                     {"ms", static_cast<double>(static_cast<long>(r.duration_ms * 1000)) / 1000}};
    if (!r.request.identity.empty()) j["identity"] = r.request.identity;
    if (!r.request.subject.empty()) j["subject"] = r.request.subject;
    if (!r.request.periods.empty()) j["periods"] = r.request.periods;
    if (!r.request.error.empty()) j["error"] = r.request.error;
    const std::string line =
        j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const std::lock_guard lock(mutex_);
    (void)std::fwrite(line.data(), 1, line.size(), stderr);
  }

 private:
  std::mutex mutex_;
};

#ifdef SKM_WITH_KMS_STATE
/// The state of --db (or DIR/kms-state.sqlite) attached to the handler; none with --stateless.
std::unique_ptr<kms_state::store> attach_state(const arguments& a, ks::kms_handler& handler) {
  if (a.flag("stateless")) {
    if (a.has("db") || a.has("revoked-answer") || a.has("replica-id"))
      throw a.error("--stateless excludes --db, --revoked-answer and --replica-id");
    return nullptr;
  }
  ks::state_options o;
  const auto answer = a.value("revoked-answer").value_or("key-set");
  if (answer == "error")
    o.answer = ks::revoked_answer::error;
  else if (answer != "key-set")
    throw a.error("--revoked-answer must be key-set or error");
  if (const auto id = a.value("replica-id")) {
    o.replica = *id;
  } else {
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
    o.replica = std::string(host.data()) + ":" + std::to_string(::getpid());
  }
  auto store = open_state(a.value("db"), a.required("dir"));
  handler.attach_state(*store, std::move(o));
  return store;
}
#endif

#ifdef SKM_WITH_KMS_SECURITY
/// The protector of --trk-dir attached to the handler; none without --trk-dir.
std::unique_ptr<ks::trk_protector> attach_protector(const arguments& a, ks::kms_handler& handler) {
  namespace sec = kms_security;
  const auto dir_path = a.value("trk-dir");
  if (!dir_path) {
    if (a.has("sign") || a.has("encrypt") || a.has("cipher-value") || a.has("plain-without-trk"))
      throw a.error("--sign, --encrypt, --cipher-value and --plain-without-trk need --trk-dir");
    return nullptr;
  }
  auto dir = sec::key_directory::open(*dir_path);
  if (!dir) throw failure(dir.error());
  ks::trk_service_options o;
  const auto sign = a.value("sign").value_or("ink");
  if (sign == "trk")
    o.sign = sec::sign_with::trk;
  else if (sign == "none")
    o.sign = sec::sign_with::none;
  else if (sign != "ink")
    throw a.error("--sign must be ink, trk or none");
  const auto encrypt = a.value("encrypt").value_or("rfc5649");
  if (encrypt == "rfc3394-stripped")
    o.encrypt = sec::encrypt_with::rfc3394_stripped;
  else if (encrypt == "none")
    o.encrypt = sec::encrypt_with::none;
  else if (encrypt != "rfc5649")
    throw a.error("--encrypt must be rfc5649, rfc3394-stripped or none");
  const auto encoding = a.value("cipher-value").value_or("hex");
  if (encoding == "base64")
    o.encoding = sec::cipher_value_encoding::base64;
  else if (encoding != "hex")
    throw a.error("--cipher-value must be hex or base64");
  o.plain_without_trk = a.flag("plain-without-trk");
  auto p = std::make_unique<ks::trk_protector>(std::move(*dir), o);
  handler.attach_protector(*p);
  return p;
}
#endif

/// TLS, the listening socket and the worker threads, until SIGTERM or SIGINT.
void serve_until_stopped(const arguments& a, ks::kms_handler& handler, const std::string& kms_uri,
                         const std::string& host, std::uint16_t port, std::uint64_t threads) {
  ks::tls_files tls{a.required("tls-cert"), a.required("tls-key"),
                    a.value("client-ca").value_or("")};
  std::shared_ptr<ks::net::ssl::context> tls_context;
  try {
    tls_context = ks::make_server_tls(tls);
  } catch (const std::runtime_error& e) {
    throw failure(e.what());
  }
  access_log log;
  ks::https_server server(handler, tls_context, make_limits(a), std::ref(log),
                          [] { return now(); });
  try {
    server.listen(host, port);
  } catch (const std::exception& e) {
    throw failure("cannot listen on " + a.required("listen") + ": " + e.what());
  }
  boost::asio::signal_set signals(server.io_context(), SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) server.stop();
  });
  if (const auto f = a.value("port-file"))
    write_file(*f, std::to_string(server.port()) + "\n", 0644, replace::with_force);
  (void)std::fprintf(stderr, "skm kms serve: %s on https://%s:%u (%llu threads)\n", kms_uri.c_str(),
                     host.c_str(), static_cast<unsigned>(server.port()),
                     static_cast<unsigned long long>(threads));
  server.run(static_cast<std::size_t>(threads));
  (void)std::fprintf(stderr, "skm kms serve: stopped\n");
}

}  // namespace

int run_kms_serve(std::span<char* const> args) {
  const arguments a(args,
                    {
                        {"dir"},
                        {"listen"},
                        {"tls-cert"},
                        {"tls-key"},
                        {"client-ca"},
                        {"jwks"},
                        {"issuer"},
                        {"audience"},
                        {"alg"},
                        {"skew"},
                        {"scope"},
                        {"identity-claim"},
                        {"servers"},
                        {"time-window"},
                        {"rate"},
                        {"burst"},
                        {"max-connections"},
                        {"threads"},
                        {"read-timeout"},
                        {"idle-timeout"},
                        {"body-limit"},
                        {"header-limit"},
                        {"check"},
                        {"port-file"},
#ifdef SKM_WITH_KMS_STATE
                        {"db"},
                        {"stateless", false},
                        {"revoked-answer"},
                        {"replica-id"},
#endif
#ifdef SKM_WITH_KMS_SECURITY
                        {"trk-dir"},
                        {"sign"},
                        {"encrypt"},
                        {"cipher-value"},
                        {"plain-without-trk", false},
#endif
                    },
                    "kms serve");
  if (a.help()) {
    std::cout << serve_help;
    return exit_ok;
  }
  a.no_positionals();
  const auto [host, port] = listen_argument(a);
  const auto threads =
      a.optional_u64("threads").value_or(std::max(1u, std::thread::hardware_concurrency()));
  if (threads == 0 || threads > 256) throw a.error("--threads must be between 1 and 256");
  auto loaded = ks::load_community(a.required("dir"));
  if (!loaded) throw failure(loaded.error());
  const ks::community& community = *loaded;
  const ks::jwt_token_verifier tokens(
      make_jwt_verifier(a, community.server.public_values().kms_uri), make_access_policy(a));
  ks::kms_handler handler(community, tokens, make_service_config(a));
#ifdef SKM_WITH_KMS_STATE
  const auto state = attach_state(a, handler);  // outlives the server, which uses it
#endif
#ifdef SKM_WITH_KMS_SECURITY
  const auto protector = attach_protector(a, handler);  // likewise
#endif
  serve_until_stopped(a, handler, community.server.public_values().kms_uri, host, port, threads);
  return exit_ok;  // the community (and its master secrets) is wiped as it goes out of scope
}

}  // namespace skm::cli
