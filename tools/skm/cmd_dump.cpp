// SPDX-License-Identifier: BSD-3-Clause
// skm imsg dump: a MIKEY message payload by payload (text from mikey/dump.hpp, or JSON).
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "dump_json.hpp"
#include "skm/mikey/dump.hpp"
#include "skm/mikey/message.hpp"

namespace skm::cli {

namespace {

constexpr std::string_view help = R"(usage: skm imsg dump [--json] MESSAGE

Parses a MIKEY message strictly (RFC 3830 / 6043 / 6509) and prints it payload by payload,
field by field, with offsets and sizes. No keys are needed and nothing is verified.

MESSAGE is one of: 'mikey BASE64' (the SDP key-mgmt value), a whole 'a=key-mgmt:mikey ...'
line, bare base64, hex, or @FILE (@- for standard input) holding any of these, a whole SDP
body, or the raw octets.

  --json    one JSON object: size, and each payload with its type, offset, length and fields
)";

}  // namespace

int run_imsg_dump(std::span<char* const> args) {
  const arguments a(args, {{"json", false}}, "imsg dump");
  if (a.help()) {
    std::cout << help;
    return exit_ok;
  }
  const auto bytes = read_message(a);
  const auto m = mikey::parse_message(bytes);
  if (!m) throw failure("not a valid MIKEY message: " + mikey::to_string(m.error()));
  if (a.flag("json")) {
    json j;
    dump_json(j, *m);
    std::cout << j.text() << "\n";
  } else {
    std::cout << mikey::dump(*m);
  }
  return exit_ok;
}

}  // namespace skm::cli
