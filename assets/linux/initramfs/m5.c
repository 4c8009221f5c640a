/* /bin/m5: standalone twin of the shell's `m5` built-in, for scripts and
 * for parity with gem5's m5 utility. */
#include "lib.h"
#include "m5ops.h"

__attribute__((noreturn)) void start_c(long *sp)
{
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	sys_exit(m5_run(argc - 1, argv + 1));
}
