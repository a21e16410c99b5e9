// SPDX-License-Identifier: BSD-3-Clause
// The KMS state's admin commands: skm kms revoke, unrevoke, revocations, audit and certcache,
// on the community directory's SQLite file or a --db URL (state_db.hpp). A running `skm kms
// serve` sees every change at its next request (it reads the state per request).
#include <chrono>
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "skm/km/kms_request.hpp"
#include "skm/km/kms_xml.hpp"
#include "state_db.hpp"

namespace skm::cli {

namespace {

namespace st = skm::kms_state;

constexpr std::size_t max_certificate_file = std::size_t{1024} * 1024;

constexpr std::string_view where_help =
    R"(  --dir DIR               the community directory: its state is DIR/kms-state.sqlite
  --db URL                the state elsewhere: postgresql://[user[:password]@]host[:port]/db
                          (or ?host=/socket/dir), or sqlite:PATH
  --json                  one JSON object on stdout
)";

constexpr std::string_view revoke_help =
    R"(usage: skm kms revoke (--dir DIR | --db URL) WHAT [--reason TEXT] [--json]
       WHAT: --uri URI [--from-period N | --from TIME] | --device ID | --client ID
             | --community [--kms-uri URI]

Revokes, in the KMS state, a user URI (every key period, or from a period on), a device or
client (the DeviceId / ClientId of KmsRequest bodies), or the community's own certificate.
keyprov then answers the revoked periods as KmsKeySet with Revoked true and no usable key (or
KmsError, see 'skm kms serve --revoked-answer'); init shows a revoked certificate as Revoked.
Every server on the same state sees it at its next request. Revoking again replaces the entry.

  --uri URI               the user (or group) URI
  --from-period N         the first revoked key period (default 0: every period)
  --from TIME             the first revoked period is the one holding TIME (NTP seconds or
                          ISO 8601; needs --dir for the key period schedule)
  --device ID, --client ID
  --community             this KMS's certificate (its URI from DIR/kms-cert.xml or --kms-uri)
  --reason TEXT           kept with the revocation
)";

constexpr std::string_view unrevoke_help =
    R"(usage: skm kms unrevoke (--dir DIR | --db URL) (--uri URI | --device ID | --client ID
                        | --community [--kms-uri URI]) [--json]

Removes a revocation made by 'skm kms revoke' (exit 1 when there was none).
)";

constexpr std::string_view revocations_help =
    R"(usage: skm kms revocations (--dir DIR | --db URL) [--json]

Lists the revocations in the KMS state.
)";

constexpr std::string_view audit_help =
    R"(usage: skm kms audit (--dir DIR | --db URL) [--uri URI] [--since TIME] [--until TIME]
                     [--limit N] [--json]

The audit trail: one record per KMS request the service answered (time, identity, subject,
client and device id, endpoint, key periods, HTTP status, result, replica), oldest first.
Records hold no key and no token.

  --uri URI               records whose caller or subject is URI
  --since TIME            records at or after TIME (NTP seconds or ISO 8601)
  --until TIME            records before TIME
  --limit N               at most N records (default 10000)
)";

constexpr std::string_view certcache_help =
    R"(usage: skm kms certcache add FILE    (--dir DIR | --db URL) [--json]
       skm kms certcache remove KMS-URI (--dir DIR | --db URL) [--json]
       skm kms certcache list           (--dir DIR | --db URL) [--json]

The certificate cache of other KMSs (inter-domain), served at certcache[/N] and cert/KMS-URI.
add takes a KmsCertificate (or SignedKmsCertificate, or KmsResponse/KmsInit) file, checks it
(schema, Z and KPAK on their curves) and adds or replaces the certificate of its KmsUri. Every
change increments CacheNum; certcache/N answers the whole cache when N is not the current
number, else none.
)";

[[nodiscard]] std::string with_where(std::string_view head) {
  return std::string(head) + std::string(where_help);
}

[[nodiscard]] std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

[[nodiscard]] std::string iso_ms(std::int64_t ms) {
  const auto t = km::from_unix_seconds(ms / 1000);
  return t ? iso(*t) : std::to_string(ms) + " ms";
}

[[nodiscard]] std::int64_t instant_ms(const arguments& a, std::string_view option) {
  const auto t = parse_instant(a, option, a.required(option));
  const auto unix = km::to_unix_seconds(t);
  if (!unix) throw a.error("--" + std::string(option) + " is outside the Unix time range");
  return *unix * 1000;
}

/// The community's certificate in DIR.
[[nodiscard]] km::xml::kms_certificate community_certificate(const arguments& a) {
  const auto dir = a.value("dir");
  if (!dir) throw a.error("--community and --from need --dir (or --kms-uri / --from-period)");
  const std::string path = *dir + (dir->empty() || dir->back() == '/' ? "" : "/") + "kms-cert.xml";
  const auto parsed = km::xml::parse_kms_init(read_file(path, max_certificate_file, "certificate"));
  if (!parsed) throw failure(path + ": " + parsed.error().message());
  return parsed->certificate;
}

/// What --uri / --device / --client / --community names.
[[nodiscard]] st::revocation selected(const arguments& a) {
  const auto which = a.one_of({"uri", "device", "client", "community"});
  if (!which) throw a.error("say what: --uri URI, --device ID, --client ID or --community");
  st::revocation r;
  if (*which == "community") {
    r.kind = st::revocation_kind::community;
    r.value = a.value("kms-uri") ? *a.value("kms-uri") : community_certificate(a).kms_uri;
    return r;
  }
  r.kind = *st::kind_from_name(*which == "uri" ? "user" : *which);
  r.value = *which == "uri" ? uri_argument(a, "uri") : a.required(*which);
  if (r.value.empty()) throw a.error("--" + *which + " must not be empty");
  return r;
}

template <class T>
[[nodiscard]] T checked(st::outcome<T> r) {
  if (!r) throw failure(r.error());
  return std::move(*r);
}

void print_revocation(json& j, const st::revocation& r) {
  j.begin_object().field("kind", st::kind_name(r.kind)).field("value", r.value);
  if (r.kind == st::revocation_kind::user) j.field("from_period", r.from_period);
  j.field("revoked_at", iso_ms(r.revoked_at_ms)).field("reason", r.reason).end_object();
}

}  // namespace

int run_kms_revoke(std::span<char* const> args) {
  const arguments a(args,
                    {{"dir"},
                     {"db"},
                     {"uri"},
                     {"device"},
                     {"client"},
                     {"community", false},
                     {"kms-uri"},
                     {"from-period"},
                     {"from"},
                     {"reason"},
                     {"json", false}},
                    "kms revoke");
  if (a.help()) {
    std::cout << with_where(revoke_help);
    return exit_ok;
  }
  a.no_positionals();
  st::revocation r = selected(a);
  if (const auto from = a.one_of({"from-period", "from"})) {
    if (r.kind != st::revocation_kind::user) throw a.error("--" + *from + " goes with --uri");
    if (*from == "from-period") {
      r.from_period = a.u64("from-period");
    } else {
      const auto period = km::key_period_number(parse_instant(a, "from", a.required("from")),
                                                community_certificate(a).schedule());
      if (!period) throw a.error("--from is before the community's first key period");
      r.from_period = *period;
    }
  }
  r.revoked_at_ms = now_ms();
  r.reason = a.value("reason").value_or("");
  auto store = open_state(a);
  const bool fresh = checked(store->revoke(r));
  if (a.flag("json")) {
    json j;
    j.begin_object().field("ok", true).field("replaced", !fresh).key("revocation");
    print_revocation(j, r);
    write_stdout(j.end_object().text() + "\n");
  } else {
    std::cout << "revoked " << st::kind_name(r.kind) << " " << terminal_safe(r.value)
              << (r.kind == st::revocation_kind::user
                      ? " from key period " + std::to_string(r.from_period)
                      : std::string())
              << (fresh ? "" : " (replacing the earlier revocation)") << "\n";
  }
  return exit_ok;
}

int run_kms_unrevoke(std::span<char* const> args) {
  const arguments a(args,
                    {{"dir"},
                     {"db"},
                     {"uri"},
                     {"device"},
                     {"client"},
                     {"community", false},
                     {"kms-uri"},
                     {"json", false}},
                    "kms unrevoke");
  if (a.help()) {
    std::cout << with_where(unrevoke_help);
    return exit_ok;
  }
  a.no_positionals();
  const st::revocation r = selected(a);
  auto store = open_state(a);
  if (!checked(store->unrevoke(r.kind, r.value)))
    throw failure(std::string(st::kind_name(r.kind)) + " " + r.value + " is not revoked");
  if (a.flag("json")) {
    json j;
    j.begin_object().field("ok", true).field("kind", st::kind_name(r.kind));
    write_stdout(j.field("value", r.value).end_object().text() + "\n");
  } else {
    std::cout << "unrevoked " << st::kind_name(r.kind) << " " << terminal_safe(r.value) << "\n";
  }
  return exit_ok;
}

int run_kms_revocations(std::span<char* const> args) {
  const arguments a(args, {{"dir"}, {"db"}, {"json", false}}, "kms revocations");
  if (a.help()) {
    std::cout << with_where(revocations_help);
    return exit_ok;
  }
  a.no_positionals();
  auto store = open_state(a);
  const auto list = checked(store->revocations());
  if (a.flag("json")) {
    json j;
    j.begin_object().field("ok", true).key("revocations").begin_array();
    for (const auto& r : list) print_revocation(j, r);
    write_stdout(j.end_array().end_object().text() + "\n");
    return exit_ok;
  }
  for (const auto& r : list) {
    std::string line = std::string(st::kind_name(r.kind)) + " " + r.value;
    if (r.kind == st::revocation_kind::user)
      line += " from period " + std::to_string(r.from_period);
    line += " since " + iso_ms(r.revoked_at_ms);
    if (!r.reason.empty()) line += " (" + r.reason + ")";
    std::cout << terminal_safe(line) << "\n";
  }
  return exit_ok;
}

int run_kms_audit(std::span<char* const> args) {
  const arguments a(args,
                    {{"dir"}, {"db"}, {"uri"}, {"since"}, {"until"}, {"limit"}, {"json", false}},
                    "kms audit");
  if (a.help()) {
    std::cout << with_where(audit_help);
    return exit_ok;
  }
  a.no_positionals();
  st::audit_query q;
  if (a.has("uri")) q.identity = uri_argument(a, "uri");
  if (a.has("since")) q.since_ms = instant_ms(a, "since");
  if (a.has("until")) q.until_ms = instant_ms(a, "until");
  if (const auto n = a.optional_u64("limit")) q.limit = static_cast<std::size_t>(*n);
  auto store = open_state(a);
  const auto records = checked(store->audit(q));
  if (a.flag("json")) {
    json j;
    j.begin_object().field("ok", true).key("records").begin_array();
    for (const auto& r : records) {
      j.begin_object()
          .field("id", static_cast<std::uint64_t>(r.id))
          .field("time", iso_ms(r.time_ms));
      j.field("time_ms", static_cast<std::uint64_t>(r.time_ms)).field("identity", r.identity);
      j.field("subject", r.subject).field("endpoint", r.endpoint);
      j.key("client_id");
      r.client_id ? j.string(*r.client_id) : j.null();
      j.key("device_id");
      r.device_id ? j.string(*r.device_id) : j.null();
      j.key("periods").begin_array();
      for (const auto p : r.periods) j.number(p);
      j.end_array().field("status", static_cast<std::uint64_t>(r.status));
      j.field("result", r.result).field("replica", r.replica).end_object();
    }
    write_stdout(j.end_array().end_object().text() + "\n");
    return exit_ok;
  }
  for (const auto& r : records) {
    std::string line = iso_ms(r.time_ms) + " " + std::to_string(r.status) + " " + r.endpoint + " " +
                       (r.identity.empty() ? "-" : r.identity);
    if (!r.subject.empty() && r.subject != r.identity) line += " for " + r.subject;
    if (!r.periods.empty()) line += " periods " + st::periods_text(r.periods);
    if (r.client_id) line += " client " + *r.client_id;
    if (r.device_id) line += " device " + *r.device_id;
    line += " " + (r.result.empty() ? std::string("-") : r.result);
    if (!r.replica.empty()) line += " [" + r.replica + "]";
    std::cout << terminal_safe(line) << "\n";
  }
  return exit_ok;
}

namespace {

/// A KMS certificate from a file: stand-alone (possibly signed) or inside KmsResponse/KmsInit.
[[nodiscard]] km::xml::kms_certificate certificate_from_file(const std::string& path) {
  const auto text = read_file(path, max_certificate_file, "certificate");
  if (auto c = km::xml::parse_kms_certificate(text)) return std::move(*c);
  const auto init = km::xml::parse_kms_init(text);
  if (!init) throw failure(path + ": not a KmsCertificate: " + init.error().message());
  return init->certificate;
}

int certcache_list(const arguments& a, st::store& store) {
  const auto cache = checked(store.cert_cache());
  if (a.flag("json")) {
    json j;
    j.begin_object().field("ok", true).field("cache_num", cache.cache_num);
    j.key("certificates").begin_array();
    for (const auto& c : cache.certificates)
      j.begin_object().field("kms_uri", c.kms_uri).field("changed_in", c.changed_in).end_object();
    write_stdout(j.end_array().end_object().text() + "\n");
    return exit_ok;
  }
  std::cout << "CacheNum " << cache.cache_num << "\n";
  for (const auto& c : cache.certificates)
    std::cout << terminal_safe(c.kms_uri) << " (changed in " << c.changed_in << ")\n";
  return exit_ok;
}

}  // namespace

int run_kms_certcache(std::span<char* const> args) {
  const arguments a(args, {{"dir"}, {"db"}, {"json", false}}, "kms certcache");
  if (a.help()) {
    std::cout << with_where(certcache_help);
    return exit_ok;
  }
  const auto& p = a.positional();
  if (p.empty()) throw a.error("needs add FILE, remove KMS-URI or list");
  const std::string& action = p[0];
  if (action == "list") {
    if (p.size() != 1) throw a.error("list takes no argument");
    auto store = open_state(a);
    return certcache_list(a, *store);
  }
  if ((action != "add" && action != "remove") || p.size() != 2)
    throw a.error("needs add FILE, remove KMS-URI or list");
  std::uint64_t num = 0;
  std::string kms_uri;
  if (action == "add") {
    const auto c = certificate_from_file(p[1]);
    const auto xml = km::xml::write_kms_certificate(c);
    if (!xml) throw failure(p[1] + ": " + xml.error().message());
    kms_uri = c.kms_uri;
    auto store = open_state(a);
    num = checked(store->put_certificate(kms_uri, *xml));
  } else {
    kms_uri = p[1];
    auto store = open_state(a);
    const auto removed = checked(store->remove_certificate(kms_uri));
    if (!removed) throw failure("the certificate cache holds no certificate of " + kms_uri);
    num = *removed;
  }
  if (a.flag("json")) {
    json j;
    j.begin_object().field("ok", true).field("action", action).field("kms_uri", kms_uri);
    write_stdout(j.field("cache_num", num).end_object().text() + "\n");
  } else {
    std::cout << (action == "add" ? "added " : "removed ") << terminal_safe(kms_uri)
              << "; CacheNum " << num << "\n";
  }
  return exit_ok;
}

}  // namespace skm::cli
