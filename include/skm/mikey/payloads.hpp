// SPDX-License-Identifier: BSD-3-Clause
// MIKEY payload codecs: RFC 3830 §6, RFC 6043 §6 (IDR, GENERIC-ID, PRF-HMAC-SHA-256), RFC 4563
// (empty map), RFC 6509 §4 (SAKKE payload, ECCSI S type, IDRkmsi/IDRkmsr) and the 3GPP additions
// of TS 33.180 Annex E (IDR roles 8/9, General Extension types 6 and 7).
//
// Every payload is a plain aggregate that *views* its variable-length data (spans, no copies):
//   encoded_size()              bytes on the wire
//   encode(out, next)           writes the payload with the given "next payload" code; returns
//                               the number of bytes written, or an error (buffer too small,
//                               data longer than its length field allows, inconsistent fields)
//   decode(in, base)            reads one payload from the front of `in` (which may continue with
//                               further payloads); `base` is the absolute offset of in[0], used in
//                               error reports. Returns the payload, its next-payload code and size.
// All of it is constexpr, so round trips can be checked with static_assert.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "skm/mikey/wire.hpp"

namespace skm::mikey {

// ------------------------------------------------------------------------------------------
// Enumerated values (registries of RFC 3830 §6, RFC 6043 §6, RFC 6509 §4, TS 33.180 Annex E)
// ------------------------------------------------------------------------------------------

/// HDR data type (RFC 3830 Table 6.1.a, RFC 6043 Table 6.1, RFC 6509 Table 1).
enum class data_type : std::uint8_t {
  psk_init = 0,
  psk_verify = 1,
  pk_init = 2,
  pk_verify = 3,
  dh_init = 4,
  dh_resp = 5,
  error = 6,
  request_init_psk = 11,
  request_init_pk = 12,
  request_resp = 13,
  transfer_init = 14,
  transfer_resp = 15,
  resolve_init_psk = 16,
  resolve_init_pk = 17,
  resolve_resp = 18,
  sakke = 26,  // RFC 6509: Initiator's SAKKE message (I_MESSAGE)
};

[[nodiscard]] constexpr const char* name(data_type t) noexcept {
  switch (t) {
    case data_type::psk_init: return "Pre-shared";
    case data_type::psk_verify: return "PSK ver msg";
    case data_type::pk_init: return "Public key";
    case data_type::pk_verify: return "PK ver msg";
    case data_type::dh_init: return "D-H init";
    case data_type::dh_resp: return "D-H resp";
    case data_type::error: return "Error";
    case data_type::request_init_psk: return "REQUEST_INIT_PSK";
    case data_type::request_init_pk: return "REQUEST_INIT_PK";
    case data_type::request_resp: return "REQUEST_RESP";
    case data_type::transfer_init: return "TRANSFER_INIT";
    case data_type::transfer_resp: return "TRANSFER_RESP";
    case data_type::resolve_init_psk: return "RESOLVE_INIT_PSK";
    case data_type::resolve_init_pk: return "RESOLVE_INIT_PK";
    case data_type::resolve_resp: return "RESOLVE_RESP";
    case data_type::sakke: return "SAKKE msg";
  }
  return nullptr;
}

/// HDR PRF func (RFC 3830 Table 6.1.c, RFC 6043 Table 6.3). 7 bits.
enum class prf_func : std::uint8_t { mikey_1 = 0, hmac_sha_256 = 1 };

[[nodiscard]] constexpr const char* name(prf_func f) noexcept {
  switch (f) {
    case prf_func::mikey_1: return "MIKEY-1";
    case prf_func::hmac_sha_256: return "PRF-HMAC-SHA-256";
  }
  return nullptr;
}

/// HDR CS ID map type (RFC 3830 Table 6.1.d, RFC 4563 Table 3, RFC 6043 Table 6.4).
enum class cs_map_type : std::uint8_t { srtp_id = 0, empty = 1, generic_id = 2 };

[[nodiscard]] constexpr const char* name(cs_map_type m) noexcept {
  switch (m) {
    case cs_map_type::srtp_id: return "SRTP-ID";
    case cs_map_type::empty: return "Empty map";
    case cs_map_type::generic_id: return "GENERIC-ID";
  }
  return nullptr;
}

/// Security protocol (RFC 3830 Table 6.10), used by SP and GENERIC-ID.
enum class prot_type : std::uint8_t { srtp = 0 };

[[nodiscard]] constexpr const char* name(prot_type p) noexcept {
  return p == prot_type::srtp ? "SRTP" : nullptr;
}

/// T payload TS type (RFC 3830 Table 6.6, RFC 6043 Table 6.8).
enum class ts_type : std::uint8_t { ntp_utc = 0, ntp = 1, counter = 2, ntp_utc_32 = 3 };

[[nodiscard]] constexpr const char* name(ts_type t) noexcept {
  switch (t) {
    case ts_type::ntp_utc: return "NTP-UTC";
    case ts_type::ntp: return "NTP";
    case ts_type::counter: return "COUNTER";
    case ts_type::ntp_utc_32: return "NTP-UTC-32";
  }
  return nullptr;
}

/// Length in bytes of a TS value of the given type; nullopt for unknown types.
[[nodiscard]] constexpr std::optional<std::size_t> ts_value_size(ts_type t) noexcept {
  switch (t) {
    case ts_type::ntp_utc:
    case ts_type::ntp: return 8;
    case ts_type::counter:
    case ts_type::ntp_utc_32: return 4;
  }
  return std::nullopt;
}

/// ID / IDR ID type (RFC 3830 Table 6.7.a, RFC 6043 Table 6.10).
enum class id_type : std::uint8_t { nai = 0, uri = 1, byte_string = 2 };

[[nodiscard]] constexpr const char* name(id_type t) noexcept {
  switch (t) {
    case id_type::nai: return "NAI";
    case id_type::uri: return "URI";
    case id_type::byte_string: return "Byte string";
  }
  return nullptr;
}

/// IDR ID role (RFC 6043 Table 6.11, RFC 6509 Table 7, TS 33.180 E.7 for 8 and 9).
enum class id_role : std::uint8_t {
  initiator = 1,      // IDRi
  responder = 2,      // IDRr
  kms = 3,            // IDRkms
  psk = 4,            // IDRpsk
  app = 5,            // IDRapp
  initiator_kms = 6,  // IDRkmsi
  responder_kms = 7,  // IDRkmsr
  initiator_uid = 8,  // IDRuidi: the initiator's hashed identity (TS 33.180 F.2.1 UID)
  responder_uid = 9,  // IDRuidr: the responder's hashed identity
};

[[nodiscard]] constexpr const char* name(id_role r) noexcept {
  switch (r) {
    case id_role::initiator: return "IDRi";
    case id_role::responder: return "IDRr";
    case id_role::kms: return "IDRkms";
    case id_role::psk: return "IDRpsk";
    case id_role::app: return "IDRapp";
    case id_role::initiator_kms: return "IDRkmsi";
    case id_role::responder_kms: return "IDRkmsr";
    case id_role::initiator_uid: return "IDRuidi";
    case id_role::responder_uid: return "IDRuidr";
  }
  return nullptr;
}

/// SIGN S type (RFC 3830 Table 6.5, RFC 6509 Table 6). 4 bits.
enum class sign_type : std::uint8_t { rsa_pkcs1 = 0, rsa_pss = 1, eccsi = 2 };

[[nodiscard]] constexpr const char* name(sign_type t) noexcept {
  switch (t) {
    case sign_type::rsa_pkcs1: return "RSA/PKCS#1/1.5";
    case sign_type::rsa_pss: return "RSA/PSS";
    case sign_type::eccsi: return "ECCSI";
  }
  return nullptr;
}

/// SRTP policy parameter types (RFC 3830 Table 6.10.1.a and later registrations: 13 from
/// RFC 4771; 18-20 as used by the 3GPP MC profile, TS 33.180 / 33.179 Annex E).
enum class srtp_param : std::uint8_t {
  encr_alg = 0,
  session_encr_key_len = 1,
  auth_alg = 2,
  session_auth_key_len = 3,
  session_salt_key_len = 4,
  srtp_prf = 5,
  key_derivation_rate = 6,
  srtp_encryption = 7,
  srtcp_encryption = 8,
  fec_order = 9,
  srtp_authentication = 10,
  auth_tag_len = 11,
  srtp_prefix_len = 12,
  roc_transmission_rate = 13,
  srtp_auth_tag_len = 18,
  srtcp_auth_tag_len = 19,
  aead_auth_tag_len = 20,
};

[[nodiscard]] constexpr const char* name(srtp_param p) noexcept {
  switch (p) {
    case srtp_param::encr_alg: return "Encryption algorithm";
    case srtp_param::session_encr_key_len: return "Session Encr. key length";
    case srtp_param::auth_alg: return "Authentication algorithm";
    case srtp_param::session_auth_key_len: return "Session Auth. key length";
    case srtp_param::session_salt_key_len: return "Session Salt key length";
    case srtp_param::srtp_prf: return "SRTP Pseudo Random Function";
    case srtp_param::key_derivation_rate: return "Key derivation rate";
    case srtp_param::srtp_encryption: return "SRTP encryption off/on";
    case srtp_param::srtcp_encryption: return "SRTCP encryption off/on";
    case srtp_param::fec_order: return "Sender's FEC order";
    case srtp_param::srtp_authentication: return "SRTP authentication off/on";
    case srtp_param::auth_tag_len: return "Authentication tag length";
    case srtp_param::srtp_prefix_len: return "SRTP prefix length";
    case srtp_param::roc_transmission_rate: return "ROC transmission rate";
    case srtp_param::srtp_auth_tag_len: return "SRTP authentication tag length";
    case srtp_param::srtcp_auth_tag_len: return "SRTCP authentication tag length";
    case srtp_param::aead_auth_tag_len: return "AEAD authentication tag length";
  }
  return nullptr;
}

/// Names of SRTP policy values where the specifications define them: RFC 3830 Tables
/// 6.10.1.b-e, plus AES-GCM (encryption 6) and RCCm3 (authentication 4) as the 3GPP profile
/// uses them. nullptr when unknown.
[[nodiscard]] constexpr const char* srtp_value_name(srtp_param type, std::uint8_t v) noexcept {
  switch (type) {
    case srtp_param::encr_alg:
      return v == 0 ? "NULL" : v == 1 ? "AES-CM" : v == 2 ? "AES-F8" : v == 6 ? "AES-GCM" : nullptr;
    case srtp_param::auth_alg:
      return v == 0 ? "NULL" : v == 1 ? "HMAC-SHA-1" : v == 4 ? "RCCm3" : nullptr;
    case srtp_param::srtp_prf: return v == 0 ? "AES-CM" : nullptr;
    case srtp_param::fec_order: return v == 0 ? "FEC-SRTP" : nullptr;
    case srtp_param::srtp_encryption:
    case srtp_param::srtcp_encryption:
    case srtp_param::srtp_authentication: return v == 0 ? "off" : v == 1 ? "on" : nullptr;
    default: break;
  }
  return nullptr;
}

/// General Extension type (RFC 3830 Table 6.15, RFC 4563, RFC 5410, TS 33.180 E.5 / E.6).
enum class ext_type : std::uint8_t {
  vendor_id = 0,
  sdp_ids = 1,
  key_id = 3,          // RFC 4563
  oma_bcast = 5,       // RFC 5410
  sakke_to_self = 6,   // TS 33.180 E.5: the data is a complete SAKKE payload
  key_parameters = 7,  // TS 33.180 E.6: protected key parameters (opaque here)
};

[[nodiscard]] constexpr const char* name(ext_type t) noexcept {
  switch (t) {
    case ext_type::vendor_id: return "Vendor ID";
    case ext_type::sdp_ids: return "SDP IDs";
    case ext_type::key_id: return "Key ID";
    case ext_type::oma_bcast: return "OMA BCAST";
    case ext_type::sakke_to_self: return "SAKKE-to-self";
    case ext_type::key_parameters: return "3GPP key parameters";
  }
  return nullptr;
}

/// KEMAC MAC alg / V auth alg (RFC 3830 Table 6.2.b, RFC 6043 Table 6.6).
enum class mac_alg : std::uint8_t { null = 0, hmac_sha_1_160 = 1, hmac_sha_256_256 = 2 };

[[nodiscard]] constexpr const char* name(mac_alg a) noexcept {
  switch (a) {
    case mac_alg::null: return "NULL";
    case mac_alg::hmac_sha_1_160: return "HMAC-SHA-1-160";
    case mac_alg::hmac_sha_256_256: return "HMAC-SHA-256-256";
  }
  return nullptr;
}

/// The MAC length is implicit in the algorithm; nullopt for algorithms this codec does not know.
[[nodiscard]] constexpr std::optional<std::size_t> mac_size(mac_alg a) noexcept {
  switch (a) {
    case mac_alg::null: return 0;
    case mac_alg::hmac_sha_1_160: return 20;
    case mac_alg::hmac_sha_256_256: return 32;
  }
  return std::nullopt;
}

/// KEMAC Encr alg (RFC 3830 Table 6.2.a, RFC 6043 Table 6.5).
enum class encr_alg : std::uint8_t { null = 0, aes_cm_128 = 1, aes_kw_128 = 2, aes_cm_256 = 3 };

[[nodiscard]] constexpr const char* name(encr_alg a) noexcept {
  switch (a) {
    case encr_alg::null: return "NULL";
    case encr_alg::aes_cm_128: return "AES-CM-128";
    case encr_alg::aes_kw_128: return "AES-KW-128";
    case encr_alg::aes_cm_256: return "AES-CM-256";
  }
  return nullptr;
}

/// ERR Error no (RFC 3830 Table 6.12).
[[nodiscard]] constexpr const char* error_no_name(std::uint8_t n) noexcept {
  constexpr const char* names[] = {"Auth failure",     "Invalid TS", "Invalid PRF",   "Invalid MAC",
                                   "Invalid EA",       "Invalid HA", "Invalid DH",    "Invalid ID",
                                   "Invalid Cert",     "Invalid SP", "Invalid SPpar", "Invalid DT",
                                   "Unspecified error"};
  return n < 13 ? names[n] : nullptr;
}

namespace detail {

/// A fixed-size field, for naming the first one that a short input cuts.
struct field {
  std::size_t size;
  const char* name;
};

/// Checks that the fixed fields fit in what remains; otherwise names the first that does not.
template <std::size_t N>
[[nodiscard]] constexpr std::optional<unexpected<error>> need(const cursor& c,
                                                              const field (&fields)[N]) noexcept {
  std::size_t end = 0;
  for (const auto& f : fields) {
    if (!c.has(end + f.size)) return c.fail_at(errc::truncated, f.name, c.pos + end);
    end += f.size;
  }
  return std::nullopt;
}

template <class P>
[[nodiscard]] constexpr std::optional<unexpected<error>> check_capacity(mutable_bytes out,
                                                                        std::size_t size) noexcept {
  if (out.size() < size) return encode_error(errc::buffer_too_small, P::label, "");
  return std::nullopt;
}

}  // namespace detail

// ------------------------------------------------------------------------------------------
// CS ID map entries (inside HDR)
// ------------------------------------------------------------------------------------------

/// SRTP-ID map entry (RFC 3830 §6.1.1); #CS of them make up the map info.
///
///   ! Policy_no_i   ! SSRC_i (32 bits)                              !
///   ! SSRC_i (cont) ! ROC_i (32 bits)                               !
///   ! ROC_i (cont)  !
struct srtp_id_entry {
  static constexpr const char* label = "HDR";
  std::uint8_t policy_no = 0;
  std::uint32_t ssrc = 0;
  std::uint32_t roc = 0;

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept { return 9; }
  [[nodiscard]] constexpr std::optional<unexpected<error>> check() const noexcept {
    return std::nullopt;
  }
  constexpr void write(detail::writer& w) const noexcept {
    w.u8(policy_no);
    w.u32(ssrc);
    w.u32(roc);
  }
  [[nodiscard]] static constexpr result<srtp_id_entry> read(detail::cursor& c) noexcept {
    constexpr detail::field fields[] = {{1, "Policy_no"}, {4, "SSRC"}, {4, "ROC"}};
    if (auto e = detail::need(c, fields)) return *e;
    srtp_id_entry r;
    r.policy_no = c.u8();
    r.ssrc = c.u32();
    r.roc = c.u32();
    return r;
  }
  friend constexpr bool operator==(const srtp_id_entry&, const srtp_id_entry&) = default;
};

/// GENERIC-ID map entry (RFC 6043 §6.1.1).
///
///   !     CS ID     !   Prot type   !S!     #P      ! Ps (OPTIONAL) ~
///   !      Session Data Length      !    Session Data (OPTIONAL)    ~
///   !  SPI Length   !                SPI (OPTIONAL)                 ~
///
/// For Prot type SRTP the Session Data is SSRC(32) [ROC(32) SEQ(16) when S = 1], or empty.
struct generic_id_entry {
  static constexpr const char* label = "HDR";
  std::uint8_t cs_id = 0;
  prot_type prot = prot_type::srtp;
  bool s = false;
  bytes_view policies{};      // #P policy numbers, one byte each (#P <= 127)
  bytes_view session_data{};  // <= 65535 bytes
  bytes_view spi{};           // SPI / MKI, <= 255 bytes

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept {
    return 3 + policies.size() + 2 + session_data.size() + 1 + spi.size();
  }

  /// SRTP session data must be empty, SSRC (S = 0) or SSRC||ROC||SEQ (S = 1).
  [[nodiscard]] static constexpr bool srtp_session_data_ok(bool s, std::size_t len) noexcept {
    return len == 0 || len == (s ? 10u : 4u);
  }

  [[nodiscard]] constexpr std::optional<unexpected<error>> check() const noexcept {
    if (policies.size() > 127) return detail::encode_error(errc::field_too_long, label, "#P");
    if (session_data.size() > 0xFFFF)
      return detail::encode_error(errc::field_too_long, label, "Session Data");
    if (spi.size() > 0xFF) return detail::encode_error(errc::field_too_long, label, "SPI");
    if (prot == prot_type::srtp && !srtp_session_data_ok(s, session_data.size()))
      return detail::encode_error(errc::invalid_value, label, "Session Data Length");
    return std::nullopt;
  }
  constexpr void write(detail::writer& w) const noexcept {
    w.u8(cs_id);
    w.u8(static_cast<std::uint8_t>(prot));
    w.u8(static_cast<std::uint8_t>((s ? 0x80 : 0) | policies.size()));
    w.put(policies);
    w.u16(static_cast<std::uint16_t>(session_data.size()));
    w.put(session_data);
    w.u8(static_cast<std::uint8_t>(spi.size()));
    w.put(spi);
  }
  [[nodiscard]] static constexpr result<generic_id_entry> read(detail::cursor& c) noexcept {
    constexpr detail::field head[] = {{1, "CS ID"}, {1, "Prot type"}, {1, "S/#P"}};
    if (auto e = detail::need(c, head)) return *e;
    generic_id_entry r;
    r.cs_id = c.u8();
    r.prot = static_cast<prot_type>(c.u8());
    const auto sp = c.u8();
    r.s = (sp & 0x80) != 0;
    const std::size_t n_policies = sp & 0x7F;
    if (!c.has(n_policies)) return c.truncated("Ps");
    r.policies = c.take(n_policies);
    constexpr detail::field len_field[] = {{2, "Session Data Length"}};
    if (auto e = detail::need(c, len_field)) return *e;
    const auto len_at = c.pos;
    const std::size_t sd_len = c.u16();
    if (r.prot == prot_type::srtp && !srtp_session_data_ok(r.s, sd_len))
      return c.fail_at(errc::invalid_value, "Session Data Length", len_at);
    if (!c.has(sd_len)) return c.truncated("Session Data");
    r.session_data = c.take(sd_len);
    constexpr detail::field spi_field[] = {{1, "SPI Length"}};
    if (auto e = detail::need(c, spi_field)) return *e;
    const std::size_t spi_len = c.u8();
    if (!c.has(spi_len)) return c.truncated("SPI");
    r.spi = c.take(spi_len);
    return r;
  }

  /// SRTP session data fields (meaningful when prot == srtp and the data is present).
  [[nodiscard]] constexpr std::uint32_t ssrc() const noexcept {
    detail::cursor c{session_data};
    return c.has(4) ? c.u32() : 0;
  }
  [[nodiscard]] constexpr std::optional<std::uint32_t> roc() const noexcept {
    if (session_data.size() != 10) return std::nullopt;
    detail::cursor c{session_data.subspan(4)};
    return c.u32();
  }
  [[nodiscard]] constexpr std::optional<std::uint16_t> seq() const noexcept {
    if (session_data.size() != 10) return std::nullopt;
    detail::cursor c{session_data.subspan(8)};
    return c.u16();
  }

  friend constexpr bool operator==(const generic_id_entry& a, const generic_id_entry& b) noexcept {
    return a.cs_id == b.cs_id && a.prot == b.prot && a.s == b.s &&
           detail::equal(a.policies, b.policies) && detail::equal(a.session_data, b.session_data) &&
           detail::equal(a.spi, b.spi);
  }
};

/// Iterates over `count` entries already validated in `bytes` (map info, SP params, ...).
template <class Entry>
class entry_range {
 public:
  constexpr entry_range() noexcept = default;
  constexpr entry_range(bytes_view bytes, std::size_t count) noexcept
      : bytes_(bytes), count_(count) {}

  struct sentinel {};
  class iterator {
   public:
    constexpr iterator(bytes_view rest, std::size_t left) noexcept : rest_(rest), left_(left) {}
    [[nodiscard]] constexpr Entry operator*() const {
      detail::cursor c{rest_};
      return Entry::read(c).value();
    }
    constexpr iterator& operator++() {
      detail::cursor c{rest_};
      (void)Entry::read(c).value();
      rest_ = rest_.subspan(c.pos);
      --left_;
      return *this;
    }
    [[nodiscard]] constexpr bool operator==(sentinel) const noexcept { return left_ == 0; }

   private:
    bytes_view rest_;
    std::size_t left_;
  };

  [[nodiscard]] constexpr iterator begin() const noexcept { return {bytes_, count_}; }
  [[nodiscard]] constexpr sentinel end() const noexcept { return {}; }
  [[nodiscard]] constexpr std::size_t size() const noexcept { return count_; }
  [[nodiscard]] constexpr Entry operator[](std::size_t i) const {
    auto it = begin();
    for (std::size_t k = 0; k < i; ++k) ++it;
    return *it;
  }

 private:
  bytes_view bytes_{};
  std::size_t count_ = 0;
};

/// How many well-formed entries (at most `limit`) start `bytes`. Decoded payloads are always
/// well formed; this keeps the accessors total for hand-made, inconsistent ones too.
template <class Entry>
[[nodiscard]] constexpr std::size_t count_valid(bytes_view bytes, std::size_t limit) noexcept {
  detail::cursor c{bytes};
  std::size_t n = 0;
  while (n < limit && c.remaining() != 0 && Entry::read(c).has_value()) ++n;
  return n;
}

/// Total encoded size of a list of entries (map entries, SP parameters).
template <class Entry>
[[nodiscard]] constexpr std::size_t list_size(std::span<const Entry> entries) noexcept {
  std::size_t n = 0;
  for (const auto& e : entries) n += e.encoded_size();
  return n;
}

/// Writes a list of entries back to back; returns the number of bytes written.
template <class Entry>
[[nodiscard]] constexpr result<std::size_t> encode_list(std::span<const Entry> entries,
                                                        mutable_bytes out) noexcept {
  for (const auto& e : entries)
    if (auto err = e.check()) return *err;
  const auto size = list_size(entries);
  if (out.size() < size) return detail::encode_error(errc::buffer_too_small, Entry::label, "");
  detail::writer w{out};
  for (const auto& e : entries) e.write(w);
  return w.pos;
}

// ------------------------------------------------------------------------------------------
// HDR: Common Header payload (RFC 3830 §6.1, RFC 6043 §6.1, RFC 6509 §4.1)
// ------------------------------------------------------------------------------------------

///    0                   1                   2                   3
///    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///   !  version      !  data type    ! next payload  !V! PRF func    !
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///   !                         CSB ID                                !
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///   ! #CS           ! CS ID map type! CS ID map info                ~
///   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
///
/// `map_info` holds the map exactly as on the wire: #CS SRTP-ID entries (map type 0), nothing
/// (map type 1, "empty map", #CS must be 0) or #CS GENERIC-ID entries (map type 2). Build it with
/// encode_list(); read it with srtp_ids() / generic_ids().
struct hdr_payload {
  static constexpr payload_type kind = payload_type::hdr;
  static constexpr const char* label = "HDR";
  static constexpr std::size_t fixed_size = 10;

  std::uint8_t version = 1;
  mikey::data_type data_type = mikey::data_type::sakke;
  bool v = false;
  prf_func prf = prf_func::hmac_sha_256;
  std::uint32_t csb_id = 0;
  std::uint8_t cs_count = 0;
  cs_map_type map_type = cs_map_type::empty;
  bytes_view map_info{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept {
    return fixed_size + map_info.size();
  }

  /// Checks that `map_info` holds exactly #CS entries of the map type (errors at map offsets).
  [[nodiscard]] static constexpr std::optional<unexpected<error>> check_map(
      cs_map_type type, std::size_t count, bytes_view info, std::size_t base) noexcept {
    detail::cursor c{info, base, label};
    switch (type) {
      case cs_map_type::srtp_id:
        for (std::size_t i = 0; i < count; ++i)
          if (auto r = srtp_id_entry::read(c); !r) return unexpected<error>{r.error()};
        break;
      case cs_map_type::empty:
        if (count != 0)
          return unexpected<error>{error{errc::invalid_value, label, "#CS", base - 2}};
        break;
      case cs_map_type::generic_id:
        for (std::size_t i = 0; i < count; ++i)
          if (auto r = generic_id_entry::read(c); !r) return unexpected<error>{r.error()};
        break;
      default:
        return unexpected<error>{error{errc::unsupported_value, label, "CS ID map type", base - 1}};
    }
    if (c.remaining() != 0) return c.fail(errc::length_mismatch, "CS ID map info");
    return std::nullopt;
  }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    if (version != 1) return detail::encode_error(errc::bad_version, label, "version");
    if (static_cast<std::uint8_t>(prf) > 0x7F)
      return detail::encode_error(errc::invalid_value, label, "PRF func");
    if (auto e = check_map(map_type, cs_count, map_info, fixed_size)) {
      auto err = e->error;
      err.offset = 0;
      return unexpected<error>{err};
    }
    if (auto e = detail::check_capacity<hdr_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(version);
    w.u8(static_cast<std::uint8_t>(data_type));
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(static_cast<std::uint8_t>((v ? 0x80 : 0) | static_cast<std::uint8_t>(prf)));
    w.u32(csb_id);
    w.u8(cs_count);
    w.u8(static_cast<std::uint8_t>(map_type));
    w.put(map_info);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<hdr_payload>> decode(
      bytes_view in, std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {{1, "version"},       {1, "data type"}, {1, "next payload"},
                                        {1, "V/PRF func"},    {4, "CSB ID"},    {1, "#CS"},
                                        {1, "CS ID map type"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<hdr_payload> d;
    auto& h = d.payload;
    h.version = c.u8();
    if (h.version != 1) return c.fail_at(errc::bad_version, "version", 0);
    h.data_type = static_cast<mikey::data_type>(c.u8());
    d.next = static_cast<payload_type>(c.u8());
    const auto vprf = c.u8();
    h.v = (vprf & 0x80) != 0;
    h.prf = static_cast<prf_func>(vprf & 0x7F);
    h.csb_id = c.u32();
    h.cs_count = c.u8();
    h.map_type = static_cast<cs_map_type>(c.u8());
    // Walk the map to find its length (it has no length field of its own).
    const auto start = c.pos;
    switch (h.map_type) {
      case cs_map_type::srtp_id:
        for (std::size_t i = 0; i < h.cs_count; ++i)
          if (auto r = srtp_id_entry::read(c); !r) return unexpected<error>{r.error()};
        break;
      case cs_map_type::empty:
        if (h.cs_count != 0) return c.fail_at(errc::invalid_value, "#CS", 8);
        break;
      case cs_map_type::generic_id:
        for (std::size_t i = 0; i < h.cs_count; ++i)
          if (auto r = generic_id_entry::read(c); !r) return unexpected<error>{r.error()};
        break;
      default: return c.fail_at(errc::unsupported_value, "CS ID map type", 9);
    }
    h.map_info = in.subspan(start, c.pos - start);
    d.size = c.pos;
    return d;
  }

  [[nodiscard]] constexpr entry_range<srtp_id_entry> srtp_ids() const noexcept {
    if (map_type != cs_map_type::srtp_id) return {};
    return {map_info, count_valid<srtp_id_entry>(map_info, cs_count)};
  }
  [[nodiscard]] constexpr entry_range<generic_id_entry> generic_ids() const noexcept {
    if (map_type != cs_map_type::generic_id) return {};
    return {map_info, count_valid<generic_id_entry>(map_info, cs_count)};
  }

  friend constexpr bool operator==(const hdr_payload& a, const hdr_payload& b) noexcept {
    return a.version == b.version && a.data_type == b.data_type && a.v == b.v && a.prf == b.prf &&
           a.csb_id == b.csb_id && a.cs_count == b.cs_count && a.map_type == b.map_type &&
           detail::equal(a.map_info, b.map_info);
  }
};

// ------------------------------------------------------------------------------------------
// T: Timestamp payload (RFC 3830 §6.6, RFC 6043 §6.3)
// ------------------------------------------------------------------------------------------

///   ! Next Payload  !   TS type     ! TS value                      ~
///
/// NTP-UTC and NTP: 64 bits (32.32 fixed point seconds since 1900); COUNTER and NTP-UTC-32: 32.
struct t_payload {
  static constexpr payload_type kind = payload_type::t;
  static constexpr const char* label = "T";

  ts_type type = ts_type::ntp_utc;
  std::uint64_t value = 0;

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept {
    return 2 + ts_value_size(type).value_or(0);
  }

  /// Whole seconds of an NTP / NTP-UTC value (the upper 32 bits), or of NTP-UTC-32.
  [[nodiscard]] constexpr std::uint32_t ntp_seconds() const noexcept {
    return type == ts_type::ntp_utc_32 ? static_cast<std::uint32_t>(value)
                                       : static_cast<std::uint32_t>(value >> 32);
  }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    const auto len = ts_value_size(type);
    if (!len) return detail::encode_error(errc::unsupported_value, label, "TS type");
    if (*len == 4 && value > 0xFFFFFFFFu)
      return detail::encode_error(errc::field_too_long, label, "TS value");
    if (auto e = detail::check_capacity<t_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(static_cast<std::uint8_t>(type));
    if (*len == 8)
      w.u64(value);
    else
      w.u32(static_cast<std::uint32_t>(value));
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<t_payload>> decode(bytes_view in,
                                                                   std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {{1, "next payload"}, {1, "TS type"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<t_payload> d;
    d.next = static_cast<payload_type>(c.u8());
    d.payload.type = static_cast<ts_type>(c.u8());
    const auto len = ts_value_size(d.payload.type);
    if (!len) return c.fail_at(errc::unsupported_value, "TS type", 1);
    if (!c.has(*len)) return c.truncated("TS value");
    d.payload.value = *len == 8 ? c.u64() : c.u32();
    d.size = c.pos;
    return d;
  }

  friend constexpr bool operator==(const t_payload&, const t_payload&) = default;
};

// ------------------------------------------------------------------------------------------
// RAND payload (RFC 3830 §6.11)
// ------------------------------------------------------------------------------------------

///   ! Next payload  ! RAND len      ! RAND                          ~
///
/// RAND len is 1..255 here (the RFC asks for at least 16; an empty RAND is rejected).
struct rand_payload {
  static constexpr payload_type kind = payload_type::rand;
  static constexpr const char* label = "RAND";

  bytes_view rand{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept { return 2 + rand.size(); }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    if (rand.empty()) return detail::encode_error(errc::invalid_value, label, "RAND len");
    if (rand.size() > 0xFF) return detail::encode_error(errc::field_too_long, label, "RAND");
    if (auto e = detail::check_capacity<rand_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(static_cast<std::uint8_t>(rand.size()));
    w.put(rand);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<rand_payload>> decode(
      bytes_view in, std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {{1, "next payload"}, {1, "RAND len"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<rand_payload> d;
    d.next = static_cast<payload_type>(c.u8());
    const std::size_t len = c.u8();
    if (len == 0) return c.fail_at(errc::invalid_value, "RAND len", 1);
    if (!c.has(len)) return c.truncated("RAND");
    d.payload.rand = c.take(len);
    d.size = c.pos;
    return d;
  }

  friend constexpr bool operator==(const rand_payload& a, const rand_payload& b) noexcept {
    return detail::equal(a.rand, b.rand);
  }
};

// ------------------------------------------------------------------------------------------
// ID and CERT payloads (RFC 3830 §6.7, RFC 6043 §6.5)
// ------------------------------------------------------------------------------------------

///   !  Next Payload ! ID/Cert Type  ! ID/Cert len                   !
///   !                       ID/Certificate Data                     ~
///
/// One layout, two payload codes: ID (6; type = NAI 0, URI 1, byte string 2) and CERT (7; type
/// = X.509v3 0, URL 1, Sign 2, Encr 3).
template <payload_type Kind>
struct basic_id_payload {
  static constexpr payload_type kind = Kind;
  static constexpr const char* label = Kind == payload_type::id ? "ID" : "CERT";

  std::uint8_t type = 0;
  bytes_view data{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept { return 4 + data.size(); }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    if (data.size() > 0xFFFF) return detail::encode_error(errc::field_too_long, label, "data");
    if (auto e = detail::check_capacity<basic_id_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(type);
    w.u16(static_cast<std::uint16_t>(data.size()));
    w.put(data);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<basic_id_payload>> decode(
      bytes_view in, std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {{1, "next payload"}, {1, "type"}, {2, "len"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<basic_id_payload> d;
    d.next = static_cast<payload_type>(c.u8());
    d.payload.type = c.u8();
    const std::size_t len = c.u16();
    if (!c.has(len)) return c.truncated("data");
    d.payload.data = c.take(len);
    d.size = c.pos;
    return d;
  }

  friend constexpr bool operator==(const basic_id_payload& a, const basic_id_payload& b) noexcept {
    return a.type == b.type && detail::equal(a.data, b.data);
  }
};

using id_payload = basic_id_payload<payload_type::id>;
using cert_payload = basic_id_payload<payload_type::cert>;

// ------------------------------------------------------------------------------------------
// IDR: ID payload with role indicator (RFC 6043 §6.6, RFC 6509 §4.4, TS 33.180 E.7)
// ------------------------------------------------------------------------------------------

///   ! Next Payload  !    ID Role    !    ID Type    !     ID len
///     ID len (cont) !                    ID Data                    ~
///
/// The 3GPP hashed roles 8/9 carry the 32-byte UID; deployed products label it URI (type 1).
struct idr_payload {
  static constexpr payload_type kind = payload_type::idr;
  static constexpr const char* label = "IDR";

  id_role role = id_role::initiator;
  mikey::id_type type = id_type::uri;
  bytes_view data{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept { return 5 + data.size(); }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    if (data.size() > 0xFFFF) return detail::encode_error(errc::field_too_long, label, "ID Data");
    if (auto e = detail::check_capacity<idr_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(static_cast<std::uint8_t>(role));
    w.u8(static_cast<std::uint8_t>(type));
    w.u16(static_cast<std::uint16_t>(data.size()));
    w.put(data);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<idr_payload>> decode(
      bytes_view in, std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {
        {1, "next payload"}, {1, "ID Role"}, {1, "ID Type"}, {2, "ID len"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<idr_payload> d;
    d.next = static_cast<payload_type>(c.u8());
    d.payload.role = static_cast<id_role>(c.u8());
    d.payload.type = static_cast<mikey::id_type>(c.u8());
    const std::size_t len = c.u16();
    if (!c.has(len)) return c.truncated("ID Data");
    d.payload.data = c.take(len);
    d.size = c.pos;
    return d;
  }

  friend constexpr bool operator==(const idr_payload& a, const idr_payload& b) noexcept {
    return a.role == b.role && a.type == b.type && detail::equal(a.data, b.data);
  }
};

// ------------------------------------------------------------------------------------------
// SP: Security Policy payload (RFC 3830 §6.10, §6.10.1)
// ------------------------------------------------------------------------------------------

/// One policy parameter:
///   ! Type          ! Length        ! Value                         ~
struct sp_param {
  static constexpr const char* label = "SP";
  std::uint8_t type = 0;
  bytes_view value{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept { return 2 + value.size(); }
  [[nodiscard]] constexpr std::optional<unexpected<error>> check() const noexcept {
    if (value.size() > 0xFF) return detail::encode_error(errc::field_too_long, label, "Value");
    return std::nullopt;
  }
  constexpr void write(detail::writer& w) const noexcept {
    w.u8(type);
    w.u8(static_cast<std::uint8_t>(value.size()));
    w.put(value);
  }
  [[nodiscard]] static constexpr result<sp_param> read(detail::cursor& c) noexcept {
    // A parameter cut by the end of the param block is a length mismatch, not a short message:
    // the message-level length was already checked.
    if (!c.has(2)) return c.fail(errc::length_mismatch, "Policy param");
    sp_param p;
    p.type = c.u8();
    const std::size_t len = c.u8();
    if (!c.has(len)) return c.fail_at(errc::length_mismatch, "Policy param", c.pos - 1);
    p.value = c.take(len);
    return p;
  }
  /// The value as an integer when it is one byte long (all SRTP parameters in practice).
  [[nodiscard]] constexpr std::optional<std::uint8_t> byte_value() const noexcept {
    if (value.size() != 1) return std::nullopt;
    return value[0];
  }
  friend constexpr bool operator==(const sp_param& a, const sp_param& b) noexcept {
    return a.type == b.type && detail::equal(a.value, b.value);
  }
};

///   ! Next payload  ! Policy no     ! Prot type     ! Policy param  ~
///   ~ length (cont) ! Policy param                                  ~
///
/// `params` holds the TLV list exactly as on the wire; build it with encode_list(), read it with
/// parameters().
struct sp_payload {
  static constexpr payload_type kind = payload_type::sp;
  static constexpr const char* label = "SP";

  std::uint8_t policy_no = 0;
  prot_type prot = prot_type::srtp;
  bytes_view params{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept { return 5 + params.size(); }

  /// Counts the TLVs of a param block, or reports where they stop fitting.
  [[nodiscard]] static constexpr result<std::size_t> count_params(bytes_view params,
                                                                  std::size_t base) noexcept {
    detail::cursor c{params, base, label};
    std::size_t n = 0;
    while (c.remaining() != 0) {
      if (auto r = sp_param::read(c); !r) return unexpected<error>{r.error()};
      ++n;
    }
    return n;
  }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    if (params.size() > 0xFFFF)
      return detail::encode_error(errc::field_too_long, label, "Policy param");
    if (auto n = count_params(params, 0); !n) {
      auto err = n.error();
      err.offset = 0;
      return unexpected<error>{err};
    }
    if (auto e = detail::check_capacity<sp_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(policy_no);
    w.u8(static_cast<std::uint8_t>(prot));
    w.u16(static_cast<std::uint16_t>(params.size()));
    w.put(params);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<sp_payload>> decode(bytes_view in,
                                                                    std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {
        {1, "next payload"}, {1, "Policy no"}, {1, "Prot type"}, {2, "Policy param length"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<sp_payload> d;
    d.next = static_cast<payload_type>(c.u8());
    d.payload.policy_no = c.u8();
    d.payload.prot = static_cast<prot_type>(c.u8());
    const std::size_t len = c.u16();
    if (!c.has(len)) return c.truncated("Policy param");
    const auto params_at = c.where();
    d.payload.params = c.take(len);
    if (auto n = count_params(d.payload.params, params_at); !n) return unexpected<error>{n.error()};
    d.size = c.pos;
    return d;
  }

  [[nodiscard]] constexpr entry_range<sp_param> parameters() const noexcept {
    return {params, count_valid<sp_param>(params, params.size())};
  }
  /// The first parameter of the given type, if present.
  [[nodiscard]] constexpr std::optional<sp_param> find(std::uint8_t type) const noexcept {
    for (const auto p : parameters())
      if (p.type == type) return p;
    return std::nullopt;
  }
  [[nodiscard]] constexpr std::optional<sp_param> find(srtp_param type) const noexcept {
    return find(static_cast<std::uint8_t>(type));
  }

  friend constexpr bool operator==(const sp_payload& a, const sp_payload& b) noexcept {
    return a.policy_no == b.policy_no && a.prot == b.prot && detail::equal(a.params, b.params);
  }
};

// ------------------------------------------------------------------------------------------
// SAKKE payload (RFC 6509 §4.2)
// ------------------------------------------------------------------------------------------

///   ! Next payload  ! SAKKE params  !   ID scheme   !  SAKKE data   ~
///   ~ length (cont) !                  SAKKE data                   ~
///
/// SAKKE params 1 = RFC 6509 parameter set 1; ID scheme 1 = tel URI with monthly keys (RFC 6509),
/// 2 = the 3GPP MCX hashed UID scheme as deployed. SAKKE data = R_(b,S) || H (opaque here).
struct sakke_payload {
  static constexpr payload_type kind = payload_type::sakke;
  static constexpr const char* label = "SAKKE";

  std::uint8_t params = 1;
  std::uint8_t id_scheme = 1;
  bytes_view data{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept { return 5 + data.size(); }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    if (data.size() > 0xFFFF)
      return detail::encode_error(errc::field_too_long, label, "SAKKE data");
    if (auto e = detail::check_capacity<sakke_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(params);
    w.u8(id_scheme);
    w.u16(static_cast<std::uint16_t>(data.size()));
    w.put(data);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<sakke_payload>> decode(
      bytes_view in, std::size_t base = 0, const char* label_override = label) noexcept {
    detail::cursor c{in, base, label_override};
    constexpr detail::field fields[] = {
        {1, "next payload"}, {1, "SAKKE params"}, {1, "ID scheme"}, {2, "SAKKE data length"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<sakke_payload> d;
    d.next = static_cast<payload_type>(c.u8());
    d.payload.params = c.u8();
    d.payload.id_scheme = c.u8();
    const std::size_t len = c.u16();
    if (!c.has(len)) return c.truncated("SAKKE data");
    d.payload.data = c.take(len);
    d.size = c.pos;
    return d;
  }

  friend constexpr bool operator==(const sakke_payload& a, const sakke_payload& b) noexcept {
    return a.params == b.params && a.id_scheme == b.id_scheme && detail::equal(a.data, b.data);
  }
};

// ------------------------------------------------------------------------------------------
// SIGN: Signature payload (RFC 3830 §6.5, RFC 6509 §4.3)
// ------------------------------------------------------------------------------------------

///   ! S type| Signature len         ! Signature                     ~
///
/// No next-payload field: SIGN is always last. S type is 4 bits, Signature len 12 bits (so at
/// most 4095 bytes). An ECCSI signature is r(32) || s(32) || PVT(65) = 129 bytes.
struct sign_payload {
  static constexpr payload_type kind = payload_type::sign;
  static constexpr const char* label = "SIGN";
  static constexpr std::size_t header_size = 2;
  static constexpr std::size_t max_signature_size = 0xFFF;

  sign_type type = sign_type::eccsi;
  bytes_view signature{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept {
    return header_size + signature.size();
  }

  /// Writes only the 2-byte header (the signature covers it, RFC 3830 §5.2).
  [[nodiscard]] static constexpr result<std::size_t> encode_header(
      mutable_bytes out, sign_type type, std::size_t signature_size) noexcept {
    if (static_cast<std::uint8_t>(type) > 0xF)
      return detail::encode_error(errc::invalid_value, label, "S type");
    if (signature_size > max_signature_size)
      return detail::encode_error(errc::field_too_long, label, "Signature");
    if (out.size() < header_size) return detail::encode_error(errc::buffer_too_small, label, "");
    detail::writer w{out};
    w.u16(static_cast<std::uint16_t>((static_cast<unsigned>(type) << 12) | signature_size));
    return w.pos;
  }

  /// `next` is ignored: SIGN has no next-payload field (it is accepted for a uniform interface).
  [[nodiscard]] constexpr result<std::size_t> encode(
      mutable_bytes out, payload_type /*next*/ = payload_type::last) const noexcept {
    if (auto h = encode_header(out, type, signature.size()); !h) return h;
    if (auto e = detail::check_capacity<sign_payload>(out, encoded_size())) return *e;
    detail::writer w{out, header_size};
    w.put(signature);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<sign_payload>> decode(
      bytes_view in, std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {{2, "S type/Signature len"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<sign_payload> d;
    const auto h = c.u16();
    d.payload.type = static_cast<sign_type>(h >> 12);
    const std::size_t len = h & 0xFFF;
    if (!c.has(len)) return c.truncated("Signature");
    d.payload.signature = c.take(len);
    d.next = payload_type::last;
    d.size = c.pos;
    return d;
  }

  friend constexpr bool operator==(const sign_payload& a, const sign_payload& b) noexcept {
    return a.type == b.type && detail::equal(a.signature, b.signature);
  }
};

// ------------------------------------------------------------------------------------------
// General Extension payload (RFC 3830 §6.15; 3GPP types 6 and 7, TS 33.180 E.5 / E.6)
// ------------------------------------------------------------------------------------------

///   ! Next payload  ! Type          ! Length                        !
///   ! Data                                                          ~
///
/// Type 6 (SAKKE-to-self): Data is a complete SAKKE payload (its own next-payload byte is set to
/// 0 by the sender and ignored); the decoder checks that it fills Data exactly.
/// Type 7 (3GPP key parameters): Data is an AES-GCM protected payload, opaque at this layer.
struct general_ext_payload {
  static constexpr payload_type kind = payload_type::general_ext;
  static constexpr const char* label = "General Extension";

  ext_type type = ext_type::vendor_id;
  bytes_view data{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept { return 4 + data.size(); }

  /// The embedded SAKKE payload of a SAKKE-to-self extension (errors at offsets inside Data).
  [[nodiscard]] constexpr result<sakke_payload> sakke_to_self(
      std::size_t data_base = 0) const noexcept {
    if (type != ext_type::sakke_to_self)
      return unexpected<error>{error{errc::invalid_value, label, "Type", data_base}};
    auto d = sakke_payload::decode(data, data_base, "SAKKE-to-self");
    if (!d) return unexpected<error>{d.error()};
    if (d->size != data.size())
      return unexpected<error>{
          error{errc::length_mismatch, "SAKKE-to-self", "SAKKE data length", data_base + 3}};
    return d->payload;
  }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    if (data.size() > 0xFFFF) return detail::encode_error(errc::field_too_long, label, "Data");
    if (type == ext_type::sakke_to_self) {
      if (auto s = sakke_to_self(); !s) {
        auto err = s.error();
        err.offset = 0;
        return unexpected<error>{err};
      }
    }
    if (auto e = detail::check_capacity<general_ext_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(static_cast<std::uint8_t>(type));
    w.u16(static_cast<std::uint16_t>(data.size()));
    w.put(data);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<general_ext_payload>> decode(
      bytes_view in, std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {{1, "next payload"}, {1, "Type"}, {2, "Length"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<general_ext_payload> d;
    d.next = static_cast<payload_type>(c.u8());
    d.payload.type = static_cast<ext_type>(c.u8());
    const std::size_t len = c.u16();
    if (!c.has(len)) return c.truncated("Data");
    const auto data_at = c.where();
    d.payload.data = c.take(len);
    if (d.payload.type == ext_type::sakke_to_self)
      if (auto s = d.payload.sakke_to_self(data_at); !s) return unexpected<error>{s.error()};
    d.size = c.pos;
    return d;
  }

  friend constexpr bool operator==(const general_ext_payload& a,
                                   const general_ext_payload& b) noexcept {
    return a.type == b.type && detail::equal(a.data, b.data);
  }
};

// ------------------------------------------------------------------------------------------
// KEMAC: Key data transport payload (RFC 3830 §6.2, RFC 6043 §6.2)
// ------------------------------------------------------------------------------------------

///   ! Next payload  ! Encr alg      ! Encr data len                 !
///   !                        Encr data                              ~
///   ! Mac alg       !        MAC                                    ~
///
/// The MAC length is implied by Mac alg (NULL 0, HMAC-SHA-1-160 20, HMAC-SHA-256-256 32 bytes).
struct kemac_payload {
  static constexpr payload_type kind = payload_type::kemac;
  static constexpr const char* label = "KEMAC";

  mikey::encr_alg encr_alg = mikey::encr_alg::null;
  bytes_view encr_data{};
  mikey::mac_alg mac_alg = mikey::mac_alg::null;
  bytes_view mac{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept {
    return 4 + encr_data.size() + 1 + mac.size();
  }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    if (encr_data.size() > 0xFFFF)
      return detail::encode_error(errc::field_too_long, label, "Encr data");
    const auto ml = mac_size(mac_alg);
    if (!ml) return detail::encode_error(errc::unsupported_value, label, "Mac alg");
    if (*ml != mac.size()) return detail::encode_error(errc::length_mismatch, label, "MAC");
    if (auto e = detail::check_capacity<kemac_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(static_cast<std::uint8_t>(encr_alg));
    w.u16(static_cast<std::uint16_t>(encr_data.size()));
    w.put(encr_data);
    w.u8(static_cast<std::uint8_t>(mac_alg));
    w.put(mac);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<kemac_payload>> decode(
      bytes_view in, std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {{1, "next payload"}, {1, "Encr alg"}, {2, "Encr data len"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<kemac_payload> d;
    d.next = static_cast<payload_type>(c.u8());
    d.payload.encr_alg = static_cast<mikey::encr_alg>(c.u8());
    const std::size_t len = c.u16();
    if (!c.has(len)) return c.truncated("Encr data");
    d.payload.encr_data = c.take(len);
    constexpr detail::field mac_field[] = {{1, "Mac alg"}};
    if (auto e = detail::need(c, mac_field)) return *e;
    d.payload.mac_alg = static_cast<mikey::mac_alg>(c.u8());
    const auto ml = mac_size(d.payload.mac_alg);
    if (!ml) return c.fail_at(errc::unsupported_value, "Mac alg", c.pos - 1);
    if (!c.has(*ml)) return c.truncated("MAC");
    d.payload.mac = c.take(*ml);
    d.size = c.pos;
    return d;
  }

  friend constexpr bool operator==(const kemac_payload& a, const kemac_payload& b) noexcept {
    return a.encr_alg == b.encr_alg && detail::equal(a.encr_data, b.encr_data) &&
           a.mac_alg == b.mac_alg && detail::equal(a.mac, b.mac);
  }
};

// ------------------------------------------------------------------------------------------
// V: Verification message payload (RFC 3830 §6.9)
// ------------------------------------------------------------------------------------------

///   ! Next Payload  ! Auth alg      ! Ver data                      ~
///
/// The Ver data length is implied by Auth alg (same values as the KEMAC Mac alg).
struct v_payload {
  static constexpr payload_type kind = payload_type::v;
  static constexpr const char* label = "V";

  mac_alg auth_alg = mac_alg::null;
  bytes_view ver_data{};

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept { return 2 + ver_data.size(); }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    const auto ml = mac_size(auth_alg);
    if (!ml) return detail::encode_error(errc::unsupported_value, label, "Auth alg");
    if (*ml != ver_data.size())
      return detail::encode_error(errc::length_mismatch, label, "Ver data");
    if (auto e = detail::check_capacity<v_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(static_cast<std::uint8_t>(auth_alg));
    w.put(ver_data);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<v_payload>> decode(bytes_view in,
                                                                   std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {{1, "next payload"}, {1, "Auth alg"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<v_payload> d;
    d.next = static_cast<payload_type>(c.u8());
    d.payload.auth_alg = static_cast<mac_alg>(c.u8());
    const auto ml = mac_size(d.payload.auth_alg);
    if (!ml) return c.fail_at(errc::unsupported_value, "Auth alg", 1);
    if (!c.has(*ml)) return c.truncated("Ver data");
    d.payload.ver_data = c.take(*ml);
    d.size = c.pos;
    return d;
  }

  friend constexpr bool operator==(const v_payload& a, const v_payload& b) noexcept {
    return a.auth_alg == b.auth_alg && detail::equal(a.ver_data, b.ver_data);
  }
};

// ------------------------------------------------------------------------------------------
// ERR: Error payload (RFC 3830 §6.12)
// ------------------------------------------------------------------------------------------

///   !  Next Payload ! Error no      !           Reserved            !
struct err_payload {
  static constexpr payload_type kind = payload_type::err;
  static constexpr const char* label = "ERR";

  std::uint8_t error_no = 12;  // Unspecified error
  std::uint16_t reserved = 0;  // kept as received so that re-encoding is exact

  [[nodiscard]] constexpr std::size_t encoded_size() const noexcept { return 4; }

  [[nodiscard]] constexpr result<std::size_t> encode(mutable_bytes out,
                                                     payload_type next) const noexcept {
    if (auto e = detail::check_capacity<err_payload>(out, encoded_size())) return *e;
    detail::writer w{out};
    w.u8(static_cast<std::uint8_t>(next));
    w.u8(error_no);
    w.u16(reserved);
    return w.pos;
  }

  [[nodiscard]] static constexpr result<decoded<err_payload>> decode(
      bytes_view in, std::size_t base = 0) noexcept {
    detail::cursor c{in, base, label};
    constexpr detail::field fields[] = {{1, "next payload"}, {1, "Error no"}, {2, "Reserved"}};
    if (auto e = detail::need(c, fields)) return *e;
    decoded<err_payload> d;
    d.next = static_cast<payload_type>(c.u8());
    d.payload.error_no = c.u8();
    d.payload.reserved = c.u16();
    d.size = c.pos;
    return d;
  }

  friend constexpr bool operator==(const err_payload&, const err_payload&) = default;
};

}  // namespace skm::mikey
