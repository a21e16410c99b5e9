// SPDX-License-Identifier: BSD-3-Clause
// I_MESSAGE interop with wolfSSL (Debian's libwolfssl: an independent RFC 6507 / RFC 6508
// implementation): the SAKKE payload of an I_MESSAGE opens with wolfSSL given the receiver's RSK,
// its signature verifies with wolfSSL given the KPAK and the initiator's UID; wolfSSL's SAKKE
// encapsulation of the same key is the payload skm sent; a message signed by wolfSSL opens in skm.
// Both for the vendor message and for messages skm makes.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "km_test_util.hpp"
#include "skm/km/i_message.hpp"
#include "skm/km/skm_server.hpp"
#include "skm/mikey/sdp.hpp"
#include "vendor_vectors.hpp"

// wolfSSL after Crypto++ (through skm): wolfSSL defines macros that are enumerator names in
// Crypto++'s headers.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
// settings first
#include <wolfssl/wolfcrypt/eccsi.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sakke.h>

using namespace skm::km;
using skm::km::test::hex_bytes;
using skm::km::test::to_hex;
namespace vendor = skm::km::test::vendor;
using bytes = std::vector<std::uint8_t>;

namespace {

struct wolf_rng {
  WC_RNG rng;
  wolf_rng() { REQUIRE(wc_InitRng(&rng) == 0); }
  ~wolf_rng() { wc_FreeRng(&rng); }
};

/// A wolfSSL SAKKE user: Z and an RSK; opens R || H for an identifier.
struct wolf_sakke_user {
  SakkeKey key;
  ecc_point* rsk = wc_ecc_new_point();
  wolf_sakke_user(std::span<const std::uint8_t> z, std::span<const std::uint8_t> rsk_bytes) {
    REQUIRE(rsk != nullptr);
    REQUIRE(wc_InitSakkeKey_ex(&key, 128, ECC_SAKKE_1, nullptr, INVALID_DEVID) == 0);
    REQUIRE(wc_ImportSakkePublicKey(&key, z.data(), static_cast<word32>(z.size()), 0) == 0);
    REQUIRE(wc_DecodeSakkeRsk(&key, rsk_bytes.data(), static_cast<word32>(rsk_bytes.size()), rsk) ==
            0);
    REQUIRE(wc_SetSakkeRsk(&key, rsk, nullptr, 0) == 0);
  }
  ~wolf_sakke_user() {
    wc_FreeSakkeKey(&key);
    wc_ecc_del_point(rsk);
  }
  wolf_sakke_user(const wolf_sakke_user&) = delete;
  wolf_sakke_user& operator=(const wolf_sakke_user&) = delete;

  bool rsk_valid(std::span<const std::uint8_t> id) {
    int valid = 0;
    REQUIRE(wc_ValidateSakkeRsk(&key, id.data(), static_cast<word16>(id.size()), rsk, &valid) == 0);
    return valid == 1;
  }
  /// The SSV, or empty when wolfSSL rejects the data.
  bytes open(std::span<const std::uint8_t> id, std::span<const std::uint8_t> data) {
    REQUIRE(data.size() == 273);
    REQUIRE(wc_SetSakkeIdentity(&key, id.data(), static_cast<word16>(id.size())) == 0);
    bytes ssv(data.end() - 16, data.end());
    if (wc_DeriveSakkeSSV(&key, WC_HASH_TYPE_SHA256, ssv.data(), static_cast<word16>(ssv.size()),
                          data.data(), 257) != 0)
      return {};
    return ssv;
  }
};

/// wolfSSL's SAKKE encapsulation of `ssv` to `id` under Z: R || H.
bytes wolf_encapsulate(std::span<const std::uint8_t> z, std::span<const std::uint8_t> id,
                       std::span<const std::uint8_t> ssv) {
  SakkeKey key;
  REQUIRE(wc_InitSakkeKey_ex(&key, 128, ECC_SAKKE_1, nullptr, INVALID_DEVID) == 0);
  REQUIRE(wc_ImportSakkePublicKey(&key, z.data(), static_cast<word32>(z.size()), 0) == 0);
  REQUIRE(wc_SetSakkeIdentity(&key, id.data(), static_cast<word16>(id.size())) == 0);
  bytes h(ssv.begin(), ssv.end());
  bytes r(257);
  word16 r_sz = static_cast<word16>(r.size());
  const int rc = wc_MakeSakkeEncapsulatedSSV(&key, WC_HASH_TYPE_SHA256, h.data(),
                                             static_cast<word16>(h.size()), r.data(), &r_sz);
  wc_FreeSakkeKey(&key);
  REQUIRE(rc == 0);
  REQUIRE(r_sz == 257);
  r.insert(r.end(), h.begin(), h.end());
  return r;
}

/// wolfSSL's ECCSI verification of `sig` over `msg` by `id` under `kpak`: true when valid.
bool wolf_verify(std::span<const std::uint8_t> kpak, std::span<const std::uint8_t> id,
                 std::span<const std::uint8_t> msg, std::span<const std::uint8_t> sig) {
  EccsiKey key;
  REQUIRE(wc_InitEccsiKey(&key, nullptr, INVALID_DEVID) == 0);
  ecc_point* pvt = wc_ecc_new_point();
  REQUIRE(pvt != nullptr);
  int verified = 0;
  bool ok = wc_ImportEccsiPublicKey(&key, kpak.data(), static_cast<word32>(kpak.size()), 0) == 0 &&
            wc_DecodeEccsiPvtFromSig(&key, sig.data(), static_cast<word32>(sig.size()), pvt) == 0;
  std::array<byte, WC_MAX_DIGEST_SIZE> hs{};
  byte hs_size = static_cast<byte>(hs.size());
  ok = ok && wc_HashEccsiId(&key, WC_HASH_TYPE_SHA256, id.data(), static_cast<word32>(id.size()),
                            pvt, hs.data(), &hs_size) == 0;
  ok = ok && wc_SetEccsiHash(&key, hs.data(), hs_size) == 0;
  ok = ok &&
       wc_VerifyEccsiHash(&key, WC_HASH_TYPE_SHA256, msg.data(), static_cast<word32>(msg.size()),
                          sig.data(), static_cast<word32>(sig.size()), &verified) == 0;
  wc_ecc_del_point(pvt);
  wc_FreeEccsiKey(&key);
  return ok && verified == 1;
}

/// wolfSSL's ECCSI signature over `msg` with (SSK, PVT) for `id` under `kpak`.
bytes wolf_sign(std::span<const std::uint8_t> kpak, std::span<const std::uint8_t> id,
                std::span<const std::uint8_t> ssk, std::span<const std::uint8_t> pvt_bytes,
                std::span<const std::uint8_t> msg) {
  wolf_rng rng;
  EccsiKey key;
  REQUIRE(wc_InitEccsiKey(&key, nullptr, INVALID_DEVID) == 0);
  mp_int ssk_mp;
  REQUIRE(mp_init(&ssk_mp) == 0);
  ecc_point* pvt = wc_ecc_new_point();
  REQUIRE(pvt != nullptr);
  REQUIRE(wc_ImportEccsiPublicKey(&key, kpak.data(), static_cast<word32>(kpak.size()), 0) == 0);
  REQUIRE(wc_DecodeEccsiSsk(&key, ssk.data(), static_cast<word32>(ssk.size()), &ssk_mp) == 0);
  REQUIRE(wc_DecodeEccsiPvt(&key, pvt_bytes.data(), static_cast<word32>(pvt_bytes.size()), pvt) ==
          0);
  std::array<byte, WC_MAX_DIGEST_SIZE> hs{};
  byte hs_size = static_cast<byte>(hs.size());
  REQUIRE(wc_HashEccsiId(&key, WC_HASH_TYPE_SHA256, id.data(), static_cast<word32>(id.size()), pvt,
                         hs.data(), &hs_size) == 0);
  REQUIRE(wc_SetEccsiPair(&key, &ssk_mp, pvt) == 0);
  REQUIRE(wc_SetEccsiHash(&key, hs.data(), hs_size) == 0);
  bytes sig(129);
  word32 sig_sz = static_cast<word32>(sig.size());
  REQUIRE(wc_SignEccsiHash(&key, &rng.rng, WC_HASH_TYPE_SHA256, msg.data(),
                           static_cast<word32>(msg.size()), sig.data(), &sig_sz) == 0);
  REQUIRE(sig_sz == 129);
  mp_forcezero(&ssk_mp);
  mp_free(&ssk_mp);
  wc_ecc_del_point(pvt);
  wc_FreeEccsiKey(&key);
  return sig;
}

skm::os_random& rng() {
  static skm::os_random r;
  return r;
}

}  // namespace

TEST_CASE("vendor I_MESSAGE: wolfSSL opens its SAKKE payload and verifies its signature",
          "[wolfssl][km]") {
  const auto msg = skm::mikey::sdp::parse_key_mgmt(vendor::sdp_line).value();
  const auto parsed = skm::mikey::parse_message(msg).value();
  const auto z = hex_bytes(vendor::z);
  const auto bob_uid = hex_bytes(vendor::bob_uid);
  wolf_sakke_user bob(z, hex_bytes(vendor::bob_rsk));
  REQUIRE(bob.rsk_valid(bob_uid));
  REQUIRE(to_hex(bob.open(bob_uid, parsed.sakke()->data)) == vendor::pck);
  const auto range = parsed.signed_range().value();
  const auto kpak = hex_bytes(vendor::kpak);
  REQUIRE(wolf_verify(kpak, hex_bytes(vendor::alice_uid), range, parsed.sign()->signature));
  REQUIRE_FALSE(wolf_verify(kpak, bob_uid, range, parsed.sign()->signature));
}

TEST_CASE(
    "skm I_MESSAGEs: wolfSSL opens the SAKKE payload, makes the same one, and verifies the signature",
    "[wolfssl][km]") {
  const auto server = skm_server::generate({"kms.w.example.org", {2592000, 0}}, rng()).value();
  const auto c = community::create(server.public_values()).value();
  const ntp_time t = parse_iso8601("2026-11-28T12:00:00Z").value();
  const auto alice_set = server.issue_at("sip:alice@w.example.org", t, rng()).value();
  const auto bob_set = server.issue_at("sip:bob@w.example.org", t, rng()).value();
  const auto alice = period_keys::create(c, alice_set).value();
  const auto& z = server.public_values().z;
  const auto& kpak = server.public_values().kpak;
  wolf_sakke_user bob(z, bob_set.rsk.span());
  REQUIRE(bob.rsk_valid(bob_set.id));  // skm-issued keys are valid for wolfSSL too

  i_message_receiver skm_bob("sip:bob@w.example.org");
  skm_bob.trust(c);
  REQUIRE(skm_bob.add_keys(period_keys::create(c, bob_set).value()).has_value());

  for (int i = 0; i < 4; ++i) {
    i_message_options o;
    o.purpose = i % 2 ? key_purpose::gmk : key_purpose::pck;
    o.identities = i < 2 ? identity_form::uri : identity_form::hashed_uid;
    o.sakke_to_self = true;
    const ntp_time ti{t.seconds + static_cast<std::uint64_t>(i), 0};
    const auto sent = create_i_message(alice, c, "sip:bob@w.example.org", c, ti, o, rng()).value();
    const auto parsed = skm::mikey::parse_message(sent.bytes).value();
    const auto data = parsed.sakke()->data;
    // wolfSSL opens the SAKKE payload with Bob's RSK, and the SAKKE-to-self copy with Alice's.
    REQUIRE(bob.open(bob_set.id, data) == bytes(sent.key.span().begin(), sent.key.span().end()));
    wolf_sakke_user alice_w(z, alice_set.rsk.span());
    const auto self =
        parsed.extension(skm::mikey::ext_type::sakke_to_self)->sakke_to_self().value();
    REQUIRE(alice_w.open(alice_set.id, self.data) ==
            bytes(sent.key.span().begin(), sent.key.span().end()));
    // wolfSSL's encapsulation of the key to Bob's UID is exactly the payload skm sent
    // (SAKKE is deterministic in the SSV and the identifier).
    REQUIRE(wolf_encapsulate(z, bob_set.id, sent.key.span()) == bytes(data.begin(), data.end()));
    // wolfSSL verifies the signature; a changed octet fails for it too.
    const auto range = parsed.signed_range().value();
    REQUIRE(wolf_verify(kpak, alice_set.id, range, parsed.sign()->signature));
    bytes tampered(range.begin(), range.end());
    tampered[12] ^= 1;
    REQUIRE_FALSE(wolf_verify(kpak, alice_set.id, tampered, parsed.sign()->signature));

    // The same message signed by wolfSSL instead opens in skm.
    bytes resigned(range.begin(), range.end());
    const auto wsig = wolf_sign(kpak, alice_set.id, alice_set.ssk.span(), alice_set.pvt, range);
    resigned.insert(resigned.end(), wsig.begin(), wsig.end());
    initiator_binding from_alice;  // hidden initiators are bound to a candidate URI (issue 19)
    from_alice.candidate_uris = {"sip:alice@w.example.org"};
    const auto got = skm_bob.process(resigned, ti, from_alice);
    INFO((got ? std::string() : got.error().message()));
    REQUIRE(got.has_value());
    REQUIRE(got->initiator_confirmed);
    REQUIRE(to_hex(got->key.span()) == to_hex(sent.key.span()));
    REQUIRE(got->key_id == sent.key_id);
  }
}
