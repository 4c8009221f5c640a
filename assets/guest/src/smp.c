/*
 * Four harts contend for two spinlocks, one built on LR/SC and one on
 * amoswap, and bump shared counters under them and with amoadd.  Hart 0
 * waits on a barrier and prints totals, which are the same on every run.
 * Run with 4 harts (QEMU: -smp 4).
 */
#include <stdint.h>
#include <stdio.h>
#include "platform.h"

#define NHARTS 4
#define ITERATIONS 20000

static volatile int32_t lrsc_lock_word, swap_lock_word;
static volatile uint64_t lrsc_counter, swap_counter, amo_counter;
static volatile uint32_t arrived;
static volatile uint64_t work_result[NHARTS];

static void lrsc_lock(volatile int32_t *l)
{
    int32_t seen, fail;
    __asm__ volatile("1: lr.w.aq %0, (%2)\n"
                     "   bnez %0, 1b\n"
                     "   sc.w %1, %3, (%2)\n"
                     "   bnez %1, 1b"
                     : "=&r"(seen), "=&r"(fail) : "r"(l), "r"(1) : "memory");
}

static void swap_lock(volatile int32_t *l)
{
    int32_t old;
    for (;;) {
        __asm__ volatile("amoswap.w.aq %0, %2, (%1)" : "=r"(old) : "r"(l), "r"(1) : "memory");
        if (old == 0)
            return;
        while (*l)          /* spin on plain loads until it looks free */
            ;
    }
}

static void unlock(volatile int32_t *l)
{
    __asm__ volatile("amoswap.w.rl zero, zero, (%0)" : : "r"(l) : "memory");
}

static void amo_add(volatile uint64_t *p, uint64_t v)
{
    __asm__ volatile("amoadd.d zero, %1, (%0)" : : "r"(p), "r"(v) : "memory");
}

/* Private per-hart work: a checksum that depends on the hart id. */
static uint64_t hart_work(unsigned long hartid)
{
    uint64_t x = hartid + 1, sum = 0;
    for (int i = 0; i < 50000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        sum += x >> 33;
    }
    return sum;
}

static void run(unsigned long hartid)
{
    for (int i = 0; i < ITERATIONS; i++) {
        amo_add(&amo_counter, 1);
        lrsc_lock(&lrsc_lock_word);
        lrsc_counter = lrsc_counter + 1;
        unlock(&lrsc_lock_word);
        swap_lock(&swap_lock_word);
        swap_counter = swap_counter + 2;
        unlock(&swap_lock_word);
    }
    work_result[hartid] = hart_work(hartid);
    __asm__ volatile("amoadd.w.rl zero, %1, (%0)" : : "r"(&arrived), "r"(1) : "memory");
}

void secondary_main(unsigned long hartid)
{
    if (hartid < NHARTS)
        run(hartid);
}

int main(void)
{
    printf("smp: %d harts x %d iterations\n", NHARTS, ITERATIONS);
    run(0);

    uint64_t deadline = mmio_read64(CLINT_MTIME) + 10 * TIMEBASE_HZ;
    while (arrived < NHARTS && mmio_read64(CLINT_MTIME) < deadline)
        ;
    __asm__ volatile("fence rw, rw" ::: "memory");
    if (arrived != NHARTS) {
        printf("smp: only %lu of %d harts reached the barrier\n", (unsigned long)arrived, NHARTS);
        return 2;
    }

    const uint64_t want = (uint64_t)NHARTS * ITERATIONS;
    printf("smp: amoadd counter=%llu lr/sc-locked counter=%llu amoswap-locked counter=%llu\n",
           (unsigned long long)amo_counter, (unsigned long long)lrsc_counter,
           (unsigned long long)swap_counter);
    for (int h = 0; h < NHARTS; h++)
        printf("smp: hart %d work=0x%016llx\n", h, (unsigned long long)work_result[h]);
    int ok = amo_counter == want && lrsc_counter == want && swap_counter == 2 * want;
    printf("smp: %s\n", ok ? "counters correct" : "COUNTERS WRONG");
    return !ok;
}
