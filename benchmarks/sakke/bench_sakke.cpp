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
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "../../tests/sakke/sakke_test_params_512.hpp"
#include "../support/timing.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/pairing/gt_fixed_base.hpp"
#include "skm/pairing/line_table.hpp"
#include "skm/pairing/tate.hpp"
#include "skm/sakke/sakke.hpp"

#ifdef SKM_BENCH_WOLFSSL
// after skm/Crypto++: wolfSSL's macros clash with Crypto++ enumerator names
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sakke.h>
#endif

using skm::bench::interleaved;
using skm::bench::keep;
using skm::bench::print_ratio;
using skm::bench::print_row;
using curve = skm::curves::sakke_param_set_1;
using S = skm::sakke::scheme<curve>;
namespace sakke = skm::sakke;

// ---- a debug counter of multiplications -------------------------------------------------------
// Compiled with SKM_COUNT_FIELD_OPS, every fp<> type counts its products, squares and inversions
// (whichever kernel runs them): the count is stable where the clock is not.
namespace {

struct op_count {
  std::uint64_t mul = 0, sqr = 0, inv = 0, scalar_products = 0;
};

/// Base-field products, squares and inversions, and scalar-field products, of one call of f.
template <class Curve>
op_count count_ops(const std::function<void()>& f) {
  using base_field = typename Curve::base_field;
  using scalar_field = typename Curve::scalar_field;
  const skm::field_op_counts b0 = base_field::counts, s0 = scalar_field::counts;
  f();
  const skm::field_op_counts b1 = base_field::counts, s1 = scalar_field::counts;
  return {b1.mul - b0.mul, b1.sqr - b0.sqr, b1.inv - b0.inv, (s1.mul - s0.mul) + (s1.sqr - s0.sqr)};
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "bench_sakke: %s failed\n", what);
  std::exit(1);
}

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

  const std::vector<std::pair<const char*, std::function<void()>>> ops = {
      {"rsk_issue", [&] { keep(f.kms.issue_rsk(id_a)); }},
      {"rsk_validate", [&] { keep(sakke::validate_rsk(f.pk, id_a, f.rsk)); }},
      {"encapsulate_new_recipient",
       [&] { keep(sakke::encapsulate(f.pk, (alt = !alt) ? id_a : id_b, f.ssv)); }},
      {"encapsulate_cached", [&] { keep(sakke::encapsulate(f.to, f.ssv)); }},
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
  std::vector<std::function<void()>> fs;
  for (const auto& op : ops) fs.push_back(op.second);
  const auto s = interleaved(fs, rounds, 1);
  std::printf("== SAKKE on %s: skm (%zu-bit p, %zu-bit q; median of %d rounds) ==\n", set,
              Curve::base_field::bits, Curve::scalar_field::bits, rounds);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const op_count c = count_ops<Curve>(ops[i].second);
    print_row(ops[i].first, s[i]);
    std::printf("COUNT set=\"%s\" op=%s mul=%llu sqr=%llu inv=%llu scalar_products=%llu\n", set,
                ops[i].first, static_cast<unsigned long long>(c.mul),
                static_cast<unsigned long long>(c.sqr), static_cast<unsigned long long>(c.inv),
                static_cast<unsigned long long>(c.scalar_products));
  }
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

#ifdef SKM_BENCH_WOLFSSL
struct wolf {
  WC_RNG rng;
  SakkeKey kms;
  SakkeKey sender_new;     // no I table, identity alternates so I is recomputed every time
  SakkeKey sender_cached;  // I and its table cached
  SakkeKey receiver_cold;  // RSK without table
  SakkeKey receiver_warm;  // RSK table and I table
  ecc_point* rsk = wc_ecc_new_point();
  std::vector<byte> i_table, rsk_table;
  std::array<byte, 257> z{};
  bool has_tables = false;

  static void init(SakkeKey& k) {
    if (wc_InitSakkeKey_ex(&k, 128, ECC_SAKKE_1, nullptr, INVALID_DEVID) != 0)
      fail("wc_InitSakkeKey_ex");
  }
  explicit wolf(const std::array<std::uint8_t, 128>& master_secret) {
    if (wc_InitRng(&rng) != 0) fail("wc_InitRng");
    for (SakkeKey* k : {&kms, &sender_new, &sender_cached, &receiver_cold, &receiver_warm})
      init(*k);
    if (wc_ImportSakkePrivateKey(&kms, master_secret.data(), 128) != 0)
      fail("wc_ImportSakkePrivateKey");
    ecc_point* zp = wc_ecc_new_point();
    if (wc_MakeSakkePublicKey(&kms, zp) != 0) fail("wc_MakeSakkePublicKey");
    word32 sz = z.size();
    if (wc_EncodeSakkeRsk(&kms, zp, z.data(), &sz, 0) != 0) fail("encode Z");
    wc_ecc_del_point(zp);
    for (SakkeKey* k : {&sender_new, &sender_cached, &receiver_cold, &receiver_warm}) {
      if (wc_ImportSakkePublicKey(k, z.data(), z.size(), 0) != 0) fail("wc_ImportSakkePublicKey");
    }
    make_rsk();
    if (wc_SetSakkeRsk(&receiver_cold, rsk, nullptr, 0) != 0) fail("wc_SetSakkeRsk");
    // receiver_warm: RSK table and I table
    has_tables = build_rsk_table();
    if (wc_SetSakkeRsk(&receiver_warm, rsk, has_tables ? rsk_table.data() : nullptr,
                       rsk_table.size()) != 0)
      fail("wc_SetSakkeRsk table");
    set_i_table(receiver_warm);
    set_i_table(sender_cached);
  }
  ~wolf() {
    for (SakkeKey* k : {&kms, &sender_new, &sender_cached, &receiver_cold, &receiver_warm})
      wc_FreeSakkeKey(k);
    wc_ecc_del_point(rsk);
    wc_FreeRng(&rng);
  }
  void make_rsk() {
    if (wc_MakeSakkeRsk(&kms, id_a.data(), id_a.size(), rsk) != 0) fail("wc_MakeSakkeRsk");
  }
  void validate_rsk() {
    int valid = 0;
    if (wc_ValidateSakkeRsk(&receiver_cold, id_a.data(), id_a.size(), rsk, &valid) != 0 ||
        valid != 1)
      fail("wc_ValidateSakkeRsk");
  }
  // Builds without WOLFSSL_SP (Debian's: generic math) report a table length of 0: no tables.
  bool build_rsk_table() {
    word32 len = 0;
    wc_GenerateSakkeRskTable(&kms, rsk, nullptr, &len);
    rsk_table.resize(len);
    if (len == 0) return false;
    if (wc_GenerateSakkeRskTable(&kms, rsk, rsk_table.data(), &len) != 0)
      fail("wc_GenerateSakkeRskTable");
    return true;
  }
  void set_i_table(SakkeKey& k) {
    if (wc_MakeSakkePointI(&k, id_a.data(), id_a.size()) != 0) fail("wc_MakeSakkePointI");
    word32 len = 0;
    wc_GenerateSakkePointITable(&k, nullptr, &len);
    i_table.resize(len);
    if (len == 0) return;  // no table support in this build; I itself stays cached
    if (wc_GenerateSakkePointITable(&k, i_table.data(), &len) != 0)
      fail("wc_GenerateSakkePointITable");
    if (wc_SetSakkePointITable(&k, i_table.data(), len) != 0) fail("wc_SetSakkePointITable");
  }
  std::vector<byte> encapsulate(SakkeKey& k, const std::vector<std::uint8_t>& id) {
    if (wc_SetSakkeIdentity(&k, id.data(), id.size()) != 0) fail("wc_SetSakkeIdentity");
    std::vector<byte> out(257 + 16);
    std::array<byte, 16> ssv{};
    word16 ssv_sz = 16;
    if (wc_GenerateSakkeSSV(&k, &rng, ssv.data(), &ssv_sz) != 0) fail("wc_GenerateSakkeSSV");
    word16 r_sz = 257;
    if (wc_MakeSakkeEncapsulatedSSV(&k, WC_HASH_TYPE_SHA256, ssv.data(), 16, out.data(), &r_sz) !=
        0)
      fail("wc_MakeSakkeEncapsulatedSSV");
    std::memcpy(out.data() + 257, ssv.data(), 16);
    return out;
  }
  void decapsulate(SakkeKey& k, const std::vector<byte>& data) {
    if (wc_SetSakkeIdentity(&k, id_a.data(), id_a.size()) != 0) fail("wc_SetSakkeIdentity");
    std::array<byte, 16> ssv;
    std::memcpy(ssv.data(), data.data() + 257, 16);
    if (wc_DeriveSakkeSSV(&k, WC_HASH_TYPE_SHA256, ssv.data(), 16, data.data(), 257) != 0)
      fail("wc_DeriveSakkeSSV");
  }
};
#endif

}  // namespace

int main() {
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
  wolf w(kms.export_master_secret());
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
    const auto s = interleaved(
        {[&] { keep(sakke::decapsulate_with_unvalidated_rsk(pk, id_a, rsk, data_v)); },
         [&] { w.decapsulate(w.receiver_cold, wolf_data); }, [&] { keep(rec.decapsulate(data_v)); },
         [&] { w.decapsulate(w.receiver_warm, wolf_data); }},
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
                                [&] { w.decapsulate(w.receiver_warm, wolf_data); }},
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
