// SPDX-License-Identifier: BSD-3-Clause
// docs/adding-a-curve.md, compiled and run: ECCSI over secp256k1 from one traits struct. The
// marked regions are the document's code blocks (checked below, so the document cannot drift);
// the rest cross-checks the new curve against Crypto++'s own secp256k1.
#include <cryptopp/asn.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/ecp.h>
#include <cryptopp/integer.h>
#include <cryptopp/oids.h>
#include <cryptopp/sha.h>
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "doc_regions.hpp"

// [doc:traits]
#include "skm/curves/checks.hpp"
#include "skm/ec/ec.hpp"
#include "skm/eccsi/eccsi.hpp"
#include "skm/field/fp.hpp"

/// SEC 2 (version 2) §2.4.1, secp256k1: y^2 = x^3 + 7 over a 256-bit p; G has prime order q.
struct secp256k1 {
  static constexpr const char* name = "secp256k1";

  struct base_field_params {
    static constexpr auto modulus =
        skm::hex<256>("FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE FFFFFC2F");
  };
  struct scalar_field_params {  // the order q of the generator G
    static constexpr auto modulus =
        skm::hex<256>("FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE BAAEDCE6 AF48A03B BFD25E8C D0364141");
  };
  using base_field = skm::fp<base_field_params>;
  using scalar_field = skm::fp<scalar_field_params>;

  static constexpr auto p = base_field_params::modulus;
  static constexpr auto q = scalar_field_params::modulus;
  static constexpr auto a = skm::uint<4>{};  // a = 0
  static constexpr auto b = skm::uint<4>::from_u64(7);
  static constexpr auto generator_x =
      skm::hex<256>("79BE667E F9DCBBAC 55A06295 CE870B07 029BFCDB 2DCE28D9 59F2815B 16F81798");
  static constexpr auto generator_y =
      skm::hex<256>("483ADA77 26A3C465 5DA4FBFC 0E1108A8 FD17B448 A6855419 9C47D08F FB10D4B8");
  static constexpr unsigned cofactor = 1;
};

// Checked while compiling: the sizes, G on the curve, the doubling formula the ec layer picked.
static_assert(secp256k1::base_field::bits == 256 && secp256k1::scalar_field::bits == 256);
static_assert(secp256k1::base_field::limbs == 4, "4 limbs: the default unrolled Montgomery kernel");
static_assert(skm::curves::generator_on_curve<secp256k1>(), "G must satisfy the curve equation");
static_assert(skm::ec::curve_facts<secp256k1>::shape == skm::ec::curve_shape::a_zero);

// ECCSI over it with SHA-256: instantiating the suite runs its own checks (digest = N octets,
// cofactor 1, q fits N octets); the wire sizes follow from the field.
using eccsi_k1 = skm::eccsi::suite<secp256k1, skm::sha256>;
static_assert(eccsi_k1::N == 32 && eccsi_k1::point_size == 65 && eccsi_k1::signature_size == 129);
// [/doc:traits]

namespace {

std::span<const std::uint8_t> octets(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <std::size_t N>
CryptoPP::Integer to_integer(const skm::uint<N>& v) {
  const auto bytes = skm::to_bytes_be<8 * N>(v);
  return CryptoPP::Integer(bytes.data(), bytes.size());
}
CryptoPP::Integer to_integer(std::span<const std::uint8_t> big_endian) {
  return CryptoPP::Integer(big_endian.data(), big_endian.size());
}

/// A 0x04 || x || y point as Crypto++ sees it (the tests only pass well-formed points).
CryptoPP::ECP::Point to_point(std::span<const std::uint8_t> sec1) {
  REQUIRE(sec1.size() == 65);
  REQUIRE(sec1[0] == 0x04);
  return {to_integer(sec1.subspan(1, 32)), to_integer(sec1.subspan(33, 32))};
}

/// Point equality as a plain bool (Crypto++ declares but does not export printing of points).
bool same(const CryptoPP::ECP::Point& x, const CryptoPP::ECP::Point& y) { return x == y; }

std::array<std::uint8_t, 32> sha256_of(std::initializer_list<std::span<const std::uint8_t>> parts) {
  CryptoPP::SHA256 h;
  for (const auto part : parts) h.Update(part.data(), part.size());
  std::array<std::uint8_t, 32> out{};
  h.Final(out.data());
  return out;
}

}  // namespace

// [doc:round-trip]
TEST_CASE("ECCSI over secp256k1: KMS, key issuing, validation, sign, verify", "[docs][curve]") {
  namespace eccsi = skm::eccsi;
  skm::os_random rng;
  const std::string_view alice = "sip:alice@example.org";  // any octet string is an ECCSI ID
  const std::span id(reinterpret_cast<const std::uint8_t*>(alice.data()), alice.size());
  const std::array<std::uint8_t, 5> message{'h', 'e', 'l', 'l', 'o'};

  // The generator really has order q (a run-time check: [q]G = O).
  REQUIRE(skm::ec::in_subgroup_vartime(skm::ec::generator<secp256k1>()));

  // KMS: KSAK random in [1, q-1], KPAK = [KSAK]G; (SSK, PVT) issued for the ID (RFC 6507 §5.1.1).
  const auto kms = eccsi::kms<secp256k1>::generate(rng);
  REQUIRE(kms);
  const auto issued = kms->issue(id, rng);
  REQUIRE(issued);

  // User: KPAK decoded and validated, then SSK/PVT validated against it (§4.2, §5.1.2).
  const auto kpak = eccsi::public_key<secp256k1>::from_bytes(kms->kpak().bytes());
  REQUIRE(kpak);
  const auto signer = eccsi::signer<secp256k1>::create(*kpak, id, issued->ssk, issued->pvt);
  REQUIRE(signer);

  // Sign (§5.2.1) and verify (§5.2.2), one-off and with a per-signer context.
  const auto signature = signer->sign(message, rng);
  REQUIRE(signature);
  CHECK(eccsi::verify(*kpak, id, message, *signature));
  const auto context = eccsi::signer_context<secp256k1>::create(*kpak, id, issued->pvt);
  REQUIRE(context);
  CHECK(context->verify(message, *signature));

  // Rejections: another message, another ID, an altered s.
  const std::array<std::uint8_t, 5> other{'h', 'e', 'l', 'l', 'O'};
  CHECK(eccsi::verify(*kpak, id, other, *signature).error() == eccsi::error::jx_mismatch);
  const std::string_view bob = "sip:bob@example.org";
  const std::span bob_id(reinterpret_cast<const std::uint8_t*>(bob.data()), bob.size());
  CHECK(eccsi::verify(*kpak, bob_id, message, *signature).error() == eccsi::error::jx_mismatch);
  auto altered = *signature;
  altered[eccsi_k1::N + eccsi_k1::N - 1] ^= 1;  // last octet of s
  CHECK(eccsi::verify(*kpak, id, message, altered).error() == eccsi::error::jx_mismatch);
  // An SSK that does not belong to the ID is refused at validation.
  CHECK(eccsi::signer<secp256k1>::create(*kpak, bob_id, issued->ssk, issued->pvt).error() ==
        eccsi::error::ssk_invalid);
}
// [/doc:round-trip]

TEST_CASE("the secp256k1 traits equal Crypto++'s built-in curve", "[docs][curve]") {
  const CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> ref(CryptoPP::ASN1::secp256k1());
  CHECK(ref.GetCurve().GetField().GetModulus() == to_integer(secp256k1::p));
  CHECK(ref.GetCurve().GetA() == to_integer(secp256k1::a));
  CHECK(ref.GetCurve().GetB() == to_integer(secp256k1::b));
  CHECK(ref.GetSubgroupOrder() == to_integer(secp256k1::q));
  CHECK(ref.GetCofactor() == CryptoPP::Integer(static_cast<long>(secp256k1::cofactor)));
  CHECK(ref.GetSubgroupGenerator().x == to_integer(secp256k1::generator_x));
  CHECK(ref.GetSubgroupGenerator().y == to_integer(secp256k1::generator_y));
}

TEST_CASE("ECCSI over secp256k1 agrees with an independent transcription on Crypto++'s ECP",
          "[docs][curve]") {
  namespace eccsi = skm::eccsi;
  const CryptoPP::DL_GroupParameters_EC<CryptoPP::ECP> ref(CryptoPP::ASN1::secp256k1());
  const CryptoPP::ECP& curve = ref.GetCurve();
  const CryptoPP::ECP::Point& g = ref.GetSubgroupGenerator();
  const CryptoPP::Integer& q = ref.GetSubgroupOrder();
  const CryptoPP::Integer p = curve.GetField().GetModulus();
  skm::os_random rng;

  for (int round = 0; round < 8; ++round) {
    const std::string uri = "sip:user" + std::to_string(round) + "@example.org";
    const auto id = octets(uri);
    const auto kms = eccsi::kms<secp256k1>::generate(rng).value();
    const auto issued = kms.issue(id, rng).value();

    // KPAK = [KSAK]G
    const auto ksak = kms.export_ksak();
    const auto kpak_bytes = kms.kpak().bytes();
    const auto kpak = to_point(kpak_bytes);
    CHECK(same(curve.ScalarMultiply(g, to_integer(ksak)), kpak));

    // §5.1.1: HS = hash(G || KPAK || ID || PVT), [SSK]G = KPAK + [HS]PVT
    const auto pvt = to_point(issued.pvt);
    REQUIRE(curve.VerifyPoint(pvt));
    const auto hs = sha256_of({eccsi_k1::generator_bytes, kpak_bytes, id, issued.pvt});
    const auto y = curve.Add(curve.ScalarMultiply(pvt, to_integer(hs) % q), kpak);
    CHECK(same(curve.ScalarMultiply(g, to_integer(issued.ssk)), y));

    // §5.2.2 on Crypto++: HE = hash(HS || r || M), J = [s]([HE]G + [r]Y), Jx = r (mod p)
    const auto signer =
        eccsi::signer<secp256k1>::create(kms.kpak(), id, issued.ssk, issued.pvt).value();
    const std::string text = "message " + std::to_string(round);
    const auto sig = signer.sign(octets(text), rng).value();
    const std::span<const std::uint8_t> r_bytes(sig.data(), 32), s_bytes(sig.data() + 32, 32),
        sig_pvt(sig.data() + 64, 65);
    CHECK(std::equal(sig_pvt.begin(), sig_pvt.end(), issued.pvt.begin()));
    const auto he = sha256_of({hs, r_bytes, octets(text)});
    const CryptoPP::Integer r = to_integer(r_bytes), s = to_integer(s_bytes);
    REQUIRE(r.IsPositive());
    REQUIRE(r < p);
    REQUIRE(s.IsPositive());
    REQUIRE(s < q);
    const auto inner =
        curve.Add(curve.ScalarMultiply(g, to_integer(he) % q), curve.ScalarMultiply(y, r % q));
    const auto j = curve.ScalarMultiply(inner, s);
    REQUIRE_FALSE(j.identity);
    CHECK(j.x == r);
  }
}

TEST_CASE("docs/adding-a-curve.md shows exactly the code compiled here", "[docs][doc-sync]") {
  using namespace skm::docs_test;
  const auto source = source_regions(read_file(SKM_TEST_SOURCE));
  const auto doc = markdown_blocks(read_file(SKM_DOC_FILE));
  REQUIRE(source.size() == 2);  // traits, round-trip
  for (const auto& d : differences(source, doc)) FAIL_CHECK(d);
  CHECK(differences(source, doc).empty());
}
