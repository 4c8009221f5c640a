"""The checkpoint format: a directory holding a TOML manifest whose records point
into the library's content-addressed chunk store.

Each component's small fields are packed, little-endian, into one state blob
stored as a chunk; large byte arrays (memory) are cut into chunks with the
all-zero ones left out; disk overlays likewise. So a lineage shares every piece
of state that did not change, device registers included.

Writing is atomic: chunks are fsynced first, then the manifest is written into
a temporary directory that is renamed into place. Reading validates
everything — format version, manifest checksum, every chunk's checksum,
component state versions — before returning anything, and loads no code: TOML,
raw little-endian arrays and zstd chunks only.

Layout (documented in docs/checkpoint-format.md)::

    LIBRARY/checkpoints/<id>/manifest.toml
    LIBRARY/chunks/<2 hex>/<62 hex>.zst
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tomllib
from dataclasses import dataclass, field

import numpy as np
import tomli_w

from .. import __version__
from ..errors import GraphsimError
from .chunks import CHUNK_SIZE, ChunkError, ChunkStore, fsync_dir, load_bytes, save_bytes
from .upgrade import upgrade_component_state

FORMAT_NAME = "graphsim-checkpoint"
FORMAT_VERSION = 1
MANIFEST = "manifest.toml"
META_KEYS = ("meta",)  # the only table that may change after writing (name, note, created)


class CheckpointError(GraphsimError):
    """A checkpoint that cannot be read or trusted; the message names the file or record."""

    exit_code = 3


class TooNewError(CheckpointError):
    exit_code = 4


def _sha256(data) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_checksum(manifest: dict) -> str:
    """Checksum of everything in a manifest except its metadata and the checksum itself."""
    body = {k: v for k, v in manifest.items() if k not in META_KEYS and k != "checksum"}
    return _sha256(tomli_w.dumps(body).encode())


def write_manifest(directory: str, manifest: dict):
    """Write (or rewrite) a manifest atomically, with a fresh checksum."""
    manifest["checksum"] = manifest_checksum(manifest)
    tmp = os.path.join(directory, MANIFEST + ".tmp")
    with open(tmp, "wb") as f:
        f.write(tomli_w.dumps(manifest).encode())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(directory, MANIFEST))
    fsync_dir(directory)


@dataclass
class ComponentState:
    kind: str
    state_version: int
    fields: dict[str, np.ndarray]


@dataclass
class SavedState:
    """Everything a checkpoint holds, as produced by the machine and consumed by restore."""

    components: dict[str, ComponentState]
    disks: dict[str, dict] = field(default_factory=dict)  # name → {"base": identity, "overlay": {sector: bytes}}


def _is_bulk(array: np.ndarray) -> bool:
    """Large byte arrays (memory contents) go to the chunk store, sparsely."""
    return array.dtype == np.uint8 and array.size >= CHUNK_SIZE


def write_checkpoint(checkpoints_dir: str, store: ChunkStore, cpt_id: str, state: SavedState,
                     header: dict, meta: dict) -> tuple[str, dict]:
    """Write a checkpoint atomically; returns (its directory, its manifest).

    ``header`` holds the position, trigger, parent, source config and compatibility
    record; ``meta`` the name, note and wall-clock creation time.
    """
    final = os.path.join(checkpoints_dir, cpt_id)
    tmp = os.path.join(checkpoints_dir, f".tmp-{cpt_id}")
    os.makedirs(tmp)
    new_dirs: set[str] = set()
    manifest = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "graphsim_version": __version__,
                "id": cpt_id, **header, "meta": meta, "components": {}, "disks": {}}
    stored_bytes = 0
    try:
        for name, comp in state.components.items():
            entry = {"kind": comp.kind, "state_version": comp.state_version, "fields": []}
            blob = bytearray()
            for fname, array in comp.fields.items():
                record = {"name": fname, "dtype": array.dtype.str, "shape": list(array.shape)}
                if _is_bulk(array):
                    chunks, written = save_bytes(store, np.ascontiguousarray(array).reshape(-1), new_dirs)
                    stored_bytes += written
                    record.update(chunk_size=CHUNK_SIZE, chunks=chunks)
                else:
                    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
                    record.update(offset=len(blob), nbytes=len(data))
                    blob += data
                entry["fields"].append(record)
            if blob:
                entry["state_chunk"], written = store.put(bytes(blob), new_dirs)
                entry["state_bytes"] = len(blob)
                stored_bytes += written
            manifest["components"][name] = entry
        for name, disk in state.disks.items():
            sectors = sorted(disk["overlay"])
            data = np.frombuffer(b"".join(disk["overlay"][s] for s in sectors), dtype=np.uint8).copy()
            chunks, written = save_bytes(store, data, new_dirs) if len(data) else ([], 0)
            stored_bytes += written
            manifest["disks"][name] = {"base": disk["base"], "overlay_sectors": sectors,
                                       "overlay_bytes": len(data), "overlay_chunk_size": CHUNK_SIZE,
                                       "overlay_chunks": chunks}
        manifest["stored_bytes"] = stored_bytes
        for directory in new_dirs:
            fsync_dir(directory)
        write_manifest(tmp, manifest)  # last: a directory without a manifest is never listed
        os.rename(tmp, final)
        fsync_dir(checkpoints_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, manifest


def read_manifest(directory: str) -> dict:
    """Parse and check a checkpoint's manifest (not its state files)."""
    path = os.path.join(directory, MANIFEST)
    try:
        with open(path, "rb") as f:
            manifest = tomllib.load(f)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing (not a checkpoint, or an incomplete one)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if manifest.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path}: format: expected {FORMAT_NAME!r}, found {manifest.get('format')!r}")
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise CheckpointError(f"{path}: format_version: missing or not an integer")
    if version > FORMAT_VERSION:
        raise TooNewError(f"{path}: format_version {version} is newer than this graphsim reads "
                          f"({FORMAT_VERSION}); upgrade graphsim")
    if version < 1:
        raise CheckpointError(f"{path}: format_version {version} is unknown")
    if manifest.get("checksum") != manifest_checksum(manifest):
        raise CheckpointError(f"{path}: checksum: does not match the content (edited by hand or damaged)")
    return manifest


def _array_from(buffer: bytes, record: dict, where: str) -> np.ndarray:
    try:
        dtype = np.dtype(record["dtype"])
        shape = tuple(int(n) for n in record["shape"])
        if dtype.hasobject:
            raise TypeError("object arrays are not allowed")
        array = np.frombuffer(buffer, dtype=dtype).reshape(shape)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{where}: field {record.get('name')!r}: bad dtype/shape ({exc})") from None
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_state(directory: str, store: ChunkStore, manifest: dict, kinds: dict) -> SavedState:
    """Every component's state and disk overlay, each checked against its checksum and version."""
    components = {}
    for name, entry in manifest.get("components", {}).items():
        where = f"{directory}: components.{name}"
        kind = kinds.get(entry.get("kind"))
        if kind is None:
            raise CheckpointError(f"{where}: unknown component kind {entry.get('kind')!r}")
        version = entry.get("state_version")
        if not isinstance(version, int) or version < 1:
            raise CheckpointError(f"{where}: state_version missing or invalid")
        if version > kind.state_version:
            raise TooNewError(f"{where}: {kind.kind} state version {version} is newer than this graphsim "
                              f"reads ({kind.state_version})")
        blob = b""
        if "state_chunk" in entry:
            try:
                blob = store.get(str(entry["state_chunk"]), int(entry.get("state_bytes", -1)))
            except (ChunkError, ValueError) as exc:
                raise CheckpointError(f"{where}: state {exc}") from None
        fields = {}
        for record in entry.get("fields", []):
            if "chunks" in record:
                size = int(np.prod(record["shape"])) * np.dtype(record["dtype"]).itemsize
                out = np.zeros(size, dtype=np.uint8)
                try:
                    load_bytes(store, record["chunks"], out)
                except ChunkError as exc:
                    raise CheckpointError(f"{where}.{record['name']}: {exc}") from None
                fields[record["name"]] = out.view(np.dtype(record["dtype"])).reshape(record["shape"])
            else:
                start, length = record.get("offset", -1), record.get("nbytes", -1)
                if start < 0 or start + length > len(blob):
                    raise CheckpointError(f"{where}.{record.get('name')}: outside the state file")
                fields[record["name"]] = _array_from(blob[start:start + length], record, where)
        if version < kind.state_version:
            fields = upgrade_component_state(kind.kind, version, kind.state_version, fields, where)
        components[name] = ComponentState(kind.kind, kind.state_version, fields)
    disks = {}
    for name, entry in manifest.get("disks", {}).items():
        where = f"{directory}: disks.{name}"
        data = np.zeros(entry.get("overlay_bytes", 0), dtype=np.uint8)
        try:
            load_bytes(store, entry.get("overlay_chunks", []), data)
        except ChunkError as exc:
            raise CheckpointError(f"{where}: {exc}") from None
        sectors = entry.get("overlay_sectors", [])
        if len(sectors) * 512 != len(data):
            raise CheckpointError(f"{where}: overlay size does not match its sector list")
        raw = data.tobytes()
        disks[name] = {"base": entry.get("base", {}),
                       "overlay": {s: raw[i * 512:(i + 1) * 512] for i, s in enumerate(sectors)}}
    return SavedState(components, disks)
