// SPDX-License-Identifier: BSD-3-Clause
// XML-DSig (RFC 3275) over the KMS documents with a shared key (TS 33.180 D.1: HMAC-SHA256 with
// the InK, else the TrK), on libxml2 (parsing, C14N) and xmlsec1 (transforms, digest, HMAC).
//
//   <SignedKmsResponse xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0">
//     <KmsResponse Id="xmldoc" …>…</KmsResponse>            the signed element
//     <ds:Signature>
//       <ds:SignedInfo>
//         <ds:CanonicalizationMethod Algorithm="C14N 1.0 | …#WithComments | exc-C14N (…)"/>
//         <ds:SignatureMethod Algorithm="…xmldsig-more#hmac-sha256"/>  (HMACOutputLength 256 or
//         absent) <ds:Reference URI="#xmldoc">
//           <ds:Transforms> enveloped-signature?, one C14N? </ds:Transforms>
//           <ds:DigestMethod Algorithm="…xmlenc#sha256"/><ds:DigestValue/>
//         </ds:Reference>
//       </ds:SignedInfo>
//       <ds:SignatureValue/>
//       <ds:KeyInfo><ds:KeyName>tk.1.alice@example.org</ds:KeyName></ds:KeyInfo>
//     </ds:Signature>
//   </SignedKmsResponse>
//
// Verification is strict before xmlsec runs: this shape and nothing else (one Signature in the
// whole document, as the last child of the Signed… root; one Reference, by Id, to the element
// the caller will use or to the root; unique Ids; only the algorithms above; KeyName naming a
// key the caller holds). xmlsec then checks digest and HMAC with the same algorithm lists
// enabled, and hands back the exact octets it digested (the canonical form of the referenced
// element, the signature removed). Callers parse those octets, and only those, with the
// pugixml-based km::xml parsers: what is used is what was verified (docs/architecture.md).
//
// libxml2 and xmlsec1 are initialised once per process on first use (their own global state);
// their allocator wipes freed blocks when the program asked for it first (xml_allocator.hpp).
#pragma once

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "skm/common/result.hpp"
#include "skm/km/kms_xml.hpp"
#include "skm/km/secret.hpp"
#include "skm/kms_security/transport_keys.hpp"
#include "skm/kms_security/xml_allocator.hpp"

namespace skm::kms_security {

inline constexpr std::string_view hmac_sha256_uri =
    "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
inline constexpr std::string_view sha256_uri = "http://www.w3.org/2001/04/xmlenc#sha256";
inline constexpr std::string_view enveloped_signature_uri =
    "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
inline constexpr std::string_view exc_c14n_namespace = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// The canonicalisations accepted (CanonicalizationMethod and Reference transforms).
enum class c14n_method { c14n, c14n_with_comments, exc_c14n, exc_c14n_with_comments };

[[nodiscard]] constexpr std::string_view uri_of(c14n_method m) noexcept {
  switch (m) {
    case c14n_method::c14n: return "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
    case c14n_method::c14n_with_comments:
      return "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
    case c14n_method::exc_c14n: return "http://www.w3.org/2001/10/xml-exc-c14n#";
    case c14n_method::exc_c14n_with_comments:
      return "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
  }
  return {};
}

[[nodiscard]] inline std::optional<c14n_method> c14n_from_uri(std::string_view uri) noexcept {
  for (auto m : {c14n_method::c14n, c14n_method::c14n_with_comments, c14n_method::exc_c14n,
                 c14n_method::exc_c14n_with_comments})
    if (uri == uri_of(m)) return m;
  return std::nullopt;
}

struct sign_options {
  c14n_method c14n = c14n_method::c14n;
  bool enveloped_transform = true;  ///< the Java client adds it; harmless on a sibling element
};

/// What a verification established.
struct verified_document {
  km::secret_bytes canonical;  ///< the octets digested: the referenced element, canonical
  std::string signed_element;  ///< local name of the referenced element
  std::string key_name;        ///< KeyInfo/KeyName, the key that verified
  c14n_method c14n = c14n_method::c14n;
  std::vector<std::string> transforms;  ///< the Reference's transform URIs
};

namespace detail {

struct doc_free {
  void operator()(xmlDoc* d) const noexcept { xmlFreeDoc(d); }
};
using doc_ptr = std::unique_ptr<xmlDoc, doc_free>;
struct dsig_free {
  void operator()(xmlSecDSigCtx* c) const noexcept { xmlSecDSigCtxDestroy(c); }
};
using dsig_ptr = std::unique_ptr<xmlSecDSigCtx, dsig_free>;
struct key_free {
  void operator()(xmlSecKey* k) const noexcept { xmlSecKeyDestroy(k); }
};
using key_ptr = std::unique_ptr<xmlSecKey, key_free>;
struct xml_char_free {
  void operator()(xmlChar* p) const noexcept { xmlFree(p); }
};
using xml_string = std::unique_ptr<xmlChar, xml_char_free>;

inline constexpr std::size_t max_document_octets = 4u << 20;

/// libxml2 and xmlsec1 (OpenSSL back end), once per process; their messages are silenced (they
/// would go to stderr; the errors returned here say what failed).
[[nodiscard]] inline bool xmlsec_ready() {
  static const bool ok = [] {
    xml_library_started() = true;  // use_wiping_xml_allocator() is too late from here on
    xmlInitParser();
    if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1) return false;
    if (xmlSecCryptoAppInit(nullptr) < 0 || xmlSecCryptoInit() < 0) return false;
    xmlSecErrorsDefaultCallbackEnableOutput(0);
    return true;
  }();
  return ok;
}

[[nodiscard]] inline const xmlChar* xc(const char* s) noexcept {
  return reinterpret_cast<const xmlChar*>(s);
}
[[nodiscard]] inline std::string_view sv(const xmlChar* s) noexcept {
  return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view();
}
[[nodiscard]] inline std::string_view ns_of(const xmlNode* n) noexcept {
  return n->ns ? sv(n->ns->href) : std::string_view();
}
[[nodiscard]] inline bool is(const xmlNode* n, std::string_view ns, std::string_view name) {
  return n && n->type == XML_ELEMENT_NODE && ns_of(n) == ns && sv(n->name) == name;
}
[[nodiscard]] inline std::string attribute(const xmlNode* n, const char* name) {
  xml_string v(xmlGetNoNsProp(n, xc(name)));
  return std::string(sv(v.get()));
}
[[nodiscard]] inline std::string content(const xmlNode* n) {
  xml_string v(xmlNodeGetContent(n));
  return std::string(km::xml::detail::trim(sv(v.get())));
}

/// The element children of `n`; non-blank text among them is an error (returned as nullopt).
[[nodiscard]] inline std::optional<std::vector<xmlNode*>> element_children(xmlNode* n) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = n->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
        !km::xml::detail::trim(sv(c->content)).empty())
      return std::nullopt;
    if (c->type == XML_ENTITY_REF_NODE) return std::nullopt;
  }
  return out;
}

/// Parses without network, DTD loading or entity substitution; refuses a DOCTYPE.
[[nodiscard]] inline result<doc_ptr, std::string> parse_xml(std::string_view text) {
  if (!xmlsec_ready()) return unexpected{std::string("libxml2/xmlsec1 failed to initialise")};
  if (text.empty() || text.size() > max_document_octets)
    return unexpected{std::string("empty or oversized document")};
  doc_ptr d(xmlReadMemory(text.data(), static_cast<int>(text.size()), nullptr, nullptr,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!d) return unexpected{std::string("malformed XML")};
  if (d->intSubset || d->extSubset) return unexpected{std::string("a DOCTYPE is not allowed")};
  if (!xmlDocGetRootElement(d.get())) return unexpected{std::string("no document element")};
  return d;
}

/// Every element of the document, depth first, without recursion.
template <class F>
void for_each_element(xmlNode* root, F&& f) {
  for (xmlNode* n = root; n;) {
    if (n->type == XML_ELEMENT_NODE) f(n);
    if (n->type == XML_ELEMENT_NODE && n->children) {
      n = n->children;
      continue;
    }
    while (n && n != root && !n->next) n = n->parent;
    if (!n || n == root) break;
    n = n->next;
  }
}

/// Registers every `Id` attribute as an XML ID (what the Reference resolves); a value used twice
/// is refused, so an Id cannot point at a decoy.
[[nodiscard]] inline std::optional<std::string> register_ids(xmlDoc* doc) {
  std::set<std::string> seen;
  std::optional<std::string> problem;
  for_each_element(xmlDocGetRootElement(doc), [&](xmlNode* n) {
    for (xmlAttr* a = n->properties; a; a = a->next) {
      if (a->ns || sv(a->name) != "Id") continue;
      const std::string v = attribute(n, "Id");
      if (!seen.insert(v).second)
        problem = "Id '" + v + "' appears twice";
      else if (!xmlAddID(nullptr, doc, xc(v.c_str()), a))
        problem = "Id '" + v + "' refused";
    }
  });
  return problem;
}

/// The shared key as an xmlsec HMAC key carrying its name.
[[nodiscard]] inline key_ptr hmac_key(const named_key& k) {
  key_ptr key(xmlSecKeyReadMemory(xmlSecKeyDataHmacId, k.key.data(),
                                  static_cast<xmlSecSize>(k.key.span().size())));
  if (key && xmlSecKeySetName(key.get(), xc(k.name.c_str())) < 0) key.reset();
  return key;
}

}  // namespace detail
}  // namespace skm::kms_security

#include "skm/kms_security/xmldsig_sign.hpp"
#include "skm/kms_security/xmldsig_verify.hpp"
