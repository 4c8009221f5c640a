#include "lib.h"
#include "m5ops.h"

#define SIGILL 4
#define SA_SIGINFO 4

/* The kernel's struct sigaction for RISC-V (no sa_restorer: the kernel
 * returns from handlers through the vDSO's rt_sigreturn trampoline). */
struct k_sigaction {
	void (*handler)(int, void *, void *);
	unsigned long flags;
	unsigned long mask;
};

/* Byte offset of uc_mcontext.sc_regs.pc in the RISC-V struct ucontext:
 * uc_flags, uc_link, uc_stack (24), uc_sigmask, 120 bytes of padding, then
 * the 16-byte aligned sigcontext whose first word is the pc. */
#define UCONTEXT_PC_OFFSET 176

static volatile int m5_trapped;

static void sigill_handler(int sig, void *info, void *uctx)
{
	(void)sig, (void)info;
	m5_trapped = 1;
	/* Resume after the 4-byte m5op instead of re-executing it. */
	*(unsigned long *)((char *)uctx + UCONTEXT_PC_OFFSET) += 4;
}

/* The function number is part of the instruction word, so each op needs
 * its own instruction: expand one asm statement per function. */
#define M5OP_INSN(func, x, y)                                                 \
	({                                                                    \
		register long _a0 __asm__("a0") = (long)(x);                  \
		register long _a1 __asm__("a1") = (long)(y);                  \
		__asm__ volatile(".4byte %2"                                  \
				 : "+r"(_a0)                                  \
				 : "r"(_a1), "i"(0x7b | ((func) << 25))       \
				 : "memory");                                 \
		_a0;                                                          \
	})

static long m5_op(int func, unsigned long a0, unsigned long a1)
{
	switch (func) {
	case M5OP_EXIT: return M5OP_INSN(M5OP_EXIT, a0, a1);
	case M5OP_FAIL: return M5OP_INSN(M5OP_FAIL, a0, a1);
	case M5OP_RESET_STATS: return M5OP_INSN(M5OP_RESET_STATS, a0, a1);
	case M5OP_DUMP_STATS: return M5OP_INSN(M5OP_DUMP_STATS, a0, a1);
	case M5OP_DUMP_RESET_STATS: return M5OP_INSN(M5OP_DUMP_RESET_STATS, a0, a1);
	case M5OP_CHECKPOINT: return M5OP_INSN(M5OP_CHECKPOINT, a0, a1);
	case M5OP_SWITCH_CPU: return M5OP_INSN(M5OP_SWITCH_CPU, a0, a1);
	case M5OP_WORK_BEGIN: return M5OP_INSN(M5OP_WORK_BEGIN, a0, a1);
	case M5OP_WORK_END: return M5OP_INSN(M5OP_WORK_END, a0, a1);
	}
	return -1;
}

static const struct {
	const char *name;
	int func;
	int nargs; /* optional numeric arguments, passed in a0, a1 */
	const char *args;
} m5_cmds[] = {
	{ "exit", M5OP_EXIT, 1, "[delay]" },
	{ "fail", M5OP_FAIL, 2, "[delay [code]]" },
	{ "resetstats", M5OP_RESET_STATS, 2, "[delay [period]]" },
	{ "dumpstats", M5OP_DUMP_STATS, 2, "[delay [period]]" },
	{ "dumpresetstats", M5OP_DUMP_RESET_STATS, 2, "[delay [period]]" },
	{ "checkpoint", M5OP_CHECKPOINT, 2, "[delay [period]]" },
	{ "switchcpu", M5OP_SWITCH_CPU, 0, "" },
	{ "workbegin", M5OP_WORK_BEGIN, 2, "[workid [threadid]]" },
	{ "workend", M5OP_WORK_END, 2, "[workid [threadid]]" },
};
#define N_CMDS (sizeof(m5_cmds) / sizeof(m5_cmds[0]))

static int m5_usage(void)
{
	put_str(2, "usage: m5 COMMAND [ARGS]\n");
	for (unsigned i = 0; i < N_CMDS; i++) {
		put_str(2, "  m5 ");
		put_str(2, m5_cmds[i].name);
		put_str(2, " ");
		put_line(2, m5_cmds[i].args);
	}
	return 1;
}

int m5_run(int argc, char **argv)
{
	unsigned long args[2] = { 0, 0 };
	unsigned i;

	if (argc < 1)
		return m5_usage();
	for (i = 0; i < N_CMDS && !str_eq(argv[0], m5_cmds[i].name); i++)
		;
	if (i == N_CMDS || argc - 1 > m5_cmds[i].nargs)
		return m5_usage();
	for (int k = 1; k < argc; k++)
		if (!parse_ulong(argv[k], &args[k - 1]))
			return m5_usage();

	struct k_sigaction act = { sigill_handler, SA_SIGINFO, 0 }, old;
	long err = syscall4(__NR_rt_sigaction, SIGILL, &act, &old, sizeof(act.mask));
	if (err < 0) {
		put_err("m5", "rt_sigaction", err);
		return 2;
	}
	m5_trapped = 0;
	m5_op(m5_cmds[i].func, args[0], args[1]);
	syscall4(__NR_rt_sigaction, SIGILL, &old, 0, sizeof(old.mask));
	if (m5_trapped) {
		put_str(2, "m5: not running under graphsim\n");
		return 2;
	}
	return 0;
}
