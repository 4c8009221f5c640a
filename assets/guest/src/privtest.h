/* Constants shared by privtest.c and privtest_vectors.S. */
#ifndef PRIVTEST_H
#define PRIVTEST_H

#define SYS_EXIT 1              /* a7 of the ecall that ends a probe */
#define SYS_TEST 2              /* a7 of an ecall under test */

#define MSTATUS_MPP_BITS (3 << 11)
#define SSTATUS_SPP_BIT  (1 << 8)

#endif
