/*
 * False sharing: four harts each increment their own counter ITER times,
 * first with the four counters in one 64-byte line, then with each counter
 * in a line of its own.  Hart 0 delimits each phase as a measured region; the
 * coherence statistics of the harts' private caches (invalidations,
 * interventions) show the line moving between them in the first phase only.
 * Run with 4 harts (QEMU: -smp 4).
 */
#include "micro.h"
#include "platform.h"

#define NHARTS 4
#define ITER 20000

static struct { volatile uint64_t c[NHARTS]; } together __attribute__((aligned(64)));
static struct { volatile uint64_t c; uint64_t pad[7]; } apart[NHARTS] __attribute__((aligned(64)));
static volatile uint32_t phase;
static volatile uint32_t arrived[3];

static void count(unsigned long hartid, int which)
{
    volatile uint64_t *c = which == 1 ? &together.c[hartid] : &apart[hartid].c;
    for (int i = 0; i < ITER; i++)
        *c = *c + 1;
    __asm__ volatile("amoadd.w.rl zero, %1, (%0)" : : "r"(&arrived[which]), "r"(1) : "memory");
}

static void wait_all(int which)
{
    uint64_t deadline = mmio_read64(CLINT_MTIME) + 10 * TIMEBASE_HZ;
    while (arrived[which] < NHARTS && mmio_read64(CLINT_MTIME) < deadline)
        ;
    __asm__ volatile("fence rw, rw" ::: "memory");
}

void secondary_main(unsigned long hartid)
{
    if (hartid >= NHARTS)
        return;
    for (int which = 1; which <= 2; which++) {
        while (phase < (uint32_t)which)
            ;
        count(hartid, which);
    }
}

int main(void)
{
    printf("false sharing: %d harts x %d increments\n", NHARTS, ITER);
    for (int which = 1; which <= 2; which++) {
        region_begin();
        phase = which;
        count(0, which);
        wait_all(which);
        region_end();
        uint64_t total = 0;
        for (int h = 0; h < NHARTS; h++)
            total += which == 1 ? together.c[h] : apart[h].c;
        printf("%s: %u harts done, total %llu\n", which == 1 ? "one line" : "own lines", arrived[which],
               (unsigned long long)total);
    }
    return 0;
}
