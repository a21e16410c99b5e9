// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: the TS 33.180 Annex D KMS XML parsers (skm/km/kms_xml.hpp,
// skm/km/kms_request.hpp): KmsInit (with its KmsCertificate), a bare KmsCertificate, KmsKeyProv
// (alone and checked against a fixed certificate, fuzz_xml_fixtures.hpp), KmsRequest, any
// KmsResponse (KmsCertCache, KmsError included), also under the interop options, and the request
// URL forms (skm/km/kms_url.hpp). Keys are checked for length and form only
// (no_curve_checks): curve validation is fuzzed by the point-decoding target, and a pairing per
// input would starve the fuzzer. Properties beyond "no crash":
// - every failure names an error;
// - an accepted document is written back, and the written text parses to the same document
//   (the writer output is a fixed point: write(parse(write(parse(x)))) == write(parse(x))).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_entry.hpp"
#include "fuzz_xml_fixtures.hpp"
#include "skm/km/kms_request.hpp"
#include "skm/km/kms_url.hpp"

namespace {

using namespace skm::km::xml;

void check(bool ok) {
  if (!ok) std::abort();
}

template <class R>
void check_failure(const R& r) {
  if (!r) check(describe(r.error().code)[0] != '\0');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const no_curve_checks loose;

  const auto init = parse_kms_init(text, loose);
  check_failure(init);
  if (init) {
    const auto written = write_kms_init(*init);
    if (written) {
      const auto again = parse_kms_init(*written, loose);
      check(again.has_value());
      const auto rewritten = write_kms_init(*again);
      check(rewritten.has_value() && *rewritten == *written);
    }
  }

  const auto cert = parse_kms_certificate(text, loose);
  check_failure(cert);
  if (cert) {
    const auto written = write_kms_certificate(*cert);
    if (written) {
      const auto again = parse_kms_certificate(*written, loose);
      check(again.has_value());
      const auto rewritten = write_kms_certificate(*again);
      check(rewritten.has_value() && *rewritten == *written);
    }
  }

  const auto prov = parse_kms_key_prov_unvalidated(text);
  check_failure(prov);
  if (prov) {
    const auto written = write_kms_key_prov(*prov);
    if (written) {
      const auto again = parse_kms_key_prov_unvalidated(written->as_text());
      check(again.has_value());
      const auto rewritten = write_kms_key_prov(*again);
      check(rewritten.has_value() && rewritten->as_text() == written->as_text());
    }
    // the same document against a fixed certificate (URIs, UserID for the key period)
    static const kms_certificate fixed = skm_fuzz::fixed_certificate();
    const auto checked = parse_kms_key_prov(text, fixed, loose);
    check_failure(checked);
  }

  const auto request = parse_kms_request(text);
  check_failure(request);
  if (request) {
    const auto written = write_kms_request(*request);
    if (written) {
      const auto again = parse_kms_request(*written);
      check(again.has_value());
      const auto rewritten = write_kms_request(*again);
      check(rewritten.has_value() && *rewritten == *written);
    }
  }

  kms_parse_options interop;
  interop.rel13_order = true;
  interop.vendor_namespace = "http://vendor.example.com/kms";
  for (const kms_parse_options& options : {kms_parse_options{}, interop}) {
    const auto response = parse_kms_response(text, loose, options);
    check_failure(response);
    if (!response) continue;
    const auto written = write_kms_response(*response);
    if (!written) continue;
    const auto again = parse_kms_response(written->as_text(), loose);
    check(again.has_value() && again->kind() == response->kind());
    const auto rewritten = write_kms_response(*again);
    check(rewritten.has_value() && rewritten->as_text() == written->as_text());
  }

  // The URL forms: a parsed target is generated back to a path that parses to the same target.
  if (const auto target = skm::km::kms_url::parse(text)) {
    for (auto how :
         {skm::km::kms_url::uri_encoding::minimal, skm::km::kms_url::uri_encoding::strict})
      check(skm::km::kms_url::parse(skm::km::kms_url::path(*target, how)).value() == *target);
  }
  return 0;
}
