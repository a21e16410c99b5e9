// SPDX-License-Identifier: BSD-3-Clause
// MIKEY payload codecs: golden bytes written by hand from the RFC bit diagrams, compile-time
// round trips (static_assert) beside the same checks at run time, and every rejection path.
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "skm/mikey/payloads.hpp"

using namespace skm::mikey;

namespace {

using u8 = std::uint8_t;

template <std::size_t M>
constexpr std::array<u8, M - 1> ascii(const char (&s)[M]) {
  std::array<u8, M - 1> a{};
  for (std::size_t i = 0; i + 1 < M; ++i) a[i] = static_cast<u8>(s[i]);
  return a;
}

template <std::size_t N>
constexpr std::array<u8, N> counting(u8 start) {
  std::array<u8, N> a{};
  for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<u8>(start + i);
  return a;
}

template <std::size_t N, std::size_t M>
constexpr std::array<u8, N + M> cat(const std::array<u8, N>& a, const std::array<u8, M>& b) {
  std::array<u8, N + M> r{};
  for (std::size_t i = 0; i < N; ++i) r[i] = a[i];
  for (std::size_t i = 0; i < M; ++i) r[N + i] = b[i];
  return r;
}

/// encode(p, next) gives exactly `golden`, and decode(golden) gives back p, next and the size.
template <class P, std::size_t N>
constexpr bool round_trips(const P& p, payload_type next, const std::array<u8, N>& golden) {
  if (p.encoded_size() != N) return false;
  std::array<u8, N> buf{};
  const auto n = p.encode(buf, next);
  if (!n || *n != N || buf != golden) return false;
  const auto d = P::decode(golden, 0);
  return d && d->size == N && d->next == next && d->payload == p;
}

/// Every strict prefix of `golden` fails to decode with "truncated".
template <class P, std::size_t N>
constexpr bool every_prefix_truncated(const std::array<u8, N>& golden) {
  for (std::size_t k = 0; k < N; ++k) {
    const auto d = P::decode(bytes_view(golden).first(k), 0);
    if (d || d.error().code != errc::truncated) return false;
  }
  return true;
}

// ---- HDR ----------------------------------------------------------------------------------

// data type 26, next T (5), V=0 PRF=1, CSB ID 0x16992638, #CS 0, empty map (1).
constexpr hdr_payload hdr_empty{1, data_type::sakke,   false, prf_func::hmac_sha_256, 0x16992638,
                                0, cs_map_type::empty, {}};
constexpr std::array<u8, 10> hdr_empty_golden{0x01, 0x1A, 0x05, 0x01, 0x16,
                                              0x99, 0x26, 0x38, 0x00, 0x01};

// SRTP-ID map, 2 entries: (policy 0, SSRC 0xDEADBEEF, ROC 1), (policy 1, SSRC 0x01020304, ROC 0).
constexpr std::array<u8, 18> srtp_map{0x00, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00, 0x00, 0x01,
                                      0x01, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00};
// data type 0 (pre-shared), next KEMAC (1), V=1 PRF=0.
constexpr hdr_payload hdr_srtp{1, data_type::psk_init,  true,    prf_func::mikey_1, 0xCAFEBABE,
                               2, cs_map_type::srtp_id, srtp_map};
constexpr auto hdr_srtp_golden =
    cat(std::array<u8, 10>{0x01, 0x00, 0x01, 0x80, 0xCA, 0xFE, 0xBA, 0xBE, 0x02, 0x00}, srtp_map);

// GENERIC-ID, 2 entries (RFC 6043 §6.1.1):
//  CS ID 4, SRTP, S=0, #P=1 (policy 0), no session data, SPI len 8 (GMK-ID || GUK-ID)
//  CS ID 6, SRTP, S=1, #P=2 (policies 0, 3), session data SSRC||ROC||SEQ, no SPI
constexpr std::array<u8, 15> gid_entry_1{0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x01,
                                         0x23, 0x45, 0x67, 0x0A, 0xBC, 0xDE, 0xF0};
constexpr std::array<u8, 18> gid_entry_2{0x06, 0x00, 0x82, 0x00, 0x03, 0x00, 0x0A, 0x11, 0x22,
                                         0x33, 0x44, 0x00, 0x00, 0x00, 0x07, 0x12, 0x34, 0x00};
constexpr auto generic_map = cat(gid_entry_1, gid_entry_2);
constexpr hdr_payload hdr_generic{
    1, data_type::sakke,        false,      prf_func::hmac_sha_256, 0x0ABCDEF0,
    2, cs_map_type::generic_id, generic_map};
constexpr auto hdr_generic_golden = cat(
    std::array<u8, 10>{0x01, 0x1A, 0x05, 0x01, 0x0A, 0xBC, 0xDE, 0xF0, 0x02, 0x02}, generic_map);

static_assert(round_trips(hdr_empty, payload_type::t, hdr_empty_golden));
static_assert(round_trips(hdr_srtp, payload_type::kemac, hdr_srtp_golden));
static_assert(round_trips(hdr_generic, payload_type::t, hdr_generic_golden));
static_assert(every_prefix_truncated<hdr_payload>(hdr_empty_golden));
static_assert(every_prefix_truncated<hdr_payload>(hdr_srtp_golden));
static_assert(every_prefix_truncated<hdr_payload>(hdr_generic_golden));

// The map entries as typed values, and the list encoder that builds the map info from them.
constexpr std::array<u8, 1> policy_0{0x00};
constexpr std::array<u8, 2> policies_0_3{0x00, 0x03};
constexpr std::array<u8, 8> spi_8{0x01, 0x23, 0x45, 0x67, 0x0A, 0xBC, 0xDE, 0xF0};
constexpr std::array<u8, 10> session_10{0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x07, 0x12, 0x34};
constexpr std::array<generic_id_entry, 2> generic_entries{
    generic_id_entry{4, prot_type::srtp, false, policy_0, {}, spi_8},
    generic_id_entry{6, prot_type::srtp, true, policies_0_3, session_10, {}}};

constexpr bool generic_map_builds_and_reads() {
  std::array<u8, generic_map.size()> buf{};
  const auto n = encode_list(std::span<const generic_id_entry>(generic_entries), buf);
  if (!n || *n != buf.size() || buf != generic_map) return false;
  const auto ids = hdr_generic.generic_ids();
  if (ids.size() != 2 || !(ids[0] == generic_entries[0]) || !(ids[1] == generic_entries[1]))
    return false;
  return ids[1].ssrc() == 0x11223344 && ids[1].roc() == 7u && ids[1].seq() == 0x1234 &&
         !ids[0].roc();
}
static_assert(generic_map_builds_and_reads());

constexpr bool srtp_map_reads() {
  const auto ids = hdr_srtp.srtp_ids();
  return ids.size() == 2 && ids[0] == srtp_id_entry{0, 0xDEADBEEF, 1} &&
         ids[1] == srtp_id_entry{1, 0x01020304, 0} && hdr_srtp.generic_ids().size() == 0;
}
static_assert(srtp_map_reads());

// ---- T ------------------------------------------------------------------------------------

constexpr t_payload t_ntp_utc{ts_type::ntp_utc, 0xEC898DA800000000};
constexpr std::array<u8, 10> t_ntp_utc_golden{0x0B, 0x00, 0xEC, 0x89, 0x8D,
                                              0xA8, 0x00, 0x00, 0x00, 0x00};
constexpr t_payload t_ntp{ts_type::ntp, 0x0102030405060708};
constexpr std::array<u8, 10> t_ntp_golden{0x0B, 0x01, 0x01, 0x02, 0x03,
                                          0x04, 0x05, 0x06, 0x07, 0x08};
constexpr t_payload t_counter{ts_type::counter, 0x89ABCDEF};
constexpr std::array<u8, 6> t_counter_golden{0x0B, 0x02, 0x89, 0xAB, 0xCD, 0xEF};
constexpr t_payload t_ntp32{ts_type::ntp_utc_32, 0xEC898DA8};
constexpr std::array<u8, 6> t_ntp32_golden{0x0B, 0x03, 0xEC, 0x89, 0x8D, 0xA8};

static_assert(round_trips(t_ntp_utc, payload_type::rand, t_ntp_utc_golden));
static_assert(round_trips(t_ntp, payload_type::rand, t_ntp_golden));
static_assert(round_trips(t_counter, payload_type::rand, t_counter_golden));
static_assert(round_trips(t_ntp32, payload_type::rand, t_ntp32_golden));
static_assert(every_prefix_truncated<t_payload>(t_ntp_utc_golden));
static_assert(every_prefix_truncated<t_payload>(t_counter_golden));
static_assert(t_ntp_utc.ntp_seconds() == 0xEC898DA8 && t_ntp32.ntp_seconds() == 0xEC898DA8);

// ---- RAND ---------------------------------------------------------------------------------

constexpr auto rand_16 = counting<16>(0xA0);
constexpr rand_payload rand_p{rand_16};
constexpr auto rand_golden = cat(std::array<u8, 2>{0x0E, 0x10}, rand_16);
static_assert(round_trips(rand_p, payload_type::idr, rand_golden));
static_assert(every_prefix_truncated<rand_payload>(rand_golden));

// ---- ID, CERT, IDR ------------------------------------------------------------------------

constexpr auto uri_alice = ascii("sip:alice@a.test");
constexpr id_payload id_p{1, uri_alice};
constexpr auto id_golden = cat(std::array<u8, 4>{0x0E, 0x01, 0x00, 0x10}, uri_alice);
static_assert(round_trips(id_p, payload_type::idr, id_golden));
static_assert(every_prefix_truncated<id_payload>(id_golden));

constexpr auto cert_der = counting<5>(0x30);
constexpr cert_payload cert_p{2, cert_der};
constexpr auto cert_golden = cat(std::array<u8, 4>{0x04, 0x02, 0x00, 0x05}, cert_der);
static_assert(round_trips(cert_p, payload_type::sign, cert_golden));

constexpr idr_payload idr_uri{id_role::initiator, id_type::uri, uri_alice};
constexpr auto idr_uri_golden = cat(std::array<u8, 5>{0x0E, 0x01, 0x01, 0x00, 0x10}, uri_alice);
constexpr auto uid_32 = counting<32>(0x40);
constexpr idr_payload idr_uidr{id_role::responder_uid, id_type::byte_string, uid_32};
constexpr auto idr_uidr_golden = cat(std::array<u8, 5>{0x0A, 0x09, 0x02, 0x00, 0x20}, uid_32);
constexpr auto kms_nai = ascii("kms.test");
constexpr idr_payload idr_kmsr{id_role::responder_kms, id_type::nai, kms_nai};
constexpr auto idr_kmsr_golden = cat(std::array<u8, 5>{0x1A, 0x07, 0x00, 0x00, 0x08}, kms_nai);
static_assert(round_trips(idr_uri, payload_type::idr, idr_uri_golden));
static_assert(round_trips(idr_uidr, payload_type::sp, idr_uidr_golden));
static_assert(round_trips(idr_kmsr, payload_type::sakke, idr_kmsr_golden));
static_assert(every_prefix_truncated<idr_payload>(idr_uri_golden));

// ---- SP -----------------------------------------------------------------------------------

// The 3GPP private-call profile: AES-GCM (0=6), 16-byte key, salt 12, PRF AES-CM, KDR 0, AEAD
// tag 16.
constexpr std::array<u8, 18> sp_params{0x00, 0x01, 0x06, 0x01, 0x01, 0x10, 0x04, 0x01, 0x0C,
                                       0x05, 0x01, 0x00, 0x06, 0x01, 0x00, 0x14, 0x01, 0x10};
constexpr sp_payload sp_p{0, prot_type::srtp, sp_params};
constexpr auto sp_golden = cat(std::array<u8, 5>{0x1A, 0x00, 0x00, 0x00, 0x12}, sp_params);
static_assert(round_trips(sp_p, payload_type::sakke, sp_golden));
static_assert(every_prefix_truncated<sp_payload>(sp_golden));

constexpr std::array<u8, 1> v06{0x06}, v10{0x10}, v0c{0x0C}, v00{0x00};
constexpr std::array<sp_param, 6> sp_list{sp_param{0, v06}, sp_param{1, v10}, sp_param{4, v0c},
                                          sp_param{5, v00}, sp_param{6, v00}, sp_param{20, v10}};
constexpr bool sp_params_build_and_read() {
  std::array<u8, sp_params.size()> buf{};
  const auto n = encode_list(std::span<const sp_param>(sp_list), buf);
  if (!n || buf != sp_params) return false;
  std::size_t i = 0;
  for (const auto p : sp_p.parameters())
    if (!(p == sp_list[i++])) return false;
  return i == 6 && sp_p.find(srtp_param::aead_auth_tag_len)->byte_value() == 16 &&
         !sp_p.find(srtp_param::auth_alg).has_value();
}
static_assert(sp_params_build_and_read());

// ---- SAKKE --------------------------------------------------------------------------------

constexpr auto sakke_data = counting<20>(0x04);
constexpr sakke_payload sakke_p{1, 2, sakke_data};
constexpr auto sakke_golden = cat(std::array<u8, 5>{0x15, 0x01, 0x02, 0x00, 0x14}, sakke_data);
static_assert(round_trips(sakke_p, payload_type::general_ext, sakke_golden));
static_assert(every_prefix_truncated<sakke_payload>(sakke_golden));

// ---- SIGN (4-bit S type, 12-bit length) ---------------------------------------------------

constexpr auto eccsi_sig = counting<129>(0x00);
constexpr sign_payload sign_p{sign_type::eccsi, eccsi_sig};
constexpr auto sign_golden = cat(std::array<u8, 2>{0x20, 0x81}, eccsi_sig);
static_assert(round_trips(sign_p, payload_type::last, sign_golden));
static_assert(every_prefix_truncated<sign_payload>(sign_golden));
// RSA/PSS with a 0x123-byte signature: the length's top nibble shares the first byte.
constexpr auto long_sig = counting<0x123>(0x10);
constexpr sign_payload sign_long{sign_type::rsa_pss, long_sig};
constexpr auto sign_long_golden = cat(std::array<u8, 2>{0x11, 0x23}, long_sig);
static_assert(round_trips(sign_long, payload_type::last, sign_long_golden));

// ---- General Extension (3GPP types 6 and 7) -----------------------------------------------

// Type 6: the data is a complete SAKKE payload (its next byte 0).
constexpr auto self_sakke = cat(std::array<u8, 5>{0x00, 0x01, 0x02, 0x00, 0x14}, sakke_data);
constexpr general_ext_payload ext_self{ext_type::sakke_to_self, self_sakke};
constexpr auto ext_self_golden = cat(std::array<u8, 4>{0x15, 0x06, 0x00, 0x19}, self_sakke);
static_assert(round_trips(ext_self, payload_type::general_ext, ext_self_golden));
static_assert(every_prefix_truncated<general_ext_payload>(ext_self_golden));
static_assert(ext_self.sakke_to_self().value() == sakke_p);

constexpr auto key_params = counting<68>(0x43);
constexpr general_ext_payload ext_keyparams{ext_type::key_parameters, key_params};
constexpr auto ext_keyparams_golden = cat(std::array<u8, 4>{0x04, 0x07, 0x00, 0x44}, key_params);
static_assert(round_trips(ext_keyparams, payload_type::sign, ext_keyparams_golden));

// ---- KEMAC, V, ERR ------------------------------------------------------------------------

constexpr auto encr = counting<4>(0xE0);
constexpr auto mac20 = counting<20>(0x80);
constexpr kemac_payload kemac_p{encr_alg::aes_cm_128, encr, mac_alg::hmac_sha_1_160, mac20};
constexpr auto kemac_golden =
    cat(cat(std::array<u8, 4>{0x00, 0x01, 0x00, 0x04}, encr), cat(std::array<u8, 1>{0x01}, mac20));
static_assert(round_trips(kemac_p, payload_type::last, kemac_golden));
static_assert(every_prefix_truncated<kemac_payload>(kemac_golden));
constexpr kemac_payload kemac_null{encr_alg::null, {}, mac_alg::null, {}};
static_assert(round_trips(kemac_null, payload_type::last,
                          std::array<u8, 5>{0x00, 0x00, 0x00, 0x00, 0x00}));

constexpr auto mac32 = counting<32>(0x20);
constexpr v_payload v_p{mac_alg::hmac_sha_256_256, mac32};
constexpr auto v_golden = cat(std::array<u8, 2>{0x00, 0x02}, mac32);
static_assert(round_trips(v_p, payload_type::last, v_golden));
static_assert(every_prefix_truncated<v_payload>(v_golden));

constexpr err_payload err_p{10, 0};
constexpr std::array<u8, 4> err_golden{0x00, 0x0A, 0x00, 0x00};
static_assert(round_trips(err_p, payload_type::last, err_golden));
static_assert(every_prefix_truncated<err_payload>(err_golden));

// Accessors stay total on hand-made values whose lists disagree with their counts.
constexpr bool accessors_total_on_inconsistent_values() {
  hdr_payload h = hdr_generic;
  h.cs_count = 5;  // the map holds 2 entries
  const sp_payload sp{0, prot_type::srtp, bytes_view(sp_params).first(4)};  // 1 TLV + a cut one
  return h.generic_ids().size() == 2 && h.srtp_ids().size() == 0 && sp.parameters().size() == 1 &&
         sp.find(srtp_param::encr_alg)->byte_value() == 6;
}
static_assert(accessors_total_on_inconsistent_values());

template <class P, std::size_t N>
errc decode_error(const std::array<u8, N>& bytes) {
  const auto d = P::decode(bytes, 0);
  REQUIRE_FALSE(d);
  return d.error().code;
}

template <class P>
error encode_error(const P& p, std::size_t capacity = 70000) {
  std::vector<u8> buf(capacity);
  const auto r = p.encode(buf, payload_type::last);
  REQUIRE_FALSE(r);
  return r.error();
}

}  // namespace

TEST_CASE("payload round trips and golden bytes also hold at run time", "[mikey][payloads]") {
  // The same checks as the static_asserts above, evaluated at run time.
  CHECK(round_trips(hdr_empty, payload_type::t, hdr_empty_golden));
  CHECK(round_trips(hdr_srtp, payload_type::kemac, hdr_srtp_golden));
  CHECK(round_trips(hdr_generic, payload_type::t, hdr_generic_golden));
  CHECK(generic_map_builds_and_reads());
  CHECK(srtp_map_reads());
  CHECK(round_trips(t_ntp_utc, payload_type::rand, t_ntp_utc_golden));
  CHECK(round_trips(t_counter, payload_type::rand, t_counter_golden));
  CHECK(round_trips(t_ntp32, payload_type::rand, t_ntp32_golden));
  CHECK(round_trips(rand_p, payload_type::idr, rand_golden));
  CHECK(round_trips(id_p, payload_type::idr, id_golden));
  CHECK(round_trips(cert_p, payload_type::sign, cert_golden));
  CHECK(round_trips(idr_uri, payload_type::idr, idr_uri_golden));
  CHECK(round_trips(idr_uidr, payload_type::sp, idr_uidr_golden));
  CHECK(round_trips(idr_kmsr, payload_type::sakke, idr_kmsr_golden));
  CHECK(round_trips(sp_p, payload_type::sakke, sp_golden));
  CHECK(sp_params_build_and_read());
  CHECK(round_trips(sakke_p, payload_type::general_ext, sakke_golden));
  CHECK(round_trips(sign_p, payload_type::last, sign_golden));
  CHECK(round_trips(sign_long, payload_type::last, sign_long_golden));
  CHECK(round_trips(ext_self, payload_type::general_ext, ext_self_golden));
  CHECK(round_trips(ext_keyparams, payload_type::sign, ext_keyparams_golden));
  CHECK(round_trips(kemac_p, payload_type::last, kemac_golden));
  CHECK(round_trips(v_p, payload_type::last, v_golden));
  CHECK(round_trips(err_p, payload_type::last, err_golden));
  CHECK(every_prefix_truncated<hdr_payload>(hdr_generic_golden));
  CHECK(every_prefix_truncated<sign_payload>(sign_golden));
  CHECK(accessors_total_on_inconsistent_values());
}

TEST_CASE("decoders report the payload, field and offset of a short input", "[mikey][payloads]") {
  // HDR cut inside the CSB ID: names "CSB ID" at its offset (4).
  const auto h = hdr_payload::decode(bytes_view(hdr_empty_golden).first(6), 100);
  REQUIRE_FALSE(h);
  CHECK(h.error() == error{errc::truncated, "HDR", "CSB ID", 104});
  // GENERIC-ID cut inside the second entry's session data.
  const auto g = hdr_payload::decode(bytes_view(hdr_generic_golden).first(10 + 15 + 9), 0);
  REQUIRE_FALSE(g);
  CHECK(g.error() == error{errc::truncated, "HDR", "Session Data", 10 + 15 + 7});
  // RAND cut inside the value: the RAND field starts at byte 2.
  const auto r = rand_payload::decode(bytes_view(rand_golden).first(5), 40);
  REQUIRE_FALSE(r);
  CHECK(r.error() == error{errc::truncated, "RAND", "RAND", 42});
  // SIGN with 129 announced and 100 present.
  const auto s = sign_payload::decode(bytes_view(sign_golden).first(102), 0);
  REQUIRE_FALSE(s);
  CHECK(s.error() == error{errc::truncated, "SIGN", "Signature", 2});
  CHECK(to_string(s.error()) == "truncated: SIGN.Signature at byte 2");
}

TEST_CASE("decoders reject forbidden and unknown values", "[mikey][payloads]") {
  SECTION("HDR version other than 1") {
    CHECK(decode_error<hdr_payload>(std::array<u8, 10>{0x02, 0x1A, 0x05, 0x01, 0, 0, 0, 0, 0x00,
                                                       0x01}) == errc::bad_version);
  }
  SECTION("empty map with #CS != 0") {
    const auto d =
        hdr_payload::decode(std::array<u8, 10>{0x01, 0x1A, 0x05, 0x01, 0, 0, 0, 0, 0x01, 0x01}, 0);
    REQUIRE_FALSE(d);
    CHECK(d.error() == error{errc::invalid_value, "HDR", "#CS", 8});
  }
  SECTION("unknown CS ID map type") {
    const auto d =
        hdr_payload::decode(std::array<u8, 10>{0x01, 0x1A, 0x05, 0x01, 0, 0, 0, 0, 0x00, 0x07}, 0);
    REQUIRE_FALSE(d);
    CHECK(d.error() == error{errc::unsupported_value, "HDR", "CS ID map type", 9});
  }
  SECTION("GENERIC-ID SRTP session data of a wrong length") {
    // S = 0 requires 0 or 4 bytes; 5 given.
    const std::array<u8, 10 + 12> bad{0x01, 0x1A, 0x05, 0x01, 0, 0, 0, 0, 0x01, 0x02, 0x04,
                                      0x00, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5,    0x00, 0x00};
    const auto d = hdr_payload::decode(bad, 0);
    REQUIRE_FALSE(d);
    CHECK(d.error() == error{errc::invalid_value, "HDR", "Session Data Length", 13});
  }
  SECTION("T with an unknown TS type") {
    CHECK(decode_error<t_payload>(std::array<u8, 10>{0x0B, 0x09, 0, 0, 0, 0, 0, 0, 0, 0}) ==
          errc::unsupported_value);
  }
  SECTION("RAND of length 0") {
    CHECK(decode_error<rand_payload>(std::array<u8, 2>{0x0E, 0x00}) == errc::invalid_value);
  }
  SECTION("SP parameter running past the param block") {
    // param length 3, but the TLV announces 2 value bytes after its 2-byte head.
    const auto d = sp_payload::decode(
        std::array<u8, 9>{0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x02, 0x06, 0xFF}, 0);
    REQUIRE_FALSE(d);
    CHECK(d.error().code == errc::length_mismatch);
    CHECK(std::string_view(d.error().field) == "Policy param");
  }
  SECTION("SP parameter head cut by the param block") {
    // param length 1: a lone type byte without its length byte.
    CHECK(decode_error<sp_payload>(std::array<u8, 6>{0x00, 0x00, 0x00, 0x00, 0x01, 0x00}) ==
          errc::length_mismatch);
  }
  SECTION("KEMAC and V with an unknown MAC algorithm") {
    CHECK(decode_error<kemac_payload>(std::array<u8, 5>{0x00, 0x00, 0x00, 0x00, 0x09}) ==
          errc::unsupported_value);
    CHECK(decode_error<v_payload>(std::array<u8, 2>{0x00, 0x07}) == errc::unsupported_value);
  }
  SECTION("SAKKE-to-self whose SAKKE length disagrees with the extension length") {
    auto bad = ext_self_golden;
    bad[4 + 4] = 0x13;  // inner SAKKE data length 0x14 -> 0x13: one byte left over
    const auto d = general_ext_payload::decode(bad, 0);
    REQUIRE_FALSE(d);
    CHECK(d.error() == error{errc::length_mismatch, "SAKKE-to-self", "SAKKE data length", 7});
    bad[4 + 4] = 0x15;  // one byte short
    const auto d2 = general_ext_payload::decode(bad, 0);
    REQUIRE_FALSE(d2);
    CHECK(d2.error().code == errc::truncated);
    CHECK(std::string_view(d2.error().payload) == "SAKKE-to-self");
  }
}

TEST_CASE("encoders refuse what they cannot represent", "[mikey][payloads]") {
  const std::vector<u8> big(70000, 0x55);
  CHECK(encode_error(rand_payload{bytes_view(big).first(256)}).code == errc::field_too_long);
  CHECK(encode_error(rand_payload{}).code == errc::invalid_value);
  CHECK(encode_error(idr_payload{id_role::initiator, id_type::uri, bytes_view(big).first(65536)},
                     70000)
            .code == errc::field_too_long);
  CHECK(encode_error(sakke_payload{1, 1, big}, 70010).code == errc::field_too_long);
  CHECK(encode_error(sign_payload{sign_type::eccsi, bytes_view(big).first(4096)}).code ==
        errc::field_too_long);
  CHECK(encode_error(sign_payload{static_cast<sign_type>(16), bytes_view(big).first(4)}).code ==
        errc::invalid_value);
  CHECK(encode_error(t_payload{ts_type::counter, 0x100000000}).code == errc::field_too_long);
  CHECK(encode_error(t_payload{static_cast<ts_type>(9), 0}).code == errc::unsupported_value);
  CHECK(encode_error(
            kemac_payload{encr_alg::null, {}, mac_alg::hmac_sha_1_160, bytes_view(big).first(19)})
            .code == errc::length_mismatch);
  CHECK(encode_error(v_payload{static_cast<mac_alg>(9), {}}).code == errc::unsupported_value);
  CHECK(encode_error(sp_payload{0, prot_type::srtp, bytes_view(sp_params).first(4)}).code ==
        errc::length_mismatch);
  // HDR whose map info disagrees with #CS, or with the map type.
  auto h = hdr_generic;
  h.cs_count = 3;
  CHECK(encode_error(h).code == errc::truncated);
  h.cs_count = 1;
  CHECK(encode_error(h).code == errc::length_mismatch);
  h = hdr_empty;
  h.cs_count = 1;
  CHECK(encode_error(h).code == errc::invalid_value);
  h = hdr_empty;
  h.prf = static_cast<prf_func>(0x80);
  CHECK(encode_error(h).code == errc::invalid_value);
  // A GENERIC-ID entry with 128 policies does not fit the 7-bit #P.
  const generic_id_entry many{1, prot_type::srtp, false, bytes_view(big).first(128), {}, {}};
  std::vector<u8> out(200);
  const auto r = encode_list(std::span<const generic_id_entry>(&many, 1), out);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::field_too_long);
  // SAKKE-to-self data that is not a SAKKE payload.
  CHECK(encode_error(general_ext_payload{ext_type::sakke_to_self, bytes_view(big).first(3)}).code ==
        errc::truncated);
  // Output buffers one byte too small.
  CHECK(encode_error(rand_p, rand_golden.size() - 1).code == errc::buffer_too_small);
  CHECK(encode_error(hdr_generic, hdr_generic_golden.size() - 1).code == errc::buffer_too_small);
  CHECK(encode_error(sign_p, sign_golden.size() - 1).code == errc::buffer_too_small);
  CHECK(encode_error(sign_p, 1).code == errc::buffer_too_small);
}
