// SPDX-License-Identifier: BSD-3-Clause
// SAKKE (RFC 6508): HashToIntegerRange and Appendix A value by value, round trips on parameter
// set 1 and on the test-only 512-bit set, RSK validation, and every rejection path.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "../pairing/oracle.hpp"
#include "../support/hex.hpp"
#include "sakke_test_params_512.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/hash/hash_to_integer_range.hpp"
#include "skm/pairing/tate.hpp"
#include "skm/sakke/sakke.hpp"

using skm::curves::sakke_param_set_1;
using skm_test::sakke_test_params_512;

namespace {

using skm::test::unhex;

template <std::size_t N>
std::vector<std::uint8_t> vec(const std::array<std::uint8_t, N>& a) {
  return {a.begin(), a.end()};
}

/// Left-pad to n octets (RFC 6508 §4 fixed-length form).
std::vector<std::uint8_t> pad(const std::vector<std::uint8_t>& v, std::size_t n) {
  std::vector<std::uint8_t> out(n - v.size(), 0);
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

// RFC 6508 Appendix A
constexpr std::string_view kat_z = "AFF429D3 5F84B110 D094803B 3595A6E2 998BC99F";
constexpr std::string_view kat_zx =
    "5958EF1B 1679BF09 9B3A030D F255AA6A 23C1D8F1 43D4D23F 753E69BD 27A832F3 8CB4AD53 DDEF4260 B0FE8BB4 5C4C1FF5"
    "10EFFE30 0367A37B 61F701D9 14AEF097 24825FA0 707D61A6 DFF4FBD7 273566CD DE352A0B 04B7C16A 78309BE6 40697DE7"
    "47613A5F C195E8B9 F328852A 579DB8F9 9B1D0034 479EA9C5 595F47C4 B2F54FF2";
constexpr std::string_view kat_zy =
    "1508D375 14DCF7A8 E143A605 8C09A6BF 2C9858CA 37C25806 5AE6BF75 32BC8B5B 63383866 E0753C5A C0E72709 F8445F2E"
    "6178E065 857E0EDA 10F68206 B63505ED 87E534FB 2831FF95 7FB7DC61 9DAE6130 1EEACC2F DA3680EA 4999258A 833CEA8F"
    "C67C6D19 487FB449 059F26CC 8AAB655A B58B7CC7 96E24E9A 39409575 4F5F8BAE";
constexpr std::string_view kat_b = "3230 31312D30 32007465 6C3A2B34 34373730 30393030 31323300";
constexpr std::string_view kat_ssv = "12345678 9ABCDEF0 12345678 9ABCDEF0";
constexpr std::string_view kat_r =
    "13EE3E1B 8DAC5DB1 68B1CEB3 2F0566A4 C273693F 78BAFFA2 A2EE6A68 6E6BD90F 8206CCAB 84E7F42E D39BD4FB 131012EC"
    "CA2ECD21 19414560 C17CAB46 B956A80F 58A3302E B3E2C9A2 28FBA7ED 34D8ACA2 392DA1FF B0B17B23 20AE09AA EDFD0235"
    "F6FE0EB6 5337A63F 9CC97728 B8E5AD04 60FADE14 4369AA5B 21662132 47712096";
constexpr std::string_view kat_rbx =
    "44E8AD44 AB8592A6 A5A3DDCA 5CF896C7 18043606 A01D650D EF37A01F 37C228C3 32FC3173 54E2C274 D4DAF8AD 001054C7"
    "6CE57971 C6F4486D 57230432 61C506EB F5BE438F 53DE04F0 67C776E0 DD3B71A6 29013328 3725A532 F21AF145 126DC1D7"
    "77ECC27B E50835BD 28098B8A 73D9F801 D893793A 41FF5C49 B87E79F2 BE4D56CE";
constexpr std::string_view kat_rby =
    "557E134A D85BB1D4 B9CE4F8B E4B08A12 BABF55B1 D6F1D7A6 38019EA2 8E15AB1C 9F76375F DD1210D4 F4351B9A 009486B7"
    "F3ED46C9 65DED2D8 0DADE4F3 8C6721D5 2C3AD103 A10EBD29 59248B4E F006836B F097448E 6107C9ED EE9FB704 823DF199"
    "F832C905 AE45F8A2 47A072D8 EF729EAB C5E27574 B07739B3 4BE74A53 2F747B86";
constexpr std::string_view kat_gr =
    "7D2A8438 E6291C64 9B6579EB 3B79EAE9 48B1DE9E 5F7D1F40 70A08F8D B6B3C515 6F2201AF FBB5CB9D 82AA3EC0 D0398B89"
    "ABC78A13 A760C0BF 3F77E63D 0DF3F1A3 41A41B88 11DF197F D6CD0F00 3125606F 4F109F40 0F7292A1 0D255E3C 0EBCCB42"
    "53FB182C 68F09CF6 CD9C4A53 DA6C74AD 007AF36B 8BCA979D 5895E282 F483FCD6";
constexpr std::string_view kat_mask = "9BD4EA1E 801D37E6 2AD2FAB0 D4F5BBF7";
constexpr std::string_view kat_h = "89E0BC66 1AA1E916 38E6ACC8 4E496507";
constexpr std::string_view kat_kbx =
    "93AF67E5 007BA6E6 A80DA793 DA300FA4 B52D0A74 E25E6E7B 2B3D6EE9 D18A9B5C 5023597B D82D8062 D3401956 3BA1D25C"
    "0DC56B7B 979D74AA 50F29FBF 11CC2C93 F5DFCA61 5E609279 F6175CEA DB00B58C 6BEE1E7A 2A47C4F0 C456F052 59A6FA94"
    "A634A40D AE1DF593 D4FECF68 8D5FC678 BE7EFC6D F3D68353 25B83B2C 6E69036B";
constexpr std::string_view kat_kby =
    "155F0A27 241094B0 4BFB0BDF AC6C670A 65C325D3 9A069F03 659D44CA 27D3BE8D F311172B 55416018 1CBE94A2 A783320C"
    "ED590BC4 2644702C F371271E 496BF20F 588B78A1 BC01ECBB 6559934B DD2FB65D 2884318A 33D1A42A DF5E33CC 5800280B"
    "28356497 F87135BA B9612A17 26042440 9AC15FEE 996B744C 33215123 5DECB0F5";

using S1 = skm::sakke::scheme<sakke_param_set_1>;

std::vector<std::uint8_t> point_bytes(std::string_view x, std::string_view y) {
  std::vector<std::uint8_t> out{0x04};
  const auto xb = unhex(x), yb = unhex(y);
  out.insert(out.end(), xb.begin(), xb.end());
  out.insert(out.end(), yb.begin(), yb.end());
  return out;
}

}  // namespace

TEST_CASE("HashToIntegerRange: RFC 6508 Appendix A example, every intermediate value",
          "[rfc6508][hash]") {
  const auto m = unhex(
      "12345678 9ABCDEF0 12345678 9ABCDEF0 32303131 2D303200 74656C3A 2B343437 37303039 30303132 3300");
  // A = SHA-256(M)
  REQUIRE(vec(skm::sha256::hash(m)) ==
          unhex("E04D4EF6 9DF86893 22B39AE3 80284617 4A93BEDB 1E3D2A2C 5F2C7EA0 05513EBA"));
  // l = 4 for the 1022-bit q; v' = v1 || v2 || v3 || v4
  REQUIRE(skm::detail::hash_blocks(1022, false, 256) == 4);
  std::vector<std::uint8_t> v(128);
  skm::detail::hash_to_range_stream<skm::sha256>({std::span<const std::uint8_t>(m)}, 4, v);
  REQUIRE(v == unhex("FA2656CA 1D2DBD79 015AE918 773DFEDC 24957C91 E3C9C335 40D6BF6D 7C3C0055"
                     "F016CD67 59620AD7 87669E3A DD887DF6 25895A91 0CEE1486 91A06735 B2F0A248"
                     "AC45C6F9 7F83BCE0 A2BBD0A1 4CF4D7F4 CB3590FB FAF93AE7 1C64E426 185710B5"
                     "E65D50BD 551A54EF 981F535E 072DE98D 2223ACAD 4621E026 3B0A61EA C56DB078"));
  // h1..h4 are the chain SHA-256(h_(i-1)) from h0 = 0
  std::array<std::uint8_t, 32> h{};
  const std::string_view hs[] = {
      "66687AAD F862BD77 6C8FC18B 8E9F8E20 08971485 6EE233B3 902A591D 0D5F2925",
      "2B32DB6C 2C0A6235 FB1397E8 225EA85E 0F0E6E8C 7B126D00 16CCBDE0 E667151E",
      "12771355 E46CD47C 71ED1721 FD5319B3 83CCA3A1 F9FCE3AA 1C8CD3BD 37AF20D7",
      "FE15C0D3 EBE314FA D720A08B 839A004C 2E6386F5 AECC19EC 74807D19 20CB6AEB"};
  for (auto expected : hs) {
    h = skm::sha256::hash(h);
    REQUIRE(vec(h) == unhex(expected));
  }
  // v mod q
  const auto r = skm::hash_to_integer_range<skm::sha256>(std::span<const std::uint8_t>(m),
                                                         sakke_param_set_1::q);
  REQUIRE(vec(skm::to_bytes_be<128>(r)) == pad(unhex(kat_r), 128));
  // the same through the parts interface (SSV || b without a joined copy)
  const auto ssv = unhex(kat_ssv), b = unhex(kat_b);
  REQUIRE(skm::hash_to_integer_range<skm::sha256>(
              {std::span<const std::uint8_t>(ssv), std::span<const std::uint8_t>(b)},
              sakke_param_set_1::q) == r);
}

TEST_CASE("HashToIntegerRange: block count, powers of two and leading zero octets",
          "[rfc6508][hash]") {
  using skm::detail::hash_blocks;
  REQUIRE(hash_blocks(129, true, 256) == 1);   // n = 2^128: lg n = 128
  REQUIRE(hash_blocks(257, true, 256) == 1);   // n = 2^256
  REQUIRE(hash_blocks(258, true, 256) == 2);   // n = 2^257
  REQUIRE(hash_blocks(256, false, 256) == 1);  // 2^255 < n < 2^256
  REQUIRE(hash_blocks(257, false, 256) == 2);
  REQUIRE(hash_blocks(481, false, 256) == 2);
  // RFC Appendix A mask: HashToIntegerRange(g^r, 2^128)
  const auto gr = unhex(kat_gr);
  REQUIRE(vec(skm::hash_to_integer_range_pow2<skm::sha256, 128>(
              std::span<const std::uint8_t>(gr))) == unhex(kat_mask));
  // 2^n keeps the low n bits of v_1: the modulus form with n = 2^128 agrees
  const auto as_mod = skm::hash_to_integer_range<skm::sha256>(std::span<const std::uint8_t>(gr),
                                                              skm::uint<3>{{0, 0, 1}});
  REQUIRE(vec(skm::to_bytes_be<16>(as_mod)) == unhex(kat_mask));
  // 2^12: the low 12 bits
  const auto low12 =
      skm::hash_to_integer_range_pow2<skm::sha256, 12>(std::span<const std::uint8_t>(gr));
  REQUIRE(low12[0] == (unhex(kat_mask)[14] & 0x0F));
  REQUIRE(low12[1] == unhex(kat_mask)[15]);
  // A field value with leading zero octets is hashed as all L octets (RFC 6508 §4)
  const auto small = S1::Fp::from_u64(0x1234);
  std::vector<std::uint8_t> fixed(128, 0);
  fixed[126] = 0x12;
  fixed[127] = 0x34;
  REQUIRE(vec(S1::mask(small)) == vec(skm::hash_to_integer_range_pow2<skm::sha256, 128>(
                                      std::span<const std::uint8_t>(fixed))));
  const std::vector<std::uint8_t> minimal{0x12, 0x34};
  REQUIRE(vec(S1::mask(small)) != vec(skm::hash_to_integer_range_pow2<skm::sha256, 128>(
                                      std::span<const std::uint8_t>(minimal))));
}

TEST_CASE("RFC 6508 Appendix A: KMS, RSK, encapsulation and decapsulation value by value",
          "[rfc6508][sakke]") {
  using namespace skm::sakke;
  const auto z = pad(unhex(kat_z), 128);
  const auto kms_r = kms<sakke_param_set_1>::from_master_secret(z);
  REQUIRE(kms_r.has_value());
  const auto& kms1 = *kms_r;
  // Z = [z]P
  REQUIRE(vec(kms1.public_key().encode()) == point_bytes(kat_zx, kat_zy));
  // decoding Z from the appendix gives the same key
  const auto zpk = kms_public_key<sakke_param_set_1>::decode(point_bytes(kat_zx, kat_zy));
  REQUIRE(zpk.has_value());
  // RSK for b
  const auto b = unhex(kat_b);
  const auto rsk = kms1.issue_rsk(b);
  REQUIRE(rsk.has_value());
  REQUIRE(vec(skm::ec::encode_uncompressed(*rsk).value()) == point_bytes(kat_kbx, kat_kby));
  REQUIRE(validate_rsk(*zpk, b, *rsk).has_value());

  // Sender, step by step
  const auto ssv = unhex(kat_ssv);
  std::array<std::uint8_t, 16> ssv_a;
  std::copy(ssv.begin(), ssv.end(), ssv_a.begin());
  const auto r = S1::derive_r(ssv_a, b);
  REQUIRE(vec(skm::to_bytes_be<128>(r)) == pad(unhex(kat_r), 128));
  const auto to = recipient<sakke_param_set_1>::create(*zpk, b);
  REQUIRE(to.has_value());
  const auto big_r = skm::ec::to_affine(to->table().mul(r));
  REQUIRE(vec(skm::ec::encode_uncompressed(big_r).value()) == point_bytes(kat_rbx, kat_rby));
  const auto g_r = S1::g_table().pow_canonical(r);
  REQUIRE(vec(g_r.to_bytes()) == unhex(kat_gr));
  REQUIRE(vec(S1::mask(g_r)) == unhex(kat_mask));
  auto expected_data = point_bytes(kat_rbx, kat_rby);
  const auto h = unhex(kat_h);
  expected_data.insert(expected_data.end(), h.begin(), h.end());
  REQUIRE(expected_data.size() == 273);
  const auto data = encapsulate(*to, ssv);
  REQUIRE(data.has_value());
  REQUIRE(vec(*data) == expected_data);
  const auto data_new = encapsulate(*zpk, b, ssv);
  REQUIRE(data_new.has_value());
  REQUIRE(vec(*data_new) == expected_data);

  // Receiver: w = <R, K_b> = g^r, SSV, TEST = R
  const skm::pairing::affine<S1::Fp> r_coords{big_r.x, big_r.y}, k_coords{rsk->x, rsk->y};
  REQUIRE(vec(skm::pairing::tate<sakke_param_set_1>::pair(r_coords, k_coords).to_bytes()) ==
          unhex(kat_gr));
  const auto rec = receiver<sakke_param_set_1>::create(*zpk, b, *rsk);
  REQUIRE(rec.has_value());
  const auto warm = rec->decapsulate(expected_data);
  REQUIRE(warm.has_value());
  REQUIRE(vec(*warm) == ssv);
  const auto cold = decapsulate_with_unvalidated_rsk(*zpk, b, *rsk, expected_data);
  REQUIRE(cold.has_value());
  REQUIRE(vec(*cold) == ssv);
}

namespace {

template <class Curve>
struct fixture {
  using S = skm::sakke::scheme<Curve>;
  skm_test::test_rng rng{0x5a4e};
  skm::sakke::kms<Curve> kms = skm::sakke::kms<Curve>::generate(rng);
  std::vector<std::uint8_t> id =
      unhex("3230 31312D30 32007465 6C3A2B34 34373730 30393030 31323300");
  typename S::point rsk = kms.issue_rsk(id).value();
};

std::vector<std::uint8_t> flip(std::vector<std::uint8_t> v, std::size_t i, std::uint8_t bit = 1) {
  v[i] ^= bit;
  return v;
}

}  // namespace

TEMPLATE_TEST_CASE("SAKKE round trips: cached and new recipient, warm and cold receiver", "[sakke]",
                   sakke_param_set_1, sakke_test_params_512) {
  using namespace skm::sakke;
  fixture<TestType> f;
  REQUIRE(validate_rsk(f.kms.public_key(), f.id, f.rsk).has_value());
  const auto rec = receiver<TestType>::create(f.kms.public_key(), f.id, f.rsk);
  REQUIRE(rec.has_value());
  static_assert(receiver<TestType>::has_identity_table);
  const auto rec_no_i_table =
      receiver<TestType, 0>::create(f.kms.public_key(), f.id, f.rsk);  // TEST from shared tables
  REQUIRE(rec_no_i_table.has_value());
  static_assert(!receiver<TestType, 0>::has_identity_table);
  const auto to = recipient<TestType>::create(f.kms.public_key(), f.id);
  REQUIRE(to.has_value());
  const auto to5 =
      recipient<TestType, 5>::create(f.kms.public_key(), f.id);  // another window width
  REQUIRE(to5.has_value());
  for (int trial = 0; trial < 3; ++trial) {
    const auto e = encapsulate_random(*to, f.rng);
    REQUIRE(e.has_value());
    const auto e2 = encapsulate(f.kms.public_key(), f.id, e->ssv);
    REQUIRE(e2.has_value());
    REQUIRE(*e2 == e->data);  // deterministic in (SSV, b)
    const auto e3 = encapsulate(*to5, e->ssv);
    REQUIRE(e3.has_value());
    REQUIRE(*e3 == e->data);
    const auto warm = rec->decapsulate(e->data);
    REQUIRE(warm.has_value());
    REQUIRE(*warm == e->ssv);
    const auto warm_no_i_table = rec_no_i_table->decapsulate(e->data);
    REQUIRE(warm_no_i_table.has_value());
    REQUIRE(*warm_no_i_table == e->ssv);
    const auto cold = decapsulate_with_unvalidated_rsk(f.kms.public_key(), f.id, f.rsk, e->data);
    REQUIRE(cold.has_value());
    REQUIRE(*cold == e->ssv);
  }
  // KMS master secret export/import gives the same keys
  const auto again = kms<TestType>::from_master_secret(f.kms.export_master_secret());
  REQUIRE(again.has_value());
  REQUIRE(again->public_key().encode() == f.kms.public_key().encode());
  REQUIRE(skm::ec::ct_equal(again->issue_rsk(f.id).value(), f.rsk).declassify());
}

TEMPLATE_TEST_CASE("SAKKE rejects bad keys, identifiers and secrets", "[sakke]", sakke_param_set_1,
                   sakke_test_params_512) {
  using namespace skm::sakke;
  using S = scheme<TestType>;
  using Fp = typename S::Fp;
  fixture<TestType> f;
  const auto& pk = f.kms.public_key();
  // identifiers: empty, 0, 1, >= q, longer than the scalar type
  REQUIRE(f.kms.issue_rsk(std::vector<std::uint8_t>{}).error() == sakke_error::bad_identifier);
  REQUIRE(f.kms.issue_rsk(std::vector<std::uint8_t>{0x01}).error() == sakke_error::bad_identifier);
  REQUIRE(f.kms.issue_rsk(std::vector<std::uint8_t>{0x00, 0x00}).error() ==
          sakke_error::bad_identifier);
  REQUIRE(f.kms.issue_rsk(vec(skm::to_bytes_be<Fp::bytes>(S::q))).error() ==
          sakke_error::bad_identifier);
  REQUIRE(f.kms.issue_rsk(std::vector<std::uint8_t>(8 * S::scalar::limbs + 1, 0x01)).error() ==
          sakke_error::bad_identifier);
  REQUIRE(recipient<TestType>::create(pk, std::vector<std::uint8_t>{0x01}).error() ==
          sakke_error::bad_identifier);
  // b + z = 0 mod q: no RSK, and I = O
  {
    const auto z = f.kms.export_master_secret();
    const auto zq = S::Fq::from_bytes(z).value();
    const auto b = (-zq).to_uint();
    const auto id = vec(skm::to_bytes_be<Fp::bytes>(b));
    REQUIRE(f.kms.issue_rsk(id).error() == sakke_error::identifier_not_invertible);
    REQUIRE(recipient<TestType>::create(pk, id).error() == sakke_error::identifier_not_invertible);
  }
  // master secrets: wrong length, 0, 1, q
  REQUIRE(kms<TestType>::from_master_secret(std::vector<std::uint8_t>(5, 1)).error() ==
          sakke_error::bad_master_secret);
  REQUIRE(kms<TestType>::from_master_secret(std::vector<std::uint8_t>(S::Fq::bytes, 0)).error() ==
          sakke_error::bad_master_secret);
  {
    std::vector<std::uint8_t> one(S::Fq::bytes, 0);
    one.back() = 1;
    REQUIRE(kms<TestType>::from_master_secret(one).error() == sakke_error::bad_master_secret);
    REQUIRE(kms<TestType>::from_master_secret(vec(skm::to_bytes_be<S::Fq::bytes>(S::q))).error() ==
            sakke_error::bad_master_secret);
  }
  // KMS public key: off curve, not in the subgroup (a point of order 2), truncated
  const auto z_enc = vec(pk.encode());
  REQUIRE(kms_public_key<TestType>::decode(flip(z_enc, z_enc.size() - 1)).error() ==
          sakke_error::bad_public_key);
  REQUIRE(
      kms_public_key<TestType>::decode(std::span<const std::uint8_t>(z_enc).first(z_enc.size() - 1))
          .error() == sakke_error::bad_public_key);
  std::vector<std::uint8_t> two_torsion(S::point_bytes, 0);
  two_torsion[0] = 0x04;  // (0, 0)
  REQUIRE(kms_public_key<TestType>::decode(two_torsion).error() == sakke_error::bad_public_key);

  // RSKs: wrong identity, wrong KMS, off the curve, small-order component, order 2
  const auto other_id = unhex("0102030405");
  REQUIRE(validate_rsk(pk, other_id, f.rsk).error() == sakke_error::rsk_pairing_mismatch);
  REQUIRE(receiver<TestType>::create(pk, other_id, f.rsk).error() ==
          sakke_error::rsk_pairing_mismatch);
  skm_test::test_rng rng2(77);
  const auto other_kms = kms<TestType>::generate(rng2);
  REQUIRE(validate_rsk(other_kms.public_key(), f.id, f.rsk).error() ==
          sakke_error::rsk_pairing_mismatch);
  auto off = f.rsk;
  off.y = off.y + Fp::one();
  REQUIRE(validate_rsk(pk, f.id, off).error() == sakke_error::bad_rsk_encoding);
  REQUIRE(receiver<TestType>::create(pk, f.id, off).error() == sakke_error::bad_rsk_encoding);
  const typename S::point t2{Fp(), Fp(), skm::ct::choice::no()};
  REQUIRE(validate_rsk(pk, f.id, t2).error() == sakke_error::rsk_not_in_subgroup);
  REQUIRE(receiver<TestType>::create(pk, f.id, t2).error() == sakke_error::rsk_not_in_subgroup);
  // RSK + T with T of order 2: same pairing with I, but not of order q
  const auto with_t2 =
      skm::ec::to_affine_vartime(skm::ec::add_vartime(skm::ec::to_jacobian(f.rsk), t2));
  REQUIRE(skm::ec::on_curve(with_t2).declassify());
  REQUIRE(validate_rsk(pk, f.id, with_t2).error() == sakke_error::rsk_not_in_subgroup);
  REQUIRE(receiver<TestType>::create(pk, f.id, with_t2).error() ==
          sakke_error::rsk_not_in_subgroup);
  REQUIRE(decode_rsk_unvalidated<TestType>(std::vector<std::uint8_t>(S::point_bytes, 0)).error() ==
          sakke_error::bad_rsk_encoding);
  REQUIRE(decode_rsk_unvalidated<TestType>(vec(skm::ec::encode_uncompressed(f.rsk).value()))
              .has_value());

  // SSV length
  const auto to = recipient<TestType>::create(pk, f.id).value();
  REQUIRE(encapsulate(to, std::vector<std::uint8_t>(S::ssv_bytes + 1, 0)).error() ==
          sakke_error::bad_ssv_length);
  REQUIRE(encapsulate(pk, f.id, std::vector<std::uint8_t>(S::ssv_bytes - 1, 0)).error() ==
          sakke_error::bad_ssv_length);
}

TEMPLATE_TEST_CASE("SAKKE decapsulation: every tampered input fails with the one uniform error",
                   "[sakke]", sakke_param_set_1, sakke_test_params_512) {
  using namespace skm::sakke;
  using S = scheme<TestType>;
  using Fp = typename S::Fp;
  using O = skm_test::oracle<TestType>;
  fixture<TestType> f;
  const auto& pk = f.kms.public_key();
  const auto rec = receiver<TestType>::create(pk, f.id, f.rsk).value();
  const auto rec_no_i_table = receiver<TestType, 0>::create(pk, f.id, f.rsk).value();
  const auto to = recipient<TestType>::create(pk, f.id).value();
  const auto e = encapsulate_random(to, f.rng).value();
  const auto good = vec(e.data);
  REQUIRE(rec.decapsulate(good).has_value());
  REQUIRE(rec_no_i_table.decapsulate(good).has_value());

  const auto cold = [&](const std::vector<std::uint8_t>& d) {
    return decapsulate_with_unvalidated_rsk(pk, f.id, f.rsk, d);
  };
  std::vector<std::vector<std::uint8_t>> bad;
  bad.reserve(8);  // the eight of the loop below; the other cases are added one by one
  // H flipped (every bit of the last octet, and the first octet of H)
  for (int bit = 0; bit < 8; ++bit)
    bad.push_back(flip(good, good.size() - 1, static_cast<std::uint8_t>(1u << bit)));
  bad.push_back(flip(good, S::point_bytes));
  // truncated / extended / empty
  bad.emplace_back(good.begin(), good.end() - 1);
  bad.emplace_back(good.begin(), good.begin() + S::point_bytes);
  {
    auto ext = good;
    ext.push_back(0);
    bad.push_back(ext);
  }
  bad.emplace_back();
  // R = the identity (SEC1 0x00) followed by H
  {
    std::vector<std::uint8_t> d{0x00};
    d.insert(d.end(), good.begin() + S::point_bytes, good.end());
    bad.push_back(d);
  }
  // prefix, off-curve R
  bad.push_back(flip(good, 0, 0x06));  // 0x02
  bad.push_back(flip(good, 0, 0x04));  // 0x00
  bad.push_back(flip(good, 1 + Fp::bytes - 1));
  // coordinates >= p: x = p, and y + p does not fit, so x replaced by x + p where it fits
  {
    auto d = good;
    const auto p_bytes = skm::to_bytes_be<Fp::bytes>(TestType::p);
    std::copy(p_bytes.begin(), p_bytes.end(), d.begin() + 1);
    bad.push_back(d);
    auto d2 = good;
    std::fill(d2.begin() + 1 + Fp::bytes, d2.begin() + 1 + 2 * Fp::bytes, 0xFF);
    bad.push_back(d2);
  }
  // R replaced by -R
  {
    const auto r = skm::ec::decode_uncompressed<TestType>(
                       std::span<const std::uint8_t>(good).first(S::point_bytes),
                       skm::ec::subgroup_check::skip)
                       .value();
    auto d = vec(skm::ec::encode_uncompressed(skm::ec::negate(r)).value());
    d.insert(d.end(), good.begin() + S::point_bytes, good.end());
    bad.push_back(d);
    // R + T (T of order 2): on the curve, outside <P>
    const typename S::point t2{Fp(), Fp(), skm::ct::choice::no()};
    const auto rt = skm::ec::to_affine_vartime(skm::ec::add_vartime(skm::ec::to_jacobian(r), t2));
    auto d3 = vec(skm::ec::encode_uncompressed(rt).value());
    d3.insert(d3.end(), good.begin() + S::point_bytes, good.end());
    bad.push_back(d3);
  }
  // R of small order: (0, 0) of order 2, and points of order 4 (or 8, 16, ... where the cofactor
  // has them)
  {
    std::vector<std::uint8_t> d(S::point_bytes, 0);
    d[0] = 0x04;
    d.insert(d.end(), good.begin() + S::point_bytes, good.end());
    bad.push_back(d);
    // Points of order 4 (or a higher power of 2 where the cofactor allows): a random point times
    // q and times the odd part of the cofactor has 2-power order; keep those with [2]T != O.
    skm_test::test_rng rng(4);
    int found = 0;
    for (int tries = 0; tries < 200 && found < 2; ++tries) {
      const Fp x = Fp::random(rng);
      const auto y = (x.square() * x - Fp::from_u64(3) * x).sqrt_vartime();
      if (!y) continue;
      auto cof = Fp::uint_type::from_u64(TestType::cofactor);
      while ((cof.limb[0] & 1) == 0) cof = cof >> 1;
      auto small = O::mul(TestType::q.template resize<Fp::uint_type::limbs>(),
                          typename O::maybe_point(typename O::point{x, *y}));
      small = O::mul(cof, small);
      if (!small || !O::add(small, small)) continue;  // need order >= 4
      REQUIRE(!O::mul(Fp::uint_type::from_u64(TestType::cofactor), small)
                   .has_value());  // small order indeed
      auto enc = vec(
          skm::ec::encode_uncompressed(typename S::point{small->x, small->y, skm::ct::choice::no()})
              .value());
      enc.insert(enc.end(), good.begin() + S::point_bytes, good.end());
      bad.push_back(enc);
      ++found;
    }
    REQUIRE(found == 2);
  }
  for (const auto& d : bad) {
    const auto w = rec.decapsulate(d);
    REQUIRE(!w.has_value());
    REQUIRE(w.error() == sakke_error::decapsulation_failed);
    const auto w0 = rec_no_i_table.decapsulate(d);
    REQUIRE(!w0.has_value());
    REQUIRE(w0.error() == sakke_error::decapsulation_failed);
    const auto c = cold(d);
    REQUIRE(!c.has_value());
    REQUIRE(c.error() == sakke_error::decapsulation_failed);
  }
  // wrong RSK (another identity's), wrong identity
  const auto other_id = unhex("0102030405");
  const auto other_rsk = f.kms.issue_rsk(other_id).value();
  REQUIRE(cold(good).has_value());
  REQUIRE(decapsulate_with_unvalidated_rsk(pk, f.id, other_rsk, good).error() ==
          sakke_error::decapsulation_failed);
  REQUIRE(decapsulate_with_unvalidated_rsk(pk, other_id, other_rsk, good).error() ==
          sakke_error::decapsulation_failed);
  const auto other_rec = receiver<TestType>::create(pk, other_id, other_rsk).value();
  REQUIRE(other_rec.decapsulate(good).error() == sakke_error::decapsulation_failed);
  const auto other_rec_no_i_table = receiver<TestType, 0>::create(pk, other_id, other_rsk).value();
  REQUIRE(other_rec_no_i_table.decapsulate(good).error() == sakke_error::decapsulation_failed);
}
