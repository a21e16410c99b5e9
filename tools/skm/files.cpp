// SPDX-License-Identifier: BSD-3-Clause
#include "files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "cli.hpp"
#include "skm/common/ct.hpp"

namespace skm::cli {

// ---------------------------------------------------------------------------------------------
// secret_text

secret_text::secret_text(std::size_t capacity)
    : data_(new char[capacity == 0 ? 1 : capacity]), capacity_(capacity) {}

secret_text::secret_text(secret_text&& other) noexcept
    : data_(std::move(other.data_)), size_(other.size_), capacity_(other.capacity_) {
  other.size_ = other.capacity_ = 0;
}

secret_text& secret_text::operator=(secret_text&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.size_ = other.capacity_ = 0;
  }
  return *this;
}

secret_text::~secret_text() { wipe(); }

void secret_text::wipe() noexcept {
  if (data_) ct::wipe(data_.get(), capacity_);
}

bool secret_text::append(std::string_view s) noexcept {
  if (s.size() > capacity_ - size_) return false;
  std::memcpy(data_.get() + size_, s.data(), s.size());
  size_ += s.size();
  return true;
}

// ---------------------------------------------------------------------------------------------
// Reading

namespace {

std::string errno_text(int e) { return std::strerror(e); }

/// An open input: a regular file (its size known) or standard input.
struct input {
  int fd = -1;
  bool owned = false;
  std::size_t size_hint = 0;
  ~input() {
    if (owned) ::close(fd);
  }
};

void open_input(input& in, const std::string& path, std::size_t limit, std::string_view what) {
  if (path == "-") {
    in.fd = STDIN_FILENO;
    return;
  }
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below anyway).
  in.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (in.fd < 0)
    throw failure("cannot read " + std::string(what) + " " + path + ": " + errno_text(errno));
  in.owned = true;
  struct stat st {};
  if (::fstat(in.fd, &st) != 0)
    throw failure("cannot read " + std::string(what) + " " + path + ": " + errno_text(errno));
  if (S_ISDIR(st.st_mode))
    throw failure(std::string(what) + " " + path + " is a directory, not a file");
  if (!S_ISREG(st.st_mode))
    throw failure(std::string(what) + " " + path +
                  " is not a regular file (a device, FIFO or socket); copy it to a file first");
  if (static_cast<std::uint64_t>(st.st_size) > limit)
    throw failure(std::string(what) + " " + path + " is larger than " + std::to_string(limit) +
                  " bytes, more than skm accepts");
  in.size_hint = static_cast<std::size_t>(st.st_size);
}

/// Reads into buf[0, capacity) until end of file; returns the count, at most `capacity`.
std::size_t read_into(const input& in, char* buf, std::size_t capacity, const std::string& path,
                      std::string_view what) {
  std::size_t done = 0;
  while (done < capacity) {
    const auto n = ::read(in.fd, buf + done, capacity - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw failure("cannot read " + std::string(what) + " " + path + ": " + errno_text(errno));
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

failure too_large(const std::string& path, std::size_t limit, std::string_view what) {
  return failure(std::string(what) + " " + (path == "-" ? "on standard input" : path) +
                 " is larger than " + std::to_string(limit) + " bytes, more than skm accepts");
}

}  // namespace

std::string read_file(const std::string& path, std::size_t limit, std::string_view what) {
  input in;
  open_input(in, path, limit, what);
  std::string out;
  constexpr std::size_t chunk = std::size_t{64} * 1024;
  for (;;) {
    const std::size_t want = std::min(chunk, limit + 1 - out.size());
    const std::size_t at = out.size();
    out.resize(at + want);
    const std::size_t n = read_into(in, out.data() + at, want, path, what);
    out.resize(at + n);
    if (out.size() > limit) throw too_large(path, limit, what);
    if (n < want) return out;
  }
}

secret_text read_secret_file(const std::string& path, std::size_t limit, std::string_view what) {
  if (path == "-") throw failure(std::string(what) + " must be a file, not standard input");
  input in;
  open_input(in, path, limit, what);
  // One allocation of the size fstat gave plus one byte, to notice a file that grew.
  secret_text out(in.size_hint + 1);
  out.grow_by(read_into(in, out.tail(), out.capacity(), path, what));
  if (out.view().size() > in.size_hint)
    throw failure(std::string(what) + " " + path + " changed while it was read");
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_name(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

void check_target(const std::string& path, replace policy) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw failure("cannot write " + path + ": " + errno_text(errno));
  }
  if (S_ISLNK(st.st_mode))
    throw failure(path + " is a symbolic link; refusing to write through it");
  if (!S_ISREG(st.st_mode))
    throw failure(path + " exists and is not a regular file (a directory or device); refusing");
  if (policy == replace::never)
    throw failure(path + " already exists; refusing to overwrite it (--force replaces it)");
}

namespace {

/// Creates DIR/.NAME.XXXXXX exclusively (never following a link) with `mode`.
int create_temporary(const std::string& path, unsigned mode, std::string& temporary) {
  std::random_device entropy;
  for (int attempt = 0; attempt < 16; ++attempt) {
    char suffix[16];
    (void)std::snprintf(suffix, sizeof suffix, ".%08x", static_cast<unsigned>(entropy()));
    temporary = directory_of(path) + "/." + base_name(path) + suffix + ".tmp";
    const int fd =
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
               static_cast<mode_t>(mode));
    if (fd >= 0) return fd;
    if (errno != EEXIST) throw failure("cannot create " + path + ": " + errno_text(errno));
  }
  throw failure("cannot create a temporary file next to " + path);
}

void write_all(int fd, std::string_view data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const auto n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw failure("cannot write " + path + ": " + errno_text(n < 0 ? errno : EIO));
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) throw failure("cannot write " + path + ": " + errno_text(errno));
}

/// Moves the finished temporary file to `path`: link() never replaces (replace::never), rename()
/// replaces the regular file checked before.
void move_into_place(const std::string& temporary, const std::string& path, replace policy) {
  if (policy == replace::never) {
    if (::link(temporary.c_str(), path.c_str()) != 0) {
      const int e = errno;
      if (e == EEXIST)
        throw failure(path + " already exists; refusing to overwrite it (--force replaces it)");
      throw failure("cannot create " + path + ": " + errno_text(e));
    }
    ::unlink(temporary.c_str());
  } else if (::rename(temporary.c_str(), path.c_str()) != 0) {
    throw failure("cannot replace " + path + ": " + errno_text(errno));
  }
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    (void)::fsync(dir);  // best effort: some file systems refuse fsync on directories
    ::close(dir);
  }
}

}  // namespace

void write_file(const std::string& path, std::string_view data, unsigned mode, replace policy) {
  if (path.empty() || path.back() == '/')
    throw failure("cannot write '" + path + "': no file name");
  check_target(path, policy);
  std::string temporary;
  const int fd = create_temporary(path, mode, temporary);
  bool closed = false;
  try {
    write_all(fd, data, path);
    closed = true;
    if (::close(fd) != 0) throw failure("cannot write " + path + ": " + errno_text(errno));
  } catch (...) {
    if (!closed) ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  try {
    move_into_place(temporary, path, policy);
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
}

void make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return;
  struct stat st {};
  if (errno == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
  throw failure("cannot create directory " + path + ": " + errno_text(errno));
}

bool path_exists(const std::string& path) noexcept {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace skm::cli
