/* /hi: a glibc hello that prints a double with printf (the gem5 workflow's
 * first program after a restore). */
#include <stdio.h>

int main(void) {
    volatile double third = 1.0 / 3.0;
    printf("hi from graphsim's Linux system: 1/3 = %.17g, pi ~ %f\n", third, 355.0 / 113.0);
    return 0;
}
