# Sv39 from S and U mode: permissions, SUM/MXR, A/D updates, superpages, fault kinds.
    .option norvc
    .include "common.inc"
    .equ ROOT, 0x80400000
    .equ L1,   0x80401000
    .equ L0,   0x80402000
    .globl _start
_start:
    SETUP_TRAP
    # root[2]: 1 GiB identity superpage at 0x80000000, RWX A D (supervisor)
    li t0, ROOT
    li t1, (0x80000000 >> 12) << 10 | 0xCF
    sd t1, 16(t0)
    # root[1] -> L1 (VA 0x40000000..0x7fffffff)
    li t1, (L1 >> 12) << 10 | 1
    sd t1, 8(t0)
    # L1[0] -> L0 (VA 0x40000000..0x401fffff)
    li t0, L1
    li t1, (L0 >> 12) << 10 | 1
    sd t1, 0(t0)
    # L1[1]: misaligned 2 MiB superpage (PPN not 2 MiB aligned) at VA 0x40200000
    li t1, ((0x80601000 >> 12) << 10) | 0x5F
    sd t1, 8(t0)
    # L1[2]: aligned 2 MiB superpage at VA 0x40400000 -> 0x80800000, R W U, no A/D
    li t1, ((0x80800000 >> 12) << 10) | 0x17
    sd t1, 16(t0)
    li t0, L0
    # L0[0]: VA 0x40000000 -> 0x80600000, R W U (no A, no D)
    li t1, ((0x80600000 >> 12) << 10) | 0x17
    sd t1, 0(t0)
    # L0[1]: VA 0x40001000 -> 0x80601000, X U only (A set)
    li t1, ((0x80601000 >> 12) << 10) | 0x59
    sd t1, 8(t0)
    # L0[2]: invalid
    sd zero, 16(t0)
    # L0[3]: VA 0x40003000 -> ucode, R X U A
    la t2, ucode
    srli t2, t2, 12
    slli t2, t2, 10
    ori t2, t2, 0x5B
    sd t2, 24(t0)
    # L0[4]: VA 0x40004000 -> 0x80604000, R (supervisor), W=1 R=0 reserved combination
    li t1, ((0x80604000 >> 12) << 10) | 0x45
    sd t1, 32(t0)
    # data
    li t0, 0x80600000
    li t1, 0x1122334455667788
    sd t1, 0(t0)
    li t0, 0x80601000
    li t1, 0x99
    sd t1, 0(t0)
    li t0, 0x80800010
    li t1, 0x4242
    sd t1, 0(t0)
    # satp = Sv39 | ROOT
    li t0, (8 << 60) | (ROOT >> 12)
    csrw satp, t0
    sfence.vma
    # MPRV: M-mode loads and stores translated at MPP's privilege
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x0800 | (1 << 18)
    csrs mstatus, t0          # MPP = S, SUM = 1
    li s1, 0x40000000
    li t0, 1 << 17
    csrs mstatus, t0          # MPRV
    ld s3, 0(s1)              # S with SUM: the U page
    li t0, 0x1800
    csrc mstatus, t0          # MPP = U
    ld s4, 0(s1)
    li t1, 0x7777
    sd t1, 16(s1)             # store through MPRV (sets D)
    li t0, 0x1800
    csrs mstatus, t0          # MPP = M: no translation
    li t1, 0x80600000
    ld s5, 16(t1)
    li t0, 1 << 17
    csrc mstatus, t0
    PUT s3
    PUT s4
    PUT s5
    li t0, 1 << 18
    csrc mstatus, t0
    # enter S-mode at scode
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x0800
    csrs mstatus, t0
    la t0, scode
    csrw mepc, t0
    mret

scode:
    li s1, 0x40000000
    TRY 1f
    ld a0, 0(s1)            # U page from S, SUM=0: load page fault
1:  li t0, 1 << 18
    csrs sstatus, t0        # SUM=1
    ld a0, 0(s1)
    SHOW
    li s1, 0x40000000
    li t0, 0x55
    sd t0, 8(s1)            # sets D
    li s2, 0x40001000
    TRY 1f
    ld a0, 0(s2)            # X-only page: load page fault
1:  li t0, 1 << 19
    csrs sstatus, t0        # MXR=1
    ld a0, 0(s2)
    SHOW
    TRY 1f
    sd a0, 0(s2)            # store page fault
1:  TRY 1f
    li t0, 0x40000000
    jalr t0                 # fetch from a U page in S: instruction page fault
1:  li s3, 0x40002000
    TRY 1f
    ld a0, 0(s3)            # invalid
1:  TRY 1f
    sd a0, 0(s3)
1:  TRY 1f
    amoadd.d a0, a0, (s3)   # AMO: store/AMO page fault
1:  li s4, 0x40200000
    TRY 1f
    ld a0, 0(s4)            # misaligned superpage
1:  li s5, 0x4000000000
    TRY 1f
    ld a0, 0(s5)            # non-canonical
1:  li s6, 0x40400010
    ld a0, 0(s6)            # 2 MiB superpage, sets A
    SHOW
    li s7, 0x40004000
    TRY 1f
    ld a0, 0(s7)            # W without R: reserved -> page fault
1:  # drop to U-mode at ucode (VA 0x40003000)
    li t0, 1 << 8
    csrc sstatus, t0
    li t0, 0x40003000
    csrw sepc, t0
    TRY 1f
    sret
1:  j 1b

    .align 12
ucode:
    li s1, 0x40000000
    ld a0, 0(s1)            # U page from U: fine
    SHOW
    li s2, 0x80000000
    TRY 1f
    ld a0, 0(s2)            # supervisor page from U: fault
1:  TRY 1f
    csrr a0, sstatus        # CSR from U: illegal
1:  TRY 1f
    wfi                     # WFI in U with S present: illegal
1:  TRY 1f
    sfence.vma              # illegal in U
1:  TRY 1f
    ebreak
1:  li a0, 0x600d
    SHOW

    .section .text.lib2, "ax"
    .globl final_hook
final_hook:                 # the PTEs after the walks: A/D bits set by hardware
    addi sp, sp, -16
    sd ra, 0(sp)
    li t5, L0
    ld a0, 0(t5)
    call puthex
    ld a0, 8(t5)
    call puthex
    ld a0, 24(t5)
    call puthex
    li t5, L1
    ld a0, 16(t5)
    call puthex
    ld a0, 8(t5)
    call puthex
    ld ra, 0(sp)
    addi sp, sp, 16
    ret
