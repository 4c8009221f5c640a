"""The Core API: budgets, determinism, MMIO exit/resume, m5ops, idle/time, tracing, state views."""

import hashlib
import shutil

import numpy as np
import pytest

from graphsim.cpu import layout as L
from graphsim.cpu.core import Core, CoreConfig
from graphsim.isa import state as S
from graphsim.isa.disasm import format_trace

from .asm import FINISHER, assemble, load_elf, run_elf

pytestmark = pytest.mark.skipif(shutil.which("riscv64-unknown-elf-gcc") is None, reason="no cross compiler")

DEV = 0x10001000  # a Python-served device in these tests

LOOP = """
    .globl _start
_start:
    li s0, 0
    li s1, 0
    li s2, 200000
1:  addi s0, s0, 3
    xor s1, s1, s0
    slli t0, s1, 7
    add s1, s1, t0
    la t1, buf
    andi t2, s0, 0xf8
    add t1, t1, t2
    sd s1, 0(t1)
    addi s2, s2, -1
    bnez s2, 1b
    EXIT 0
    .data
buf: .space 512
"""


def make_core(src, xlen=64, mmio=(), nharts=1, **kw):
    elf = assemble(src, xlen=xlen)
    ram = np.zeros(4 << 20, np.uint8)
    entry = load_elf(elf, ram)
    cfg = CoreConfig(nharts=nharts, ram_size=4 << 20, reset_vector=entry,
                     isa="rv64imac_zicsr_zifencei" if xlen == 64 else "rv32imac_zicsr_zifencei",
                     mmio_ranges=[(FINISHER, 0x1000), *mmio], **kw)
    return Core(cfg, ram)


def digest(core):
    h = hashlib.sha256(core.harts.tobytes())
    h.update(core.ram.tobytes())
    h.update(core.dev.tobytes())
    return h.hexdigest()


def test_budget_is_exact():
    c = make_core(LOOP)
    for n in (1, 7, 1000, 12345):
        before = c.total_icount()
        ex = c.run(n)
        assert ex.reason == "budget"
        assert c.total_icount() - before == n
    assert c.harts[0, S.MINSTRET] == c.total_icount()
    assert c.tick == c.total_icount() * 1000  # 1 GHz: 1000 ps per instruction


def test_split_runs_equal_one_run():
    a = make_core(LOOP)
    a.run(500_000)
    b = make_core(LOOP)
    rng = np.random.default_rng(3)
    left = 500_000
    while left:
        n = int(min(left, rng.integers(1, 40_000)))
        b.run(n)
        left -= n
    assert digest(a) == digest(b)


def test_checkpoint_by_copying_state_then_restore():
    a = make_core(LOOP)
    a.run(300_000)
    saved = (a.harts.copy(), a.ram.copy(), a.dev.copy())
    a.run(200_000)
    b = make_core(LOOP)
    for name, view in b.hart_views(0).items():  # restore through the declared field views, in place
        view[...] = S.field_views(saved[0][0])[name]
    b.ram[:] = saved[1]
    b.dev[:] = saved[2]
    b.after_restore()
    b.run(200_000)
    assert digest(a) == digest(b)


MMIO_PROG = """
    .globl _start
_start:
    li s0, 0x10001000
    li t0, 0x2000000
    li a0, 0
    lw a1, 0(s0)          # 0x11
    ld a2, 8(s0)          # 0x22
    sw a1, 16(s0)
    sb a2, 17(s0)
    lw a3, 0(s0)          # 0x33
    li t1, 0x40000000
    la t2, trap
    csrw mtvec, t2
    lw a4, 0(t1)          # nothing there: load access fault
    EXIT 0
    .align 2
trap:
    csrr a5, mcause
    csrr a6, mtval
    csrr t3, mepc
    addi t3, t3, 4
    csrw mepc, t3
    mret
"""


def test_mmio_exit_and_resume():
    c = make_core(MMIO_PROG, mmio=[(DEV, 0x100)])
    replies = iter([0x11, 0x22, 0x33])
    seen = []
    while True:
        ex = c.run(1000)
        if ex.reason == "mmio" and DEV <= ex.paddr < DEV + 0x100:
            icount = c.total_icount()
            seen.append((ex.paddr - DEV, ex.size, ex.is_write, ex.value))
            c.complete_mmio(0 if ex.is_write else next(replies))
            c.plic_set_line(5, True)  # a device interrupt raised meanwhile must not split the access
            assert c.total_icount() == icount
            continue
        if ex.reason == "mmio" and ex.paddr == FINISHER:
            break
        assert ex.reason == "budget"
    x = c.harts[0]
    assert [int(v) for v in x[11:17]] == [0x11, 0x22, 0x33, 0, 5, 0x40000000]
    assert seen == [(0, 4, False, 0), (8, 8, False, 0), (16, 4, True, 0x11), (17, 1, True, 0x22), (0, 4, False, 0)]


def test_m5ops():
    src = """
    .globl _start
_start:
    li a0, 7
    .word 0x7b | (0x41 << 25)       # dump_stats: known
    mv s0, a0
    la t0, trap
    csrw mtvec, t0
    .word 0x7b | (0x7f << 25)       # unknown: illegal instruction
    EXIT 0
    .align 2
trap:
    csrr s1, mcause
    csrr s2, mtval
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    mret
"""
    c = make_core(src)
    ex = c.run(100)
    assert ex.reason == "m5op" and ex.func == 0x41 and c.harts[0, 10] == 7
    pc = ex.pc
    c.complete_m5op(99)
    assert c.harts[0, S.PC] == pc + 4
    ex = c.run(100)
    assert ex.reason == "mmio" and ex.paddr == FINISHER
    assert c.harts[0, 8] == 99 and c.harts[0, 9] == 2 and c.harts[0, 18] == 0x7B | (0x7F << 25)


def test_wfi_with_nothing_pending_is_idle():
    c = make_core("""
    .globl _start
_start:
    csrw mie, zero
1:  wfi
    j 1b
""")
    ex = c.run(10_000)
    assert ex.reason == "idle"
    ex = c.run(10_000, until_tick=5_000_000_000)
    assert ex.reason == "tick_limit" and c.tick == 5_000_000_000


def test_time_jumps_to_the_timer_while_idle():
    c = make_core("""
    .globl _start
_start:
    li t0, 0x200bff8
    ld t1, 0(t0)
    li t2, 10000000           # one second at 10 MHz
    add t1, t1, t2
    li t0, 0x2004000
    sd t1, 0(t0)
    li t0, 0x80
    csrw mie, t0
1:  wfi
    csrr t0, mip
    andi t0, t0, 0x80
    beqz t0, 1b
    EXIT 0
""")
    ex = c.run(1_000_000)
    assert ex.reason == "mmio" and ex.paddr == FINISHER
    assert c.total_icount() < 100
    assert 10**12 <= c.tick < 10**12 + 10**6
    assert c.mtime() == c.tick // 100_000


def test_self_modifying_code_without_fence_i():
    c = make_core("""
    .globl _start
_start:
    li s0, 0
    la t0, patch
    li t1, 0x00100413          # addi s0, zero, 1
    li s1, 2
1:  jal patch
    addi s1, s1, -1
    sw t1, 0(t0)               # rewrite the instruction (no fence.i)
    bnez s1, 1b
    EXIT 0
patch:
    addi s0, s0, 5
    ret
""")
    c.run(1000)
    assert c.harts[0, 8] == 1  # 5 on the first call, then the rewritten `li s0, 1` (a stale decode gives 10)


def test_store_to_the_next_instruction_is_seen_at_once():
    """An instruction executed once, then rewritten by the store right before it in straight-line
    code, executes its new bytes the second time, also when the run is split at every
    instruction (whatever the kernel caches of decoded code, a store to it takes effect at once)."""
    src = """
    .globl _start
_start:
    li s0, 0
    li s2, 2
    la t0, next
    li t1, 0x00740413          # addi s0, s0, 7
again:
    addi s2, s2, -1
    beqz s2, 1f
    j next
1:  sw t1, 0(t0)               # the second pass rewrites the next instruction
    .option push
    .option norvc
next:
    addi s0, s0, 3             # +3 on the first pass, +7 on the second
    .option pop
    bnez s2, again
    EXIT 0
"""
    whole = make_core(src)
    whole.run(100)
    split = make_core(src)
    for _ in range(100):
        split.run(1)
    assert whole.harts[0, 8] == split.harts[0, 8] == 10  # a stale decode gives 6
    assert digest(whole) == digest(split)


def test_recording_and_lean_kernels_execute_alike():
    """kernel.run is compiled twice: without any record code (rec=None, plain runs) and with it
    (trace, BBV profile, debugger). Both must leave the same state after the same instructions."""
    lean = make_core(LOOP)
    lean.run(300_000)
    recording = make_core(LOOP)
    left = 300_000
    while left:
        n = min(left, 50_000)
        _ex, records = recording.run_trace(n)
        assert len(records) == n
        left -= n
    assert digest(lean) == digest(recording)
    assert lean.total_icount() == recording.total_icount() == 300_000


def test_trace_records_and_disassembly():
    c = make_core(LOOP)
    ex, rows = c.run_trace(10)
    assert ex.reason == "budget" and rows.shape == (10, L.TR_WORDS)
    lines = format_trace(rows)
    assert lines[0].split()[4:6] == ["addi", "s0,zero,0"] or "li" in lines[0] or "addi" in lines[0]
    assert all(int(r[L.TR_PC]) >= 0x80000000 for r in rows)
    # a store records its physical address
    stores = [r for r in rows if (int(r[L.TR_MEM_INFO]) >> 8) == 2]
    assert all(int(r[L.TR_MEM_ADDR]) >= 0x80000000 for r in stores)


def test_used_features_mask():
    c = make_core(LOOP)
    c.run(1000)
    u = c.used()
    assert u["C"] and not u["A"] and not u["paging"] and not u["U-mode"]


def test_multi_hart_round_robin_and_hartid():
    src = """
    .globl _start
_start:
    csrr t0, mhartid
    la t1, slots
    slli t2, t0, 3
    add t1, t1, t2
    li t3, 1000
1:  amoadd.d zero, t3, (t1)
    j 1b
    .data
    .align 3
slots: .space 32
"""
    c = make_core(src, nharts=2, quantum=100)
    c.run(20_000)
    assert abs(int(c.harts[0, S.ICOUNT]) - int(c.harts[1, S.ICOUNT])) <= 100
    assert c.used(1)["A"]


def test_rv32_program():
    r = run_elf(assemble("""
    .globl _start
_start:
    li a0, 0x7fffffff
    addi a0, a0, 1
    li t0, 0x80000000
    bne a0, t0, 1f
    EXIT 0
1:  EXIT 3
""", xlen=32), xlen=32, ram_size=1 << 20)
    assert r.exit_code == 0


def test_component_declarations():
    from graphsim.config.schema import component_kinds  # noqa: F401
    from graphsim.cpu.atomic import AtomicCPU
    from graphsim.devices.clint import CLINT
    from graphsim.devices.plic import PLIC
    from graphsim.devices.uart16550 import UART16550

    assert AtomicCPU.kind == "cpu.atomic"
    assert [f.name for f in AtomicCPU.state][:3] == ["x", "pc", "priv"]
    assert sum(int(np.prod(f.shape)) if f.shape else 1 for f in AtomicCPU.state) == S.HART_WORDS
    assert {"isa", "frequency", "reset_vector"} <= set(AtomicCPU.params_decl)
    assert {"icache_port", "dcache_port", "irq"} <= set(AtomicCPU.ports_decl)
    assert CLINT.kind == "clint" and PLIC.kind == "plic" and UART16550.kind == "uart16550"
    c = make_core(LOOP, nharts=2)
    for kind, cls in (("clint", CLINT), ("plic", PLIC), ("uart16550", UART16550)):
        views = c.device_views(kind)
        assert list(views) == [f.name for f in cls.state]
    assert c.device_views("plic")["enable"].shape == (4, 96)
    assert c.device_views("uart16550")["lsr"] == 0x60


LRSC = """
    .globl _start
_start:
    la t0, counter
    li t2, 3000
1:  lr.d t1, (t0)
    addi t1, t1, 1
    sc.d t3, t1, (t0)
    bnez t3, 1b
    addi t2, t2, -1
    bnez t2, 1b
    la t0, done
    li t1, 1
    amoadd.d zero, t1, (t0)
2:  ld t1, 0(t0)
    li t3, 3
    bne t1, t3, 2b
    EXIT 0
    .data
    .align 3
counter: .dword 0
done: .dword 0
"""


def test_multi_hart_lr_sc_is_atomic_and_split_runs_are_equal():
    a = make_core(LRSC, nharts=3, quantum=50)
    ex = a.run(2_000_000)
    assert ex.reason == "mmio" and ex.paddr == FINISHER
    from elftools.elf.elffile import ELFFile

    with open(assemble(LRSC), "rb") as f:
        addr = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name("counter")[0]["st_value"]
    off = addr - 0x8000_0000
    assert int(a.ram[off:off + 8].view(np.int64)[0]) == 9000
    b = make_core(LRSC, nharts=3, quantum=50)
    rng = np.random.default_rng(7)
    while True:
        ex = b.run(int(rng.integers(1, 5000)))
        if ex.reason == "mmio":
            break
    assert digest(a) == digest(b)


def test_unconfigured_extensions_are_illegal_and_misa_reflects_them():
    src = """
    .option norvc
    .globl _start
_start:
    la t0, trap
    csrw mtvec, t0
    csrr s0, misa
    li a0, 6
    li a1, 7
    mul a2, a0, a1          # illegal without M
    la t1, word
    amoadd.w a3, a0, (t1)   # illegal without A
    la t2, 1f
    addi t2, t2, 2
    jr t2                   # misaligned target without C: instruction address misaligned
1:  nop
    nop
    EXIT 0
    .align 2
trap:
    csrr t3, mcause
    slli s1, s1, 4
    or s1, s1, t3
    csrr t3, mepc
    addi t3, t3, 4
    csrr t4, mcause
    bnez t4, 2f
    csrr t3, mtval          # misaligned: resume at the target rounded down + 4
    andi t3, t3, -4
    addi t3, t3, 4
2:  csrw mepc, t3
    mret
    .data
word: .word 0
"""
    elf = assemble(src)
    ram = np.zeros(1 << 20, np.uint8)
    entry = load_elf(elf, ram)
    c = Core(CoreConfig(ram_size=1 << 20, reset_vector=entry, isa="rv64i_zicsr", mmio_ranges=[(FINISHER, 0x1000)]),
             ram)
    ex = c.run(1000)
    assert ex.reason == "mmio" and ex.paddr == FINISHER
    misa = int(c.harts[0, 8]) & ((1 << 26) - 1)
    assert misa == (1 << 8) | (1 << 18) | (1 << 20)  # I, S, U
    assert int(c.harts[0, 9]) == 0x220  # illegal, illegal, misaligned fetch


def test_core_without_in_kernel_devices():
    """A machine may lack the CLINT/PLIC/UART: their addresses then fault unless a Python device serves them."""
    src = """
    .globl _start
_start:
    la t0, trap
    csrw mtvec, t0
    li t1, 0x10000000
    sb zero, 0(t1)          # no UART here: store access fault
    EXIT 0
    .align 2
trap:
    csrr s0, mcause
    csrr t0, mepc
    addi t0, t0, 4
    csrw mepc, t0
    mret
"""
    c = make_core(src, clint=None, plic=None, uart=None)
    ex = c.run(100)
    assert ex.reason == "mmio" and ex.paddr == FINISHER
    assert c.harts[0, 8] == 7
    with pytest.raises(RuntimeError):
        c.plic_set_line(3, True)


def test_counters_write_read_and_inhibit():
    src = """
    .option norvc
    .globl _start
_start:
    csrr s0, minstret
    nop
    nop
    csrr s1, minstret          # s1 - s0 = 3
    li t0, 1000
    csrw minstret, t0
    csrr s2, minstret          # 1000: the write is what the next instruction reads
    li t0, 4
    csrw mcountinhibit, t0     # stop instret
    nop
    csrr s3, minstret
    csrr s4, minstret          # s4 == s3
    li t0, 77
    csrw minstret, t0          # written while inhibited
    csrr s5, minstret          # 77
    csrw mcountinhibit, zero
    csrr s6, minstret
    csrr s7, mcycle
    csrr s8, cycle
    EXIT 0
"""
    c = make_core(src)
    c.run(100)
    x = [int(v) for v in c.harts[0, :32]]
    assert x[9] - x[8] == 3
    assert x[18] == 1000
    assert x[19] == x[20]
    assert x[21] == 77
    assert x[22] in (77, 78)
    assert x[24] == x[23] + 1  # cycle counts every instruction
