"""The kernel's call into a compiled guest block (graphsim/cpu/jit).

A block is a native function made by llvmlite in this process; the kernel holds
its address as an int64 and calls it through this intrinsic. Its signature:

    int64 block(int64 *x, int8 *ram, int64 *work, int64 limit, int64 tlb, int64 dctx, int64 base)

``x`` is the hart's state row (isa/state.py), ``limit`` the instructions left in
the slice, ``tlb``/``dctx`` the slice's data TLB and its context (a block is
compiled for data translation on or off), ``base``
the instructions already executed by the blocks chained before it (0 from the
kernel). It returns base plus the number of instructions it executed (their state
written back, the next pc in x[PC], their USED bits or-ed into x[USED]), or -1
without executing anything if the code in RAM is no longer the code it was
compiled from (when called with base 0; chained, it returns base and leaves
x[PC] at its start, and the kernel finds it stale on its next lookup).
"""

from ..isa import _jitcache  # noqa: F401  (must precede @njit: keyed cache dir)
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_I64 = ir.IntType(64)
_I64P = _I64.as_pointer()
_I8P = ir.IntType(8).as_pointer()
BLOCK_FNTY = ir.FunctionType(_I64, [_I64P, _I8P, _I64P, _I64, _I64, _I64, _I64])


@intrinsic
def call_block(typingctx, fn, x, ram, work, limit, tlb, dctx, base):
    sig = types.int64(fn, x, ram, work, limit, tlb, dctx, base)

    def codegen(context, builder, signature, args):
        f = builder.inttoptr(args[0], BLOCK_FNTY.as_pointer())
        ptrs = []
        for i, ty in ((1, _I64P), (2, _I8P), (3, _I64P)):
            a = context.make_array(signature.args[i])(context, builder, args[i])
            ptrs.append(builder.bitcast(a.data, ty))
        return builder.call(f, ptrs + [builder.sext(a, _I64) if a.type != _I64 else a for a in args[4:]])

    return sig, codegen
