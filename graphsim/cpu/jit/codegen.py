"""LLVM IR for one guest block (see jit_call.py for the function's signature).

The IR is written as text (llvmlite's IR objects cost more Python time than the
LLVM compilation of a small block). Guest registers live in SSA values for the
whole block: those it reads are loaded once at entry, those it writes are
stored back at its one exit. A block runs on through not-taken conditional
branches (a taken one leaves it), so it is an extended basic block; a branch or
jump back to its own start loops in place while the slice has room for another
full pass.

Every exit is exact: before an instruction it cannot finish on its fast path (a
data-TLB miss, an access that is not an aligned RAM access, a store into the
block's own code, a jalr to a misaligned target) it leaves with the count of
instructions before it, their state written back and x[PC] at it; the
interpreter then executes that instruction (accesses through one register value are
checked together at the first of them, which it may so leave before: see plan_groups).
At a normal exit the block looks the
next block up in the kernel's table and, if it is compiled and fits in the slice,
jumps to it (a tail call: chains use no stack) — with data translation on, only
on the same virtual page (whose RAM offset it knows); without, anywhere (the fetch
does not translate either: privilege below M with satp bare, or M mode).
The code bytes are compared with the ones the block was compiled from at every
entry, so any writer to RAM (guest stores, DMA, checkpoint restore, a debugger)
is seen without an invalidation protocol. A block compiled for a basic-block profile
(KEY_BBV; graphsim/simpoint) also counts its blocks, exactly as the interpreter does.
"""

from __future__ import annotations

from ...isa import decoder_gen as D
from ...isa import mmu as MMU
from ...isa.state import PC, USED, USED_C, USED_M
from .. import layout as L
from .block import ENDS, Insn

MIN64 = -(1 << 63)
LOADS = {D.OP_LB: (8, "sext"), D.OP_LH: (16, "sext"), D.OP_LW: (32, "sext"), D.OP_LD: (64, None),
         D.OP_LBU: (8, "zext"), D.OP_LHU: (16, "zext"), D.OP_LWU: (32, "zext")}
STORES = {D.OP_SB: 8, D.OP_SH: 16, D.OP_SW: 32, D.OP_SD: 64}
BRANCHES = {D.OP_BEQ: "eq", D.OP_BNE: "ne", D.OP_BLT: "slt", D.OP_BGE: "sge", D.OP_BLTU: "ult", D.OP_BGEU: "uge"}
# register-immediate and register-register operations that are one LLVM instruction
SIMPLE = {D.OP_ADDI: ("add", True), D.OP_XORI: ("xor", True), D.OP_ORI: ("or", True), D.OP_ANDI: ("and", True),
          D.OP_ADD: ("add", False), D.OP_SUB: ("sub", False), D.OP_XOR: ("xor", False), D.OP_OR: ("or", False),
          D.OP_AND: ("and", False), D.OP_MUL: ("mul", False)}
SHIFTS = {D.OP_SLLI: ("shl", True), D.OP_SRLI: ("lshr", True), D.OP_SRAI: ("ashr", True),
          D.OP_SLL: ("shl", False), D.OP_SRL: ("lshr", False), D.OP_SRA: ("ashr", False)}
SHIFTS_W = {D.OP_SLLIW: ("shl", True), D.OP_SRLIW: ("lshr", True), D.OP_SRAIW: ("ashr", True),
            D.OP_SLLW: ("shl", False), D.OP_SRLW: ("lshr", False), D.OP_SRAW: ("ashr", False)}
SETS = {D.OP_SLTI: ("slt", True), D.OP_SLTIU: ("ult", True), D.OP_SLT: ("slt", False), D.OP_SLTU: ("ult", False)}
# the table key (layout.JE_KEY): RAM offset | profiling << 38 | data translation on << 39 | decoder flags << 40
KEY_RAM = (1 << 38) - 1
KEY_BBV = 1 << 38  # a block of a basic-block profile (graphsim/simpoint): it counts its blocks too
KEY_DVM = 1 << 39
KEY_FLAGS = 40


def s64(v: int) -> int:
    """v as a signed 64-bit number (LLVM's decimal constants)."""
    v &= 0xFFFFFFFFFFFFFFFF
    return v - (1 << 64) if v >> 63 else v


def used_bits(ins: Insn) -> int:
    u = USED_C if ins.length == 2 else 0
    if D.OP_MUL <= ins.op <= D.ALU_LAST:
        u |= USED_M
    return u


def writes(ins: Insn) -> int:
    """The register an instruction writes (0: none)."""
    if ins.op in STORES or ins.op in BRANCHES:
        return 0
    return ins.rd


def reads(ins: Insn) -> tuple:
    op = ins.op
    if op in (D.OP_LUI, D.OP_AUIPC, D.OP_JAL):
        return ()
    if op in LOADS or op == D.OP_JALR or (op in SIMPLE and SIMPLE[op][1]) or (op in SHIFTS and SHIFTS[op][1]) \
            or (op in SHIFTS_W and SHIFTS_W[op][1]) or (op in SETS and SETS[op][1]) or op == D.OP_ADDIW:
        return (ins.rs1,)
    return ins.rs1, ins.rs2


class _Block:
    def __init__(self, name, insns, ro, code, rbase, rsize, kflags, table, mask):
        self.name = name
        self.insns = insns
        self.ro = ro
        self.code = code
        self.rbase = rbase
        self.rsize = rsize
        self.kflags = kflags
        self.dvm = bool(kflags & KEY_DVM)
        self.bbv = bool(kflags & KEY_BBV)  # count basic-block vectors (graphsim/simpoint) as the kernel's bbv_step
        self.ialign = 0 if (kflags >> KEY_FLAGS) & D.FLAG_C else 2
        self.table = table
        self.mask = mask
        self.out: list[str] = []
        self.n = 0
        self.label = "entry"
        self.exits = []  # (label, pc, index, used, may chain, registers)
        self.latches = []  # (predecessor of head, label naming the pass's values, registers)

    def v(self, text: str) -> str:
        self.n += 1
        name = f"%v{self.n}"
        self.out.append(f"  {name} = {text}")
        return name

    def emit(self, line: str):
        self.out.append("  " + line)

    def block(self, label: str):
        self.out.append(f"{label}:")
        self.label = label

    def reg(self, r: int) -> str:
        return "0" if r == 0 else self.cur[r]

    def set(self, r: int, value: str):
        if r != 0:
            self.cur[r] = value

    def leave(self, pc, index: int, may_chain: bool):
        """Branch to the exit from the current block."""
        self.exits.append((self.label, pc, index, self.prefix_used[index] if index < len(self.insns) else self.full_used,
                           may_chain, dict(self.cur)))
        self.emit("br label %out")

    def side_exit(self, ok: str, i: int):
        cont = f"i{i}"
        self.exits.append((self.label, str(s64(self.insns[i].pc)), i, self.prefix_used[i], False, dict(self.cur)))
        self.emit(f"br i1 {ok}, label %{cont}, label %out")
        self.block(cont)

    # --- the function ---
    def text(self) -> str:
        insns = self.insns
        self.out.append(f"define i64 @{self.name}(ptr noalias %x, ptr noalias %ram, ptr noalias %work, i64 %limit, "
                        "i64 %tlb, i64 %dctx, i64 %base) nounwind {")
        self.block("entry")
        # 1. the code is still the code this was compiled from
        ok = "true"
        o = 0
        code = self.code
        while o < len(code):
            n = 8 if len(code) - o >= 8 else 4 if len(code) - o >= 4 else 2
            p = self.v(f"getelementptr i8, ptr %ram, i64 {self.ro + o}")
            w = self.v(f"load i{8 * n}, ptr {p}, align 1")
            e = self.v(f"icmp eq i{8 * n} {w}, {s64(int.from_bytes(code[o:o + n], 'little'))}")
            ok = self.v(f"and i1 {ok}, {e}")
            o += n
        self.emit(f"br i1 {ok}, label %pre, label %stale")
        self.block("stale")
        z = self.v("icmp eq i64 %base, 0")
        r = self.v("select i1 " + z + ", i64 -1, i64 %base")
        self.emit(f"ret i64 {r}")
        # 2. registers in
        self.block("pre")
        used_regs, written = set(), []
        for ins in insns:
            used_regs.update(r for r in reads(ins) if r)
            w = writes(ins)
            if w and w not in written:
                written.append(w)
        init = {}
        for r in sorted(used_regs | set(written)):
            p = self.v(f"getelementptr i64, ptr %x, i64 {r}")
            init[r] = self.v(f"load i64, ptr {p}")
        self.written = written
        self.prefix_used = []
        u = 0
        for ins in insns:
            self.prefix_used.append(u)
            u |= used_bits(ins)
        self.full_used = u
        self.enter = "pre"
        if self.bbv:
            self.bbv_enter()
        self.emit("br label %head")
        self.block("head")
        phi_at = len(self.out)
        self.out.append(None)  # the phis, written when the latches are known
        self.cur = dict(init)
        for r in written:
            self.cur[r] = f"%h{r}"
        # 3. the instructions
        self.plan_groups()
        for i, ins in enumerate(insns):
            self.insn(i, ins)
        last = insns[-1]
        if last.op not in ENDS and last.op not in BRANCHES:
            self.leave(str(s64(last.pc + last.length)), len(insns), True)
        en = self.enter
        phis = [f"  %c = phi i64 [0, %{en}]" + "".join(f", [%c{lab}, %{p}]" for p, lab, _ in self.latches),
                f"  %um = phi i64 [0, %{en}]" + "".join(f", [%u{lab}, %{p}]" for p, lab, _ in self.latches)]
        for r in written:
            phis.append(f"  %h{r} = phi i64 [{init[r]}, %{en}]"
                        + "".join(f", [{regs[r]}, %{p}]" for p, lab, regs in self.latches))
        if self.bbv:
            start = s64(insns[0].pc)
            phis += [f"  %bs = phi i64 [%bse, %{en}]" + "".join(f", [{start}, %{p}]" for p, _, _ in self.latches),
                     f"  %bn = phi i64 [%bne, %{en}]" + "".join(f", [0, %{p}]" for p, _, _ in self.latches),
                     f"  %ba = phi i64 [0, %{en}]" + "".join(f", [%ba{lab}, %{p}]" for p, lab, _ in self.latches)]
        self.out[phi_at] = "\n".join(phis)
        self.exit_block()
        self.out.append("}")
        if self.bbv:
            self.out.append(bbv_add_ir(f"{self.name}.bbvadd"))
        return "\n".join(self.out)

    # --- basic-block vectors (while profiling: kflags & KEY_BBV) ---
    # The kernel's per-hart row (layout.BVH_*) holds the block in progress (its start pc and the
    # instructions counted in it) and the pc that would continue it (the fall-through of the
    # last instruction executed). An entry at another pc ends that block (added to the table as
    # bbv_add does) and starts one here; each pass of the loop in place ends one at its latch;
    # the exit stores the row back. Passes of the loop whose block started here are summed and
    # added once at the exit: nothing else is added in between, so the table's order of first
    # insertion (the profile's block numbering) is the kernel's.
    def bbv_enter(self):
        v = self.v
        start = s64(self.insns[0].pc)
        self.emit(f"%bv = load i64, ptr {v(f'getelementptr i64, ptr %work, i64 {L.C_BBV}')}")
        rowp = v(f"getelementptr i64, ptr %work, i64 {v(f'add i64 %bv, {L.BV_ROW}')}")
        row = v(f"load i64, ptr {rowp}")
        self.emit(f"%brow = getelementptr i64, ptr %work, i64 {row}")
        nxt = v(f"load i64, ptr {v(f'getelementptr i64, ptr %brow, i64 {L.BVH_NEXT}')}")
        bs0 = v(f"load i64, ptr {v(f'getelementptr i64, ptr %brow, i64 {L.BVH_START}')}")
        bn0 = v(f"load i64, ptr {v(f'getelementptr i64, ptr %brow, i64 {L.BVH_COUNT}')}")
        self.emit(f"br i1 {v(f'icmp eq i64 {nxt}, {start}')}, label %benter, label %bnew")
        self.block("bnew")
        self.emit(f"call void @{self.name}.bbvadd(ptr %work, i64 %bv, i64 {bs0}, i64 {bn0})")
        self.emit("br label %benter")
        self.block("benter")
        self.emit(f"%bse = phi i64 [{bs0}, %pre], [{start}, %bnew]")
        self.emit(f"%bne = phi i64 [{bn0}, %pre], [0, %bnew]")
        self.enter = "benter"

    def bbv_latch(self, lab: str, count: int):
        """On the edge back to head: the pass of count instructions ends the block in progress."""
        start = s64(self.insns[0].pc)
        self.block(f"bl{lab}")
        self.emit(f"%bt{lab} = add i64 %bn, {count}")
        self.emit(f"%bq{lab} = add i64 %ba, %bt{lab}")
        self.emit(f"br i1 {self.v(f'icmp eq i64 %bs, {start}')}, label %bj{lab}, label %bf{lab}")
        self.block(f"bf{lab}")
        self.emit(f"call void @{self.name}.bbvadd(ptr %work, i64 %bv, i64 %bs, i64 %bt{lab})")
        self.emit(f"br label %bj{lab}")
        self.block(f"bj{lab}")
        self.emit(f"%ba{lab} = phi i64 [%bq{lab}, %bl{lab}], [%ba, %bf{lab}]")
        self.emit("br label %head")
        return f"bj{lab}"

    def bbv_exit(self, idx: str):
        """At the exit (idx: instructions of the last pass): store the row, add the summed passes."""
        ins = self.insns
        nxt = self.v("phi i64 " + ", ".join(
            f"[{s64(ins[e[2] - 1].pc + ins[e[2] - 1].length) if e[2] else s64(ins[0].pc)}, %{e[0]}]"
            for e in self.exits))
        self.emit(f"store i64 %bs, ptr {self.v(f'getelementptr i64, ptr %brow, i64 {L.BVH_START}')}")
        self.emit(f"store i64 {self.v(f'add i64 %bn, {idx}')}, ptr "
                  + self.v(f"getelementptr i64, ptr %brow, i64 {L.BVH_COUNT}"))
        self.emit(f"store i64 {nxt}, ptr {self.v(f'getelementptr i64, ptr %brow, i64 {L.BVH_NEXT}')}")
        self.emit(f"br i1 {self.v('icmp sgt i64 %ba, 0')}, label %bacc, label %out2")
        self.block("bacc")
        self.emit(f"call void @{self.name}.bbvadd(ptr %work, i64 %bv, i64 {s64(ins[0].pc)}, i64 %ba)")
        self.emit("br label %out2")
        self.block("out2")

    def exit_block(self):
        self.block("out")
        ex = self.exits

        def phi(ty, values):
            return self.v(f"phi {ty} " + ", ".join(f"[{val}, %{e[0]}]" for e, val in zip(ex, values)))

        pc = phi("i64", [e[1] for e in ex])
        idx = phi("i64", [str(e[2]) for e in ex])
        used = phi("i64", [str(e[3]) for e in ex])
        chain = phi("i1", ["true" if e[4] else "false" for e in ex])
        vals = [phi("i64", [e[5][r] for e in ex]) for r in self.written]
        if self.bbv:
            self.bbv_exit(idx)
        for r, val in zip(self.written, vals):
            self.emit(f"store i64 {val}, ptr " + self.v(f"getelementptr i64, ptr %x, i64 {r}"))
        self.emit(f"store i64 {pc}, ptr " + self.v(f"getelementptr i64, ptr %x, i64 {PC}"))
        up = self.v(f"getelementptr i64, ptr %x, i64 {USED}")
        u = self.v(f"or i64 {self.v(f'load i64, ptr {up}')}, {self.v(f'or i64 %um, {used}')}")
        self.emit(f"store i64 {u}, ptr {up}")
        cnt = self.v(f"add i64 %base, {self.v(f'add i64 %c, {idx}')}")
        start = self.insns[0].pc
        if self.dvm:  # the fetch translates (or may): only a pc on this virtual page has a known RAM offset
            same = self.v(f"icmp eq i64 {self.v(f'ashr i64 {pc}, 12')}, {s64(start) >> 12}")
            chain = self.v(f"and i1 {chain}, {same}")
            ro = self.v(f"sub i64 {pc}, {s64(start - self.ro)}")
        else:  # data translation off implies fetch translation off: any pc is its physical address
            ro = self.v(f"sub i64 {pc}, {self.rbase}")
        self.emit(f"br i1 {chain}, label %look, label %done")
        self.block("look")
        key = self.v(f"or i64 {ro}, {self.kflags}")
        h = self.v(f"xor i64 {self.v(f'ashr i64 {pc}, 1')}, {self.v(f'ashr i64 {pc}, 15')}")
        hm = self.v(f"and i64 {h}, {self.mask}")
        e = self.v(f"add i64 {self.table}, {self.v(f'shl i64 {hm}, 2')}")
        ep = self.v(f"getelementptr i64, ptr %work, i64 {e}")
        words = [self.v(f"load i64, ptr {self.v(f'getelementptr i64, ptr {ep}, i64 {j}')}")
                 for j in (L.JE_PC, L.JE_KEY, L.JE_FN, L.JE_N)]
        c1 = self.v(f"icmp eq i64 {words[0]}, {pc}")
        c2 = self.v(f"icmp eq i64 {words[1]}, {key}")
        c3 = self.v(f"icmp sgt i64 {words[2]}, 0")
        c4 = self.v(f"icmp sle i64 {words[3]}, {self.v(f'sub i64 %limit, {cnt}')}")
        go = self.v(f"and i1 {self.v(f'and i1 {c1}, {c2}')}, {self.v(f'and i1 {c3}, {c4}')}")
        self.emit(f"br i1 {go}, label %chain, label %done")
        self.block("chain")
        fp = self.v(f"inttoptr i64 {words[2]} to ptr")
        r = self.v(f"musttail call i64 {fp}(ptr %x, ptr %ram, ptr %work, i64 %limit, i64 %tlb, i64 %dctx, "
                   f"i64 {cnt})")
        self.emit(f"ret i64 {r}")
        self.block("done")
        self.emit(f"ret i64 {cnt}")

    def to(self, target: int, count: int):
        """After the first count instructions control goes to target: loop if it is the block's start (and the
        slice has room for another full pass), else leave."""
        if target != self.insns[0].pc:
            self.leave(str(s64(target)), count, True)
            return
        lab = self.label
        used = self.prefix_used[count] if count < len(self.insns) else self.full_used
        self.out.append(f"  %c{lab} = add i64 %c, {count}")
        self.out.append(f"  %u{lab} = or i64 %um, {used}")
        left = self.v("sub i64 %limit, %base")
        room = self.v(f"icmp sge i64 {self.v(f'sub i64 {left}, %c{lab}')}, {len(self.insns)}")
        self.exits.append((lab, str(s64(target)), count, used, True, dict(self.cur)))
        self.emit(f"br i1 {room}, label %{f'bl{lab}' if self.bbv else 'head'}, label %out")
        self.latches.append((self.bbv_latch(lab, count) if self.bbv else lab, lab, dict(self.cur)))

    def plan_groups(self):
        """Data accesses through the same register value (no write to the register between them), at
        offsets that are multiples of their size and within a span of at most a page, form a group: its
        first access checks them all (one page, TLB hits, in RAM, aligned, not this block's code) and
        leaves before itself if any would fail (the interpreter then executes them). Code that works on a
        structure through one pointer (Linux's SHA-3 rounds: 225 accesses in 445 instructions) then has a
        few side exits instead of one per access, which is what LLVM's compile time grows with."""
        version = [0] * 32
        groups: dict = {}
        for i, ins in enumerate(self.insns):
            if ins.op in LOADS or ins.op in STORES:
                size = LOADS[ins.op][0] // 8 if ins.op in LOADS else STORES[ins.op] // 8
                if ins.imm % size == 0:  # (an offset that misaligns an aligned base: checked on its own)
                    groups.setdefault((ins.rs1, version[ins.rs1]), []).append((i, ins.imm, size, ins.op in STORES))
            w = writes(ins)
            if w:
                version[w] += 1
        self.group_of = {}
        self.group_off = {}
        for members in groups.values():
            if len(members) > 1 and max(m[1] + m[2] for m in members) - min(m[1] for m in members) <= 4096:
                for m in members:
                    self.group_of[m[0]] = members

    def tlb_entry(self, vpn: str, acc: int) -> tuple[str, str]:
        """The data TLB's entry for page number vpn and this kind of access, as the interpreter's hit path:
        (whether it hits, its page's physical address)."""
        v = self.v
        ix = v(f"add i64 {v(f'and i64 {vpn}, {MMU.TLB_ENTRIES - 1}')}, {acc * MMU.TLB_ENTRIES}")
        ti = v(f"add i64 %tlb, {v(f'shl i64 {ix}, 1')}")
        tp = v(f"getelementptr i64, ptr %work, i64 {ti}")
        tag = v(f"load i64, ptr {tp}")
        page = v(f"load i64, ptr {v(f'getelementptr i64, ptr {tp}, i64 1')}")
        want = v(f"or i64 {v(f'shl i64 {vpn}, 3')}, %dctx")
        return v(f"icmp eq i64 {tag}, {want}"), page

    def outside_own_code(self, off: str, span: int) -> str:
        """Whether a store of span bytes at RAM offset off misses this block's own code (a store into it is
        left to the interpreter)."""
        v = self.v
        inside = v(f"and i1 {v(f'icmp sgt i64 {off}, {self.ro - span}')}, "
                   f"{v(f'icmp slt i64 {off}, {self.ro + len(self.code)}')}")
        return v(f"xor i1 {inside}, true")

    def group_check(self, i: int, ins: Insn, members: list):
        """At a group's first access: leave unless every access of the group can be done on the fast path."""
        v = self.v
        base = self.reg(ins.rs1)
        lo = min(m[1] for m in members)
        span = max(m[1] + m[2] for m in members) - lo
        va = v(f"add i64 {base}, {s64(lo)}")
        ok = None
        if self.dvm:
            vpn = v(f"ashr i64 {va}, 12")
            end = v(f"add i64 {base}, {s64(lo + span - 1)}")
            last = v(f"ashr i64 {end}, 12")
            ok = v(f"icmp eq i64 {vpn}, {last}")
            page = None
            for acc, present in ((MMU.ACC_LOAD, any(not m[3] for m in members)), (MMU.ACC_STORE, any(m[3] for m in members))):
                if not present:
                    continue
                hit, pg = self.tlb_entry(vpn, acc)
                ok = v(f"and i1 {ok}, {hit}")
                if page is not None:  # (loads and stores: the two entries must map the page alike, as they do
                    ok = v(f"and i1 {ok}, {v(f'icmp eq i64 {pg}, {page}')}")  # unless a stale one was kept)
                page = pg
            pa = v(f"or i64 {page}, {v(f'and i64 {va}, 4095')}")
        else:
            pa = va
        off = v(f"sub i64 {pa}, {self.rbase}")
        inram = v(f"icmp ule i64 {off}, {self.rsize - span}")
        ok = inram if ok is None else v(f"and i1 {ok}, {inram}")
        a = max(m[2] for m in members)  # (every offset is a multiple of its size: all aligned iff the base is)
        if a > 1:
            al = v(f"and i64 {v(f'sub i64 {off}, {s64(lo)}')}, {a - 1}")  # (in RAM, as the single check)
            ok = v(f"and i1 {ok}, {v(f'icmp eq i64 {al}, 0')}")
        if any(m[3] for m in members):
            ok = v(f"and i1 {ok}, {self.outside_own_code(off, span)}")
        self.side_exit(ok, i)
        self.group_off[members[0][0]] = (off, lo)

    def mem(self, i: int, ins: Insn, size: int, acc: int) -> str:
        """The RAM pointer of a data access that hits the TLB and is an aligned RAM access (else a side exit)."""
        v = self.v
        members = self.group_of.get(i)
        if members is not None:
            if members[0][0] == i:
                self.group_check(i, ins, members)
            off, lo = self.group_off[members[0][0]]
            at = v(f"add i64 {off}, {s64(ins.imm - lo)}")
            return v(f"getelementptr i8, ptr %ram, i64 {at}")
        va = v(f"add i64 {self.reg(ins.rs1)}, {s64(ins.imm)}")
        if self.dvm:  # the TLB's hit path, as the interpreter's
            hit, page = self.tlb_entry(v(f"ashr i64 {va}, 12"), acc)
            pa = v(f"or i64 {page}, {v(f'and i64 {va}, 4095')}")
        else:
            pa = va
        off = v(f"sub i64 {pa}, {self.rbase}")
        ok = v(f"icmp ule i64 {off}, {self.rsize - size}")
        if self.dvm:
            ok = v(f"and i1 {ok}, {hit}")
        if size > 1:
            al = v(f"and i64 {off}, {size - 1}")
            ok = v(f"and i1 {ok}, {v(f'icmp eq i64 {al}, 0')}")
        if acc == MMU.ACC_STORE:
            ok = v(f"and i1 {ok}, {self.outside_own_code(off, size)}")
        self.side_exit(ok, i)
        return v(f"getelementptr i8, ptr %ram, i64 {off}")

    def insn(self, i: int, ins: Insn):
        v = self.v
        op = ins.op
        if op in LOADS:
            bits, ext = LOADS[op]
            p = self.mem(i, ins, bits // 8, MMU.ACC_LOAD)
            val = v(f"load i{bits}, ptr {p}, align {bits // 8}")
            self.set(ins.rd, v(f"{ext} i{bits} {val} to i64") if ext else val)
            return
        if op in STORES:
            bits = STORES[op]
            p = self.mem(i, ins, bits // 8, MMU.ACC_STORE)
            val = self.reg(ins.rs2)
            if bits < 64:
                val = v(f"trunc i64 {val} to i{bits}")
            self.emit(f"store i{bits} {val}, ptr {p}, align {bits // 8}")
            return
        npc = ins.pc + ins.length
        if op in BRANCHES:  # taken: leave (or loop); not taken: go on (the last instruction: leave)
            t = v(f"icmp {BRANCHES[op]} i64 {self.reg(ins.rs1)}, {self.reg(ins.rs2)}")
            self.emit(f"br i1 {t}, label %t{i}, label %f{i}")
            self.block(f"t{i}")
            self.to(ins.pc + ins.imm, i + 1)
            self.block(f"f{i}")
            if i == len(self.insns) - 1:
                self.to(npc, i + 1)
            return
        if op == D.OP_JAL:
            self.set(ins.rd, str(s64(npc)))
            self.to(ins.pc + ins.imm, i + 1)
            return
        if op == D.OP_JALR:
            tgt = v(f"and i64 {v(f'add i64 {self.reg(ins.rs1)}, {s64(ins.imm)}')}, -2")
            if self.ialign:
                self.side_exit(v(f"icmp eq i64 {v(f'and i64 {tgt}, 2')}, 0"), i)
            self.set(ins.rd, str(s64(npc)))
            self.leave(tgt, len(self.insns), True)
            return
        if op == D.OP_AUIPC:
            self.set(ins.rd, str(s64(ins.pc + ins.imm)))
            return
        if ins.rd == 0:
            return  # (no side effects)
        self.set(ins.rd, self.alu(op, self.reg(ins.rs1), self.reg(ins.rs2), ins.imm))

    def alu(self, op: int, a: str, b: str, imm: int) -> str:
        v = self.v
        if op == D.OP_LUI:
            return str(s64(imm))
        if op in SIMPLE:
            name, use_imm = SIMPLE[op]
            return v(f"{name} i64 {a}, {s64(imm) if use_imm else b}")
        if op in SHIFTS:
            name, use_imm = SHIFTS[op]
            return v(f"{name} i64 {a}, {imm & 63 if use_imm else v(f'and i64 {b}, 63')}")
        if op in SETS:
            cond, use_imm = SETS[op]
            return v(f"zext i1 {v(f'icmp {cond} i64 {a}, {s64(imm) if use_imm else b}')} to i64")

        def w(x):  # sign-extend the low 32 bits
            return v(f"sext i32 {v(f'trunc i64 {x} to i32')} to i64")

        if op in SHIFTS_W:
            name, use_imm = SHIFTS_W[op]
            a32 = v(f"trunc i64 {a} to i32")
            s = imm & 31 if use_imm else v(f"and i32 {v(f'trunc i64 {b} to i32')}, 31")
            return v(f"sext i32 {v(f'{name} i32 {a32}, {s}')} to i64")
        if op == D.OP_ADDIW:
            return w(v(f"add i64 {a}, {s64(imm)}"))
        if op == D.OP_ADDW:
            return w(v(f"add i64 {a}, {b}"))
        if op == D.OP_SUBW:
            return w(v(f"sub i64 {a}, {b}"))
        if op == D.OP_MULW:
            return w(v(f"mul i64 {a}, {b}"))
        if op in (D.OP_MULH, D.OP_MULHSU, D.OP_MULHU):
            ea = v(f"{'zext' if op == D.OP_MULHU else 'sext'} i64 {a} to i128")
            eb = v(f"{'sext' if op == D.OP_MULH else 'zext'} i64 {b} to i128")
            prod = v(f"mul i128 {ea}, {eb}")
            return v(f"trunc i128 {v(f'lshr i128 {prod}, 64')} to i64")
        if op in (D.OP_DIV, D.OP_REM):
            bz = v(f"icmp eq i64 {b}, 0")
            ovf = v(f"and i1 {v(f'icmp eq i64 {a}, {MIN64}')}, {v(f'icmp eq i64 {b}, -1')}")
            safe = v(f"select i1 {v(f'or i1 {bz}, {ovf}')}, i64 1, i64 {b}")
            if op == D.OP_DIV:
                q = v(f"sdiv i64 {a}, {safe}")
                return v(f"select i1 {bz}, i64 -1, i64 {v(f'select i1 {ovf}, i64 {a}, i64 {q}')}")
            r = v(f"srem i64 {a}, {safe}")
            return v(f"select i1 {bz}, i64 {a}, i64 {v(f'select i1 {ovf}, i64 0, i64 {r}')}")
        if op in (D.OP_DIVU, D.OP_REMU):
            bz = v(f"icmp eq i64 {b}, 0")
            safe = v(f"select i1 {bz}, i64 1, i64 {b}")
            if op == D.OP_DIVU:
                return v(f"select i1 {bz}, i64 -1, i64 {v(f'udiv i64 {a}, {safe}')}")
            return v(f"select i1 {bz}, i64 {a}, i64 {v(f'urem i64 {a}, {safe}')}")
        if op in (D.OP_DIVW, D.OP_REMW):  # on sign-extended 32-bit values: no 64-bit overflow
            a32, b32 = w(a), w(b)
            bz = v(f"icmp eq i64 {b32}, 0")
            safe = v(f"select i1 {bz}, i64 1, i64 {b32}")
            if op == D.OP_DIVW:
                return v(f"select i1 {bz}, i64 -1, i64 {w(v(f'sdiv i64 {a32}, {safe}'))}")
            return v(f"select i1 {bz}, i64 {a32}, i64 {w(v(f'srem i64 {a32}, {safe}'))}")
        if op in (D.OP_DIVUW, D.OP_REMUW):
            au = v(f"zext i32 {v(f'trunc i64 {a} to i32')} to i64")
            bu = v(f"zext i32 {v(f'trunc i64 {b} to i32')} to i64")
            bz = v(f"icmp eq i64 {bu}, 0")
            safe = v(f"select i1 {bz}, i64 1, i64 {bu}")
            if op == D.OP_DIVUW:
                return v(f"select i1 {bz}, i64 -1, i64 {w(v(f'udiv i64 {au}, {safe}'))}")
            return v(f"select i1 {bz}, i64 {w(a)}, i64 {w(v(f'urem i64 {au}, {safe}'))}")
        raise ValueError(f"not covered: {D.OP_NAMES[op]}")


def bbv_add_ir(name: str) -> str:
    """A function adding n instructions to the block starting at pc ``start`` in the profile's table
    (nothing if n <= 0): kernel.bbv_add, the same hash and probe sequence."""

    def word(field: str, what: int) -> str:  # %field = work[bv + what]
        return (f"  %{field}o = add i64 %bv, {what}\n  %{field}p = getelementptr i64, ptr %work, i64 %{field}o\n"
                f"  %{field} = load i64, ptr %{field}p\n")

    return (f"define internal void @{name}(ptr %work, i64 %bv, i64 %start, i64 %n) nounwind {{\n"
            "entry:\n"
            "  %has = icmp sgt i64 %n, 0\n"
            "  br i1 %has, label %go, label %ret\n"
            "go:\n"
            + word("cap", L.BV_CAP) + word("keys", L.BV_KEYS) +
            "  %mask = sub i64 %cap, 1\n"
            "  %h1 = ashr i64 %start, 1\n"
            "  %h2 = mul i64 %h1, -7046029254386353131\n"
            "  %h3 = ashr i64 %h2, 24\n"
            "  %i0 = and i64 %h3, %mask\n"
            "  br label %probe\n"
            "probe:\n"
            "  %i = phi i64 [%i0, %go], [%inext, %next]\n"
            "  %ko = add i64 %keys, %i\n"
            "  %kp = getelementptr i64, ptr %work, i64 %ko\n"
            "  %k = load i64, ptr %kp\n"
            "  %hit = icmp eq i64 %k, %start\n"
            "  br i1 %hit, label %add, label %miss\n"
            "miss:\n"
            "  %free = icmp eq i64 %k, -1\n"
            "  br i1 %free, label %insert, label %next\n"
            "next:\n"
            "  %i1 = add i64 %i, 1\n"
            "  %inext = and i64 %i1, %mask\n"
            "  br label %probe\n"
            "insert:\n"
            "  store i64 %start, ptr %kp\n"
            + word("used", L.BV_USED) + word("list", L.BV_LIST) +
            "  %lo = add i64 %list, %used\n"
            "  %lp = getelementptr i64, ptr %work, i64 %lo\n"
            "  store i64 %i, ptr %lp\n"
            "  %used1 = add i64 %used, 1\n"
            "  store i64 %used1, ptr %usedp\n"
            "  br label %add\n"
            "add:\n"
            + word("counts", L.BV_COUNTS) +
            "  %co = add i64 %counts, %i\n"
            "  %cp = getelementptr i64, ptr %work, i64 %co\n"
            "  %c = load i64, ptr %cp\n"
            "  %c1 = add i64 %c, %n\n"
            "  store i64 %c1, ptr %cp\n"
            "  br label %ret\n"
            "ret:\n"
            "  ret void\n"
            "}")


def block_ir(name: str, insns: list[Insn], ro: int, code: bytes, rbase: int, rsize: int, kflags: int, table: int,
             mask: int) -> str:
    """The LLVM IR text of a function `name` running the block at RAM offset ro under the key bits kflags
    (decoder flags, data translation); table, mask: the kernel's table, for chaining."""
    return _Block(name, insns, ro, code, rbase, rsize, kflags, table, mask).text()
