/*
 * Code that changes under the CPU: the cases a simulator with cached decoded
 * or translated code must get right (issue 13). Each case prints one line
 * with its result; the exit code is the number of failed checks.
 *   - code written at run time, then fence.i, then called (many rewrites of
 *     the same bytes, a hot loop over patched code, compressed code);
 *   - an instruction whose two halves lie on two pages, one half rewritten;
 *   - code rewritten with no fence.i, only a call in between (graphsim and
 *     QEMU both see the new bytes: stores to code invalidate what was cached);
 *   - S-mode code at one virtual page remapped to another physical page
 *     (sfence.vma), a second page table switched in through satp, and code
 *     rewritten through another virtual alias of the same physical page.
 * Every change is followed by fence.i or sfence.vma where the ISA needs one,
 * so QEMU is a valid oracle.
 */
#include <stdint.h>
#include <stdio.h>
#include "csr.h"
#include "platform.h"

#define PAGE_SIZE 4096UL
#define PTE_V (1UL << 0)
#define PTE_R (1UL << 1)
#define PTE_W (1UL << 2)
#define PTE_X (1UL << 3)
#define PTE_G (1UL << 5)
#define PTE_A (1UL << 6)
#define PTE_D (1UL << 7)
#define SATP_SV39 (8UL << 60)
#define WIN_VA 0x40000000UL      /* the remapped code page (VA 1 GiB) */

/* Three adjacent writable pages that hold generated code. */
static uint8_t code[3 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t page_a[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t page_b[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint64_t root1[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t root2[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t win_l1[512] __attribute__((aligned(PAGE_SIZE)));
static uint64_t win_l0[512] __attribute__((aligned(PAGE_SIZE)));
static int failures;

typedef long (*fn_t)(long);

/* RV64 encodings */
static uint32_t addi(int rd, int rs1, int imm) { return (uint32_t)(imm & 0xfff) << 20 | rs1 << 15 | rd << 7 | 0x13; }
static uint32_t slli(int rd, int rs1, int sh) { return (uint32_t)sh << 20 | rs1 << 15 | 1 << 12 | rd << 7 | 0x13; }
static uint32_t add(int rd, int rs1, int rs2) { return (uint32_t)rs2 << 20 | rs1 << 15 | rd << 7 | 0x33; }
#define RET 0x00008067u          /* jalr x0, 0(ra) */
#define C_RET 0x8082u            /* c.jr ra */
#define A0 10
#define A1 11
static uint16_t c_li(int rd, int imm) { return 0x4001 | ((imm >> 5) & 1) << 12 | rd << 7 | (imm & 31) << 2; }
static uint16_t c_addi(int rd, int imm) { return 0x0001 | ((imm >> 5) & 1) << 12 | rd << 7 | (imm & 31) << 2; }

static void put32(uint8_t *p, uint32_t w) { for (int i = 0; i < 4; i++) p[i] = w >> (8 * i); }
static void put16(uint8_t *p, uint16_t h) { p[0] = h; p[1] = h >> 8; }
static void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }
static void sfence_vma(void) { __asm__ volatile("sfence.vma" ::: "memory"); }

static void check(const char *name, long got, long want)
{
    printf("%s: %ld (%s)\n", name, got, got == want ? "ok" : "WRONG");
    if (got != want)
        failures++;
}

/* Rewrite the same function 200 times, calling it after each fence.i. */
static void rewrite_and_call(void)
{
    fn_t f = (fn_t)(uintptr_t)code;
    long sum = 0, want = 0;
    for (int k = 0; k < 200; k++) {
        int imm = (k * 37) % 2000 - 1000;
        put32(code, addi(A0, A0, imm));
        put32(code + 4, slli(A0, A0, k % 5));
        put32(code + 8, RET);
        fence_i();
        sum += f(k);
        want += (long)(k + imm) << (k % 5);
    }
    check("rewrite_and_call", sum, want);
}

/* A 64-instruction straight line, one instruction patched per iteration of a hot loop. */
static void hot_patched_loop(void)
{
    fn_t f = (fn_t)(uintptr_t)(code + PAGE_SIZE / 2);
    uint8_t *p = code + PAGE_SIZE / 2;
    int imms[64];
    for (int i = 0; i < 64; i++) {
        imms[i] = i;
        put32(p + 4 * i, addi(A0, A0, i));
    }
    put32(p + 256, RET);
    fence_i();
    long sum = 0, want = 0;
    uint32_t rng = 12345;
    for (int k = 0; k < 3000; k++) {
        rng = rng * 1103515245u + 12345u;
        int i = (rng >> 16) % 64;
        imms[i] = (int)((rng >> 8) % 1024) - 512;
        put32(p + 4 * i, addi(A0, A0, imms[i]));
        fence_i();
        sum += f(k);
        want += k;
        for (int j = 0; j < 64; j++)
            want += imms[j];
    }
    check("hot_patched_loop", sum, want);
}

/* Compressed code: c.li/c.addi rewritten into the same bytes, then a 4-byte instruction in their place. */
static void compressed(void)
{
    uint8_t *p = code + PAGE_SIZE - 64;
    fn_t f = (fn_t)(uintptr_t)p;
    put16(p, c_li(A0, 5));
    put16(p + 2, c_addi(A0, 7));
    put16(p + 4, C_RET);
    fence_i();
    long a = f(0);
    put16(p + 2, c_addi(A0, -3));
    fence_i();
    long b = f(0);
    put32(p, addi(A0, 0, 900));      /* a 4-byte instruction over the two 2-byte ones */
    fence_i();
    long c = f(0);
    check("compressed", a * 10000 + b * 1000 + c, 12 * 10000 + 2 * 1000 + 900);
}

/* A 4-byte instruction at a page's last 2 bytes: its upper half (on the next page) is rewritten. */
static void across_pages(void)
{
    uint8_t *p = code + 2 * PAGE_SIZE - 4;
    fn_t f = (fn_t)(uintptr_t)p;
    put16(p, c_li(A0, 1));
    put32(p + 2, addi(A0, A0, 100));
    put16(p + 6, C_RET);
    fence_i();
    long a = f(0);
    uint32_t w = addi(A0, A0, -200);
    put16(p + 4, w >> 16);            /* only the half on the second page */
    fence_i();
    long b = f(0);
    check("across_pages", a * 1000 + b, 101 * 1000 - 199);
}

/* New code with no fence.i: a call and a return separate the stores from the execution. */
static long __attribute__((noinline)) call_it(fn_t f, long x) { return f(x); }

static void no_fence(void)
{
    fn_t f = (fn_t)(uintptr_t)(code + 2 * PAGE_SIZE + 256);
    uint8_t *p = code + 2 * PAGE_SIZE + 256;
    long sum = 0;
    put32(p, add(A0, A0, A0));
    put32(p + 4, RET);
    fence_i();
    for (int k = 1; k <= 20; k++) {
        sum += call_it(f, k);
        put32(p, addi(A0, A0, k));    /* seen by the next call without fence.i */
    }
    long want = 2;
    for (int k = 2; k <= 20; k++)
        want += k + (k - 1);
    check("no_fence", sum, want);
}

/* ---- S-mode code at a remapped virtual page ---- */
static uint64_t pte(const void *pa, unsigned long flags) { return ((uintptr_t)pa >> 12) << 10 | flags | PTE_V; }

static void write_function(uint8_t *page, int value)
{
    put32(page, addi(A0, A0, value));
    put32(page + 4, RET);
}

/* run_in_s(pc, arg): mret to S-mode at pc with a0 = arg and ra = an ecall back to M; returns a0. */
long run_in_s(uintptr_t pc, long arg);
unsigned long run_in_s_cause;
__asm__(
    ".text\n"
    ".balign 4\n"
    ".globl run_in_s\n"
    "run_in_s:\n"
    "    addi sp, sp, -32\n"
    "    sd ra, 0(sp)\n"
    "    csrr t0, mtvec\n"
    "    sd t0, 8(sp)\n"
    "    la t0, run_in_s_sp\n"
    "    sd sp, 0(t0)\n"
    "    la t0, run_in_s_back\n"
    "    csrw mtvec, t0\n"
    "    li t0, 0x1800\n"
    "    csrc mstatus, t0\n"
    "    li t0, 0x0800\n"
    "    csrs mstatus, t0\n"
    "    csrw mepc, a0\n"
    "    mv a0, a1\n"
    "    la ra, run_in_s_ecall\n"
    "    mret\n"
    "run_in_s_ecall:\n"
    "    ecall\n"
    ".balign 4\n"
    "run_in_s_back:\n"
    "    la t0, run_in_s_sp\n"
    "    ld sp, 0(t0)\n"
    "    csrr t0, mcause\n"
    "    la t1, run_in_s_cause\n"
    "    sd t0, 0(t1)\n"
    "    ld t0, 8(sp)\n"
    "    csrw mtvec, t0\n"
    "    ld ra, 0(sp)\n"
    "    addi sp, sp, 32\n"
    "    ret\n"
    ".data\n"
    ".balign 8\n"
    "run_in_s_sp: .dword 0\n"
    ".text\n");

static long call_s(long arg)
{
    long r = run_in_s(WIN_VA, arg);
    if (run_in_s_cause != CAUSE_ECALL_S)
        printf("  S-mode trap: mcause %lu\n", run_in_s_cause);
    return r;
}

static void remapped_code(void)
{
    csr_write(pmpaddr0, -1UL);        /* S-mode may access everything */
    csr_write(pmpcfg0, 0x1f);
    write_function(page_a, 111);
    write_function(page_b, 222);
    fence_i();
    for (int i = 0; i < 2; i++) {
        uint64_t *root = i ? root2 : root1;
        root[0] = pte((void *)0, PTE_R | PTE_W | PTE_A | PTE_D | PTE_G);
        root[2] = pte((void *)RAM_BASE, PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G);
    }
    root1[1] = pte(win_l1, 0);
    win_l1[0] = pte(win_l0, 0);
    win_l0[0] = pte(page_a, PTE_R | PTE_X | PTE_A);
    /* root2 maps the window straight to page_b with a megapage-free 3-level walk of its own */
    static uint64_t win2_l1[512] __attribute__((aligned(PAGE_SIZE)));
    static uint64_t win2_l0[512] __attribute__((aligned(PAGE_SIZE)));
    root2[1] = pte(win2_l1, 0);
    win2_l1[0] = pte(win2_l0, 0);
    win2_l0[0] = pte(page_b, PTE_R | PTE_X | PTE_A);

    csr_write(satp, SATP_SV39 | (uintptr_t)root1 >> 12);
    sfence_vma();
    long r[6];
    r[0] = call_s(1);                                 /* page_a: 112 */
    win_l0[0] = pte(page_b, PTE_R | PTE_X | PTE_A);   /* remap the virtual page */
    sfence_vma();
    r[1] = call_s(1);                                 /* page_b: 223 */
    win_l0[0] = pte(page_a, PTE_R | PTE_X | PTE_A);
    sfence_vma();
    r[2] = call_s(2);                                 /* page_a again: 113 */
    csr_write(satp, SATP_SV39 | (uintptr_t)root2 >> 12);   /* another page table */
    sfence_vma();
    r[3] = call_s(3);                                 /* page_b: 225 */
    write_function(page_b, 333);                      /* rewrite through the identity alias */
    fence_i();
    r[4] = call_s(3);                                 /* 336 */
    csr_write(satp, SATP_SV39 | (uintptr_t)root1 >> 12);
    sfence_vma();
    r[5] = call_s(4);                                 /* page_a: 115 */
    csr_write(satp, 0);
    sfence_vma();
    long want[6] = {112, 223, 113, 225, 336, 115};
    long got = 0, expect = 0;
    for (int i = 0; i < 6; i++) {
        printf("  remapped call %d: %ld\n", i, r[i]);
        got = got * 1000 + r[i];
        expect = expect * 1000 + want[i];
    }
    check("remapped_code", got, expect);
}

int main(void)
{
    rewrite_and_call();
    hot_patched_loop();
    compressed();
    across_pages();
    no_fence();
    remapped_code();
    printf("selfmod: %d failed\n", failures);
    return failures;
}
