# F/D state on RV64: mstatus.FS (Off/Initial/Clean/Dirty) and SD, the FP CSRs and their
# aliasing, reserved rounding modes, NaN-boxing, FP loads/stores (compressed, misaligned).
    .include "common.inc"
    .macro SHOWFS              # prints mstatus.FS, then mstatus.SD, then sstatus.SD
    csrr t0, mstatus
    srli a0, t0, 13
    andi a0, a0, 3
    call puthex
    srli a0, t0, 63
    call puthex
    csrr t0, sstatus
    srli a0, t0, 63
    call puthex
    .endm
    .macro SETFS v
    li t0, 0x6000
    csrc mstatus, t0
    li t0, (\v) << 13
    csrs mstatus, t0
    .endm
    .globl _start
_start:
    SETUP_TRAP
    la gp, data
    SETFS 0                    # Off: every FP instruction and FP CSR access is illegal
    SHOWFS
    TRY 1f
    fadd.d ft0, ft1, ft2
1:  TRY 1f
    csrr a0, fcsr
1:  TRY 1f
    csrw frm, zero
1:  TRY 1f
    flw ft0, 0(gp)
1:  TRY 1f
    c.fldsp ft0, 8(sp)
1:  TRY 1f
    fmv.x.d a0, ft0
1:  SETFS 1                    # Initial
    SHOWFS
    fmv.x.d a0, ft0            # reads FP state only: stays Initial
    call puthex
    fsd ft0, 0(gp)
    csrr a0, fcsr
    call puthex
    SHOWFS
    li t0, 0x4000000000000000  # 2.0
    fmv.d.x ft0, t0            # writes an f register: Dirty, SD
    SHOWFS
    SETFS 2                    # Clean
    SHOWFS
    fld ft1, 0(gp)             # a load writes an f register: Dirty
    SHOWFS
    SETFS 2
    csrwi fflags, 0            # a CSR write: Dirty
    SHOWFS
    SETFS 2
    fadd.d ft2, ft0, ft0       # arithmetic: Dirty
    SHOWFS
    fmv.x.d a0, ft2
    call puthex
    # FP CSRs: fcsr = frm << 5 | fflags
    li t0, 0xff
    csrw fcsr, t0
    csrr a0, fflags
    call puthex
    csrr a0, frm
    call puthex
    csrwi frm, 2
    csrr a0, fcsr
    call puthex
    csrwi fflags, 0x11
    csrr a0, fcsr
    call puthex
    csrrci a0, fflags, 1
    call puthex
    csrrsi a0, frm, 1
    call puthex
    csrr a0, fcsr
    call puthex
    li t0, 0x3ff
    csrrw a0, fcsr, t0
    call puthex
    csrr a0, fcsr
    call puthex
    csrwi fcsr, 0
    # reserved rounding modes: static 5 and 6, dynamic with frm 5, 6, 7
    TRY 1f
    .insn r 0x53, 5, 0x01, ft0, ft1, ft2     # fadd.d rm=5
1:  TRY 1f
    .insn r 0x53, 6, 0x01, ft0, ft1, ft2     # fadd.d rm=6
1:  TRY 1f
    .insn r 0x53, 5, 0x69, ft0, a1, x0       # fcvt.d.w rm=5 (exact, still illegal)
1:  csrwi frm, 5
    TRY 1f
    fadd.d ft0, ft1, ft2, dyn
1:  csrwi frm, 7
    TRY 1f
    fmul.s ft0, ft1, ft2
1:  TRY 1f
    fsgnj.d ft3, ft1, ft1                    # no rounding mode: fine
    fmv.x.d a0, ft3
    call puthex
1:  csrwi frm, 1
    li t0, 0x3ff0000000000001  # 1 + ulp
    fmv.d.x ft1, t0
    li t0, 0x3ca0000000000000  # ulp / 2
    fmv.d.x ft2, t0
    fadd.d ft0, ft1, ft2, dyn  # round toward zero from frm
    fmv.x.d a0, ft0
    call puthex
    fadd.d ft0, ft1, ft2, rne  # static overrides
    fmv.x.d a0, ft0
    call puthex
    csrr a0, fflags
    call puthex
    csrwi fcsr, 0
    # NaN-boxing
    li t0, 0x3f800000          # 1.0f, not boxed
    fmv.d.x ft0, t0
    fmv.x.w a0, ft0            # raw low 32 bits
    call puthex
    fsgnj.s ft1, ft0, ft0      # unboxed operand reads as the canonical NaN
    fmv.x.d a0, ft1
    call puthex
    fadd.s ft1, ft0, ft0
    fmv.x.d a0, ft1
    call puthex
    fcvt.d.s ft1, ft0
    fmv.x.d a0, ft1
    call puthex
    fclass.s a0, ft0
    call puthex
    fsw ft0, 0(gp)             # stores the low 32 bits as they are
    lwu a0, 0(gp)
    call puthex
    flw ft1, 0(gp)             # loads box
    fmv.x.d a0, ft1
    call puthex
    li t0, 0x80000000
    fmv.w.x ft2, t0
    fmv.x.d a0, ft2
    call puthex
    fmv.x.w a0, ft2            # sign-extends
    call puthex
    li t0, 0x3ff8000000000000  # 1.5
    fmv.d.x ft3, t0
    fcvt.s.d ft4, ft3          # boxed single result
    fmv.x.d a0, ft4
    call puthex
    csrr a0, fflags
    call puthex
    # loads and stores: compressed, misaligned, across a page
    li t0, 0x0123456789abcdef
    fmv.d.x ft5, t0
    fsd ft5, 3(gp)
    fld fs0, 3(gp)
    fmv.x.d a0, fs0
    call puthex
    ld a0, 3(gp)
    call puthex
    li s0, 0x80201ffc
    fsd ft5, 0(s0)
    fld fs1, 0(s0)
    fmv.x.d a0, fs1
    call puthex
    c.fsdsp ft5, 16(sp)
    c.fldsp fa0, 16(sp)
    fmv.x.d a0, fa0
    call puthex
    mv a4, gp
    c.fsd fa0, 8(a4)
    c.fld fa1, 8(a4)
    fmv.x.d a0, fa1
    call puthex
    flw fa2, 9(gp)
    fmv.x.d a0, fa2
    call puthex
    SHOWFS
    DONE
    NO_FINAL_HOOK
    .data
    .align 4
data:
    .dword 0x3ff0000000000000, 0, 0, 0
