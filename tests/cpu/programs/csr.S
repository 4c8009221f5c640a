# CSR WARL read-back and trap probes (self-contained: own trap handler and hex output).
    .equ UART, 0x10000000
    .globl _start
_start:
    la t0, trap
    csrw mtvec, t0
    li sp, 0x80100000
    # print helper in s-regs; macro: write csr all-ones and read back
    .macro PROBE csr
    li a0, -1
    csrw \csr, a0
    csrr a0, \csr
    call puthex
    li a0, 0
    csrw \csr, a0
    csrr a0, \csr
    call puthex
    .endm
    .macro RD csr
    csrr a0, \csr
    call puthex
    .endm
    RD misa
    RD mstatus
    PROBE medeleg
    PROBE mideleg
    PROBE mie
    PROBE mip
    PROBE mepc
    PROBE mtval
    PROBE mcause
    PROBE mcounteren
    PROBE scounteren
    PROBE mcountinhibit
    PROBE menvcfg
    PROBE senvcfg
    PROBE stvec
    PROBE mtvec
    la t0, trap
    csrw mtvec, t0
    PROBE sepc
    PROBE scause
    PROBE stval
    PROBE pmpaddr0
    PROBE pmpaddr15
    PROBE pmpcfg0
    PROBE pmpcfg2
    PROBE mhpmevent3
    PROBE mhpmcounter3
    li a0, -1
    csrw mstatus, a0
    csrr a0, mstatus
    call puthex
    li a0, 0x1800
    csrw mstatus, a0
    li a0, 0x1000
    csrw mstatus, a0
    csrr a0, mstatus
    call puthex
    csrw mstatus, 0
    li a0, -1
    csrw sstatus, a0
    csrr a0, sstatus
    call puthex
    csrr a0, mstatus
    call puthex
    csrw mstatus, 0
    li a0, -1
    csrw mideleg, a0
    csrw sie, a0
    csrr a0, sie
    call puthex
    csrr a0, mie
    call puthex
    li a0, -1
    csrw sip, a0
    csrr a0, sip
    call puthex
    csrr a0, mip
    call puthex
    csrw mip, 0
    csrw mie, 0
    csrw mideleg, 0
    # satp probes
    li a0, -1
    csrw satp, a0
    csrr a0, satp
    call puthex
    csrw satp, 0
    # ebreak tval
    la t0, 1f
    csrw mscratch, t0
    ebreak
1:  csrr a0, mtval
    call puthex
    csrr a0, mcause
    call puthex
    # illegal csr
    la t0, 1f
    csrw mscratch, t0
    csrr a0, 0x7a0
1:  csrr a0, mcause
    call puthex
    csrr a0, mtval
    call puthex
    la t0, 1f
    csrw mscratch, t0
    csrr a0, 0x14d   # stimecmp
1:  csrr a0, mcause
    call puthex
    la t0, 1f
    csrw mscratch, t0
    csrr a0, 0xf15   # mconfigptr
1:  call puthex
    csrr a0, mcause
    call puthex
    la t0, 1f
    csrw mscratch, t0
    csrr a0, pmpaddr16
1:  call puthex
    csrr a0, mcause
    call puthex
    la t0, 1f
    csrw mscratch, t0
    csrr a0, pmpcfg1
1:  call puthex
    csrr a0, mcause
    call puthex
    # misaligned load/store/amo
    la t0, 1f
    csrw mscratch, t0
    csrw mcause, zero
    li t1, 0x80200001
    ld a0, 0(t1)
1:  csrr a0, mcause
    call puthex
    la t0, 1f
    csrw mscratch, t0
    li t1, 0x80200001
    amoadd.w a0, a0, (t1)
1:  csrr a0, mcause
    call puthex
    la t0, 1f
    csrw mscratch, t0
    csrw mcause, zero
    li t1, 0x80200001
    lr.w a0, (t1)
1:  csrr a0, mcause
    call puthex
    la t0, 1f
    csrw mscratch, t0
    csrw mcause, zero
    li t1, 0x80200001
    sc.w a0, a0, (t1)
1:  call puthex
    csrr a0, mcause
    call puthex
    # illegal instruction tval for compressed
    la t0, 1f
    csrw mscratch, t0
    .half 0
1:  csrr a0, mtval
    call puthex
    la t0, 1f
    csrw mscratch, t0
    .word 0xffffffff
1:  csrr a0, mtval
    call puthex
    # access fault at unmapped phys
    la t0, 1f
    csrw mscratch, t0
    li t1, 0x40000000
    lw a0, 0(t1)
1:  csrr a0, mcause
    call puthex
    csrr a0, mtval
    call puthex
    # wfi in U? skip. done
    li t0, 0x100000
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b

trap:
    csrr t0, mscratch
    csrw mepc, t0
    mret

puthex:  # a0
    li t1, UART
    li t2, 60
2:  srl t3, a0, t2
    andi t3, t3, 15
    li t4, 10
    blt t3, t4, 3f
    addi t3, t3, 39
3:  addi t3, t3, 48
    sb t3, 0(t1)
    addi t2, t2, -4
    bgez t2, 2b
    li t3, 10
    sb t3, 0(t1)
    ret
