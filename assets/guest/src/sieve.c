/* Sieve of Eratosthenes, SCALE rounds over slightly different limits. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef SCALE
#define SCALE 1
#endif

#define LIMIT 250000

static uint8_t composite[LIMIT + 1];

static uint32_t sieve(uint32_t limit, uint64_t *sum)
{
    uint32_t count = 0;
    memset(composite, 0, limit + 1);
    for (uint32_t i = 2; i <= limit; i++) {
        if (composite[i])
            continue;
        count++;
        *sum += i;
        for (uint64_t j = (uint64_t)i * i; j <= limit; j += i)
            composite[j] = 1;
    }
    return count;
}

int main(void)
{
    uint64_t primes = 0, sum = 0;
    for (uint32_t round = 0; round < SCALE; round++)
        primes += sieve(LIMIT - round % 1024, &sum);
    printf("sieve: rounds=%u limit=%u primes=%llu sum=%llu\n",
           (unsigned)SCALE, (unsigned)LIMIT, (unsigned long long)primes,
           (unsigned long long)sum);
    return 0;
}
