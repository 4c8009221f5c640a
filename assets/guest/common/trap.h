/*
 * Trap frames and trap entry code shared by crt0.S and programs that add
 * their own vectors (privtest).  A frame holds x1..x31 (slot 0 unused, slot
 * 2 is the interrupted sp) followed by epc, cause, tval and status.  The
 * handler may edit the frame, including epc; the entry code writes it back.
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#if __riscv_xlen == 64
#define REGBYTES 8
#define REG_S sd
#define REG_L ld
#else
#define REGBYTES 4
#define REG_S sw
#define REG_L lw
#endif

#define TF_EPC    32
#define TF_CAUSE  33
#define TF_TVAL   34
#define TF_STATUS 35
#define TF_WORDS  36
#define TF_SIZE   (TF_WORDS * REGBYTES)   /* a multiple of 16 for both XLENs */

#ifdef __ASSEMBLER__

/*
 * TRAP_ENTRY name, mode, handler, vec
 * Entry point `name` for traps taken into `mode` (m or s).  The trap stack
 * top is kept in <mode>scratch while not handling a trap.  Calls
 * handler(struct trap_frame *, unsigned long vec) then returns with
 * <mode>ret.  `vec` tells a vectored handler which slot was entered.
 */
.macro TRAP_ENTRY name, mode, handler, vec
    .balign 4
    .globl \name
\name:
    csrrw sp, \mode\()scratch, sp
    addi sp, sp, -TF_SIZE
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    REG_S x\n, \n*REGBYTES(sp)
    .endr
    csrr t0, \mode\()scratch
    REG_S t0, 2*REGBYTES(sp)
    csrr t0, \mode\()epc
    REG_S t0, TF_EPC*REGBYTES(sp)
    csrr t0, \mode\()cause
    REG_S t0, TF_CAUSE*REGBYTES(sp)
    csrr t0, \mode\()tval
    REG_S t0, TF_TVAL*REGBYTES(sp)
    csrr t0, \mode\()status
    REG_S t0, TF_STATUS*REGBYTES(sp)
    mv a0, sp
    li a1, \vec
    call \handler
    REG_L t0, TF_EPC*REGBYTES(sp)
    csrw \mode\()epc, t0
    addi t0, sp, TF_SIZE
    csrw \mode\()scratch, t0
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    REG_L x\n, \n*REGBYTES(sp)
    .endr
    REG_L sp, 2*REGBYTES(sp)
    \mode\()ret
.endm

#else

struct trap_frame {
    unsigned long x[32];    /* x[0] unused; x[2] is the interrupted sp */
    unsigned long epc;
    unsigned long cause;
    unsigned long tval;
    unsigned long status;
};

enum { REG_RA = 1, REG_SP = 2, REG_A0 = 10, REG_A1 = 11, REG_A7 = 17 };

/* M-mode trap hook called by crt0's direct-mode mtvec entry (vec = 0).
 * The default prints the trap and exits with code 125. */
void mtrap_handler(struct trap_frame *f, unsigned long vec);

#endif
#endif
