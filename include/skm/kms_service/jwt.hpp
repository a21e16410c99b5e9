// SPDX-License-Identifier: BSD-3-Clause
// Verifying OAuth 2.0 access tokens that are JWTs (RFC 7519) in JWS compact form (RFC 7515),
// signed by the identity management server with ES256 or RS256 (RFC 7518 §3.3, §3.4), with the
// public keys from a JWK Set file (RFC 7517). The rules of RFC 8725 (JWT best current practice):
//
//   BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)     (exactly three parts)
//
//   - the algorithm is pinned by configuration: the header's "alg" must be one of the configured
//     ones, and the key chosen must be of that algorithm's type (EC P-256 for ES256, RSA >= 2048
//     bits for RS256). "none", HS256 (which would use a public key as an HMAC secret) and any
//     other name are refused; so is "crit" (no extension is understood) and a JWE (five parts);
//   - "kid" selects the key; an unknown kid is refused; without a kid, the set must hold exactly
//     one key usable with the algorithm;
//   - "iss" must equal the configured issuer; "aud" must name one of the configured audiences;
//     "exp" is required, "nbf" and "iat" are honoured, each with a bounded clock skew;
//   - base64url without padding, canonical (unused bits zero); JSON by nlohmann-json, whose
//     parser rejects trailing garbage; every size bounded.
//
// Signatures are verified with OpenSSL 3 (EVP; already this layer's TLS library): keys are
// imported with EVP_PKEY_fromdata and checked with EVP_PKEY_public_check (the EC point on P-256),
// and one EVP_PKEY serves concurrent verifications. (Crypto++'s generic ECDSA was far slower
// for P-256, see docs/performance.md, and its key objects cannot be shared between threads.)
// base64url is Crypto++'s decoder, after a strict alphabet and canonical-form check.
#pragma once

#include <cryptopp/base64.h>
#include <cryptopp/filters.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "skm/common/result.hpp"

namespace skm::kms_service {

enum class jwt_error {
  malformed,              ///< not three base64url parts, bad base64url, or too long
  bad_header,             ///< the header is not a JSON object with a string "alg", or has "crit"
  algorithm_not_allowed,  ///< "alg" is not one of the configured algorithms (e.g. none, HS256)
  unknown_key,            ///< no key of the set has this kid (or, without kid, no single key)
  bad_signature,          ///< the signature does not verify
  bad_claims,             ///< the payload is not a JSON object, or a claim has the wrong type
  wrong_issuer,           ///< "iss" is not the configured issuer
  wrong_audience,         ///< "aud" does not name this server
  expired,                ///< now > exp + skew, or exp missing
  not_yet_valid,          ///< now < nbf - skew, or iat in the future beyond the skew
};

[[nodiscard]] constexpr const char* describe(jwt_error e) noexcept {
  switch (e) {
    case jwt_error::malformed: return "the token is not a compact JWS (three base64url parts)";
    case jwt_error::bad_header: return "the token header is not acceptable";
    case jwt_error::algorithm_not_allowed: return "the token's algorithm is not accepted";
    case jwt_error::unknown_key: return "the token names no key of the configured key set";
    case jwt_error::bad_signature: return "the token signature does not verify";
    case jwt_error::bad_claims: return "the token claims are malformed";
    case jwt_error::wrong_issuer: return "the token was issued by another issuer";
    case jwt_error::wrong_audience: return "the token is meant for another audience";
    case jwt_error::expired: return "the token has expired";
    case jwt_error::not_yet_valid: return "the token is not valid yet";
  }
  return "unknown jwt_error";
}

enum class jws_algorithm { es256, rs256 };

[[nodiscard]] inline std::optional<jws_algorithm> algorithm_from_name(std::string_view name) {
  if (name == "ES256") return jws_algorithm::es256;
  if (name == "RS256") return jws_algorithm::rs256;
  return std::nullopt;
}

[[nodiscard]] constexpr std::string_view algorithm_name(jws_algorithm a) noexcept {
  return a == jws_algorithm::es256 ? "ES256" : "RS256";
}

// ---------------------------------------------------------------------------------------------
// base64url (RFC 7515 §2: no padding, no other characters)

/// The octets of unpadded base64url text, or nullopt for any character outside the URL-safe
/// alphabet, a length that no encoding has, or non-zero unused bits (non-canonical text).
[[nodiscard]] inline std::optional<std::string> base64url_decode(std::string_view text) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  for (const char c : text)
    if (value(c) < 0) return std::nullopt;
  const std::size_t tail = text.size() % 4;
  if (tail == 1) return std::nullopt;
  if (tail != 0) {
    const int last = value(text.back());
    if ((tail == 2 && (last & 0x0F) != 0) || (tail == 3 && (last & 0x03) != 0)) return std::nullopt;
  }
  std::string out;
  CryptoPP::StringSource source(reinterpret_cast<const CryptoPP::byte*>(text.data()), text.size(),
                                true,
                                new CryptoPP::Base64URLDecoder(new CryptoPP::StringSink(out)));
  return out;
}

[[nodiscard]] inline std::string base64url_encode(std::string_view octets) {
  std::string out;
  CryptoPP::StringSource source(
      reinterpret_cast<const CryptoPP::byte*>(octets.data()), octets.size(), true,
      new CryptoPP::Base64URLEncoder(new CryptoPP::StringSink(out), false));
  return out;
}

// ---------------------------------------------------------------------------------------------
// JWK Set (RFC 7517 §5; key parameters RFC 7518 §6.2.1, §6.3.1)

/// One verification key of the identity management server (an OpenSSL public key; read-only
/// after construction, so one key serves concurrent verifications).
struct jwk {
  std::string kid;  ///< empty when the JWK has none
  jws_algorithm algorithm = jws_algorithm::es256;
  std::shared_ptr<EVP_PKEY> key;
};

struct jwk_set {
  std::vector<jwk> keys;
};

namespace detail {

inline constexpr int min_rsa_bits = 2048;

[[nodiscard]] inline std::optional<std::string> jwk_string(const nlohmann::json& k,
                                                           const char* name) {
  const auto it = k.find(name);
  if (it == k.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

[[nodiscard]] inline const unsigned char* octets(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

/// A public key of `type` ("EC", "RSA") from OpenSSL parameters, checked by OpenSSL.
[[nodiscard]] inline std::shared_ptr<EVP_PKEY> public_key_from(const char* type,
                                                               const OSSL_PARAM* params) {
  EVP_PKEY* raw = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  const bool made =
      ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
      EVP_PKEY_fromdata(ctx, &raw, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!made) return nullptr;
  std::shared_ptr<EVP_PKEY> key(raw, EVP_PKEY_free);
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr);
  const bool ok = check != nullptr && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  return ok ? key : nullptr;
}

/// An EC P-256 key (crv, x, y), validated as a point of the curve; or an error sentence.
[[nodiscard]] inline result<jwk, std::string> ec_key(const nlohmann::json& k) {
  if (jwk_string(k, "crv") != "P-256") return unexpected{std::string("EC key is not P-256")};
  const auto x = jwk_string(k, "x"), y = jwk_string(k, "y");
  const auto xb = x ? base64url_decode(*x) : std::nullopt;
  const auto yb = y ? base64url_decode(*y) : std::nullopt;
  // RFC 7518 §6.2.1.2 asks for the full length: not padded here, so a JWK writer that drops
  // leading zero octets (PyJWT before 2.7, about one key in 128) is found when the JWKS is read.
  if (!xb || !yb || xb->size() != 32 || yb->size() != 32)
    return unexpected{std::string(
        "EC key needs x and y of 32 octets in base64url (RFC 7518 6.2.1.2: full length, leading "
        "zero octets kept)")};
  const std::string point = "\x04" + *xb + *yb;
  static constexpr char group[] = "prime256v1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(group), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<char*>(point.data()),
                                        point.size()),
      OSSL_PARAM_construct_end()};
  auto key = public_key_from("EC", params);
  if (!key) return unexpected{std::string("EC key is not a point of P-256")};
  return jwk{{}, jws_algorithm::es256, std::move(key)};
}

/// An RSA key (n, e) of at least 2048 bits.
[[nodiscard]] inline result<jwk, std::string> rsa_key(const nlohmann::json& k) {
  const auto n = jwk_string(k, "n"), e = jwk_string(k, "e");
  const auto nb = n ? base64url_decode(*n) : std::nullopt;
  const auto eb = e ? base64url_decode(*e) : std::nullopt;
  if (!nb || !eb || nb->empty() || eb->empty() || eb->size() > 8 || nb->size() > 2048)
    return unexpected{std::string("RSA key needs n and e in base64url")};
  // OpenSSL parameters hold integers in native byte order.
  std::string n_native(nb->rbegin(), nb->rend()), e_native(eb->rbegin(), eb->rend());
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_N,
                              reinterpret_cast<unsigned char*>(n_native.data()), n_native.size()),
      OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_E,
                              reinterpret_cast<unsigned char*>(e_native.data()), e_native.size()),
      OSSL_PARAM_construct_end()};
  auto key = public_key_from("RSA", params);
  if (!key) return unexpected{std::string("RSA key is not valid")};
  if (EVP_PKEY_get_bits(key.get()) < min_rsa_bits)
    return unexpected{std::string("RSA key is shorter than 2048 bits")};
  return jwk{{}, jws_algorithm::rs256, std::move(key)};
}

/// RFC 7518 §3.4: R || S (32 octets each) as the DER ECDSA-Sig-Value OpenSSL verifies.
[[nodiscard]] inline std::string ecdsa_der(const std::string& raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (sig == nullptr) return {};
  BIGNUM* r = BN_bin2bn(octets(raw), 32, nullptr);
  BIGNUM* s = BN_bin2bn(octets(raw) + 32, 32, nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return {};
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace detail

/// Parses a JWK Set document ({"keys": [...]}; a single JWK object is accepted too). Keys for
/// other uses ("use" other than "sig") and private or symmetric keys are refused; the "alg" of a
/// JWK, when present, must agree with its key type. Returns an error sentence naming the key.
[[nodiscard]] inline result<jwk_set, std::string> parse_jwks(std::string_view text) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return unexpected{std::string("the JWK Set is not a JSON object")};
  nlohmann::json keys = doc.contains("keys") ? doc["keys"] : nlohmann::json::array({doc});
  if (!keys.is_array() || keys.empty())
    return unexpected{std::string("the JWK Set has no \"keys\" array with keys")};
  jwk_set out;
  std::set<std::string> kids;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& k = keys[i];
    const std::string where = "JWK " + std::to_string(i) + ": ";
    if (!k.is_object()) return unexpected{where + "not a JSON object"};
    if (k.contains("d") || k.contains("k"))
      return unexpected{where + "holds private or symmetric key material; give public keys only"};
    if (const auto use = detail::jwk_string(k, "use"); use && *use != "sig")
      return unexpected{where + "is not for signatures (\"use\": \"" + *use + "\")"};
    const auto kty = detail::jwk_string(k, "kty");
    auto key = kty == "EC"    ? detail::ec_key(k)
               : kty == "RSA" ? detail::rsa_key(k)
                              : result<jwk, std::string>(unexpected{std::string(
                                    "unsupported key type (EC P-256 and RSA are accepted)")});
    if (!key) return unexpected{where + key.error()};
    if (const auto alg = detail::jwk_string(k, "alg");
        alg && algorithm_from_name(*alg) != key->algorithm)
      return unexpected{where + "\"alg\" " + *alg + " does not fit its key type"};
    if (const auto kid = detail::jwk_string(k, "kid")) {
      if (!kids.insert(*kid).second) return unexpected{where + "repeats kid " + *kid};
      key->kid = *kid;
    }
    out.keys.push_back(std::move(*key));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Verification

struct jwt_policy {
  std::string issuer;                  ///< the "iss" every token must carry
  std::vector<std::string> audiences;  ///< "aud" must name one of these (when it is present)
  bool require_audience = false;       ///< a token without "aud" is refused
  std::set<jws_algorithm> algorithms{jws_algorithm::es256};  ///< the pinned algorithms
  std::int64_t max_skew_seconds = 60;                        ///< tolerance for exp / nbf / iat
  std::size_t max_token_octets = 8192;
};

/// The most clock skew a configuration may allow (a larger one would stretch every token).
inline constexpr std::int64_t max_allowed_skew_seconds = 300;

class jwt_verifier {
 public:
  jwt_verifier(jwk_set keys, jwt_policy policy)
      : keys_(std::move(keys)), policy_(std::move(policy)) {}

  [[nodiscard]] const jwt_policy& policy() const noexcept { return policy_; }

  /// The claims of a valid token at `now` (seconds since 1970-01-01 UTC).
  [[nodiscard]] result<nlohmann::json, jwt_error> verify(std::string_view token,
                                                         std::int64_t now) const {
    if (token.size() > policy_.max_token_octets) return unexpected{jwt_error::malformed};
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
      return unexpected{jwt_error::malformed};
    const auto header_b64 = token.substr(0, dot1);
    const auto payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    const auto header = base64url_decode(header_b64);
    const auto payload = base64url_decode(payload_b64);
    const auto signature = base64url_decode(token.substr(dot2 + 1));
    if (!header || !payload || !signature || header_b64.empty() || payload_b64.empty())
      return unexpected{jwt_error::malformed};

    const auto key = select_key(*header);
    if (!key) return unexpected{key.error()};
    if (!signature_ok(**key, token.substr(0, dot2), *signature))
      return unexpected{jwt_error::bad_signature};
    auto claims = nlohmann::json::parse(*payload, nullptr, false);
    if (claims.is_discarded() || !claims.is_object()) return unexpected{jwt_error::bad_claims};
    if (const auto e = check_claims(claims, now)) return unexpected{*e};
    return claims;
  }

 private:
  /// The header's algorithm checked against the pinned set, and the key it names.
  [[nodiscard]] result<const jwk*, jwt_error> select_key(const std::string& header_text) const {
    const auto header = nlohmann::json::parse(header_text, nullptr, false);
    if (header.is_discarded() || !header.is_object()) return unexpected{jwt_error::bad_header};
    const auto alg_it = header.find("alg");
    if (alg_it == header.end() || !alg_it->is_string()) return unexpected{jwt_error::bad_header};
    if (header.contains("crit")) return unexpected{jwt_error::bad_header};
    const auto alg = algorithm_from_name(alg_it->get<std::string>());
    if (!alg || policy_.algorithms.count(*alg) == 0)
      return unexpected{jwt_error::algorithm_not_allowed};
    const jwk* chosen = nullptr;
    if (const auto kid = header.find("kid"); kid != header.end()) {
      if (!kid->is_string()) return unexpected{jwt_error::bad_header};
      for (const auto& k : keys_.keys)
        if (k.kid == kid->get<std::string>()) chosen = &k;
      if (chosen == nullptr || chosen->algorithm != *alg) return unexpected{jwt_error::unknown_key};
      return chosen;
    }
    for (const auto& k : keys_.keys) {
      if (k.algorithm != *alg) continue;
      if (chosen != nullptr) return unexpected{jwt_error::unknown_key};  // ambiguous without kid
      chosen = &k;
    }
    if (chosen == nullptr) return unexpected{jwt_error::unknown_key};
    return chosen;
  }

  [[nodiscard]] static bool signature_ok(const jwk& key, std::string_view signing_input,
                                         const std::string& signature) {
    std::string der;
    const std::string* sig = &signature;
    if (key.algorithm == jws_algorithm::es256) {
      if (signature.size() != 64) return false;  // RFC 7518 §3.4: exactly R || S
      der = detail::ecdsa_der(signature);
      if (der.empty()) return false;
      sig = &der;
    } else if (signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(key.key.get()))) {
      return false;  // RFC 7518 §3.3 / RFC 8017: as long as the modulus
    }
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    const bool ok = md != nullptr &&
                    EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key.key.get()) == 1 &&
                    EVP_DigestVerify(md, detail::octets(*sig), sig->size(),
                                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                                     signing_input.size()) == 1;
    EVP_MD_CTX_free(md);
    return ok;
  }

  [[nodiscard]] static std::optional<std::int64_t> numeric_date(const nlohmann::json& v) {
    if (v.is_number_integer()) return v.get<std::int64_t>();
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!(d > -1e15 && d < 1e15)) return std::nullopt;  // also refuses NaN
      return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
  }

  [[nodiscard]] std::optional<jwt_error> check_claims(const nlohmann::json& c,
                                                      std::int64_t now) const {
    const auto iss = c.find("iss");
    if (iss == c.end() || !iss->is_string() || iss->get<std::string>() != policy_.issuer)
      return jwt_error::wrong_issuer;
    if (const auto e = check_audience(c)) return e;
    const std::int64_t skew = policy_.max_skew_seconds;
    const auto exp = c.find("exp");
    if (exp == c.end()) return jwt_error::expired;
    const auto exp_v = numeric_date(*exp);
    if (!exp_v) return jwt_error::bad_claims;
    if (now > *exp_v + skew) return jwt_error::expired;
    for (const char* name : {"nbf", "iat"}) {
      const auto it = c.find(name);
      if (it == c.end()) continue;
      const auto v = numeric_date(*it);
      if (!v) return jwt_error::bad_claims;
      if (now + skew < *v) return jwt_error::not_yet_valid;
    }
    return std::nullopt;
  }

  [[nodiscard]] std::optional<jwt_error> check_audience(const nlohmann::json& c) const {
    const auto aud = c.find("aud");
    if (aud == c.end())
      return policy_.require_audience ? std::optional(jwt_error::wrong_audience) : std::nullopt;
    const auto ours = [&](const nlohmann::json& v) {
      if (!v.is_string()) return false;
      for (const auto& a : policy_.audiences)
        if (v.get<std::string>() == a) return true;
      return false;
    };
    if (aud->is_string())
      return ours(*aud) ? std::nullopt : std::optional(jwt_error::wrong_audience);
    if (!aud->is_array()) return jwt_error::bad_claims;
    for (const auto& v : *aud)
      if (ours(v)) return std::nullopt;
    return jwt_error::wrong_audience;
  }

  jwk_set keys_;
  jwt_policy policy_;
};

}  // namespace skm::kms_service
