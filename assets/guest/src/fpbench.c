/*
 * FP-heavy benchmark: ordinary C compiled for rv64gc/lp64d (GCC contracts
 * a*b+c into fmadd): an n-body simulation (double, with fsqrt and fdiv), a
 * double matrix multiply, a Mandelbrot set (double, integer iteration
 * counts) and a single-precision SAXPY with integer-to-float conversions,
 * SCALE times over.  Prints the bit patterns of the results and a checksum
 * (no float formatting: the values are compared bit for bit with QEMU).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef SCALE
#define SCALE 1
#endif

static uint64_t bits_d(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static uint32_t bits_s(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= 0x100000001b3ULL;
    return h ^ (h >> 29);
}

/* --- n-body (the five outer planets, as in the Benchmarks Game) ---------- */

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NBODIES 5

struct body {
    double x, y, z, vx, vy, vz, mass;
};

static const struct body INITIAL[NBODIES] = {
    {0, 0, 0, 0, 0, 0, SOLAR_MASS},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
     1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
     -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
     -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
     2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
     2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
     -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
     2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
     -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
};

static double energy(const struct body *b)
{
    double e = 0;
    for (int i = 0; i < NBODIES; i++) {
        e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            e -= b[i].mass * b[j].mass / __builtin_sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(struct body *b, double dt)
{
    for (int i = 0; i < NBODIES; i++) {
        for (int j = i + 1; j < NBODIES; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * __builtin_sqrt(d2));
            b[i].vx -= dx * b[j].mass * mag;
            b[i].vy -= dy * b[j].mass * mag;
            b[i].vz -= dz * b[j].mass * mag;
            b[j].vx += dx * b[i].mass * mag;
            b[j].vy += dy * b[i].mass * mag;
            b[j].vz += dz * b[i].mass * mag;
        }
    }
    for (int i = 0; i < NBODIES; i++) {
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

static uint64_t nbody(int steps)
{
    struct body b[NBODIES];
    memcpy(b, INITIAL, sizeof b);
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NBODIES; i++) {
        px += b[i].vx * b[i].mass;
        py += b[i].vy * b[i].mass;
        pz += b[i].vz * b[i].mass;
    }
    b[0].vx = -px / SOLAR_MASS;
    b[0].vy = -py / SOLAR_MASS;
    b[0].vz = -pz / SOLAR_MASS;
    double e0 = energy(b);
    for (int s = 0; s < steps; s++)
        advance(b, 0.01);
    double e1 = energy(b);
    printf("nbody %d steps: energy %016llx -> %016llx\n", steps, (unsigned long long)bits_d(e0),
           (unsigned long long)bits_d(e1));
    return mix(bits_d(e0), bits_d(e1));
}

/* --- double matrix multiply ------------------------------------------------ */

#define N 40
static double ma[N][N], mb[N][N], mc[N][N];

static uint64_t matmul(int rounds)
{
    uint64_t h = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                ma[i][j] = (double)((i * 7 + j * 3 + r) % 17) / 8.0 - 1.0;
                mb[i][j] = 1.0 / (double)(1 + ((i + 2 * j + r) % 13));
            }
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double s = 0;
                for (int k = 0; k < N; k++)
                    s += ma[i][k] * mb[k][j];
                mc[i][j] = s;
            }
        for (int i = 0; i < N; i++)
            h = mix(h, bits_d(mc[i][(i * 5 + r) % N]));
    }
    printf("matmul %dx%d x%d: c[3][7] %016llx hash %016llx\n", N, N, rounds, (unsigned long long)bits_d(mc[3][7]),
           (unsigned long long)h);
    return h;
}

/* --- Mandelbrot -------------------------------------------------------------- */

static uint64_t mandelbrot(int rounds)
{
    uint64_t h = 0;
    long total = 0;
    for (int r = 0; r < rounds; r++) {
        double zoom = 1.0 / (1 + r % 4);
        for (int py = 0; py < 24; py++) {
            for (int px = 0; px < 48; px++) {
                double cr = -0.75 + zoom * (px - 24) / 16.0, ci = zoom * (py - 12) / 10.0;
                double zr = 0, zi = 0;
                int it = 0;
                while (it < 100 && zr * zr + zi * zi <= 4.0) {
                    double t = zr * zr - zi * zi + cr;
                    zi = 2 * zr * zi + ci;
                    zr = t;
                    it++;
                }
                total += it;
                h = mix(h, (uint64_t)it);
            }
        }
    }
    printf("mandelbrot x%d: %ld iterations, hash %016llx\n", rounds, total, (unsigned long long)h);
    return h;
}

/* --- single-precision SAXPY ------------------------------------------------ */

#define LEN 1024
static float xs[LEN], ys[LEN];

static uint64_t saxpy(int rounds)
{
    for (int i = 0; i < LEN; i++) {
        xs[i] = (float)(i % 97) * 0.125f - 6.0f;
        ys[i] = (float)((i * 31) % 101) / 7.0f;
    }
    float a = 0.999f;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < LEN; i++)
            ys[i] = a * xs[i] + ys[i];
        a = -a * 0.5f + (float)(r & 3);
    }
    uint64_t h = 0;
    int negative = 0;
    for (int i = 0; i < LEN; i++) {
        h = mix(h, bits_s(ys[i]));
        negative += ys[i] < 0;
    }
    printf("saxpy %d x%d: y[5] %08lx, %d negative, hash %016llx\n", LEN, rounds, (unsigned long)bits_s(ys[5]),
           negative, (unsigned long long)h);
    return h;
}

int main(void)
{
    uint64_t h = 0;
    h = mix(h, nbody(2000 * SCALE));
    h = mix(h, matmul(4 * SCALE));
    h = mix(h, mandelbrot(2 * SCALE));
    h = mix(h, saxpy(60 * SCALE));
    printf("checksum %016llx\n", (unsigned long long)h);
    return 0;
}
