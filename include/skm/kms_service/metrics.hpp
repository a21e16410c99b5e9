// SPDX-License-Identifier: BSD-3-Clause
// Counters of the KMS service, shared by the request handler and the transport, rendered in the
// Prometheus text exposition format (version 0.0.4) for GET /metrics. Lock-free atomics; no
// identity, key or token ever becomes a label.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace skm::kms_service {

enum class endpoint : std::uint8_t { init, keyprov, certcache, cert, healthz, metrics, other };
inline constexpr std::size_t endpoint_count = 7;

[[nodiscard]] constexpr std::string_view endpoint_name(endpoint e) noexcept {
  constexpr std::array<std::string_view, endpoint_count> names{
      "init", "keyprov", "certcache", "cert", "healthz", "metrics", "other"};
  return names[static_cast<std::size_t>(e)];
}

/// The statuses the service answers with; anything else is counted as "other".
inline constexpr std::array<int, 10> counted_statuses{200, 400, 401, 403, 404,
                                                      405, 408, 413, 429, 500};

struct service_metrics {
  std::array<std::array<std::atomic<std::uint64_t>, counted_statuses.size() + 1>, endpoint_count>
      requests{};
  std::atomic<std::uint64_t> key_sets_issued{0};
  std::atomic<std::uint64_t> request_microseconds{0};  ///< sum of handling times
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_refused{0};  ///< over the connection limit
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> tls_handshake_failures{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> protocol_errors{0};  ///< unparsable or oversize HTTP

  void count(endpoint e, int status) noexcept {
    std::size_t slot = counted_statuses.size();
    for (std::size_t i = 0; i < counted_statuses.size(); ++i)
      if (counted_statuses[i] == status) slot = i;
    requests[static_cast<std::size_t>(e)][slot].fetch_add(1, std::memory_order_relaxed);
  }

  [[nodiscard]] std::string render() const {
    std::string out;
    out += "# HELP skm_kms_requests_total KMS requests answered, by endpoint and HTTP status.\n";
    out += "# TYPE skm_kms_requests_total counter\n";
    for (std::size_t e = 0; e < endpoint_count; ++e)
      for (std::size_t s = 0; s <= counted_statuses.size(); ++s) {
        const auto n = requests[e][s].load(std::memory_order_relaxed);
        if (n == 0) continue;
        out += "skm_kms_requests_total{endpoint=\"";
        out += endpoint_name(static_cast<endpoint>(e));
        out += "\",code=\"";
        out += s < counted_statuses.size() ? std::to_string(counted_statuses[s]) : "other";
        out += "\"} " + std::to_string(n) + "\n";
      }
    const auto line = [&](std::string_view name, std::string_view type, std::string_view help,
                          const std::atomic<std::uint64_t>& v) {
      out += "# HELP skm_kms_" + std::string(name) + " " + std::string(help) + "\n";
      out += "# TYPE skm_kms_" + std::string(name) + " " + std::string(type) + "\n";
      out += "skm_kms_" + std::string(name) + " " +
             std::to_string(v.load(std::memory_order_relaxed)) + "\n";
    };
    line("key_sets_issued_total", "counter", "Key sets issued (each period counts).",
         key_sets_issued);
    line("request_handling_microseconds_total", "counter",
         "Time spent handling requests (excluding TLS and I/O).", request_microseconds);
    line("connections_accepted_total", "counter", "TCP connections accepted.",
         connections_accepted);
    line("connections_refused_total", "counter", "Connections closed at once: limit reached.",
         connections_refused);
    line("connections_open", "gauge", "Connections open now.", connections_open);
    line("tls_handshake_failures_total", "counter", "TLS handshakes that failed.",
         tls_handshake_failures);
    line("timeouts_total", "counter", "Connections closed by a read, write or idle timeout.",
         timeouts);
    line("protocol_errors_total", "counter", "Unparsable or oversize HTTP requests.",
         protocol_errors);
    return out;
  }
};

}  // namespace skm::kms_service
