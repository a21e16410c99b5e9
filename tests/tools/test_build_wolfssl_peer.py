#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""scripts/build-wolfssl-peer: how Meson finds the source, the one-time build, the refusals.

usage: test_build_wolfssl_peer.py SCRIPT

The build runs against a stub wolfSSL tree (autogen.sh, configure and make that only write what
the real ones install), so neither autotools nor wolfSSL are needed: the options passed to
configure, the stamp that prevents a second build, and the refusal of a build whose
wolfssl/options.h lacks the SP macros are what is checked.
"""

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

SCRIPT = None
EXPECTED_OPTIONS = ("--enable-sakke --enable-eccsi --enable-sp=yes --enable-sp-asm "
                    "--enable-sp-math-all --enable-intelasm --disable-shared --enable-static")
SP_MACROS = ("WOLFSSL_SP_1024", "WOLFSSL_SP_X86_64_ASM", "WOLFSSL_HAVE_SP_ECC")

# configure records its arguments and writes a Makefile whose install puts options.h (with the
# macros listed in the tree's file "macros") and libwolfssl.a under --prefix; every make counts.
CONFIGURE = r"""#!/bin/sh
prefix=
for a in "$@"; do case $a in --prefix=*) prefix=${a#--prefix=};; esac; done
echo "$@" > configure.args
cat > Makefile <<EOF
all:
	echo built >> build.count
install:
	mkdir -p $prefix/include/wolfssl $prefix/lib
	for m in \$\$(cat macros); do echo "#define \$\$m" >> $prefix/include/wolfssl/options.h; done
	echo archive > $prefix/lib/libwolfssl.a
EOF
"""


def stub_tree(root, macros=SP_MACROS):
    os.makedirs(root)
    for name, text in (("autogen.sh", "#!/bin/sh\nexit 0\n"), ("configure", CONFIGURE)):
        path = os.path.join(root, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o755)
    with open(os.path.join(root, "macros"), "w", encoding="utf-8") as f:
        f.write(" ".join(macros) + "\n")


def tool_dir(root, with_autotools):
    """A PATH of the commands the script needs, with or without stub autotools."""
    os.makedirs(root)
    for tool in ("bash", "sh", "cat", "cp", "mkdir", "rm", "realpath", "stat", "tar", "gzip",
                 "grep", "mv", "make", "echo", "env"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, os.path.join(root, tool))
    if with_autotools:
        for tool in ("autoconf", "automake", "libtoolize"):
            path = os.path.join(root, tool)
            with open(path, "w", encoding="utf-8") as f:
                f.write("#!/bin/sh\nexit 0\n")
            os.chmod(path, 0o755)
    return root


class PrintSourceTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.work = os.path.join(self.tmp.name, "build", "wolfssl-sp")
        self.tarball = os.path.join(self.tmp.name, "wolfssl.tar.gz")
        with open(self.tarball, "wb") as f:
            f.write(b"not read by --print-source")

    def tearDown(self):
        self.tmp.cleanup()

    def print_source(self, value):
        env = dict(os.environ)
        env.pop("SKM_WOLFSSL_SOURCE", None)
        if value is not None:
            env["SKM_WOLFSSL_SOURCE"] = value
        p = subprocess.run([SCRIPT, "--print-source", self.work], env=env, capture_output=True,
                           text=True, timeout=60)
        return p.returncode, p.stdout.strip(), p.stderr

    def test_unset_without_record_is_none(self):
        self.assertEqual(self.print_source(None), (1, "", ""))

    def test_set_prints_and_records_then_unset_reuses(self):
        code, out, _ = self.print_source(self.tarball)
        self.assertEqual((code, out), (0, os.path.realpath(self.tarball)))
        self.assertEqual(self.print_source(None)[:2], (0, os.path.realpath(self.tarball)))

    def test_empty_drops_the_record(self):
        self.assertEqual(self.print_source(self.tarball)[0], 0)
        self.assertEqual(self.print_source("")[:2], (1, ""))
        self.assertEqual(self.print_source(None)[:2], (1, ""))

    def test_missing_source_is_an_error(self):
        code, out, err = self.print_source(os.path.join(self.tmp.name, "nowhere.tar.gz"))
        self.assertEqual((code, out), (3, ""))
        self.assertIn("does not exist", err)

    def test_recorded_source_gone_is_an_error(self):
        self.assertEqual(self.print_source(self.tarball)[0], 0)
        os.remove(self.tarball)
        self.assertEqual(self.print_source(None)[0], 3)


class BuildTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = tool_dir(os.path.join(self.tmp.name, "bin"), with_autotools=True)
        self.work = os.path.join(self.tmp.name, "work")
        self.lib = os.path.join(self.tmp.name, "libwolfssl_sp.a")
        self.header = os.path.join(self.tmp.name, "wolfssl_sp_peer.h")

    def tearDown(self):
        self.tmp.cleanup()

    def build(self, source, path=None):
        env = {"PATH": path or self.path, "HOME": self.tmp.name}
        return subprocess.run([SCRIPT, source, self.work, self.lib, self.header], env=env,
                              capture_output=True, text=True, timeout=120)

    def read(self, *parts):
        with open(os.path.join(*parts), encoding="utf-8") as f:
            return f.read()

    def test_tree_builds_once_with_the_options(self):
        tree = os.path.join(self.tmp.name, "wolfssl")
        stub_tree(tree)
        p = self.build(tree)
        self.assertEqual(p.returncode, 0, p.stderr)
        args = self.read(self.work, "src", "configure.args").split()
        self.assertEqual(" ".join(a for a in args if not a.startswith("--prefix=")),
                         EXPECTED_OPTIONS)
        self.assertEqual(self.read(self.lib), "archive\n")
        self.assertIn(EXPECTED_OPTIONS, self.read(self.header))
        self.assertEqual(self.read(self.work, "src", "build.count"), "built\n")
        p = self.build(tree)  # the stamp matches: no second build
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.read(self.work, "src", "build.count"), "built\n")

    def test_tarball_is_unpacked(self):
        tree = os.path.join(self.tmp.name, "wolfssl-5.5.4")
        stub_tree(tree)
        tarball = os.path.join(self.tmp.name, "wolfssl.tar.gz")
        with tarfile.open(tarball, "w:gz") as t:
            t.add(tree, arcname="wolfssl-5.5.4")
        p = self.build(tarball)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.isfile(os.path.join(self.work, "src", "configure.args")))

    def test_build_without_sp_macros_is_refused(self):
        for missing in SP_MACROS:
            with self.subTest(missing=missing):
                tree = os.path.join(self.tmp.name, "no-" + missing)
                stub_tree(tree, [m for m in SP_MACROS if m != missing])
                p = self.build(tree)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn(missing + " missing", p.stderr)
                self.assertFalse(os.path.exists(os.path.join(self.work, "stamp")))

    def test_missing_autotools_is_refused(self):
        tree = os.path.join(self.tmp.name, "wolfssl")
        stub_tree(tree)
        path = tool_dir(os.path.join(self.tmp.name, "bare"), with_autotools=False)
        p = self.build(tree, path)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("not found (install autoconf automake libtool)", p.stderr)

    def test_failed_step_is_refused(self):
        for step in ("autogen.sh", "configure"):
            with self.subTest(step=step):
                tree = os.path.join(self.tmp.name, "fails-in-" + step)
                stub_tree(tree)
                with open(os.path.join(tree, step), "w", encoding="utf-8") as f:
                    f.write("#!/bin/sh\nexit 1\n")
                p = self.build(tree)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("build failed", p.stderr)
                self.assertFalse(os.path.exists(self.lib))


if __name__ == "__main__":
    SCRIPT = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
