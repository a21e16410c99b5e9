// SPDX-License-Identifier: BSD-3-Clause
// skm imsg create / skm imsg open: MIKEY-SAKKE I_MESSAGEs with keys from KMS XML files.
#include <algorithm>
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "skm/common/random.hpp"
#include "skm/km/i_message.hpp"
#include "skm/km/kms_xml.hpp"

namespace skm::cli {

namespace {

constexpr std::string_view create_help =
    R"(usage: skm imsg create --cert CERT.xml --keyset SENDER.xml --to URI [--to-cert CERT.xml]
                        [--purpose PCK|GMK|CSK|MuSiK|SPK|MKFC|MSCCK] [--key HEX] [--key-id HEX]
                        [--hide-ids] [--sakke-to-self] [--sp] [--time NTP_SECONDS | --date ISO-8601]
                        [--sign-without-sign-header] [--json]

Builds a MIKEY-SAKKE I_MESSAGE (RFC 6509, TS 33.180 Annex E) from the sender in SENDER.xml to
URI: the key is SAKKE-encapsulated to URI's UID for the key period of the message time and the
message is ECCSI-signed with the sender's keys for that period. Prints 'mikey <base64>', the
value of an SDP a=key-mgmt: line.

  --cert CERT.xml      the sender's community (KmsResponse/KmsInit or a KmsCertificate)
  --keyset FILE        the sender's KmsKeyProv document; the key set for the key period of the
                       message time is used
  --to URI             the receiver
  --to-cert CERT.xml   the receiver's community, when it is another KMS
  --purpose NAME       what the key is for; default PCK, or the purpose tag of --key-id
  --key HEX            the 16-octet key to send; default: a fresh random key
  --key-id HEX         its 4-octet ID (purpose tag in the top 4 bits); default: random
  --hide-ids           carry both identities as UIDs (IDRuidi/IDRuidr, TS 33.180 E.7)
  --sakke-to-self      also encapsulate the key to the sender (TS 33.180 E.5)
  --sp                 include the SRTP security policy payload
  --time NTP_SECONDS   the message time (default: now)
  --date ISO-8601      the message time
  --sign-without-sign-header
                       NOT RFC 3830, for interop testing: sign the bytes before the SIGN
                       payload without its 2-byte header, as some deployed products do
  --json               a JSON object with the message and what the sender keeps (the key!)
)";

constexpr std::string_view open_help =
    R"(usage: skm imsg open --cert CERT.xml --keyset RECEIVER.xml [--from-cert CERT.xml] [--from-uri URI]
                      [--at NTP_SECONDS] [--strict-time] [--accept-signature-without-sign-header]
                      [--key-period-tolerance 0|1] [--json] MESSAGE

Checks and opens an I_MESSAGE as its receiver: the TS 33.180 profile, the KMSs, that it is
addressed to the receiver, the ECCSI signature of the initiator (its UID for the key period of
the message time, under the initiator's KPAK), the SAKKE payload (with the receiver's RSK for
that period), the key IDs (GMK: the GUK-ID, from which the GMK-ID is recovered) and the key
parameters. Prints the initiator, responder, purpose, key, key IDs, key period and the SRTP
master key, salt and MKI of each crypto session.

The key period comes from the message's timestamp, so captured messages of any age open. Their
freshness against the clock (or --at) is reported (the receiver's window is 300 s either way):
a warning on stderr, 'fresh' in JSON; it is fatal only with --strict-time.

  --cert CERT.xml       the receiver's community
  --keyset FILE         the receiver's KmsKeyProv document (one or more key periods)
  --from-cert CERT.xml  the initiator's community, when it is another KMS
  --from-uri URI        for a hidden initiator (IDRuidi): check that URI is the initiator
  --at NTP_SECONDS      judge freshness against this time instead of the clock
  --strict-time         refuse a message outside the freshness window
  --json                one JSON object (verified, fresh, purpose, key, key_id, csb_id,
                        initiator, responder, key_period_no, signature_form, srtp, ...); on a
                        failed check {"verified": false, "error": ...} and exit code 1

Interop options (off by default; each accepts messages the specifications reject):
  --accept-signature-without-sign-header
                        also accept an ECCSI signature over the bytes before the SIGN payload
                        without its 2-byte header, as some deployed products sign. Risk: the
                        header is not signed, and forgeries cost twice the verifications
  --key-period-tolerance N
                        0 (default) or 1: with 1, also try the key periods either side of the
                        period of T (own key sets held, the initiator's UID), for a peer one
                        period off at a period boundary. Risk: a key set is accepted one period
                        beyond its validity

MESSAGE: 'mikey BASE64', an 'a=key-mgmt:mikey ...' line, bare base64, hex, or @FILE (@-: stdin).
)";

// ---------------------------------------------------------------------------------------------
// Files

/// A community from KmsResponse/KmsInit or a bare KmsCertificate, keys validated.
struct community_file {
  km::xml::kms_certificate certificate;
  km::community community;
};

community_file load_certificate(const std::string& path) {
  // Structure here; the keys are validated by community_from_certificate (and community::create).
  const auto text = read_file(path);
  auto init = km::xml::parse_kms_init(text, km::xml::no_curve_checks{});
  km::xml::kms_certificate cert;
  if (init) {
    cert = std::move(init->certificate);
  } else if (init.error().code == km::xml::xml_error::wrong_root_element) {
    auto bare = km::xml::parse_kms_certificate(text, km::xml::no_curve_checks{});
    if (!bare) throw failure(path + ": " + bare.error().message());
    cert = std::move(*bare);
  } else {
    throw failure(path + ": " + init.error().message());
  }
  const auto values = km::xml::community_from_certificate(cert);
  if (!values) throw failure(path + ": " + values.error().message());
  auto c = km::community::create(*values);
  if (!c) throw failure(path + ": " + c.error().message());
  return {std::move(cert), std::move(*c)};
}

/// Every key set of a KmsKeyProv document, validated against the community (UserID, RSK, SSK/PVT).
std::vector<km::period_keys> load_key_sets(const std::string& path, const community_file& c) {
  // Structure here; user_keys_from_key_set validates each set (UserID, RSK, SSK/PVT) against
  // the certificate, and period_keys::create checks again as it prepares the keys.
  const auto text = read_file(path);
  auto doc = km::xml::parse_kms_key_prov_unvalidated(text);
  if (!doc) throw failure(path + ": " + doc.error().message());
  if (doc->key_sets.empty()) throw failure(path + " holds no KmsKeySet");
  std::vector<km::period_keys> out;
  for (const auto& set : doc->key_sets) {
    const auto keys = km::xml::user_keys_from_key_set(set, c.certificate);
    if (!keys) throw failure(path + ": " + keys.error().message());
    auto p = km::period_keys::create(c.community, *keys);
    if (!p) throw failure(path + ": " + p.error().message());
    if (!out.empty() && p->user_uri() != out.front().user_uri())
      throw failure(path + " holds key sets of two users (" + out.front().user_uri() + ", " +
                    p->user_uri() + ")");
    out.push_back(std::move(*p));
  }
  return out;
}

std::string periods_of(const std::vector<km::period_keys>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : ", ") + std::to_string(k.period());
  return s;
}

std::string purpose_text(km::key_purpose p) {
  const auto n = km::purpose_name(p);
  return n.empty() ? "purpose " + std::to_string(static_cast<unsigned>(p)) : std::string(n);
}

struct srtp_keys {
  std::uint8_t cs_id;
  std::string key, salt, mki;
};

std::vector<srtp_keys> derive_srtp(const km::received_key& k) {
  std::vector<std::uint8_t> cs_ids = k.cs_ids;
  if (cs_ids.empty()) cs_ids.push_back(0);  // an empty CS ID map: the one session, CS ID 0
  std::vector<srtp_keys> out;
  for (const auto cs : cs_ids) {
    const auto m = km::session_keys(k, cs);
    if (!m) throw failure(std::string("cannot derive the SRTP keys: ") + km::describe(m.error()));
    out.push_back({cs, to_hex(m->key.span()), to_hex(m->salt.span()),
                   to_hex(km::mki(k.purpose, k.key_id, k.csb_id))});
  }
  return out;
}

}  // namespace

int run_imsg_create(std::span<char* const> args) {
  const arguments a(args,
                    {{"cert"},
                     {"keyset"},
                     {"to"},
                     {"to-cert"},
                     {"purpose"},
                     {"key"},
                     {"key-id"},
                     {"hide-ids", false},
                     {"sakke-to-self", false},
                     {"sp", false},
                     {"time"},
                     {"date"},
                     {"sign-without-sign-header", false},
                     {"json", false}},
                    "imsg create");
  if (a.help()) {
    std::cout << create_help;
    return exit_ok;
  }
  a.no_positionals();
  const auto to = a.required("to");
  const auto cert_path = a.required("cert");
  const auto keyset_path = a.required("keyset");

  // Options first (cheap), files and curve arithmetic after.
  km::i_message_options opt;
  std::vector<std::uint8_t> key;
  if (const auto k = a.value("key")) {
    auto bytes = from_hex(*k);
    if (!bytes || bytes->size() != 16) throw a.error("--key must be 32 hex digits (16 octets)");
    key = std::move(*bytes);
    opt.key = key;
  }
  if (const auto id = a.value("key-id")) {
    const auto bytes = from_hex(*id);
    if (!bytes || bytes->size() != 4) throw a.error("--key-id must be 8 hex digits (4 octets)");
    opt.key_id = km::sk_id::from_bytes(*bytes).value();
    opt.purpose = opt.key_id->purpose();
  }
  if (const auto p = a.value("purpose")) {
    const auto purpose = km::purpose_from_name(*p);
    if (!purpose)
      throw a.error("unknown --purpose '" + *p + "' (PCK, GMK, CSK, MuSiK, SPK, MKFC or MSCCK)");
    if (opt.key_id && opt.key_id->purpose() != *purpose)
      throw a.error("--key-id " + hex32(opt.key_id->value()) + " carries purpose tag " +
                    purpose_text(opt.key_id->purpose()) + ", not " + *p);
    opt.purpose = *purpose;
  }
  opt.identities = a.flag("hide-ids") ? km::identity_form::hashed_uid : km::identity_form::uri;
  opt.sakke_to_self = a.flag("sakke-to-self");
  opt.security_policy = a.flag("sp");
  const auto t = time_argument(a, "time", "date", now());

  const auto mine = load_certificate(cert_path);
  const auto keys = load_key_sets(keyset_path, mine);
  const auto period = mine.community.period_at(t);
  if (!period) throw failure("no key period for " + iso(t) + ": " + period.error().message());
  const km::period_keys* me = nullptr;
  for (const auto& k : keys)
    if (k.period() == *period) me = &k;
  if (me == nullptr)
    throw failure(keyset_path + " has no key set for key period " + std::to_string(*period) +
                  " (the period of " + iso(t) + "); it holds period(s) " + periods_of(keys));
  std::optional<community_file> other;
  if (const auto p = a.value("to-cert")) other = load_certificate(*p);
  const km::community& theirs = other ? other->community : mine.community;

  os_random rng;
  auto m = km::create_i_message(*me, mine.community, to, theirs, t, opt, rng);
  if (!m) throw failure("cannot create the I_MESSAGE: " + m.error().message());
  const bool without_sign_header = a.flag("sign-without-sign-header");
  if (without_sign_header) {
    // Interop testing only: the signature some deployed products compute (not RFC 3830 §5.2),
    // over the bytes before the SIGN payload; it replaces the last octets, the signature.
    const auto view = mikey::parse_message(m->bytes);
    if (!view) throw failure("cannot re-parse the I_MESSAGE: " + mikey::to_string(view.error()));
    const auto range = view->signed_range_without_sign_header_compat();
    if (!range) throw failure("cannot re-parse the I_MESSAGE: " + mikey::to_string(range.error()));
    const auto signature = me->signer().sign(*range, rng);
    if (!signature)
      throw failure(std::string("ECCSI signing failed: ") + eccsi::describe(signature.error()));
    std::copy(signature->begin(), signature->end(),
              m->bytes.end() - static_cast<std::ptrdiff_t>(signature->size()));
  }
  const auto value = key_mgmt_value(m->bytes);
  if (!a.flag("json")) {
    std::cout << value << "\n";
    return exit_ok;
  }
  json j;
  j.begin_object()
      .field("message", value)
      .field("size", std::uint64_t{m->bytes.size()})
      .field("initiator", me->user_uri())
      .field("responder", to)
      .field("purpose", purpose_text(m->purpose))
      .field("key", to_hex(m->key.span()))
      .field("key_id", hex32(m->key_id.value()))
      .field("csb_id", hex32(m->csb_id.value()))
      .field("rand", to_hex(m->rand))
      .field("time", iso(m->time))
      .field("ntp_seconds", m->time.seconds)
      .field("key_period_no", me->period())
      .field("signature_form", without_sign_header ? "without-sign-header" : "rfc3830")
      .end_object();
  std::cout << j.text() << "\n";
  return exit_ok;
}

int run_imsg_open(std::span<char* const> args) {
  const arguments a(args,
                    {{"cert"},
                     {"keyset"},
                     {"from-cert"},
                     {"from-uri"},
                     {"at"},
                     {"strict-time", false},
                     {"accept-signature-without-sign-header", false},
                     {"key-period-tolerance"},
                     {"json", false}},
                    "imsg open");
  if (a.help()) {
    std::cout << open_help;
    return exit_ok;
  }
  // The interop options of the receiver (see receiver_options for their risks).
  km::receiver_options options;
  options.accept_signature_without_sign_header = a.flag("accept-signature-without-sign-header");
  if (const auto n = a.value("key-period-tolerance")) {
    if (*n != "0" && *n != "1")
      throw a.error("--key-period-tolerance must be 0 or 1, not '" + *n + "'");
    options.key_period_tolerance = *n == "1" ? 1 : 0;
  }
  const auto cert_path = a.required("cert");
  const auto keyset_path = a.required("keyset");
  const bool as_json = a.flag("json");
  const auto clock = a.has("at") ? km::ntp_time{a.u64("at"), 0} : now();
  const auto bytes = read_message(a);

  // The message's own time: the receiver is asked to open it "as of" that time, so that old
  // captures open; freshness against the real clock is judged here.
  const auto parsed = mikey::parse_message(bytes);
  if (!parsed) throw failure("not a valid MIKEY message: " + mikey::to_string(parsed.error()));
  const auto* t = parsed->t();
  if (t == nullptr) throw failure("not a MIKEY-SAKKE I_MESSAGE: no T payload");
  const km::ntp_time sent = km::from_ntp_wire(t->value, clock);
  const km::replay_policy window{};
  const bool too_old = sent.seconds + window.max_age_seconds < clock.seconds;
  const bool in_future = sent.seconds > clock.seconds + window.max_future_skew_seconds;
  const bool fresh = !too_old && !in_future;
  std::optional<std::string> stale;  // reported once the message has opened
  if (!fresh) {
    const auto distance = too_old ? clock.seconds - sent.seconds : sent.seconds - clock.seconds;
    const std::string where = "message time " + iso(sent) + " lies " + std::to_string(distance) +
                              " s " + (too_old ? "before" : "after") + " " +
                              (a.has("at") ? "--at" : "the clock") + " " + iso(clock) +
                              " (window " + std::to_string(window.max_age_seconds) + " s)";
    if (a.flag("strict-time")) throw failure(where + "; refused (--strict-time)");
    stale = where;
  }

  const auto mine = load_certificate(cert_path);
  auto keys = load_key_sets(keyset_path, mine);
  std::optional<community_file> other;
  if (const auto p = a.value("from-cert")) other = load_certificate(*p);

  km::i_message_receiver receiver(keys.front().user_uri(), options);
  receiver.trust(mine.community);
  if (other) {
    if (other->community.kms_uri() != mine.community.kms_uri())
      receiver.trust(other->community);
    else if (other->community.values().z != mine.community.values().z ||
             other->community.values().kpak != mine.community.values().kpak)
      throw failure("--cert and --from-cert name the same KMS " + mine.community.kms_uri() +
                    " with different public keys");
  }
  for (auto& k : keys)
    if (const auto r = receiver.add_keys(std::move(k)); !r)
      throw failure(keyset_path + ": " + r.error().message());

  auto fail = [&](const std::string& why) -> failure {
    if (as_json) {
      json j;
      j.begin_object()
          .field("verified", false)
          .field("fresh", fresh)
          .field("error", why)
          .end_object();
      std::cout << j.text() << "\n";
    }
    return failure(why);
  };
  // Hidden initiators: released unconfirmed here and confirmed by --from-uri below, as before
  // (the library now refuses them by default; the CLI's own flag for it is still to come).
  const auto k = receiver.process(bytes, sent, {.accept_unconfirmed = true});
  if (!k) throw fail("I_MESSAGE rejected: " + k.error().message());
  const std::string initiator_uid = to_hex(k->initiator_uid);
  std::optional<std::string> initiator = k->initiator_uri;
  std::optional<std::uint64_t> initiator_period = k->initiator_period;
  if (const auto uri = a.value("from-uri")) {
    const community_file& theirs = other ? *other : mine;
    const auto r = km::confirm_initiator(*k, *uri, theirs.community, options.key_period_tolerance);
    if (!r) throw fail("--from-uri: " + r.error().message());
    initiator = *uri;
    initiator_period = *r;
  }
  const char* const signature_form =
      k->signature_without_sign_header ? "without-sign-header" : "rfc3830";
  const auto srtp = derive_srtp(*k);
  if (stale) std::cerr << "skm: warning: " << *stale << "; opened anyway\n";
  const bool group = k->purpose == km::key_purpose::gmk;

  if (as_json) {
    json j;
    j.begin_object()
        .field("verified", true)
        .field("fresh", fresh)
        .field("purpose", purpose_text(k->purpose));
    j.field("key", to_hex(k->key.span()))
        .field("key_id", hex32(k->key_id.value()))
        .field("csb_id", hex32(k->csb_id.value()));
    if (group)
      j.field("guk_id", hex32(k->csb_id.value())).field("gmk_id", hex32(k->key_id.value()));
    j.key("initiator");
    if (initiator)
      j.string(*initiator);
    else
      j.null();
    j.field("initiator_uid", initiator_uid).field("initiator_kms", k->initiator_kms_uri);
    j.field("responder", receiver.uri())
        .field("key_period_no", k->period)
        .field("time_period_no", k->time_period);
    j.key("initiator_period_no");
    if (initiator_period)
      j.number(*initiator_period);
    else
      j.null();
    j.field("signature_form", signature_form);
    j.field("time", iso(k->time))
        .field("ntp_seconds", k->time.seconds)
        .field("rand", to_hex(k->rand));
    j.field("prf", k->prf == km::mikey_prf::prf_hmac_sha_256 ? "PRF-HMAC-SHA-256" : "MIKEY-1");
    j.field("sakke_to_self", k->has_sakke_to_self);
    if (k->parameters) {
      j.key("key_parameters")
          .begin_object()
          .field("key_type", std::uint64_t{k->parameters->key_type})
          .field("status", std::uint64_t{k->parameters->status});
      j.field("activation_time", to_hex(k->parameters->activation_time))
          .field("expiry_time", to_hex(k->parameters->expiry_time));
      j.field("text", to_hex(k->parameters->text)).end_object();
    }
    j.key("srtp").begin_array();
    for (const auto& s : srtp)
      j.begin_object()
          .field("cs_id", std::uint64_t{s.cs_id})
          .field("master_key", s.key)
          .field("master_salt", s.salt)
          .field("mki", s.mki)
          .end_object();
    j.end_array().end_object();
    std::cout << j.text() << "\n";
    return exit_ok;
  }
  std::cout << "verified      ECCSI signature of the initiator under " << k->initiator_kms_uri
            << "; SAKKE payload opened\n";
  std::cout
      << "signature     "
      << (k->signature_without_sign_header
              ? "without the SIGN header (NOT RFC 3830; --accept-signature-without-sign-header)"
              : "RFC 3830 (HDR .. SIGN header)")
      << "\n";
  std::cout << "time          " << iso(k->time) << (fresh ? " (fresh)" : " (NOT fresh)") << "\n";
  std::cout << "initiator     " << (initiator ? *initiator : std::string("(hidden)")) << "  UID "
            << initiator_uid;
  if (initiator_period) {
    std::cout << " of key period " << *initiator_period;
    if (*initiator_period != k->time_period)
      std::cout << " (NOT the period of T, " << k->time_period << "; --key-period-tolerance)";
  }
  std::cout << "\n";
  std::cout << "responder     " << receiver.uri() << "\n";
  std::cout << "purpose       " << purpose_text(k->purpose) << "\n";
  std::cout << "key           " << to_hex(k->key.span()) << "\n";
  if (group) {
    std::cout << "GMK-ID        " << hex32(k->key_id.value()) << " (recovered from the GUK-ID)\n";
    std::cout << "GUK-ID        " << hex32(k->csb_id.value()) << " (CSB ID)\n";
  } else {
    std::cout << "key ID        " << hex32(k->key_id.value()) << " (CSB ID)\n";
  }
  std::cout << "key period    " << k->period;
  if (k->period != k->time_period)
    std::cout << " (NOT the period of T, " << k->time_period << "; --key-period-tolerance)";
  std::cout << "\n";
  if (k->parameters) {
    const auto& text = k->parameters->text;
    const bool printable =
        std::all_of(text.begin(), text.end(), [](std::uint8_t c) { return c >= 0x20 && c < 0x7F; });
    std::cout << "key params    type " << unsigned{k->parameters->key_type} << ", status "
              << k->parameters->status << ", text "
              << (printable ? "'" + std::string(text.begin(), text.end()) + "'"
                            : "(hex) " + to_hex(text))
              << "\n";
  }
  for (const auto& s : srtp)
    std::cout << "SRTP CS " << unsigned{s.cs_id} << "      master key " << s.key << ", master salt "
              << s.salt << ", MKI " << s.mki << "\n";
  return exit_ok;
}

}  // namespace skm::cli
