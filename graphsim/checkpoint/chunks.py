"""A content-addressed store of zstd-compressed chunks, shared by every checkpoint
of a library: a checkpoint names chunks by the SHA-256 of their uncompressed
bytes, so checkpoints of one lineage share whatever did not change.

Memory is cut into fixed-size chunks; all-zero chunks are not stored at all.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re

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
        self._compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
        self._decompressor = zstandard.ZstdDecompressor()

    def path(self, digest: str) -> str:
        if not is_digest(digest):
            raise ChunkError(f"chunk reference {str(digest)[:80]!r} is not a SHA-256 in hex")
        return os.path.join(self.root, digest[:2], digest[2:] + ".zst")

    def has(self, digest: str) -> bool:
        return os.path.lexists(self.path(digest))

    def put(self, data: bytes | memoryview, new_dirs: set[str]) -> tuple[str, int]:
        """Store a chunk if absent; returns (digest, bytes written). Files are fsynced;
        directories created are recorded in ``new_dirs`` for the caller to fsync once."""
        digest = hashlib.sha256(data).hexdigest()
        if self.has(digest):
            return digest, 0
        return digest, self.put_packed(digest, self._compressor.compress(data), new_dirs)

    def put_packed(self, digest: str, packed: bytes, new_dirs: set[str]) -> int:
        """Store an already compressed chunk under its (already verified) digest; returns bytes written."""
        path = self.path(digest)
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory, exist_ok=True)
        tmp = f"{path}{TMP_SUFFIX}{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(packed)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        new_dirs.add(directory)
        return len(packed)

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
            data = self._decompressor.decompress(packed, max_output_size=expected_size)
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


def save_bytes(store: ChunkStore, array: np.ndarray, new_dirs: set[str]) -> tuple[list[list], int]:
    """Store a byte array sparsely: returns ([[chunk index, digest], …], compressed bytes written)."""
    entries, written = [], 0
    view = memoryview(array)
    for index in nonzero_chunks(array):
        digest, size = store.put(view[index * CHUNK_SIZE:(index + 1) * CHUNK_SIZE], new_dirs)
        entries.append([index, digest])
        written += size
    return entries, written


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


def load_bytes(store: ChunkStore, entries: list, out: np.ndarray):
    """Fill a zeroed byte array from sparse chunk entries."""
    for index, digest in check_entries(entries, len(out)):
        start = index * CHUNK_SIZE
        expected = min(CHUNK_SIZE, len(out) - start)
        out[start:start + expected] = np.frombuffer(store.get(digest, expected), dtype=np.uint8)
