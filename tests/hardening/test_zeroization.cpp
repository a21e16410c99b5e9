// SPDX-License-Identifier: BSD-3-Clause
// Zeroization: the memory of a destroyed secret-holding object must not hold its secret.
//
// Each object is built by placement new in a buffer that outlives it; after the destructor runs,
// the buffer is searched for the secret. Heap blocks the destructor frees are inspected too: this
// executable replaces the global operator new / delete, and while an inspection is armed,
// operator delete scans each block before handing it back to malloc.
//
// The secret is searched as "fingerprints": every 8-octet word of its in-memory representation
// (big-endian octets for byte arrays; Montgomery limbs for field elements and points), at every
// octet offset. A random secret word occurs elsewhere with negligible probability, so a hit is a
// copy of the secret that survived. Two control cases (a non-wiping struct, a std::vector)
// prove that the search finds what is left behind.
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "skm/eccsi/eccsi.hpp"
#include "skm/km/key_material.hpp"
#if defined(SKM_TEST_WITH_XML)
#include "skm/km/kms_xml.hpp"
#endif
#include "skm/km/secret.hpp"
#include "skm/km/skm_server.hpp"
#include "skm/pairing/line_table.hpp"
#include "skm/sakke/sakke.hpp"

// ---------------------------------------------------------------------------------------------
// Global allocation hook: every block carries its size in a 16-octet header, so operator delete
// knows how much to scan whichever form of delete is called.

namespace {

constexpr std::size_t header = 16;

struct freed_block {
  std::size_t size;
  bool all_zero;
  bool holds_secret;
};

struct heap_inspection {
  std::span<const std::array<std::uint8_t, 8>> fingerprints;
  std::array<freed_block, 256> blocks{};
  std::size_t count = 0;  ///< blocks freed while armed (those past the array are counted only)
};

heap_inspection* armed = nullptr;  // test-only global: set only around one destructor call

bool contains_fingerprint(const std::uint8_t* p, std::size_t n,
                          std::span<const std::array<std::uint8_t, 8>> fps) {
  for (std::size_t i = 0; i + 8 <= n; ++i)
    for (const auto& f : fps)
      if (std::memcmp(p + i, f.data(), 8) == 0) return true;
  return false;
}

void inspect_freed(void* user) noexcept {
  if (armed == nullptr || user == nullptr) return;
  const auto* base = static_cast<const std::uint8_t*>(user);
  std::size_t n;
  std::memcpy(&n, base - header, sizeof n);
  bool zero = true;
  for (std::size_t i = 0; i < n; ++i) zero = zero && base[i] == 0;
  if (armed->count < armed->blocks.size())
    armed->blocks[armed->count] = {n, zero, contains_fingerprint(base, n, armed->fingerprints)};
  ++armed->count;
}

}  // namespace

void* operator new(std::size_t n) {
  auto* p = static_cast<std::uint8_t*>(std::malloc(n + header));
  if (p == nullptr) throw std::bad_alloc();
  std::memcpy(p, &n, sizeof n);
  return p + header;
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept {
  if (p == nullptr) return;
  inspect_freed(p);
  std::free(static_cast<std::uint8_t*>(p) - header);
}
void operator delete[](void* p) noexcept { ::operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { ::operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { ::operator delete(p); }

namespace {

using fingerprint = std::array<std::uint8_t, 8>;

/// The 8-octet words of an object's representation, skipping constant words (0x00.., 0xff..)
/// that could occur anywhere.
template <class T>
void add_fingerprints(std::vector<fingerprint>& out, const T& secret) {
  static_assert(std::is_trivially_copyable_v<T>);
  std::array<std::uint8_t, sizeof(T)> rep;
  std::memcpy(rep.data(), &secret, sizeof(T));
  for (std::size_t i = 0; i + 8 <= rep.size(); i += 8) {
    fingerprint f;
    std::memcpy(f.data(), rep.data() + i, 8);
    bool constant = true;
    for (auto b : f) constant = constant && b == f[0];
    if (!constant) out.push_back(f);
  }
}

struct destruction_report {
  bool live_buffer_held_secret = false;  ///< the object held the secret in place before it died
  bool buffer_holds_secret = false;
  std::vector<freed_block> freed;
  [[nodiscard]] bool freed_holds_secret() const {
    for (const auto& b : freed)
      if (b.holds_secret) return true;
    return false;
  }
  [[nodiscard]] std::size_t largest_freed() const {
    std::size_t i = freed.size();
    for (std::size_t k = 0; k < freed.size(); ++k)
      if (i == freed.size() || freed[k].size > freed[i].size) i = k;
    return i;
  }
};

/// Move `make()`'s object into a buffer, destroy it there with the heap inspection armed, and
/// search the buffer and every freed block for the fingerprints.
template <class T, class Make>
destruction_report destroy_and_inspect(Make&& make, const std::vector<fingerprint>& fps) {
  REQUIRE_FALSE(fps.empty());
  alignas(64) static std::uint8_t buffer[sizeof(T) + 64];
  std::memset(buffer, 0, sizeof buffer);
  T* obj = ::new (static_cast<void*>(buffer)) T(make());
  // The object escapes: its stores must really happen (without this, g++ drops the stores of a
  // trivially destructible object whose lifetime ends right away, and the control would pass
  // for the wrong reason).
  __asm__ __volatile__("" : : "r"(obj) : "memory");
  const bool live = contains_fingerprint(buffer, sizeof(T), fps);
  heap_inspection inspection{fps};
  armed = &inspection;
  obj->~T();
  armed = nullptr;
  __asm__ __volatile__("" : : "r"(buffer) : "memory");
  destruction_report r;
  r.live_buffer_held_secret = live;
  r.buffer_holds_secret = contains_fingerprint(buffer, sizeof(T), fps);
  REQUIRE(inspection.count <= inspection.blocks.size());  // every freed block was examined
  r.freed.assign(inspection.blocks.begin(),
                 inspection.blocks.begin() + static_cast<std::ptrdiff_t>(inspection.count));
  return r;
}

/// The blocks freed while f() runs (temporaries of an operation), each searched for the
/// fingerprints.
template <class F>
std::vector<freed_block> freed_during(F&& f, const std::vector<fingerprint>& fps) {
  REQUIRE_FALSE(fps.empty());
  heap_inspection inspection{fps};
  armed = &inspection;
  try {
    f();
  } catch (...) {
    armed = nullptr;
    throw;
  }
  armed = nullptr;
  REQUIRE(inspection.count <= inspection.blocks.size());
  return {inspection.blocks.begin(),
          inspection.blocks.begin() + static_cast<std::ptrdiff_t>(inspection.count)};
}

[[nodiscard]] bool any_holds_secret(const std::vector<freed_block>& blocks) {
  for (const auto& b : blocks)
    if (b.holds_secret) return true;
  return false;
}

struct fixed_rng {
  std::uint64_t state;
  void GenerateBlock(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      out[i] = static_cast<std::uint8_t>(state >> 56);
    }
  }
};

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

constexpr std::string_view id_text{"2026-11\0tel:+447700900123\0", 26};

using set1 = skm::curves::sakke_param_set_1;
using qfield = skm::curves::p256::scalar_field;
using Fq1 = set1::scalar_field;

// One SAKKE key set, built once (an RSK issue and a receiver cost pairings).
struct sakke_keys {
  skm::sakke::kms<set1> kms;
  skm::sakke::scheme<set1>::point rsk;
  static const sakke_keys& get() {
    static const sakke_keys k = [] {
      fixed_rng rng{0x7a3};
      auto kms = skm::sakke::kms<set1>::generate(rng);
      auto rsk = kms.issue_rsk(bytes_of(id_text)).value();
      return sakke_keys{kms, rsk};
    }();
    return k;
  }
};

std::vector<fingerprint> point_fingerprints(const skm::sakke::scheme<set1>::point& p) {
  std::vector<fingerprint> fps;
  add_fingerprints(fps, p.x);
  add_fingerprints(fps, p.y);
  const auto enc = skm::ec::encode_uncompressed(p).value();
  add_fingerprints(fps, enc);
  return fps;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Controls: the search finds secrets that are left behind.

TEST_CASE("zeroization harness: a non-wiping object and a std::vector are caught",
          "[hardening][zeroization]") {
  struct leaky {
    std::array<std::uint8_t, 32> secret;
  };
  std::array<std::uint8_t, 32> s;
  fixed_rng rng{1};
  rng.GenerateBlock(s.data(), s.size());
  std::vector<fingerprint> fps;
  add_fingerprints(fps, s);
  const auto stack = destroy_and_inspect<leaky>([&] { return leaky{s}; }, fps);
  REQUIRE(stack.live_buffer_held_secret);
  REQUIRE(stack.buffer_holds_secret);

  const auto heap = destroy_and_inspect<std::vector<std::uint8_t>>(
      [&] { return std::vector<std::uint8_t>(s.begin(), s.end()); }, fps);
  REQUIRE(heap.freed.size() == 1);
  REQUIRE(heap.freed[0].holds_secret);
  REQUIRE_FALSE(heap.freed[0].all_zero);
}

// ---------------------------------------------------------------------------------------------
// ECCSI

TEST_CASE("zeroization: ECCSI KMS (KSAK), key pair (SSK) and signer (SSK)",
          "[hardening][zeroization]") {
  fixed_rng rng{0xecc};
  const auto kms = skm::eccsi::kms<>::generate(rng).value();
  const auto kp = kms.issue(bytes_of(id_text), rng).value();
  const auto signer =
      skm::eccsi::signer<>::create(kms.kpak(), bytes_of(id_text), kp.ssk, kp.pvt).value();

  std::vector<fingerprint> ksak;
  add_fingerprints(ksak,
                   qfield::from_bytes(kms.export_ksak()).value());  // the stored (Montgomery) form
  add_fingerprints(ksak, kms.export_ksak());
  const auto k = destroy_and_inspect<skm::eccsi::kms<>>([&] { return kms; }, ksak);
  REQUIRE(k.live_buffer_held_secret);
  CHECK_FALSE(k.buffer_holds_secret);
  CHECK_FALSE(k.freed_holds_secret());

  std::vector<fingerprint> ssk;
  add_fingerprints(ssk, kp.ssk);
  add_fingerprints(ssk, qfield::from_bytes(kp.ssk).value());
  const auto p = destroy_and_inspect<skm::eccsi::key_pair<>>([&] { return kp; }, ssk);
  REQUIRE(p.live_buffer_held_secret);
  CHECK_FALSE(p.buffer_holds_secret);
  const auto s = destroy_and_inspect<skm::eccsi::signer<>>([&] { return signer; }, ssk);
  REQUIRE(s.live_buffer_held_secret);
  CHECK_FALSE(s.buffer_holds_secret);
  CHECK_FALSE(s.freed_holds_secret());
}

// ---------------------------------------------------------------------------------------------
// SAKKE

TEST_CASE("zeroization: SAKKE KMS (master secret z)", "[hardening][zeroization]") {
  const auto& keys = sakke_keys::get();
  std::vector<fingerprint> z;
  add_fingerprints(z, Fq1::from_bytes(keys.kms.export_master_secret()).value());
  add_fingerprints(z, keys.kms.export_master_secret());
  const auto r = destroy_and_inspect<skm::sakke::kms<set1>>([&] { return keys.kms; }, z);
  REQUIRE(r.live_buffer_held_secret);
  CHECK_FALSE(r.buffer_holds_secret);
  CHECK_FALSE(r.freed_holds_secret());
}

TEST_CASE(
    "zeroization: SAKKE line table (derived from the RSK) and receiver (RSK, line table, table of I)",
    "[hardening][zeroization]") {
  const auto& keys = sakke_keys::get();
  const auto fps = point_fingerprints(keys.rsk);
  const skm::pairing::affine<set1::base_field> k{keys.rsk.x, keys.rsk.y};

  // The table holds lines, not the RSK itself: its block must come back all zero.
  const auto t = destroy_and_inspect<skm::pairing::line_table<set1>>(
      [&] { return skm::pairing::line_table<set1>::precompute(k); }, fps);
  REQUIRE(!t.freed.empty());
  CHECK(t.freed[t.largest_freed()].all_zero);
  CHECK_FALSE(t.freed_holds_secret());

  const auto rec = destroy_and_inspect<skm::sakke::receiver<set1>>(
      [&] {
        return skm::sakke::receiver<set1>::create(keys.kms.public_key(), bytes_of(id_text),
                                                  keys.rsk)
            .value();
      },
      fps);
  REQUIRE(rec.live_buffer_held_secret);
  CHECK_FALSE(rec.buffer_holds_secret);
  CHECK_FALSE(rec.freed_holds_secret());
  // The receiver's line table is freed as a block of the size the table alone frees (above), and
  // that block must come back all zero. The receiver's table of I is public (built from the
  // identifier and Z) and is not wiped, so it is told apart by size, not taken as the largest.
  const std::size_t line_block = t.freed[t.largest_freed()].size;
  CHECK(line_block >= skm::pairing::line_table<set1>::size * 2 * sizeof(set1::base_field));
  std::size_t line_blocks = 0;
  for (const auto& b : rec.freed) {
    if (b.size != line_block) continue;
    ++line_blocks;
    CHECK(b.all_zero);
  }
  REQUIRE(line_blocks == 1);
}

TEST_CASE("zeroization: SAKKE encapsulation (SSV)", "[hardening][zeroization]") {
  const auto& keys = sakke_keys::get();
  fixed_rng rng{0x55};
  const auto e =
      skm::sakke::encapsulate_random(keys.kms.public_key(), bytes_of(id_text), rng).value();
  std::vector<fingerprint> ssv;
  add_fingerprints(ssv, e.ssv);
  const auto r = destroy_and_inspect<skm::sakke::encapsulation<set1>>([&] { return e; }, ssv);
  REQUIRE(r.live_buffer_held_secret);
  CHECK_FALSE(r.buffer_holds_secret);
}

// ---------------------------------------------------------------------------------------------
// ct::secret_vector and the batch operations' temporaries

TEST_CASE(
    "zeroization: ct::secret_vector wipes the blocks it frees (destruction, growth, "
    "an exception path)",
    "[hardening][zeroization]") {
  std::array<std::uint64_t, 8> s;
  fixed_rng rng{7};
  rng.GenerateBlock(reinterpret_cast<std::uint8_t*>(s.data()), sizeof s);
  std::vector<fingerprint> fps;
  add_fingerprints(fps, s);
  using vec = skm::ct::secret_vector<std::uint64_t>;

  const auto destroyed = destroy_and_inspect<vec>([&] { return vec(s.begin(), s.end()); }, fps);
  REQUIRE(destroyed.freed.size() == 1);
  CHECK(destroyed.freed[0].all_zero);
  CHECK_FALSE(destroyed.freed[0].holds_secret);

  vec grown(s.begin(), s.end());
  const auto growth = freed_during(
      [&] {
        for (int i = 0; i < 64; ++i) grown.push_back(static_cast<std::uint64_t>(i));  // reallocates
      },
      fps);
  REQUIRE_FALSE(growth.empty());  // the old buffers, which held the secret
  for (const auto& b : growth) {
    CHECK(b.all_zero);
    CHECK_FALSE(b.holds_secret);
  }

  struct thrown {};
  const auto unwound = freed_during(
      [&] {
        try {
          const vec v(s.begin(), s.end());
          throw thrown{};
        } catch (const thrown&) {
        }
      },
      fps);
  REQUIRE(unwound.size() == 1);
  CHECK(unwound[0].all_zero);

  // The control: the same growth of a plain std::vector leaves the secret in the freed block.
  std::vector<std::uint64_t> plain(s.begin(), s.end());
  const auto plain_growth = freed_during(
      [&] {
        for (int i = 0; i < 64; ++i) plain.push_back(static_cast<std::uint64_t>(i));
      },
      fps);
  CHECK(any_holds_secret(plain_growth));
}

TEST_CASE(
    "zeroization: a batch encapsulation frees no r, r b, g^r or SSV (sakke::encapsulate_batch)",
    "[hardening][zeroization]") {
  using S = skm::sakke::scheme<set1>;
  const auto& keys = sakke_keys::get();
  S::ssv_type ssv;
  fixed_rng rng{0x9b};
  rng.GenerateBlock(ssv.data(), ssv.size());
  std::vector<std::string> ids;
  for (char c = 'a'; c <= 'f'; ++c)
    ids.emplace_back(std::string("2026-11\0tel:+4477009001", 23) + c + '\0');
  std::vector<std::span<const std::uint8_t>> spans;
  spans.reserve(ids.size());
  for (const auto& id : ids) spans.push_back(bytes_of(id));
  // What the batch derives from the SSV, recomputed here: r, r b mod q and g^r (projective) of
  // every member, and the SSV itself.
  std::vector<fingerprint> fps;
  std::vector<S::scalar> rs;
  add_fingerprints(fps, ssv);
  for (const auto& id : spans) {
    const auto r = S::derive_r(ssv, id);
    rs.push_back(r);
    add_fingerprints(fps, r);
    const auto b = S::identifier_value(id).value();
    add_fingerprints(fps, (S::Fq::reduce(r) * S::Fq::reduce(b)).to_uint());
    add_fingerprints(fps, S::g_table().pow(r).value());
  }
  std::vector<skm::result<S::encapsulated_type, skm::sakke::sakke_error>> out;
  const auto freed = freed_during(
      [&] { out = skm::sakke::encapsulate_batch(keys.kms.public_key(), spans, ssv); }, fps);
  REQUIRE(out.size() == ids.size());
  // The batch did its work: each result is the single encapsulation's.
  for (std::size_t j = 0; j < ids.size(); ++j)
    REQUIRE(out[j].value() ==
            skm::sakke::encapsulate(keys.kms.public_key(), spans[j], ssv).value());
  REQUIRE(freed.size() >= 8);  // its temporaries (scalars, points, accumulators, ...) were freed
  for (const auto& b : freed) CHECK_FALSE(b.holds_secret);

  // The control: the same r values in a plain std::vector, freed, are found.
  const auto control = freed_during(
      [&] {
        std::vector<S::scalar> copy(rs.begin(), rs.end());
        __asm__ __volatile__("" : : "r"(copy.data()) : "memory");  // the copy really is made
      },
      fps);
  CHECK(any_holds_secret(control));
}

// ---------------------------------------------------------------------------------------------
// Key management containers

TEST_CASE("zeroization: km secret_array, secret_bytes, user_key_set, kms_secrets, skm_server",
          "[hardening][zeroization]") {
  std::array<std::uint8_t, 64> s;
  fixed_rng rng{0x4b};
  rng.GenerateBlock(s.data(), s.size());
  std::vector<fingerprint> fps;
  add_fingerprints(fps, s);

  const auto a = destroy_and_inspect<skm::km::secret_array<64>>(
      [&] { return skm::km::secret_array<64>(std::span<const std::uint8_t, 64>(s)); }, fps);
  REQUIRE(a.live_buffer_held_secret);
  CHECK_FALSE(a.buffer_holds_secret);
  const auto b = destroy_and_inspect<skm::km::secret_bytes>(
      [&] { return skm::km::secret_bytes(std::span<const std::uint8_t>(s)); }, fps);
  CHECK_FALSE(b.buffer_holds_secret);
  REQUIRE(b.freed.size() == 1);
  CHECK(b.freed[0].all_zero);

  // a user key set with a real RSK and SSK
  const auto& keys = sakke_keys::get();
  const auto eccsi_kms = skm::eccsi::kms<>::generate(rng).value();
  const auto kp = eccsi_kms.issue(bytes_of(id_text), rng).value();
  const auto rsk_bytes = skm::ec::encode_uncompressed(keys.rsk).value();
  skm::km::user_key_set u;
  u.user_uri = "sip:alice@example.org, long enough to live on the heap";
  u.rsk = skm::km::secret_array<skm::km::rsk_octets>(
      std::span<const std::uint8_t, skm::km::rsk_octets>(rsk_bytes));
  u.ssk = skm::km::secret_array<skm::km::ssk_octets>(
      std::span<const std::uint8_t, skm::km::ssk_octets>(kp.ssk));
  u.pvt = kp.pvt;
  std::vector<fingerprint> user;
  add_fingerprints(user, rsk_bytes);
  add_fingerprints(user, kp.ssk);
  const auto us = destroy_and_inspect<skm::km::user_key_set>([&] { return u; }, user);
  REQUIRE(us.live_buffer_held_secret);
  CHECK_FALSE(us.buffer_holds_secret);
  CHECK_FALSE(us.freed_holds_secret());

  // the SKM-S community server: z and KSAK inside, and its export
  const auto z = keys.kms.export_master_secret();
  const auto ksak = eccsi_kms.export_ksak();
  skm::km::community_config config;
  config.kms_uri = "kms.example.org";
  const auto server = skm::km::skm_server::from_secrets(config, z, ksak);
  REQUIRE(server.has_value());
  std::vector<fingerprint> masters;
  add_fingerprints(masters, z);
  add_fingerprints(masters, ksak);
  add_fingerprints(masters, Fq1::from_bytes(z).value());
  add_fingerprints(masters, qfield::from_bytes(ksak).value());
  const auto exported =
      destroy_and_inspect<skm::km::kms_secrets>([&] { return server->export_secrets(); }, masters);
  REQUIRE(exported.live_buffer_held_secret);
  CHECK_FALSE(exported.buffer_holds_secret);
  const auto srv = destroy_and_inspect<skm::km::skm_server>([&] { return *server; }, masters);
  REQUIRE(srv.live_buffer_held_secret);
  CHECK_FALSE(srv.buffer_holds_secret);
  CHECK_FALSE(srv.freed_holds_secret());
}

// ---------------------------------------------------------------------------------------------
// The dead stack: after a secret-bearing top-level operation returns, the stack below the
// caller (the frames of the operation and of everything it called) must not hold a secret.
// The operation is called through a function of the test's (as an application would call it),
// then the stack below the calling frame is copied at once (into a
// buffer allocated before the call, so nothing else runs in between); the secrets, computed
// afterwards from the public output and the test's own keys, are then searched in the copy.

namespace {

constexpr std::size_t dead_stack_bytes = std::size_t{256} * 1024;

/// Copy the `out.size()` octets of stack directly below this function's own frame marker.
[[gnu::noinline]] void snapshot_dead_stack(std::vector<std::uint8_t>& out) {
  volatile std::uint8_t marker = 0;
  const auto top = reinterpret_cast<std::uintptr_t>(&marker);
  // The dead stack below the frame is no object: pointer arithmetic on &marker would be undefined.
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the integer address is the intended way out
  const auto* below = reinterpret_cast<const volatile std::uint8_t*>(top - out.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = below[i];
}

/// A function that leaves its secret in its dead frame (the control).
[[gnu::noinline]] void leave_on_stack(const std::array<std::uint8_t, 32>& secret) {
  volatile std::uint8_t copy[4096];
  for (std::size_t i = 0; i < sizeof copy; ++i) copy[i] = secret[i % secret.size()];
}

/// The operations as an application calls them: from a function of its own, whose frame dies too.
template <class Signer, class Rng>
[[gnu::noinline]] auto sign_once(const Signer& signer, std::span<const std::uint8_t> message,
                                 Rng& rng) {
  return signer.sign(message, rng);
}
template <class Receiver>
[[gnu::noinline]] auto decapsulate_once(const Receiver& rec, std::span<const std::uint8_t> data) {
  return rec.decapsulate(data);
}
template <class Key, class Point>
[[gnu::noinline]] auto decapsulate_cold_once(const Key& kms, const Point& rsk,
                                             std::span<const std::uint8_t> data) {
  return skm::sakke::decapsulate_with_unvalidated_rsk(kms, bytes_of(id_text), rsk, data);
}

template <class Kms, class Rng>
[[gnu::noinline]] auto eccsi_issue_once(const Kms& kms, std::span<const std::uint8_t> id,
                                        Rng& rng) {
  return kms.issue(id, rng);
}
template <class Kms>
[[gnu::noinline]] auto sakke_issue_once(const Kms& kms, std::span<const std::uint8_t> id) {
  return kms.issue_rsk(id);
}

/// A field element's fingerprints: its Montgomery limbs, canonical limbs and big-endian octets.
template <class F>
void add_element(std::vector<fingerprint>& fps, const F& x) {
  add_fingerprints(fps, x);
  add_fingerprints(fps, x.to_uint());
  add_fingerprints(fps, x.to_bytes());
}

}  // namespace

TEST_CASE("zeroization harness: a secret left in a dead frame is found",
          "[hardening][zeroization][dead-stack][security-2]") {
  std::array<std::uint8_t, 32> s;
  fixed_rng rng{2};
  rng.GenerateBlock(s.data(), s.size());
  std::vector<fingerprint> fps;
  add_fingerprints(fps, s);
  std::vector<std::uint8_t> stack(dead_stack_bytes);
  leave_on_stack(s);
  snapshot_dead_stack(stack);
  REQUIRE(contains_fingerprint(stack.data(), stack.size(), fps));
}

TEST_CASE(
    "zeroization: the dead stack after ECCSI sign holds no j, r SSK, HE + r SSK or its inverse",
    "[hardening][zeroization][dead-stack][security-2]") {
  using suite = skm::eccsi::suite<skm::curves::p256, skm::sha256>;
  fixed_rng rng{0x51};
  const auto kms = skm::eccsi::kms<>::generate(rng).value();
  const auto kp = kms.issue(bytes_of(id_text), rng).value();
  const auto signer =
      skm::eccsi::signer<>::create(kms.kpak(), bytes_of(id_text), kp.ssk, kp.pvt).value();
  const auto message = bytes_of("a message to sign");
  std::vector<std::uint8_t> stack(dead_stack_bytes);
  for (int round = 0; round < 3; ++round) {
    const auto sig = sign_once(signer, message, rng);
    snapshot_dead_stack(stack);
    REQUIRE(sig.has_value());
    // t = HE + r SSK, s = t^-1 j (P-256: s' always fits, never negated), so j = s t
    const std::span<const std::uint8_t> r(sig->data(), suite::N),
        s(sig->data() + suite::N, suite::N);
    const auto he = suite::hash_he(signer.hs(), r, message);
    const qfield t =
        qfield::reduce_bytes(he) + qfield::reduce_bytes(r) * qfield::from_bytes(kp.ssk).value();
    const qfield j = qfield::from_bytes(s).value() * t;
    const qfield ssk = qfield::from_bytes(kp.ssk).value();
    std::vector<fingerprint> secrets;
    add_element(secrets, t);
    add_element(secrets, t.inverse());
    add_element(secrets, j);
    add_element(secrets, ssk);
    add_element(secrets, qfield::reduce_bytes(r) * ssk);  // r SSK: with the public r, the SSK
    CHECK_FALSE(contains_fingerprint(stack.data(), stack.size(), secrets));
  }
}

TEST_CASE("zeroization: the dead stack after SAKKE decapsulation holds no SSV, mask or r",
          "[hardening][zeroization][dead-stack][security-2]") {
  using S = skm::sakke::scheme<set1>;
  const auto& keys = sakke_keys::get();
  const auto rec =
      skm::sakke::receiver<set1>::create(keys.kms.public_key(), bytes_of(id_text), keys.rsk)
          .value();
  fixed_rng rng{0x5e};
  std::vector<std::uint8_t> stack(dead_stack_bytes);
  for (int path = 0; path < 2; ++path) {  // the receiver's tables, then the cold function
    const auto e =
        skm::sakke::encapsulate_random(keys.kms.public_key(), bytes_of(id_text), rng).value();
    const auto ssv = path == 0 ? rec.decapsulate(e.data)
                               : skm::sakke::decapsulate_with_unvalidated_rsk(
                                     keys.kms.public_key(), bytes_of(id_text), keys.rsk, e.data);
    snapshot_dead_stack(stack);
    REQUIRE(ssv.has_value());
    REQUIRE(*ssv == e.ssv);
    std::vector<fingerprint> secrets;
    add_fingerprints(secrets, *ssv);
    S::ssv_type mask;
    for (std::size_t i = 0; i < S::ssv_bytes; ++i)
      mask[i] = static_cast<std::uint8_t>(e.data[S::point_bytes + i] ^ (*ssv)[i]);
    add_fingerprints(secrets, mask);
    const auto r = S::derive_r(*ssv, bytes_of(id_text));
    add_fingerprints(secrets, r);
    INFO("path " << (path == 0 ? "receiver::decapsulate" : "cold decapsulate"));
    CHECK_FALSE(contains_fingerprint(stack.data(), stack.size(), secrets));
  }
}

TEST_CASE("zeroization: the dead stack after ECCSI issuing holds no v nor the SSK",
          "[hardening][zeroization][dead-stack][security-2]") {
  using suite = skm::eccsi::suite<skm::curves::p256, skm::sha256>;
  fixed_rng rng{0x1e};
  const auto kms = skm::eccsi::kms<>::generate(rng).value();
  const qfield ksak = qfield::from_bytes(kms.export_ksak()).value();
  std::vector<std::uint8_t> stack(dead_stack_bytes);
  for (int round = 0; round < 3; ++round) {
    const auto kp = eccsi_issue_once(kms, bytes_of(id_text), rng);
    snapshot_dead_stack(stack);
    REQUIRE(kp.has_value());
    // SSK = KSAK + HS v, so v = (SSK - KSAK) HS^-1: with the SSK, v yields the KSAK.
    const auto hs = suite::hash_hs(kms.kpak().bytes(), bytes_of(id_text), kp->pvt);
    const qfield ssk = qfield::from_bytes(kp->ssk).value();
    const qfield v = (ssk - ksak) * qfield::reduce_bytes(hs).inverse();
    std::vector<fingerprint> secrets;
    add_element(secrets, v);
    add_element(secrets, ssk);
    CHECK_FALSE(contains_fingerprint(stack.data(), stack.size(), secrets));
  }
}

TEST_CASE("zeroization: the dead stack after RSK issuing holds no (b + z)^-1",
          "[hardening][zeroization][dead-stack][security-2]") {
  using S = skm::sakke::scheme<set1>;
  const auto& keys = sakke_keys::get();
  const Fq1 z = Fq1::from_bytes(keys.kms.export_master_secret()).value();
  std::vector<std::uint8_t> stack(dead_stack_bytes);
  for (const std::string_view id :
       {std::string_view(id_text), std::string_view("bob@example.org")}) {
    const auto rsk = sakke_issue_once(keys.kms, bytes_of(id));
    snapshot_dead_stack(stack);
    REQUIRE(rsk.has_value());
    // RSK = [(b + z)^-1]P: b + z and its inverse each yield z with the public b.
    const Fq1 sum = Fq1::reduce(S::identifier_value(bytes_of(id)).value()) + z;
    std::vector<fingerprint> secrets;
    add_element(secrets, sum);
    add_element(secrets, sum.inverse());
    INFO("identifier " << id);
    CHECK_FALSE(contains_fingerprint(stack.data(), stack.size(), secrets));
  }
}

#if defined(SKM_TEST_WITH_XML)
namespace {
[[gnu::noinline]] auto write_key_prov_once(const skm::km::xml::kms_key_prov_response& r) {
  return skm::km::xml::write_kms_key_prov(r);
}

/// The fingerprints of a key written as lower-case hex text, as the document holds it.
void add_hex_fingerprints(std::vector<fingerprint>& out, std::span<const std::uint8_t> key) {
  const auto hex = skm::km::xml::detail::encode_hex_ct(key);
  const auto text = hex.as_text().substr(0, 2 * key.size());
  for (std::size_t i = 0; i + 8 <= text.size(); i += 8) {
    fingerprint f;
    std::memcpy(f.data(), text.data() + i, 8);
    out.push_back(f);
  }
}
}  // namespace

TEST_CASE("zeroization: the dead stack after writing a KmsKeyProv document holds no key hex",
          "[hardening][zeroization][dead-stack][security-2]") {
  const auto& keys = sakke_keys::get();
  fixed_rng rng{0x3d};
  const auto eccsi_kms = skm::eccsi::kms<>::generate(rng).value();
  const auto kp = eccsi_kms.issue(bytes_of(id_text), rng).value();
  const auto rsk_bytes = skm::ec::encode_uncompressed(keys.rsk).value();
  skm::km::user_key_set u;
  u.user_uri = "sip:alice@example.org";
  u.kms_uri = "kms.example.org";
  u.period = 1;
  u.id.fill(0x5a);
  u.rsk = skm::km::secret_array<skm::km::rsk_octets>(
      std::span<const std::uint8_t, skm::km::rsk_octets>(rsk_bytes));
  u.ssk = skm::km::secret_array<skm::km::ssk_octets>(
      std::span<const std::uint8_t, skm::km::ssk_octets>(kp.ssk));
  u.pvt = kp.pvt;
  skm::km::xml::kms_key_prov_response r;
  r.header.user_uri = u.user_uri;
  r.header.kms_uri = "kms.example.org";
  r.header.time = skm::km::ntp_time{3'976'000'000, 0};  // 2025-12-30
  r.header.client_req_url = "https://kms.example.org/keymanagement/identity/v1/keyprov";
  r.key_sets.push_back(skm::km::xml::make_key_set(u));
  std::vector<fingerprint> secrets;
  add_hex_fingerprints(secrets, rsk_bytes);
  add_hex_fingerprints(secrets, kp.ssk);
  std::vector<std::uint8_t> stack(dead_stack_bytes);
  const auto doc = write_key_prov_once(r);
  snapshot_dead_stack(stack);
  INFO((doc.has_value() ? std::string() : doc.error().message()));
  REQUIRE(doc.has_value());
  // The control: the document itself holds the hex, so the fingerprints are the right ones.
  REQUIRE(contains_fingerprint(doc->span().data(), doc->span().size(), secrets));
  CHECK_FALSE(contains_fingerprint(stack.data(), stack.size(), secrets));
}
#endif
