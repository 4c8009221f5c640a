"""A content-addressed store of zstd-compressed chunks, shared by every checkpoint
of a library: a checkpoint names chunks by the SHA-256 of their uncompressed
bytes, so checkpoints of one lineage share whatever did not change.

Memory is cut into fixed-size chunks; all-zero chunks are not stored at all.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import zstandard

CHUNK_SIZE = 64 * 1024
ZSTD_LEVEL = 3


class ChunkError(Exception):
    """A chunk that is missing or does not match its name."""


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
        return os.path.join(self.root, digest[:2], digest[2:] + ".zst")

    def has(self, digest: str) -> bool:
        return os.path.exists(self.path(digest))

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
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(packed)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        new_dirs.add(directory)
        return len(packed)

    def get(self, digest: str, expected_size: int) -> bytes:
        path = self.path(digest)
        try:
            with open(path, "rb") as f:
                packed = f.read()
        except FileNotFoundError:
            raise ChunkError(f"chunk {digest[:16]} is missing") from None
        if expected_size < 0:
            raise ChunkError(f"chunk {digest[:16]} has no valid size in the manifest")
        try:
            data = self._decompressor.decompress(packed, max_output_size=expected_size)
        except zstandard.ZstdError as exc:
            raise ChunkError(f"chunk {digest[:16]} is corrupt ({exc})") from None
        if len(data) != expected_size or hashlib.sha256(data).hexdigest() != digest:
            raise ChunkError(f"chunk {digest[:16]} does not match its checksum")
        return data

    def all_digests(self) -> set[str]:
        found = set()
        if not os.path.isdir(self.root):
            return found
        for prefix in os.listdir(self.root):
            directory = os.path.join(self.root, prefix)
            if len(prefix) != 2 or not os.path.isdir(directory):
                continue
            for name in os.listdir(directory):
                if name.endswith(".zst"):
                    found.add(prefix + name[:-4])
        return found

    def remove(self, digest: str) -> int:
        path = self.path(digest)
        size = os.path.getsize(path)
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


def load_bytes(store: ChunkStore, entries: list, out: np.ndarray):
    """Fill a zeroed byte array from sparse chunk entries."""
    for index, digest in entries:
        start = index * CHUNK_SIZE
        expected = min(CHUNK_SIZE, len(out) - start)
        out[start:start + expected] = np.frombuffer(store.get(digest, expected), dtype=np.uint8)
