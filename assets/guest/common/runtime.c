/*
 * C runtime for the guests: per-hart TLS, main()/secondary_main() dispatch,
 * exit() through the SiFive test finisher, and the default M-mode trap hook.
 */
#include <stdio.h>
#include <stdlib.h>
#include "csr.h"
#include "platform.h"
#include "trap.h"

#define MAX_HARTS 8             /* as in crt0.S */

int main(void);
void _init_tls(void *tls);      /* picolibc: copies .tdata, clears .tbss */
void _park(void) __attribute__((noreturn));

static char tls_blocks[MAX_HARTS][256] __attribute__((aligned(64)));

/* Harts other than 0 run this; programs that use several harts override it. */
__attribute__((weak)) void secondary_main(unsigned long hartid)
{
    (void)hartid;
}

void __attribute__((noreturn)) _cstart(unsigned long hartid)
{
    _init_tls(tls_blocks[hartid]);
    __asm__ volatile("mv tp, %0" : : "r"(tls_blocks[hartid]));
    if (hartid != 0) {
        secondary_main(hartid);
        _park();
    }
    exit(main());
}

void __attribute__((noreturn)) _exit(int code)
{
#ifdef GUEST_REPORT_INSTRET
    /* Measurement builds only (make measure): QEMU -icount makes minstret exact. */
    fprintf(stderr, "instret: %lu\n", csr_read(minstret));
#endif
    uint32_t v = code == 0 ? FINISHER_PASS : ((uint32_t)code << 16) | FINISHER_FAIL;
    for (;;)
        mmio_write32(FINISHER_BASE, v);
}

__attribute__((weak)) void mtrap_handler(struct trap_frame *f, unsigned long vec)
{
    (void)vec;
    printf("unexpected trap: mcause=0x%lx mepc=0x%lx mtval=0x%lx\n",
           f->cause, f->epc, f->tval);
    exit(125);
}
