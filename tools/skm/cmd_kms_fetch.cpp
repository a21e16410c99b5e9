// SPDX-License-Identifier: BSD-3-Clause
// skm kms fetch: provisioning over the wire (the SKM-C side of TS 33.180 Annex D), through
// skm::kms_service::provision.
#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "files.hpp"
#include "skm/common/ct.hpp"
#include "skm/kms_service/client.hpp"
#ifdef SKM_WITH_KMS_SECURITY
#include "skm/kms_service/security.hpp"
#endif

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
)"
#ifdef SKM_WITH_KMS_SECURITY
    R"(
The security extension (TS 33.180 D.1, D.3.5): with --trk every answer must be signed, by the
InK when --ink is given and the KMS signs with it, else by the TrK; only the verified element
is used, and key material wrapped under the TrK is unwrapped. An unsigned answer, a signature
by another key, or one that does not verify is refused and nothing is written. keyset.xml is
written with the keys in the clear (mode 0600) for 'skm imsg'. A NewTransportKey /
NewIntegrityKey in the init or keyprov answer replaces the key in FILE (atomically, mode 0600)
at once: the next request (the keyprov after an init) uses it. cert.xml never holds them.

  --trk FILE           the user's transport key, "<name> <64 hex digits>" (from the KMS
                       operator, 'skm kms trk new --out'); owner-only (mode 0600 or 0400)
  --ink FILE           the user's integrity key (same format); a new InK sent without --ink is
                       written to the --trk FILE's name with ".ink" appended
  --wrap rfc5649|rfc3394-stripped
                       how the KMS wraps key elements (default rfc5649; never guessed)
)"
#endif
    ;

/// An access token is a few KiB at most; the file is read into a wiping buffer (it is a secret).
constexpr std::size_t max_token_file = std::size_t{64} * 1024;

std::string read_token(const std::string& path) {
  const auto text = read_secret_file(path, max_token_file, "token file");
  std::string token(trim(text.view()));
  if (token.empty()) throw failure(path + " holds no token");
  if (token.find_first_of(" \t\r\n") != std::string::npos)
    throw failure(path + " must hold exactly one token");
  return token;
}

#ifdef SKM_WITH_KMS_SECURITY
namespace sec = skm::kms_security;

/// A client key file: a regular file of this user without group/other bits, read into a
/// wiping buffer.
sec::named_key read_client_key(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw failure(path + " cannot be read");
  if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
    throw failure(path + " must be a file of this user with mode 0600 or 0400");
  const auto text = read_secret_file(path, 4096, "key file");
  auto k = sec::parse_key_file(text.view());
  if (!k) throw failure(path + ": " + k.error());
  return std::move(*k);
}

/// Writes the keys an answer carried over the key files (atomically, mode 0600); the next
/// request uses them.
std::optional<std::string> store_carried_keys(const std::string& trk_path,
                                              const std::optional<std::string>& ink_path,
                                              const sec::user_security_keys& installed) {
  try {
    if (installed.trk) {
      write_file(trk_path, sec::format_key_file(*installed.trk).as_text(), 0600,
                 replace::with_force);
      std::cout << "new transport key " << installed.trk->name << ": " << trk_path << "\n";
    }
    if (installed.ink) {
      const auto path = ink_path.value_or(trk_path + ".ink");
      write_file(path, sec::format_key_file(*installed.ink).as_text(), 0600, replace::with_force);
      std::cout << "new integrity key " << installed.ink->name << ": " << path << "\n";
    }
  } catch (const failure& f) {
    return std::string("cannot install the new keys: ") + f.what();
  }
  return std::nullopt;
}

/// --trk, --ink, --wrap: the hooks of the security extension; whether keys are held.
bool security_options(const arguments& a, kms_service::client_options& o) {
  if (!a.has("trk")) {
    if (a.has("ink") || a.has("wrap")) throw a.error("--ink and --wrap need --trk");
    return false;
  }
  auto keys = std::make_shared<sec::user_security_keys>();
  keys->trk = read_client_key(a.required("trk"));
  if (const auto f = a.value("ink")) keys->ink = read_client_key(*f);
  auto wrap = sec::key_element_wrap::rfc5649;
  if (const auto w = a.value("wrap")) {
    if (*w == "rfc3394-stripped")
      wrap = sec::key_element_wrap::rfc3394_stripped;
    else if (*w != "rfc5649")
      throw a.error("--wrap must be rfc5649 or rfc3394-stripped");
  }
  // Installed as soon as an answer carries them (init or keyprov), before the next request and
  // whatever happens to the output files: the KMS uses them from then on.
  kms_service::use_transport_keys(
      o, keys, wrap,
      [trk = a.required("trk"), ink = a.value("ink")](const sec::user_security_keys& installed) {
        return store_carried_keys(trk, ink, installed);
      });
  return true;
}

/// keyset.xml for 'skm imsg': the verified key sets, their keys in the clear.
km::secret_bytes plain_key_sets(const km::xml::kms_key_prov_response& r) {
  km::xml::kms_key_prov_response plain;
  plain.header = r.header;
  plain.header.id.clear();
  plain.key_prov_version = r.key_prov_version;
  plain.key_sets = r.key_sets;
  auto text = km::xml::write_kms_key_prov(plain);
  if (!text) throw failure("cannot write the key sets: " + text.error().message());
  return std::move(*text);
}
#endif

}  // namespace

int run_kms_fetch(std::span<char* const> args) {
  const arguments a(args,
                    {
                        {"url"},
                        {"token-file"},
                        {"ca"},
                        {"uri"},
                        {"at"},
                        {"cert-cache", false},
                        {"client-cert"},
                        {"client-key"},
                        {"out-dir"},
                        {"force", false},
#ifdef SKM_WITH_KMS_SECURITY
                        {"trk"},
                        {"ink"},
                        {"wrap"},
#endif
                    },
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

#ifdef SKM_WITH_KMS_SECURITY
  const auto keys = security_options(a, o);
#endif
  const auto got = kms_service::provision(o, what, now());
  if (!got) throw failure(got.error());
  make_directory(out_dir);
  const std::string dir = out_dir.back() == '/' ? out_dir : out_dir + "/";
  const auto policy = a.flag("force") ? replace::with_force : replace::never;
  write_file(dir + "cert.xml", got->certificate_xml, 0644, policy);
#ifdef SKM_WITH_KMS_SECURITY
  if (keys) {
    write_file(dir + "keyset.xml", plain_key_sets(got->key_prov).as_text(), 0600, policy);
  } else {
    write_file(dir + "keyset.xml", got->key_prov_xml.as_text(), 0600, policy);
  }
#else
  write_file(dir + "keyset.xml", got->key_prov_xml.as_text(), 0600, policy);
#endif
  if (got->cert_cache_xml) write_file(dir + "certcache.xml", *got->cert_cache_xml, 0644, policy);
  std::cout << "KMS " << got->certificate.kms_uri << ": " << dir << "cert.xml\n";
  for (const auto& k : got->key_prov.key_sets)
    std::cout << "key set of " << k.user_uri << " for key period " << k.key_period_no << ": " << dir
              << "keyset.xml\n";
  if (got->cert_cache_xml) std::cout << "certificate cache: " << dir << "certcache.xml\n";
  return exit_ok;
}

}  // namespace skm::cli
