// SPDX-License-Identifier: BSD-3-Clause
// Messages built by skm for the message, dump and tshark tests. The SAKKE data and signatures
// are fixed byte patterns: this layer treats them as opaque.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "skm/mikey/message.hpp"

namespace skm_test::mikey {

using namespace skm::mikey;

inline std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t start) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(start + 7 * i);
  return v;
}

inline bytes_view text(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Pieces of the 3GPP-profile message, kept alive for comparisons.
struct gpp_parts {
  std::vector<std::uint8_t> rand = pattern(16, 0x31);
  std::vector<std::uint8_t> uid_i = pattern(32, 0x80);
  std::vector<std::uint8_t> uid_r = pattern(32, 0x11);
  std::vector<std::uint8_t> sakke = pattern(273, 0x04);
  std::vector<std::uint8_t> sakke_self = pattern(273, 0x05);
  std::vector<std::uint8_t> key_params = pattern(68, 0x43);
  std::vector<std::uint8_t> signature = pattern(129, 0x99);
  std::string_view kms = "kms.example.org";
  std::uint32_t csb_id = 0x1ABCDEF0;  // purpose tag 1 (PCK)
  std::uint64_t ntp = 0xEC898DA812345678;
};

/// A TS 33.180 I_MESSAGE: empty map, hashed identities (IDR roles 8/9), both KMS identities,
/// the private-call SP, SAKKE, SAKKE-to-self, key parameters, ECCSI signature.
inline std::vector<std::uint8_t> build_3gpp_message(const gpp_parts& p = {}) {
  static constexpr std::array<std::uint8_t, 1> v06{6}, v10{16}, v04{4}, v0c{12}, v00{0};
  const std::array<sp_param, 9> params{sp_param{0, v06},  sp_param{1, v10},  sp_param{2, v04},
                                       sp_param{4, v0c},  sp_param{5, v00},  sp_param{6, v00},
                                       sp_param{18, v04}, sp_param{19, v00}, sp_param{20, v10}};
  message_builder b;
  b
      .add(hdr_payload{
          1, data_type::sakke, false, prf_func::hmac_sha_256, p.csb_id, 0, cs_map_type::empty, {}})
      .add(t_payload{ts_type::ntp_utc, p.ntp})
      .add(rand_payload{p.rand})
      .add(idr_payload{id_role::initiator_uid, id_type::uri, p.uid_i})
      .add(idr_payload{id_role::responder_uid, id_type::uri, p.uid_r})
      .add(idr_payload{id_role::initiator_kms, id_type::uri, text(p.kms)})
      .add(idr_payload{id_role::responder_kms, id_type::uri, text(p.kms)})
      .add_sp(0, prot_type::srtp, params)
      .add(sakke_payload{1, 2, p.sakke})
      .add_sakke_to_self(sakke_payload{1, 2, p.sakke_self})
      .add(general_ext_payload{ext_type::key_parameters, p.key_params});
  auto to_sign = b.begin_signature(sign_type::eccsi, p.signature.size());
  if (!to_sign) return {};
  auto out = b.finish_signature(p.signature);
  return out ? std::move(*out) : std::vector<std::uint8_t>{};
}

/// An RFC 6509 I_MESSAGE with URI identities (roles 1, 2, 6, 7), a GENERIC-ID map optional.
struct rfc_parts {
  std::vector<std::uint8_t> rand = pattern(16, 0x52);
  std::string_view uri_i = "tel:+447700900123";
  std::string_view uri_r = "tel:+447700900456";
  std::string_view kms_i = "kms.initiator.example";
  std::string_view kms_r = "kms.responder.example";
  std::vector<std::uint8_t> sakke = pattern(273, 0x04);
  std::vector<std::uint8_t> signature = pattern(129, 0x23);
  std::uint32_t csb_id = 0x0BADCAFE;
  std::uint64_t ntp = 0xDA7B5A0000000000;
};

inline std::vector<std::uint8_t> build_rfc6509_message(const rfc_parts& p = {},
                                                       std::span<const generic_id_entry> map = {}) {
  message_builder b;
  const hdr_payload h{1, data_type::sakke,   false, prf_func::mikey_1, p.csb_id,
                      0, cs_map_type::empty, {}};
  if (map.empty())
    b.add(h);
  else
    b.add_hdr(h, map);
  b.add(t_payload{ts_type::ntp_utc, p.ntp})
      .add(rand_payload{p.rand})
      .add(idr_payload{id_role::initiator, id_type::uri, text(p.uri_i)})
      .add(idr_payload{id_role::responder, id_type::uri, text(p.uri_r)})
      .add(idr_payload{id_role::initiator_kms, id_type::uri, text(p.kms_i)})
      .add(idr_payload{id_role::responder_kms, id_type::uri, text(p.kms_r)})
      .add(sakke_payload{1, 1, p.sakke})
      .add(sign_payload{sign_type::eccsi, p.signature});
  auto out = b.finish();
  return out ? std::move(*out) : std::vector<std::uint8_t>{};
}

}  // namespace skm_test::mikey
