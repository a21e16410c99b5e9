// SPDX-License-Identifier: BSD-3-Clause
// ECCSI (RFC 6507) on P-256: skm against Debian's wolfSSL (same operations through its ECCSI
// API), and OpenSSL's ECDSA P-256 as the reference for what P-256 code achieves here. Each
// comparison is measured interleaved in one run and printed as a RATIO line.
#include <cryptopp/osrng.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../support/timing.hpp"
#include "skm/eccsi/eccsi.hpp"

#ifdef SKM_BENCH_WOLFSSL
// after skm/Crypto++: wolfSSL's macros clash with Crypto++ enumerator names
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/random.h>
#endif

using skm::bench::interleaved;
using skm::bench::keep;
using skm::bench::print_ratio;
using skm::bench::print_row;
namespace eccsi = skm::eccsi;

namespace {

[[noreturn]] void fail(const char* what) {
  (void)std::fprintf(stderr, "bench_eccsi: %s failed\n", what);
  std::exit(1);
}

/// P-256 with its base field pinned to the C++ carry-chain kernel (what the dispatch picks on
/// CPUs without ADX): a traits struct like any user's, for the same-run before/after of the
/// P-256 ADX assembly.
struct p256_carry_chains : skm::curves::p256 {
  struct base_field_params : skm::curves::p256::base_field_params {
    struct kernel {
      static constexpr auto modulus = skm::curves::p256::p;
      static constexpr void mul(skm::uint<4>& out, const skm::uint<4>& a,
                                const skm::uint<4>& b) noexcept {
        if (std::is_constant_evaluated()) {
          skm::kernels::p256_montgomery::mul(out, a, b);
        } else {
          skm::kernels::p256_montgomery::mul_x86_64(out, a, b);
        }
      }
      static constexpr void sqr(skm::uint<4>& out, const skm::uint<4>& a) noexcept {
        mul(out, a, a);
      }
    };
  };
  using base_field = skm::fp<base_field_params>;
};

/// ECCSI with the dispatched P-256 kernel (ADX assembly here) against the carry-chain kernel,
/// interleaved round by round in one process.
template <class Rng>
void p256_kernel_before_after(Rng& rng, const std::vector<std::uint8_t>& id,
                              const std::vector<std::uint8_t>& message, int rounds) {
  std::printf("== ECCSI: dispatched P-256 kernel (%s) vs C++ carry-chain kernel, same run ==\n",
              skm::montgomery::cpu_has_adx() ? "ADX assembly" : "carry chains on this CPU");
  const auto kms_a = eccsi::kms<>::generate(rng).value();
  const auto pair_a = kms_a.issue(id, rng).value();
  const auto signer_a = eccsi::signer<>::create(kms_a.kpak(), id, pair_a.ssk, pair_a.pvt).value();
  const auto sig_a = signer_a.sign(message, rng).value();
  const auto ctx_a =
      eccsi::signer_context<>::create(kms_a.kpak(), id, pair_a.pvt, eccsi::precompute::y_table)
          .value();
  const auto kms_b = eccsi::kms<p256_carry_chains>::generate(rng).value();
  const auto pair_b = kms_b.issue(id, rng).value();
  const auto signer_b =
      eccsi::signer<p256_carry_chains>::create(kms_b.kpak(), id, pair_b.ssk, pair_b.pvt).value();
  const auto sig_b = signer_b.sign(message, rng).value();
  const auto ctx_b = eccsi::signer_context<p256_carry_chains>::create(kms_b.kpak(), id, pair_b.pvt,
                                                                      eccsi::precompute::y_table)
                         .value();
  const std::vector<std::pair<const char*, std::array<std::function<void()>, 2>>> ops = {
      {"sign",
       {[&] { keep(signer_a.sign(message, rng).value()); },
        [&] { keep(signer_b.sign(message, rng).value()); }}},
      {"verify_cached",
       {[&] {
          if (!ctx_a.verify(message, sig_a)) fail("verify a");
        },
        [&] {
          if (!ctx_b.verify(message, sig_b)) fail("verify b");
        }}},
      {"verify_cold",
       {[&] {
          if (!eccsi::verify(kms_a.kpak(), id, message, sig_a)) fail("cold a");
        },
        [&] {
          if (!eccsi::verify(kms_b.kpak(), id, message, sig_b)) fail("cold b");
        }}},
  };
  for (const auto& op : ops) {
    const auto s = interleaved({op.second[0], op.second[1]}, rounds, 8);
    print_row(std::string(op.first) + ": dispatched kernel", s[0]);
    print_row(std::string(op.first) + ": carry-chain kernel", s[1]);
    print_ratio(op.first, "p256_carry_chain_kernel", s[0], s[1]);
  }
}

/// OpenSSL ECDSA P-256 over a 32-byte digest (what `openssl speed ecdsap256` measures).
struct openssl_ecdsa {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  EVP_PKEY_CTX* sign_ctx = EVP_PKEY_CTX_new(key, nullptr);
  EVP_PKEY_CTX* verify_ctx = EVP_PKEY_CTX_new(key, nullptr);
  std::array<unsigned char, 32> digest{};
  std::array<unsigned char, 80> sig{};
  size_t sig_len = sig.size();

  openssl_ecdsa() {
    if (!key || EVP_PKEY_sign_init(sign_ctx) != 1 || EVP_PKEY_verify_init(verify_ctx) != 1)
      fail("OpenSSL setup");
    digest.fill(0x5A);
    sign();
  }
  ~openssl_ecdsa() {
    EVP_PKEY_CTX_free(sign_ctx);
    EVP_PKEY_CTX_free(verify_ctx);
    EVP_PKEY_free(key);
  }
  void sign() {
    sig_len = sig.size();
    if (EVP_PKEY_sign(sign_ctx, sig.data(), &sig_len, digest.data(), digest.size()) != 1)
      fail("EVP_PKEY_sign");
  }
  void verify() {
    if (EVP_PKEY_verify(verify_ctx, sig.data(), sig_len, digest.data(), digest.size()) != 1)
      fail("EVP_PKEY_verify");
  }
};

// Many short batches: on a shared machine a preempted batch then moves the median less.
constexpr int rounds = 41;

}  // namespace

int main() {
  // A user-space generator seeded from the OS, as OpenSSL and wolfSSL use their DRBGs: the OS
  // source (skm::os_random) is a system call per draw, ~2 us each here, three draws per signature.
  CryptoPP::AutoSeededRandomPool os;
  const std::vector<std::uint8_t> id = [] {
    const char text[] = "2026-11\0tel:+447700900123";
    return std::vector<std::uint8_t>(text, text + sizeof(text));  // with both NULs, as RFC 6509
  }();
  std::vector<std::uint8_t> message(100, 0x42);

  // ---- skm ----
  const auto kms = eccsi::kms<>::generate(os).value();
  const auto pair = kms.issue(id, os).value();
  const auto signer = eccsi::signer<>::create(kms.kpak(), id, pair.ssk, pair.pvt).value();
  const auto sig = signer.sign(message, os).value();
  const auto ctx =
      eccsi::signer_context<>::create(kms.kpak(), id, pair.pvt, eccsi::precompute::y_point).value();
  const auto ctx_table =
      eccsi::signer_context<>::create(kms.kpak(), id, pair.pvt, eccsi::precompute::y_table).value();

  auto skm_sign = [&] { keep(signer.sign(message, os).value()); };
  auto skm_verify_cold = [&] {
    if (!eccsi::verify(kms.kpak(), id, message, sig)) fail("skm verify");
  };
  auto skm_verify_cached = [&] {
    if (!ctx.verify(message, sig)) fail("skm cached verify");
  };
  auto skm_verify_table = [&] {
    if (!ctx_table.verify(message, sig)) fail("skm cached+table verify");
  };
  auto skm_issue = [&] { keep(kms.issue(id, os).value()); };
  auto skm_validate = [&] {
    if (!eccsi::signer<>::create(kms.kpak(), id, pair.ssk, pair.pvt)) fail("skm validate");
  };

  openssl_ecdsa ossl;
  auto ossl_sign = [&] { ossl.sign(); };
  auto ossl_verify = [&] { ossl.verify(); };

  p256_kernel_before_after(os, id, message, rounds);
  std::printf("== ECCSI on P-256 (median of %d rounds) ==\n", rounds);

#ifdef SKM_BENCH_WOLFSSL
  WC_RNG wrng;
  EccsiKey wkey;
  if (wc_InitRng(&wrng) != 0 || wc_InitEccsiKey(&wkey, nullptr, INVALID_DEVID) != 0)
    fail("wolfSSL init");
  if (wc_MakeEccsiKey(&wkey, &wrng) != 0) fail("wc_MakeEccsiKey");
  mp_int wssk;
  ecc_point* wpvt = wc_ecc_new_point();
  mp_init(&wssk);
  if (wc_MakeEccsiPair(&wkey, &wrng, WC_HASH_TYPE_SHA256, id.data(), static_cast<word32>(id.size()),
                       &wssk, wpvt) != 0)
    fail("pair");
  std::array<byte, WC_MAX_DIGEST_SIZE> hs{};
  byte hs_size = static_cast<byte>(hs.size());
  if (wc_HashEccsiId(&wkey, WC_HASH_TYPE_SHA256, id.data(), static_cast<word32>(id.size()), wpvt,
                     hs.data(), &hs_size) != 0)
    fail("hash id");
  if (wc_SetEccsiHash(&wkey, hs.data(), hs_size) != 0 || wc_SetEccsiPair(&wkey, &wssk, wpvt) != 0)
    fail("set pair");
  std::array<byte, 129> wsig{};
  word32 wsig_size = wsig.size();
  auto wolf_sign = [&] {
    wsig_size = wsig.size();
    if (wc_SignEccsiHash(&wkey, &wrng, WC_HASH_TYPE_SHA256, message.data(),
                         static_cast<word32>(message.size()), wsig.data(), &wsig_size) != 0)
      fail("wc_SignEccsiHash");
  };
  wolf_sign();
  // cached: HS already set, wolfSSL's own per-key state; cold: decode the PVT and hash the ID too.
  auto wolf_verify_cached = [&] {
    int ok = 0;
    if (wc_VerifyEccsiHash(&wkey, WC_HASH_TYPE_SHA256, message.data(),
                           static_cast<word32>(message.size()), wsig.data(), wsig_size, &ok) != 0 ||
        !ok)
      fail("wc_VerifyEccsiHash");
  };
  ecc_point* tmp_pvt = wc_ecc_new_point();
  auto wolf_verify_cold = [&] {
    std::array<byte, WC_MAX_DIGEST_SIZE> h{};
    byte h_size = static_cast<byte>(h.size());
    if (wc_DecodeEccsiPvtFromSig(&wkey, wsig.data(), wsig_size, tmp_pvt) != 0) fail("decode pvt");
    if (wc_HashEccsiId(&wkey, WC_HASH_TYPE_SHA256, id.data(), static_cast<word32>(id.size()),
                       tmp_pvt, h.data(), &h_size) != 0)
      fail("hash");
    if (wc_SetEccsiHash(&wkey, h.data(), h_size) != 0) fail("set hash");
    wolf_verify_cached();
  };
  auto wolf_issue = [&] {
    if (wc_MakeEccsiPair(&wkey, &wrng, WC_HASH_TYPE_SHA256, id.data(),
                         static_cast<word32>(id.size()), &wssk, wpvt) != 0)
      fail("pair");
  };
  mp_int vssk;
  ecc_point* vpvt = wc_ecc_new_point();
  mp_init(&vssk);
  mp_copy(&wssk, &vssk);
  wc_ecc_copy_point(wpvt, vpvt);
  auto wolf_validate = [&] {
    int valid = 0;
    if (wc_ValidateEccsiPair(&wkey, WC_HASH_TYPE_SHA256, id.data(), static_cast<word32>(id.size()),
                             &vssk, vpvt, &valid) != 0 ||
        !valid)
      fail("wc_ValidateEccsiPair");
  };

  {
    const auto s = interleaved({skm_sign, wolf_sign, ossl_sign}, rounds, 16);
    print_row("skm ECCSI sign", s[0]);
    print_row("wolfSSL ECCSI sign", s[1]);
    print_row("OpenSSL ECDSA P-256 sign", s[2]);
    print_ratio("sign", "wolfssl", s[0], s[1]);
    print_ratio("sign", "openssl-ecdsa", s[0], s[2]);
  }
  {
    // the cached verifications first: wolf_verify_cold re-sets wolfSSL's HS every call
    const auto s = interleaved(
        {skm_verify_table, skm_verify_cached, wolf_verify_cached, ossl_verify}, rounds, 8);
    print_row("skm ECCSI verify, signer context (Y table)", s[0]);
    print_row("skm ECCSI verify, signer context (Y point)", s[1]);
    print_row("wolfSSL ECCSI verify, HS set", s[2]);
    print_row("OpenSSL ECDSA P-256 verify", s[3]);
    print_ratio("verify_cached", "wolfssl", s[0], s[2]);
    print_ratio("verify_cached", "openssl-ecdsa", s[0], s[3]);
    print_ratio("verify_cached_y_point", "wolfssl", s[1], s[2]);
    print_ratio("verify_cached_y_point", "openssl-ecdsa", s[1], s[3]);
  }
  {
    const auto s = interleaved({skm_verify_cold, wolf_verify_cold, ossl_verify}, rounds, 8);
    print_row("skm ECCSI verify, cold", s[0]);
    print_row("wolfSSL ECCSI verify, cold", s[1]);
    print_row("OpenSSL ECDSA P-256 verify", s[2]);
    print_ratio("verify_cold", "wolfssl", s[0], s[1]);
    print_ratio("verify_cold", "openssl-ecdsa", s[0], s[2]);
  }
  {
    const auto s = interleaved({skm_issue, wolf_issue}, rounds, 8);
    print_row("skm ECCSI issue (SSK, PVT)", s[0]);
    print_row("wolfSSL ECCSI issue (SSK, PVT)", s[1]);
    print_ratio("issue", "wolfssl", s[0], s[1]);
  }
  {
    const auto s = interleaved({skm_validate, wolf_validate}, rounds, 8);
    print_row("skm ECCSI validate (SSK, PVT)", s[0]);
    print_row("wolfSSL ECCSI validate (SSK, PVT)", s[1]);
    print_ratio("validate", "wolfssl", s[0], s[1]);
  }
  mp_free(&vssk);
  mp_forcezero(&wssk);
  mp_free(&wssk);
  wc_ecc_del_point(vpvt);
  wc_ecc_del_point(tmp_pvt);
  wc_ecc_del_point(wpvt);
  wc_FreeEccsiKey(&wkey);
  wc_FreeRng(&wrng);
#else
  std::puts("wolfSSL not found: ECCSI comparison with wolfSSL skipped");
  {
    const auto s = interleaved({skm_sign, ossl_sign}, rounds, 16);
    print_row("skm ECCSI sign", s[0]);
    print_row("OpenSSL ECDSA P-256 sign", s[1]);
    print_ratio("sign", "openssl-ecdsa", s[0], s[1]);
  }
  {
    const auto s =
        interleaved({skm_verify_table, skm_verify_cached, skm_verify_cold, ossl_verify}, rounds, 8);
    print_row("skm ECCSI verify, signer context (Y table)", s[0]);
    print_row("skm ECCSI verify, signer context (Y point)", s[1]);
    print_row("skm ECCSI verify, cold", s[2]);
    print_row("OpenSSL ECDSA P-256 verify", s[3]);
    print_ratio("verify_cached", "openssl-ecdsa", s[0], s[3]);
    print_ratio("verify_cached_y_point", "openssl-ecdsa", s[1], s[3]);
    print_ratio("verify_cold", "openssl-ecdsa", s[2], s[3]);
  }
  {
    const auto s = interleaved({skm_issue, skm_validate}, rounds, 8);
    print_row("skm ECCSI issue (SSK, PVT)", s[0]);
    print_row("skm ECCSI validate (SSK, PVT)", s[1]);
  }
#endif
  return 0;
}
