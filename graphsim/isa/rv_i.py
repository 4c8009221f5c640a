"""RV32I/RV64I base integer instructions: one semantics function per instruction.

Register-register and register-immediate operations take ``(a, b, imm)`` —
the values of rs1 and rs2 and the decoded immediate — and return the value
written to rd. Branch conditions take ``(a, b)``. Loads take the loaded value
sign-extended from its size and return rd; stores only name their size.
Control transfer (jal, jalr, auipc, whose results depend on pc) and
fence/ecall/ebreak are executed by the CPU step itself (graphsim/cpu/kernel.py).

On RV32 the decoder maps add/sub/shifts/addi to the *w operations, whose
semantics are exactly RV32's on sign-extended 32-bit registers (see RV32_OPS).
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from numba import njit

from .bits import SIGN64, sext32, srl64, ult


# --- register-immediate and register-register (class "alu") ---
@njit(cache=True, inline='always')
def lui(a, b, imm):
    return imm


@njit(cache=True, inline='always')
def addi(a, b, imm):
    return a + imm


@njit(cache=True, inline='always')
def slti(a, b, imm):
    return 1 if a < imm else 0


@njit(cache=True, inline='always')
def sltiu(a, b, imm):
    return 1 if ult(a, imm) else 0


@njit(cache=True, inline='always')
def xori(a, b, imm):
    return a ^ imm


@njit(cache=True, inline='always')
def ori(a, b, imm):
    return a | imm


@njit(cache=True, inline='always')
def andi(a, b, imm):
    return a & imm


@njit(cache=True, inline='always')
def slli(a, b, imm):
    return a << (imm & 63)


@njit(cache=True, inline='always')
def srli(a, b, imm):
    return srl64(a, imm & 63)


@njit(cache=True, inline='always')
def srai(a, b, imm):
    return a >> (imm & 63)


@njit(cache=True, inline='always')
def add(a, b, imm):
    return a + b


@njit(cache=True, inline='always')
def sub(a, b, imm):
    return a - b


@njit(cache=True, inline='always')
def sll(a, b, imm):
    return a << (b & 63)


@njit(cache=True, inline='always')
def slt(a, b, imm):
    return 1 if a < b else 0


@njit(cache=True, inline='always')
def sltu(a, b, imm):
    return 1 if ult(a, b) else 0


@njit(cache=True, inline='always')
def xor(a, b, imm):
    return a ^ b


@njit(cache=True, inline='always')
def srl(a, b, imm):
    return srl64(a, b & 63)


@njit(cache=True, inline='always')
def sra(a, b, imm):
    return a >> (b & 63)


@njit(cache=True, inline='always')
def or_(a, b, imm):
    return a | b


@njit(cache=True, inline='always')
def and_(a, b, imm):
    return a & b


@njit(cache=True, inline='always')
def addiw(a, b, imm):
    return sext32(a + imm)


@njit(cache=True, inline='always')
def slliw(a, b, imm):
    return sext32(a << (imm & 31))


@njit(cache=True, inline='always')
def srliw(a, b, imm):
    return sext32(srl64(a & 0xFFFFFFFF, imm & 31))


@njit(cache=True, inline='always')
def sraiw(a, b, imm):
    return sext32(a) >> (imm & 31)


@njit(cache=True, inline='always')
def addw(a, b, imm):
    return sext32(a + b)


@njit(cache=True, inline='always')
def subw(a, b, imm):
    return sext32(a - b)


@njit(cache=True, inline='always')
def sllw(a, b, imm):
    return sext32(a << (b & 31))


@njit(cache=True, inline='always')
def srlw(a, b, imm):
    return sext32(srl64(a & 0xFFFFFFFF, b & 31))


@njit(cache=True, inline='always')
def sraw(a, b, imm):
    return sext32(a) >> (b & 31)


# --- branch conditions (class "branch") ---
@njit(cache=True, inline='always')
def beq(a, b):
    return a == b


@njit(cache=True, inline='always')
def bne(a, b):
    return a != b


@njit(cache=True, inline='always')
def blt(a, b):
    return a < b


@njit(cache=True, inline='always')
def bge(a, b):
    return a >= b


@njit(cache=True, inline='always')
def bltu(a, b):
    return (a ^ SIGN64) < (b ^ SIGN64)


@njit(cache=True, inline='always')
def bgeu(a, b):
    return (a ^ SIGN64) >= (b ^ SIGN64)


# --- loads (class "load"): value arrives sign-extended from its size ---
@njit(cache=True, inline='always')
def lb(v):
    return v


@njit(cache=True, inline='always')
def lh(v):
    return v


@njit(cache=True, inline='always')
def lw(v):
    return v


@njit(cache=True, inline='always')
def ld(v):
    return v


@njit(cache=True, inline='always')
def lbu(v):
    return v & 0xFF


@njit(cache=True, inline='always')
def lhu(v):
    return v & 0xFFFF


@njit(cache=True, inline='always')
def lwu(v):
    return v & 0xFFFFFFFF


ALU = {
    "lui": lui, "addi": addi, "slti": slti, "sltiu": sltiu, "xori": xori, "ori": ori, "andi": andi,
    "slli": slli, "srli": srli, "srai": srai, "add": add, "sub": sub, "sll": sll, "slt": slt,
    "sltu": sltu, "xor": xor, "srl": srl, "sra": sra, "or": or_, "and": and_,
    "addiw": addiw, "slliw": slliw, "srliw": srliw, "sraiw": sraiw, "addw": addw, "subw": subw,
    "sllw": sllw, "srlw": srlw, "sraw": sraw,
}
BRANCH = {"beq": beq, "bne": bne, "blt": blt, "bge": bge, "bltu": bltu, "bgeu": bgeu}
LOAD = {"lb": (1, lb), "lh": (2, lh), "lw": (4, lw), "ld": (8, ld), "lbu": (1, lbu), "lhu": (2, lhu), "lwu": (4, lwu)}
STORE = {"sb": 1, "sh": 2, "sw": 4, "sd": 8}
# executed by the CPU step (need pc or privileged state)
CONTROL = ("jal", "jalr", "auipc")
SYSTEM = ("fence", "ecall", "ebreak")

# RV32 executes these with the semantics of the named operation
RV32_OPS = {
    "add": "addw", "sub": "subw", "sll": "sllw", "srl": "srlw", "sra": "sraw",
    "addi": "addiw", "slli": "slliw", "srli": "srliw", "srai": "sraiw",
}
