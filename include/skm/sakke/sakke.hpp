// SPDX-License-Identifier: BSD-3-Clause
// SAKKE (RFC 6508): KMS, sender and receiver. See docs/sakke.md.
#pragma once

#include "skm/sakke/common.hpp"
#include "skm/sakke/kms.hpp"
#include "skm/sakke/receiver.hpp"
#include "skm/sakke/sender.hpp"
