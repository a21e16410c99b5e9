// SPDX-License-Identifier: BSD-3-Clause
// An HTTPS/1.1 server for kms_handler: Boost.Beast over Boost.Asio with TLS by OpenSSL.
//
//   accept ── limit: connections over max_connections are closed at once (counted)
//     └─ TLS handshake (TLS 1.2 or 1.3 only, ECDHE AEAD ciphers for 1.2; optionally a client
//        certificate that must chain to client_ca)            deadline: handshake_timeout
//          └─ read one request (request line + headers <= header_limit, body <= body_limit,
//             target <= target_limit)                          deadline: read_timeout for the
//             whole first request (a slow client cannot hold the connection: slowloris);
//             idle_timeout for the header of each later request on a kept-alive connection
//               └─ kms_handler::handle -> response (body wiped after writing) -> log line
//                    └─ keep alive (at most max_requests_per_connection) or close
//
// stop() (e.g. on SIGTERM) closes the listener, lets requests in progress finish, closes idle
// connections, and returns from run() once every connection is gone or after the grace period.
// The log callback receives one structured record per request; no key, token or body is in it.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "skm/km/time.hpp"
#include "skm/kms_service/handler.hpp"

namespace skm::kms_service {

struct tls_files {
  std::string certificate_chain;  ///< PEM: the server certificate (and intermediates)
  std::string private_key;        ///< PEM
  std::string client_ca;          ///< PEM; when set, clients must present a certificate it signed
};

struct server_limits {
  std::size_t max_connections = 512;
  std::size_t header_limit = std::size_t{8} * 1024;  ///< request line + headers
  std::size_t target_limit = 2048;                   ///< the request target alone
  std::size_t body_limit = std::size_t{64} * 1024;
  std::size_t max_requests_per_connection = 1000;
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds write_timeout{10000};
  std::chrono::milliseconds shutdown_grace{5000};
};

/// One request as the log sees it.
struct access_record {
  std::string remote;  ///< peer address
  std::string method;
  request_record request;
  int status = 0;
  double duration_ms = 0;
};

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

/// The TLS context: certificate and key from files, TLS 1.2+, forward-secret AEAD ciphers,
/// session resumption (server cache and TLS 1.3 tickets) on. Throws std::runtime_error.
[[nodiscard]] inline std::shared_ptr<net::ssl::context> make_server_tls(const tls_files& f) {
  auto ctx = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use |
                   SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX* raw = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(raw, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1)
    throw std::runtime_error("cannot restrict TLS to 1.2+ with AEAD ciphers");
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(f.certificate_chain, ec);
  if (ec) throw std::runtime_error(f.certificate_chain + ": not a PEM certificate chain");
  ctx->use_private_key_file(f.private_key, net::ssl::context::pem, ec);
  if (ec || SSL_CTX_check_private_key(raw) != 1)
    throw std::runtime_error(f.private_key + ": not the PEM private key of the certificate");
  static constexpr unsigned char session_context[] = "skm-kms";
  SSL_CTX_set_session_id_context(raw, session_context, sizeof session_context - 1);
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_SERVER);
  if (!f.client_ca.empty()) {
    ctx->load_verify_file(f.client_ca, ec);
    if (ec) throw std::runtime_error(f.client_ca + ": not a PEM CA certificate");
    ctx->set_verify_mode(net::ssl::verify_peer | net::ssl::verify_fail_if_no_peer_cert);
  }
  return ctx;
}

class https_server {
 public:
  using log_function = std::function<void(const access_record&)>;
  using clock_function = std::function<km::ntp_time()>;

  https_server(kms_handler& handler, std::shared_ptr<net::ssl::context> tls, server_limits limits,
               log_function log, clock_function clock)
      : handler_(handler),
        tls_(std::move(tls)),
        limits_(limits),
        log_(std::move(log)),
        clock_(std::move(clock)),
        acceptor_(net::make_strand(ioc_)) {}

  https_server(const https_server&) = delete;
  https_server& operator=(const https_server&) = delete;
  ~https_server() { destroying_ = true; }

  /// Binds HOST:PORT (an IP address; port 0 picks a free one). Throws on failure.
  void listen(const std::string& address, std::uint16_t port) {
    const net::ip::tcp::endpoint ep(net::ip::make_address(address), port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }

  [[nodiscard]] std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  /// Serves on `threads` threads until stop() and the drain are done.
  void run(std::size_t threads) {
    accept();
    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < threads; ++i) pool.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& t : pool) t.join();
  }

  /// Graceful stop; callable from any thread (or a signal handler's asio completion).
  void stop() {
    net::post(acceptor_.get_executor(), [this] {
      if (stopping_.exchange(true)) return;
      boost::system::error_code ec;
      acceptor_.close(ec);
      close_idle_sessions();
      grace_ = std::make_unique<net::steady_timer>(ioc_, limits_.shutdown_grace);
      grace_->async_wait([this](boost::system::error_code) { ioc_.stop(); });
      check_drained();
    });
  }

  [[nodiscard]] net::io_context& io_context() noexcept { return ioc_; }

 private:
  class session;

  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           [this](boost::system::error_code ec, net::ip::tcp::socket s) {
                             if (stopping_) return;
                             if (ec) return accept_later();  // e.g. out of file descriptors
                             on_accept(std::move(s));
                             accept();
                           });
  }

  /// After a failed accept, try again in 100 ms instead of spinning on the error.
  void accept_later() {
    auto timer = std::make_shared<net::steady_timer>(acceptor_.get_executor(),
                                                     std::chrono::milliseconds(100));
    timer->async_wait([this, timer](boost::system::error_code) {
      if (!stopping_) accept();
    });
  }

  void on_accept(net::ip::tcp::socket socket);
  void close_idle_sessions();
  void check_drained() {
    if (stopping_ && handler_.metrics().connections_open.load() == 0) ioc_.stop();
  }
  void forget(session* s) {
    {
      const std::lock_guard lock(sessions_mutex_);
      sessions_.erase(s);
    }
    handler_.metrics().connections_open.fetch_sub(1);
    if (stopping_ && !destroying_) net::post(acceptor_.get_executor(), [this] { check_drained(); });
  }

  // Declared so that the io_context dies before what its pending handlers (sessions) use.
  kms_handler& handler_;
  std::shared_ptr<net::ssl::context> tls_;
  server_limits limits_;
  log_function log_;
  clock_function clock_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> destroying_{false};
  std::mutex sessions_mutex_;
  std::set<session*> sessions_;
  net::io_context ioc_;
  net::ip::tcp::acceptor acceptor_;
  std::unique_ptr<net::steady_timer> grace_;
};

class https_server::session : public std::enable_shared_from_this<session> {
 public:
  session(https_server& server, net::ip::tcp::socket socket)
      : server_(server), stream_(std::move(socket), *server.tls_) {
    boost::system::error_code ec;
    const auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    remote_ = ec ? "?" : peer.address().to_string();
  }
  ~session() { server_.forget(this); }

  void start() {
    beast::get_lowest_layer(stream_).expires_after(server_.limits_.handshake_timeout);
    stream_.async_handshake(net::ssl::stream_base::server,
                            [self = shared_from_this()](boost::system::error_code ec) {
                              if (ec) {
                                self->server_.handler_.metrics().tls_handshake_failures++;
                                return;  // the socket closes with the session
                              }
                              self->read();
                            });
  }

  /// From stop(): close the connection now if it waits for a next request.
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->idle_) beast::get_lowest_layer(self->stream_).cancel();
    });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.limits_.header_limit));
    parser_->body_limit(server_.limits_.body_limit);
    idle_ = requests_ > 0;
    if (idle_ && server_.stopping_) return;
    beast::get_lowest_layer(stream_).expires_after(idle_ ? server_.limits_.idle_timeout
                                                         : server_.limits_.read_timeout);
    // A kept-alive connection has idle_timeout for the next request's header, then
    // read_timeout for the rest; the first request must arrive whole within read_timeout.
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  void on_header(boost::system::error_code ec) {
    idle_ = false;
    if (ec) return on_read_error(ec);
    if (requests_ > 0) beast::get_lowest_layer(stream_).expires_after(server_.limits_.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](boost::system::error_code e, std::size_t) {
                       if (e) return self->on_read_error(e);
                       self->on_request();
                     });
  }

  void on_read_error(boost::system::error_code ec) {
    auto& m = server_.handler_.metrics();
    if (ec == http::error::end_of_stream || ec == net::ssl::error::stream_truncated ||
        ec == net::error::operation_aborted || ec == net::error::eof)
      return;
    if (ec == beast::error::timeout) {
      m.timeouts++;
      return;
    }
    m.protocol_errors++;
    if (ec == http::error::header_limit) return reply_and_close(431, "request headers too large");
    if (ec == http::error::body_limit) return reply_and_close(413, "request body too large");
    reply_and_close(400, "malformed HTTP request");
  }

  void reply_and_close(int status, const std::string& why) {
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(status), 11);
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    res->set(http::field::connection, "close");
    res->body() = why + "\n";
    res->prepare_payload();
    record_and_log("-", request_record{{}, endpoint::other, {}, {}, why}, status, 0);
    beast::get_lowest_layer(stream_).expires_after(server_.limits_.write_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](boost::system::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->drain(0);
                      });
  }

  /// Reads and drops what the client is still sending (the rest of an oversize body), bounded in
  /// octets and time, before closing: closing with unread data would reset the connection and
  /// the client could lose the error response.
  void drain(std::size_t dropped) {
    static constexpr std::size_t max_drain = 1 << 20;
    if (dropped == 0) beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    if (dropped > max_drain) return close();
    stream_.async_read_some(
        net::buffer(discard_),
        [self = shared_from_this(), dropped](boost::system::error_code ec, std::size_t n) {
          if (ec) return self->close();
          self->drain(dropped + n);
        });
  }

  void on_request() {
    ++requests_;
    const auto& req = parser_->get();
    const auto start = std::chrono::steady_clock::now();
    if (req.target().size() > server_.limits_.target_limit)
      return reply_and_close(414, "request target too long");
    http_request view;
    view.method = std::string_view(req.method_string().data(), req.method_string().size());
    view.target = std::string_view(req.target().data(), req.target().size());
    for (const auto& f : req)
      view.headers.push_back({std::string_view(f.name_string().data(), f.name_string().size()),
                              std::string_view(f.value().data(), f.value().size())});
    view.body = req.body();
    http_response r = server_.handler_.handle(view, server_.clock_());
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    record_and_log(std::string(view.method), std::move(r.record), r.status, ms);
    respond(r, req.keep_alive(), req.version());
  }

  void respond(http_response& r, bool keep_alive, unsigned version) {
    response_.emplace(static_cast<http::status>(r.status), version);
    for (const auto& [name, value] : r.headers) response_->set(name, value);
    response_->body().swap(r.body);  // the handler's copy is now empty; ours is wiped below
    keep_alive_ =
        keep_alive && !server_.stopping_ && requests_ < server_.limits_.max_requests_per_connection;
    response_->keep_alive(keep_alive_);
    response_->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(server_.limits_.write_timeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        auto& body = self->response_->body();
                        ct::wipe(body.data(), body.size());
                        self->response_.reset();
                        if (ec || !self->keep_alive_) return self->close();
                        self->read();
                      });
  }

  void record_and_log(std::string method, request_record rec, int status, double ms) {
    if (!server_.log_) return;
    access_record a;
    a.remote = remote_;
    a.method = std::move(method);
    a.request = std::move(rec);
    a.status = status;
    a.duration_ms = ms;
    server_.log_(a);
  }

  void close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    stream_.async_shutdown([self = shared_from_this()](boost::system::error_code) {});
  }

  https_server& server_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::string remote_;
  std::array<char, 4096> discard_{};
  std::size_t requests_ = 0;
  bool keep_alive_ = false;
  bool idle_ = false;
};

inline void https_server::on_accept(net::ip::tcp::socket socket) {
  auto& m = handler_.metrics();
  m.connections_accepted++;
  if (m.connections_open.load() >= limits_.max_connections) {
    m.connections_refused++;
    boost::system::error_code ec;
    socket.close(ec);
    return;
  }
  m.connections_open++;
  auto s = std::make_shared<session>(*this, std::move(socket));
  {
    const std::lock_guard lock(sessions_mutex_);
    sessions_.insert(s.get());
  }
  s->start();
}

inline void https_server::close_idle_sessions() {
  const std::lock_guard lock(sessions_mutex_);
  for (session* s : sessions_) {
    // A session being destroyed has left the set under the same lock; weak_from_this guards
    // against one whose last reference is going away right now.
    if (auto alive = s->weak_from_this().lock()) alive->close_if_idle();
  }
}

}  // namespace skm::kms_service
