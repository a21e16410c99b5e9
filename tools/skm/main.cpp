// SPDX-License-Identifier: BSD-3-Clause
// skm: the command-line face of the library. Dispatches `skm <command> [<subcommand>] …` through
// one command table, and turns every error into one line on stderr, a non-zero exit code and,
// with --json, one JSON object on stdout.
#include <malloc.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>
#include <pugixml.hpp>
#include <span>
#include <string>
#include <string_view>

#include "cli.hpp"
#include "commands.hpp"
#include "skm/common/ct.hpp"
#include "skm/version.hpp"
#ifdef SKM_WITH_KMS_SECURITY
#include "skm/kms_security/xml_allocator.hpp"
#endif

namespace {

using skm::cli::exit_ok;
using skm::cli::exit_usage;

using skm::version;  // from meson.build, through the generated skm/version.hpp

struct command {
  std::string_view group;  ///< "" for a top-level command
  std::string_view name;
  std::string_view summary;
  int (*run)(std::span<char* const>);
};

// The command table: one line per command (help, dispatch and completion follow from it).
constexpr std::array commands{
    command{"", "demo", "the whole key distribution end to end, with built-in defaults, no files",
            skm::cli::run_demo},
    command{"", "uid", "the TS 33.180 UID (or RFC 6509 identifier) of a user for a key period",
            skm::cli::run_uid},
    command{"kms", "init", "create a community: KMS certificate XML and master secrets",
            skm::cli::run_kms_init},
    command{"kms", "provision", "issue KmsKeySet XML for one user, or a list of users in parallel",
            skm::cli::run_kms_provision},
    command{"kms", "inspect",
            "explain and validate KMS documents (certificates, key sets, requests, errors)",
            skm::cli::run_kms_inspect},
#ifdef SKM_WITH_KMS_SERVICE
    command{"kms", "serve",
            "the KMS as an HTTPS service (TS 33.180 Annex D, OAuth 2.0 bearer tokens)",
            skm::cli::run_kms_serve},
    command{"kms", "fetch", "provision a client from a KMS over HTTPS (cert.xml, keyset.xml)",
            skm::cli::run_kms_fetch},
#endif
#ifdef SKM_WITH_KMS_SECURITY
    command{"kms", "trk", "new and rotated transport/integrity keys of users (serve --trk-dir)",
            skm::cli::run_kms_trk},
#endif
#ifdef SKM_WITH_KMS_STATE
    command{"kms", "revoke",
            "revoke a user URI (from a key period on), a device, a client or the community",
            skm::cli::run_kms_revoke},
    command{"kms", "unrevoke", "remove a revocation", skm::cli::run_kms_unrevoke},
    command{"kms", "revocations", "list the revocations in the KMS state",
            skm::cli::run_kms_revocations},
    command{"kms", "audit", "the audit trail of provisioning requests, by URI and time range",
            skm::cli::run_kms_audit},
    command{"kms", "certcache", "add, remove or list other KMSs' certificates (CacheNum)",
            skm::cli::run_kms_certcache},
#endif
    command{"imsg", "create", "build and sign an I_MESSAGE carrying a key (PCK, GMK, CSK, ...)",
            skm::cli::run_imsg_create},
    command{"imsg", "open", "verify and open an I_MESSAGE; the key, its IDs and the SRTP keys",
            skm::cli::run_imsg_open},
    command{"imsg", "dump", "payload-by-payload dissection of a MIKEY message (no keys needed)",
            skm::cli::run_imsg_dump},
    command{"imsg", "keys", "SRTP master keys, salts and MKIs of a message from a known key",
            skm::cli::run_imsg_keys},
    command{"gms", "rekey",
            "a new GMK for a whole group: one I_MESSAGE per member, in parallel, with an index",
            skm::cli::run_gms_rekey},
};

std::string full_name(const command& c) {
  return c.group.empty() ? std::string(c.name) : std::string(c.group) + " " + std::string(c.name);
}

std::string command_list(std::string_view group) {
  std::string out;
  for (const auto& c : commands) {
    if (!group.empty() && c.group != group) continue;
    std::string name = full_name(c);
    name.resize(std::max<std::size_t>(name.size() + 2, 16), ' ');
    out += "  " + name + std::string(c.summary) + "\n";
  }
  return out;
}

std::string overview() {
  return "usage: skm <command> [options]\n"
         "       skm help <command>     skm --version\n\n"
         "Identity-based key management for 3GPP mission-critical and SEAL systems\n"
         "(ECCSI, SAKKE, MIKEY-SAKKE; TS 33.180 / TS 33.434).\n\ncommands:\n" +
         command_list("") +
         "\nEvery command takes --help. Data-producing commands take --json (then every\n"
         "outcome, errors included, is one JSON object on stdout).\n"
         "Exit codes: 0 success, 1 the operation failed, 2 bad command line.\n"
         "skm " +
         std::string(version) + "; 'man skm' for the manual.\n";
}

std::string group_overview(std::string_view group) {
  std::string subs;
  for (const auto& c : commands)
    if (c.group == group) subs += (subs.empty() ? "" : "|") + std::string(c.name);
  return "usage: skm " + std::string(group) + " <" + subs + "> [options]\n\n" +
         command_list(group) + "\nSee 'skm " + std::string(group) + " <command> --help'.\n";
}

bool is_help(std::string_view a) { return a == "--help" || a == "-h" || a == "help"; }
bool is_group(std::string_view name) {
  for (const auto& c : commands)
    if (!c.group.empty() && c.group == name) return true;
  return false;
}

const command* find(std::string_view group, std::string_view name) {
  for (const auto& c : commands)
    if (c.group == group && c.name == name) return &c;
  return nullptr;
}

/// `skm help [<command> [<subcommand>]]`: the same text as --help.
int help(std::span<char* const> args) {
  if (args.empty()) {
    std::cout << overview();
    return exit_ok;
  }
  const std::string_view first = args[0];
  if (is_group(first) && args.size() == 1) {
    std::cout << group_overview(first);
    return exit_ok;
  }
  const std::string_view sub = args.size() > 1 ? std::string_view(args[1]) : std::string_view();
  const command* c = is_group(first) ? find(first, sub) : find("", first);
  if (c == nullptr)
    throw skm::cli::usage_error("no help for '" + std::string(first) +
                                (sub.empty() ? "" : " " + std::string(sub)) +
                                "' (see 'skm --help')");
  static char help_flag[] = "--help";
  std::array<char*, 1> flag{help_flag};
  return c->run(flag);
}

int run(std::span<char* const> args) {
  if (args.empty()) {
    std::cerr << overview();
    return exit_usage;
  }
  const std::string_view name = args[0];
  if (name == "help") return help(args.subspan(1));
  if (is_help(name)) {
    std::cout << overview();
    return exit_ok;
  }
  if (name == "--version" || name == "version") {
    std::cout << "skm " << version << "\n";
    return exit_ok;
  }
  if (const command* c = find("", name)) return c->run(args.subspan(1));
  if (!is_group(name))
    throw skm::cli::usage_error("unknown command '" + std::string(name) + "' (see 'skm --help')");
  const auto rest = args.subspan(1);
  if (rest.empty()) {
    std::string names;
    for (const auto& c : commands)
      if (c.group == name) names += (names.empty() ? "" : " or ") + std::string(c.name);
    throw skm::cli::usage_error("'skm " + std::string(name) + "' needs a command: " + names +
                                " (see 'skm " + std::string(name) + " --help')");
  }
  if (is_help(rest[0])) {
    std::cout << group_overview(name);
    return exit_ok;
  }
  if (const command* c = find(name, rest[0])) return c->run(rest.subspan(1));
  throw skm::cli::usage_error("unknown command 'skm " + std::string(name) + " " +
                              std::string(rest[0]) + "' (see 'skm " + std::string(name) +
                              " --help')");
}

/// --json among the options (before a "--").
bool wants_json(std::span<char* const> args) {
  for (const std::string_view a : args) {
    if (a == "--") return false;
    if (a == "--json") return true;
  }
  return false;
}

/// One line on stderr; with --json also one object on stdout: the command's own failure shape
/// or {"ok": false, "error": {"code": …, "exit_code": …, "message": …}}.
int report(bool as_json, std::string_view code, int exit_code, const std::string& message,
           const std::string& json_body = {}) {
  std::cerr << "skm: " << skm::cli::terminal_safe(message) << "\n";
  if (as_json) {
    std::string text = json_body;
    if (text.empty()) {
      skm::cli::json j;
      j.begin_object().field("ok", false).key("error").begin_object().field("code", code);
      j.field("exit_code", std::uint64_t(exit_code)).field("message", message);
      j.end_object().end_object();
      text = j.text();
    }
    std::cout << text << "\n";
    std::cout.flush();
  }
  return exit_code;
}

/// pugixml's buffers (the parsed key-set files, the written key sets) are wiped when freed.
void* xml_allocate(std::size_t size) { return std::malloc(size); }
void xml_deallocate(void* p) {
  if (p != nullptr) skm::ct::wipe(p, malloc_usable_size(p));
  std::free(p);
}

}  // namespace

int main(int argc, char** argv) {
  pugi::set_memory_management_functions(xml_allocate, xml_deallocate);
#ifdef SKM_WITH_KMS_SECURITY
  // Before anything uses libxml2: its freed blocks (signed documents with keys) are wiped too.
  if (!skm::kms_security::use_wiping_xml_allocator())
    std::cerr << "skm: warning: libxml2's freed memory is not wiped\n";
#endif
  // A write past a file-size limit (RLIMIT_FSIZE) then fails with EFBIG and is reported like a
  // full disk, instead of SIGXFSZ ending the process (a server mid-request, a half-written file).
  (void)std::signal(SIGXFSZ, SIG_IGN);
  const auto args =
      std::span<char* const>(argv + 1, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0));
  const bool as_json = wants_json(args);
  try {
    const int code = run(args);
    std::cout.flush();
    if (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout) != 0)
      throw skm::cli::failure("cannot write standard output (a full disk or a closed pipe?)");
    return code;
  } catch (const skm::cli::usage_error& e) {
    return report(as_json, "usage", skm::cli::exit_usage, e.what());
  } catch (const skm::cli::failure& e) {
    return report(as_json, "failure", skm::cli::exit_failure, e.what(), e.json_body);
  } catch (const std::bad_alloc&) {
    return report(as_json, "out_of_memory", skm::cli::exit_failure, "out of memory");
  } catch (const std::exception& e) {
    return report(as_json, "internal", skm::cli::exit_failure,
                  std::string("internal error: ") + e.what());
  }
}
