/* Integer matrix multiply C = A * B (N x N, 32-bit wrap-around), SCALE rounds. */
#include <stdint.h>
#include <stdio.h>

#ifndef SCALE
#define SCALE 1
#endif

#define N 80

static int32_t A[N][N], B[N][N], C[N][N];

static void matmul(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < N; k++)
                s += A[i][k] * B[k][j];
            C[i][j] = s;
        }
}

int main(void)
{
    uint32_t checksum = 0;
    for (uint32_t round = 0; round < SCALE; round++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                A[i][j] = (int32_t)((i * 7 + j * 3 + round) % 101) - 50;
                B[i][j] = (int32_t)((i * 5 + j * 11 + round * 3) % 97) - 48;
            }
        matmul();
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++)
                checksum = checksum * 33 + (uint32_t)C[i][j];
    }
    printf("matmul: rounds=%u n=%u C[0][0]=%ld C[%u][%u]=%ld checksum=0x%08lx\n",
           (unsigned)SCALE, N, (long)C[0][0], N - 1, N - 1, (long)C[N - 1][N - 1],
           (unsigned long)checksum);
    return 0;
}
