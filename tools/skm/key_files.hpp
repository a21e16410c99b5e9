// SPDX-License-Identifier: BSD-3-Clause
// KMS certificates and key-set files as the imsg and gms commands load them (cmd_imsg.cpp).
#pragma once

#include <string>
#include <vector>

#include "skm/km/i_message.hpp"
#include "skm/km/kms_xml.hpp"

namespace skm::cli {

/// A community from KmsResponse/KmsInit or a bare KmsCertificate, keys validated.
struct community_file {
  km::xml::kms_certificate certificate;
  km::community community;
};

/// The certificate at `path` (KmsResponse/KmsInit or a bare KmsCertificate), its keys validated;
/// a failure naming the file otherwise.
[[nodiscard]] community_file load_certificate(const std::string& path);

/// Every key set of a KmsKeyProv document, validated against the community (UserID, RSK,
/// SSK/PVT); all of one user.
[[nodiscard]] std::vector<km::period_keys> load_key_sets(const std::string& path,
                                                         const community_file& c);

}  // namespace skm::cli
