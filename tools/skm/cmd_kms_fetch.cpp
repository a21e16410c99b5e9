// SPDX-License-Identifier: BSD-3-Clause
// skm kms fetch: provisioning over the wire (the SKM-C side of TS 33.180 Annex D), through
// skm::kms_service::provision.
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "files.hpp"
#include "skm/common/ct.hpp"
#include "skm/kms_service/client.hpp"

namespace skm::cli {

namespace {

constexpr std::string_view fetch_help =
    R"(usage: skm kms fetch --url https://HOST:PORT --token-file FILE --out-dir DIR
                     [--ca FILE] [--uri URI] [--at ISO-8601] [--cert-cache]
                     [--client-cert FILE --client-key FILE]

Provisions a client from a KMS over HTTPS (TS 33.180 Annex D): init, then keyprov (and
certcache when asked), with the access token of FILE as 'Authorization: Bearer'. Everything
received is validated as 'skm imsg' needs it: the KMS certificate (Z, KPAK), every key set
against it (RSK by RFC 6508 §6.1.2, SSK/PVT by RFC 6507 §5.1.2), the URI, and a key set for
the time asked for. Writes

  DIR/cert.xml        the KMS certificate (KmsResponse/KmsInit)
  DIR/keyset.xml      the key sets (KmsResponse/KmsKeyProv), mode 0600: it holds secret keys
  DIR/certcache.xml   with --cert-cache: the other KMSs' certificates (KmsCertCache)

ready for 'skm imsg create/open --cert DIR/cert.xml --keyset DIR/keyset.xml'.

  --url URL            the KMS, https://HOST[:PORT]
  --token-file FILE    the access token (a JWT from the identity management server)
  --ca FILE            PEM CA certificate that signed the KMS's certificate (default: the
                       system's trust store)
  --uri URI            whose key sets (default: the identity in the token); a GMS or MCX server
                       names the group or server URI it is authorized for
  --at ISO-8601        the key set of the period holding this time (needs --uri); default: the
                       current and the next period
  --cert-cache         also fetch the certificate cache
  --client-cert FILE   PEM client certificate for mutual TLS (with --client-key)
  --client-key FILE    its PEM private key
  --out-dir DIR        where to write (created if missing)
  --force              replace cert.xml, keyset.xml and certcache.xml if they exist (never a
                       symlink, directory or device)
)";

/// An access token is a few KiB at most; the file is read into a wiping buffer (it is a secret).
constexpr std::size_t max_token_file = 64 * 1024;

std::string read_token(const std::string& path) {
  const auto text = read_secret_file(path, max_token_file, "token file");
  std::string token(trim(text.view()));
  if (token.empty()) throw failure(path + " holds no token");
  if (token.find_first_of(" \t\r\n") != std::string::npos)
    throw failure(path + " must hold exactly one token");
  return token;
}

}  // namespace

int run_kms_fetch(std::span<char* const> args) {
  const arguments a(args,
                    {{"url"},
                     {"token-file"},
                     {"ca"},
                     {"uri"},
                     {"at"},
                     {"cert-cache", false},
                     {"client-cert"},
                     {"client-key"},
                     {"out-dir"},
                     {"force", false}},
                    "kms fetch");
  if (a.help()) {
    std::cout << fetch_help;
    return exit_ok;
  }
  a.no_positionals();
  kms_service::client_options o;
  o.url = a.required("url");
  o.token = read_token(a.required("token-file"));
  o.ca_file = a.value("ca").value_or("");
  if (a.has("client-cert") != a.has("client-key"))
    throw a.error("--client-cert and --client-key go together");
  o.client_cert = a.value("client-cert").value_or("");
  o.client_key = a.value("client-key").value_or("");
  const auto out_dir = a.required("out-dir");
  kms_service::provision_request what;
  what.uri = a.value("uri");
  if (what.uri && what.uri->empty()) throw a.error("--uri must not be empty");
  if (const auto at = a.value("at")) {
    if (!what.uri) throw a.error("--at needs --uri (the path names the URI before the time)");
    const auto t = km::parse_iso8601(*at);
    if (!t) throw a.error("--at is not an ISO-8601 time: " + *at);
    what.at = *t;
  }
  what.cert_cache = a.flag("cert-cache");

  const auto got = kms_service::provision(o, what, now());
  if (!got) throw failure(got.error());
  make_directory(out_dir);
  const std::string dir = out_dir.back() == '/' ? out_dir : out_dir + "/";
  const auto policy = a.flag("force") ? replace::with_force : replace::never;
  write_file(dir + "cert.xml", got->certificate_xml, 0644, policy);
  write_file(dir + "keyset.xml", got->key_prov_xml.as_text(), 0600, policy);
  if (got->cert_cache_xml) write_file(dir + "certcache.xml", *got->cert_cache_xml, 0644, policy);
  std::cout << "KMS " << got->certificate.kms_uri << ": " << dir << "cert.xml\n";
  for (const auto& k : got->key_prov.key_sets)
    std::cout << "key set of " << k.user_uri << " for key period " << k.key_period_no << ": " << dir
              << "keyset.xml\n";
  if (got->cert_cache_xml) std::cout << "certificate cache: " << dir << "certcache.xml\n";
  return exit_ok;
}

}  // namespace skm::cli
