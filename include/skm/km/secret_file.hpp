// SPDX-License-Identifier: BSD-3-Clause
// Reading a secret from an open file descriptor (POSIX) straight into a wiping buffer: no stream
// buffer (an ifstream's filebuf is freed unwiped) and no intermediate string ever holds it. The
// service's master secrets (kms_service/config.hpp) and the transport-key files
// (kms_security/key_directory.hpp) are read with it.
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstddef>

#include "skm/common/result.hpp"
#include "skm/km/secret.hpp"

namespace skm::km {

enum class secret_read_error {
  unreadable,  ///< read(2) failed
  too_large,   ///< more than the limit
};

/// The rest of `fd`'s content (the descriptor stays open), at most `max_octets`.
[[nodiscard]] inline result<secret_bytes, secret_read_error> read_secret_descriptor(
    int fd, std::size_t max_octets) {
  secret_bytes buffer(max_octets + 1);  // one more: a longer file is seen, not cut
  std::size_t used = 0;
  while (used < buffer.size()) {
    const ::ssize_t n = ::read(fd, buffer.span().data() + used, buffer.size() - used);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return unexpected{secret_read_error::unreadable};
    used += static_cast<std::size_t>(n);
  }
  if (used > max_octets) return unexpected{secret_read_error::too_large};
  return secret_bytes(buffer.span().first(used));
}

}  // namespace skm::km
