// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: the MIKEY message parser and every payload decoder.
// Properties checked beyond "no crash / no out-of-bounds read" (ASan, UBSan):
// - a message the parser accepts re-encodes, payload by payload through the builder, to
//   exactly the same bytes (the parser accepts nothing the encoders would write differently);
// - signed_range() ends two bytes into the SIGN payload, which is last;
// - a payload decoder never claims more bytes than it was given.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "fuzz_entry.hpp"
#include "skm/mikey/dump.hpp"
#include "skm/mikey/message.hpp"

namespace {

using namespace skm::mikey;

void check(bool ok) {
  if (!ok) std::abort();
}

template <class P>
void decode_alone(bytes_view in) {
  const auto d = P::decode(in, 0);
  if (d) {
    check(d->size <= in.size());
    check(d->payload.encoded_size() == d->size);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const bytes_view in(data, size);

  decode_alone<hdr_payload>(in);
  decode_alone<t_payload>(in);
  decode_alone<rand_payload>(in);
  decode_alone<id_payload>(in);
  decode_alone<idr_payload>(in);
  decode_alone<sp_payload>(in);
  decode_alone<sakke_payload>(in);
  decode_alone<sign_payload>(in);
  decode_alone<general_ext_payload>(in);
  decode_alone<kemac_payload>(in);
  decode_alone<v_payload>(in);
  decode_alone<err_payload>(in);

  const auto m = parse_message(in);
  if (!m) {
    check(m.error().code != errc{});
    return 0;
  }
  message_builder b;
  for (const auto& e : m->payloads()) std::visit([&b](const auto& p) { b.add(p); }, e.value);
  const auto again = b.finish();
  check(again.has_value());
  check(again->size() == size);
  for (std::size_t i = 0; i < size; ++i) check((*again)[i] == data[i]);

  if (const auto r = m->signed_range()) {
    check(m->payloads().back().type == payload_type::sign);
    check(r->size() == m->payloads().back().offset + 2);
  }
  (void)check_3gpp_profile(*m);
  const auto text = dump(*m);
  check(!text.empty());
  return 0;
}
