#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A generated kernel header must be exactly what its generator prints today.

usage: check_generated.py HEADER GENERATOR [ARG]...
Runs the generator with the same Python and compares its output with HEADER byte for byte, so a
hand edit of a generated file, or a generator change without regenerating, fails the suite.
"""
import difflib
import subprocess
import sys


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    header, generator, args = argv[1], argv[2], argv[3:]
    command = " ".join([generator, *args])
    generated = subprocess.run([sys.executable, generator, *args], check=True, capture_output=True, text=True).stdout
    with open(header, encoding="utf-8") as f:
        committed = f.read()
    if generated == committed:
        print(f"ok: {header} is what {command} prints")
        return 0
    print(f"FAIL: {header} differs from the output of {command}:")
    sys.stdout.writelines(list(difflib.unified_diff(committed.splitlines(True), generated.splitlines(True),
                                                    "committed", "generated"))[:40])
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
