// SPDX-License-Identifier: BSD-3-Clause
// skm imsg create / skm imsg open: MIKEY-SAKKE I_MESSAGEs with keys from KMS XML files.
#include <algorithm>
#include <iostream>

#include "cli.hpp"
#include "commands.hpp"
#include "key_files.hpp"
#include "skm/common/ct.hpp"
#include "skm/common/random.hpp"
#include "skm/km/gms.hpp"
#include "skm/km/i_message.hpp"
#include "skm/km/kms_xml.hpp"
#include "srtp.hpp"

namespace skm::cli {

namespace {

constexpr std::string_view create_help =
    R"(usage: skm imsg create --cert CERT.xml --keyset SENDER.xml --to URI [--to-cert CERT.xml]
                        [--purpose PCK|GMK|CSK|MuSiK|SPK|MKFC|MSCCK] [--key HEX] [--key-id HEX]
                        [--hide-ids] [--sakke-to-self] [--sp] [--time NTP_SECONDS | --date ISO-8601]
                        [--sign-without-sign-header] [--cs-id N[,N...]] [--mcvideo] [--json]

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
  --cs-id N[,N...]     also derive the SRTP keys of these crypto sessions (JSON)
  --mcvideo            the MCVideo crypto sessions of TS 33.180 E.1.3 instead of MCPTT's
  --json               a JSON object with the message and what the sender keeps: the key and
                       the SRTP master key, salt and MKI of each crypto session
)";

constexpr std::string_view open_help =
    R"(usage: skm imsg open --cert CERT.xml --keyset RECEIVER.xml [--from-cert CERT.xml] [--from-uri URI]
                      [--at NTP_SECONDS|ISO-8601] [--allow-stale] [--accept-unconfirmed-initiator]
                      [--accept-signature-without-sign-header] [--key-period-tolerance 0|1]
                      [--cs-id N[,N...]] [--mcvideo] [--json] MESSAGE

Checks and opens an I_MESSAGE as its receiver: the TS 33.180 profile, the KMSs, that it is
addressed to the receiver, the ECCSI signature of the initiator (its UID for the key period of
the message time, under the initiator's KPAK), the SAKKE payload (with the receiver's RSK for
that period), the key IDs (GMK: the GUK-ID, from which the GMK-ID is recovered) and the key
parameters. Prints the initiator, responder, purpose, key, key IDs, key period and the SRTP
master key, salt and MKI of each crypto session: those of the message's CS ID map, or with an
empty map those the purpose implies (TS 33.180 E.1.3: PCK both directions of a private call,
CS 0 and 1; GMK 4; CSK 6; MuSiK 7; --mcvideo: 2 and 3, 5, 8, 9), each named.

The key period comes from the message's timestamp. A message outside the receiver's freshness
window (300 s either way of the clock or --at) is refused; --allow-stale opens it anyway (a
captured message), with a warning on stderr and "fresh": false, "stale_accepted": true in JSON.

  --cert CERT.xml       the receiver's community
  --keyset FILE         the receiver's KmsKeyProv document (one or more key periods)
  --from-cert CERT.xml  the initiator's community, when it is another KMS
  --from-uri URI        the initiator: its UID for the key period of T must be the one the
                        message carries (required for a hidden initiator, IDRuidi)
  --accept-unconfirmed-initiator
                        open a message from a hidden initiator without --from-uri: the signer
                        is then only "some user the KMS issued a key to" ("initiator_confirmed":
                        false in JSON; the text output says the hidden initiator is NOT confirmed)
  --at TIME             judge freshness against this time (NTP seconds or ISO-8601)
  --allow-stale         open a message outside the freshness window (reported)
  --strict-time         accepted for compatibility: stale messages are refused by default
  --cs-id N[,N...]      also derive the SRTP keys of these crypto sessions
  --mcvideo             the MCVideo crypto sessions for an empty map
  --json                one JSON object (verified, fresh, purpose, key, key_id, csb_id,
                        initiator, responder, key_period_no, signature_form, srtp, ...);
on a
                        failed check {"ok": false, "verified": false, "error": ...}, exit code 1

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

}  // namespace

// ---------------------------------------------------------------------------------------------
// Files

community_file load_certificate(const std::string& path) {
  // Structure here; the keys are validated by community_from_certificate (and community::create).
  const auto text = read_file(path, max_xml_file, "certificate");
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
  const auto text = read_secret_file(path, max_xml_file, "key-set file");
  auto doc = km::xml::parse_kms_key_prov_unvalidated(text.view());
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

namespace {

std::string periods_of(const std::vector<km::period_keys>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : ", ") + std::to_string(k.period());
  return s;
}

std::string purpose_text(km::key_purpose p) {
  const auto n = km::purpose_name(p);
  return n.empty() ? "purpose " + std::to_string(static_cast<unsigned>(p)) : std::string(n);
}

/// The GENERIC-ID map's CS IDs of a message (empty for an empty map).
std::vector<std::uint8_t> map_cs_ids(const mikey::message_view& m) {
  std::vector<std::uint8_t> ids;
  for (const auto g : m.hdr().generic_ids()) ids.push_back(g.cs_id);
  return ids;
}

// ---------------------------------------------------------------------------------------------
// imsg create

/// --key, --key-id, --purpose, --hide-ids, --sakke-to-self and --sp as i_message_options.
km::i_message_options create_options(const arguments& a, std::vector<std::uint8_t>& key) {
  km::i_message_options opt;
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
      throw a.error("unknown --purpose '" + std::string(*p) +
                    "' (PCK, GMK, CSK, MuSiK, SPK, MKFC or MSCCK)");
    if (opt.key_id && opt.key_id->purpose() != *purpose)
      throw a.error("--key-id " + hex32(opt.key_id->value()) + " carries purpose tag " +
                    purpose_text(opt.key_id->purpose()) + ", not " + *p);
    opt.purpose = *purpose;
  }
  opt.identities = a.flag("hide-ids") ? km::identity_form::hashed_uid : km::identity_form::uri;
  opt.sakke_to_self = a.flag("sakke-to-self");
  opt.security_policy = a.flag("sp");
  return opt;
}

/// The key set of `keys` for the key period of `t`.
const km::period_keys& key_set_for(const std::vector<km::period_keys>& keys,
                                   const community_file& mine, km::ntp_time t,
                                   const std::string& keyset_path) {
  const auto period = mine.community.period_at(t);
  if (!period) throw failure("no key period for " + iso(t) + ": " + period.error().message());
  for (const auto& k : keys)
    if (k.period() == *period) return k;
  throw failure(keyset_path + " has no key set for key period " + std::to_string(*period) +
                " (the period of " + iso(t) + "); it holds period(s) " + periods_of(keys));
}

/// Interop testing only: re-signs `m` the way some deployed products do (not RFC 3830 §5.2),
/// over the bytes before the SIGN payload; the signature is the message's last octets.
void resign_without_sign_header(km::i_message& m, const km::period_keys& me, os_random& rng) {
  const auto view = mikey::parse_message(m.bytes);
  if (!view) throw failure("cannot re-parse the I_MESSAGE: " + mikey::to_string(view.error()));
  const auto range = view->signed_range_without_sign_header_compat();
  if (!range) throw failure("cannot re-parse the I_MESSAGE: " + mikey::to_string(range.error()));
  const auto signature = me.signer().sign(*range, rng);
  if (!signature)
    throw failure(std::string("ECCSI signing failed: ") + eccsi::describe(signature.error()));
  std::copy(signature->begin(), signature->end(),
            m.bytes.end() - static_cast<std::ptrdiff_t>(signature->size()));
}

void print_created_json(const arguments& a, const km::i_message& m, const km::period_keys& me,
                        const std::string& to) {
  const auto view = mikey::parse_message(m.bytes);
  if (!view) throw failure("cannot re-parse the I_MESSAGE: " + mikey::to_string(view.error()));
  const srtp_inputs in{m.prf,     m.key.span(), m.csb_id.value(), m.rand,
                       m.purpose, m.key_id,     map_cs_ids(*view)};
  json j;
  j.begin_object()
      .field("ok", true)
      .field("message", key_mgmt_value(m.bytes))
      .field("size", std::uint64_t{m.bytes.size()})
      .field("initiator", me.user_uri())
      .field("responder", to)
      .field("purpose", purpose_text(m.purpose))
      .field("key", to_hex(m.key.span()))
      .field("key_id", hex32(m.key_id.value()))
      .field("csb_id", hex32(m.csb_id.value()))
      .field("rand", to_hex(m.rand))
      .field("time", iso(m.time))
      .field("ntp_seconds", m.time.seconds)
      .field("key_period_no", me.period())
      .field("signature_form",
             a.flag("sign-without-sign-header") ? "without-sign-header" : "rfc3830");
  srtp_json(j, derive_sessions(in, srtp_arguments(a)));
  j.end_object();
  std::cout << j.text() << "\n";
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
                     {"cs-id"},
                     {"mcvideo", false},
                     {"json", false}},
                    "imsg create");
  if (a.help()) {
    std::cout << create_help;
    return exit_ok;
  }
  a.no_positionals();
  const auto to = uri_argument(a, "to");
  const auto cert_path = a.required("cert");
  const auto keyset_path = a.required("keyset");

  // Options first (cheap), files and curve arithmetic after.
  std::vector<std::uint8_t> key;
  const auto opt = create_options(a, key);
  (void)srtp_arguments(a);  // a bad --cs-id is a usage error before any work
  const auto t = time_argument(a, "time", "date", now());

  const auto mine = load_certificate(cert_path);
  const auto keys = load_key_sets(keyset_path, mine);
  const auto& me = key_set_for(keys, mine, t, keyset_path);
  std::optional<community_file> other;
  if (const auto p = a.value("to-cert")) other = load_certificate(*p);
  const km::community& theirs = other ? other->community : mine.community;

  os_random rng;
  auto m = km::create_i_message(me, mine.community, to, theirs, t, opt, rng);
  ct::wipe(key.data(), key.size());
  if (!m) throw failure("cannot create the I_MESSAGE: " + m.error().message());
  if (a.flag("sign-without-sign-header")) resign_without_sign_header(*m, me, rng);
  if (a.flag("json"))
    print_created_json(a, *m, me, to);
  else
    std::cout << key_mgmt_value(m->bytes) << "\n";
  return exit_ok;
}

// ---------------------------------------------------------------------------------------------
// imsg open

namespace {

/// The message time against the clock (or --at): fresh, or why not.
struct freshness {
  km::ntp_time sent;
  bool fresh = true;
  std::string why;  ///< when not fresh
};

freshness judge_freshness(const arguments& a, const mikey::message_view& m, km::ntp_time clock) {
  const auto* t = m.t();
  if (t == nullptr) throw failure("not a MIKEY-SAKKE I_MESSAGE: no T payload");
  freshness f{km::from_ntp_wire(t->value, clock), true, {}};
  const km::replay_policy window{};
  const bool too_old = f.sent.seconds + window.max_age_seconds < clock.seconds;
  const bool in_future = f.sent.seconds > clock.seconds + window.max_future_skew_seconds;
  f.fresh = !too_old && !in_future;
  if (!f.fresh) {
    const auto distance = too_old ? clock.seconds - f.sent.seconds : f.sent.seconds - clock.seconds;
    f.why = "message time " + iso(f.sent) + " lies " + std::to_string(distance) + " s " +
            (too_old ? "before" : "after") + " " + (a.has("at") ? "--at" : "the clock") + " " +
            iso(clock) + " (window " + std::to_string(window.max_age_seconds) + " s)";
  }
  return f;
}

/// The receiver with its communities and key sets.
struct receiver_setup {
  community_file mine;
  std::optional<community_file> other;
  std::vector<km::period_keys> keys;
};

km::i_message_receiver make_receiver(const arguments& a, receiver_setup& s,
                                     const km::receiver_options& options) {
  const auto keyset_path = a.required("keyset");
  km::i_message_receiver receiver(s.keys.front().user_uri(), options);
  receiver.trust(s.mine.community);
  if (s.other) {
    if (s.other->community.kms_uri() != s.mine.community.kms_uri())
      receiver.trust(s.other->community);
    else if (s.other->community.values().z != s.mine.community.values().z ||
             s.other->community.values().kpak != s.mine.community.values().kpak)
      throw failure("--cert and --from-cert name the same KMS " + s.mine.community.kms_uri() +
                    " with different public keys");
  }
  for (auto& k : s.keys)
    if (const auto r = receiver.add_keys(std::move(k)); !r)
      throw failure(keyset_path + ": " + r.error().message());
  return receiver;
}

km::receiver_options receiver_arguments(const arguments& a) {
  km::receiver_options options;
  options.accept_signature_without_sign_header = a.flag("accept-signature-without-sign-header");
  // A revoked key is reported ("status": "revoked", a warning), not refused: a GMS's
  // revocation message is opened to see which key it revokes.
  options.deliver_revoked_keys = true;
  if (const auto n = a.value("key-period-tolerance")) {
    if (*n != "0" && *n != "1")
      throw a.error("--key-period-tolerance must be 0 or 1, not '" + std::string(*n) + "'");
    options.key_period_tolerance = *n == "1" ? 1 : 0;
  }
  if (a.flag("allow-stale") && a.flag("strict-time"))
    throw a.error("--allow-stale and --strict-time exclude each other");
  return options;
}

/// What imsg open found, for either output form.
struct opened {
  const km::received_key& k;
  std::string responder;
  std::optional<std::string> initiator;
  std::optional<std::uint64_t> initiator_period;
  freshness fresh;
  bool stale_accepted = false;
  std::vector<srtp_session> srtp;
};

void open_json_key_fields(json& j, const opened& o) {
  const auto& k = o.k;
  j.key("initiator");
  if (o.initiator)
    j.string(*o.initiator);
  else
    j.null();
  j.field("initiator_confirmed", k.initiator_confirmed);
  j.field("initiator_uid", to_hex(k.initiator_uid)).field("initiator_kms", k.initiator_kms_uri);
  j.field("responder", o.responder)
      .field("key_period_no", k.period)
      .field("time_period_no", k.time_period);
  j.key("initiator_period_no");
  if (o.initiator_period)
    j.number(*o.initiator_period);
  else
    j.null();
  j.field("signature_form", k.signature_without_sign_header ? "without-sign-header" : "rfc3830");
  j.field("time", iso(k.time)).field("ntp_seconds", k.time.seconds).field("rand", to_hex(k.rand));
  j.field("prf", k.prf == km::mikey_prf::prf_hmac_sha_256 ? "PRF-HMAC-SHA-256" : "MIKEY-1");
  j.field("sakke_to_self", k.has_sakke_to_self);
  if (k.parameters) {
    j.key("key_parameters")
        .begin_object()
        .field("key_type", std::uint64_t{k.parameters->key_type})
        .field("status", std::uint64_t{k.parameters->status});
    j.field("activation_time", to_hex(k.parameters->activation_time))
        .field("expiry_time", to_hex(k.parameters->expiry_time));
    j.field("text", to_hex(k.parameters->text)).end_object();
  }
}

/// The key's lifecycle from its key parameters: "revoked", "pending" (its activation time is
/// after the message's opening time), or "active".
std::string_view key_status(const km::received_key& k) {
  return k.revoked ? "revoked" : k.active ? "active" : "pending";
}

/// The group IDs the key parameters carry (km/gms.hpp); empty when there are none.
std::vector<std::string> carried_group_ids(const km::received_key& k) {
  if (!k.parameters) return {};
  auto ids = km::gms::decode_group_ids(k.parameters->further);
  if (!ids)
    throw failure(std::string("I_MESSAGE key parameters: ") + km::gms::describe(ids.error()));
  return std::move(*ids);
}

/// "status", "activation_time", "expiry_time" (ISO 8601 or null) and "group_ids".
void open_json_lifecycle(json& j, const km::received_key& k) {
  j.field("status", key_status(k));
  for (const auto& [name, t] :
       {std::pair{"activation_time", k.activation_time}, std::pair{"expiry_time", k.expiry_time}}) {
    j.key(name);
    if (t)
      j.string(iso(*t));
    else
      j.null();
  }
  j.key("group_ids").begin_array();
  for (const auto& id : carried_group_ids(k)) j.string(id);
  j.end_array();
}

void print_opened_json(const opened& o) {
  const auto& k = o.k;
  json j;
  j.begin_object()
      .field("ok", true)
      .field("verified", true)
      .field("fresh", o.fresh.fresh)
      .field("stale_accepted", o.stale_accepted)
      .field("purpose", purpose_text(k.purpose));
  j.field("key", to_hex(k.key.span()))
      .field("key_id", hex32(k.key_id.value()))
      .field("csb_id", hex32(k.csb_id.value()));
  if (k.purpose == km::key_purpose::gmk)
    j.field("guk_id", hex32(k.csb_id.value())).field("gmk_id", hex32(k.key_id.value()));
  open_json_key_fields(j, o);
  open_json_lifecycle(j, k);
  srtp_json(j, o.srtp);
  j.end_object();
  std::cout << j.text() << "\n";
}

void print_opened_text(const opened& o) {
  const auto& k = o.k;
  auto& out = std::cout;
  out << "verified      ECCSI signature of the initiator under "
      << terminal_safe(k.initiator_kms_uri) << "; SAKKE payload opened\n";
  out << "signature     "
      << (k.signature_without_sign_header
              ? "without the SIGN header (NOT RFC 3830; --accept-signature-without-sign-header)"
              : "RFC 3830 (HDR .. SIGN header)")
      << "\n";
  out << "time          " << iso(k.time)
      << (o.fresh.fresh ? " (fresh)" : " (NOT fresh; --allow-stale)") << "\n";
  out << "initiator     "
      << (o.initiator ? terminal_safe(*o.initiator)
                      : std::string(k.initiator_confirmed ? "(hidden)" : "(hidden, NOT confirmed)"))
      << "  UID " << to_hex(k.initiator_uid);
  if (o.initiator_period) {
    out << " of key period " << *o.initiator_period;
    if (*o.initiator_period != k.time_period)
      out << " (NOT the period of T, " << k.time_period << "; --key-period-tolerance)";
  }
  out << "\nresponder     " << terminal_safe(o.responder) << "\n";
  out << "purpose       " << purpose_text(k.purpose) << "\n";
  out << "key           " << to_hex(k.key.span()) << "\n";
  if (k.purpose == km::key_purpose::gmk) {
    out << "GMK-ID        " << hex32(k.key_id.value()) << " (recovered from the GUK-ID)\n";
    out << "GUK-ID        " << hex32(k.csb_id.value()) << " (CSB ID)\n";
  } else {
    out << "key ID        " << hex32(k.key_id.value()) << " (CSB ID)\n";
  }
  out << "key period    " << k.period;
  if (k.period != k.time_period)
    out << " (NOT the period of T, " << k.time_period << "; --key-period-tolerance)";
  out << "\n";
  if (k.parameters) {
    const auto& text = k.parameters->text;
    out << "key params    type " << unsigned{k.parameters->key_type} << ", status "
        << k.parameters->status << ", text '"
        << terminal_safe(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()))
        << "'\n";
    out << "key status    " << key_status(k);
    if (k.activation_time) out << ", active from " << iso(*k.activation_time);
    if (k.expiry_time) out << ", expires " << iso(*k.expiry_time);
    out << "\n";
    const auto groups = carried_group_ids(k);
    if (!groups.empty()) {
      out << "group IDs    ";
      for (const auto& g : groups) out << " " << terminal_safe(g);
      out << "\n";
    }
  }
  srtp_text(out, o.srtp, k.purpose);
}

/// imsg open's own failure shape: {"ok": false, "verified": false, "fresh": …, "error": …}.
failure rejected(const std::string& why, std::optional<bool> fresh) {
  json j;
  j.begin_object().field("ok", false).field("verified", false);
  j.key("fresh");
  if (fresh)
    j.boolean(*fresh);
  else
    j.null();
  j.field("error", why).end_object();
  return failure(why, j.text());
}

}  // namespace

int run_imsg_open(std::span<char* const> args) {
  const arguments a(args,
                    {{"cert"},
                     {"keyset"},
                     {"from-cert"},
                     {"from-uri"},
                     {"accept-unconfirmed-initiator", false},
                     {"at"},
                     {"strict-time", false},
                     {"allow-stale", false},
                     {"accept-signature-without-sign-header", false},
                     {"key-period-tolerance"},
                     {"cs-id"},
                     {"mcvideo", false},
                     {"json", false}},
                    "imsg open");
  if (a.help()) {
    std::cout << open_help;
    return exit_ok;
  }
  const auto options = receiver_arguments(a);
  const auto request = srtp_arguments(a);
  const auto cert_path = a.required("cert");
  (void)a.required("keyset");
  const std::optional<std::string> from_uri =
      a.has("from-uri") ? std::optional(uri_argument(a, "from-uri")) : std::nullopt;
  const auto clock = at_argument(a, "at", now());
  const auto bytes = read_message(a);

  // The message's own time: the receiver is asked to open it "as of" that time (so that the key
  // period is that of T); freshness against the clock is judged here.
  const auto parsed = mikey::parse_message(bytes);
  if (!parsed) throw rejected("not a valid MIKEY message: " + mikey::to_string(parsed.error()), {});
  const auto fresh = judge_freshness(a, *parsed, clock);
  if (!fresh.fresh && !a.flag("allow-stale"))
    throw rejected(fresh.why + "; refused (--allow-stale opens it)", false);

  receiver_setup setup{load_certificate(cert_path), {}, {}};
  setup.keys = load_key_sets(a.required("keyset"), setup.mine);
  if (const auto p = a.value("from-cert")) setup.other = load_certificate(*p);
  auto receiver = make_receiver(a, setup, options);
  // The receiver binds the initiator: with --from-uri its UID for the period of T must match; a
  // hidden initiator without one is released only with --accept-unconfirmed-initiator.
  km::initiator_binding binding;
  if (from_uri) binding.candidate_uris.push_back(*from_uri);
  binding.accept_unconfirmed = a.flag("accept-unconfirmed-initiator");
  const auto k = receiver.process(bytes, fresh.sent, binding);
  if (!k && k.error().code == km::i_message_error::initiator_unconfirmed)
    throw rejected(
        "I_MESSAGE rejected: " + k.error().message() +
            "; name the initiator with --from-uri URI, or open it as an unconfirmed initiator "
            "with --accept-unconfirmed-initiator",
        fresh.fresh);
  if (!k) throw rejected("I_MESSAGE rejected: " + k.error().message(), fresh.fresh);
  opened o{*k, receiver.uri(), k->initiator_uri, k->initiator_period, fresh, !fresh.fresh, {}};
  const srtp_inputs in{k->prf,     k->key.span(), k->csb_id.value(), k->rand,
                       k->purpose, k->key_id,     k->cs_ids};
  o.srtp = derive_sessions(in, request);
  if (!fresh.fresh) std::cerr << "skm: warning: " << fresh.why << "; opened (--allow-stale)\n";
  if (k->revoked)
    std::cerr << "skm: warning: the key parameters mark this key REVOKED; never use it\n";
  if (a.flag("json"))
    print_opened_json(o);
  else
    print_opened_text(o);
  return exit_ok;
}

}  // namespace skm::cli
