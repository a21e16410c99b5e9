// SPDX-License-Identifier: BSD-3-Clause
// Group rekeying throughput of the GMS (km/gms.hpp): one GMK to every member of a 3,000-member
// group, one I_MESSAGE each (a SAKKE encapsulation to a new recipient and an ECCSI signature per
// member), on one thread and on every core. Prints, medians of rounds,
//   THROUGHPUT op=gms_rekey members=3000 threads=<n> per_s=<members per second>
// then where one member's time goes (alone, and in the batches of 64 the GMS encapsulates). A few
// messages are opened by their members after the timed rounds (the test suite opens every one,
// tests/km/test_gms.cpp).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "../support/timing.hpp"
#include "skm/km/gms.hpp"
#include "skm/km/skm_server.hpp"

namespace {

using namespace skm::km;
using clock_type = std::chrono::steady_clock;

[[noreturn]] void fail(const char* what) {
  (void)std::fprintf(stderr, "bench_gms: %s failed\n", what);
  std::exit(1);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

constexpr std::size_t group_size = 3000;
constexpr ntp_time now{3'900'000'000ull, 0};

int bench_gms() {
  skm::os_random rng;
  const auto kms = skm_server::generate({"kms.example.org", {2592000, 0}}, rng);
  if (!kms) fail("generate");
  const auto c = community::create(kms->public_values());
  if (!c) fail("community");
  const auto period = kms->period_at(now).value();
  const auto gms_set = kms->issue("sip:gms@example.org", period, rng, issue_check::consistency);
  if (!gms_set) fail("issue");
  auto own = period_keys::create(*c, *gms_set);
  if (!own) fail("period_keys");
  std::vector<period_keys> keys;
  keys.push_back(std::move(*own));
  const auto gms = gms::server::create(std::move(keys), *c);
  if (!gms) fail("gms");
  gms::group group{"sip:group@example.org", {}, {}};
  for (std::size_t i = 0; i < group_size; ++i)
    group.members.push_back({"sip:member" + std::to_string(i) + "@example.org", {}});
  const auto key = gms::gmk::generate({group.served_ids(), {}, {}, ""}, rng);
  if (!key) fail("gmk");

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::vector<unsigned> thread_counts{1};
  if (cores > 1) thread_counts.push_back(cores);
  {  // warm up the shared tables (P, Z, g) and the caches
    const std::vector<gms::member> few(group.members.begin(), group.members.begin() + 20);
    if (gms->distribute(few, *key, now).value().failed != 0) fail("warm-up");
  }
  std::vector<std::vector<double>> rates(thread_counts.size());
  gms::distribution last;
  for (int round = 0; round < 3; ++round)
    for (std::size_t i = 0; i < thread_counts.size(); ++i) {
      const auto t0 = clock_type::now();
      auto d = gms->distribute(group, *key, now, {.threads = thread_counts[i]});
      const double s = std::chrono::duration<double>(clock_type::now() - t0).count();
      if (!d || d->failed != 0) fail("distribute");
      rates[i].push_back(static_cast<double>(group_size) / s);
      last = std::move(*d);
    }
  for (std::size_t i = 0; i < thread_counts.size(); ++i)
    std::printf("THROUGHPUT op=gms_rekey members=%zu threads=%u per_s=%.1f\n", group_size,
                thread_counts[i], median(rates[i]));

  // Outside the timed rounds: members open their messages.
  for (const std::size_t i : {std::size_t{0}, group_size / 2, group_size - 1}) {
    const auto& m = last.members[i];
    i_message_receiver r(m.uri);
    r.trust(*c);
    const auto set = kms->issue(m.uri, period, rng, issue_check::consistency);
    if (!set || !r.add_keys(period_keys::create(*c, *set).value())) fail("member keys");
    const auto k = r.process(m.bytes, now);
    if (!k || !k->key.ct_equal(key->key()).declassify() || k->key_id != key->id())
      fail("a member opening its message");
  }

  // One member's time: the whole message, and its two public-key operations.
  const auto id = c->uid_of("sip:member1@example.org", period).value();
  const auto& me = *gms->keys_at(now).value();
  i_message_options opt;
  opt.purpose = key_purpose::gmk;
  opt.key = key->key();
  opt.key_id = key->id();
  opt.parameters = key->parameters();
  const std::vector<std::uint8_t> some_bytes(300, 0x5a);
  // The GMS's batch: 64 members' identifiers encapsulated together (timed per batch).
  std::vector<identifier> batch_ids;
  for (std::size_t i = 0; i < 64; ++i)
    batch_ids.push_back(c->identity_of(
        c->uid_of("sip:member" + std::to_string(i) + "@example.org", period).value()));
  const std::vector<std::span<const std::uint8_t>> batch_spans(batch_ids.begin(), batch_ids.end());
  const auto s = skm::bench::interleaved(
      {
          [&] {
            skm::bench::keep(
                create_i_message(me, *c, "sip:member1@example.org", *c, now, opt, rng));
          },
          [&] {
            skm::bench::keep(skm::sakke::encapsulate(c->z(), c->identity_of(id), key->key()));
          },
          [&] { skm::bench::keep(me.signer().sign(some_bytes, rng)); },
          [&] { skm::bench::keep(skm::sakke::encapsulate_batch(c->z(), batch_spans, key->key())); },
      },
      5, 20);
  skm::bench::print_row("gms_rekey: one member's I_MESSAGE", s[0]);
  skm::bench::print_row("  SAKKE encapsulation, new recipient", s[1]);
  skm::bench::print_row("  ECCSI signature", s[2]);
  auto per_member = s[3];  // the batch's figures divided by its 64 members
  per_member.median_us /= 64;
  per_member.min_us /= 64;
  per_member.max_us /= 64;
  skm::bench::print_row("  SAKKE encapsulation, per member of 64", per_member);
  return 0;
}

}  // namespace

int main() {
  // An exception is a failure reported as such, not a std::terminate.
  try {
    return bench_gms();
  } catch (const std::exception& e) {
    (void)std::fprintf(stderr, "bench_gms: %s\n", e.what());
    return 1;
  }
}
