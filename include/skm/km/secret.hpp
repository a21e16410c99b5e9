// SPDX-License-Identifier: BSD-3-Clause
// Owning containers for key material that wipe themselves when they die.
//
// The key-management layer hands out derived keys (TEKs, salts, DPCKs, …) and reads secret keys
// from XML. Both containers below overwrite their bytes with ct::wipe in the destructor and on
// reassignment, never print themselves, and expose the bytes only as spans.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

#include "skm/common/ct.hpp"

namespace skm::km {

/// N secret octets, wiped on destruction.
template <std::size_t N>
class secret_array {
 public:
  static constexpr std::size_t size_bytes = N;

  secret_array() noexcept = default;
  explicit secret_array(std::span<const std::uint8_t, N> in) noexcept {
    std::copy(in.begin(), in.end(), bytes_.begin());
  }
  secret_array(const secret_array& o) noexcept : bytes_(o.bytes_) {}
  secret_array& operator=(const secret_array& o) noexcept {
    if (this != &o) bytes_ = o.bytes_;
    return *this;
  }
  ~secret_array() { ct::wipe(bytes_.data(), N); }

  [[nodiscard]] std::span<std::uint8_t, N> span() noexcept { return bytes_; }
  [[nodiscard]] std::span<const std::uint8_t, N> span() const noexcept { return bytes_; }
  [[nodiscard]] std::uint8_t* data() noexcept { return bytes_.data(); }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return bytes_.data(); }
  [[nodiscard]] static constexpr std::size_t size() noexcept { return N; }

  /// Constant-time comparison (for tests and key confirmation; never branch on it early).
  [[nodiscard]] ct::choice ct_equal(std::span<const std::uint8_t> other) const noexcept {
    return ct::equal_bytes(bytes_, other);
  }

 private:
  std::array<std::uint8_t, N> bytes_{};
};

/// A run-time-length secret octet string (e.g. an RSK read from XML), wiped on destruction and
/// on reassignment. It never grows in place, so no unwiped copy is left behind by reallocation.
class secret_bytes {
 public:
  secret_bytes() noexcept = default;
  explicit secret_bytes(std::size_t n)
      : data_(n ? std::make_unique<std::uint8_t[]>(n) : nullptr), size_(n) {}
  explicit secret_bytes(std::span<const std::uint8_t> in) : secret_bytes(in.size()) {
    std::copy(in.begin(), in.end(), data_.get());
  }
  secret_bytes(const secret_bytes& o) : secret_bytes(o.span()) {}
  secret_bytes(secret_bytes&& o) noexcept
      : data_(std::move(o.data_)), size_(std::exchange(o.size_, 0)) {}
  secret_bytes& operator=(const secret_bytes& o) {
    if (this != &o) {
      secret_bytes copy(o);
      *this = std::move(copy);
    }
    return *this;
  }
  secret_bytes& operator=(secret_bytes&& o) noexcept {
    if (this != &o) {
      clear();
      data_ = std::move(o.data_);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~secret_bytes() { clear(); }

  void clear() noexcept {
    if (data_) ct::wipe(data_.get(), size_);
    data_.reset();
    size_ = 0;
  }

  [[nodiscard]] std::span<std::uint8_t> span() noexcept { return {data_.get(), size_}; }
  [[nodiscard]] std::span<const std::uint8_t> span() const noexcept { return {data_.get(), size_}; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// The octets as characters (for secret text such as an XML document holding keys).
  [[nodiscard]] std::string_view as_text() const noexcept {
    return {reinterpret_cast<const char*>(data_.get()), size_};
  }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0;
};

}  // namespace skm::km
