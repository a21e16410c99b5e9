// SPDX-License-Identifier: BSD-3-Clause
// Constant-time vocabulary: limb masks, a boolean that is never branched on, selection and wiping.
//
// A `choice` holds a secret-dependent truth value as a limb mask (all ones or all zeros). Code
// combines choices with masks and selects values with them; converting a choice to `bool`
// requires the explicit `declassify()`, which marks the point where a value becomes public.
#pragma once

#include <gmp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

// The constant-time test executables (tests/ct) define SKM_CT_VALGRIND: there the points where
// the protocol publishes a secret-derived value tell valgrind memcheck that it is now defined,
// so a whole operation can be checked and every report left is a real leak. Elsewhere the hooks
// compile to nothing.
#if defined(SKM_CT_VALGRIND)
#include <valgrind/memcheck.h>
#endif

namespace skm {

using limb_t = mp_limb_t;
static_assert(sizeof(limb_t) == 8 && GMP_NUMB_BITS == 64,
              "skm needs 64-bit GMP limbs without nail bits");

namespace ct {

/// 0 -> 0, nonzero -> all ones, without a branch.
[[nodiscard]] constexpr limb_t nonzero_mask(limb_t x) noexcept {
  return limb_t{0} - ((x | (limb_t{0} - x)) >> 63);
}
[[nodiscard]] constexpr limb_t zero_mask(limb_t x) noexcept { return ~nonzero_mask(x); }
/// The low bit of `bit` (0 or 1) spread to a mask.
[[nodiscard]] constexpr limb_t bit_mask(limb_t bit) noexcept { return limb_t{0} - (bit & 1); }

/// x unchanged, but opaque to the optimizer: after it the compiler no longer knows that a mask is
/// 0 or all ones, so it cannot turn mask arithmetic back into a branch (clang 14 did that in
/// ec::on_curve: "equal | infinity" became a jump on "equal").
[[nodiscard]] constexpr limb_t value_barrier(limb_t x) noexcept {
  if (!std::is_constant_evaluated()) __asm__("" : "+r"(x));
  return x;
}

/// Declassification hook: `n` octets at `p` are public from here on (see SKM_CT_VALGRIND above).
/// Call it only where the protocol publishes the value (a validation result, a rejected random
/// draw, a blinded value); a call anywhere else would hide a leak from the constant-time suite.
inline void mark_public([[maybe_unused]] const void* p, [[maybe_unused]] std::size_t n) noexcept {
#if defined(SKM_CT_VALGRIND)
  (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#endif
}
/// The same for one object (usable in constant expressions, where it does nothing).
template <class T>
constexpr void mark_public_object([[maybe_unused]] const T& v) noexcept {
#if defined(SKM_CT_VALGRIND)
  if (!std::is_constant_evaluated()) mark_public(std::addressof(v), sizeof(T));
#endif
}

class choice {
 public:
  constexpr choice() noexcept = default;
  [[nodiscard]] static constexpr choice from_mask(limb_t mask) noexcept { return choice(mask); }
  [[nodiscard]] static constexpr choice from_bit(limb_t bit) noexcept {
    return choice(bit_mask(bit));
  }
  /// For public booleans only (e.g. a compile-time fact or a value already known to everyone).
  [[nodiscard]] static constexpr choice from_public_bool(bool b) noexcept {
    return choice(bit_mask(b ? 1 : 0));
  }
  [[nodiscard]] static constexpr choice yes() noexcept { return choice(~limb_t{0}); }
  [[nodiscard]] static constexpr choice no() noexcept { return choice(0); }

  [[nodiscard]] constexpr limb_t mask() const noexcept { return mask_; }
  /// The one place a secret-dependent truth value turns into a branchable bool. (The hook marks
  /// a copy, so the choice itself stays secret to the checker.)
  [[nodiscard]] constexpr bool declassify() const noexcept {
#if defined(SKM_CT_VALGRIND)
    if (!std::is_constant_evaluated()) {
      limb_t m = mask_;
      mark_public(&m, sizeof m);
      return m != 0;
    }
#endif
    return mask_ != 0;
  }

  [[nodiscard]] constexpr choice operator!() const noexcept { return choice(~mask_); }
  [[nodiscard]] friend constexpr choice operator&(choice a, choice b) noexcept {
    return choice(a.mask_ & b.mask_);
  }
  [[nodiscard]] friend constexpr choice operator|(choice a, choice b) noexcept {
    return choice(a.mask_ | b.mask_);
  }
  [[nodiscard]] friend constexpr choice operator^(choice a, choice b) noexcept {
    return choice(a.mask_ ^ b.mask_);
  }

 private:
  constexpr explicit choice(limb_t m) noexcept : mask_(m) {}
  limb_t mask_ = 0;
};

/// c ? a : b, for one limb.
[[nodiscard]] constexpr limb_t select(choice c, limb_t a, limb_t b) noexcept {
  return b ^ (c.mask() & (a ^ b));
}

/// c ? a : b for a byte.
[[nodiscard]] constexpr std::uint8_t select_byte(choice c, std::uint8_t a,
                                                 std::uint8_t b) noexcept {
  return static_cast<std::uint8_t>(b ^ (static_cast<std::uint8_t>(c.mask()) & (a ^ b)));
}

/// Equality of two byte strings of the same public length, without early exit.
[[nodiscard]] constexpr choice equal_bytes(std::span<const std::uint8_t> a,
                                           std::span<const std::uint8_t> b) noexcept {
  if (a.size() != b.size()) return choice::no();  // lengths are public
  limb_t acc = 0;
  for (std::size_t i = 0; i < a.size(); ++i) acc |= static_cast<limb_t>(a[i] ^ b[i]);
  return choice::from_mask(zero_mask(acc));
}

/// Overwrite memory in a way the optimizer may not remove.
inline void wipe(void* p, std::size_t n) noexcept {
  volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
  while (n--) *v++ = 0;
  // A compiler barrier so the stores are not sunk past the object's lifetime end.
  __asm__ __volatile__("" : : "r"(p) : "memory");
}

/// Wipe a trivially copyable object; in constant evaluation it is simply reset.
template <class T>
constexpr void wipe_object(T& obj) noexcept {
  static_assert(std::is_trivially_copyable_v<T>);
  if (std::is_constant_evaluated()) {
    obj = T{};
  } else {
    wipe(static_cast<void*>(std::addressof(obj)), sizeof(T));
  }
}

/// An allocator that wipes every block it frees. A std::vector of secrets with it (secret_vector)
/// leaves nothing behind when it grows (the old buffer), when it is destroyed on an exception
/// path, or when its owner forgets the wipe at the end: the wipe is the vector's own lifetime.
template <class T>
struct wiping_allocator {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>,
                "wiping a block overwrites its elements' bytes");
  using value_type = T;
  wiping_allocator() noexcept = default;
  template <class U>
  constexpr wiping_allocator(const wiping_allocator<U>&) noexcept {}  // NOLINT: rebinding
  [[nodiscard]] T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    wipe(p, n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
};

/// Stateless: any instance frees what any other allocated.
template <class T, class U>
[[nodiscard]] constexpr bool operator==(const wiping_allocator<T>&,
                                        const wiping_allocator<U>&) noexcept {
  return true;
}

/// A vector of secret values (scalars, field elements, points, key octets) wiped when freed.
template <class T>
using secret_vector = std::vector<T, wiping_allocator<T>>;

}  // namespace ct
}  // namespace skm
