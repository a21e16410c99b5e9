// SPDX-License-Identifier: BSD-3-Clause
// skm: the command-line face of the library. Dispatches `skm <command> [<subcommand>] …` and turns
// every error into one line on stderr and a non-zero exit code.
#include <array>
#include <exception>
#include <iostream>
#include <new>
#include <span>
#include <string_view>

#include "cli.hpp"
#include "commands.hpp"

namespace {

using skm::cli::exit_ok;
using skm::cli::exit_usage;

constexpr std::string_view version = "0.1.0";

constexpr std::string_view overview = R"(usage: skm <command> [options]

Identity-based key management for 3GPP mission-critical and SEAL systems
(ECCSI, SAKKE, MIKEY-SAKKE; TS 33.180 / TS 33.434).

commands:
  demo            the whole key distribution end to end, with built-in defaults and no files
  uid             the TS 33.180 UID (or RFC 6509 identifier) of a user for a key period
  kms init        create a community: KMS certificate XML and master secrets
  kms provision   issue KmsKeySet XML for one user, or for a list of users in parallel
  kms inspect     explain and validate KMS documents (certificates, key sets, requests, errors)
  kms serve       the KMS as an HTTPS service (TS 33.180 Annex D, OAuth 2.0 bearer tokens)
  kms fetch       provision a client from a KMS over HTTPS (cert.xml, keyset.xml)
  imsg create     build and sign an I_MESSAGE carrying a key (PCK, GMK, CSK, ...)
  imsg open       verify and open an I_MESSAGE; prints the key, its IDs and the SRTP keys
  imsg dump       payload-by-payload dump of a MIKEY message (no keys needed)

Every command takes --help. Data-producing commands take --json.
Exit codes: 0 success, 1 the operation failed, 2 bad command line.
)";

constexpr std::string_view kms_overview =
    R"(usage: skm kms <init|provision|inspect|serve|fetch> [options]

  kms init        create a community: KMS certificate XML and master secrets
  kms provision   issue KmsKeySet XML for one user, or for a list of users in parallel
  kms inspect     explain and validate KMS documents (certificates, key sets, requests, errors)
  kms serve       the KMS as an HTTPS service (TS 33.180 Annex D, OAuth 2.0 bearer tokens)
  kms fetch       provision a client from a KMS over HTTPS (cert.xml, keyset.xml)

See 'skm kms <subcommand> --help' (serve and fetch: when built with the KMS service).
)";

constexpr std::string_view imsg_overview = R"(usage: skm imsg <create|open|dump> [options]

  imsg create     build and sign an I_MESSAGE carrying a key (PCK, GMK, CSK, ...)
  imsg open       verify and open an I_MESSAGE; prints the key, its IDs and the SRTP keys
  imsg dump       payload-by-payload dump of a MIKEY message (no keys needed)

See 'skm imsg <subcommand> --help'.
)";

bool is_help(std::string_view a) { return a == "--help" || a == "-h" || a == "help"; }

struct subcommand {
  std::string_view name;
  int (*run)(std::span<char* const>);
};

/// `skm <group> <sub> …`: the group's help, or the subcommand.
int dispatch_group(std::string_view group, std::string_view help, std::span<const subcommand> subs,
                   std::span<char* const> args) {
  if (args.empty()) {
    std::string names;
    for (const auto& s : subs) names += (names.empty() ? "" : " or ") + std::string(s.name);
    throw skm::cli::usage_error("'skm " + std::string(group) + "' needs a command: " + names +
                                " (see 'skm " + std::string(group) + " --help')");
  }
  const std::string_view sub = args[0];
  if (is_help(sub)) {
    std::cout << help;
    return exit_ok;
  }
  for (const auto& s : subs)
    if (s.name == sub) return s.run(args.subspan(1));
  throw skm::cli::usage_error("unknown command 'skm " + std::string(group) + " " +
                              std::string(sub) + "' (see 'skm " + std::string(group) + " --help')");
}

int run(std::span<char* const> args) {
  if (args.empty()) {
    std::cerr << overview;
    return exit_usage;
  }
  const std::string_view command = args[0];
  const auto rest = args.subspan(1);
  if (is_help(command)) {
    std::cout << overview;
    return exit_ok;
  }
  if (command == "--version" || command == "version") {
    std::cout << "skm " << version << "\n";
    return exit_ok;
  }
  if (command == "demo") return skm::cli::run_demo(rest);
  if (command == "uid") return skm::cli::run_uid(rest);
  if (command == "kms") {
#ifdef SKM_WITH_KMS_SERVICE
    static constexpr std::array<subcommand, 5> subs{{{"init", skm::cli::run_kms_init},
                                                     {"provision", skm::cli::run_kms_provision},
                                                     {"inspect", skm::cli::run_kms_inspect},
                                                     {"serve", skm::cli::run_kms_serve},
                                                     {"fetch", skm::cli::run_kms_fetch}}};
#else
    static constexpr std::array<subcommand, 3> subs{{{"init", skm::cli::run_kms_init},
                                                     {"provision", skm::cli::run_kms_provision},
                                                     {"inspect", skm::cli::run_kms_inspect}}};
#endif
    return dispatch_group("kms", kms_overview, subs, rest);
  }
  if (command == "imsg") {
    static constexpr std::array<subcommand, 3> subs{{{"create", skm::cli::run_imsg_create},
                                                     {"open", skm::cli::run_imsg_open},
                                                     {"dump", skm::cli::run_imsg_dump}}};
    return dispatch_group("imsg", imsg_overview, subs, rest);
  }
  throw skm::cli::usage_error("unknown command '" + std::string(command) + "' (see 'skm --help')");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::span<char* const>(argv + 1, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0)));
  } catch (const skm::cli::usage_error& e) {
    std::cerr << "skm: " << e.what() << "\n";
    return skm::cli::exit_usage;
  } catch (const skm::cli::failure& e) {
    std::cerr << "skm: " << e.what() << "\n";
    return skm::cli::exit_failure;
  } catch (const std::bad_alloc&) {
    std::cerr << "skm: out of memory\n";
    return skm::cli::exit_failure;
  } catch (const std::exception& e) {
    std::cerr << "skm: internal error: " << e.what() << "\n";
    return skm::cli::exit_failure;
  }
}
