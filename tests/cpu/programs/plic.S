# PLIC registers (QEMU virt layout) and the UART's line through it, polled (no interrupts taken).
    .include "common.inc"
    .equ PLIC, 0x0c000000
    .macro REC reg
    sd \reg, 0(s1)
    addi s1, s1, 8
    .endm
    .globl _start
_start:
    SETUP_TRAP
    li s0, PLIC
    li s1, 0x80200000
    li t0, 0xff
    sw t0, 40(s0)            # priority[10] = 0xff -> 7
    lw t1, 40(s0)
    REC t1
    sw t0, 0(s0)             # priority[0]: reserved
    lw t1, 0(s0)
    REC t1
    li t2, 0x200000
    add t2, t2, s0           # context 0 (hart 0 M)
    li t0, 9
    sw t0, 0(t2)             # threshold 9 > 7: ignored
    lw t1, 0(t2)
    REC t1
    li t0, 3
    sw t0, 0(t2)
    lw t1, 0(t2)
    REC t1
    li t3, 0x2000
    add t3, t3, s0
    li t0, -1
    sw t0, 0(t3)             # enable sources 1..31 for context 0
    lw t1, 0(t3)
    REC t1
    lw t1, 4(t2)             # claim with nothing pending
    REC t1
    # make the UART raise its line: IER THRI
    li t4, UART
    li t0, 2
    sb t0, 1(t4)
    li t5, 0x1000
    add t5, t5, s0
    lw t1, 0(t5)             # pending bits (bit 10)
    REC t1
    csrr t1, mip
    srli t1, t1, 11       # MEIP (prio 7 > threshold 3)
    andi t1, t1, 1
    REC t1
    li t0, 7
    sw t0, 0(t2)             # threshold 7: masks it
    csrr t1, mip
    srli t1, t1, 11
    andi t1, t1, 1
    REC t1
    sw zero, 0(t2)
    lw t1, 4(t2)             # claim -> 10
    REC t1
    lw t1, 0(t5)             # pending cleared by the claim
    REC t1
    csrr t1, mip
    srli t1, t1, 11       # claimed: no MEIP
    andi t1, t1, 1
    REC t1
    lw t1, 4(t2)             # second claim -> 0
    REC t1
    li t0, 10
    sw t0, 4(t2)             # complete
    lbu t1, 2(t4)            # read IIR (clears THRI; line drops)
    REC t1
    lw t1, 0(t5)
    REC t1
    sb zero, 1(t4)
    li s2, 0x80200000
1:  ld a0, 0(s2)
    call puthex
    addi s2, s2, 8
    bne s2, s1, 1b
    li a0, 0x600d
    SHOW
    NO_FINAL_HOOK
