// SPDX-License-Identifier: BSD-3-Clause
// SAKKE (RFC 6508): per parameter set (curve traits) a table of skm timings and field-operation
// counts; for parameter set 1 also skm against Debian's wolfSSL, the same operations through its
// SAKKE API, interleaved round by round and printed as RATIO lines; plus the pairing building
// blocks on their own. Keep a full run under about two minutes.
// Field operation counters (thread-local, per field type): compiled in for this benchmark only.
#define SKM_COUNT_FIELD_OPS 1

#include <gmp.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../../tests/sakke/sakke_test_params_512.hpp"
#include "../support/floor.hpp"
#include "../support/timing.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/pairing/gt_fixed_base.hpp"
#include "skm/pairing/line_table.hpp"
#include "skm/pairing/tate.hpp"
#include "skm/sakke/sakke.hpp"

#ifdef SKM_BENCH_WOLFSSL
#include "wolfssl_sakke.hpp"  // after skm/Crypto++
#endif

using skm::bench::interleaved;
using skm::bench::keep;
using skm::bench::print_ratio;
using skm::bench::print_row;
using curve = skm::curves::sakke_param_set_1;
using S = skm::sakke::scheme<curve>;
namespace sakke = skm::sakke;

namespace {

const std::vector<std::uint8_t> id_a = {'2', '0', '1', '1', '-', '0', '2', 0,   't',
                                        'e', 'l', ':', '+', '4', '4', '7', '7', '0',
                                        '0', '9', '0', '0', '1', '2', '3', 0};
const std::vector<std::uint8_t> id_b = {'2', '0', '1', '1', '-', '0', '2', 0,   't',
                                        'e', 'l', ':', '+', '4', '4', '7', '7', '0',
                                        '0', '9', '0', '0', '4', '5', '6', 0};

/// One KMS, a receiver and a cached recipient for id_a, one encapsulation to it, and the pairing
/// inputs derived from them: what every SAKKE measurement of a parameter set starts from.
template <class Curve>
struct fixture {
  using Sc = sakke::scheme<Curve>;
  fixture() = default;
  fixture(const fixture&) = delete;  // pk refers to this object's kms
  fixture& operator=(const fixture&) = delete;

  skm::os_random rng;
  sakke::kms<Curve> kms = sakke::kms<Curve>::generate(rng);
  const sakke::kms_public_key<Curve>& pk = kms.public_key();
  skm::ec::affine_point<Curve> rsk = kms.issue_rsk(id_a).value();
  sakke::receiver<Curve> rec = sakke::receiver<Curve>::create(pk, id_a, rsk).value();
  sakke::receiver<Curve, 0> rec_no_i_table =
      sakke::receiver<Curve, 0>::create(pk, id_a, rsk).value();  // TEST from shared tables
  sakke::recipient<Curve> to = sakke::recipient<Curve>::create(pk, id_a).value();
  typename Sc::ssv_type ssv = [this] {
    typename Sc::ssv_type v{};
    rng.GenerateBlock(v.data(), v.size());
    return v;
  }();
  typename Sc::encapsulated_type data = sakke::encapsulate(to, ssv).value();
  std::vector<std::uint8_t> data_v{data.begin(), data.end()};
  skm::pairing::affine<typename Sc::Fp> k_c = Sc::coords(rsk);
  skm::pairing::affine<typename Sc::Fp> r_c = Sc::coords(
      skm::ec::decode_uncompressed<Curve>(
          std::span<const std::uint8_t>(data).first(Sc::point_bytes), skm::ec::subgroup_check::skip)
          .value());
  skm::pairing::line_table<Curve> lines = skm::pairing::line_table<Curve>::precompute(k_c);
};

/// skm's SAKKE operations on one parameter set (curve traits): medians and field-operation
/// counts. Adding a parameter set to the benchmark is one call in main().
template <class Curve>
void parameter_set_table(const fixture<Curve>& f, const char* set, int rounds) {
  bool alt = false;
  // A group key to 64 new recipients at once, as the GMS batches its members (km/gms.hpp).
  std::vector<std::vector<std::uint8_t>> members;
  for (int i = 0; i < 64; ++i) {
    members.push_back(id_a);
    members.back()[members.back().size() - 2] = static_cast<std::uint8_t>('A' + i);
  }
  const std::vector<std::span<const std::uint8_t>> member_ids(members.begin(), members.end());

  const std::vector<skm::bench::named_op> ops = {
      {"rsk_issue", [&] { keep(f.kms.issue_rsk(id_a)); }},
      {"rsk_validate", [&] { keep(sakke::validate_rsk(f.pk, id_a, f.rsk)); }},
      {"encapsulate_new_recipient",
       [&] { keep(sakke::encapsulate(f.pk, (alt = !alt) ? id_a : id_b, f.ssv)); }},
      {"encapsulate_cached", [&] { keep(sakke::encapsulate(f.to, f.ssv)); }},
      {"encapsulate_batch_of_64_new_recipients",
       [&] { keep(sakke::encapsulate_batch(f.pk, member_ids, f.ssv)); }},
      {"decapsulate_cold",
       [&] { keep(sakke::decapsulate_with_unvalidated_rsk(f.pk, id_a, f.rsk, f.data_v)); }},
      {"decapsulate_warm", [&] { keep(f.rec.decapsulate(f.data_v)); }},
      {"receiver_table_build", [&] { keep(sakke::receiver<Curve>::create(f.pk, id_a, f.rsk)); }},
      {"decapsulate_warm_no_i_table", [&] { keep(f.rec_no_i_table.decapsulate(f.data_v)); }},
      {"receiver_build_no_i_table",
       [&] { keep(sakke::receiver<Curve, 0>::create(f.pk, id_a, f.rsk)); }},
      {"pairing_no_table", [&] { keep(skm::pairing::tate<Curve>::pair(f.k_c, f.r_c)); }},
      {"pairing_table", [&] { keep(f.lines.pair(f.r_c)); }},
      {"line_table_build", [&] { keep(skm::pairing::line_table<Curve>::precompute(f.k_c)); }},
  };
  std::printf("== SAKKE on %s: skm (%zu-bit p, %zu-bit q; median of %d rounds) ==\n", set,
              Curve::base_field::bits, Curve::scalar_field::bits, rounds);
  skm::bench::floor_table<Curve>(set, ops, rounds, 1);
}

/// Parameter set 1 with its base field pinned to the ADX kernels (what the dispatch picks on CPUs
/// without AVX-512 IFMA): a traits struct like any user's, for the same-run before/after of the
/// IFMA kernels.
struct set1_adx_kernels : skm::curves::sakke_param_set_1 {
  struct base_field_params : skm::curves::sakke_param_set_1::base_field_params {
    struct kernel {
      static constexpr auto modulus = skm::curves::sakke_param_set_1::p;
      static constexpr skm::limb_t m_inv = skm::montgomery::neg_inverse_mod_2_64(modulus.limb[0]);
      static constexpr void mul(skm::uint<16>& out, const skm::uint<16>& a,
                                const skm::uint<16>& b) noexcept {
        if (std::is_constant_evaluated()) {
          skm::montgomery::mul_cios(out, a, b, modulus, m_inv);
        } else {
          skm::montgomery::mul_adx(out, a, b, modulus, m_inv);
        }
      }
      static constexpr void sqr(skm::uint<16>& out, const skm::uint<16>& a) noexcept {
        if (std::is_constant_evaluated()) {
          skm::montgomery::mul_cios(out, a, a, modulus, m_inv);
        } else {
          skm::montgomery::sqr_adx(out, a, modulus, m_inv);
        }
      }
    };
  };
  using base_field = skm::fp<base_field_params>;
};

/// The dispatched kernels (IFMA here) against the ADX ones on the pairing-bound operations,
/// interleaved round by round in one process.
void ifma_before_after(const fixture<curve>& f, int rounds) {
  std::printf(
      "== parameter set 1: dispatched field kernels (%s) vs ADX kernels, same run ==\n",
      skm::montgomery::ifma_kernel_available<16>() ? "AVX-512 IFMA" : "not IFMA on this CPU");
  if (!skm::montgomery::adx_kernel_available<16>()) {
    std::printf("SKIPPED: this CPU lacks BMI2/ADX\n");
    return;
  }
  const fixture<set1_adx_kernels> g;
  const std::vector<std::pair<const char*, std::array<std::function<void()>, 2>>> ops = {
      {"rsk_validate",
       {[&] { keep(sakke::validate_rsk(f.pk, id_a, f.rsk)); },
        [&] { keep(sakke::validate_rsk(g.pk, id_a, g.rsk)); }}},
      {"decapsulate_cold",
       {[&] { keep(sakke::decapsulate_with_unvalidated_rsk(f.pk, id_a, f.rsk, f.data_v)); },
        [&] { keep(sakke::decapsulate_with_unvalidated_rsk(g.pk, id_a, g.rsk, g.data_v)); }}},
      {"decapsulate_warm",
       {[&] { keep(f.rec.decapsulate(f.data_v)); }, [&] { keep(g.rec.decapsulate(g.data_v)); }}},
      {"encapsulate_cached",
       {[&] { keep(sakke::encapsulate(f.to, f.ssv)); },
        [&] { keep(sakke::encapsulate(g.to, g.ssv)); }}},
  };
  for (const auto& op : ops) {
    const auto s = interleaved({op.second[0], op.second[1]}, rounds, 1);
    print_row(std::string(op.first) + ": dispatched kernels", s[0]);
    print_row(std::string(op.first) + ": ADX kernels", s[1]);
    print_ratio(op.first, "adx_kernels", s[0], s[1]);
  }
}

int bench_sakke() {
  const fixture<curve> f;  // parameter set 1: the comparison with wolfSSL and its own table below
  const auto& kms = f.kms;
  const auto& pk = f.pk;
  const auto& rsk = f.rsk;
  const auto& rec = f.rec;
  const auto& to = f.to;
  const auto& ssv = f.ssv;
  const auto& data_v = f.data_v;
  const auto& k_c = f.k_c;
  const auto& r_c = f.r_c;
  const auto& lines = f.lines;
  const auto r_scalar = S::derive_r(ssv, id_a);
  (void)S::g_table();

  constexpr int rounds = 7;
  std::printf("== pairing building blocks, parameter set 1 (median of %d rounds) ==\n", rounds);
  using params = skm::pairing::pairing_params<curve>;
  std::printf(
      "Miller loop schedules: with table %zu doublings + %zu additions (NAF of q-1); without %zu + %zu (width-%u windows)\n",
      params::doublings, params::additions, params::cold_doublings, params::cold_additions,
      params::cold_window);
  {
    const auto s =
        interleaved({[&] { keep(skm::pairing::tate<curve>::pair(k_c, r_c)); },
                     [&] { keep(skm::pairing::tate<curve>::miller_loop(k_c, r_c)); },
                     [&] { keep(lines.pair(r_c)); }, [&] { keep(lines.miller_loop(r_c)); },
                     [&] { keep(S::g_table().pow(r_scalar)); }, [&] { keep(S::g().inverse()); },
                     [&] { keep(S::g().inverse_vartime()); }, [&] { keep(S::g() * S::g()); }},
                    rounds, 3);
    print_row("pairing, no table", s[0]);
    print_row("  Miller loop only", s[1]);
    print_row("pairing with line table", s[2]);
    print_row("  Miller loop only", s[3]);
    print_row("g^r, fixed-base table (projective)", s[4]);
    print_row("F_p inverse, constant time", s[5]);
    print_row("F_p inverse, vartime", s[6]);
    print_row("F_p multiplication", s[7]);
  }
  {
    const auto s =
        interleaved({[&] { keep(skm::pairing::line_table<curve>::precompute(k_c)); },
                     [&] { keep(skm::ec::fixed_base_table<curve>(to.identity_point())); }},
                    3, 1);
    print_row("line table build", s[0]);
    print_row("fixed-base point table build (I)", s[1]);
  }

  std::printf("== SAKKE, parameter set 1, skm vs Debian wolfSSL (median of rounds) ==\n");
#ifdef SKM_BENCH_WOLFSSL
  skm::bench::wolf_sakke w(kms.export_master_secret(), id_a);
  std::printf("wolfSSL %s RSK/I tables (its warm path is its cold path without them)\n",
              w.has_tables ? "has" : "has no");
  const auto wolf_data = w.encapsulate(w.sender_cached, id_a);
  {
    const auto s =
        interleaved({[&] { keep(kms.issue_rsk(id_a)); }, [&] { w.make_rsk(); }}, rounds, 1);
    print_row("KMS RSK issuing: skm", s[0]);
    print_row("KMS RSK issuing: wolfSSL", s[1]);
    print_ratio("rsk_issue", "wolfssl", s[0], s[1]);
  }
  {
    const auto s = interleaved(
        {[&] { keep(sakke::validate_rsk(pk, id_a, rsk)); }, [&] { w.validate_rsk(); }}, rounds, 1);
    print_row("RSK validation: skm", s[0]);
    print_row("RSK validation: wolfSSL", s[1]);
    print_ratio("rsk_validate", "wolfssl", s[0], s[1]);
  }
  {
    bool alt = false;
    const auto s =
        interleaved({[&] { keep(sakke::encapsulate(pk, (alt = !alt) ? id_a : id_b, ssv)); },
                     [&] { keep(w.encapsulate(w.sender_new, (alt = !alt) ? id_a : id_b)); },
                     [&] { keep(sakke::encapsulate(to, ssv)); },
                     [&] { keep(w.encapsulate(w.sender_cached, id_a)); }},
                    rounds, 2);
    print_row("encapsulate, new recipient: skm", s[0]);
    print_row("encapsulate, new recipient: wolfSSL", s[1]);
    print_row("encapsulate, cached recipient: skm", s[2]);
    print_row("encapsulate, cached I + table: wolfSSL", s[3]);
    print_ratio("encapsulate_new_recipient", "wolfssl", s[0], s[1]);
    print_ratio("encapsulate_cached", "wolfssl", s[2], s[3]);
  }
  {
    const auto s =
        interleaved({[&] { keep(sakke::decapsulate_with_unvalidated_rsk(pk, id_a, rsk, data_v)); },
                     [&] { keep(w.decapsulate(w.receiver_cold, wolf_data)); },
                     [&] { keep(rec.decapsulate(data_v)); },
                     [&] { keep(w.decapsulate(w.receiver_warm, wolf_data)); }},
                    rounds, 1);
    print_row("decapsulate cold (no tables): skm", s[0]);
    print_row("decapsulate cold (no tables): wolfSSL", s[1]);
    print_row("decapsulate warm (receiver context): skm", s[2]);
    print_row("decapsulate warm (RSK + I tables): wolfSSL", s[3]);
    print_ratio("decapsulate_cold", "wolfssl", s[0], s[1]);
    print_ratio("decapsulate_warm", "wolfssl", s[2], s[3]);
  }
  {
    // The target compares skm's receiver build with one wolfSSL decapsulation (peer_us below).
    const auto s = interleaved({[&] { keep(sakke::receiver<curve>::create(pk, id_a, rsk)); },
                                [&] { keep(w.decapsulate(w.receiver_warm, wolf_data)); }},
                               3, 1);
    print_row("receiver context build (validate + tables): skm", s[0]);
    print_row("one decapsulation: wolfSSL", s[1]);
    print_ratio("receiver_table_build", "wolfssl_decapsulate", s[0], s[1]);
    if (w.has_tables) {
      const auto t = interleaved({[&] { w.build_rsk_table(); }}, 1, 1);
      print_row("RSK table build: wolfSSL", t[0]);
    }
  }
#else
  std::printf("wolfSSL not found: no comparison (RATIO lines need libwolfssl-dev)\n");
  const auto s = interleaved(
      {[&] { keep(kms.issue_rsk(id_a)); }, [&] { keep(sakke::validate_rsk(pk, id_a, rsk)); },
       [&] { keep(sakke::encapsulate(pk, id_a, ssv)); }, [&] { keep(sakke::encapsulate(to, ssv)); },
       [&] { keep(sakke::decapsulate_with_unvalidated_rsk(pk, id_a, rsk, data_v)); },
       [&] { keep(rec.decapsulate(data_v)); }},
      rounds, 1);
  print_row("KMS RSK issuing", s[0]);
  print_row("RSK validation", s[1]);
  print_row("encapsulate, new recipient", s[2]);
  print_row("encapsulate, cached recipient", s[3]);
  print_row("decapsulate cold", s[4]);
  print_row("decapsulate warm", s[5]);
#endif

  ifma_before_after(f, rounds);

  // One line per parameter set (the traits are all a set needs).
  parameter_set_table(f, "parameter set 1", rounds);
  parameter_set_table(fixture<skm_test::sakke_test_params_512>{}, "test set 512", rounds);
  return 0;
}

}  // namespace

int main() {
  // An exception is a failure reported as such, not a std::terminate.
  try {
    return bench_sakke();
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "bench_sakke: %s\n", e.what());
    return 1;
  }
}
