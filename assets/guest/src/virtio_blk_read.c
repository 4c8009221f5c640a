/*
 * Minimal virtio-blk driver over virtio-mmio (modern interface, version 2):
 * finds the disk among the 8 transport slots, negotiates VIRTIO_F_VERSION_1,
 * sets up one split virtqueue and polls its used ring.  Prints the capacity
 * and the CRC32 of the whole disk, then writes the last sector and reads it
 * back.  QEMU: -global virtio-mmio.force-legacy=false
 *   -drive file=IMG,if=none,format=raw,id=d0,snapshot=on
 *   -device virtio-blk-device,drive=d0
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "crc32.h"
#include "platform.h"

/* virtio-mmio registers */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100

#define VIRTIO_MAGIC            0x74726976      /* "virt" */
#define VIRTIO_ID_BLOCK         2

#define STATUS_ACKNOWLEDGE      1
#define STATUS_DRIVER           2
#define STATUS_DRIVER_OK        4
#define STATUS_FEATURES_OK      8

#define VIRTIO_F_VERSION_1      32
#define VIRTIO_BLK_F_RO         5

#define VIRTQ_DESC_F_NEXT       1
#define VIRTQ_DESC_F_WRITE      2               /* device writes this buffer */

#define VIRTIO_BLK_T_IN         0
#define VIRTIO_BLK_T_OUT        1
#define VIRTIO_BLK_S_OK         0

#define SECTOR_SIZE             512
#define CHUNK_SECTORS           8
#define QSIZE                   8

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[QSIZE];
    uint16_t used_event;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct { uint32_t id; uint32_t len; } ring[QSIZE];
    uint16_t avail_event;
};

struct blk_req_header {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

static struct virtq_desc desc[QSIZE] __attribute__((aligned(16)));
static struct virtq_avail avail __attribute__((aligned(2)));
static volatile struct virtq_used used __attribute__((aligned(4)));
static struct blk_req_header req_header;
static volatile uint8_t req_status;
static uint8_t buffer[CHUNK_SECTORS * SECTOR_SIZE] __attribute__((aligned(16)));
static uint16_t last_used;
static uintptr_t dev;

static uint32_t reg_read(unsigned off) { return mmio_read32(dev + off); }
static void reg_write(unsigned off, uint32_t v) { mmio_write32(dev + off, v); }

static int find_device(void)
{
    for (int slot = 0; slot < VIRTIO_MMIO_SLOTS; slot++) {
        dev = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_STRIDE;
        if (reg_read(VIRTIO_MMIO_MAGIC_VALUE) == VIRTIO_MAGIC &&
            reg_read(VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_BLOCK)
            return slot;
    }
    return -1;
}

static uint64_t device_features(void)
{
    reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    uint64_t hi = reg_read(VIRTIO_MMIO_DEVICE_FEATURES);
    reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    return hi << 32 | reg_read(VIRTIO_MMIO_DEVICE_FEATURES);
}

/* Device initialisation, virtio 1.x section 3.1.1; returns an error text or NULL. */
static const char *init_device(uint64_t *features)
{
    reg_write(VIRTIO_MMIO_STATUS, 0);
    reg_write(VIRTIO_MMIO_STATUS, STATUS_ACKNOWLEDGE);
    reg_write(VIRTIO_MMIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);

    *features = device_features();
    if (!(*features >> VIRTIO_F_VERSION_1 & 1))
        return "device does not offer VIRTIO_F_VERSION_1";
    uint64_t accept = 1ULL << VIRTIO_F_VERSION_1;
    reg_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    reg_write(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accept);
    reg_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    reg_write(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accept >> 32));
    reg_write(VIRTIO_MMIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    if (!(reg_read(VIRTIO_MMIO_STATUS) & STATUS_FEATURES_OK))
        return "device refused the features";

    reg_write(VIRTIO_MMIO_QUEUE_SEL, 0);
    if (reg_read(VIRTIO_MMIO_QUEUE_READY))
        return "queue 0 already in use";
    if (reg_read(VIRTIO_MMIO_QUEUE_NUM_MAX) < QSIZE)
        return "queue 0 too small";
    reg_write(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
    uint64_t d = (uintptr_t)desc, a = (uintptr_t)&avail, u = (uintptr_t)&used;
    reg_write(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
    reg_write(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
    reg_write(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)a);
    reg_write(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
    reg_write(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
    reg_write(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
    reg_write(VIRTIO_MMIO_QUEUE_READY, 1);

    reg_write(VIRTIO_MMIO_STATUS,
              STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    return NULL;
}

static uint64_t capacity_sectors(void)
{
    uint32_t gen, lo, hi;
    do {    /* the 64-bit field is read in two halves: retry if it changed */
        gen = reg_read(VIRTIO_MMIO_CONFIG_GENERATION);
        lo = reg_read(VIRTIO_MMIO_CONFIG);
        hi = reg_read(VIRTIO_MMIO_CONFIG + 4);
    } while (gen != reg_read(VIRTIO_MMIO_CONFIG_GENERATION));
    return (uint64_t)hi << 32 | lo;
}

/* One request as a 3-descriptor chain: header, data, status; polled. */
static int blk_request(uint32_t type, uint64_t sector, uint32_t nsectors)
{
    req_header.type = type;
    req_header.reserved = 0;
    req_header.sector = sector;
    req_status = 0xff;

    desc[0] = (struct virtq_desc){(uintptr_t)&req_header, sizeof req_header, VIRTQ_DESC_F_NEXT, 1};
    desc[1] = (struct virtq_desc){(uintptr_t)buffer, nsectors * SECTOR_SIZE,
                                  VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0), 2};
    desc[2] = (struct virtq_desc){(uintptr_t)&req_status, 1, VIRTQ_DESC_F_WRITE, 0};

    avail.ring[avail.idx % QSIZE] = 0;
    __sync_synchronize();               /* descriptors before the index */
    avail.idx++;
    __sync_synchronize();               /* index before the notification */
    reg_write(VIRTIO_MMIO_QUEUE_NOTIFY, 0);

    while (used.idx == last_used)
        ;
    __sync_synchronize();
    last_used++;
    reg_write(VIRTIO_MMIO_INTERRUPT_ACK, reg_read(VIRTIO_MMIO_INTERRUPT_STATUS));
    return req_status == VIRTIO_BLK_S_OK ? 0 : -1;
}

int main(void)
{
    int slot = find_device();
    if (slot < 0) {
        printf("virtio-blk: no device found (version 2 transport needed)\n");
        return 1;
    }
    printf("virtio-blk: found at slot %d (0x%lx), transport version %lu\n", slot,
           (unsigned long)dev, (unsigned long)reg_read(VIRTIO_MMIO_VERSION));

    uint64_t features;
    const char *err = init_device(&features);
    if (err) {
        printf("virtio-blk: %s\n", err);
        return 1;
    }
    uint64_t sectors = capacity_sectors();
    printf("virtio-blk: capacity %llu sectors (%llu bytes)\n", (unsigned long long)sectors,
           (unsigned long long)sectors * SECTOR_SIZE);

    uint32_t crc = 0;
    for (uint64_t s = 0; s < sectors; s += CHUNK_SECTORS) {
        uint32_t n = sectors - s < CHUNK_SECTORS ? (uint32_t)(sectors - s) : CHUNK_SECTORS;
        if (blk_request(VIRTIO_BLK_T_IN, s, n)) {
            printf("virtio-blk: read error at sector %llu\n", (unsigned long long)s);
            return 1;
        }
        crc = crc32_update(crc, buffer, n * SECTOR_SIZE);
    }
    printf("virtio-blk: read all sectors, crc32=0x%08lx\n", (unsigned long)crc);

    if (features >> VIRTIO_BLK_F_RO & 1) {
        printf("virtio-blk: device is read-only, write test skipped\n");
        return 0;
    }
    uint64_t target = sectors - 1;
    for (int i = 0; i < SECTOR_SIZE; i++)
        buffer[i] = (uint8_t)(i ^ 0xa5);
    if (blk_request(VIRTIO_BLK_T_OUT, target, 1)) {
        printf("virtio-blk: write error\n");
        return 1;
    }
    memset(buffer, 0, SECTOR_SIZE);
    if (blk_request(VIRTIO_BLK_T_IN, target, 1)) {
        printf("virtio-blk: read-back error\n");
        return 1;
    }
    int match = 1;
    for (int i = 0; i < SECTOR_SIZE; i++)
        match &= buffer[i] == (uint8_t)(i ^ 0xa5);
    printf("virtio-blk: wrote sector %llu and read it back: %s\n", (unsigned long long)target,
           match ? "match" : "MISMATCH");
    return !match;
}
