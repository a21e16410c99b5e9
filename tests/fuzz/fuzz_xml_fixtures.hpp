// SPDX-License-Identifier: BSD-3-Clause
// A fixed KMS certificate for the KMS XML fuzz target and its seed corpus: KmsKeyProv inputs
// are also checked against it (URIs, UserID for the key period). Key octets have the right
// length and form but are not curve points: the target checks structure only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "skm/km/kms_xml.hpp"

namespace skm_fuzz {

inline std::vector<std::uint8_t> pattern_point(std::size_t octets, std::uint8_t seed) {
  std::vector<std::uint8_t> v(octets);
  v[0] = 0x04;
  for (std::size_t i = 1; i < octets; ++i) v[i] = static_cast<std::uint8_t>(seed + 31 * i);
  return v;
}

inline skm::km::xml::kms_certificate fixed_certificate() {
  using namespace skm::km::xml;
  kms_certificate c;
  c.id = "kms.fuzz.example.org";
  c.role = kms_role::root;
  c.kms_uri = "kms.fuzz.example.org";
  c.cert_uri = "cert1.kms.fuzz.example.org";
  c.issuer = "www.example.org";
  c.valid_from = skm::km::parse_iso8601("2026-01-01T00:00:00Z").value();
  c.valid_to = skm::km::parse_iso8601("2028-01-01T00:00:00Z").value();
  c.revoked = false;
  c.user_id_format = "2";
  c.user_key_period = 2592000;
  c.user_key_offset = 0;
  c.pub_enc_key = pattern_point(sakke_point_octets, 1);
  c.pub_auth_key = pattern_point(eccsi_point_octets, 2);
  c.parameter_set = 1;
  c.kms_domains = {"fuzz.example.org"};
  return c;
}

}  // namespace skm_fuzz
