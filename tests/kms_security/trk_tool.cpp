// SPDX-License-Identifier: BSD-3-Clause
// A small driver of the security extension for the interop suite (test_trk_interop.py): writes
// the fixture KmsKeyProv response encrypted and/or signed, reads one back (verify, decrypt,
// validate against the fixture certificate), and wraps/unwraps raw octets. Key files hold one
// line "<name> <64 hex digits>".
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "skm/kms_security/secured_documents.hpp"
#include "trk_fixtures.hpp"

using namespace skm::kms_security;
using namespace skm::kms_security::test;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path);
}

named_key read_key(const std::string& path) {
  const std::string text = read_file(path);
  const auto space = text.find(' ');
  if (space == std::string::npos) throw std::runtime_error(path + ": expected '<name> <hex>'");
  named_key k;
  k.name = text.substr(0, space);
  const auto hex = hex_bytes(skm::km::xml::detail::trim(text.substr(space + 1)));
  if (hex.size() != k.key.span().size())
    throw std::runtime_error(path + ": the key is not 32 octets");
  std::copy(hex.begin(), hex.end(), k.key.span().begin());
  return k;
}

/// --name value pairs after the positional arguments.
std::map<std::string, std::string> options(int argc, char** argv, int first) {
  std::map<std::string, std::string> o;
  for (int i = first; i + 1 < argc; i += 2) o[argv[i]] = argv[i + 1];
  return o;
}

c14n_method c14n_named(const std::string& s) {
  if (s == "c14n-comments") return c14n_method::c14n_with_comments;
  if (s == "exc-c14n") return c14n_method::exc_c14n;
  if (s == "exc-c14n-comments") return c14n_method::exc_c14n_with_comments;
  return c14n_method::c14n;
}

int write_keyprov(const std::string& out, std::map<std::string, std::string> o) {
  user_security_keys keys;
  if (o.contains("--trk")) keys.trk = read_key(o["--trk"]);
  if (o.contains("--ink")) keys.ink = read_key(o["--ink"]);
  protection p;
  if (o["--encrypt"] == "rfc5649") p.encrypt = encrypt_with::rfc5649;
  if (o["--encrypt"] == "rfc3394-stripped") p.encrypt = encrypt_with::rfc3394_stripped;
  if (o["--encoding"] == "base64") p.encoding = cipher_value_encoding::base64;
  if (o["--sign"] == "trk") p.sign = sign_with::trk;
  if (o["--sign"] == "ink") p.sign = sign_with::ink;
  p.signing.c14n = c14n_named(o["--c14n"]);
  const auto text = write_secured_kms_key_prov(key_prov_response(), keys, p);
  if (!text) {
    std::cerr << "error: " << text.error() << "\n";
    return 1;
  }
  write_file(out, text->as_text());
  return 0;
}

int read_keyprov(const std::string& in, std::map<std::string, std::string> o) {
  user_security_keys keys;
  if (o.contains("--trk")) keys.trk = read_key(o["--trk"]);
  if (o.contains("--ink")) keys.ink = read_key(o["--ink"]);
  expectation x;
  x.require_signature = o["--unsigned"] != "ok";
  if (o["--wrap"] == "rfc3394-stripped") x.wrap = key_element_wrap::rfc3394_stripped;
  const auto got = read_secured_kms_key_prov(read_file(in), vendor_certificate(), keys, x);
  if (!got) {
    std::cerr << "error: " << got.error() << "\n";
    return 1;
  }
  if (got->signature)
    std::cout << "verified " << got->signature->signed_element << " with "
              << got->signature->key_name << " (" << uri_of(got->signature->c14n) << ")\n";
  for (const auto& r : got->decrypted)
    std::cout << "decrypted " << r.where << " " << describe(r.flavour) << " "
              << describe(r.encoding) << " under " << r.key_name << "\n";
  std::cout << "key sets " << got->body.key_sets.size() << " valid\n";
  return 0;
}

/// The fixture's three plaintext keys, as files rsk.bin, ssk.bin, pvt.bin in `dir`.
int plain_keys(const std::string& dir) {
  for (auto [name, hex] : {std::pair{"rsk", alice_rsk}, {"ssk", alice_ssk}, {"pvt", alice_pvt}}) {
    const auto b = hex_bytes(hex);
    write_file(dir + "/" + name + ".bin",
               std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }
  return 0;
}

int wrap(bool do_wrap, const std::string& mode, const std::string& key, const std::string& in,
         const std::string& out) {
  const named_key k = read_key(key);
  const std::string data = read_file(in);
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(data.data()),
                                            data.size());
  const auto m = mode == "rfc3394" ? key_wrap_mode::rfc3394 : key_wrap_mode::rfc5649;
  if (do_wrap) {
    const auto w = wrap_key(m, k.key.span(), bytes);
    if (!w) {
      std::cerr << "error: " << w.error() << "\n";
      return 1;
    }
    write_file(out, std::string_view(reinterpret_cast<const char*>(w->data()), w->size()));
    return 0;
  }
  const auto p = unwrap_key(m, k.key.span(), bytes);
  if (!p) {
    std::cerr << "error: " << p.error() << "\n";
    return 1;
  }
  write_file(out, p->as_text());
  return 0;
}

}  // namespace

int main(int argc, char** argv) try {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() >= 2 && a[0] == "write") return write_keyprov(a[1], options(argc, argv, 3));
  if (a.size() >= 2 && a[0] == "read") return read_keyprov(a[1], options(argc, argv, 3));
  if (a.size() == 2 && a[0] == "plain-keys") return plain_keys(a[1]);
  if (a.size() == 2 && a[0] == "cert") {
    kms_init_response init;
    init.header = key_prov_response().header;
    init.certificate = vendor_certificate();
    write_file(a[1], write_kms_init(init).value());
    return 0;
  }
  if (a.size() == 5 && (a[0] == "wrap" || a[0] == "unwrap"))
    return wrap(a[0] == "wrap", a[1], a[2], a[3], a[4]);
  std::cerr << "usage: trk_tool write OUT [--trk F] [--ink F] [--encrypt rfc5649|rfc3394-stripped]"
               " [--encoding hex|base64] [--sign trk|ink] [--c14n c14n|exc-c14n|…]\n"
               "       trk_tool read IN [--trk F] [--ink F] [--wrap …] [--unsigned ok]\n"
               "       trk_tool plain-keys DIR\n"
               "       trk_tool cert OUT\n"
               "       trk_tool wrap|unwrap rfc3394|rfc5649 KEYFILE IN OUT\n";
  return 2;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
