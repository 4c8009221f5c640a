# F/D state on RV32: mstatus.SD is bit 31; the RV32-only compressed single loads/stores
# (c.flw, c.fsw, c.flwsp, c.fswsp take RV64's c.ld/c.sd encodings); doubles in 32-bit registers.
    .include "common32.inc"
    .macro SHOWFS              # prints mstatus.FS, mstatus.SD (bit 31), sstatus.SD, mstatush
    csrr t0, mstatus
    srli a0, t0, 13
    andi a0, a0, 3
    call puthex
    srli a0, t0, 31
    call puthex
    csrr t0, sstatus
    srli a0, t0, 31
    call puthex
    csrr a0, mstatush
    call puthex
    .endm
    .globl _start
_start:
    SETUP_TRAP
    la gp, data
    li t0, 0x6000
    csrc mstatus, t0
    SHOWFS
    TRY 1f
    c.flw fa0, 0(a5)
1:  TRY 1f
    fcvt.w.s a0, ft0
1:  li t0, 0x2000
    csrs mstatus, t0           # Initial
    SHOWFS
    li t0, 0xc0490fdb          # -pi as a single
    fmv.w.x fs0, t0
    SHOWFS
    fmv.x.w a0, fs0
    call puthex
    mv a5, gp
    c.fsw fs0, 4(a5)
    c.flw fa1, 4(a5)
    fmv.x.w a0, fa1
    call puthex
    c.fswsp fa1, 12(sp)
    c.flwsp fa2, 12(sp)
    fmv.x.w a0, fa2
    call puthex
    fcvt.w.s a0, fa2, rtz
    call puthex
    fcvt.wu.s a0, fa2, rtz     # negative -> 0, NV
    call puthex
    csrr a0, fflags
    call puthex
    fld fa3, 8(gp)             # a double on RV32
    fsd fa3, 17(gp)
    lw a0, 17(gp)
    call puthex
    lw a0, 21(gp)
    call puthex
    c.fldsp fa4, 8(sp)
    c.fsdsp fa3, 24(sp)
    lw a0, 28(sp)
    call puthex
    fcvt.s.d fa5, fa3
    fmv.x.w a0, fa5
    call puthex
    fcvt.d.w fa6, a0
    fcvt.w.d a0, fa6
    call puthex
    li t0, 0x1ff
    csrw fcsr, t0
    csrr a0, fcsr
    call puthex
    csrr a0, frm
    call puthex
    SHOWFS
    DONE
    NO_FINAL_HOOK
    .data
    .align 4
data:
    .word 0, 0, 0x54442d18, 0x400921fb, 0, 0, 0, 0, 0, 0
