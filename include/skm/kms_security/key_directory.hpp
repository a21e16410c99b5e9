// SPDX-License-Identifier: BSD-3-Clause
// The server's per-user transport and integrity keys (TS 33.180 D.1), one file per key in a
// directory (skm kms serve --trk-dir, skm kms trk):
//
//   DIR/                            owned by the service's user, no group or other permission
//     tk.<n>.<user>                 TrK number n of <user>: one line "<name> <64 hex digits>",
//     ik.<n>.<user>                 InK likewise; the name in the file is the file's name
//     tk.<n>.<user>.pending         a rotation: carried (NewTransportKey / NewIntegrityKey,
//     ik.<n>.<user>.pending         wrapped under the current TrK) in the next KmsKeyProv answer
//                                   to <user>, then renamed to drop ".pending"
//
// The current key of a kind is the one with the highest n that is not pending. Every key file
// must be a regular file of the service's user without group or other permission bits; it is
// opened without following a symbolic link and checked on the open descriptor, and read with
// read(2) straight into a wiping buffer. Names of other forms (dot files: temporary files of a
// writer in progress) are ignored. A user URI holding '/', a NUL or a control character, or
// ending in ".pending", cannot have keys here.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "skm/common/result.hpp"
#include "skm/km/secret.hpp"
#include "skm/km/secret_file.hpp"
#include "skm/kms_security/secured_documents.hpp"
#include "skm/kms_security/transport_keys.hpp"

namespace skm::kms_security {

enum class key_kind { transport, integrity };

inline constexpr std::string_view pending_suffix = ".pending";

/// The keys of one user in a key directory.
struct user_key_files {
  user_security_keys current;
  std::uint64_t trk_number = 0;  ///< n of the current TrK (0: none)
  std::uint64_t ink_number = 0;
  std::optional<named_key> pending_trk;  ///< to carry in the next answer
  std::optional<named_key> pending_ink;
  std::uint64_t highest_trk = 0;  ///< the highest n in use, pending or not
  std::uint64_t highest_ink = 0;
};

/// Whether `user` may own key files (see the top of this file).
[[nodiscard]] inline bool valid_key_user(std::string_view user) noexcept {
  if (user.empty() || user.size() > 1024 || user.ends_with(pending_suffix)) return false;
  for (const char c : user)
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return false;
  return true;
}

[[nodiscard]] inline std::string key_file_name(key_kind k, std::uint64_t n, std::string_view user) {
  return k == key_kind::transport ? transport_key_name(n, user) : integrity_key_name(n, user);
}

namespace detail {

/// "tk.<n>.<user>[.pending]": the kind, n and whether pending, or nothing.
struct parsed_name {
  key_kind kind = key_kind::transport;
  std::uint64_t n = 0;
  bool pending = false;
};

[[nodiscard]] inline std::optional<parsed_name> parse_key_file_name(std::string_view file,
                                                                    std::string_view user) {
  parsed_name p;
  if (file.starts_with("tk."))
    p.kind = key_kind::transport;
  else if (file.starts_with("ik."))
    p.kind = key_kind::integrity;
  else
    return std::nullopt;
  file.remove_prefix(3);
  const auto dot = file.find('.');
  if (dot == 0 || dot == std::string_view::npos || (dot > 1 && file[0] == '0')) return std::nullopt;
  const auto [end, ec] = std::from_chars(file.data(), file.data() + dot, p.n);
  if (ec != std::errc() || end != file.data() + dot || p.n == 0) return std::nullopt;
  file.remove_prefix(dot + 1);
  if (file.ends_with(pending_suffix) && file.size() > pending_suffix.size() &&
      file.substr(0, file.size() - pending_suffix.size()) == user) {
    p.pending = true;
    return p;
  }
  if (file != user) return std::nullopt;
  return p;
}

struct fd_closer {
  int fd = -1;
  ~fd_closer() {
    if (fd >= 0) ::close(fd);
  }
};

/// Owner-only: of the effective user, no group or other bits.
[[nodiscard]] inline bool owner_only(const struct stat& st) noexcept {
  return st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}

/// One key file, checked on its descriptor and read into a wiping buffer.
[[nodiscard]] inline result<named_key, std::string> read_key_file(int dir_fd,
                                                                  const std::string& file) {
  fd_closer f{::openat(dir_fd, file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
  if (f.fd < 0) return unexpected{file + " cannot be opened"};
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) return unexpected{file + " is not a file"};
  if (!owner_only(st))
    return unexpected{file + " must belong to the service's user with mode 0600 or 0400"};
  auto content = km::read_secret_descriptor(f.fd, 4096);
  if (!content)
    return unexpected{file + (content.error() == km::secret_read_error::too_large
                                  ? " is too large for a key file"
                                  : " cannot be read")};
  auto k = parse_key_file(
      std::string_view(reinterpret_cast<const char*>(content->span().data()), content->size()));
  if (!k) return unexpected{file + ": " + k.error()};
  const std::string_view expected =
      std::string_view(file).ends_with(pending_suffix)
          ? std::string_view(file).substr(0, file.size() - pending_suffix.size())
          : std::string_view(file);
  if (k->name != expected) return unexpected{file + " holds the key '" + k->name + "'"};
  return k;
}

struct dir_closer {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};

}  // namespace detail

/// A key directory (see the top of this file).
class key_directory {
 public:
  /// Checks DIR: a directory of the service's user without group or other permission bits.
  [[nodiscard]] static result<key_directory, std::string> open(std::string path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return unexpected{path + " does not exist"};
    if (!S_ISDIR(st.st_mode)) return unexpected{path + " is not a directory"};
    if (!detail::owner_only(st))
      return unexpected{path + " must belong to the service's user with mode 0700"};
    key_directory d;
    d.path_ = std::move(path);
    return d;
  }

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  /// The keys of `user`: nothing held is not an error (both optional, numbers 0).
  [[nodiscard]] result<user_key_files, std::string> load(std::string_view user) const {
    if (!valid_key_user(user)) return unexpected{std::string("this URI cannot own key files")};
    std::unique_ptr<DIR, detail::dir_closer> dir(::opendir(path_.c_str()));
    if (!dir) return unexpected{path_ + " cannot be listed"};
    struct best {
      std::uint64_t n = 0;
      std::string file;
    } current[2], pending[2];
    std::uint64_t highest[2] = {0, 0};
    while (const dirent* e = ::readdir(dir.get())) {
      const std::string_view name(e->d_name);
      const auto p = detail::parse_key_file_name(name, user);
      if (!p) continue;
      const auto i = static_cast<std::size_t>(p->kind);
      best& b = p->pending ? pending[i] : current[i];
      if (p->n > b.n) b = {p->n, std::string(name)};
      highest[i] = std::max(highest[i], p->n);
    }
    user_key_files out;
    const int fd = ::dirfd(dir.get());
    auto read = [&](const best& b, std::optional<named_key>& into) -> std::optional<std::string> {
      if (b.n == 0) return std::nullopt;
      auto k = detail::read_key_file(fd, b.file);
      if (!k) return k.error();
      into = std::move(*k);
      return std::nullopt;
    };
    for (auto problem : {read(current[0], out.current.trk), read(current[1], out.current.ink),
                         read(pending[0], out.pending_trk), read(pending[1], out.pending_ink)})
      if (problem) return unexpected{*problem};
    // A pending key older than the current one was overtaken (another replica promoted a later
    // one): it is not carried again.
    if (pending[0].n <= current[0].n) out.pending_trk.reset();
    if (pending[1].n <= current[1].n) out.pending_ink.reset();
    out.trk_number = current[0].n;
    out.ink_number = current[1].n;
    out.highest_trk = highest[0];
    out.highest_ink = highest[1];
    return out;
  }

  /// After an answer carried the pending keys of `u`: they become current (rename drops
  /// ".pending"). Another replica having done it first is not an error.
  [[nodiscard]] std::optional<std::string> promote(const user_key_files& u) const {
    for (const auto* k : {&u.pending_trk, &u.pending_ink}) {
      if (!*k) continue;
      const std::string target = path_ + "/" + (*k)->name;
      const std::string source = target + std::string(pending_suffix);
      if (::rename(source.c_str(), target.c_str()) != 0 && errno != ENOENT)
        return "cannot promote the pending key " + (*k)->name;
    }
    return std::nullopt;
  }

 private:
  key_directory() = default;
  std::string path_;
};

}  // namespace skm::kms_security
