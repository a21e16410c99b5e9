#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Constant-time check of the AVX-512 IFMA kernels by their compiled instructions.

Valgrind cannot execute AVX-512, so the memcheck suite (ct_field, ct_operations) never runs these
kernels. Their constant-time property is structural instead: the compiled function must be one
straight line of instructions, with no conditional jump, call or loop instruction (so nothing the
processor does depends on a branch), and no memory operand with an index register (every address
is a base register plus a constant: the operands, the stack and the constant tables). This script
disassembles a test binary with objdump and checks exactly that for each kernel. It first checks
control functions of the same binary that do branch or index memory (named with --control), so a
checker that finds nothing cannot pass.

usage: kernel_instructions.py OBJDUMP BINARY [--kernel NAME]... [--control NAME=branch|indexed]...
  NAME is a demangled function name prefix; kernels default to the two IFMA kernels.
Exit status 0 when every control shows its finding and every kernel is found and clean.
"""
import re
import subprocess
import sys

DEFAULT_KERNELS = ["skm::kernels::ifma::montmul16(", "skm::kernels::ifma::montsqr16("]
# A fully unrolled kernel has over a thousand instructions; far fewer means a loop survived.
MIN_INSTRUCTIONS = 500

HEADER = re.compile(r"^[0-9a-f]+ <(.+)>:$")
INDEXED = re.compile(r"\((%\w+)?,%\w+")  # AT&T (base,index[,scale]) or (,index,scale)


def functions(objdump, binary):
    out = subprocess.run([objdump, "-d", "-C", "--no-show-raw-insn", binary], check=True,
                         capture_output=True, text=True).stdout
    funcs, name = {}, None
    for line in out.splitlines():
        m = HEADER.match(line)
        if m:
            name = m.group(1)
            funcs.setdefault(name, [])
        elif not line.strip():
            name = None
        elif name is not None and "\t" in line:
            funcs[name].append(line.split("\t", 1)[1].strip())
    return funcs


def findings(instructions):
    bad = []
    for ins in instructions:
        mnemonic = ins.split()[0] if ins.split() else ""
        if mnemonic == "lea" or mnemonic.startswith("nop") or mnemonic.startswith("cs"):
            continue  # address arithmetic and padding: no memory access
        if (mnemonic.startswith("j") and mnemonic != "jmp") or mnemonic.startswith("loop") or mnemonic == "call":
            bad.append("branch: " + ins)
        elif INDEXED.search(ins):
            bad.append("indexed address: " + ins)
    return bad


def lookup(funcs, prefix):
    return [(n, body) for n, body in funcs.items() if n.startswith(prefix)]


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    objdump, binary = argv[1], argv[2]
    options = [(argv[i], argv[i + 1]) for i in range(3, len(argv) - 1, 2)]
    kernels = [v for k, v in options if k == "--kernel"] or DEFAULT_KERNELS
    controls = [v.rsplit("=", 1) for k, v in options if k == "--control"]
    if not controls:
        print("FAIL: no --control given; the check must show it can find what it looks for")
        return 1
    funcs = functions(objdump, binary)

    for prefix, kind in controls:
        found = lookup(funcs, prefix)
        if not found or not any(b.startswith(kind) for _, body in found for b in findings(body)):
            print(f"FAIL: the control {prefix} is missing or shows no {kind} finding; the check is blind")
            return 1
        print(f"control ok: {prefix} shows the {kind} finding it must")

    failed = False
    for prefix in kernels:
        found = lookup(funcs, prefix)
        if not found:
            print(f"FAIL: {prefix}...) is not in {binary}")
            failed = True
            continue
        for name, body in found:
            bad = findings(body)
            if len(body) < MIN_INSTRUCTIONS:
                bad.append(f"only {len(body)} instructions: not fully unrolled")
            if bad:
                failed = True
                print(f"FAIL: {name}")
                for b in bad[:20]:
                    print("   ", b)
            else:
                print(f"ok: {name}: {len(body)} instructions, no branch, no indexed address")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
