"""Kill checkpoint writers at random moments: the library never lists a damaged
checkpoint, every listed one verifies, nothing committed is lost, and earlier ones stay intact.

The kill moments are chosen from what the writer reports, not from the wall clock: after a
random number of committed checkpoints, at a random fraction of a write (scaled by how long
the writer's own last write took), so the test kills inside writes equally on a quiet and on
a heavily loaded machine."""

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


def expect(writer, word: str) -> list[str]:
    """The writer's next line, which must start with ``word``."""
    line = writer.stdout.readline().decode().split()
    if not line or line[0] != word:
        writer.kill()
        raise AssertionError(f"writer said {line!r}, not {word!r}: {writer.stderr.read().decode()}")
    return line


def test_killed_writers_never_leave_a_listed_damaged_checkpoint(tmp_path):
    lib_dir = str(tmp_path / "lib")
    rng = random.Random(1234)
    verified: dict[str, str] = {}  # id → manifest checksum of every checkpoint seen complete
    committed: set[str] = set()  # ids the writers reported as written
    last_write = 0.05  # seconds; the writer's own measure replaces it after its first write
    inside = 0  # kills that landed while a write was under way
    for attempt in range(KILLS):
        writer = subprocess.Popen([sys.executable, "-m", "tests.checkpoint.writer", lib_dir, str(attempt)],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        expect(writer, "ready")
        for _ in range(rng.choice([0, 1, 1, 2])):
            expect(writer, "writing")
            _, cpt_id, seconds = expect(writer, "saved")
            committed.add(cpt_id)
            last_write = float(seconds)
        expect(writer, "writing")
        time.sleep(rng.uniform(0.0, 1.2) * last_write)  # mostly inside this write, sometimes just after it
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
        rest = writer.stdout.read().decode().split()
        if "saved" in rest:
            committed.add(rest[rest.index("saved") + 1])
        else:
            inside += 1
        library = Library(lib_dir)
        assert library.damaged == {}, library.damaged
        entries = library.entries()
        for entry in entries:
            manifest, _ = library.load(entry.id, {"memory": Memory})  # every listed checkpoint verifies
            assert verified.setdefault(entry.id, manifest["checksum"]) == manifest["checksum"]
        listed = {e.id for e in entries}
        assert set(verified) == listed  # nothing seen before has disappeared
        assert committed <= listed  # nothing a writer committed is lost
        library.close()
    assert inside >= KILLS // 4  # kills did land inside writes (about 5 in 6 do)
    library = Library(lib_dir)
    assert len(library.entries()) >= len(committed) > 5
    library.gc()  # leftovers of interrupted writes are collectable
    for entry in library.entries():
        library.load(entry.id, {"memory": Memory})
    assert not [d for d in os.listdir(os.path.join(lib_dir, "checkpoints")) if d.startswith(".")]
