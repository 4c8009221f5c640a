"""Generate graphsim/isa/decoder_gen.py from the encoding tables.

    python -m graphsim.isa.gen_decoder          # rewrite decoder_gen.py
    python -m graphsim.isa.gen_decoder --check  # exit 1 if it is out of date

The generated module holds: the op numbers (one per base instruction, in
classes the CPU step dispatches on), the per-class dispatchers that call the
semantics functions of rv_i/rv_m/rv_a/rv_f/rv_d, and `decode(word, flags)`, a two-level
decoder (major opcode, then mask/match within it) for both XLENs that also
expands compressed instructions to their base operation. A decoded
instruction is packed into one int64:

    bits 0..7 op | 8..12 rd | 13..17 rs1 | 18..22 rs2 | 23 compressed | 32..63 imm

op 0 is "illegal". For CSR instructions imm is the CSR number and rs1 holds
rs1 or the 5-bit zimm; for m5op imm is the function number; for FP
instructions other than loads/stores imm is ``rm | rs3 << 3 | is_d << 8``
(rounding-mode field, third source, 1 for a D instruction).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from difflib import SequenceMatcher
from pathlib import Path

from . import encoding, rv_a, rv_d, rv_f, rv_i, rv_m

OUT = Path(__file__).with_name("decoder_gen.py")

# decode() flags
FLAG_RV64 = 1
FLAG_M = 2
FLAG_A = 4
FLAG_C = 8
FLAG_ZIFENCEI = 16
FLAG_F = 32  # also cleared while mstatus.FS is Off, so that every FP instruction decodes as illegal
FLAG_D = 64
EXT_FLAG = {"m": FLAG_M, "a": FLAG_A, "c": FLAG_C, "zifencei": FLAG_ZIFENCEI, "f": FLAG_F, "d": FLAG_D}


def op_classes():
    """[(class, [(op name, python expr of semantics or None)])] in op-number order."""
    alu = [(n, f"rv_i.{f.__name__}") for n, f in rv_i.ALU.items()] + [
        (n, f"rv_m.{f.__name__}") for n, f in rv_m.ALU.items()
    ]
    return [
        ("alu", alu),
        ("branch", [(n, f"rv_i.{f.__name__}") for n, f in rv_i.BRANCH.items()]),
        # FP loads end the load class and FP stores start the store class: OP_FLW..OP_FSD are the FP accesses
        ("load", [(n, f"{m.__name__.rsplit('.', 1)[1]}.{f.__name__}")
                  for m in (rv_i, rv_f, rv_d) for n, (_s, f) in m.LOAD.items()]),
        ("store", [(n, None) for m in (rv_f, rv_d, rv_i) for n in m.STORE]),
        ("control", [(n, None) for n in rv_i.CONTROL]),
        ("amo", [(n, f"rv_a.{f.__name__}") for n, (_s, f) in rv_a.AMO.items()]),
        ("lr", [(n, None) for n in rv_a.LR]),
        ("sc", [(n, None) for n in rv_a.SC]),
        ("csr", [(n, None) for n in ("csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci")]),
        ("system", [(n, None) for n in ("fence", "fence.i", "ecall", "ebreak", "mret", "sret", "wfi", "sfence.vma", "m5op")]),
        # FP computation (kernel.exec_fp): f registers -> f register, f -> x, x -> f
        ("fpu", [(n, f"{m.__name__.rsplit('.', 1)[1]}.{f.__name__}") for m in (rv_f, rv_d) for n, f in m.FPU.items()]),
        ("fpx", [(n, f"{m.__name__.rsplit('.', 1)[1]}.{f.__name__}") for m in (rv_f, rv_d) for n, f in m.FPX.items()]),
        ("xfp", [(n, f"{m.__name__.rsplit('.', 1)[1]}.{f.__name__}") for m in (rv_f, rv_d) for n, f in m.XFP.items()]),
    ]


def const_name(name: str) -> str:
    return "OP_" + name.upper().replace(".", "_")


def mem_size(name: str) -> int:
    for m in (rv_i, rv_f, rv_d):
        if name in m.LOAD:
            return m.LOAD[name][0]
        if name in m.STORE:
            return m.STORE[name]
    if name in rv_a.AMO:
        return rv_a.AMO[name][0]
    if name in rv_a.LR:
        return rv_a.LR[name]
    if name in rv_a.SC:
        return rv_a.SC[name]
    return 0


def rv32_op(name: str) -> str:
    return rv_i.RV32_OPS.get(name) or rv_m.RV32_OPS.get(name) or name


def _cond(e: encoding.Encoding, var="w") -> str:
    parts = [f"({var} & {e.mask:#x}) == {e.match:#x}"]
    for positions, value in e.constraints:
        # build the gathered value from contiguous runs
        terms = []
        j = 0
        pos = list(positions)
        n = len(pos)
        while j < n:
            k = j
            while k + 1 < n and pos[k + 1] == pos[k] - 1:
                k += 1
            hi, lo = pos[j], pos[k]
            width = hi - lo + 1
            shift_out = n - 1 - k  # position of this run's lsb in the gathered value
            terms.append(f"((({var} >> {lo}) & {(1 << width) - 1:#x}) << {shift_out})")
            j = k + 1
        parts.append(f"({' | '.join(terms)}) != {value}")
    return " and ".join(parts)


# The operand accessors of bits.py written out as expressions over `w`, so the
# generated decoder calls no functions (numba compiles it in a fraction of the
# time). tests/isa/test_decoder.py checks every expression against its accessor.
def _sx(expr, n):
    return f"((({expr}) & {(1 << n) - 1:#x}) ^ {1 << (n - 1):#x}) - {1 << (n - 1):#x}"


ACCESSOR_EXPR = {
    "rd": "((w >> 7) & 31)",
    "rs1": "((w >> 15) & 31)",
    "rs2": "((w >> 20) & 31)",
    "i_imm": f"({_sx('w >> 20', 12)})",
    "s_imm": f"({_sx('((w >> 25) << 5) | ((w >> 7) & 31)', 12)})",
    "b_imm": f"({_sx('(((w >> 31) & 1) << 12) | (((w >> 7) & 1) << 11) | (((w >> 25) & 63) << 5) | (((w >> 8) & 15) << 1)', 13)})",
    "u_imm": f"({_sx('w & 0xFFFFF000', 32)})",
    "j_imm": f"({_sx('(((w >> 31) & 1) << 20) | (((w >> 12) & 255) << 12) | (((w >> 20) & 1) << 11) | (((w >> 21) & 1023) << 1)', 21)})",
    "shamt": "((w >> 20) & 63)",
    "csr": "((w >> 20) & 0xFFF)",
    "m5func": "((w >> 25) & 127)",
    "rm": "((w >> 12) & 7)",
    "rs3": "((w >> 27) & 31)",
    "rvc_rd": "((w >> 7) & 31)",
    "rvc_rs1": "((w >> 7) & 31)",
    "rvc_rs2": "((w >> 2) & 31)",
    "rvc_rd_p": "(8 + ((w >> 2) & 7))",
    "rvc_rs1_p": "(8 + ((w >> 7) & 7))",
    "rvc_rs2_p": "(8 + ((w >> 2) & 7))",
    "rvc_imm": f"({_sx('(((w >> 12) & 1) << 5) | ((w >> 2) & 31)', 6)})",
    "rvc_shamt": "((((w >> 12) & 1) << 5) | ((w >> 2) & 31))",
    "rvc_lui_imm": f"(({_sx('(((w >> 12) & 1) << 5) | ((w >> 2) & 31)', 6)}) << 12)",
    "rvc_addi4spn_imm": "((((w >> 6) & 1) << 2) | (((w >> 5) & 1) << 3) | (((w >> 11) & 3) << 4) | (((w >> 7) & 15) << 6))",
    "rvc_addi16sp_imm": f"({_sx('(((w >> 12) & 1) << 9) | (((w >> 6) & 1) << 4) | (((w >> 5) & 1) << 6) | (((w >> 3) & 3) << 7) | (((w >> 2) & 1) << 5)', 10)})",
    "rvc_lw_imm": "((((w >> 6) & 1) << 2) | (((w >> 10) & 7) << 3) | (((w >> 5) & 1) << 6))",
    "rvc_ld_imm": "((((w >> 10) & 7) << 3) | (((w >> 5) & 3) << 6))",
    "rvc_lwsp_imm": "((((w >> 4) & 7) << 2) | (((w >> 12) & 1) << 5) | (((w >> 2) & 3) << 6))",
    "rvc_ldsp_imm": "((((w >> 5) & 3) << 3) | (((w >> 12) & 1) << 5) | (((w >> 2) & 7) << 6))",
    "rvc_swsp_imm": "((((w >> 9) & 15) << 2) | (((w >> 7) & 3) << 6))",
    "rvc_sdsp_imm": "((((w >> 10) & 7) << 3) | (((w >> 7) & 7) << 6))",
    "rvc_j_imm": f"({_sx('(((w >> 12) & 1) << 11) | (((w >> 11) & 1) << 4) | (((w >> 9) & 3) << 8) | (((w >> 8) & 1) << 10) | (((w >> 7) & 1) << 6) | (((w >> 6) & 1) << 7) | (((w >> 3) & 7) << 1) | (((w >> 2) & 1) << 5)', 12)})",
    "rvc_b_imm": f"({_sx('(((w >> 12) & 1) << 8) | (((w >> 10) & 3) << 3) | (((w >> 5) & 3) << 6) | (((w >> 3) & 3) << 1) | (((w >> 2) & 1) << 5)', 9)})",
}

_IMM32 = {
    "imm12": "i_imm", "imm12hi": "s_imm", "bimm12hi": "b_imm", "imm20": "u_imm",
    "jimm20": "j_imm", "shamtd": "shamt", "shamtw": "shamt", "csr": "csr", "m5func": "m5func",
}


def _operands32(e):
    ops = e.operands
    rd = ACCESSOR_EXPR["rd"] if "rd" in ops else "0"
    rs1 = ACCESSOR_EXPR["rs1"] if ("rs1" in ops or "zimm" in ops) else "0"
    rs2 = ACCESSOR_EXPR["rs2"] if "rs2" in ops else "0"
    imm = "0"
    for f in ops:
        if f in _IMM32:
            imm = ACCESSOR_EXPR[_IMM32[f]]
    if e.name in ("fence", "fence.i"):
        rd, rs1, imm = "0", "0", "0"
    if e.ext in ("f", "d") and "imm12" not in ops and "imm12hi" not in ops:
        parts = [ACCESSOR_EXPR["rm"]] if "rm" in ops else []
        if "rs3" in ops:
            parts.append(f"({ACCESSOR_EXPR['rs3']} << 3)")
        if e.ext == "d":
            parts.append("256")
        imm = f"({' | '.join(parts)})" if parts else "0"
    return rd, rs1, rs2, imm


def _operands16(e):
    base, args = e.expansion
    vals = {"rd": "0", "rs1": "0", "rs2": "0", "imm": "0"}
    for k, v in args:
        vals[k] = str(v) if isinstance(v, int) else ACCESSOR_EXPR[v]
    return base, vals["rd"], vals["rs1"], vals["rs2"], vals["imm"]


def _pack(op, rd, rs1, rs2, imm, c):
    parts = [op]
    if rd != "0":
        parts.append(f"({rd} << 8)")
    if rs1 != "0":
        parts.append(f"({rs1} << 13)")
    if rs2 != "0":
        parts.append(f"({rs2} << 18)")
    if c:
        parts.append("(1 << 23)")
    if imm != "0":
        parts.append(f"({imm} << 32)")
    return " | ".join(parts)


def _ext_check(e):
    f = EXT_FLAG.get(e.ext)
    return f" and (flags & {f})" if f else ""


def _base_ext_check(e, xlen):
    """For a compressed instruction: the extension check of its base instruction besides C
    (c.fld needs D, c.flw F)."""
    base = e.expansion[0]
    for b in encoding.encodings_for(xlen):
        if b.name == base and b.length == 4 and b.ext not in ("i", "c"):
            return _ext_check(b)
    return ""


def _merge_arms(arms64: list, arms32: list) -> list:
    """[(arm, op on RV64 or None, op on RV32 or None)] from each XLEN's [(arm, op)] of one
    opcode group: one sequence in which each XLEN meets exactly its own arms in its own order
    (a shortest common supersequence over their longest common subsequence of arms)."""
    keys64, keys32 = [arm for arm, _ in arms64], [arm for arm, _ in arms32]
    out = []
    i = j = 0
    for a, b, n in SequenceMatcher(None, keys64, keys32, autojunk=False).get_matching_blocks():
        out += [(arm, op, None) for arm, op in arms64[i:a]] + [(arm, None, op) for arm, op in arms32[j:b]]
        out += [(arm, op64, op32) for (arm, op64), (_, op32) in zip(arms64[a:a + n], arms32[b:b + n])]
        i, j = a + n, b + n
    return out


def generate() -> str:
    classes = op_classes()
    names = ["illegal"]
    bounds = {}
    for cls, ops in classes:
        first = len(names)
        names.extend(n for n, _ in ops)
        bounds[cls] = (first, len(names) - 1)
    opnum = {n: i for i, n in enumerate(names)}
    # every table instruction must have an op
    for e in encoding.load_tables():
        target = e.expansion[0] if e.expansion else e.name
        if target not in opnum:
            raise SystemExit(f"{e.table}: {e.name}: no semantics for {target!r}")

    L = []
    w = L.append
    w('"""GENERATED by graphsim/isa/gen_decoder.py from graphsim/isa/opcodes/* -- do not edit.')
    w("")
    w("Regenerate with `python -m graphsim.isa.gen_decoder`; tests/isa checks it is up to date.")
    w('"""')
    w("")
    w("# ruff: noqa")
    w("from . import _jitcache  # noqa: F401")
    w("from numba import njit")
    w("")
    w("from . import rv_a, rv_d, rv_f, rv_i, rv_m")
    w("")
    for i, n in enumerate(names):
        w(f"{const_name(n)} = {i}")
    w("")
    w(f"N_OPS = {len(names)}")
    for cls, (a, b) in bounds.items():
        w(f"{cls.upper()}_FIRST = {a}")
        w(f"{cls.upper()}_LAST = {b}")
    w(f"OP_NAMES = {tuple(names)!r}")
    w(f"MEM_SIZE = {tuple(mem_size(n) for n in names)!r}")
    w("")
    w(f"FLAG_RV64 = {FLAG_RV64}")
    w(f"FLAG_M = {FLAG_M}")
    w(f"FLAG_A = {FLAG_A}")
    w(f"FLAG_C = {FLAG_C}")
    w(f"FLAG_ZIFENCEI = {FLAG_ZIFENCEI}")
    w(f"FLAG_F = {FLAG_F}")
    w(f"FLAG_D = {FLAG_D}")
    w("")

    # dispatchers
    def dispatcher(fname, args, cls, call_args, default="0"):
        w("")
        w("@njit(cache=True)")
        w(f"def {fname}(op, {args}):")
        for n, expr in dict(classes)[cls]:
            w(f"    if op == {const_name(n)}:")
            w(f"        return {expr}({call_args})")
        w(f"    return {default}")
        w("")

    dispatcher("alu", "a, b, imm", "alu", "a, b, imm")
    dispatcher("branch", "a, b", "branch", "a, b", "False")
    dispatcher("load_ext", "v", "load", "v")
    dispatcher("amo", "old, src", "amo", "old, src")

    def tree_dispatcher(fname, args, cls, call_args):
        """A dispatcher over a contiguous op range as a binary search (the FP classes are large)."""
        ops = dict(classes)[cls]
        first = opnum[ops[0][0]]
        w("")
        w("@njit(cache=True)")
        w(f"def {fname}(op, {args}):")

        def emit(lo, hi, depth):
            pad = "    " * depth
            if lo == hi:
                name, expr = ops[lo]
                w(f"{pad}return {expr}({call_args})  # {name}")
                return
            mid = (lo + hi + 1) // 2
            w(f"{pad}if op < {first + mid}:")
            emit(lo, mid - 1, depth + 1)
            w(f"{pad}else:")
            emit(mid, hi, depth + 1)

        emit(0, len(ops) - 1, 1)
        w("")

    tree_dispatcher("fpu", "a, b, c, rm", "fpu", "a, b, c, rm")
    tree_dispatcher("fpx", "a, b, rm", "fpx", "a, b, 0, rm")
    tree_dispatcher("xfp", "a, rm", "xfp", "a, 0, 0, rm")
    w("")
    w("@njit(cache=True)")
    w("def mem_size(op):")
    w('    """Access size in bytes of a load/store/AMO/LR/SC op."""')
    for cls in ("load", "store", "amo", "lr", "sc"):
        for n, _ in dict(classes)[cls]:
            w(f"    if op == {const_name(n)}:")
            w(f"        return {mem_size(n)}")
    w("    return 0")
    w("")
    w("")
    w("@njit(cache=True)")
    w("def pack(op, rd, rs1, rs2, imm, c):")
    w("    return op | (rd << 8) | (rs1 << 13) | (rs2 << 18) | (c << 23) | (imm << 32)")
    w("")

    # One decoder per instruction length for both XLENs (numba compiles each decoder in seconds,
    # so not two of them): an arm only one XLEN has checks FLAG_RV64, and each XLEN still meets
    # its own arms in its own order (first match wins), so it decodes as a decoder of its own would.
    def grouped(xlen, length, key):
        """{group key: [encoding]}, most specific mask first within a group."""
        groups = defaultdict(list)
        for e in encoding.encodings_for(xlen):
            if e.length == length:
                groups[key(e)].append(e)
        return {k: sorted(es, key=lambda e: -bin(e.mask).count("1")) for k, es in groups.items()}

    # an arm: (condition, packed result with {op} for the op, comment), op name
    def arms32(xlen):
        mapop = (lambda n: n) if xlen == 64 else rv32_op
        return {opc: [((f"{_cond(e)}{_ext_check(e)}", _pack("{op}", *_operands32(e), 0), ""), mapop(e.name))
                      for e in es]
                for opc, es in grouped(xlen, 4, lambda e: e.match & 0x7F).items()}

    def arms16(xlen):
        mapop = (lambda n: n) if xlen == 64 else rv32_op
        arms = {}
        for key, es in grouped(xlen, 2, lambda e: ((e.match >> 13) & 7) << 2 | (e.match & 3)).items():
            arms[key] = []
            for e in es:
                base, rd, rs1, rs2, imm = _operands16(e)
                arms[key].append(((f"{_cond(e)}{_base_ext_check(e, xlen)}", _pack("{op}", rd, rs1, rs2, imm, 1),
                                   f"  # {e.name}"), mapop(base)))
        return arms

    def decoder(fname, var, expr, key_text, groups64, groups32):
        w("")
        w("@njit(cache=True)")
        w(f"def {fname}(w, flags):")
        w(f"    {var} = {expr}")
        first = True
        for key in sorted(set(groups64) | set(groups32)):
            w(f"    {'if' if first else 'elif'} {var} == {key_text(key)}:")
            first = False
            for (cond, result, note), op64, op32 in _merge_arms(groups64.get(key, []), groups32.get(key, [])):
                if op32 is None:
                    cond += f" and (flags & {FLAG_RV64})"
                elif op64 is None:
                    cond += f" and (flags & {FLAG_RV64}) == 0"
                if op64 is None or op32 is None or op64 == op32:
                    op = const_name(op64 or op32)
                else:  # RV32 runs add/sub/shifts/addi as the *w operations (rv_i.RV32_OPS)
                    op = f"({const_name(op64)} if flags & {FLAG_RV64} else {const_name(op32)})"
                w(f"        if {cond}:{note}")
                w(f"            return {result.replace('{op}', op)}")
        w("    return 0")
        w("")

    decoder("decode32", "opc", "w & 0x7f", hex, arms32(64), arms32(32))
    decoder("decode16", "key", "(((w >> 13) & 7) << 2) | (w & 3)", str, arms16(64), arms16(32))
    w("")
    w("@njit(cache=True)")
    w("def decode(w, flags):")
    w('    """Decode one instruction word (the low 16 bits if compressed); 0 if illegal."""')
    w("    if (w & 3) != 3:")
    w("        if (flags & FLAG_C) == 0:")
    w("            return 0")
    w("        return decode16(w & 0xffff, flags)")
    w("    if (w & 0x1c) == 0x1c:  # 48-bit and longer encodings")
    w("        return 0")
    w("    return decode32(w & 0xffffffff, flags)")
    w("")
    return "\n".join(L)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    text = generate()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is out of date: run python -m graphsim.isa.gen_decoder", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
