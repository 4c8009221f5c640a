/*
 * gem5 m5ops in gem5's RISC-V encoding: an R-type instruction on the custom-3
 * opcode with the function number in funct7 (0x7b | func << 25, all other
 * fields zero), arguments in a0, a1 and the result in a0.  On QEMU they are
 * illegal instructions; src/m5ops.c shows a trap handler that skips them.
 */
#ifndef GUEST_M5OPS_H
#define GUEST_M5OPS_H

#define M5OP_EXIT               0x21
#define M5OP_FAIL               0x22
#define M5OP_RESET_STATS        0x40
#define M5OP_DUMP_STATS         0x41
#define M5OP_DUMP_RESET_STATS   0x42
#define M5OP_CHECKPOINT         0x43
#define M5OP_SWITCH_CPU         0x52
#define M5OP_WORK_BEGIN         0x5a
#define M5OP_WORK_END           0x5b

#define M5OP_OPCODE             0x7b    /* custom-3 */

#define M5OP_STR2(x) #x
#define M5OP_STR(x) M5OP_STR2(x)

#define M5OP_CALL(func, arg0, arg1) ({                                        \
    register unsigned long __a0 __asm__("a0") = (arg0);                       \
    register unsigned long __a1 __asm__("a1") = (arg1);                       \
    __asm__ volatile(".insn r " M5OP_STR(M5OP_OPCODE) ", 0, " M5OP_STR(func)  \
                     ", x0, x0, x0" : "+r"(__a0) : "r"(__a1) : "memory");     \
    __a0; })

/* Signatures as in gem5's include/gem5/m5ops.h; delays and periods in ns. */
static inline void m5_exit(unsigned long delay) { M5OP_CALL(M5OP_EXIT, delay, 0); }
static inline void m5_fail(unsigned long delay, unsigned long code) { M5OP_CALL(M5OP_FAIL, delay, code); }
static inline void m5_reset_stats(unsigned long delay, unsigned long period) { M5OP_CALL(M5OP_RESET_STATS, delay, period); }
static inline void m5_dump_stats(unsigned long delay, unsigned long period) { M5OP_CALL(M5OP_DUMP_STATS, delay, period); }
static inline void m5_dump_reset_stats(unsigned long delay, unsigned long period) { M5OP_CALL(M5OP_DUMP_RESET_STATS, delay, period); }
static inline void m5_checkpoint(unsigned long delay, unsigned long period) { M5OP_CALL(M5OP_CHECKPOINT, delay, period); }
static inline void m5_switch_cpu(void) { M5OP_CALL(M5OP_SWITCH_CPU, 0, 0); }
static inline void m5_work_begin(unsigned long workid, unsigned long threadid) { M5OP_CALL(M5OP_WORK_BEGIN, workid, threadid); }
static inline void m5_work_end(unsigned long workid, unsigned long threadid) { M5OP_CALL(M5OP_WORK_END, workid, threadid); }

#endif
