// SPDX-License-Identifier: BSD-3-Clause
// The key-distribution example of README.md, compiled and run; the marked region is the README's
// code block (checked below, so the README cannot drift).
#include <catch2/catch.hpp>

#include "doc_regions.hpp"

// [doc:readme-example]
#include <skm/km/skm_server.hpp>
#include <skm/skm.hpp>

#include <algorithm>

// Alice sends Bob a private-call key (PCK); both end with the same key and SRTP master key.
bool alice_sends_bob_a_key() {
  using namespace skm::km;
  skm::os_random rng;
  const ntp_time now = parse_iso8601("2026-11-28T12:00:00Z").value();

  // The KMS: a community with 30-day key periods; a key set per user for the current period.
  const auto kms = skm_server::generate({"kms.example.org", {2592000, 0}}, rng).value();
  const auto mcx = community::create(kms.public_values()).value();  // what every user trusts
  auto keys_of = [&](std::string_view uri) {
    return period_keys::create(mcx, kms.issue_at(uri, now, rng).value()).value();  // validated
  };

  // Alice: a fresh PCK and PCK-ID, SAKKE-encapsulated to Bob's UID, ECCSI-signed with hers.
  const auto alice = keys_of("sip:alice@example.org");
  const auto sent = create_i_message(alice, mcx, "sip:bob@example.org", mcx, now, {}, rng).value();

  // Bob: parse, check time and replay, verify Alice's signature, decapsulate.
  i_message_receiver bob("sip:bob@example.org");
  bob.trust(mcx);
  if (!bob.add_keys(keys_of("sip:bob@example.org"))) return false;
  const auto got = bob.process(sent.bytes, now).value();

  // Both ends: the same key and key ID, and the same SRTP master key for crypto session 0.
  const auto srtp_a = session_keys(sent, 0).value(), srtp_b = session_keys(got, 0).value();
  return got.key.ct_equal(sent.key.span()).declassify() && got.key_id == sent.key_id &&
         std::ranges::equal(srtp_a.key.span(), srtp_b.key.span());
}
// [/doc:readme-example]

TEST_CASE("the README example distributes a key", "[docs][readme]") {
  CHECK(alice_sends_bob_a_key());
}

TEST_CASE("README.md shows exactly the code compiled here", "[docs][doc-sync]") {
  using namespace skm::docs_test;
  const auto source = source_regions(read_file(SKM_TEST_SOURCE));
  const auto doc = markdown_blocks(read_file(SKM_DOC_FILE));
  REQUIRE(source.size() == 1);
  for (const auto& d : differences(source, doc)) FAIL_CHECK(d);
  CHECK(differences(source, doc).empty());
}

TEST_CASE("the doc-sync check notices a drifted, missing or malformed block", "[docs][doc-sync]") {
  using namespace skm::docs_test;
  const auto source = source_regions("x\n// [doc:a]\nint f();\nint g();\n// [/doc:a]\ny\n");
  REQUIRE(source.at("a") == std::vector<std::string>{"int f();", "int g();"});
  CHECK(differences(source,
                    markdown_blocks("text\n<!-- doc:a -->\n```cpp\nint f();\nint g();\n```\n"))
            .empty());
  CHECK(differences(source, markdown_blocks("<!-- doc:a -->\n```cpp\nint f();\nint h();\n```\n"))
            .size() == 1);  // a line changed
  CHECK(differences(source, markdown_blocks("<!-- doc:a -->\n```cpp\nint f();\n```\n")).size() ==
        1);  // a line missing
  CHECK(differences(source, markdown_blocks("```cpp\nint f();\nint g();\n```\n")).size() ==
        1);  // block not marked
  CHECK(differences(source,
                    markdown_blocks(
                        "<!-- doc:a -->\n```\nint f();\nint g();\n```\n<!-- doc:b -->\n```\n```\n"))
            .size() == 1);  // extra block
  CHECK_THROWS(markdown_blocks("<!-- doc:a -->\ntext\n"));
  CHECK_THROWS(markdown_blocks("<!-- doc:a -->\n```\nint f();\n"));
  CHECK_THROWS(source_regions("// [doc:a]\nint f();\n"));
  CHECK_THROWS(source_regions("// [doc:a]\n// [doc:b]\n// [/doc:b]\n// [/doc:a]\n"));
}
