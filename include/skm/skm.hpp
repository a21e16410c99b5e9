// skm: the umbrella header.
#pragma once

#include "skm/bigint/bytes.hpp"
#include "skm/bigint/uint.hpp"
#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/common/result.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/ext/fp2.hpp"
#include "skm/field/fp.hpp"
#include "skm/hash/sha256.hpp"
