/* Process entry point for the graphsim guest's libc-free programs.
 *
 * The kernel enters _start with sp pointing at argc, followed by argv[],
 * NULL, envp[], NULL, auxv. We set up gp (the default linker script defines
 * __global_pointer$ and ld relaxes accesses to gp-relative ones) and hand the
 * initial stack pointer to start_c(), which never returns. */
	.section .text.start, "ax"
	.globl _start
	.type _start, @function
_start:
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	mv	a0, sp
	andi	sp, sp, -16
	call	start_c
1:	j	1b
	.size _start, . - _start
