// SPDX-License-Identifier: BSD-3-Clause
// A small timing harness for skm's benchmarks: several rounds, each timing a batch of calls,
// reported as median and min-max microseconds per call. Peers measured in the same run are
// interleaved round by round (skm, peer, skm, peer, ...) so that drifts hit both alike.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace skm::bench {

struct stats {
  double median_us = 0, min_us = 0, max_us = 0;
};

inline stats summarize(std::vector<double> per_call_us) {
  std::sort(per_call_us.begin(), per_call_us.end());
  const std::size_t n = per_call_us.size();
  const double median =
      n % 2 ? per_call_us[n / 2] : (per_call_us[n / 2 - 1] + per_call_us[n / 2]) / 2;
  return {median, per_call_us.front(), per_call_us.back()};
}

/// Time `calls` invocations of f, return microseconds per call.
inline double time_batch(const std::function<void()>& f, int calls) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) f();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / calls;
}

/// Measure several functions interleaved: each round times one batch of each, in order.
inline std::vector<stats> interleaved(const std::vector<std::function<void()>>& fs, int rounds,
                                      int calls) {
  std::vector<std::vector<double>> samples(fs.size());
  for (auto& f : fs) f();  // warm up caches and lazy initialisation
  for (int r = 0; r < rounds; ++r)
    for (std::size_t i = 0; i < fs.size(); ++i) samples[i].push_back(time_batch(fs[i], calls));
  std::vector<stats> out;
  out.reserve(samples.size());
  for (auto& s : samples) out.push_back(summarize(std::move(s)));
  return out;
}

inline void print_row(const std::string& label, const stats& s) {
  std::printf("%-44s median %10.3f us   min %10.3f   max %10.3f\n", label.c_str(), s.median_us,
              s.min_us, s.max_us);
}

inline void print_ratio(const std::string& op, const std::string& peer, const stats& skm,
                        const stats& other) {
  std::printf("RATIO op=%s peer=%s skm_us=%.3f peer_us=%.3f ratio=%.3f\n", op.c_str(), peer.c_str(),
              skm.median_us, other.median_us, skm.median_us / other.median_us);
}

/// Keeps the optimizer from deleting a computation whose result is otherwise unused.
template <class T>
inline void keep(const T& v) {
  __asm__ __volatile__("" : : "g"(&v) : "memory");
}

}  // namespace skm::bench
