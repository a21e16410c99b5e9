// SPDX-License-Identifier: BSD-3-Clause
// Time for key management: NTP-UTC instants without the 2036 wrap, key period numbers, and
// conversions to and from Unix time, calendar dates and ISO-8601 text.
//
// MIKEY's T payload (RFC 3830 §6.6, TS type 0) carries a 64-bit NTP-UTC timestamp: 32 bits of
// seconds since 1900-01-01 00:00 UTC and 32 bits of fraction. The seconds field wraps in February
// 2036 (the end of NTP era 0). Inside skm an instant is an `ntp_time` whose seconds count is 64
// bits wide and era-extended, so period arithmetic never wraps; the 32-bit wire field is mapped to
// an era only at the boundary (`from_ntp_wire`).
//
// Key periods (TS 33.180 F.2.1, 3gpp-notes §A): period number = floor((T − offset) / length), T in
// seconds since the NTP epoch, computed in 64 bits throughout.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "skm/common/result.hpp"

namespace skm::km {

enum class time_error {
  zero_period_length,    ///< a key period of 0 seconds
  before_period_offset,  ///< the time lies before the community's key period offset
  before_ntp_epoch,      ///< the instant lies before 1900-01-01 00:00 UTC
  out_of_range,          ///< the instant or period lies beyond what 64-bit seconds / year 9999 hold
  bad_date_syntax,       ///< the text is not an ISO-8601 date or dateTime of the accepted forms
  bad_date_value,        ///< a field out of range (month 13, day 31 in April, 25 o'clock, …)
};

[[nodiscard]] constexpr const char* describe(time_error e) noexcept {
  switch (e) {
    case time_error::zero_period_length: return "key period length is zero";
    case time_error::before_period_offset: return "time lies before the key period offset";
    case time_error::before_ntp_epoch:
      return "time lies before the NTP epoch (1900-01-01T00:00:00Z)";
    case time_error::out_of_range: return "time or key period number out of the supported range";
    case time_error::bad_date_syntax:
      return "not an ISO-8601 date (YYYY-MM-DD) or dateTime (YYYY-MM-DDThh:mm:ss[.f][Z|+hh:mm])";
    case time_error::bad_date_value: return "ISO-8601 date or time field out of range";
  }
  return "unknown time_error";
}

/// An instant: seconds since 1900-01-01 00:00:00 UTC (era-extended, 64 bits) plus an NTP fraction
/// (units of 2^-32 s). Leap seconds are not counted, as in NTP and Unix time.
struct ntp_time {
  std::uint64_t seconds = 0;
  std::uint32_t fraction = 0;

  // clang-tidy 14 takes the literal 0 that a defaulted <=> compares its members' results with
  // for a null pointer (fixed in later releases).
  // NOLINTNEXTLINE(modernize-use-nullptr): no pointer here, see above
  friend constexpr auto operator<=>(const ntp_time&, const ntp_time&) = default;
};

/// Seconds between the NTP epoch (1900) and the Unix epoch (1970): 25567 days (70 years, 17 of
/// them leap years).
inline constexpr std::uint64_t unix_epoch_ntp_seconds = 25567ull * 86400ull;
static_assert(unix_epoch_ntp_seconds == 2208988800ull);

/// The 64-bit wire value of an NTP timestamp (seconds field modulo 2^32, then the fraction).
[[nodiscard]] constexpr std::uint64_t to_ntp_wire(ntp_time t) noexcept {
  return (t.seconds << 32) | t.fraction;
}

/// Era-extend a wire timestamp: of the instants whose seconds field matches, pick the one nearest
/// `reference` (normally the receiver's clock). Correct while the two are within ±68 years.
[[nodiscard]] constexpr ntp_time from_ntp_wire(std::uint64_t wire, ntp_time reference) noexcept {
  const std::uint64_t field = wire >> 32;
  const auto fraction = static_cast<std::uint32_t>(wire);
  const std::uint64_t era = reference.seconds >> 32;
  std::uint64_t best = (era << 32) | field;
  // The candidate in the reference's era may be more than half an era away: try its neighbours.
  auto distance = [&](std::uint64_t s) {
    return s > reference.seconds ? s - reference.seconds : reference.seconds - s;
  };
  if (era > 0) {
    const std::uint64_t below = ((era - 1) << 32) | field;
    if (distance(below) < distance(best)) best = below;
  }
  if (era < (std::numeric_limits<std::uint64_t>::max() >> 32)) {
    const std::uint64_t above = ((era + 1) << 32) | field;
    if (distance(above) < distance(best)) best = above;
  }
  return {best, fraction};
}

/// Era-extend a wire timestamp with the fixed RFC 4330 §3 rule, for when no clock is at hand:
/// a set top bit means era 0 (1968–2036), a clear one era 1 (2036–2104).
[[nodiscard]] constexpr ntp_time from_ntp_wire(std::uint64_t wire) noexcept {
  const std::uint64_t field = wire >> 32;
  const std::uint64_t seconds = (field & 0x80000000u) ? field : field + (std::uint64_t{1} << 32);
  return {seconds, static_cast<std::uint32_t>(wire)};
}

/// Unix seconds (may be negative, down to 1900) to an NTP instant.
[[nodiscard]] constexpr result<ntp_time, time_error> from_unix_seconds(
    std::int64_t unix_seconds) noexcept {
  constexpr auto epoch = static_cast<std::int64_t>(unix_epoch_ntp_seconds);
  if (unix_seconds < -epoch) return unexpected{time_error::before_ntp_epoch};
  // Split by sign so the sum cannot overflow int64 near its maximum.
  if (unix_seconds >= 0)
    return ntp_time{static_cast<std::uint64_t>(unix_seconds) + unix_epoch_ntp_seconds, 0};
  return ntp_time{static_cast<std::uint64_t>(unix_seconds + epoch), 0};
}

/// An NTP instant to Unix seconds (the fraction is dropped).
[[nodiscard]] constexpr result<std::int64_t, time_error> to_unix_seconds(ntp_time t) noexcept {
  if (t.seconds > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return unexpected{time_error::out_of_range};
  return static_cast<std::int64_t>(t.seconds) - static_cast<std::int64_t>(unix_epoch_ntp_seconds);
}

// ---------------------------------------------------------------------------------------------
// Key periods

/// A community's key period schedule (KmsCertificate UserKeyPeriod / UserKeyOffset, seconds).
struct key_period_schedule {
  std::uint64_t length_seconds = 0;
  std::uint64_t offset_seconds = 0;

  friend constexpr bool operator==(const key_period_schedule&,
                                   const key_period_schedule&) = default;
};

/// floor((T − offset) / length) with T the NTP seconds of `t` (TS 33.180 F.2.1).
[[nodiscard]] constexpr result<std::uint64_t, time_error> key_period_number(
    ntp_time t, key_period_schedule s) noexcept {
  if (s.length_seconds == 0) return unexpected{time_error::zero_period_length};
  if (t.seconds < s.offset_seconds) return unexpected{time_error::before_period_offset};
  return (t.seconds - s.offset_seconds) / s.length_seconds;
}

/// The first instant of period `number`: offset + number · length.
[[nodiscard]] constexpr result<ntp_time, time_error> key_period_start(
    std::uint64_t number, key_period_schedule s) noexcept {
  if (s.length_seconds == 0) return unexpected{time_error::zero_period_length};
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  if (number > (max - s.offset_seconds) / s.length_seconds)
    return unexpected{time_error::out_of_range};
  return ntp_time{s.offset_seconds + number * s.length_seconds, 0};
}

// ---------------------------------------------------------------------------------------------
// Calendar (proleptic Gregorian, UTC), years 1900–9999

struct civil_date {
  int year = 1900;     ///< 1900..9999
  unsigned month = 1;  ///< 1..12
  unsigned day = 1;    ///< 1..days in month

  friend constexpr bool operator==(const civil_date&, const civil_date&) = default;
};

struct civil_time {
  civil_date date;
  unsigned hour = 0, minute = 0, second = 0;
  std::uint32_t fraction = 0;  ///< NTP fraction of the second

  friend constexpr bool operator==(const civil_time&, const civil_time&) = default;
};

namespace detail {

[[nodiscard]] constexpr bool is_leap_year(int y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

[[nodiscard]] constexpr unsigned days_in_month(int y, unsigned m) noexcept {
  constexpr std::array<unsigned, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

/// Leap years in [1, y) for y >= 1.
[[nodiscard]] constexpr std::int64_t leap_years_before(std::int64_t y) noexcept {
  return (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400;
}

/// Days from 1900-01-01 to January 1st of year y (y >= 1900).
[[nodiscard]] constexpr std::uint64_t days_before_year(int y) noexcept {
  return static_cast<std::uint64_t>(365 * (std::int64_t{y} - 1900) + leap_years_before(y) -
                                    leap_years_before(1900));
}

inline constexpr int max_year = 9999;

}  // namespace detail

/// Days since 1900-01-01 of a valid date.
[[nodiscard]] constexpr result<std::uint64_t, time_error> days_since_1900(civil_date d) noexcept {
  if (d.year < 1900) return unexpected{time_error::before_ntp_epoch};
  if (d.year > detail::max_year) return unexpected{time_error::out_of_range};
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > detail::days_in_month(d.year, d.month))
    return unexpected{time_error::bad_date_value};
  std::uint64_t days = detail::days_before_year(d.year);
  for (unsigned m = 1; m < d.month; ++m) days += detail::days_in_month(d.year, m);
  return days + (d.day - 1);
}

/// The calendar date and time of an instant (years up to 9999).
[[nodiscard]] constexpr result<civil_time, time_error> to_civil(ntp_time t) noexcept {
  const std::uint64_t days = t.seconds / 86400;
  const std::uint64_t secs = t.seconds % 86400;
  if (days >= detail::days_before_year(detail::max_year + 1))
    return unexpected{time_error::out_of_range};
  // 366 days per year never overshoots; walk forward the few years the estimate falls short.
  int y = 1900 + static_cast<int>(days / 366);
  while (detail::days_before_year(y + 1) <= days) ++y;
  std::uint64_t rest = days - detail::days_before_year(y);
  unsigned m = 1;
  while (rest >= detail::days_in_month(y, m)) rest -= detail::days_in_month(y, m++);
  civil_time c;
  c.date = {y, m, static_cast<unsigned>(rest) + 1};
  c.hour = static_cast<unsigned>(secs / 3600);
  c.minute = static_cast<unsigned>(secs / 60 % 60);
  c.second = static_cast<unsigned>(secs % 60);
  c.fraction = t.fraction;
  return c;
}

/// The instant of a calendar time (UTC).
[[nodiscard]] constexpr result<ntp_time, time_error> from_civil(const civil_time& c) noexcept {
  auto days = days_since_1900(c.date);
  if (!days) return unexpected{days.error()};
  if (c.hour > 23 || c.minute > 59 || c.second > 59) return unexpected{time_error::bad_date_value};
  return ntp_time{*days * 86400 + c.hour * 3600ull + c.minute * 60ull + c.second, c.fraction};
}

namespace detail {

/// Exactly `n` decimal digits at `s[pos]`, or -1.
[[nodiscard]] constexpr long digits(std::string_view s, std::size_t pos, std::size_t n) noexcept {
  if (pos + n > s.size()) return -1;
  long v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace detail

/// Parse an ISO-8601 / XML Schema date or dateTime:
///   YYYY-MM-DD                                  (midnight UTC)
///   YYYY-MM-DDThh:mm:ss[.fraction][Z|+hh:mm|-hh:mm]
/// A dateTime without a zone is taken as UTC (XML Schema leaves it undetermined; KMS documents
/// are exchanged in UTC). Leap seconds (ss = 60) and hour 24 are rejected.
[[nodiscard]] constexpr result<ntp_time, time_error> parse_iso8601(std::string_view s) noexcept {
  using detail::digits;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return unexpected{time_error::bad_date_syntax};
  const long y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || mo < 0 || d < 0) return unexpected{time_error::bad_date_syntax};
  civil_time c;
  c.date = {static_cast<int>(y), static_cast<unsigned>(mo), static_cast<unsigned>(d)};
  std::int64_t zone_offset = 0;  // seconds east of UTC
  if (s.size() > 10) {
    if (s[10] != 'T' || s.size() < 19 || s[13] != ':' || s[16] != ':')
      return unexpected{time_error::bad_date_syntax};
    const long h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
    if (h < 0 || mi < 0 || se < 0) return unexpected{time_error::bad_date_syntax};
    c.hour = static_cast<unsigned>(h);
    c.minute = static_cast<unsigned>(mi);
    c.second = static_cast<unsigned>(se);
    std::size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      const std::size_t start = pos;
      // Fraction of a second to 2^-32 units, kept to 9 digits (1 ns; num·2^32 then fits 64 bits).
      std::uint64_t num = 0, den = 1;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (pos - start < 9) {
          num = num * 10 + static_cast<std::uint64_t>(s[pos] - '0');
          den *= 10;
        }
        ++pos;
      }
      if (pos == start) return unexpected{time_error::bad_date_syntax};
      c.fraction = static_cast<std::uint32_t>((num << 32) / den);
    }
    if (pos < s.size()) {
      if (s[pos] == 'Z') {
        ++pos;
      } else if (s[pos] == '+' || s[pos] == '-') {
        const long zh = digits(s, pos + 1, 2), zm = digits(s, pos + 4, 2);
        if (zh < 0 || zm < 0 || pos + 3 >= s.size() || s[pos + 3] != ':')
          return unexpected{time_error::bad_date_syntax};
        if (zh > 14 || zm > 59) return unexpected{time_error::bad_date_value};
        zone_offset = (s[pos] == '+' ? 1 : -1) * (zh * 3600 + zm * 60);
        pos += 6;
      }
      if (pos != s.size()) return unexpected{time_error::bad_date_syntax};
    }
  }
  auto t = from_civil(c);
  if (!t) return t;
  // Local time minus the zone offset is UTC.
  if (zone_offset > 0 && t->seconds < static_cast<std::uint64_t>(zone_offset))
    return unexpected{time_error::before_ntp_epoch};
  t->seconds = static_cast<std::uint64_t>(static_cast<std::int64_t>(t->seconds) - zone_offset);
  return t;
}

/// "YYYY-MM-DDThh:mm:ssZ" (the fraction is not written).
[[nodiscard]] inline result<std::string, time_error> format_iso8601(ntp_time t) {
  auto c = to_civil(t);
  if (!c) return unexpected{c.error()};
  std::string out = "0000-00-00T00:00:00Z";
  auto put = [&](std::size_t pos, unsigned v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i, v /= 10)
      out[pos + n - 1 - i] = static_cast<char>('0' + v % 10);
  };
  put(0, static_cast<unsigned>(c->date.year), 4);
  put(5, c->date.month, 2);
  put(8, c->date.day, 2);
  put(11, c->hour, 2);
  put(14, c->minute, 2);
  put(17, c->second, 2);
  return out;
}

}  // namespace skm::km
