"""The checkpoint library: a directory of checkpoints sharing one chunk store,
with an SQLite index for fast listing and lineage queries.

The files are the source of truth; the index is a cache that `rebuild_index`
recreates from them (and does, whenever it is missing or out of step). Only
directories holding a valid manifest are checkpoints: a writer killed midway
leaves a ``.tmp-*`` directory that is never listed and that ``gc`` removes.
"""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass

from ..errors import GraphsimError
from .chunks import ChunkStore, fsync_dir
from .format import (MANIFEST, CheckpointError, SavedState, read_manifest, read_state, write_checkpoint,
                     write_manifest)

INDEX = "index.sqlite"
COLUMNS = ("id", "name", "parent", "created", "tick", "instret", "cpu_models", "machine", "disks",
           "stored_bytes", "trigger", "note", "xlen")


class LibraryError(GraphsimError):
    exit_code = 3


class UnknownCheckpoint(LibraryError):
    """No checkpoint (or more than one) answers to the name given: not damage, so its own status."""

    exit_code = 6


def default_library() -> str:
    """$GRAPHSIM_LIBRARY, else the user's data directory."""
    if os.environ.get("GRAPHSIM_LIBRARY"):
        return os.environ["GRAPHSIM_LIBRARY"]
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "graphsim", "library")


@dataclass
class Entry:
    """One checkpoint as the index knows it."""

    id: str
    name: str
    parent: str
    created: str
    tick: int
    instret: int
    cpu_models: str
    machine: str
    disks: str
    stored_bytes: int
    trigger: str
    note: str
    xlen: int
    path: str = ""


def _row_of(manifest: dict) -> tuple:
    meta = manifest.get("meta", {})
    compat = manifest.get("compat", {})
    trigger = manifest.get("trigger", {})
    return (manifest["id"], meta.get("name", ""), manifest.get("parent", ""), meta.get("created", ""),
            int(manifest.get("position", {}).get("tick", 0)), int(manifest.get("position", {}).get("instret", 0)),
            ",".join(sorted({c.get("model", "") for c in compat.get("cpus", {}).values()})),
            manifest.get("machine_name", ""),
            ",".join(f"{n}:{os.path.basename(d.get('path', ''))}:{d.get('sha256', '')[:12]}"
                     for n, d in compat.get("disks", {}).items()),
            int(manifest.get("stored_bytes", 0)), f"{trigger.get('kind', '')}:{trigger.get('detail', '')}",
            meta.get("note", ""), int(compat.get("xlen", 0)))


def library_for(ref: str, root: str | None) -> "Library":
    """The library to look ``ref`` up in: ``root`` if given, else, when ``ref`` is a checkpoint's
    directory, the library that holds it (``LIB/checkpoints/ID``), else the default library."""
    manifest = os.path.join(ref, MANIFEST)
    if root is None and os.path.isdir(ref) and os.path.exists(manifest):
        holder = os.path.dirname(os.path.dirname(os.path.abspath(ref)))
        if os.path.basename(os.path.dirname(os.path.abspath(ref))) != "checkpoints":
            raise UnknownCheckpoint(f"{ref}: a checkpoint directory outside a library (expected LIBRARY/checkpoints/ID;"
                                    f" import an exported checkpoint with 'graphsim checkpoints import')")
        return Library(holder, create=False)
    library = Library(root)
    if os.path.isdir(ref) and os.path.exists(manifest) and \
            os.path.dirname(os.path.abspath(ref)) != library.checkpoints_dir:
        raise UnknownCheckpoint(f"{ref}: this checkpoint belongs to another library than {library.root} "
                                f"(leave out --library, or give --library "
                                f"{os.path.dirname(os.path.dirname(os.path.abspath(ref)))})")
    return library


class Library:
    def __init__(self, root: str | None = None, create: bool = True):
        self.root = os.path.abspath(root or default_library())
        self.checkpoints_dir = os.path.join(self.root, "checkpoints")
        if not os.path.isdir(self.checkpoints_dir):
            if not create:
                raise LibraryError(f"{self.root}: not a checkpoint library")
            os.makedirs(self.checkpoints_dir, exist_ok=True)
        self.store = ChunkStore(os.path.join(self.root, "chunks"))
        self.damaged: dict[str, str] = {}  # id → why its manifest could not be read
        self._seen_mtime: dict[str, int] = {}  # id → manifest mtime when this process last read it
        self._db = sqlite3.connect(os.path.join(self.root, INDEX), timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"CREATE TABLE IF NOT EXISTS checkpoints ({', '.join(COLUMNS)}, PRIMARY KEY (id))")
        self.sync_index()

    def close(self):
        self._db.close()

    # --- index -------------------------------------------------------------

    def _directories(self) -> list[str]:
        return sorted(d for d in os.listdir(self.checkpoints_dir)
                      if not d.startswith(".") and os.path.isdir(os.path.join(self.checkpoints_dir, d)))

    def sync_index(self):
        """Bring the index in step with the files: add new checkpoints, re-read ones whose manifest
        changed (a note set by another process), drop vanished ones."""
        on_disk = set(self._directories())
        indexed = {row[0] for row in self._db.execute("SELECT id FROM checkpoints")}
        self.damaged = {}
        stale = {cpt_id for cpt_id in on_disk & indexed
                 if self._manifest_mtime(cpt_id) != self._seen_mtime.get(cpt_id)}
        for cpt_id in sorted((on_disk - indexed) | stale):
            try:
                manifest = read_manifest(os.path.join(self.checkpoints_dir, cpt_id))
                if manifest.get("id") != cpt_id:
                    raise CheckpointError(f"{cpt_id}: manifest id {manifest.get('id')!r} does not match its directory")
            except CheckpointError as exc:
                self.damaged[cpt_id] = str(exc)
                continue
            self._insert(manifest)
            self._seen_mtime[cpt_id] = self._manifest_mtime(cpt_id)
        for cpt_id in indexed - on_disk:
            self._db.execute("DELETE FROM checkpoints WHERE id = ?", (cpt_id,))
        self._db.commit()

    def _manifest_mtime(self, cpt_id: str) -> int:
        try:
            return os.stat(os.path.join(self.checkpoints_dir, cpt_id, MANIFEST)).st_mtime_ns
        except OSError:
            return -1

    def rebuild_index(self):
        self._db.execute("DELETE FROM checkpoints")
        self._db.commit()
        self.sync_index()

    def _insert(self, manifest: dict):
        self._db.execute(f"INSERT OR REPLACE INTO checkpoints VALUES ({', '.join('?' * len(COLUMNS))})",
                         _row_of(manifest))

    def entries(self) -> list[Entry]:
        rows = self._db.execute(f"SELECT {', '.join(COLUMNS)} FROM checkpoints ORDER BY created, id").fetchall()
        return [Entry(*row, path=os.path.join(self.checkpoints_dir, row[0])) for row in rows]

    def children(self, cpt_id: str) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM checkpoints WHERE parent = ? ORDER BY created",
                                               (cpt_id,))]

    def resolve(self, ref: str) -> str:
        """The id of a checkpoint named by id, unique id prefix, name, or directory path."""
        if os.path.isdir(ref) and os.path.exists(os.path.join(ref, MANIFEST)):
            path = os.path.abspath(ref)
            if os.path.dirname(path) == self.checkpoints_dir:
                return os.path.basename(path)
        ids = [e.id for e in self.entries()]
        if ref in ids:
            return ref
        named = [e.id for e in self.entries() if e.name == ref]
        prefixed = [i for i in ids if i.startswith(ref)]
        for candidates in (named, prefixed):
            if len(candidates) == 1:
                return candidates[0]
            if len(candidates) > 1:
                raise UnknownCheckpoint(f"{ref!r} is ambiguous: {', '.join(candidates[:5])}")
        if ref in self.damaged:
            raise LibraryError(self.damaged[ref])
        raise UnknownCheckpoint(f"no checkpoint {ref!r} in {self.root}")

    def path(self, cpt_id: str) -> str:
        return os.path.join(self.checkpoints_dir, cpt_id)

    # --- writing -------------------------------------------------------------

    @staticmethod
    def new_id() -> str:
        now = datetime.datetime.now(datetime.timezone.utc)
        return f"cpt-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"

    def add(self, state: SavedState, header: dict, name: str = "", note: str = "") -> tuple[str, dict]:
        cpt_id = self.new_id()
        meta = {"name": name or cpt_id, "note": note,
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds")}
        path, manifest = write_checkpoint(self.checkpoints_dir, self.store, cpt_id, state, header, meta)
        self._insert(manifest)
        self._db.commit()
        return cpt_id, manifest

    def manifest(self, cpt_id: str) -> dict:
        return read_manifest(self.path(cpt_id))

    def load(self, cpt_id: str, kinds: dict) -> tuple[dict, SavedState]:
        """Manifest and every piece of state, fully verified."""
        path = self.path(cpt_id)
        manifest = read_manifest(path)
        return manifest, read_state(path, self.store, manifest, kinds)

    def set_note(self, cpt_id: str, note: str):
        path = self.path(cpt_id)
        manifest = read_manifest(path)
        manifest["meta"]["note"] = note
        write_manifest(path, manifest)
        self._insert(manifest)
        self._db.commit()

    def remove(self, cpt_id: str):
        """Delete a checkpoint; chunks stay until `gc` (others may share them)."""
        path = self.path(cpt_id)
        trash = os.path.join(self.checkpoints_dir, f".rm-{cpt_id}")
        os.rename(path, trash)  # atomic: it stops being a checkpoint at once
        shutil.rmtree(trash)
        self._db.execute("DELETE FROM checkpoints WHERE id = ?", (cpt_id,))
        self._db.commit()

    def referenced_chunks(self) -> set[str]:
        used = set()
        for cpt_id in self._directories():
            try:
                manifest = read_manifest(self.path(cpt_id))
            except CheckpointError:
                continue
            used |= chunk_refs(manifest)
        return used

    def gc(self) -> tuple[int, int]:
        """Free chunks no checkpoint references and leftovers of interrupted writes; (chunks, bytes) freed."""
        if self.damaged:
            # A damaged manifest may still reference chunks: never collect what we cannot account for.
            raise LibraryError(f"refusing gc while {len(self.damaged)} checkpoint(s) cannot be read: "
                               + "; ".join(self.damaged.values()))
        for leftover in os.listdir(self.checkpoints_dir):
            if leftover.startswith((".tmp-", ".rm-", ".import-")):
                shutil.rmtree(os.path.join(self.checkpoints_dir, leftover), ignore_errors=True)
        used = self.referenced_chunks()
        freed = count = 0
        for digest in self.store.all_digests() - used:
            freed += self.store.remove(digest)
            count += 1
        return count, freed

    # --- moving checkpoints between libraries -------------------------------

    def export(self, cpt_id: str, out_file: str):
        """One checkpoint and its chunks as a single tar file."""
        path = self.path(cpt_id)
        manifest = read_manifest(path)
        tmp = out_file + ".tmp"
        with tarfile.open(tmp, "w") as tar:
            for root, _, files in os.walk(path):
                for f in sorted(files):
                    full = os.path.join(root, f)
                    tar.add(full, arcname=os.path.join(cpt_id, os.path.relpath(full, path)))
            for digest in sorted(chunk_refs(manifest)):
                tar.add(self.store.path(digest), arcname=os.path.join("chunks", digest[:2], digest[2:] + ".zst"))
        os.replace(tmp, out_file)

    def import_(self, archive: str, kinds: dict) -> str:
        """Add an exported checkpoint; it is verified completely before it becomes visible."""
        try:
            tar = tarfile.open(archive, "r")
        except (OSError, tarfile.TarError) as exc:
            raise LibraryError(f"{archive}: not a checkpoint archive ({exc})") from None
        with tar, tempfile.TemporaryDirectory(dir=self.checkpoints_dir, prefix=".import-") as tmp:
            try:
                tar.extractall(tmp, filter="data")  # refuses absolute paths, '..', links out, devices
            except (tarfile.TarError, OSError) as exc:
                raise LibraryError(f"{archive}: unsafe or damaged archive ({exc})") from None
            ids = [d for d in os.listdir(tmp) if d != "chunks"]
            if len(ids) != 1:
                raise LibraryError(f"{archive}: expected exactly one checkpoint, found {len(ids)}")
            cpt_id = ids[0]
            if os.path.exists(self.path(cpt_id)):
                raise LibraryError(f"{archive}: checkpoint {cpt_id} is already in the library")
            staged = ChunkStore(os.path.join(tmp, "chunks"))
            manifest = read_manifest(os.path.join(tmp, cpt_id))
            read_state(os.path.join(tmp, cpt_id), staged, manifest, kinds)  # verify everything first
            new_dirs: set[str] = set()
            # Only the chunks the manifest references (just verified); anything else in the archive stays out.
            for digest in chunk_refs(manifest):
                if not self.store.has(digest):
                    with open(staged.path(digest), "rb") as f:
                        self.store.put_packed(digest, f.read(), new_dirs)
            for directory in new_dirs:
                fsync_dir(directory)
            os.rename(os.path.join(tmp, cpt_id), self.path(cpt_id))
        self._insert(manifest)
        self._db.commit()
        return cpt_id


def chunk_refs(manifest: dict) -> set[str]:
    refs = set()
    for entry in manifest.get("components", {}).values():
        if "state_chunk" in entry:
            refs.add(entry["state_chunk"])
        for record in entry.get("fields", []):
            refs.update(digest for _, digest in record.get("chunks", []))
    for disk in manifest.get("disks", {}).values():
        refs.update(digest for _, digest in disk.get("overlay_chunks", []))
    return refs
