/*
 * A program to debug with GDB (tests/debug/test_gdb.py drive gdb-multiarch over
 * it): nested calls for `bt` and `finish`, a global to watch, traps the M-mode
 * handler steps over (an ecall, and a load from address 0 for `si` across a
 * trap: GDB itself steps over an ecall with a breakpoint after it), and
 * compressed instructions.  Built with -O0 -g and not stripped, so GDB sees its sources.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "trap.h"

volatile uint64_t watched_counter;
volatile unsigned long ecalls, faults;

void mtrap_handler(struct trap_frame *f, unsigned long vec)
{
    (void)vec;
    if (f->cause == 11 || f->cause == 5) {  /* ecall, load access fault: count, skip it */
        if (f->cause == 11)
            ecalls++;
        else
            faults++;
        f->epc += 4;
        return;
    }
    printf("unexpected trap: mcause=0x%lx mepc=0x%lx\n", f->cause, f->epc);
    exit(125);
}

__attribute__((noinline)) uint64_t leaf(uint64_t x)
{
    return x * 3 + 1;
}

__attribute__((noinline)) uint64_t middle(uint64_t x)
{
    return leaf(x) + leaf(x + 1);
}

__attribute__((noinline)) void bump(uint64_t v)
{
    watched_counter += v;
}

__attribute__((noinline)) void do_traps(void)
{
    unsigned long v;
    __asm__ volatile("ecall");
    __asm__ volatile(".option push\n.option norvc\n"
                     ".globl faulting_load\nfaulting_load: ld %0, 0(zero)\n"
                     ".option pop" : "=r"(v) : : "memory");
}

int main(void)
{
    uint64_t sum = 0;
    for (int i = 0; i < 10; i++) {
        sum += middle(i);
        bump(i);
    }
    do_traps();
    printf("gdb_demo sum=%lu counter=%lu ecalls=%lu faults=%lu\n", (unsigned long)sum,
           (unsigned long)watched_counter, ecalls, faults);
    return 0;
}
