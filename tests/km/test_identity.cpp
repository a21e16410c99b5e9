// SPDX-License-Identifier: BSD-3-Clause
// Identities, key periods and time, the TS 33.220 KDF, key identifiers and GUK-IDs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "km_test_util.hpp"
#include "skm/km/identity.hpp"
#include "skm/km/kdf.hpp"
#include "skm/km/key_id.hpp"
#include "skm/km/time.hpp"

namespace test_identity {

using namespace skm::km;
using skm::result;
using skm::km::test::hex_bytes;
using skm::km::test::to_hex;

// ---------------------------------------------------------------------------------------------
// Time

TEST_CASE("NTP, Unix and calendar conversions", "[time]") {
  static_assert(unix_epoch_ntp_seconds == 2208988800ull);
  static_assert(days_since_1900({1970, 1, 1}).value() == 25567);
  // The conversions run at compile time too.
  static_assert(parse_iso8601("1970-01-01T00:00:00Z").value().seconds == 2208988800ull);
  static_assert(
      key_period_number(parse_iso8601("2025-10-02T23:47:52Z").value(), {16777215, 0}).value() ==
      236);
  static_assert(to_civil(ntp_time{4004833654ull, 0}).value().date == civil_date{2026, 11, 28});
  static_assert(from_ntp_wire(0x0000000112345678ull, ntp_time{0xFFFFFFF0ull, 0}).seconds ==
                0x100000001ull);
  STATIC_REQUIRE(from_civil({{2036, 2, 7}, 6, 28, 16, 0}).value().seconds ==
                 (std::uint64_t{1} << 32));

  REQUIRE(from_unix_seconds(0).value().seconds == 2208988800ull);
  REQUIRE(from_unix_seconds(-2208988800LL).value().seconds == 0);
  REQUIRE(from_unix_seconds(-2208988801LL).error() == time_error::before_ntp_epoch);
  REQUIRE(from_unix_seconds(INT64_MAX).value().seconds ==
          static_cast<std::uint64_t>(INT64_MAX) + 2208988800ull);
  REQUIRE(to_unix_seconds(ntp_time{static_cast<std::uint64_t>(INT64_MAX) + 1, 0}).error() ==
          time_error::out_of_range);
  REQUIRE(to_unix_seconds(ntp_time{2208988800ull + 86400, 0}).value() == 86400);
  REQUIRE(to_unix_seconds(ntp_time{5, 0}).value() == 5 - 2208988800LL);

  // Anchors computed independently with Python's datetime.
  REQUIRE(parse_iso8601("2026-11-28T05:47:34Z").value().seconds == 4004833654ull);
  REQUIRE(parse_iso8601("2104-02-07T06:28:15Z").value().seconds == 6440797695ull);
  REQUIRE(parse_iso8601("9999-12-31T23:59:59Z").value().seconds == 255611289599ull);
  REQUIRE(parse_iso8601("2000-02-29T12:00:00").value().seconds == 3160814400ull);
  REQUIRE(parse_iso8601("2024-06-30T23:59:59-05:30").value().seconds == 3928800599ull);
  REQUIRE(parse_iso8601("1900-01-01").value().seconds == 0);
  REQUIRE(parse_iso8601("1970-01-01T00:00:00Z").value().seconds == 2208988800ull);
  REQUIRE(parse_iso8601("2036-02-07T07:28:16+01:00").value().seconds == (std::uint64_t{1} << 32));
  REQUIRE(parse_iso8601("2020-01-01T00:00:00.5Z").value().fraction == 0x80000000u);
  REQUIRE(parse_iso8601("2020-01-01T00:00:00.25").value().fraction == 0x40000000u);

  REQUIRE(format_iso8601(ntp_time{4004833654ull, 0}).value() == "2026-11-28T05:47:34Z");
  REQUIRE(format_iso8601(ntp_time{0, 0}).value() == "1900-01-01T00:00:00Z");
  REQUIRE(format_iso8601(ntp_time{255611289599ull + 1, 0}).error() == time_error::out_of_range);
}

TEST_CASE("every day from 1900 to 9999 round-trips and follows its predecessor", "[time]") {
  // An independent day counter: step the date by hand and compare with the closed formulas.
  int y = 1900;
  unsigned m = 1, d = 1;
  auto month_len = [](int yy, unsigned mm) -> unsigned {
    if (mm == 2) return ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0) ? 29 : 28;
    return (mm == 4 || mm == 6 || mm == 9 || mm == 11) ? 30 : 31;
  };
  std::uint64_t count = 0;
  bool all_ok = true;
  while (y <= 9999) {
    const auto days = days_since_1900({y, m, d});
    const auto back = to_civil(ntp_time{count * 86400 + 43210, 0});
    if (!days || *days != count || !back || back->date != civil_date{y, m, d} || back->hour != 12 ||
        back->minute != 0 || back->second != 10) {
      all_ok = false;
      FAIL_CHECK("mismatch at " << y << "-" << m << "-" << d);
      break;
    }
    ++count;
    if (++d > month_len(y, m)) {
      d = 1;
      if (++m > 12) {
        m = 1;
        ++y;
      }
    }
  }
  REQUIRE(all_ok);
  REQUIRE(count == 2958464);  // days from 1900-01-01 to 10000-01-01
}

TEST_CASE("ISO-8601 rejections", "[time]") {
  for (std::string_view bad :
       {"", "2020", "2020-1-01", "20200-01-01", "2020/01/01", "2020-01-01T", "2020-01-01 00:00:00",
        "2020-01-01T00:00", "2020-01-01T00:00:00.", "2020-01-01T00:00:00ZZ",
        "2020-01-01T00:00:00+0100", "2020-01-01T00:00:00+01", "2020-01-0a", "2020-01-01T0a:00:00Z",
        "2020-01-01T00:00:00 Z"}) {
    INFO(bad);
    REQUIRE(parse_iso8601(bad).error() == time_error::bad_date_syntax);
  }
  for (std::string_view bad : {"2020-13-01", "2020-00-10", "2020-04-31", "1900-02-29", "2021-02-29",
                               "2020-01-00", "2020-01-01T24:00:00Z", "2020-01-01T23:60:00Z",
                               "2016-12-31T23:59:60Z", "2020-01-01T00:00:00+15:00"}) {
    INFO(bad);
    REQUIRE(parse_iso8601(bad).error() == time_error::bad_date_value);
  }
  REQUIRE(parse_iso8601("1899-12-31").error() == time_error::before_ntp_epoch);
  REQUIRE(parse_iso8601("1900-01-01T00:30:00+01:00").error() == time_error::before_ntp_epoch);
}

TEST_CASE("NTP wire timestamps are era-extended past 2036", "[time]") {
  const ntp_time before_wrap = parse_iso8601("2036-02-07T06:28:15Z").value();
  const ntp_time after_wrap = parse_iso8601("2036-02-07T06:28:17Z").value();
  REQUIRE(before_wrap.seconds == 0xFFFFFFFFull);
  REQUIRE(after_wrap.seconds == 0x100000001ull);
  const std::uint64_t wire_after = to_ntp_wire({after_wrap.seconds, 0x12345678});
  REQUIRE(wire_after == 0x0000000112345678ull);
  // A receiver just before the wrap reads a sender's timestamp from just after it (and back).
  REQUIRE(from_ntp_wire(wire_after, before_wrap) == ntp_time{after_wrap.seconds, 0x12345678});
  REQUIRE(from_ntp_wire(to_ntp_wire(before_wrap), after_wrap) == before_wrap);
  // The fixed RFC 4330 rule.
  REQUIRE(from_ntp_wire(wire_after).seconds == after_wrap.seconds);
  REQUIRE(from_ntp_wire(0xEC898DA800000000ull).seconds == 0xEC898DA8ull);
  // Far in the future: era 2 with a reference in era 2.
  const ntp_time far{(std::uint64_t{2} << 32) + 1000, 0};
  REQUIRE(from_ntp_wire(to_ntp_wire(far), ntp_time{(std::uint64_t{2} << 32) + 5, 0}) == far);
}

TEST_CASE("key period numbers", "[time]") {
  // The vendor I_MESSAGE: T = 0xEC898DA8 (2025-10-02T23:47:52Z), period 16777215 s, offset 0 → 236.
  const key_period_schedule vendor{16777215, 0};
  REQUIRE(key_period_number(from_ntp_wire(0xEC898DA800000000ull), vendor).value() == 236);
  // The same instant from ISO-8601 text and from Unix time.
  REQUIRE(key_period_number(parse_iso8601("2025-10-02T23:47:52Z").value(), vendor).value() == 236);
  REQUIRE(key_period_number(from_unix_seconds(1759448872).value(), vendor).value() == 236);
  REQUIRE(to_unix_seconds(from_ntp_wire(0xEC898DA800000000ull)).value() == 1759448872);
  // 3gpp-notes §A example schedule: 30 days.
  const key_period_schedule monthly{2592000, 0};
  REQUIRE(key_period_number(ntp_time{2592000, 0}, monthly).value() == 1);
  REQUIRE(key_period_number(ntp_time{2591999, 0}, monthly).value() == 0);
  // Offset shifts the boundaries.
  const key_period_schedule shifted{100, 30};
  REQUIRE(key_period_number(ntp_time{129, 0}, shifted).value() == 0);
  REQUIRE(key_period_number(ntp_time{130, 0}, shifted).value() == 1);
  REQUIRE(key_period_number(ntp_time{29, 0}, shifted).error() == time_error::before_period_offset);
  REQUIRE(key_period_number(ntp_time{29, 0}, key_period_schedule{0, 0}).error() ==
          time_error::zero_period_length);
  // No 2036 wrap: a period number just after the era boundary keeps counting.
  const ntp_time after_wrap{(std::uint64_t{1} << 32) + 5, 0};
  REQUIRE(key_period_number(after_wrap, monthly).value() ==
          ((std::uint64_t{1} << 32) + 5) / 2592000);
  REQUIRE(key_period_start(236, vendor).value().seconds == 236ull * 16777215ull);
  REQUIRE(key_period_start(1, shifted).value().seconds == 130);
  REQUIRE(key_period_start(~std::uint64_t{0}, monthly).error() == time_error::out_of_range);
  REQUIRE(key_period_start(1, key_period_schedule{0, 0}).error() == time_error::zero_period_length);
}

// ---------------------------------------------------------------------------------------------
// Identities

TEST_CASE("3gpp-notes §A UID example", "[uid]") {
  // The exact KDF-style input S of the notes, then its SHA-256.
  kdf_input s(fc::mikey_sakke_uid);
  s.add(std::string_view("MIKEY-SAKKE-UID"))
      .add(std::string_view("sip:user@example.org"))
      .add(std::string_view("kms.example.org"))
      .add_integer(2592000)
      .add_integer(0)
      .add_integer(1);
  REQUIRE(to_hex(s.bytes().value()) ==
          "00"
          "4d494b45592d53414b4b452d554944"
          "000f"
          "7369703a75736572406578616d706c652e6f7267"
          "0014"
          "6b6d732e6578616d706c652e6f7267"
          "000f"
          "278d00"
          "0003"
          "00"
          "0001"
          "01"
          "0001");
  const auto u = mikey_sakke_uid("sip:user@example.org", "kms.example.org", {2592000, 0}, 1);
  REQUIRE(to_hex(u.value()) == "74e2af803ab5d72841bbced0ce319ffe64f6fe23c88a2d258aabcf6ac5658ef4");
}

TEST_CASE("vendor key sets: UserIDs recomputed from URIs and key period", "[uid]") {
  const key_period_schedule vendor{16777215, 0};
  REQUIRE(
      to_hex(mikey_sakke_uid("sip:alice@streamwide.com", "kms.mydev.streamwide.com", vendor, 236)
                 .value()) == "b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4");
  REQUIRE(to_hex(mikey_sakke_uid("sip:bob@streamwide.com", "kms.mydev.streamwide.com", vendor, 236)
                     .value()) ==
          "780851cda91a9c33f941cd3a2831697e2893264754e363f8a0cef827eb201a81");
  // Through the identity-format concept, from the I_MESSAGE's T payload.
  const mikey_sakke_uid_format fmt;
  const identity_context bob{"sip:bob@streamwide.com", "kms.mydev.streamwide.com", vendor};
  const auto id = identifier_at(fmt, bob, from_ntp_wire(0xEC898DA800000000ull));
  REQUIRE(to_hex(id.value()) == "780851cda91a9c33f941cd3a2831697e2893264754e363f8a0cef827eb201a81");
  // Any input change changes the UID (a different period, KMS, offset, URI).
  const auto base =
      mikey_sakke_uid("sip:bob@streamwide.com", "kms.mydev.streamwide.com", vendor, 236).value();
  REQUIRE(
      mikey_sakke_uid("sip:bob@streamwide.com", "kms.mydev.streamwide.com", vendor, 237).value() !=
      base);
  REQUIRE(
      mikey_sakke_uid("sip:bob@streamwide.com", "kms.mydev.streamwide.co", vendor, 236).value() !=
      base);
  REQUIRE(mikey_sakke_uid("sip:bob@streamwide.com", "kms.mydev.streamwide.com", {16777215, 1}, 236)
              .value() != base);
  REQUIRE(
      mikey_sakke_uid("sip:Bob@streamwide.com", "kms.mydev.streamwide.com", vendor, 236).value() !=
      base);
}

TEST_CASE("UID input rejections", "[uid]") {
  const key_period_schedule s{2592000, 0};
  REQUIRE(mikey_sakke_uid("", "kms.example.org", s, 1).error() == identity_error::empty_uri);
  REQUIRE(mikey_sakke_uid("sip:a@b", "", s, 1).error() == identity_error::empty_kms_uri);
  REQUIRE(mikey_sakke_uid(std::string_view("sip:a\0b", 7), "kms", s, 1).error() ==
          identity_error::uri_contains_nul);
  REQUIRE(mikey_sakke_uid(std::string(70000, 'a'), "kms", s, 1).error() ==
          identity_error::uri_too_long);
  REQUIRE(mikey_sakke_uid(std::string(65535, 'a'), "kms", s, 1).has_value());
  const mikey_sakke_uid_format fmt;
  REQUIRE(fmt.period_number({"sip:a@b", "kms", {0, 0}}, ntp_time{5, 0}).error() ==
          identity_error::bad_key_period);
  REQUIRE(fmt.make_identifier({"sip:a@b", "kms", {0, 0}}, 1).error() ==
          identity_error::bad_key_period);
}

TEST_CASE("RFC 6509 §3.2 identifiers (RFC 6507/6508 Appendix values)", "[uid]") {
  // RFC 6507 Appendix A "ID" and RFC 6508 Appendix A "b".
  const auto expected = hex_bytes("323031312D30320074656C3A2B34343737303039303031323300");
  REQUIRE(rfc6509_identifier({2011, 2}, "tel:+447700900123").value() == expected);
  const rfc6509_format fmt;
  const identity_context ctx{"tel:+447700900123", "kms.example.org", {}};
  const ntp_time feb2011 = parse_iso8601("2011-02-14T10:00:00Z").value();
  REQUIRE(fmt.period_number(ctx, feb2011).value() == 111 * 12 + 1);
  REQUIRE(identifier_at(fmt, ctx, feb2011).value() == expected);
  REQUIRE(year_month::from_period_number(111 * 12 + 1) == year_month{2011, 2});
  REQUIRE(year_month::of(parse_iso8601("2011-12-31T23:59:59Z").value()).value() ==
          year_month{2011, 12});
  REQUIRE(to_hex(rfc6509_identifier({1999, 12}, "tel:+1").value()) ==
          "313939392d31320074656c3a2b3100");

  // Rejections: tel URI constraints, NUL, year range.
  for (std::string_view bad :
       {"tel:447700900123", "tel:+44-7700-900123", "tel:+447700900123;phone-context=x",
        "sip:+4477@x", "tel:+", "tel:+44 77"}) {
    INFO(bad);
    REQUIRE(fmt.make_identifier({bad, "", {}}, 1333).error() ==
            identity_error::not_a_global_tel_uri);
  }
  REQUIRE(fmt.make_identifier({"", "", {}}, 1333).error() == identity_error::empty_uri);
  REQUIRE(fmt.make_identifier(ctx, year_month{10000, 1}.period_number()).error() ==
          identity_error::year_out_of_range);
  REQUIRE(rfc6509_identifier({2011, 2}, std::string_view("tel:+44\0", 8)).error() ==
          identity_error::uri_contains_nul);
  REQUIRE(rfc6509_identifier({2011, 13}, "tel:+44").error() == identity_error::year_out_of_range);
  REQUIRE(rfc6509_identifier({1899, 12}, "tel:+44").error() == identity_error::year_out_of_range);
}

namespace {
// A deployment-defined identity format, to show the concept is open: the URI alone, per day.
struct daily_uri_format {
  static constexpr std::string_view user_id_format = "240";
  [[nodiscard]] result<std::uint64_t, identity_error> period_number(const identity_context&,
                                                                    ntp_time t) const noexcept {
    return t.seconds / 86400;
  }
  [[nodiscard]] result<identifier, identity_error> make_identifier(const identity_context& ctx,
                                                                   std::uint64_t day) const {
    identifier id(ctx.user_uri.begin(), ctx.user_uri.end());
    id.push_back(static_cast<std::uint8_t>(day));
    return id;
  }
};
static_assert(identity_format<daily_uri_format>);
}  // namespace

TEST_CASE("a deployment can add its own identity format", "[uid]") {
  const auto id = identifier_at(daily_uri_format{}, {"u", "k", {}}, ntp_time{86400 * 3 + 7, 0});
  REQUIRE(id.value() == identifier{'u', 3});
}

// ---------------------------------------------------------------------------------------------
// KDF

TEST_CASE("TS 33.220 parameter encoding", "[kdf]") {
  kdf_input s(0x7A);
  s.add_integer(0)
      .add_integer(0xFF)
      .add_integer(0x100)
      .add_integer(0x0102030405060708ull)
      .add(std::string_view(""));
  REQUIRE(to_hex(s.bytes().value()) ==
          "7a"
          "00"
          "0001"
          "ff"
          "0001"
          "0100"
          "0002"
          "0102030405060708"
          "0008"
          "0000");
  kdf_input big(0x01);
  big.add(std::vector<std::uint8_t>(0x10000, 0));
  REQUIRE(big.bytes().error() == kdf_error::parameter_too_long);
  REQUIRE(kdf_33220(hex_bytes("00"), big).error() == kdf_error::parameter_too_long);
  REQUIRE(kdf_33220({}, kdf_input(0x01)).error() == kdf_error::empty_key);
}

TEST_CASE("DPCK from the vendor message's PCK and PCK-ID", "[kdf]") {
  // Confirmed independently: this DPCK decrypts the message's key-parameters extension
  // (see [mikey_prf] "vendor key parameters decrypt under the DPCK").
  const auto pck = hex_bytes("b4c96b703acd5c1bf7d4cc45068d9965");
  const auto full = kdf_33220(pck, kdf_input(fc::dpck).add(hex_bytes("16992638"))).value();
  REQUIRE(to_hex(full.span()) ==
          "611a7f5a15c5a340eb40c22d9f0333354c8e155c34caf102cea889431e2b43af");
  REQUIRE(to_hex(derive_dpck(pck, 0x16992638).value().span()) ==
          "4c8e155c34caf102cea889431e2b43af");
  REQUIRE(to_hex(derive_dpck(pck, 0x16992639).value().span()) !=
          "4c8e155c34caf102cea889431e2b43af");
  REQUIRE(derive_dpck({}, 0x16992638).error() == kdf_error::empty_key);
}

// ---------------------------------------------------------------------------------------------
// Key identifiers

TEST_CASE("purpose tags: values and names", "[key_id]") {
  STATIC_REQUIRE(static_cast<int>(key_purpose::gmk) == 0);
  STATIC_REQUIRE(static_cast<int>(key_purpose::pck) == 1);
  STATIC_REQUIRE(static_cast<int>(key_purpose::csk) == 2);
  STATIC_REQUIRE(static_cast<int>(key_purpose::spk) == 3);
  STATIC_REQUIRE(static_cast<int>(key_purpose::mkfc) == 4);
  STATIC_REQUIRE(static_cast<int>(key_purpose::mscck) == 5);
  STATIC_REQUIRE(static_cast<int>(key_purpose::musik) == 6);
  STATIC_REQUIRE(purpose_name(key_purpose::musik) == "MuSiK");
  STATIC_REQUIRE(purpose_from_name("csk").value() == key_purpose::csk);
  for (const auto& e : known_purposes) {
    REQUIRE(purpose_from_name(purpose_name(e.purpose)).value() == e.purpose);
    REQUIRE(purpose_from_value(static_cast<unsigned>(e.purpose)).value() == e.purpose);
  }
  REQUIRE(purpose_name(key_purpose{7}).empty());
  REQUIRE(purpose_from_name("XYZ").error() == key_id_error::unknown_purpose_name);
  REQUIRE(purpose_from_value(16).error() == key_id_error::purpose_out_of_range);
  REQUIRE(purpose_from_value(15).value() == key_purpose{15});
  // A deployment names its own purpose 9, and may rename a built-in one.
  const purpose_entry extra[] = {{key_purpose{9}, "IWF"}, {key_purpose::gmk, "GroupKey"}};
  REQUIRE(purpose_name(key_purpose{9}, extra) == "IWF");
  REQUIRE(purpose_from_name("iwf", extra).value() == key_purpose{9});
  REQUIRE(purpose_name(key_purpose::gmk, extra) == "GroupKey");
  REQUIRE(purpose_from_name("GMK", extra).value() == key_purpose::gmk);
}

namespace {
struct counting_rng {  // deterministic random_source
  std::uint8_t next = 0;
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = next++;
  }
};
struct ff_rng {
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = 0xFF;
  }
};
}  // namespace

TEST_CASE("SK-IDs: layout, generation, bytes", "[key_id]") {
  // The vendor PCK-ID 0x16992638: purpose PCK, random part 0x6992638.
  const auto pck_id = sk_id::from_value(0x16992638);
  REQUIRE(pck_id.purpose() == key_purpose::pck);
  REQUIRE(pck_id.random_part() == 0x6992638u);
  REQUIRE(sk_id::make(key_purpose::pck, 0x6992638).value() == pck_id);
  STATIC_REQUIRE(sk_id::make(key_purpose::csk, 0x0ABCDEF).value().value() == 0x20ABCDEFu);
  REQUIRE(to_hex(pck_id.to_bytes()) == "16992638");
  REQUIRE(sk_id::from_bytes(hex_bytes("16992638")).value() == pck_id);
  REQUIRE(sk_id::from_bytes(hex_bytes("169926")).error() == key_id_error::wrong_length);
  REQUIRE(sk_id::from_bytes(hex_bytes("1699263800")).error() == key_id_error::wrong_length);
  REQUIRE(sk_id::make(key_purpose::pck, 0x10000000).error() == key_id_error::random_out_of_range);
  REQUIRE(sk_id::make(key_purpose{16}, 0).error() == key_id_error::purpose_out_of_range);

  counting_rng rng{0xA0};  // A0 A1 A2 A3: the top nibble is replaced by the purpose
  const auto g = sk_id::generate(key_purpose::musik, rng).value();
  REQUIRE(g.value() == 0x60A1A2A3u);
  ff_rng ones;
  REQUIRE(sk_id::generate(key_purpose::gmk, ones).value().value() == 0x0FFFFFFFu);
  skm::os_random os;
  const auto r1 = sk_id::generate(key_purpose::csk, os).value();
  const auto r2 = sk_id::generate(key_purpose::csk, os).value();
  REQUIRE(r1.purpose() == key_purpose::csk);
  REQUIRE(r1 != r2);  // 2^-28 chance of a false failure
}

TEST_CASE("GUK-ID derivation and GMK-ID recovery", "[key_id]") {
  // Expected values from an independent Python computation (hmac/hashlib) of
  // KDF(GMK, FC 0x50, P0 = URI), 28 LSB; no published GUK-ID vector was available.
  const auto gmk = hex_bytes("000102030405060708090a0b0c0d0e0f");
  REQUIRE(guk_user_salt(gmk, "sip:bob@example.org").value() == 0x2245348u);
  const auto gmk_id = sk_id::from_value(0x01234567);
  const auto guk = derive_guk_id(gmk_id, gmk, "sip:bob@example.org").value();
  REQUIRE(guk.value() == 0x0307162Fu);
  REQUIRE(guk.purpose() == key_purpose::gmk);
  REQUIRE(recover_gmk_id(guk, gmk, "sip:bob@example.org").value() == gmk_id);
  // Another receiver gets another GUK-ID; recovering with the wrong URI or key gives a wrong ID.
  REQUIRE(derive_guk_id(gmk_id, gmk, "sip:carol@example.org").value() != guk);
  REQUIRE(recover_gmk_id(guk, gmk, "sip:carol@example.org").value() != gmk_id);
  auto other = gmk;
  other[0] ^= 1;
  REQUIRE(recover_gmk_id(guk, other, "sip:bob@example.org").value() != gmk_id);
  // Rejections.
  REQUIRE(derive_guk_id(sk_id::from_value(0x11234567), gmk, "sip:bob@example.org").error() ==
          key_id_error::not_a_group_key);
  REQUIRE(recover_gmk_id(sk_id::from_value(0x21234567), gmk, "sip:bob@example.org").error() ==
          key_id_error::not_a_group_key);
  REQUIRE(derive_guk_id(gmk_id, {}, "sip:bob@example.org").error() == key_id_error::bad_key);
  REQUIRE(derive_guk_id(gmk_id, gmk, std::string(70000, 'x')).error() == key_id_error::bad_key);
}

}  // namespace test_identity
