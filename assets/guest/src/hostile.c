/*
 * A hostile bare-metal guest for the fault suite (benchmarks/faults.py): it
 * attacks the devices graphsim serves in Python — virtio-mmio/virtio-blk,
 * simctl (m5ops by MMIO and by instruction), the SiFive test finisher — and
 * the UART, then exits with PASS if the simulator is still there to see it.
 * The harness picks the attack by writing its number to `attack` before the
 * first instruction; each attack runs a bounded number of guest instructions.
 * Not for QEMU: several attacks are things no real driver does.
 */
#include <stdint.h>
#include "m5ops.h"
#include "platform.h"

#define R_MAGIC 0x000
#define R_DEVICE_ID 0x008
#define R_DRIVER_FEATURES 0x020
#define R_DRIVER_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_INTERRUPT_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080
#define R_QUEUE_DRIVER 0x090
#define R_QUEUE_DEVICE 0x0a0

#define QSIZE 256
#define F_NEXT 1
#define F_WRITE 2
#define SIMCTL_BASE 0x10010000UL

enum { VIRTIO_REGISTERS, VIRTIO_HUGE, VIRTIO_RUNAWAY, VIRTIO_STORM, UART, SIMCTL, M5OPS, FINISHER, ATTACKS };

volatile uint32_t attack = ATTACKS;   /* in .data (not .bss, which crt0 clears) for the harness to set */

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
static struct desc desc[QSIZE] __attribute__((aligned(16)));
static volatile struct { uint16_t flags, idx, ring[QSIZE], event; } avail __attribute__((aligned(2)));
static volatile struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[QSIZE]; uint16_t event; } used
    __attribute__((aligned(4)));
static struct { uint32_t type, reserved; uint64_t sector; } header;
static volatile uint8_t status;
static uint8_t buffer[64 * 1024] __attribute__((aligned(16)));
static uintptr_t dev;
static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void reg(unsigned off, uint32_t v) { mmio_write32(dev + off, v); }

static void finish(int code)
{
    mmio_write32(FINISHER_BASE, code ? (uint32_t)code << 16 | FINISHER_FAIL : FINISHER_PASS);
    for (;;)
        ;
}

static int find_disk(void)
{
    for (int slot = 0; slot < VIRTIO_MMIO_SLOTS; slot++) {
        dev = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_STRIDE;
        if (mmio_read32(dev + R_MAGIC) == 0x74726976 && mmio_read32(dev + R_DEVICE_ID) == 2)
            return 0;
    }
    return -1;
}

/* A by-the-book set-up of queue 0 (then the attacks misuse it). */
static void setup_queue(void)
{
    reg(R_STATUS, 0);
    reg(R_STATUS, 3);
    reg(R_DRIVER_FEATURES_SEL, 1);
    reg(R_DRIVER_FEATURES, 1);
    reg(R_DRIVER_FEATURES_SEL, 0);
    reg(R_DRIVER_FEATURES, 0);
    reg(R_STATUS, 11);
    reg(R_QUEUE_SEL, 0);
    reg(R_QUEUE_NUM, QSIZE);
    reg(R_QUEUE_DESC, (uintptr_t)desc);
    reg(R_QUEUE_DESC + 4, (uint64_t)(uintptr_t)desc >> 32);
    reg(R_QUEUE_DRIVER, (uintptr_t)&avail);
    reg(R_QUEUE_DRIVER + 4, (uint64_t)(uintptr_t)&avail >> 32);
    reg(R_QUEUE_DEVICE, (uintptr_t)&used);
    reg(R_QUEUE_DEVICE + 4, (uint64_t)(uintptr_t)&used >> 32);
    reg(R_QUEUE_READY, 1);
    reg(R_STATUS, 15);
    avail.idx = 0;
    used.idx = 0;
}

static void post(uint16_t head)
{
    avail.ring[avail.idx % QSIZE] = head;
    __sync_synchronize();
    avail.idx++;
    __sync_synchronize();
    reg(R_QUEUE_NOTIFY, 0);
    reg(R_INTERRUPT_ACK, 3);
}

/* Every register of every slot gets all-ones, zero and random values. */
static void virtio_registers(void)
{
    for (int slot = 0; slot < VIRTIO_MMIO_SLOTS; slot++) {
        dev = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_STRIDE;
        /* first the 64-bit registers' high halves, with queue 0 and the high feature word selected */
        reg(R_QUEUE_SEL, 0);
        reg(R_DRIVER_FEATURES_SEL, 1);
        reg(R_DRIVER_FEATURES, 0xFFFFFFFF);
        for (unsigned off = R_QUEUE_DESC; off <= R_QUEUE_DEVICE; off += 0x10)
            reg(off + 4, 0xFFFFFFFF);
        reg(R_QUEUE_READY, 1);
        reg(R_QUEUE_NOTIFY, 0);
        for (int round = 0; round < 4; round++)
            for (unsigned off = 0; off < 0x200; off += 4) {
                uint32_t v = round == 0 ? 0xFFFFFFFF : round == 1 ? 0 : (uint32_t)next_random();
                if (off == R_QUEUE_NOTIFY && round == 1)
                    continue;
                reg(off, v);
                (void)mmio_read32(dev + off);
            }
        reg(R_QUEUE_NOTIFY, 0);
        reg(R_STATUS, 0);
    }
}

/* Requests whose descriptors claim gigabytes, point outside RAM, or repeat all of RAM. */
static void virtio_huge(void)
{
    setup_queue();
    for (int round = 0; round < 200; round++) {
        header.type = round & 1;                        /* IN, OUT */
        header.sector = round % 3 == 0 ? ~0ULL : 0;
        desc[0] = (struct desc){(uintptr_t)&header, 16, F_NEXT, 1};
        int n = 1 + round % (QSIZE - 2);
        for (int i = 1; i <= n; i++) {
            uint64_t addr = round % 4 == 0 ? RAM_BASE : round % 4 == 1 ? next_random() : (uintptr_t)buffer;
            uint32_t len = round % 5 == 0 ? 0xFFFFFFFF : round % 5 == 1 ? 128u << 20 : sizeof buffer;
            desc[i] = (struct desc){addr, len, F_NEXT | (header.type ? 0 : F_WRITE), (uint16_t)(i + 1)};
        }
        desc[n + 1] = (struct desc){(uintptr_t)&status, round % 7 == 0 ? 0xFFFFFFFF : 1, F_WRITE, 0};
        post(0);
        if (round % 16 == 15)
            setup_queue();                              /* the device may have asked for a reset */
    }
}

/* Loops, chains longer than the queue, and an available index far ahead of the queue. */
static void virtio_runaway(void)
{
    for (int round = 0; round < 300; round++) {
        setup_queue();
        for (int i = 0; i < QSIZE; i++)
            desc[i] = (struct desc){(uintptr_t)buffer, 16, F_NEXT, (uint16_t)(round & 1 ? i : (i + 1) % QSIZE)};
        avail.ring[0] = 0;
        __sync_synchronize();
        avail.idx = (uint16_t)(round % 3 == 0 ? 0xFFFF : round % 3 == 1 ? QSIZE + 1 : 1);
        for (int k = 0; k < 50; k++)
            reg(R_QUEUE_NOTIFY, 0);
    }
}

/* The most work one notification may ask for, over and over: full queues of the largest legal
 * requests. What it costs the host must stay bounded per notification. */
static void virtio_storm(void)
{
    setup_queue();
    for (int round = 0; round < 20; round++) {
        for (int r = 0; r < 2; r++) {
            uint16_t head = (uint16_t)(r * 128);
            header.type = round & 1;
            header.sector = 0;
            desc[head] = (struct desc){(uintptr_t)&header, 16, F_NEXT, (uint16_t)(head + 1)};
            for (int i = 1; i <= 126; i++)
                desc[head + i] = (struct desc){(uintptr_t)buffer, 512, F_NEXT | (header.type ? 0 : F_WRITE),
                                               (uint16_t)(head + i + 1)};
            desc[head + 127] = (struct desc){(uintptr_t)&status, 1, F_WRITE, 0};
            avail.ring[avail.idx % QSIZE] = head;
            avail.idx++;
        }
        __sync_synchronize();
        reg(R_QUEUE_NOTIFY, 0);
        reg(R_INTERRUPT_ACK, 3);
    }
}

/* Garbage into every UART register, then a long wait on input that may never come. */
static void uart(void)
{
    for (int round = 0; round < 2000; round++) {
        unsigned off = round % 8;
        if (off == 0 || off == 3)
            continue;                                   /* keep the line settings so the console stays readable */
        mmio_write8(UART0_BASE + off, (uint8_t)next_random());
        (void)mmio_read8(UART0_BASE + off);
    }
    mmio_write8(UART0_BASE + 1, 0);                     /* interrupts off again */
    for (int i = 0; i < 20000; i++)
        (void)mmio_read8(UART0_BASE);                   /* drain whatever the host sends */
}

/* simctl: every function number with hostile arguments, checkpoints and stats in a loop. */
static void simctl(void)
{
    for (int round = 0; round < 3000; round++) {
        for (int a = 0; a < 6; a++)
            mmio_write64(SIMCTL_BASE + 8 * a, round & 1 ? ~0ULL : next_random());
        unsigned func = round % 128;
        if (func == M5OP_EXIT || func == M5OP_FAIL || func == M5OP_SWITCH_CPU)
            continue;
        mmio_write64(SIMCTL_BASE + 0x40, func);
        (void)mmio_read64(SIMCTL_BASE + 0x48);
    }
    mmio_write64(SIMCTL_BASE + 0x40, ~0ULL);            /* a function number from nowhere */
}

/* The same by instruction: checkpoint (immediately, delayed forever, every nanosecond) and stats. */
static void m5ops(void)
{
    for (int round = 0; round < 3000; round++) {
        switch (round % 5) {
        case 0: m5_checkpoint(0, 0); break;
        case 1: m5_checkpoint(~0UL, 1); break;
        case 2: m5_dump_stats(0, 0); break;
        case 3: m5_reset_stats(~0UL, ~0UL); break;
        default: m5_work_end(next_random(), next_random()); break;
        }
    }
}

/* Values the finisher does not define are ignored; the attack ends with a code no exit status carries. */
static void finisher(void)
{
    for (int round = 0; round < 5000; round++) {
        uint32_t v = (uint32_t)next_random();
        uint16_t low = v & 0xFFFF;
        if (low == FINISHER_PASS || low == FINISHER_FAIL || low == 0x7777)
            continue;
        mmio_write32(FINISHER_BASE, v);
        mmio_write32(FINISHER_BASE + 4 + (round % 1000) * 4, ~v);
    }
    m5_fail(0, 256);                                    /* must still fail, not exit 0 */
}

int main(void)
{
    if (find_disk() && attack <= VIRTIO_STORM)
        finish(99);
    switch (attack) {
    case VIRTIO_REGISTERS: virtio_registers(); break;
    case VIRTIO_HUGE: virtio_huge(); break;
    case VIRTIO_RUNAWAY: virtio_runaway(); break;
    case VIRTIO_STORM: virtio_storm(); break;
    case UART: uart(); break;
    case SIMCTL: simctl(); break;
    case M5OPS: m5ops(); break;
    case FINISHER: finisher(); break;
    default: finish(98);
    }
    finish(0);
    return 0;
}
