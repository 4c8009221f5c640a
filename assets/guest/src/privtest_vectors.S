/*
 * privtest's assembly: the vectored M-mode trap table, the S-mode trap entry,
 * enter_mode()/leave_to_driver() to run a probe in S or U mode and get back
 * to the C driver, and the probes themselves.
 */
#include "trap.h"
#include "privtest.h"

/*
 * Vectored mtvec: synchronous exceptions enter at the base, interrupt i at
 * base + 4*i.  Every slot must be one 4-byte jump, hence norvc.
 */
    .text
    .balign 256
    .globl mtvec_table
mtvec_table:
    .option push
    .option norvc
    j mtrap_exception           /* 0: exceptions */
    j mtrap_exception           /* 1 */
    j mtrap_exception           /* 2 */
    j mtrap_msi                 /* 3: machine software interrupt */
    j mtrap_exception           /* 4 */
    j mtrap_exception           /* 5 */
    j mtrap_exception           /* 6 */
    j mtrap_mti                 /* 7: machine timer interrupt */
    j mtrap_exception           /* 8 */
    j mtrap_exception           /* 9 */
    j mtrap_exception           /* 10 */
    j mtrap_mei                 /* 11: machine external interrupt */
    .option pop

TRAP_ENTRY mtrap_exception, m, mtrap_handler, 0
TRAP_ENTRY mtrap_msi, m, mtrap_handler, 3
TRAP_ENTRY mtrap_mti, m, mtrap_handler, 7
TRAP_ENTRY mtrap_mei, m, mtrap_handler, 11
TRAP_ENTRY strap_entry, s, strap_handler, 0

/*
 * long enter_mode(unsigned long prv, unsigned long pc, unsigned long arg,
 *                 unsigned long sp)
 * Saves the driver's callee-saved registers and mscratch, then mrets to pc in
 * privilege prv with a0 = arg.  "Returns" when the M-mode trap handler calls
 * leave_to_driver(value), which abandons the probe and its trap frame.
 */
    .globl enter_mode
enter_mode:
    la t0, driver_ctx
    REG_S ra, 0*REGBYTES(t0)
    REG_S sp, 1*REGBYTES(t0)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    REG_S s\n, (2+\n)*REGBYTES(t0)
    .endr
    csrr t1, mscratch
    REG_S t1, 14*REGBYTES(t0)
    li t1, MSTATUS_MPP_BITS
    csrc mstatus, t1
    slli a0, a0, 11
    csrs mstatus, a0
    csrw mepc, a1
    mv a0, a2
    mv sp, a3
    mret

    .globl leave_to_driver
leave_to_driver:
    la t0, driver_ctx
    REG_L ra, 0*REGBYTES(t0)
    REG_L sp, 1*REGBYTES(t0)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    REG_L s\n, (2+\n)*REGBYTES(t0)
    .endr
    REG_L t1, 14*REGBYTES(t0)
    csrw mscratch, t1
    ret

/* Called by the S-mode handler to end a U-mode probe: S's ecall goes to M. */
    .globl s_exit
s_exit:
    li a7, SYS_EXIT
    ecall

    .bss
    .balign 8
driver_ctx:
    .space 15*REGBYTES

/*
 * Probes: position-independent, so the same bytes run in S-mode at their
 * link address and in U-mode through the user window.  Each ends with the
 * SYS_EXIT ecall, returning a0 to the driver.  Every instruction that can
 * trap is 4 bytes long (norvc), so handlers resume at epc + 4.
 */
    .section .text.user, "ax"
    .balign 4096
    .option push
    .option norvc
    .globl user_text_start
user_text_start:

    .globl probe_exit           /* return arg */
probe_exit:
    j exit_to_driver

    .globl probe_load           /* a0 = *(u64 *)a0 */
probe_load:
    ld a0, 0(a0)
    j exit_to_driver

    .globl probe_store          /* *(u64 *)a0 = a0 */
probe_store:
    sd a0, 0(a0)
    j exit_to_driver

    .globl probe_exec           /* call a0; a fetch fault resumes at ra */
probe_exec:
    jalr a0
    j exit_to_driver

    .globl probe_ecall, probe_ecall_site
probe_ecall:
    li a7, SYS_TEST
probe_ecall_site:
    ecall
    j exit_to_driver

    .globl probe_read_sstatus   /* illegal in U-mode */
probe_read_sstatus:
    csrr a0, sstatus
    j exit_to_driver

    .globl probe_mret           /* illegal in S-mode */
probe_mret:
    mret
    j exit_to_driver

    .globl probe_sret_to_u      /* S-mode: sret to the U-mode address in a0 */
probe_sret_to_u:
    csrw sepc, a0
    li t0, SSTATUS_SPP_BIT
    csrc sstatus, t0
    sret

    .globl probe_return_42
probe_return_42:
    li a0, 42
    j exit_to_driver

exit_to_driver:
    li a7, SYS_EXIT
    ecall

    .option pop
    .balign 4096
