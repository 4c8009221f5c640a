#ifndef GUEST_CRC32_H
#define GUEST_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32/ISO-HDLC (zlib's crc32): crc32_update(0, buf, n) == zlib.crc32(buf). */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
