/*
 * F and D conformance: every instruction of both extensions over special
 * values and generated operands, under each static rounding mode and the
 * dynamic one, printed compactly for comparison with QEMU (softfloat).
 *
 * Operands go in and results come out through memory (flw/fld, fsw/fsd), so
 * the same code runs on RV32.  Each line is one instruction and mode:
 *   <insn> <mode> <hash of the special-value cases> <hash of generated cases> <OR of fflags>
 * The hash (FNV-1a-like, per 32-bit word) covers every result and its fflags.
 * Mode "dyn" runs the instruction with rm=dyn and frm cycling 0..4.
 * Building with -DFP_VERBOSE prints every case instead (to find a mismatch).
 * Then the hand-written checks: NaN-boxing, fmv sign extension, misaligned
 * and compressed loads/stores, fcsr aliasing, reserved rounding modes and
 * FS=Off (each must be an illegal-instruction trap, caught and printed).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "csr.h"
#include "trap.h"

#if __riscv_xlen == 64
#define RV64 1
#else
#define RV64 0
#endif

#define MSTATUS_FS (3UL << 13)

typedef unsigned (*opfn)(const void *a, const void *b, const void *c, void *r);

/* --- instruction wrappers, one per instruction and rounding mode --------- */

#define F_RR(NAME, LD, ST, INSN, RM)                                                       \
    static unsigned NAME(const void *a, const void *b, const void *c, void *r)            \
    {                                                                                      \
        unsigned fl;                                                                       \
        (void)c;                                                                           \
        __asm__ volatile(LD " ft0, 0(%1)\n\t" LD " ft1, 0(%2)\n\tcsrw fflags, zero\n\t"    \
                         INSN " ft2, ft0, ft1" RM "\n\t" ST " ft2, 0(%3)\n\tcsrr %0, fflags" \
                         : "=&r"(fl) : "r"(a), "r"(b), "r"(r) : "ft0", "ft1", "ft2", "memory"); \
        return fl;                                                                         \
    }

#define F_R(NAME, LD, ST, INSN, RM)                                                        \
    static unsigned NAME(const void *a, const void *b, const void *c, void *r)            \
    {                                                                                      \
        unsigned fl;                                                                       \
        (void)b, (void)c;                                                                  \
        __asm__ volatile(LD " ft0, 0(%1)\n\tcsrw fflags, zero\n\t"                          \
                         INSN " ft2, ft0" RM "\n\t" ST " ft2, 0(%2)\n\tcsrr %0, fflags"     \
                         : "=&r"(fl) : "r"(a), "r"(r) : "ft0", "ft2", "memory");           \
        return fl;                                                                         \
    }

#define F_RRR(NAME, LD, ST, INSN, RM)                                                      \
    static unsigned NAME(const void *a, const void *b, const void *c, void *r)            \
    {                                                                                      \
        unsigned fl;                                                                       \
        __asm__ volatile(LD " ft0, 0(%1)\n\t" LD " ft1, 0(%2)\n\t" LD " ft3, 0(%3)\n\t"     \
                         "csrw fflags, zero\n\t" INSN " ft2, ft0, ft1, ft3" RM "\n\t"       \
                         ST " ft2, 0(%4)\n\tcsrr %0, fflags"                               \
                         : "=&r"(fl) : "r"(a), "r"(b), "r"(c), "r"(r)                       \
                         : "ft0", "ft1", "ft2", "ft3", "memory");                          \
        return fl;                                                                         \
    }

/* float operands, integer result (compares, fclass, fcvt to integer) */
#define F_TOX2(NAME, LD, INSN)                                                             \
    static unsigned NAME(const void *a, const void *b, const void *c, void *r)            \
    {                                                                                      \
        unsigned fl;                                                                       \
        long v;                                                                            \
        (void)c;                                                                           \
        __asm__ volatile(LD " ft0, 0(%2)\n\t" LD " ft1, 0(%3)\n\tcsrw fflags, zero\n\t"    \
                         INSN " %1, ft0, ft1\n\tcsrr %0, fflags"                          \
                         : "=&r"(fl), "=&r"(v) : "r"(a), "r"(b) : "ft0", "ft1", "memory"); \
        *(long *)r = v;                                                                    \
        return fl;                                                                         \
    }

#define F_TOX(NAME, LD, INSN, RM)                                                          \
    static unsigned NAME(const void *a, const void *b, const void *c, void *r)            \
    {                                                                                      \
        unsigned fl;                                                                       \
        long v;                                                                            \
        (void)b, (void)c;                                                                  \
        __asm__ volatile(LD " ft0, 0(%2)\n\tcsrw fflags, zero\n\t"                          \
                         INSN " %1, ft0" RM "\n\tcsrr %0, fflags"                           \
                         : "=&r"(fl), "=&r"(v) : "r"(a) : "ft0", "memory");                \
        *(long *)r = v;                                                                    \
        return fl;                                                                         \
    }

/* integer operand, float result */
#define F_FROMX(NAME, ST, INSN, RM)                                                        \
    static unsigned NAME(const void *a, const void *b, const void *c, void *r)            \
    {                                                                                      \
        unsigned fl;                                                                       \
        (void)b, (void)c;                                                                  \
        __asm__ volatile("csrw fflags, zero\n\t" INSN " ft2, %1" RM "\n\t"                  \
                         ST " ft2, 0(%2)\n\tcsrr %0, fflags"                               \
                         : "=&r"(fl) : "r"(*(const long *)a), "r"(r) : "ft2", "memory");   \
        return fl;                                                                         \
    }

/* the six rounding-mode variants of one instruction and their table row */
#define MODES6(KIND, N, LD, ST, INSN)                                                      \
    KIND(N##_dyn, LD, ST, INSN, "") KIND(N##_rne, LD, ST, INSN, ", rne")                   \
    KIND(N##_rtz, LD, ST, INSN, ", rtz") KIND(N##_rdn, LD, ST, INSN, ", rdn")              \
    KIND(N##_rup, LD, ST, INSN, ", rup") KIND(N##_rmm, LD, ST, INSN, ", rmm")
#define TOX6(N, LD, INSN)                                                                  \
    F_TOX(N##_dyn, LD, INSN, "") F_TOX(N##_rne, LD, INSN, ", rne")                         \
    F_TOX(N##_rtz, LD, INSN, ", rtz") F_TOX(N##_rdn, LD, INSN, ", rdn")                    \
    F_TOX(N##_rup, LD, INSN, ", rup") F_TOX(N##_rmm, LD, INSN, ", rmm")
#define FROMX6(N, ST, INSN)                                                                \
    F_FROMX(N##_dyn, ST, INSN, "") F_FROMX(N##_rne, ST, INSN, ", rne")                     \
    F_FROMX(N##_rtz, ST, INSN, ", rtz") F_FROMX(N##_rdn, ST, INSN, ", rdn")                \
    F_FROMX(N##_rup, ST, INSN, ", rup") F_FROMX(N##_rmm, ST, INSN, ", rmm")
#define ROW6(N) {N##_dyn, N##_rne, N##_rtz, N##_rdn, N##_rup, N##_rmm}
#define ROW1(N) {N, 0, 0, 0, 0, 0}

/* double precision */
MODES6(F_RR, faddd, "fld", "fsd", "fadd.d")
MODES6(F_RR, fsubd, "fld", "fsd", "fsub.d")
MODES6(F_RR, fmuld, "fld", "fsd", "fmul.d")
MODES6(F_RR, fdivd, "fld", "fsd", "fdiv.d")
MODES6(F_R, fsqrtd, "fld", "fsd", "fsqrt.d")
MODES6(F_RRR, fmaddd, "fld", "fsd", "fmadd.d")
MODES6(F_RRR, fmsubd, "fld", "fsd", "fmsub.d")
MODES6(F_RRR, fnmsubd, "fld", "fsd", "fnmsub.d")
MODES6(F_RRR, fnmaddd, "fld", "fsd", "fnmadd.d")
F_RR(fmind, "fld", "fsd", "fmin.d", "")
F_RR(fmaxd, "fld", "fsd", "fmax.d", "")
F_RR(fsgnjd, "fld", "fsd", "fsgnj.d", "")
F_RR(fsgnjnd, "fld", "fsd", "fsgnjn.d", "")
F_RR(fsgnjxd, "fld", "fsd", "fsgnjx.d", "")
F_TOX2(feqd, "fld", "feq.d")
F_TOX2(fltd, "fld", "flt.d")
F_TOX2(fled, "fld", "fle.d")
F_TOX(fclassd, "fld", "fclass.d", "")
TOX6(fcvtwd, "fld", "fcvt.w.d")
TOX6(fcvtwud, "fld", "fcvt.wu.d")
F_FROMX(fcvtdw, "fsd", "fcvt.d.w", "")
F_FROMX(fcvtdwu, "fsd", "fcvt.d.wu", "")
MODES6(F_R, fcvtsd, "fld", "fsw", "fcvt.s.d")
F_R(fcvtds, "flw", "fsd", "fcvt.d.s", "")
#if RV64
TOX6(fcvtld, "fld", "fcvt.l.d")
TOX6(fcvtlud, "fld", "fcvt.lu.d")
FROMX6(fcvtdl, "fsd", "fcvt.d.l")
FROMX6(fcvtdlu, "fsd", "fcvt.d.lu")
#endif

/* single precision */
MODES6(F_RR, fadds, "flw", "fsw", "fadd.s")
MODES6(F_RR, fsubs, "flw", "fsw", "fsub.s")
MODES6(F_RR, fmuls, "flw", "fsw", "fmul.s")
MODES6(F_RR, fdivs, "flw", "fsw", "fdiv.s")
MODES6(F_R, fsqrts, "flw", "fsw", "fsqrt.s")
MODES6(F_RRR, fmadds, "flw", "fsw", "fmadd.s")
MODES6(F_RRR, fmsubs, "flw", "fsw", "fmsub.s")
MODES6(F_RRR, fnmsubs, "flw", "fsw", "fnmsub.s")
MODES6(F_RRR, fnmadds, "flw", "fsw", "fnmadd.s")
F_RR(fmins, "flw", "fsw", "fmin.s", "")
F_RR(fmaxs, "flw", "fsw", "fmax.s", "")
F_RR(fsgnjs, "flw", "fsw", "fsgnj.s", "")
F_RR(fsgnjns, "flw", "fsw", "fsgnjn.s", "")
F_RR(fsgnjxs, "flw", "fsw", "fsgnjx.s", "")
F_TOX2(feqs, "flw", "feq.s")
F_TOX2(flts, "flw", "flt.s")
F_TOX2(fles, "flw", "fle.s")
F_TOX(fclasss, "flw", "fclass.s", "")
TOX6(fcvtws, "flw", "fcvt.w.s")
TOX6(fcvtwus, "flw", "fcvt.wu.s")
FROMX6(fcvtsw, "fsw", "fcvt.s.w")
FROMX6(fcvtswu, "fsw", "fcvt.s.wu")
#if RV64
TOX6(fcvtls, "flw", "fcvt.l.s")
TOX6(fcvtlus, "flw", "fcvt.lu.s")
FROMX6(fcvtsl, "fsw", "fcvt.s.l")
FROMX6(fcvtslu, "fsw", "fcvt.s.lu")
#endif

/* operand and result kinds */
enum { T_D, T_S, T_X };

struct op {
    const char *name;
    opfn fn[6]; /* dyn, rne, rtz, rdn, rup, rmm; only [0] (no rm) when fn[1] is 0 */
    int nargs;
    int in; /* operand kind */
    int out; /* result kind */
};

static const struct op OPS[] = {
    {"fadd.d", ROW6(faddd), 2, T_D, T_D},
    {"fsub.d", ROW6(fsubd), 2, T_D, T_D},
    {"fmul.d", ROW6(fmuld), 2, T_D, T_D},
    {"fdiv.d", ROW6(fdivd), 2, T_D, T_D},
    {"fsqrt.d", ROW6(fsqrtd), 1, T_D, T_D},
    {"fmadd.d", ROW6(fmaddd), 3, T_D, T_D},
    {"fmsub.d", ROW6(fmsubd), 3, T_D, T_D},
    {"fnmsub.d", ROW6(fnmsubd), 3, T_D, T_D},
    {"fnmadd.d", ROW6(fnmaddd), 3, T_D, T_D},
    {"fmin.d", ROW1(fmind), 2, T_D, T_D},
    {"fmax.d", ROW1(fmaxd), 2, T_D, T_D},
    {"fsgnj.d", ROW1(fsgnjd), 2, T_D, T_D},
    {"fsgnjn.d", ROW1(fsgnjnd), 2, T_D, T_D},
    {"fsgnjx.d", ROW1(fsgnjxd), 2, T_D, T_D},
    {"feq.d", ROW1(feqd), 2, T_D, T_X},
    {"flt.d", ROW1(fltd), 2, T_D, T_X},
    {"fle.d", ROW1(fled), 2, T_D, T_X},
    {"fclass.d", ROW1(fclassd), 1, T_D, T_X},
    {"fcvt.w.d", ROW6(fcvtwd), 1, T_D, T_X},
    {"fcvt.wu.d", ROW6(fcvtwud), 1, T_D, T_X},
    {"fcvt.d.w", ROW1(fcvtdw), 1, T_X, T_D},
    {"fcvt.d.wu", ROW1(fcvtdwu), 1, T_X, T_D},
    {"fcvt.s.d", ROW6(fcvtsd), 1, T_D, T_S},
    {"fcvt.d.s", ROW1(fcvtds), 1, T_S, T_D},
#if RV64
    {"fcvt.l.d", ROW6(fcvtld), 1, T_D, T_X},
    {"fcvt.lu.d", ROW6(fcvtlud), 1, T_D, T_X},
    {"fcvt.d.l", ROW6(fcvtdl), 1, T_X, T_D},
    {"fcvt.d.lu", ROW6(fcvtdlu), 1, T_X, T_D},
#endif
    {"fadd.s", ROW6(fadds), 2, T_S, T_S},
    {"fsub.s", ROW6(fsubs), 2, T_S, T_S},
    {"fmul.s", ROW6(fmuls), 2, T_S, T_S},
    {"fdiv.s", ROW6(fdivs), 2, T_S, T_S},
    {"fsqrt.s", ROW6(fsqrts), 1, T_S, T_S},
    {"fmadd.s", ROW6(fmadds), 3, T_S, T_S},
    {"fmsub.s", ROW6(fmsubs), 3, T_S, T_S},
    {"fnmsub.s", ROW6(fnmsubs), 3, T_S, T_S},
    {"fnmadd.s", ROW6(fnmadds), 3, T_S, T_S},
    {"fmin.s", ROW1(fmins), 2, T_S, T_S},
    {"fmax.s", ROW1(fmaxs), 2, T_S, T_S},
    {"fsgnj.s", ROW1(fsgnjs), 2, T_S, T_S},
    {"fsgnjn.s", ROW1(fsgnjns), 2, T_S, T_S},
    {"fsgnjx.s", ROW1(fsgnjxs), 2, T_S, T_S},
    {"feq.s", ROW1(feqs), 2, T_S, T_X},
    {"flt.s", ROW1(flts), 2, T_S, T_X},
    {"fle.s", ROW1(fles), 2, T_S, T_X},
    {"fclass.s", ROW1(fclasss), 1, T_S, T_X},
    {"fcvt.w.s", ROW6(fcvtws), 1, T_S, T_X},
    {"fcvt.wu.s", ROW6(fcvtwus), 1, T_S, T_X},
    {"fcvt.s.w", ROW6(fcvtsw), 1, T_X, T_S},
    {"fcvt.s.wu", ROW6(fcvtswu), 1, T_X, T_S},
#if RV64
    {"fcvt.l.s", ROW6(fcvtls), 1, T_S, T_X},
    {"fcvt.lu.s", ROW6(fcvtlus), 1, T_S, T_X},
    {"fcvt.s.l", ROW6(fcvtsl), 1, T_X, T_S},
    {"fcvt.s.lu", ROW6(fcvtslu), 1, T_X, T_S},
#endif
};

static const char *const MODE_NAMES[6] = {"dyn", "rne", "rtz", "rdn", "rup", "rmm"};

/* --- operands ------------------------------------------------------------- */

#define D_SIGN 0x8000000000000000ULL
#define S_SIGN 0x80000000U

/* magnitudes; each is used with both signs */
static const uint64_t SPECIAL_D[] = {
    0, 1, 2, 0x000fffffffffffffULL, 0x0008000000000000ULL, 0x0010000000000000ULL,
    0x0010000000000001ULL, 0x3ff0000000000000ULL, 0x3ff0000000000001ULL, 0x3fefffffffffffffULL,
    0x3ff8000000000000ULL, 0x4000000000000000ULL, 0x400fffffffffffffULL, 0x7fe0000000000000ULL,
    0x7fefffffffffffffULL, 0x3fe5555555555555ULL, 0x7ff0000000000000ULL, 0x7ff8000000000000ULL,
    0x7ff0000000000001ULL, 0x7ff8000000000005ULL,
    0x41dfffffffc00000ULL, 0x41e0000000000000ULL, 0x41efffffffe00000ULL, 0x41f0000000000000ULL,
    0x43dfffffffffffffULL, 0x43e0000000000000ULL, 0x43efffffffffffffULL, 0x43f0000000000000ULL,
    0x3fe0000000000000ULL, 0x3ff4000000000000ULL, 0x3cb0000000000000ULL, 0x36a0000000000000ULL,
};
static const uint32_t SPECIAL_S[] = {
    0, 1, 2, 0x007fffff, 0x00400000, 0x00800000, 0x00800001, 0x3f800000, 0x3f800001, 0x3f7fffff,
    0x3fc00000, 0x40000000, 0x407fffff, 0x7f000000, 0x7f7fffff, 0x3f2aaaab, 0x7f800000, 0x7fc00000,
    0x7f800001, 0x7fc00005,
    0x4effffff, 0x4f000000, 0x4f7fffff, 0x4f800000, 0x5effffff, 0x5f000000, 0x5f7fffff, 0x5f800000,
    0x3f000000, 0x3fa00000, 0x33800000, 0x0c800000,
};
#define N_SPECIAL_D (2 * (int)(sizeof SPECIAL_D / sizeof SPECIAL_D[0]))
#define N_SPECIAL_S (2 * (int)(sizeof SPECIAL_S / sizeof SPECIAL_S[0]))
/* binary and fused operations cross the first 20 magnitudes (both signs);
   the rest (integer limits, 0.5, 1.25, 2**-52, 2**-149) only go through
   the unary ones */
#define N_CORE 40
static const long SPECIAL_X[] = {
    0, 1, -1, 2, 3, 7, 0x7fffffff, -0x7fffffff - 1, 0xffffff, 0x1000001, 0x1ffffff, -0x1000001,
    0x7ffffffe, 0x7fffff80, 0x7fffffc0, 123456789,
#if RV64
    0x80000000L, 0xffffffffL, 0x100000000L, 0x7fffffffffffffffL, -0x7fffffffffffffffL - 1,
    0x20000000000001L, 0x3fffffffffffffL, 0x7ffffffffffffc00L, 0x7ffffffffffffe00L,
    -0x20000000000001L, 0x4000000000000201L, (long)0xfffffffffffff800UL, (long)0xfffffffffffffc01UL,
    0x123456789abcdefL, (long)0x8000000000000400UL, (long)0xffffffff00000000UL,
#endif
};
#define N_SPECIAL_X ((int)(sizeof SPECIAL_X / sizeof SPECIAL_X[0]))

static uint64_t special_d(int i)
{
    return SPECIAL_D[i >> 1] | ((i & 1) ? D_SIGN : 0);
}

static uint32_t special_s(int i)
{
    return SPECIAL_S[i >> 1] | ((i & 1) ? S_SIGN : 0);
}

static int n_special(const struct op *op)
{
    if (op->in == T_X)
        return N_SPECIAL_X;
    if (op->nargs > 1)
        return N_CORE;
    return op->in == T_D ? N_SPECIAL_D : N_SPECIAL_S;
}

/* xorshift32 */
static uint32_t rng_state = 0x2545f491;

static uint32_t rnd(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static uint64_t rnd64(void)
{
    uint64_t hi = rnd();
    return (hi << 32) | rnd();
}

/* a generated double: random bits, ordinary values, extreme exponents, ties */
static uint64_t gen_d(void)
{
    uint32_t pick = rnd() & 7;
    uint64_t sign = (uint64_t)(rnd() & 1) << 63;
    uint64_t frac = rnd64() & 0x000fffffffffffffULL;
    uint64_t exp;
    switch (pick) {
    case 0:
    case 1:
        return rnd64();
    case 2: /* extreme exponents: subnormal, min normal, near overflow */
        exp = (uint64_t[]){0, 1, 2, 0x7fd, 0x7fe, 0x3ff - 1022 + 52, 0x3ff + 511, 0x3ff - 511}[rnd() & 7];
        break;
    case 3: /* fractions with many trailing zeros or ones (exact results, ties) */
        frac &= ~0ULL << (rnd() % 53);
        if (rnd() & 1)
            frac |= (1ULL << (rnd() % 52)) - 1;
        exp = 0x3ff - 8 + (rnd() & 15);
        break;
    case 4: /* around the integer limits */
        exp = 0x3ff + (uint64_t[]){30, 31, 32, 52, 53, 62, 63, 64}[rnd() & 7];
        if (rnd() & 1)
            frac = (rnd() & 1) ? (frac & 7) : (0x000fffffffffffffULL - (frac & 7));
        break;
    default:
        exp = 0x3ff - 30 + (rnd() % 61);
        break;
    }
    return sign | (exp << 52) | frac;
}

static uint32_t gen_s(void)
{
    uint32_t pick = rnd() & 7;
    uint32_t sign = rnd() & S_SIGN;
    uint32_t frac = rnd() & 0x007fffff;
    uint32_t exp;
    switch (pick) {
    case 0:
    case 1:
        return rnd();
    case 2:
        exp = (uint32_t[]){0, 1, 2, 0xfd, 0xfe, 0x7f - 126 + 23, 0x7f + 63, 0x7f - 63}[rnd() & 7];
        break;
    case 3:
        frac &= ~0U << (rnd() % 24);
        if (rnd() & 1)
            frac |= (1U << (rnd() % 23)) - 1;
        exp = 0x7f - 8 + (rnd() & 15);
        break;
    case 4:
        exp = 0x7f + (uint32_t[]){30, 31, 32, 23, 24, 62, 63, 64}[rnd() & 7];
        if (rnd() & 1)
            frac = (rnd() & 1) ? (frac & 7) : (0x007fffff - (frac & 7));
        break;
    default:
        exp = 0x7f - 30 + (rnd() % 61);
        break;
    }
    return sign | (exp << 23) | frac;
}

static long gen_x(void)
{
    uint32_t pick = rnd() & 3;
    if (pick == 0)
        return (long)rnd64();
    if (pick == 1) /* a power of two and its neighbours */
        return (long)((1ULL << (rnd() % (__riscv_xlen))) + (int)(rnd() % 7) - 3);
    if (pick == 2) /* a few significant bits at any position: exact or a tie */
        return (long)(((uint64_t)(rnd() & 0x1ff) << (rnd() % (__riscv_xlen - 8))) | (rnd() & 1));
    return (long)(int32_t)rnd();
}

/* operand slots: 8 bytes each, a D, an S (low word) or an integer (long) */
union slot {
    uint64_t d;
    uint32_t s;
    long x;
};

static void set_special(union slot *v, int kind, int i)
{
    v->d = 0;
    if (kind == T_D)
        v->d = special_d(i);
    else if (kind == T_S)
        v->s = special_s(i);
    else
        v->x = SPECIAL_X[i];
}

static void set_generated(union slot *v, int kind)
{
    v->d = 0;
    if (kind == T_D)
        v->d = gen_d();
    else if (kind == T_S)
        v->s = gen_s();
    else
        v->x = gen_x();
}

/* b close to a (cancellation, equal operands), or to -a */
static void set_near(union slot *v, const union slot *a, int kind)
{
    int k = (int)(rnd() % 9) - 4;
    int neg = rnd() & 1;
    if (kind == T_D)
        v->d = (a->d ^ (neg ? D_SIGN : 0)) + (int64_t)k;
    else
        v->s = (a->s ^ (neg ? S_SIGN : 0)) + (int32_t)k;
}

/* --- hashing -------------------------------------------------------------- */

/* FNV-1a style, a word at a time */
static uint32_t fnv(uint32_t h, uint32_t w)
{
    h = (h ^ w) * 16777619u;
    return h ^ (h >> 13);
}

static uint32_t hash_result(uint32_t h, const union slot *r, int kind, unsigned fl)
{
    if (kind == T_S) {
        h = fnv(h, r->s);
    } else if (kind == T_D) {
        h = fnv(h, (uint32_t)r->d);
        h = fnv(h, (uint32_t)(r->d >> 32));
    } else {
        h = fnv(h, (uint32_t)r->x);
#if RV64
        h = fnv(h, (uint32_t)((unsigned long)r->x >> 32));
#endif
    }
    return fnv(h, fl);
}

static void set_frm(unsigned v)
{
    __asm__ volatile("csrw frm, %0" : : "r"(v));
}

#define N_GENERATED 300

static unsigned run_case(opfn fn, int mode, int n, const union slot *a, const union slot *b, const union slot *c,
                         union slot *r)
{
    if (mode == 0)
        set_frm((unsigned)n % 5);
    r->d = 0;
    return fn(a, b, c, r);
}

#ifdef FP_VERBOSE
static void show(const char *name, int mode, const union slot *a, const union slot *b, const union slot *c,
                 const union slot *r, unsigned fl)
{
    printf("%s %s %08lx%08lx %08lx%08lx %08lx%08lx -> %08lx%08lx %02x\n", name, MODE_NAMES[mode],
           (unsigned long)(a->d >> 32), (unsigned long)(uint32_t)a->d, (unsigned long)(b->d >> 32),
           (unsigned long)(uint32_t)b->d, (unsigned long)(c->d >> 32), (unsigned long)(uint32_t)c->d,
           (unsigned long)(r->d >> 32), (unsigned long)(uint32_t)r->d, fl);
}
#define SHOW(...) show(__VA_ARGS__)
#else
#define SHOW(...) ((void)0)
#endif

static void run_op(const struct op *op)
{
    int nmodes = op->fn[1] ? 6 : 1;
    int ns = n_special(op);
    for (int mode = 0; mode < nmodes; mode++) {
        opfn fn = op->fn[mode];
        union slot a = {0}, b = {0}, c = {0}, r;
        uint32_t hs = 2166136261u, hg = 2166136261u;
        unsigned all = 0, fl;
        int n = 0;
        rng_state = 0x2545f491 + (uint32_t)(op - OPS) * 7919u + (uint32_t)mode;
        /* special values: all pairs; for fused ops a grid (a, b from every
           third special, c from every fifth) */
        int step_ab = op->nargs == 3 ? 3 : 1;
        for (int i = 0; i < ns; i += step_ab) {
            set_special(&a, op->in, i);
            for (int j = 0; j < (op->nargs >= 2 ? ns : 1); j += step_ab) {
                set_special(&b, op->in, j);
                for (int k = 0; k < (op->nargs == 3 ? ns : 1); k += 5) {
                    set_special(&c, op->in, (k + i + j) % ns);
                    fl = run_case(fn, mode, n++, &a, &b, &c, &r);
                    SHOW(op->name, mode, &a, &b, &c, &r, fl);
                    hs = hash_result(hs, &r, op->out, fl);
                    all |= fl;
                }
            }
        }
        for (int i = 0; i < N_GENERATED; i++) {
            set_generated(&a, op->in);
            if (op->in != T_X && (rnd() & 1))
                set_near(&b, &a, op->in);
            else
                set_generated(&b, op->in);
            if (op->nargs == 3 && (rnd() & 1)) {
                /* c near -(a*b): cancellation in the fused sum */
                union slot p = {0};
                if (op->in == T_D)
                    fmuld_rne(&a, &b, &c, &p);
                else
                    fmuls_rne(&a, &b, &c, &p);
                set_near(&c, &p, op->in);
            } else {
                set_generated(&c, op->in);
            }
            fl = run_case(fn, mode, n++, &a, &b, &c, &r);
            SHOW(op->name, mode, &a, &b, &c, &r, fl);
            hg = hash_result(hg, &r, op->out, fl);
            all |= fl;
        }
        printf("%s %s %08lx %08lx %02x\n", op->name, MODE_NAMES[mode], (unsigned long)hs, (unsigned long)hg, all);
    }
}

/* --- hand-written checks ---------------------------------------------------- */

static volatile int trapped;

void mtrap_handler(struct trap_frame *f, unsigned long vec)
{
    (void)vec;
    printf("  trap mcause=%lu mtval=0x%lx\n", f->cause, f->tval);
    trapped = 1;
    f->epc += (*(volatile uint16_t *)f->epc & 3) == 3 ? 4 : 2;
}

static void nan_boxing(void)
{
    uint64_t in, out;
    unsigned long x;
    /* flw writes a boxed value; fsd shows the box */
    uint32_t one = 0x3f800000;
    __asm__ volatile("flw ft0, 0(%1)\n\tfsd ft0, 0(%0)" : : "r"(&out), "r"(&one) : "ft0", "memory");
    printf("flw box: %08lx%08lx\n", (unsigned long)(out >> 32), (unsigned long)(uint32_t)out);
    /* an unboxed single (upper bits not all ones) reads as the canonical NaN */
    const uint64_t unboxed[] = {0x000000003f800000ULL, 0xfffffffe3f800000ULL, 0x7fffffff3f800000ULL};
    for (int i = 0; i < 3; i++) {
        in = unboxed[i];
        uint32_t r1, r2, r3;
        __asm__ volatile("fld ft0, 0(%2)\n\tfadd.s ft1, ft0, ft0\n\tfsw ft1, 0(%0)\n\t"
                         "fsgnj.s ft1, ft0, ft0\n\tfsw ft1, 0(%1)\n\tfcvt.d.s ft1, ft0\n\tfsd ft1, 0(%3)"
                         : : "r"(&r1), "r"(&r2), "r"(&in), "r"(&out) : "ft0", "ft1", "memory");
        __asm__ volatile("fld ft0, 0(%1)\n\tfclass.s %0, ft0" : "=r"(x) : "r"(&in) : "ft0");
        __asm__ volatile("fld ft0, 0(%1)\n\tfsw ft0, 0(%0)" : : "r"(&r3), "r"(&in) : "ft0", "memory");
        printf("unboxed %08lx%08lx: fadd.s %08lx fsgnj.s %08lx fcvt.d.s %08lx%08lx fclass.s %lx fsw %08lx\n",
               (unsigned long)(in >> 32), (unsigned long)(uint32_t)in, (unsigned long)r1, (unsigned long)r2,
               (unsigned long)(out >> 32), (unsigned long)(uint32_t)out, x, (unsigned long)r3);
    }
    /* single-precision results are boxed */
    double dv = 3.0;
    __asm__ volatile("fld ft0, 0(%1)\n\tfcvt.s.d ft1, ft0\n\tfsd ft1, 0(%0)" : : "r"(&out), "r"(&dv) : "ft0", "ft1", "memory");
    printf("fcvt.s.d box: %08lx%08lx\n", (unsigned long)(out >> 32), (unsigned long)(uint32_t)out);
    __asm__ volatile("fmv.w.x ft0, %1\n\tfsd ft0, 0(%0)" : : "r"(&out), "r"(0x80000001UL) : "ft0", "memory");
    printf("fmv.w.x box: %08lx%08lx\n", (unsigned long)(out >> 32), (unsigned long)(uint32_t)out);
    __asm__ volatile("fmv.w.x ft0, %1\n\tfmv.x.w %0, ft0" : "=r"(x) : "r"(0xc0000000UL) : "ft0");
    printf("fmv.x.w: %lx\n", x);
#if RV64
    __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.x.d %0, ft0" : "=r"(x) : "r"(0x8123456789abcdefUL) : "ft0");
    printf("fmv.d.x/fmv.x.d: %lx\n", x);
    /* fmv.x.w of a boxed single: the low word sign-extended */
    in = 0x123456789abcdef0ULL;
    __asm__ volatile("fld ft0, 0(%1)\n\tfmv.x.w %0, ft0" : "=r"(x) : "r"(&in) : "ft0");
    printf("fmv.x.w unboxed: %lx\n", x);
#endif
}

static void loads_and_stores(void)
{
    static uint8_t buf[48] __attribute__((aligned(16)));
    uint32_t h = 2166136261u;
    for (int i = 0; i < 48; i++)
        buf[i] = (uint8_t)(i * 37 + 11);
    for (int off = 0; off < 8; off++) { /* misaligned flw/fsw/fld/fsd */
        __asm__ volatile("flw ft0, 0(%0)\n\tfsw ft0, 20(%0)\n\tfld ft1, 1(%0)\n\tfsd ft1, 26(%0)\n\t"
                         "fld ft2, 8(%0)\n\tfsw ft2, 38(%0)"
                         : : "r"(buf + off) : "ft0", "ft1", "ft2", "memory");
    }
    for (int i = 0; i < 48; i++)
        h = fnv(h, buf[i]);
    printf("misaligned loads/stores: %08lx\n", (unsigned long)h);
    /* compressed forms, explicitly */
    uint64_t d[4] = {0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0, 0};
    __asm__ volatile("mv a0, %0\n\tc.fld fa0, 0(a0)\n\tc.fld fa1, 8(a0)\n\tc.fsd fa1, 16(a0)\n\t"
                     "addi sp, sp, -32\n\tc.fsdsp fa0, 8(sp)\n\tc.fldsp fa2, 8(sp)\n\taddi sp, sp, 32\n\t"
                     "c.fsd fa2, 24(a0)"
                     : : "r"(d) : "a0", "fa0", "fa1", "fa2", "memory");
    printf("c.fld/c.fsd/c.fldsp/c.fsdsp: %08lx%08lx %08lx%08lx\n", (unsigned long)(d[2] >> 32),
           (unsigned long)(uint32_t)d[2], (unsigned long)(d[3] >> 32), (unsigned long)(uint32_t)d[3]);
#if !RV64
    uint32_t w[4] = {0x3f800000, 0xc0490fdb, 0, 0};
    __asm__ volatile("mv a0, %0\n\tc.flw fa0, 0(a0)\n\tc.flw fa1, 4(a0)\n\tc.fsw fa1, 8(a0)\n\t"
                     "addi sp, sp, -16\n\tc.fswsp fa0, 4(sp)\n\tc.flwsp fa2, 4(sp)\n\taddi sp, sp, 16\n\t"
                     "c.fsw fa2, 12(a0)"
                     : : "r"(w) : "a0", "fa0", "fa1", "fa2", "memory");
    printf("c.flw/c.fsw/c.flwsp/c.fswsp: %08lx %08lx\n", (unsigned long)w[2], (unsigned long)w[3]);
#endif
}

static void csrs(void)
{
    unsigned long a, b, c;
    __asm__ volatile("csrw fcsr, %0" : : "r"(0xffUL));
    a = csr_read(fcsr);
    b = csr_read(frm);
    c = csr_read(fflags);
    printf("fcsr=0xff: fcsr %lx frm %lx fflags %lx\n", a, b, c);
    __asm__ volatile("csrw frm, %0\n\tcsrw fflags, %1" : : "r"(0x2UL), "r"(0x15UL));
    a = csr_read(fcsr);
    printf("frm=2 fflags=0x15: fcsr %lx\n", a);
    __asm__ volatile("csrrwi %0, fcsr, 0" : "=r"(a));
    __asm__ volatile("csrw fflags, %0" : : "r"(0xffffffffUL));
    printf("fcsr was %lx; fflags=~0: fcsr %lx\n", a, csr_read(fcsr));
    /* accrued flags accumulate until cleared */
    double one = 1.0, three = 3.0, zero = 0.0;
    csr_write(fflags, 0);
    __asm__ volatile("fld ft0, 0(%0)\n\tfld ft1, 0(%1)\n\tfld ft2, 0(%2)\n\tfdiv.d ft3, ft0, ft1\n\t"
                     "fdiv.d ft3, ft0, ft2"
                     : : "r"(&one), "r"(&three), "r"(&zero) : "ft0", "ft1", "ft2", "ft3");
    printf("1/3 then 1/0: fflags %lx\n", csr_read(fflags));
    csr_write(fcsr, 0);
}

static void illegal(void)
{
    double x = 1.0;
    __asm__ volatile("fld ft0, 0(%0)\n\tfld ft1, 0(%0)" : : "r"(&x) : "ft0", "ft1");
    /* static rm 5 and 6 are reserved: fadd.d ft2, ft0, ft1 with rm=5/6; fsqrt.s rm=7 is dyn */
    printf("fadd.d rm=5:\n");
    __asm__ volatile(".insn r 0x53, 5, 0x01, ft2, ft0, ft1" : : : "ft2");
    printf("fmadd.s rm=6:\n");
    __asm__ volatile(".insn r4 0x43, 6, 0, ft2, ft0, ft1, ft0" : : : "ft2");
    printf("fcvt.w.d rm=5:\n");
    __asm__ volatile(".insn r 0x53, 5, 0x61, t0, ft0, x0" : : : "t0");
    for (unsigned frm = 5; frm < 8; frm++) { /* a dyn instruction with an invalid frm */
        set_frm(frm);
        printf("frm=%u fadd.d dyn:\n", frm);
        __asm__ volatile("fadd.d ft2, ft0, ft1" : : : "ft2");
        printf("frm=%u fsgnj.d (no rounding):\n", frm);
        __asm__ volatile("fsgnj.d ft2, ft0, ft1" : : : "ft2");
    }
    set_frm(0);
    /* FS = Off: every FP instruction and FP CSR access traps */
    csr_clear(mstatus, MSTATUS_FS);
    printf("FS=Off fadd.d:\n");
    __asm__ volatile("fadd.d ft2, ft0, ft1" : : : "ft2");
    printf("FS=Off fld:\n");
    __asm__ volatile("fld ft2, 0(%0)" : : "r"(&x) : "ft2");
    printf("FS=Off csrr fflags:\n");
    __asm__ volatile("csrr t0, fflags" : : : "t0");
    csr_set(mstatus, 1UL << 13); /* Initial */
    printf("FS=%lu\n", (csr_read(mstatus) >> 13) & 3);
    csr_write(fcsr, 0);
    unsigned long st = csr_read(mstatus);
    printf("after writing fcsr: FS=%lu SD=%lu\n", (st >> 13) & 3, st >> (__riscv_xlen - 1));
}

int main(void)
{
    printf("F/D conformance (RV%d)\n", __riscv_xlen);
    for (unsigned i = 0; i < sizeof OPS / sizeof OPS[0]; i++)
        run_op(&OPS[i]);
    nan_boxing();
    loads_and_stores();
    csrs();
    illegal();
    printf("done\n");
    return 0;
}
