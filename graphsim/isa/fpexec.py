"""One F/D computation as the CPU kernel executes it.

The kernel hands every instruction of the decoder's classes fpu, fpx and xfp
(FP loads and stores run on its integer path) to `execute`, with the raw
contents of its source registers. `execute` resolves the rounding mode (a
reserved one, static or from frm, makes the instruction illegal) and runs
the instruction's semantics (rv_f.py, rv_d.py) through the generated
dispatchers D.fpu, D.fpx and D.xfp.

The arithmetic that FP code is made of — add, sub, mul, div, sqrt and the
four fused multiply-adds, single and double, rounded to nearest-even — first
tries softfloat's host fast path directly (`softfloat.fast`: the very code
those semantics functions start with). That skips a call into a dispatcher
that holds every FP instruction: numba zero-fills the result slots of all
its call sites on each entry, which cost more than the arithmetic. When the
fast path declines (an operand outside its band, a result that needs the
exact path) the semantics function runs as for any other instruction.
"""

from . import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
import numpy as np
from numba import njit

from . import decoder_gen as D
from . import softfloat as sf
from .rv_f import box, unbox

_FAST_NAMES = {"fmadd": sf.FMADD, "fmsub": sf.FMSUB, "fnmsub": sf.FNMSUB, "fnmadd": sf.FNMADD, "fadd": sf.ADD,
               "fsub": sf.SUB, "fmul": sf.MUL, "fdiv": sf.DIV, "fsqrt": sf.SQRT}
_DOUBLE = 16


def _fast_table():
    """op -> 1 + the softfloat.fast operation, + _DOUBLE for a double; 0 for no fast path."""
    table = np.zeros(len(D.OP_NAMES), np.int64)
    for op, name in enumerate(D.OP_NAMES):
        base, _, suffix = name.partition(".")
        if base in _FAST_NAMES and suffix in ("s", "d"):
            table[op] = 1 + _FAST_NAMES[base] + (_DOUBLE if suffix == "d" else 0)
    return table


FAST = _fast_table()


@njit(cache=True, inline='always')
def execute(op, a, b, c, x, imm, frm):
    """Execute F/D computation ``op``: a, b, c are the contents of f[rs1], f[rs2], f[rs3], x that of
    x[rs1]; imm the decoded immediate (its low 3 bits the rm field); frm the dynamic rounding mode.
    Returns (illegal, value, fflags): the value to write to rd (an f register for classes fpu and
    xfp, an x register for fpx) and the exception flags to accrue."""
    rm = imm & 7
    if rm == 7:
        rm = frm
    if rm > 4:
        return True, 0, 0
    if rm == sf.RNE:
        f = FAST[op]
        if f != 0:
            if f >= _DOUBLE:
                v, fl = sf.fast(f - 1 - _DOUBLE, sf.F64, a, b, c)
            else:
                v, fl = sf.fast(f - 1, sf.F32, unbox(a), unbox(b), unbox(c))
                v = box(v)
            if fl >= 0:
                return False, v, fl
    if op <= D.FPU_LAST:
        v, fl = D.fpu(op, a, b, c, rm)
    elif op <= D.FPX_LAST:
        v, fl = D.fpx(op, a, b, rm)
    else:
        v, fl = D.xfp(op, x, rm)
    return False, v, fl
