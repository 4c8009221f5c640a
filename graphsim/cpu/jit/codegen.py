"""LLVM IR for one guest block (see jit_call.py for the function's signature).

Guest registers live in SSA values for the whole block: those it reads are loaded
once at entry, those it writes are stored back at every exit. A block that ends
with a jump or taken branch back to its own start loops in place while the
slice has room for another full pass (limit), so a hot loop never returns to
the kernel until its slice ends.

Exits are exact: before an instruction it cannot finish on its fast path (a
data-TLB miss, an access that is not an aligned RAM access, a store into the
block's own code, a jalr to a misaligned target) the block returns the count of
instructions before it, with their state written back and x[PC] at it; the
interpreter then executes it. The code bytes are compared with the ones the
block was compiled from at every entry (-1 if they differ), so any writer to RAM
(guest stores, DMA, checkpoint restore, a debugger) is seen without an
invalidation protocol.
"""

from __future__ import annotations

from llvmlite import ir

from ...isa import decoder_gen as D
from ...isa import mmu as MMU
from ...isa.state import PC, USED, USED_C, USED_M
from ..jit_call import BLOCK_FNTY
from .block import ENDS, Insn

I1 = ir.IntType(1)
I8 = ir.IntType(8)
I16 = ir.IntType(16)
I32 = ir.IntType(32)
I64 = ir.IntType(64)
I128 = ir.IntType(128)
MIN64 = -(1 << 63)

LOADS = {D.OP_LB: (I8, True), D.OP_LH: (I16, True), D.OP_LW: (I32, True), D.OP_LD: (I64, True),
         D.OP_LBU: (I8, False), D.OP_LHU: (I16, False), D.OP_LWU: (I32, False)}
STORES = {D.OP_SB: I8, D.OP_SH: I16, D.OP_SW: I32, D.OP_SD: I64}
SIZE = {I8: 1, I16: 2, I32: 4, I64: 8}


def c64(v: int) -> ir.Constant:
    return ir.Constant(I64, v & 0xFFFFFFFFFFFFFFFF)


def used_bits(ins: Insn) -> int:
    u = USED_C if ins.length == 2 else 0
    if D.OP_MUL <= ins.op <= D.ALU_LAST:
        u |= USED_M
    return u


def _regs(ins: Insn) -> tuple[set, set]:
    """(registers read, registers written) by an instruction, x0 excluded."""
    op = ins.op
    if op in (D.OP_LUI, D.OP_AUIPC, D.OP_JAL):
        r = set()
    elif op in (D.OP_ADDI, D.OP_SLTI, D.OP_SLTIU, D.OP_XORI, D.OP_ORI, D.OP_ANDI, D.OP_SLLI, D.OP_SRLI, D.OP_SRAI,
                D.OP_ADDIW, D.OP_SLLIW, D.OP_SRLIW, D.OP_SRAIW, D.OP_JALR) or op in LOADS:
        r = {ins.rs1}
    else:
        r = {ins.rs1, ins.rs2}
    w = set() if op in STORES or D.BRANCH_FIRST <= op <= D.BRANCH_LAST else {ins.rd}
    return r - {0}, w - {0}


class _Block:
    def __init__(self, fn: ir.Function, insns: list[Insn], ro: int, code: bytes, rbase: int, rsize: int, compressed: bool):
        self.fn = fn
        self.insns = insns
        self.ro = ro
        self.code = code
        self.rbase = rbase
        self.rsize = rsize
        self.ialign = 0 if compressed else 2
        self.x, self.ram, self.work, self.limit, self.tlb, self.dctx, self.dvm = fn.args
        self.b = ir.IRBuilder(fn.append_basic_block("entry"))
        self.cur: dict[int, ir.Value] = {}
        self.written: list[int] = []

    # --- helpers ---
    def xptr(self, i: int):
        return self.b.gep(self.x, [c64(i)])

    def reg(self, r: int):
        return c64(0) if r == 0 else self.cur[r]

    def exit(self, pc, count, used):
        """Write back and return (at the builder's current block)."""
        b = self.b
        for r in self.written:
            b.store(self.cur[r], self.xptr(r))
        b.store(pc if isinstance(pc, ir.Value) else c64(pc), self.xptr(PC))
        up = self.xptr(USED)
        b.store(b.or_(b.load(up), b.or_(self.um, c64(used))), up)
        b.ret(count)

    def side_exit(self, ok, i: int):
        """Continue if ok, else leave before instruction i."""
        b = self.b
        out = self.fn.append_basic_block(f"exit{i}")
        cont = self.fn.append_basic_block(f"i{i}")
        b.cbranch(ok, cont, out)
        b.position_at_end(out)
        self.exit(self.insns[i].pc, b.add(self.c, c64(i)), self.prefix_used[i])
        b.position_at_end(cont)

    # --- the function ---
    def emit(self):
        b = self.b
        insns = self.insns
        # 1. the code is still what was compiled
        ok = ir.Constant(I1, 1)
        o = 0
        code = self.code
        while o < len(code):
            n = 8 if len(code) - o >= 8 else 4 if len(code) - o >= 4 else 2
            ty = ir.IntType(8 * n)
            p = b.bitcast(b.gep(self.ram, [c64(self.ro + o)]), ty.as_pointer())
            v = b.load(p, align=1)
            ok = b.and_(ok, b.icmp_unsigned("==", v, ir.Constant(ty, int.from_bytes(code[o:o + n], "little"))))
            o += n
        pre = self.fn.append_basic_block("pre")
        stale = self.fn.append_basic_block("stale")
        b.cbranch(ok, pre, stale)
        b.position_at_end(stale)
        b.ret(c64(-1))
        # 2. registers in
        b.position_at_end(pre)
        reads, writes = set(), []
        for ins in insns:
            r, w = _regs(ins)
            reads |= r
            for x in sorted(w):
                if x not in writes:
                    writes.append(x)
        init = {r: b.load(self.xptr(r)) for r in sorted(reads | set(writes))}
        self.written = writes
        self.prefix_used = []
        u = 0
        for ins in insns:
            self.prefix_used.append(u)
            u |= used_bits(ins)
        self.full_used = u
        head = self.fn.append_basic_block("head")
        b.branch(head)
        b.position_at_end(head)
        phis = {}
        for r in writes:
            phis[r] = b.phi(I64)
            phis[r].add_incoming(init[r], pre)
        self.c = b.phi(I64)
        self.c.add_incoming(c64(0), pre)
        self.um = b.phi(I64)
        self.um.add_incoming(c64(0), pre)
        self.cur = dict(init)
        self.cur.update(phis)
        self.head, self.phis = head, phis
        # 3. the instructions
        n = len(insns)
        for i, ins in enumerate(insns):
            self.insn(i, ins)
        last = insns[-1]
        if last.op not in ENDS:
            self.exit((last.pc + last.length), b.add(self.c, c64(n)), self.full_used)

    def back_or_exit(self, target: int):
        """After the last instruction, control goes to target: loop if it is the block's start and the slice has
        room for another pass, else exit there."""
        b = self.b
        n = len(self.insns)
        c2 = b.add(self.c, c64(n))
        if target != self.insns[0].pc:
            self.exit(target, c2, self.full_used)
            return
        room = b.icmp_signed(">=", b.sub(self.limit, c2), c64(n))
        latch = b.block
        out = self.fn.append_basic_block("done")
        b.cbranch(room, self.head, out)
        for r, phi in self.phis.items():
            phi.add_incoming(self.cur[r], latch)
        self.c.add_incoming(c2, latch)
        self.um.add_incoming(c64(self.full_used), latch)
        b.position_at_end(out)
        self.exit(target, c2, self.full_used)

    def set(self, r: int, v):
        if r != 0:
            self.cur[r] = v

    def mem(self, i: int, ins: Insn, size: int, acc: int):
        """The RAM offset of a data access that hits the TLB and is an aligned RAM access (else a side exit)."""
        b = self.b
        va = b.add(self.reg(ins.rs1), c64(ins.imm))
        vpn = b.ashr(va, c64(12))
        ti = b.add(self.tlb, b.shl(b.add(c64(acc * MMU.TLB_ENTRIES), b.and_(vpn, c64(MMU.TLB_ENTRIES - 1))), c64(1)))
        tag = b.load(b.gep(self.work, [ti]))
        page = b.load(b.gep(self.work, [b.add(ti, c64(1))]))
        vm = b.icmp_signed("!=", self.dvm, c64(0))
        hit = b.icmp_signed("==", tag, b.or_(b.shl(vpn, c64(3)), self.dctx))
        pa = b.select(vm, b.or_(page, b.and_(va, c64(0xFFF))), va)
        ok = b.select(vm, hit, ir.Constant(I1, 1))
        off = b.sub(pa, c64(self.rbase))
        ok = b.and_(ok, b.icmp_unsigned("<=", off, c64(self.rsize - size)))
        if size > 1:
            ok = b.and_(ok, b.icmp_signed("==", b.and_(off, c64(size - 1)), c64(0)))
        if acc == MMU.ACC_STORE:  # a store into this block's own code: the interpreter does it
            end = self.ro + len(self.code)
            inside = b.and_(b.icmp_signed(">", b.add(off, c64(size)), c64(self.ro)), b.icmp_signed("<", off, c64(end)))
            ok = b.and_(ok, b.not_(inside))
        self.side_exit(ok, i)
        return off

    def insn(self, i: int, ins: Insn):
        b = self.b
        op = ins.op
        a = self.reg(ins.rs1)
        imm = c64(ins.imm)
        if op in LOADS:
            ty, signed = LOADS[op]
            off = self.mem(i, ins, SIZE[ty], MMU.ACC_LOAD)
            p = b.bitcast(b.gep(self.ram, [off]), ty.as_pointer())
            v = b.load(p, align=SIZE[ty])
            if ty is not I64:
                v = b.sext(v, I64) if signed else b.zext(v, I64)
            self.set(ins.rd, v)
            return
        if op in STORES:
            ty = STORES[op]
            off = self.mem(i, ins, SIZE[ty], MMU.ACC_STORE)
            p = b.bitcast(b.gep(self.ram, [off]), ty.as_pointer())
            v = self.reg(ins.rs2)
            b.store(v if ty is I64 else b.trunc(v, ty), p, align=SIZE[ty])
            return
        npc = ins.pc + ins.length
        if D.BRANCH_FIRST <= op <= D.BRANCH_LAST:
            bb = self.reg(ins.rs2)
            cond = {D.OP_BEQ: ("==", False), D.OP_BNE: ("!=", False), D.OP_BLT: ("<", True),
                    D.OP_BGE: (">=", True), D.OP_BLTU: ("<", False), D.OP_BGEU: (">=", False)}[op]
            t = b.icmp_signed(cond[0], a, bb) if cond[1] else b.icmp_unsigned(cond[0], a, bb)
            taken = self.fn.append_basic_block("taken")
            fall = self.fn.append_basic_block("fall")
            b.cbranch(t, taken, fall)
            b.position_at_end(fall)
            self.back_or_exit(npc)
            b.position_at_end(taken)
            self.back_or_exit(ins.pc + ins.imm)
            return
        if op == D.OP_JAL:
            self.set(ins.rd, c64(npc))
            self.back_or_exit(ins.pc + ins.imm)
            return
        if op == D.OP_JALR:
            tgt = b.and_(b.add(a, imm), c64(-2))
            if self.ialign:
                self.side_exit(b.icmp_signed("==", b.and_(tgt, c64(2)), c64(0)), i)
            self.set(ins.rd, c64(npc))
            n = len(self.insns)
            self.exit(tgt, b.add(self.c, c64(n)), self.full_used)
            return
        if op == D.OP_AUIPC:
            self.set(ins.rd, c64(ins.pc + ins.imm))
            return
        self.set(ins.rd, self.alu(op, a, self.reg(ins.rs2), ins.imm))

    def alu(self, op, a, bv, immv):
        b = self.b
        imm = c64(immv)

        def w(v):  # sign-extend the low 32 bits
            return b.sext(b.trunc(v, I32), I64)

        def lo(v):
            return b.trunc(v, I32)

        def flag(c):
            return b.zext(c, I64)

        if op == D.OP_LUI:
            return imm
        if op == D.OP_ADDI:
            return b.add(a, imm)
        if op == D.OP_SLTI:
            return flag(b.icmp_signed("<", a, imm))
        if op == D.OP_SLTIU:
            return flag(b.icmp_unsigned("<", a, imm))
        if op == D.OP_XORI:
            return b.xor(a, imm)
        if op == D.OP_ORI:
            return b.or_(a, imm)
        if op == D.OP_ANDI:
            return b.and_(a, imm)
        if op == D.OP_SLLI:
            return b.shl(a, c64(immv & 63))
        if op == D.OP_SRLI:
            return b.lshr(a, c64(immv & 63))
        if op == D.OP_SRAI:
            return b.ashr(a, c64(immv & 63))
        if op == D.OP_ADD:
            return b.add(a, bv)
        if op == D.OP_SUB:
            return b.sub(a, bv)
        if op == D.OP_SLL:
            return b.shl(a, b.and_(bv, c64(63)))
        if op == D.OP_SLT:
            return flag(b.icmp_signed("<", a, bv))
        if op == D.OP_SLTU:
            return flag(b.icmp_unsigned("<", a, bv))
        if op == D.OP_XOR:
            return b.xor(a, bv)
        if op == D.OP_SRL:
            return b.lshr(a, b.and_(bv, c64(63)))
        if op == D.OP_SRA:
            return b.ashr(a, b.and_(bv, c64(63)))
        if op == D.OP_OR:
            return b.or_(a, bv)
        if op == D.OP_AND:
            return b.and_(a, bv)
        if op == D.OP_ADDIW:
            return w(b.add(a, imm))
        if op == D.OP_SLLIW:
            return b.sext(b.shl(lo(a), ir.Constant(I32, immv & 31)), I64)
        if op == D.OP_SRLIW:
            return b.sext(b.lshr(lo(a), ir.Constant(I32, immv & 31)), I64)
        if op == D.OP_SRAIW:
            return b.sext(b.ashr(lo(a), ir.Constant(I32, immv & 31)), I64)
        if op == D.OP_ADDW:
            return w(b.add(a, bv))
        if op == D.OP_SUBW:
            return w(b.sub(a, bv))
        s32 = b.and_(lo(bv), ir.Constant(I32, 31))
        if op == D.OP_SLLW:
            return b.sext(b.shl(lo(a), s32), I64)
        if op == D.OP_SRLW:
            return b.sext(b.lshr(lo(a), s32), I64)
        if op == D.OP_SRAW:
            return b.sext(b.ashr(lo(a), s32), I64)
        if op == D.OP_MUL:
            return b.mul(a, bv)
        if op in (D.OP_MULH, D.OP_MULHSU, D.OP_MULHU):
            ea = b.zext(a, I128) if op == D.OP_MULHU else b.sext(a, I128)
            eb = b.sext(bv, I128) if op == D.OP_MULH else b.zext(bv, I128)
            return b.trunc(b.lshr(b.mul(ea, eb), ir.Constant(I128, 64)), I64)
        if op == D.OP_MULW:
            return w(b.mul(a, bv))
        zero = c64(0)
        if op in (D.OP_DIV, D.OP_REM):
            bz = b.icmp_signed("==", bv, zero)
            ovf = b.and_(b.icmp_signed("==", a, c64(MIN64)), b.icmp_signed("==", bv, c64(-1)))
            safe = b.select(b.or_(bz, ovf), c64(1), bv)
            if op == D.OP_DIV:
                return b.select(bz, c64(-1), b.select(ovf, a, b.sdiv(a, safe)))
            return b.select(bz, a, b.select(ovf, zero, b.srem(a, safe)))
        if op in (D.OP_DIVU, D.OP_REMU):
            bz = b.icmp_signed("==", bv, zero)
            safe = b.select(bz, c64(1), bv)
            if op == D.OP_DIVU:
                return b.select(bz, c64(-1), b.udiv(a, safe))
            return b.select(bz, a, b.urem(a, safe))
        if op in (D.OP_DIVW, D.OP_REMW):
            a32, b32 = w(a), w(bv)
            bz = b.icmp_signed("==", b32, zero)
            safe = b.select(bz, c64(1), b32)
            if op == D.OP_DIVW:
                return b.select(bz, c64(-1), w(b.sdiv(a32, safe)))
            return b.select(bz, a32, w(b.srem(a32, safe)))
        if op in (D.OP_DIVUW, D.OP_REMUW):
            au, bu = b.zext(lo(a), I64), b.zext(lo(bv), I64)
            bz = b.icmp_signed("==", bu, zero)
            safe = b.select(bz, c64(1), bu)
            if op == D.OP_DIVUW:
                return b.select(bz, c64(-1), w(b.udiv(au, safe)))
            return b.select(bz, w(a), w(b.urem(au, safe)))
        raise ValueError(f"not covered: {D.OP_NAMES[op]}")


def emit_block(module: ir.Module, name: str, insns: list[Insn], ro: int, code: bytes, rbase: int, rsize: int,
               compressed: bool) -> ir.Function:
    fn = ir.Function(module, BLOCK_FNTY, name)
    for i in (0, 1, 2):
        fn.args[i].add_attribute("noalias")
    _Block(fn, insns, ro, code, rbase, rsize, compressed).emit()
    return fn
