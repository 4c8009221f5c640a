# AMOs (.w/.d), LR/SC, misaligned regular accesses in RAM.
    .include "common.inc"
    .macro AMOW op, init, src
    li t0, 0x80200000
    li t1, \init
    sw t1, 0(t0)
    li t2, \src
    \op a0, t2, (t0)
    call puthex
    lwu a0, 0(t0)
    call puthex
    .endm
    .macro AMOD op, init, src
    li t0, 0x80200000
    li t1, \init
    sd t1, 0(t0)
    li t2, \src
    \op a0, t2, (t0)
    call puthex
    ld a0, 0(t0)
    call puthex
    .endm
    .globl _start
_start:
    SETUP_TRAP
    AMOW amoswap.w, 0x80000001, 0x12345678
    AMOW amoadd.w, 0x7fffffff, 1
    AMOW amoxor.w, 0xf0f0f0f0, 0xff00ff00
    AMOW amoand.w, 0xf0f0f0f0, 0xff00ff00
    AMOW amoor.w, 0xf0f0f0f0, 0x0f000f00
    AMOW amomin.w, 0x80000000, 5
    AMOW amomax.w, 0x80000000, 5
    AMOW amominu.w, 0x80000000, 5
    AMOW amomaxu.w, 0x80000000, 5
    AMOW amomin.w, 7, 0xffffffff00000003
    AMOD amoswap.d, 0x8000000000000001, 0x12345678
    AMOD amoadd.d, 0x7fffffffffffffff, 1
    AMOD amoxor.d, -1, 0x5555
    AMOD amoand.d, -1, 0x5555
    AMOD amoor.d, 0, 0x5555
    AMOD amomin.d, 0x8000000000000000, 5
    AMOD amomax.d, 0x8000000000000000, 5
    AMOD amominu.d, 0x8000000000000000, 5
    AMOD amomaxu.d, 0x8000000000000000, 5
    # LR/SC: success, then failure without reservation, then failure at another address
    li t0, 0x80200100
    li t1, 41
    sd t1, 0(t0)
    lr.d a0, (t0)
    addi a0, a0, 1
    sc.d a1, a0, (t0)
    PUT a1
    ld a0, 0(t0)
    call puthex
    sc.d a1, a0, (t0)
    PUT a1
    lr.w a0, (t0)
    addi t2, t0, 8
    sc.w a1, a0, (t2)
    PUT a1
    # a trap between LR and SC clears the reservation
    lr.d a0, (t0)
    TRY 1f
    ecall
1:  sc.d a1, a0, (t0)
    PUT a1
    # misaligned regular accesses work in RAM
    li t0, 0x80200201
    li t1, 0x0102030405060708
    sd t1, 0(t0)
    ld a0, 0(t0)
    call puthex
    lw a0, 2(t0)
    call puthex
    lhu a0, 4(t0)
    call puthex
    li t0, 0x80200ffd     # across a 4 KiB boundary
    sw t1, 0(t0)
    lwu a0, 0(t0)
    call puthex
    # misaligned LR: load address misaligned; SC without reservation just fails
    li t0, 0x80200302
    TRY 1f
    lr.w a0, (t0)
1:  li a1, 7
    sc.w a1, a0, (t0)
    PUT a1
    # (an AMO on MMIO is a store/AMO access fault here, while QEMU performs it: see docs/isa.md)
    li a0, 0x600d
    SHOW
    NO_FINAL_HOOK
