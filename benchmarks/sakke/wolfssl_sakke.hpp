// SPDX-License-Identifier: BSD-3-Clause
// wolfSSL's SAKKE (parameter set 1) as a benchmark peer: a KMS from a given master secret, a
// sender without and with a cached point I (and I table), receivers without and with the RSK and
// I tables. Shared by bench_sakke (Debian's wolfSSL, generic maths, no tables) and
// bench_sakke_wolfssl_sp (wolfSSL's SP x86-64 assembly build, with tables).
// Include after skm's headers: wolfSSL's macros clash with Crypto++ enumerator names.
#pragma once

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sakke.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace skm::bench {

[[noreturn]] inline void wolfssl_failed(const char* what) {
  (void)std::fprintf(stderr, "wolfSSL peer: %s failed\n", what);
  std::exit(1);
}

/// One wolfSSL SAKKE setup for the identity `id`. Encapsulated data is R (257 bytes) || H (16).
struct wolf_sakke {
  static constexpr std::size_t r_bytes = 257, ssv_bytes = 16;
  using ssv_type = std::array<byte, ssv_bytes>;

  std::vector<std::uint8_t> id;
  WC_RNG rng{};
  SakkeKey kms{};
  SakkeKey sender_new{};     // no I table, identity alternates so I is recomputed every time
  SakkeKey sender_cached{};  // I and its table cached
  SakkeKey receiver_cold{};  // RSK without table
  SakkeKey receiver_warm{};  // RSK table and I table
  ecc_point* rsk = wc_ecc_new_point();
  // Keys keep pointers into these: rebuilt for the same RSK and identity they keep their length,
  // so they are overwritten in place, never reallocated.
  std::vector<byte> i_table, rsk_table;
  std::array<byte, r_bytes> z{};
  bool has_tables = false;

  static void init(SakkeKey& k) {
    if (wc_InitSakkeKey_ex(&k, 128, ECC_SAKKE_1, nullptr, INVALID_DEVID) != 0)
      wolfssl_failed("wc_InitSakkeKey_ex");
  }
  wolf_sakke(const std::array<std::uint8_t, 128>& master_secret, std::vector<std::uint8_t> id_)
      : id(std::move(id_)) {
    if (rsk == nullptr || wc_InitRng(&rng) != 0) wolfssl_failed("wc_InitRng");
    for (SakkeKey* k : {&kms, &sender_new, &sender_cached, &receiver_cold, &receiver_warm})
      init(*k);
    if (wc_ImportSakkePrivateKey(&kms, master_secret.data(), 128) != 0)
      wolfssl_failed("wc_ImportSakkePrivateKey");
    ecc_point* zp = wc_ecc_new_point();
    if (zp == nullptr || wc_MakeSakkePublicKey(&kms, zp) != 0)
      wolfssl_failed("wc_MakeSakkePublicKey");
    word32 sz = z.size();
    if (wc_EncodeSakkeRsk(&kms, zp, z.data(), &sz, 0) != 0) wolfssl_failed("encode Z");
    wc_ecc_del_point(zp);
    for (SakkeKey* k : {&sender_new, &sender_cached, &receiver_cold, &receiver_warm}) {
      if (wc_ImportSakkePublicKey(k, z.data(), z.size(), 0) != 0)
        wolfssl_failed("wc_ImportSakkePublicKey");
    }
    make_rsk();
    if (wc_SetSakkeRsk(&receiver_cold, rsk, nullptr, 0) != 0) wolfssl_failed("wc_SetSakkeRsk");
    has_tables = build_rsk_table();
    if (wc_SetSakkeRsk(&receiver_warm, rsk, has_tables ? rsk_table.data() : nullptr,
                       rsk_table.size()) != 0)
      wolfssl_failed("wc_SetSakkeRsk table");
    set_i_table(receiver_warm);
    set_i_table(sender_cached);
  }
  wolf_sakke(const wolf_sakke&) = delete;
  wolf_sakke& operator=(const wolf_sakke&) = delete;
  ~wolf_sakke() {
    for (SakkeKey* k : {&kms, &sender_new, &sender_cached, &receiver_cold, &receiver_warm})
      wc_FreeSakkeKey(k);
    wc_ecc_del_point(rsk);
    wc_FreeRng(&rng);
  }
  void make_rsk() {
    if (wc_MakeSakkeRsk(&kms, id.data(), id.size(), rsk) != 0) wolfssl_failed("wc_MakeSakkeRsk");
  }
  /// The RSK as 0x04 || x || y.
  [[nodiscard]] std::array<byte, r_bytes> rsk_bytes() const {
    std::array<byte, r_bytes> out{};
    word32 sz = out.size();
    if (wc_EncodeSakkeRsk(&kms, rsk, out.data(), &sz, 0) != 0 || sz != out.size())
      wolfssl_failed("wc_EncodeSakkeRsk");
    return out;
  }
  void validate_rsk() {
    int valid = 0;
    if (wc_ValidateSakkeRsk(&receiver_cold, id.data(), id.size(), rsk, &valid) != 0 || valid != 1)
      wolfssl_failed("wc_ValidateSakkeRsk");
  }
  // Builds without WOLFSSL_SP (Debian's: generic math) report a table length of 0: no tables.
  bool build_rsk_table() {
    word32 len = 0;
    wc_GenerateSakkeRskTable(&kms, rsk, nullptr, &len);
    rsk_table.resize(len);
    if (len == 0) return false;
    if (wc_GenerateSakkeRskTable(&kms, rsk, rsk_table.data(), &len) != 0)
      wolfssl_failed("wc_GenerateSakkeRskTable");
    return true;
  }
  /// Computes I for `id` on k and, where the build supports it, its table (kept in i_table).
  void set_i_table(SakkeKey& k) {
    if (wc_MakeSakkePointI(&k, id.data(), id.size()) != 0) wolfssl_failed("wc_MakeSakkePointI");
    word32 len = 0;
    wc_GenerateSakkePointITable(&k, nullptr, &len);
    i_table.resize(len);
    if (len == 0) return;  // no table support in this build; I itself stays cached
    if (wc_GenerateSakkePointITable(&k, i_table.data(), &len) != 0)
      wolfssl_failed("wc_GenerateSakkePointITable");
    if (wc_SetSakkePointITable(&k, i_table.data(), len) != 0)
      wolfssl_failed("wc_SetSakkePointITable");
  }
  /// A fresh SSV encapsulated for `to`: R || H, and the SSV in `ssv_out` when given.
  std::vector<byte> encapsulate(SakkeKey& k, const std::vector<std::uint8_t>& to,
                                ssv_type* ssv_out = nullptr) {
    if (wc_SetSakkeIdentity(&k, to.data(), to.size()) != 0) wolfssl_failed("wc_SetSakkeIdentity");
    std::vector<byte> out(r_bytes + ssv_bytes);
    ssv_type ssv{};
    word16 ssv_sz = ssv_bytes;
    if (wc_GenerateSakkeSSV(&k, &rng, ssv.data(), &ssv_sz) != 0)
      wolfssl_failed("wc_GenerateSakkeSSV");
    if (ssv_out != nullptr) *ssv_out = ssv;
    word16 r_sz = r_bytes;
    // encrypts the SSV in place into H
    if (wc_MakeSakkeEncapsulatedSSV(&k, WC_HASH_TYPE_SHA256, ssv.data(), ssv_bytes, out.data(),
                                    &r_sz) != 0)
      wolfssl_failed("wc_MakeSakkeEncapsulatedSSV");
    std::memcpy(out.data() + r_bytes, ssv.data(), ssv_bytes);
    return out;
  }
  /// The SSV that R || H carries for this receiver key (k: receiver_cold or receiver_warm).
  [[nodiscard]] ssv_type decapsulate(SakkeKey& k, const std::vector<byte>& data) {
    if (data.size() != r_bytes + ssv_bytes) wolfssl_failed("decapsulate: data size");
    if (wc_SetSakkeIdentity(&k, id.data(), id.size()) != 0) wolfssl_failed("wc_SetSakkeIdentity");
    ssv_type ssv{};
    std::memcpy(ssv.data(), data.data() + r_bytes, ssv_bytes);
    if (wc_DeriveSakkeSSV(&k, WC_HASH_TYPE_SHA256, ssv.data(), ssv_bytes, data.data(), r_bytes) !=
        0)
      wolfssl_failed("wc_DeriveSakkeSSV");
    return ssv;
  }
};

}  // namespace skm::bench
