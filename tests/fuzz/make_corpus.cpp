// SPDX-License-Identifier: BSD-3-Clause
// Writes the seed corpora of the point/field, ECCSI, SAKKE and KMS XML fuzz targets: a few
// valid inputs and a few invalid ones each, derived from the fixed keys the targets hold.
// Usage: make_corpus <tests/fuzz/corpus>   (rewrites ec_decode/, eccsi_verify/,
// sakke_decapsulate/ and kms_xml/; the MIKEY corpora are not touched).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_fixtures.hpp"
#include "fuzz_xml_fixtures.hpp"
#include "skm/km/kms_request.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
namespace fs = std::filesystem;

fs::path root;

// The generator checks its own claims: a seed called valid is accepted, the others are not.
void expect(bool ok, const char* what) {
  if (!ok) {
    (void)std::fprintf(stderr, "make_corpus: %s\n", what);
    std::exit(1);
  }
}

void put(const std::string& target, const std::string& name, const bytes& b) {
  const fs::path dir = root / target;
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
void put(const std::string& target, const std::string& name, const std::string& s) {
  put(target, name, bytes(s.begin(), s.end()));
}

template <class A>
bytes vec(const A& a) {
  return bytes(a.begin(), a.end());
}
bytes flip(bytes b, std::size_t i, std::uint8_t mask = 1) {
  b[i] ^= mask;
  return b;
}
bytes cat(bytes a, const bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
template <class F>
bytes modulus_bytes() {
  return vec(skm::to_bytes_be<F::bytes>(F::modulus));
}

void ec_decode() {
  using p256 = skm::curves::p256;
  using set1 = skm::curves::sakke_param_set_1;
  const bytes g256 = vec(skm::ec::encode_uncompressed(skm::ec::generator<p256>()).value());
  const bytes p1 = vec(skm::ec::encode_uncompressed(skm::ec::generator<set1>()).value());
  put("ec_decode", "p256_generator", g256);
  put("ec_decode", "set1_generator", p1);
  put("ec_decode", "set1_rsk",
      vec(skm::ec::encode_uncompressed(skm_fuzz::sakke_fixture::get().rsk).value()));
  // (0, 0) is on y^2 = x^3 - 3x (b = 0) and has order 2: decodes, but not in the subgroup
  bytes order2(skm::ec::encoded_point_size<set1>, 0);
  order2[0] = 0x04;
  put("ec_decode", "set1_order_2", order2);
  put("ec_decode", "p256_not_on_curve", flip(g256, 64));
  put("ec_decode", "set1_compressed", flip(p1, 0, 0x06));  // 0x02
  put("ec_decode", "identity", bytes{0x00});
  put("ec_decode", "p256_x_is_p",
      cat(cat(bytes{0x04}, modulus_bytes<p256::base_field>()), bytes(32, 0)));
  put("ec_decode", "set1_truncated", bytes(p1.begin(), p1.end() - 1));
  bytes q_minus_1 = modulus_bytes<p256::scalar_field>();
  q_minus_1.back() -= 1;  // q is odd
  put("ec_decode", "p256_q_minus_1", q_minus_1);
  put("ec_decode", "p256_q", modulus_bytes<p256::scalar_field>());
  put("ec_decode", "set1_p", modulus_bytes<set1::base_field>());
}

void eccsi_verify() {
  const auto& f = skm_fuzz::eccsi_fixture::get();
  const bytes msg = vec(skm_fuzz::bytes_of(skm_fuzz::eccsi_message));
  skm_fuzz::fixed_rng rng{0x5167};
  // a signer for the fixed key pair signs the fixed message
  const auto s = skm::eccsi::signer<>::create(f.kms.kpak(), skm_fuzz::bytes_of(skm_fuzz::eccsi_id),
                                              f.keys.ssk, f.keys.pvt)
                     .value();
  const bytes sig1 = vec(s.sign(msg, rng).value());
  const bytes sig2 = vec(s.sign(msg, rng).value());
  const auto id = skm_fuzz::bytes_of(skm_fuzz::eccsi_id);
  expect(skm::eccsi::verify(f.kms.kpak(), id, msg, sig1).has_value(),
         "valid ECCSI seed does not verify");
  expect(!skm::eccsi::verify(f.kms.kpak(), id, flip(msg, 0), sig1).has_value(),
         "ECCSI seed verifies for another message");
  put("eccsi_verify", "valid_1", cat(sig1, msg));
  put("eccsi_verify", "valid_2", cat(sig2, msg));
  put("eccsi_verify", "valid_empty_message", vec(s.sign(bytes{}, rng).value()));
  put("eccsi_verify", "wrong_message", cat(sig1, flip(msg, 0)));
  put("eccsi_verify", "s_flipped", cat(flip(sig1, 40), msg));
  put("eccsi_verify", "r_zero", cat(cat(bytes(32, 0), bytes(sig1.begin() + 32, sig1.end())), msg));
  bytes s_zero = sig1;
  std::fill(s_zero.begin() + 32, s_zero.begin() + 64, 0);
  put("eccsi_verify", "s_zero", cat(s_zero, msg));
  put("eccsi_verify", "pvt_not_on_curve", cat(flip(sig1, 128), msg));
  put("eccsi_verify", "pvt_other",
      cat(cat(bytes(sig1.begin(), sig1.begin() + 64),
              vec(skm::ec::encode_uncompressed(skm::ec::generator<skm::curves::p256>()).value())),
          msg));
  put("eccsi_verify", "truncated", bytes(sig1.begin(), sig1.begin() + 100));
}

void sakke_decapsulate() {
  const auto& f = skm_fuzz::sakke_fixture::get();
  const auto id = skm_fuzz::bytes_of(skm_fuzz::sakke_id);
  bytes ssv(16);
  std::vector<bytes> valid;
  for (std::uint8_t k = 0; k < 3; ++k) {
    for (std::size_t i = 0; i < ssv.size(); ++i)
      ssv[i] = static_cast<std::uint8_t>(std::size_t{0x30} * k + 17 * i);
    valid.push_back(vec(skm::sakke::encapsulate(f.kms.public_key(), id, ssv).value()));
    const auto back = f.receiver->decapsulate(valid.back());
    expect(back.has_value() && vec(*back) == ssv,
           "valid SAKKE seed does not decapsulate to its SSV");
    put("sakke_decapsulate", "valid_" + std::to_string(k), valid.back());
  }
  expect(!f.receiver->decapsulate(flip(valid[0], 272)).has_value(),
         "SAKKE seed with a flipped H decapsulates");
  put("sakke_decapsulate", "h_flipped", flip(valid[0], 272));
  put("sakke_decapsulate", "r_not_on_curve", flip(valid[0], 100));
  put("sakke_decapsulate", "truncated", bytes(valid[1].begin(), valid[1].end() - 1));
  put("sakke_decapsulate", "extended", cat(valid[1], bytes{0}));
  bytes order2(273, 0);
  order2[0] = 0x04;
  put("sakke_decapsulate", "r_order_2", order2);
  bytes identity(valid[2]);
  put("sakke_decapsulate", "r_identity",
      cat(bytes{0x00}, bytes(identity.end() - 16, identity.end())));
  // an encapsulation to another identifier
  const std::string other("2026-11\0tel:+447700900124\0", 26);
  put("sakke_decapsulate", "other_identifier",
      vec(skm::sakke::encapsulate(f.kms.public_key(), skm_fuzz::bytes_of(other), ssv).value()));
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

/// Requests, certificate caches, errors, deployed shapes and URL forms (kms_request.hpp).
void kms_xml_requests(const skm::km::xml::kms_response_header& h,
                      const skm::km::xml::kms_certificate& cert, const std::string& init) {
  using namespace skm::km::xml;
  kms_request r;
  r.user_uri = h.user_uri;
  r.kms_uri = h.kms_uri;
  r.time = h.time;
  r.client_id = "client-1";
  r.device_id = "device-1";
  r.client_req_url = "https://kms.fuzz.example.org/keymanagement/identity/v1/keyprov";
  const std::string request = write_kms_request(r).value();
  put("kms_xml", "request", request);
  r.signed_by = signed_wrapper{"xmldoc", false};
  put("kms_xml", "request_signed",
      replace_once(write_kms_request(r).value(), "</SignedKmsRequest>",
                   "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>"
                   "</SignedKmsRequest>"));
  kms_cert_cache cache;
  cache.cache_num = 3;
  for (const char* uri : {"kms.a.example.org", "kms.b.example.org"}) {
    kms_certificate c = cert;
    c.kms_uri = uri;
    c.id = uri;
    c.role = kms_role::external;
    cache.certificates.push_back(c);
  }
  cache.certificates[1].signed_by = signed_wrapper{"b", false};
  const std::string cached = write_kms_cert_cache(h, cache).value();
  expect(parse_kms_response(cached, no_curve_checks{}).has_value(), "cert cache seed");
  put("kms_xml", "cert_cache", cached);
  put("kms_xml", "error", write_kms_error(h, {404, "no such certificate"}).value());
  // Deployed shapes: no Version, Id, zone-less time, xsi:type, Rel-13 order.
  std::string deployed = replace_once(init, " Version=\"1.0.0\"", " Id=\"xmldoc\"");
  deployed = replace_once(deployed, "2026-11-28T07:00:00Z", "2026-11-28T07:00:00.250");
  deployed = replace_once(deployed, "<KmsInit>",
                          "<KmsInit xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                          "xsi:type=\"KmsInitTkIkType\">");
  expect(parse_kms_response(deployed, no_curve_checks{}).has_value(), "deployed seed");
  put("kms_xml", "init_deployed", deployed);
  put("kms_xml", "init_doctype", "<!DOCTYPE KmsResponse>" + init);
  put("kms_xml", "init_second_root", init + "<KmsResponse/>");
  put("kms_xml", "url_keyprov", "/keymanagement/identity/v1/keyprov/sip:a@b/D6B4323200000000");
  put("kms_xml", "url_certcache", "https://kms.example.org/keymanagement/identity/v1/certcache/7");
}

void kms_xml() {
  using namespace skm::km::xml;
  const kms_certificate cert = skm_fuzz::fixed_certificate();
  kms_response_header h;
  h.user_uri = "sip:alice@fuzz.example.org";
  h.kms_uri = cert.kms_uri;
  h.time = skm::km::parse_iso8601("2026-11-28T07:00:00Z").value();
  h.kms_id = "KMS-1";
  h.client_req_url = "https://kms.fuzz.example.org/keymanagement/identity/v1/init";
  const std::string init = write_kms_init({h, cert}).value();
  put("kms_xml", "init", init);
  put("kms_xml", "certificate", write_kms_certificate(cert).value());

  kms_key_prov_response prov;
  prov.header = h;
  for (const char* uri : {"sip:alice@fuzz.example.org", "sip:bob@fuzz.example.org"}) {
    kms_key_set k;
    k.kms_uri = cert.kms_uri;
    k.cert_uri = cert.cert_uri;
    k.user_uri = uri;
    k.key_period_no = 690;
    k.revoked = false;
    const auto uid = key_set_identifier(k, cert).value();
    static constexpr char digits[] = "0123456789abcdef";
    for (auto b : uid) {
      k.user_id.push_back(digits[b >> 4]);
      k.user_id.push_back(digits[b & 15]);
    }
    k.user_decrypt_key = skm::km::secret_bytes(skm_fuzz::pattern_point(sakke_point_octets, 3));
    k.user_signing_key_ssk = skm::km::secret_bytes(bytes(eccsi_scalar_octets, 0x42));
    k.user_pub_token_pvt = skm_fuzz::pattern_point(eccsi_point_octets, 4);
    prov.key_sets.push_back(std::move(k));
  }
  const std::string key_prov(write_kms_key_prov(prov).value().as_text());
  expect(parse_kms_init(init, no_curve_checks{}).has_value(), "KmsInit seed does not parse");
  expect(parse_kms_key_prov(key_prov, cert, no_curve_checks{}).has_value(),
         "KmsKeyProv seed does not parse with its certificate");
  put("kms_xml", "key_prov", key_prov);
  // invalid ones
  put("kms_xml", "init_truncated", init.substr(0, init.size() / 2));
  put("kms_xml", "init_wrong_namespace",
      replace_once(init, "urn:3gpp:ns:mcsecKMSInterface:1.0", "urn:other"));
  put("kms_xml", "init_bad_hex", replace_once(init, "<PubAuthKey>04", "<PubAuthKey>0G"));
  put("kms_xml", "key_prov_user_id_mismatch",
      replace_once(key_prov, "<KeyPeriodNo>690", "<KeyPeriodNo>691"));
  put("kms_xml", "key_prov_kms_uri_mismatch",
      replace_once(key_prov, "<KmsUri>kms.fuzz", "<KmsUri>kms.other"));
  put("kms_xml", "key_prov_duplicate_element",
      replace_once(key_prov, "<KeyPeriodNo>", "<KeyPeriodNo>1</KeyPeriodNo><KeyPeriodNo>"));
  for (const auto& bad : {replace_once(init, "<PubAuthKey>04", "<PubAuthKey>0G"),
                          replace_once(key_prov, "<KeyPeriodNo>690", "<KeyPeriodNo>691")})
    expect(!parse_kms_key_prov(bad, cert, no_curve_checks{}).has_value() &&
               !parse_kms_init(bad, no_curve_checks{}).has_value(),
           "an invalid KMS XML seed parses");
  put("kms_xml", "not_xml",
      std::string("<KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\"><KmsMessage>"));
  kms_xml_requests(h, cert, init);
}

int make_corpus(int argc, char** argv) {
  if (argc != 2) {
    (void)std::fprintf(stderr, "usage: make_corpus <corpus directory>\n");
    return 2;
  }
  root = argv[1];
  for (const char* t : {"ec_decode", "eccsi_verify", "sakke_decapsulate", "kms_xml"})
    fs::remove_all(root / t);
  ec_decode();
  eccsi_verify();
  sakke_decapsulate();
  kms_xml();
  std::printf("make_corpus: seed corpora written under %s\n", argv[1]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // An exception (a directory that cannot be written, say) is a failure, not a std::terminate.
  try {
    return make_corpus(argc, argv);
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "make_corpus: %s\n", e.what());
    return 1;
  }
}
