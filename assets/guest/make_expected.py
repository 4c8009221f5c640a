#!/usr/bin/env python3
"""Regenerate expected/<name>.out by running every guest in guests.toml on QEMU.

Fails (and writes nothing for that guest) when the exit code differs from the
one guests.toml declares.  Run after `make`; `make expected` does both.
"""
import sys

from qemu_oracle import EXPECTED_DIR, load_guests, run_guest


def main() -> int:
    EXPECTED_DIR.mkdir(exist_ok=True)
    bad = 0
    for g in load_guests().values():
        res = run_guest(g, timeout=600)
        if res.exit_code != g.exit_code:
            print(f"{g.name}: exit code {res.exit_code}, guests.toml says {g.exit_code}")
            sys.stdout.write(res.console)
            bad += 1
            continue
        g.expected_path.write_text(res.console)
        print(f"{g.name}: {len(res.console.splitlines())} lines, exit code {res.exit_code}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
