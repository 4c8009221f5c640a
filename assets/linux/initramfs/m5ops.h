/* gem5-compatible m5ops for RISC-V, as graphsim implements them.
 *
 * An m5op is the custom-3 major opcode with the function number in bits
 * 31:25 (instruction word 0x7b | func << 25); arguments in a0, a1, ...;
 * the result comes back in a0. Real hardware and QEMU raise an illegal
 * instruction exception instead, which Linux turns into SIGILL: m5_run()
 * catches it so the caller survives outside graphsim. */
#ifndef GRAPHSIM_M5OPS_H
#define GRAPHSIM_M5OPS_H

/* gem5's function numbers (include/gem5/asm/generic/m5ops.h). */
#define M5OP_EXIT 0x21
#define M5OP_FAIL 0x22
#define M5OP_RESET_STATS 0x40
#define M5OP_DUMP_STATS 0x41
#define M5OP_DUMP_RESET_STATS 0x42
#define M5OP_CHECKPOINT 0x43
#define M5OP_SWITCH_CPU 0x52
#define M5OP_WORK_BEGIN 0x5a
#define M5OP_WORK_END 0x5b

/* Runs the m5 command line ARGV[0..ARGC) ("checkpoint 0 0", "exit", ...),
 * printing errors/usage on stderr. Returns 0 on success, 1 on a usage
 * error, 2 when the op trapped (not running under graphsim). */
int m5_run(int argc, char **argv);

#endif
