// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: strict base64, the SDP key-mgmt attribute and the RTSP KeyMgmt header.
// Properties: base64 accepts only canonical text (decode then encode gives the input back);
// a decoded key-mgmt value re-encodes to the same base64; an accepted RTSP header, written
// again by skm, parses to the same message and uri; no crash or out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_entry.hpp"
#include "skm/mikey/base64.hpp"
#include "skm/mikey/message.hpp"
#include "skm/mikey/rtsp.hpp"
#include "skm/mikey/sdp.hpp"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace skm::mikey;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (const auto bytes = base64::decode(text)) {
    check(base64::encode(*bytes) == text);
  } else {
    check(bytes.error().offset <= size);
  }

  if (const auto msg = sdp::parse_key_mgmt(text)) {
    const auto value = sdp::key_mgmt_data(text).value();
    check(base64::encode(*msg) == value);
    (void)parse_message(*msg);
  }
  if (const auto found = sdp::find_key_mgmt(text)) (void)parse_message(*found);

  if (const auto spec = rtsp::parse_key_mgmt(text)) {
    const auto again =
        rtsp::parse_key_mgmt(rtsp::key_mgmt_header(spec->message, spec->uri.value_or("")));
    check(again.has_value());
    check(again->message == spec->message);
    // An empty uri="" is written back without the parameter.
    check(again->uri == spec->uri || (spec->uri == std::string() && !again->uri));
    (void)parse_message(spec->message);
  }
  return 0;
}
