"""The fault suite: graphsim attacked from outside, as a crafted file or a hostile guest would.

    python benchmarks/faults.py                 # full size (a few minutes); one JSON line per attack
    python benchmarks/faults.py --smoke         # a few cases of each (tests/test_faults_smoke.py runs it)
    python benchmarks/faults.py --only kill,guests

Attacks, and what each checks:
  kill      SIGKILL a checkpoint writer, an import or a gc at random moments: the library never lists a
            damaged checkpoint, earlier checkpoints load to the same state digest, gc leaves nothing behind.
  mutate    damaged and crafted checkpoints (bit flips, truncation, deleted chunks, manifests edited and
            re-checksummed, too-new versions, symlinks and special files, huge sizes) and crafted export
            archives (symlinks, traversal, bombs): every command either refuses with a one-line error and a
            non-zero status, or restores the identical machine; never a traceback, hang, memory bomb,
            half-done restore or export, or a file written outside the library and the run directory.
            One outcome is counted apart: a manifest re-checksummed after its state records were edited to
            name other intact chunks, offsets or sectors describes another consistent state, and restores
            it (`other_consistent_state`) - the checksum detects damage, it is not a signature.
  machines  fuzzed machine files, special files and deep include chains: refused by file and key, or
            validated and then built.
  guests    a hostile bare-metal guest (assets/guest/src/hostile.c) against each Python device: the host
            stays within a time and memory bound.

Everything runs in this process (a failure is caught and classified) except what needs a kill.
Exit status 0 only if no attack found a problem.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graphsim.errors import GraphsimError  # noqa: E402

PROBLEMS = ("traceback", "hang", "memory", "fooled", "half_done", "outside_write", "multi_line", "terminal_escape",
            "unbounded")


class Hang(BaseException):
    """Raised by the alarm: a case ran longer than its bound (a BaseException, so no handler swallows it)."""


@contextlib.contextmanager
def time_bound(seconds: float):
    def fire(signum, frame):
        raise Hang()

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def limit_memory(extra: int):
    """Cap this process's address space at what it uses now, plus this host's memory (what graphsim may
    reserve, untouched, for a memory the checkpoint or machine describes), plus ``extra`` bytes: an
    attempt at more becomes a MemoryError the suite counts instead of the host's problem."""
    host = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    with open("/proc/self/statm") as f:
        size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (size + host + extra, resource.RLIM_INFINITY))


RSS_BOUND = 2 << 30  # what one case may really use (high-water mark), whatever it reserves


def rss_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Tally:
    """Outcomes of one attack's cases; one JSON line of figures."""

    def __init__(self, attack: str):
        self.attack, self.counts, self.examples, self.started = attack, {}, {}, time.perf_counter()
        self.extra: dict = {}

    def add(self, outcome: str, example: str = ""):
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        if outcome in PROBLEMS and outcome not in self.examples:
            self.examples[outcome] = example[-400:]

    @property
    def problems(self) -> int:
        return sum(n for k, n in self.counts.items() if k in PROBLEMS)

    def line(self) -> dict:
        return {"attack": self.attack, "cases": sum(self.counts.values()), **dict(sorted(self.counts.items())),
                "problems": self.problems, **self.extra, "seconds": round(time.perf_counter() - self.started, 1),
                **({"examples": self.examples} if self.examples else {})}


def classify_error(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, Hang):
        return "hang", "hang"
    if isinstance(exc, MemoryError):
        return "memory", traceback.format_exc()
    if isinstance(exc, GraphsimError):
        lines = exc.lines()
        if exc.exit_code == 0 or any("\n" in line for line in lines):
            return "multi_line", str(lines)
        return "refused", ""
    return "traceback", traceback.format_exc()


# --- kill: SIGKILL writers, imports and gc ----------------------------------------------------------


def worker(mode: str, lib_dir: str, arg: str):
    """A library client that works until killed (run as a subprocess by the kill attack)."""
    import numpy as np

    from graphsim.checkpoint.format import ComponentState, SavedState
    from graphsim.checkpoint.library import Library, LibraryError
    from graphsim.mem.memory import Memory

    library = Library(lib_dir)
    print("ready", flush=True)
    if mode == "write":
        rng = np.random.default_rng(int(arg))
        data = np.zeros(2 << 20, dtype=np.uint8)
        while True:
            for page in rng.integers(0, len(data) // 4096, 24):
                data[page * 4096:(page + 1) * 4096] = rng.integers(0, 256, 4096, dtype=np.uint8)
            state = SavedState({"ram": ComponentState("memory", 2, {"data": data, "dram_rows": np.zeros(8, np.int64),
                                                                    "warm_geometry": np.zeros(4, np.int64)})},
                               disks={"disk0": {"base": {"size": 1 << 20, "sha256": "0" * 64},
                                                "overlay": {int(s): bytes(512) for s in rng.integers(0, 2048, 4)}}})
            library.add(state, KILL_HEADER)
    elif mode == "import":
        while True:
            for archive in sorted(Path(arg).glob("*.tar")):
                with contextlib.suppress(LibraryError):
                    library.import_(str(archive), {"memory": Memory})
    elif mode == "gc":
        while True:
            library.gc()


KILL_HEADER = {"position": {"tick": 0, "instret": 0}, "trigger": {"kind": "fault-suite", "detail": ""},
               "parent": "", "compat": {"xlen": 64}}


def state_digest(library, cpt_id: str, kinds) -> str:
    import hashlib

    _, state = library.load(cpt_id, kinds)
    digest = hashlib.sha256()
    for name in sorted(state.components):
        for field, array in sorted(state.components[name].fields.items()):
            digest.update(f"{name}.{field}".encode() + array.tobytes())
    for name in sorted(state.disks):
        for sector, data in sorted(state.disks[name]["overlay"].items()):
            digest.update(sector.to_bytes(8, "little") + data)
    return digest.hexdigest()


def attack_kill(n: int, work: Path, rng: random.Random) -> Tally:
    from graphsim.checkpoint.library import Library
    from graphsim.mem.memory import Memory

    tally = Tally("kill")
    kinds = {"memory": Memory}
    lib_dir, archives = work / "kill-lib", work / "kill-archives"
    archives.mkdir()
    source = Library(str(work / "kill-source"))
    for seed in range(3):  # checkpoints to import, from another library
        proc = subprocess.Popen([sys.executable, __file__, "--worker", "write", str(work / "kill-source"), str(seed)],
                                stdout=subprocess.PIPE)
        proc.stdout.readline()
        time.sleep(1.0)
        proc.kill()
        proc.wait()
    source.sync_index()
    for entry in source.entries()[:3]:
        source.export(entry.id, str(archives / f"{entry.id}.tar"))
    imported_ids = {e.id for e in source.entries()[:3]}
    known: dict[str, str] = {}  # id → state digest when first seen complete
    harmed = damaged = leftovers = 0
    modes = ("write", "import", "gc")
    for i in range(n):
        mode = modes[i % 3]
        library = Library(lib_dir)
        if mode == "import":  # imports need something to import: take the imported ones out again
            for cpt_id in imported_ids & {e.id for e in library.entries()}:
                library.remove(cpt_id)
                known.pop(cpt_id, None)
        if mode == "gc" and len(library.entries()) > 8:  # gc needs something to free
            for entry in library.entries()[:3]:
                library.remove(entry.id)
                known.pop(entry.id, None)
        library.close()
        proc = subprocess.Popen([sys.executable, __file__, "--worker", mode, lib_dir,
                                 str(archives) if mode == "import" else str(i)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.35))
        proc.kill()
        proc.wait()
        tally.add(f"killed_{mode}")
        library = Library(lib_dir)
        if library.damaged:
            damaged += len(library.damaged)
            tally.add("fooled", f"damaged after a killed {mode}: {library.damaged}")
        ids = {e.id for e in library.entries()}
        for cpt_id in set(known) - ids:
            harmed += 1
            tally.add("fooled", f"{cpt_id} disappeared after a killed {mode}")
            known.pop(cpt_id)
        sample = [c for c in ids if c not in known] + rng.sample(sorted(known), min(2, len(known)))
        for cpt_id in sample:
            try:
                digest = state_digest(library, cpt_id, kinds)
            except GraphsimError as exc:
                harmed += 1
                tally.add("fooled", f"{cpt_id} no longer loads after a killed {mode}: {exc}")
                continue
            if known.setdefault(cpt_id, digest) != digest:
                harmed += 1
                tally.add("fooled", f"{cpt_id} changed after a killed {mode}")
        library.close()
    library = Library(lib_dir)
    library.gc()
    for cpt_id, digest in known.items():
        if state_digest(library, cpt_id, kinds) != digest:
            harmed += 1
    checkpoints = Path(lib_dir) / "checkpoints"
    left = [p.name for p in checkpoints.iterdir() if p.name.startswith(".")]
    left += [str(p) for p in (Path(lib_dir) / "chunks").rglob("*") if ".tmp" in p.name]
    unreferenced = library.store.all_digests() - library.referenced_chunks()
    leftovers = len(left) + len(unreferenced)
    if leftovers:
        tally.add("unbounded", f"gc left {left[:3]} and {len(unreferenced)} unreferenced chunks")
    tally.extra = {"checkpoints": len(library.entries()), "damaged_listed": damaged, "earlier_harmed": harmed,
                   "left_after_gc": leftovers}
    return tally


# --- mutate: damaged and crafted checkpoints and archives --------------------------------------------


class Reference:
    """A real checkpoint (a virtio-blk guest, mid-run) and the digest its restore must give."""

    def __init__(self, work: Path):
        from graphsim.checkpoint.library import Library
        from graphsim.checkpoint.restore import plan_restore
        from graphsim.cli import main

        self.lib = work / "reference"
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            code = main(["run", str(ROOT / "configs" / "virt-rv64-disk.toml"), "--set", "components.ram.size=16MiB",
                         "--kernel", str(ROOT / "assets/guest/build/virtio_blk_read.elf"), "--checkpoint-at-inst",
                         "200000", "--max-insts", "200000", "--library", str(self.lib), "--quiet", "--outdir",
                         str(work / "reference-run"), "--name", "disk"])
        assert code == 0, "the reference run failed"
        library = Library(str(self.lib))
        self.cpt_id = library.resolve("disk")
        machine = plan_restore(library, "disk").build()
        self.digest = machine.digest()
        machine.close()
        self.archive = work / "reference.tar"
        library.export(self.cpt_id, str(self.archive))
        with tarfile.open(self.archive) as tar:
            self.members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]


def manifest_paths(doc, prefix=()):
    for key, value in doc.items():
        if key in ("meta", "checksum", "format"):
            continue
        yield prefix + (key,)
        if isinstance(value, dict):
            yield from manifest_paths(value, prefix + (key,))
        elif isinstance(value, list):
            for i, item in enumerate(value[:4]):
                if isinstance(item, dict):
                    yield from manifest_paths(item, prefix + (key, i))
                else:
                    yield prefix + (key, i)


HOSTILE_VALUES = [-1, 0, 1, 2**31, 2**40, 2**63 - 1, -(2**63), "x", "", [], [1, "a"], {}, {"a": 1}, 1.5, True,
                  "../../../../../../etc/passwd", "0" * 64, "f" * 64, "<f8", "O", ">i8", [1 << 40], [-1], [0],
                  "\x1b[2J\x1b]0;x\x07"]


def get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def mutate_checkpoint(cpt: Path, lib: Path, rng: random.Random, outside: Path) -> str:
    """Damage or craft the checkpoint at ``cpt`` one way; returns what was done."""
    from graphsim.checkpoint.format import read_manifest, write_manifest

    manifest_file = cpt / "manifest.toml"
    chunks = sorted(p for p in (lib / "chunks").rglob("*.zst"))
    kind = rng.choice(["flip", "flip", "truncate", "delete", "resign_set", "resign_set", "resign_set",
                       "resign_delete", "meta", "version", "link", "huge", "index", "console", "traversal"])
    if kind in ("flip", "truncate"):
        target = rng.choice([manifest_file] + chunks)
        data = bytearray(target.read_bytes())
        if kind == "flip" and data:
            for _ in range(rng.randint(1, 3)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        else:
            data = data[:rng.randrange(len(data) + 1)]
        target.write_bytes(bytes(data))
        return f"{kind} {target.name}"
    if kind == "delete":
        target = rng.choice(chunks)
        target.unlink()
        return f"delete {target.name}"
    if kind == "index":
        (lib / "index.sqlite").write_bytes(os.urandom(rng.randint(0, 4096)))
        return "index"
    if kind == "link":
        target = rng.choice([manifest_file] + chunks)
        target.unlink()
        pointee = rng.choice(["/dev/zero", "/dev/urandom", "fifo", "dir", "outside", "loop"])
        if pointee == "fifo":
            os.mkfifo(target)
        elif pointee == "dir":
            target.mkdir()
        elif pointee == "outside":
            target.symlink_to(outside)
        elif pointee == "loop":
            target.symlink_to(target)
        else:
            target.symlink_to(pointee)
        return f"link {target.name} -> {pointee}"
    if kind == "meta":
        text = manifest_file.read_text()
        key = rng.choice(["name", "note", "created"])
        value = rng.choice(['[1]', '5', '{a = 1}', '"\\u001b[31m"', 'true', '1.5'])
        start = text.find(f"\n{key} = ", text.index("[meta]"))
        if start >= 0:
            end = text.index("\n", start + 1)
            manifest_file.write_text(text[:start] + f"\n{key} = {value}" + text[end:])
        return f"meta {key} = {value}"
    manifest = read_manifest(str(cpt))
    if kind == "version":
        target = rng.choice(["format_version", "component", "record"])
        if target == "format_version":
            manifest["format_version"] = rng.choice([2, 99, 0, -1])
        elif target == "component":
            name = rng.choice(sorted(manifest["components"]))
            manifest["components"][name]["state_version"] = rng.choice([3, 99, 0])
        else:
            manifest["compat"]["devices"][rng.choice(sorted(manifest["compat"]["devices"]))]["state_version"] = 99
    elif kind == "huge":
        choice = rng.choice(["shape", "overlay", "state_bytes", "memory", "nbytes"])
        if choice == "shape":
            name = rng.choice(sorted(manifest["components"]))
            record = rng.choice(manifest["components"][name]["fields"])
            record["shape"] = [rng.choice([1 << 40, 1 << 33, 1 << 62])] + record["shape"][1:]
        elif choice == "overlay":
            disk = manifest["disks"]["disk0"]
            disk["overlay_bytes"], disk["overlay_sectors"] = 1 << 40, [rng.choice([-5, 1 << 50, 0])] * 3
        elif choice == "state_bytes":
            manifest["components"]["cpu"]["state_bytes"] = 1 << 40
        elif choice == "memory":
            manifest["compat"]["memory"]["ram"]["size"] = 1 << 45
            manifest["components"]["ram"]["fields"][0]["shape"] = [1 << 45]
        else:
            manifest["components"]["uart0"]["fields"][0]["nbytes"] = 1 << 40
    elif kind == "traversal":
        name = rng.choice(sorted(manifest["components"]))
        target = rng.choice(["../../../../../../../../etc/passwd", str(outside), "../" * 3 + "outside",
                             "aa/../../outside", "A" * 64])
        if "state_chunk" in manifest["components"][name]:
            manifest["components"][name]["state_chunk"] = target
        else:
            manifest["disks"]["disk0"]["base"]["path"] = target
            manifest["compat"]["disks"]["disk0"]["path"] = str(outside)
    elif kind == "console":
        manifest["console"]["tail"] = "boot ok\x1b]0;owned\x07\x1b[2J\rroot# \u202e" * 3
    else:
        paths = list(manifest_paths(manifest))
        path = rng.choice(paths)
        parent = get(manifest, path[:-1])
        if kind == "resign_delete":
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
        kind += " " + ".".join(map(str, path))
    write_manifest(str(cpt), manifest)
    return kind


def mutate_archive(ref: Reference, path: Path, rng: random.Random) -> str:
    members = [(copy.copy(info), data) for info, data in ref.members]
    kind = rng.choice(["symlink", "hardlink", "traversal", "absolute", "device", "bomb", "extra", "duplicate",
                       "truncate", "flip", "dir_first", "fifo", "gzip_bomb", "huge_header"])
    mode = "w"
    if kind in ("symlink", "hardlink"):
        i = rng.randrange(len(members))
        info = tarfile.TarInfo(members[i][0].name)
        info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
        info.linkname = rng.choice(["/etc/passwd", "/dev/zero", "../../outside", members[0][0].name])
        members[i] = (info, None)
    elif kind in ("traversal", "absolute"):
        info = tarfile.TarInfo(rng.choice(["chunks/../../../outside-written", "../outside-written",
                                           f"{ref.cpt_id}/../../outside-written"]) if kind == "traversal"
                               else "/tmp/graphsim-fault-outside-written")
        info.size = 5
        members.insert(rng.randrange(1, len(members) + 1), (info, b"owned"))
    elif kind in ("device", "fifo"):
        info = tarfile.TarInfo(members[-1][0].name)
        info.type = tarfile.CHRTYPE if kind == "device" else tarfile.FIFOTYPE
        info.devmajor, info.devminor = 1, 5
        members[-1] = (info, None)
    elif kind in ("bomb", "gzip_bomb"):
        info = tarfile.TarInfo(members[-1][0].name)
        info.size = 64 << 20
        members[-1] = (info, bytes(64 << 20))
        mode = "w:gz" if kind == "gzip_bomb" else "w"
    elif kind == "extra":
        info = tarfile.TarInfo(f"{ref.cpt_id}/extra.toml")
        info.size = 3
        members.append((info, b"x=1"))
    elif kind == "duplicate":
        members.append(members[-1])
    elif kind == "dir_first":
        members.insert(0, (tarfile.TarInfo("chunks"), None))
        members[0][0].type = tarfile.DIRTYPE
    elif kind == "huge_header":
        info = tarfile.TarInfo(members[0][0].name)
        info.pax_headers = {"comment": "x" * (4 << 20)}
        members[0] = (info, members[0][1])
        info.size = len(members[0][1])
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    if kind in ("truncate", "flip"):
        raw = bytearray(path.read_bytes())
        if kind == "truncate":
            raw = raw[:rng.randrange(len(raw))]
        else:
            raw[rng.randrange(len(raw))] ^= 0x10
        path.write_bytes(bytes(raw))
    return f"archive {kind}"


RESIGNED_STATE_EDITS = tuple(f"{kind} {table}." for kind in ("resign_set", "resign_delete")
                             for table in ("components", "disks"))


def snapshot(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.iterdir()}


def run_cli(argv) -> tuple[int, str, str]:
    from graphsim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def one_case(ref: Reference, case: Path, rng: random.Random, tally: Tally, outside: Path):
    from graphsim.checkpoint.library import Library
    from graphsim.checkpoint.restore import plan_restore
    from graphsim.config.schema import component_kinds

    lib = case / "lib"
    archive_case = rng.random() < 0.2
    before = snapshot(case.parent)
    if archive_case:
        archive = case / "in.tar"
        what = mutate_archive(ref, archive, rng)
        lib.mkdir()
    else:
        shutil.copytree(ref.lib, lib)
        what = mutate_checkpoint(lib / "checkpoints" / ref.cpt_id, lib, rng, outside)
    stage = "library"
    try:
        with time_bound(30):
            library = Library(str(lib))
            if archive_case:
                stage = "import"
                library.import_(str(archive), component_kinds())
            library.entries()
            stage = "show"
            code, out, _ = run_cli(["checkpoints", "--library", str(lib), "show", ref.cpt_id])
            if "\x1b" in out or "\x07" in out or "\r" in out:
                tally.add("terminal_escape", f"{what}: show printed control characters")
            stage = "list"
            code, out, err = run_cli(["checkpoints", "--library", str(lib), "list"])
            if "\x1b" in out + err:
                tally.add("terminal_escape", f"{what}: list printed control characters")
            stage = "export"
            export_dir = case / "export"
            export_dir.mkdir()
            try:
                library.export(ref.cpt_id, str(export_dir / "x.tar"))
            except GraphsimError:
                if os.listdir(export_dir):
                    tally.add("half_done", f"{what}: a failed export left {os.listdir(export_dir)}")
            stage = "compat"
            compat_code, _, _ = run_cli(["compat", ref.cpt_id, "--library", str(lib)])
            stage = "restore"
            try:
                plan = plan_restore(library, ref.cpt_id)
            except GraphsimError as exc:
                outcome, detail = classify_error(exc)
                tally.add(outcome, f"{what}: {detail}")
                if compat_code == 0:
                    tally.add("fooled", f"{what}: compat said restorable; restore refused: {exc}")
                return
            stage = "build"
            try:
                machine = plan.build()
            except BaseException as exc:  # anything after the plan was accepted is a half-done restore
                if isinstance(exc, Hang):
                    raise
                tally.add("half_done", f"{what}: build failed after the plan was accepted: {exc!r}")
                return
            digest = machine.digest()
            machine.close()
            if digest == ref.digest:
                tally.add("identical")
            elif what.startswith(RESIGNED_STATE_EDITS):
                # A re-checksummed manifest whose state records now name other, intact chunks, offsets or
                # sectors is a consistent checkpoint of another state: the checksum is not a signature.
                tally.add("other_consistent_state")
            else:
                tally.add("fooled", f"{what}: restored a different machine")
    except BaseException as exc:  # noqa: BLE001 — every failure is counted, by kind
        if isinstance(exc, KeyboardInterrupt):
            raise
        outcome, detail = classify_error(exc)
        tally.add(outcome, f"{what} ({stage}): {detail}")
    finally:
        if rss_peak() > tally.extra.setdefault("rss_baseline", rss_peak()) + RSS_BOUND and "memory" not in tally.counts:
            tally.add("memory", f"{what}: the process's resident memory passed {RSS_BOUND >> 20} MiB more than at the start")
        new = snapshot(case.parent) - before - {case.name}
        if new or outside.read_bytes() != b"outside the library\n":
            tally.add("outside_write", f"{what}: wrote {sorted(new)}")
        if Path("/tmp/graphsim-fault-outside-written").exists():
            os.unlink("/tmp/graphsim-fault-outside-written")
            tally.add("outside_write", f"{what}: wrote /tmp/graphsim-fault-outside-written")
        shutil.rmtree(case, ignore_errors=True)


def attack_mutate(n: int, work: Path, rng: random.Random) -> Tally:
    tally = Tally("mutate")
    ref = Reference(work)
    cases = work / "cases"
    cases.mkdir()
    outside = work / "outside"
    outside.write_bytes(b"outside the library\n")
    limit_memory(2 << 30)
    tally.extra["rss_baseline"] = rss_peak()
    try:
        for i in range(n):
            case = cases / f"c{i}"
            case.mkdir()
            one_case(ref, case, rng, tally, outside)
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    tally.extra = {"peak_rss_mib": rss_peak() >> 20}
    return tally


# --- machines: fuzzed machine files ----------------------------------------------------------------------


def fuzzed_machine(rng: random.Random, bases: list[dict], special: dict[str, str]) -> tuple[str, str]:
    """A machine document (TOML text) and what was done to it."""
    import tomli_w

    doc = copy.deepcopy(rng.choice(bases))
    kind = rng.choice(["param", "param", "param", "structure", "include", "file", "deep", "dotted", "empty_key"])
    if kind == "param":
        for _ in range(rng.randint(1, 3)):
            name = rng.choice(sorted(doc["components"]))
            table = doc["components"][name]
            key = rng.choice(sorted(table))
            table[key] = copy.deepcopy(rng.choice(
                [0, -1, -5, 1, 2**31, 2**32, 2**63 - 1, 2**64, "0", "-1", "1TiB", "64TiB", "0Hz", "1Hz", "1THz",
                 "0xFFFFFFFFFFFFFFFF", "0x1_0000_0000_0000_0000", "1e30", "NaN", "inf", "", "x", [], {}, [1] * 5,
                 {"a": {"b": 1}}, 1.5, float("inf"), True, "10000000000000s", "0ns", "2147483648 cycles"]))
            what = f"components.{name}.{key}"
        return tomli_w.dumps(doc), f"param {what}"
    if kind == "structure":
        action = rng.choice(["count", "workload", "delete", "type"])
        name = rng.choice(sorted(doc["components"]))
        if action == "count":
            doc["components"][name]["count"] = rng.choice([0, -1, 10**6, 1025, "2", 2])
        elif action == "workload":
            doc["workload"] = {rng.choice(["kernel", "firmware", "initrd", "bootargs", "load_address", "dtb"]):
                               rng.choice([5, [1], {"a": 1}, "", "0x-1", special["fifo"], "/dev/zero"])}
        elif action == "delete":
            del doc["components"][name]
        else:
            doc["components"][name]["type"] = rng.choice(["cache", "memory", "clint", "nope", 5])
        return tomli_w.dumps(doc), f"structure {action} {name}"
    if kind == "include":
        target = rng.choice(list(special.values()))
        return tomli_w.dumps({"version": 1, "include": [target]}), f"include {target}"
    if kind == "file":
        disk = [n for n, t in doc["components"].items() if t.get("type") == "virtio_blk"]
        target = rng.choice(list(special.values()))
        if disk:
            doc["components"][disk[0]]["image"] = target
        else:
            doc.setdefault("workload", {})["kernel"] = target
        return tomli_w.dumps(doc), f"file {target}"
    if kind == "deep":
        depth = rng.choice([40, 200, 1000, 5000])
        return "version = 1\nx = " + "[" * depth + "]" * depth + "\n", f"deep {depth}"
    if kind == "dotted":
        parts = rng.choice([40, 500, 3000])
        return "version = 1\n[components." + ".".join(["a"] * parts) + "]\n", f"dotted {parts}"
    name = rng.choice(sorted(doc["components"]))
    doc["components"][name][""] = 1
    if rng.random() < 0.5:
        doc[""] = {"": 1}
    return tomli_w.dumps(doc), "empty key"


def attack_machines(n: int, work: Path, rng: random.Random) -> Tally:
    from graphsim.cli import load
    from graphsim.config.loader import load_machine
    from graphsim.sim.machine import Machine

    tally = Tally("machines")
    special = {"fifo": str(work / "fifo"), "zero": "/dev/zero", "urandom": "/dev/urandom", "dir": str(work),
               "loop": str(work / "loop.toml"), "missing": str(work / "missing.toml"),
               "chain": str(work / "chain0.toml")}
    os.mkfifo(special["fifo"])
    os.symlink(special["loop"], special["loop"])
    for i in range(60):  # a chain of includes deeper than any machine needs
        (work / f"chain{i}.toml").write_text(f"version = 1\ninclude = ['chain{i + 1}.toml']\n")
    (work / "chain60.toml").write_text("version = 1\n")
    bases = [load_machine(p).data for p in sorted((ROOT / "configs").glob("*.toml"))]
    built = 0
    limit_memory(2 << 30)
    try:
        for i in range(n):
            text, what = fuzzed_machine(rng, bases, special)
            path = work / "fuzz.toml"
            path.write_text(text)
            try:
                with time_bound(30):
                    try:
                        graph = load(str(path), [])
                    except GraphsimError as exc:
                        problems = getattr(exc, "problems", [])
                        if any(not p.file for p in problems):
                            tally.add("multi_line", f"{what}: a problem without a file: {problems}")
                        else:
                            tally.add("refused")
                        continue
                    try:
                        machine = Machine(graph, {}, None)
                    except GraphsimError:
                        tally.add("refused_at_build")  # e.g. a disk image that is not a regular file
                        continue
                    machine.close()
                    built += 1
                    tally.add("validated_and_built")
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, KeyboardInterrupt):
                    raise
                outcome, detail = classify_error(exc)
                tally.add(outcome, f"{what}: {detail}")
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    return tally


# --- guests: a hostile guest against every Python device ----------------------------------------------

GUEST_ATTACKS = ["virtio_registers", "virtio_huge", "virtio_runaway", "virtio_storm", "uart", "simctl", "m5ops",
                 "finisher"]
GUEST_MAX_INSTS = 50_000_000
GUEST_SECONDS_PER_MINST = 20.0  # host CPU seconds a million guest instructions may cost, whatever they do
GUEST_RSS_BOUND = 512 << 20


def symbol(elf: str, name: str) -> int:
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as f:
        for sym in ELFFile(f).get_section_by_name(".symtab").iter_symbols():
            if sym.name == name:
                return sym["st_value"]
    raise KeyError(name)


def attack_guests(work: Path, smoke: bool) -> list[Tally]:
    from graphsim.cli import load
    from graphsim.sim.console import Console
    from graphsim.sim.runner import RunOptions, execute

    elf = str(ROOT / "assets" / "guest" / "build" / "hostile.elf")
    address = symbol(elf, "attack")
    tallies = []
    for number, name in enumerate(GUEST_ATTACKS):
        from graphsim.sim.machine import Machine

        tally = Tally(f"guest_{name}")
        machine = Machine(load(str(ROOT / "configs" / "virt-rv64-disk.toml"), []), {}, Console())
        machine.boot(kernel=elf)
        offset = address - machine.ram_base
        machine.ram[offset:offset + 4] = list(number.to_bytes(4, "little"))
        if name == "uart":
            machine.console.pending_input += b"\x00\xff\x1b[6n" * 250_000  # a megabyte of hostile input
        # CPU seconds of this process, not wall time: what the guest costs the host, whatever else the host runs
        rss, started = rss_bytes(), time.process_time()
        try:
            with time_bound(600), contextlib.redirect_stderr(io.StringIO()):
                stop, summary = execute(machine, RunOptions(outdir=str(work / f"guest-{name}"), quiet=True,
                                                             library=str(work / f"guest-{name}-lib"),
                                                             max_insts=GUEST_MAX_INSTS))
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            outcome, detail = classify_error(exc)
            tally.add(outcome, detail)
            tallies.append(tally)
            continue
        seconds = time.process_time() - started
        grown = max(0, rss_bytes() - rss)
        insts = machine.instret
        expected = (1 if name == "finisher" else 0)  # the finisher attack ends with a code no exit status carries
        if stop.reason != "exit" or (stop.exit_code != 0) != bool(expected):
            tally.add("fooled", f"stopped by {stop.reason} with code {stop.exit_code}")
        elif seconds > 2 + GUEST_SECONDS_PER_MINST * insts / 1e6 or grown > GUEST_RSS_BOUND:
            tally.add("unbounded", f"{seconds:.1f} s and {grown >> 20} MiB for {insts:,} instructions")
        else:
            tally.add("bounded")
        tally.extra = {"instructions": insts, "host_cpu_seconds": round(seconds, 2),
                       "host_us_per_kinst": round(seconds / max(insts, 1) * 1e9, 1), "rss_growth_mib": grown >> 20,
                       "checkpoints": len(summary.get("checkpoints", [])), "device_status":
                       {c.name: int(c.reg("status")) for c in machine.graph.of_kind("virtio_blk")}}
        machine.close()
        tallies.append(tally)
    return tallies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a few cases of each attack")
    parser.add_argument("--only", help="comma-separated attacks: kill, mutate, machines, guests")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--cases", help="case counts, e.g. kill=30,mutate=200,machines=300")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    only = set(args.only.split(",")) if args.only else {"kill", "mutate", "machines", "guests"}
    sizes = {"kill": 6, "mutate": 30, "machines": 60} if args.smoke else {"kill": 210, "mutate": 1100,
                                                                          "machines": 1100}
    for item in filter(None, (args.cases or "").split(",")):
        name, _, count = item.partition("=")
        sizes[name] = int(count)
    rng = random.Random(args.seed)
    problems = 0
    with tempfile.TemporaryDirectory(prefix="graphsim-faults-") as tmp:
        work = Path(tmp)
        runs = []
        if "kill" in only:
            (work / "kill").mkdir()
            runs.append(lambda: [attack_kill(sizes["kill"], work / "kill", rng)])
        if "mutate" in only:
            (work / "mutate").mkdir()
            runs.append(lambda: [attack_mutate(sizes["mutate"], work / "mutate", rng)])
        if "machines" in only:
            (work / "machines").mkdir()
            runs.append(lambda: [attack_machines(sizes["machines"], work / "machines", rng)])
        if "guests" in only:
            (work / "guests").mkdir()
            runs.append(lambda: attack_guests(work / "guests", args.smoke))
        for run in runs:
            for tally in run():
                problems += tally.problems
                print(json.dumps(tally.line()), flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
