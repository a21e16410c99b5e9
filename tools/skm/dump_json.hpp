// SPDX-License-Identifier: BSD-3-Clause
// A MIKEY message as JSON, payload by payload (the machine-readable twin of mikey::dump).
#pragma once

#include "cli.hpp"
#include "skm/mikey/message.hpp"

namespace skm::cli {

/// {"size": N, "payloads": [{"type": "HDR", "offset": 0, "length": 8, …fields…}, …]}
void dump_json(json& j, const mikey::message_view& m);

}  // namespace skm::cli
