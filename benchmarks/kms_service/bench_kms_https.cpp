// SPDX-License-Identifier: BSD-3-Clause
// Full keyprov requests over HTTPS against an in-process https_server on 127.0.0.1, client and
// server sharing the machine: token check (ES256 JWT), current + next key set issued statelessly
// (issue_deterministic, consistency check), KmsKeyProv XML, TLS 1.3 with session resumption
// (each client reconnects every `per_connection` requests and resumes its session). Every request
// is for a different identity, so no cache could help. Prints
//   THROUGHPUT op=kms_keyprov_https threads=<client threads> per_s=<requests/s> p99_ms=<…>
// and what each stage costs on one thread:
//   STAGE op=<jwt_verify_es256|issue_two_key_sets|write_keyprov_xml|handler_keyprov> us=<…>
// With `--state sqlite` (a fresh file in a temporary directory) or `--state postgresql://…` (an
// empty database) the handler has the KMS state attached: every request is checked against the
// revocations and writes its audit record before answering; the lines then carry state=<backend>
// and one more stage, STAGE op=audit_append state=<backend> us=<…> (one record, committed).
#include <cryptopp/asn.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/hmac.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>
#include <cryptopp/rsa.h>
#include <cryptopp/sha.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "skm/kms_service/https_server.hpp"
#ifdef SKM_BENCH_KMS_STATE
#include "skm/kms_state/sqlite_store.hpp"
#ifdef SKM_WITH_POSTGRES
#include "skm/kms_state/postgres_store.hpp"
#endif
#endif
#include "skm/kms_service/jwt_access.hpp"

namespace {

namespace ks = skm::kms_service;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using clock_type = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
  (void)std::fprintf(stderr, "bench_kms_https: %s\n", what.c_str());
  std::exit(1);
}

/// A self-signed P-256 certificate for 127.0.0.1, written as PEM files.
void make_certificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  if (key == nullptr || x == nullptr) fail("cannot make a TLS key");
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  X509_sign(x, key, EVP_sha256());
  FILE* c = std::fopen(cert_path.c_str(), "w");
  FILE* k = std::fopen(key_path.c_str(), "w");
  if (c == nullptr || k == nullptr) fail("cannot write the TLS files");
  const bool written = PEM_write_X509(c, x) == 1 &&
                       PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  const bool closed_c = std::fclose(c) == 0;  // both closed, whatever happened
  const bool closed_k = std::fclose(k) == 0;
  if (!written || !closed_c || !closed_k) fail("cannot write the TLS files");
  X509_free(x);
  EVP_PKEY_free(key);
}

/// The identity management server of the benchmark: ES256 tokens with Crypto++.
struct token_minter {
  CryptoPP::AutoSeededRandomPool rng;
  CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PrivateKey key;
  token_minter() { key.Initialize(rng, CryptoPP::ASN1::secp256r1()); }

  [[nodiscard]] std::string jwks() const {
    CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PublicKey pub;
    key.MakePublicKey(pub);
    std::string x(32, '\0'), y(32, '\0');
    pub.GetPublicElement().x.Encode(reinterpret_cast<CryptoPP::byte*>(x.data()), 32);
    pub.GetPublicElement().y.Encode(reinterpret_cast<CryptoPP::byte*>(y.data()), 32);
    const nlohmann::json k{{"kty", "EC"},
                           {"crv", "P-256"},
                           {"kid", "bench"},
                           {"x", ks::base64url_encode(x)},
                           {"y", ks::base64url_encode(y)}};
    return nlohmann::json{{"keys", nlohmann::json::array({k})}}.dump();
  }

  [[nodiscard]] std::string token(const std::string& identity) {
    const auto now = ks::system_unix_time();
    const nlohmann::json claims{{"iss", "https://idms.bench"},
                                {"aud", "kms.bench.example.org"},
                                {"exp", now + 3600},
                                {"scope", "3gpp:mc:ptt_key_management_service"},
                                {"mcptt_id", identity}};
    const std::string input = ks::base64url_encode(R"({"alg":"ES256","kid":"bench"})") + "." +
                              ks::base64url_encode(claims.dump());
    CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::Signer s(key);
    std::string sig(s.MaxSignatureLength(), '\0');
    sig.resize(s.SignMessage(rng, reinterpret_cast<const CryptoPP::byte*>(input.data()),
                             input.size(), reinterpret_cast<CryptoPP::byte*>(sig.data())));
    return input + "." + ks::base64url_encode(sig);
  }
};

/// One client thread: keep-alive connections of `per_connection` requests, sessions resumed.
struct client_stats {
  std::vector<double> latencies_ms;
  std::size_t errors = 0, resumed = 0, handshakes = 0;
};

void client_thread(std::uint16_t port, const std::string& ca,
                   const std::vector<std::string>& tokens, std::size_t first, std::size_t count,
                   std::size_t per_connection, client_stats& out) {
  net::io_context ioc;
  net::ssl::context tls(net::ssl::context::tls_client);
  tls.load_verify_file(ca);
  tls.set_verify_mode(net::ssl::verify_peer);
  SSL_CTX_set_session_cache_mode(tls.native_handle(), SSL_SESS_CACHE_CLIENT);
  SSL_SESSION* session = nullptr;
  const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  std::size_t done = 0;
  while (done < count) {
    beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
    if (session != nullptr) SSL_set_session(stream.native_handle(), session);
    beast::get_lowest_layer(stream).connect(ep);
    stream.handshake(net::ssl::stream_base::client);
    ++out.handshakes;
    if (SSL_session_reused(stream.native_handle()) != 0) ++out.resumed;
    beast::flat_buffer buffer;
    for (std::size_t i = 0; i < per_connection && done < count; ++i, ++done) {
      const auto t0 = clock_type::now();
      http::request<http::empty_body> req(http::verb::post, "/keymanagement/identity/v1/keyprov",
                                          11);
      req.set(http::field::host, "127.0.0.1");
      req.set(http::field::authorization, "Bearer " + tokens[first + done]);
      req.content_length(0);
      http::write(stream, req);
      http::response<http::string_body> res;
      http::read(stream, buffer, res);
      if (res.result_int() != 200) ++out.errors;
      out.latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    }
    if (session != nullptr) SSL_SESSION_free(session);
    session = SSL_get1_session(stream.native_handle());  // TLS 1.3: the ticket came with a read
    boost::system::error_code ec;
    stream.shutdown(ec);
  }
  if (session != nullptr) SSL_SESSION_free(session);
}

/// STAGE lines: each part of one keyprov on one thread, each call for a fresh identity.
void print_stages(const ks::community& community, const ks::jwt_token_verifier& tokens,
                  ks::kms_handler& handler, token_minter& idms) {
  const auto now = skm::km::from_unix_seconds(ks::system_unix_time()).value();
  constexpr int stage_calls = 200;
  std::vector<std::string> stage_tokens, handler_tokens;
  for (int i = 0; i < stage_calls; ++i) {
    stage_tokens.push_back(idms.token("sip:stage-" + std::to_string(i) + "@bench"));
    handler_tokens.push_back(idms.token("sip:handler-" + std::to_string(i) + "@bench"));
  }
  const auto per_call_us = [&](auto&& f) {
    const auto t0 = clock_type::now();
    for (int i = 0; i < stage_calls; ++i) f(static_cast<std::size_t>(i));
    return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / stage_calls;
  };
  const double jwt_us = per_call_us([&](std::size_t i) {
    if (!tokens.verify(stage_tokens[i])) fail("token");
  });
  const auto period = community.server.period_at(now).value();
  const double issue_us = per_call_us([&](std::size_t i) {
    for (std::uint64_t p : {period, period + 1})
      if (!community.server.issue_deterministic("sip:issue-" + std::to_string(i) + "@bench", p,
                                                skm::km::issue_check::consistency))
        fail("issue");
  });
  const auto sample = community.server.issue_deterministic("sip:x@bench", period).value();
  const double xml_us = per_call_us([&](std::size_t) {
    skm::km::xml::kms_key_prov_response doc;
    doc.header.user_uri = "sip:x@bench";
    doc.header.kms_uri = "kms.bench.example.org";
    doc.header.time = now;
    doc.header.client_req_url = "https://kms.bench.example.org/keymanagement/identity/v1/keyprov";
    doc.key_sets = {skm::km::xml::make_key_set(sample), skm::km::xml::make_key_set(sample)};
    if (!skm::km::xml::write_kms_key_prov(doc)) fail("xml");
  });
  const double handler_us = per_call_us([&](std::size_t i) {
    const std::string auth = "Bearer " + handler_tokens[i];
    const auto r = handler.handle(
        {"POST", "/keymanagement/identity/v1/keyprov", {{"Authorization", auth}}, ""}, now);
    if (r.status != 200) fail("handler");
  });
  std::printf("STAGE op=jwt_verify_es256 us=%.1f\n", jwt_us);
  std::printf("STAGE op=issue_two_key_sets us=%.1f\n", issue_us);
  std::printf("STAGE op=write_keyprov_xml us=%.1f\n", xml_us);
  std::printf("STAGE op=handler_keyprov us=%.1f\n", handler_us);
}

#ifdef SKM_BENCH_KMS_STATE
/// The store of `--state` (sqlite: a file in `dir`; postgresql://…), or none.
std::unique_ptr<skm::kms_state::store> open_bench_state(const std::string& which,
                                                        const std::filesystem::path& dir) {
  if (which.empty()) return nullptr;
  if (which == "sqlite") {
    auto s = skm::kms_state::sqlite_store::open((dir / "kms-state.sqlite").string());
    if (!s) fail(s.error());
    return std::move(*s);
  }
#ifdef SKM_WITH_POSTGRES
  auto s = skm::kms_state::postgres_store::open(which);
  if (!s) fail(s.error());
  return std::move(*s);
#else
  fail("built without PostgreSQL");
#endif
}

/// One committed audit record, averaged.
void print_audit_stage(skm::kms_state::store& s) {
  skm::kms_state::audit_record r;
  r.identity = r.subject = "sip:stage@bench";
  r.endpoint = "keyprov";
  r.periods = {1, 2};
  r.status = 200;
  r.result = "ok";
  r.replica = "bench";
  constexpr int n = 200;
  const auto t0 = clock_type::now();
  for (int i = 0; i < n; ++i)
    if (!s.append_audit(r)) fail("audit append");
  const double us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count() / n;
  std::printf("STAGE op=audit_append state=%s us=%.1f\n", std::string(s.backend()).c_str(), us);
}
#endif

/// One THROUGHPUT line: `client_threads` clients, 2000 requests, each a different identity.
/// `state_label`: " state=<backend>" when a state is attached, else empty.
void print_throughput(std::uint16_t port, const std::string& ca, token_minter& idms,
                      std::size_t client_threads, const std::string& state_label) {
  constexpr std::size_t per_connection = 20, total = 2000;
  const std::size_t per_thread = total / client_threads;
  std::vector<std::string> request_tokens;
  for (std::size_t i = 0; i < total; ++i)
    request_tokens.push_back(idms.token("sip:user-" + std::to_string(client_threads) + "-" +
                                        std::to_string(i) + "@bench"));
  std::vector<client_stats> stats(client_threads);
  std::vector<std::thread> clients;
  const auto t0 = clock_type::now();
  for (std::size_t t = 0; t < client_threads; ++t)
    clients.emplace_back([&, t] {
      client_thread(port, ca, request_tokens, t * per_thread, per_thread, per_connection, stats[t]);
    });
  for (auto& c : clients) c.join();
  const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::vector<double> all;
  std::size_t errors = 0, resumed = 0, handshakes = 0;
  for (const auto& s : stats) {
    all.insert(all.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    errors += s.errors;
    resumed += s.resumed;
    handshakes += s.handshakes;
  }
  if (errors != 0) fail(std::to_string(errors) + " requests failed");
  std::sort(all.begin(), all.end());
  const double p99 = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  std::printf(
      "THROUGHPUT op=kms_keyprov_https%s threads=%zu per_s=%.1f p99_ms=%.2f "
      "(%zu requests, %zu handshakes, %zu resumed)\n",
      state_label.c_str(), client_threads, static_cast<double>(all.size()) / seconds, p99,
      all.size(), handshakes, resumed);
}

int bench_kms_https(int argc, char** argv) {
  std::string state_option;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--state") state_option = argv[i + 1];
  const auto dir =
      std::filesystem::temp_directory_path() / ("skm-bench-kms-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "server.pem").string(), key = (dir / "server.key").string();
  make_certificate(cert, key);

  skm::os_random rng;
  auto server = skm::km::skm_server::generate({"kms.bench.example.org", {86400, 0}}, rng);
  if (!server) fail("community");
  const ks::community community{
      skm::km::xml::make_certificate(server->public_values(), "bench.root"), std::move(*server)};
  token_minter idms;
  ks::jwt_policy policy;
  policy.issuer = "https://idms.bench";
  policy.audiences = {"kms.bench.example.org"};
  const ks::jwt_token_verifier tokens(ks::jwt_verifier(ks::parse_jwks(idms.jwks()).value(), policy),
                                      ks::access_policy{});
  ks::service_config config;
  config.rate_per_second = 0;
  ks::kms_handler handler(community, tokens, config);
  std::string state_label;
#ifdef SKM_BENCH_KMS_STATE
  const auto state = open_bench_state(state_option, dir);
  if (state) {
    handler.attach_state(*state, {ks::revoked_answer::key_set, "bench"});
    state_label = " state=" + std::string(state->backend());
    print_audit_stage(*state);
  }
#else
  if (!state_option.empty()) fail("built without the KMS state");
#endif
  print_stages(community, tokens, handler, idms);

  ks::https_server https(handler, ks::make_server_tls({cert, key, ""}), ks::server_limits{},
                         nullptr,
                         [] { return skm::km::from_unix_seconds(ks::system_unix_time()).value(); });
  https.listen("127.0.0.1", 0);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::thread serving([&] { https.run(cores); });
  for (const std::size_t client_threads : {std::size_t{2}, std::size_t{8}})
    print_throughput(https.port(), cert, idms, client_threads, state_label);
  https.stop();
  serving.join();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // An exception (a port that cannot be bound, say) is a failure, not a std::terminate.
  try {
    return bench_kms_https(argc, argv);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "bench_kms_https: %s\n", e.what());
    return 1;
  }
}
