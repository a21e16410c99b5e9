// SPDX-License-Identifier: BSD-3-Clause
// skm demo: the whole procedure in memory, narrated, every result checked.
//
//   SKM-S community -> key sets for Alice, Bob and a group management server (through the
//   Annex D XML and back, as a client receives them) -> Alice sends Bob a PCK -> the GMS sends
//   one GMK to Alice and to Bob -> each receiver verifies and extracts -> SRTP keys on both sides
//   -> the receivers' refusals (tampered, replayed, misaddressed messages).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include "cli.hpp"
#include "commands.hpp"
#include "skm/common/random.hpp"
#include "skm/km/i_message.hpp"
#include "skm/km/kms_xml.hpp"
#include "skm/km/skm_server.hpp"
#include "skm/mikey/dump.hpp"

namespace skm::cli {

namespace {

constexpr std::string_view demo_help = R"(usage: skm demo [--no-dump] [--hide-ids]

Runs the MIKEY-SAKKE key distribution of TS 33.180 end to end, in memory, with built-in
defaults and no files, and checks every result:

  1. an SKM-S (KMS) community is created: SAKKE and ECCSI master secrets, its KmsCertificate;
  2. Alice, Bob and a group management server (GMS) are provisioned for the current key
     period; each KmsKeySet goes through its XML form and is validated as a client does;
  3. Alice sends Bob a private call key (PCK) in a signed I_MESSAGE; Bob verifies and
     extracts it; both derive the SRTP master key, salt and MKI;
  4. the GMS sends one group master key (GMK) to Alice and to Bob; each recovers the GMK-ID
     from its GUK-ID;
  5. a tampered, a replayed and a misaddressed message are refused.

Each step prints who does what, sizes, key IDs and their purpose, and the time it took; the
PCK message is shown payload by payload. Exit code 0 only if every check passed.

  --no-dump     leave out the payload-by-payload dump
  --hide-ids    carry identities as UIDs (IDRuidi/IDRuidr) instead of URIs
)";

constexpr std::string_view kms_uri = "kms.demo.example.org";
constexpr std::string_view alice_uri = "sip:alice@demo.example.org";
constexpr std::string_view bob_uri = "sip:bob@demo.example.org";
constexpr std::string_view gms_uri = "sip:gms@demo.example.org";

using clock_type = std::chrono::steady_clock;

class narrator {
 public:
  /// A numbered step; its time is printed when the next one starts (or at the end).
  void step(const std::string& title) {
    finish_step();
    std::cout << "\n[" << ++steps_ << "] " << title << "\n";
    start_ = clock_type::now();
    open_ = true;
  }
  void line(const std::string& text) { std::cout << "    " << text << "\n"; }
  void check(bool ok, const std::string& what) {
    ++checks_;
    if (!ok) ++failed_;
    std::cout << "    check: " << what << (ok ? "  ok" : "  FAILED") << "\n";
  }
  /// Time spent since the step began, excluding nothing: printing is negligible next to pairings.
  void finish_step() {
    if (!open_) return;
    const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - start_).count();
    char buf[64];
    (void)std::snprintf(buf, sizeof buf, "    (%.1f ms)\n", ms);
    std::cout << buf;
    open_ = false;
  }
  [[nodiscard]] int checks() const noexcept { return checks_; }
  [[nodiscard]] int failed() const noexcept { return failed_; }

 private:
  int steps_ = 0, checks_ = 0, failed_ = 0;
  bool open_ = false;
  clock_type::time_point start_;
};

/// A timed sub-operation: returns milliseconds.
template <class F>
double timed(F&& f) {
  const auto s = clock_type::now();
  f();
  return std::chrono::duration<double, std::milli>(clock_type::now() - s).count();
}

std::string ms(double v) {
  char buf[32];
  (void)std::snprintf(buf, sizeof buf, "%.1f ms", v);
  return buf;
}

std::string id_text(km::sk_id id) {
  const auto n = km::purpose_name(id.purpose());
  return hex32(id.value()) + " (purpose tag " +
         std::to_string(static_cast<unsigned>(id.purpose())) + " = " +
         (n.empty() ? "?" : std::string(n)) + ")";
}

template <class T>
T need(result<T, km::i_message_failure> r, const std::string& what) {
  if (!r) throw failure(what + ": " + r.error().message());
  return std::move(*r);
}

/// A user's keys as its client holds them: one copy signs (and sends), one goes to its receiver.
struct client_keys {
  km::period_keys sending;
  km::period_keys receiving;
};

/// A user as a client holds it: the key set received as KmsKeyProv XML, parsed and validated.
client_keys provision(narrator& n, const km::skm_server& kms, const km::xml::kms_certificate& cert,
                      const km::community& c, std::string_view uri, std::uint64_t period,
                      os_random& rng) {
  n.step("SKM-S provisions " + std::string(uri) + " for key period " + std::to_string(period));
  km::user_key_set issued;
  const double t_issue = timed([&] {
    auto k = kms.issue(uri, period, rng);
    if (!k) throw failure("issuing " + std::string(uri) + ": " + km::describe(k.error()));
    issued = std::move(*k);
  });
  n.line("UID (TS 33.180 F.2.1)  " + to_hex(issued.id));
  n.line("RSK " + std::to_string(issued.rsk.span().size()) + " octets (SAKKE), SSK " +
         std::to_string(issued.ssk.span().size()) + " octets and PVT " +
         std::to_string(issued.pvt.size()) + " octets (ECCSI); issued and self-checked in " +
         ms(t_issue));
  km::xml::kms_key_prov_response r;
  r.header.user_uri = std::string(uri);
  r.header.kms_uri = std::string(kms_uri);
  r.header.time = now();
  r.header.client_req_url =
      "https://" + std::string(kms_uri) + "/keymanagement/identity/v1/keyprov";
  r.key_sets.push_back(km::xml::make_key_set(issued));
  const auto doc = km::xml::write_kms_key_prov(r);
  if (!doc) throw failure("writing the key set: " + doc.error().message());
  std::optional<client_keys> keys;
  const double t_client = timed([&] {
    const auto parsed = km::xml::parse_kms_key_prov(doc->as_text(), cert);
    if (!parsed) throw failure("the client rejects its key set: " + parsed.error().message());
    const auto set = km::xml::user_keys_from_key_set(parsed->key_sets.front(), cert);
    if (!set) throw failure("the client rejects its key set: " + set.error().message());
    keys.emplace(client_keys{need(km::period_keys::create(c, *set), "the client's key set"),
                             need(km::period_keys::create(c, *set), "the client's key set")});
  });
  n.line(
      "KmsKeyProv XML " + std::to_string(doc->size()) +
      " octets; the client parsed it and validated the keys (RFC 6508 §6.1.2, RFC 6507 §5.1.2) in " +
      ms(t_client));
  n.check(keys->sending.id() == issued.id,
          "the client's UID recomputed from URI, KMS and period equals the issued one");
  return std::move(*keys);
}

struct srtp_summary {
  std::string key, salt, mki;
  friend bool operator==(const srtp_summary&, const srtp_summary&) = default;
};

template <class M>
srtp_summary srtp_of(const M& m, std::uint8_t cs_id, km::key_purpose purpose, km::sk_id key_id) {
  const auto s = km::session_keys(m, cs_id);
  if (!s) throw failure(std::string("SRTP derivation: ") + km::describe(s.error()));
  return {to_hex(s->key.span()), to_hex(s->salt.span()),
          to_hex(km::mki(purpose, key_id, m.csb_id))};
}

void show_srtp(narrator& n, const std::string& who, std::uint8_t cs_id, const srtp_summary& s) {
  n.line(who + " SRTP (CS " + std::to_string(cs_id) + "): master key " + s.key + ", master salt " +
         s.salt + ", MKI " + s.mki);
}

/// A receiver's refusal of `m` (from Alice, the demo's only private-call initiator), checked for
/// the expected reason.
void check_refused(narrator& n, km::i_message_receiver& rx, const std::vector<std::uint8_t>& m,
                   km::i_message_error expected, const std::string& what, km::ntp_time t) {
  const auto r = rx.process(m, t, {.candidate_uris = {std::string(alice_uri)}});
  const bool ok = !r && r.error().code == expected;
  n.check(ok, what + ": " + (r ? std::string("accepted") : r.error().message()));
}

/// The community as the SKM-S holds it and as a client received its certificate.
struct demo_community {
  std::optional<km::skm_server> server;
  km::xml::kms_certificate cert;
  std::optional<km::community> community;
  std::uint64_t period = 0;
};

/// Step 1: the SKM-S creates the community; a client parses and validates its certificate.
demo_community create_community(narrator& n, os_random& rng, km::ntp_time t) {
  const km::key_period_schedule schedule{2592000, 0};
  demo_community d;
  n.step("SKM-S creates the community " + std::string(kms_uri));
  auto server = km::skm_server::generate({std::string(kms_uri), schedule}, rng);
  if (!server)
    throw failure(std::string("creating the community: ") + km::describe(server.error()));
  d.server.emplace(std::move(*server));
  const auto period = d.server->period_at(t);
  if (!period) throw failure(std::string("key period: ") + km::describe(period.error()));
  d.period = *period;
  n.line("key period " + std::to_string(schedule.length_seconds) +
         " s from 1900-01-01; now in period " + std::to_string(*period));
  n.line("Z    (SAKKE KMS public key, parameter set 1) " +
         std::to_string(d.server->public_values().z.size()) + " octets");
  n.line("KPAK (ECCSI KMS public authentication key)   " +
         std::to_string(d.server->public_values().kpak.size()) + " octets");
  km::xml::kms_init_response init;
  init.header.user_uri = std::string(kms_uri);
  init.header.kms_uri = std::string(kms_uri);
  init.header.time = t;
  init.header.client_req_url =
      "https://" + std::string(kms_uri) + "/keymanagement/identity/v1/init";
  init.certificate =
      km::xml::make_certificate(d.server->public_values(), std::string(kms_uri) + ".root");
  const auto cert_xml = km::xml::write_kms_init(init);
  if (!cert_xml) throw failure("writing the certificate: " + cert_xml.error().message());
  const double t_cert = timed([&] {
    auto parsed = km::xml::parse_kms_init(*cert_xml);
    if (!parsed) throw failure("the client rejects the certificate: " + parsed.error().message());
    d.cert = std::move(parsed->certificate);
    const auto values = km::xml::community_from_certificate(d.cert);
    if (!values) throw failure("the client rejects the certificate: " + values.error().message());
    d.community.emplace(need(km::community::create(*values), "the community"));
  });
  n.line("KmsCertificate XML " + std::to_string(cert_xml->size()) +
         " octets; a client parsed it and validated Z (order q) and KPAK in " + ms(t_cert));
  n.check(d.community->values().z == d.server->public_values().z &&
              d.community->values().kpak == d.server->public_values().kpak,
          "the certificate carries the KMS's Z and KPAK");
  return d;
}

/// Steps 3 and 4: Alice sends Bob a PCK, Bob opens it; both derive the SRTP keys.
km::i_message private_call(narrator& n, const km::community& c, const km::period_keys& alice,
                           km::i_message_receiver& bob_rx, km::identity_form identities,
                           km::ntp_time t, os_random& rng) {
  n.step("Alice sends Bob a private call key (PCK)");
  km::i_message_options pck_opt;
  pck_opt.purpose = km::key_purpose::pck;
  pck_opt.identities = identities;
  std::optional<km::i_message> pck;
  const double t_pck = timed([&] {
    pck.emplace(
        need(km::create_i_message(alice, c, bob_uri, c, t, pck_opt, rng), "Alice's I_MESSAGE"));
  });
  n.line("I_MESSAGE " + std::to_string(pck->bytes.size()) +
         " octets (SAKKE encapsulation to Bob's UID, ECCSI signature with Alice's) in " +
         ms(t_pck));
  n.line("PCK     " + to_hex(pck->key.span()));
  n.line("PCK-ID  " + id_text(pck->key_id));
  n.line("SDP     a=key-mgmt:" + key_mgmt_value(pck->bytes).substr(0, 60) + "...");

  n.step("Bob verifies and extracts the PCK");
  auto tampered = pck->bytes;
  tampered[tampered.size() - 70] ^= 0x01;  // one bit of the signature's s
  check_refused(n, bob_rx, tampered, km::i_message_error::signature_invalid,
                "a copy with one bit flipped in the signature is refused", t);
  std::optional<km::received_key> bob_pck;
  const double t_open = timed([&] {
    bob_pck.emplace(
        need(bob_rx.process(pck->bytes, t, {.candidate_uris = {std::string(alice_uri)}}),
             "Bob rejects Alice's I_MESSAGE"));
  });
  n.line(
      "signature verified and SAKKE payload opened in " + ms(t_open) + "; initiator " +
      (bob_pck->initiator_uri ? *bob_pck->initiator_uri : "UID " + to_hex(bob_pck->initiator_uid)));
  n.check(bob_pck->key.ct_equal(pck->key.span()).declassify(), "Bob's PCK equals Alice's");
  n.check(bob_pck->key_id == pck->key_id && bob_pck->purpose == km::key_purpose::pck,
          "Bob's PCK-ID " + hex32(bob_pck->key_id.value()) + " and purpose PCK");
  n.check(bob_pck->initiator_uid == alice.id(), "the signer is Alice's UID for this key period");
  const auto alice_srtp = srtp_of(*pck, 0, pck->purpose, pck->key_id);
  const auto bob_srtp = srtp_of(*bob_pck, 0, bob_pck->purpose, bob_pck->key_id);
  show_srtp(n, "Alice", 0, alice_srtp);
  show_srtp(n, "Bob  ", 0, bob_srtp);
  n.check(alice_srtp == bob_srtp, "both ends derive the same SRTP master key, salt and MKI");
  return std::move(*pck);
}

/// The two GMK messages of step 5: one GMK and GMK-ID for every member.
std::pair<km::i_message, km::i_message> send_group_key(narrator& n, const km::community& c,
                                                       const km::period_keys& gms,
                                                       km::identity_form identities, km::ntp_time t,
                                                       os_random& rng) {
  n.step("The GMS sends one group master key (GMK) to Alice and to Bob");
  km::i_message_options gmk_opt;
  gmk_opt.purpose = km::key_purpose::gmk;
  gmk_opt.identities = identities;
  std::optional<km::i_message> to_alice, to_bob;
  const double t_gmk = timed([&] {
    to_alice.emplace(need(km::create_i_message(gms, c, alice_uri, c, t, gmk_opt, rng),
                          "the GMS's I_MESSAGE to Alice"));
    gmk_opt.key = to_alice->key.span();  // the same GMK and GMK-ID for every member
    gmk_opt.key_id = to_alice->key_id;
    to_bob.emplace(need(km::create_i_message(gms, c, bob_uri, c, t, gmk_opt, rng),
                        "the GMS's I_MESSAGE to Bob"));
  });
  n.line("two I_MESSAGEs of " + std::to_string(to_alice->bytes.size()) + " and " +
         std::to_string(to_bob->bytes.size()) + " octets in " + ms(t_gmk));
  n.line("GMK     " + to_hex(to_alice->key.span()));
  n.line("GMK-ID  " + id_text(to_alice->key_id));
  n.line("GUK-ID for Alice " + hex32(to_alice->csb_id.value()) + ", for Bob " +
         hex32(to_bob->csb_id.value()) + " (GMK-ID xor a per-user salt)");
  return {std::move(*to_alice), std::move(*to_bob)};
}

/// Step 6: each member opens its GMK message and derives the group call's SRTP keys.
void open_group_key(narrator& n, const km::i_message& to_alice, const km::i_message& to_bob,
                    km::i_message_receiver& alice_rx, km::i_message_receiver& bob_rx,
                    km::ntp_time t) {
  n.step("Alice and Bob verify and extract the GMK");
  std::optional<km::received_key> alice_gmk, bob_gmk;
  const double t_gopen = timed([&] {
    const km::initiator_binding from_gms{.candidate_uris = {std::string(gms_uri)}};
    alice_gmk.emplace(
        need(alice_rx.process(to_alice.bytes, t, from_gms), "Alice rejects the GMS's I_MESSAGE"));
    bob_gmk.emplace(
        need(bob_rx.process(to_bob.bytes, t, from_gms), "Bob rejects the GMS's I_MESSAGE"));
  });
  n.line("both opened in " + ms(t_gopen));
  n.check(alice_gmk->key.ct_equal(to_alice.key.span()).declassify() &&
              bob_gmk->key.ct_equal(to_alice.key.span()).declassify(),
          "Alice and Bob hold the GMK the GMS sent");
  n.check(alice_gmk->key_id == to_alice.key_id && bob_gmk->key_id == to_alice.key_id &&
              alice_gmk->purpose == km::key_purpose::gmk,
          "both recovered GMK-ID " + hex32(to_alice.key_id.value()) + " from their GUK-IDs");
  n.check(alice_gmk->cs_ids == std::vector<std::uint8_t>{km::cs_id_mcptt_group_call} &&
              bob_gmk->cs_ids == alice_gmk->cs_ids,
          "crypto session " + std::to_string(km::cs_id_mcptt_group_call) +
              " (MCPTT group call) announced to both");
  const auto cs = km::cs_id_mcptt_group_call;
  const auto gms_for_alice = srtp_of(to_alice, cs, km::key_purpose::gmk, to_alice.key_id);
  const auto alice_g = srtp_of(*alice_gmk, cs, alice_gmk->purpose, alice_gmk->key_id);
  const auto gms_for_bob = srtp_of(to_bob, cs, km::key_purpose::gmk, to_bob.key_id);
  const auto bob_g = srtp_of(*bob_gmk, cs, bob_gmk->purpose, bob_gmk->key_id);
  show_srtp(n, "Alice", cs, alice_g);
  show_srtp(n, "Bob  ", cs, bob_g);
  n.line(
      "(the SRTP keys follow from the GMK, the message's RAND and its CSB ID, the receiver's GUK-ID: one message, one set)");
  n.check(gms_for_alice == alice_g && gms_for_bob == bob_g,
          "the GMS derives the same SRTP keys as each receiver from its message");
}

void add_keys(km::i_message_receiver& rx, km::period_keys keys, const std::string& who) {
  if (auto r = rx.add_keys(std::move(keys)); !r)
    throw failure(who + "'s receiver: " + r.error().message());
}

}  // namespace

int run_demo(std::span<char* const> args) {
  const arguments a(args, {{"no-dump", false}, {"hide-ids", false}}, "demo");
  if (a.help()) {
    std::cout << demo_help;
    return exit_ok;
  }
  a.no_positionals();
  const auto total_start = clock_type::now();
  narrator n;
  os_random rng;
  const km::ntp_time t = now();
  std::cout
      << "skm demo: MIKEY-SAKKE key distribution (RFC 6507, 6508, 6509; TS 33.180) end to end, in memory\n";
  std::cout << "time " << iso(t) << " (NTP " << t.seconds << ")\n";

  const auto d = create_community(n, rng, t);
  const auto& c = *d.community;
  auto alice_keys = provision(n, *d.server, d.cert, c, alice_uri, d.period, rng);
  auto bob_keys = provision(n, *d.server, d.cert, c, bob_uri, d.period, rng);
  auto gms_keys = provision(n, *d.server, d.cert, c, gms_uri, d.period, rng);
  km::i_message_receiver bob_rx{std::string(bob_uri)};
  km::i_message_receiver alice_rx{std::string(alice_uri)};
  bob_rx.trust(c);
  alice_rx.trust(c);
  add_keys(bob_rx, std::move(bob_keys.receiving), "Bob");
  add_keys(alice_rx, std::move(alice_keys.receiving), "Alice");
  const auto identities =
      a.flag("hide-ids") ? km::identity_form::hashed_uid : km::identity_form::uri;

  const auto pck = private_call(n, c, alice_keys.sending, bob_rx, identities, t, rng);
  const auto [to_alice, to_bob] = send_group_key(n, c, gms_keys.sending, identities, t, rng);
  open_group_key(n, to_alice, to_bob, alice_rx, bob_rx, t);

  n.step("The receivers refuse replayed and misaddressed messages");
  check_refused(n, bob_rx, pck.bytes, km::i_message_error::replayed,
                "Alice's message to Bob, a second time", t);
  check_refused(n, alice_rx, pck.bytes, km::i_message_error::wrong_recipient,
                "Alice's message to Bob, given to Alice", t);
  n.finish_step();

  if (!a.flag("no-dump")) {
    std::cout << "\nThe PCK I_MESSAGE, payload by payload:\n\n";
    const auto m = mikey::parse_message(pck.bytes);
    if (!m) throw failure("the demo's own message does not parse: " + mikey::to_string(m.error()));
    std::cout << mikey::dump(*m);
  }

  const double total = std::chrono::duration<double>(clock_type::now() - total_start).count();
  char summary[160];
  (void)std::snprintf(summary, sizeof summary, "\n%d of %d checks passed in %.2f s\n",
                      n.checks() - n.failed(), n.checks(), total);
  std::cout << summary;
  if (n.failed() != 0) throw failure(std::to_string(n.failed()) + " demo check(s) failed");
  return exit_ok;
}

}  // namespace skm::cli
