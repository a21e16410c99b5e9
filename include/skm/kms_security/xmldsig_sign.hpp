// SPDX-License-Identifier: BSD-3-Clause
// Signing a KMS document (see xmldsig.hpp for the shape). Included by xmldsig.hpp; not meant to
// be included on its own.
#pragma once

#include "skm/kms_security/xmldsig.hpp"

namespace skm::kms_security {
namespace detail {

[[nodiscard]] constexpr xmlSecTransformId transform_of(c14n_method m) noexcept {
  switch (m) {
    case c14n_method::c14n: return xmlSecTransformInclC14NId;
    case c14n_method::c14n_with_comments: return xmlSecTransformInclC14NWithCommentsId;
    case c14n_method::exc_c14n: return xmlSecTransformExclC14NId;
    case c14n_method::exc_c14n_with_comments: return xmlSecTransformExclC14NWithCommentsId;
  }
  return xmlSecTransformInclC14NId;
}

/// Moves the document element X under a new Signed<X> root in the KMS namespace and appends
/// the signature template; returns the ds:Signature node.
[[nodiscard]] inline xmlNode* add_template(xmlDoc* doc, const std::string& id, const named_key& k,
                                           const sign_options& o) {
  xmlNode* inner = xmlDocGetRootElement(doc);
  const std::string wrapper_name = "Signed" + std::string(sv(inner->name));
  xmlNode* wrapper = xmlNewDocNode(doc, nullptr, xc(wrapper_name.c_str()), nullptr);
  if (!wrapper) return nullptr;
  xmlSetNs(wrapper, xmlNewNs(wrapper, xc(std::string(km::xml::kms_namespace).c_str()), nullptr));
  xmlUnlinkNode(inner);
  xmlDocSetRootElement(doc, wrapper);
  xmlAddChild(wrapper, inner);
  xmlNode* sig = xmlSecTmplSignatureCreateNsPref(doc, transform_of(o.c14n),
                                                 xmlSecTransformHmacSha256Id, nullptr, xc("ds"));
  if (!sig || !xmlAddChild(wrapper, sig)) return nullptr;
  const std::string uri = "#" + id;
  xmlNode* ref = xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, nullptr,
                                                 xc(uri.c_str()), nullptr);
  if (!ref) return nullptr;
  if (o.enveloped_transform && !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId))
    return nullptr;
  if (!xmlSecTmplReferenceAddTransform(ref, transform_of(o.c14n))) return nullptr;
  xmlNode* key_info = xmlSecTmplSignatureEnsureKeyInfo(sig, nullptr);
  if (!key_info || !xmlSecTmplKeyInfoAddKeyName(key_info, xc(k.name.c_str()))) return nullptr;
  return sig;
}

}  // namespace detail

/// Signs a KMS document (KmsResponse, KmsCertificate or KmsRequest whose document element has
/// an Id) with `key`: returns the Signed<X> document. Sign documents whose keys are encrypted:
/// libxml2's copies of the text are not wiped (docs/security.md).
[[nodiscard]] inline result<std::string, std::string> sign_kms_document(
    std::string_view unsigned_text, const named_key& key, const sign_options& o = {}) {
  auto doc = detail::parse_xml(unsigned_text);
  if (!doc) return unexpected{doc.error()};
  xmlNode* root = xmlDocGetRootElement(doc->get());
  const std::string_view name = detail::sv(root->name);
  if (detail::ns_of(root) != km::xml::kms_namespace ||
      (name != "KmsResponse" && name != "KmsCertificate" && name != "KmsRequest"))
    return unexpected{std::string("only KmsResponse, KmsCertificate and KmsRequest are signed")};
  const std::string id = detail::attribute(root, "Id");
  if (id.empty()) return unexpected{std::string("the element to sign needs an Id attribute")};
  if (key.name.empty()) return unexpected{std::string("the signing key needs a name")};
  if (auto problem = detail::register_ids(doc->get())) return unexpected{*problem};
  xmlNode* sig = detail::add_template(doc->get(), id, key, o);
  if (!sig) return unexpected{std::string("the signature template could not be built")};
  detail::dsig_ptr ctx(xmlSecDSigCtxCreate(nullptr));
  detail::key_ptr k = detail::hmac_key(key);
  if (!ctx || !k) return unexpected{std::string("xmlsec signature context failed")};
  ctx->signKey = k.release();
  if (xmlSecDSigCtxSign(ctx.get(), sig) < 0 || ctx->status != xmlSecDSigStatusSucceeded)
    return unexpected{std::string("xmlsec failed to sign")};
  xmlChar* out = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc->get(), &out, &size, "UTF-8");
  detail::xml_string owned(out);
  if (!out || size <= 0) return unexpected{std::string("serialisation failed")};
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(size));
}

}  // namespace skm::kms_security
