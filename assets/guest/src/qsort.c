/* Quicksort of pseudo-random words, SCALE rounds with different seeds. */
#include <stdint.h>
#include <stdio.h>

#ifndef SCALE
#define SCALE 1
#endif

#define N 20000

static uint32_t a[N];

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void insertion_sort(uint32_t *v, int n)
{
    for (int i = 1; i < n; i++) {
        uint32_t x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void swap(uint32_t *x, uint32_t *y)
{
    uint32_t t = *x;
    *x = *y;
    *y = t;
}

/* Hoare partition around a median-of-three pivot; recurse on the smaller side. */
static void quicksort(uint32_t *v, int n)
{
    while (n > 16) {
        int mid = n / 2;
        if (v[mid] < v[0]) swap(&v[mid], &v[0]);
        if (v[n - 1] < v[0]) swap(&v[n - 1], &v[0]);
        if (v[n - 1] < v[mid]) swap(&v[n - 1], &v[mid]);
        uint32_t pivot = v[mid];
        int i = -1, j = n;
        for (;;) {
            do i++; while (v[i] < pivot);
            do j--; while (v[j] > pivot);
            if (i >= j)
                break;
            swap(&v[i], &v[j]);
        }
        int left = j + 1;
        if (left < n - left) {
            quicksort(v, left);
            v += left;
            n -= left;
        } else {
            quicksort(v + left, n - left);
            n = left;
        }
    }
    insertion_sort(v, n);
}

int main(void)
{
    uint32_t checksum = 0, unsorted = 0;
    for (uint32_t round = 0; round < SCALE; round++) {
        uint32_t seed = 0x12345678u + round;
        for (int i = 0; i < N; i++)
            a[i] = xorshift32(&seed);
        quicksort(a, N);
        for (int i = 1; i < N; i++)
            unsorted += a[i - 1] > a[i];
        for (int i = 0; i < N; i++)
            checksum = checksum * 31 + a[i];
    }
    printf("qsort: rounds=%u n=%u %s checksum=0x%08lx\n", (unsigned)SCALE, N,
           unsorted ? "UNSORTED" : "sorted", (unsigned long)checksum);
    return unsorted != 0;
}
