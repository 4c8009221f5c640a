# Sstc on RV32: stimecmp/stimecmph (the two halves of one 64-bit compare), menvcfgh.STCE,
# the access rules from S- and U-mode, and S-mode timer interrupts, one of them across a
# carry into time's high half. Prints only values that do not depend on the host's speed.
    .include "common32.inc"
    .equ CLINT, 0x2000000
    .equ MTIME, CLINT + 0xbff8
    .globl _start
_start:
    SETUP_TRAP
    csrr a0, menvcfgh          # STCE off after reset
    call puthex
    li t0, 0x80000000
    csrw menvcfgh, t0          # STCE is bit 31 of menvcfgh (bit 63 of menvcfg)
    csrr a0, menvcfgh
    call puthex
    li t0, -1
    csrw menvcfg, t0           # a write of the low half leaves STCE alone
    csrr a0, menvcfgh
    call puthex
    csrr a0, menvcfg
    andi a0, a0, 1             # (FIOM: QEMU 7.2 has CBIE/CBCFE/CBZE as well)
    call puthex
    csrw menvcfg, zero
    # the halves of stimecmp
    li t0, -1
    csrw stimecmph, t0         # (high half first: never a compare in the past)
    li t0, 0x12345678
    csrw stimecmp, t0
    li t0, 0x9abcdef0
    csrw stimecmph, t0
    csrr a0, stimecmp
    call puthex
    csrr a0, stimecmph
    call puthex
    # a compare far in the future (high half 0x9abcdef0): STIP clear; reached: STIP set
    csrr a0, mip
    andi a0, a0, 0x20
    call puthex
    csrw stimecmph, zero
    csrw stimecmp, zero
    csrr a0, mip
    andi a0, a0, 0x20
    call puthex
    # a software write cannot clear STIP while STCE is set
    li t0, 0x20
    csrc mip, t0
    csrr a0, mip
    andi a0, a0, 0x20
    call puthex
    li t0, -1
    csrw stimecmph, t0
    csrr a0, mip
    andi a0, a0, 0x20
    call puthex
    # S-mode: access needs mcounteren.TM as well as STCE
    la t0, strap
    csrw stvec, t0
    li t0, 0x20
    csrw mideleg, t0           # STI to S-mode
    csrw mcounteren, zero
    call to_smode
    li a0, 0
    TRY 1f
    csrr a0, stimecmp          # TM clear: illegal
1:  TRY 1f
    csrr a0, stimecmph         # TM clear: illegal
1:  li a0, 0x3e77
    TRY 1f
    ecall                      # back to M-mode
1:  li t0, 2
    csrw mcounteren, t0
    csrw menvcfgh, zero
    call to_smode
    li a0, 0
    TRY 1f
    csrw stimecmph, zero       # STCE clear: illegal
1:  li a0, 0x3e77
    TRY 1f
    ecall
1:  li t0, 0x80000000
    csrw menvcfgh, t0
    # U-mode: always illegal
    li t0, 0x1800
    csrc mstatus, t0
    la t0, 1f
    csrw mepc, t0
    mret
1:  li a0, 0
    TRY 1f
    csrr a0, stimecmp
1:  li a0, 0x3e77
    TRY 1f
    ecall
    # an S-mode timer interrupt: stimecmp a little after time
1:  call to_smode
    li t0, 0x20
    csrs sie, t0
    li s2, 0
    csrr t1, time
    csrr t2, timeh
    li t0, -1
    csrw stimecmph, t0
    addi t3, t1, 200
    sltu t4, t3, t1            # carry into the high half
    add t2, t2, t4
    csrw stimecmp, t3
    csrw stimecmph, t2
    csrsi sstatus, 2           # SIE
2:  beqz s2, 2b                # until the handler ran
    csrci sstatus, 2
    # across the carry: time set to just below 2^32, the compare just above it
    li a0, 0x3e77
    TRY 1f
    ecall
1:  li t0, MTIME
    li t1, 0xffffff00
    sw t1, 0(t0)               # mtime = 0xffffff00 (its high half is still 0)
    call to_smode
    li s2, 0
    li t0, -1
    csrw stimecmph, t0
    li t0, 0x100
    csrw stimecmp, t0
    li t0, 1
    csrw stimecmph, t0         # stimecmp = 0x1_00000100
    csrr a0, sip               # not yet
    andi a0, a0, 0x20
    SHOW
    csrsi sstatus, 2
2:  beqz s2, 2b
    csrci sstatus, 2
    csrr a0, timeh             # the interrupt came after the carry
    SHOW
    li a0, 0x600d
    ecall

to_smode:                      # return to the caller in S-mode
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x0800
    csrs mstatus, t0
    csrw mepc, ra
    mret

    .align 2
strap:                         # S-mode trap: print scause, time >= stimecmp, then disarm
    csrr a0, scause
    call puthex
    csrr t1, timeh
    csrr t2, stimecmph
    sltu a0, t2, t1
    bne t1, t2, 1f
    csrr t1, time
    csrr t2, stimecmp
    sltu a0, t1, t2
    xori a0, a0, 1
1:  call puthex
    li t0, -1
    csrw stimecmph, t0         # disarm: STIP clears
    csrr a0, sip
    andi a0, a0, 0x20
    call puthex
    li s2, 1
    sret
    NO_FINAL_HOOK
