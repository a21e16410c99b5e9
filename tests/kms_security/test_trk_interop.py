#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Interop of the KMS security extension with independent implementations (suite `trk`):
XML-DSig against the xmlsec1 command-line tool (both directions, tampering fails both), and the
TrK key wrap of the three key elements against the openssl command-line tool (both flavours,
both directions, wrong keys and lengths refused).

Usage: test_trk_interop.py TRK_TOOL TestClass [SKM_TOOL]
"""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

TOOL = None
SKM = None
KMS_NS = "urn:3gpp:ns:mcsecKMSInterface:1.0"
TRK_NAME = "tk.1.sip:alice@streamwide.com"
INK_NAME = "ik.1.sip:alice@streamwide.com"
TRK = bytes(range(0x11, 0x11 + 32))
INK = bytes((0x55 + 7 * i) & 0xFF for i in range(32))
WRONG = bytes(32 - i for i in range(32))


def run(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=30, **kw)


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="skm-trk-")
        self.trk = self.key_file("trk", TRK_NAME, TRK)
        self.ink = self.key_file("ink", INK_NAME, INK)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def key_file(self, stem, name, key):
        """The skm key file and the raw key for xmlsec1/openssl."""
        with open(self.path(stem + ".key"), "w") as f:
            f.write(name + " " + key.hex() + "\n")
        with open(self.path(stem + ".bin"), "wb") as f:
            f.write(key)
        return self.path(stem + ".key")

    def tool(self, *args, ok=True):
        r = run([TOOL] + list(args))
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr.decode())
        else:
            self.assertNotEqual(r.returncode, 0, r.stdout.decode())
        return r

    def write(self, name, text):
        with open(self.path(name), "w" if isinstance(text, str) else "wb") as f:
            f.write(text)
        return self.path(name)

    def read(self, name):
        with open(self.path(name)) as f:
            return f.read()


class XmlsecTests(Base):
    def xmlsec_verify(self, doc, key_bin, name=TRK_NAME):
        return run(["xmlsec1", "--verify", "--hmackey:" + name, key_bin,
                    "--id-attr:Id", KMS_NS + ":KmsResponse",
                    "--enabled-reference-uris", "same-doc", doc])

    def test_skm_signed_verifies_with_xmlsec1(self):
        for c14n in ["c14n", "c14n-comments", "exc-c14n", "exc-c14n-comments"]:
            with self.subTest(c14n=c14n):
                doc = self.path("signed-%s.xml" % c14n)
                self.tool("write", doc, "--trk", self.trk, "--sign", "trk", "--c14n", c14n,
                          "--encrypt", "rfc5649")
                r = self.xmlsec_verify(doc, self.path("trk.bin"))
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertIn(b"OK", r.stdout + r.stderr)
                self.tool("read", doc, "--trk", self.trk)
                # The wrong key fails in xmlsec1 as in skm.
                r = self.xmlsec_verify(doc, self.path("ink.bin"))
                self.assertNotEqual(r.returncode, 0)

    def test_tampered_byte_fails_both(self):
        doc = self.path("signed.xml")
        self.tool("write", doc, "--trk", self.trk, "--ink", self.ink, "--sign", "ink")
        self.assertEqual(self.xmlsec_verify(doc, self.path("ink.bin"), INK_NAME).returncode, 0)
        self.tool("read", doc, "--trk", self.trk, "--ink", self.ink)
        text = self.read("signed.xml")
        start = text.index("<KmsResponse")
        end = text.index("</KmsResponse>")
        # A byte at several places inside the signed element (text content only, so that the
        # document stays well-formed and the signature is what fails).
        spots = [m.start() for m in re.finditer(r">[^<\s]", text[start:end])]
        for spot in spots[:: max(1, len(spots) // 4)]:
            pos = start + spot + 1
            ch = text[pos]
            bad = text[:pos] + ("0" if ch != "0" else "1") + text[pos + 1:]
            tampered = self.write("tampered.xml", bad)
            with self.subTest(pos=pos):
                self.assertNotEqual(self.xmlsec_verify(tampered, self.path("ink.bin"),
                                                       INK_NAME).returncode, 0)
                self.tool("read", tampered, "--trk", self.trk, "--ink", self.ink, ok=False)

    TEMPLATE = """<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="{c14n}"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"/>
<ds:Reference URI="#xmldoc">
<ds:Transforms>
<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>
</ds:Transforms>
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
<ds:DigestValue></ds:DigestValue>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue></ds:SignatureValue>
<ds:KeyInfo><ds:KeyName>{name}</ds:KeyName></ds:KeyInfo>
</ds:Signature>"""

    def xmlsec_signed(self, c14n, encrypt):
        """The fixture response, signed by xmlsec1 --sign from a template."""
        plain = self.path("plain.xml")
        args = ["write", plain, "--trk", self.trk]
        if encrypt:
            args += ["--encrypt", "rfc3394-stripped", "--encoding", "base64"]
        self.tool(*args)
        body = self.read("plain.xml")
        body = body[body.index("<KmsResponse"):]
        template = ('<?xml version="1.0" encoding="UTF-8"?>\n<SignedKmsResponse xmlns="%s">%s'
                    "%s</SignedKmsResponse>\n" % (KMS_NS, body.strip(),
                                                  self.TEMPLATE.format(c14n=c14n, name=TRK_NAME)))
        tmpl = self.write("template.xml", template)
        out = self.path("xmlsec-signed.xml")
        r = run(["xmlsec1", "--sign", "--hmackey:" + TRK_NAME, self.path("trk.bin"),
                 "--id-attr:Id", KMS_NS + ":KmsResponse", "--output", out, tmpl])
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return out

    def test_xmlsec1_signed_verifies_in_skm(self):
        for c14n in ["http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
                     "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
                     "http://www.w3.org/2001/10/xml-exc-c14n#"]:
            for encrypt in [False, True]:
                with self.subTest(c14n=c14n, encrypt=encrypt):
                    out = self.xmlsec_signed(c14n, encrypt)
                    wrap = ["--wrap", "rfc3394-stripped"] if encrypt else []
                    r = self.tool("read", out, "--trk", self.trk, *wrap)
                    self.assertIn(b"verified KmsResponse with " + TRK_NAME.encode(), r.stdout)
                    self.assertEqual(r.stdout.count(b"decrypted"), 3 if encrypt else 0)
                    text = open(out).read()
                    bad = self.write("bad.xml", text.replace("<KeyPeriodNo>236", "<KeyPeriodNo>235"))
                    self.tool("read", bad, "--trk", self.trk, *wrap, ok=False)
                    self.assertNotEqual(run(["xmlsec1", "--verify", "--hmackey:" + TRK_NAME,
                                             self.path("trk.bin"), "--id-attr:Id",
                                             KMS_NS + ":KmsResponse", bad]).returncode, 0)

    def test_truncated_hmac_refused(self):
        out = self.xmlsec_signed("http://www.w3.org/TR/2001/REC-xml-c14n-20010315", False)
        text = open(out).read()
        # xmlsec1 itself signs with a 128-bit HMACOutputLength when the template asks; skm refuses.
        tmpl = self.read("template.xml").replace(
            'hmac-sha256"/>', 'hmac-sha256"><ds:HMACOutputLength>128</ds:HMACOutputLength>'
            "</ds:SignatureMethod>")
        self.write("template.xml", tmpl)
        short = self.path("short.xml")
        r = run(["xmlsec1", "--sign", "--hmackey:" + TRK_NAME, self.path("trk.bin"),
                 "--id-attr:Id", KMS_NS + ":KmsResponse", "--output", short,
                 self.path("template.xml")])
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        # xmlsec1 itself accepts the 128-bit HMAC it made (RFC 3275 allows truncation) ...
        self.assertEqual(run(["xmlsec1", "--verify", "--hmackey:" + TRK_NAME, self.path("trk.bin"),
                              "--id-attr:Id", KMS_NS + ":KmsResponse", short]).returncode, 0)
        # ... TS 33.180 D.1 asks for the full 256 bits: skm refuses it.
        r = self.tool("read", short, "--trk", self.trk, ok=False)
        self.assertIn(b"HMACOutputLength 128 refused", r.stderr)
        self.assertIn("SignatureValue", text)


class OpensslTests(Base):
    ELEMENTS = [("UserDecryptKey", "rsk"), ("UserSigningKeySSK", "ssk"), ("UserPubTokenPVT", "pvt")]
    FLAVOURS = {"rfc5649": ("-id-aes256-wrap-pad", "A65959A6"),
                "rfc3394-stripped": ("-id-aes256-wrap", "A6A6A6A6A6A6A6A6")}

    def openssl(self, flavour, decrypt, key, data):
        cipher, iv = self.FLAVOURS[flavour]
        inp = self.write("in.bin", data)
        out = self.path("out.bin")
        args = ["openssl", "enc", cipher, "-K", key.hex(), "-iv", iv, "-in", inp, "-out", out]
        if decrypt:
            args.insert(2, "-d")
        r = run(args)
        if r.returncode != 0:
            return None
        with open(out, "rb") as f:
            return f.read()

    def plaintexts(self, flavour):
        self.tool("plain-keys", self.dir)
        out = {}
        for _, stem in self.ELEMENTS:
            with open(self.path(stem + ".bin"), "rb") as f:
                data = f.read()
            if flavour == "rfc3394-stripped" and stem != "ssk":
                self.assertEqual(data[0], 4)
                data = data[1:]
            out[stem] = data
        return out

    @staticmethod
    def cipher_values(text):
        return re.findall(r"<xenc:CipherValue>([^<]*)</xenc:CipherValue>", text)

    @staticmethod
    def decode(value, encoding):
        return bytes.fromhex(value) if encoding == "hex" else base64.b64decode(value)

    def test_skm_wrapped_unwraps_with_openssl(self):
        for flavour in self.FLAVOURS:
            for encoding in ["hex", "base64"]:
                with self.subTest(flavour=flavour, encoding=encoding):
                    doc = self.path("enc.xml")
                    self.tool("write", doc, "--trk", self.trk, "--encrypt", flavour,
                              "--encoding", encoding)
                    values = self.cipher_values(self.read("enc.xml"))
                    self.assertEqual(len(values), 3)
                    plain = self.plaintexts(flavour)
                    for (element, stem), value in zip(self.ELEMENTS, values):
                        got = self.openssl(flavour, True, TRK, self.decode(value, encoding))
                        self.assertEqual(got, plain[stem], element)
                        self.assertIsNone(self.openssl(flavour, True, WRONG,
                                                       self.decode(value, encoding)))

    def openssl_document(self, flavour, encoding, key=TRK, mangle=None):
        """skm's encrypted document with every CipherValue replaced by openssl's wrapping."""
        self.tool("write", self.path("enc.xml"), "--trk", self.trk, "--encrypt", flavour,
                  "--encoding", encoding)
        text = self.read("enc.xml")
        plain = self.plaintexts(flavour)
        for (element, stem), value in zip(self.ELEMENTS, self.cipher_values(text)):
            wrapped = self.openssl(flavour, False, key, plain[stem])
            self.assertIsNotNone(wrapped)
            if mangle:
                wrapped = mangle(element, wrapped)
            new = wrapped.hex() if encoding == "hex" else base64.b64encode(wrapped).decode()
            text = text.replace(value, new, 1)
        return self.write("openssl.xml", text)

    def test_openssl_wrapped_decrypts_in_skm(self):
        for flavour in self.FLAVOURS:
            for encoding in ["hex", "base64"]:
                with self.subTest(flavour=flavour, encoding=encoding):
                    doc = self.openssl_document(flavour, encoding)
                    r = self.tool("read", doc, "--trk", self.trk, "--wrap", flavour,
                                  "--unsigned", "ok")
                    self.assertEqual(r.stdout.count(b"decrypted"), 3)
                    self.assertIn(("%s %s" % (flavour, encoding)).encode(), r.stdout)
                    self.assertIn(b"key sets 1 valid", r.stdout)
                    # Read with the other flavour: refused, never guessed.
                    other = [f for f in self.FLAVOURS if f != flavour][0]
                    self.tool("read", doc, "--trk", self.trk, "--wrap", other, "--unsigned",
                              "ok", ok=False)

    def test_negative(self):
        # Wrapped under another key by openssl.
        doc = self.openssl_document("rfc5649", "hex", key=WRONG)
        r = self.tool("read", doc, "--trk", self.trk, "--unsigned", "ok", ok=False)
        self.assertIn(b"unwrap failed", r.stderr)
        # A CipherValue of the wrong length (one 8-octet block too many, or too few).
        for mangle in [lambda e, w: w + w[:8], lambda e, w: w[:-8]]:
            doc = self.openssl_document("rfc5649", "hex", mangle=mangle)
            r = self.tool("read", doc, "--trk", self.trk, "--unsigned", "ok", ok=False)
            self.assertIn(b"characters is neither", r.stderr)
        # A wrong KeyName.
        text = self.read("enc.xml").replace(TRK_NAME, "tk.9.sip:alice@streamwide.com")
        r = self.tool("read", self.write("renamed.xml", text), "--trk", self.trk, "--unsigned",
                      "ok", ok=False)
        self.assertIn(b"not the transport key", r.stderr)
        # skm's own key wrap agrees with openssl on raw octets.
        raw = self.write("raw.bin", bytes(range(40)))
        self.tool("wrap", "rfc3394", self.trk, raw, self.path("w.bin"))
        with open(self.path("w.bin"), "rb") as f:
            self.assertEqual(self.openssl("rfc3394-stripped", True, TRK, f.read()), bytes(range(40)))


class InspectTests(Base):
    """skm kms inspect --trk/--ink: verifies, decrypts, and says how."""

    def inspect(self, *args):
        return run([SKM, "kms", "inspect", "--date", "2026-01-01T00:00:00Z"] + list(args))

    def test_inspect_verifies_and_decrypts(self):
        cert = self.path("cert.xml")
        self.tool("cert", cert)
        for flavour, encoding in [("rfc5649", "hex"), ("rfc3394-stripped", "base64")]:
            with self.subTest(flavour=flavour):
                doc = self.path("keyprov.xml")
                self.tool("write", doc, "--trk", self.trk, "--ink", self.ink, "--sign", "ink",
                          "--encrypt", flavour, "--encoding", encoding, "--c14n", "exc-c14n")
                r = self.inspect("--cert", cert, "--trk", self.trk, "--ink", self.ink, "--wrap",
                                 flavour, doc)
                out = r.stdout.decode()
                self.assertEqual(r.returncode, 0, out + r.stderr.decode())
                self.assertIn("XML signature verified: HMAC-SHA256 with " + INK_NAME, out)
                self.assertIn("xml-exc-c14n#", out)
                self.assertEqual(out.count("decrypted with " + TRK_NAME), 3)
                self.assertIn("%s, %s CipherValue" % (flavour, encoding), out)
                self.assertIn("[ok] RSK (RFC 6508 6.1.2)", out)
                # Without the InK the signature cannot be checked: refused, exit 1.
                r = self.inspect("--cert", cert, "--trk", self.trk, "--wrap", flavour, doc)
                self.assertEqual(r.returncode, 1)
                self.assertIn("not held", r.stdout.decode())
                # Tampered: refused.
                text = self.read("keyprov.xml").replace("<KeyPeriodNo>236", "<KeyPeriodNo>235")
                r = self.inspect("--cert", cert, "--trk", self.trk, "--ink", self.ink, "--wrap",
                                 flavour, self.write("bad.xml", text))
                self.assertEqual(r.returncode, 1)
                self.assertIn("does not verify", r.stdout.decode())
        # Encrypted but no key: the old refusal, naming the element.
        r = self.inspect("--cert", cert, doc)
        self.assertEqual(r.returncode, 1)
        self.assertIn("EncKeyContentType", r.stdout.decode())


class HeapTests(Base):
    """skm kms inspect --trk/--ink on a key set signed with the InK and not encrypted, under the
    heap probe (tests/tools/heap_probe.cpp, LD_PRELOAD; SKM_HEAP_PROBE from Meson): the tool
    installs the wiping allocator for libxml2/xmlsec1 first thing, so no block it releases holds
    the RSK or SSK, raw or in hex, though libxml2 parsed and canonicalised the whole document."""

    def setUp(self):
        super().setUp()
        self.probe = os.environ.get("SKM_HEAP_PROBE")
        if not self.probe or not os.path.exists(self.probe):
            self.skipTest("SKM_HEAP_PROBE (the heap probe library built by Meson) not given")

    def probed(self, args, secrets):
        report = self.path("report.txt")
        env = dict(os.environ, LD_PRELOAD=self.probe, SKM_HEAP_REPORT=report,
                   SKM_HEAP_SECRETS=",".join(secrets))
        r = subprocess.run([SKM] + args, env=env, capture_output=True, timeout=120)
        lines = open(report, encoding="latin-1").read().splitlines() if os.path.exists(report) else []
        return r, [l[4:].lower() for l in lines if l.startswith("hex ")], \
            [l for l in lines if l.startswith("raw ")]

    def test_no_key_in_freed_heap(self):
        cert = self.path("cert.xml")
        self.tool("cert", cert)
        doc = self.path("keyprov.xml")
        self.tool("write", doc, "--trk", self.trk, "--ink", self.ink, "--sign", "ink")
        text = self.read("keyprov.xml")
        self.assertIn("SignedKmsResponse", text)
        secrets = {tag: re.search(f"<{tag}>([0-9a-fA-F]+)<", text).group(1).lower()
                   for tag in ("UserDecryptKey", "UserSigningKeySSK")}
        r, runs, raw = self.probed(["kms", "inspect", "--date", "2026-01-01T00:00:00Z", "--cert",
                                    cert, "--trk", self.trk, "--ink", self.ink, doc],
                                   [secrets["UserSigningKeySSK"], secrets["UserDecryptKey"][2:]])
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertIn("XML signature verified", r.stdout.decode())
        for name, value in secrets.items():
            windows = {value[i:i + 32] for i in range(0, len(value) - 31, 2)}
            found = sum(1 for run_ in runs if any(w in run_ for w in windows))
            self.assertEqual(found, 0, f"the hex of {name} is in {found} freed heap block(s)")
        self.assertEqual(raw, [])


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    TOOL = sys.argv[1]
    SKM = sys.argv[3] if len(sys.argv) == 4 else None
    if sys.argv[2] == "InspectTests" and SKM is None:
        print("the skm tool is not built: skipped")
        sys.exit(77)
    for tool in ["xmlsec1", "openssl"]:
        if shutil.which(tool) is None:
            print(tool + " not found: skipped")
            sys.exit(77)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(globals()[sys.argv[2]])
    ok = unittest.TextTestRunner(verbosity=2).run(suite).wasSuccessful()
    sys.exit(0 if ok else 1)
