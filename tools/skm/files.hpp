// SPDX-License-Identifier: BSD-3-Clause
// Files of the skm tool: inputs are regular files read with a size bound that matches what their
// parser accepts; outputs go to a temporary file in the target directory (O_EXCL, O_NOFOLLOW,
// their final mode from creation), are fsync'ed and renamed into place, so a reader never sees a
// half-written key set and nothing is ever written through a symlink or into a device.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace skm::cli {

/// Size bounds of the inputs (each a little above what its parser or use accepts).
inline constexpr std::size_t kib = 1024;  // std::size_t: the products below are not int
inline constexpr std::size_t mib = 1024 * kib;
inline constexpr std::size_t max_message_file = 256 * kib;  ///< 64 KiB MIKEY as base64/SDP
inline constexpr std::size_t max_xml_file = 8 * mib;        ///< certificates, key-set files
inline constexpr std::size_t max_secrets_file = 16 * kib;   ///< DIR/kms-secrets
inline constexpr std::size_t max_uri_list_file = 64 * mib;  ///< kms provision --uris

/// The contents of a file that holds secrets, in one allocation that is wiped when it goes (no
/// stream buffers, no reallocation copies left in freed heap).
class secret_text {
 public:
  secret_text() = default;
  explicit secret_text(std::size_t capacity);
  secret_text(secret_text&& other) noexcept;
  secret_text& operator=(secret_text&& other) noexcept;
  secret_text(const secret_text&) = delete;
  secret_text& operator=(const secret_text&) = delete;
  ~secret_text();

  [[nodiscard]] std::string_view view() const noexcept { return {data_.get(), size_}; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  /// Appends within the capacity (the caller sized it); false when it does not fit.
  [[nodiscard]] bool append(std::string_view s) noexcept;
  [[nodiscard]] char* tail() noexcept { return data_.get() + size_; }
  void grow_by(std::size_t n) noexcept { size_ += n; }

 private:
  void wipe() noexcept;
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

/// A regular file (or "-": standard input), at most `limit` bytes; `what` names it in errors
/// ("MESSAGE file", "certificate"). Directories, devices, FIFOs and sockets are refused.
[[nodiscard]] std::string read_file(const std::string& path, std::size_t limit,
                                    std::string_view what = "file");
/// The same, into a wiping buffer, for files that hold secrets (key sets, master secrets).
[[nodiscard]] secret_text read_secret_file(const std::string& path, std::size_t limit,
                                           std::string_view what = "file");

enum class replace { never, with_force };

/// Writes `data` to `path` through a temporary file in the same directory created with `mode`
/// (0600 for secrets), fsync'ed and renamed into place. An existing `path` is an error unless
/// `policy` is with_force; a symlink, directory or device at `path` is always refused.
void write_file(const std::string& path, std::string_view data, unsigned mode, replace policy);
/// The check write_file makes first: nothing at `path`, or a regular file and with_force.
void check_target(const std::string& path, replace policy);
void make_directory(const std::string& path);

/// True when `path` names something that exists (for the '@FILE' hint).
[[nodiscard]] bool path_exists(const std::string& path) noexcept;

}  // namespace skm::cli
