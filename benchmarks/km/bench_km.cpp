// SPDX-License-Identifier: BSD-3-Clause
// KMS issuing throughput: full user key sets (UID, RSK, SSK, PVT) per second on one thread and
// on every core. Issuing is independent per user, so the KMS scales with threads sharing one
// const skm_server. Prints, medians of rounds,
//   THROUGHPUT op=kms_issue threads=<n> per_s=<key sets per second>
// for bulk issuing (issue_check::consistency: the RSK decodes, RFC 6507 §5.1.2 holds), and
//   THROUGHPUT op=kms_issue_receiver_side_checked threads=<n> per_s=<...>
// for the default, which also makes the receiver's RFC 6508 §6.1.2 pairing check on every set;
// then where the time of one key set goes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "../support/timing.hpp"
#include "skm/km/skm_server.hpp"

namespace {

using namespace skm::km;
using clock_type = std::chrono::steady_clock;

[[noreturn]] void fail(const char* what) {
  (void)std::fprintf(stderr, "bench_km: %s failed\n", what);
  std::exit(1);
}

/// Key sets issued per second by `threads` threads for about `seconds` seconds.
double issue_rate(const skm_server& kms, std::uint64_t period, unsigned threads, double seconds,
                  issue_check check) {
  std::atomic<bool> stop{false};
  std::vector<std::uint64_t> issued(threads, 0);
  std::vector<std::thread> workers;
  const auto t0 = clock_type::now();
  for (unsigned t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      skm::os_random rng;
      std::string uri;
      for (std::uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        uri = "sip:user" + std::to_string(t) + "-" + std::to_string(i) + "@example.org";
        const auto set = kms.issue(uri, period, rng, check);
        if (!set) fail("issue");
        ++issued[t];
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(clock_type::now() - t0).count();
  std::uint64_t total = 0;
  for (auto n : issued) total += n;
  return static_cast<double>(total) / elapsed;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main() {
  skm::os_random rng;
  const auto kms = skm_server::generate({"kms.example.org", {2592000, 0}}, rng);
  if (!kms) fail("generate");
  const std::uint64_t period = 1500;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());

  std::vector<unsigned> thread_counts{1};
  if (cores > 1) thread_counts.push_back(cores);
  struct mode {
    const char* op;
    issue_check check;
    double seconds;
  };
  for (const mode m : {mode{"kms_issue", issue_check::consistency, 1.5},
                       mode{"kms_issue_receiver_side_checked", issue_check::receiver_side, 2.0}}) {
    std::vector<std::vector<double>> rates(thread_counts.size());
    (void)issue_rate(*kms, period, 1, 0.3, m.check);  // warm up tables and caches
    for (int round = 0; round < 3; ++round)
      for (std::size_t i = 0; i < thread_counts.size(); ++i)
        rates[i].push_back(issue_rate(*kms, period, thread_counts[i], m.seconds, m.check));
    std::vector<double> per_s;
    for (std::size_t i = 0; i < thread_counts.size(); ++i) {
      per_s.push_back(median(rates[i]));
      std::printf("THROUGHPUT op=%s threads=%u per_s=%.1f\n", m.op, thread_counts[i], per_s.back());
    }
    if (per_s.size() > 1)
      std::printf("%s scaling: %.2fx on %u threads (%.0f key sets/s per core)\n", m.op,
                  per_s[1] / per_s[0], thread_counts[1], per_s[1] / thread_counts[1]);
  }

  // Where one key set's time goes (the same steps as skm_server::issue, interleaved).
  const auto set = kms->issue("sip:alice@example.org", period, rng);
  if (!set) fail("issue");
  const auto secrets = kms->export_secrets();
  const auto sakke_kms = skm::sakke::kms<sakke_curve>::from_master_secret(secrets.z.span());
  const auto eccsi_kms = skm::eccsi::kms<>::from_ksak(secrets.ksak.span());
  if (!sakke_kms || !eccsi_kms) fail("restore");
  const auto s = skm::bench::interleaved(
      {
          [&] {
            skm::bench::keep(
                kms->issue("sip:alice@example.org", period, rng, issue_check::consistency));
          },
          [&] {
            skm::bench::keep(
                mikey_sakke_uid("sip:alice@example.org", "kms.example.org", {2592000, 0}, period));
          },
          [&] { skm::bench::keep(sakke_kms->issue_rsk(set->id)); },
          [&] { skm::bench::keep(eccsi_kms->issue(set->id, rng)); },
          [&] { skm::bench::keep(kms->check_key_set(*set)); },
          [&] { skm::bench::keep(check_ssk_pvt(kms->kpak(), set->id, set->ssk.span(), set->pvt)); },
      },
      5, 20);
  skm::bench::print_row("kms_issue: one key set (consistency check)", s[0]);
  skm::bench::print_row("  UID (TS 33.180 F.2.1 KDF)", s[1]);
  skm::bench::print_row("  SAKKE RSK [(b + z)^-1]P", s[2]);
  skm::bench::print_row("  ECCSI SSK and PVT", s[3]);
  skm::bench::print_row("  receiver-side check (all of check_key_set)", s[4]);
  skm::bench::print_row("  of which RFC 6507 5.1.2 (SSK, PVT)", s[5]);
  return 0;
}
