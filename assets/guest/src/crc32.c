/* CRC-32 (zlib's) over a 64 KiB pseudo-random buffer, chained SCALE*k times. */
#include <stdint.h>
#include <stdio.h>
#include "crc32.h"

#ifndef SCALE
#define SCALE 1
#endif

#define BUF_SIZE 65536
#define PASSES_PER_SCALE 4

static uint8_t buf[BUF_SIZE];

int main(void)
{
    uint32_t x = 1;
    for (int i = 0; i < BUF_SIZE; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = x >> 24;
    }
    uint32_t check = crc32_update(0, "123456789", 9);
    printf("crc32: check(\"123456789\")=0x%08lx %s\n", (unsigned long)check,
           check == 0xcbf43926u ? "ok" : "WRONG");

    uint32_t crc = 0;
    for (uint32_t pass = 0; pass < SCALE * PASSES_PER_SCALE; pass++)
        crc = crc32_update(crc, buf, BUF_SIZE);
    printf("crc32: passes=%u bytes=%u crc=0x%08lx\n",
           (unsigned)(SCALE * PASSES_PER_SCALE), BUF_SIZE, (unsigned long)crc);
    return check != 0xcbf43926u;
}
