# CLINT registers: msip, mtimecmp halves, mtime write, MTIP following the compare.
    .include "common.inc"
    .equ CLINT, 0x2000000
    .macro REC reg
    sd \reg, 0(s1)
    addi s1, s1, 8
    .endm
    .globl _start
_start:
    SETUP_TRAP
    li s0, CLINT
    li s1, 0x80200000
    li t0, 0xff
    sw t0, 0(s0)              # msip: bit 0 only
    lw t1, 0(s0)
    REC t1
    csrr t1, mip
    andi t1, t1, 8
    REC t1
    sw zero, 0(s0)
    csrr t1, mip
    andi t1, t1, 8
    REC t1
    li t2, 0x4000
    add t2, t2, s0
    ld t1, 0(t2)              # mtimecmp after reset
    REC t1
    csrr t1, mip              # MTIP set (mtime >= 0)
    andi t1, t1, 0x80
    REC t1
    li t0, -1
    sw t0, 4(t2)              # high half
    lw t1, 4(t2)
    REC t1
    ld t1, 0(t2)
    REC t1
    csrr t1, mip              # cleared
    andi t1, t1, 0x80
    REC t1
    li t3, 0xbff8
    add t3, t3, s0
    li t0, 0x123456789
    sd t0, 0(t3)              # write mtime
    ld t1, 0(t3)
    li t0, 0x123456789
    sub t1, t1, t0
    sltiu t1, t1, 100         # reads back about what was written
    REC t1
    sw zero, 0(t2)
    sw zero, 4(t2)            # mtimecmp = 0 -> MTIP
    csrr t1, mip
    andi t1, t1, 0x80
    REC t1
    lw t1, 0x10(s0)           # msip of a hart that does not exist
    REC t1
    li s2, 0x80200000
1:  ld a0, 0(s2)
    call puthex
    addi s2, s2, 8
    bne s2, s1, 1b
    li a0, 0x600d
    SHOW
    NO_FINAL_HOOK
