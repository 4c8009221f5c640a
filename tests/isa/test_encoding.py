"""Encoding tables: well-formed, non-overlapping, and the generated decoder is current and agrees with them."""

import random
import subprocess
import sys
from itertools import combinations

import numpy as np
import pytest

from graphsim.isa import bits, encoding, gen_decoder
from graphsim.isa import decoder_gen as D


def test_tables_parse_and_name_known_extensions():
    encs = encoding.load_tables()
    assert len(encs) > 100
    names = {e.name for e in encs}
    for n in ("add", "lr.d", "c.addi16sp", "csrrwi", "sfence.vma", "m5op", "fence.i", "fmadd.d", "fcvt.s.lu",
              "c.fsdsp", "c.flwsp"):
        assert n in names


@pytest.mark.parametrize("xlen", [32, 64])
def test_no_two_encodings_overlap(xlen):
    encs = encoding.encodings_for(xlen)
    bad = [(a.name, b.name) for a, b in combinations(encs, 2) if encoding.overlaps(a, b)]
    assert not bad, f"overlapping encodings: {bad}"


def test_overlap_check_detects_overlap():
    a = encoding.parse_line("x rd rs1 imm12 14..12=0 6..2=0x04 1..0=3", "rv_i")
    b = encoding.parse_line("y rd rs1 imm12 14..12=0 6..2=0x04 1..0=3", "rv_i")
    assert encoding.overlaps(a, b)
    c = encoding.parse_line("c.x 1..0=1 15..13=3 11..7!=2", "rv_c")
    d = encoding.parse_line("c.y 1..0=1 15..13=3 11..7=2", "rv_c")
    assert not encoding.overlaps(c, d)


def test_generated_decoder_is_up_to_date():
    assert gen_decoder.generate() == gen_decoder.OUT.read_text(), "run: python -m graphsim.isa.gen_decoder"


def test_generator_check_mode():
    r = subprocess.run([sys.executable, "-m", "graphsim.isa.gen_decoder", "--check"], capture_output=True)
    assert r.returncode == 0, r.stderr


def test_accessor_expressions_match_bits_accessors():
    rng = random.Random(1)
    for name, expr in gen_decoder.ACCESSOR_EXPR.items():
        fn = getattr(bits, name).py_func
        for _ in range(300):
            w = np.int64(rng.getrandbits(32))
            assert int(eval(expr, {"w": w})) == int(fn(w)), name


def _expected(word, xlen, flags):
    """The table's answer for a word: the name of the (unique) matching encoding, with extension checks."""
    comp = (word & 3) != 3
    if comp:
        if not flags & D.FLAG_C:
            return None
        word &= 0xFFFF
    hits = []
    for e in encoding.encodings_for(xlen):
        if (e.length == 2) != comp:
            continue
        ext_flag = gen_decoder.EXT_FLAG.get(e.ext)
        if ext_flag and ext_flag != D.FLAG_C and not flags & ext_flag:
            continue
        if e.expansion:  # a compressed FP load/store also needs its base instruction's extension
            base_ext = next(b.ext for b in encoding.encodings_for(xlen) if b.name == e.expansion[0] and b.length == 4)
            base_flag = gen_decoder.EXT_FLAG.get(base_ext)
            if base_flag and base_flag != D.FLAG_C and not flags & base_flag:
                continue
        if e.matches(word):
            hits.append(e)
    assert len(hits) <= 1
    if not hits:
        return None
    e = hits[0]
    base = e.expansion[0] if e.expansion else e.name
    return gen_decoder.rv32_op(base) if xlen == 32 else base


@pytest.mark.parametrize("xlen", [32, 64])
def test_decoder_agrees_with_tables(xlen):
    rng = random.Random(xlen)
    full = (D.FLAG_M | D.FLAG_A | D.FLAG_C | D.FLAG_ZIFENCEI | D.FLAG_F | D.FLAG_D
            | (D.FLAG_RV64 if xlen == 64 else 0))
    encs = encoding.encodings_for(xlen)
    words = []
    for e in encs:  # words built from every encoding plus random operand bits
        for _ in range(20):
            width = 16 if e.length == 2 else 32
            words.append((rng.getrandbits(width) & ~e.mask) | e.match)
    words += [rng.getrandbits(32) for _ in range(3000)]
    for flags in (full, full & ~(D.FLAG_M | D.FLAG_A | D.FLAG_C), full & ~D.FLAG_D, full & ~(D.FLAG_F | D.FLAG_D)):
        for wd in words:
            d = int(D.decode(np.int64(wd), flags))
            want = _expected(wd, xlen, flags)
            got = D.OP_NAMES[d & 0xFF] if d else None
            assert got == want, f"{wd:#010x}: decoder {got}, table {want}"


def test_decoded_operands():
    add = 0x00B50533  # add a0, a0, a1
    d = int(D.decode(np.int64(add), 15))
    assert d & 0xFF == D.OP_ADD and (d >> 8) & 31 == 10 and (d >> 13) & 31 == 10 and (d >> 18) & 31 == 11
    lw = 0xFFC52583  # lw a1, -4(a0)
    d = int(D.decode(np.int64(lw), 15))
    assert d & 0xFF == D.OP_LW and d >> 32 == -4
    c_addi16sp = 0x7139  # addi sp, sp, -64
    d = int(D.decode(np.int64(c_addi16sp), 15))
    assert d & 0xFF == D.OP_ADDI and d >> 32 == -64 and (d >> 23) & 1
    assert int(D.decode(np.int64(0), 15)) == 0  # c.unimp / illegal


def test_misa_and_isa_strings():
    isa = encoding.parse_isa("rv64imac_zicsr_zifencei")
    assert isa.xlen == 64 and {"m", "a", "c", "zifencei", "s", "u"} <= isa.exts
    assert isa.misa == (2 << 62) | sum(1 << (ord(c) - 97) for c in "imacsu")
    assert encoding.parse_isa("rv32imac_zicsr_zifencei").misa >> 30 == 1
    with pytest.raises(ValueError, match="unsupported"):
        encoding.parse_isa("rv64imafdcv")


def test_fp_isa_strings():
    g = encoding.parse_isa("rv64gc")
    assert g.exts >= {"i", "m", "a", "f", "d", "c", "zicsr", "zifencei"} and g.has_fp
    assert g == encoding.parse_isa("rv64imafdc_zicsr_zifencei")
    assert g.misa == (2 << 62) | sum(1 << (ord(c) - 97) for c in "imafdcsu")
    assert g.canonical() == "rv64imafdc_zicsr_zifencei"
    assert encoding.parse_isa("rv32gc").misa == (1 << 30) | sum(1 << (ord(c) - 97) for c in "imafdcsu")
    assert encoding.parse_isa("rv32imafc_zicsr").misa & (1 << 3) == 0  # F without D
    assert encoding.parse_isa("rv64imac_zicsr_zifencei").canonical() == "rv64imac_zicsr_zifencei"
    assert not encoding.parse_isa("rv64imac").has_fp
    with pytest.raises(ValueError, match="D requires F"):
        encoding.parse_isa("rv64imadc")


def test_fp_operands_decode():
    w = (13 << 27) | (1 << 25) | (12 << 20) | (11 << 15) | (1 << 12) | (10 << 7) | 0x43  # fmadd.d fa0,fa1,fa2,fa3,rtz
    d = int(D.decode(np.int64(w), D.FLAG_RV64 | D.FLAG_F | D.FLAG_D))
    assert d & 0xFF == D.OP_FMADD_D and (d >> 8) & 31 == 10 and (d >> 13) & 31 == 11 and (d >> 18) & 31 == 12
    assert d >> 32 == 1 | (13 << 3) | 256
    assert int(D.decode(np.int64(w), D.FLAG_RV64 | D.FLAG_F)) == 0  # no D: illegal
    assert int(D.decode(np.int64(0x2000), D.FLAG_RV64 | D.FLAG_C | D.FLAG_F)) == 0  # c.fld needs D
    # RV32: c.flw takes RV64's c.ld encoding
    c = 0x6188  # quadrant 0, funct3 3: RV64 c.ld a0,0(a1) / RV32 c.flw fa0,0(a1)
    assert D.OP_NAMES[int(D.decode(np.int64(c), D.FLAG_RV64 | D.FLAG_C | D.FLAG_F | D.FLAG_D)) & 0xFF] == "ld"
    assert D.OP_NAMES[int(D.decode(np.int64(c), D.FLAG_C | D.FLAG_F | D.FLAG_D)) & 0xFF] == "flw"
