// SPDX-License-Identifier: BSD-3-Clause
// [jwt]: the access-token verifier. Known answers from RFC 7515 Appendix A.2 (RS256) and A.3
// (ES256); every refusal of RFC 8725 with tokens minted here (ES256/RS256 by Crypto++, an
// HS256 token keyed with the public key, "none"); the scope and identity rules of jwt_access.
// Interop with an independent implementation (PyJWT) is in the kms-service suite.

#include <cryptopp/asn.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/hmac.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>
#include <cryptopp/rsa.h>
#include <cryptopp/sha.h>

#include <catch2/catch.hpp>
#include <string>

#include "skm/kms_service/jwt_access.hpp"

namespace test_jwt {

namespace {

using namespace skm::kms_service;
using json = nlohmann::json;

// RFC 7515 A.3.1: the ES256 example key and token ("iss":"joe", "exp":1300819380).
constexpr std::string_view rfc_es256_jwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
constexpr std::string_view rfc_es256_token =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// RFC 7515 A.2.1: the RS256 example (same payload).
constexpr std::string_view rfc_rs256_jwk =
    R"({"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx)"
    R"(HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo)"
    R"(9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4u)"
    R"(DZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb5)"
    R"(4h4FRWyuXpoQ"})";
constexpr std::string_view rfc_rs256_token =
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5"
    "jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb"
    "1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QO"
    "YEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

constexpr std::int64_t rfc_now = 1300819000;  // before the example's exp

jwk_set keys_of(std::string_view text) {
  auto k = parse_jwks(text);
  REQUIRE(k.has_value());
  return std::move(*k);
}

jwt_verifier rfc_verifier(std::set<jws_algorithm> algs, std::string_view jwk) {
  jwt_policy p;
  p.issuer = "joe";
  p.algorithms = std::move(algs);
  return jwt_verifier(keys_of(jwk), p);
}

// A signing identity management server of our own, for tokens with chosen claims.
struct es256_signer {
  CryptoPP::AutoSeededRandomPool rng;
  CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PrivateKey key;
  std::string kid;

  explicit es256_signer(std::string k) : kid(std::move(k)) {
    key.Initialize(rng, CryptoPP::ASN1::secp256r1());
  }
  [[nodiscard]] json jwk() const {
    CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PublicKey pub;
    key.MakePublicKey(pub);
    std::string x(32, '\0'), y(32, '\0');
    pub.GetPublicElement().x.Encode(reinterpret_cast<CryptoPP::byte*>(x.data()), 32);
    pub.GetPublicElement().y.Encode(reinterpret_cast<CryptoPP::byte*>(y.data()), 32);
    return {{"kty", "EC"},
            {"crv", "P-256"},
            {"kid", kid},
            {"x", base64url_encode(x)},
            {"y", base64url_encode(y)}};
  }
  [[nodiscard]] std::string sign(json header, const json& claims) {
    header["alg"] = "ES256";
    if (!header.contains("kid") && !kid.empty()) header["kid"] = kid;
    const std::string input =
        base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::Signer s(key);
    std::string sig(s.MaxSignatureLength(), '\0');
    sig.resize(s.SignMessage(rng, reinterpret_cast<const CryptoPP::byte*>(input.data()),
                             input.size(), reinterpret_cast<CryptoPP::byte*>(sig.data())));
    return input + "." + base64url_encode(sig);
  }
};

constexpr std::int64_t now = 1800000000;

json good_claims() {
  return {{"iss", "https://idms.example.org"},
          {"aud", "kms.example.org"},
          {"exp", now + 600},
          {"nbf", now - 10},
          {"iat", now - 10},
          {"scope", "openid 3gpp:mc:ptt_key_management_service"},
          {"mcptt_id", "sip:alice@example.org"}};
}

jwt_policy good_policy() {
  jwt_policy p;
  p.issuer = "https://idms.example.org";
  p.audiences = {"kms.example.org"};
  p.max_skew_seconds = 30;
  return p;
}

struct fixture {
  es256_signer idms{"idms-1"};
  es256_signer other{"idms-1"};  // same kid, another key: a forged token
  jwt_verifier verifier{
      keys_of(json{{"keys", json::array({idms.jwk(), es256_signer("idms-2").jwk()})}}.dump()),
      good_policy()};

  [[nodiscard]] jwt_error refusal(const std::string& token) const {
    const auto r = verifier.verify(token, now);
    REQUIRE_FALSE(r.has_value());
    return r.error();
  }
};

}  // namespace

TEST_CASE("base64url: unpadded, canonical, URL alphabet only", "[jwt]") {
  CHECK(base64url_decode("").value().empty());
  CHECK(base64url_decode("Zm9v").value() == "foo");
  CHECK(base64url_decode("Zm8").value() == "fo");
  CHECK(base64url_decode("_-8").value() == "\xff\xef");
  CHECK(base64url_encode("\xff\xef") == "_-8");
  CHECK_FALSE(base64url_decode("Zm8=").has_value());   // padding
  CHECK_FALSE(base64url_decode("Zm+v").has_value());   // standard alphabet
  CHECK_FALSE(base64url_decode("Zm9 v").has_value());  // whitespace
  CHECK_FALSE(base64url_decode("Zm9vY").has_value());  // impossible length
  CHECK_FALSE(base64url_decode("Zm9").has_value());    // unused bits set: non-canonical
}

TEST_CASE("RFC 7515 A.3: the ES256 example verifies", "[jwt]") {
  const auto v = rfc_verifier({jws_algorithm::es256}, rfc_es256_jwk);
  const auto claims = v.verify(rfc_es256_token, rfc_now);
  REQUIRE(claims.has_value());
  CHECK((*claims)["iss"] == "joe");
  CHECK((*claims)["http://example.com/is_root"] == true);
  // The example's exp is 1300819380; the default skew is 60 s.
  CHECK(v.verify(rfc_es256_token, 1300819380 + 60).has_value());
  CHECK(v.verify(rfc_es256_token, 1300819380 + 61).error() == jwt_error::expired);
  std::string tampered(rfc_es256_token);
  tampered[tampered.size() - 5] ^= 1;
  CHECK(v.verify(tampered, rfc_now).error() == jwt_error::bad_signature);
}

TEST_CASE("RFC 7515 A.2: the RS256 example verifies only when RS256 is configured", "[jwt]") {
  const auto rs = rfc_verifier({jws_algorithm::rs256}, rfc_rs256_jwk);
  REQUIRE(rs.verify(rfc_rs256_token, rfc_now).has_value());
  const auto es_only = rfc_verifier({jws_algorithm::es256}, rfc_rs256_jwk);
  CHECK(es_only.verify(rfc_rs256_token, rfc_now).error() == jwt_error::algorithm_not_allowed);
  // An ES256 token against an RSA-only key set: no key of that type.
  const auto es_on_rsa = rfc_verifier({jws_algorithm::es256}, rfc_rs256_jwk);
  CHECK(es_on_rsa.verify(rfc_es256_token, rfc_now).error() == jwt_error::unknown_key);
}

TEST_CASE("JWT: claims are checked", "[jwt]") {
  fixture f;
  REQUIRE(f.verifier.verify(f.idms.sign({}, good_claims()), now).has_value());

  auto c = good_claims();
  c["iss"] = "https://evil.example.org";
  CHECK(f.refusal(f.idms.sign({}, c)) == jwt_error::wrong_issuer);
  c = good_claims();
  c.erase("iss");
  CHECK(f.refusal(f.idms.sign({}, c)) == jwt_error::wrong_issuer);
  c = good_claims();
  c["aud"] = "other-kms.example.org";
  CHECK(f.refusal(f.idms.sign({}, c)) == jwt_error::wrong_audience);
  c["aud"] = json::array({"a", "kms.example.org"});
  CHECK(f.verifier.verify(f.idms.sign({}, c), now).has_value());
  c["aud"] = 7;
  CHECK(f.refusal(f.idms.sign({}, c)) == jwt_error::bad_claims);
  c = good_claims();
  c["exp"] = now - 31;
  CHECK(f.refusal(f.idms.sign({}, c)) == jwt_error::expired);
  c["exp"] = now - 29;  // within the skew
  CHECK(f.verifier.verify(f.idms.sign({}, c), now).has_value());
  c.erase("exp");
  CHECK(f.refusal(f.idms.sign({}, c)) == jwt_error::expired);
  c = good_claims();
  c["exp"] = "tomorrow";
  CHECK(f.refusal(f.idms.sign({}, c)) == jwt_error::bad_claims);
  c = good_claims();
  c["nbf"] = now + 31;
  CHECK(f.refusal(f.idms.sign({}, c)) == jwt_error::not_yet_valid);
  c["nbf"] = now + 29;
  CHECK(f.verifier.verify(f.idms.sign({}, c), now).has_value());
  c = good_claims();
  c["iat"] = now + 3600;
  CHECK(f.refusal(f.idms.sign({}, c)) == jwt_error::not_yet_valid);
  CHECK(f.refusal(f.idms.sign({}, json::array({1, 2}))) == jwt_error::bad_claims);
}

TEST_CASE("JWT: audience may be required", "[jwt]") {
  es256_signer idms("k");
  auto p = good_policy();
  p.require_audience = true;
  const jwt_verifier v(keys_of(json{{"keys", json::array({idms.jwk()})}}.dump()), p);
  auto c = good_claims();
  c.erase("aud");
  CHECK(v.verify(idms.sign({}, c), now).error() == jwt_error::wrong_audience);
  p.require_audience = false;
  const jwt_verifier lax(keys_of(json{{"keys", json::array({idms.jwk()})}}.dump()), p);
  CHECK(lax.verify(idms.sign({}, c), now).has_value());
}

TEST_CASE("JWT: algorithm and key confusion are refused (RFC 8725)", "[jwt]") {
  fixture f;
  const std::string payload = base64url_encode(good_claims().dump());
  // alg none, with and without a signature.
  const std::string none = base64url_encode(R"({"alg":"none","kid":"idms-1"})") + "." + payload;
  CHECK(f.refusal(none + ".") == jwt_error::algorithm_not_allowed);
  CHECK(f.refusal(none + ".AAAA") == jwt_error::algorithm_not_allowed);
  // HS256 keyed with the server's public key (its JWK text): the classic confusion.
  const std::string hs_input =
      base64url_encode(R"({"alg":"HS256","kid":"idms-1"})") + "." + payload;
  const std::string secret = f.idms.jwk().dump();
  CryptoPP::HMAC<CryptoPP::SHA256> mac(reinterpret_cast<const CryptoPP::byte*>(secret.data()),
                                       secret.size());
  std::string tag(32, '\0');
  mac.CalculateDigest(reinterpret_cast<CryptoPP::byte*>(tag.data()),
                      reinterpret_cast<const CryptoPP::byte*>(hs_input.data()), hs_input.size());
  CHECK(f.refusal(hs_input + "." + base64url_encode(tag)) == jwt_error::algorithm_not_allowed);
  // RS256 is not pinned here.
  CHECK(f.refusal(base64url_encode(R"({"alg":"RS256"})") + "." + payload + ".AAAA") ==
        jwt_error::algorithm_not_allowed);
  // Unknown kid; a forged signature under a known kid; no kid with two ES256 keys.
  CHECK(f.refusal(f.idms.sign({{"kid", "idms-9"}}, good_claims())) == jwt_error::unknown_key);
  CHECK(f.refusal(f.other.sign({}, good_claims())) == jwt_error::bad_signature);
  es256_signer no_kid("");
  CHECK(f.refusal(no_kid.sign({}, good_claims())) == jwt_error::unknown_key);
  CHECK(f.refusal(f.idms.sign({{"kid", nullptr}}, good_claims())) == jwt_error::bad_header);
  // crit, a non-object header, a header without alg.
  CHECK(f.refusal(f.idms.sign({{"crit", json::array({"exp"})}}, good_claims())) ==
        jwt_error::bad_header);
  CHECK(f.refusal(base64url_encode("[1]") + "." + payload + ".AAAA") == jwt_error::bad_header);
  CHECK(f.refusal(base64url_encode(R"({"typ":"JWT"})") + "." + payload + ".AAAA") ==
        jwt_error::bad_header);
}

TEST_CASE("JWT: malformed compact serializations", "[jwt]") {
  fixture f;
  const std::string good = f.idms.sign({}, good_claims());
  CHECK(f.refusal("") == jwt_error::malformed);
  CHECK(f.refusal("abc") == jwt_error::malformed);
  CHECK(f.refusal("a.b") == jwt_error::malformed);
  CHECK(f.refusal(good + ".x.y") == jwt_error::malformed);  // five parts (JWE)
  CHECK(f.refusal(good + "=") == jwt_error::malformed);
  CHECK(f.refusal(" " + good) == jwt_error::malformed);
  CHECK(f.refusal(std::string(9000, 'a')) == jwt_error::malformed);
  // A 63-octet ES256 signature.
  const auto dot = good.rfind('.');
  const auto sig = base64url_decode(good.substr(dot + 1)).value();
  CHECK(f.refusal(good.substr(0, dot + 1) + base64url_encode(sig.substr(1))) ==
        jwt_error::bad_signature);
}

TEST_CASE("JWK Set: only usable public signature keys", "[jwt]") {
  es256_signer s("a");
  auto k = s.jwk();
  CHECK(parse_jwks(json{{"keys", json::array({k})}}.dump()).has_value());
  CHECK(parse_jwks(k.dump()).has_value());  // a bare JWK
  CHECK_FALSE(parse_jwks("not json").has_value());
  CHECK_FALSE(parse_jwks(R"({"keys":[]})").has_value());
  auto bad = k;
  bad["d"] = "AAAA";
  CHECK_FALSE(parse_jwks(json{{"keys", json::array({bad})}}.dump()).has_value());
  bad = k;
  bad["use"] = "enc";
  CHECK_FALSE(parse_jwks(json{{"keys", json::array({bad})}}.dump()).has_value());
  bad = k;
  bad["alg"] = "RS256";
  CHECK_FALSE(parse_jwks(json{{"keys", json::array({bad})}}.dump()).has_value());
  bad = k;
  bad["crv"] = "P-384";
  CHECK_FALSE(parse_jwks(json{{"keys", json::array({bad})}}.dump()).has_value());
  bad = k;
  bad["y"] = bad["x"];  // (x, x) is not on the curve
  CHECK_FALSE(parse_jwks(json{{"keys", json::array({bad})}}.dump()).has_value());
  bad = k;
  bad["kty"] = "oct";
  CHECK_FALSE(parse_jwks(json{{"keys", json::array({bad})}}.dump()).has_value());
  // RFC 7518 §6.2.1.2: x and y at full length. PyJWT before 2.7 drops leading zero octets (about
  // one key in 128): such a coordinate is refused with a sentence that says why.
  bad = k;
  bad["x"] = base64url_encode(base64url_decode(k["x"].get<std::string>())->substr(1));
  const auto short_x = parse_jwks(json{{"keys", json::array({bad})}}.dump());
  REQUIRE_FALSE(short_x.has_value());
  CHECK(short_x.error().find("leading zero") != std::string::npos);
  CHECK_FALSE(parse_jwks(json{{"keys", json::array({k, k})}}.dump()).has_value());  // kid twice
  // A 1024-bit RSA key is too short.
  CryptoPP::AutoSeededRandomPool rng;
  CryptoPP::InvertibleRSAFunction small;
  small.Initialize(rng, 1024);
  std::string n(128, '\0');
  small.GetModulus().Encode(reinterpret_cast<CryptoPP::byte*>(n.data()), n.size());
  const json rsa{{"kty", "RSA"}, {"n", base64url_encode(n)}, {"e", "AQAB"}};
  const auto r = parse_jwks(json{{"keys", json::array({rsa})}}.dump());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().find("2048") != std::string::npos);
}

TEST_CASE("access tokens: scope in both 3GPP generations, identity claims", "[jwt]") {
  es256_signer idms("k");
  const auto keys = json{{"keys", json::array({idms.jwk()})}}.dump();
  const auto clock = [] { return now; };
  const jwt_token_verifier v(jwt_verifier(keys_of(keys), good_policy()), access_policy{}, clock);

  auto c = good_claims();
  auto p = v.verify(idms.sign({}, c));
  REQUIRE(p.has_value());
  CHECK(p->identity == "sip:alice@example.org");
  c["scope"] = "3gpp:mcptt:key_management_server";  // Rel-13 name
  CHECK(v.verify(idms.sign({}, c)).has_value());
  c.erase("scope");
  c["scp"] = json::array({"openid", "3gpp:mc:data_key_management_service"});
  CHECK(v.verify(idms.sign({}, c)).has_value());
  c["scp"] = "3gpp:mc:ptt_server";
  const auto no_scope = v.verify(idms.sign({}, c));
  REQUIRE_FALSE(no_scope.has_value());
  CHECK(no_scope.error().code == bearer_error::insufficient_scope);
  c["scp"] = "3gpp:mc:ptt_key_management_service_extra";  // not a prefix match
  CHECK(v.verify(idms.sign({}, c)).error().code == bearer_error::insufficient_scope);

  c = good_claims();
  c.erase("mcptt_id");
  c["mcdata_id"] = "sip:bob@example.org";
  CHECK(v.verify(idms.sign({}, c))->identity == "sip:bob@example.org");
  c.erase("mcdata_id");
  CHECK(v.verify(idms.sign({}, c)).error().code == bearer_error::invalid_token);
  c["mcptt_id"] = 42;
  CHECK(v.verify(idms.sign({}, c)).error().code == bearer_error::invalid_token);

  // A configured SEAL scope and identity claim.
  access_policy seal;
  seal.scopes = {"seal:key_management"};
  seal.identity_claims = {"val_user_id"};
  const jwt_token_verifier sv(jwt_verifier(keys_of(keys), good_policy()), seal, clock);
  c = good_claims();
  c["scope"] = "seal:key_management";
  c["val_user_id"] = "val-user-7@example.org";
  CHECK(sv.verify(idms.sign({}, c))->identity == "val-user-7@example.org");
  CHECK(sv.verify(idms.sign({}, good_claims())).error().code == bearer_error::insufficient_scope);
  // Expired tokens are invalid_token (401).
  c["exp"] = now - 3600;
  CHECK(sv.verify(idms.sign({}, c)).error().code == bearer_error::invalid_token);
}

}  // namespace test_jwt
