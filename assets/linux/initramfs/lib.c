#include "lib.h"

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

size_t str_len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int str_cmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int str_eq(const char *a, const char *b) { return str_cmp(a, b) == 0; }

void put_str(int fd, const char *s)
{
	size_t n = str_len(s);
	while (n) {
		ssize_t w = sys_write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= w;
	}
}

void put_line(int fd, const char *s)
{
	put_str(fd, s);
	put_str(fd, "\n");
}

void put_dec(int fd, long v)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	*--p = 0;
	do
		*--p = '0' + u % 10;
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	put_str(fd, p);
}

void put_hex(int fd, unsigned long v)
{
	char buf[20], *p = buf + sizeof(buf);
	*--p = 0;
	do
		*--p = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	*--p = 'x';
	*--p = '0';
	put_str(fd, p);
}

static const char *err_name(long errno_)
{
	switch (errno_) {
	case 1: return "operation not permitted";
	case 2: return "no such file or directory";
	case 5: return "I/O error";
	case 6: return "no such device or address";
	case 8: return "exec format error";
	case 12: return "out of memory";
	case 13: return "permission denied";
	case 16: return "device or resource busy";
	case 17: return "file exists";
	case 19: return "no such device";
	case 20: return "not a directory";
	case 21: return "is a directory";
	case 22: return "invalid argument";
	case 30: return "read-only file system";
	case 38: return "function not implemented";
	}
	return "error";
}

void put_err(const char *prefix, const char *what, long err)
{
	put_str(2, prefix);
	put_str(2, ": ");
	put_str(2, what);
	put_str(2, ": ");
	put_str(2, err_name(-err));
	put_str(2, " (errno ");
	put_dec(2, -err);
	put_str(2, ")\n");
}

int parse_ulong(const char *s, unsigned long *out)
{
	unsigned long v = 0, base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	if (!*s)
		return 0;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return 0;
		v = v * base + d;
	}
	*out = v;
	return 1;
}
