// SPDX-License-Identifier: BSD-3-Clause
// AES-256 key wrap from OpenSSL's EVP layer: RFC 3394 (input a multiple of 8 octets, at least
// 16) and RFC 5649 (with padding, any length from 1). Both are what XML Encryption calls
// kw-aes256; the TS 33.180 key elements need a choice between them (see transport_keys.hpp).
//
//   RFC 3394: C = W(K, A6A6A6A6A6A6A6A6 || P)                     |C| = |P| + 8
//   RFC 5649: C = W(K, A65959A6 || MLI(32-bit length) || P || 0*)  |C| = ceil(|P|/8)*8 + 8
//
// The plaintext comes back in a wiping container; the integrity check of the unwrap (the
// initial value) is OpenSSL's, and a failure says nothing about which octet was wrong.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "skm/common/result.hpp"
#include "skm/km/secret.hpp"

namespace skm::kms_security {

/// A transport/integrity key: AES-256 / HMAC-SHA256 key of 32 octets.
inline constexpr std::size_t shared_key_octets = 32;

enum class key_wrap_mode {
  rfc3394,  ///< AES key wrap, no padding (id-aes256-wrap)
  rfc5649,  ///< AES key wrap with padding (id-aes256-wrap-pad)
};

[[nodiscard]] constexpr const char* describe(key_wrap_mode m) noexcept {
  return m == key_wrap_mode::rfc3394 ? "RFC 3394" : "RFC 5649";
}

/// The ciphertext length for a plaintext of `n` octets.
[[nodiscard]] constexpr std::size_t wrapped_size(key_wrap_mode m, std::size_t n) noexcept {
  return m == key_wrap_mode::rfc3394 ? n + 8 : (n + 7) / 8 * 8 + 8;
}

namespace detail {

struct cipher_ctx_free {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

/// AES-128/192/256 by the KEK's length (the TS 33.180 keys are 256-bit; the RFC examples use
/// all three); null for any other length.
[[nodiscard]] inline const EVP_CIPHER* wrap_cipher(key_wrap_mode m, std::size_t kek) noexcept {
  const bool pad = m == key_wrap_mode::rfc5649;
  switch (kek) {
    case 16: return pad ? EVP_aes_128_wrap_pad() : EVP_aes_128_wrap();
    case 24: return pad ? EVP_aes_192_wrap_pad() : EVP_aes_192_wrap();
    case 32: return pad ? EVP_aes_256_wrap_pad() : EVP_aes_256_wrap();
    default: return nullptr;
  }
}

/// One EVP pass (wrap or unwrap) of `in` into `out` (sized by the caller, at least the result);
/// returns the octets written, or nothing on failure.
[[nodiscard]] inline std::optional<std::size_t> run_wrap(key_wrap_mode m, bool wrap,
                                                         std::span<const std::uint8_t> kek,
                                                         std::span<const std::uint8_t> in,
                                                         std::span<std::uint8_t> out) {
  const EVP_CIPHER* cipher = wrap_cipher(m, kek.size());
  cipher_ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || !cipher) return std::nullopt;
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, kek.data(), nullptr, wrap ? 1 : 0) != 1)
    return std::nullopt;
  int n = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &n, in.data(), static_cast<int>(in.size())) != 1 ||
      n < 0)
    return std::nullopt;
  int tail = 0;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + n, &tail) != 1) return std::nullopt;
  return static_cast<std::size_t>(n) + static_cast<std::size_t>(tail);
}

}  // namespace detail

/// Wraps `plain` under `kek` (32 octets for a TrK). RFC 3394 refuses lengths that are not a
/// multiple of 8 or below 16 octets.
[[nodiscard]] inline result<std::vector<std::uint8_t>, std::string> wrap_key(
    key_wrap_mode m, std::span<const std::uint8_t> kek, std::span<const std::uint8_t> plain) {
  if (kek.size() != 16 && kek.size() != 24 && kek.size() != 32)
    return unexpected{std::string("the KEK must be 16, 24 or 32 octets")};
  if (plain.empty() || plain.size() > 1u << 20)
    return unexpected{std::string("nothing to wrap, or too much")};
  if (m == key_wrap_mode::rfc3394 && (plain.size() % 8 != 0 || plain.size() < 16))
    return unexpected{"RFC 3394 wraps a multiple of 8 octets (at least 16), not " +
                      std::to_string(plain.size())};
  std::vector<std::uint8_t> out(wrapped_size(m, plain.size()) + 16);
  const auto n = detail::run_wrap(m, true, kek, plain, out);
  if (!n || *n != wrapped_size(m, plain.size()))
    return unexpected{std::string("OpenSSL key wrap failed")};
  out.resize(*n);
  return out;
}

/// Unwraps `wrapped` under `kek`; fails (without saying why beyond the length) when the key is
/// wrong or the ciphertext was altered.
[[nodiscard]] inline result<km::secret_bytes, std::string> unwrap_key(
    key_wrap_mode m, std::span<const std::uint8_t> kek, std::span<const std::uint8_t> wrapped) {
  if (kek.size() != 16 && kek.size() != 24 && kek.size() != 32)
    return unexpected{std::string("the KEK must be 16, 24 or 32 octets")};
  if (wrapped.size() < (m == key_wrap_mode::rfc3394 ? 24u : 16u) || wrapped.size() % 8 != 0 ||
      wrapped.size() > (1u << 20) + 16)
    return unexpected{"a wrapped key of " + std::to_string(wrapped.size()) +
                      " octets is not a valid " + describe(m) + " ciphertext"};
  km::secret_bytes buffer(wrapped.size());
  const auto n = detail::run_wrap(m, false, kek, wrapped, buffer.span());
  if (!n || *n == 0 || *n > wrapped.size())
    return unexpected{std::string(describe(m)) +
                      " unwrap failed (wrong transport key or altered ciphertext)"};
  km::secret_bytes out(buffer.span().first(*n));
  return out;
}

}  // namespace skm::kms_security
