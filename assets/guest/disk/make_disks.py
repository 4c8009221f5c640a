#!/usr/bin/env python3
"""Write the deterministic test disk images used by virtio_blk_read.

test.img  64 KiB (128 sectors); test2.img 32 KiB (64 sectors), other content.
Each sector starts with a readable label, the rest is a position-dependent
byte pattern, so a misplaced sector changes the CRC32 the guest prints.
"""
from pathlib import Path

SECTOR = 512
HERE = Path(__file__).resolve().parent


def image(label: str, sectors: int, mult: int, add: int) -> bytes:
    out = bytearray()
    for s in range(sectors):
        head = f"graphsim {label} sector {s:04d}\n".encode()
        body = bytes((s * add + i * mult + (i >> 8)) & 0xFF for i in range(len(head), SECTOR))
        out += head + body
    return bytes(out)


def main() -> None:
    (HERE / "test.img").write_bytes(image("test disk A", 128, 7, 13))
    (HERE / "test2.img").write_bytes(image("test disk B", 64, 11, 5))


if __name__ == "__main__":
    main()
