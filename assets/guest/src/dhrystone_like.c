/*
 * An integer mix in the spirit of Dhrystone (not Dhrystone itself): records
 * linked through pointers, string copies and compares, switches on enums,
 * small non-inlined calls, 2-D array updates and integer division.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef SCALE
#define SCALE 1
#endif

#define ITERATIONS_PER_SCALE 12000
#define RECORDS 16

typedef enum { RED, GREEN, BLUE, CYAN, MAGENTA } colour;

struct record {
    struct record *next;
    colour kind;
    int32_t value;
    int32_t counter;
    char name[32];
};

static struct record records[RECORDS];
static int32_t grid[50][50];
static char text[32];

static const char *const phrases[4] = {
    "GRAPHSIM INTEGER MIX, 1ST STRING",
    "GRAPHSIM INTEGER MIX, 2ND STRING",
    "GRAPHSIM INTEGER MIX, 3RD STRING",
    "GRAPHSIM INTEGER MIX, 4TH STRING",
};

static __attribute__((noinline)) colour classify(int32_t v)
{
    switch (v & 7) {
    case 0: case 5: return RED;
    case 1: return GREEN;
    case 2: case 6: return BLUE;
    case 3: return CYAN;
    default: return MAGENTA;
    }
}

static __attribute__((noinline)) void step(struct record *r, int32_t i)
{
    r->counter += i & 0xff;
    r->kind = classify(r->value + i);
    switch (r->kind) {
    case RED: r->value += 3; break;
    case GREEN: r->value ^= i; break;
    case BLUE: r->value -= r->counter & 0x3f; break;
    case CYAN: r->value = r->value * 3 + 1; break;
    case MAGENTA: r->value = -r->value; break;
    }
    if (r->value > 100000)
        r->value /= 7;
    else if (r->value < -100000)
        r->value %= 9973;
}

static __attribute__((noinline)) int32_t compare_names(const struct record *a,
                                                       const struct record *b)
{
    int c = strcmp(a->name, b->name);
    return c < 0 ? -1 : c > 0;
}

int main(void)
{
    for (int i = 0; i < RECORDS; i++) {
        records[i].next = &records[(i * 5 + 3) % RECORDS];
        records[i].value = i * 37 - 200;
        strcpy(records[i].name, phrases[i & 3]);
    }

    uint32_t checksum = 0;
    int32_t order = 0;
    for (int32_t i = 0; i < SCALE * ITERATIONS_PER_SCALE; i++) {
        struct record *r = &records[i % RECORDS];
        step(r, i);
        step(r->next, i >> 1);
        if ((i & 3) == 0) {
            strcpy(text, phrases[(i >> 2) & 3]);
            text[20] = (char)('A' + i % 26);
            strcpy(r->name, text);
        }
        order += compare_names(r, r->next);
        grid[i % 50][(i * 7) % 50] += r->value;
        int32_t q = (r->counter + 17) / (1 + (i & 15));
        checksum = (checksum << 5 | checksum >> 27) ^ (uint32_t)(q + r->value + order);
    }
    for (int i = 0; i < 50; i++)
        for (int j = 0; j < 50; j++)
            checksum += (uint32_t)grid[i][j] * (uint32_t)(i + j + 1);

    printf("dhrystone_like: iterations=%ld order=%ld checksum=0x%08lx\n",
           (long)SCALE * ITERATIONS_PER_SCALE, (long)order, (unsigned long)checksum);
    return 0;
}
