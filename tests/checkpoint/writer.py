"""A checkpoint writer for the crash test: writes checkpoints of changing memory into a
library until it is killed, saying on stdout when each write begins and when it has been
committed (with its id and how long it took), so that the test can kill it at a chosen
moment of a write whatever the machine's load. Usage: python -m tests.checkpoint.writer LIBRARY SEED"""

import sys
import time

import numpy as np

from graphsim.checkpoint.format import ComponentState, SavedState
from graphsim.checkpoint.library import Library

HEADER = {"position": {"tick": 0, "instret": 0}, "trigger": {"kind": "test", "detail": ""}, "parent": "",
          "compat": {"xlen": 64}}


def main():
    library = Library(sys.argv[1])
    rng = np.random.default_rng(int(sys.argv[2]))
    data = np.zeros(4 << 20, dtype=np.uint8)
    print("ready", flush=True)
    while True:
        # new content in a few hundred pages, so every checkpoint writes many new chunks
        for page in rng.integers(0, len(data) // 4096, 40):
            data[page * 4096:(page + 1) * 4096] = rng.integers(0, 256, 4096, dtype=np.uint8)
        state = SavedState({"ram": ComponentState("memory", 1, {"data": data}),
                            "regs": ComponentState("memory", 1, {"data": rng.integers(0, 256, 70000, np.uint8)})},
                           disks={"disk0": {"base": {"size": 1 << 20, "sha256": "0" * 64},
                                            "overlay": {int(s): bytes(512) for s in rng.integers(0, 2048, 4)}}})
        print("writing", flush=True)
        started = time.monotonic()
        cpt_id, _ = library.add(state, HEADER)
        print(f"saved {cpt_id} {time.monotonic() - started:.6f}", flush=True)


if __name__ == "__main__":
    main()
