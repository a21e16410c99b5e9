// SPDX-License-Identifier: BSD-3-Clause
// Constant-time check of whole secret-bearing operations, through the public API, under valgrind
// memcheck (design.md §5, docs/security.md "Constant time").
//
// The secrets (KSAK, SSK, SAKKE master secret z, RSK, SSV, KDF / PRF / SRTP keys, the DPPK and
// every octet the random source produces: v, j, blinding factors) are marked undefined with
// VALGRIND_MAKE_MEM_UNDEFINED; memcheck then reports every branch and every memory address that
// depends on them, anywhere below: skm, GMP and Crypto++. Each operation runs twice with the same
// inputs, first on public copies (the reference), then on the secret ones; only the genuinely
// public outputs (signature, PVT, KPAK, encapsulated data, a success flag) are marked defined
// again, and secret outputs (SSK, RSK, the recovered SSV, derived keys) only to compare them with
// the reference. Run as `valgrind --error-exitcode=1 ct_operations`; outside valgrind the client
// requests are no-ops and the program only checks its results.
//
// The executable is built with SKM_CT_VALGRIND, which turns the library's declassification points
// (ct::choice::declassify(), ct::mark_public: a validation result, a rejected random draw, a
// blinded value, a KMS public key) into "defined from here on" for memcheck; see
// common/ct.hpp. Every other dependence on a secret is still reported, with one accepted
// exception in Crypto++'s GCM counter handling (a 16-octet IV makes the counter secret), named
// and justified in cryptopp-gcm-counter.supp, which the ct-operations test loads.
//
// `ct_operations --leak` decapsulates (through all of those declassification points) and then
// reads a table at an index taken from the recovered SSV: the suite registers that run as
// should_fail, so it proves the harness still sees a secret after the library's hooks.
#include <valgrind/memcheck.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <random>
#include <span>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "../support/ct_marks.hpp"
#include "../support/hex.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/eccsi/eccsi.hpp"
#include "skm/km/kdf.hpp"
#include "skm/km/key_parameters.hpp"
#include "skm/km/mikey_prf.hpp"
#include "skm/km/srtp_kdf.hpp"
#include "skm/sakke/sakke.hpp"

namespace eccsi = skm::eccsi;
namespace sakke = skm::sakke;
namespace km = skm::km;
using curve1 = skm::curves::sakke_param_set_1;

namespace {

using skm::test::declassify;
using skm::test::declassify_bytes;
using skm::test::secret;

int failures = 0;
void check(bool ok, const char* what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures;
}

/// A deterministic random source; with `poison`, every octet it produces is a secret.
class test_rng {
 public:
  test_rng(std::uint64_t seed, bool poison) : gen_(seed), poison_(poison) {}
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(gen_() >> 24);
    if (poison_) (void)VALGRIND_MAKE_MEM_UNDEFINED(out, n);
  }

 private:
  std::mt19937_64 gen_;
  bool poison_;
};
static_assert(skm::random_source<test_rng>);

using skm::test::unhex;

template <std::size_t N>
std::array<std::uint8_t, N> to_array(const std::vector<std::uint8_t>& v) {
  std::array<std::uint8_t, N> a{};
  if (v.size() > N) throw std::logic_error("test vector longer than its array");
  for (std::size_t i = 0; i < v.size(); ++i) a[N - v.size() + i] = v[i];  // right-aligned
  return a;
}

bool same(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// ------------------------------------------------------------------------------------------
// ECCSI (RFC 6507) on P-256

const std::vector<std::uint8_t> eccsi_id =
    unhex("32 30 31 31 2D 30 32 00 74 65 6C 3A 2B 34 34 37 37 30 30 39 30 30 31 32 33 00");
const std::vector<std::uint8_t> eccsi_message = unhex("6D 65 73 73 61 67 65 00");

void check_eccsi() {
  using kms_t = eccsi::kms<>;
  // KMS generation: the KSAK comes from the (secret) random source.
  {
    test_rng pub(11, false), sec(11, true);
    const auto ref = kms_t::generate(pub);
    const auto k = kms_t::generate(sec);
    check(k.has_value() && ref.has_value(), "ECCSI kms::generate with a secret random source");
    if (k && ref) {
      declassify(k->kpak());  // KPAK = [KSAK]G is the KMS's public key
      auto ksak = k->export_ksak();
      declassify(ksak);
      check(ksak == ref->export_ksak() && k->kpak().bytes() == ref->kpak().bytes(),
            "ECCSI kms::generate: KSAK and KPAK");
    }
  }

  // SSK/PVT issuing: KSAK secret (restored from secret octets), v from the secret source.
  auto ksak_pub = to_array<32>(
      unhex("12345678 9ABCDEF0 12345678 9ABCDEF0 12345678 9ABCDEF0 12345678 9ABCDEF0"));
  const auto kms_ref = kms_t::from_ksak(ksak_pub).value();
  auto ksak = ksak_pub;
  secret(ksak);
  const auto kms_sec = kms_t::from_ksak(ksak);
  check(kms_sec.has_value(), "ECCSI kms::from_ksak with a secret KSAK");
  if (!kms_sec) return;
  declassify(kms_sec->kpak());
  check(kms_sec->kpak().bytes() == kms_ref.kpak().bytes(), "ECCSI KPAK");
  const auto& kpak = kms_ref.kpak();

  test_rng issue_pub(12, false), issue_sec(12, true);
  const auto pair_ref = kms_ref.issue(eccsi_id, issue_pub).value();
  const auto pair = kms_sec->issue(eccsi_id, issue_sec);
  check(pair.has_value(), "ECCSI kms::issue with secret KSAK and v");
  if (!pair) return;
  declassify(pair->pvt);  // public by design
  declassify(pair->ssk);  // secret: only to compare
  check(pair->pvt == pair_ref.pvt && pair->ssk == pair_ref.ssk,
        "ECCSI issued (SSK, PVT) = reference");

  // Signer creation (the SSK is validated: KPAK = [SSK]G - [HS]PVT) and signing with secret j.
  auto ssk = pair_ref.ssk;
  secret(ssk);
  const auto signer = eccsi::signer<>::create(kpak, eccsi_id, ssk, pair_ref.pvt);
  check(signer.has_value(), "ECCSI signer::create with a secret SSK");
  if (!signer) return;
  const auto signer_ref =
      eccsi::signer<>::create(kpak, eccsi_id, pair_ref.ssk, pair_ref.pvt).value();
  for (std::uint64_t seed = 13; seed < 16; ++seed) {
    test_rng sign_pub(seed, false), sign_sec(seed, true);
    const auto sig_ref = signer_ref.sign(eccsi_message, sign_pub).value();
    const auto sig = signer->sign(eccsi_message, sign_sec);
    check(sig.has_value(), "ECCSI sign with secret SSK and j");
    if (!sig) continue;
    declassify(*sig);  // the signature is published
    check(*sig == sig_ref, "ECCSI signature = reference");
    check(eccsi::verify(kpak, eccsi_id, eccsi_message, *sig).has_value(),
          "ECCSI signature verifies");
  }
}

/// Deliberately leaky: a table read at an index taken from a secret octet (the classic
/// cache-timing leak; an early-exit comparison of 16 octets may be compiled branch-free).
__attribute__((noinline)) int leaky_lookup(std::uint8_t secret_octet) {
  static constexpr std::array<int, 16> table{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};
  return table[secret_octet & 15];
}

// ------------------------------------------------------------------------------------------
// SAKKE (RFC 6508) on parameter set 1, with the inputs of RFC 6508 Appendix A

const std::vector<std::uint8_t> sakke_id =
    unhex("3230 31312D30 32007465 6C3A2B34 34373730 30393030 31323300");

void check_sakke(bool leak) {
  using S = sakke::scheme<curve1>;
  using kms_t = sakke::kms<curve1>;
  const auto z_pub =
      to_array<curve1::scalar_field::bytes>(unhex("AFF429D3 5F84B110 D094803B 3595A6E2 998BC99F"));
  const auto ssv_pub = to_array<S::ssv_bytes>(unhex("12345678 9ABCDEF0 12345678 9ABCDEF0"));

  const auto kms_ref = kms_t::from_master_secret(z_pub).value();
  const auto& kms_pub = kms_ref.public_key();
  const auto rsk_ref = kms_ref.issue_rsk(sakke_id).value();
  const auto rsk_ref_bytes = skm::ec::encode_uncompressed(rsk_ref).value();

  // Encapsulated data from public inputs, for reference.
  const auto to = sakke::recipient<curve1>::create(kms_pub, sakke_id).value();
  const auto data_ref = sakke::encapsulate(to, ssv_pub).value();

  if (leak) {
    // Decapsulate with a secret RSK (through every declassification point of the receiver),
    // then use the recovered SSV the wrong way.
    auto rsk = rsk_ref;
    secret(rsk);
    const auto rx = sakke::receiver<curve1>::create(kms_pub, sakke_id, rsk).value();
    const auto ssv = rx.decapsulate(data_ref).value();
    int r = leaky_lookup(ssv[0]);
    declassify(r);  // so that the only report is the one inside leaky_lookup
    std::printf("leaky function ran (result %d); valgrind must have reported it\n", r);
    return;
  }

  // KMS from a secret master secret; RSK issuing with secret z (Z is published by the KMS).
  auto z = z_pub;
  secret(z);
  const auto kms_sec = kms_t::from_master_secret(z);
  check(kms_sec.has_value(), "SAKKE kms::from_master_secret with a secret z");
  if (!kms_sec) return;
  check(kms_sec->public_key().encode() == kms_pub.encode(), "SAKKE Z = reference");
  const auto rsk_sec = kms_sec->issue_rsk(sakke_id);
  check(rsk_sec.has_value(), "SAKKE issue_rsk with a secret z");
  if (rsk_sec) {
    auto enc = skm::ec::encode_uncompressed(*rsk_sec);  // branches only on the public "is O" flag
    declassify(enc);
    check(enc.has_value() && *enc == rsk_ref_bytes, "SAKKE RSK = reference");
  }
  {
    test_rng pub(21, false), sec(21, true);
    const auto gen_ref = kms_t::generate(pub);
    const auto gen = kms_t::generate(sec);
    auto z_gen = gen.export_master_secret();
    declassify(z_gen);
    check(z_gen == gen_ref.export_master_secret() &&
              gen.public_key().encode() == gen_ref.public_key().encode(),
          "SAKKE kms::generate with a secret random source");
  }

  // Encapsulation with a secret SSV (r and g^r derive from it): cached recipient and cold.
  auto ssv = ssv_pub;
  secret(ssv);
  {
    const auto data = sakke::encapsulate(to, ssv);
    check(data.has_value(), "SAKKE encapsulate (recipient) with a secret SSV");
    if (data) {
      declassify(*data);
      check(*data == data_ref, "SAKKE encapsulated data (recipient) = reference");
    }
    const auto cold = sakke::encapsulate(kms_pub, sakke_id, ssv);
    check(cold.has_value(), "SAKKE encapsulate (no cached state) with a secret SSV");
    if (cold) {
      declassify(*cold);
      check(*cold == data_ref, "SAKKE encapsulated data (no cached state) = reference");
    }
    // The batched form (a group key to several members: the shared tables of P, Z and g read
    // once per batch, ec::fixed_base_table::mul_batch and gt_fixed_base::pow_batch).
    const auto other_id = unhex("3230 3131 2D30 3200 7465 6C3A 2B34 3437 3730 3039 3030 3132 3400");
    const auto other_ref = sakke::encapsulate(kms_pub, other_id, ssv_pub).value();
    const std::array<std::span<const std::uint8_t>, 3> ids{sakke_id, other_id, sakke_id};
    auto batch = sakke::encapsulate_batch(kms_pub, ids, ssv);
    bool batch_ok = batch.size() == 3;
    for (std::size_t j = 0; batch_ok && j < batch.size(); ++j) {
      batch_ok = batch[j].has_value();
      if (batch_ok) {
        declassify(*batch[j]);
        batch_ok = *batch[j] == (j == 1 ? other_ref : data_ref);
      }
    }
    check(batch_ok, "SAKKE encapsulate_batch with a secret SSV = encapsulate per identifier");
    test_rng pub(22, false), sec(22, true);
    const auto e_ref = sakke::encapsulate_random(to, pub).value();
    const auto e = sakke::encapsulate_random(to, sec);
    check(e.has_value(), "SAKKE encapsulate_random with a secret random source");
    if (e) {
      declassify(e->data);
      declassify(e->ssv);
      check(e->data == e_ref.data && e->ssv == e_ref.ssv, "SAKKE encapsulate_random = reference");
    }
  }

  // Receiver: the RSK arrives as secret octets, is decoded, validated and its line table built.
  auto rsk_bytes = rsk_ref_bytes;
  (void)VALGRIND_MAKE_MEM_UNDEFINED(rsk_bytes.data() + 1,
                                    rsk_bytes.size() - 1);  // the 0x04 prefix is format
  const auto rsk = sakke::decode_rsk_unvalidated<curve1>(rsk_bytes);
  check(rsk.has_value(), "SAKKE decode_rsk_unvalidated of a secret RSK");
  if (!rsk) return;
  check(sakke::validate_rsk(kms_pub, sakke_id, *rsk).has_value(),
        "SAKKE validate_rsk of a secret RSK");
  const auto rx = sakke::receiver<curve1>::create(kms_pub, sakke_id, *rsk);
  check(rx.has_value(), "SAKKE receiver::create from a secret RSK");
  if (!rx) return;

  // Decapsulation: RSK, w and the SSV are secret; the SSV is declassified only to compare.
  auto out = rx->decapsulate(data_ref);
  check(out.has_value(), "SAKKE receiver::decapsulate with a secret RSK");
  if (out) {
    declassify(*out);
    check(*out == ssv_pub, "SAKKE recovered SSV (receiver) = SSV");
  }
  auto cold = sakke::decapsulate_with_unvalidated_rsk(kms_pub, sakke_id, *rsk, data_ref);
  check(cold.has_value(), "SAKKE decapsulate (no table) with a secret RSK");
  if (cold) {
    declassify(*cold);
    check(*cold == ssv_pub, "SAKKE recovered SSV (no table) = SSV");
  }
  // A tampered H: TEST fails, the one uniform error, and nothing else depends on the secrets.
  auto bad = data_ref;
  bad.back() ^= 1;
  check(!rx->decapsulate(bad).has_value(), "SAKKE tampered H refused");
}

// ------------------------------------------------------------------------------------------
// Key management: TS 33.220 KDF, MIKEY PRF, SRTP KDF, key-parameters AES-GCM

void check_km() {
  const auto key_pub =
      to_array<32>(unhex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"));
  auto key = key_pub;
  secret(key);

  // TS 33.220 KDF and the DPCK (TS 33.180 F.1.5)
  {
    km::kdf_input s(km::fc::guk_id);
    s.add(std::string_view("sip:user@example.org")).add_integer(0x1234);
    const auto ref = km::kdf_33220(key_pub, s).value();
    const auto out = km::kdf_33220(key, s);
    check(out.has_value(), "KDF (TS 33.220) with a secret key");
    if (out) {
      declassify_bytes(out->span());
      check(same(out->span(), ref.span()), "KDF output = reference");
    }
    const auto dpck_ref = km::derive_dpck(std::span(key_pub).first(16), 0x01020304).value();
    const auto dpck = km::derive_dpck(std::span(key).first(16), 0x01020304);
    check(dpck.has_value(), "DPCK with a secret DPPK");
    if (dpck) {
      declassify_bytes(dpck->span());
      check(same(dpck->span(), dpck_ref.span()), "DPCK = reference");
    }
  }

  // MIKEY PRF (both PRF functions; a 48-octet inkey spans two 256-bit blocks)
  std::array<std::uint8_t, 48> inkey_pub{};
  for (std::size_t i = 0; i < inkey_pub.size(); ++i)
    inkey_pub[i] = static_cast<std::uint8_t>(0xA5 ^ (7 * i));
  auto inkey = inkey_pub;
  secret(inkey);
  const auto rand = to_array<16>(unhex("F0E1D2C3B4A5968778695A4B3C2D1E0F"));
  for (auto prf : {km::mikey_prf::prf_hmac_sha_256, km::mikey_prf::mikey_1}) {
    const auto ref =
        km::derive_from_tgk(prf, inkey_pub, km::tgk_constant::tek, 1, 0x0A0B0C0D, rand, 40).value();
    const auto out =
        km::derive_from_tgk(prf, inkey, km::tgk_constant::tek, 1, 0x0A0B0C0D, rand, 40);
    check(out.has_value(), "MIKEY PRF with a secret TGK");
    if (out) {
      declassify_bytes(out->span());
      check(same(out->span(), ref.span()), "MIKEY PRF output = reference");
    }
  }
  const auto master_ref = km::derive_srtp_master(km::mikey_prf::prf_hmac_sha_256,
                                                 std::span(key_pub).first(16), 2, 0x11223344, rand)
                              .value();
  const auto master = km::derive_srtp_master(km::mikey_prf::prf_hmac_sha_256,
                                             std::span(key).first(16), 2, 0x11223344, rand);
  check(master.has_value(), "SRTP master key and salt (MIKEY PRF) from a secret TGK");
  if (master) {
    declassify_bytes(master->key.span());
    declassify_bytes(master->salt.span());
    check(same(master->key.span(), master_ref.key.span()) &&
              same(master->salt.span(), master_ref.salt.span()),
          "SRTP master key and salt = reference");
  }

  // SRTP session keys (RFC 3711 AES-CM PRF): secret master key (16 and 32 octets) and salt
  const auto salt_pub = to_array<14>(unhex("0E0D0C0B0A090807060504030201"));
  auto salt = salt_pub;
  secret(salt);
  for (std::size_t key_len : {16u, 32u}) {
    for (bool rtcp : {false, true}) {
      const auto ref = km::srtp_derive_session_keys(std::span(key_pub).first(key_len), salt_pub,
                                                    rtcp, key_len, 20, 14)
                           .value();
      const auto out =
          km::srtp_derive_session_keys(std::span(key).first(key_len), salt, rtcp, key_len, 20, 14);
      check(out.has_value(), "SRTP session keys with a secret master key and salt");
      if (!out) continue;
      for (const auto* s : {&out->encryption_key, &out->authentication_key, &out->salt})
        declassify_bytes(s->span());
      check(same(out->encryption_key.span(), ref.encryption_key.span()) &&
                same(out->authentication_key.span(), ref.authentication_key.span()) &&
                same(out->salt.span(), ref.salt.span()),
            "SRTP session keys = reference");
    }
  }

  // Key parameters: AES-128-GCM under the DPCK derived from a secret DPPK (protect and unprotect)
  km::key_parameters kp;
  kp.key_type = 1;
  kp.activation_time = {0x01, 0x02, 0x03, 0x04, 0x05};
  kp.expiry_time = {0x06, 0x07, 0x08, 0x09, 0x0A};
  kp.text = {'g', 'r', 'o', 'u', 'p', ' ', 'k', 'e', 'y'};
  kp.further = {0x20, 0x00, 0x01, 0x7F};
  const std::uint32_t dppk_id = 0x0C0D0E0F;
  const auto dppk_pub = std::span(key_pub).first(16);
  const auto dppk = std::span(key).first(16);
  test_rng iv_ref(31, false), iv_rng(31, false);  // the IV is public
  const auto data =
      km::protect_key_parameters(kp, dppk_pub, dppk_id, {0, 0, 0, 0, 1}, iv_ref).value();
  {
    auto mine = km::protect_key_parameters(kp, dppk, dppk_id, {0, 0, 0, 0, 1}, iv_rng);
    check(mine.has_value(), "key parameters protected with a secret DPPK");
    if (mine) {
      declassify_bytes(*mine);  // ciphertext and tag are published
      check(*mine == data, "protected key parameters = reference");
    }
  }
  auto kp_out = km::unprotect_key_parameters(data, dppk, dppk_id);
  check(kp_out.has_value(), "key parameters unprotected with a secret DPPK");
  if (kp_out) {
    declassify(kp_out->key_type);
    declassify(kp_out->status);
    declassify(kp_out->activation_time);
    declassify(kp_out->expiry_time);
    declassify_bytes(kp_out->text);
    declassify_bytes(kp_out->further);
    check(*kp_out == kp, "unprotected key parameters = original");
  }
  auto tampered = data;
  tampered[tampered.size() - 20] ^= 0x40;  // a ciphertext octet
  const auto refused = km::unprotect_key_parameters(tampered, dppk, dppk_id);
  check(!refused.has_value() && refused.error() == km::key_parameters_error::authentication_failed,
        "tampered key parameters refused under a secret DPPK");
}

int ct_operations(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "--leak") {
    check_sakke(true);
    return 0;
  }
  check_eccsi();
  check_sakke(false);
  check_km();
  if (failures == 0) std::printf("ct_operations: all results correct\n");
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // An exception is a failure reported as such, not a std::terminate.
  try {
    return ct_operations(argc, argv);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "ct_operations: %s\n", e.what());
    return 1;
  }
}
