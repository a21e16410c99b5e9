// libFuzzer target: strict base64 and the SDP key-mgmt attribute parser.
// Properties: base64 accepts only canonical text (decode then encode gives the input back);
// a decoded key-mgmt value re-encodes to the same base64; no crash or out-of-bounds read.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "skm/mikey/base64.hpp"
#include "skm/mikey/message.hpp"
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
  return 0;
}
