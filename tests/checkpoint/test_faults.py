"""Kill checkpoint writers at random moments: the library never lists a damaged
checkpoint, every listed one verifies, and earlier ones stay intact."""

import os
import random
import signal
import subprocess
import sys
import time

from graphsim.checkpoint.library import Library
from graphsim.mem.memory import Memory
from tests.conftest import ROOT

KILLS = 50  # the issue asks for at least 50


def test_killed_writers_never_leave_a_listed_damaged_checkpoint(tmp_path):
    lib_dir = str(tmp_path / "lib")
    rng = random.Random(1234)
    verified: dict[str, str] = {}  # id → manifest checksum of every checkpoint seen complete
    for attempt in range(KILLS):
        writer = subprocess.Popen([sys.executable, "-m", "tests.checkpoint.writer", lib_dir, str(attempt)],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert writer.stdout.readline().strip() == b"ready", writer.stderr.read()
        time.sleep(rng.uniform(0.0, 0.4))
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        library = Library(lib_dir)
        assert library.damaged == {}, library.damaged
        entries = library.entries()
        for entry in entries:
            manifest, _ = library.load(entry.id, {"memory": Memory})  # every listed checkpoint verifies
            assert verified.setdefault(entry.id, manifest["checksum"]) == manifest["checksum"]
        assert set(verified) == {e.id for e in entries}  # nothing seen before has disappeared
        library.close()
    library = Library(lib_dir)
    assert len(library.entries()) > 5  # the writers did get checkpoints through
    count, _ = library.gc()  # leftovers of interrupted writes are collectable
    for entry in library.entries():
        library.load(entry.id, {"memory": Memory})
    assert not [d for d in os.listdir(os.path.join(lib_dir, "checkpoints")) if d.startswith(".")]
