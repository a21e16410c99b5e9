// SPDX-License-Identifier: BSD-3-Clause
// A MIKEY message as JSON, payload by payload (the machine-readable twin of mikey::dump).
#pragma once

#include "cli.hpp"
#include "skm/mikey/message.hpp"

namespace skm::cli {

/// {"size": N, "payloads": [{"type": "HDR", "offset": 0, "length": 8, …fields…}, …]}
void dump_json(json& j, const mikey::message_view& m);
/// One payload: {"type": "HDR", "offset": 0, "length": 8, …fields…}.
void dump_json_payload(json& j, const mikey::payload_entry& e);
/// The time of a T payload as a receiver takes it (the NTP era nearest the clock).
[[nodiscard]] km::ntp_time t_payload_time(const mikey::t_payload& t);

}  // namespace skm::cli
