// SPDX-License-Identifier: BSD-3-Clause
// MIKEY PRF and TEK/salt derivation, MKIs, SRTP session key derivation and replay protection.
#include <catch2/catch.hpp>

#include <cryptopp/aes.h>
#include <cryptopp/filters.h>
#include <cryptopp/gcm.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "km_test_util.hpp"
#include "skm/km/kdf.hpp"
#include "skm/km/mikey_prf.hpp"
#include "skm/km/replay.hpp"
#include "skm/km/srtp_kdf.hpp"
#include "skm/km/time.hpp"

namespace test_derivation {

using namespace skm::km;
using skm::km::test::hex_bytes;
using skm::km::test::to_hex;

namespace {
// The vendor PCK message (specs/vectors/mcx-pck-example.md): PCK, PCK-ID = CSB ID, RAND.
const auto vendor_pck = hex_bytes("b4c96b703acd5c1bf7d4cc45068d9965");
constexpr std::uint32_t vendor_pck_id = 0x16992638;
const auto vendor_rand = hex_bytes("02a28bddaf984c5e0563bc1ce857df83");
}  // namespace

// Expected values in this file come from an independent transcription of RFC 3830 §4.1.2 in
// Python (hmac/hashlib), written separately from the C++ code. No published PRF vector exists.
TEST_CASE("PRF-HMAC-SHA-256 TEK and salt from the vendor PCK", "[mikey_prf]") {
  const auto tek = derive_from_tgk(mikey_prf::prf_hmac_sha_256, vendor_pck, tgk_constant::tek, 0,
                                   vendor_pck_id, vendor_rand, 16);
  REQUIRE(to_hex(tek.value().span()) == "e392c95d3444f8ab3ca6d340865e4284");
  const auto m0 =
      derive_srtp_master(mikey_prf::prf_hmac_sha_256, vendor_pck, 0, vendor_pck_id, vendor_rand)
          .value();
  REQUIRE(to_hex(m0.key.span()) == "e392c95d3444f8ab3ca6d340865e4284");
  REQUIRE(to_hex(m0.salt.span()) == "245d9363909f2fafc45add02");
  const auto m1 = derive_srtp_master(mikey_prf::prf_hmac_sha_256, vendor_pck, 1, vendor_pck_id,
                                     vendor_rand, 16, 14)
                      .value();
  REQUIRE(to_hex(m1.key.span()) == "85b6731c05a50a3856b68191a942a344");
  REQUIRE(to_hex(m1.salt.span()) == "10993ef963479b780a8c71ee7525");
  // PRF func 0 (HMAC-SHA-1).
  const auto sha1 = derive_from_tgk(mikey_prf::mikey_1, vendor_pck, tgk_constant::tek, 0,
                                    vendor_pck_id, vendor_rand, 16);
  REQUIRE(to_hex(sha1.value().span()) == "4acfbe69b60fea2e66524daeb0e02d2e");
}

TEST_CASE("PRF with a two-block inkey and multi-block output", "[mikey_prf]") {
  std::vector<std::uint8_t> key40(40);
  for (std::size_t i = 0; i < 40; ++i) key40[i] = static_cast<std::uint8_t>(i + 1);
  const std::string label_text = "skm-label";
  const std::vector<std::uint8_t> label(label_text.begin(), label_text.end());
  const auto out256 = mikey_prf_derive(mikey_prf::prf_hmac_sha_256, key40, label, 70).value();
  REQUIRE(
      to_hex(out256.span()) ==
      "72a9f269c8856e0a56924f91230962a55dc3b821287dbacb5eaae5df6798f83e2b2e273dfa748d873f14871f465d7086"
      "a90845c4bdd0aa7114028c0e8d41cf15cdd92775f11c");
  const auto out160 = mikey_prf_derive(mikey_prf::mikey_1, key40, label, 70).value();
  REQUIRE(
      to_hex(out160.span()) ==
      "cc13d11def6339dac0956354fe3cdaa3c377c668dca3faf4e35b71bfef8637cc37f8bbf699c472c782859dcd86d7ddcb"
      "a8dbcc1dd1ca498b0125febbf779ac6c908a0f120f58");
  // Shorter outputs are prefixes (the outkey_len most significant bits).
  for (std::size_t n : {1u, 16u, 31u, 32u, 33u, 64u}) {
    const auto part = mikey_prf_derive(mikey_prf::prf_hmac_sha_256, key40, label, n).value();
    REQUIRE(std::equal(part.span().begin(), part.span().end(), out256.span().begin()));
  }
  // The XOR of the per-block P functions: the 40-octet key equals block 1 XOR block 2.
  const std::vector<std::uint8_t> s1(key40.begin(), key40.begin() + 32),
      s2(key40.begin() + 32, key40.end());
  const auto p1 = mikey_prf_derive(mikey_prf::prf_hmac_sha_256, s1, label, 70).value();
  const auto p2 = mikey_prf_derive(mikey_prf::prf_hmac_sha_256, s2, label, 70).value();
  for (std::size_t i = 0; i < 70; ++i)
    REQUIRE(static_cast<std::uint8_t>(p1.span()[i] ^ p2.span()[i]) == out256.span()[i]);
  // Envelope-key label (§4.1.4).
  const auto env =
      derive_from_envelope_key(mikey_prf::prf_hmac_sha_256, key40,
                               envelope_constant::encryption_key, vendor_pck_id, vendor_rand, 16);
  REQUIRE(to_hex(env.value().span()) == "a1c3153d2957c151d5716c32961a4df9");
}

TEST_CASE("PRF labels and rejections", "[mikey_prf]") {
  REQUIRE(to_hex(tgk_label(tgk_constant::salting_key, 4, 0x01020304, vendor_rand).value()) ==
          "39a2c14b"
          "04"
          "01020304"
          "02a28bddaf984c5e0563bc1ce857df83");
  REQUIRE(to_hex(envelope_label(envelope_constant::salt_key, 0x01020304, vendor_rand).value()) ==
          "29b88916"
          "ff"
          "01020304"
          "02a28bddaf984c5e0563bc1ce857df83");
  const std::vector<std::uint8_t> short_rand(15, 1), long_rand(256, 1), max_rand(255, 1);
  REQUIRE(tgk_label(tgk_constant::tek, 0, 0, short_rand).error() == prf_error::rand_too_short);
  REQUIRE(tgk_label(tgk_constant::tek, 0, 0, long_rand).error() == prf_error::rand_too_long);
  REQUIRE(tgk_label(tgk_constant::tek, 0, 0, max_rand).has_value());
  REQUIRE(derive_srtp_master(mikey_prf::prf_hmac_sha_256, vendor_pck, 0, 0, short_rand).error() ==
          prf_error::rand_too_short);
  REQUIRE(derive_srtp_master(mikey_prf::prf_hmac_sha_256, {}, 0, 0, vendor_rand).error() ==
          prf_error::empty_key);
  REQUIRE(mikey_prf_derive(static_cast<mikey_prf>(2), vendor_pck, vendor_rand, 16).error() ==
          prf_error::unknown_prf);
  REQUIRE(mikey_prf_derive(mikey_prf::prf_hmac_sha_256, vendor_pck, vendor_rand, (1u << 20) + 1)
              .error() == prf_error::output_too_long);
  std::vector<std::uint8_t> out(8, 0xAA);
  REQUIRE(mikey_prf_into(mikey_prf::prf_hmac_sha_256, {}, vendor_rand, out) ==
          prf_error::empty_key);
  REQUIRE(
      std::all_of(out.begin(), out.end(), [](auto b) { return b == 0xAA; }));  // untouched on error
  REQUIRE(!mikey_prf_into(mikey_prf::prf_hmac_sha_256, vendor_pck, vendor_rand, out).has_value());
  // Every input matters.
  const auto base = to_hex(derive_from_tgk(mikey_prf::prf_hmac_sha_256, vendor_pck,
                                           tgk_constant::tek, 0, vendor_pck_id, vendor_rand, 16)
                               ->span());
  auto rand2 = vendor_rand;
  rand2[15] ^= 1;
  REQUIRE(to_hex(derive_from_tgk(mikey_prf::prf_hmac_sha_256, vendor_pck, tgk_constant::tek, 0,
                                 vendor_pck_id, rand2, 16)
                     ->span()) != base);
  REQUIRE(to_hex(derive_from_tgk(mikey_prf::prf_hmac_sha_256, vendor_pck, tgk_constant::tek, 0,
                                 vendor_pck_id + 1, vendor_rand, 16)
                     ->span()) != base);
  REQUIRE(to_hex(derive_from_tgk(mikey_prf::prf_hmac_sha_256, vendor_pck,
                                 tgk_constant::encryption_key, 0, vendor_pck_id, vendor_rand, 16)
                     ->span()) != base);
}

TEST_CASE("MKIs", "[mikey_prf]") {
  STATIC_REQUIRE(group_mki(sk_id::from_value(0x01234567), sk_id::from_value(0x0307162F)) ==
                 std::array<std::uint8_t, 8>{0x01, 0x23, 0x45, 0x67, 0x03, 0x07, 0x16, 0x2F});
  STATIC_REQUIRE(key_id_mki(sk_id::from_value(0x16992638)) ==
                 std::array<std::uint8_t, 4>{0x16, 0x99, 0x26, 0x38});
}

TEST_CASE("vendor key parameters decrypt under the DPCK", "[mikey_prf][kdf]") {
  // The General Extension (type 7) of the vendor I_MESSAGE, as laid out in 3gpp-notes D.6:
  //   0x43 | date-time(5) | payload ID(4) | seq(1) | alg(1) | IV(16) | DPPK-ID(4) | IEI(1) | len(2)
  //   | ct||tag
  const auto ext = hex_bytes(
      "43"
      "0000000001"
      "00000000"
      "00"
      "01"
      "f6f4156f58542961cbca8fb10e66f167"
      "16992638"
      "00"
      "0021"
      "a53540022efcccb3685058953c68c1cb1e0df54f6071c3e2425d5e8828852e6f01");
  REQUIRE(ext.size() == 0x44);
  const auto dpck = derive_dpck(vendor_pck, vendor_pck_id).value();
  const std::vector<std::uint8_t> iv(ext.begin() + 12, ext.begin() + 28);
  // AAD = the first 12 octets || IV || DPPK-ID, which is simply the first 32 octets.
  const std::vector<std::uint8_t> aad(ext.begin(), ext.begin() + 32);
  const std::vector<std::uint8_t> ct(ext.begin() + 35, ext.end() - 16),
      tag(ext.end() - 16, ext.end());

  auto decrypt = [&](std::span<const std::uint8_t> key) {
    CryptoPP::GCM<CryptoPP::AES>::Decryption d;
    d.SetKeyWithIV(key.data(), key.size(), iv.data(), iv.size());
    CryptoPP::AuthenticatedDecryptionFilter f(
        d, nullptr,
        CryptoPP::AuthenticatedDecryptionFilter::MAC_AT_BEGIN |
            CryptoPP::AuthenticatedDecryptionFilter::THROW_EXCEPTION,
        16);
    f.ChannelPut(CryptoPP::DEFAULT_CHANNEL, tag.data(), tag.size());
    f.ChannelPut(CryptoPP::AAD_CHANNEL, aad.data(), aad.size());
    f.ChannelMessageEnd(CryptoPP::AAD_CHANNEL);
    f.ChannelPut(CryptoPP::DEFAULT_CHANNEL, ct.data(), ct.size());
    f.ChannelMessageEnd(CryptoPP::DEFAULT_CHANNEL);
    std::vector<std::uint8_t> pt(f.MaxRetrievable());
    f.Get(pt.data(), pt.size());
    return pt;
  };
  REQUIRE(to_hex(decrypt(dpck.span())) == "0100000001000000000000000000000000");
  // The same decryption under a DPCK from the wrong key ID fails authentication.
  const auto wrong = derive_dpck(vendor_pck, vendor_pck_id ^ 1).value();
  REQUIRE_THROWS(decrypt(wrong.span()));
}

// ---------------------------------------------------------------------------------------------
// RFC 3711 §4.3 key derivation, Appendix B.3 vectors

TEST_CASE("RFC 3711 B.3 key derivation test vectors", "[srtp_kdf]") {
  const auto master_key = hex_bytes("E1F97A0D3E018BE0D64FA32C06DE4139");
  const auto master_salt = hex_bytes("0EC675AD498AFEEBB6960B3AABE6");
  const auto keys = srtp_derive_session_keys(master_key, master_salt, false, 16, 94, 14).value();
  REQUIRE(to_hex(keys.encryption_key.span()) == "c61e7a93744f39ee10734afe3ff7a087");
  REQUIRE(to_hex(keys.salt.span()) == "30cbbc08863d8c85d49db34a9ae1");
  REQUIRE(to_hex(keys.authentication_key.span()) ==
          "cebe321f6ff7716b6fd4ab49af256a15"
          "6d38baa48f0a0acf3c34e2359e6cdbce"
          "e049646c43d9327ad175578ef7227098"
          "6371c10c9a369ac2f94a8c5fbcdddc25"
          "6d6e919a48b610ef17c2041e47403576"
          "6b68642c59bbfc2f34db60dbdfb2");
}

TEST_CASE("SRTP key derivation: labels, rate, rejections", "[srtp_kdf]") {
  const auto master_key = hex_bytes("E1F97A0D3E018BE0D64FA32C06DE4139");
  const auto master_salt = hex_bytes("0EC675AD498AFEEBB6960B3AABE6");
  const auto rtp = srtp_derive_session_keys(master_key, master_salt, false, 16, 20, 14).value();
  const auto rtcp = srtp_derive_session_keys(master_key, master_salt, true, 16, 20, 14).value();
  REQUIRE(to_hex(rtp.encryption_key.span()) != to_hex(rtcp.encryption_key.span()));
  // With kdr = 0 the index does not matter; with kdr = 2^16 it does once index ≥ 2^16.
  const auto k0 =
      srtp_derive_session_key(master_key, master_salt, srtp_label::rtp_encryption, 16, 123456, 0)
          .value();
  REQUIRE(to_hex(k0.span()) == "c61e7a93744f39ee10734afe3ff7a087");
  const auto k1 = srtp_derive_session_key(master_key, master_salt, srtp_label::rtp_encryption, 16,
                                          0xFFFF, 0x10000)
                      .value();
  REQUIRE(to_hex(k1.span()) == "c61e7a93744f39ee10734afe3ff7a087");
  const auto k2 = srtp_derive_session_key(master_key, master_salt, srtp_label::rtp_encryption, 16,
                                          0x10000, 0x10000)
                      .value();
  REQUIRE(to_hex(k2.span()) != "c61e7a93744f39ee10734afe3ff7a087");
  // r = 1 XORs into the last octet of x: the same as a salt with its last octet flipped.
  auto salt_r1 = master_salt;
  salt_r1[13] ^= 1;
  REQUIRE(to_hex(srtp_derive_session_key(master_key, salt_r1, srtp_label::rtp_encryption, 16)
                     .value()
                     .span()) == to_hex(k2.span()));

  REQUIRE(srtp_derive_session_key(hex_bytes("00"), master_salt, srtp_label::rtp_salt, 14).error() ==
          srtp_kdf_error::bad_master_key_length);
  REQUIRE(srtp_derive_session_key(master_key, hex_bytes("000102030405060708090a0b"),
                                  srtp_label::rtp_salt, 14)
              .error() == srtp_kdf_error::bad_master_salt_length);
  REQUIRE(srtp_derive_session_key(master_key, master_salt, srtp_label::rtp_salt, 14,
                                  std::uint64_t{1} << 48)
              .error() == srtp_kdf_error::index_out_of_range);
  REQUIRE(
      srtp_derive_session_key(master_key, master_salt, srtp_label::rtp_salt, 14, 0, 3).error() ==
      srtp_kdf_error::bad_derivation_rate);
  REQUIRE(srtp_derive_session_key(master_key, master_salt, srtp_label::rtp_salt, 14, 0,
                                  std::uint64_t{1} << 25)
              .error() == srtp_kdf_error::bad_derivation_rate);
  REQUIRE(srtp_derive_session_key(master_key, master_salt, srtp_label::rtp_salt, (1u << 20) + 1)
              .error() == srtp_kdf_error::output_too_long);
  REQUIRE(srtp_derive_session_key(hex_bytes("000102030405060708090a0b0c0d0e0f1011121314151617"),
                                  master_salt, srtp_label::rtp_salt, 14)
              .has_value());
}

// ---------------------------------------------------------------------------------------------
// Replay protection

TEST_CASE("replay guard: window, cache, expiry, capacity", "[replay]") {
  replay_guard guard({.max_age_seconds = 60, .max_future_skew_seconds = 10, .cache_capacity = 2});
  const ntp_time now{4'000'000'000ull, 0};
  auto rand = vendor_rand;

  REQUIRE(guard.check(now, rand, now) == replay_verdict::fresh);
  REQUIRE(guard.size() == 0);  // check records nothing
  REQUIRE(guard.accept(now, rand, now) == replay_verdict::fresh);
  REQUIRE(guard.size() == 1);
  REQUIRE(guard.check(now, rand, now) == replay_verdict::replayed);
  REQUIRE(guard.accept(now, rand, ntp_time{now.seconds + 30, 0}) == replay_verdict::replayed);

  // Window edges (inclusive): 60 s old and 10 s ahead pass, one more second does not.
  auto r2 = rand;
  r2[0] ^= 1;
  REQUIRE(guard.check(ntp_time{now.seconds - 60, 0}, r2, now) == replay_verdict::fresh);
  REQUIRE(guard.check(ntp_time{now.seconds - 61, 0}, r2, now) == replay_verdict::too_old);
  REQUIRE(guard.check(ntp_time{now.seconds + 10, 0}, r2, now) == replay_verdict::fresh);
  REQUIRE(guard.check(ntp_time{now.seconds + 11, 0}, r2, now) == replay_verdict::in_future);
  REQUIRE(guard.check(now, std::span(rand).first(15), now) == replay_verdict::bad_rand);

  // Capacity 2: a third live message is refused, not used to evict one.
  REQUIRE(guard.accept(now, r2, now) == replay_verdict::fresh);
  auto r3 = rand;
  r3[1] ^= 1;
  REQUIRE(guard.accept(now, r3, now) == replay_verdict::cache_full);
  REQUIRE(guard.check(now, rand, now) == replay_verdict::replayed);

  // Once the first two have aged out of the window they are purged, and the old message is
  // rejected by the window instead of the cache.
  const ntp_time later{now.seconds + 61, 0};
  REQUIRE(guard.check(now, rand, later) == replay_verdict::too_old);
  REQUIRE(guard.accept(later, r3, later) == replay_verdict::fresh);
  REQUIRE(guard.size() == 1);
  // A message stamped in the future stays remembered until it too ages out.
  replay_guard g2({.max_age_seconds = 60, .max_future_skew_seconds = 10, .cache_capacity = 4});
  const ntp_time ahead{now.seconds + 10, 0};
  REQUIRE(g2.accept(ahead, rand, now) == replay_verdict::fresh);
  REQUIRE(g2.accept(ahead, rand, ntp_time{now.seconds + 70, 0}) == replay_verdict::replayed);
  REQUIRE(g2.accept(ahead, rand, ntp_time{now.seconds + 71, 0}) == replay_verdict::too_old);
  // Guards are independent objects.
  replay_guard g3;
  REQUIRE(g3.accept(now, rand, now) == replay_verdict::fresh);
  REQUIRE(std::string(describe(replay_verdict::replayed)).find("replay") != std::string::npos);
}

}  // namespace test_derivation
