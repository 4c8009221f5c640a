# UART 16550 register behaviour (compared with QEMU's serial).
    .include "common.inc"
    .macro RDU off             # record a register read (printed at the end)
    lbu t0, \off(s0)
    sd t0, 0(s1)
    addi s1, s1, 8
    .endm
    .globl _start
_start:
    SETUP_TRAP
    li s0, UART
    li s1, 0x80200000
    RDU 5          # LSR after reset
    RDU 2          # IIR
    RDU 6          # MSR
    RDU 4          # MCR
    RDU 3          # LCR
    RDU 1          # IER
    li t0, 0x80
    sb t0, 3(s0)   # DLAB
    RDU 0          # DLL
    RDU 1          # DLM
    li t0, 0x34
    sb t0, 0(s0)
    li t0, 0x12
    sb t0, 1(s0)
    RDU 0
    RDU 1
    li t0, 0x03
    sb t0, 3(s0)   # 8N1, DLAB off
    RDU 3
    li t0, 0xa5
    sb t0, 7(s0)
    RDU 7          # SCR
    li t0, 0xc7
    sb t0, 2(s0)   # FCR: enable + clear, trigger 14
    RDU 2          # IIR with FIFO bits
    li t0, 0x02
    sb t0, 1(s0)   # IER: THRI
    RDU 2          # THR empty interrupt pending
    RDU 2          # reading IIR cleared it
    li t0, 0
    sb t0, 1(s0)
    li t0, 0x1f
    sb t0, 4(s0)   # MCR loopback
    RDU 6          # MSR in loopback
    li t0, 0x41
    sb t0, 0(s0)   # loopback byte
    RDU 5
    RDU 0
    RDU 5
    li t0, 0x08
    sb t0, 4(s0)
    lw t0, 4(s0)   # wider access reads one register
    sd t0, 0(s1)
    addi s1, s1, 8
    li s2, 0x80200000
1:  ld a0, 0(s2)
    call puthex
    addi s2, s2, 8
    bne s2, s1, 1b
    li a0, 0x600d
    SHOW
    NO_FINAL_HOOK
