// SPDX-License-Identifier: BSD-3-Clause
// SAKKE interoperability with wolfSSL (Debian's libwolfssl, an independent implementation of
// RFC 6508 with parameter set 1), in both directions:
//   * wolfSSL's KMS issues RSKs that skm validates and decapsulates with; skm's RSKs validate in
//     wolfSSL;
//   * wolfSSL encapsulations decapsulate in skm (warm and cold), skm's in wolfSSL;
//   * for many random identities and SSVs, including SSVs for which g^r = w has a leading zero
//     octet (RFC 6508 §4: hashed as the full L octets), R coordinates with a leading zero octet,
//     and identities with leading zero octets.
// wolfSSL's API: wc_MakeSakkeEncapsulatedSSV turns the SSV buffer into H in place and writes R
// (0x04 || x || y) to `auth`; wc_DeriveSakkeSSV takes H in the same buffer and returns the SSV.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/sakke/sakke.hpp"

// wolfSSL after Crypto++ (through skm): wolfSSL defines macros such as LITTLE_ENDIAN_ORDER
// that are enumerator names in Crypto++'s headers.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
// settings first
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sakke.h>

using skm::curves::sakke_param_set_1;
using S = skm::sakke::scheme<sakke_param_set_1>;
using bytes = std::vector<std::uint8_t>;

namespace {

struct wolf_rng {
  WC_RNG rng;
  wolf_rng() { REQUIRE(wc_InitRng(&rng) == 0); }
  ~wolf_rng() { wc_FreeRng(&rng); }
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    REQUIRE(wc_RNG_GenerateBlock(&rng, out, static_cast<word32>(n)) == 0);
  }
};

struct wolf_point {
  ecc_point* p = wc_ecc_new_point();
  wolf_point() { REQUIRE(p != nullptr); }
  ~wolf_point() { wc_ecc_del_point(p); }
  wolf_point(const wolf_point&) = delete;
  wolf_point& operator=(const wolf_point&) = delete;
};

/// A wolfSSL SAKKE key (parameter set 1).
struct wolf_key {
  SakkeKey key;
  wolf_key() { REQUIRE(wc_InitSakkeKey_ex(&key, 128, ECC_SAKKE_1, nullptr, INVALID_DEVID) == 0); }
  ~wolf_key() { wc_FreeSakkeKey(&key); }
  wolf_key(const wolf_key&) = delete;
  wolf_key& operator=(const wolf_key&) = delete;

  bytes public_key() {
    bytes out(257);
    word32 sz = static_cast<word32>(out.size());
    REQUIRE(wc_ExportSakkePublicKey(&key, out.data(), &sz, 0) == 0);
    REQUIRE(sz == 257);
    return out;
  }
  bytes encode_rsk(ecc_point* rsk) {
    bytes out(257);
    word32 sz = static_cast<word32>(out.size());
    REQUIRE(wc_EncodeSakkeRsk(&key, rsk, out.data(), &sz, 0) == 0);
    REQUIRE(sz == 257);
    return out;
  }
  /// Encapsulated data R || H as wolfSSL produces it.
  bytes encapsulate(const bytes& id, const bytes& ssv) {
    REQUIRE(wc_SetSakkeIdentity(&key, id.data(), static_cast<word16>(id.size())) == 0);
    bytes h = ssv;
    bytes r(257);
    word16 r_sz = static_cast<word16>(r.size());
    REQUIRE(wc_MakeSakkeEncapsulatedSSV(&key, WC_HASH_TYPE_SHA256, h.data(),
                                        static_cast<word16>(h.size()), r.data(), &r_sz) == 0);
    REQUIRE(r_sz == 257);
    r.insert(r.end(), h.begin(), h.end());
    return r;
  }
  /// wolfSSL's decapsulation: the SSV, or an empty vector when it rejects the data.
  bytes decapsulate(const bytes& id, const bytes& data) {
    REQUIRE(wc_SetSakkeIdentity(&key, id.data(), static_cast<word16>(id.size())) == 0);
    bytes ssv(data.end() - 16, data.end());
    if (wc_DeriveSakkeSSV(&key, WC_HASH_TYPE_SHA256, ssv.data(), static_cast<word16>(ssv.size()),
                          data.data(), 257) != 0)
      return {};
    return ssv;
  }
};

bytes random_bytes(wolf_rng& rng, std::size_t n) {
  bytes b(n);
  rng.GenerateBlock(b.data(), n);
  return b;
}

/// A random identity of 1..40 octets, sometimes with leading zero octets (kept as octets: the
/// hash sees them, the integer value does not).
bytes random_identity(wolf_rng& rng, int i) {
  bytes id = random_bytes(rng, 1 + (random_bytes(rng, 1)[0] % 40));
  if (id.size() < 2) id.push_back(0x42);
  if (i % 4 == 1) id[0] = 0;
  if (i % 4 == 2) id.insert(id.begin(), {0, 0});
  id.back() |= 0x02;  // keep b >= 2 whatever the leading octets are
  return id;
}

template <std::size_t N>
bytes vec(const std::array<std::uint8_t, N>& a) {
  return {a.begin(), a.end()};
}

}  // namespace

TEST_CASE("wolfSSL KMS keys and RSKs work in skm; wolfSSL encapsulations decapsulate in skm",
          "[wolfssl][sakke]") {
  wolf_rng rng;
  wolf_key wkms;
  REQUIRE(wc_MakeSakkeKey(&wkms.key, &rng.rng) == 0);
  const auto pk = skm::sakke::kms_public_key<sakke_param_set_1>::decode(wkms.public_key());
  REQUIRE(pk.has_value());
  for (int i = 0; i < 10; ++i) {
    const bytes id = random_identity(rng, i);
    wolf_point rsk;
    REQUIRE(wc_MakeSakkeRsk(&wkms.key, id.data(), static_cast<word16>(id.size()), rsk.p) == 0);
    const auto rsk_skm =
        skm::sakke::decode_rsk_unvalidated<sakke_param_set_1>(wkms.encode_rsk(rsk.p));
    REQUIRE(rsk_skm.has_value());
    REQUIRE(skm::sakke::validate_rsk(*pk, id, *rsk_skm).has_value());
    const auto rec = skm::sakke::receiver<sakke_param_set_1>::create(*pk, id, *rsk_skm);
    REQUIRE(rec.has_value());
    // wolfSSL as sender, skm as receiver (the sender key needs only Z)
    wolf_key sender;
    REQUIRE(wc_ImportSakkePublicKey(&sender.key, wkms.public_key().data(), 257, 0) == 0);
    for (int j = 0; j < 3; ++j) {
      const bytes ssv = random_bytes(rng, 16);
      const bytes data = sender.encapsulate(id, ssv);
      REQUIRE(data.size() == S::encapsulated_bytes);
      const auto warm = rec->decapsulate(data);
      REQUIRE(warm.has_value());
      REQUIRE(vec(*warm) == ssv);
      // skm's encapsulation of the same SSV is the same octet string (deterministic in SSV, b)
      const auto ours = skm::sakke::encapsulate(*pk, id, ssv);
      REQUIRE(ours.has_value());
      REQUIRE(vec(*ours) == data);
    }
    const bytes ssv = random_bytes(rng, 16);
    const auto cold = skm::sakke::decapsulate_with_unvalidated_rsk(*pk, id, *rsk_skm,
                                                                   sender.encapsulate(id, ssv));
    REQUIRE(cold.has_value());
    REQUIRE(vec(*cold) == ssv);
  }
}

TEST_CASE("skm KMS keys and RSKs work in wolfSSL; skm encapsulations decapsulate in wolfSSL",
          "[wolfssl][sakke]") {
  wolf_rng rng;
  const auto kms = skm::sakke::kms<sakke_param_set_1>::generate(rng);
  const auto z = kms.public_key().encode();
  // wolfSSL imports skm's master secret and derives the same public key and RSKs
  wolf_key wkms;
  const auto secret = kms.export_master_secret();
  REQUIRE(wc_ImportSakkePrivateKey(&wkms.key, secret.data(), static_cast<word32>(secret.size())) ==
          0);
  wolf_point wz;
  REQUIRE(wc_MakeSakkePublicKey(&wkms.key, wz.p) == 0);
  REQUIRE(wkms.encode_rsk(wz.p) == vec(z));  // (any point encodes as 0x04 || x || y)

  for (int i = 0; i < 10; ++i) {
    const bytes id = random_identity(rng, i);
    const auto rsk = kms.issue_rsk(id);
    REQUIRE(rsk.has_value());
    const bytes rsk_bytes = vec(skm::ec::encode_uncompressed(*rsk).value());
    wolf_point wolf_rsk_from_kms;
    REQUIRE(wc_MakeSakkeRsk(&wkms.key, id.data(), static_cast<word16>(id.size()),
                            wolf_rsk_from_kms.p) == 0);
    REQUIRE(wkms.encode_rsk(wolf_rsk_from_kms.p) == rsk_bytes);

    // wolfSSL as the receiver: import Z and the skm-issued RSK, validate it, decapsulate
    wolf_key user;
    REQUIRE(wc_ImportSakkePublicKey(&user.key, z.data(), static_cast<word32>(z.size()), 0) == 0);
    wolf_point wrsk;
    REQUIRE(wc_DecodeSakkeRsk(&user.key, rsk_bytes.data(), static_cast<word32>(rsk_bytes.size()),
                              wrsk.p) == 0);
    int valid = 0;
    REQUIRE(wc_ValidateSakkeRsk(&user.key, id.data(), static_cast<word16>(id.size()), wrsk.p,
                                &valid) == 0);
    REQUIRE(valid == 1);
    REQUIRE(wc_SetSakkeRsk(&user.key, wrsk.p, nullptr, 0) == 0);
    const auto to = skm::sakke::recipient<sakke_param_set_1>::create(kms.public_key(), id);
    REQUIRE(to.has_value());
    for (int j = 0; j < 3; ++j) {
      const auto e = skm::sakke::encapsulate_random(*to, rng);
      REQUIRE(e.has_value());
      REQUIRE(user.decapsulate(id, vec(e->data)) == vec(e->ssv));
    }
    // and wolfSSL rejects a tampered one, as skm does
    auto e = skm::sakke::encapsulate_random(*to, rng).value();
    e.data.back() ^= 1;
    REQUIRE(user.decapsulate(id, vec(e.data)).empty());
  }
}

TEST_CASE("interop where g^r = w or a coordinate of R has a leading zero octet",
          "[wolfssl][sakke]") {
  wolf_rng rng;
  const auto kms = skm::sakke::kms<sakke_param_set_1>::generate(rng);
  const auto z = kms.public_key().encode();
  const bytes id = {0x00, 0x32, 0x30, 0x31, 0x31, 0x2D, 0x30, 0x32,
                    0x00, 0x74, 0x65, 0x6C, 0x3A, 0x2B, 0x34, 0x34};
  const auto rsk = kms.issue_rsk(id).value();
  const auto rec =
      skm::sakke::receiver<sakke_param_set_1>::create(kms.public_key(), id, rsk).value();
  const auto to = skm::sakke::recipient<sakke_param_set_1>::create(kms.public_key(), id).value();
  wolf_key user;
  REQUIRE(wc_ImportSakkePublicKey(&user.key, z.data(), static_cast<word32>(z.size()), 0) == 0);
  const bytes rsk_bytes = vec(skm::ec::encode_uncompressed(rsk).value());
  wolf_point wrsk;
  REQUIRE(wc_DecodeSakkeRsk(&user.key, rsk_bytes.data(), static_cast<word32>(rsk_bytes.size()),
                            wrsk.p) == 0);
  REQUIRE(wc_SetSakkeRsk(&user.key, wrsk.p, nullptr, 0) == 0);

  // Search SSVs: g^r with a leading zero octet comes about once in 150 (the top octet of a
  // value < p whose top octet is 0x99), R coordinates about once in 128 each.
  int gr_zero = 0, rx_zero = 0, ry_zero = 0;
  for (int tries = 0; tries < 4000 && (gr_zero < 2 || rx_zero < 1 || ry_zero < 1); ++tries) {
    const bytes ssv = random_bytes(rng, 16);
    std::array<std::uint8_t, 16> ssv_a;
    std::copy(ssv.begin(), ssv.end(), ssv_a.begin());
    const auto r = S::derive_r(ssv_a, id);
    const bool gr_lead = S::g_table().pow_canonical(r).to_bytes()[0] == 0;
    bool rx_lead = false, ry_lead = false;
    if (!gr_lead && (rx_zero < 1 || ry_zero < 1)) {
      const auto big_r = skm::ec::to_affine(to.table().mul(r));
      rx_lead = big_r.x.to_bytes()[0] == 0 && rx_zero < 1;
      ry_lead = big_r.y.to_bytes()[0] == 0 && ry_zero < 1;
    }
    if (!gr_lead && !rx_lead && !ry_lead) continue;
    gr_zero += gr_lead;
    rx_zero += rx_lead;
    ry_zero += ry_lead;
    // skm -> wolfSSL
    const auto ours = skm::sakke::encapsulate(to, ssv).value();
    if (rx_lead) REQUIRE(ours[1] == 0);
    if (ry_lead) REQUIRE(ours[1 + 128] == 0);
    REQUIRE(user.decapsulate(id, vec(ours)) == ssv);
    // wolfSSL -> skm (and the two encapsulations are the same octets)
    const bytes theirs = user.encapsulate(id, ssv);
    REQUIRE(theirs == vec(ours));
    const auto back = rec.decapsulate(theirs);
    REQUIRE(back.has_value());
    REQUIRE(vec(*back) == ssv);
  }
  CHECK(gr_zero >= 2);
  CHECK(rx_zero >= 1);
  CHECK(ry_zero >= 1);
}
