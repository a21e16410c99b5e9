// SPDX-License-Identifier: BSD-3-Clause
// Constant-time check of the arithmetic core under valgrind memcheck (design.md §5).
//
// Secret inputs are marked undefined (VALGRIND_MAKE_MEM_UNDEFINED); memcheck then reports every
// conditional branch and every memory address that depends on them. Only the final results are
// marked defined again before they are compared with the expected values (computed beforehand
// from public copies). Run as `valgrind --error-exitcode=1 ct_field`; outside valgrind the client
// requests are no-ops and the program only checks its results.
//
// `ct_field --leak` runs a deliberately leaky function (a branch on a secret limb) so that the
// suite proves the harness catches a leak: that Meson test is registered as should_fail.
#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "../support/ct_marks.hpp"
#include "../support/wide_moduli.hpp"
#include "skm/curves/p256.hpp"
#include "skm/curves/sakke_param_set_1.hpp"
#include "skm/ext/fp2.hpp"
#include "skm/field/fp.hpp"

using namespace skm;

namespace {

using skm::test::declassify;
using skm::test::secret;

template <auto Modulus>
struct wide_field_params {
  static constexpr auto modulus = Modulus;
};
/// 8, 12, 24 and 32 limbs: under valgrind the dispatch takes the portable kernels (its CPUID
/// hides ADX), so check_field proves them; the 8/12-limb ADX kernels are called directly below.
using field8 = fp<wide_field_params<test::p8>>;
using field12 = fp<wide_field_params<test::p12>>;
using field24 = fp<wide_field_params<test::p24>>;
using field32 = fp<wide_field_params<test::p32>>;

int failures = 0;
void check(bool ok, const char* field, const char* what) {
  if (!ok) {
    std::printf("FAILED: %s: %s\n", field, what);
    ++failures;
  }
}

template <class F>
F random_element(std::mt19937_64& rng) {
  typename F::uint_type v;
  for (auto& l : v.limb) l = rng();
  return F::reduce(v);
}

/// Every constant-time operation of fp<> with secret operands.
template <class F>
void check_field(const char* name, std::mt19937_64& rng) {
  for (int round = 0; round < 3; ++round) {
    const F a_pub = random_element<F>(rng), b_pub = random_element<F>(rng);
    typename F::uint_type e_pub;
    for (auto& l : e_pub.limb) l = rng();

    // expected values from public copies
    const F sum = a_pub + b_pub, diff = a_pub - b_pub, prod = a_pub * b_pub, sq = a_pub.square();
    const F neg = -a_pub, half = a_pub.half(), dbl = a_pub.dbl(), inv = a_pub.inverse();
    const F pw = a_pub.pow_secret(e_pub);
    const auto bytes_pub = a_pub.to_bytes();

    F a = a_pub, b = b_pub;
    auto e = e_pub;
    auto octets = bytes_pub;
    secret(a);
    secret(b);
    secret(e);
    secret(octets);

    F r_sum = a + b, r_diff = a - b, r_prod = a * b, r_sq = a.square();
    F r_neg = -a, r_half = a.half(), r_dbl = a.dbl(), r_inv = a.inverse();
    F r_pow = a.pow_secret(e);
    F r_pub_exp = a.pow_public(F::p_minus_1_half);  // public exponent, secret base
    int r_legendre = a.legendre();
    ct::choice r_eq = ct_equal(a, b);
    ct::choice r_zero = a.is_zero();
    F r_sel = F::select(r_eq, a, b);
    F s1 = a, s2 = b;
    F::cswap(r_zero, s1, s2);
    F r_red = F::reduce_bytes(octets);
    auto r_bytes = a.to_bytes();
    typename F::uint_type r_uint = a.to_uint();

    for (F* x : {&r_sum, &r_diff, &r_prod, &r_sq, &r_neg, &r_half, &r_dbl, &r_inv, &r_pow,
                 &r_pub_exp, &r_sel, &s1, &s2, &r_red})
      declassify(*x);
    declassify(r_legendre);
    declassify(r_eq);
    declassify(r_zero);
    declassify(r_bytes);
    declassify(r_uint);

    check(r_sum == sum && r_diff == diff && r_prod == prod && r_sq == sq, name, "add/sub/mul/sqr");
    check(r_neg == neg && r_half == half && r_dbl == dbl, name, "neg/half/dbl");
    check(r_inv == inv && (r_inv * a_pub == F::one()), name, "inverse");
    check(r_pow == pw, name, "pow_secret");
    check(r_legendre == a_pub.legendre_vartime(), name, "legendre");
    check(r_sel == b_pub && s1 == a_pub, name, "select/cswap");
    check(r_red == a_pub && r_bytes == bytes_pub && r_uint == a_pub.to_uint(), name, "octets");

    if constexpr (F::p_is_3_mod_4) {
      F sq_in = a_pub.square();
      secret(sq_in);
      F root;
      ct::choice is_sq = sq_in.sqrt(root);
      declassify(root);
      declassify(is_sq);
      check(is_sq.declassify() && root.square() == a_pub.square(), name, "sqrt");

      using E = fp2<F>;
      E x{a_pub, b_pub}, y{b_pub, a_pub};
      const E xy = x * y, xx = x.square(), xi = x.inverse();
      const F canon = pfp<F>(x).canonical();
      secret(x);
      secret(y);
      E r_xy = x * y, r_xx = x.square(), r_xi = x.inverse();
      F r_canon = pfp<F>(x).canonical();
      declassify(r_xy);
      declassify(r_xx);
      declassify(r_xi);
      declassify(r_canon);
      check(r_xy == xy && r_xx == xx && r_xi == xi && r_canon == canon, name, "fp2/PF_p");
    }
  }
}

/// The 16-limb portable kernels (CPUs without BMI2, non-x86) called directly with secret
/// operands: under valgrind on x86 the dispatch takes the MULX kernel instead.
void check_portable16(std::mt19937_64& rng) {
  using F = curves::sakke_param_set_1::base_field;
  for (int round = 0; round < 3; ++round) {
    const F a_pub = random_element<F>(rng), b_pub = random_element<F>(rng);
    const auto xy = (a_pub * b_pub).montgomery_form(), xx = a_pub.square().montgomery_form();
    auto a = a_pub.montgomery_form(), b = b_pub.montgomery_form();
    F::uint_type r_mul, r_sqr;
    secret(a);
    secret(b);
    montgomery::mul_cios(r_mul, a, b, F::modulus, F::m_inv);
    montgomery::sqr_portable(r_sqr, a, F::modulus, F::m_inv);
    declassify(r_mul);
    declassify(r_sqr);
    check(r_mul == xy && r_sqr == xx, "set 1 p", "portable kernels");
  }
}

#if defined(__x86_64__)
/// Whether the host processor has ADX. Read from /proc/cpuinfo: under valgrind the CPUID
/// instruction is emulated and hides ADX, although valgrind executes ADCX/ADOX.
bool host_has_adx() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string word;
  while (cpuinfo >> word)
    if (word == "adx") return true;
  return false;
}

/// The generated 8- and 12-limb ADX kernels called directly with secret operands.
template <class F>
void check_wide_adx_kernels(const char* name, std::mt19937_64& rng) {
  for (int round = 0; round < 3; ++round) {
    const F a_pub = random_element<F>(rng), b_pub = random_element<F>(rng);
    typename F::uint_type xy, xx;
    montgomery::mul_cios(xy, a_pub.montgomery_form(), b_pub.montgomery_form(), F::modulus,
                         F::m_inv);
    montgomery::sqr_portable(xx, a_pub.montgomery_form(), F::modulus, F::m_inv);
    auto a = a_pub.montgomery_form(), b = b_pub.montgomery_form();
    typename F::uint_type r_mul, r_sqr;
    secret(a);
    secret(b);
    montgomery::mul_adx(r_mul, a, b, F::modulus, F::m_inv);
    montgomery::sqr_adx(r_sqr, a, F::modulus, F::m_inv);
    declassify(r_mul);
    declassify(r_sqr);
    check(r_mul == xy && r_sqr == xx, name, "ADX kernels");
  }
}

/// The generated ADX kernels (16-limb, and P-256's own) called directly (dispatch never picks
/// them under valgrind, see host_has_adx), with secret operands; results compared with the
/// dispatched kernel's.
void check_adx_kernels(std::mt19937_64& rng) {
  using F = curves::sakke_param_set_1::base_field;
  for (int round = 0; round < 3; ++round) {
    const F a_pub = random_element<F>(rng), b_pub = random_element<F>(rng);
    const auto xy = (a_pub * b_pub).montgomery_form(), xx = a_pub.square().montgomery_form();
    auto a = a_pub.montgomery_form(), b = b_pub.montgomery_form();
    F::uint_type r_mul, r_sqr;
    secret(a);
    secret(b);
    montgomery::mul_adx(r_mul, a, b, F::modulus, F::m_inv);
    montgomery::sqr_adx(r_sqr, a, F::modulus, F::m_inv);
    declassify(r_mul);
    declassify(r_sqr);
    check(r_mul == xy && r_sqr == xx, "set 1 p", "ADX kernels");
  }
  check_wide_adx_kernels<field8>("512-bit p", rng);
  check_wide_adx_kernels<field12>("768-bit p", rng);
  using G = curves::p256::base_field;
  for (int round = 0; round < 3; ++round) {
    const G a_pub = random_element<G>(rng), b_pub = random_element<G>(rng);
    const auto xy = (a_pub * b_pub).montgomery_form();
    auto a = a_pub.montgomery_form(), b = b_pub.montgomery_form();
    G::uint_type r_mul;
    secret(a);
    secret(b);
    kernels::p256_montmul_adx(r_mul, a, b);
    declassify(r_mul);
    check(r_mul == xy, "P-256 p", "P-256 ADX kernel");
  }
}
#endif

/// Deliberately leaky: a table read at an index taken from a secret limb (the classic cache-timing
/// leak; a plain `if` might be compiled into a conditional move). Under valgrind it must be
/// reported.
__attribute__((noinline)) int leaky_lookup(const curves::p256::base_field& a) {
  static constexpr std::array<int, 16> table{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3};
  return table[a.montgomery_form().limb[0] & 15];
}

}  // namespace

int main(int argc, char** argv) {
  std::mt19937_64 rng(2026);
  if (argc > 1 && std::strcmp(argv[1], "--leak") == 0) {
    auto a = random_element<curves::p256::base_field>(rng);
    secret(a);
    int r = leaky_lookup(a);
    declassify(r);  // so that the only report is the one inside leaky_lookup
    std::printf("leaky function ran (result %d); valgrind must have reported it\n", r);
    return 0;
  }
  check_field<curves::p256::base_field>("P-256 p", rng);
  check_field<curves::p256::scalar_field>("P-256 n", rng);
  check_field<curves::sakke_param_set_1::base_field>("set 1 p", rng);
  check_field<curves::sakke_param_set_1::scalar_field>("set 1 q", rng);
  check_field<field8>("512-bit p (8 limbs)", rng);
  check_field<field12>("768-bit p (12 limbs)", rng);
  check_field<field24>("1536-bit p (24 limbs)", rng);
  check_field<field32>("2048-bit p (32 limbs)", rng);
  check_portable16(rng);
#if defined(__x86_64__)
  if (host_has_adx())
    check_adx_kernels(rng);
  else
    std::printf("ct_field: no ADX on this processor, ADX kernels not checked\n");
#endif
  if (failures == 0) std::printf("ct_field: all results correct\n");
  return failures == 0 ? 0 : 1;
}
