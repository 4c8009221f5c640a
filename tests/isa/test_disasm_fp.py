"""The disassembler on every F/D encoding (and the compressed FP loads/stores) agrees with
binutils' objdump, for random operands and rounding modes."""

import random
import shutil
import subprocess

import pytest

from graphsim.isa import encoding
from graphsim.isa.disasm import disasm

pytestmark = pytest.mark.skipif(shutil.which("riscv64-unknown-elf-objdump") is None, reason="no binutils")


@pytest.mark.parametrize("xlen", [64, 32])
def test_fp_disassembly_matches_objdump(xlen, tmp_path):
    rng = random.Random(xlen)
    words = []
    for e in encoding.encodings_for(xlen):
        if e.ext in ("f", "d") or (e.expansion and e.expansion[0].startswith("f")):
            for rm in (0, 1, 2, 3, 4, 7):
                w = (rng.getrandbits(8 * e.length) & ~e.mask) | e.match
                if "rm" in e.operands:
                    w = (w & ~(7 << 12)) | (rm << 12)
                words.append((w, e.length))
    (tmp_path / "a.S").write_text("".join(f".insn {n}, {w:#x}\n" for w, n in words))
    march, abi = ("rv64gc", "lp64") if xlen == 64 else ("rv32gc", "ilp32")
    subprocess.run(["riscv64-unknown-elf-gcc", f"-march={march}", f"-mabi={abi}", "-c", str(tmp_path / "a.S"),
                    "-o", str(tmp_path / "a.o")], check=True)
    out = subprocess.run(["riscv64-unknown-elf-objdump", "-d", "-M", "no-aliases", str(tmp_path / "a.o")],
                         capture_output=True, text=True, check=True).stdout
    lines = [line for line in out.splitlines() if line[:1] == " " and ":\t" in line]
    assert len(lines) == len(words)
    compared = 0
    for (w, _n), line in zip(words, lines):
        theirs = " ".join(line.split("\t")[2:]).split("#")[0].strip()
        if theirs.startswith(".4byte"):
            continue  # binutils knows fcvt.d.s/.d.w/.d.wu only with rm = 0 (they never round)
        assert disasm(w, xlen) == theirs, f"{w:#010x}"
        compared += 1
    assert compared > 0.9 * len(words)
