# SPDX-License-Identifier: BSD-3-Clause
"""The KMS service as a running process: `skm kms serve` on 127.0.0.1 over TLS, with a test CA and
server certificate made by openssl at test time, access tokens minted by PyJWT (an independent
JWT implementation; HS256 and alg none by hand with the standard library), talked to with curl,
with Python's own TLS client and with `skm kms fetch`.

usage: test_service.py SKM_BINARY GROUP      (GROUP: a TestCase class name below)
Exit 77 (Meson: skipped) when openssl, curl, PyJWT or cryptography is missing.
"""
import base64
import concurrent.futures
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import xml.etree.ElementTree as ET

try:
    import jwt  # PyJWT
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
except ImportError:
    print("PyJWT and cryptography are needed (Debian: python3-jwt python3-cryptography)")
    sys.exit(77)
if shutil.which("openssl") is None or shutil.which("curl") is None:
    print("openssl and curl are needed")
    sys.exit(77)

SKM = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "skm"
NS = "{urn:3gpp:ns:mcsecKMSInterface:1.0}"
KMS_URI = "kms.example.org"
ISSUER = "https://idms.example.org"
BASE = "/keymanagement/identity/v1"
PERIOD = 86400
GROUP = "sip:group-7@example.org"


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=kw.pop("timeout", 120), **kw)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class World:
    """The community, certificates and keys shared by every test of a process."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="skm-kms-service-")
        self.community = os.path.join(self.dir, "community")
        r = run([SKM, "kms", "init", "--kms-uri", KMS_URI, "--period", str(PERIOD),
                 "--dir", self.community])
        assert r.returncode == 0, r.stderr
        self._make_certificates()
        self._make_token_keys()
        self.servers_file = self.path("servers.txt")
        with open(self.servers_file, "w") as f:
            f.write("# acting identity, then the URIs it may fetch\n")
            f.write(f"sip:gms@example.org {GROUP}\n")

    def path(self, name):
        return os.path.join(self.dir, name)

    def openssl(self, *args):
        r = run(["openssl", *args])
        assert r.returncode == 0, r.stderr

    def _make_certificates(self):
        p = self.path
        self.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                     "-nodes", "-keyout", p("ca.key"), "-out", p("ca.pem"), "-days", "2",
                     "-subj", "/CN=skm test CA")
        with open(p("san.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n")
        for name in ("server", "client"):
            self.openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-keyout", p(name + ".key"), "-out", p(name + ".csr"),
                         "-subj", f"/CN={name}")
            self.openssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.pem"),
                         "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2",
                         "-extfile", p("san.ext"), "-out", p(name + ".pem"))

    def _make_token_keys(self):
        self.es_key = ec.generate_private_key(ec.SECP256R1())
        self.rs_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rogue_key = ec.generate_private_key(ec.SECP256R1())
        keys = []
        for kid, key in (("idms-es", self.es_key), ("idms-rs", self.rs_key)):
            k = json.loads(jwt.algorithms.get_default_algorithms()[
                "ES256" if kid == "idms-es" else "RS256"].to_jwk(key.public_key()))
            if kid == "idms-es":
                # Full-length coordinates (RFC 7518 6.2.1.2): Debian 12's PyJWT 2.6 drops leading
                # zero octets, which skm refuses (test_jwt.cpp), for about one key in 128.
                numbers = key.public_key().public_numbers()
                k["x"] = b64url(numbers.x.to_bytes(32, "big"))
                k["y"] = b64url(numbers.y.to_bytes(32, "big"))
            k["kid"] = kid
            k["use"] = "sig"
            keys.append(k)
        self.jwks = self.path("jwks.json")
        with open(self.jwks, "w") as f:
            json.dump({"keys": keys}, f)
        self.es_public_pem = self.es_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def claims(self, identity, **over):
        now = int(time.time())
        c = {"iss": ISSUER, "aud": KMS_URI, "iat": now, "nbf": now - 5, "exp": now + 600,
             "scope": "openid 3gpp:mc:ptt_key_management_service", "mcptt_id": identity,
             "client_id": "mcptt-client"}
        c.update(over)
        return {k: v for k, v in c.items() if v is not None}

    def token(self, identity="sip:alice@example.org", alg="ES256", kid=None, key=None, **over):
        if alg == "ES256":
            key, kid = key or self.es_key, kid or "idms-es"
        else:
            key, kid = key or self.rs_key, kid or "idms-rs"
        return jwt.encode(self.claims(identity, **over), key, algorithm=alg,
                          headers={"kid": kid})


class Server:
    """One `skm kms serve` process (`preexec_fn`: run in the child before exec, e.g. to set a
    resource limit)."""

    def __init__(self, world, *extra, directory=None, preexec_fn=None):
        self.world = world
        port_file = tempfile.mktemp(dir=world.dir, suffix=".port")
        self.stderr_path = tempfile.mktemp(dir=world.dir, suffix=".log")
        self.stderr = open(self.stderr_path, "w")
        args = [SKM, "kms", "serve", "--dir", directory or world.community,
                "--listen", "127.0.0.1:0", "--port-file", port_file,
                "--tls-cert", world.path("server.pem"), "--tls-key", world.path("server.key"),
                "--jwks", world.jwks, "--issuer", ISSUER, "--alg", "ES256,RS256",
                "--servers", world.servers_file, "--threads", "2", *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.stderr,
                                     preexec_fn=preexec_fn)
        deadline = time.time() + 30
        while time.time() < deadline:
            if os.path.exists(port_file) and read(port_file).strip():
                self.port = int(read(port_file))
                return
            if self.proc.poll() is not None:
                self.stderr.close()  # the caller never gets this object to stop()
                raise AssertionError("skm kms serve exited: " + read(self.stderr_path))
            time.sleep(0.05)
        self.stop()
        raise AssertionError("skm kms serve did not start")

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()
        return self.proc.returncode

    def log(self):
        return read(self.stderr_path)

    def context(self, client_cert=False):
        ctx = ssl.create_default_context(cafile=self.world.path("ca.pem"))
        if client_cert:
            ctx.load_cert_chain(self.world.path("client.pem"), self.world.path("client.key"))
        return ctx

    def request(self, path, token=None, method="POST", body=None, headers=None, ctx=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx or self.context(),
                                           timeout=30)
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def key_sets(xml_bytes):
    root = ET.fromstring(xml_bytes)
    assert root.tag == NS + "KmsResponse", root.tag
    return root.findall(f"{NS}KmsMessage/{NS}KmsKeyProv/{NS}KmsKeySet")


def key_set_values(xml_bytes):
    """(UserUri, KeyPeriodNo, UserID, RSK, SSK, PVT) of each key set."""
    return [tuple(ks.find(NS + n).text.strip() for n in
                  ("UserUri", "KeyPeriodNo", "UserID", "UserDecryptKey", "UserSigningKeySSK",
                   "UserPubTokenPVT")) for ks in key_sets(xml_bytes)]


def kms_error(xml_bytes):
    root = ET.fromstring(xml_bytes)
    e = root.find(NS + "KmsError")
    return int(e.find(NS + "ErrorCode").text), (e.findtext(NS + "ErrorMsg") or "")


def current_period():
    return (int(time.time()) + 2208988800) // PERIOD


WORLD = None
SERVER = None


def setUpModule():
    global WORLD, SERVER
    WORLD = World()
    SERVER = Server(WORLD, "--rate", "1000", "--burst", "1000", "--read-timeout", "2000",
                    "--idle-timeout", "3000")


def tearDownModule():
    if SERVER:
        SERVER.stop()
    if WORLD:
        shutil.rmtree(WORLD.dir, ignore_errors=True)


class ServiceTests(unittest.TestCase):
    """The endpoints, with curl and Python's TLS client."""

    def curl(self, path, token, *extra):
        r = run(["curl", "-sS", "--cacert", WORLD.path("ca.pem"), "-X", "POST", "-D", "-",
                 "-H", "Authorization: Bearer " + token, *extra, SERVER.url + path])
        self.assertEqual(r.returncode, 0, r.stderr)
        head, _, body = r.stdout.partition("\n\n")  # text mode: CRLF became LF
        status = int(head.split()[1])
        return status, head.lower(), body.encode()

    def test_init_with_curl(self):
        status, head, body = self.curl(BASE + "/init", WORLD.token())
        self.assertEqual(status, 200)
        self.assertIn("content-type: application/xml", head)
        self.assertIn("cache-control: no-store", head)
        cert = ET.fromstring(body).find(f"{NS}KmsMessage/{NS}KmsInit/{NS}KmsCertificate")
        self.assertEqual(cert.findtext(NS + "KmsUri"), KMS_URI)
        ours = ET.fromstring(read(os.path.join(WORLD.community, "kms-cert.xml"), "rb")).find(f"{NS}KmsMessage/{NS}KmsInit/{NS}KmsCertificate")
        self.assertEqual(cert.findtext(NS + "PubEncKey"), ours.findtext(NS + "PubEncKey"))

    def test_keyprov_current_and_next_period(self):
        status, head, body = self.curl(BASE + "/keyprov", WORLD.token())
        self.assertEqual(status, 200)
        sets = key_set_values(body)
        p = current_period()
        self.assertEqual([(s[0], int(s[1])) for s in sets],
                         [("sip:alice@example.org", p), ("sip:alice@example.org", p + 1)])

    def test_keyprov_rs256_uri_forms_and_time(self):
        token = WORLD.token(alg="RS256")
        plain = SERVER.request(BASE + "/keyprov/sip:alice@example.org", token)
        encoded = SERVER.request(BASE + "/keyprov/sip%3Aalice%40example.org", token)
        self.assertEqual(plain[0], 200)
        self.assertEqual(encoded[0], 200)
        self.assertEqual(key_set_values(plain[2]), key_set_values(encoded[2]))
        # 16 hex digits of NTP time: the key period holding it, alone.
        p = current_period() + 5
        ntp = (p * PERIOD + 100) << 32
        status, _, body = SERVER.request(f"{BASE}/keyprov/sip:alice@example.org/{ntp:016X}", token)
        self.assertEqual(status, 200)
        self.assertEqual([int(s[1]) for s in key_set_values(body)], [p])

    def test_request_bodies(self):
        token = WORLD.token()

        def body(user="sip:alice@example.org", kms=KMS_URI, t=None, url=None):
            t = t if t is not None else time.time()
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
            url = url or f"https://{KMS_URI}{BASE}/keyprov"
            return (f'<KmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0" Version="1.1.0">'
                    f"<UserUri>{user}</UserUri><KmsUri>{kms}</KmsUri><Time>{stamp}</Time>"
                    f"<ClientReqUrl>{url}</ClientReqUrl></KmsRequest>")

        headers = {"Content-Type": "application/xml"}
        self.assertEqual(SERVER.request(BASE + "/keyprov", token, body=body(), headers=headers)[0],
                         200)
        signed = ('<SignedKmsRequest xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0">' +
                  body().replace(' xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0"', "") +
                  "</SignedKmsRequest>")
        self.assertEqual(SERVER.request(BASE + "/keyprov", token, body=signed)[0], 200)
        cases = [(body(kms="other-kms.example.org"), 400, "KmsUri"),
                 (body(user="sip:bob@example.org"), 403, "UserUri"),
                 (body(t=time.time() - 3600), 400, "Time"),
                 (body(url=f"https://{KMS_URI}{BASE}/init"), 400, "ClientReqUrl"),
                 ("<KmsRequest>", 400, "KmsRequest"),
                 ("<Other/>", 400, "KmsRequest")]
        for text, want, word in cases:
            status, _, data = SERVER.request(BASE + "/keyprov", token, body=text)
            self.assertEqual(status, want, text)
            code, msg = kms_error(data)
            self.assertEqual(code, want)
            self.assertIn(word, msg)

    def test_certcache_cert_health_metrics(self):
        token = WORLD.token()
        status, _, body = SERVER.request(BASE + "/certcache", token)
        self.assertEqual(status, 200)
        cache = ET.fromstring(body).find(f"{NS}KmsMessage/{NS}KmsCertCache")
        self.assertEqual(cache.get("CacheNum"), "0")
        self.assertEqual(SERVER.request(BASE + "/certcache/0", token)[0], 200)
        status, _, body = SERVER.request(BASE + "/cert/" + KMS_URI, token)
        self.assertEqual(status, 200)
        self.assertIsNotNone(
            ET.fromstring(body).find(f"{NS}KmsMessage/{NS}KmsInit/{NS}KmsCertificate"))
        status, _, body = SERVER.request(BASE + "/cert/kms.elsewhere.org", token)
        self.assertEqual((status, kms_error(body)[0]), (404, 404))
        status, _, body = SERVER.request("/healthz", method="GET")
        self.assertEqual((status, body), (200, b"ok\n"))
        status, headers, body = SERVER.request("/metrics", method="GET")
        self.assertEqual(status, 200)
        self.assertIn("text/plain", headers["content-type"])
        self.assertRegex(body.decode(), r'skm_kms_requests_total\{endpoint="certcache",code="200"\} [1-9]')
        self.assertRegex(body.decode(), r"skm_kms_key_sets_issued_total \d+")

    def test_delegation(self):
        gms = WORLD.token("sip:gms@example.org")
        status, _, body = SERVER.request(f"{BASE}/keyprov/{GROUP}", gms)
        self.assertEqual(status, 200)
        self.assertEqual({s[0] for s in key_set_values(body)}, {GROUP})
        alice = WORLD.token()
        for uri in (GROUP, "sip:bob@example.org"):
            status, _, body = SERVER.request(f"{BASE}/keyprov/{uri}", alice)
            self.assertEqual((status, kms_error(body)[0]), (403, 403), uri)

    def test_stateless_derivation_recomputed(self):
        """v = HMAC_DRBG(K_v, nonce UID) as documented; PVT = [v]G, computed here independently."""
        secrets = dict(line.split(" ", 1) for line in
                       read(os.path.join(WORLD.community, "kms-secrets")).splitlines()
                       if line and not line.startswith("#"))
        ksak = bytes.fromhex(secrets["ksak"].strip())
        k_v = hmac.new(ksak, b"skm kms v-derivation key", hashlib.sha256).digest()
        _, _, body = SERVER.request(BASE + "/keyprov", WORLD.token())
        q = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
        for user, period, uid, _, _, pvt in key_set_values(body):
            drbg = HmacDrbg(k_v + bytes.fromhex(uid) + b"skm kms v for ECCSI")
            while True:
                v = int.from_bytes(drbg.generate(32), "big")
                if 0 < v < q:
                    break
            point = ec.derive_private_key(v, ec.SECP256R1()).public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
            self.assertEqual(point.hex(), pvt.lower(), (user, period))

    def test_fetch_two_users_and_exchange(self):
        dirs = {}
        for user in ("alice", "bob"):
            token_file = WORLD.path(user + ".token")
            with open(token_file, "w") as f:
                f.write(WORLD.token(f"sip:{user}@example.org") + "\n")
            out = WORLD.path("fetched-" + user)
            r = run([SKM, "kms", "fetch", "--url", SERVER.url, "--token-file", token_file,
                     "--ca", WORLD.path("ca.pem"), "--out-dir", out, "--cert-cache"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("key period", r.stdout)
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(out, "keyset.xml")).st_mode), 0o600)
            self.assertTrue(os.path.exists(os.path.join(out, "certcache.xml")))
            dirs[user] = out
        a, b = dirs["alice"], dirs["bob"]
        r = run([SKM, "imsg", "create", "--cert", a + "/cert.xml", "--keyset", a + "/keyset.xml",
                 "--to", "sip:bob@example.org", "--json"])
        self.assertEqual(r.returncode, 0, r.stderr)
        sent = json.loads(r.stdout)
        message = sent.get("message") or sent.get("key_mgmt") or sent.get("mikey")
        self.assertIsNotNone(message, r.stdout)
        r = run([SKM, "imsg", "open", "--cert", b + "/cert.xml", "--keyset", b + "/keyset.xml",
                 "--json", message])
        self.assertEqual(r.returncode, 0, r.stderr)
        opened = json.loads(r.stdout)
        self.assertEqual(opened["key"], sent["key"])
        # A user's own earlier key set (--at, with --uri) and one it may not have.
        token_file = WORLD.path("alice.token")
        r = run([SKM, "kms", "fetch", "--url", SERVER.url, "--token-file", token_file,
                 "--ca", WORLD.path("ca.pem"), "--out-dir", WORLD.path("fetched-at"),
                 "--uri", "sip:alice@example.org", "--at", "2026-01-15T00:00:00Z"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run([SKM, "kms", "fetch", "--url", SERVER.url, "--token-file", token_file,
                 "--ca", WORLD.path("ca.pem"), "--out-dir", WORLD.path("fetched-no"),
                 "--uri", "sip:bob@example.org"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("HTTP 403", r.stderr)
        self.assertNotIn(read(token_file).strip(), r.stderr)
        # Without the CA the server certificate does not verify.
        r = run([SKM, "kms", "fetch", "--url", SERVER.url, "--token-file", token_file,
                 "--out-dir", WORLD.path("fetched-noca")])
        self.assertEqual(r.returncode, 1)
        self.assertIn("TLS handshake", r.stderr)


class HmacDrbg:
    """SP 800-90A HMAC_DRBG with SHA-256 (instantiate, generate without additional input)."""

    def __init__(self, seed):
        self.k, self.v = b"\x00" * 32, b"\x01" * 32
        self._update(seed)

    def _mac(self, data):
        return hmac.new(self.k, data, hashlib.sha256).digest()

    def _update(self, data):
        self.k = self._mac(self.v + b"\x00" + data)
        self.v = self._mac(self.v)
        if data:
            self.k = self._mac(self.v + b"\x01" + data)
            self.v = self._mac(self.v)

    def generate(self, n):
        out = b""
        while len(out) < n:
            self.v = self._mac(self.v)
            out += self.v
        self._update(b"")
        return out[:n]


class NegativeTests(unittest.TestCase):
    """Every refusal, with its status and error."""

    def expect(self, token, status, error=None, path=BASE + "/keyprov", **kw):
        got, headers, body = SERVER.request(path, token, **kw)
        self.assertEqual(got, status, (path, body))
        if body:
            self.assertEqual(kms_error(body)[0], status)
        if error is not None:
            self.assertIn(f'error="{error}"', headers.get("www-authenticate", ""))
        return headers

    def test_tokens(self):
        w = WORLD
        now = int(time.time())
        h = self.expect(None, 401)
        self.assertTrue(h["www-authenticate"].startswith("Bearer"))
        self.expect(w.token(exp=now - 3600), 401, "invalid_token")
        self.expect(w.token(nbf=now + 3600), 401, "invalid_token")
        self.expect(w.token(iss="https://evil.example.org"), 401, "invalid_token")
        self.expect(w.token(aud="other-kms.example.org"), 401, "invalid_token")
        self.expect(w.token(scope="openid 3gpp:mc:ptt_server"), 403, "insufficient_scope")
        self.expect(w.token(key=w.rogue_key), 401, "invalid_token")  # another key, same kid
        self.expect(w.token(kid="idms-unknown"), 401, "invalid_token")
        self.expect(w.token(mcptt_id=None), 401, "invalid_token")
        claims = b64url(json.dumps(w.claims("sip:alice@example.org")).encode())
        none = b64url(b'{"alg":"none","typ":"JWT"}') + "." + claims + "."
        self.expect(none, 401, "invalid_token")
        # HS256 keyed with the server's public key (PEM and JWK text): the confusion attack.
        for secret in (w.es_public_pem, read(w.jwks, "rb")):
            head = b64url(b'{"alg":"HS256","kid":"idms-es"}')
            mac = hmac.new(secret, f"{head}.{claims}".encode(), hashlib.sha256).digest()
            self.expect(f"{head}.{claims}.{b64url(mac)}", 401, "invalid_token")
        self.expect("not-a-jwt", 401, "invalid_token")
        self.expect(None, 400, "invalid_request", headers={"Authorization": "Basic YWxpY2U6eA=="})
        got, _, _ = SERVER.request(BASE + "/keyprov", None, headers={"Authorization": "Bearer "})
        self.assertEqual(got, 400)

    def test_other_users_keys(self):
        self.expect(WORLD.token(), 403, path=BASE + "/keyprov/sip:bob@example.org")

    def test_paths_and_methods(self):
        token = WORLD.token()
        for path in ("/", "/keymanagement/identity/v1/discover", "/keymanagement/identity/v2/init",
                     "/other"):
            self.expect(token, 404, path=path)
        for path in (BASE + "/keyprov/sip:alice@example.org/12345",
                     BASE + "/keyprov/sip:alice@example.org/XYZ0000000000000",
                     BASE + "/init/extra", BASE + "/keyprov//x", BASE + "/certcache/-1",
                     BASE + "/keyprov/a%zz", BASE + "/cert"):
            self.expect(token, 400, path=path)
        h = self.expect(token, 405, method="GET")
        self.assertEqual(h["allow"], "POST")
        self.assertEqual(SERVER.request("/healthz", method="POST")[0], 405)

    def test_oversize(self):
        token = WORLD.token()
        status, _, _ = SERVER.request(BASE + "/keyprov", token, body=b"<" * (70 * 1024))
        self.assertEqual(status, 413)
        status, _, _ = SERVER.request(BASE + "/keyprov", token, headers={"X-Big": "a" * 9000})
        self.assertEqual(status, 431)
        status, _, _ = SERVER.request(BASE + "/keyprov/" + "a" * 3000, token)
        self.assertIn(status, (414, 431))

    def test_slow_client_is_cut_off(self):
        """Slowloris: headers trickling in are cut at the read timeout (2 s here)."""
        raw = socket.create_connection(("127.0.0.1", SERVER.port), timeout=10)
        tls = SERVER.context().wrap_socket(raw, server_hostname="127.0.0.1")
        start = time.time()
        tls.sendall(b"POST " + BASE.encode() + b"/init HTTP/1.1\r\nHost: x\r\n")
        closed = False
        try:
            for _ in range(20):
                time.sleep(0.5)
                tls.sendall(b"X-Slow: 1\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            closed = True
        if not closed:
            closed = tls.recv(100) == b""
        elapsed = time.time() - start
        tls.close()
        self.assertTrue(closed)
        self.assertLess(elapsed, 6)
        self.assertRegex(SERVER_METRICS(), r"skm_kms_timeouts_total [1-9]")

    def test_secrets_file_must_be_owner_only(self):
        copy = WORLD.path("loose-community")
        shutil.copytree(WORLD.community, copy)
        os.chmod(os.path.join(copy, "kms-secrets"), 0o644)
        r = run([SKM, "kms", "serve", "--dir", copy, "--listen", "127.0.0.1:0",
                 "--tls-cert", WORLD.path("server.pem"), "--tls-key", WORLD.path("server.key"),
                 "--jwks", WORLD.jwks, "--issuer", ISSUER], timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("group or others", r.stderr)

    def test_logs_hold_no_token_or_key(self):
        token = WORLD.token()
        status, _, body = SERVER.request(BASE + "/keyprov", token)
        self.assertEqual(status, 200)
        rsk = key_set_values(body)[0][3]
        time.sleep(0.2)
        log = SERVER.log()
        self.assertNotIn(token, log)
        self.assertNotIn(token.split(".")[2], log)
        self.assertNotIn(rsk, log)
        self.assertNotIn(rsk.lower(), log)
        lines = [json.loads(l) for l in log.splitlines() if l.startswith("{")]
        ok = [l for l in lines if l.get("endpoint") == "keyprov" and l["status"] == 200]
        self.assertTrue(ok)
        self.assertEqual(ok[-1]["identity"], "sip:alice@example.org")
        self.assertEqual(len(ok[-1]["periods"]), 2)
        self.assertIn("ms", ok[-1])


def SERVER_METRICS():
    return SERVER.request("/metrics", method="GET")[2].decode()


class ProcessTests(unittest.TestCase):
    """Separate server processes: mutual TLS, rate limit, replicas, SIGTERM, load."""

    def test_mutual_tls(self):
        s = Server(WORLD, "--client-ca", WORLD.path("ca.pem"))
        try:
            token = WORLD.token()
            status, _, _ = s.request(BASE + "/init", token, ctx=s.context(client_cert=True))
            self.assertEqual(status, 200)
            with self.assertRaises((ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError)):
                s.request(BASE + "/init", token)
            # skm kms fetch: with the client certificate it is served; without, the server refuses
            # the handshake; a certificate without its key, or the wrong key, is a usage error.
            token_file = WORLD.path("mtls.token")
            with open(token_file, "w") as f:
                f.write(token + "\n")
            fetch = [SKM, "kms", "fetch", "--url", s.url, "--token-file", token_file,
                     "--ca", WORLD.path("ca.pem")]
            out = WORLD.path("fetched-mtls")
            r = run(fetch + ["--out-dir", out, "--client-cert", WORLD.path("client.pem"),
                             "--client-key", WORLD.path("client.key")])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertTrue(os.path.exists(os.path.join(out, "keyset.xml")))
            r = run(fetch + ["--out-dir", WORLD.path("fetched-mtls-none")])
            self.assertEqual(r.returncode, 1)
            self.assertFalse(os.path.exists(WORLD.path("fetched-mtls-none/keyset.xml")))
            r = run(fetch + ["--out-dir", WORLD.path("fetched-mtls-half"),
                             "--client-cert", WORLD.path("client.pem")])
            self.assertEqual(r.returncode, 2)
            self.assertIn("--client-cert and --client-key go together", r.stderr)
            r = run(fetch + ["--out-dir", WORLD.path("fetched-mtls-wrong"),
                             "--client-cert", WORLD.path("client.pem"),
                             "--client-key", WORLD.path("server.key")])
            self.assertEqual(r.returncode, 1)
            self.assertIn("cannot load the client certificate and key", r.stderr)
            self.assertFalse(os.path.exists(WORLD.path("fetched-mtls-wrong/keyset.xml")))
            self.assertNotIn(token, r.stderr)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_connection_limit(self):
        s = Server(WORLD, "--max-connections", "2")
        held = []
        try:
            for _ in range(2):
                raw = socket.create_connection(("127.0.0.1", s.port), timeout=10)
                held.append(s.context().wrap_socket(raw, server_hostname="127.0.0.1"))
            raw = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            with self.assertRaises((ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError)):
                s.context().wrap_socket(raw, server_hostname="127.0.0.1").close()
            raw.close()
            for h in held:
                h.close()
            time.sleep(0.3)  # the server notices the closed connections
            self.assertEqual(s.request(BASE + "/init", WORLD.token())[0], 200)
            self.assertRegex(s.request("/metrics", method="GET")[2].decode(),
                             r"skm_kms_connections_refused_total [1-9]")
        finally:
            for h in held:
                h.close()
            s.stop()

    def test_rate_limit_per_identity(self):
        s = Server(WORLD, "--rate", "1", "--burst", "2")
        try:
            alice, bob = WORLD.token(), WORLD.token("sip:bob@example.org")
            statuses = [s.request(BASE + "/init", alice)[0] for _ in range(4)]
            self.assertEqual(statuses[:2], [200, 200])
            self.assertIn(429, statuses[2:])
            self.assertEqual(s.request(BASE + "/init", bob)[0], 200)  # others unaffected
        finally:
            s.stop()

    def test_two_replicas_same_key_sets_and_sigterm(self):
        other = Server(WORLD)
        try:
            token = WORLD.token("sip:carol@example.org")
            a = key_set_values(SERVER.request(BASE + "/keyprov", token)[2])
            b = key_set_values(other.request(BASE + "/keyprov", token)[2])
            again = key_set_values(other.request(BASE + "/keyprov", token)[2])
            self.assertEqual(len(a), 2)
            self.assertEqual(a, b)
            self.assertEqual(b, again)
        finally:
            start = time.time()
            self.assertEqual(other.stop(), 0)
            self.assertLess(time.time() - start, 10)
            self.assertIn("stopped", other.log())

    def test_load_concurrent_tls_clients(self):
        """32 concurrent TLS clients, 4 keyprov requests each, each client its own identity."""
        clients, per_client = 32, 4
        tokens = [WORLD.token(f"sip:load-{i}@example.org") for i in range(clients)]

        def client(i):
            conn = http.client.HTTPSConnection("127.0.0.1", SERVER.port,
                                               context=SERVER.context(), timeout=60)
            results = []
            for _ in range(per_client):
                conn.request("POST", BASE + "/keyprov",
                             headers={"Authorization": "Bearer " + tokens[i]})
                r = conn.getresponse()
                results.append((r.status, key_set_values(r.read())))
            conn.close()
            return results

        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
            outcomes = list(pool.map(client, range(clients)))
        elapsed = time.time() - start
        for i, results in enumerate(outcomes):
            self.assertEqual([s for s, _ in results], [200] * per_client)
            self.assertTrue(all(v == results[0][1] for _, v in results))  # repeated: identical
            self.assertEqual(results[0][1][0][0], f"sip:load-{i}@example.org")
        self.assertLess(elapsed, 120)
        print(f"load: {clients * per_client} keyprov requests from {clients} TLS clients "
              f"in {elapsed:.2f} s")


if __name__ == "__main__":
    group = sys.argv[2] if len(sys.argv) > 2 else None
    argv = [sys.argv[0]] + ([group] if group else [])
    unittest.main(argv=argv, verbosity=2)
