"""A point restored straight from the client's library (a worker on the same host or sharing
its filesystem) against the same point shipped as an exported archive: the same results; a
library the worker does not see, another copy of the checkpoint, or a damaged one makes the
worker ask for the archive instead; an imported archive's restore uses the state the import
verified, and a damaged archive is still refused."""

import hashlib
import io
import os
import shutil
import tarfile

import pytest

from graphsim.checkpoint.library import Library, chunk_refs
from graphsim.sweep.worker import manifest_sha256, run_point
from tests.sweep.conftest import in_process

AXES = '[axes]\ncpu = ["pipelined"]\n"components.l1d.size" = ["16KiB"]\n'


@pytest.fixture
def point(tmp_path, monkeypatch, sweep_file):
    """The sweep's one task as a worker receives it, its archive and shipped files, and its library."""
    monkeypatch.setenv("GRAPHSIM_SWEEP_CACHE", str(tmp_path / "worker-cache"))
    plan, _ = in_process(sweep_file(AXES, run="insts = 200_000\nwarmup_insts = 100_000\ndigest = true"))
    from graphsim.sweep.execute import _archive

    archive = _archive(plan)
    files = {digest: open(file, "rb").read() for digest, file in plan.files.items()}
    return plan.tasks[0].as_dict(), archive, files, plan.library


def shared(task: dict, library: Library, root: str | None = None) -> dict:
    return {**task, "library": {"root": root or library.root,
                                "manifest_sha256": manifest_sha256(library, task["checkpoint"])}}


def shipped(task, archive, files) -> dict:
    return run_point(task, archive, hashlib.sha256(archive).hexdigest(), files)


def same_run(a: dict, b: dict):
    for key in ("status", "stop", "instret", "insts", "digest", "stats"):
        assert a[key] == b[key], key


def test_a_point_from_the_shared_library_is_the_shipped_point(point):
    task, archive, files, library = point
    from_library = run_point(shared(task, library), None, "", files)
    assert from_library["status"] == "ok", from_library["error"]
    assert "needs_archive" not in from_library
    same_run(from_library, shipped(task, archive, files))
    assert from_library["digest"]
    # with the manifest as the client wrote it (the worker then does not parse the file again)
    known = shared(task, library)
    known["library"]["manifest"] = library.manifest(task["checkpoint"])
    same_run(run_point(known, None, "", files), from_library)


def test_a_library_the_worker_does_not_see_asks_for_the_archive(point, tmp_path):
    task, _, files, library = point
    result = run_point(shared(task, library, root=str(tmp_path / "elsewhere")), None, "", files)
    assert result["status"] == "failed"
    assert result["needs_archive"]["visible"] is False
    assert "not visible here" in result["error"]


def test_another_or_damaged_copy_asks_for_the_archive(point, tmp_path):
    task, archive, files, library = point
    cpt = task["checkpoint"]
    copy = tmp_path / "copy"
    shutil.copytree(library.root, copy)
    # another manifest under the same id: not the client's checkpoint
    edited = copy / "checkpoints" / cpt / "manifest.toml"
    edited.write_text(edited.read_text().replace('note = "', 'note = "edited ', 1))
    result = run_point(shared(task, library, root=str(copy)), None, "", files)
    assert result["needs_archive"] == {"reason": result["error"], "visible": True}
    assert "not the client's" in result["error"]
    # the client's manifest, but one of its chunks damaged in this copy
    shutil.copy(os.path.join(library.path(cpt), "manifest.toml"), edited)
    chunk = Library(str(copy)).store.path(sorted(chunk_refs(library.manifest(cpt)))[0])
    with open(chunk, "r+b") as f:
        f.seek(8)
        f.write(b"\xff\x00\xff\x00")
    result = run_point(shared(task, library, root=str(copy)), None, "", files)
    assert result["needs_archive"]["visible"] is True
    assert "chunk" in result["error"] and cpt in result["error"]
    # shipped, the same point runs (the worker's import verifies the archive's own copy)
    assert shipped(task, archive, files)["status"] == "ok"


def test_an_imported_archive_restores_the_same_and_a_damaged_one_is_refused(point, tmp_path, monkeypatch):
    import graphsim.checkpoint.library as library_module

    task, archive, files, library = point
    verified = []
    real = library_module.read_state
    monkeypatch.setattr(library_module, "read_state", lambda *a: verified.append(a[0]) or real(*a))
    first = shipped(task, archive, files)
    assert first["status"] == "ok", first["error"]
    assert len(verified) == 1  # the import verified the checkpoint; the restore took that state
    same_run(first, run_point(shared(task, library), None, "", files))
    # a damaged archive under its own (matching) hash: the import's verification refuses it
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        chunk = next(m for m in tar.getmembers() if m.name.startswith("chunks/"))
    damaged = bytearray(archive)
    damaged[chunk.offset_data + chunk.size // 2] ^= 0xFF  # inside a chunk's compressed bytes
    damaged = bytes(damaged)
    monkeypatch.setenv("GRAPHSIM_SWEEP_CACHE", str(tmp_path / "fresh-cache"))  # a worker that has not imported it
    result = run_point(task, damaged, hashlib.sha256(damaged).hexdigest(), files)
    assert result["status"] == "failed"
    assert f"chunk {chunk.name[7:9]}{chunk.name[10:24]}" in result["error"], result["error"]
    # bytes that do not match the hash they were sent under
    result = run_point(task, damaged, hashlib.sha256(archive).hexdigest(), files)
    assert result["status"] == "failed" and "arrived damaged" in result["error"]
