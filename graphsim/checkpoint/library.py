"""The checkpoint library: a directory of checkpoints sharing one chunk store,
with an SQLite index for fast listing and lineage queries.

The files are the source of truth; the index is a cache that `rebuild_index`
recreates from them (and does, whenever it is missing, damaged or out of step).
Only directories holding a valid manifest are checkpoints: a writer killed
midway leaves a ``.tmp-*`` directory (and ``*.zst.tmp<pid>`` chunk files) that
are never listed and that ``gc`` removes. A damaged checkpoint is reported for
itself; the rest of the library stays usable.

Writers (taking a checkpoint, importing) hold a shared lock on ``LIBRARY/lock``
while they store chunks and commit their manifest; ``gc`` holds it exclusively,
so it never deletes a chunk a writer has stored but not yet referenced, and
whatever temporary files it finds belong to writers that are gone. The lock is
``flock``: the kernel drops it when a process dies, even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import gzip
import io
import os
import re
import secrets
import shutil
import sqlite3
import tarfile
import tempfile
import tomllib
import zlib
from dataclasses import dataclass

from ..errors import GraphsimError
from ..safe_io import read_regular
from .chunks import CHUNK_SIZE, ChunkBatch, ChunkError, ChunkStore, fsync_dir, is_digest, remove_file, zstd_bound
from .format import (CHECKPOINT_ID, MANIFEST, MANIFEST_LIMIT, CheckpointError, SavedState, read_manifest,
                     read_state, write_checkpoint, write_manifest)

INDEX = "index.sqlite"
LOCK = "lock"
TAR_BLOCK = 512
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
    def __init__(self, root: str | None = None, create: bool = True, index: bool = True):
        """``index`` False: a reader that goes to checkpoints by id (or directory) alone, without
        opening or bringing up to date the SQLite index (a sweep worker reading the client's library)."""
        self.root = os.path.abspath(root or default_library())
        self.checkpoints_dir = os.path.join(self.root, "checkpoints")
        if not os.path.isdir(self.checkpoints_dir):
            if not create:
                raise LibraryError(f"{self.root}: not a checkpoint library")
            os.makedirs(self.checkpoints_dir, exist_ok=True)
        self.store = ChunkStore(os.path.join(self.root, "chunks"))
        self.damaged: dict[str, str] = {}  # id → why its manifest could not be read
        self._stamps: dict[str, str] = {}  # id → its manifest file's stamp when the index last read it
        self._db = None
        if not index:
            return
        try:
            self._open_index()
        except sqlite3.DatabaseError:
            # The index is a cache of the files: a damaged one is thrown away and rebuilt.
            self._db.close()
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(self.root, INDEX + suffix))
            self._open_index()

    def _open_index(self):
        self._db = sqlite3.connect(os.path.join(self.root, INDEX), timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"CREATE TABLE IF NOT EXISTS checkpoints ({', '.join(COLUMNS)}, PRIMARY KEY (id))")
        # The stamp of each manifest as last read into the index, kept with it: a process opening the
        # library re-reads only the manifests changed since (every one, 10 ms each, before).
        self._db.execute("CREATE TABLE IF NOT EXISTS manifests (id PRIMARY KEY, stamp)")
        self._stamps = dict(self._db.execute("SELECT id, stamp FROM manifests"))
        self.sync_index()

    def close(self):
        if self._db is not None:
            self._db.close()

    @contextlib.contextmanager
    def _locked(self, exclusive: bool):
        """Hold the library's lock: shared for writers, exclusive for gc."""
        fd = os.open(os.path.join(self.root, LOCK), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    # --- index -------------------------------------------------------------

    def _directories(self) -> list[str]:
        """Every candidate checkpoint: non-hidden directories, and links (which are reported, never followed)."""
        return sorted(d for d in os.listdir(self.checkpoints_dir)
                      if not d.startswith(".") and (os.path.islink(os.path.join(self.checkpoints_dir, d))
                                                    or os.path.isdir(os.path.join(self.checkpoints_dir, d))))

    def sync_index(self):
        """Bring the index in step with the files: add new checkpoints, re-read ones whose manifest
        changed (a note set by another process), drop vanished ones."""
        on_disk = set(self._directories())
        indexed = {row[0] for row in self._db.execute("SELECT id FROM checkpoints")}
        self.damaged = {}
        self._damaged_names: dict[str, str] = {}  # best-effort name → id of damaged checkpoints
        self._damage: dict[str, CheckpointError] = {}
        stale = {cpt_id for cpt_id in on_disk & indexed if self._manifest_stamp(cpt_id) != self._stamps.get(cpt_id)}
        for cpt_id in sorted((on_disk - indexed) | stale):
            try:
                if os.path.islink(self.path(cpt_id)):
                    raise CheckpointError(f"{self.path(cpt_id)}: a symbolic link (not followed)")
                manifest = read_manifest(self.path(cpt_id))
                if manifest.get("id") != cpt_id:
                    raise CheckpointError(f"{cpt_id}: manifest id {manifest.get('id')!r} does not match its directory")
            except CheckpointError as exc:
                self.damaged[cpt_id] = str(exc)
                self._damage[cpt_id] = exc
                name = self._name_of_damaged(cpt_id)
                if name:
                    self._damaged_names[name] = cpt_id
                continue
            self._insert(manifest)
        for cpt_id in (indexed & set(self.damaged)) | (indexed - on_disk):
            self._forget(cpt_id)
        self._db.commit()

    def _name_of_damaged(self, cpt_id: str) -> str:
        """The name a damaged checkpoint was given, if its manifest still says (so it can be referred to)."""
        try:
            meta = tomllib.loads(read_regular(os.path.join(self.path(cpt_id), MANIFEST), MANIFEST_LIMIT)
                                 .decode()).get("meta", {})
            return meta.get("name", "") if isinstance(meta, dict) and isinstance(meta.get("name"), str) else ""
        except (OSError, ValueError, RecursionError):
            return ""

    def _manifest_stamp(self, cpt_id: str) -> str:
        """What changes whenever a manifest file is written: its mtime, inode and size."""
        try:
            st = os.stat(os.path.join(self.checkpoints_dir, cpt_id, MANIFEST))
        except OSError:
            return ""
        return f"{st.st_mtime_ns}:{st.st_ino}:{st.st_size}"

    def rebuild_index(self):
        self._db.execute("DELETE FROM checkpoints")
        self._db.execute("DELETE FROM manifests")
        self._stamps.clear()
        self._db.commit()
        self.sync_index()

    def _insert(self, manifest: dict):
        """Index a manifest just read or written (its file's stamp with it)."""
        self._db.execute(f"INSERT OR REPLACE INTO checkpoints VALUES ({', '.join('?' * len(COLUMNS))})",
                         _row_of(manifest))
        stamp = self._stamps[manifest["id"]] = self._manifest_stamp(manifest["id"])
        self._db.execute("INSERT OR REPLACE INTO manifests VALUES (?, ?)", (manifest["id"], stamp))

    def _forget(self, cpt_id: str):
        self._db.execute("DELETE FROM checkpoints WHERE id = ?", (cpt_id,))
        self._db.execute("DELETE FROM manifests WHERE id = ?", (cpt_id,))
        self._stamps.pop(cpt_id, None)

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
        damaged = ([ref] if ref in self.damaged else [self._damaged_names[ref]] if ref in self._damaged_names
                   else [i for i in self.damaged if i.startswith(ref)])
        if len(damaged) == 1:
            raise self._damage[damaged[0]]
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
        with self._locked(exclusive=False):
            for attempt in range(8):
                try:
                    path, manifest = write_checkpoint(self.checkpoints_dir, self.store, cpt_id, state, header, meta)
                    break
                except OSError as exc:  # the id was taken in the same second (checkpoints in quick succession)
                    if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY) or attempt == 7:
                        raise
                    cpt_id = self.new_id()
                    meta["name"] = name or cpt_id
        self._insert(manifest)
        self._db.commit()
        return cpt_id, manifest

    def manifest(self, cpt_id: str) -> dict:
        path = self.path(cpt_id)
        if os.path.islink(path):
            raise CheckpointError(f"{path}: a symbolic link (not followed)")
        return read_manifest(path)

    def load(self, cpt_id: str, kinds: dict) -> tuple[dict, SavedState]:
        """Manifest and every piece of state, fully verified."""
        manifest = self.manifest(cpt_id)
        return manifest, read_state(self.path(cpt_id), self.store, manifest, kinds)

    def set_note(self, cpt_id: str, note: str):
        path = self.path(cpt_id)
        manifest = self.manifest(cpt_id)
        manifest["meta"]["note"] = note
        write_manifest(path, manifest)
        self._insert(manifest)
        self._db.commit()

    def remove(self, cpt_id: str):
        """Delete a checkpoint; chunks stay until `gc` (others may share them)."""
        path = self.path(cpt_id)
        trash = os.path.join(self.checkpoints_dir, f".rm-{cpt_id}")
        os.rename(path, trash)  # atomic: it stops being a checkpoint at once
        if os.path.islink(trash):
            os.unlink(trash)  # a link someone put in the library: removed, what it points at untouched
        else:
            shutil.rmtree(trash)
        self._forget(cpt_id)
        self._db.commit()

    def referenced_chunks(self) -> set[str]:
        """Chunks any checkpoint may need. A damaged manifest keeps every chunk name found in its text:
        gc never collects what it cannot account for."""
        used = set()
        for cpt_id in self._directories():
            try:
                manifest = read_manifest(self.path(cpt_id))
            except CheckpointError:
                try:
                    text = read_regular(os.path.join(self.path(cpt_id), MANIFEST), MANIFEST_LIMIT)
                except OSError:
                    continue
                used.update(m.decode() for m in re.findall(rb"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", text))
                continue
            used |= chunk_refs(manifest)
        return used

    def gc(self) -> tuple[int, int]:
        """Free chunks no checkpoint references and leftovers of interrupted writes; (chunks, bytes) freed.
        Runs with writers excluded, so every temporary file it finds is a dead writer's."""
        with self._locked(exclusive=True):
            for leftover in os.listdir(self.checkpoints_dir):
                if leftover.startswith((".tmp-", ".rm-", ".import-")):
                    shutil.rmtree(os.path.join(self.checkpoints_dir, leftover), ignore_errors=True)
            freed = count = 0
            for path in self.store.leftovers():
                freed += remove_file(path)
            used = self.referenced_chunks()
            for digest in self.store.all_digests() - used:
                freed += self.store.remove(digest)
                count += 1
        return count, freed

    # --- moving checkpoints between libraries -------------------------------

    def export(self, cpt_id: str, out_file: str):
        """One checkpoint and its chunks as a single tar file, manifest first. The checkpoint is verified
        completely before the archive is written, and the archive appears whole or not at all."""
        from ..config.schema import component_kinds

        path = self.path(cpt_id)
        manifest, _ = self.load(cpt_id, component_kinds())
        directory = os.path.dirname(os.path.abspath(out_file))
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(out_file)}.", suffix=".tmp")
        except OSError as exc:
            raise LibraryError(f"{out_file}: cannot write there ({exc.strerror or exc})") from None
        try:
            with os.fdopen(fd, "wb") as f, tarfile.open(fileobj=f, mode="w") as tar:
                self._add_bytes(tar, os.path.join(cpt_id, MANIFEST),
                                read_regular(os.path.join(path, MANIFEST), MANIFEST_LIMIT))
                for digest, size in sorted(chunk_sizes(manifest).items()):
                    self._add_bytes(tar, os.path.join("chunks", digest[:2], digest[2:] + ".zst"),
                                    self.store.read_packed(digest, size))
            os.replace(tmp, out_file)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, (OSError, ChunkError)):
                raise LibraryError(f"{out_file}: export of {cpt_id} failed, nothing written "
                                   f"({getattr(exc, 'strerror', None) or exc})") from None
            raise

    @staticmethod
    def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))

    def import_(self, archive: str, kinds: dict) -> str:
        """Add an exported checkpoint; it is verified completely before it becomes visible."""
        return self.import_verified(archive, kinds)[0]

    def import_verified(self, archive: str, kinds: dict) -> tuple[str, dict, SavedState]:
        """``import_``, returning also the manifest and state it verified (read from the archive's
        own bytes, so a restore in this process need not read and verify them again).

        The archive is read as a stream whose size is bounded by what its manifest (the first
        member) declares; only regular files named as the manifest's own chunks are taken, and any
        other member — a link, a device, a path elsewhere, an extra file — refuses the archive."""
        try:
            raw = open(archive, "rb")
        except OSError as exc:
            raise LibraryError(f"{archive}: not a checkpoint archive ({exc.strerror or exc})") from None
        with raw, self._locked(exclusive=False), \
                tempfile.TemporaryDirectory(dir=self.checkpoints_dir, prefix=".import-") as tmp:
            try:
                cpt_id, manifest = self._unpack(archive, raw, tmp)
            except (tarfile.TarError, OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
                raise LibraryError(f"{archive}: not a checkpoint archive, or a damaged or unsafe one "
                                   f"({getattr(exc, 'strerror', None) or exc})") from None
            if os.path.lexists(self.path(cpt_id)):
                raise LibraryError(f"{archive}: checkpoint {cpt_id} is already in the library")
            staged = ChunkStore(os.path.join(tmp, "chunks"))
            state = read_state(os.path.join(tmp, cpt_id), staged, manifest, kinds)  # verify everything first
            batch = ChunkBatch(self.store)
            try:
                for digest, size in chunk_sizes(manifest).items():
                    if not self.store.has(digest):
                        batch.put_packed(digest, staged.read_packed(digest, size))
                batch.commit()
            except BaseException:
                batch.discard()
                raise
            os.rename(os.path.join(tmp, cpt_id), self.path(cpt_id))
            fsync_dir(self.checkpoints_dir)
        self._insert(manifest)
        self._db.commit()
        return cpt_id, manifest, state

    @staticmethod
    def _unpack(archive: str, raw, tmp: str) -> tuple[str, dict]:
        """Stream a (possibly gzipped) tar into ``tmp``: the manifest, then the chunks it names."""
        stream = _Bounded(gzip.GzipFile(fileobj=raw) if raw.peek(2)[:2] == b"\x1f\x8b" else raw,
                          MANIFEST_LIMIT + 16 * TAR_BLOCK)
        cpt_id, manifest, wanted, seen = None, None, {}, set()
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                name = member.name
                if member.isdir() and manifest is None:
                    continue
                if not member.isreg():
                    raise LibraryError(f"{archive}: member {name[:80]!r} is not a regular file "
                                       f"(links, devices and directories are refused)")
                parts = name.split("/")
                if manifest is None:
                    if len(parts) != 2 or parts[1] != MANIFEST or not CHECKPOINT_ID.match(parts[0]) \
                            or member.size > MANIFEST_LIMIT:
                        raise LibraryError(f"{archive}: the first member must be <checkpoint id>/{MANIFEST}, "
                                           f"found {name[:80]!r}")
                    cpt_id = parts[0]
                    os.mkdir(os.path.join(tmp, cpt_id))
                    with open(os.path.join(tmp, cpt_id, MANIFEST), "xb") as f:
                        f.write(tar.extractfile(member).read(MANIFEST_LIMIT))
                    manifest = read_manifest(os.path.join(tmp, cpt_id))
                    if manifest["id"] != cpt_id:
                        raise LibraryError(f"{archive}: manifest id {manifest['id']!r} does not match {cpt_id!r}")
                    wanted = chunk_sizes(manifest)
                    # What is left to read is bounded by the chunks the manifest names (and their headers).
                    stream.limit = stream.read_so_far + sum(zstd_bound(n) + 3 * TAR_BLOCK for n in wanted.values()) \
                        + 32 * TAR_BLOCK
                    continue
                digest = parts[1] + parts[2][:-4] if len(parts) == 3 and parts[2].endswith(".zst") else ""
                if parts[0] != "chunks" or len(parts[1]) != 2 or not is_digest(digest) or digest in seen \
                        or member.size > zstd_bound(wanted.get(digest, CHUNK_SIZE)):
                    raise LibraryError(f"{archive}: member {name[:80]!r} is not one of the checkpoint's chunks")
                if digest not in wanted:
                    continue  # a chunk the manifest does not name stays out (its bytes count against the bound)
                seen.add(digest)
                directory = os.path.join(tmp, "chunks", parts[1])
                os.makedirs(directory, exist_ok=True)
                with open(os.path.join(directory, parts[2]), "xb") as f:
                    f.write(tar.extractfile(member).read(member.size))
        if manifest is None:
            raise LibraryError(f"{archive}: no checkpoint in the archive")
        return cpt_id, manifest


class _Bounded(io.RawIOBase):
    """A read-only stream that fails once more than ``limit`` bytes have been read from it
    (the limit may be raised as the reader learns what to expect)."""

    def __init__(self, inner, limit: int):
        self.inner, self.limit, self.read_so_far = inner, limit, 0

    def readable(self):
        return True

    def readinto(self, buffer) -> int:
        data = self.inner.read(min(len(buffer), self.limit + 1 - self.read_so_far))
        self.read_so_far += len(data)
        if self.read_so_far > self.limit:
            raise OSError(f"the archive holds more than its manifest declares (over {self.limit:,} bytes)")
        buffer[:len(data)] = data
        return len(data)


def chunk_sizes(manifest: dict) -> dict[str, int]:
    """Every well-formed chunk reference of a manifest with the most bytes it may hold uncompressed."""
    sizes: dict[str, int] = {}
    for entry in manifest.get("components", {}).values():
        if is_digest(entry.get("state_chunk")) and isinstance(entry.get("state_bytes"), int):
            sizes[entry["state_chunk"]] = max(sizes.get(entry["state_chunk"], 0), entry["state_bytes"])
        for record in entry.get("fields", []):
            for digest in _refs(record.get("chunks", [])):
                sizes[digest] = max(sizes.get(digest, 0), CHUNK_SIZE)
    for disk in manifest.get("disks", {}).values():
        for digest in _refs(disk.get("overlay_chunks", [])):
            sizes[digest] = max(sizes.get(digest, 0), CHUNK_SIZE)
    return sizes


def _refs(entries) -> list[str]:
    return [e[1] for e in entries if isinstance(e, list) and len(e) == 2 and is_digest(e[1])] \
        if isinstance(entries, list) else []


def chunk_refs(manifest: dict) -> set[str]:
    return set(chunk_sizes(manifest))
