// SPDX-License-Identifier: BSD-3-Clause
// result<T, E>: a value or an error code, for operations that can fail on bad input.
// (std::expected is C++23; this is the small subset skm needs, usable in constant expressions.)
#pragma once

#include <optional>
#include <stdexcept>
#include <utility>

namespace skm {

template <class E>
struct unexpected {
  E error;
};
template <class E>
unexpected(E) -> unexpected<E>;

template <class T, class E>
class [[nodiscard]] result {
 public:
  using value_type = T;
  using error_type = E;

  // Both constructors implicit by design, like std::expected's.
  constexpr result(T v) : value_(std::move(v)) {}
  constexpr result(unexpected<E> u) : error_(u.error) {}

  [[nodiscard]] constexpr bool has_value() const noexcept { return value_.has_value(); }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  /// The value; calling it on an error is a programming mistake and throws std::logic_error.
  [[nodiscard]] constexpr T& value() & {
    if (!value_) throw std::logic_error("skm::result: value() called on an error");
    return *value_;
  }
  [[nodiscard]] constexpr const T& value() const& {
    if (!value_) throw std::logic_error("skm::result: value() called on an error");
    return *value_;
  }
  [[nodiscard]] constexpr T&& value() && {
    if (!value_) throw std::logic_error("skm::result: value() called on an error");
    return std::move(*value_);
  }
  [[nodiscard]] constexpr T& operator*() & { return value(); }
  [[nodiscard]] constexpr const T& operator*() const& { return value(); }
  [[nodiscard]] constexpr T* operator->() { return &value(); }
  [[nodiscard]] constexpr const T* operator->() const { return &value(); }

  /// The error; only meaningful when has_value() is false.
  [[nodiscard]] constexpr E error() const noexcept { return error_; }

 private:
  std::optional<T> value_;
  E error_{};
};

}  // namespace skm
