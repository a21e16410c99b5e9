// SPDX-License-Identifier: BSD-3-Clause
// MIKEY messages: the vendor I_MESSAGE field by field and byte for byte, the builder, strict
// validation (every prefix, flipped length bytes, trailing bytes, ordering and count rules),
// signed_range, the 3GPP profile check and the dump.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "messages.hpp"
#include "skm/mikey/mikey.hpp"
#include "vectors.hpp"

using namespace skm::mikey;
using skm_test::mikey::from_hex;

namespace {

std::vector<std::uint8_t> vendor_bytes() {
  auto b = base64::decode(skm_test::mikey::vendor_pck_base64);
  REQUIRE(b);
  return *b;
}

message_view parse_ok(const std::vector<std::uint8_t>& bytes) {
  auto m = parse_message(bytes);
  if (!m) FAIL("parse failed: " << to_string(m.error()));
  return *m;
}

bool parses(const std::vector<std::uint8_t>& bytes) { return parse_message(bytes).has_value(); }

error parse_fails(const std::vector<std::uint8_t>& bytes, parse_options o = {}) {
  auto m = parse_message(bytes, o);
  REQUIRE_FALSE(m);
  return m.error();
}

std::vector<std::uint8_t> to_vec(bytes_view b) { return {b.begin(), b.end()}; }
std::string str(bytes_view b) { return {b.begin(), b.end()}; }

/// Re-encodes every parsed payload with the builder.
std::vector<std::uint8_t> rebuild(const message_view& m) {
  message_builder b;
  for (const auto& e : m.payloads()) std::visit([&b](const auto& p) { b.add(p); }, e.value);
  auto out = b.finish();
  if (!out) FAIL("rebuild failed: " << to_string(out.error()));
  return *out;
}

/// An RFC 6509 message with a two-entry GENERIC-ID map (MKI SPI; SSRC||ROC||SEQ session data).
std::vector<std::uint8_t> generic_id_message() {
  static constexpr std::array<std::uint8_t, 2> pol{0, 1};
  static constexpr std::array<std::uint8_t, 8> mki{1, 2, 3, 4, 5, 6, 7, 8};
  static constexpr std::array<std::uint8_t, 10> sd{0xDE, 0xAD, 0xBE, 0xEF, 0, 0, 0, 1, 0, 2};
  const std::array<generic_id_entry, 2> map{
      generic_id_entry{4, prot_type::srtp, false, pol, {}, mki},
      generic_id_entry{5, prot_type::srtp, true, pol, sd, mki}};
  return skm_test::mikey::build_rfc6509_message({}, map);
}

/// Offsets of the length-bearing bytes of each payload (the fields that frame the message).
std::vector<std::size_t> length_bytes(const message_view& m) {
  std::vector<std::size_t> at;
  for (const auto& e : m.payloads()) {
    const auto o = e.offset;
    switch (e.type) {
      case payload_type::hdr: {
        at.push_back(o + 8);  // #CS
        // GENERIC-ID entries: #P (low 7 bits of byte 2), Session Data Length, SPI Length.
        std::size_t entry = o + 10;
        for (const auto g : e.get<hdr_payload>()->generic_ids()) {
          const auto np = g.policies.size();
          const auto sd = g.session_data.size();
          at.insert(at.end(), {entry + 2, entry + 3 + np, entry + 4 + np, entry + 5 + np + sd});
          entry += g.encoded_size();
        }
        break;
      }
      case payload_type::rand: at.push_back(o + 1); break;                   // RAND len
      case payload_type::idr: at.insert(at.end(), {o + 3, o + 4}); break;    // ID len
      case payload_type::sp: at.insert(at.end(), {o + 3, o + 4}); break;     // Policy param length
      case payload_type::sakke: at.insert(at.end(), {o + 3, o + 4}); break;  // SAKKE data length
      case payload_type::general_ext: at.insert(at.end(), {o + 2, o + 3}); break;
      case payload_type::sign: at.insert(at.end(), {o + 0, o + 1}); break;  // 12-bit length
      default: break;
    }
  }
  return at;
}

/// Builder and parser in a constant expression: build, hand out the signed range, sign, parse.
constexpr bool builder_and_parser_are_constexpr() {
  std::array<std::uint8_t, 16> r{};
  for (std::size_t i = 0; i < r.size(); ++i) r[i] = static_cast<std::uint8_t>(i + 1);
  message_builder b;
  b.add(hdr_payload{})
      .add(t_payload{ts_type::ntp_utc, 1})
      .add(rand_payload{r})
      .add(sakke_payload{1, 2, r});
  const auto covered = b.begin_signature(sign_type::eccsi, r.size());
  if (!covered || covered->size() != 10 + 10 + 18 + 21 + 2) return false;
  const auto bytes = b.finish_signature(r);
  if (!bytes) return false;
  const auto m = parse_message(*bytes);
  return m && m->payloads().size() == 5 && m->signed_range()->size() == bytes->size() - 16 &&
         m->sakke()->id_scheme == 2 && (*bytes)[2] == 5 && (*bytes)[10] == 11 &&
         (*bytes)[20] == 26 &&
         check_3gpp_profile(*m).has_value();  // no IDRs: valid RFC 6509, not 3GPP profile
}
static_assert(builder_and_parser_are_constexpr());

// A view over a temporary would dangle: parse_message refuses rvalue vectors at compile time.
template <class T>
concept parsable_from = requires(T&& t) {
  parse_message(std::forward<T>(t));
};
static_assert(parsable_from<const std::vector<std::uint8_t>&>);
static_assert(parsable_from<std::vector<std::uint8_t>&>);
static_assert(parsable_from<bytes_view>);
static_assert(!parsable_from<std::vector<std::uint8_t>>);
static_assert(!parsable_from<const std::vector<std::uint8_t>>);

}  // namespace

TEST_CASE("builder and parser work in constant expressions and at run time alike",
          "[mikey][builder]") {
  CHECK(builder_and_parser_are_constexpr());
}

TEST_CASE("vendor I_MESSAGE parses with every field as published", "[mikey][vendor]") {
  const auto bytes = vendor_bytes();
  REQUIRE(bytes.size() == 683);
  const auto m = parse_ok(bytes);
  CHECK_FALSE(check_3gpp_profile(m).has_value());

  // Payload order: HDR T RAND IDR IDR IDR IDR SP SAKKE EXT SIGN.
  const std::vector<payload_type> order{
      payload_type::hdr,   payload_type::t,           payload_type::rand, payload_type::idr,
      payload_type::idr,   payload_type::idr,         payload_type::idr,  payload_type::sp,
      payload_type::sakke, payload_type::general_ext, payload_type::sign};
  REQUIRE(m.payloads().size() == order.size());
  for (std::size_t i = 0; i < order.size(); ++i) CHECK(m.payloads()[i].type == order[i]);

  const auto& h = m.hdr();
  CHECK(h.version == 1);
  CHECK(h.data_type == data_type::sakke);
  CHECK_FALSE(h.v);
  CHECK(h.prf == prf_func::hmac_sha_256);
  CHECK(h.csb_id == 0x16992638);  // PCK-ID
  CHECK(h.csb_id >> 28 == 1);     // purpose tag 1 = PCK
  CHECK(h.cs_count == 0);
  CHECK(h.map_type == cs_map_type::empty);

  REQUIRE(m.t() != nullptr);
  CHECK(m.t()->type == ts_type::ntp_utc);
  // Key period 236 for UserKeyPeriod 16777215, offset 0.
  CHECK(m.t()->ntp_seconds() / 16777215u == 236);

  REQUIRE(m.rand() != nullptr);
  CHECK(to_vec(m.rand()->rand) == from_hex("02a28bddaf984c5e0563bc1ce857df83"));

  const auto* uidi = m.idr(id_role::initiator_uid);
  const auto* uidr = m.idr(id_role::responder_uid);
  REQUIRE(uidi != nullptr);
  REQUIRE(uidr != nullptr);
  CHECK(uidi->type == id_type::uri);
  CHECK(to_vec(uidi->data) ==
        from_hex("b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4"));
  CHECK(to_vec(uidr->data) ==
        from_hex("780851cda91a9c33f941cd3a2831697e2893264754e363f8a0cef827eb201a81"));
  REQUIRE(m.idr(id_role::initiator_kms) != nullptr);
  REQUIRE(m.idr(id_role::responder_kms) != nullptr);
  CHECK(str(m.idr(id_role::initiator_kms)->data) == "kms.mydev.streamwide.com");
  CHECK(str(m.idr(id_role::responder_kms)->data) == "kms.mydev.streamwide.com");
  CHECK(m.idr(id_role::initiator) == nullptr);

  // SP: policy 0, SRTP, 0=06 1=10 2=04 4=0c 5=00 6=00 18=04 19=00 20=10 (3gpp-notes D.1).
  REQUIRE(m.sp() != nullptr);
  CHECK(m.sp()->policy_no == 0);
  CHECK(m.sp()->prot == prot_type::srtp);
  std::vector<std::pair<int, int>> params;
  for (const auto p : m.sp()->parameters()) params.emplace_back(p.type, p.byte_value().value());
  CHECK(params ==
        std::vector<std::pair<int, int>>{
            {0, 6}, {1, 16}, {2, 4}, {4, 12}, {5, 0}, {6, 0}, {18, 4}, {19, 0}, {20, 16}});

  REQUIRE(m.sakke() != nullptr);
  CHECK(m.sakke()->params == 1);
  CHECK(m.sakke()->id_scheme == 2);
  CHECK(m.sakke()->data.size() == 273);  // R (0x04 || x || y, 257) || H (16)
  CHECK(m.sakke()->data[0] == 0x04);

  const auto* kp = m.extension(ext_type::key_parameters);
  REQUIRE(kp != nullptr);
  CHECK(kp->data.size() == 68);
  CHECK(kp->data[0] == 0x43);  // protected payload message type
  // DPPK-ID (after type 1, date-time 5, payload ID 4, seq 1, algorithm 1, IV 16) = CSB ID.
  CHECK(to_vec(kp->data.subspan(28, 4)) == from_hex("16992638"));

  REQUIRE(m.sign() != nullptr);
  CHECK(m.sign()->type == sign_type::eccsi);
  CHECK(m.sign()->signature.size() == 129);
  // r || s || PVT, and the PVT is Alice's published UserPubTokenPVT.
  CHECK(to_vec(m.sign()->signature.subspan(64)) ==
        from_hex(
            "0426cd8b0a33af9b381ee53ebc6841aed5c1c98fb0d2beb9c7ff98d7c79808d1f566659f6b735016192dd9"
            "984df56e54f3f95c76ac4638c1f3d3228f3c752c8cc8"));
}

TEST_CASE("vendor I_MESSAGE re-encodes to identical bytes", "[mikey][vendor]") {
  const auto bytes = vendor_bytes();
  const auto m = parse_ok(bytes);
  CHECK(rebuild(m) == bytes);
  // And payload by payload, with the next code each one carried.
  for (const auto& e : m.payloads()) {
    std::vector<std::uint8_t> out(e.raw.size());
    const auto n = std::visit([&](const auto& p) { return p.encode(out, e.next); }, e.value);
    REQUIRE(n);
    CHECK(*n == e.raw.size());
    CHECK(out == to_vec(e.raw));
  }
  // Through SDP and back.
  const auto line = sdp::key_mgmt_attribute(bytes);
  CHECK(line == "a=key-mgmt:mikey " + std::string(skm_test::mikey::vendor_pck_base64));
  const auto back = sdp::parse_key_mgmt(line + "\r\n");
  REQUIRE(back);
  CHECK(*back == bytes);
}

TEST_CASE("signed_range covers HDR through the SIGN header", "[mikey][signed_range]") {
  const auto bytes = vendor_bytes();
  const auto m = parse_ok(bytes);
  const auto sign_at = m.payloads().back().offset;
  CHECK(sign_at == 683 - 2 - 129);
  const auto r = m.signed_range();
  REQUIRE(r);
  CHECK(r->data() == bytes.data());
  CHECK(r->size() == sign_at + 2);
  CHECK((*r)[r->size() - 2] == 0x20);  // S type 2, length 0x081
  CHECK((*r)[r->size() - 1] == 0x81);
  const auto compat = m.signed_range_without_sign_header_compat();
  REQUIRE(compat);
  CHECK(compat->size() == sign_at);

  // The builder hands out the same range before the signature exists.
  const skm_test::mikey::gpp_parts parts;
  message_builder b;
  b.add(hdr_payload{})
      .add(t_payload{ts_type::ntp_utc, 1})
      .add(rand_payload{parts.rand})
      .add(sakke_payload{1, 2, parts.sakke});
  const auto to_sign = b.begin_signature(sign_type::eccsi, 129);
  REQUIRE(to_sign);
  const auto covered = to_vec(*to_sign);
  const auto built = b.finish_signature(parts.signature);
  REQUIRE(built);
  const auto bm = parse_ok(*built);
  CHECK(to_vec(bm.signed_range().value()) == covered);
  CHECK(to_vec(bm.sign()->signature) == parts.signature);

  // A message without SIGN has no signed range.
  message_builder u;
  u.add(hdr_payload{1, data_type::error, false, prf_func::mikey_1, 7, 0, cs_map_type::empty, {}})
      .add(err_payload{});
  const auto unsigned_msg = u.finish();
  REQUIRE(unsigned_msg);
  const auto um = parse_ok(*unsigned_msg);
  CHECK(um.signed_range().error().code == errc::missing_payload);
  CHECK(um.signed_range_without_sign_header_compat().error().code == errc::missing_payload);
}

TEST_CASE("built messages parse back field by field", "[mikey][builder]") {
  SECTION("3GPP profile with hashed identities, SP, SAKKE-to-self and key parameters") {
    const skm_test::mikey::gpp_parts p;
    const auto bytes = skm_test::mikey::build_3gpp_message(p);
    REQUIRE_FALSE(bytes.empty());
    const auto m = parse_ok(bytes);
    CHECK_FALSE(check_3gpp_profile(m).has_value());
    CHECK(m.hdr().csb_id == p.csb_id);
    CHECK(m.t()->value == p.ntp);
    CHECK(to_vec(m.rand()->rand) == p.rand);
    CHECK(to_vec(m.idr(id_role::initiator_uid)->data) == p.uid_i);
    CHECK(to_vec(m.idr(id_role::responder_uid)->data) == p.uid_r);
    CHECK(str(m.idr(id_role::responder_kms)->data) == p.kms);
    CHECK(m.sp()->find(srtp_param::aead_auth_tag_len)->byte_value() == 16);
    CHECK(to_vec(m.sakke()->data) == p.sakke);
    const auto* self = m.extension(ext_type::sakke_to_self);
    REQUIRE(self != nullptr);
    const auto inner = self->sakke_to_self();
    REQUIRE(inner);
    CHECK(inner->id_scheme == 2);
    CHECK(to_vec(inner->data) == p.sakke_self);
    CHECK(to_vec(m.extension(ext_type::key_parameters)->data) == p.key_params);
    CHECK(to_vec(m.sign()->signature) == p.signature);
    CHECK(rebuild(m) == bytes);
  }
  SECTION("RFC 6509 with URI identities and a GENERIC-ID map") {
    static constexpr std::array<std::uint8_t, 1> pol{0};
    static constexpr std::array<std::uint8_t, 8> mki{1, 2, 3, 4, 5, 6, 7, 8};
    static constexpr std::array<std::uint8_t, 4> ssrc{0xDE, 0xAD, 0xBE, 0xEF};
    const std::array<generic_id_entry, 2> map{
        generic_id_entry{4, prot_type::srtp, false, pol, {}, mki},
        generic_id_entry{5, prot_type::srtp, false, pol, ssrc, {}}};
    const skm_test::mikey::rfc_parts p;
    const auto bytes = skm_test::mikey::build_rfc6509_message(p, map);
    REQUIRE_FALSE(bytes.empty());
    const auto m = parse_ok(bytes);
    CHECK(m.hdr().map_type == cs_map_type::generic_id);
    CHECK(m.hdr().cs_count == 2);
    const auto ids = m.hdr().generic_ids();
    CHECK(ids[0] == map[0]);
    CHECK(ids[1] == map[1]);
    CHECK(ids[1].ssrc() == 0xDEADBEEF);
    CHECK(str(m.idr(id_role::initiator)->data) == p.uri_i);
    CHECK(str(m.idr(id_role::responder)->data) == p.uri_r);
    CHECK(str(m.idr(id_role::initiator_kms)->data) == p.kms_i);
    CHECK(m.sakke()->id_scheme == 1);
    CHECK_FALSE(check_3gpp_profile(m).has_value());
    CHECK(rebuild(m) == bytes);
  }
  SECTION("pre-shared key message with an SRTP-ID map and KEMAC") {
    const std::array<srtp_id_entry, 1> map{srtp_id_entry{0, 0x11223344, 0}};
    const auto rnd = skm_test::mikey::pattern(16, 1);
    const auto encr = skm_test::mikey::pattern(40, 2);
    const auto mac = skm_test::mikey::pattern(20, 3);
    message_builder b;
    b.add_hdr(hdr_payload{1,
                          data_type::psk_init,
                          true,
                          prf_func::mikey_1,
                          0x01020304,
                          0,
                          cs_map_type::empty,
                          {}},
              map)
        .add(t_payload{ts_type::ntp_utc, 0x1122334455667788})
        .add(rand_payload{rnd})
        .add(kemac_payload{encr_alg::aes_cm_128, encr, mac_alg::hmac_sha_1_160, mac});
    const auto bytes = b.finish();
    REQUIRE(bytes);
    const auto m = parse_ok(*bytes);
    CHECK(m.hdr().srtp_ids()[0] == map[0]);
    CHECK(m.hdr().v);
    REQUIRE(m.first<kemac_payload>() != nullptr);
    CHECK(to_vec(m.first<kemac_payload>()->mac) == mac);
    CHECK(m.payloads().back().next == payload_type::last);
    CHECK(rebuild(m) == *bytes);
  }
}

TEST_CASE("every prefix of a valid message fails cleanly as truncated", "[mikey][strict]") {
  for (const auto& bytes : {vendor_bytes(), skm_test::mikey::build_3gpp_message(),
                            skm_test::mikey::build_rfc6509_message(), generic_id_message()}) {
    REQUIRE_FALSE(bytes.empty());
    REQUIRE(parse_message(bytes));
    for (std::size_t k = 0; k < bytes.size(); ++k) {
      const auto m = parse_message(bytes_view(bytes).first(k));
      REQUIRE_FALSE(m);
      INFO("prefix " << k << ": " << to_string(m.error()));
      CHECK(m.error().code == errc::truncated);
      CHECK(m.error().offset <= k);
    }
  }
}

TEST_CASE("a flipped length byte in each payload is caught", "[mikey][strict]") {
  // Only the fields that frame payloads: inner TLV lengths inside a fixed SP block can re-frame
  // into another valid TLV list, which only the signature can catch.
  for (const auto& bytes : {vendor_bytes(), skm_test::mikey::build_3gpp_message(),
                            skm_test::mikey::build_rfc6509_message(), generic_id_message()}) {
    const auto m = parse_ok(bytes);
    const auto positions = length_bytes(m);
    REQUIRE(positions.size() >= 12);
    std::vector<std::size_t> s_np_bytes;  // GENERIC-ID S/#P bytes
    std::size_t entry = 10;
    for (const auto g : m.hdr().generic_ids()) {
      s_np_bytes.push_back(entry + 2);
      entry += g.encoded_size();
    }
    for (const auto at : positions) {
      const bool sign_first_byte = at == m.payloads().back().offset;
      const bool s_and_np = m.hdr().map_type == cs_map_type::generic_id && at > 9 &&
                            at < m.payloads()[0].raw.size() &&
                            std::find(s_np_bytes.begin(), s_np_bytes.end(), at) != s_np_bytes.end();
      // Only the length bits: SIGN's first byte holds S type in its top nibble, and a GENERIC-ID
      // entry's third byte holds the S flag in its top bit.
      const std::uint8_t length_bits = sign_first_byte ? 0x0F : s_and_np ? 0x7F : 0xFF;
      for (const std::uint8_t mask : {0x01, 0x02, 0x08, 0x10, 0x80, 0xFF}) {
        if ((mask & length_bits) == 0) continue;
        auto bad = bytes;
        bad[at] ^= static_cast<std::uint8_t>(mask & length_bits);
        const auto r = parse_message(bad);
        INFO("byte " << at << " ^ " << int(mask));
        CHECK_FALSE(r);
      }
    }
  }
}

TEST_CASE("trailing bytes are rejected", "[mikey][strict]") {
  auto bytes = vendor_bytes();
  bytes.push_back(0x00);
  CHECK(parse_fails(bytes) == error{errc::trailing_bytes, "SIGN", "", 683});
  // After a last payload (next = 0) of an unsigned message.
  message_builder b;
  b.add(hdr_payload{1, data_type::error, false, prf_func::mikey_1, 7, 0, cs_map_type::empty, {}})
      .add(err_payload{5, 0});
  auto msg = b.finish().value();
  REQUIRE(parse_message(msg));
  msg.insert(msg.end(), {0x0B, 0x02});
  CHECK(parse_fails(msg) == error{errc::trailing_bytes, "message", "", 14});
}

TEST_CASE("structural rules: payload codes, size, counts", "[mikey][strict]") {
  const auto good = vendor_bytes();
  SECTION("unknown next payload codes name the payload that carried them") {
    for (const std::uint8_t code : {2, 3, 8, 13, 15, 16, 17, 20, 22, 25, 27, 99, 255}) {
      auto bad = good;
      bad[2] = code;  // HDR next payload
      INFO("code " << int(code));
      CHECK(parse_fails(bad) == error{errc::unknown_payload, "HDR", "next payload", 2});
    }
    // Reported as unknown even when nothing follows (not as "truncated").
    std::vector<std::uint8_t> hdr_only(good.begin(), good.begin() + 10);
    hdr_only[2] = 0x63;
    CHECK(parse_fails(hdr_only) == error{errc::unknown_payload, "HDR", "next payload", 2});
    auto bad = good;
    bad[20] = 0x63;  // RAND's next payload (RAND starts at byte 20)
    CHECK(parse_fails(bad) == error{errc::unknown_payload, "RAND", "next payload", 20});
  }
  SECTION("size limit") {
    CHECK(parse_fails(good, parse_options{682}).code == errc::message_too_large);
    CHECK(parse_message(good, parse_options{683}));
    std::vector<std::uint8_t> huge(default_max_message_size + 1, 0);
    CHECK(parse_fails(huge).code == errc::message_too_large);
  }
  SECTION("payload table capacity") {
    const auto rnd = skm_test::mikey::pattern(4, 9);
    message_builder b;
    b.add(hdr_payload{
        1, data_type::psk_init, false, prf_func::mikey_1, 1, 0, cs_map_type::empty, {}});
    for (std::size_t i = 0; i + 1 < max_payloads; ++i) b.add(rand_payload{rnd});
    auto ok = b.finish().value();
    CHECK(parse_message(ok));
    message_builder c;
    c.add(hdr_payload{
        1, data_type::psk_init, false, prf_func::mikey_1, 1, 0, cs_map_type::empty, {}});
    for (std::size_t i = 0; i < max_payloads; ++i) c.add(rand_payload{rnd});
    CHECK(parse_fails(c.finish().value()).code == errc::too_many_payloads);
  }
  SECTION("SAKKE I_MESSAGE: exactly one T, RAND, SAKKE and SIGN") {
    const skm_test::mikey::gpp_parts p;
    const auto hdr = hdr_payload{};
    const t_payload t{ts_type::ntp_utc, 5};
    const rand_payload r{p.rand};
    const sakke_payload s{1, 2, p.sakke};
    const sign_payload sig{sign_type::eccsi, p.signature};
    const auto build = [](auto&&... payloads) {
      message_builder b;
      (b.add(payloads), ...);
      return b.finish().value();
    };
    CHECK(parses(build(hdr, t, r, s, sig)));
    CHECK(parse_fails(build(hdr, r, s, sig)) ==
          error{errc::missing_payload, "T", "", 10 + 18 + 278 + 131});
    CHECK(parse_fails(build(hdr, t, s, sig)).code == errc::missing_payload);
    CHECK(parse_fails(build(hdr, t, r, sig)).code == errc::missing_payload);
    CHECK(parse_fails(build(hdr, t, r, s)) ==
          error{errc::missing_payload, "SIGN", "", 10 + 10 + 18 + 278});
    CHECK(parse_fails(build(hdr, t, t, r, s, sig)) == error{errc::duplicate_payload, "T", "", 20});
    CHECK(parse_fails(build(hdr, t, r, r, s, sig)).code == errc::duplicate_payload);
    CHECK(parse_fails(build(hdr, t, r, s, s, sig)).code == errc::duplicate_payload);
    CHECK(parse_fails(build(hdr, t_payload{ts_type::counter, 5}, r, s, sig)) ==
          error{errc::invalid_value, "T", "TS type", 11});
    const auto uri = skm_test::mikey::text("tel:+1");
    const idr_payload i1{id_role::initiator, id_type::uri, uri};
    CHECK(parses(build(hdr, t, r, i1, s, sig)));
    CHECK(parse_fails(build(hdr, t, r, i1, i1, s, sig)).code == errc::duplicate_payload);
    // The same layout is fine for other data types (no SAKKE rules there).
    auto other = hdr;
    other.data_type = data_type::pk_init;
    CHECK(parses(build(other, t, t, r)));
  }
  SECTION("HDR version and map") {
    auto bad = good;
    bad[0] = 2;
    CHECK(parse_fails(bad) == error{errc::bad_version, "HDR", "version", 0});
    bad = good;
    bad[8] = 1;  // #CS 1 with the empty map
    CHECK(parse_fails(bad) == error{errc::invalid_value, "HDR", "#CS", 8});
  }
}

TEST_CASE("the 3GPP profile check", "[mikey][profile]") {
  const skm_test::mikey::gpp_parts p;
  const auto bytes = skm_test::mikey::build_3gpp_message(p);
  const auto m = parse_ok(bytes);
  REQUIRE_FALSE(check_3gpp_profile(m).has_value());
  // An RFC 6509 message without KMS identities is valid MIKEY-SAKKE but not 3GPP profile.
  message_builder b;
  b.add(hdr_payload{})
      .add(t_payload{ts_type::ntp_utc, 1})
      .add(rand_payload{p.rand})
      .add(idr_payload{id_role::initiator, id_type::uri, skm_test::mikey::text("tel:+1")})
      .add(idr_payload{id_role::responder, id_type::uri, skm_test::mikey::text("tel:+2")})
      .add(sakke_payload{1, 1, p.sakke})
      .add(sign_payload{sign_type::eccsi, p.signature});
  const auto no_kms = b.finish().value();
  const auto nm = parse_ok(no_kms);
  const auto e = check_3gpp_profile(nm);
  REQUIRE(e.has_value());
  CHECK(e->code == errc::missing_payload);
  CHECK(std::string_view(e->payload) == "IDRkmsi");
  // Layout: HDR 0, T 10, RAND 20, IDR(8) 38, IDR(9) 75; the role is the IDR's second byte.
  REQUIRE(m.payloads()[3].offset == 38);
  REQUIRE(m.payloads()[4].offset == 75);
  auto plain = bytes;
  plain[39] = 1;  // IDRuidi -> IDRi: a plain initiator identity is fine
  CHECK_FALSE(check_3gpp_profile(parse_ok(plain)).has_value());
  auto both = bytes;
  both[76] = 1;  // IDRuidr -> IDRi: now both IDRi and IDRuidi, and no responder identity
  const auto be = check_3gpp_profile(parse_ok(both));
  REQUIRE(be.has_value());
  CHECK(be->code == errc::duplicate_payload);
  CHECK(std::string_view(be->payload) == "IDRi/IDRuidi");
  // V = 1, an RSA signature type, or a GENERIC-ID map with #CS 0 are not.
  auto v1 = bytes;
  v1[3] |= 0x80;
  CHECK(check_3gpp_profile(parse_ok(v1))->code == errc::invalid_value);
  auto rsa = bytes;
  rsa[m.payloads().back().offset] =
      static_cast<std::uint8_t>((rsa[m.payloads().back().offset] & 0x0F) | 0x10);
  CHECK(std::string_view(check_3gpp_profile(parse_ok(rsa))->field) == "S type");
}

TEST_CASE("builder rules", "[mikey][builder]") {
  const auto rnd = skm_test::mikey::pattern(16, 1);
  SECTION("HDR first, once; nothing after SIGN") {
    message_builder a;
    a.add(rand_payload{rnd});
    CHECK(a.finish().error().code == errc::misplaced_payload);
    message_builder b;
    b.add(hdr_payload{}).add(hdr_payload{});
    CHECK(b.finish().error().code == errc::misplaced_payload);
    message_builder c;
    c.add(hdr_payload{}).add(sign_payload{sign_type::eccsi, rnd}).add(rand_payload{rnd});
    CHECK(c.finish().error() == error{errc::misplaced_payload, "RAND", "after SIGN", 12 + 16});
    message_builder d;
    CHECK(d.finish().error().code == errc::missing_payload);
  }
  SECTION("signature of the announced length") {
    message_builder b;
    b.add(hdr_payload{});
    REQUIRE(b.begin_signature(sign_type::eccsi, 129));
    CHECK(b.finish().error().code == errc::missing_payload);
    message_builder c;
    c.add(hdr_payload{});
    REQUIRE(c.begin_signature(sign_type::eccsi, 129));
    CHECK(c.finish_signature(rnd).error().code == errc::length_mismatch);
    message_builder d;
    d.add(hdr_payload{});
    CHECK_FALSE(d.begin_signature(sign_type::eccsi, 4096));
    message_builder e;
    e.add(hdr_payload{});
    CHECK(e.finish_signature(rnd).error().code == errc::misplaced_payload);
  }
  SECTION("errors are sticky and carry the offset") {
    message_builder b;
    b.add(hdr_payload{}).add(rand_payload{}).add(rand_payload{rnd});
    CHECK(b.finish().error() == error{errc::invalid_value, "RAND", "RAND len", 10});
  }
  SECTION("size limit") {
    const auto big = skm_test::mikey::pattern(300, 0);
    message_builder b(256);
    b.add(hdr_payload{}).add(sakke_payload{1, 1, big});
    CHECK(b.finish().error().code == errc::message_too_large);
  }
  SECTION("next-payload chaining") {
    message_builder b;
    b.add(hdr_payload{}).add(t_payload{}).add(rand_payload{rnd});
    const auto bytes = b.finish().value();
    CHECK(bytes[2] == 5);    // HDR -> T
    CHECK(bytes[10] == 11);  // T -> RAND
    CHECK(bytes[20] == 0);   // RAND is last
  }
}

TEST_CASE("dump dates NTP timestamps by the RFC 4330 era rule", "[mikey][dump]") {
  using detail::ntp_date;
  using detail::ntp_era_extended;
  // Era 0 (top bit set) from 1968-01-20 to the wrap in 2036, era 1 (top bit clear) after it.
  CHECK(ntp_date(ntp_era_extended(0x80000000u)) == "1968-01-20 03:14:08 UTC");
  CHECK(ntp_date(ntp_era_extended(2208988800u - 1)) == "1969-12-31 23:59:59 UTC");
  CHECK(ntp_date(ntp_era_extended(2208988800u)) == "1970-01-01 00:00:00 UTC");
  CHECK(ntp_date(ntp_era_extended(0xFFFFFFFFu)) == "2036-02-07 06:28:15 UTC");
  CHECK(ntp_date(ntp_era_extended(0)) == "2036-02-07 06:28:16 UTC");
  CHECK(ntp_date(ntp_era_extended(0x02791DC0u)) == "2037-06-01 12:00:00 UTC");
  CHECK(ntp_date(ntp_era_extended(0x7FFFFFFFu)) == "2104-02-26 09:42:23 UTC");
  // In a dump: an NTP-UTC T payload dated 2037 (era 1 on the wire).
  const auto dated = [](const t_payload& t) {
    const std::array<std::uint8_t, 16> r{};
    message_builder b;
    b.add(hdr_payload{}).add(t).add(rand_payload{r}).add(sakke_payload{1, 2, r});
    REQUIRE(b.begin_signature(sign_type::eccsi, r.size()));
    const auto bytes = b.finish_signature(r);
    REQUIRE(bytes);
    return dump(parse_ok(*bytes));
  };
  CHECK(
      dated(t_payload{ts_type::ntp_utc, 0x02791DC0'00000000u}).find("(2037-06-01 12:00:00 UTC)") !=
      std::string::npos);
}

TEST_CASE("dump shows every payload and field", "[mikey][dump]") {
  const auto bytes = vendor_bytes();
  const auto m = parse_ok(bytes);
  const auto text = dump(m);
  for (const char* expected :
       {"MIKEY message, 683 bytes, 11 payloads",
        "HDR (Common Header), offset 0, 10 bytes",
        "Data type: 26 (SAKKE msg)",
        "PRF func: 1 (PRF-HMAC-SHA-256)",
        "CSB ID: 0x16992638",
        "CS ID map type: 1 (Empty map)",
        "TS type: 0 (NTP-UTC)",
        "IDR (IDRuidi), offset 38, 37 bytes",
        "General Extension (3GPP key parameters), offset 480, 72 bytes",
        "SIGN, offset 552, 131 bytes",
        "TS value: 0xec898da800000000 (2025-10-02 23:47:52 UTC)",
        "RAND: 02a28bddaf984c5e0563bc1ce857df83",
        "ID Role: 8 (IDRuidi)",
        "ID Data: b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4",
        "ID Role: 7 (IDRkmsr)",
        "ID Data: \"kms.mydev.streamwide.com\"",
        "Encryption algorithm (type 0): 6 (AES-GCM)",
        "Authentication algorithm (type 2): 4 (RCCm3)",
        "SRTP Pseudo Random Function (type 5): 0 (AES-CM)",
        "AEAD authentication tag length (type 20): 16",
        "SAKKE params: 1 (Parameter Set 1)",
        "ID scheme: 2 (3GPP MCX hashed UID)",
        "SAKKE data length: 273",
        "Type: 7 (3GPP key parameters)",
        "S type: 2 (ECCSI)",
        "Signature len: 129",
        "PVT: 0426cd8b0a33af9b"}) {
    INFO(expected);
    CHECK(text.find(expected) != std::string::npos);
  }
  const auto gid = generic_id_message();
  const auto gt = dump(parse_ok(gid));
  for (const char* expected :
       {"CS ID map type: 2 (GENERIC-ID)", "GENERIC-ID entry 1", "GENERIC-ID entry 2", "CS ID: 5",
        "Policies: 0 1", "SSRC: 0xdeadbeef", "ROC: 1", "SEQ: 2", "SPI: 0102030405060708",
        "ID Data: \"tel:+447700900123\"", "ID scheme: 1 (tel URI with monthly keys)"}) {
    INFO(expected);
    CHECK(gt.find(expected) != std::string::npos);
  }
  // The other payload kinds and map types.
  const std::array<srtp_id_entry, 1> map{srtp_id_entry{3, 0xAABBCCDD, 9}};
  const auto mac = skm_test::mikey::pattern(20, 3);
  message_builder b;
  b.add_hdr(
       hdr_payload{1, data_type::psk_init, true, prf_func::mikey_1, 1, 0, cs_map_type::empty, {}},
       map)
      .add(kemac_payload{encr_alg::aes_cm_128, mac, mac_alg::hmac_sha_1_160, mac})
      .add(v_payload{mac_alg::hmac_sha_1_160, mac})
      .add(err_payload{9, 0})
      .add_sakke_to_self(sakke_payload{1, 2, mac});
  const auto other = b.finish().value();
  const auto om = parse_ok(other);
  const auto t2 = dump(om);
  for (const char* expected : {"SRTP-ID entry 1", "SSRC: 0xaabbccdd", "Encr alg: 1 (AES-CM-128)",
                               "Mac alg: 1 (HMAC-SHA-1-160)", "Auth alg: 1 (HMAC-SHA-1-160)",
                               "Error no: 9 (Invalid SP)", "Embedded SAKKE payload", "V: 1"}) {
    INFO(expected);
    CHECK(t2.find(expected) != std::string::npos);
  }
}
