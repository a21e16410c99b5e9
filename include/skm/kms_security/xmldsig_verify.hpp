// SPDX-License-Identifier: BSD-3-Clause
// Verification of a Signed… KMS document (see xmldsig.hpp for the shape). Included by
// xmldsig.hpp; not meant to be included on its own.
#pragma once

#include "skm/kms_security/xmldsig.hpp"

namespace skm::kms_security {
namespace detail {

inline constexpr std::string_view dsig_ns = km::xml::xmldsig_namespace;

/// The nodes a verification works on.
struct signed_layout {
  xmlNode* root = nullptr;       ///< Signed<X>
  xmlNode* inner = nullptr;      ///< X
  xmlNode* signature = nullptr;  ///< the one ds:Signature, last child of root
};

/// Signed<inner> in the KMS namespace holding <inner> then one ds:Signature, and no other
/// ds:Signature anywhere in the document.
[[nodiscard]] inline result<signed_layout, std::string> locate(xmlDoc* doc,
                                                               std::string_view inner) {
  signed_layout l;
  l.root = xmlDocGetRootElement(doc);
  const std::string wrapper = "Signed" + std::string(inner);
  if (!is(l.root, km::xml::kms_namespace, wrapper))
    return unexpected{"the document element is not " + wrapper + " in the KMS namespace"};
  int signatures = 0;
  for_each_element(l.root, [&](xmlNode* n) { signatures += is(n, dsig_ns, "Signature") ? 1 : 0; });
  if (signatures != 1)
    return unexpected{"the document holds " + std::to_string(signatures) +
                      " ds:Signature elements; exactly one is accepted"};
  const auto kids = element_children(l.root);
  if (!kids || kids->size() != 2 || !is((*kids)[0], km::xml::kms_namespace, inner) ||
      !is((*kids)[1], dsig_ns, "Signature"))
    return unexpected{wrapper + " must hold exactly " + std::string(inner) +
                      " then ds:Signature (nothing else, no text)"};
  l.inner = (*kids)[0];
  l.signature = (*kids)[1];
  return l;
}

/// One element child named `name` (XML-DSig namespace) of `n`, or null.
[[nodiscard]] inline xmlNode* only(xmlNode* n, std::string_view name) {
  const auto kids = element_children(n);
  if (!kids || kids->size() != 1 || !is((*kids)[0], dsig_ns, name)) return nullptr;
  return (*kids)[0];
}

/// Checks CanonicalizationMethod and SignatureMethod (HMAC-SHA256, full 256-bit output).
[[nodiscard]] inline std::optional<std::string> check_methods(xmlNode* canon, xmlNode* method,
                                                              verified_document& out) {
  const auto c = c14n_from_uri(attribute(canon, "Algorithm"));
  if (!c) return "unsupported CanonicalizationMethod " + attribute(canon, "Algorithm");
  out.c14n = *c;
  const auto canon_kids = element_children(canon);
  if (!canon_kids) return std::string("text in CanonicalizationMethod");
  for (xmlNode* k : *canon_kids)
    if (!(ns_of(k) == exc_c14n_namespace && sv(k->name) == "InclusiveNamespaces"))
      return "unexpected " + std::string(sv(k->name)) + " in CanonicalizationMethod";
  if (attribute(method, "Algorithm") != hmac_sha256_uri)
    return "unsupported SignatureMethod " + attribute(method, "Algorithm");
  const auto params = element_children(method);
  if (!params || params->size() > 1) return std::string("unexpected SignatureMethod parameters");
  if (params->size() == 1) {
    if (!is((*params)[0], dsig_ns, "HMACOutputLength"))
      return std::string("unexpected SignatureMethod parameter");
    if (content((*params)[0]) != "256")
      return "HMACOutputLength " + content((*params)[0]) + " refused: only the full 256 bits";
  }
  return std::nullopt;
}

/// Checks the one Reference: URI "#Id" of the inner element or of the root, transforms from
/// the list, SHA-256.
[[nodiscard]] inline std::optional<std::string> check_reference(xmlNode* ref,
                                                                const signed_layout& l,
                                                                verified_document& out) {
  const std::string uri = attribute(ref, "URI");
  const std::string inner_id = attribute(l.inner, "Id");
  const std::string root_id = attribute(l.root, "Id");
  if (!inner_id.empty() && uri == "#" + inner_id)
    out.signed_element = std::string(sv(l.inner->name));
  else if (!root_id.empty() && uri == "#" + root_id)
    out.signed_element = std::string(sv(l.root->name));
  else
    return "the Reference URI '" + uri + "' does not name the " + std::string(sv(l.inner->name)) +
           " element (by its Id) nor the document element";
  const auto kids = element_children(ref);
  if (!kids || kids->empty()) return std::string("empty Reference");
  std::size_t i = 0;
  if (is((*kids)[0], dsig_ns, "Transforms")) {
    const auto ts = element_children((*kids)[0]);
    if (!ts || ts->empty() || ts->size() > 2) return std::string("one or two Transforms expected");
    for (xmlNode* t : *ts) {
      const std::string alg = attribute(t, "Algorithm");
      if (!is(t, dsig_ns, "Transform") || (alg != enveloped_signature_uri && !c14n_from_uri(alg)))
        return "unsupported Transform " + alg;
      out.transforms.push_back(alg);
    }
    ++i;
  }
  if (kids->size() != i + 2 || !is((*kids)[i], dsig_ns, "DigestMethod") ||
      !is((*kids)[i + 1], dsig_ns, "DigestValue"))
    return std::string("Reference must hold Transforms?, DigestMethod, DigestValue");
  if (attribute((*kids)[i], "Algorithm") != sha256_uri)
    return "unsupported DigestMethod " + attribute((*kids)[i], "Algorithm");
  return std::nullopt;
}

/// The Signature's shape: SignedInfo (CanonicalizationMethod, SignatureMethod, one Reference),
/// SignatureValue, KeyInfo with one KeyName; no Object (no manifests, no extra content).
[[nodiscard]] inline std::optional<std::string> check_signature(const signed_layout& l,
                                                                verified_document& out) {
  const auto parts = element_children(l.signature);
  if (!parts || parts->size() != 3 || !is((*parts)[0], dsig_ns, "SignedInfo") ||
      !is((*parts)[1], dsig_ns, "SignatureValue") || !is((*parts)[2], dsig_ns, "KeyInfo"))
    return std::string("ds:Signature must hold SignedInfo, SignatureValue, KeyInfo");
  const auto info = element_children((*parts)[0]);
  if (!info || info->size() != 3 || !is((*info)[0], dsig_ns, "CanonicalizationMethod") ||
      !is((*info)[1], dsig_ns, "SignatureMethod") || !is((*info)[2], dsig_ns, "Reference"))
    return std::string(
        "SignedInfo must hold CanonicalizationMethod, SignatureMethod and exactly one Reference");
  if (auto e = check_methods((*info)[0], (*info)[1], out)) return e;
  if (auto e = check_reference((*info)[2], l, out)) return e;
  xmlNode* name = only((*parts)[2], "KeyName");
  if (!name) return std::string("KeyInfo must hold exactly one KeyName");
  out.key_name = content(name);
  return std::nullopt;
}

/// A signature context that accepts only the algorithms of this profile, same-document
/// references, and keeps the referenced octets.
[[nodiscard]] inline dsig_ptr restricted_context(const named_key& k) {
  dsig_ptr ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return ctx;
  ctx->flags = XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES | XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
  bool ok = true;
  for (xmlSecTransformId id : {xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
                               xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId}) {
    ok = ok && xmlSecDSigCtxEnableSignatureTransform(ctx.get(), id) >= 0;
    ok = ok && xmlSecDSigCtxEnableReferenceTransform(ctx.get(), id) >= 0;
  }
  ok = ok && xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecTransformHmacSha256Id) >= 0;
  ok = ok && xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformEnvelopedId) >= 0;
  ok = ok && xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformSha256Id) >= 0;
  key_ptr key = hmac_key(k);
  if (!ok || !key) return nullptr;
  ctx->signKey = key.release();  // the context owns it now
  return ctx;
}

/// Runs xmlsec and copies the pre-digest octets of the one Reference.
[[nodiscard]] inline result<km::secret_bytes, std::string> run_verify(xmlNode* signature,
                                                                      const named_key& k) {
  dsig_ptr ctx = restricted_context(k);
  if (!ctx) return unexpected{std::string("xmlsec signature context failed")};
  if (xmlSecDSigCtxVerify(ctx.get(), signature) < 0)
    return unexpected{std::string("the signature could not be processed")};
  if (ctx->status != xmlSecDSigStatusSucceeded)
    return unexpected{"the signature does not verify with key '" + k.name + "'"};
  if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1)
    return unexpected{std::string("exactly one verified Reference expected")};
  auto* ref =
      static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
  xmlSecBufferPtr digested = ref ? xmlSecDSigReferenceCtxGetPreDigestBuffer(ref) : nullptr;
  if (!ref || ref->status != xmlSecDSigStatusSucceeded || !digested ||
      xmlSecBufferGetSize(digested) == 0)
    return unexpected{std::string("the Reference did not verify")};
  return km::secret_bytes(
      std::span<const std::uint8_t>(xmlSecBufferGetData(digested), xmlSecBufferGetSize(digested)));
}

}  // namespace detail

/// Verifies a `Signed<inner>` document (inner: KmsResponse, KmsCertificate or KmsRequest) with
/// the key its KeyName names among `keys` (pass the InK and the TrK the client holds). On
/// success the canonical octets of the signed element come back: parse those, not `text`.
[[nodiscard]] inline result<verified_document, std::string> verify_kms_signature(
    std::string_view text, std::string_view inner, std::span<const named_key> keys) {
  auto doc = detail::parse_xml(text);
  if (!doc) return unexpected{doc.error()};
  auto layout = detail::locate(doc->get(), inner);
  if (!layout) return unexpected{layout.error()};
  if (auto problem = detail::register_ids(doc->get())) return unexpected{*problem};
  verified_document out;
  if (auto problem = detail::check_signature(*layout, out)) return unexpected{*problem};
  const named_key* key = nullptr;
  for (const named_key& k : keys)
    if (k.name == out.key_name) key = &k;
  if (!key) return unexpected{"signed with key '" + out.key_name + "', which is not held here"};
  auto digested = detail::run_verify(layout->signature, *key);
  if (!digested) return unexpected{digested.error()};
  out.canonical = std::move(*digested);
  return out;
}

}  // namespace skm::kms_security
