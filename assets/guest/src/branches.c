/*
 * Branch patterns: one conditional branch (a beqz written in assembly, so the
 * compiler cannot turn it into arithmetic) whose outcomes follow a pattern
 * precomputed in memory -- always taken, alternating, random -- inside a loop
 * whose own branch is always taken.  Each pattern is a measured region; the
 * predictor statistics show its accuracy.
 */
#include "micro.h"

#define N 50000

static uint8_t outcome[N];  /* 0: the branch is taken */

static unsigned long __attribute__((noinline)) run(const uint8_t *bits, unsigned long n)
{
    unsigned long count = 0;
    for (unsigned long i = 0; i < n; i++) {
        unsigned long b = bits[i];
        __asm__ volatile("beqz %1, 1f\n\taddi %0, %0, 1\n1:" : "+r"(count) : "r"(b));
    }
    return count;
}

int main(void)
{
    static const char *names[] = {"always taken", "alternating", "random"};
    uint64_t seed = 99;
    for (int pattern = 0; pattern < 3; pattern++) {
        for (unsigned long i = 0; i < N; i++)
            outcome[i] = pattern == 0 ? 0 : pattern == 1 ? (i & 1) : (lcg_next(&seed) & 1);
        region_begin();
        unsigned long fallthrough = run(outcome, N);
        region_end();
        printf("branches %-12s: %lu of %d not taken\n", names[pattern], fallthrough, N);
    }
    return 0;
}
