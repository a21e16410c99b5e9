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
                     keys for every user of the community. Never overwritten: init refuses
                     a DIR that already holds a community.

  --kms-uri URI        the KMS URI (KmsUri), e.g. kms.example.org
  --period SECONDS     key period length (UserKeyPeriod); default 2592000 (30 days)
  --offset SECONDS     key period offset (UserKeyOffset); default 0
  --dir DIR            where to write (created if missing)
  --cert-id ID         the certificate's Id attribute; default "<kms-uri>.root"
)";

constexpr std::string_view provision_help =
    R"(usage: skm kms provision --dir DIR --uri URI [PERIOD] [--out FILE [--force | --append]]
       skm kms provision --dir DIR --uris FILE --out-dir DIR [--threads N] [PERIOD] [--force]
                         [--stop-on-error] [--json]
       (either form: [--check receiver-side | consistency])
       PERIOD: --period current|next|N | --period-no N | --time NTP_SECONDS | --date ISO-8601

Issues user key sets from the community in DIR (made by 'skm kms init'): for each user and
key period the UID (TS 33.180 F.2.1), the SAKKE RSK, and the ECCSI SSK and PVT. Every key set
is validated as a receiver would (RFC 6508 §6.1.2, RFC 6507 §5.1.2) before it is written;
'--check consistency' (bulk provisioning, about ten times faster) checks only that the RSK
decodes and RFC 6507 §5.1.2, and leaves the RSK's pairing check to the user, who makes it on
receipt anyway.
The key period is the current one unless --period, --period-no, --time or --date says otherwise.

URIs: surrounding spaces and tabs are removed; what remains must be 1 to 1024 octets of UTF-8
without spaces or control characters, and is hashed octet for octet (the rule of every command).

One user: a KmsResponse/KmsKeyProv document with one KmsKeySet, on stdout or in FILE.
Files are written to a temporary file created with mode 0600 (they hold the user's secret keys)
and renamed into place; symlinks and devices are never written through.

  --dir DIR            the community directory (kms-cert.xml, kms-secrets)
  --uri URI            the user's URI
  --out FILE           write the document to FILE instead of stdout (FILE must not exist)
  --force              replace an existing FILE
  --append             add the key set to the user's existing FILE (e.g. --period next before
                       a period boundary); the other key sets of FILE are kept

Batch: one document per URI of FILE (one URI per line; empty lines and lines starting with '#'
are skipped, and so is a ' #' comment after a URI) in OUT_DIR, named after the URI (characters
other than letters, digits and '.@+-_' become '_'), issued on all cores. Every failing line is
reported and the others are still issued (exit code 1 if any failed); only complete key sets
are written. A progress bar goes to stderr when it is a terminal; a summary line (key sets,
seconds, key sets per second) to stdout at the end.

  --uris FILE          the user URIs
  --out-dir OUT_DIR    where the documents go (created if missing)
  --threads N          worker threads; default: the number of cores
  --force              replace existing documents in OUT_DIR
  --stop-on-error      stop at the first failing line
  --json               the summary as a JSON object (with every failure)

  --period current|next|N
                       the current key period, the one after it, or period number N
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

// ---------------------------------------------------------------------------------------------
// The community on disk

struct loaded_community {
  km::xml::kms_certificate certificate;
  km::skm_server server;
};

/// The decoded master secrets file; z and KSAK are wiped when it goes.
struct master_secrets {
  std::string kms_uri;
  std::optional<std::vector<std::uint8_t>> z, ksak;
  bool well_formed = true;
  master_secrets() = default;
  master_secrets(const master_secrets&) = delete;
  master_secrets& operator=(const master_secrets&) = delete;
  ~master_secrets() {
    if (z) ct::wipe(z->data(), z->size());
    if (ksak) ct::wipe(ksak->data(), ksak->size());
  }
};

/// "kms-uri", "z" and "ksak" lines, '#' comments; parsed in place (no copies of the hex).
void parse_master_secrets(std::string_view text, master_secrets& out) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto l = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (l.empty() || l.front() == '#') continue;
    const auto space = l.find(' ');
    const auto key = l.substr(0, space);
    const auto value = space == std::string_view::npos ? std::string_view() : trim(l.substr(space));
    if (key == "kms-uri")
      out.kms_uri = std::string(value);
    else if (key == "z")
      out.z = from_hex(value);
    else if (key == "ksak")
      out.ksak = from_hex(value);
    else
      out.well_formed = false;
  }
}

km::skm_server load_server(const std::string& dir, const km::xml::kms_certificate& cert) {
  const std::string path = join(dir, secrets_file);
  master_secrets secrets;
  parse_master_secrets(read_secret_file(path, max_secrets_file, "master secrets file").view(),
                       secrets);
  if (!secrets.well_formed || !secrets.z || !secrets.ksak || secrets.kms_uri.empty())
    throw failure(path + " is not an skm master secrets file (kms-uri, z and ksak lines)");
  if (secrets.kms_uri != cert.kms_uri)
    throw failure(path + " holds the secrets of " + secrets.kms_uri + ", but " +
                  std::string(cert_file) + " is for " + cert.kms_uri);
  const auto values = km::xml::community_from_certificate(cert);
  if (!values) throw failure(join(dir, cert_file) + ": " + values.error().message());
  auto server = km::skm_server::from_secrets(
      {values->kms_uri, values->schedule, values->parameter_set}, *secrets.z, *secrets.ksak);
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
  const auto parsed = km::xml::parse_kms_init(read_file(path, max_xml_file, "certificate"),
                                              km::xml::no_curve_checks{});
  if (!parsed) throw failure(path + ": " + parsed.error().message());
  auto server = load_server(dir, parsed->certificate);
  return {parsed->certificate, std::move(server)};
}

/// DIR/kms-secrets: z and KSAK in hex, built in one wiping buffer.
secret_text master_secrets_text(const km::skm_server& server, const std::string& kms_uri) {
  const auto secrets = server.export_secrets();
  secret_text text(2 * (secrets.z.span().size() + secrets.ksak.span().size()) + 3 * kms_uri.size() +
                   256);
  const auto hex_line = [&](std::string_view name, std::span<const std::uint8_t> value) {
    static constexpr char digits[] = "0123456789abcdef";
    bool ok = text.append(name) && text.append(" ");
    for (const auto b : value) {
      const char pair[2] = {digits[b >> 4], digits[b & 0xF]};
      ok = ok && text.append(std::string_view(pair, 2));
    }
    return ok && text.append("\n");
  };
  const bool ok = text.append("# skm KMS master secrets of ") && text.append(kms_uri) &&
                  text.append(". Whoever reads this file can issue every user's keys.\n") &&
                  text.append("kms-uri ") && text.append(kms_uri) && text.append("\n") &&
                  hex_line("z", secrets.z.span()) && hex_line("ksak", secrets.ksak.span());
  if (!ok) throw failure("internal error: the master secrets do not fit their buffer");
  return text;
}

// ---------------------------------------------------------------------------------------------
// Key sets

/// --period current|next|N, --period-no N, --time, --date (at most one): the key period.
std::uint64_t period_argument(const arguments& a, const km::skm_server& s) {
  const auto which = a.one_of({"period", "period-no", "time", "date"});
  if (which && *which == "period-no") return a.u64("period-no");
  std::uint64_t after = 0;
  if (which && *which == "period") {
    const auto v = a.required("period");
    if (v == "next")
      after = 1;
    else if (v != "current")
      try {
        return parse_u64(v, "--period");
      } catch (const usage_error&) {
        throw a.error("--period must be current, next or a key period number, not '" + v + "'");
      }
  }
  const auto t = time_argument(a, "time", "date", now());
  const auto p = s.period_at(t);
  if (!p) throw failure("no key period for " + iso(t) + ": " + km::describe(p.error()));
  return *p + after;
}

km::xml::kms_key_set key_set_element(const km::skm_server& s, const km::user_key_set& k) {
  auto set = km::xml::make_key_set(k);
  const auto& schedule = s.public_values().schedule;
  if (const auto from = km::key_period_start(k.period, schedule)) set.valid_from = *from;
  if (const auto to = km::key_period_start(k.period + 1, schedule)) set.valid_to = *to;
  return set;
}

km::secret_bytes write_document(const km::xml::kms_key_prov_response& r, const std::string& uri) {
  auto doc = km::xml::write_kms_key_prov(r);
  if (!doc) throw failure("cannot write the key set of " + uri + ": " + doc.error().message());
  return std::move(*doc);
}

/// The KmsKeyProv document of one issued key set (ValidFrom/ValidTo = its key period).
km::secret_bytes key_prov_document(const km::skm_server& s, const km::user_key_set& k,
                                   km::ntp_time issued_at) {
  km::xml::kms_key_prov_response r;
  r.header.user_uri = k.user_uri;
  r.header.kms_uri = s.public_values().kms_uri;
  r.header.time = issued_at;
  r.header.client_req_url = client_req_url(r.header.kms_uri, "keyprov");
  r.key_sets.push_back(key_set_element(s, k));
  return write_document(r, k.user_uri);
}

/// The user's existing KmsKeyProv document with `k` added (sorted by key period).
km::secret_bytes appended_document(const std::string& path, const km::skm_server& s,
                                   const km::user_key_set& k, km::ntp_time issued_at) {
  check_target(path, replace::with_force);  // a regular file, not a link to one
  // The sets already there are copied back as they are (only their user and KMS are checked).
  auto r = km::xml::parse_kms_key_prov_unvalidated(
      read_secret_file(path, max_xml_file, "key-set file").view());
  if (!r) throw failure(path + ": " + r.error().message());
  for (const auto& set : r->key_sets) {
    if (set.user_uri != k.user_uri || set.kms_uri != s.public_values().kms_uri)
      throw failure(path + " holds a key set of " + set.user_uri + " from " + set.kms_uri +
                    "; --append adds only to the same user's key sets of this KMS");
    if (set.key_period_no == k.period)
      throw failure(path + " already holds key period " + std::to_string(k.period));
  }
  r->header.time = issued_at;
  r->key_sets.push_back(key_set_element(s, k));
  std::sort(r->key_sets.begin(), r->key_sets.end(),
            [](const auto& x, const auto& y) { return x.key_period_no < y.key_period_no; });
  return write_document(*r, k.user_uri);
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

// ---------------------------------------------------------------------------------------------
// Batch

std::string seconds_text(double s) {
  char buf[32];
  if (s < 60)
    (void)std::snprintf(buf, sizeof buf, "%.0fs", s);
  else
    (void)std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60,
                        static_cast<int>(s) % 60);
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
  (void)std::fprintf(stderr, "\r[%s] %zu/%zu  %.1f key sets/s  %s left   ", bar.c_str(), done,
                     total, rate, rate > 0 ? seconds_text(left).c_str() : "?");
  (void)std::fflush(stderr);
}

struct batch_entry {
  std::size_t line = 0;
  std::string uri;
};

struct batch_failure {
  std::size_t line = 0;
  std::string uri;  ///< as read (may be invalid)
  std::string error;
};

/// The URI list: entries to issue and the lines that are already known to fail.
struct uri_list {
  std::vector<batch_entry> entries;
  std::vector<batch_failure> failures;
};

/// A batch line: the URI before an optional ' #' comment.
std::string_view uri_of_line(std::string_view line) {
  for (std::size_t i = 1; i < line.size(); ++i)
    if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
  return line;
}

uri_list read_uri_list(const std::string& path) {
  const std::string text = read_file(path, max_uri_list_file, "URI list");
  uri_list out;
  std::set<std::string> names;
  std::string_view rest = text;
  for (std::size_t number = 1; !rest.empty(); ++number) {
    const auto end = rest.find('\n');
    const auto line = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    const auto raw = trim(uri_of_line(line));
    const auto problem = uri_problem(raw);
    if (!problem.empty()) {
      out.failures.push_back({number, std::string(raw), problem});
      continue;
    }
    const auto name = file_name_for(raw);
    if (!names.insert(name).second) {
      out.failures.push_back(
          {number, std::string(raw), "listed twice or maps to the same file name " + name});
      continue;
    }
    out.entries.push_back({number, std::string(raw)});
  }
  return out;
}

struct batch_job {
  const loaded_community& community;
  std::uint64_t period;
  km::issue_check check;
  std::string out_dir;
  replace policy;
  bool stop_on_error;
};

struct batch_outcome {
  std::size_t written = 0;
  std::vector<batch_failure> failures;
  double seconds = 0;
};

/// Issues every entry on `threads` workers, with a progress bar on a terminal.
void issue_all(const batch_job& job, const std::vector<batch_entry>& entries, std::size_t threads,
               batch_outcome& outcome) {
  const auto issued_at = now();
  std::atomic<std::size_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  std::mutex failures_mutex;
  const auto worker = [&] {
    os_random rng;
    for (std::size_t i = next.fetch_add(1); i < entries.size() && !stop.load();
         i = next.fetch_add(1)) {
      try {
        const auto k = issue(job.community.server, entries[i].uri, job.period, rng, job.check);
        const auto doc = key_prov_document(job.community.server, k, issued_at);
        write_file(join(job.out_dir, file_name_for(entries[i].uri)), doc.as_text(), 0600,
                   job.policy);
        done.fetch_add(1);
      } catch (const std::exception& e) {
        const std::lock_guard lock(failures_mutex);
        outcome.failures.push_back({entries[i].line, entries[i].uri, e.what()});
        if (job.stop_on_error) stop = true;
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
  while (tty && next.load() < entries.size() && !stop.load()) {
    draw_progress(done.load(), entries.size(), elapsed());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (auto& t : pool) t.join();
  outcome.seconds = elapsed();
  outcome.written = done.load();
  if (tty) {
    draw_progress(done.load(), entries.size(), outcome.seconds);
    (void)std::fputc('\n', stderr);
  }
}

void print_batch_summary(const arguments& a, const batch_job& job, std::size_t threads,
                         batch_outcome& outcome) {
  std::sort(outcome.failures.begin(), outcome.failures.end(),
            [](const auto& x, const auto& y) { return x.line < y.line; });
  const double rate =
      outcome.seconds > 0 ? static_cast<double>(outcome.written) / outcome.seconds : 0.0;
  const bool failed = !outcome.failures.empty();
  if (a.flag("json")) {
    json j;
    j.begin_object().field("ok", !failed).field("key_sets", std::uint64_t{outcome.written});
    j.key("seconds").real(outcome.seconds).key("key_sets_per_second").real(rate);
    j.field("threads", std::uint64_t{threads})
        .field("key_period_no", job.period)
        .field("out_dir", job.out_dir);
    j.key("failures").begin_array();
    for (const auto& f : outcome.failures)
      j.begin_object()
          .field("line", std::uint64_t{f.line})
          .field("uri", f.uri)
          .field("error", f.error)
          .end_object();
    j.end_array().end_object();
    if (failed)
      throw failure(std::to_string(outcome.failures.size()) + " line(s) failed", j.text());
    std::cout << j.text() << "\n";
    return;
  }
  char line[160];
  (void)std::snprintf(
      line, sizeof line,
      "%zu key sets for key period %llu in %.2f s (%.1f key sets/s, %zu thread%s) in ",
      outcome.written, static_cast<unsigned long long>(job.period), outcome.seconds, rate, threads,
      threads == 1 ? "" : "s");
  std::cout << line << job.out_dir << "\n";
  for (const auto& f : outcome.failures)
    std::cerr << "skm: line " << f.line << ": " << terminal_safe(f.uri) << ": "
              << terminal_safe(f.error) << "\n";
  if (failed)
    throw failure(std::to_string(outcome.failures.size()) + " line(s) of " + a.required("uris") +
                  " failed; the other key sets were written");
}

int provision_batch(const arguments& a, const loaded_community& c, std::uint64_t period) {
  const auto uris_path = a.required("uris");
  const auto out_dir = a.required("out-dir");
  if (a.has("uri") || a.has("out") || a.has("append"))
    throw a.error(
        "--uri, --out and --append are for one user; the batch form takes --uris and --out-dir");
  const batch_job job{c,
                      period,
                      check_argument(a),
                      out_dir,
                      a.flag("force") ? replace::with_force : replace::never,
                      a.flag("stop-on-error")};
  auto list = read_uri_list(uris_path);
  if (list.entries.empty() && list.failures.empty()) throw failure(uris_path + " lists no URI");
  batch_outcome outcome;
  outcome.failures = std::move(list.failures);
  std::size_t threads = std::max(1u, std::thread::hardware_concurrency());
  if (const auto t = a.optional_u64("threads"))
    threads = static_cast<std::size_t>(*t);  // checked by the caller
  threads = std::max<std::size_t>(1, std::min(threads, list.entries.size()));
  if (!(job.stop_on_error && !outcome.failures.empty()) && !list.entries.empty()) {
    make_directory(out_dir);
    issue_all(job, list.entries, threads, outcome);
  }
  print_batch_summary(a, job, threads, outcome);
  return exit_ok;
}

/// One user: the document on stdout, in a new FILE, replacing FILE (--force) or added to it.
int provision_one(const arguments& a, const loaded_community& c, std::uint64_t period) {
  if (a.flag("stop-on-error")) throw a.error("--stop-on-error applies to the batch form");
  const auto uri = uri_argument(a, "uri");
  const auto out = a.value("out");
  if (out && out->empty()) throw a.error("--out must not be empty");
  if ((a.flag("append") || a.flag("force")) && !out)
    throw a.error(std::string("--") + (a.flag("append") ? "append" : "force") +
                  " needs --out FILE");
  if (a.flag("append") && a.flag("force")) throw a.error("--append and --force exclude each other");
  os_random rng;
  const auto k = issue(c.server, uri, period, rng, check_argument(a));
  if (!out) {
    write_stdout(key_prov_document(c.server, k, now()).as_text());
    return exit_ok;
  }
  if (a.flag("append"))
    write_file(*out, appended_document(*out, c.server, k, now()).as_text(), 0600,
               replace::with_force);
  else
    write_file(*out, key_prov_document(c.server, k, now()).as_text(), 0600,
               a.flag("force") ? replace::with_force : replace::never);
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
  const auto kms_uri = uri_argument(a, "kms-uri");
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
  const std::string cert_path = join(dir, cert_file);
  // Both checked before either is written: never a new secret next to an old certificate.
  check_target(secrets_path, replace::never);
  check_target(cert_path, replace::never);
  write_file(secrets_path, master_secrets_text(*server, kms_uri).view(), 0600, replace::never);
  write_file(cert_path, *cert, 0644, replace::never);
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
                     {"period"},
                     {"period-no"},
                     {"time"},
                     {"date"},
                     {"check"},
                     {"force", false},
                     {"append", false},
                     {"stop-on-error", false},
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
  (void)check_argument(a);  // a bad --check is a usage error before any file is read
  const auto c = load_community(dir);
  const auto period = period_argument(a, c.server);
  return batch ? provision_batch(a, c, period) : provision_one(a, c, period);
}

}  // namespace skm::cli
