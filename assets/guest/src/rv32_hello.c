/*
 * RV32 guest (qemu-system-riscv32): a greeting plus a few computations that
 * exercise 32-bit code paths, 64-bit arithmetic done in software (libgcc),
 * and the same CRC32 as the RV64 guests.
 */
#include <stdint.h>
#include <stdio.h>
#include "crc32.h"

/* div/rem through the instructions: these cases are undefined in C */
static int32_t div_insn(int32_t a, int32_t b)
{
    int32_t q;
    __asm__("div %0, %1, %2" : "=r"(q) : "r"(a), "r"(b));
    return q;
}

static int32_t rem_insn(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("rem %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

int main(void)
{
    printf("Hello from graphsim guest (RV%d)\n", __riscv_xlen);

    /* 64-bit multiply/divide/modulo on a 32-bit machine */
    uint64_t f = 1;
    for (uint32_t i = 1; i <= 20; i++)
        f *= i;
    volatile uint64_t divisor = 1000003;
    printf("rv32: 20! = %llu, 20! / 1000003 = %llu, 20! %% 1000003 = %llu\n",
           (unsigned long long)f, (unsigned long long)(f / divisor),
           (unsigned long long)(f % divisor));

    /* division corner cases, defined by the ISA */
    printf("rv32: INT32_MIN / -1 = %ld, INT32_MIN %% -1 = %ld, 7 / 0 = %ld, 7 %% 0 = %ld\n",
           (long)div_insn(INT32_MIN, -1), (long)rem_insn(INT32_MIN, -1),
           (long)div_insn(7, 0), (long)rem_insn(7, 0));

    uint32_t x = 1, acc = 0;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        acc += x;
    }
    printf("rv32: xorshift sum=0x%08lx crc32(\"123456789\")=0x%08lx\n", (unsigned long)acc,
           (unsigned long)crc32_update(0, "123456789", 9));
    return 0;
}
