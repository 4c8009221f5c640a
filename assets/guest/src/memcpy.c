/* memcpy/memmove/memset (picolibc's) over many sizes and alignments. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef SCALE
#define SCALE 1
#endif

#define BUF 65536
#define ROUNDS_PER_SCALE 4

static uint8_t src[BUF + 64], dst[BUF + 64];

static const uint32_t sizes[] = {1, 3, 8, 15, 64, 255, 1024, 4096, 32768};
static const uint32_t aligns[] = {0, 1, 3, 4, 7};

int main(void)
{
    uint32_t x = 7;
    for (int i = 0; i < BUF + 64; i++) {
        x = x * 1103515245u + 12345u;
        src[i] = x >> 16;
    }

    uint32_t acc = 0;
    for (uint32_t round = 0; round < SCALE * ROUNDS_PER_SCALE; round++) {
        for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (unsigned a = 0; a < sizeof aligns / sizeof aligns[0]; a++) {
                uint32_t n = sizes[s], d = aligns[a];
                memcpy(dst + d, src + (round + n) % 64, n);
                acc = acc * 31 + dst[d + n / 2] + dst[d + n - 1];
            }
        memmove(dst + 1, dst, 16384);       /* overlapping, forwards */
        memmove(dst, dst + 3, 16384);       /* overlapping, backwards */
        memset(dst + round % 16, (int)(round & 0xff), 8192);
        acc = acc * 31 + dst[round % BUF];
    }

    uint32_t fnv = 2166136261u;             /* FNV-1a over the final buffer */
    for (int i = 0; i < BUF + 64; i++)
        fnv = (fnv ^ dst[i]) * 16777619u;
    printf("memcpy: rounds=%u acc=0x%08lx fnv=0x%08lx\n",
           (unsigned)(SCALE * ROUNDS_PER_SCALE), (unsigned long)acc, (unsigned long)fnv);
    return 0;
}
