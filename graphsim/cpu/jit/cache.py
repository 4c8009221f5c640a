"""The on-disk cache of compiled blocks (docs/jit.md, "The block cache").

LLVM's code for a batch of blocks is kept as one file, so a later process loads
it (one object file for the whole batch, well under a millisecond) instead of
compiling it again (~5 ms of CPU per block). A block is found by its key: a hash
of everything its code depends on (graphsim/cpu/jit/engine.py: virtual pc, RAM
offset and bytes, key flags, RAM window, table; the directory's name covers the
code generator's sources, the kernel's layout, llvmlite, LLVM and the target).

A file is `MAGIC`, the header's length (8 bytes), the header (JSON: the blocks
it holds, as [key, function name, instructions, place, code size], and the object's length), the
object file, then the SHA-256 of everything before it. A file that is truncated,
corrupted or not one of ours is ignored and removed (its blocks are compiled
again); nothing is loaded unchecked. Files are written under a temporary name
and renamed, so readers (other processes: Dask workers, parallel runs) see whole
files only. When the directory grows past MAX_BYTES, the files least recently
used (their modification time, renewed when a file is loaded) are removed until
it is under three quarters of that (the file just written stays).

GRAPHSIM_BLOCK_CACHE=0 turns the cache off; a path puts it there instead of next
to the compiled kernel's cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from pathlib import Path

MAGIC = b"graphsim compiled blocks 1\n"
SUFFIX = ".blocks"
MAX_BYTES = 64 << 20
_OFF = ("0", "off", "no", "false")


def enabled() -> bool:
    return os.environ.get("GRAPHSIM_BLOCK_CACHE", "").lower() not in _OFF


def directory(version: str) -> Path | None:
    """Where this build's blocks are cached (None: the cache is off)."""
    if not enabled():
        return None
    text = os.environ.get("GRAPHSIM_BLOCK_CACHE", "")
    if text:
        root = Path(text)
    else:
        from ...isa import _jitcache

        root = _jitcache.cache_dir().parent
    return root / f"blocks-{version}"


def place(ident: tuple) -> tuple:
    """Where a block is: its identity (engine.py: (pc, ro, kflags, code, rbase, rsize, table, mask)) without its
    code bytes. Blocks are looked up by place, then by the code in RAM (without decoding it)."""
    pc, ro, kflags, _code, *rest = ident
    return (pc, ro, kflags, *rest)


def block_key(ident: tuple) -> str:
    """The key of a block identity."""
    return hashlib.sha256((":".join(map(str, place(ident))) + ":" + ident[3].hex()).encode()).hexdigest()[:32]


def encode(blocks: list, obj: bytes) -> bytes:
    header = json.dumps({"blocks": blocks, "object": len(obj)}).encode()
    body = MAGIC + len(header).to_bytes(8, "little") + header + obj
    return body + hashlib.sha256(body).digest()


def _header(data: bytes, check: bool = True) -> tuple[dict, int] | None:
    """The header of a file's bytes (a prefix of them will do) and where the object starts; None if not ours
    (check: also the types of its entries)."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 8:
        return None
    n = int.from_bytes(data[len(MAGIC):len(MAGIC) + 8], "little")
    start = len(MAGIC) + 8
    if n > len(data) - start:
        return None
    try:
        header = json.loads(data[start:start + n])
        blocks = header["blocks"]
        size = header["object"]
        if not isinstance(size, int) or not isinstance(blocks, list) or check and not all(
                isinstance(k, str) and isinstance(f, str) and isinstance(m, int) and isinstance(c, int)
                and isinstance(p, list) and len(p) == 7 and all(isinstance(v, int) for v in p)
                for k, f, m, p, c in blocks):
            return None
    except (ValueError, KeyError, TypeError):
        return None
    return header, start + n


def decode(data: bytes) -> tuple[list, bytes] | None:
    """(blocks, object) of a whole file, or None if it is not intact."""
    found = _header(data)
    if found is None:
        return None
    header, at = found
    if len(data) != at + header["object"] + 32:
        return None
    if hashlib.sha256(data[:-32]).digest() != data[-32:]:
        return None
    return [tuple(b) for b in header["blocks"]], data[at:at + header["object"]]


class BlockCache:
    """One directory of cached blocks (see the module's docstring)."""

    def __init__(self, path: Path):
        self.path = path
        self.index: dict | None = None  # key -> file, read at the first lookup
        self.sizes: dict = {}  # place -> {code sizes of the blocks there}
        self.loaded_files: set = set()

    def scan(self):
        """Read the headers of the files present (each file's blocks are checked again when it is loaded)."""
        self.index = {}
        self.sizes = {}
        for tmp in self.path.glob(".*.tmp"):  # (left by a writer that was killed; a live one renames in ms)
            try:
                if tmp.stat().st_mtime < time.time() - 3600:
                    tmp.unlink()
            except OSError:
                pass
        files = []
        for f in self.path.glob("*" + SUFFIX):
            try:
                files.append((f.stat().st_mtime, f))
            except OSError:  # (removed by another process meanwhile)
                continue
        for _, f in sorted(files):  # (the oldest first: a key in several files maps to the newest)
            try:
                with open(f, "rb") as fh:
                    head = fh.read(64 << 10)
                    found = _header(head, check=False)
                    if found is None and len(head) == 64 << 10:
                        head += fh.read()
                        found = _header(head, check=False)
            except OSError:
                continue
            if found is not None:
                try:  # (the entries' types are checked when the file is loaded, with its checksum)
                    self._enter(found[0]["blocks"], f)
                    continue
                except (TypeError, ValueError):
                    pass
            self.discard(f)

    def _enter(self, blocks, f: Path):
        for key, _name, _n, where, size in blocks:
            self.index[key] = f
            self.sizes.setdefault(tuple(where), set()).add(size)

    def lookup(self, key: str) -> Path | None:
        if self.index is None:
            self.scan()
        return self.index.get(key)

    def sizes_at(self, where: tuple) -> set:
        """The code sizes of the blocks cached at a place (see `place`)."""
        if self.index is None:
            self.scan()
        return self.sizes.get(where, set())

    def read(self, f: Path) -> tuple[list, bytes] | None:
        """The blocks and object of file f, checked; a damaged file is removed (None)."""
        self.loaded_files.add(f)
        try:
            data = f.read_bytes()
        except OSError:  # (removed meanwhile by another process's eviction)
            return None
        got = decode(data)
        if got is None:
            self.discard(f)
            return None
        try:
            os.utime(f)  # (recently used: evicted last)
        except OSError:
            pass
        return got

    def discard(self, f: Path):
        if self.index is not None:
            for key in [k for k, v in self.index.items() if v == f]:
                del self.index[key]
        try:
            f.unlink()
        except OSError:
            pass

    def writable(self) -> bool:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError:
            return False
        return os.access(self.path, os.W_OK)

    def write(self, blocks: list, obj: bytes):
        """Store one compiled batch: blocks [(key, function name, instructions, place, code size)] in object
        file obj."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            name = secrets.token_hex(8)
            tmp = self.path / f".{name}.tmp"
            final = self.path / (name + SUFFIX)
            try:
                with open(tmp, "wb") as fh:
                    fh.write(encode([list(b) for b in blocks], obj))
                os.replace(tmp, final)
            finally:
                if tmp.exists():
                    tmp.unlink()
        except OSError:  # (a read-only or full disk: the cache is only an optimisation)
            return
        if self.index is not None:
            self._enter(blocks, final)
        self.loaded_files.add(final)
        self.evict(keep=final)

    def evict(self, keep: Path | None = None):
        """While the directory holds more than MAX_BYTES, remove the least recently used files (all but `keep`,
        the file just written) until it holds three quarters of that."""
        limit = MAX_BYTES
        files = []
        for f in self.path.glob("*" + SUFFIX):
            try:
                st = f.stat()
            except OSError:  # (removed by another process meanwhile)
                continue
            files.append((st.st_mtime, st.st_size, f))
        total = sum(s for _, s, _ in files)
        if total <= limit:
            return
        for _, size, f in sorted(files, key=lambda t: t[0]):
            if total <= limit * 3 // 4:
                break
            if f == keep:
                continue
            self.discard(f)
            total -= size
