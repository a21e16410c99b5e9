#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The security extension in the running service (suite `trk`): `skm kms serve --trk-dir` on
127.0.0.1 over TLS, `skm kms fetch --trk/--ink`, `skm kms trk new/rotate`; the served answers
checked by independent implementations (xmlsec1 verifies the signature, openssl unwraps the key
material); rotation end to end; and the refusals (wrong key, tampering, missing key file, bad
permissions, unsigned answers, users without a TrK).

usage: test_trk_service.py SKM_BINARY GROUP      (GROUP: a TestCase class name below)
Reuses World and Server of tests/kms_service/test_service.py (exit 77 without PyJWT etc.).
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kms_service"))
import test_service as ts  # noqa: E402  (SKM is read from sys.argv[1] there too)

if shutil.which("xmlsec1") is None:
    print("xmlsec1 is needed (Debian: xmlsec1)")
    sys.exit(77)

SKM = ts.SKM
NS = ts.NS
BASE = ts.BASE
DS = "{http://www.w3.org/2000/09/xmldsig#}"
XENC = "{http://www.w3.org/2001/04/xmlenc#}"
ALICE = "sip:alice@example.org"
BOB = "sip:bob@example.org"
CAROL = "sip:carol@example.org"
WORLD = None
SERVER = None
TRK_DIR = None


def run(args, **kw):
    return ts.run(args, **kw)


def key_of(path):
    """(name, key octets) of a key file."""
    name, hexkey = ts.read(path).split()
    return name, bytes.fromhex(hexkey)


def trk(*args):
    r = run([SKM, "kms", "trk", *args])
    return r


def setUpModule():
    global WORLD, SERVER, TRK_DIR
    WORLD = ts.World()
    TRK_DIR = WORLD.path("trk")
    for user, extra in ((ALICE, ["--ink"]), (BOB, [])):
        r = trk("new", "--trk-dir", TRK_DIR, "--user", user, "--out",
                WORLD.path(user.split(":")[1] + ".trk"), *extra)
        assert r.returncode == 0, r.stderr
    SERVER = ts.Server(WORLD, "--trk-dir", TRK_DIR, "--rate", "1000", "--burst", "1000")


def tearDownModule():
    if SERVER:
        SERVER.stop()
    if WORLD:
        shutil.rmtree(WORLD.dir, ignore_errors=True)


class Base(unittest.TestCase):
    def token_file(self, user):
        path = WORLD.path("token-" + user.split(":")[1])
        with open(path, "w") as f:
            f.write(WORLD.token(user))
        return path

    def fetch(self, user, out, *extra, server=None, fresh=True):
        """skm kms fetch into WORLD/out, emptied first unless fresh is False."""
        s = server or SERVER
        if fresh:
            shutil.rmtree(WORLD.path(out), ignore_errors=True)
        return run([SKM, "kms", "fetch", "--url", s.url, "--token-file", self.token_file(user),
                    "--ca", WORLD.path("ca.pem"), "--out-dir", WORLD.path(out), *extra])

    def copy_key(self, src, dst):
        shutil.copyfile(src, dst)
        os.chmod(dst, 0o600)
        return dst

    def served(self, user, name, path=BASE + "/keyprov"):
        status, _, body = SERVER.request(path, WORLD.token(user))
        self.assertEqual(status, 200, body)
        with open(WORLD.path(name), "wb") as f:
            f.write(body)
        return WORLD.path(name), body

    def xmlsec_verify(self, doc, name, key):
        key_bin = WORLD.path("hmac.bin")
        with open(key_bin, "wb") as f:
            f.write(key)
        return run(["xmlsec1", "--verify", "--hmackey:" + name, key_bin,
                    "--id-attr:Id", "urn:3gpp:ns:mcsecKMSInterface:1.0:KmsResponse",
                    "--enabled-reference-uris", "same-doc", doc])


class ServedTests(Base):
    """Signed, wrapped answers; checked by xmlsec1 and openssl; fetched and unwrapped by skm."""

    def test_fetch_verifies_and_unwraps(self):
        alice_trk = self.copy_key(WORLD.path("alice@example.org.trk"), WORLD.path("a1.trk"))
        alice_ink = self.copy_key(WORLD.path("alice@example.org.trk.ink"), WORLD.path("a1.ink"))
        r = self.fetch(ALICE, "f-alice", "--trk", alice_trk, "--ink", alice_ink)
        self.assertEqual(r.returncode, 0, r.stderr)
        text = ts.read(WORLD.path("f-alice/keyset.xml"), "rb")
        sets = ts.key_set_values(text)  # plain keys, ready for skm imsg
        self.assertEqual([s[0] for s in sets], [ALICE, ALICE])
        self.assertEqual(stat.S_IMODE(os.stat(WORLD.path("f-alice/keyset.xml")).st_mode), 0o600)
        # skm imsg uses them: alice signs an I_MESSAGE to herself and opens it.
        cert, ks = WORLD.path("f-alice/cert.xml"), WORLD.path("f-alice/keyset.xml")
        r = run([SKM, "imsg", "create", "--cert", cert, "--keyset", ks, "--to", ALICE, "--json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        sent = json.loads(r.stdout)
        message = sent.get("message") or sent.get("key_mgmt") or sent.get("mikey")
        r = run([SKM, "imsg", "open", "--cert", cert, "--keyset", ks, "--json", message])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["key"], sent["key"])
        # Bob has no InK: signed with his TrK.
        bob_trk = self.copy_key(WORLD.path("bob@example.org.trk"), WORLD.path("b1.trk"))
        r = self.fetch(BOB, "f-bob", "--trk", bob_trk)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_served_answer_verifies_with_xmlsec1(self):
        ink_name, ink = key_of(WORLD.path("alice@example.org.trk.ink"))
        trk_name, trk_key = key_of(WORLD.path("alice@example.org.trk"))
        for path in (BASE + "/keyprov", BASE + "/init"):
            doc, body = self.served(ALICE, "served.xml", path)
            root = ET.fromstring(body)
            self.assertEqual(root.tag, NS + "SignedKmsResponse")
            self.assertEqual(root.find(f"{DS}Signature/{DS}KeyInfo/{DS}KeyName").text, ink_name)
            r = self.xmlsec_verify(doc, ink_name, ink)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotEqual(self.xmlsec_verify(doc, ink_name, trk_key).returncode, 0)
        # Bob's answers are signed with his TrK.
        bob_name, bob_key = key_of(WORLD.path("bob@example.org.trk"))
        doc, body = self.served(BOB, "served-bob.xml")
        self.assertEqual(
            ET.fromstring(body).find(f"{DS}Signature/{DS}KeyInfo/{DS}KeyName").text, bob_name)
        self.assertEqual(self.xmlsec_verify(doc, bob_name, bob_key).returncode, 0)

    def test_tampered_answer_fails_xmlsec1_and_skm(self):
        ink_name, ink = key_of(WORLD.path("alice@example.org.trk.ink"))
        doc, body = self.served(ALICE, "tamper.xml")
        text = body.decode()
        pos = text.index("<KeyPeriodNo>") + len("<KeyPeriodNo>")
        bad = text[:pos] + ("9" if text[pos] != "9" else "8") + text[pos + 1:]
        with open(WORLD.path("tampered.xml"), "w") as f:
            f.write(bad)
        self.assertNotEqual(self.xmlsec_verify(WORLD.path("tampered.xml"), ink_name,
                                               ink).returncode, 0)
        args = [SKM, "kms", "inspect", "--ignore-validity", "--cert",
                os.path.join(WORLD.community, "kms-cert.xml"),
                "--trk", WORLD.path("alice@example.org.trk"), "--ink",
                WORLD.path("alice@example.org.trk.ink")]
        r = run(args + [doc])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotEqual(run(args + [WORLD.path("tampered.xml")]).returncode, 0)

    def test_wrapped_keys_unwrap_with_openssl(self):
        _, trk_key = key_of(WORLD.path("alice@example.org.trk"))
        _, body = self.served(ALICE, "wrapped.xml")
        root = ET.fromstring(body)
        sets = root.findall(f"{NS}KmsResponse/{NS}KmsMessage/{NS}KmsKeyProv/{NS}KmsKeySet")
        self.assertEqual(len(sets), 2)
        alice_trk = self.copy_key(WORLD.path("alice@example.org.trk"), WORLD.path("a2.trk"))
        alice_ink = self.copy_key(WORLD.path("alice@example.org.trk.ink"), WORLD.path("a2.ink"))
        # Alice's answers are signed with her InK: without it the client cannot verify them.
        r = self.fetch(ALICE, "f-alice2", "--trk", alice_trk)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ik.1.sip:alice@example.org', which is not held here", r.stderr)
        r = self.fetch(ALICE, "f-alice2", "--trk", alice_trk, "--ink", alice_ink)
        self.assertEqual(r.returncode, 0, r.stderr)
        plain = ts.key_set_values(ts.read(WORLD.path("f-alice2/keyset.xml"), "rb"))
        for ks, values in zip(sets, plain):
            for element, want in zip(("UserDecryptKey", "UserSigningKeySSK", "UserPubTokenPVT"),
                                     values[3:]):
                ek = ks.find(f"{NS}{element}/{XENC}EncryptedKey")
                self.assertIsNotNone(ek, element)
                self.assertEqual(ek.find(f"{DS}KeyInfo/{DS}KeyName").text,
                                 key_of(WORLD.path("alice@example.org.trk"))[0])
                cipher = bytes.fromhex(ek.find(f"{XENC}CipherData/{XENC}CipherValue").text)
                with open(WORLD.path("c.bin"), "wb") as f:
                    f.write(cipher)
                r = run(["openssl", "enc", "-d", "-id-aes256-wrap-pad", "-K", trk_key.hex(),
                         "-iv", "A65959A6", "-in", WORLD.path("c.bin"),
                         "-out", WORLD.path("p.bin")])
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(ts.read(WORLD.path("p.bin"), "rb").hex().upper(),
                                 re.sub(r"\s", "", want).upper(), element)

    def test_rfc3394_stripped_base64_trk_signed(self):
        s = ts.Server(WORLD, "--trk-dir", TRK_DIR, "--sign", "trk", "--encrypt",
                      "rfc3394-stripped", "--cipher-value", "base64")
        try:
            trk_path = self.copy_key(WORLD.path("alice@example.org.trk"), WORLD.path("a3.trk"))
            ink_path = self.copy_key(WORLD.path("alice@example.org.trk.ink"), WORLD.path("a3.ink"))
            r = self.fetch(ALICE, "f-3394", "--trk", trk_path, "--ink", ink_path, "--wrap",
                           "rfc3394-stripped", server=s)
            self.assertEqual(r.returncode, 0, r.stderr)
            # The flavour is never guessed: the default rfc5649 refuses these keys.
            r = self.fetch(ALICE, "f-3394-wrong", "--trk", trk_path, server=s)
            self.assertNotEqual(r.returncode, 0)
            self.assertFalse(os.path.exists(WORLD.path("f-3394-wrong/keyset.xml")))
        finally:
            s.stop()


class RefusalTests(Base):
    def assert_refused(self, r, out, word):
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn(word, r.stderr)
        self.assertFalse(os.path.exists(WORLD.path(out + "/keyset.xml")))

    def test_wrong_trk_on_the_client(self):
        name, _ = key_of(WORLD.path("bob@example.org.trk"))
        wrong = WORLD.path("wrong.trk")
        with open(wrong, "w") as f:
            f.write(name + " " + "ab" * 32 + "\n")
        os.chmod(wrong, 0o600)
        self.assert_refused(self.fetch(BOB, "f-wrong", "--trk", wrong), "f-wrong",
                            "does not verify")
        other = WORLD.path("other.trk")
        with open(other, "w") as f:
            f.write("tk.7.sip:bob@example.org " + "ab" * 32 + "\n")
        os.chmod(other, 0o600)
        self.assert_refused(self.fetch(BOB, "f-other", "--trk", other), "f-other",
                            "not held here")

    def test_unsigned_answer_refused(self):
        plain = ts.Server(WORLD)
        try:
            bob = self.copy_key(WORLD.path("bob@example.org.trk"), WORLD.path("b-plain.trk"))
            self.assert_refused(self.fetch(BOB, "f-plain", "--trk", bob, server=plain),
                                "f-plain", "not signed")
        finally:
            plain.stop()
        # --sign none: the key material is wrapped but nothing is signed.
        nosign = ts.Server(WORLD, "--trk-dir", TRK_DIR, "--sign", "none")
        try:
            bob = self.copy_key(WORLD.path("bob@example.org.trk"), WORLD.path("b-plain.trk"))
            self.assert_refused(self.fetch(BOB, "f-nosign", "--trk", bob, server=nosign),
                                "f-nosign", "not signed")
        finally:
            nosign.stop()

    def test_user_without_trk(self):
        status, _, body = SERVER.request(BASE + "/keyprov", WORLD.token(CAROL))
        self.assertEqual(status, 403)
        self.assertEqual(ts.kms_error(body), (403, "no transport key is provisioned for this "
                                                   "identity"))
        self.assertEqual(SERVER.request(BASE + "/init", WORLD.token(CAROL))[0], 403)
        # Allowed explicitly: plain answers for such users, signed ones for the others.
        s = ts.Server(WORLD, "--trk-dir", TRK_DIR, "--plain-without-trk")
        try:
            status, _, body = s.request(BASE + "/keyprov", WORLD.token(CAROL))
            self.assertEqual(status, 200)
            self.assertEqual(ET.fromstring(body).tag, NS + "KmsResponse")
            status, _, body = s.request(BASE + "/keyprov", WORLD.token(BOB))
            self.assertEqual(ET.fromstring(body).tag, NS + "SignedKmsResponse")
        finally:
            s.stop()

    def test_missing_and_bad_key_files(self):
        r = self.fetch(BOB, "f-missing", "--trk", WORLD.path("no-such.trk"))
        self.assert_refused(r, "f-missing", "cannot be read")
        loose = self.copy_key(WORLD.path("bob@example.org.trk"), WORLD.path("loose.trk"))
        os.chmod(loose, 0o644)
        self.assert_refused(self.fetch(BOB, "f-loose", "--trk", loose), "f-loose", "mode 0600")
        # The server: a key file readable by others is refused for that user only (500, the
        # file named in the log, not in the answer); a loose directory stops the start.
        dave = "sip:dave@example.org"
        self.assertEqual(trk("new", "--trk-dir", TRK_DIR, "--user", dave).returncode, 0)
        dave_file = os.path.join(TRK_DIR, "tk.1." + dave)
        os.chmod(dave_file, 0o640)
        try:
            status, _, body = SERVER.request(BASE + "/keyprov", WORLD.token(dave))
            self.assertEqual(status, 500)
            self.assertNotIn("tk.1", ts.kms_error(body)[1])
            self.assertIn("tk.1." + dave + " must belong to the service", SERVER.log())
        finally:
            os.chmod(dave_file, 0o600)
        self.assertEqual(SERVER.request(BASE + "/keyprov", WORLD.token(dave))[0], 200)
        loose_dir = WORLD.path("loose-trk")
        os.mkdir(loose_dir, 0o755)
        with self.assertRaises(AssertionError) as e:
            ts.Server(WORLD, "--trk-dir", loose_dir)
        self.assertIn("mode 0700", str(e.exception))
        with self.assertRaises(AssertionError):
            ts.Server(WORLD, "--trk-dir", WORLD.path("no-such-dir"))


class RotationTests(Base):
    def device_key_then_rotation(self, user, device, *ink):
        # The device's first key (tk.1, and ik.1 with "--ink"), then a pending rotation to tk.2.
        self.assertEqual(trk("new", "--trk-dir", TRK_DIR, "--user", user, *ink, "--out",
                             device).returncode, 0)
        self.assertEqual(trk("rotate", "--trk-dir", TRK_DIR, "--user", user, *ink).returncode, 0)

    def test_rotation_end_to_end(self):
        user = "sip:erin@example.org"
        device = WORLD.path("erin.trk")
        r = trk("new", "--trk-dir", TRK_DIR, "--user", user, "--ink", "--out", device)
        self.assertEqual(r.returncode, 0, r.stderr)
        old_trk = self.copy_key(device, WORLD.path("erin-old.trk"))
        old_ink = self.copy_key(device + ".ink", WORLD.path("erin-old.trk.ink"))
        # Nothing pending yet: a rotation needs a current TrK and only one at a time.
        self.assertNotEqual(trk("rotate", "--trk-dir", TRK_DIR, "--user",
                                "sip:nobody@example.org").returncode, 0)
        r = trk("rotate", "--trk-dir", TRK_DIR, "--user", user, "--ink")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("tk.2." + user, r.stdout)
        self.assertNotEqual(trk("rotate", "--trk-dir", TRK_DIR, "--user", user).returncode, 0)
        self.assertTrue(os.path.exists(os.path.join(TRK_DIR, "tk.2." + user + ".pending")))
        # The next answer carries the new keys under the current TrK; the client installs them.
        r = self.fetch(user, "f-erin", "--trk", device, "--ink", device + ".ink")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("new transport key tk.2." + user, r.stdout)
        self.assertIn("new integrity key ik.2." + user, r.stdout)
        self.assertEqual(key_of(device)[0], "tk.2." + user)
        self.assertEqual(key_of(device), key_of(os.path.join(TRK_DIR, "tk.2." + user)))
        self.assertEqual(key_of(device + ".ink"), key_of(os.path.join(TRK_DIR, "ik.2." + user)))
        self.assertEqual(stat.S_IMODE(os.stat(device).st_mode), 0o600)
        self.assertFalse(os.path.exists(os.path.join(TRK_DIR, "tk.2." + user + ".pending")))
        # From the next request on: signed with ik.2, wrapped under tk.2.
        _, body = self.served(user, "erin2.xml")
        root = ET.fromstring(body)
        self.assertEqual(root.find(f"{DS}Signature/{DS}KeyInfo/{DS}KeyName").text,
                         "ik.2." + user)
        self.assertIsNone(root.find(f".//{NS}NewTransportKey"))
        r = self.fetch(user, "f-erin2", "--trk", device, "--ink", device + ".ink")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("new transport key", r.stdout)
        # The old keys no longer verify.
        r = self.fetch(user, "f-erin-old", "--trk", old_trk, "--ink", old_ink)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not held here", r.stderr)

    def unwrap_carried(self, element, kek):
        """The key an answer carries in `element` (NewTransportKey/NewIntegrityKey), unwrapped
        by openssl (RFC 5649) with `kek`; and its CarriedKeyName."""
        ek = element.find(f"{XENC}EncryptedKey")
        with open(WORLD.path("carried.bin"), "wb") as f:
            f.write(bytes.fromhex(ek.find(f"{XENC}CipherData/{XENC}CipherValue").text))
        r = run(["openssl", "enc", "-d", "-id-aes256-wrap-pad", "-K", kek.hex(), "-iv", "A65959A6",
                 "-in", WORLD.path("carried.bin"), "-out", WORLD.path("carried-plain.bin")])
        self.assertEqual(r.returncode, 0, r.stderr)
        return ek.findtext(f"{XENC}CarriedKeyName"), ts.read(WORLD.path("carried-plain.bin"), "rb")

    def test_rotation_carried_in_init(self):
        # A pending rotation goes out in the next init answer (KmsInitTkIkType), signed with the
        # current InK and wrapped under the current TrK; a cert answer carries none.
        user = "sip:hank@example.org"
        device = WORLD.path("hank.trk")
        self.device_key_then_rotation(user, device, "--ink")
        pending = os.path.join(TRK_DIR, "tk.2." + user + ".pending")
        _, cert_body = self.served(user, "hank-cert.xml", BASE + "/cert/" + ts.KMS_URI)
        self.assertIsNone(ET.fromstring(cert_body).find(f".//{NS}NewTransportKey"))
        self.assertTrue(os.path.exists(pending))
        doc, body = self.served(user, "hank-init.xml", BASE + "/init")
        self.assertFalse(os.path.exists(pending))
        ink_name, ink = key_of(device + ".ink")
        self.assertEqual(self.xmlsec_verify(doc, ink_name, ink).returncode, 0)
        init = ET.fromstring(body).find(f"{NS}KmsResponse/{NS}KmsMessage/{NS}KmsInit")
        self.assertEqual(init.get("{http://www.w3.org/2001/XMLSchema-instance}type"),
                         "KmsInitTkIkType")
        self.assertEqual([c.tag for c in init],
                         [NS + "KmsCertificate", NS + "NewTransportKey", NS + "NewIntegrityKey"])
        _, old_trk = key_of(device)
        for element, prefix in (("NewTransportKey", "tk.2."), ("NewIntegrityKey", "ik.2.")):
            name, key = self.unwrap_carried(init.find(NS + element), old_trk)
            self.assertEqual(name, prefix + user)
            self.assertEqual((name, key), key_of(os.path.join(TRK_DIR, prefix + user)))
        # skm kms inspect with the old keys verifies the answer and names the carried keys.
        r = run([SKM, "kms", "inspect", "--trk", device, "--ink", device + ".ink", doc])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for element, prefix in (("NewTransportKey", "tk.2."), ("NewIntegrityKey", "ik.2.")):
            self.assertIn(f"{element}: a new key {prefix}{user} (256 bits)", r.stdout)
            self.assertIn(f"{element}: decrypted with tk.1.{user}", r.stdout)
        # The next request (keyprov) is signed with ik.2 and wrapped under tk.2.
        doc, body = self.served(user, "hank-prov.xml")
        new_ink_name, new_ink = key_of(os.path.join(TRK_DIR, "ik.2." + user))
        self.assertEqual(self.xmlsec_verify(doc, new_ink_name, new_ink).returncode, 0)
        self.assertNotEqual(self.xmlsec_verify(doc, ink_name, ink).returncode, 0)
        self.assertIsNone(ET.fromstring(body).find(f".//{NS}NewTransportKey"))

    def test_fetch_installs_a_key_carried_in_init(self):
        # skm kms fetch: init carries the new TrK, the client installs it at once and its keyprov
        # (wrapped under and signed with the new TrK) succeeds with it; cert.xml holds no key.
        user = "sip:ivy@example.org"
        device = WORLD.path("ivy.trk")
        self.device_key_then_rotation(user, device)
        r = self.fetch(user, "f-ivy", "--trk", device)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.count("new transport key tk.2." + user), 1)
        self.assertEqual(key_of(device), key_of(os.path.join(TRK_DIR, "tk.2." + user)))
        self.assertNotIn("NewTransportKey", ts.read(WORLD.path("f-ivy/cert.xml")))
        self.assertEqual(ET.fromstring(ts.read(WORLD.path("f-ivy/cert.xml"), "rb")).tag,
                         NS + "KmsResponse")
        r = run([SKM, "imsg", "create", "--cert", WORLD.path("f-ivy/cert.xml"), "--keyset",
                 WORLD.path("f-ivy/keyset.xml"), "--to", user])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_carried_key_installed_even_when_outputs_fail(self):
        # The KMS uses the new key once it sent it: the client installs it before writing its
        # outputs, so an output that cannot be written does not lose the key.
        user = "sip:gina@example.org"
        device = WORLD.path("gina.trk")
        self.device_key_then_rotation(user, device)
        out = WORLD.path("f-gina")
        shutil.rmtree(out, ignore_errors=True)
        os.mkdir(out)
        with open(os.path.join(out, "keyset.xml"), "w") as f:
            f.write("in the way\n")
        r = self.fetch(user, "f-gina", "--trk", device, fresh=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(key_of(device)[0], "tk.2." + user)
        r = self.fetch(user, "f-gina", "--trk", device, "--force", fresh=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("new transport key", r.stdout)

    def test_rotation_under_the_wrong_key_is_refused(self):
        user = "sip:frank@example.org"
        device = WORLD.path("frank.trk")
        self.assertEqual(trk("new", "--trk-dir", TRK_DIR, "--user", user, "--out",
                             device).returncode, 0)
        name, _ = key_of(device)
        wrong = WORLD.path("frank-wrong.trk")
        with open(wrong, "w") as f:
            f.write(name + " " + "cd" * 32 + "\n")
        os.chmod(wrong, 0o600)
        before = ts.read(wrong)
        self.assertEqual(trk("rotate", "--trk-dir", TRK_DIR, "--user", user).returncode, 0)
        r = self.fetch(user, "f-frank", "--trk", wrong)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(ts.read(wrong), before)  # nothing installed
        self.assertFalse(os.path.exists(WORLD.path("f-frank/keyset.xml")))


if __name__ == "__main__":
    group = sys.argv[2] if len(sys.argv) > 2 else None
    unittest.main(argv=[sys.argv[0]] + ([group] if group else []), verbosity=2)
