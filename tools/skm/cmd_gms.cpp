// SPDX-License-Identifier: BSD-3-Clause
// skm gms rekey: a new GMK for a whole group, one I_MESSAGE per member (km/gms.hpp), written to
// a directory with an index.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "cli.hpp"
#include "commands.hpp"
#include "key_files.hpp"
#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/km/gms.hpp"

namespace skm::cli {

namespace {

constexpr std::string_view rekey_help =
    R"(usage: skm gms rekey --cert CERT.xml --keyset GMS.xml --group FILE --out-dir DIR
                     [--member-cert CERT.xml] [--activate TIME] [--expire TIME] [--text TEXT]
                     [--time TIME] [--threads N] [--force] [--json]

The group management server (SEAL SGM-S) rekeys a group: a fresh GMK and GMK-ID, sent to every
member in its own MIKEY-SAKKE I_MESSAGE (TS 33.180 E.2): SAKKE to the member's UID for the key
period of the message time, CSB ID = the member's GUK-ID, a GENERIC-ID crypto session with
GMK-ID || GUK-ID, the key parameters (activation and expiry time, text, the group IDs), signed
with the GMS's key set. Members are served by a pool of threads; a member that cannot be served
(a URI that gives no UID, a KMS without a certificate) is reported and the others still are.

Writes DIR/<n>.mikey ('mikey BASE64', the n-th member of FILE), DIR/index.json (member -> file
-> GUK-ID, or the member's error), and DIR/gmk (mode 0600: the GMK-ID and the key, which the
GMS keeps to serve members who join later). Prints a summary (--json: one JSON object); a
progress bar on stderr when it is a terminal. Exit code 1 when any member was not served.

  --cert CERT.xml         the GMS's community
  --keyset GMS.xml        the GMS's KmsKeyProv document (its key set for the period of --time)
  --group FILE            the group: one member URI per line, optionally followed by the KMS
                          URI of its community when that is not the GMS's; 'group-id ID' lines
                          name the group IDs the GMK serves; '#' starts a comment
  --out-dir DIR           created if missing; existing files are replaced only with --force
  --member-cert CERT.xml  the certificate of another community some members belong to
  --activate TIME         when members start transmitting with the GMK (default: at once)
  --expire TIME           when the GMK expires (default: never)
  --text TEXT             the key parameters' text
  --time TIME             the message time (default: now); TIME: NTP seconds or ISO 8601
  --threads N             worker threads, 1..256 (default: the number of CPUs)
  --force                 replace existing files in DIR
  --json                  the summary as one JSON object
)";

constexpr std::size_t max_group_file = std::size_t{64} * 1024 * 1024;
constexpr std::uint64_t max_threads = 256;

struct group_file {
  km::gms::group group;
  std::vector<std::string> problems;  ///< per member: why its URI is refused ("" when fine)
};

/// The group file: member lines 'URI [KMS-URI]', 'group-id ID' lines, '#' comments.
group_file read_group(const std::string& path) {
  const auto text = read_file(path, max_group_file, "group file");
  group_file g;
  std::size_t line_no = 0;
  for (std::size_t at = 0; at <= text.size();) {
    const auto end = std::min(text.find('\n', at), text.size());
    std::string_view line(text.data() + at, end - at);
    at = end + 1;
    ++line_no;
    if (const auto hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto space = line.find_first_of(" \t");
    const auto first = line.substr(0, space);
    const auto rest =
        space == std::string_view::npos ? std::string_view{} : trim(line.substr(space));
    if (first == "group-id") {
      if (rest.empty() || !uri_problem(rest).empty())
        throw failure(path + ":" + std::to_string(line_no) + ": 'group-id' needs one group ID" +
                      (rest.empty() ? "" : ": " + uri_problem(rest)));
      g.group.group_ids.emplace_back(rest);
      continue;
    }
    if (rest.find_first_of(" \t") != std::string_view::npos)
      throw failure(path + ":" + std::to_string(line_no) +
                    ": a member line is 'URI [KMS-URI]', not more");
    if (!rest.empty() && !uri_problem(rest).empty())
      throw failure(path + ":" + std::to_string(line_no) + ": KMS URI: " + uri_problem(rest));
    g.group.members.push_back({std::string(first), std::string(rest)});
    g.problems.push_back(uri_problem(first));
  }
  if (g.group.members.empty()) throw failure(path + " lists no member");
  if (!g.group.group_ids.empty()) g.group.id = g.group.group_ids.front();
  return g;
}

/// A progress bar on stderr, drawn only when stderr is a terminal.
class progress_bar {
 public:
  progress_bar() : on_(isatty(STDERR_FILENO) == 1) {}
  void operator()(std::size_t done, std::size_t total) {
    if (!on_ || (done != total && done % 16 != 0)) return;
    constexpr std::size_t width = 40;
    const std::size_t filled = total ? done * width / total : width;
    std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] "
              << done << "/" << total << (done == total ? "\n" : "") << std::flush;
  }
  [[nodiscard]] bool on() const noexcept { return on_; }

 private:
  bool on_;
};

struct rekey_run {
  km::gms::distribution d;
  double seconds = 0;
  unsigned threads = 1;
};

/// The GMS from its files; the communities of members named by KMS URI.
km::gms::server load_gms(const arguments& a) {
  auto mine = load_certificate(a.required("cert"));
  auto keys = load_key_sets(a.required("keyset"), mine);
  std::vector<km::community> others;
  if (const auto p = a.value("member-cert")) {
    auto other = load_certificate(*p);
    if (other.community.kms_uri() != mine.community.kms_uri())
      others.push_back(std::move(other.community));
  }
  auto g = km::gms::server::create(std::move(keys), std::move(mine.community), std::move(others));
  if (!g) throw failure(g.error().message());
  return std::move(*g);
}

km::gms::gmk_settings gmk_arguments(const arguments& a, const km::gms::group& g) {
  km::gms::gmk_settings s;
  s.group_ids = g.group_ids;
  if (a.has("activate")) s.activation = parse_instant(a, "activate", a.required("activate"));
  if (a.has("expire")) s.expiry = parse_instant(a, "expire", a.required("expire"));
  if (s.activation && s.expiry && *s.expiry <= *s.activation)
    throw a.error("--expire must be after --activate");
  if (const auto t = a.value("text")) s.text = *t;
  if (s.text.size() > 0xFF00) throw a.error("--text is too long");
  return s;
}

/// Members whose URI the CLI refuses are not sent to; each gets its reason.
rekey_run rekey(const km::gms::server& gms, const group_file& gf, const km::gms::gmk& key,
                km::ntp_time t, unsigned threads) {
  std::vector<km::gms::member> usable;
  for (std::size_t i = 0; i < gf.group.members.size(); ++i)
    if (gf.problems[i].empty()) usable.push_back(gf.group.members[i]);
  progress_bar bar;
  km::gms::distribution_options o;
  o.threads = threads;
  if (bar.on()) o.progress = [&bar](std::size_t done, std::size_t total) { bar(done, total); };
  const auto start = std::chrono::steady_clock::now();
  auto d = gms.distribute(usable, key, t, o);
  const auto stop = std::chrono::steady_clock::now();
  if (!d) throw failure("the GMS cannot sign at " + iso(t) + ": " + d.error().message());
  rekey_run run;
  run.seconds = std::chrono::duration<double>(stop - start).count();
  run.threads = threads;
  run.d.gmk_id = d->gmk_id;
  std::size_t next = 0;
  for (std::size_t i = 0; i < gf.group.members.size(); ++i) {
    if (gf.problems[i].empty()) {
      run.d.members.push_back(std::move(d->members[next++]));
    } else {
      km::gms::member_message m;
      m.uri = gf.group.members[i].uri;
      m.kms_uri = gf.group.members[i].kms_uri;
      m.error = km::i_message_failure{km::i_message_error::identity_failed, gf.problems[i]};
      run.d.members.push_back(std::move(m));
    }
    (run.d.members.back().ok() ? run.d.delivered : run.d.failed)++;
  }
  return run;
}

std::string index_json(const rekey_run& r, const km::gms::gmk& key) {
  json j;
  j.begin_object().field("gmk_id", hex32(key.id().value()));
  j.key("group_ids").begin_array();
  for (const auto& id : key.settings().group_ids) j.string(id);
  j.end_array();
  j.key("activation_time");
  if (key.settings().activation)
    j.string(iso(*key.settings().activation));
  else
    j.null();
  j.key("members").begin_array();
  for (std::size_t i = 0; i < r.d.members.size(); ++i) {
    const auto& m = r.d.members[i];
    j.begin_object().field("uri", m.uri).field("kms", m.kms_uri);
    if (m.ok())
      j.field("file", std::to_string(i + 1) + ".mikey").field("guk_id", hex32(m.guk_id->value()));
    else
      j.field("error", m.error->message());
    j.end_object();
  }
  j.end_array().end_object();
  return j.text() + "\n";
}

void write_outputs(const std::string& dir, const rekey_run& r, const km::gms::gmk& key,
                   replace policy) {
  make_directory(dir);
  // Checked first, so a refusal leaves DIR as it was.
  check_target(dir + "/index.json", policy);
  check_target(dir + "/gmk", policy);
  for (std::size_t i = 0; i < r.d.members.size(); ++i)
    if (r.d.members[i].ok()) check_target(dir + "/" + std::to_string(i + 1) + ".mikey", policy);
  for (std::size_t i = 0; i < r.d.members.size(); ++i)
    if (r.d.members[i].ok())
      write_file(dir + "/" + std::to_string(i + 1) + ".mikey",
                 key_mgmt_value(r.d.members[i].bytes) + "\n", 0644, policy);
  std::string key_hex = to_hex(key.key());
  std::string secret = "gmk-id " + hex32(key.id().value()) + "\nkey " + key_hex + "\n";
  ct::wipe(key_hex.data(), key_hex.size());
  write_file(dir + "/gmk", secret, 0600, policy);
  ct::wipe(secret.data(), secret.size());
  write_file(dir + "/index.json", index_json(r, key), 0644, policy);
}

/// The summary: printed, or (--json) returned as one JSON object for the caller to print.
std::string summary(const arguments& a, const rekey_run& r, const km::gms::gmk& key,
                    const std::string& dir) {
  const double rate = r.seconds > 0 ? static_cast<double>(r.d.delivered) / r.seconds : 0;
  if (a.flag("json")) {
    json j;
    j.begin_object()
        .field("ok", r.d.failed == 0)
        .field("gmk_id", hex32(key.id().value()))
        .field("members", std::uint64_t{r.d.members.size()})
        .field("delivered", std::uint64_t{r.d.delivered})
        .field("failed", std::uint64_t{r.d.failed})
        .field("threads", std::uint64_t{r.threads});
    j.key("seconds").real(r.seconds).key("members_per_second").real(rate);
    j.field("index", dir + "/index.json");
    j.key("failures").begin_array();
    for (const auto& m : r.d.members)
      if (!m.ok())
        j.begin_object().field("uri", m.uri).field("error", m.error->message()).end_object();
    j.end_array().end_object();
    return j.text();
  }
  std::cout << "GMK-ID     " << hex32(key.id().value()) << "\n";
  std::cout << "members    " << r.d.delivered << " of " << r.d.members.size() << " rekeyed in "
            << r.seconds << " s (" << static_cast<std::uint64_t>(rate) << " members/s, "
            << r.threads << " threads)\n";
  std::cout << "index      " << terminal_safe(dir) << "/index.json\n";
  for (const auto& m : r.d.members)
    if (!m.ok())
      std::cout << "failed     " << terminal_safe(m.uri) << ": "
                << terminal_safe(m.error->message()) << "\n";
  return {};
}

}  // namespace

int run_gms_rekey(std::span<char* const> args) {
  const arguments a(args,
                    {{"cert"},
                     {"keyset"},
                     {"group"},
                     {"out-dir"},
                     {"member-cert"},
                     {"activate"},
                     {"expire"},
                     {"text"},
                     {"time"},
                     {"threads"},
                     {"force", false},
                     {"json", false}},
                    "gms rekey");
  if (a.help()) {
    std::cout << rekey_help;
    return exit_ok;
  }
  a.no_positionals();
  (void)a.required("cert");
  (void)a.required("keyset");
  const auto dir = a.required("out-dir");
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  if (const auto n = a.optional_u64("threads")) {
    if (*n == 0 || *n > max_threads) throw a.error("--threads must be 1..256");
    threads = static_cast<unsigned>(*n);
  }
  const auto t = at_argument(a, "time", now());
  const auto gf = read_group(a.required("group"));
  const auto settings = gmk_arguments(a, gf.group);
  const auto gms = load_gms(a);
  os_random rng;
  const auto key = km::gms::gmk::generate(settings, rng);
  if (!key) throw failure(std::string("GMK: ") + km::gms::describe(key.error()));
  const auto policy = a.flag("force") ? replace::with_force : replace::never;
  check_target(dir + "/index.json", policy);  // before the work, not only after it
  const auto run = rekey(gms, gf, *key, t, threads);
  write_outputs(dir, run, *key, policy);
  const auto json_summary = summary(a, run, *key, dir);
  if (run.d.failed != 0)  // main() prints the JSON summary as the failure's body
    throw failure(std::to_string(run.d.failed) + " of " + std::to_string(run.d.members.size()) +
                      " members could not be rekeyed (see " + dir + "/index.json)",
                  json_summary);
  if (!json_summary.empty()) std::cout << json_summary << "\n";
  return exit_ok;
}

}  // namespace skm::cli
