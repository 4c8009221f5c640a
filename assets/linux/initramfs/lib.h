/* Tiny freestanding helpers shared by init and m5. */
#ifndef GRAPHSIM_LIB_H
#define GRAPHSIM_LIB_H

#include "sys.h"

size_t str_len(const char *s);
int str_eq(const char *a, const char *b);
int str_cmp(const char *a, const char *b);
void put_str(int fd, const char *s);
void put_line(int fd, const char *s);
void put_dec(int fd, long v);
void put_hex(int fd, unsigned long v);
/* Prints "PREFIX: WHAT: <description> (errno N)" for a syscall that returned -N. */
void put_err(const char *prefix, const char *what, long err);
/* Parses a decimal or 0x-prefixed number; returns 0 on malformed input. */
int parse_ulong(const char *s, unsigned long *out);

/* gcc may emit calls to these even with -ffreestanding. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#endif
