// SPDX-License-Identifier: BSD-3-Clause
// skm against wolfSSL built with its single-precision maths and x86-64 assembly (sp_1024 for
// SAKKE parameter set 1, sp_256 for ECCSI on P-256), in one process: RATIO lines with
// peer=wolfssl_sp_asm, wolfSSL's RSK and point-I tables on its warm paths. Built only when
// SKM_WOLFSSL_SOURCE names a wolfSSL source at configure time (scripts/build-wolfssl-peer); a
// separate executable because bench_sakke links Debian's libwolfssl and two wolfSSLs clash.
// Before timing, keys and signatures cross between the two (otherwise a ratio could compare
// different work), and a build without SP tables is refused.
#include <cryptopp/osrng.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "../support/timing.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/eccsi/eccsi.hpp"
#include "skm/pairing/line_table.hpp"
#include "skm/pairing/tate.hpp"
#include "skm/sakke/sakke.hpp"
#include "wolfssl_sakke.hpp"  // after skm/Crypto++
#include "wolfssl_sp_peer.h"  // generated: the peer's configure options

#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/sp.h>

#if !defined(WOLFSSL_SP_1024) || !defined(WOLFSSL_SP_X86_64_ASM) || !defined(WOLFSSL_HAVE_SP_ECC)
#error "the wolfSSL peer must be built with SP maths and its x86-64 assembly"
#endif

using skm::bench::interleaved;
using skm::bench::keep;
using skm::bench::print_row;
using skm::bench::wolfssl_failed;
using curve = skm::curves::sakke_param_set_1;
using S = skm::sakke::scheme<curve>;
namespace sakke = skm::sakke;
namespace eccsi = skm::eccsi;

namespace {

constexpr const char* peer = "wolfssl_sp_asm";
constexpr int rounds = 9;

[[noreturn]] void fail(const char* what) {
  (void)std::fprintf(stderr, "bench_sakke_wolfssl_sp: %s\n", what);
  std::exit(1);
}

void ratio(const char* op, const skm::bench::stats& skm_s, const skm::bench::stats& peer_s) {
  skm::bench::print_ratio(op, peer, skm_s, peer_s);
}

/// Times a pair interleaved, prints both rows and the RATIO line.
void compare(const char* op, const std::string& what, const std::function<void()>& skm_f,
             const std::function<void()>& peer_f, int n_rounds, int calls) {
  const auto s = interleaved({skm_f, peer_f}, n_rounds, calls);
  print_row(what + ": skm", s[0]);
  print_row(what + ": wolfSSL sp-asm", s[1]);
  ratio(op, s[0], s[1]);
}

const std::vector<std::uint8_t> id_a = {'2', '0', '1', '1', '-', '0', '2', 0,   't',
                                        'e', 'l', ':', '+', '4', '4', '7', '7', '0',
                                        '0', '9', '0', '0', '1', '2', '3', 0};
const std::vector<std::uint8_t> id_b = {'2', '0', '1', '1', '-', '0', '2', 0,   't',
                                        'e', 'l', ':', '+', '4', '4', '7', '7', '0',
                                        '0', '9', '0', '0', '4', '5', '6', 0};

template <class A, class B>
[[nodiscard]] bool same_bytes(const A& a, const B& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end());
}

/// skm's side of parameter set 1: a KMS, the RSK of id_a, a receiver and a recipient, one
/// encapsulation, and the pairing inputs.
struct skm_side {
  skm::os_random rng;
  sakke::kms<curve> kms = sakke::kms<curve>::generate(rng);
  const sakke::kms_public_key<curve>& pk = kms.public_key();
  skm::ec::affine_point<curve> rsk = kms.issue_rsk(id_a).value();
  sakke::receiver<curve> rec = sakke::receiver<curve>::create(pk, id_a, rsk).value();
  sakke::recipient<curve> to = sakke::recipient<curve>::create(pk, id_a).value();
  S::ssv_type ssv = [this] {
    S::ssv_type v{};
    rng.GenerateBlock(v.data(), v.size());
    return v;
  }();
  std::vector<std::uint8_t> data = [this] {
    const auto d = sakke::encapsulate(to, ssv).value();
    return std::vector<std::uint8_t>(d.begin(), d.end());
  }();
  skm::pairing::affine<S::Fp> k_c = S::coords(rsk);
  skm::pairing::affine<S::Fp> r_c = S::coords(
      skm::ec::decode_uncompressed<curve>(std::span<const std::uint8_t>(data).first(S::point_bytes),
                                          skm::ec::subgroup_check::skip)
          .value());
  skm::pairing::line_table<curve> lines = skm::pairing::line_table<curve>::precompute(k_c);

  skm_side() = default;
  skm_side(const skm_side&) = delete;  // pk refers to this object's kms
  skm_side& operator=(const skm_side&) = delete;
};

/// wolfSSL's pairing on the RSK and R (the point of skm's encapsulation), with and without its
/// RSK table: sp_Pairing_1024 and sp_Pairing_precomp_1024, what wc_DeriveSakkeSSV calls.
struct wolf_pairing {
  ecc_point* r = wc_ecc_new_point();
  mp_int res{};
  explicit wolf_pairing(const skm::bench::wolf_sakke& w, const std::vector<std::uint8_t>& data) {
    if (r == nullptr || mp_init(&res) != MP_OKAY) wolfssl_failed("pairing setup");
    if (wc_DecodeSakkeRsk(&w.kms, data.data(), skm::bench::wolf_sakke::r_bytes, r) != 0)
      wolfssl_failed("decode R");
  }
  wolf_pairing(const wolf_pairing&) = delete;
  wolf_pairing& operator=(const wolf_pairing&) = delete;
  ~wolf_pairing() {
    mp_free(&res);
    wc_ecc_del_point(r);
  }
  void pair(const skm::bench::wolf_sakke& w) {
    if (sp_Pairing_1024(w.rsk, r, &res) != 0) wolfssl_failed("sp_Pairing_1024");
  }
  void pair_table(const skm::bench::wolf_sakke& w) {
    if (sp_Pairing_precomp_1024(w.rsk, r, &res, w.rsk_table.data(), w.rsk_table.size()) != 0)
      wolfssl_failed("sp_Pairing_precomp_1024");
  }
};

/// The peer must be the SP build with tables, and the two must agree on keys and SSVs.
void sakke_guard(const skm_side& s, skm::bench::wolf_sakke& w) {
  if (!w.has_tables || w.rsk_table.empty() || w.i_table.empty())
    fail("wolfSSL reports no RSK/I tables: not an SP build, refusing to report it as the peer");
  std::printf("wolfSSL table sizes: RSK %zu bytes, point I %zu bytes\n", w.rsk_table.size(),
              w.i_table.size());
  if (!same_bytes(skm::ec::encode_uncompressed(s.rsk).value(), w.rsk_bytes()))
    fail("guard: the two KMSs issue different RSKs");
  for (SakkeKey* k : {&w.receiver_cold, &w.receiver_warm}) {
    if (!same_bytes(w.decapsulate(*k, s.data), s.ssv))
      fail("guard: wolfSSL decapsulates skm's encapsulation to another SSV");
  }
  skm::bench::wolf_sakke::ssv_type wolf_ssv{};
  for (SakkeKey* k : {&w.sender_new, &w.sender_cached}) {
    const auto data = w.encapsulate(*k, id_a, &wolf_ssv);
    const auto got = s.rec.decapsulate(data);
    const auto got_cold = sakke::decapsulate_with_unvalidated_rsk(s.pk, id_a, s.rsk, data);
    if (!got || !got_cold || !same_bytes(*got, wolf_ssv) || !same_bytes(*got_cold, wolf_ssv))
      fail("guard: skm does not decapsulate wolfSSL's encapsulation to its SSV");
  }
  // The two wolfSSL pairings agree with each other (their output is not skm's representation).
  wolf_pairing p(w, s.data);
  p.pair(w);
  mp_int plain;
  if (mp_init(&plain) != MP_OKAY || mp_copy(&p.res, &plain) != MP_OKAY) wolfssl_failed("mp_copy");
  p.pair_table(w);
  if (mp_cmp(&plain, &p.res) != MP_EQ)
    fail("guard: wolfSSL's pairings with and without table differ");
  mp_free(&plain);
  std::puts("guard: RSKs equal, SSVs cross both ways (cold and warm), wolfSSL pairings agree");
}

void sakke_key_ops(const skm_side& s, skm::bench::wolf_sakke& w) {
  compare(
      "rsk_issue", "KMS RSK issuing", [&] { keep(s.kms.issue_rsk(id_a)); }, [&] { w.make_rsk(); },
      rounds, 1);
  compare(
      "rsk_validate", "RSK validation", [&] { keep(sakke::validate_rsk(s.pk, id_a, s.rsk)); },
      [&] { w.validate_rsk(); }, rounds, 1);
  bool alt = false;
  const auto e =
      interleaved({[&] { keep(sakke::encapsulate(s.pk, (alt = !alt) ? id_a : id_b, s.ssv)); },
                   [&] { keep(w.encapsulate(w.sender_new, (alt = !alt) ? id_a : id_b)); },
                   [&] { keep(sakke::encapsulate(s.to, s.ssv)); },
                   [&] { keep(w.encapsulate(w.sender_cached, id_a)); }},
                  rounds, 2);
  print_row("encapsulate, new recipient: skm", e[0]);
  print_row("encapsulate, new recipient: wolfSSL sp-asm", e[1]);
  print_row("encapsulate, cached recipient: skm", e[2]);
  print_row("encapsulate, cached I + I table: wolfSSL sp-asm", e[3]);
  ratio("encapsulate_new_recipient", e[0], e[1]);
  ratio("encapsulate_cached", e[2], e[3]);
}

void sakke_decapsulation(const skm_side& s, skm::bench::wolf_sakke& w) {
  const auto wolf_data = w.encapsulate(w.sender_cached, id_a);
  const auto d = interleaved(
      {[&] { keep(sakke::decapsulate_with_unvalidated_rsk(s.pk, id_a, s.rsk, s.data)); },
       [&] { keep(w.decapsulate(w.receiver_cold, wolf_data)); },
       [&] { keep(s.rec.decapsulate(s.data)); },
       [&] { keep(w.decapsulate(w.receiver_warm, wolf_data)); }},
      rounds, 1);
  print_row("decapsulate cold (no tables): skm", d[0]);
  print_row("decapsulate cold (no tables): wolfSSL sp-asm", d[1]);
  print_row("decapsulate warm (receiver context): skm", d[2]);
  print_row("decapsulate warm (RSK + I tables): wolfSSL sp-asm", d[3]);
  ratio("decapsulate_cold", d[0], d[1]);
  ratio("decapsulate_warm", d[2], d[3]);
  // skm's receiver build validates the RSK and builds the line table and I table; wolfSSL's
  // counterpart here is the same work through its API: validation, RSK table, I and I table.
  compare(
      "receiver_build", "receiver build (validate + RSK/line table + I table)",
      [&] { keep(sakke::receiver<curve>::create(s.pk, id_a, s.rsk)); },
      [&] {
        w.validate_rsk();
        keep(w.build_rsk_table());
        w.set_i_table(w.receiver_warm);
      },
      3, 1);
  compare(
      "rsk_table_build", "RSK pairing table (skm line table)",
      [&] { keep(skm::pairing::line_table<curve>::precompute(s.k_c)); },
      [&] { keep(w.build_rsk_table()); }, 3, 1);
  compare(
      "recipient_build", "recipient: point I and its table",
      [&] { keep(sakke::recipient<curve>::create(s.pk, id_a)); },
      [&] { w.set_i_table(w.sender_cached); }, 3, 1);
}

void sakke_pairing(const skm_side& s, skm::bench::wolf_sakke& w) {
  wolf_pairing p(w, s.data);
  compare(
      "pairing_no_table", "pairing without table",
      [&] { keep(skm::pairing::tate<curve>::pair(s.k_c, s.r_c)); }, [&] { p.pair(w); }, rounds, 3);
  compare(
      "pairing_table", "pairing with RSK table", [&] { keep(s.lines.pair(s.r_c)); },
      [&] { p.pair_table(w); }, rounds, 3);
}

}  // namespace

// ---- ECCSI on P-256 --------------------------------------------------------------------------
namespace {

using eccsi_kms = eccsi::kms<>;
const std::vector<std::uint8_t> eccsi_id = [] {
  const char text[] = "2026-11\0tel:+447700900123";
  return std::vector<std::uint8_t>(text, text + sizeof(text));  // with both NULs, as RFC 6509
}();

/// wolfSSL's ECCSI with skm's KSAK/KPAK: a signer with its own (SSK, PVT) for eccsi_id.
struct wolf_eccsi {
  WC_RNG rng{};
  EccsiKey signer{};    // KMS key imported; its pair and HS set: signs, verifies its own
  EccsiKey verifier{};  // KPAK only: verifies any signature after hashing the ID with its PVT
  ecc_point* pvt = wc_ecc_new_point();
  ecc_point* sig_pvt = wc_ecc_new_point();
  mp_int ssk{};

  explicit wolf_eccsi(const eccsi_kms& kms) {
    if (pvt == nullptr || sig_pvt == nullptr || wc_InitRng(&rng) != 0 ||
        wc_InitEccsiKey(&signer, nullptr, INVALID_DEVID) != 0 ||
        wc_InitEccsiKey(&verifier, nullptr, INVALID_DEVID) != 0 || mp_init(&ssk) != MP_OKAY)
      wolfssl_failed("ECCSI init");
    const auto& kpak = kms.kpak().bytes();
    std::array<byte, 96> key{};  // KSAK || x || y
    auto ksak = kms.export_ksak();
    std::copy(ksak.begin(), ksak.end(), key.begin());
    std::copy(kpak.begin() + 1, kpak.end(), key.begin() + 32);
    const int imported = wc_ImportEccsiKey(&signer, key.data(), key.size());
    skm::ct::wipe(key.data(), key.size());
    skm::ct::wipe(ksak.data(), ksak.size());
    if (imported != 0) wolfssl_failed("import KSAK");
    if (wc_ImportEccsiPublicKey(&verifier, kpak.data(), kpak.size(), 0) != 0)
      wolfssl_failed("import KPAK");
    if (wc_MakeEccsiPair(&signer, &rng, WC_HASH_TYPE_SHA256, eccsi_id.data(), eccsi_id.size(), &ssk,
                         pvt) != 0 ||
        !set_hash(signer, pvt) || wc_SetEccsiPair(&signer, &ssk, pvt) != 0)
      wolfssl_failed("ECCSI pair");
  }
  wolf_eccsi(const wolf_eccsi&) = delete;
  wolf_eccsi& operator=(const wolf_eccsi&) = delete;
  ~wolf_eccsi() {
    mp_forcezero(&ssk);
    mp_free(&ssk);
    wc_ecc_del_point(pvt);
    wc_ecc_del_point(sig_pvt);
    wc_FreeEccsiKey(&signer);
    wc_FreeEccsiKey(&verifier);
    wc_FreeRng(&rng);
  }
  [[nodiscard]] static bool set_hash(EccsiKey& k, ecc_point* p) {
    std::array<byte, WC_MAX_DIGEST_SIZE> hs{};
    byte hs_size = static_cast<byte>(hs.size());
    return wc_HashEccsiId(&k, WC_HASH_TYPE_SHA256, eccsi_id.data(), eccsi_id.size(), p, hs.data(),
                          &hs_size) == 0 &&
           wc_SetEccsiHash(&k, hs.data(), hs_size) == 0;
  }
  [[nodiscard]] std::vector<byte> sign(std::span<const std::uint8_t> message) {
    std::vector<byte> sig(129);
    word32 size = sig.size();
    if (wc_SignEccsiHash(&signer, &rng, WC_HASH_TYPE_SHA256, message.data(), message.size(),
                         sig.data(), &size) != 0 ||
        size != sig.size())
      wolfssl_failed("wc_SignEccsiHash");
    return sig;
  }
  [[nodiscard]] static bool verify_with(EccsiKey& k, std::span<const std::uint8_t> message,
                                        std::span<const std::uint8_t> sig) {
    int ok = 0;
    return wc_VerifyEccsiHash(&k, WC_HASH_TYPE_SHA256, message.data(), message.size(), sig.data(),
                              sig.size(), &ok) == 0 &&
           ok == 1;
  }
  /// Any signature under the KPAK: PVT from the signature, HS, then the check (a cold verify).
  [[nodiscard]] bool verify_cold(std::span<const std::uint8_t> message,
                                 std::span<const std::uint8_t> sig) {
    return wc_DecodeEccsiPvtFromSig(&verifier, sig.data(), sig.size(), sig_pvt) == 0 &&
           set_hash(verifier, sig_pvt) && verify_with(verifier, message, sig);
  }
};

void eccsi_ratios() {
  CryptoPP::AutoSeededRandomPool os;  // as bench_eccsi: a user-space DRBG like wolfSSL's
  const std::vector<std::uint8_t> message(100, 0x42);
  const auto kms = eccsi_kms::generate(os).value();
  const auto pair = kms.issue(eccsi_id, os).value();
  const auto signer = eccsi::signer<>::create(kms.kpak(), eccsi_id, pair.ssk, pair.pvt).value();
  const auto ctx =
      eccsi::signer_context<>::create(kms.kpak(), eccsi_id, pair.pvt, eccsi::precompute::y_table)
          .value();
  wolf_eccsi w(kms);
  const auto sig = signer.sign(message, os).value();
  const auto wsig = w.sign(message);
  // guard: each verifies the other's signature, and neither accepts a changed message
  auto other = message;
  other[0] ^= 1;
  if (!w.verify_cold(message, sig) || !eccsi::verify(kms.kpak(), eccsi_id, message, wsig) ||
      w.verify_cold(other, sig) || eccsi::verify(kms.kpak(), eccsi_id, other, wsig))
    fail("guard: ECCSI signatures do not cross between skm and wolfSSL sp-asm");
  std::puts("guard: ECCSI signatures cross both ways");
  compare(
      "eccsi_sign", "ECCSI sign", [&] { keep(signer.sign(message, os).value()); },
      [&] { keep(w.sign(message)); }, 41, 16);
  compare(
      "eccsi_verify_cached", "ECCSI verify, skm signer context (Y table) / wolfSSL HS set",
      [&] {
        if (!ctx.verify(message, sig)) fail("skm verify");
      },
      [&] {
        if (!wolf_eccsi::verify_with(w.signer, message, wsig)) fail("wolfSSL verify");
      },
      41, 8);
  compare(
      "eccsi_verify_cold", "ECCSI verify, cold",
      [&] {
        if (!eccsi::verify(kms.kpak(), eccsi_id, message, sig)) fail("skm verify");
      },
      [&] {
        if (!w.verify_cold(message, sig)) fail("wolfSSL verify");
      },
      41, 8);
}

}  // namespace

int main() {
  std::printf("== skm vs wolfSSL sp-asm (%s), medians of interleaved rounds ==\n",
              SKM_WOLFSSL_PEER_OPTIONS);
  const skm_side s;
  skm::bench::wolf_sakke w(s.kms.export_master_secret(), id_a);
  sakke_guard(s, w);
  std::printf("== SAKKE parameter set 1 (median of %d rounds) ==\n", rounds);
  sakke_key_ops(s, w);
  sakke_decapsulation(s, w);
  sakke_pairing(s, w);
  std::puts("== ECCSI on P-256 (median of 41 rounds) ==");
  eccsi_ratios();
  return 0;
}
