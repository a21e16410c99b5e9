// SPDX-License-Identifier: BSD-3-Clause
// Strict base64 (RFC 4648 test vectors, every rejection path) and the SDP key-mgmt attribute
// (RFC 4567), at compile time where possible.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <string_view>

#include "messages.hpp"
#include "skm/mikey/base64.hpp"
#include "skm/mikey/message.hpp"
#include "skm/mikey/rtsp.hpp"
#include "skm/mikey/sdp.hpp"
#include "vectors.hpp"

using namespace skm::mikey;

namespace {

/// encode(text) == b64 and decode(b64) == text, in a constant expression.
template <std::size_t N, std::size_t M>
constexpr bool b64_round_trip(const char (&text)[N], const char (&b64)[M]) {
  std::array<std::uint8_t, N - 1> raw{};
  for (std::size_t i = 0; i + 1 < N; ++i) raw[i] = static_cast<std::uint8_t>(text[i]);
  std::array<char, M - 1> enc{};
  if (base64::encoded_size(raw.size()) != enc.size()) return false;
  base64::encode(raw, enc);
  if (std::string_view(enc.data(), enc.size()) != std::string_view(b64, M - 1)) return false;
  std::array<std::uint8_t, N - 1> dec{};
  const auto n = base64::decode(std::string_view(b64, M - 1), dec);
  return n && *n == raw.size() && dec == raw;
}

// RFC 4648 §10 test vectors.
static_assert(b64_round_trip("", ""));
static_assert(b64_round_trip("f", "Zg=="));
static_assert(b64_round_trip("fo", "Zm8="));
static_assert(b64_round_trip("foo", "Zm9v"));
static_assert(b64_round_trip("foob", "Zm9vYg=="));
static_assert(b64_round_trip("fooba", "Zm9vYmE="));
static_assert(b64_round_trip("foobar", "Zm9vYmFy"));
static_assert(b64_round_trip("\xff\xfe\xfd\xfc", "//79/A=="));  // '+' and '/' of the alphabet
static_assert(b64_round_trip("\xfb\xef\xbe", "++++"));

constexpr error b64_error(std::string_view s) { return base64::decoded_size(s).error(); }

static_assert(b64_error("Zm9v YmFy") == error{errc::bad_base64, "base64", "whitespace", 4});
static_assert(b64_error("Zm9vYmFy\n") == error{errc::bad_base64, "base64", "whitespace", 8});
static_assert(b64_error("Zm9v!mFy") == error{errc::bad_base64, "base64", "character", 4});
static_assert(b64_error("Zm9v-_Fy") ==
              error{errc::bad_base64, "base64", "character", 4});  // base64url
static_assert(b64_error("Zm9vYmF") ==
              error{errc::bad_padding, "base64", "length not a multiple of 4", 7});
static_assert(b64_error("Zg") ==
              error{errc::bad_padding, "base64", "length not a multiple of 4", 2});
static_assert(b64_error("Zg=") ==
              error{errc::bad_padding, "base64", "length not a multiple of 4", 3});
static_assert(b64_error("Z===") == error{errc::bad_padding, "base64", "more than two '='", 1});
static_assert(b64_error("====") == error{errc::bad_padding, "base64", "more than two '='", 0});
static_assert(b64_error("Zm=v") == error{errc::bad_padding, "base64", "'=' before the end", 2});
static_assert(b64_error("Zg==Zm9v") == error{errc::bad_padding, "base64", "'=' before the end", 2});
static_assert(b64_error("Zh==") == error{errc::bad_padding, "base64", "non-zero spare bits", 1});
static_assert(b64_error("Zm9=") == error{errc::bad_padding, "base64", "non-zero spare bits", 2});

constexpr bool small_output_rejected() {
  std::array<std::uint8_t, 2> out{};
  const auto r = base64::decode("Zm9v", out);
  return !r && r.error().code == errc::buffer_too_small;
}
static_assert(small_output_rejected());

static_assert(sdp::key_mgmt_data("a=key-mgmt:mikey AQID").value() == "AQID");
static_assert(sdp::key_mgmt_data("key-mgmt:mikey AQID\r\n").value() == "AQID");
static_assert(sdp::key_mgmt_data("a=key-mgmt:mikey AQID\n").value() == "AQID");
static_assert(sdp::key_mgmt_data("a=crypto:1 AES_CM_128").error() ==
              error{errc::bad_sdp, "SDP", "attribute name", 2});
static_assert(sdp::key_mgmt_data("a=key-mgmt:kerberos AQID").error() ==
              error{errc::bad_sdp, "SDP", "protocol id", 11});
static_assert(sdp::key_mgmt_data("a=key-mgmt:MIKEY AQID").error().code == errc::bad_sdp);
static_assert(sdp::key_mgmt_data("a=key-mgmt:mikeyAQID").error() ==
              error{errc::bad_sdp, "SDP", "space after protocol id", 16});
static_assert(sdp::key_mgmt_data("a=key-mgmt:mikey").error().code == errc::bad_sdp);
// RFC 4567's grammar allows one space after the colon, not two.
static_assert(sdp::key_mgmt_data("a=key-mgmt: mikey AQID").value() == "AQID");
static_assert(sdp::key_mgmt_data("a=key-mgmt:  mikey AQID").error() ==
              error{errc::bad_sdp, "SDP", "protocol id", 12});

// RTSP KeyMgmt header (RFC 4567 §3.2).
constexpr bool rtsp_specs_parse() {
  const auto one = rtsp::parse_specs(
      R"(KeyMgmt: prot=mikey; uri="rtsp://movie.example.com/action"; data="AQID")");
  if (!one || one->count != 1) return false;
  const auto& s = one->items[0];
  if (s.prot != "mikey" || s.uri != "rtsp://movie.example.com/action" || s.data != "AQID")
    return false;
  const auto two =
      rtsp::parse_specs("keymgmt : prot=kerberos;data=\"Zm9v\" , prot=mikey ; data=\"AQID\"\r\n");
  if (!two || two->count != 2 || two->items[0].prot != "kerberos" || two->items[1].uri.has_value())
    return false;
  const auto bare = rtsp::parse_specs(R"(prot=mikey; data="AQID")");
  return bare && bare->count == 1 && bare->items[0].data_offset == 18;
}
static_assert(rtsp_specs_parse());

constexpr error rtsp_error(std::string_view h) { return rtsp::parse_specs(h).error(); }
static_assert(rtsp_error(R"(KeyMgmt: prot=mikey data="AQID")") ==
              error{errc::bad_rtsp, "RTSP KeyMgmt", "';' after protocol id", 20});
static_assert(rtsp_error(R"(KeyMgmt: prot=mikey; data=AQID)") ==
              error{errc::bad_rtsp, "RTSP KeyMgmt", "quoted data", 26});
static_assert(rtsp_error(R"(KeyMgmt: prot=mikey; data="AQID)").code == errc::bad_rtsp);
static_assert(rtsp_error(R"(KeyMgmt: prot=; data="AQID")") ==
              error{errc::bad_rtsp, "RTSP KeyMgmt", "protocol id", 14});
static_assert(rtsp_error(R"(KeyMgmt: prot=mikey; data="AQID" junk)") ==
              error{errc::bad_rtsp, "RTSP KeyMgmt", "',' between key-mgmt-specs", 33});
static_assert(rtsp_error(R"(KeyMgmt: prot=mikey; uri=rtsp://x; data="AQID")").code ==
              errc::bad_rtsp);
static_assert(rtsp_error(R"(KeyMgmt prot=mikey; data="AQID")").code == errc::bad_rtsp);
static_assert(rtsp::parse_specs<1>(R"(prot=a; data="", prot=mikey; data="AQID")").error().code ==
              errc::bad_rtsp);

}  // namespace

TEST_CASE("base64 checks hold at run time too", "[mikey][base64]") {
  CHECK(b64_round_trip("foobar", "Zm9vYmFy"));
  CHECK(b64_round_trip("fooba", "Zm9vYmE="));
  CHECK(b64_error("Zh==").code == errc::bad_padding);
  CHECK(b64_error("Zm9v\tYmFy").code == errc::bad_base64);
  // Every byte value survives, at every length modulo 3.
  std::vector<std::uint8_t> all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  for (std::size_t n = 250; n <= 256; ++n) {
    const auto part = bytes_view(all).first(n);
    const auto enc = base64::encode(part);
    CHECK(enc.size() == base64::encoded_size(n));
    const auto dec = base64::decode(enc);
    REQUIRE(dec);
    CHECK(std::equal(dec->begin(), dec->end(), part.begin(), part.end()));
  }
}

TEST_CASE("SDP key-mgmt attribute in and out", "[mikey][sdp]") {
  const auto msg = skm_test::mikey::build_3gpp_message();
  REQUIRE_FALSE(msg.empty());
  const auto line = sdp::key_mgmt_attribute(msg);
  CHECK(line.rfind("a=key-mgmt:mikey ", 0) == 0);
  for (const std::string& variant : {line, line + "\r\n", line + "\n", line.substr(2)}) {
    const auto back = sdp::parse_key_mgmt(variant);
    REQUIRE(back);
    CHECK(*back == msg);
  }
  SECTION("base64 errors are located within the line") {
    auto bad = line;
    bad[17 + 8] = '*';
    const auto r = sdp::parse_key_mgmt(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error() == error{errc::bad_base64, "base64", "character", 25});
    auto spaced = line;
    spaced.insert(17 + 40, " ");
    CHECK(sdp::parse_key_mgmt(spaced).error() ==
          error{errc::bad_base64, "base64", "whitespace", 57});
    CHECK(sdp::parse_key_mgmt(line + " ").error().code == errc::bad_base64);
    CHECK(sdp::parse_key_mgmt(line.substr(0, line.size() - 1)).error().code == errc::bad_padding);
  }
  SECTION("found in a whole SDP body") {
    const std::string body =
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 49170 RTP/SAVP 0\r\n" + line +
        "\r\na=rtpmap:0 PCMU/8000\r\n";
    const auto found = sdp::find_key_mgmt(body);
    REQUIRE(found);
    CHECK(*found == msg);
    const auto none = sdp::find_key_mgmt("v=0\r\ns=-\r\n");
    REQUIRE_FALSE(none);
    CHECK(none.error().code == errc::bad_sdp);
    const std::string broken = "v=0\r\na=key-mgmt:mikey Zm9v!\r\n";
    const auto b = sdp::find_key_mgmt(broken);
    REQUIRE_FALSE(b);
    CHECK(b.error() == error{errc::bad_base64, "base64", "character", 5 + 17 + 4});
  }
  SECTION("another protocol's key-mgmt line is skipped") {
    const std::string body = "v=0\r\na=key-mgmt:kerberos Zm9v\r\n" + line + "\r\n";
    const auto found = sdp::find_key_mgmt(body);
    REQUIRE(found);
    CHECK(*found == msg);
  }
  SECTION("the vendor's SDP value") {
    const auto v =
        sdp::parse_key_mgmt("a=key-mgmt:mikey " + std::string(skm_test::mikey::vendor_pck_base64));
    REQUIRE(v);
    CHECK(v->size() == 683);
    CHECK(parse_message(*v));
  }
}

TEST_CASE("RTSP KeyMgmt header in and out", "[mikey][rtsp]") {
  CHECK(rtsp_specs_parse());
  const auto msg = skm_test::mikey::build_rfc6509_message();
  REQUIRE_FALSE(msg.empty());
  const auto with_uri = rtsp::key_mgmt_header(msg, "rtsp://movie.example.com/action");
  CHECK(with_uri.rfind(R"(KeyMgmt: prot=mikey; uri="rtsp://movie.example.com/action"; data=")",
                       0) == 0);
  const auto a = rtsp::parse_key_mgmt(with_uri + "\r\n");
  REQUIRE(a);
  CHECK(a->uri == "rtsp://movie.example.com/action");
  CHECK(a->message == msg);
  const auto without = rtsp::key_mgmt_header(msg);
  const auto b = rtsp::parse_key_mgmt(without);
  REQUIRE(b);
  CHECK_FALSE(b->uri.has_value());
  CHECK(b->message == msg);
  CHECK(parse_message(b->message));
  // The mikey spec after another protocol's.
  const auto c =
      rtsp::parse_key_mgmt("KeyMgmt: prot=kerberos; data=\"Zm9v\", " + without.substr(9));
  REQUIRE(c);
  CHECK(c->message == msg);
  // Base64 errors are located within the header.
  auto bad = without;
  bad[33] = '!';
  const auto d = rtsp::parse_key_mgmt(bad);
  REQUIRE_FALSE(d);
  CHECK(d.error() == error{errc::bad_base64, "base64", "character", 33});
  const auto none = rtsp::parse_key_mgmt(R"(KeyMgmt: prot=kerberos; data="Zm9v")");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == errc::bad_rtsp);
}
