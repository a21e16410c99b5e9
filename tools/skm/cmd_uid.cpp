// SPDX-License-Identifier: BSD-3-Clause
// skm uid: the TS 33.180 F.2.1 UID, or the RFC 6509 §3.2 identifier.
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "skm/km/identity.hpp"
#include "skm/km/kms_xml.hpp"

namespace skm::cli {

namespace {

constexpr std::string_view uid_help =
    R"(usage: skm uid --uri URI --kms-uri URI --period SECONDS --offset SECONDS
               [--period-no N | --time TIME | --date TIME | --at TIME] [--json]
       skm uid --cert CERT.xml --uri URI [--period-no N | --time TIME | --date TIME | --at TIME]
               [--json]
       skm uid --rfc6509 --uri URI --month YYYY-MM [--json]

The identifier a user's keys belong to, in hex.

TS 33.180 F.2.1 (UserIdFormat 2): SHA-256 of the user URI, the KMS URI, the key period
length and offset (the KmsCertificate's UserKeyPeriod and UserKeyOffset) and the key period
number; 64 hex digits. The period number is given, or computed from a time as
floor((T - offset) / length) with T in seconds since 1900-01-01 (NTP seconds); without
--period-no, --time, --date or --at (allowed with --cert), the current key period.

  --uri URI            the user's URI (surrounding spaces removed; no spaces or control
                       characters inside, valid UTF-8, at most 1024 octets)
  --cert CERT.xml      take the KMS URI, key period length and offset from this certificate
                       (KmsResponse/KmsInit or a bare KmsCertificate)
  --kms-uri URI        the KMS URI (KmsCertificate KmsUri)
  --period SECONDS     key period length (UserKeyPeriod)
  --offset SECONDS     key period offset (UserKeyOffset)
  --period-no N        key period number
  --time, --date, --at TIME
                       a time in the period: NTP seconds (since 1900-01-01T00:00:00Z) or
                       ISO 8601, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[Z|+hh:mm]

RFC 6509 (UserIdFormat 1): the octets "YYYY-MM" NUL URI NUL, in hex.

  --rfc6509            the RFC 6509 identifier instead
  --month YYYY-MM      the key period (a calendar month)

  --json               one JSON object with the identifier and its inputs
)";

/// "YYYY-MM" with a four-digit year 1900..9999 and month 01..12.
km::year_month parse_month(const arguments& a, const std::string& text) {
  const auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  bool ok = text.size() == 7 && text[4] == '-';
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u}) ok = ok && digit(i);
  km::year_month ym;
  if (ok) {
    ym.year = std::stoi(text.substr(0, 4));
    ym.month = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
    ok = ym.year >= 1900 && ym.month >= 1 && ym.month <= 12;
  }
  if (!ok)
    throw a.error("--month must be YYYY-MM (year 1900..9999, month 01..12), not '" + text + "'");
  return ym;
}

int rfc6509(const arguments& a) {
  for (const auto* o : {"kms-uri", "period", "offset", "period-no", "time", "date", "at", "cert"})
    if (a.has(o)) throw a.error(std::string("option --") + o + " does not apply to --rfc6509");
  const auto uri = uri_argument(a, "uri");
  const auto month_text = a.required("month");
  const auto ym = parse_month(a, month_text);
  const auto id = km::rfc6509_identifier(ym, uri);
  if (!id) throw failure(std::string("no RFC 6509 identifier: ") + km::describe(id.error()));
  if (a.flag("json")) {
    json j;
    j.begin_object()
        .field("ok", true)
        .field("format", "rfc6509")
        .field("user_id_format", km::rfc6509_format::user_id_format)
        .field("identifier", to_hex(*id))
        .field("uri", uri)
        .field("month", month_text)
        .field("key_period_no", ym.period_number())
        .field("global_tel_uri", km::is_rfc6509_tel_uri(uri))
        .end_object();
    std::cout << j.text() << "\n";
  } else {
    std::cout << to_hex(*id) << "\n";
  }
  return exit_ok;
}

/// The KMS URI and key period schedule: from --cert, or from --kms-uri, --period, --offset.
struct uid_community {
  std::string kms_uri;
  km::key_period_schedule schedule;
};

uid_community community_argument(const arguments& a) {
  if (!a.has("cert")) {
    uid_community c{uri_argument(a, "kms-uri"), {a.u64("period"), a.u64("offset")}};
    if (c.schedule.length_seconds == 0) throw a.error("--period must not be 0");
    return c;
  }
  for (const auto* o : {"kms-uri", "period", "offset"})
    if (a.has(o))
      throw a.error(std::string("--cert gives the KMS URI, period and offset; drop --") + o);
  const auto path = a.required("cert");
  const auto text = read_file(path, max_xml_file, "certificate");
  auto init = km::xml::parse_kms_init(text, km::xml::no_curve_checks{});
  std::optional<km::xml::kms_certificate> cert;
  if (init)
    cert = std::move(init->certificate);
  else if (init.error().code == km::xml::xml_error::wrong_root_element)
    if (auto bare = km::xml::parse_kms_certificate(text, km::xml::no_curve_checks{}))
      cert = std::move(*bare);
  if (!cert) throw failure(path + ": " + init.error().message());
  if (cert->user_key_period == 0) throw failure(path + ": UserKeyPeriod is 0");
  return {cert->kms_uri, {cert->user_key_period, cert->user_key_offset}};
}

void print_uid_json(const std::string& uri, const uid_community& c, std::uint64_t period,
                    const std::optional<km::ntp_time>& t, const km::uid& id) {
  json j;
  j.begin_object()
      .field("ok", true)
      .field("format", "ts33180")
      .field("user_id_format", km::mikey_sakke_uid_format::user_id_format)
      .field("uid", to_hex(id))
      .field("uri", uri)
      .field("kms_uri", c.kms_uri)
      .field("key_period_length", c.schedule.length_seconds)
      .field("key_period_offset", c.schedule.offset_seconds)
      .field("key_period_no", period);
  if (const auto start = km::key_period_start(period, c.schedule))
    j.field("key_period_start", iso(*start));
  if (t) j.field("time", iso(*t));
  j.end_object();
  std::cout << j.text() << "\n";
}

}  // namespace

int run_uid(std::span<char* const> args) {
  const arguments a(args,
                    {{"uri"},
                     {"cert"},
                     {"kms-uri"},
                     {"period"},
                     {"offset"},
                     {"period-no"},
                     {"time"},
                     {"date"},
                     {"at"},
                     {"rfc6509", false},
                     {"month"},
                     {"json", false}},
                    "uid");
  if (a.help()) {
    std::cout << uid_help;
    return exit_ok;
  }
  a.no_positionals();
  if (a.flag("rfc6509")) return rfc6509(a);
  if (a.has("month")) throw a.error("option --month needs --rfc6509");

  const auto uri = uri_argument(a, "uri");
  const auto which = a.one_of({"period-no", "time", "date", "at"});
  if (!which && !a.has("cert")) throw a.error("one of --period-no, --time or --date is required");
  const auto c = community_argument(a);
  std::uint64_t period = 0;
  std::optional<km::ntp_time> t;
  if (which && *which == "period-no") {
    period = a.u64("period-no");
  } else {
    t = which ? parse_instant(a, *which, a.required(*which)) : now();
    const auto n = km::key_period_number(*t, c.schedule);
    if (!n)
      throw failure(std::string("no key period for ") + iso(*t) + ": " + km::describe(n.error()));
    period = *n;
  }
  const auto id = km::mikey_sakke_uid(uri, c.kms_uri, c.schedule, period);
  if (!id) throw failure(std::string("no UID: ") + km::describe(id.error()));
  if (a.flag("json"))
    print_uid_json(uri, c, period, t, *id);
  else
    std::cout << to_hex(*id) << "\n";
  return exit_ok;
}

}  // namespace skm::cli
