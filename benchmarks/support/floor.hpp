// SPDX-License-Identifier: BSD-3-Clause
// The arithmetic floor of an operation: its base-field products and squarings (counted) times the
// product and squaring time measured in the same run, next to the operation's own time. The
// difference is everything around the products (additions, copies, conversions, table scans,
// hashing, inversions, control). Needs SKM_COUNT_FIELD_OPS defined before any skm header.
#pragma once

#ifndef SKM_COUNT_FIELD_OPS
#error "floor.hpp needs SKM_COUNT_FIELD_OPS (define it before including skm headers)"
#endif

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include "skm/field/fp.hpp"
#include "timing.hpp"

namespace skm::bench {

struct op_count {
  std::uint64_t mul = 0, sqr = 0, inv = 0, scalar_products = 0;
};

/// Base-field products, squares and inversions, and scalar-field products, of one call of f.
template <class Curve>
[[nodiscard]] op_count count_ops(const std::function<void()>& f) {
  using base_field = typename Curve::base_field;
  using scalar_field = typename Curve::scalar_field;
  const field_op_counts b0 = base_field::counts, s0 = scalar_field::counts;
  f();
  const field_op_counts b1 = base_field::counts, s1 = scalar_field::counts;
  return {b1.mul - b0.mul, b1.sqr - b0.sqr, b1.inv - b0.inv, (s1.mul - s0.mul) + (s1.sqr - s0.sqr)};
}

/// Chains of products and of squarings, `length` per call so the harness's call overhead
/// vanishes: dependent (each result feeds the next, as bench_field measures them: the latency) and
/// four independent ones interleaved (what out-of-order execution overlaps: the throughput). An
/// operation whose products are independent can beat the latency floor, never the throughput one.
template <class F>
struct product_chain {
  static constexpr int length = 256;
  std::array<F, 4> x{}, y{};
  F b{};
  product_chain() {
    std::mt19937_64 rng(1);
    auto draw = [&rng] {
      typename F::uint_type v;
      for (auto& l : v.limb) l = rng();
      return F::reduce(v);
    };
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = y[i] = draw();
    b = draw();
  }
  void mul() {
    for (int i = 0; i < length; ++i) x[0] = x[0] * b;
    keep(x[0]);
  }
  void sqr() {
    for (int i = 0; i < length; ++i) y[0] = y[0].square();
    keep(y[0]);
  }
  void mul4() {
    for (int i = 0; i < length / 4; ++i)
      for (auto& v : x) v = v * b;
    keep(x);
  }
  void sqr4() {
    for (int i = 0; i < length / 4; ++i)
      for (auto& v : y) v = v.square();
    keep(y);
  }
};

using named_op = std::pair<const char*, std::function<void()>>;

/// Times ops interleaved with the base field's product and squaring chains; per op a timing row,
/// its COUNT line and its FLOOR line: floor_us = mul x mul_us + sqr x sqr_us with the chains'
/// latencies, floor_tput_us the same with their throughputs; share = floor / op time.
template <class Curve>
void floor_table(const char* set, const std::vector<named_op>& ops, int rounds, int calls) {
  using chain_type = product_chain<typename Curve::base_field>;
  chain_type chain;
  std::vector<std::function<void()>> fs;
  fs.reserve(ops.size() + 4);
  for (const auto& op : ops) fs.push_back(op.second);
  fs.emplace_back([&chain] { chain.mul(); });
  fs.emplace_back([&chain] { chain.sqr(); });
  fs.emplace_back([&chain] { chain.mul4(); });
  fs.emplace_back([&chain] { chain.sqr4(); });
  const auto s = interleaved(fs, rounds, calls);
  std::array<double, 4> t{};  // mul, sqr latency; mul, sqr throughput (us per product)
  for (std::size_t i = 0; i < t.size(); ++i)
    t[i] = s[ops.size() + i].median_us / chain_type::length;
  std::printf(
      "base-field product %.4f us, squaring %.4f us (dependent chains); %.4f, %.4f us "
      "(four independent chains); medians of the same rounds\n",
      t[0], t[1], t[2], t[3]);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const op_count c = count_ops<Curve>(ops[i].second);
    print_row(ops[i].first, s[i]);
    std::printf("COUNT set=\"%s\" op=%s mul=%llu sqr=%llu inv=%llu scalar_products=%llu\n", set,
                ops[i].first, static_cast<unsigned long long>(c.mul),
                static_cast<unsigned long long>(c.sqr), static_cast<unsigned long long>(c.inv),
                static_cast<unsigned long long>(c.scalar_products));
    const auto m = static_cast<double>(c.mul), q = static_cast<double>(c.sqr);
    const double floor_us = m * t[0] + q * t[1], floor_tput_us = m * t[2] + q * t[3];
    std::printf(
        "FLOOR set=\"%s\" op=%s op_us=%.1f floor_us=%.1f share=%.2f floor_tput_us=%.1f "
        "share_tput=%.2f\n",
        set, ops[i].first, s[i].median_us, floor_us, floor_us / s[i].median_us, floor_tput_us,
        floor_tput_us / s[i].median_us);
  }
}

}  // namespace skm::bench
