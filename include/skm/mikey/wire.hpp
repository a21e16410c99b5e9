// SPDX-License-Identifier: BSD-3-Clause
// MIKEY wire vocabulary: byte spans, payload type codes, the error type, and the big-endian
// cursor/writer every codec uses. No cryptography lives in this layer.
//
// All MIKEY integers are big-endian ("network byte order", RFC 3830 §6) and payloads are byte
// aligned, not 32-bit aligned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "skm/common/result.hpp"

namespace skm::mikey {

using bytes_view = std::span<const std::uint8_t>;
using mutable_bytes = std::span<std::uint8_t>;

/// "Next payload" codes (RFC 3830 Table 6.1.b, RFC 6043 Table 6.2, RFC 6509 Table 2).
enum class payload_type : std::uint8_t {
  last = 0,
  kemac = 1,
  pke = 2,
  dh = 3,
  sign = 4,
  t = 5,
  id = 6,
  cert = 7,
  chash = 8,
  v = 9,
  sp = 10,
  rand = 11,
  err = 12,
  tr = 13,
  idr = 14,
  randr = 15,
  tp = 16,
  ticket = 17,
  key_data = 20,
  general_ext = 21,
  sakke = 26,
  /// Not a wire value: the Common Header has no payload code of its own (it is always first).
  hdr = 0xFF,
};

/// Short payload names as the RFCs write them.
[[nodiscard]] constexpr const char* name(payload_type t) noexcept {
  switch (t) {
    case payload_type::last: return "Last payload";
    case payload_type::kemac: return "KEMAC";
    case payload_type::pke: return "PKE";
    case payload_type::dh: return "DH";
    case payload_type::sign: return "SIGN";
    case payload_type::t: return "T";
    case payload_type::id: return "ID";
    case payload_type::cert: return "CERT";
    case payload_type::chash: return "CHASH";
    case payload_type::v: return "V";
    case payload_type::sp: return "SP";
    case payload_type::rand: return "RAND";
    case payload_type::err: return "ERR";
    case payload_type::tr: return "TR";
    case payload_type::idr: return "IDR";
    case payload_type::randr: return "RANDR";
    case payload_type::tp: return "TP";
    case payload_type::ticket: return "TICKET";
    case payload_type::key_data: return "Key data";
    case payload_type::general_ext: return "General Extension";
    case payload_type::sakke: return "SAKKE";
    case payload_type::hdr: return "HDR";
  }
  return "unknown";
}

/// What went wrong. The accompanying `error` names the payload, the field and the byte offset.
enum class errc : std::uint8_t {
  truncated = 1,      // a field runs past the end of the input
  length_mismatch,    // an inner length disagrees with the length that encloses it
  bad_version,        // HDR version is not 1
  unknown_payload,    // a "next payload" code this parser does not accept
  unsupported_value,  // an enumerated value whose encoding (length) is unknown
  invalid_value,      // a value the specifications forbid here
  field_too_long,     // encoding: data does not fit its length field
  buffer_too_small,   // encoding: the output span is too small
  trailing_bytes,     // bytes after the last payload
  message_too_large,  // above the configured maximum message size
  too_many_payloads,  // above the parser's payload table capacity
  misplaced_payload,  // ordering rule broken (HDR first, SIGN last, ...)
  duplicate_payload,  // a payload that must appear once appears again
  missing_payload,    // a payload that must appear is absent
  bad_base64,         // a character outside the base64 alphabet, or whitespace
  bad_padding,        // base64 '=' padding misplaced / missing, or non-zero spare bits
  bad_sdp,            // not an `a=key-mgmt:mikey <base64>` attribute
  bad_rtsp,           // not a `KeyMgmt: prot=mikey; ...; data="<base64>"` header
};

[[nodiscard]] constexpr const char* describe(errc e) noexcept {
  switch (e) {
    case errc::truncated: return "truncated";
    case errc::length_mismatch: return "length mismatch";
    case errc::bad_version: return "unsupported MIKEY version";
    case errc::unknown_payload: return "unknown or unsupported payload type";
    case errc::unsupported_value: return "unsupported value";
    case errc::invalid_value: return "invalid value";
    case errc::field_too_long: return "field too long for its length field";
    case errc::buffer_too_small: return "output buffer too small";
    case errc::trailing_bytes: return "trailing bytes after the last payload";
    case errc::message_too_large: return "message too large";
    case errc::too_many_payloads: return "too many payloads";
    case errc::misplaced_payload: return "misplaced payload";
    case errc::duplicate_payload: return "duplicate payload";
    case errc::missing_payload: return "missing payload";
    case errc::bad_base64: return "invalid base64 character";
    case errc::bad_padding: return "invalid base64 padding";
    case errc::bad_sdp: return "not an a=key-mgmt:mikey attribute";
    case errc::bad_rtsp: return "not a KeyMgmt: prot=mikey header";
  }
  return "unknown error";
}

/// An error with its location: which payload ("RAND", "base64", ...), which field, which byte
/// offset (from the start of the message or string being parsed).
struct error {
  errc code{};
  const char* payload = "";
  const char* field = "";
  std::size_t offset = 0;

  friend constexpr bool operator==(const error& a, const error& b) noexcept {
    return a.code == b.code && a.offset == b.offset && std::string_view(a.payload) == b.payload &&
           std::string_view(a.field) == b.field;
  }
};

/// "truncated: RAND.RAND len at byte 33"
[[nodiscard]] inline std::string to_string(const error& e) {
  std::string s = describe(e.code);
  s += ": ";
  s += e.payload;
  if (*e.field != '\0') {
    s += '.';
    s += e.field;
  }
  s += " at byte ";
  s += std::to_string(e.offset);
  return s;
}

template <class T>
using result = skm::result<T, error>;

/// A decoded payload, the "next payload" code it carried, and how many bytes it used.
template <class P>
struct decoded {
  P payload{};
  payload_type next = payload_type::last;
  std::size_t size = 0;
};

namespace detail {

[[nodiscard]] constexpr bool equal(bytes_view a, bytes_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

/// Reading side: the codec checks `has(n)` once per group of fields, then reads unchecked.
struct cursor {
  bytes_view in;
  std::size_t base = 0;  // absolute offset of in[0] within the message, for error reports
  const char* payload = "";
  std::size_t pos = 0;

  [[nodiscard]] constexpr bool has(std::size_t n) const noexcept { return in.size() - pos >= n; }
  [[nodiscard]] constexpr std::size_t remaining() const noexcept { return in.size() - pos; }
  [[nodiscard]] constexpr std::size_t where() const noexcept { return base + pos; }
  [[nodiscard]] constexpr unexpected<error> fail(errc code, const char* field) const noexcept {
    return unexpected<error>{error{code, payload, field, base + pos}};
  }
  [[nodiscard]] constexpr unexpected<error> fail_at(errc code, const char* field,
                                                    std::size_t rel) const noexcept {
    return unexpected<error>{error{code, payload, field, base + rel}};
  }
  [[nodiscard]] constexpr unexpected<error> truncated(const char* field) const noexcept {
    return fail(errc::truncated, field);
  }

  constexpr std::uint8_t u8() noexcept { return in[pos++]; }
  constexpr std::uint16_t u16() noexcept {
    const auto v = static_cast<std::uint16_t>((in[pos] << 8) | in[pos + 1]);
    pos += 2;
    return v;
  }
  constexpr std::uint32_t u32() noexcept {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | in[pos++];
    return v;
  }
  constexpr std::uint64_t u64() noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | in[pos++];
    return v;
  }
  constexpr bytes_view take(std::size_t n) noexcept {
    const auto s = in.subspan(pos, n);
    pos += n;
    return s;
  }
};

/// Writing side: the codec checks the capacity once, then writes unchecked.
struct writer {
  mutable_bytes out;
  std::size_t pos = 0;

  constexpr void u8(std::uint8_t v) noexcept { out[pos++] = v; }
  constexpr void u16(std::uint16_t v) noexcept {
    out[pos++] = static_cast<std::uint8_t>(v >> 8);
    out[pos++] = static_cast<std::uint8_t>(v);
  }
  constexpr void u32(std::uint32_t v) noexcept {
    for (int s = 24; s >= 0; s -= 8) out[pos++] = static_cast<std::uint8_t>(v >> s);
  }
  constexpr void u64(std::uint64_t v) noexcept {
    for (int s = 56; s >= 0; s -= 8) out[pos++] = static_cast<std::uint8_t>(v >> s);
  }
  constexpr void put(bytes_view b) noexcept {
    for (const auto x : b) out[pos++] = x;
  }
};

[[nodiscard]] constexpr unexpected<error> encode_error(errc code, const char* payload,
                                                       const char* field) noexcept {
  return unexpected<error>{error{code, payload, field, 0}};
}

}  // namespace detail
}  // namespace skm::mikey
