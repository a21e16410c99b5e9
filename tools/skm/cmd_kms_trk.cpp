// SPDX-License-Identifier: BSD-3-Clause
// skm kms trk: the per-user transport and integrity keys of `skm kms serve --trk-dir`
// (skm/kms_security/key_directory.hpp): the first key (handed to the user out of band) and
// rotations (carried to the user in its next init or key provisioning answer).
#include <sys/stat.h>

#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "files.hpp"
#include "skm/common/random.hpp"
#include "skm/kms_security/key_directory.hpp"

namespace skm::cli {

namespace {

namespace sec = skm::kms_security;

constexpr std::string_view trk_help =
    R"(usage: skm kms trk new    --trk-dir DIR --user URI [--ink] [--out FILE]
       skm kms trk rotate --trk-dir DIR --user URI [--ink]

The transport keys (TrK) and integrity keys (InK) that 'skm kms serve --trk-dir DIR' signs
answers and wraps key material with (TS 33.180 D.1). DIR holds one file per key, named as the
key: tk.<n>.<user> (TrK number n) and ik.<n>.<user> (InK), each one line
"<name> <64 hex digits>", mode 0600; DIR itself must be mode 0700. All of them belong to the
user the service runs as.

  new      the first TrK of URI (tk.1.URI, or the next number if URI had keys), and with --ink
           its first InK, as current keys. --out FILE writes a copy of the new TrK for the
           user's device: install that file there out of band (it is the device's
           'skm kms fetch --trk FILE'); an InK is copied to FILE.ink.
  rotate   a new TrK (with --ink: a new InK as well) as pending: the next init or keyprov
           answer to URI carries it as NewTransportKey (NewIntegrityKey), wrapped under the
           current TrK, and from then on the service uses it; 'skm kms fetch --trk FILE' installs it in FILE.

  --trk-dir DIR   the key directory (created mode 0700 by 'new' when missing)
  --user URI      the user (the identity of its access tokens)
  --ink           also an integrity key
  --out FILE      new: where to copy the TrK for the device (refused if it exists)
)";

/// A fresh key named for `user`, number `n`.
sec::named_key fresh_key(sec::key_kind kind, std::uint64_t n, const std::string& user) {
  sec::named_key k;
  k.name = sec::key_file_name(kind, n, user);
  os_random rng;
  rng.GenerateBlock(k.key.data(), sec::shared_key_octets);
  return k;
}

/// Writes `k` as DIR/<name><suffix>, owner-only, never replacing a file.
void write_key(const std::string& path, const sec::named_key& k) {
  const km::secret_bytes text = sec::format_key_file(k);
  write_file(path, text.as_text(), 0600, replace::never);
}

int trk_new(const arguments& a, const sec::key_directory& dir, const std::string& user,
            const sec::user_key_files& files) {
  if (files.current.trk)
    throw failure(user + " already has the transport key " + files.current.trk->name +
                  "; use 'skm kms trk rotate'");
  const auto out = a.value("out");
  if (out) check_target(*out, replace::never);
  const auto trk = fresh_key(sec::key_kind::transport, files.highest_trk + 1, user);
  write_key(dir.path() + "/" + trk.name, trk);
  std::cout << "transport key " << trk.name << "\n";
  if (out) write_key(*out, trk);
  if (a.flag("ink")) {
    const auto ink = fresh_key(sec::key_kind::integrity, files.highest_ink + 1, user);
    write_key(dir.path() + "/" + ink.name, ink);
    if (out) write_key(*out + ".ink", ink);
    std::cout << "integrity key " << ink.name << "\n";
  }
  return exit_ok;
}

int trk_rotate(const arguments& a, const sec::key_directory& dir, const std::string& user,
               const sec::user_key_files& files) {
  if (!files.current.trk)
    throw failure(user + " has no transport key to carry a new one under; use 'skm kms trk new'");
  if (files.pending_trk || files.pending_ink)
    throw failure(user + " already has a rotation pending (not yet sent)");
  const auto trk = fresh_key(sec::key_kind::transport, files.highest_trk + 1, user);
  write_key(dir.path() + "/" + trk.name + std::string(sec::pending_suffix), trk);
  std::cout << "pending transport key " << trk.name << "\n";
  if (a.flag("ink")) {
    const auto ink = fresh_key(sec::key_kind::integrity, files.highest_ink + 1, user);
    write_key(dir.path() + "/" + ink.name + std::string(sec::pending_suffix), ink);
    std::cout << "pending integrity key " << ink.name << "\n";
  }
  return exit_ok;
}

}  // namespace

int run_kms_trk(std::span<char* const> args) {
  const arguments a(args, {{"trk-dir"}, {"user"}, {"ink", false}, {"out"}}, "kms trk");
  if (a.help()) {
    std::cout << trk_help;
    return exit_ok;
  }
  if (a.positional().size() != 1 || (a.positional()[0] != "new" && a.positional()[0] != "rotate"))
    throw a.error("give one action: new or rotate");
  const bool create = a.positional()[0] == "new";
  if (!create && a.has("out")) throw a.error("--out goes with 'new'");
  const auto path = a.required("trk-dir");
  if (create && !path_exists(path) && ::mkdir(path.c_str(), 0700) != 0)
    throw failure("cannot create directory " + path);
  auto dir = sec::key_directory::open(path);
  if (!dir) throw failure(dir.error());
  const auto user = a.required("user");
  if (!sec::valid_key_user(user)) throw a.error("--user cannot own key files: " + user);
  const auto files = dir->load(user);
  if (!files) throw failure(files.error());
  return create ? trk_new(a, *dir, user, *files) : trk_rotate(a, *dir, user, *files);
}

}  // namespace skm::cli
