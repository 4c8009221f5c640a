/* A program with obvious phases, for SimPoint sampling (graphsim simpoint): rounds of
 * an integer loop (xorshift and multiply, registers only), a memory-bound loop (random
 * read-modify-write over 4 MiB, far larger than the caches) and a floating-point loop
 * (double arithmetic; in software on rv64imac: libgcc's soft-float routines), each
 * round with different lengths. SCALE sets the number of rounds. Built with -DONE_PHASE
 * it runs only the integer loop (and has no table to clear): a program with one phase. */
#include <stdint.h>
#include <stdio.h>

#ifndef SCALE
#define SCALE 1
#endif

#define UNIT 20000
#define MEM_WORDS (1u << 19) /* 4 MiB of 64-bit words */

#ifndef ONE_PHASE
static uint64_t table[MEM_WORDS];
#endif

static uint64_t integer_phase(uint64_t x, long n)
{
    uint64_t acc = 0;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += x * 0x9E3779B97F4A7C15ull + (acc >> 3);
    }
    return acc ^ x;
}

#ifndef ONE_PHASE
static uint64_t memory_phase(uint64_t seed, long n)
{
    uint64_t sum = 0;
    uint32_t idx = (uint32_t)seed;
    for (long i = 0; i < n; i++) {
        idx = (idx * 1103515245u + 12345u) & (MEM_WORDS - 1);
        sum += table[idx];
        table[idx] = sum ^ i;
    }
    return sum;
}

static double fp_phase(double a, long n)
{
    double b = 0.5, c = 1.25;
    for (long i = 0; i < n; i++) {
        a = a * 0.999999 + b / (c + 1.5);
        b = b * 0.5 + a * 1e-3;
        c = c * 0.5 + 1.0;
    }
    return a + b + c;
}
#endif

int main(void)
{
#ifdef ONE_PHASE
    uint64_t x = 1;
    for (long round = 0; round < 3 * SCALE; round++)
        x += integer_phase(x | 1, 3 * UNIT);
    printf("one phase: rounds=%ld int=%016llx\n", 3L * SCALE, (unsigned long long)x);
    return 0;
#else
    for (uint32_t i = 0; i < MEM_WORDS; i++)
        table[i] = i * 2654435761u;
    uint64_t ints = 1, mems = 0;
    double fps = 0.0;
    for (long round = 0; round < 3 * SCALE; round++) {
        ints += integer_phase(ints | 1, (2 + round % 3) * UNIT);
        mems += memory_phase(mems + round, (1 + round % 2) * UNIT);
        fps += fp_phase(1.0 + round, (3 - round % 3) * UNIT / 64);
    }
    printf("phases: rounds=%ld int=%016llx mem=%016llx fp=%lld\n", 3L * SCALE,
           (unsigned long long)ints, (unsigned long long)mems, (long long)(fps * 1000.0));
    return 0;
#endif
}
