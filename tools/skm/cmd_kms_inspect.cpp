// SPDX-License-Identifier: BSD-3-Clause
// skm kms inspect: what a KMS document is, every field, and the result of every validation.
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "files.hpp"
#include "skm/km/key_material.hpp"
#include "skm/km/kms_request.hpp"
#ifdef SKM_WITH_KMS_SECURITY
#include "skm/kms_security/secured_documents.hpp"
#endif

namespace skm::cli {

namespace {

constexpr std::string_view inspect_help =
    R"(usage: skm kms inspect FILE... [--json] [--convention raw|hex-text] [--cert FILE]
                       [--date ISO-8601 | --time NTP_SECONDS] [--ignore-validity]
                       [--rel13-order] [--vendor-namespace URI]
                       [--trk FILE] [--ink FILE] [--wrap rfc5649|rfc3394-stripped]

Explains TS 33.180 Annex D documents: KmsCertificate (alone, in KmsInit or in a KmsCertCache),
KmsKeyProv key sets, KmsRequest and KmsError answers, signed wrappers included. For each:
what it is, every field, the key period of each key set with its UTC start and end, and the
result of every check: Z and KPAK on their curves, each RSK (RFC 6508 6.1.2), each SSK/PVT
(RFC 6507 5.1.2), UserID = the UID recomputed for UserUri and KeyPeriodNo, ValidFrom/ValidTo.

Key sets are checked against the certificate given with --cert, or one of the FILEs before
them with the same KmsUri.

  --convention C       identity octets the keys are bound to: raw (the 32 UID octets, the
                       standard; default) or hex-text (the UID's 64-character hex text, as one
                       deployed KMS does)
  --cert FILE          the KMS certificate (KmsInit or KmsCertificate) for the key sets
  --date, --time       the time of use for ValidFrom/ValidTo (default: now)
  --ignore-validity    do not check ValidFrom/ValidTo (forensic use)
  --rel13-order        accept the Rel-13 KmsResponse order (KmsUri before UserUri)
  --vendor-namespace U read namespace U as the KMS namespace
  --trk FILE           the user's transport key (a key file: "<name> <64 hex digits>"):
                       verifies signatures by this key and decrypts EncKeyContentType keys
  --ink FILE           the user's integrity key: verifies signatures by this key
  --wrap W             how encrypted keys are wrapped: rfc5649 (default; padding, whole
                       element) or rfc3394-stripped (points without their 04 prefix)
  --json               a JSON array, one object per certificate, key set, request or error

With --trk or --ink a Signed... document must carry exactly one valid signature by a key given
(HMAC-SHA256, TS 33.180 D.1); only the signed element is then inspected.

Exit status: 0 when every document parses and validates, 1 otherwise.
)";

/// One inspected item: a certificate, a key set, a request, an error answer, a cache.
struct item {
  std::string file;
  std::string kind;
  std::string kms_uri;
  std::vector<std::pair<std::string, std::string>> fields;
  std::vector<std::pair<std::string, bool>> checks;  ///< check name, passed
  std::vector<std::string> errors;
  std::vector<std::string> notes;
  bool key_set = false;
  std::string user_uri, uid;
  std::uint64_t period = 0;

  void check(const std::string& name, std::optional<std::string> failure) {
    checks.emplace_back(name, !failure);
    if (failure) errors.push_back(name + ": " + *failure);
  }
  [[nodiscard]] bool valid() const { return errors.empty(); }
};

struct settings {
  km::identity_convention convention = km::identity_convention::raw;
  std::optional<km::ntp_time> at;  ///< none: validity not checked
  km::xml::kms_parse_options options;
#ifdef SKM_WITH_KMS_SECURITY
  kms_security::user_security_keys keys;
  kms_security::key_element_wrap wrap = kms_security::key_element_wrap::rfc5649;
#endif
};

std::string optional_text(const std::optional<std::string>& s) { return s ? *s : "(none)"; }
std::string optional_time(const std::optional<km::ntp_time>& t) { return t ? iso(*t) : "(none)"; }

item inspect_certificate(const std::string& file, const std::string& kind,
                         const km::xml::kms_certificate& c, const settings& s) {
  item it{file, kind, c.kms_uri, {}, {}, {}, {}, false, {}, {}, 0};
  it.fields = {{"Id", c.id},
               {"Version", c.version},
               {"Role", c.role == km::xml::kms_role::root ? "Root" : "External"},
               {"CertUri", optional_text(c.cert_uri)},
               {"KmsUri", c.kms_uri},
               {"Issuer", optional_text(c.issuer)},
               {"ValidFrom", optional_time(c.valid_from)},
               {"ValidTo", optional_time(c.valid_to)},
               {"UserIdFormat", c.user_id_format},
               {"UserKeyPeriod", std::to_string(c.user_key_period)},
               {"UserKeyOffset", std::to_string(c.user_key_offset)},
               {"PubEncKey (Z)", to_hex(c.pub_enc_key)},
               {"PubAuthKey (KPAK)", to_hex(c.pub_auth_key)},
               {"ParameterSet", c.parameter_set ? std::to_string(*c.parameter_set) : "(none)"}};
  if (c.signed_by)
    it.notes.emplace_back(c.signed_by->signature_present
                              ? "SignedKmsCertificate: signature NOT verified"
                              : "SignedKmsCertificate without signature");
  it.check("Z and KPAK on their curves, parameter set",
           km::xml::curve_checks{}.check_certificate_keys(c));
  it.check("not revoked",
           c.revoked.value_or(false) ? std::optional<std::string>("revoked") : std::nullopt);
  if (s.at)
    if (auto f = km::xml::check_validity(c, *s.at, "KmsCertificate"))
      it.check("ValidFrom/ValidTo", f->message());
  return it;
}

/// The separate checks of a key set against its certificate.
void check_key_set(item& it, const km::xml::kms_key_set& k, const km::xml::kms_certificate& c,
                   const settings& s) {
  const auto id = km::xml::key_set_identifier(k, c);
  it.check("KmsUri is the certificate's",
           k.kms_uri == c.kms_uri ? std::nullopt
                                  : std::optional<std::string>(k.kms_uri + " vs " + c.kms_uri));
  if (!id) {
    it.check("UserID", "no identifier for UserIdFormat " + c.user_id_format);
    return;
  }
  it.uid = to_hex(*id);
  it.check("UserID is the UID of UserUri and KeyPeriodNo",
           km::xml::user_id_matches(k.user_id, *id)
               ? std::nullopt
               : std::optional<std::string>(k.user_id + ", computed " + it.uid));
  const auto identity = km::identity_octets(*id, s.convention);
  const auto z = km::decode_z(c.pub_enc_key);
  const auto kpak = km::decode_kpak(c.pub_auth_key);
  auto show = [](std::optional<km::key_error> e) {
    return e ? std::optional<std::string>(km::describe(*e)) : std::nullopt;
  };
  if (z && k.user_decrypt_key.size() == km::rsk_octets)
    it.check("RSK (RFC 6508 6.1.2)", show(km::check_rsk(*z, identity, k.user_decrypt_key.span())));
  else
    it.check("RSK (RFC 6508 6.1.2)", "Z or the RSK cannot be decoded");
  if (kpak)
    it.check("SSK/PVT (RFC 6507 5.1.2)",
             show(km::check_ssk_pvt(*kpak, identity, k.user_signing_key_ssk.span(),
                                    k.user_pub_token_pvt)));
  else
    it.check("SSK/PVT (RFC 6507 5.1.2)", "KPAK cannot be decoded");
  if (auto f = km::xml::validate_key_set(k, c, km::xml::curve_checks{s.convention}))
    if (f->code == km::xml::xml_error::invalid_key) it.notes.push_back(f->message());
  it.check("not revoked", k.revoked.value_or(false) || c.revoked.value_or(false)
                              ? std::optional<std::string>("revoked")
                              : std::nullopt);
  if (s.at)
    if (auto f = km::xml::check_validity(k, *s.at, "KmsKeySet"))
      it.check("ValidFrom/ValidTo", f->message());
}

item inspect_key_set(const std::string& file, const km::xml::kms_key_set& k,
                     const km::xml::kms_certificate* cert, const settings& s) {
  item it{file, "key-set", k.kms_uri, {}, {}, {}, {}, true, k.user_uri, {}, k.key_period_no};
  it.fields = {{"Version", k.version},
               {"KmsUri", k.kms_uri},
               {"CertUri", optional_text(k.cert_uri)},
               {"UserUri", k.user_uri},
               {"UserID", k.user_id},
               {"ValidFrom", optional_time(k.valid_from)},
               {"ValidTo", optional_time(k.valid_to)},
               {"KeyPeriodNo", std::to_string(k.key_period_no)},
               {"UserPubTokenPVT", to_hex(k.user_pub_token_pvt)}};
  if (!cert) {
    it.errors.push_back("no certificate with KmsUri " + k.kms_uri + " (give --cert FILE)");
    return it;
  }
  const auto start = km::key_period_start(k.key_period_no, cert->schedule());
  const auto end = km::key_period_start(k.key_period_no + 1, cert->schedule());
  it.fields.emplace_back("key period start (UTC)", start ? iso(*start) : "(out of range)");
  it.fields.emplace_back("key period end (UTC)", end ? iso(*end) : "(out of range)");
  check_key_set(it, k, *cert, s);
  return it;
}

void inspect_response(const std::string& file, const km::xml::kms_response& r,
                      std::vector<km::xml::kms_certificate>& certs, const settings& s,
                      std::vector<item>& out) {
  using namespace km::xml;
  if (const auto* c = std::get_if<kms_certificate>(&r.body)) {
    certs.push_back(*c);
    out.push_back(inspect_certificate(file, "certificate", *c, s));
  } else if (const auto* p = std::get_if<kms_key_prov>(&r.body)) {
    for (const auto& k : p->key_sets) {
      const kms_certificate* cert = nullptr;
      for (const auto& c : certs)
        if (c.kms_uri == k.kms_uri) cert = &c;
      out.push_back(inspect_key_set(file, k, cert, s));
    }
  } else if (const auto* cache = std::get_if<kms_cert_cache>(&r.body)) {
    for (const auto& c : cache->certificates) {
      out.push_back(inspect_certificate(file, "cached-certificate", c, s));
      out.back().fields.emplace_back(
          "CacheNum", cache->cache_num ? std::to_string(*cache->cache_num) : "(none)");
    }
  } else if (const kms_error* e = r.error()) {
    item it{file, "error", r.header.kms_uri, {}, {}, {}, {}, false, {}, {}, 0};
    it.fields = {{"ErrorCode", std::to_string(e->code)}, {"ErrorMsg", optional_text(e->message)}};
    out.push_back(it);
  }
  for (auto& it : out)
    if (it.file == file) it.notes.insert(it.notes.end(), r.notes.begin(), r.notes.end());
}

void inspect_text(const std::string& file, std::string_view text,
                  std::vector<km::xml::kms_certificate>& certs, const settings& s,
                  std::vector<item>& out);

#ifdef SKM_WITH_KMS_SECURITY
/// "KmsResponse" for a document whose element is SignedKmsResponse (by its first tag; the
/// verification parses properly and fails closed), else empty.
std::string signed_inner(std::string_view text) {
  std::size_t lt = text.find('<');
  while (lt != std::string_view::npos && lt + 1 < text.size() &&
         (text[lt + 1] == '?' || text[lt + 1] == '!'))
    lt = text.find('<', lt + 1);
  if (lt == std::string_view::npos) return {};
  std::string_view name = text.substr(lt + 1);
  name = name.substr(0, name.find_first_of(" \t\r\n/>"));
  if (const auto colon = name.find(':'); colon != std::string_view::npos)
    name.remove_prefix(colon + 1);
  for (std::string_view inner : {"KmsResponse", "KmsCertificate", "KmsRequest"})
    if (name.size() == 6 + inner.size() && name.starts_with("Signed") && name.ends_with(inner))
      return std::string(inner);
  return {};
}

/// A key rotation in a KmsInit or KmsKeyProv (NewTransportKey / NewIntegrityKey, unwrapped with
/// the TrK; the records of what was unwrapped go to `log`): named in `notes`, and the document
/// rewritten without them for inspect_text (the generic reader refuses carried keys rather than
/// drop them). None when the document carries no key.
std::optional<km::secret_bytes> without_carried_keys(std::string_view text, const settings& s,
                                                     kms_security::decryption_log& log,
                                                     std::vector<std::string>& notes) {
  using namespace km::xml;
  if (!s.keys.trk) return std::nullopt;
  auto probe_log = std::make_shared<kms_security::decryption_log>();
  kms_parse_options o = s.options;
  o.decrypt_keys = kms_security::make_key_decryptor(*s.keys.trk, s.wrap, probe_log);
  const auto note = [&](const char* what, const std::optional<carried_key>& k) {
    if (k)
      notes.push_back(std::string(what) + ": a new key " + k->name + " (" +
                      std::to_string(8 * k->key.size()) + " bits), wrapped under the TrK");
  };
  const auto carried = [&](const auto& r) {
    if (!r.new_transport_key && !r.new_integrity_key) return false;
    note("NewTransportKey", r.new_transport_key);
    note("NewIntegrityKey", r.new_integrity_key);
    log.insert(log.end(), probe_log->begin(), probe_log->end());
    return true;
  };
  if (auto init = parse_kms_init(text, no_curve_checks{}, o); init && carried(*init)) {
    const auto plain = write_kms_init(kms_init_response{init->header, init->certificate});
    if (plain)
      return km::secret_bytes(
          std::span(reinterpret_cast<const std::uint8_t*>(plain->data()), plain->size()));
  }
  if (auto prov = parse_kms_key_prov_unvalidated(text, o); prov && carried(*prov)) {
    kms_key_prov_response plain;
    plain.header = prov->header;
    plain.key_prov_version = prov->key_prov_version;
    plain.key_sets = prov->key_sets;
    if (auto t = write_kms_key_prov(plain)) return std::move(*t);
  }
  return std::nullopt;
}

/// With --trk/--ink: verifies a signed document and inspects only its signed element, with the
/// TrK decrypting encrypted keys; the security results become notes of the file's items.
void inspect_file_secured(const std::string& file, std::string_view text,
                          std::vector<km::xml::kms_certificate>& certs, const settings& s,
                          std::vector<item>& out) {
  using namespace kms_security;
  settings local = s;
  auto log = std::make_shared<decryption_log>();
  if (s.keys.trk) local.options.decrypt_keys = make_key_decryptor(*s.keys.trk, s.wrap, log);
  std::vector<std::string> notes;
  km::secret_bytes verified;
  if (const std::string inner = signed_inner(text); !inner.empty()) {
    std::vector<named_key> keys;
    for (const auto* k : {&s.keys.ink, &s.keys.trk})
      if (*k) keys.push_back(**k);
    auto v = verify_kms_signature(text, inner, keys);
    if (!v) {
      item bad{file, "unverified", {}, {}, {}, {}, {}, false, {}, {}, 0};
      bad.errors.push_back("XML signature: " + v.error());
      out.push_back(bad);
      return;
    }
    notes.push_back("XML signature verified: HMAC-SHA256 with " + v->key_name + ", " +
                    std::string(uri_of(v->c14n)) + ", Reference to " + v->signed_element);
    verified = std::move(v->canonical);
    text = verified.as_text();
  }
  const auto rewritten = without_carried_keys(text, s, *log, notes);
  if (rewritten) text = rewritten->as_text();
  const std::size_t first = out.size();
  inspect_text(file, text, certs, local, out);
  for (const auto& r : *log)
    notes.push_back(r.where + ": decrypted with " + r.key_name + " (kw-aes256, " +
                    describe(r.flavour) + ", " + describe(r.encoding) + " CipherValue)");
  for (std::size_t i = first; i < out.size(); ++i)
    out[i].notes.insert(out[i].notes.end(), notes.begin(), notes.end());
}
#endif

void inspect_file(const std::string& file, std::vector<km::xml::kms_certificate>& certs,
                  const settings& s, std::vector<item>& out) {
  // Key-set documents hold secrets: read into a wiping buffer, bounded like every XML input.
  const auto secret = read_secret_file(file, max_xml_file, "KMS document");
#ifdef SKM_WITH_KMS_SECURITY
  if (s.keys.trk || s.keys.ink) return inspect_file_secured(file, secret.view(), certs, s, out);
#endif
  inspect_text(file, secret.view(), certs, s, out);
}

void inspect_text(const std::string& file, std::string_view text,
                  std::vector<km::xml::kms_certificate>& certs, const settings& s,
                  std::vector<item>& out) {
  using namespace km::xml;
  const no_curve_checks structure;  // the curve checks are reported one by one
  auto response = parse_kms_response(text, structure, s.options);
  if (response) return inspect_response(file, *response, certs, s, out);
  if (response.error().code == xml_error::wrong_root_element) {
    if (auto c = parse_kms_certificate(text, structure, s.options)) {
      certs.push_back(*c);
      out.push_back(inspect_certificate(file, "certificate", *c, s));
      return;
    }
    if (auto r = parse_kms_request(text, s.options)) {
      item it{file, "request", r->kms_uri, {}, {}, {}, {}, false, r->user_uri, {}, 0};
      it.fields = {{"UserUri", r->user_uri},
                   {"KmsUri", r->kms_uri},
                   {"Time", iso(r->time)},
                   {"ClientId", optional_text(r->client_id)},
                   {"DeviceId", optional_text(r->device_id)},
                   {"ClientReqUrl", r->client_req_url},
                   {"ClientError", optional_text(r->client_error)}};
      const auto target = r->target();
      it.check("ClientReqUrl is a KMS request URL",
               target ? std::nullopt
                      : std::optional<std::string>(km::kms_url::describe(target.error())));
      it.notes = r->notes;
      out.push_back(it);
      return;
    }
  }
  item bad{file, "unreadable", {}, {}, {}, {}, {}, false, {}, {}, 0};
  bad.errors.push_back(response.error().message());
  out.push_back(bad);
}

void print_text(const std::vector<item>& items, const settings& s) {
  for (const auto& it : items) {
    std::cout << it.file << ": " << it.kind << (it.valid() ? " (valid)" : " (INVALID)") << "\n";
    if (it.key_set) std::cout << "  identity convention   " << describe(s.convention) << "\n";
    for (const auto& [k, v] : it.fields) std::cout << "  " << k << ": " << v << "\n";
    for (const auto& [name, ok] : it.checks)
      std::cout << "  [" << (ok ? "ok" : "FAIL") << "] " << name << "\n";
    for (const auto& e : it.errors) std::cout << "  error: " << e << "\n";
    for (const auto& n : it.notes) std::cout << "  note: " << n << "\n";
  }
}

void print_json(const std::vector<item>& items, const settings& s) {
  json j;
  j.begin_array();
  for (const auto& it : items) {
    j.begin_object().field("file", it.file).field("kind", it.kind).field("kms_uri", it.kms_uri);
    j.field("valid", it.valid());
    if (it.key_set) {
      j.field("user_uri", it.user_uri).field("key_period_no", it.period).field("uid", it.uid);
      j.field("identity_convention", describe(s.convention));
    }
    j.key("fields").begin_object();
    for (const auto& [k, v] : it.fields) j.field(k, v);
    j.end_object().key("checks").begin_object();
    for (const auto& [name, ok] : it.checks) j.field(name, ok);
    j.end_object().key("errors").begin_array();
    for (const auto& e : it.errors) j.string(e);
    j.end_array().key("notes").begin_array();
    for (const auto& n : it.notes) j.string(n);
    j.end_array().end_object();
  }
  j.end_array();
  std::cout << j.text() << "\n";
}

/// --trk, --ink, --wrap.
void security_arguments(const arguments& a, settings& s) {
#ifdef SKM_WITH_KMS_SECURITY
  auto key = [&](const char* option) -> std::optional<kms_security::named_key> {
    const auto file = a.value(option);
    if (!file) return std::nullopt;
    const auto text = read_secret_file(*file, 4096, "key file");
    auto k = kms_security::parse_key_file(text.view());
    if (!k) throw failure(*file + ": " + k.error());
    return std::move(*k);
  };
  s.keys.trk = key("trk");
  s.keys.ink = key("ink");
  if (const auto w = a.value("wrap")) {
    if (*w == "rfc3394-stripped")
      s.wrap = kms_security::key_element_wrap::rfc3394_stripped;
    else if (*w != "rfc5649")
      throw a.error("--wrap must be rfc5649 or rfc3394-stripped, not '" + *w + "'");
  }
#else
  if (a.has("trk") || a.has("ink") || a.has("wrap"))
    throw failure("this skm was built without the KMS security extension (libxml2, xmlsec1)");
  (void)s;
#endif
}

}  // namespace

int run_kms_inspect(std::span<char* const> args) {
  const arguments a(args,
                    {{"json", false},
                     {"convention"},
                     {"cert"},
                     {"date"},
                     {"time"},
                     {"ignore-validity", false},
                     {"rel13-order", false},
                     {"vendor-namespace"},
                     {"trk"},
                     {"ink"},
                     {"wrap"}},
                    "kms inspect");
  if (a.help()) {
    std::cout << inspect_help;
    return exit_ok;
  }
  if (a.positional().empty()) throw a.error("give at least one FILE");
  settings s;
  if (auto c = a.value("convention")) {
    const auto conv = km::parse_identity_convention(*c);
    if (!conv) throw a.error("--convention must be raw or hex-text, not '" + *c + "'");
    s.convention = *conv;
  }
  if (a.flag("ignore-validity") && (a.has("date") || a.has("time")))
    throw a.error("--ignore-validity and a time of use exclude each other");
  if (!a.flag("ignore-validity")) s.at = time_argument(a, "time", "date", now());
  s.options.rel13_order = a.flag("rel13-order");
  s.options.vendor_namespace = a.value("vendor-namespace").value_or("");
  security_arguments(a, s);
  std::vector<km::xml::kms_certificate> certs;
  std::vector<item> items;
  if (auto cert_file = a.value("cert")) {
    std::vector<item> ignored;
    inspect_file(*cert_file, certs, s, ignored);
    if (certs.empty()) throw failure("--cert " + *cert_file + " holds no KMS certificate");
  }
  for (const auto& file : a.positional()) inspect_file(file, certs, s, items);
  if (a.flag("json"))
    print_json(items, s);
  else
    print_text(items, s);
  for (const auto& it : items)
    if (!it.valid()) return exit_failure;
  return exit_ok;
}

}  // namespace skm::cli
