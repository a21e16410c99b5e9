// SPDX-License-Identifier: BSD-3-Clause
// ECCSI (RFC 6507): Appendix A value by value, round trips, and every rejection path.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <deque>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support/hex.hpp"
#include "skm/bigint/bytes.hpp"
#include "skm/eccsi/eccsi.hpp"

namespace {

namespace eccsi = skm::eccsi;
using suite = eccsi::suite<skm::curves::p256, skm::sha256>;
using bytes = std::vector<std::uint8_t>;

bytes from_hex(std::string_view s) { return skm::test::unhex(s); }
template <std::size_t N>
bytes to_vec(const std::array<std::uint8_t, N>& a) {
  return bytes(a.begin(), a.end());
}

/// A random source that replays given N-octet blocks (RFC 6507's v and j) for N-octet requests;
/// other requests (the blinding factors of inversions, 2N octets) get seeded pseudo-random bytes.
struct replay_random {
  std::deque<bytes> blocks;
  std::mt19937_64 other{42};
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    if (n != 32) {
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(other());
      return;
    }
    REQUIRE(!blocks.empty());
    std::copy(blocks.front().begin(), blocks.front().end(), out);
    blocks.pop_front();
  }
};
static_assert(skm::random_source<replay_random>);

/// A seeded deterministic source for the randomized tests.
struct seeded_random {
  std::mt19937_64 rng;
  explicit seeded_random(std::uint64_t seed) : rng(seed) {}
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(rng());
  }
};

bytes padded(std::string_view hex) {  // an N-octet big-endian integer
  bytes v = from_hex((hex.size() % 2 == 1 ? "0" : "") + std::string(hex));
  bytes out(32 - v.size(), 0);
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

// ---- RFC 6507 Appendix A ----
const bytes ksak = padded("12345");
const bytes kpak_expected = from_hex(
    "04 50D4670B DE75244F 28D2838A 0D25558A 7A72686D 4522D4C8 273FB644 2AEBFA93"
    "   DBDD3755 1AFD263B 5DFD617F 3960C65A 8C298850 FF99F203 66DCE7D4 367217F4");
const bytes id = from_hex("3230 31312D30 32007465 6C3A2B34 34373730 30393030 31323300");
const bytes v = padded("23456");
const bytes pvt_expected = from_hex(
    "04 758A1427 79BE89E8 29E71984 CB40EF75 8CC4AD77 5FC5B9A3 E1C8ED52 F6FA36D9"
    "   A79D2476 92F4EDA3 A6BDAB77 D6AA6474 A464AE49 34663C52 65BA7018 BA091F79");
const bytes hs_expected =
    from_hex("490F3FEB BC1C902F 6289723D 7F8CBF79 DB889308 49D19F38 F0295B5C 276C14D1");
const bytes ssk_expected =
    from_hex("23F374AE 1F4033F3 E9DBDDAA EF20F4CF 0B86BBD5 A138A5AE 9E7E006B 34489A0D");
const bytes message = from_hex("6D657373 61676500");
const bytes j = padded("34567");
const bytes jx_expected =
    from_hex("269D4C8F DEB66A74 E4EF8C0D 5DCC597D DFE6029C 2AFFC493 6008CD2C C1045D81");
const bytes jy_expected =
    from_hex("6DDA6A13 10F4B067 BD5DABDA D741B7CE F36457E1 96B1BFA9 7FD5F8FB B3926ADB");
const bytes he_expected =
    from_hex("111F90EA E8271C96 DF9B3D67 26768D9E E9B18145 D7EC152C FA9C23D1 C4F02285");
const bytes s_expected =
    from_hex("E09B528D 0EF8D6DF 1AA3ECBF 80110CFC EC9FC682 52CEBB67 9F413484 6940CCFD");
const bytes y_expected = from_hex(
    "04 833898D9 39C0013B B0502728 6F95CCE0 37C11BD2 5799423C 76E48362 A4959978"
    "   95D0473A 1CD6186E E9F0C104 B472499E 1A24D6CE 3D85173F 02EBBD94 5C25F604");

bytes signature_expected() {
  bytes sig = jx_expected;
  sig.insert(sig.end(), s_expected.begin(), s_expected.end());
  sig.insert(sig.end(), pvt_expected.begin(), pvt_expected.end());
  return sig;
}

struct appendix_keys {
  eccsi::kms<> kms = eccsi::kms<>::from_ksak(ksak).value();
  eccsi::key_pair<> pair = [this] {
    replay_random rng{{v}};
    return kms.issue(id, rng).value();
  }();
  eccsi::signer<> signer = eccsi::signer<>::create(kms.kpak(), id, pair.ssk, pair.pvt).value();
};

}  // namespace

TEST_CASE("RFC 6507 Appendix A, value by value", "[eccsi][rfc6507]") {
  appendix_keys k;
  // KPAK = [KSAK]G
  CHECK(to_vec(k.kms.kpak().bytes()) == kpak_expected);
  CHECK(to_vec(k.kms.export_ksak()) == ksak);
  // PVT = [v]G, HS, SSK
  CHECK(to_vec(k.pair.pvt) == pvt_expected);
  CHECK(to_vec(suite::hash_hs(k.kms.kpak().bytes(), id, k.pair.pvt)) == hs_expected);
  CHECK(to_vec(k.pair.ssk) == ssk_expected);
  CHECK(to_vec(k.signer.hs()) == hs_expected);
  // J = [j]G, r = Jx
  const auto big_j = suite::mul_generator(suite::qfield::from_bytes(j).value());
  CHECK(to_vec(big_j.x.to_bytes()) == jx_expected);
  CHECK(to_vec(big_j.y.to_bytes()) == jy_expected);
  // HE = hash(HS || r || M)
  std::array<std::uint8_t, 32> hs_arr;
  std::copy(hs_expected.begin(), hs_expected.end(), hs_arr.begin());
  CHECK(to_vec(suite::hash_he(hs_arr, jx_expected, message)) == he_expected);
  // s, and the whole signature from the appendix's j
  replay_random rng{{j}};
  const auto sig = k.signer.sign(message, rng).value();
  CHECK(to_vec(sig) == signature_expected());
  // Verification: Y = [HS]PVT + KPAK, and J's x equals r
  const auto ctx =
      eccsi::signer_context<>::create(k.kms.kpak(), id, pvt_expected, eccsi::precompute::y_point)
          .value();
  CHECK(to_vec(skm::ec::encode_uncompressed(ctx.y()).value()) == y_expected);
  CHECK(eccsi::verify(k.kms.kpak(), id, message, signature_expected()).has_value());
  CHECK(ctx.verify(message, signature_expected()).has_value());
  const auto ctx_table =
      eccsi::signer_context<>::create(k.kms.kpak(), id, pvt_expected, eccsi::precompute::y_table)
          .value();
  CHECK(ctx_table.verify(message, signature_expected()).has_value());
  // A KPAK received as bytes validates and verifies the same way.
  const auto kpak = eccsi::public_key<>::from_bytes(kpak_expected).value();
  CHECK(eccsi::verify(kpak, id, message, signature_expected()).has_value());
}

TEST_CASE("ECCSI round trips with random keys and identities", "[eccsi]") {
  seeded_random rng(7);
  const auto kms = eccsi::kms<>::generate(rng).value();
  CHECK(eccsi::kms<>::generate().value().kpak().bytes() != kms.kpak().bytes());
  for (int i = 0; i < 8; ++i) {
    bytes uid(static_cast<std::size_t>(i * 9), 0);  // includes the empty identifier
    for (auto& b : uid) b = static_cast<std::uint8_t>(rng.rng());
    const auto pair = kms.issue(uid, rng).value();
    const auto s = eccsi::signer<>::create(kms.kpak(), uid, pair.ssk, pair.pvt).value();
    const auto mode = i % 2 ? eccsi::precompute::y_point : eccsi::precompute::y_table;
    const auto ctx = eccsi::signer_context<>::create(kms.kpak(), uid, pair.pvt, mode).value();
    bytes msg(static_cast<std::size_t>(i * 37), 0xA5);
    const auto sig = s.sign(msg, rng).value();
    CHECK(eccsi::verify(kms.kpak(), uid, msg, sig).has_value());
    CHECK(ctx.verify(msg, sig).has_value());
    // two signatures of one message differ (fresh j); the OS-generator overloads work alike
    CHECK(s.sign(msg, rng).value() != sig);
    CHECK(eccsi::verify(kms.kpak(), uid, msg, s.sign(msg).value()).has_value());
    const auto pair2 = kms.issue(uid).value();
    CHECK(eccsi::signer<>::create(kms.kpak(), uid, pair2.ssk, pair2.pvt).has_value());
  }
}

TEST_CASE("ECCSI verification rejections", "[eccsi]") {
  appendix_keys k;
  const auto& kpak = k.kms.kpak();
  const bytes sig = signature_expected();
  const auto ctx = eccsi::signer_context<>::create(kpak, id, pvt_expected).value();
  auto expect = [&](const bytes& s, eccsi::error e, const bytes& ident = id,
                    const bytes& msg = message) {
    const auto cold = eccsi::verify(kpak, ident, msg, s);
    REQUIRE_FALSE(cold.has_value());
    CHECK(cold.error() == e);
    CHECK(std::string(eccsi::describe(e)).size() > 10);
  };
  REQUIRE(eccsi::verify(kpak, id, message, sig).has_value());

  SECTION("length") {
    expect(bytes(sig.begin(), sig.end() - 1),
           eccsi::error::bad_signature_length);  // one byte short
    bytes longer = sig;
    longer.push_back(0);
    expect(longer, eccsi::error::bad_signature_length);
    expect(bytes{}, eccsi::error::bad_signature_length);
    for (std::size_t n = 0; n < sig.size(); n += 16)
      CHECK(ctx.verify(message, bytes(sig.begin(), sig.begin() + n)).error() ==
            eccsi::error::bad_signature_length);
  }
  SECTION("r") {
    bytes bad = sig;
    std::fill(bad.begin(), bad.begin() + 32, 0);  // r = 0
    expect(bad, eccsi::error::r_out_of_range);
    CHECK(ctx.verify(message, bad).error() == eccsi::error::r_out_of_range);
    const auto p = skm::to_bytes_be<32>(skm::curves::p256::p);  // r = p
    std::copy(p.begin(), p.end(), bad.begin());
    expect(bad, eccsi::error::r_out_of_range);
    std::fill(bad.begin(), bad.begin() + 32, 0xFF);
    expect(bad, eccsi::error::r_out_of_range);
    // r = p - 1: in range, but wrong
    const auto pm1 = skm::to_bytes_be<32>(skm::curves::p256::p - 1);
    std::copy(pm1.begin(), pm1.end(), bad.begin());
    expect(bad, eccsi::error::jx_mismatch);
  }
  SECTION("s") {
    bytes bad = sig;
    std::fill(bad.begin() + 32, bad.begin() + 64, 0);  // s = 0
    expect(bad, eccsi::error::s_out_of_range);
    const auto q = skm::to_bytes_be<32>(skm::curves::p256::q);  // s = q
    std::copy(q.begin(), q.end(), bad.begin() + 32);
    expect(bad, eccsi::error::s_out_of_range);
    CHECK(ctx.verify(message, bad).error() == eccsi::error::s_out_of_range);
    // s -> q - s gives J -> -J, with the same x: RFC 6507 §6 notes this malleability, and a
    // verifier following §5.2.2 accepts it. (Protocols must not use signatures as unique IDs.)
    const auto qms = skm::to_bytes_be<32>(
        skm::curves::p256::q -
        skm::from_bytes_be<4>(std::span<const std::uint8_t>(s_expected)).value());
    std::copy(qms.begin(), qms.end(), bad.begin() + 32);
    CHECK(eccsi::verify(k.kms.kpak(), id, message, bad).has_value());
    // s + 1 does not verify
    auto s_plus_1 = skm::to_bytes_be<32>(
        skm::from_bytes_be<4>(std::span<const std::uint8_t>(s_expected)).value() + 1);
    std::copy(s_plus_1.begin(), s_plus_1.end(), bad.begin() + 32);
    expect(bad, eccsi::error::jx_mismatch);
  }
  SECTION("PVT") {
    bytes bad = sig;
    bad[64] = 0x02;
    expect(bad, eccsi::error::pvt_bad_format);
    bad[64] = 0x05;
    expect(bad, eccsi::error::pvt_bad_format);
    bad = sig;
    bad.back() ^= 1;  // off the curve
    expect(bad, eccsi::error::pvt_not_on_curve);
    CHECK(ctx.verify(message, bad).error() == eccsi::error::pvt_not_on_curve);
    bad = sig;
    const auto p = skm::to_bytes_be<32>(skm::curves::p256::p);
    std::copy(p.begin(), p.end(), bad.begin() + 65);
    expect(bad, eccsi::error::pvt_out_of_range);
    bad = sig;
    std::fill(bad.begin() + 65, bad.end(), 0);  // (0, 0) is not on P-256
    expect(bad, eccsi::error::pvt_not_on_curve);
    // A valid point, but not the signer's PVT: the context refuses, the others find Jx != r.
    bad = sig;
    const auto g = suite::generator_bytes;
    std::copy(g.begin(), g.end(), bad.begin() + 64);
    expect(bad, eccsi::error::jx_mismatch);
    CHECK(ctx.verify(message, bad).error() == eccsi::error::pvt_mismatch);
  }
  SECTION("wrong identity, message, KPAK; tampering") {
    bytes other_id = id;
    other_id[5] ^= 1;
    expect(sig, eccsi::error::jx_mismatch, other_id);
    expect(sig, eccsi::error::jx_mismatch, id, bytes{});
    bytes other_msg = message;
    other_msg.back() = 1;
    expect(sig, eccsi::error::jx_mismatch, id, other_msg);
    CHECK(ctx.verify(other_msg, sig).error() == eccsi::error::jx_mismatch);
    seeded_random rng(99);
    const auto other_kms = eccsi::kms<>::generate(rng).value();
    CHECK(eccsi::verify(other_kms.kpak(), id, message, sig).error() == eccsi::error::jx_mismatch);
    CHECK(eccsi::signer_context<>::create(other_kms.kpak(), id, pvt_expected)
              .value()
              .verify(message, sig)
              .error() == eccsi::error::jx_mismatch);
    // flip each bit of r and s in turn (every one must fail)
    int failures = 0;
    for (std::size_t byte = 0; byte < 64; ++byte) {
      bytes bad = sig;
      bad[byte] ^= static_cast<std::uint8_t>(1u << (byte % 8));
      if (!eccsi::verify(kpak, id, message, bad).has_value()) ++failures;
    }
    CHECK(failures == 64);
  }
}

TEST_CASE("ECCSI key validation rejections", "[eccsi]") {
  appendix_keys k;
  const auto& kpak = k.kms.kpak();
  auto expect = [&](const bytes& ident, const bytes& ssk, const bytes& pvt, eccsi::error e) {
    const auto r = eccsi::signer<>::create(kpak, ident, ssk, pvt);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == e);
  };
  const bytes ssk = ssk_expected, pvt = pvt_expected;
  REQUIRE(eccsi::signer<>::create(kpak, id, ssk, pvt).has_value());
  expect(id, bytes(ssk.begin(), ssk.end() - 1), pvt, eccsi::error::ssk_bad_length);
  expect(id, bytes(32, 0), pvt, eccsi::error::ssk_out_of_range);
  expect(id, to_vec(skm::to_bytes_be<32>(skm::curves::p256::q)), pvt,
         eccsi::error::ssk_out_of_range);
  bytes bad_ssk = ssk;
  bad_ssk.back() ^= 1;
  expect(id, bad_ssk, pvt, eccsi::error::ssk_invalid);
  bytes other_id = id;
  other_id[0] ^= 1;
  expect(other_id, ssk, pvt, eccsi::error::ssk_invalid);  // the wrong ID
  bytes bad_pvt = pvt;
  bad_pvt.back() ^= 1;
  expect(id, ssk, bad_pvt, eccsi::error::pvt_not_on_curve);
  expect(id, ssk, bytes(pvt.begin(), pvt.end() - 1), eccsi::error::pvt_bad_format);
  expect(id, ssk, bytes{0x00}, eccsi::error::pvt_identity);  // SEC1's encoding of the identity
  expect(id, ssk, to_vec(suite::generator_bytes),
         eccsi::error::ssk_invalid);  // another valid point
  // the wrong KPAK
  seeded_random rng(5);
  const auto other = eccsi::kms<>::generate(rng).value();
  CHECK(eccsi::signer<>::create(other.kpak(), id, ssk, pvt).error() == eccsi::error::ssk_invalid);
  CHECK(eccsi::signer_context<>::create(kpak, id, bad_pvt).error() ==
        eccsi::error::pvt_not_on_curve);
}

TEST_CASE("ECCSI KPAK and KSAK rejections", "[eccsi]") {
  auto kpak_error = [](const bytes& b) { return eccsi::public_key<>::from_bytes(b).error(); };
  bytes bad = kpak_expected;
  bad.back() ^= 1;
  CHECK(kpak_error(bad) == eccsi::error::kpak_not_on_curve);
  CHECK(kpak_error(bytes(kpak_expected.begin(), kpak_expected.end() - 1)) ==
        eccsi::error::kpak_bad_format);
  CHECK(kpak_error(bytes{0x00}) == eccsi::error::kpak_identity);
  bad = kpak_expected;
  bad[0] = 0x03;
  CHECK(kpak_error(bad) == eccsi::error::kpak_bad_format);
  bad = kpak_expected;
  const auto p = skm::to_bytes_be<32>(skm::curves::p256::p);
  std::copy(p.begin(), p.end(), bad.begin() + 1);
  CHECK(kpak_error(bad) == eccsi::error::kpak_out_of_range);

  CHECK(eccsi::kms<>::from_ksak(bytes(31, 1)).error() == eccsi::error::ksak_bad_length);
  CHECK(eccsi::kms<>::from_ksak(bytes(32, 0)).error() == eccsi::error::ksak_out_of_range);
  CHECK(eccsi::kms<>::from_ksak(to_vec(skm::to_bytes_be<32>(skm::curves::p256::q))).error() ==
        eccsi::error::ksak_out_of_range);
  CHECK(
      eccsi::kms<>::from_ksak(to_vec(skm::to_bytes_be<32>(skm::curves::p256::q - 1))).has_value());
}

TEST_CASE("ECCSI randomness: degenerate draws are redrawn, a stuck source is an error", "[eccsi]") {
  appendix_keys k;
  // j = 0 and j = q are redrawn; the third draw is the appendix's j, giving the appendix signature.
  replay_random rng{{bytes(32, 0), to_vec(skm::to_bytes_be<32>(skm::curves::p256::q)), j}};
  CHECK(to_vec(k.signer.sign(message, rng).value()) == signature_expected());
  // A source stuck at zero: an error, not an endless loop.
  struct zero_random {
    void GenerateBlock(std::uint8_t* out, std::size_t n) { std::fill(out, out + n, 0); }
  } zeros;
  CHECK(k.signer.sign(message, zeros).error() == eccsi::error::retries_exhausted);
  CHECK(k.kms.issue(id, zeros).error() == eccsi::error::retries_exhausted);
  CHECK(eccsi::kms<>::generate(zeros).error() == eccsi::error::retries_exhausted);
}
