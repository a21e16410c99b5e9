#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""`skm kms inspect`: the built binary run as a subprocess on KMS documents.

usage: test_kms_inspect.py SKM_BINARY

Checks the JSON members (kind, kms_uri, valid, errors, and for key sets user_uri,
key_period_no, uid, identity_convention), the exit status (0 all valid, 1 otherwise, 2 bad
command line), every check a key set gets, the identity-convention hint, ValidFrom/ValidTo,
requests, KmsError answers and unreadable files.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest

SKM = None
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
CERT = os.path.join(DATA, "vendor-cert.xml")
ALICE = os.path.join(DATA, "vendor-alice.xml")
ALICE_UID = "b5c452309219da6a3d805615548d6c1b0f4de45a6b48fb13d9a24d857fc03dc4"
NS = "urn:3gpp:ns:mcsecKMSInterface:1.0"


def run(*args):
    p = subprocess.run([SKM, *args], capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def inspect_json(*args):
    code, out, err = run("kms", "inspect", "--json", *args)
    return code, json.loads(out), err


class InspectTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_vendor_key_set_validates(self):
        code, items, _ = inspect_json(CERT, ALICE)
        self.assertEqual(code, 0)
        self.assertEqual([i["kind"] for i in items], ["certificate", "key-set"])
        cert, alice = items
        self.assertTrue(cert["valid"])
        self.assertEqual(cert["kms_uri"], "kms.mydev.streamwide.com")
        self.assertTrue(cert["checks"]["Z and KPAK on their curves, parameter set"])
        self.assertTrue(alice["valid"])
        self.assertEqual(alice["errors"], [])
        self.assertEqual(alice["user_uri"], "sip:alice@streamwide.com")
        self.assertEqual(alice["key_period_no"], 236)
        self.assertEqual(alice["uid"], ALICE_UID)
        self.assertEqual(alice["identity_convention"], "raw")
        for check in ["UserID is the UID of UserUri and KeyPeriodNo", "RSK (RFC 6508 6.1.2)",
                      "SSK/PVT (RFC 6507 5.1.2)"]:
            self.assertTrue(alice["checks"][check], check)
        self.assertIn("key period start (UTC)", alice["fields"])

    def test_wrong_convention_fails_with_a_hint(self):
        code, items, _ = inspect_json("--convention", "hex-text", CERT, ALICE)
        self.assertEqual(code, 1)
        alice = items[1]
        self.assertFalse(alice["valid"])
        self.assertEqual(alice["identity_convention"], "hex-text")
        self.assertFalse(alice["checks"]["RSK (RFC 6508 6.1.2)"])
        self.assertTrue(any("raw identity convention" in n for n in alice["notes"]), alice["notes"])

    def test_tampered_user_id_and_missing_certificate(self):
        with open(ALICE) as f:
            text = f.read()
        self.assertIn(ALICE_UID, text)
        bad = self.write("bad.xml", text.replace(ALICE_UID, "00" + ALICE_UID[2:]))
        code, items, _ = inspect_json(CERT, bad)
        self.assertEqual(code, 1)
        self.assertFalse(items[1]["checks"]["UserID is the UID of UserUri and KeyPeriodNo"])
        code, items, _ = inspect_json(ALICE)  # no certificate to check against
        self.assertEqual(code, 1)
        self.assertIn("no certificate", items[0]["errors"][0])
        code, items, _ = inspect_json("--cert", CERT, ALICE)
        self.assertEqual(code, 0)

    def test_validity_dates(self):
        with open(CERT) as f:
            text = f.read()
        dated = self.write("dated.xml", text.replace(
            "<UserIdFormat>", "<ValidFrom>2025-01-01T00:00:00</ValidFrom>"
            "<ValidTo>2027-01-01T00:00:00Z</ValidTo><UserIdFormat>", 1))
        code, items, _ = inspect_json("--date", "2026-06-01T00:00:00Z", dated)
        self.assertEqual(code, 0, items)
        code, items, _ = inspect_json("--date", "2027-06-01T00:00:00Z", dated)
        self.assertEqual(code, 1)
        self.assertTrue(any("ValidTo" in e for e in items[0]["errors"]))
        code, items, _ = inspect_json("--ignore-validity", dated)
        self.assertEqual(code, 0)

    def test_request_error_and_unreadable_documents(self):
        request = self.write("req.xml", (
            f'<KmsRequest xmlns="{NS}" Version="1.0.0"><UserUri>sip:a@b</UserUri>'
            "<KmsUri>kms.b</KmsUri><Time>2026-01-01T00:00:00</Time>"
            "<ClientReqUrl>https://kms.b/keymanagement/identity/v1/keyprov/sip:a@b</ClientReqUrl>"
            "</KmsRequest>"))
        error = self.write("err.xml", (
            f'<KmsResponse xmlns="{NS}" Id="xmldoc"><UserUri>sip:a@b</UserUri>'
            "<KmsUri>kms.b</KmsUri><Time>2026-01-01T00:00:00Z</Time>"
            "<ClientReqUrl>https://kms.b/keymanagement/identity/v1/init</ClientReqUrl>"
            "<KmsError><ErrorCode>403</ErrorCode><ErrorMsg>denied</ErrorMsg></KmsError>"
            "</KmsResponse>"))
        code, items, _ = inspect_json(request, error)
        self.assertEqual(code, 0, items)
        self.assertEqual(items[0]["kind"], "request")
        self.assertTrue(any("Version is 1.0.0" in n for n in items[0]["notes"]))
        self.assertEqual(items[1]["kind"], "error")
        self.assertEqual(items[1]["fields"]["ErrorCode"], "403")
        broken = self.write("broken.xml", "<KmsResponse")
        doctype = self.write("doctype.xml", "<!DOCTYPE x><KmsRequest/>")
        code, items, _ = inspect_json(broken, doctype)
        self.assertEqual(code, 1)
        self.assertEqual([i["kind"] for i in items], ["unreadable", "unreadable"])
        self.assertIn("DOCTYPE", items[1]["errors"][0])

    def test_text_output_and_usage_errors(self):
        code, out, _ = run("kms", "inspect", CERT, ALICE)
        self.assertEqual(code, 0)
        self.assertIn("[ok] RSK (RFC 6508 6.1.2)", out)
        self.assertIn("identity convention   raw", out)
        self.assertEqual(run("kms", "inspect", "--convention", "hex", CERT)[0], 2)
        self.assertEqual(run("kms", "inspect")[0], 2)
        self.assertEqual(run("kms", "inspect", "--ignore-validity", "--date", "2026-01-01",
                             CERT)[0], 2)
        code, out, _ = run("kms", "inspect", "--help")
        self.assertEqual(code, 0)
        self.assertIn("--convention", out)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: test_kms_inspect.py SKM_BINARY")
    SKM = sys.argv[1]
    unittest.main(argv=[sys.argv[0]], verbosity=2)
