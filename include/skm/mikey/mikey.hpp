// SPDX-License-Identifier: BSD-3-Clause
// The MIKEY wire layer in one include: payload codecs, messages, base64/SDP/RTSP and the dump.
#pragma once

#include "skm/mikey/base64.hpp"
#include "skm/mikey/dump.hpp"
#include "skm/mikey/message.hpp"
#include "skm/mikey/payloads.hpp"
#include "skm/mikey/rtsp.hpp"
#include "skm/mikey/sdp.hpp"
#include "skm/mikey/wire.hpp"
