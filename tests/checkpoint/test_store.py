"""The checkpoint store itself: atomic writes, sparse shared chunks, validation on read."""

import os

import numpy as np
import pytest

from graphsim.checkpoint.chunks import CHUNK_SIZE, nonzero_chunks
from graphsim.checkpoint.format import (CheckpointError, ComponentState, SavedState, TooNewError, read_manifest,
                                        write_manifest)
from graphsim.checkpoint.library import Library, LibraryError
from graphsim.mem.memory import Memory

KINDS = {"memory": Memory}


def memory_state(seed: int = 1, pages=(0, 40, 300, 600, 900)) -> SavedState:
    data = np.zeros(32 * 1024 * 1024, dtype=np.uint8)
    rng = np.random.default_rng(seed)
    for page in pages:
        data[page * 4096:(page + 1) * 4096] = rng.integers(0, 256, 4096, dtype=np.uint8)
    return SavedState({"ram": ComponentState("memory", 1, {"data": data})},
                      disks={"disk0": {"base": {"size": 1 << 20, "sha256": "ab" * 32},
                                       "overlay": {7: b"\x01" * 512, 3: b"\x02" * 512}}})


HEADER = {"position": {"tick": 10, "instret": 5}, "trigger": {"kind": "test", "detail": ""}, "parent": "",
          "compat": {"xlen": 64}}


def test_nonzero_chunks_skips_zero_pages():
    data = np.zeros(CHUNK_SIZE * 4 + 100, dtype=np.uint8)
    data[CHUNK_SIZE * 2 + 5] = 1
    data[-1] = 9
    assert nonzero_chunks(data) == [2, 4]


def test_round_trip_and_sharing(tmp_path):
    lib = Library(str(tmp_path / "lib"))
    first, manifest = lib.add(memory_state(), HEADER, note="first")
    assert manifest["stored_bytes"] < 64 * 1024  # five random pages (compressed) and two overlay sectors
    _, loaded = lib.load(first, KINDS)
    assert np.array_equal(loaded.components["ram"].fields["data"], memory_state().components["ram"].fields["data"])
    assert loaded.disks["disk0"]["overlay"] == memory_state().disks["disk0"]["overlay"]
    # A second checkpoint of the same lineage after a small change stores only what changed.
    changed = memory_state()
    changed.components["ram"].fields["data"][40 * 4096] ^= 0xFF
    second, manifest2 = lib.add(changed, {**HEADER, "parent": first})
    assert manifest2["stored_bytes"] < manifest["stored_bytes"] / 3
    assert [e.id for e in lib.entries()] == [first, second]
    assert lib.children(first) == [second]


@pytest.mark.parametrize("syncfs", [True, False])
def test_a_batch_of_chunks_is_stored_once_each_and_leaves_no_temporaries(tmp_path, monkeypatch, syncfs):
    """Many chunks (hashed and compressed on threads), two of them alike: each is stored once under
    its name, whether the batch is made durable by syncfs or file by file (hosts without it)."""
    from graphsim.checkpoint import chunks

    if not syncfs:
        monkeypatch.setattr(chunks, "_SYNCFS", None)
    state = memory_state(pages=range(0, 8192, 200))
    data = state.components["ram"].fields["data"]
    data[CHUNK_SIZE * 101:CHUNK_SIZE * 102] = data[:CHUNK_SIZE]  # a chunk equal to the first
    lib = Library(str(tmp_path / "lib"))
    cpt, manifest = lib.add(state, HEADER)
    entries = manifest["components"]["ram"]["fields"][0]["chunks"]
    assert len(entries) == len(nonzero_chunks(data)) == 42
    stored = lib.store.all_digests()
    assert {digest for _, digest in entries} <= stored and len({digest for _, digest in entries}) == 41
    assert lib.store.leftovers() == []
    _, loaded = lib.load(cpt, KINDS)
    assert np.array_equal(loaded.components["ram"].fields["data"], data)


def test_damage_is_detected_by_name(tmp_path):
    lib = Library(str(tmp_path / "lib"))
    cpt, manifest = lib.add(memory_state(), HEADER)
    path = lib.path(cpt)
    # a chunk flipped
    digest = manifest["components"]["ram"]["fields"][0]["chunks"][0][1]
    chunk = lib.store.path(digest)
    raw = bytearray(open(chunk, "rb").read())
    raw[len(raw) // 2] ^= 0x40
    open(chunk, "wb").write(bytes(raw))
    with pytest.raises(CheckpointError, match=f"components.ram.data: chunk {digest[:16]}"):
        lib.load(cpt, KINDS)
    # a manifest edited by hand
    text = open(os.path.join(path, "manifest.toml")).read().replace("instret = 5", "instret = 6")
    open(os.path.join(path, "manifest.toml"), "w").write(text)
    with pytest.raises(CheckpointError, match="checksum: does not match the content"):
        read_manifest(path)


def test_too_new_and_unknown_versions(tmp_path):
    lib = Library(str(tmp_path / "lib"))
    cpt, _ = lib.add(memory_state(), HEADER)
    manifest = read_manifest(lib.path(cpt))
    manifest["format_version"] = 99
    write_manifest(lib.path(cpt), manifest)
    with pytest.raises(TooNewError, match="format_version 99 is newer"):
        read_manifest(lib.path(cpt))
    manifest["format_version"] = 1
    manifest["components"]["ram"]["state_version"] = 7
    write_manifest(lib.path(cpt), manifest)
    with pytest.raises(TooNewError, match="components.ram: memory state version 7 is newer"):
        lib.load(cpt, KINDS)


def test_rm_keeps_shared_chunks_and_gc_frees_the_rest(tmp_path):
    lib = Library(str(tmp_path / "lib"))
    a, _ = lib.add(memory_state(1), HEADER)
    b, _ = lib.add(memory_state(1, pages=(0, 40, 300, 600, 900, 1000)), HEADER)
    lib.remove(a)
    _, loaded = lib.load(b, KINDS)  # b shares a's chunks and still loads
    assert loaded.components["ram"].fields["data"][1000 * 4096:1001 * 4096].any()
    assert lib.gc() == (0, 0)
    lib.remove(b)
    count, freed = lib.gc()
    assert count > 0 and freed > 0
    assert lib.store.all_digests() == set()


def test_export_import_and_notes(tmp_path):
    lib = Library(str(tmp_path / "a"))
    cpt, _ = lib.add(memory_state(), HEADER, name="boot")
    lib.set_note(lib.resolve("boot"), "at the prompt")
    assert lib.resolve("boot") == cpt and lib.resolve(cpt[:12]) == cpt
    lib.export(cpt, str(tmp_path / "x.tar"))
    other = Library(str(tmp_path / "b"))
    assert other.import_(str(tmp_path / "x.tar"), KINDS) == cpt
    assert other.entries()[0].note == "at the prompt"
    with pytest.raises(LibraryError, match="already in the library"):
        other.import_(str(tmp_path / "x.tar"), KINDS)
    # an archive smuggling in a chunk the manifest does not reference: that chunk stays out
    import io
    import tarfile

    stray = "ab" * 32
    with tarfile.open(tmp_path / "x.tar", "a") as tar:
        info = tarfile.TarInfo(f"chunks/{stray[:2]}/{stray[2:]}.zst")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"junk"))
    third = Library(str(tmp_path / "c"))
    assert third.import_(str(tmp_path / "x.tar"), KINDS) == cpt
    assert not third.store.has(stray)
    third.load(cpt, KINDS)
    (tmp_path / "junk.tar").write_bytes(b"not a tar")
    with pytest.raises(LibraryError, match="not a checkpoint archive"):
        other.import_(str(tmp_path / "junk.tar"), KINDS)


def test_index_rebuilds_from_files(tmp_path):
    lib = Library(str(tmp_path / "lib"))
    cpt, _ = lib.add(memory_state(), HEADER)
    lib.close()
    os.unlink(tmp_path / "lib" / "index.sqlite")
    assert [e.id for e in Library(str(tmp_path / "lib")).entries()] == [cpt]


def test_a_manifest_is_written_as_tomli_w_renders_it(tmp_path):
    """write_manifest renders each entry once for both the checksum and the file: the file is
    byte for byte tomli_w's rendering of the whole manifest, fresh or rewritten with a new note."""
    import tomli_w

    from graphsim.checkpoint.format import manifest_checksum
    from graphsim.checkpoint.take import take_checkpoint
    from graphsim.sim.machine import RunLimits
    from tests.guests import boot_guest

    machine = boot_guest("hello")
    machine.run(RunLimits(max_insts=2000))
    lib = Library(str(tmp_path / "lib"))
    cpt, _, _ = take_checkpoint(machine, lib, {"kind": "inst", "detail": "2000"}, note='a "quoted" note',
                                records={"extra": {"nested": {"list": [1, 2, 3]}, "text": "x"}})
    machine.close()
    path = os.path.join(lib.path(cpt), "manifest.toml")
    manifest = read_manifest(lib.path(cpt))
    assert open(path, encoding="utf-8").read() == tomli_w.dumps(manifest)
    lib.set_note(cpt, "another\nnote")
    manifest = read_manifest(lib.path(cpt))
    assert manifest["meta"]["note"] == "another\nnote" and manifest["checksum"] == manifest_checksum(manifest)
    assert open(path, encoding="utf-8").read() == tomli_w.dumps(manifest)


def test_a_library_reopened_reads_only_the_manifests_changed_since(tmp_path, monkeypatch):
    import graphsim.checkpoint.library as library_module

    root = str(tmp_path / "lib")
    lib = Library(root)
    ids = [lib.add(memory_state(seed), HEADER, name=f"c{seed}")[0] for seed in (1, 2, 3)]
    reads = []
    real = library_module.read_manifest
    monkeypatch.setattr(library_module, "read_manifest", lambda d: reads.append(os.path.basename(d)) or real(d))
    again = Library(root)
    assert [e.id for e in again.entries()] == ids and reads == []  # the index knew them all
    lib.set_note(ids[1], "changed by another process")
    reads.clear()  # (set_note reads the manifest it rewrites)
    assert Library(root).entries()[1].note == "changed by another process" and reads == []  # its writer indexed it
    edited = read_manifest(lib.path(ids[2]))
    write_manifest(lib.path(ids[2]), {**edited, "meta": {**edited["meta"], "note": "by hand"}})
    reads.clear()
    assert Library(root).entries()[2].note == "by hand" and reads == [ids[2]]  # changed on disk: read again
    reads.clear()
    os.rename(lib.path(ids[0]), os.path.join(root, "elsewhere"))
    assert [e.id for e in Library(root).entries()] == ids[1:] and reads == []
    with open(os.path.join(lib.path(ids[1]), "manifest.toml"), "a") as f:
        f.write("junk = ")
    reopened = Library(root)
    assert ids[1] in reopened.damaged and [e.id for e in reopened.entries()] == ids[2:]
