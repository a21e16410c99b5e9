// SPDX-License-Identifier: BSD-3-Clause
// skm: the umbrella header. Everything except the one header that also needs pugixml, the KMS XML
// documents (skm/km/kms_xml.hpp): include it yourself and link skm-xml (pkg-config) / skm_xml_dep
// (Meson).
#pragma once

#include "skm/bigint/bytes.hpp"
#include "skm/bigint/uint.hpp"
#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/ec/ec.hpp"
#include "skm/eccsi/eccsi.hpp"
#include "skm/ext/fp2.hpp"
#include "skm/field/fp.hpp"
#include "skm/hash/hash_to_integer_range.hpp"
#include "skm/hash/sha256.hpp"
#include "skm/km/i_message.hpp"
#include "skm/km/identity.hpp"
#include "skm/km/kdf.hpp"
#include "skm/km/key_id.hpp"
#include "skm/km/key_material.hpp"
#include "skm/km/key_parameters.hpp"
#include "skm/km/mikey_prf.hpp"
#include "skm/km/replay.hpp"
#include "skm/km/secret.hpp"
#include "skm/km/skm_server.hpp"
#include "skm/km/srtp_kdf.hpp"
#include "skm/km/time.hpp"
#include "skm/mikey/mikey.hpp"
#include "skm/pairing/tate.hpp"
#include "skm/sakke/sakke.hpp"
