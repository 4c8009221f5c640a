"""Checkpoints and libraries from strangers (issue 17): a crafted or damaged file is refused by name
before anything is built, never read outside the library, never allocated blindly; one bad entry
leaves the rest of the library usable; gc never races writers."""

import gzip
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time

import pytest

from graphsim.checkpoint.format import CheckpointError, read_manifest, write_manifest
from graphsim.checkpoint.library import Library, LibraryError
from graphsim.checkpoint.restore import plan_restore
from graphsim.devices.disk import DiskError
from tests.checkpoint.test_store import HEADER, KINDS, memory_state
from tests.conftest import CONFIGS, ROOT


def graphsim(*args):
    return subprocess.run([sys.executable, "-m", "graphsim.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


@pytest.fixture(scope="module")
def disk_library(tmp_path_factory):
    lib = tmp_path_factory.mktemp("hostile")
    result = graphsim("run", str(CONFIGS / "virt-rv64-disk.toml"), "--kernel", "assets/guest/build/virtio_blk_read.elf",
                      "--checkpoint-at-inst", "200000", "--max-insts", "200001", "--library", str(lib), "--quiet",
                      "--outdir", str(lib / "run"), "--name", "disk")
    assert result.returncode == 0, result.stderr
    return lib


@pytest.fixture
def lib_copy(disk_library, tmp_path):
    copy = tmp_path / "lib"
    shutil.copytree(disk_library, copy)
    cpt = next(p for p in (copy / "checkpoints").iterdir() if not p.name.startswith("."))
    return copy, cpt


def resign(cpt, edit):
    manifest = read_manifest(str(cpt))
    edit(manifest)
    write_manifest(str(cpt), manifest)  # the checksum recomputed: only validation can catch it


def refused(lib, match, **kwargs):
    library = Library(str(lib))
    with pytest.raises(CheckpointError, match=match):
        plan_restore(library, "disk", **kwargs)


# --- restore validates before it builds --------------------------------------


def test_missing_component_state_is_refused(lib_copy):
    lib, cpt = lib_copy
    resign(cpt, lambda m: m["components"].pop("uart0"))
    refused(lib, r"components.uart0: state missing")


def test_missing_field_is_refused(lib_copy):
    lib, cpt = lib_copy
    resign(cpt, lambda m: m["components"]["disk0"]["fields"].pop())
    refused(lib, r"components.disk0: state field\(s\) .* missing")


def test_wrong_dtype_is_refused(lib_copy):
    lib, cpt = lib_copy

    def edit(m):
        m["components"]["uart0"]["fields"][0]["dtype"] = "<f8"
    resign(cpt, edit)
    refused(lib, r"components.uart0.rbr: dtype <f8 but uart16550 declares int64")


def test_state_size_must_match_its_fields(lib_copy):
    lib, cpt = lib_copy

    def edit(m):
        record = next(f for f in m["components"]["clint"]["fields"] if f["name"] == "msip")
        record["shape"], record["nbytes"] = [0], 0
    resign(cpt, edit)
    refused(lib, r"components.clint: state_bytes 24 is not the 16 bytes its fields declare")


def test_state_of_another_shape_is_incompatible_before_build(lib_copy):
    from graphsim.checkpoint.restore import RestoreRefused

    lib, _ = lib_copy
    with pytest.raises(RestoreRefused) as refusal:
        plan_restore(Library(str(lib)), "disk", overrides=["components.plic.num_sources=64"])
    assert refusal.value.exit_code == 2
    assert "plic: state priority is int64 [97] in the checkpoint; the target needs int64 [64]" in str(refusal.value)


@pytest.mark.parametrize("record, value, message", [
    (("components", "ram", "fields", 0, "shape"), [1 << 40],
     r"components.ram.data: shape \[1099511627776\] does not match the 134217728-byte memory"),
    (("compat", "memory", "ram", "size"), 1 << 50, r"components.ram.data: .* more than the machine the checkpoint "
                                                   r"describes, or this host, can hold"),
    (("disks", "disk0", "overlay_bytes"), 1 << 40, "overlay size does not match its sector list"),
    (("components", "cpu", "state_bytes"), 1 << 40, "state_bytes 1,099,511,627,776 is not the"),
    (("components", "uart0", "fields", 0, "shape"), [1 << 27], r"components.uart0.rbr: 1,073,741,824 bytes is more than"),
])
def test_huge_declared_size_is_refused_without_allocating(lib_copy, record, value, message):
    lib, cpt = lib_copy

    def edit(m):
        table = m
        for key in record[:-1]:
            table = table[key]
        table[record[-1]] = value
        if record[1] == "memory":
            m["components"]["ram"]["fields"][0]["shape"] = [value]
    resign(cpt, edit)
    refused(lib, message)


def test_negative_overlay_sector_is_refused(lib_copy):
    lib, cpt = lib_copy

    def edit(m):
        m["disks"]["disk0"]["overlay_sectors"] = [-1]
    resign(cpt, edit)
    refused(lib, r"disks.disk0.overlay_sectors\[0\]: -1 is negative")


def test_chunk_reference_must_be_a_hash(lib_copy):
    lib, cpt = lib_copy

    def edit(m):
        m["components"]["cpu"]["state_chunk"] = "../../../../../../etc/passwd"
    resign(cpt, edit)
    refused(lib, "is not a SHA-256 in hex")
    library = Library(str(lib))
    with pytest.raises(CheckpointError, match="is not a SHA-256 in hex"):
        library.export(library.resolve("disk"), str(lib / "out.tar"))
    assert not [p for p in os.listdir(lib) if p.startswith((".out", "out"))]  # no partial archive


def test_symlinked_chunk_is_not_followed(lib_copy):
    lib, cpt = lib_copy
    digest = read_manifest(str(cpt))["components"]["cpu"]["state_chunk"]
    chunk = lib / "chunks" / digest[:2] / (digest[2:] + ".zst")
    chunk.unlink()
    chunk.symlink_to("/dev/zero")
    refused(lib, "is a symbolic link")


def test_stored_config_may_not_include(lib_copy):
    lib, cpt = lib_copy
    resign(cpt, lambda m: m["config"].__setitem__("include", ["/etc/passwd"]))
    refused(lib, "config.include: a checkpoint's config may not include other files")


def test_disk_path_from_elsewhere_does_not_choose_a_host_file(lib_copy, tmp_path):
    lib, cpt = lib_copy
    other = tmp_path / "other.img"
    other.write_bytes(b"\1" * 65536)

    def edit(m):
        m["compat"]["disks"]["disk0"]["path"] = str(other)
        m["config"]["components"]["disk0"]["image"] = "/dev/zero"
    resign(cpt, edit)
    library = Library(str(lib))
    with pytest.raises(DiskError, match=r"disk0: the checkpoint's disk image .* is not there or is "
                                        r"another file; it needs the image of .* give --disk disk0=PATH"):
        plan_restore(library, "disk", allow_warnings=True)
    disk = ROOT / "assets" / "guest" / "disk" / "test.img"
    assert plan_restore(library, "disk", disks={"disk0": str(disk)}).disks == {"disk0": str(disk)}


def test_compat_verifies_what_it_reads(lib_copy):
    lib, _ = lib_copy
    next((lib / "chunks").rglob("*.zst")).unlink()
    result = graphsim("compat", "disk", "--library", str(lib))
    assert result.returncode == 3 and "is missing" in result.stderr and "Traceback" not in result.stderr


def test_show_escapes_control_characters(lib_copy):
    lib, cpt = lib_copy
    resign(cpt, lambda m: m["console"].__setitem__("tail", "hello\x1b]0;pwned\x07\x1b[2J\rworld\n"))
    library = Library(str(lib))
    library.set_note(library.resolve("disk"), "note\x1b[31m")
    result = graphsim("checkpoints", "--library", str(lib), "show", "disk")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\r" not in result.stdout
    assert r"hello\x1b]0;pwned\x07\x1b[2J\rworld" in result.stdout and r"note\x1b[31m" in result.stdout


# --- the library survives one bad entry ----------------------------------------


@pytest.mark.parametrize("edit", ['note = [1]', 'name = 5', 'created = {a = 1}'])
def test_wrong_typed_meta_is_one_damaged_entry(tmp_path, edit):
    lib = Library(str(tmp_path / "lib"))
    good, _ = lib.add(memory_state(1), HEADER, name="good")
    bad, _ = lib.add(memory_state(2), HEADER, name="bad")
    path = tmp_path / "lib" / "checkpoints" / bad / "manifest.toml"
    key = edit.split(" = ")[0]
    text = path.read_text()
    start = text.index(f"\n{key} = ", text.index("[meta]"))
    end = text.index("\n", start + 1)
    path.write_text(text[:start] + "\n" + edit + text[end:])  # [meta] is outside the checksum
    lib = Library(str(tmp_path / "lib"))
    assert [e.id for e in lib.entries()] == [good]
    assert f"meta.{key}: expected a string" in lib.damaged[bad]
    lib.load(good, KINDS)
    assert lib.gc()[0] == 0  # the damaged entry's chunks are kept
    listing = graphsim("checkpoints", "--library", str(tmp_path / "lib"), "list")
    assert listing.returncode == 0 and "good" in listing.stdout and "damaged" in listing.stderr
    verify = graphsim("checkpoints", "--library", str(tmp_path / "lib"), "verify")
    assert verify.returncode == 3 and "ok       " + good in verify.stdout and "Traceback" not in verify.stderr


def test_wrong_typed_position_is_one_damaged_entry(tmp_path):
    lib = Library(str(tmp_path / "lib"))
    good, _ = lib.add(memory_state(1), HEADER)
    bad, _ = lib.add(memory_state(2), HEADER)
    path = str(tmp_path / "lib" / "checkpoints" / bad)
    manifest = read_manifest(path)
    manifest["position"]["tick"] = "x"
    write_manifest(path, manifest)
    lib = Library(str(tmp_path / "lib"))
    assert [e.id for e in lib.entries()] == [good] and "position.tick: expected an integer" in lib.damaged[bad]


def test_damaged_index_is_rebuilt(tmp_path):
    lib = Library(str(tmp_path / "lib"))
    cpt, _ = lib.add(memory_state(), HEADER)
    lib.close()
    for suffix in ("-wal", "-shm"):
        if os.path.exists(tmp_path / "lib" / f"index.sqlite{suffix}"):
            os.unlink(tmp_path / "lib" / f"index.sqlite{suffix}")
    (tmp_path / "lib" / "index.sqlite").write_bytes(b"this is not a database" * 100)
    assert [e.id for e in Library(str(tmp_path / "lib")).entries()] == [cpt]
    sqlite3.connect(str(tmp_path / "lib" / "index.sqlite")).execute("SELECT * FROM checkpoints").fetchall()


def test_fifo_manifest_does_not_hang(tmp_path):
    lib = Library(str(tmp_path / "lib"))
    good, _ = lib.add(memory_state(1), HEADER)
    bad, _ = lib.add(memory_state(2), HEADER)
    manifest = tmp_path / "lib" / "checkpoints" / bad / "manifest.toml"
    manifest.unlink()
    os.mkfifo(manifest)  # would hang a plain open()
    lib = Library(str(tmp_path / "lib"))
    assert [e.id for e in lib.entries()] == [good] and "not a regular file" in lib.damaged[bad]


# --- gc and writers -------------------------------------------------------------


def test_gc_collects_only_what_dead_writers_left(tmp_path):
    lib = Library(str(tmp_path / "lib"))
    cpt, manifest = lib.add(memory_state(), HEADER)
    digest = manifest["components"]["ram"]["fields"][0]["chunks"][0][1]
    directory = tmp_path / "lib" / "chunks" / digest[:2]
    leftover = directory / f"{digest[2:]}.zst.tmp4242"
    leftover.write_bytes(b"half a chunk")
    unrelated = directory / "README"
    unrelated.write_text("not ours")
    lib.gc()
    assert not leftover.exists() and unrelated.exists()
    lib.load(cpt, KINDS)


def test_gc_waits_for_writers(tmp_path):
    lib = Library(str(tmp_path / "lib"))
    done = threading.Event()
    with lib._locked(exclusive=False):  # a writer in progress
        other = Library(str(tmp_path / "lib"))
        thread = threading.Thread(target=lambda: (other.gc(), done.set()))
        thread.start()
        time.sleep(0.5)
        assert not done.is_set()
    thread.join(10)
    assert done.is_set()


def test_gc_racing_writers_loses_nothing(tmp_path):
    lib_dir = str(tmp_path / "lib")
    writers = [subprocess.Popen([sys.executable, "-m", "tests.checkpoint.writer", lib_dir, str(seed)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for seed in (1, 2)]
    try:
        for writer in writers:
            assert writer.stdout.readline().strip() == b"ready"
        library = Library(lib_dir)
        deadline = time.time() + 8
        while time.time() < deadline:
            library.gc()
    finally:
        for writer in writers:
            writer.kill()
            writer.wait()
    library = Library(lib_dir)
    library.gc()
    assert library.damaged == {} and len(library.entries()) >= 2
    for entry in library.entries():
        library.load(entry.id, {"memory": KINDS["memory"]})


# --- archives from strangers ------------------------------------------------------


def exported(tmp_path):
    lib = Library(str(tmp_path / "a"))
    cpt, _ = lib.add(memory_state(), HEADER)
    lib.export(cpt, str(tmp_path / "x.tar"))
    with tarfile.open(tmp_path / "x.tar") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    return cpt, members


def write_tar(path, members, mode="w"):
    with tarfile.open(path, mode) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def test_archive_with_a_symlink_member_is_refused(tmp_path):
    cpt, members = exported(tmp_path)
    info, _ = members[-1]
    link = tarfile.TarInfo(info.name)
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    write_tar(tmp_path / "evil.tar", members[:-1] + [(link, None)])
    with pytest.raises(LibraryError, match="is not a regular file"):
        Library(str(tmp_path / "b")).import_(str(tmp_path / "evil.tar"), KINDS)
    assert not os.listdir(tmp_path / "b" / "checkpoints")


def test_archive_with_path_traversal_is_refused(tmp_path):
    cpt, members = exported(tmp_path)
    evil = tarfile.TarInfo("chunks/../../../escaped.txt")
    evil.size = 3
    write_tar(tmp_path / "evil.tar", members + [(evil, b"bad")])
    with pytest.raises(LibraryError, match="is not one of the checkpoint's chunks"):
        Library(str(tmp_path / "b")).import_(str(tmp_path / "evil.tar"), KINDS)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "b" / "escaped.txt").exists()


def test_gzip_bomb_is_bounded_by_the_manifest(tmp_path):
    cpt, members = exported(tmp_path)
    bomb = tarfile.TarInfo("chunks/ab/" + "ab" * 31 + ".zst")
    bomb.size = 256 << 20
    path = tmp_path / "bomb.tar.gz"
    with gzip.open(path, "wb", compresslevel=1) as gz:
        with tarfile.open(fileobj=gz, mode="w") as tar:
            for info, data in members:
                tar.addfile(info, io.BytesIO(data))
            tar.addfile(bomb, io.BytesIO(bytes(256 << 20)))  # 256 MiB of zeros: ~250 KiB compressed
    started = time.perf_counter()
    with pytest.raises(LibraryError, match="not one of the checkpoint's chunks"):
        Library(str(tmp_path / "b")).import_(str(path), KINDS)
    assert time.perf_counter() - started < 5


def test_gzipped_export_imports(tmp_path):
    cpt, members = exported(tmp_path)
    path = tmp_path / "x.tar.gz"
    path.write_bytes(gzip.compress((tmp_path / "x.tar").read_bytes()))
    assert Library(str(tmp_path / "b")).import_(str(path), KINDS) == cpt


def test_export_of_a_damaged_checkpoint_leaves_nothing(tmp_path):
    lib = Library(str(tmp_path / "a"))
    cpt, manifest = lib.add(memory_state(), HEADER)
    digest = manifest["components"]["ram"]["fields"][0]["chunks"][-1][1]
    os.unlink(lib.store.path(digest))
    with pytest.raises(CheckpointError, match="is missing"):
        lib.export(cpt, str(tmp_path / "x.tar"))
    assert sorted(os.listdir(tmp_path)) == ["a"]


def test_state_dtype_must_be_plain(tmp_path):
    lib = Library(str(tmp_path / "a"))
    cpt, _ = lib.add(memory_state(), HEADER)
    path = str(tmp_path / "a" / "checkpoints" / cpt)
    manifest = read_manifest(path)
    manifest["components"]["ram"]["fields"][0]["dtype"] = "O"
    write_manifest(path, manifest)
    with pytest.raises(CheckpointError, match="is not a little-endian integer or float type"):
        lib.load(cpt, KINDS)


def test_chunk_claiming_a_huge_size_is_refused_before_allocating(tmp_path):
    import struct

    lib = Library(str(tmp_path / "a"))
    cpt, manifest = lib.add(memory_state(), HEADER)
    digest = manifest["components"]["ram"]["fields"][0]["chunks"][0][1]
    # a zstd frame whose header says 1 TiB follows (single segment, 8-byte content size, one raw block)
    frame = bytes.fromhex("28b52ffd") + bytes([0xE0]) + struct.pack("<Q", 1 << 40) \
        + (1 | 100 << 3).to_bytes(3, "little") + b"a" * 100
    with open(lib.store.path(digest), "wb") as f:
        f.write(frame)
    with pytest.raises(CheckpointError, match="does not hold the 65536 bytes the manifest says"):
        lib.load(cpt, KINDS)
