"""A content-addressed store of zstd-compressed chunks, shared by every checkpoint
of a library: a checkpoint names chunks by the SHA-256 of their uncompressed
bytes, so checkpoints of one lineage share whatever did not change.

Memory is cut into fixed-size chunks; all-zero chunks are not stored at all.

A write (a checkpoint, an import) stores its new chunks through a ChunkBatch: each
under a temporary name, then all of them made durable with one flush of the file
system, then renamed into place. One flush instead of an fsync per chunk is what
keeps a checkpoint of a booted Linux (some 400 new chunks) at a fraction of a second.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import errno
import hashlib
import mmap
import os
import re
import sys
import threading

import numpy as np
import zstandard

from ..safe_io import read_regular

CHUNK_SIZE = 64 * 1024
ZSTD_LEVEL = 3


# A chunk reference is the SHA-256 of the chunk's bytes, in lower-case hex: nothing else names a file.
DIGEST = re.compile(r"[0-9a-f]{64}\Z")
TMP_SUFFIX = ".tmp"  # a chunk being written: "<name>.zst.tmp<pid>"


class ChunkError(Exception):
    """A chunk that is missing or does not match its name."""


def is_digest(value) -> bool:
    return isinstance(value, str) and DIGEST.match(value) is not None


def zstd_bound(size: int) -> int:
    """The most bytes zstd can take to store ``size`` bytes (ZSTD_COMPRESSBOUND), plus the frame header."""
    return size + (size >> 8) + 512


def fsync_dir(path: str):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ChunkStore:
    def __init__(self, root: str):
        self.root = root
        self._local = threading.local()  # a decompressor per thread: they are not thread-safe

    def path(self, digest: str) -> str:
        if not is_digest(digest):
            raise ChunkError(f"chunk reference {str(digest)[:80]!r} is not a SHA-256 in hex")
        return os.path.join(self.root, digest[:2], digest[2:] + ".zst")

    def has(self, digest: str) -> bool:
        return os.path.lexists(self.path(digest))

    def read_packed(self, digest: str, expected_size: int) -> bytes:
        """A chunk's stored (compressed) bytes, read without following links and bounded by what
        ``expected_size`` bytes can compress to."""
        path = self.path(digest)
        if isinstance(expected_size, bool) or not isinstance(expected_size, int) or expected_size < 0:
            raise ChunkError(f"chunk {digest[:16]} has no valid size in the manifest")
        try:
            # The two-hex directory is opened without following links too: nothing outside the store is read.
            dir_fd = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except FileNotFoundError:
            raise ChunkError(f"chunk {digest[:16]} is missing") from None
        except OSError as exc:
            raise ChunkError(f"chunk {digest[:16]}: its directory cannot be read ({exc.strerror or exc})") from None
        try:
            return read_regular(os.path.basename(path), zstd_bound(expected_size), dir_fd=dir_fd)
        except FileNotFoundError:
            raise ChunkError(f"chunk {digest[:16]} is missing") from None
        except OSError as exc:
            reason = "is a symbolic link" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
            raise ChunkError(f"chunk {digest[:16]} cannot be read: {reason}") from None
        finally:
            os.close(dir_fd)

    def get(self, digest: str, expected_size: int) -> bytes:
        packed = self.read_packed(digest, expected_size)
        try:
            # The frame states its size: anything but the expected one is damage, found before any
            # buffer of that size is allocated.
            if zstandard.get_frame_parameters(packed).content_size != expected_size:
                raise ChunkError(f"chunk {digest[:16]} does not hold the {expected_size} bytes the manifest says")
            decompressor = getattr(self._local, "decompressor", None)
            if decompressor is None:
                decompressor = self._local.decompressor = zstandard.ZstdDecompressor()
            data = decompressor.decompress(packed, max_output_size=expected_size)
        except zstandard.ZstdError as exc:
            raise ChunkError(f"chunk {digest[:16]} is corrupt ({exc})") from None
        if len(data) != expected_size or hashlib.sha256(data).hexdigest() != digest:
            raise ChunkError(f"chunk {digest[:16]} does not match its checksum")
        return data

    def _names(self):
        """(directory, file name) of everything in the two-hex directories."""
        if not os.path.isdir(self.root):
            return
        for prefix in os.listdir(self.root):
            directory = os.path.join(self.root, prefix)
            if len(prefix) != 2 or os.path.islink(directory) or not os.path.isdir(directory):
                continue
            for name in os.listdir(directory):
                yield prefix, name

    def all_digests(self) -> set[str]:
        return {prefix + name[:-4] for prefix, name in self._names()
                if name.endswith(".zst") and is_digest(prefix + name[:-4])}

    def leftovers(self) -> list[str]:
        """Paths of half-written chunks ("<digest>.zst.tmp<pid>") that a killed writer left behind."""
        return [os.path.join(self.root, prefix, name) for prefix, name in self._names()
                if is_digest(prefix + name.partition(".zst" + TMP_SUFFIX)[0])
                and re.fullmatch(r"[0-9]+", name.partition(".zst" + TMP_SUFFIX)[2])]

    def remove(self, digest: str) -> int:
        return remove_file(self.path(digest))


def _syncfs_function():
    """libc's syncfs(2) (Linux), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _syncfs_function()
# Hashing and compressing a chunk release the GIL: a few threads share the work of a checkpoint.
_WORKERS = min(4, os.cpu_count() or 1)


def sync_filesystem(path: str) -> bool:
    """Flush everything written to the file system holding ``path`` to stable storage (syncfs(2)),
    data and metadata; False where the host has no syncfs (the caller then fsyncs file by file)."""
    if _SYNCFS is None:
        return False
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _SYNCFS(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"syncfs: {os.strerror(code)}", path)
    finally:
        os.close(fd)
    return True


def fsync_file(path: str):
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ChunkBatch:
    """The new chunks of one write, stored crash-safely and together: each is written under a
    temporary name ("<digest>.zst.tmp<pid>"), `commit` makes them all durable, renames them into
    place and makes the renames durable. A crash before the commit leaves temporaries (gc removes
    them), never a chunk whose name promises bytes it does not hold; a chunk already in the store
    is not written again."""

    def __init__(self, store: ChunkStore):
        self.store = store
        self.pending: dict[str, str] = {}  # digest → temporary path
        self.directories: set[str] = set()
        self._local = threading.local()

    def _compress(self, data) -> bytes:
        compressor = getattr(self._local, "compressor", None)
        if compressor is None:  # a compressor is not thread-safe: one per thread
            compressor = self._local.compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        return compressor.compress(data)

    def _packed_if_new(self, data) -> tuple[str, bytes | None]:
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.pending or self.store.has(digest):
            return digest, None
        return digest, self._compress(data)

    def put(self, data: bytes | memoryview) -> tuple[str, int]:
        """Store a chunk unless the store or this batch has it; returns (digest, bytes written)."""
        digest, packed = self._packed_if_new(data)
        return digest, (0 if packed is None else self.put_packed(digest, packed))

    def put_many(self, pieces: list) -> list[tuple[str, int]]:
        """``put`` of many chunks, hashed and compressed on a few threads; in order."""
        if len(pieces) < 2 * _WORKERS:
            return [self.put(piece) for piece in pieces]
        with concurrent.futures.ThreadPoolExecutor(_WORKERS) as pool:
            packed = list(pool.map(self._packed_if_new, pieces))
        return [(digest, 0 if data is None else self.put_packed(digest, data)) for digest, data in packed]

    def put_packed(self, digest: str, packed: bytes) -> int:
        """Store an already compressed chunk under its (already verified) digest; returns bytes written."""
        if digest in self.pending or self.store.has(digest):
            return 0
        path = self.store.path(digest)
        directory = os.path.dirname(path)
        if directory not in self.directories:
            os.makedirs(directory, exist_ok=True)
            self.directories.add(directory)
        tmp = f"{path}{TMP_SUFFIX}{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(packed)
        self.pending[digest] = tmp
        return len(packed)

    def commit(self):
        """Make every chunk of the batch durable under its name."""
        if not self.pending:
            return
        if not sync_filesystem(self.store.root):
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                list(pool.map(fsync_file, self.pending.values()))
        for digest, tmp in self.pending.items():
            os.replace(tmp, self.store.path(digest))
        if not sync_filesystem(self.store.root):
            for directory in self.directories:
                fsync_dir(directory)
        self.pending.clear()

    def discard(self):
        """Remove the temporaries of a write that failed."""
        for tmp in self.pending.values():
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        self.pending.clear()


def remove_file(path: str) -> int:
    """Unlink a file (never what a link points at); returns the bytes it held."""
    size = os.lstat(path).st_size
    os.unlink(path)
    return size


def nonzero_chunks(array: np.ndarray, chunk_size: int = CHUNK_SIZE) -> list[int]:
    """Indices of the chunks of a byte array that hold any non-zero byte."""
    whole = len(array) // chunk_size
    indices = []
    if whole:
        words = array[: whole * chunk_size].view(np.uint64).reshape(whole, chunk_size // 8)
        indices = np.flatnonzero(words.any(axis=1)).tolist()
    if len(array) % chunk_size and array[whole * chunk_size:].any():
        indices.append(whole)
    return indices


def save_bytes(batch: ChunkBatch, array: np.ndarray) -> tuple[list[list], int]:
    """Store a byte array sparsely: returns ([[chunk index, digest], …], compressed bytes written)."""
    view = memoryview(array)
    indices = nonzero_chunks(array)
    stored = batch.put_many([view[index * CHUNK_SIZE:(index + 1) * CHUNK_SIZE] for index in indices])
    return [[index, digest] for index, (digest, _) in zip(indices, stored)], sum(size for _, size in stored)


def check_entries(entries, size: int) -> list[tuple[int, str]]:
    """Sparse chunk entries of a ``size``-byte array, checked: [[index, digest], …] with each index
    inside the array, at most once, and each digest of the right form."""
    count = -(-size // CHUNK_SIZE)
    if not isinstance(entries, list):
        raise ChunkError("chunk list is not a list")
    seen, out = set(), []
    for entry in entries:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int)
                and not isinstance(entry[0], bool) and 0 <= entry[0] < count and entry[0] not in seen):
            raise ChunkError(f"chunk entry {str(entry)[:80]} is not [index, digest] with an index inside "
                             f"the {size}-byte array (at most once)")
        if not is_digest(entry[1]):
            raise ChunkError(f"chunk reference {str(entry[1])[:80]!r} is not a SHA-256 in hex")
        seen.add(entry[0])
        out.append((entry[0], entry[1]))
    return out


def zeroed_bytes(size: int) -> np.ndarray:
    """A zeroed byte array for restored memory, in plain (small) pages: numpy advises huge pages for
    large arrays, and then filling a sparse memory zeroes 2 MiB around every 64 KiB chunk written
    (measured: the restore of a booted 256 MiB Linux fills 2.5x slower)."""
    if size == 0:
        return np.zeros(0, dtype=np.uint8)
    return np.frombuffer(mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS), dtype=np.uint8)


def load_bytes(store: ChunkStore, entries: list, out: np.ndarray):
    """Fill a zeroed byte array from sparse chunk entries (read, checked and unpacked on a few threads)."""
    def load(entry):
        index, digest = entry
        start = index * CHUNK_SIZE
        expected = min(CHUNK_SIZE, len(out) - start)
        out[start:start + expected] = np.frombuffer(store.get(digest, expected), dtype=np.uint8)

    checked = check_entries(entries, len(out))
    if len(checked) < 2 * _WORKERS:
        for entry in checked:
            load(entry)
        return
    with concurrent.futures.ThreadPoolExecutor(_WORKERS) as pool:
        list(pool.map(load, checked))
