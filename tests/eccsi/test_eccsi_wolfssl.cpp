// SPDX-License-Identifier: BSD-3-Clause
// ECCSI interop with wolfSSL (an independent implementation, Debian's libwolfssl): keys issued by
// either side validate on the other, signatures made by either side verify on the other, and a
// tampered signature fails in both.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

// skm (and with it Crypto++) before wolfSSL: wolfSSL defines macros such as LITTLE_ENDIAN_ORDER
// that are enumerator names in Crypto++'s headers.
#include "skm/eccsi/eccsi.hpp"

// wolfSSL's build configuration must precede its other headers (it fixes the struct layouts).
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/random.h>

namespace {

namespace eccsi = skm::eccsi;
using bytes = std::vector<std::uint8_t>;

/// RAII around wolfSSL's objects.
struct wolf_rng {
  WC_RNG rng;
  wolf_rng() { REQUIRE(wc_InitRng(&rng) == 0); }
  ~wolf_rng() { wc_FreeRng(&rng); }
};
struct wolf_key {
  EccsiKey key;
  wolf_key() { REQUIRE(wc_InitEccsiKey(&key, nullptr, INVALID_DEVID) == 0); }
  ~wolf_key() { wc_FreeEccsiKey(&key); }
};
struct wolf_pair {
  mp_int ssk;
  ecc_point* pvt = wc_ecc_new_point();
  wolf_pair() {
    REQUIRE(mp_init(&ssk) == 0);
    REQUIRE(pvt != nullptr);
  }
  ~wolf_pair() {
    mp_forcezero(&ssk);
    mp_free(&ssk);
    wc_ecc_del_point(pvt);
  }
};

bytes export_kpak(wolf_key& k) {
  bytes out(65);
  word32 sz = static_cast<word32>(out.size());
  REQUIRE(wc_ExportEccsiPublicKey(&k.key, out.data(), &sz, 0) == 0);
  out.resize(sz);
  return out;
}
bytes encode_ssk(wolf_key& k, wolf_pair& p) {
  bytes out(32);
  word32 sz = static_cast<word32>(out.size());
  REQUIRE(wc_EncodeEccsiSsk(&k.key, &p.ssk, out.data(), &sz) == 0);
  out.resize(sz);
  return out;
}
bytes encode_pvt(wolf_key& k, wolf_pair& p) {
  bytes out(65);
  word32 sz = static_cast<word32>(out.size());
  REQUIRE(wc_EncodeEccsiPvt(&k.key, p.pvt, out.data(), &sz, 0) == 0);
  out.resize(sz);
  return out;
}

/// wolfSSL's verification of `sig` by (KPAK in `k`, id) over msg: 1 = valid.
int wolf_verify(wolf_key& k, const bytes& id, const bytes& msg, const bytes& sig) {
  wolf_pair tmp;
  if (wc_DecodeEccsiPvtFromSig(&k.key, sig.data(), static_cast<word32>(sig.size()), tmp.pvt) != 0)
    return 0;
  std::array<byte, WC_MAX_DIGEST_SIZE> hs{};
  byte hs_size = static_cast<byte>(hs.size());
  if (wc_HashEccsiId(&k.key, WC_HASH_TYPE_SHA256, id.data(), static_cast<word32>(id.size()),
                     tmp.pvt, hs.data(), &hs_size) != 0)
    return 0;
  if (wc_SetEccsiHash(&k.key, hs.data(), hs_size) != 0) return 0;
  int verified = 0;
  const int rc =
      wc_VerifyEccsiHash(&k.key, WC_HASH_TYPE_SHA256, msg.data(), static_cast<word32>(msg.size()),
                         sig.data(), static_cast<word32>(sig.size()), &verified);
  return rc == 0 ? verified : 0;
}

bytes random_bytes(std::mt19937_64& rng, std::size_t n) {
  bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

/// Identifiers of the shapes used in practice: RFC 6509 "date\0uri\0" strings and 32-octet UIDs.
bytes random_identity(std::mt19937_64& rng, int i) {
  if (i % 2 == 0) return random_bytes(rng, 32);  // a TS 33.180 UID
  // (a literal with an embedded NUL would end there when it decays to a pointer)
  std::string s = std::string("2026-11") + '\0' + "tel:+4477009" + std::to_string(rng() % 100000);
  s.push_back('\0');
  return bytes(s.begin(), s.end());
}

constexpr int identities = 12;

}  // namespace

TEST_CASE("wolfSSL KMS: its pairs validate in skm, signatures verify both ways",
          "[wolfssl][eccsi]") {
  std::mt19937_64 rng(2026);
  wolf_rng wrng;
  wolf_key kms;
  REQUIRE(wc_MakeEccsiKey(&kms.key, &wrng.rng) == 0);
  const bytes kpak_bytes = export_kpak(kms);
  REQUIRE(kpak_bytes.size() == 65);
  const auto kpak = eccsi::public_key<>::from_bytes(kpak_bytes).value();
  skm::os_random os;

  for (int i = 0; i < identities; ++i) {
    const bytes id = random_identity(rng, i);
    wolf_pair pair;
    REQUIRE(wc_MakeEccsiPair(&kms.key, &wrng.rng, WC_HASH_TYPE_SHA256, id.data(),
                             static_cast<word32>(id.size()), &pair.ssk, pair.pvt) == 0);
    const bytes ssk = encode_ssk(kms, pair), pvt = encode_pvt(kms, pair);
    REQUIRE(ssk.size() == 32);
    REQUIRE(pvt.size() == 65);

    // wolfSSL-issued (SSK, PVT) validates in skm (RFC 6507 §5.1.2), and HS agrees.
    const auto signer = eccsi::signer<>::create(kpak, id, ssk, pvt);
    REQUIRE(signer.has_value());
    std::array<byte, WC_MAX_DIGEST_SIZE> hs{};
    byte hs_size = static_cast<byte>(hs.size());
    REQUIRE(wc_HashEccsiId(&kms.key, WC_HASH_TYPE_SHA256, id.data(), static_cast<word32>(id.size()),
                           pair.pvt, hs.data(), &hs_size) == 0);
    REQUIRE(hs_size == 32);
    CHECK(bytes(hs.begin(), hs.begin() + 32) == bytes(signer->hs().begin(), signer->hs().end()));

    // skm signs, wolfSSL verifies.
    // (wolfSSL refuses a null message pointer, so no empty message here; skm's own tests cover it)
    const bytes msg = random_bytes(rng, 1 + static_cast<std::size_t>(i) * 23);
    const auto skm_sig = signer->sign(msg, os).value();
    const bytes skm_sig_v(skm_sig.begin(), skm_sig.end());
    CHECK(wolf_verify(kms, id, msg, skm_sig_v) == 1);

    // wolfSSL signs, skm verifies (all three verifiers).
    REQUIRE(wc_SetEccsiPair(&kms.key, &pair.ssk, pair.pvt) == 0);
    REQUIRE(wc_SetEccsiHash(&kms.key, hs.data(), hs_size) == 0);
    bytes wolf_sig(129);
    word32 sig_size = static_cast<word32>(wolf_sig.size());
    REQUIRE(wc_SignEccsiHash(&kms.key, &wrng.rng, WC_HASH_TYPE_SHA256, msg.data(),
                             static_cast<word32>(msg.size()), wolf_sig.data(), &sig_size) == 0);
    REQUIRE(sig_size == 129);
    CHECK(eccsi::verify(kpak, id, msg, wolf_sig).has_value());
    for (auto mode : {eccsi::precompute::y_point, eccsi::precompute::y_table}) {
      const auto ctx = eccsi::signer_context<>::create(kpak, id, pvt, mode).value();
      CHECK(ctx.verify(msg, wolf_sig).has_value());
    }
    CHECK(wolf_verify(kms, id, msg, wolf_sig) == 1);  // the oracle agrees with itself

    // A tampered signature fails in both (r, s, and the message in turn).
    for (std::size_t pos : {std::size_t{3}, std::size_t{40}}) {
      bytes bad = wolf_sig;
      bad[pos] ^= 0x10;
      CHECK_FALSE(eccsi::verify(kpak, id, msg, bad).has_value());
      CHECK(wolf_verify(kms, id, msg, bad) == 0);
      bad = skm_sig_v;
      bad[pos] ^= 0x10;
      CHECK_FALSE(eccsi::verify(kpak, id, msg, bad).has_value());
      CHECK(wolf_verify(kms, id, msg, bad) == 0);
    }
    bytes other_msg = msg;
    other_msg.push_back(1);
    CHECK_FALSE(eccsi::verify(kpak, id, other_msg, wolf_sig).has_value());
    CHECK(wolf_verify(kms, id, other_msg, skm_sig_v) == 0);
  }
}

TEST_CASE("skm KMS: its pairs validate in wolfSSL", "[wolfssl][eccsi]") {
  std::mt19937_64 rng(2027);
  skm::os_random os;
  const auto kms = eccsi::kms<>::generate(os).value();
  wolf_key client;
  const auto& kpak = kms.kpak().bytes();
  REQUIRE(wc_ImportEccsiPublicKey(&client.key, kpak.data(), static_cast<word32>(kpak.size()), 0) ==
          0);
  CHECK(export_kpak(client) == bytes(kpak.begin(), kpak.end()));

  for (int i = 0; i < identities; ++i) {
    const bytes id = random_identity(rng, i);
    const auto pair = kms.issue(id, os).value();
    wolf_pair wp;
    REQUIRE(wc_DecodeEccsiSsk(&client.key, pair.ssk.data(), static_cast<word32>(pair.ssk.size()),
                              &wp.ssk) == 0);
    REQUIRE(wc_DecodeEccsiPvt(&client.key, pair.pvt.data(), static_cast<word32>(pair.pvt.size()),
                              wp.pvt) == 0);
    int valid = 0;
    REQUIRE(wc_ValidateEccsiPair(&client.key, WC_HASH_TYPE_SHA256, id.data(),
                                 static_cast<word32>(id.size()), &wp.ssk, wp.pvt, &valid) == 0);
    CHECK(valid == 1);
    // and a corrupted SSK does not
    auto bad_ssk = pair.ssk;
    bad_ssk[31] ^= 1;
    wolf_pair bad;
    REQUIRE(wc_DecodeEccsiSsk(&client.key, bad_ssk.data(), static_cast<word32>(bad_ssk.size()),
                              &bad.ssk) == 0);
    REQUIRE(wc_DecodeEccsiPvt(&client.key, pair.pvt.data(), static_cast<word32>(pair.pvt.size()),
                              bad.pvt) == 0);
    valid = 1;
    (void)wc_ValidateEccsiPair(&client.key, WC_HASH_TYPE_SHA256, id.data(),
                               static_cast<word32>(id.size()), &bad.ssk, bad.pvt, &valid);
    CHECK(valid == 0);
  }
}
