# Trap delegation, xRET, TSR/TW/TVM, counter enables, vectored mtvec, CLINT interrupts.
    .include "common.inc"
    .option norvc
    .globl _start
_start:
    SETUP_TRAP
    # --- delegation: U ecall and illegal go to S ---
    la t0, strap
    csrw stvec, t0
    li t0, (1 << 8) | (1 << 2)
    csrw medeleg, t0
    li t0, 0x1800
    csrc mstatus, t0          # MPP = U
    la t0, ucode
    csrw mepc, t0
    TRY after_u
    mret
ucode:
    li a0, 0x1234
    ecall                     # -> S handler (delegated)
    .word 0                   # illegal -> S handler
    csrr a0, cycle            # mcounteren = 0: illegal -> S
    li a0, 0x3e77
    TRY after_u
    ebreak                    # not delegated -> M, resume in M
strap:                        # S handler: print scause/stval/sepc-offset via ecall to M, skip insn
    csrw sscratch, s11
    csrr a0, scause
    mv s10, a0
    csrr a0, stval
    mv s9, a0
    csrr t0, sepc
    addi t0, t0, 4
    csrw sepc, t0
    csrr a0, sstatus          # SPP/SPIE
    andi a0, a0, 0x122
    slli a0, a0, 32
    or a0, a0, s10
    li t6, 0x500
    add a0, a0, t6
    SHOW                      # ecall from S -> M prints
    csrr s11, sscratch
    sret
after_u:
    li a0, 0
    csrw medeleg, zero
    # --- S-mode privileged instruction checks ---
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x0800
    csrs mstatus, t0          # MPP = S
    li t0, (1 << 20) | (1 << 21) | (1 << 22)   # TVM TW TSR
    csrs mstatus, t0
    la t0, scode
    csrw mepc, t0
    TRY after_s
    mret
scode:
    li a0, 0
    TRY 1f
    csrr a0, satp             # TVM: illegal
1:  TRY 1f
    sfence.vma                # TVM: illegal
1:  TRY 1f
    wfi                       # TW: illegal
1:  TRY 1f
    sret                      # TSR: illegal
1:  TRY 1f
    csrr a0, mstatus          # M CSR from S: illegal
1:  TRY 1f
    mret                      # illegal in S
1:  TRY 1f
    csrr a0, time             # mcounteren.TM = 0: illegal
1:  li a0, 0x3e77
    TRY after_s
    ecall
after_s:
    li t0, (1 << 20) | (1 << 21) | (1 << 22)
    csrc mstatus, t0
    # --- counters allowed from S with mcounteren ---
    li t0, 7
    csrw mcounteren, t0
    li t0, 0x1800
    csrc mstatus, t0
    li t0, 0x0800
    csrs mstatus, t0          # MPP = S
    la t0, scode2
    csrw mepc, t0
    TRY after_s2
    mret
scode2:
    li a0, 0
    csrr a0, instret
    csrr a1, cycle
    csrr a2, time
    sltu a0, zero, a0
    SHOW
    li a0, 0x3e77
    TRY after_s2
    ecall
after_s2:
    # --- CLINT software interrupt, vectored mtvec ---
    la t0, vec
    ori t0, t0, 1
    csrw mtvec, t0
    li t0, 8
    csrw mie, t0              # MSIE
    csrsi mstatus, 8          # MIE
    li t0, 0x2000000
    li t1, 1
    sw t1, 0(t0)              # msip[0] = 1 -> interrupt
    nop
    nop
    csrr a0, mcause
    call puthex
    # --- timer interrupt ---
    li s8, 0                  # cleared before the timer is armed: on a slow host it may fire at once
    li t0, 0x200bff8
    ld t1, 0(t0)              # mtime
    addi t1, t1, 100
    li t0, 0x2004000
    sd t1, 0(t0)              # mtimecmp
    li t0, 0x80
    csrw mie, t0              # MTIE
    csrsi mstatus, 8
1:  wfi
    beqz s8, 1b
    csrr a0, mcause
    call puthex
    # --- WFI with MIE=0 still wakes, no trap taken ---
    csrci mstatus, 8
    li t0, 0x200bff8
    ld t1, 0(t0)
    addi t1, t1, 50
    li t0, 0x2004000
    sd t1, 0(t0)
    wfi
    csrr a0, mip
    andi a0, a0, 0x80
    call puthex
    li t0, -1
    li t1, 0x2004000
    sd t0, 0(t1)
    csrr a0, mip
    andi a0, a0, 0x80
    call puthex
    la t0, mtrap
    csrw mtvec, t0
    li a0, 0x600d
    SHOW

    .align 8
vec:
    j mtrap                   # 0: exceptions
    .word 0, 0
    j msi                     # 3: MSI
    .word 0, 0, 0
    j mti                     # 7: MTI
msi:
    li t0, 0x2000000
    sw zero, 0(t0)
    csrr a0, mcause
    call puthex
    mret
mti:
    li t0, -1
    li t1, 0x2004000
    sd t0, 0(t1)
    li s8, 1
    csrr a0, mcause
    call puthex
    mret
    NO_FINAL_HOOK
