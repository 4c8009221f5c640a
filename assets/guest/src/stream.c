/*
 * Streaming reads over 4 MiB, larger than any cache: one load per 64-byte
 * line, then every 8-byte word.  Each kernel runs twice and the second pass
 * is measured (the first evicts the dirty lines the initialisation left), so
 * the measured bytes per cycle show the memory's bandwidth when a prefetcher
 * keeps enough lines in flight, and its latency when none does.
 */
#include "micro.h"

#define WORDS (512UL * 1024)    /* 4 MiB of uint64_t */

static uint64_t a[WORDS] __attribute__((aligned(4096)));

static uint64_t __attribute__((noinline)) sum_lines(const uint64_t *p, unsigned long n)
{
    uint64_t s = 0;
    for (unsigned long i = 0; i < n; i += 8)
        s += p[i];
    return s;
}

static uint64_t __attribute__((noinline)) sum_words(const uint64_t *p, unsigned long n)
{
    uint64_t s = 0;
    for (unsigned long i = 0; i < n; i++)
        s += p[i];
    return s;
}

int main(void)
{
    uint64_t seed = 7;
    for (unsigned long i = 0; i < WORDS; i++)
        a[i] = lcg_next(&seed);
    uint64_t warm = sum_lines(a, WORDS);
    __asm__ volatile("" : : "r"(warm));     /* the first pass is not dead code */
    region_begin();
    uint64_t s1 = sum_lines(a, WORDS);
    region_end();
    warm = sum_words(a, WORDS);
    __asm__ volatile("" : : "r"(warm));
    region_begin();
    uint64_t s2 = sum_words(a, WORDS);
    region_end();
    printf("stream: %lu KiB, line sum 0x%016llx, word sum 0x%016llx\n", (unsigned long)(WORDS * 8 / 1024),
           (unsigned long long)s1, (unsigned long long)s2);
    return 0;
}
