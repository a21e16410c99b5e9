// SPDX-License-Identifier: BSD-3-Clause
// What the handler tests share (tests/kms_service, tests/kms_state): a fixed test clock, the
// identity management server that signs real ES256 access tokens and publishes its JWKS, and a
// freshly generated community.
#pragma once

#include <cryptopp/asn.h>
#include <cryptopp/eccrypto.h>
#include <cryptopp/oids.h>
#include <cryptopp/osrng.h>
#include <cryptopp/sha.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "skm/common/random.hpp"
#include "skm/km/kms_xml.hpp"
#include "skm/km/skm_server.hpp"
#include "skm/kms_service/config.hpp"
#include "skm/kms_service/jwt.hpp"

namespace skm::test {

/// The tests' "now" (2027-01-15), as Unix seconds.
inline constexpr std::int64_t handler_unix_now = 1800000000;

/// The identity management server: issuer "idms", one P-256 key, tokens valid 10 minutes.
struct idms {
  CryptoPP::AutoSeededRandomPool rng;
  CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PrivateKey key;
  idms() { key.Initialize(rng, CryptoPP::ASN1::secp256r1()); }

  [[nodiscard]] std::string jwks() const {
    using kms_service::base64url_encode;
    CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::PublicKey pub;
    key.MakePublicKey(pub);
    std::string x(32, '\0'), y(32, '\0');
    pub.GetPublicElement().x.Encode(reinterpret_cast<CryptoPP::byte*>(x.data()), 32);
    pub.GetPublicElement().y.Encode(reinterpret_cast<CryptoPP::byte*>(y.data()), 32);
    const nlohmann::json k{
        {"kty", "EC"}, {"crv", "P-256"}, {"x", base64url_encode(x)}, {"y", base64url_encode(y)}};
    return nlohmann::json{{"keys", nlohmann::json::array({k})}}.dump();
  }

  [[nodiscard]] std::string token(const std::string& who,
                                  const std::string& scope = "3gpp:mc:ptt_key_management_service") {
    using kms_service::base64url_encode;
    const nlohmann::json claims{
        {"iss", "idms"}, {"exp", handler_unix_now + 600}, {"scope", scope}, {"mcptt_id", who}};
    const std::string input =
        base64url_encode(R"({"alg":"ES256"})") + "." + base64url_encode(claims.dump());
    CryptoPP::ECDSA<CryptoPP::ECP, CryptoPP::SHA256>::Signer s(key);
    std::string sig(s.MaxSignatureLength(), '\0');
    sig.resize(s.SignMessage(rng, reinterpret_cast<const CryptoPP::byte*>(input.data()),
                             input.size(), reinterpret_cast<CryptoPP::byte*>(sig.data())));
    return input + "." + base64url_encode(sig);
  }
};

/// A new community of KMS `uri` (daily key periods) with its certificate.
inline kms_service::community make_community(const std::string& uri) {
  os_random rng;
  auto s = km::skm_server::generate({uri, {86400, 0}}, rng).value();
  auto cert = km::xml::make_certificate(s.public_values(), uri + ".root");
  return kms_service::community{std::move(cert), std::move(s)};
}

}  // namespace skm::test
