/* The smallest guest: one line on the console, exit code 0. */
#include <stdio.h>

int main(void)
{
    printf("Hello from graphsim guest (RV%d)\n", __riscv_xlen);
    return 0;
}
