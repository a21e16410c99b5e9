#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""[cli] tests: the built `skm` binary run as a subprocess.

usage: test_cli.py SKM_BINARY [TestClass ...]

Checks exit codes, --help of every command, known answers (the TS 33.180 UID vector of the
3GPP notes, the RFC 6507 identifier, the vendor I_MESSAGE), JSON validity, one-line errors on
bad input, and the kms init -> provision -> imsg create -> imsg open round trip through files.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

SKM = None
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

COMMANDS = [
    ["demo"], ["uid"], ["kms", "init"], ["kms", "provision"],
    ["imsg", "create"], ["imsg", "open"], ["imsg", "dump"],
]

# The vendor I_MESSAGE (specs/vectors/mcx-pck-example.md).
with open(os.path.join(DATA, "vendor-pck.sdp")) as f:
    VENDOR_LINE = next(l for l in f.read().splitlines() if l.startswith("a=key-mgmt:"))
VENDOR_VALUE = VENDOR_LINE[len("a=key-mgmt:"):]           # "mikey BASE64"
VENDOR_B64 = VENDOR_VALUE[len("mikey "):]
VENDOR_BYTES = base64.b64decode(VENDOR_B64, validate=True)
VENDOR_PCK = "b4c96b703acd5c1bf7d4cc45068d9965"
VENDOR_PCK_ID = "16992638"
VENDOR_RAND = "02a28bddaf984c5e0563bc1ce857df83"
VENDOR_PERIOD = 236
VENDOR_PERIOD_LENGTH = 16777215
VENDOR_CERT = os.path.join(DATA, "vendor-cert.xml")
VENDOR_BOB = os.path.join(DATA, "vendor-bob.xml")
VENDOR_ALICE = os.path.join(DATA, "vendor-alice.xml")


def vendor_ntp_seconds():
    """The T payload's seconds field: HDR is 10 octets here (empty map), T = next(1) type(1) value(8)."""
    assert VENDOR_BYTES[10 + 1] == 0  # NTP-UTC
    return int.from_bytes(VENDOR_BYTES[12:16], "big")


def rfc3830_prf(key, label, n):
    """RFC 3830 §4.1.2 P-function with HMAC-SHA-256 (RFC 6043 PRF-HMAC-SHA-256), one key block."""
    a, out = label, b""
    while len(out) < n:
        a = hmac.new(key, a, hashlib.sha256).digest()
        out += hmac.new(key, a + label, hashlib.sha256).digest()
    return out[:n]


def srtp_reference(key_hex, cs_id, csb_id_hex, rand_hex):
    """The SRTP master key and salt of crypto session cs_id (RFC 3830 §4.1.3, TEK and salt
    constants), computed here independently of skm."""
    tail = bytes([cs_id]) + bytes.fromhex(csb_id_hex) + bytes.fromhex(rand_hex)
    key = bytes.fromhex(key_hex)
    return (rfc3830_prf(key, bytes.fromhex("2ad01c64") + tail, 16).hex(),
            rfc3830_prf(key, bytes.fromhex("39a2c14b") + tail, 12).hex())


def run(*args, stdin=None, timeout=600):
    p = subprocess.run([SKM, *args], input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def set_up_community(cls, kms_uri, domain, *init_args):
    """A class fixture: a community made by 'kms init' in a temporary directory (cls.dir,
    cls.cert) and key sets for alice and bob of `domain` made by 'kms provision' (cls.keys)."""
    cls.tmp = tempfile.TemporaryDirectory()
    cls.dir = os.path.join(cls.tmp.name, "kms")
    code, out, err = run("kms", "init", "--kms-uri", kms_uri, *init_args, "--dir", cls.dir)
    assert code == 0, err
    cls.cert = os.path.join(cls.dir, "kms-cert.xml")
    cls.keys = {}
    for user in ("alice", "bob"):
        path = os.path.join(cls.tmp.name, user + ".xml")
        code, out, err = run("kms", "provision", "--dir", cls.dir, "--uri", f"sip:{user}@{domain}", "--out", path)
        assert code == 0, err
        cls.keys[user] = path


class CliCase(unittest.TestCase):
    def ok(self, *args, stdin=None):
        code, out, err = run(*args, stdin=stdin)
        self.assertEqual(code, 0, f"skm {' '.join(args)} failed: {err}")
        return out, err

    def fails(self, code_expected, *args, contains=None, stdin=None):
        """A one-line error on stderr starting 'skm: ', the expected exit code, nothing else."""
        code, out, err = run(*args, stdin=stdin)
        self.assertEqual(code, code_expected, f"skm {' '.join(args)}: exit {code}, stderr {err!r}")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, f"expected one error line, got {err!r}")
        self.assertTrue(lines[0].startswith("skm: "), lines[0])
        self.assertNotIn("terminate", err)
        if contains is not None:
            self.assertIn(contains, lines[0])
        return out, lines[0]

    def json_ok(self, *args, stdin=None):
        out, _ = self.ok(*args, stdin=stdin)
        return json.loads(out)


# -------------------------------------------------------------------------------------------------

class HelpTests(CliCase):
    def test_overview(self):
        out, err = self.ok("--help")
        self.assertEqual(err, "")
        for c in COMMANDS:
            self.assertIn(" ".join(c), out)
        self.assertEqual(self.ok("help")[0], out)
        self.assertEqual(self.ok("-h")[0], out)
        self.assertRegex(self.ok("--version")[0], r"^skm \d+\.\d+\.\d+\n$")

    def test_no_command_is_a_usage_error(self):
        code, out, err = run()
        self.assertEqual(code, 2)
        self.assertEqual(out, "")
        self.assertIn("usage: skm", err)

    def test_every_command_has_help(self):
        for c in COMMANDS:
            for flag in ("--help", "-h"):
                out, err = self.ok(*c, flag)
                self.assertTrue(out.startswith("usage: skm " + " ".join(c)), out[:80])
                self.assertEqual(err, "")
        for group in ("kms", "imsg"):
            out, _ = self.ok(group, "--help")
            self.assertTrue(out.startswith("usage: skm " + group))

    def test_help_wins_over_missing_options(self):
        # --help needs none of the required options.
        self.ok("imsg", "open", "--help")
        self.ok("uid", "--uri", "x", "--help")

    def test_unknown_commands_and_options(self):
        self.fails(2, "frobnicate", contains="unknown command 'frobnicate'")
        self.fails(2, "kms", "destroy", contains="unknown command 'skm kms destroy'")
        self.fails(2, "imsg", "send", contains="unknown command 'skm imsg send'")
        for c in COMMANDS:
            self.fails(2, *c, "--no-such-option", contains="unknown option '--no-such-option'")
        self.fails(2, "kms", contains="needs a command: init or provision")
        self.fails(2, "imsg", contains="needs a command: create or open or dump")


# -------------------------------------------------------------------------------------------------

class UidTests(CliCase):
    NOTES = ["--uri", "sip:user@example.org", "--kms-uri", "kms.example.org", "--period", "2592000", "--offset", "0"]
    NOTES_UID = "74e2af803ab5d72841bbced0ce319ffe64f6fe23c88a2d258aabcf6ac5658ef4"

    def test_3gpp_notes_vector(self):
        out, err = self.ok("uid", *self.NOTES, "--period-no", "1")
        self.assertEqual(out, self.NOTES_UID + "\n")
        self.assertEqual(err, "")

    def test_period_from_time_and_date(self):
        # Period 1 is [2592000, 5184000) NTP seconds; 1900-01-31 is 30 days after the epoch.
        for t in ("2592000", "5183999"):
            self.assertEqual(self.ok("uid", *self.NOTES, "--time", t)[0], self.NOTES_UID + "\n")
        self.assertNotEqual(self.ok("uid", *self.NOTES, "--time", "2591999")[0], self.NOTES_UID + "\n")
        self.assertEqual(self.ok("uid", *self.NOTES, "--date", "1900-01-31")[0], self.NOTES_UID + "\n")
        self.assertEqual(self.ok("uid", *self.NOTES, "--date", "1900-02-01T12:00:00+01:00")[0], self.NOTES_UID + "\n")
        self.assertNotEqual(self.ok("uid", *self.NOTES, "--date", "1900-01-30T23:59:59Z")[0], self.NOTES_UID + "\n")

    def test_vendor_user_ids(self):
        common = ["--kms-uri", "kms.mydev.streamwide.com", "--period", "16777215", "--offset", "0", "--period-no", "236"]
        self.assertEqual(self.ok("uid", "--uri", "sip:alice@streamwide.com", *common)[0],
                         "b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4\n")
        self.assertEqual(self.ok("uid", "--uri", "sip:bob@streamwide.com", *common)[0],
                         "780851cda91a9c33f941cd3a2831697e2893264754e363f8a0cef827eb201a81\n")

    def test_json(self):
        j = self.json_ok("uid", *self.NOTES, "--time", "3000000", "--json")
        self.assertEqual(j["uid"], self.NOTES_UID)
        self.assertEqual(j["key_period_no"], 1)
        self.assertEqual(j["uri"], "sip:user@example.org")
        self.assertEqual(j["key_period_length"], 2592000)
        self.assertEqual(j["key_period_start"], "1900-01-31T00:00:00Z")

    def test_rfc6509_identifier(self):
        # RFC 6507 Appendix A: ID = "2011-02\0tel:+447700900123\0".
        expected = "323031312d30320074656c3a2b34343737303039303031323300"
        self.assertEqual(self.ok("uid", "--rfc6509", "--uri", "tel:+447700900123", "--month", "2011-02")[0], expected + "\n")
        j = self.json_ok("uid", "--rfc6509", "--uri", "tel:+447700900123", "--month", "2011-02", "--json")
        self.assertEqual(j["identifier"], expected)
        self.assertEqual(j["key_period_no"], (2011 - 1900) * 12 + 1)
        self.assertTrue(j["global_tel_uri"])

    def test_bad_arguments(self):
        n = self.NOTES
        self.fails(2, "uid", *n, contains="one of --period-no, --time or --date is required")
        self.fails(2, "uid", *n[2:], "--period-no", "1", contains="--uri is required")
        self.fails(2, "uid", "--uri", "u", "--kms-uri", "k", "--period", "abc", "--offset", "0", "--period-no", "1", contains="--period must be")
        self.fails(2, "uid", "--uri", "u", "--kms-uri", "k", "--period", "0", "--offset", "0", "--period-no", "1", contains="--period must not be 0")
        self.fails(2, "uid", *n, "--period-no", "-1", contains="--period-no must be")
        self.fails(2, "uid", *n, "--period-no", "18446744073709551616", contains="--period-no must be")
        self.fails(2, "uid", *n, "--time", "1", "--date", "2020-01-01", contains="exclude each other")
        self.fails(2, "uid", *n, "--date", "2020-13-01", contains="--date")
        self.fails(2, "uid", *n, "--period-no", "1", "--period-no", "2", contains="given twice")
        self.fails(2, "uid", *n, "--period-no", contains="needs a value")
        self.fails(2, "uid", *n, "--period-no", "1", "extra", contains="unexpected argument 'extra'")
        self.fails(2, "uid", "--rfc6509", "--uri", "tel:+1", "--month", "2011-13", contains="--month")
        self.fails(2, "uid", "--rfc6509", "--uri", "tel:+1", "--month", "2011-02", "--period", "5", contains="does not apply")
        # Empty URIs and times before the offset are failures of the operation, not of the syntax.
        self.fails(2, "uid", "--uri", "", "--kms-uri", "k", "--period", "5", "--offset", "0", "--period-no", "1", contains="--uri must not be empty")
        self.fails(1, "uid", "--uri", "u", "--kms-uri", "k", "--period", "5", "--offset", "100", "--time", "99", contains="no key period")


# -------------------------------------------------------------------------------------------------

class DumpTests(CliCase):
    def test_every_message_form_gives_the_same_dump(self):
        reference, _ = self.ok("imsg", "dump", VENDOR_VALUE)
        self.assertIn("CSB ID: 0x" + VENDOR_PCK_ID, reference)
        self.assertIn("RAND: " + VENDOR_RAND, reference)
        self.assertIn("SIGN", reference)
        with tempfile.TemporaryDirectory() as d:
            raw = os.path.join(d, "m.bin")
            with open(raw, "wb") as f:
                f.write(VENDOR_BYTES)
            text = os.path.join(d, "m.txt")
            with open(text, "w") as f:
                f.write(VENDOR_VALUE + "\n")
            forms = [
                [VENDOR_LINE], [VENDOR_LINE[2:]], [VENDOR_B64], [VENDOR_BYTES.hex()], [VENDOR_BYTES.hex().upper()],
                ["mikey", VENDOR_B64], ["@" + raw], ["@" + text], ["@" + os.path.join(DATA, "vendor-pck.sdp")],
            ]
            for form in forms:
                self.assertEqual(self.ok("imsg", "dump", *form)[0], reference, form[0][:20])
            self.assertEqual(self.ok("imsg", "dump", "@-", stdin=VENDOR_LINE.encode())[0], reference)

    def test_json(self):
        j = self.json_ok("imsg", "dump", "--json", VENDOR_VALUE)
        self.assertEqual(j["size"], len(VENDOR_BYTES))
        payloads = j["payloads"]
        # The payloads tile the message exactly.
        at = 0
        for p in payloads:
            self.assertEqual(p["offset"], at)
            at += p["length"]
        self.assertEqual(at, len(VENDOR_BYTES))
        self.assertEqual([p["type"] for p in payloads][:3], ["HDR", "T", "RAND"])
        self.assertEqual(payloads[-1]["type"], "SIGN")
        hdr = payloads[0]
        self.assertEqual(hdr["csb_id"], VENDOR_PCK_ID)
        self.assertEqual(hdr["data_type"]["value"], 26)
        self.assertEqual(payloads[2]["rand"], VENDOR_RAND)
        self.assertEqual(payloads[1]["ntp_seconds"] % (1 << 32), vendor_ntp_seconds())
        idr_roles = [p["id_role"]["value"] for p in payloads if p["type"] == "IDR"]
        self.assertEqual(sorted(idr_roles), [6, 7, 8, 9])
        kms = [p["data_text"] for p in payloads if p["type"] == "IDR" and p["id_role"]["value"] in (6, 7)]
        self.assertEqual(kms, ["kms.mydev.streamwide.com"] * 2)
        sakke = next(p for p in payloads if p["type"] == "SAKKE")
        self.assertEqual(sakke["data_length"], 257 + 16)   # R (uncompressed point) || H
        self.assertEqual(sakke["data"], VENDOR_BYTES[sakke["offset"] + 5:sakke["offset"] + 5 + 273].hex())
        sign = payloads[-1]
        self.assertEqual(sign["signature"], VENDOR_BYTES[-129:].hex())
        self.assertEqual(sign["r"] + sign["s"] + sign["pvt"], sign["signature"])

    def test_bad_messages(self):
        self.fails(1, "imsg", "dump", "mikey ARoF!!!!", contains="does not decode")
        self.fails(1, "imsg", "dump", "a=key-mgmt:mikey AR!o", contains="key-mgmt line (base64 after 'mikey') does not decode")
        self.fails(1, "imsg", "dump", VENDOR_BYTES[:-1].hex(), contains="not a valid MIKEY message")
        self.fails(1, "imsg", "dump", (VENDOR_BYTES + b"\0").hex(), contains="trailing bytes")
        self.fails(1, "imsg", "dump", "@/nonexistent/message", contains="cannot read MESSAGE file /nonexistent/message")
        self.fails(1, "imsg", "dump", "   ", contains="MESSAGE is empty")
        self.fails(2, "imsg", "dump", contains="MESSAGE is missing")
        self.fails(2, "imsg", "dump", "a", "b", "c", contains="expected one MESSAGE")


# -------------------------------------------------------------------------------------------------

class VendorOpenTests(CliCase):
    """The deployed product's PCK message, opened by skm as Bob from the Annex D XML files."""

    def open_args(self, keyset=VENDOR_BOB):
        # A captured message: older than the freshness window, so opened only with --allow-stale.
        return ["imsg", "open", "--cert", VENDOR_CERT, "--keyset", keyset, "--allow-stale"]

    def test_open_json(self):
        code, out, err = run(*self.open_args(), "--json", VENDOR_VALUE)
        self.assertEqual(code, 0, err)
        self.assertIn("warning", err)  # captured long ago: not fresh, opened anyway
        j = json.loads(out)
        self.assertIs(j["verified"], True)
        self.assertIs(j["fresh"], False)
        self.assertEqual(j["purpose"], "PCK")
        self.assertEqual(j["key"], VENDOR_PCK)
        self.assertEqual(j["key_id"], VENDOR_PCK_ID)
        self.assertEqual(j["csb_id"], VENDOR_PCK_ID)
        self.assertEqual(j["key_period_no"], VENDOR_PERIOD)
        self.assertIsNone(j["initiator"])  # hidden (IDRuidi)
        self.assertEqual(j["initiator_uid"], "b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4")
        self.assertEqual(j["responder"], "sip:bob@streamwide.com")
        self.assertEqual(j["rand"], VENDOR_RAND)
        self.assertEqual(j["key_parameters"]["key_type"], 1)
        self.assertEqual(j["key_parameters"]["status"], 1)
        # An empty CS ID map: a PCK's two crypto sessions (TS 33.180 E.1.3), both directions of
        # the private call, each checked against an independent RFC 3830/6043 PRF.
        self.assertEqual([s["cs_id"] for s in j["srtp"]], [0, 1])
        self.assertEqual([s["origin"] for s in j["srtp"]], ["purpose", "purpose"])
        self.assertIn("initiator", j["srtp"][0]["meaning"])
        self.assertIn("receiver", j["srtp"][1]["meaning"])
        for s in j["srtp"]:
            self.assertEqual(s["mki"], VENDOR_PCK_ID)
            key, salt = srtp_reference(VENDOR_PCK, s["cs_id"], VENDOR_PCK_ID, VENDOR_RAND)
            self.assertEqual((s["master_key"], s["master_salt"]), (key, salt))

    def test_freshness(self):
        t = vendor_ntp_seconds()
        strict = ["imsg", "open", "--cert", VENDOR_CERT, "--keyset", VENDOR_BOB]
        code, out, err = run(*strict, "--json", "--at", str(t + 10), VENDOR_VALUE)
        self.assertEqual((code, err), (0, ""))
        self.assertIs(json.loads(out)["fresh"], True)
        self.assertIs(json.loads(out)["stale_accepted"], False)
        # Stale by the clock: refused by default, in text and in JSON (one object, verified false).
        self.fails(1, *strict, VENDOR_VALUE, contains="refused (--allow-stale opens it)")
        code, out, err = run(*strict, "--json", VENDOR_VALUE)
        self.assertEqual(code, 1, err)
        j = json.loads(out)
        self.assertEqual((j["ok"], j["verified"], j["fresh"]), (False, False, False))
        self.assertIn("--allow-stale", j["error"])
        # --allow-stale opens it and says so.
        code, out, err = run(*strict, "--json", "--allow-stale", VENDOR_VALUE)
        self.assertEqual(code, 0, err)
        j = json.loads(out)
        self.assertEqual((j["verified"], j["fresh"], j["stale_accepted"]), (True, False, True))
        self.assertIn("warning", err)
        self.fails(1, *strict, "--at", str(t + 301), VENDOR_VALUE, contains="301 s before --at")
        self.fails(1, *strict, "--strict-time", "--at", str(t + 301), VENDOR_VALUE, contains="301 s before --at")
        self.ok(*strict, "--at", str(t - 300), VENDOR_VALUE)
        # --at in ISO 8601: the message time itself (2025-10-02T23:47:52Z) and a day later.
        self.ok(*strict, "--at", "2025-10-02T23:48:00Z", VENDOR_VALUE)
        self.fails(1, *strict, "--at", "2025-10-03", VENDOR_VALUE, contains="before --at")
        self.fails(2, *strict, "--at", "yesterday", VENDOR_VALUE, contains="neither NTP seconds nor ISO 8601")
        self.fails(2, *strict, "--allow-stale", "--strict-time", VENDOR_VALUE, contains="exclude each other")

    def test_text_output_and_forms(self):
        out, _ = self.ok(*self.open_args(), "@" + os.path.join(DATA, "vendor-pck.sdp"))
        self.assertIn("key           " + VENDOR_PCK, out)
        self.assertIn("key period    236", out)
        self.assertIn("(hidden)", out)

    def test_hidden_initiator_confirmed(self):
        j = self.json_ok(*self.open_args(), "--json", "--from-uri", "sip:alice@streamwide.com", VENDOR_VALUE)
        self.assertEqual(j["initiator"], "sip:alice@streamwide.com")
        self.fails(1, *self.open_args(), "--from-uri", "sip:mallory@streamwide.com", VENDOR_VALUE, contains="does not match")

    def test_rejections(self):
        # Alice's keys: the message is not for her.
        self.fails(1, *self.open_args(VENDOR_ALICE), VENDOR_VALUE, contains="addressed to someone else")
        code, out, err = run(*self.open_args(VENDOR_ALICE), "--json", VENDOR_VALUE)
        self.assertEqual(code, 1)
        j = json.loads(out)
        self.assertIs(j["verified"], False)
        self.assertIn("addressed to someone else", j["error"])
        # One bit of the signature flipped.
        bad = bytearray(VENDOR_BYTES)
        bad[-70] ^= 1
        self.fails(1, *self.open_args(), bytes(bad).hex(), contains="signature invalid")

    def test_bad_files(self):
        with tempfile.TemporaryDirectory() as d:
            broken = os.path.join(d, "broken.xml")
            with open(broken, "w") as f:
                f.write("<KmsResponse")
            self.fails(1, "imsg", "open", "--allow-stale", "--cert", broken, "--keyset", VENDOR_BOB, VENDOR_VALUE, contains="malformed XML")
            self.fails(1, "imsg", "open", "--allow-stale", "--cert", VENDOR_CERT, "--keyset", broken, VENDOR_VALUE, contains="malformed XML")
            self.fails(1, "imsg", "open", "--allow-stale", "--cert", os.path.join(d, "missing.xml"), "--keyset", VENDOR_BOB, VENDOR_VALUE,
                       contains="cannot read")
            # A key set whose SSK was changed fails validation against the certificate.
            with open(VENDOR_BOB) as f:
                text = f.read()
            ssk = re.search(r"<UserSigningKeySSK>([0-9a-f]+)<", text).group(1)
            tampered = os.path.join(d, "bob.xml")
            with open(tampered, "w") as f:
                f.write(text.replace(ssk, ssk[:-1] + ("0" if ssk[-1] != "0" else "1")))
            self.fails(1, "imsg", "open", "--allow-stale", "--cert", VENDOR_CERT, "--keyset", tampered, VENDOR_VALUE,
                       contains="key failed validation")
            # The certificate as keyset and vice versa.
            self.fails(1, "imsg", "open", "--allow-stale", "--cert", VENDOR_BOB, "--keyset", VENDOR_BOB, VENDOR_VALUE)
        self.fails(2, "imsg", "open", "--keyset", VENDOR_BOB, VENDOR_VALUE, contains="--cert is required")
        self.fails(1, *self.open_args(), "mikey %%%", contains="does not decode")


# -------------------------------------------------------------------------------------------------

class RoundTripTests(CliCase):
    """kms init -> kms provision -> imsg create -> imsg open, through files."""

    @classmethod
    def setUpClass(cls):
        set_up_community(cls, "kms.test.example.org", "test.example.org", "--period", "86400", "--offset", "3600")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_files(self):
        secrets = os.path.join(self.dir, "kms-secrets")
        self.assertEqual(stat.S_IMODE(os.stat(secrets).st_mode), 0o600)
        for path in self.keys.values():
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(self.cert) as f:
            cert = f.read()
        self.assertIn("<KmsUri>kms.test.example.org</KmsUri>", cert)
        self.assertIn("<UserKeyPeriod>86400</UserKeyPeriod>", cert)
        self.assertIn("<UserKeyOffset>3600</UserKeyOffset>", cert)
        self.assertNotIn(open(secrets).read().split("ksak ")[1].strip(), cert)
        # Never overwritten.
        self.fails(1, "kms", "init", "--kms-uri", "kms.test.example.org", "--dir", self.dir, contains="refusing to overwrite")

    def test_provision_stdout_and_period(self):
        out, _ = self.ok("kms", "provision", "--dir", self.dir, "--uri", "sip:carol@test.example.org", "--period-no", "5000")
        self.assertIn("<KeyPeriodNo>5000</KeyPeriodNo>", out)
        uid, _ = self.ok("uid", "--uri", "sip:carol@test.example.org", "--kms-uri", "kms.test.example.org", "--period", "86400",
                         "--offset", "3600", "--period-no", "5000")
        self.assertIn(f"<UserID>{uid.strip()}</UserID>", out)

    def create(self, *extra):
        return self.json_ok("imsg", "create", "--cert", self.cert, "--keyset", self.keys["alice"], "--to", "sip:bob@test.example.org", "--json", *extra)

    def open(self, message, *extra, keyset=None):
        return self.json_ok("imsg", "open", "--cert", self.cert, "--keyset", keyset or self.keys["bob"], "--json", *extra, message)

    def test_pck(self):
        sent = self.create("--key", "00112233445566778899aabbccddeeff", "--key-id", "1abcdef0")
        self.assertTrue(sent["message"].startswith("mikey "))
        self.assertEqual(sent["key"], "00112233445566778899aabbccddeeff")
        got = self.open(sent["message"])
        self.assertIs(got["verified"], True)
        self.assertIs(got["fresh"], True)
        self.assertEqual(got["key"], sent["key"])
        self.assertEqual(got["key_id"], "1abcdef0")
        self.assertEqual(got["purpose"], "PCK")
        self.assertEqual(got["initiator"], "sip:alice@test.example.org")
        self.assertEqual(got["key_period_no"], sent["key_period_no"])
        # Text output: just the SDP value.
        out, _ = self.ok("imsg", "create", "--cert", self.cert, "--keyset", self.keys["alice"], "--to", "sip:bob@test.example.org")
        self.assertRegex(out, r"^mikey [A-Za-z0-9+/]+=*\n$")
        self.assertEqual(self.open(out.strip())["purpose"], "PCK")

    def test_gmk_hidden_ids_and_extensions(self):
        sent = self.create("--purpose", "GMK", "--key-id", "0000abcd", "--hide-ids", "--sakke-to-self", "--sp")
        got = self.open(sent["message"])
        self.assertEqual(got["purpose"], "GMK")
        self.assertEqual(got["gmk_id"], "0000abcd")
        self.assertEqual(got["key_id"], "0000abcd")
        self.assertEqual(got["guk_id"], sent["csb_id"])
        self.assertNotEqual(got["guk_id"], "0000abcd")
        self.assertIsNone(got["initiator"])
        self.assertIs(got["sakke_to_self"], True)
        self.assertEqual([s["cs_id"] for s in got["srtp"]], [4])
        self.assertEqual(got["srtp"][0]["mki"], "0000abcd" + sent["csb_id"])
        dump = self.json_ok("imsg", "dump", "--json", sent["message"])
        self.assertIn("SP", [p["type"] for p in dump["payloads"]])

    def test_purposes(self):
        for purpose in ("CSK", "MuSiK", "SPK", "MKFC", "MSCCK"):
            got = self.open(self.create("--purpose", purpose)["message"])
            self.assertEqual(got["purpose"], purpose)

    def test_time_and_periods(self):
        # A message dated in another key period needs the key set of that period.
        self.fails(1, "imsg", "create", "--cert", self.cert, "--keyset", self.keys["alice"], "--to", "sip:bob@test.example.org",
                   "--date", "2001-01-01", contains="no key set for key period")

    def test_wrong_receiver_and_replay_of_files(self):
        sent = self.create()
        self.fails(1, "imsg", "open", "--cert", self.cert, "--keyset", self.keys["alice"], sent["message"], contains="addressed to someone else")
        # Another community's key set is refused as not belonging to the certificate.
        other = os.path.join(self.tmp.name, "other")
        self.ok("kms", "init", "--kms-uri", "kms.other.example.org", "--dir", other)
        self.fails(1, "imsg", "open", "--cert", os.path.join(other, "kms-cert.xml"), "--keyset", self.keys["bob"], sent["message"],
                   contains="KmsUri")

    def test_cross_community(self):
        other = os.path.join(self.tmp.name, "other2")
        self.ok("kms", "init", "--kms-uri", "kms.other2.example.org", "--dir", other)
        dave = os.path.join(self.tmp.name, "dave.xml")
        self.ok("kms", "provision", "--dir", other, "--uri", "sip:dave@other2.example.org", "--out", dave)
        other_cert = os.path.join(other, "kms-cert.xml")
        sent = self.json_ok("imsg", "create", "--cert", self.cert, "--keyset", self.keys["alice"], "--to", "sip:dave@other2.example.org",
            "--to-cert", other_cert, "--json")
        got = self.json_ok("imsg", "open", "--cert", other_cert, "--keyset", dave, "--from-cert", self.cert, "--json", sent["message"])
        self.assertEqual(got["key"], sent["key"])
        self.assertEqual(got["initiator_kms"], "kms.test.example.org")
        # Without the initiator's certificate the message cannot be verified.
        self.fails(1, "imsg", "open", "--cert", other_cert, "--keyset", dave, sent["message"], contains="not trusted")

    def test_bad_create_arguments(self):
        base = ["imsg", "create", "--cert", self.cert, "--keyset", self.keys["alice"], "--to", "sip:bob@test.example.org"]
        self.fails(2, *base, "--key", "0011", contains="--key must be 32 hex digits")
        self.fails(2, *base, "--key-id", "xyz", contains="--key-id must be 8 hex digits")
        self.fails(2, *base, "--purpose", "FOO", contains="unknown --purpose 'FOO'")
        self.fails(2, *base, "--purpose", "GMK", "--key-id", "1abcdef0", contains="carries purpose tag PCK")
        self.fails(2, "imsg", "create", "--cert", self.cert, "--keyset", self.keys["alice"], contains="--to is required")

    def test_secrets_must_match_certificate(self):
        d = os.path.join(self.tmp.name, "mismatch")
        self.ok("kms", "init", "--kms-uri", "kms.test.example.org", "--dir", d)
        # Certificate of one community with the secrets of another (same KMS URI).
        with open(self.cert) as f:
            cert = f.read()
        with open(os.path.join(d, "kms-cert.xml"), "w") as f:
            f.write(cert)
        self.fails(1, "kms", "provision", "--dir", d, "--uri", "sip:x@test.example.org", contains="does not hold the master secrets")
        with open(os.path.join(d, "kms-secrets"), "w") as f:
            f.write("nonsense\n")
        self.fails(1, "kms", "provision", "--dir", d, "--uri", "sip:x@test.example.org", contains="not an skm master secrets file")
        self.fails(1, "kms", "provision", "--dir", os.path.join(self.tmp.name, "nowhere"), "--uri", "sip:x@test.example.org",
                   contains="cannot read")
        self.fails(2, "kms", "provision", "--dir", self.dir, contains="give --uri URI")

    def test_batch(self):
        uris = os.path.join(self.tmp.name, "uris.txt")
        with open(uris, "w") as f:
            f.write("# users\nsip:u1@test.example.org\n\nsip:u2@test.example.org\ntel:+4412345\n")
        out_dir = os.path.join(self.tmp.name, "batch")
        out, err = self.ok("kms", "provision", "--dir", self.dir, "--uris", uris, "--out-dir", out_dir, "--threads", "2")
        self.assertRegex(out, r"^3 key sets for key period \d+ in [0-9.]+ s \([0-9.]+ key sets/s, 2 threads\) in ")
        self.assertEqual(err, "")  # not a terminal: no progress bar
        names = sorted(os.listdir(out_dir))
        self.assertEqual(names, ["sip_u1@test.example.org.xml", "sip_u2@test.example.org.xml", "tel_+4412345.xml"])
        for n in names:
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(out_dir, n)).st_mode), 0o600)
        # A batch key set works for sending.
        sent = self.json_ok("imsg", "create", "--cert", self.cert, "--keyset", os.path.join(out_dir, names[0]),
                            "--to", "sip:bob@test.example.org", "--json")
        self.assertEqual(self.open(sent["message"])["initiator"], "sip:u1@test.example.org")
        j = self.json_ok("kms", "provision", "--dir", self.dir, "--uris", uris, "--out-dir", out_dir + "2", "--threads", "1", "--json")
        self.assertEqual((j["key_sets"], j["threads"]), (3, 1))
        self.assertGreater(j["key_sets_per_second"], 0)
        self.fails(2, "kms", "provision", "--dir", self.dir, "--uris", uris, "--out-dir", out_dir, "--threads", "0", contains="--threads")
        self.fails(2, "kms", "provision", "--dir", self.dir, "--uris", uris, "--out-dir", out_dir, "--uri", "sip:x@y", contains="--uris and --out-dir")
        # Bulk issuing with the consistency check: the key sets validate on use like any other.
        out_fast = out_dir + "-fast"
        self.ok("kms", "provision", "--dir", self.dir, "--uris", uris, "--out-dir", out_fast, "--check", "consistency")
        sent = self.json_ok("imsg", "create", "--cert", self.cert, "--keyset", self.keys["alice"],
                            "--to", "sip:u2@test.example.org", "--json")
        got = self.json_ok("imsg", "open", "--cert", self.cert, "--keyset", os.path.join(out_fast, "sip_u2@test.example.org.xml"),
                           "--json", sent["message"])
        self.assertEqual(got["key"], sent["key"])
        self.fails(2, "kms", "provision", "--dir", self.dir, "--uri", "sip:x@y", "--check", "none", contains="--check")
        with open(uris, "a") as f:
            f.write("sip:u1@test.example.org\n")
        # Every failing line is reported (existing files are not replaced without --force).
        code, out, err = run("kms", "provision", "--dir", self.dir, "--uris", uris, "--out-dir", out_dir)
        self.assertEqual(code, 1, err)
        self.assertIn("line 6: sip:u1@test.example.org: listed twice", err)
        self.assertIn("line 2: sip:u1@test.example.org: " + os.path.join(out_dir, names[0]) + " already exists", err)
        self.assertTrue(err.splitlines()[-1].startswith("skm: 4 line(s) of "), err)

    @unittest.skipIf(shutil.which("script") is None, "util-linux 'script' (a terminal for the progress bar) not found")
    def test_batch_progress_on_a_terminal(self):
        uris = os.path.join(self.tmp.name, "uris-tty.txt")
        with open(uris, "w") as f:
            f.write("".join(f"sip:t{i}@test.example.org\n" for i in range(6)))
        out_dir = os.path.join(self.tmp.name, "batch-tty")
        command = shlex.join([SKM, "kms", "provision", "--dir", self.dir, "--uris", uris, "--out-dir", out_dir, "--threads", "1"])
        p = subprocess.run(["script", "-q", "-e", "-c", command, "/dev/null"], capture_output=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout)
        text = p.stdout.decode()
        self.assertRegex(text, r"\[#{30}\] 6/6  [0-9.]+ key sets/s")   # the final state of the bar
        self.assertIn("6 key sets for key period", text)
        self.assertRegex(text, r"key sets/s, 1 thread\) in ")
        self.assertEqual(len(os.listdir(out_dir)), 6)


# -------------------------------------------------------------------------------------------------

class InteropOpenTests(CliCase):
    """imsg open's interop options (off by default): --accept-signature-without-sign-header and
    --key-period-tolerance."""

    @classmethod
    def setUpClass(cls):
        set_up_community(cls, "kms.interop.example.org", "interop.example.org")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def create(self, *extra):
        return self.json_ok("imsg", "create", "--cert", self.cert, "--keyset", self.keys["alice"], "--to", "sip:bob@interop.example.org",
                            "--json", *extra)

    def open_args(self):
        return ["imsg", "open", "--cert", self.cert, "--keyset", self.keys["bob"]]

    def test_signature_without_sign_header(self):
        sent = self.create("--sign-without-sign-header")
        self.assertEqual(sent["signature_form"], "without-sign-header")
        # Refused by default: one line, exit 1 (and verified: false in JSON).
        self.fails(1, *self.open_args(), sent["message"], contains="signature invalid")
        code, out, err = run(*self.open_args(), "--json", sent["message"])
        self.assertEqual(code, 1, err)
        self.assertIs(json.loads(out)["verified"], False)
        # Opened with the option, which is reported.
        got = self.json_ok(*self.open_args(), "--json", "--accept-signature-without-sign-header", sent["message"])
        self.assertIs(got["verified"], True)
        self.assertEqual(got["key"], sent["key"])
        self.assertEqual(got["signature_form"], "without-sign-header")
        self.assertEqual(got["key_period_no"], sent["key_period_no"])
        self.assertEqual(got["time_period_no"], sent["key_period_no"])
        self.assertEqual(got["initiator_period_no"], sent["key_period_no"])
        out, _ = self.ok(*self.open_args(), "--accept-signature-without-sign-header", sent["message"])
        self.assertIn("signature     without the SIGN header (NOT RFC 3830", out)
        self.assertIn("key           " + sent["key"], out)

    def test_standard_message_with_both_options(self):
        sent = self.create()
        self.assertEqual(sent["signature_form"], "rfc3830")
        both = ["--accept-signature-without-sign-header", "--key-period-tolerance", "1"]
        got = self.json_ok(*self.open_args(), "--json", *both, sent["message"])
        self.assertEqual(got["key"], sent["key"])
        self.assertEqual(got["signature_form"], "rfc3830")
        self.assertEqual((got["key_period_no"], got["time_period_no"], got["initiator_period_no"]), (sent["key_period_no"],) * 3)
        out, _ = self.ok(*self.open_args(), *both, sent["message"])
        self.assertIn("signature     RFC 3830", out)
        self.assertNotIn("NOT", out)
        # A flipped signature bit stays refused with both options.
        bad = bytearray(base64.b64decode(sent["message"][len("mikey "):]))
        bad[-70] ^= 1
        self.fails(1, *self.open_args(), *both, bytes(bad).hex(), contains="signature invalid")

    def test_key_period_tolerance_argument(self):
        sent = self.create()
        for bad in ("2", "-1", "one", "", "01"):
            self.fails(2, *self.open_args(), "--key-period-tolerance", bad, sent["message"], contains="--key-period-tolerance must be 0 or 1")
        self.assertEqual(self.json_ok(*self.open_args(), "--json", "--key-period-tolerance", "0", sent["message"])["key"], sent["key"])

    def test_hidden_initiator_period(self):
        # The vendor message: a hidden initiator's period is known only once --from-uri confirms it.
        vendor = ["imsg", "open", "--cert", VENDOR_CERT, "--keyset", VENDOR_BOB, "--json", "--key-period-tolerance", "1", "--allow-stale"]
        code, out, err = run(*vendor, VENDOR_VALUE)
        self.assertEqual(code, 0, err)
        j = json.loads(out)
        self.assertIsNone(j["initiator_period_no"])
        self.assertEqual((j["key_period_no"], j["time_period_no"], j["signature_form"]), (VENDOR_PERIOD, VENDOR_PERIOD, "rfc3830"))
        code, out, err = run(*vendor, "--from-uri", "sip:alice@streamwide.com", VENDOR_VALUE)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["initiator_period_no"], VENDOR_PERIOD)


# -------------------------------------------------------------------------------------------------

class DemoTests(CliCase):
    def test_demo(self):
        out, err = self.ok("demo")
        self.assertEqual(err, "")
        self.assertNotIn("FAILED", out)
        m = re.search(r"(\d+) of (\d+) checks passed", out)
        self.assertIsNotNone(m)
        self.assertEqual(m.group(1), m.group(2))
        self.assertGreaterEqual(int(m.group(2)), 10)
        self.assertIn("The PCK I_MESSAGE, payload by payload", out)
        self.assertIn("SIGN", out)

    def test_demo_hidden_ids_no_dump(self):
        out, _ = self.ok("demo", "--no-dump", "--hide-ids")
        self.assertNotIn("payload by payload:", out)
        self.assertNotIn("FAILED", out)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    SKM = sys.argv[1]
    names = sys.argv[2:]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    module = sys.modules[__name__]
    for name in names or [n for n in dir(module) if n.endswith("Tests")]:
        suite.addTests(loader.loadTestsFromTestCase(getattr(module, name)))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
