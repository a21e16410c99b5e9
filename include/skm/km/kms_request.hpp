// SPDX-License-Identifier: BSD-3-Clause
// The rest of TS 33.180 Annex D around kms_xml.hpp: the client's KmsRequest (and its
// SignedKmsRequest wrapper), the KmsCertCache answer, KmsError answers, and one parser for any
// KmsResponse that hands a KmsError back as a result of its own (not as a parse failure). The
// request URL forms are in kms_url.hpp (no XML needed there).
//
//   <KmsRequest Id? Version?="1.1.0">          <KmsResponse Id? Version>
//     UserUri, KmsUri, Time, ClientId?,          UserUri, KmsUri, Time, KmsId?, ClientReqUrl,
//     DeviceId?, ClientReqUrl, KrrList?,         KmsMessage? (one of KmsInit, KmsKeyProv,
//     ClientError?                                            KmsCertCache),
//                                                KmsError? (ErrorCode integer, ErrorMsg?)
//   <KmsCertCache Version?="1.0.0" CacheNum?>
//     (KmsCertificate | SignedKmsCertificate)*  (certificates of other KMSs: Role External)
//
//   <SignedKmsRequest Id?> KmsRequest, ds:Signature? </SignedKmsRequest>   (the same for
//   SignedKmsResponse and SignedKmsCertificate; the signature is reported, never verified yet)
//
// KrrList (KMS redirect responses, another namespace) is recognised but not interpreted, and
// never written. ClientError is read and written as text. Deployed clients mostly send an empty
// request body and say everything with the URL (kms_url.hpp); a KMS must accept both.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "skm/km/kms_url.hpp"
#include "skm/km/kms_xml.hpp"

namespace skm::km::xml {

inline constexpr std::string_view kms_request_version = "1.1.0";
inline constexpr std::string_view kms_cert_cache_version = "1.0.0";

struct kms_request {
  std::string id;                 ///< Id attribute ("" = none)
  std::string version = "1.1.0";  ///< "" = attribute omitted
  std::string user_uri;           ///< the identity the client asks for
  std::string kms_uri;            ///< the KMS asked
  ntp_time time;                  ///< when the client sent it
  std::optional<std::string> client_id;
  std::optional<std::string> device_id;
  std::string client_req_url;  ///< the URL the request was posted to (kms_url.hpp)
  bool krr_list = false;       ///< a KrrList was present (not interpreted)
  std::optional<std::string> client_error;
  std::optional<signed_wrapper> signed_by;  ///< set for a SignedKmsRequest
  std::vector<std::string> notes;           ///< accepted but reported (parser output)

  /// The request ClientReqUrl names.
  [[nodiscard]] result<kms_url::request_target, kms_url::url_error> target() const {
    return kms_url::parse(client_req_url);
  }
};

struct kms_cert_cache {
  std::string version = "1.0.0";  ///< "" = attribute omitted
  std::optional<std::uint64_t> cache_num;
  std::vector<kms_certificate> certificates;  ///< each possibly in a SignedKmsCertificate
};

struct kms_key_prov {
  std::string version = "1.0.0";
  std::vector<kms_key_set> key_sets;
};

enum class kms_response_kind { init, key_prov, cert_cache, error };

[[nodiscard]] constexpr const char* describe(kms_response_kind k) noexcept {
  switch (k) {
    case kms_response_kind::init: return "KmsInit";
    case kms_response_kind::key_prov: return "KmsKeyProv";
    case kms_response_kind::cert_cache: return "KmsCertCache";
    case kms_response_kind::error: return "KmsError";
  }
  return "unknown";
}

/// Any KmsResponse. The body's alternatives are in the order of kms_response_kind.
struct kms_response {
  kms_response_header header;
  std::variant<kms_certificate, kms_key_prov, kms_cert_cache, kms_error> body;
  std::optional<signed_wrapper> signed_by;  ///< set for a SignedKmsResponse
  std::vector<std::string> notes;           ///< accepted but reported (parser output)

  [[nodiscard]] kms_response_kind kind() const noexcept {
    return static_cast<kms_response_kind>(body.index());
  }
  /// The KMS's error answer, or nullptr.
  [[nodiscard]] const kms_error* error() const noexcept { return std::get_if<kms_error>(&body); }
};

namespace detail {

inline void read_request(parse_state& st, pugi::xml_node n, kms_request& r) {
  if (!n || st.failed()) return;
  check_attributes(st, n, {"Id", "Version"});
  if (pugi::xml_attribute id = n.attribute("Id")) r.id = std::string(trim(id.value()));
  r.version = optional_version(st, n, kms_request_version);
  child_walker w(st, n);
  r.user_uri = required_string(st, w.required("UserUri"));
  r.kms_uri = required_string(st, w.required("KmsUri"));
  note_kms_uri_scheme(st, n, r.kms_uri);
  if (auto t = optional_time(st, w.required("Time"))) r.time = *t;
  r.client_id = optional_string(st, w.optional("ClientId"));
  r.device_id = optional_string(st, w.optional("DeviceId"));
  r.client_req_url = required_string(st, w.required("ClientReqUrl"));
  if (w.optional("KrrList") && !st.failed()) {
    r.krr_list = true;
    st.note(path_of(n) + "/KrrList: KMS redirect responses are not interpreted");
  }
  r.client_error = optional_string(st, w.optional("ClientError"), false);
  w.finish();
}

/// KmsCertCache: Version?, CacheNum?, then (Signed)KmsCertificate 0..n in any mix.
inline kms_cert_cache read_cert_cache(parse_state& st, pugi::xml_node n) {
  kms_cert_cache c;
  if (!n || st.failed()) return c;
  check_attributes(st, n, {"Id", "Version", "CacheNum"});
  check_xsi_type(st, n, {"KmsCertCacheType"});
  c.version = optional_version(st, n, kms_cert_cache_version);
  if (pugi::xml_attribute num = n.attribute("CacheNum"); num && !st.failed()) {
    c.cache_num = parse_u64(trim(num.value()));
    if (!c.cache_num) st.fail(xml_error::bad_integer, path_of(n) + "/@CacheNum", num.value());
  }
  child_walker w(st, n);
  while (!st.failed()) {
    const std::string_view next = w.peek();
    if (next != "KmsCertificate" && next != "SignedKmsCertificate") break;
    const std::size_t index = c.certificates.size() + 1;
    c.certificates.push_back(read_any_certificate(st, w.take_any()));
    if (!st.failed() && c.certificates.back().role != kms_role::external)
      st.note(path_of(n) + "/certificate " + std::to_string(index) +
              ": Role Root in a certificate cache (expected External)");
  }
  refuse_transport_keys(st, n, w.peek());
  w.finish();
  return c;
}

/// The body of a KmsResponse: KmsError wins over a KmsMessage (which is then checked but dropped).
template <kms_key_checks V>
void read_response_body(parse_state& st, const response_parts& parts, kms_response& out,
                        const V& checks) {
  if (st.failed()) return;
  if (parts.error) {
    if (parts.message)
      st.note(path_of(parts.message) + ": ignored, the response carries a KmsError");
    out.body = read_kms_error(st, parts.error);
    return;
  }
  check_attributes(st, parts.message, {"Id", "Version"});
  child_walker w(st, parts.message);
  const std::string_view kind = w.peek();
  const pugi::xml_node body = w.take_any();
  w.finish();
  if (st.failed()) return;
  if (kind == "KmsInit") {
    kms_certificate c = read_init_body(st, body);
    if (!st.failed())
      if (auto why = checks.check_certificate_keys(c))
        st.fail(xml_error::invalid_key, "KmsCertificate", *why);
    out.body = std::move(c);
  } else if (kind == "KmsKeyProv") {
    kms_key_prov p;
    read_key_prov_body(st, body, p.version, p.key_sets);
    out.body = std::move(p);
  } else if (kind == "KmsCertCache") {
    kms_cert_cache cache = read_cert_cache(st, body);
    for (std::size_t i = 0; i < cache.certificates.size() && !st.failed(); ++i)
      if (auto why = checks.check_certificate_keys(cache.certificates[i]))
        st.fail(xml_error::invalid_key, path_of(body) + "/certificate " + std::to_string(i + 1),
                *why);
    out.body = std::move(cache);
  } else if (kind.empty()) {
    st.fail(xml_error::missing_element, path_of(parts.message) + "/KmsInit");
  } else {
    st.fail(xml_error::unsupported_message, path_of(body),
            "expected KmsInit, KmsKeyProv or KmsCertCache");
  }
}

inline void write_request(parse_state& st, pugi::xml_node n, const kms_request& r) {
  check_nonempty(st, "KmsRequest/UserUri", r.user_uri);
  check_nonempty(st, "KmsRequest/KmsUri", r.kms_uri);
  check_nonempty(st, "KmsRequest/ClientReqUrl", r.client_req_url);
  if (!r.id.empty()) n.append_attribute("Id") = r.id.c_str();
  if (!r.version.empty()) n.append_attribute("Version") = r.version.c_str();
  builder::text(n, "UserUri", r.user_uri);
  builder::text(n, "KmsUri", r.kms_uri);
  builder::time(n, "Time", r.time, st);
  builder::optional_text(n, "ClientId", r.client_id);
  builder::optional_text(n, "DeviceId", r.device_id);
  builder::text(n, "ClientReqUrl", r.client_req_url);
  builder::optional_text(n, "ClientError", r.client_error);
}

inline void write_cert_cache(builder& b, parse_state& st, pugi::xml_node parent,
                             const kms_cert_cache& c) {
  pugi::xml_node n = builder::element(parent, "KmsCertCache");
  if (!c.version.empty()) n.append_attribute("Version") = c.version.c_str();
  if (c.cache_num) n.append_attribute("CacheNum") = std::to_string(*c.cache_num).c_str();
  for (const kms_certificate& cert : c.certificates) write_certificate(b, st, n, cert);
}

inline void write_error(pugi::xml_node response, const kms_error& e) {
  pugi::xml_node n = builder::element(response, "KmsError");
  builder::text(n, "ErrorCode", std::to_string(e.code));
  builder::optional_text(n, "ErrorMsg", e.message);
}

}  // namespace detail

/// A KmsRequest or SignedKmsRequest document (public content).
[[nodiscard]] inline result<kms_request, xml_failure> parse_kms_request(
    std::string_view text, const kms_parse_options& options = {}) {
  detail::parse_state st(options);
  detail::parsed_document doc(text);
  kms_request out;
  std::optional<signed_wrapper> wrapper;
  const pugi::xml_node root = detail::expect_root_maybe_signed(st, doc, "KmsRequest", wrapper);
  detail::read_request(st, root, out);
  if (st.failed()) return unexpected{st.failure()};
  out.signed_by = wrapper;
  out.notes = st.take_notes();
  return out;
}

/// The KmsRequest document (a SignedKmsRequest wrapper without signature when `signed_by` is
/// set: skm cannot sign requests yet).
[[nodiscard]] inline result<std::string, xml_failure> write_kms_request(const kms_request& r) {
  detail::parse_state st;
  detail::builder b;
  detail::write_request(st, detail::open_root(b, "KmsRequest", r.signed_by), r);
  if (st.failed()) return unexpected{st.failure()};
  const secret_bytes out = b.save();
  return std::string(out.as_text());
}

/// Any KmsResponse or SignedKmsResponse: KmsInit (its certificate keys checked with `checks`),
/// KmsKeyProv (structure and key encodings only: validate each key set against its certificate
/// with validate_key_set before use), KmsCertCache (every certificate's keys checked), or the
/// KMS's KmsError answer, returned as kms_response_kind::error (a document that is not
/// well-formed or breaks the schema is the only failure).
template <kms_key_checks V = curve_checks>
[[nodiscard]] result<kms_response, xml_failure> parse_kms_response(
    std::string_view text, const V& checks = {}, const kms_parse_options& options = {}) {
  detail::parse_state st(options);
  detail::parsed_document doc(text);
  kms_response out;
  const pugi::xml_node root =
      detail::expect_root_maybe_signed(st, doc, "KmsResponse", out.signed_by);
  const detail::response_parts parts = detail::read_response_parts(st, root, out.header);
  detail::read_response_body(st, parts, out, checks);
  if (st.failed()) return unexpected{st.failure()};
  out.notes = st.take_notes();
  return out;
}

/// A KmsResponse carrying KmsCertCache (public content).
[[nodiscard]] inline result<std::string, xml_failure> write_kms_cert_cache(
    const kms_response_header& h, const kms_cert_cache& cache) {
  detail::parse_state st;
  detail::builder b;
  detail::write_cert_cache(b, st, detail::write_response(b, st, h), cache);
  if (st.failed()) return unexpected{st.failure()};
  const secret_bytes out = b.save();
  return std::string(out.as_text());
}

/// A KmsResponse carrying KmsError (and no KmsMessage).
[[nodiscard]] inline result<std::string, xml_failure> write_kms_error(const kms_response_header& h,
                                                                      const kms_error& e) {
  detail::parse_state st;
  detail::builder b;
  detail::write_error(detail::write_response_header(b, st, h), e);
  if (st.failed()) return unexpected{st.failure()};
  const secret_bytes out = b.save();
  return std::string(out.as_text());
}

/// Any response. It may hold RSKs and SSKs (KmsKeyProv), so it comes back in a wiping buffer.
[[nodiscard]] inline result<secret_bytes, xml_failure> write_kms_response(const kms_response& r) {
  detail::parse_state st;
  detail::builder b;
  if (const kms_error* e = r.error()) {
    detail::write_error(detail::write_response_header(b, st, r.header, r.signed_by), *e);
  } else {
    const pugi::xml_node message = detail::write_response(b, st, r.header, r.signed_by);
    if (const auto* c = std::get_if<kms_certificate>(&r.body)) {
      detail::write_certificate(b, st, detail::builder::element(message, "KmsInit"), *c);
    } else if (const auto* p = std::get_if<kms_key_prov>(&r.body)) {
      detail::write_key_prov(b, st, message, p->version, p->key_sets);
    } else {
      detail::write_cert_cache(b, st, message, std::get<kms_cert_cache>(r.body));
    }
  }
  if (st.failed()) return unexpected{st.failure()};
  return b.save();
}

}  // namespace skm::km::xml
