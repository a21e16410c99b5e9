// SPDX-License-Identifier: BSD-3-Clause
// libFuzzer target: SEC1 point decoding on both curves (with and without the subgroup check) and
// fixed-length field / scalar decoding. Properties beyond "no crash" (ASan, UBSan):
// - a decoded point re-encodes to exactly the input octets, and lies on the curve;
// - the subgroup check only removes points: `require` accepts a subset of `skip`, and what it
//   removes is reported as not_in_subgroup (P-256 has cofactor 1: both modes agree);
// - from_bytes accepts exactly the inputs of the right length below the modulus, round-trips
//   them, and agrees with reduce_bytes on them.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "fuzz_entry.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/ec/ec.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

template <class Curve>
void points(std::span<const std::uint8_t> in) {
  using skm::ec::point_error;
  using skm::ec::subgroup_check;
  const auto loose = skm::ec::decode_uncompressed<Curve>(in, subgroup_check::skip);
  if (loose) {
    check(skm::ec::on_curve(*loose).declassify());
    const auto again = skm::ec::encode_uncompressed(*loose);
    check(again.has_value() && again->size() == in.size() &&
          std::equal(again->begin(), again->end(), in.begin()));
  }
  const auto strict = skm::ec::decode_uncompressed<Curve>(in, subgroup_check::require);
  if (strict) {
    check(loose.has_value());
    check(skm::ec::ct_equal(*strict, *loose).declassify());
  } else if (loose) {
    check(Curve::cofactor != 1 && strict.error() == point_error::not_in_subgroup);
  } else {
    check(strict.error() == loose.error());
  }
}

template <class F>
void field(std::span<const std::uint8_t> in) {
  const auto v = F::from_bytes(in);
  const auto reduced = F::reduce_bytes(in);
  if (v) {
    check(in.size() == F::bytes);
    const auto out = v->to_bytes();
    check(std::equal(out.begin(), out.end(), in.begin()));
    check(ct_equal(*v, reduced).declassify());
  } else {
    check(in.size() != F::bytes || v.error() == skm::field_error::out_of_range);
  }
  // any suffix of the input of the right length decodes iff it is below the modulus
  if (in.size() > F::bytes) field<F>(in.last(F::bytes));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  using p256 = skm::curves::p256;
  using set1 = skm::curves::sakke_param_set_1;
  points<p256>(in);
  points<set1>(in);
  field<p256::base_field>(in);
  field<p256::scalar_field>(in);
  field<set1::base_field>(in);
  field<set1::scalar_field>(in);
  return 0;
}
