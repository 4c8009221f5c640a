# RV32: arithmetic on 32-bit registers, M high products, CSR views, Sv32 paging from S-mode.
    .include "common32.inc"
    .equ ROOT, 0x80400000
    .equ L0, 0x80401000
    .globl _start
_start:
    SETUP_TRAP
    li a0, 0x7fffffff
    addi a0, a0, 1
    call puthex
    li a1, -7
    srli a0, a1, 1
    call puthex
    srai a0, a1, 1
    call puthex
    li a1, 0x80000001
    li a2, 3
    mulh a0, a1, a2
    call puthex
    mulhu a0, a1, a2
    call puthex
    mulhsu a0, a2, a1
    call puthex
    li a1, 0x80000000
    li a2, -1
    div a0, a1, a2
    call puthex
    rem a0, a1, a2
    call puthex
    divu a0, a1, a2
    call puthex
    sltu a0, a2, a1
    call puthex
    csrr a0, misa
    call puthex
    csrr a0, mstatush
    call puthex
    li a0, 0x1234
    csrw minstreth, a0
    csrr a0, minstreth
    call puthex
    li a0, -1
    csrw satp, a0
    csrr a0, satp
    call puthex
    csrw satp, zero
    # Sv32: root[0x200] 4 MiB identity megapage at 0x80000000 (RWX AD);
    # root[0x100] -> L0; L0[0]: VA 0x40000000 -> 0x80600000 RW U (no A/D)
    li t0, ROOT
    li t1, (0x80000000 >> 12) << 10 | 0xCF
    li t2, 0x200 * 4
    add t2, t2, t0
    sw t1, 0(t2)
    li t1, (L0 >> 12) << 10 | 1
    li t2, 0x100 * 4
    add t2, t2, t0
    sw t1, 0(t2)
    li t0, L0
    li t1, (0x80600000 >> 12) << 10 | 0x17
    sw t1, 0(t0)
    li t0, 0x80600000
    li t1, 0xcafe
    sw t1, 0(t0)
    li t0, (1 << 31) | (ROOT >> 12)
    csrw satp, t0
    sfence.vma
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x0800
    csrs mstatus, t0
    la t0, scode
    csrw mepc, t0
    mret
scode:
    li a0, 0
    li s1, 0x40000000
    TRY 1f
    lw a0, 0(s1)               # U page from S: fault
1:  li t0, 1 << 18
    csrs sstatus, t0
    lw a0, 0(s1)
    SHOW
    sw a0, 4(s1)
    li s2, 0x40001000
    TRY 1f
    lw a0, 0(s2)               # invalid
1:  li a0, 0x600d
    SHOW

    .globl final_hook
final_hook:
    addi sp, sp, -16
    sw ra, 0(sp)
    li t5, L0
    lw a0, 0(t5)
    call puthex
    lw ra, 0(sp)
    addi sp, sp, 16
    ret
