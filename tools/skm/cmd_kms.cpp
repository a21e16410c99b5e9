// SPDX-License-Identifier: BSD-3-Clause
// skm kms init / skm kms provision: an SKM-S community on disk.
//
//   DIR/kms-cert.xml   KmsResponse/KmsInit with the KmsCertificate (public)
//   DIR/kms-secrets    the master secrets z (SAKKE) and KSAK (ECCSI), mode 0600
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/km/kms_xml.hpp"
#include "skm/km/skm_server.hpp"

namespace skm::cli {

namespace {

constexpr std::string_view init_help =
    R"(usage: skm kms init --kms-uri URI [--period SECONDS] [--offset SECONDS] --dir DIR [--cert-id ID]

Creates an SKM-S community (a TS 33.180 KMS): fresh master secrets for SAKKE (z, with the
public key Z = [z]P on RFC 6509 parameter set 1) and ECCSI (KSAK, with KPAK = [KSAK]G on P-256).

Writes
  DIR/kms-cert.xml   the KmsCertificate inside KmsResponse/KmsInit (TS 33.180 Annex D):
                     KmsUri, UserIdFormat 2, UserKeyPeriod, UserKeyOffset, PubEncKey (Z),
                     PubAuthKey (KPAK), ParameterSet 1. Public: give it to every user.
  DIR/kms-secrets    z and KSAK in hex, created with mode 0600. Anyone who reads it can issue
                     keys for every user of the community. Never overwritten.

  --kms-uri URI        the KMS URI (KmsUri), e.g. kms.example.org
  --period SECONDS     key period length (UserKeyPeriod); default 2592000 (30 days)
  --offset SECONDS     key period offset (UserKeyOffset); default 0
  --dir DIR            where to write (created if missing)
  --cert-id ID         the certificate's Id attribute; default "<kms-uri>.root"
)";

constexpr std::string_view provision_help =
    R"(usage: skm kms provision --dir DIR --uri URI [--period-no N | --time NTP_SECONDS | --date ISO-8601] [--out FILE]
       skm kms provision --dir DIR --uris FILE --out-dir DIR [--threads N] [--period-no N | --time ... | --date ...] [--json]
       (either form: [--check receiver-side | consistency])

Issues user key sets from the community in DIR (made by 'skm kms init'): for each user and
key period the UID (TS 33.180 F.2.1), the SAKKE RSK, and the ECCSI SSK and PVT. Every key set
is validated as a receiver would (RFC 6508 §6.1.2, RFC 6507 §5.1.2) before it is written;
'--check consistency' (bulk provisioning, about ten times faster) checks only that the RSK
decodes and RFC 6507 §5.1.2, and leaves the RSK's pairing check to the user, who makes it on
receipt anyway.
The key period is the current one unless --period-no, --time or --date says otherwise.

One user: a KmsResponse/KmsKeyProv document with one KmsKeySet, on stdout or in FILE
(created with mode 0600: it holds the user's secret keys).

  --dir DIR            the community directory (kms-cert.xml, kms-secrets)
  --uri URI            the user's URI
  --out FILE           write the document to FILE instead of stdout

Batch: one document per URI of FILE (one URI per line; empty lines and lines starting with '#'
are skipped) in OUT_DIR, named after the URI (characters other than letters, digits and
'.@+-_' become '_'), issued on all cores. A progress bar goes to stderr when it is a terminal;
a summary line (key sets, seconds, key sets per second) to stdout at the end.

  --uris FILE          the user URIs
  --out-dir OUT_DIR    where the documents go (created if missing)
  --threads N          worker threads; default: the number of cores
  --json               the summary as a JSON object

  --period-no N        key period number
  --time NTP_SECONDS   a time in the key period (seconds since 1900-01-01T00:00:00Z)
  --date ISO-8601      a time in the key period
)";

constexpr std::string_view cert_file = "kms-cert.xml";
constexpr std::string_view secrets_file = "kms-secrets";

std::string join(const std::string& dir, std::string_view name) {
  if (dir.empty() || dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

std::string client_req_url(std::string_view kms_uri, std::string_view what) {
  return "https://" + std::string(kms_uri) + "/keymanagement/identity/v1/" + std::string(what);
}

/// Wipes a string holding secrets when it goes out of scope.
struct wiped_string {
  std::string text;
  ~wiped_string() { ct::wipe(text.data(), text.size()); }
};

// ---------------------------------------------------------------------------------------------
// The community on disk

struct loaded_community {
  km::xml::kms_certificate certificate;
  km::skm_server server;
};

/// The master secrets file: "kms-uri", "z" and "ksak" lines, '#' comments.
km::skm_server load_server(const std::string& dir, const km::xml::kms_certificate& cert) {
  const std::string path = join(dir, secrets_file);
  wiped_string content{read_file(path)};
  std::string kms_uri;
  std::optional<std::vector<std::uint8_t>> z, ksak;
  std::istringstream lines(content.text);
  std::string line;
  bool ok = true;
  while (std::getline(lines, line)) {
    const auto l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    const auto space = l.find(' ');
    const auto key = l.substr(0, space);
    const auto value = space == std::string_view::npos ? std::string_view() : trim(l.substr(space));
    if (key == "kms-uri")
      kms_uri = std::string(value);
    else if (key == "z")
      z = from_hex(value);
    else if (key == "ksak")
      ksak = from_hex(value);
    else
      ok = false;
  }
  ct::wipe(line.data(), line.size());
  const auto wipe = [](std::optional<std::vector<std::uint8_t>>& v) {
    if (v) ct::wipe(v->data(), v->size());
  };
  if (!ok || !z || !ksak || kms_uri.empty()) {
    wipe(z);
    wipe(ksak);
    throw failure(path + " is not an skm master secrets file (kms-uri, z and ksak lines)");
  }
  if (kms_uri != cert.kms_uri) {
    wipe(z);
    wipe(ksak);
    throw failure(path + " holds the secrets of " + kms_uri + ", but " + std::string(cert_file) +
                  " is for " + cert.kms_uri);
  }
  const auto values = km::xml::community_from_certificate(cert);
  if (!values) throw failure(join(dir, cert_file) + ": " + values.error().message());
  auto server = km::skm_server::from_secrets(
      {values->kms_uri, values->schedule, values->parameter_set}, *z, *ksak);
  wipe(z);
  wipe(ksak);
  if (!server) throw failure(path + ": " + km::describe(server.error()));
  // The secrets must be those behind the certificate's public keys.
  if (server->public_values().z != values->z || server->public_values().kpak != values->kpak)
    throw failure(path + " does not hold the master secrets of the public keys in " +
                  std::string(cert_file));
  return std::move(*server);
}

loaded_community load_community(const std::string& dir) {
  const std::string path = join(dir, cert_file);
  // Structure here; community_from_certificate (in load_server) validates Z and KPAK.
  const auto parsed = km::xml::parse_kms_init(read_file(path), km::xml::no_curve_checks{});
  if (!parsed) throw failure(path + ": " + parsed.error().message());
  auto server = load_server(dir, parsed->certificate);
  return {parsed->certificate, std::move(server)};
}

// ---------------------------------------------------------------------------------------------
// Key sets

std::uint64_t period_argument(const arguments& a, const km::skm_server& s) {
  const auto which = a.one_of({"period-no", "time", "date"});
  if (which && *which == "period-no") return a.u64("period-no");
  const auto t = time_argument(a, "time", "date", now());
  const auto p = s.period_at(t);
  if (!p) throw failure("no key period for " + iso(t) + ": " + km::describe(p.error()));
  return *p;
}

/// The KmsKeyProv document of one issued key set (ValidFrom/ValidTo = its key period).
km::secret_bytes key_prov_document(const km::skm_server& s, const km::user_key_set& k,
                                   km::ntp_time issued_at) {
  km::xml::kms_key_prov_response r;
  r.header.user_uri = k.user_uri;
  r.header.kms_uri = s.public_values().kms_uri;
  r.header.time = issued_at;
  r.header.client_req_url = client_req_url(r.header.kms_uri, "keyprov");
  auto set = km::xml::make_key_set(k);
  const auto& schedule = s.public_values().schedule;
  if (const auto from = km::key_period_start(k.period, schedule)) set.valid_from = *from;
  if (const auto to = km::key_period_start(k.period + 1, schedule)) set.valid_to = *to;
  r.key_sets.push_back(std::move(set));
  auto doc = km::xml::write_kms_key_prov(r);
  if (!doc)
    throw failure("cannot write the key set of " + k.user_uri + ": " + doc.error().message());
  return std::move(*doc);
}

km::user_key_set issue(const km::skm_server& s, const std::string& uri, std::uint64_t period,
                       os_random& rng, km::issue_check check) {
  auto k = s.issue(uri, period, rng, check);
  if (!k) throw failure("cannot issue a key set for " + uri + ": " + km::describe(k.error()));
  return std::move(*k);
}

/// --check: how much the KMS checks each key set before it is written.
km::issue_check check_argument(const arguments& a) {
  const auto v = a.value("check");
  if (!v || *v == "receiver-side") return km::issue_check::receiver_side;
  if (*v == "consistency") return km::issue_check::consistency;
  throw a.error("--check must be receiver-side or consistency, not '" + *v + "'");
}

std::string file_name_for(std::string_view uri) {
  std::string name;
  for (const char c : uri) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '@' || c == '+' || c == '-' || c == '_';
    name += keep ? c : '_';
  }
  if (name.empty() || name.front() == '.') name.insert(0, "_");
  return name + ".xml";
}

std::string seconds_text(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}

void draw_progress(std::size_t done, std::size_t total, double elapsed) {
  constexpr int width = 30;
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * width);
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double left = rate > 0 ? static_cast<double>(total - done) / rate : 0.0;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  std::fprintf(stderr, "\r[%s] %zu/%zu  %.1f key sets/s  %s left   ", bar.c_str(), done, total,
               rate, rate > 0 ? seconds_text(left).c_str() : "?");
  std::fflush(stderr);
}

int provision_batch(const arguments& a, const loaded_community& c, std::uint64_t period) {
  const auto uris_path = a.required("uris");
  const auto out_dir = a.required("out-dir");
  if (a.has("uri") || a.has("out"))
    throw a.error("--uri and --out are for one user; the batch form takes --uris and --out-dir");
  std::vector<std::string> uris;
  std::set<std::string> names;
  {
    std::istringstream lines(read_file(uris_path));
    std::string line;
    std::size_t number = 0;
    while (std::getline(lines, line)) {
      ++number;
      const auto uri = trim(line);
      if (uri.empty() || uri.front() == '#') continue;
      const auto name = file_name_for(uri);
      if (!names.insert(name).second)
        throw failure(uris_path + " line " + std::to_string(number) + ": " + std::string(uri) +
                      " is listed twice or maps to the same file name " + name);
      uris.emplace_back(uri);
    }
  }
  if (uris.empty()) throw failure(uris_path + " lists no URI");
  const auto check = check_argument(a);
  std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  if (const auto t = a.optional_u64("threads"))
    threads = static_cast<std::size_t>(*t);  // checked by the caller
  threads = std::min(threads, uris.size());
  make_directory(out_dir);

  const auto issued_at = now();
  std::atomic<std::size_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  std::mutex error_mutex;
  std::optional<std::string> first_error;
  const auto worker = [&] {
    os_random rng;
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= uris.size() || stop.load()) return;
      try {
        const auto k = issue(c.server, uris[i], period, rng, check);
        const auto doc = key_prov_document(c.server, k, issued_at);
        write_file(join(out_dir, file_name_for(uris[i])), doc.as_text(), true);
        done.fetch_add(1);
      } catch (const std::exception& e) {
        const std::lock_guard lock(error_mutex);
        if (!first_error) first_error = e.what();
        stop = true;
        return;
      }
    }
  };
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  std::vector<std::thread> pool;
  for (std::size_t i = 0; i < threads; ++i) pool.emplace_back(worker);
  if (tty) {
    while (done.load() < uris.size() && !stop.load()) {
      draw_progress(done.load(), uris.size(), elapsed());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  for (auto& t : pool) t.join();
  const double seconds = elapsed();
  if (tty) {
    draw_progress(done.load(), uris.size(), seconds);
    std::fputc('\n', stderr);
  }
  if (first_error)
    throw failure(*first_error + " (" + std::to_string(done.load()) +
                  " key sets written before the failure)");
  const double rate = seconds > 0 ? static_cast<double>(uris.size()) / seconds : 0.0;
  if (a.flag("json")) {
    json j;
    j.begin_object()
        .field("key_sets", std::uint64_t{uris.size()})
        .key("seconds")
        .real(seconds)
        .key("key_sets_per_second")
        .real(rate)
        .field("threads", std::uint64_t{threads})
        .field("key_period_no", period)
        .field("out_dir", out_dir)
        .end_object();
    std::cout << j.text() << "\n";
  } else {
    char line[160];
    std::snprintf(line, sizeof line,
                  "%zu key sets for key period %llu in %.2f s (%.1f key sets/s, %zu thread%s) in ",
                  uris.size(), static_cast<unsigned long long>(period), seconds, rate, threads,
                  threads == 1 ? "" : "s");
    std::cout << line << out_dir << "\n";
  }
  return exit_ok;
}

}  // namespace

int run_kms_init(std::span<char* const> args) {
  const arguments a(args, {{"kms-uri"}, {"period"}, {"offset"}, {"dir"}, {"cert-id"}}, "kms init");
  if (a.help()) {
    std::cout << init_help;
    return exit_ok;
  }
  a.no_positionals();
  const auto kms_uri = a.required("kms-uri");
  const auto dir = a.required("dir");
  const km::key_period_schedule schedule{a.optional_u64("period").value_or(2592000),
                                         a.optional_u64("offset").value_or(0)};
  if (schedule.length_seconds == 0) throw a.error("--period must not be 0");
  const std::string cert_id = a.value("cert-id").value_or(kms_uri + ".root");
  if (cert_id.empty()) throw a.error("--cert-id must not be empty");

  os_random rng;
  const auto server = km::skm_server::generate({kms_uri, schedule}, rng);
  if (!server)
    throw failure("cannot create the community: " + std::string(km::describe(server.error())));

  km::xml::kms_init_response r;
  r.header.user_uri = kms_uri;
  r.header.kms_uri = kms_uri;
  r.header.time = now();
  r.header.client_req_url = client_req_url(kms_uri, "init");
  r.certificate = km::xml::make_certificate(server->public_values(), cert_id);
  const auto cert = km::xml::write_kms_init(r);
  if (!cert) throw failure("cannot write the certificate: " + cert.error().message());

  make_directory(dir);
  const std::string secrets_path = join(dir, secrets_file);
  {
    const auto secrets = server->export_secrets();
    wiped_string text;
    text.text.reserve(600);
    text.text += "# skm KMS master secrets of " + kms_uri +
                 ". Whoever reads this file can issue every user's keys.\n";
    text.text += "kms-uri " + kms_uri + "\n";
    text.text += "z ";
    const auto z = to_hex(secrets.z.span());
    text.text += z;
    ct::wipe(const_cast<char*>(z.data()), z.size());
    text.text += "\nksak ";
    const auto k = to_hex(secrets.ksak.span());
    text.text += k;
    ct::wipe(const_cast<char*>(k.data()), k.size());
    text.text += "\n";
    write_file(secrets_path, text.text, true, true);
  }
  const std::string cert_path = join(dir, cert_file);
  write_file(cert_path, *cert, false);
  std::cout << "community " << kms_uri << " (key period " << schedule.length_seconds
            << " s, offset " << schedule.offset_seconds << " s)\n"
            << "  certificate     " << cert_path << "\n"
            << "  master secrets  " << secrets_path << " (mode 0600)\n";
  return exit_ok;
}

int run_kms_provision(std::span<char* const> args) {
  const arguments a(args,
                    {{"dir"},
                     {"uri"},
                     {"out"},
                     {"uris"},
                     {"out-dir"},
                     {"threads"},
                     {"period-no"},
                     {"time"},
                     {"date"},
                     {"check"},
                     {"json", false}},
                    "kms provision");
  if (a.help()) {
    std::cout << provision_help;
    return exit_ok;
  }
  a.no_positionals();
  const auto dir = a.required("dir");
  const bool batch = a.has("uris") || a.has("out-dir") || a.has("threads");
  if (!batch && !a.has("uri"))
    throw a.error("give --uri URI (one user) or --uris FILE --out-dir DIR (batch)");
  if (!batch && a.flag("json"))
    throw a.error("--json applies to the batch form; one key set is written as XML");
  if (const auto t = a.optional_u64("threads"); t && (*t == 0 || *t > 1024))
    throw a.error("--threads must be between 1 and 1024");
  const auto check = check_argument(a);
  const auto c = load_community(dir);
  const auto period = period_argument(a, c.server);
  if (batch) return provision_batch(a, c, period);

  const auto uri = a.required("uri");
  os_random rng;
  const auto k = issue(c.server, uri, period, rng, check);
  const auto doc = key_prov_document(c.server, k, now());
  if (const auto out = a.value("out")) {
    if (out->empty()) throw a.error("--out must not be empty");
    write_file(*out, doc.as_text(), true);
  } else {
    std::cout.write(doc.as_text().data(), static_cast<std::streamsize>(doc.as_text().size()));
    std::cout.flush();
  }
  return exit_ok;
}

}  // namespace skm::cli
