/*
 * Reset entry for every guest.  All harts arrive here in M-mode with
 * a0 = hartid, a1 = DTB address.  Each hart gets a stack and a trap stack
 * (its top kept in mscratch); hart 0 clears .bss and releases the others,
 * then every hart continues in _cstart (runtime.c), which runs main() on
 * hart 0 and secondary_main() elsewhere.  Programs built with F/D get the
 * FPU turned on (mstatus.FS = Initial) before any of their code runs.
 */
#include "trap.h"

#define MAX_HARTS       8
#define STACK_SIZE      0x4000
#define TRAP_STACK_SIZE 0x1000

    .section .text.init, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    csrw mie, zero
#ifdef __riscv_flen
    li t0, 1 << 13                      /* built with F/D: mstatus.FS = Initial */
    csrs mstatus, t0
    csrw fcsr, zero
#endif
    la t0, _mtrap_entry
    csrw mtvec, t0

    li t0, MAX_HARTS
    bgeu a0, t0, _park
    addi t0, a0, 1                      /* stacks grow down from (hart+1)*size */
    li t1, STACK_SIZE
    mul t1, t0, t1
    la sp, _stacks
    add sp, sp, t1
    li t1, TRAP_STACK_SIZE
    mul t1, t0, t1
    la t2, _trap_stacks
    add t2, t2, t1
    csrw mscratch, t2

    bnez a0, 2f
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 1f
    REG_S zero, 0(t0)
    addi t0, t0, REGBYTES
    j 1b
1:  fence rw, w
    li t0, 1
    la t1, _boot_done
    sw t0, 0(t1)
    tail _cstart

2:  la t1, _boot_done                   /* secondary harts: wait for hart 0 */
1:  lw t0, 0(t1)
    beqz t0, 1b
    fence r, rw
    tail _cstart

    .globl _park
_park:
    wfi
    j _park

TRAP_ENTRY _mtrap_entry, m, mtrap_handler, 0

    .data
    .balign 4
_boot_done:
    .word 0

    .section .noinit, "aw", @nobits
    .balign 16
_stacks:
    .space MAX_HARTS * STACK_SIZE
_trap_stacks:
    .space MAX_HARTS * TRAP_STACK_SIZE
