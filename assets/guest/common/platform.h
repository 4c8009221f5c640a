/* QEMU virt memory map (graphsim implements the same one). */
#ifndef GUEST_PLATFORM_H
#define GUEST_PLATFORM_H

#include <stdint.h>

#define RAM_BASE            0x80000000UL

#define FINISHER_BASE       0x00100000UL    /* SiFive test device */
#define FINISHER_PASS       0x5555
#define FINISHER_FAIL       0x3333          /* | (exit code << 16) */

#define CLINT_BASE          0x02000000UL
#define CLINT_MSIP(hart)    (CLINT_BASE + 4 * (hart))
#define CLINT_MTIMECMP(hart) (CLINT_BASE + 0x4000 + 8 * (hart))
#define CLINT_MTIME         (CLINT_BASE + 0xbff8)
#define TIMEBASE_HZ         10000000UL

#define PLIC_BASE           0x0c000000UL
#define PLIC_PRIORITY(irq)  (PLIC_BASE + 4 * (irq))
#define PLIC_PENDING(irq)   (PLIC_BASE + 0x1000 + 4 * ((irq) / 32))
#define PLIC_ENABLE(ctx, irq) (PLIC_BASE + 0x2000 + 0x80 * (ctx) + 4 * ((irq) / 32))
#define PLIC_THRESHOLD(ctx) (PLIC_BASE + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)     (PLIC_BASE + 0x200004 + 0x1000 * (ctx))
#define PLIC_CTX_HART0_M    0
#define PLIC_CTX_HART0_S    1

#define UART0_BASE          0x10000000UL
#define UART0_IRQ           10

#define VIRTIO_MMIO_BASE    0x10001000UL
#define VIRTIO_MMIO_STRIDE  0x1000UL
#define VIRTIO_MMIO_SLOTS   8
#define VIRTIO_MMIO_IRQ(i)  (1 + (i))

static inline uint8_t mmio_read8(uintptr_t a) { return *(volatile uint8_t *)a; }
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write8(uintptr_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
#if __riscv_xlen == 64
static inline uint64_t mmio_read64(uintptr_t a) { return *(volatile uint64_t *)a; }
static inline void mmio_write64(uintptr_t a, uint64_t v) { *(volatile uint64_t *)a = v; }
#endif

#endif
