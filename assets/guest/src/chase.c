/*
 * Pointer chase: the latency of dependent loads over working sets from 4 KiB
 * to 4 MiB.  For each size, the lines of a contiguous region (one pointer per
 * 64-byte line) are linked in a random cyclic order and walked once to warm
 * the caches; then STEPS dependent loads (p = *p) run in a measured region.
 * A cyclic walk reuses each line only after visiting all the others, so with
 * LRU caches a working set that fits a level hits there and one that does not
 * misses it every time: cycles per load step from one level's latency to the
 * next.  The console shows where each walk ended.
 */
#include "micro.h"

#define LINE 64
#define STEPS 16384
#define MAX_BYTES (4UL << 20)

static const unsigned long sizes_kib[] = {4, 16, 24, 32, 48, 64, 128, 256, 384, 512, 768, 1024, 4096};

static uint8_t arena[MAX_BYTES] __attribute__((aligned(4096)));
static uint32_t order[MAX_BYTES / LINE];

static void **build(unsigned long bytes, uint64_t *seed)
{
    unsigned long n = bytes / LINE;
    for (unsigned long i = 0; i < n; i++)
        order[i] = i;
    for (unsigned long i = n - 1; i > 0; i--) {
        unsigned long j = lcg_next(seed) % (i + 1);
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (unsigned long i = 0; i < n; i++)
        *(void **)(arena + (unsigned long)order[i] * LINE) = arena + (unsigned long)order[(i + 1) % n] * LINE;
    return (void **)(arena + (unsigned long)order[0] * LINE);
}

static void **__attribute__((noinline)) walk(void **p, unsigned long steps)
{
    while (steps--)
        p = (void **)*p;
    return p;
}

int main(void)
{
    uint64_t seed = 12345;
    printf("chase: %d dependent loads per working set\n", STEPS);
    for (unsigned i = 0; i < sizeof sizes_kib / sizeof sizes_kib[0]; i++) {
        unsigned long bytes = sizes_kib[i] << 10;
        void **p = build(bytes, &seed);
        p = walk(p, bytes / LINE);
        region_begin();
        p = walk(p, STEPS);
        region_end();
        printf("chase %5lu KiB: ended at line %lu\n", sizes_kib[i], (unsigned long)((uint8_t *)p - arena) / LINE);
    }
    return 0;
}
