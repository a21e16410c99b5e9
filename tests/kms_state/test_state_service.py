# SPDX-License-Identifier: BSD-3-Clause
"""The KMS state with running processes: `skm kms serve` on 127.0.0.1 over TLS with its state in
SQLite (the community directory) or in a throwaway PostgreSQL cluster this script starts
(initdb into a temporary directory as an unprivileged user, a Unix socket in that directory, no
TCP, stopped and removed at the end), the admin commands (`skm kms revoke`, `audit`,
`certcache`) changing and reading it, and faults: kill -9 under load, the database stopped under
load, the SQLite file at a size limit (RLIMIT_FSIZE: a full disk) under load.

usage: test_state_service.py SKM_BINARY GROUP [TEST_KMS_STATE_BINARY]
GROUP: SqliteTests, PostgresTests or FaultTests. Exit 77 (Meson: skipped) when PostgreSQL's
server binaries are not installed (PostgresTests, FaultTests), or openssl, curl, PyJWT are not.
"""
import concurrent.futures
import glob
import json
import os
import pwd
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kms_service"))
from test_service import (BASE, KMS_URI, NS, SKM, Server, World, kms_error,  # noqa: E402
                          run)

CATCH = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else None
ALICE = "sip:alice@example.org"


def key_sets(body):
    """(KeyPeriodNo, Revoked, SSK) of each KmsKeySet of a KmsResponse."""
    root = ET.fromstring(body)
    out = []
    for k in root.findall(f"{NS}KmsMessage/{NS}KmsKeyProv/{NS}KmsKeySet"):
        out.append((int(k.findtext(NS + "KeyPeriodNo")),
                    (k.findtext(NS + "Revoked") or "false").strip() == "true",
                    k.findtext(NS + "UserSigningKeySSK").strip()))
    return out


def skm(*args, check=True):
    r = run([SKM, *args], timeout=60)
    if check:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def postgres_bin():
    """The newest installed PostgreSQL's server binaries (Debian: /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class Cluster:
    """A throwaway PostgreSQL cluster: data and socket in a temporary directory, owned by an
    unprivileged user when this runs as root (initdb refuses root), no TCP listener."""

    def __init__(self):
        self.bin = postgres_bin()
        self.dir = tempfile.mkdtemp(prefix="skm-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.socket_dir = self.dir
        self.as_user = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("nobody")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "nobody", "--"]
        r = self._run("initdb", "-D", self.data, "-U", "skm", "-A", "trust", "--no-sync",
                      "-E", "UTF8", "--locale", "C")
        assert r.returncode == 0, r.stdout + r.stderr
        self.start()

    def _run(self, tool, *args, timeout=60):
        return subprocess.run([*self.as_user, os.path.join(self.bin, tool), *args],
                              capture_output=True, text=True, timeout=timeout, cwd=self.dir)

    def start(self):
        r = self._run("pg_ctl", "-D", self.data, "-w", "-t", "30", "-l",
                      os.path.join(self.dir, "server.log"), "-o",
                      f"-k {self.socket_dir} -c listen_addresses='' -c fsync=on "
                      "-c max_connections=60", "start")
        assert r.returncode == 0, r.stdout + r.stderr + self.server_log()

    def stop(self, mode="fast"):
        self._run("pg_ctl", "-D", self.data, "-w", "-t", "30", "-m", mode, "stop")

    def server_log(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def url(self, database="postgres"):
        return f"postgresql:///{database}?host={self.socket_dir}&user=skm"

    def create_database(self, name):
        r = self._run("psql", "-h", self.socket_dir, "-U", "skm", "-d", "postgres", "-v",
                      "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}")
        assert r.returncode == 0, r.stderr
        return self.url(name)

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


WORLD = None


def setUpModule():
    global WORLD
    WORLD = World()


def tearDownModule():
    shutil.rmtree(WORLD.dir, ignore_errors=True)


def fresh_community(name):
    """A community directory of its own (its kms-state.sqlite starts empty)."""
    d = WORLD.path(name)
    shutil.copytree(WORLD.community, d)
    return d


class SqliteTests(unittest.TestCase):
    """The embedded default: DIR/kms-state.sqlite, changed by the admin commands while the
    server runs, kept across restarts."""

    def test_revoke_audit_certcache_and_restart(self):
        d = fresh_community("sqlite-community")
        server = Server(WORLD, "--rate", "1000", "--burst", "1000", "--replica-id", "one",
                        directory=d)
        try:
            token = WORLD.token(ALICE)
            status, _, body = server.request(BASE + "/keyprov", token)
            self.assertEqual(status, 200)
            sets = key_sets(body)
            self.assertEqual([s[1] for s in sets], [False, False])
            self.assertEqual(os.stat(os.path.join(d, "kms-state.sqlite")).st_mode & 0o777, 0o600)

            # Revoked from the next period on, through the admin command, seen at once.
            nxt = sets[1][0]
            r = skm("kms", "revoke", "--dir", d, "--uri", ALICE, "--from-period", str(nxt),
                    "--reason", "device lost", "--json")
            self.assertTrue(json.loads(r.stdout)["ok"])
            status, _, body = server.request(BASE + "/keyprov", token)
            self.assertEqual(status, 200)
            after = key_sets(body)
            self.assertEqual([s[1] for s in after], [False, True])
            self.assertEqual(after[0][2], sets[0][2])  # this period's keys unchanged
            self.assertEqual(set(after[1][2]), {"0"})  # no key in the revoked set
            listed = json.loads(skm("kms", "revocations", "--dir", d, "--json").stdout)
            self.assertEqual(listed["revocations"][0]["from_period"], nxt)

            # The community certificate revoked: init says so; unrevoke restores it.
            skm("kms", "revoke", "--dir", d, "--community")
            status, _, body = server.request(BASE + "/init", token)
            self.assertEqual(status, 200)
            self.assertEqual(ET.fromstring(body).findtext(
                f"{NS}KmsMessage/{NS}KmsInit/{NS}KmsCertificate/{NS}Revoked").strip(), "true")
            skm("kms", "unrevoke", "--dir", d, "--community")
            r = skm("kms", "unrevoke", "--dir", d, "--community", check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("is not revoked", r.stderr)

            # The certificate cache: add a partner KMS, CacheNum moves, served at once.
            partner = WORLD.path("partner")
            skm("kms", "init", "--kms-uri", "kms.partner.example", "--dir", partner)
            r = skm("kms", "certcache", "add", os.path.join(partner, "kms-cert.xml"), "--dir", d,
                    "--json")
            self.assertEqual(json.loads(r.stdout)["cache_num"], 1)
            status, _, body = server.request(BASE + "/certcache/0", token)
            cache = ET.fromstring(body).find(f"{NS}KmsMessage/{NS}KmsCertCache")
            self.assertEqual(cache.get("CacheNum"), "1")
            self.assertEqual(len(cache.findall(NS + "KmsCertificate")), 1)
            status, _, body = server.request(BASE + "/cert/kms.partner.example", token)
            self.assertEqual(status, 200)
            bad = skm("kms", "certcache", "add", os.path.join(d, "kms-secrets"), "--dir", d,
                      check=False)
            self.assertEqual(bad.returncode, 1)
            self.assertNotIn("z ", bad.stderr)  # the secrets file's content is never echoed
        finally:
            server.stop()

        # Restarted: revocations, cache and audit trail are all there.
        server = Server(WORLD, "--replica-id", "two", directory=d)
        try:
            status, _, body = server.request(BASE + "/keyprov", WORLD.token(ALICE))
            self.assertEqual([s[1] for s in key_sets(body)], [False, True])
        finally:
            server.stop()
        trail = json.loads(skm("kms", "audit", "--dir", d, "--uri", ALICE, "--json").stdout)
        records = trail["records"]
        self.assertGreaterEqual(len(records), 6)
        self.assertEqual({r["replica"] for r in records}, {"one", "two"})
        self.assertEqual(records[0]["endpoint"], "keyprov")
        self.assertEqual(records[0]["result"], "ok")
        self.assertEqual(records[1]["result"], "revoked")
        self.assertEqual(len(records[0]["periods"]), 2)
        text = json.dumps(trail)
        self.assertNotIn(sets[0][2], text)  # no key ...
        self.assertNotIn("eyJ", text)  # ... and no token in the trail
        since = skm("kms", "audit", "--dir", d, "--since", "2000-01-01", "--until",
                    "2000-01-02", "--json")
        self.assertEqual(json.loads(since.stdout)["records"], [])

    def test_bad_arguments(self):
        d = fresh_community("sqlite-bad")
        for args, words in ((["kms", "revoke", "--dir", d], "say what"),
                            (["kms", "revoke", "--dir", d, "--uri", ALICE, "--device", "x"],
                             "exclude each other"),
                            (["kms", "revoke", "--dir", d, "--device", "x", "--from-period", "3"],
                             "goes with --uri"),
                            (["kms", "audit"], "--dir DIR"),
                            (["kms", "certcache", "frobnicate", "--dir", d], "add FILE"),
                            (["kms", "audit", "--dir", d, "--since", "yesterday"], "ISO 8601")):
            r = skm(*args, check=False)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(words, r.stderr)
        with open(os.path.join(d, "kms-state.sqlite"), "w") as f:
            f.write("not a database" * 400)
        r = skm("kms", "audit", "--dir", d, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a database", r.stderr)


class PostgresTests(unittest.TestCase):
    """Two replicas sharing one PostgreSQL state."""

    @classmethod
    def setUpClass(cls):
        cls.cluster = Cluster()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.destroy()

    def test_store_contract(self):
        if CATCH is None:
            self.skipTest("no test_kms_state binary given")
        env = dict(os.environ)
        for case in ("REVOCATIONS", "AUDIT", "CERTCACHE", "CONCURRENT", "RULES"):
            env["SKM_TEST_POSTGRES_" + case] = self.cluster.create_database("contract_" +
                                                                            case.lower())
        r = subprocess.run([CATCH, "[kms-state-postgres]"], capture_output=True, text=True,
                           timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:] + r.stderr[-2000:])
        self.assertIn("All tests passed", r.stdout)

    def test_two_replicas(self):
        url = self.cluster.create_database("replicas")
        d = fresh_community("pg-community")
        a = Server(WORLD, "--db", url, "--replica-id", "replica-a", "--rate", "1000",
                   "--burst", "1000", directory=d)
        b = Server(WORLD, "--db", url, "--replica-id", "replica-b", "--revoked-answer", "error",
                   "--rate", "1000", "--burst", "1000", directory=d)
        try:
            token = WORLD.token(ALICE)
            for server in (a, b):
                status, _, body = server.request(BASE + "/keyprov", token)
                self.assertEqual(status, 200)
            # Revoked through replica A's database URL; B refuses at its very next request.
            skm("kms", "revoke", "--db", url, "--uri", ALICE)
            status, _, body = b.request(BASE + "/keyprov", token)
            self.assertEqual(status, 403)
            self.assertEqual(kms_error(body)[0], 403)
            status, _, body = a.request(BASE + "/keyprov", token)
            self.assertEqual(status, 200)
            self.assertEqual([s[1] for s in key_sets(body)], [True, True])
            skm("kms", "unrevoke", "--db", url, "--uri", ALICE)
            status, _, _ = b.request(BASE + "/keyprov", token)
            self.assertEqual(status, 200)
            # One shared certificate cache.
            partner = WORLD.path("pg-partner")
            skm("kms", "init", "--kms-uri", "kms.partner.example", "--dir", partner)
            skm("kms", "certcache", "add", os.path.join(partner, "kms-cert.xml"), "--db", url)
            status, _, body = b.request(BASE + "/certcache", token)
            self.assertEqual(ET.fromstring(body).find(
                f"{NS}KmsMessage/{NS}KmsCertCache").get("CacheNum"), "1")
        finally:
            a.stop()
            b.stop()
        records = json.loads(skm("kms", "audit", "--db", url, "--uri", ALICE,
                                 "--json").stdout)["records"]
        self.assertEqual([r["replica"] for r in records[:2]], ["replica-a", "replica-b"])
        self.assertEqual([r["status"] for r in records[2:5]], [403, 200, 200])
        self.assertFalse(os.path.exists(os.path.join(d, "kms-state.sqlite")))

    def test_database_stopped_under_load(self):
        url = self.cluster.create_database("outage")
        d = fresh_community("pg-outage")
        server = Server(WORLD, "--db", url, "--rate", "0", directory=d)
        token = WORLD.token(ALICE)
        statuses = []
        try:
            def one(_):
                try:
                    status, _, body = server.request(BASE + "/init", token)
                except OSError:
                    return None
                if status == 503:
                    self.assertEqual(kms_error(body)[0], 503)
                return status

            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                statuses += list(pool.map(one, range(20)))
                self.cluster.stop("immediate")
                statuses += list(pool.map(one, range(20)))
                self.assertIsNone(server.proc.poll())  # no crash
                self.cluster.start()
                deadline = time.time() + 20
                recovered = False
                while time.time() < deadline and not recovered:
                    recovered = one(0) == 200
                    time.sleep(0.2)
            self.assertTrue(recovered, server.log()[-2000:])
        finally:
            server.stop()
        self.assertIn(200, statuses)
        self.assertIn(503, statuses)
        self.assertTrue(set(statuses) <= {200, 503}, statuses)
        self.assertIn("the audit record cannot be written", server.log())


def file_size_limit(limit_bytes):
    """A preexec_fn: writes past `limit_bytes` in any file fail (RLIMIT_FSIZE), the unprivileged
    stand-in for a full disk. SIGXFSZ is left at its default action (subprocess restores it),
    which would end the process: skm itself ignores it, so the write fails with EFBIG."""
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return apply


def integrity_check(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA integrity_check").fetchall()
    finally:
        db.close()


class FaultTests(unittest.TestCase):
    """kill -9 under load: every request answered 200 has its audit record; revocations and
    the certificate cache are intact after the restart; the file passes integrity_check. A full
    disk under load: 503 with a KmsError, never a 200 without its record, no crash, an intact
    file afterwards."""

    def test_full_disk_under_load(self):
        d = fresh_community("full-disk-community")
        db_path = os.path.join(d, "kms-state.sqlite")
        # 512 KiB: the fresh file and its write-ahead log take a few dozen KiB; each committed
        # audit record appends at least one 4 KiB page to the log, so the limit is reached after
        # some dozens of requests. The server's log (stderr) stays far below it.
        limit = 512 * 1024
        server = Server(WORLD, "--rate", "0", directory=d, preexec_fn=file_size_limit(limit))
        ok, statuses = [], []

        def client(n):
            for i in range(60):
                who = f"sip:disk-{n}-{i}@example.org"
                status, _, body = server.request(BASE + "/keyprov", WORLD.token(who))
                statuses.append(status)
                if status == 200:
                    ok.append(who)
                elif status == 503:
                    self.assertEqual(kms_error(body)[0], 503)

        try:
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                for f in [pool.submit(client, n) for n in range(4)]:
                    f.result()
            self.assertIsNone(server.proc.poll(), server.log()[-2000:])  # no crash
            # A writing admin command under the same limit: a clear error, exit status 1.
            r = run([SKM, "kms", "revoke", "--dir", d, "--uri", "sip:never@example.org"],
                    timeout=60, preexec_fn=file_size_limit(limit))
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("File too large", r.stderr)
        finally:
            self.assertEqual(server.stop(), 0, server.log()[-2000:])
        log = server.log()
        self.assertIn(200, statuses)
        self.assertIn(503, statuses, "the size limit was never reached")
        self.assertTrue(set(statuses) <= {200, 503}, statuses)
        self.assertIn("the audit record cannot be written", log)
        self.assertIn("File too large", log)  # the reason, not only "disk I/O error"

        # Without the limit: the file is intact, every 200 has its record, nothing half-written.
        self.assertEqual(integrity_check(db_path), [("ok",)])
        audited = {r["subject"] for r in json.loads(
            skm("kms", "audit", "--dir", d, "--json").stdout)["records"] if r["status"] == 200}
        self.assertEqual([w for w in ok if w not in audited], [])
        self.assertEqual(json.loads(skm("kms", "revocations", "--dir", d,
                                        "--json").stdout)["revocations"], [])
        server = Server(WORLD, "--rate", "0", directory=d)
        try:
            status, _, _ = server.request(BASE + "/keyprov", WORLD.token("sip:after@example.org"))
            self.assertEqual(status, 200)
        finally:
            server.stop()
        self.assertIn("sip:after@example.org", {r["subject"] for r in json.loads(
            skm("kms", "audit", "--dir", d, "--uri", "sip:after@example.org",
                "--json").stdout)["records"]})
        self.assertEqual(integrity_check(db_path), [("ok",)])

    def test_kill_9_under_load(self):
        d = fresh_community("fault-community")
        skm("kms", "revoke", "--dir", d, "--uri", "sip:revoked@example.org")
        partner = WORLD.path("fault-partner")
        skm("kms", "init", "--kms-uri", "kms.partner.example", "--dir", partner)
        skm("kms", "certcache", "add", os.path.join(partner, "kms-cert.xml"), "--dir", d)
        server = Server(WORLD, "--rate", "0", directory=d)
        ok = []
        stop_at = time.time() + 4

        def client(n):
            i = 0
            while time.time() < stop_at:
                who = f"sip:load-{n}-{i}@example.org"
                i += 1
                try:
                    status, _, _ = server.request(BASE + "/keyprov", WORLD.token(who))
                except OSError:
                    return
                if status == 200:
                    ok.append(who)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(client, n) for n in range(4)]
            time.sleep(2)
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            for f in futures:
                f.result()
        server.stderr.close()
        self.assertGreater(len(ok), 0)
        audited = {r["subject"] for r in json.loads(
            skm("kms", "audit", "--dir", d, "--json").stdout)["records"] if r["status"] == 200}
        self.assertEqual([w for w in ok if w not in audited], [])
        self.assertEqual(len(json.loads(skm("kms", "revocations", "--dir", d,
                                            "--json").stdout)["revocations"]), 1)
        listed = json.loads(skm("kms", "certcache", "list", "--dir", d, "--json").stdout)
        self.assertEqual(listed["cache_num"], 1)
        if shutil.which("sqlite3"):
            r = run(["sqlite3", os.path.join(d, "kms-state.sqlite"), "PRAGMA integrity_check"])
            self.assertEqual(r.stdout.strip(), "ok")
        server = Server(WORLD, directory=d)
        try:
            status, _, body = server.request(BASE + "/keyprov",
                                             WORLD.token("sip:revoked@example.org"))
            self.assertEqual([s[1] for s in key_sets(body)], [True, True])
        finally:
            server.stop()


if __name__ == "__main__":
    group = sys.argv[2] if len(sys.argv) > 2 else None
    if group in ("PostgresTests",) and postgres_bin() is None:
        print("SKIP: PostgreSQL's server binaries (initdb, pg_ctl) are not installed "
              "(Debian: postgresql)")
        sys.exit(77)
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    suite.addTests(loader.loadTestsFromTestCase(globals()[group]) if group else
                   loader.loadTestsFromModule(sys.modules[__name__]))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)
