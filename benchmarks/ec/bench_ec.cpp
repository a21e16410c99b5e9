// SPDX-License-Identifier: BSD-3-Clause
// The ec layer's building blocks on P-256 and on the 1024-bit SAKKE curve: field operations they
// rest on, point formulas, and every scalar multiplication flavour.
#include <cstdio>
#include <random>

#include "../support/timing.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/ec/ec.hpp"

using skm::bench::interleaved;
using skm::bench::keep;
using skm::bench::print_row;
namespace ec = skm::ec;

namespace {

template <class Curve>
void bench_curve(const char* name, int rounds, int calls, int mul_calls) {
  using F = typename Curve::base_field;
  using S = typename ec::curve_facts<Curve>::scalar;
  std::mt19937_64 rng(1);
  auto random_scalar = [&] {
    S k;
    for (auto& l : k.limb) l = rng();
    return skm::mod_vartime(k, Curve::q);
  };
  const auto g = ec::generator<Curve>();
  const S k1 = random_scalar(), k2 = random_scalar();
  const auto p = ec::to_affine(ec::mul(g, k1));
  const auto pj = ec::to_jacobian(p);
  const auto qj = ec::mul(g, k2);
  F x = p.x;

  std::printf("\n== %s ==\n", name);
  {
    const auto s = interleaved(
        {[&] { x = x * p.y; }, [&] { x = x.square(); }, [&] { x = x + p.y; }, [&] { x = x - p.y; },
         [&] { keep(x.inverse()); }, [&] { keep(x.inverse_vartime()); }},
        rounds, calls * 10);
    print_row("field mul", s[0]);
    print_row("field square", s[1]);
    print_row("field add", s[2]);
    print_row("field sub", s[3]);
    print_row("field inverse (constant time)", s[4]);
    print_row("field inverse (vartime)", s[5]);
  }
  {
    const auto s = interleaved(
        {[&] { keep(ec::dbl(qj)); }, [&] { keep(ec::add(qj, pj)); }, [&] { keep(ec::add(qj, p)); },
         [&] { keep(ec::add_vartime(qj, p)); }, [&] { keep(ec::to_affine(qj)); }},
        rounds, calls);
    print_row("dbl (Jacobian)", s[0]);
    print_row("add, complete (Jacobian + Jacobian)", s[1]);
    print_row("add, complete (Jacobian + affine)", s[2]);
    print_row("add_vartime (Jacobian + affine)", s[3]);
    print_row("to_affine (constant time)", s[4]);
  }
  const auto& table = ec::generator_table<Curve>();
  {
    const auto s =
        interleaved({[&] { keep(ec::mul(p, k2)); }, [&] { keep(table.mul(k2)); },
                     [&] { keep(table.mul_vartime(k2)); }, [&] { keep(ec::mul_vartime(p, k2)); },
                     [&] { keep(ec::double_mul_vartime(g, k1, p, k2)); }},
                    rounds, mul_calls);
    print_row("mul (constant time, variable base)", s[0]);
    print_row("fixed-base table mul (constant time)", s[1]);
    print_row("fixed-base table mul_vartime", s[2]);
    print_row("mul_vartime (wNAF)", s[3]);
    print_row("double_mul_vartime", s[4]);
  }
  {
    const auto s =
        interleaved({[&] { keep(ec::fixed_base_table<Curve>(p).memory_bytes()); }}, 3, 1);
    print_row("fixed_base_table build", s[0]);
    std::printf("  (window %u, %zu KB)\n", ec::fixed_base_table<Curve>::window,
                table.memory_bytes() / 1024);
  }
}

}  // namespace

int main() {
  bench_curve<skm::curves::p256>("NIST P-256", 11, 200, 20);
  bench_curve<skm::curves::sakke_param_set_1>("RFC 6509 parameter set 1 (1024-bit p)", 5, 10, 1);
  return 0;
}
