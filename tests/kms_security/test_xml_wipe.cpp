// SPDX-License-Identifier: BSD-3-Clause
// The wiping allocator for libxml2/xmlsec1 [xml-wipe] (kms_security/xml_allocator.hpp), in a
// process of its own: it must be installed before libxml2 is first used. A KmsKeyProv answer
// with plaintext keys (`--encrypt none`) is signed with the InK and verified (the client's
// parse), and every block libxml2 and xmlsec release is looked at just before free(3): with the
// wiping allocator each one is all zeros; with the same allocator not wiping (the control), the
// marker secret is found in released blocks, so the check can see what it looks for.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "skm/kms_security/secured_documents.hpp"
#include "skm/kms_security/xml_allocator.hpp"
#include "trk_fixtures.hpp"

using namespace skm::kms_security;
using namespace skm::kms_security::test;
namespace sec_detail = skm::kms_security::detail;

namespace {

/// What the release observer saw (test state; libxml2 calls the observer without context).
struct released {
  std::string_view marker;
  std::size_t blocks = 0;
  std::size_t nonzero = 0;      ///< blocks with any non-zero octet
  std::size_t with_marker = 0;  ///< blocks holding the marker
};

released& seen() {
  static released r;
  return r;
}

void observe(const void* block, std::size_t size) {
  released& r = seen();
  const auto* p = static_cast<const char*>(block);
  const std::string_view octets(p, size);
  ++r.blocks;
  if (std::any_of(octets.begin(), octets.end(), [](char c) { return c != 0; })) ++r.nonzero;
  if (octets.find(r.marker) != std::string_view::npos) ++r.with_marker;
}

named_key integrity_key() {
  named_key k;
  k.name = "ik.1.sip:alice@streamwide.com";
  for (std::size_t i = 0; i < shared_key_octets; ++i)
    k.key.span()[i] = static_cast<std::uint8_t>(i);
  return k;
}

/// Signs and verifies a document holding the marker; the released blocks are counted.
released exercise(const std::string& plain_doc, std::string_view marker) {
  seen() = released{marker};
  sec_detail::xml_release_hook() = &observe;
  {
    const auto signed_doc = sign_kms_document(plain_doc, integrity_key()).value();
    const std::vector<named_key> keys{integrity_key()};
    const auto v = verify_kms_signature(signed_doc, "KmsResponse", keys).value();
    REQUIRE(v.canonical.as_text().find(marker) != std::string_view::npos);
  }
  sec_detail::xml_release_hook() = nullptr;
  return seen();
}

}  // namespace

TEST_CASE("libxml2 and xmlsec release only wiped blocks with the wiping allocator", "[xml-wipe]") {
  // First thing in this process: nothing has used libxml2 yet.
  REQUIRE(use_wiping_xml_allocator());
  REQUIRE(use_wiping_xml_allocator());  // a second call keeps it

  const std::string doc(write_kms_key_prov(key_prov_response()).value().as_text());
  // The SSK as the document spells it (the marker secret).
  std::string marker = alice_ssk;
  if (doc.find(marker) == std::string::npos)
    std::transform(marker.begin(), marker.end(), marker.begin(),
                   [](char c) { return static_cast<char>(std::toupper(c)); });
  REQUIRE(doc.find(marker) != std::string::npos);

  const released wiped = exercise(doc, marker);
  INFO("blocks " << wiped.blocks);
  REQUIRE(wiped.blocks > 10);
  REQUIRE(wiped.nonzero == 0);
  REQUIRE(wiped.with_marker == 0);

  // The control: the same allocator without wiping shows the marker in released blocks.
  REQUIRE(sec_detail::install_xml_allocator(false));
  const released kept = exercise(doc, marker);
  REQUIRE(kept.with_marker > 0);
  REQUIRE(kept.nonzero > 0);

  // Back to wiping; libxml2 is started now, so only this allocator can be (re)installed.
  REQUIRE(use_wiping_xml_allocator());
  REQUIRE(sec_detail::xml_library_started().load());
  REQUIRE(exercise(doc, marker).nonzero == 0);
}
