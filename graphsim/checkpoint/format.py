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

import errno
import hashlib
import os
import re
import shutil
import tomllib
from dataclasses import dataclass, field

import numpy as np
import tomli_w

from .. import __version__
from ..errors import GraphsimError
from ..safe_io import host_memory, read_regular
from .chunks import CHUNK_SIZE, ChunkBatch, ChunkError, ChunkStore, fsync_dir, load_bytes, save_bytes, zeroed_bytes
from .upgrade import upgrade_component_state

FORMAT_NAME = "graphsim-checkpoint"
FORMAT_VERSION = 1
MANIFEST = "manifest.toml"
META_KEYS = ("meta",)  # the only table that may change after writing (name, note, created)
MANIFEST_LIMIT = 64 << 20  # a manifest is a few KiB; a larger file is not one
# Registers, tags, predictor tables: the small fields packed into a component's state blob. Only
# memory-sized byte arrays (stored as chunks) may be larger, up to the memory the checkpoint describes.
SMALL_FIELD_LIMIT = 64 << 20
STATE_BLOB_LIMIT = 256 << 20
SECTOR = 512
# A checkpoint id names a directory: letters, digits and ._- only, never hidden, never a path.
CHECKPOINT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,127}\Z")


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


def _toml_of_entries(manifest: dict) -> dict[str, tuple[bool, str]] | None:
    """Each top-level entry of a manifest as TOML on its own, and whether it is a table: the text
    of any selection of them, in the manifest's order, is then what tomli_w writes for that
    selection (`_joined`): its plain values first, then its tables, a blank line before each. None
    if the manifest has arrays of tables at the top (it has none), which are not rendered so."""
    pieces = {}
    for key, value in manifest.items():
        if isinstance(value, list) and any(isinstance(item, dict) for item in value):
            return None
        pieces[key] = (isinstance(value, dict), tomli_w.dumps({key: value}))
    return pieces


def _joined(pieces: dict[str, tuple[bool, str]], keys) -> str:
    keys = list(keys)
    plain = "".join(pieces[k][1] for k in keys if not pieces[k][0])
    tables = [pieces[k][1] for k in keys if pieces[k][0]]
    return plain + ("\n" if plain and tables else "") + "\n".join(tables)


def write_manifest(directory: str, manifest: dict):
    """Write (or rewrite) a manifest atomically, with a fresh checksum. The manifest is rendered once,
    entry by entry, for both its checksum and its file (a third of the time of taking a SimPoint
    sample's checkpoint went into rendering it twice); the file is byte for byte tomli_w's."""
    pieces = _toml_of_entries({k: v for k, v in manifest.items() if k != "checksum"})
    if pieces is None:
        manifest["checksum"] = manifest_checksum(manifest)
        text = tomli_w.dumps(manifest)
    else:
        body = _joined(pieces, (k for k in pieces if k not in META_KEYS))
        manifest["checksum"] = _sha256(body.encode())
        pieces["checksum"] = (False, tomli_w.dumps({"checksum": manifest["checksum"]}))
        text = _joined(pieces, manifest)
    tmp = os.path.join(directory, MANIFEST + ".tmp")
    with open(tmp, "wb") as f:
        f.write(text.encode())
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
    batch = ChunkBatch(store)
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
                    chunks, written = save_bytes(batch, np.ascontiguousarray(array).reshape(-1))
                    stored_bytes += written
                    record.update(chunk_size=CHUNK_SIZE, chunks=chunks)
                else:
                    data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
                    record.update(offset=len(blob), nbytes=len(data))
                    blob += data
                entry["fields"].append(record)
            if blob:
                entry["state_chunk"], written = batch.put(bytes(blob))
                entry["state_bytes"] = len(blob)
                stored_bytes += written
            manifest["components"][name] = entry
        for name, disk in state.disks.items():
            sectors = sorted(disk["overlay"])
            data = np.frombuffer(b"".join(disk["overlay"][s] for s in sectors), dtype=np.uint8).copy()
            chunks, written = save_bytes(batch, data) if len(data) else ([], 0)
            stored_bytes += written
            manifest["disks"][name] = {"base": disk["base"], "overlay_sectors": sectors,
                                       "overlay_bytes": len(data), "overlay_chunk_size": CHUNK_SIZE,
                                       "overlay_chunks": chunks}
        manifest["stored_bytes"] = stored_bytes
        batch.commit()  # every chunk durable under its name before the manifest that names them
        write_manifest(tmp, manifest)  # last: a directory without a manifest is never listed
        os.rename(tmp, final)
        fsync_dir(checkpoints_dir)
    except BaseException:
        batch.discard()
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final, manifest


# The shape of a manifest: key → type, or a nested table spec; "*" is any key of a table of tables;
# a key written "!key" must be present (what readers index directly).
_INT, _STR = int, str
_COMPAT = {
    "xlen": _INT, "timebase": _INT, "record_version": _INT, "present": _INT,
    "cpus": {"*": {"!model": _STR, "!isa": _STR, "!frequency": _INT}},
    "memory": {"*": {"!base": _INT, "!size": _INT}},
    "devices": {"*": {"!kind": _STR, "!base": _INT, "!size": _INT, "!state_version": _INT, "irq": _INT}},
    "caches": {"*": {"!size": _INT, "!assoc": _INT, "line_size": _INT, "replacement": _STR, "warm": bool}},
    "used": {"*": {"extensions": [_STR], "modes": [_STR], "paging_modes": [_STR]}},
    "disks": {"*": {"size": _INT, "sha256": _STR, "path": _STR}},
}
_SPEC = {
    "!id": _STR, "graphsim_version": _STR, "machine_name": _STR, "parent": _STR, "stored_bytes": _INT,
    "checksum": _STR,
    "meta": {"name": _STR, "note": _STR, "created": _STR},
    "trigger": {"kind": _STR, "detail": (str, int)},
    "position": {"tick": _INT, "instret": _INT, "harts": {"*": _INT}},
    "!compat": _COMPAT,
    "config": dict,
    "console": {"tail": _STR},
    "!components": {"*": {"!kind": _STR, "!state_version": _INT, "state_chunk": _STR, "state_bytes": _INT,
                          "fields": [dict]}},
    "disks": {"*": {"base": {"size": _INT, "sha256": _STR, "path": _STR}, "overlay_sectors": [_INT],
                    "overlay_bytes": _INT, "overlay_chunk_size": _INT, "overlay_chunks": list}},
}


def _type_name(spec) -> str:
    if isinstance(spec, dict):
        return "a table"
    if isinstance(spec, list):
        return f"a list of {_type_name(spec[0])}s"
    types = spec if isinstance(spec, tuple) else (spec,)
    return " or ".join({int: "an integer", str: "a string", float: "a number", bool: "a boolean",
                        dict: "a table", list: "a list"}[t] for t in types)


def _check_shape(value, spec, key: str) -> str | None:
    """Where and how ``value`` departs from ``spec``, or None. Unknown keys are allowed (additive evolution)."""
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return f"{key}: expected a table, found {type(value).__name__}"
        for required in (k[1:] for k in spec if k.startswith("!")):
            if required not in value:
                return f"{key}.{required}: missing" if key else f"{required}: missing"
        for name, item in value.items():
            sub = spec.get(name, spec.get("!" + name, spec.get("*")))
            if sub is not None:
                problem = _check_shape(item, sub, f"{key}.{name}" if key else name)
                if problem:
                    return problem
        return None
    if isinstance(spec, list):
        if not isinstance(value, list):
            return f"{key}: expected {_type_name(spec)}, found {type(value).__name__}"
        for i, item in enumerate(value):
            problem = _check_shape(item, spec[0], f"{key}[{i}]")
            if problem:
                return problem
        return None
    types = spec if isinstance(spec, tuple) else (spec,)
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        return f"{key}: expected {_type_name(spec)}, found {type(value).__name__}"
    if isinstance(value, int) and not isinstance(value, bool) and value < 0 and not key.endswith("detail"):
        return f"{key}: {value} is negative"
    return None


def check_manifest(manifest: dict, path: str):
    """Every known key of a manifest has the type it is read as: one bad value is reported by key,
    for this checkpoint alone, instead of failing whatever reads it later."""
    problem = _check_shape(manifest, _SPEC, "")
    if problem:
        raise CheckpointError(f"{path}: {problem}")
    if not CHECKPOINT_ID.match(manifest["id"]):
        raise CheckpointError(f"{path}: id: {manifest['id'][:80]!r} is not a checkpoint id")


def read_manifest(directory: str) -> dict:
    """Parse and check a checkpoint's manifest (not its state files)."""
    path = os.path.join(directory, MANIFEST)
    try:
        manifest = tomllib.loads(read_regular(path, MANIFEST_LIMIT).decode("utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path}: missing (not a checkpoint, or an incomplete one)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{path}: not valid TOML ({str(exc)[:200]})") from None
    except OSError as exc:
        reason = "a symbolic link (not followed)" if exc.errno == errno.ELOOP else (exc.strerror or exc)
        raise CheckpointError(f"{path}: cannot read ({reason})") from None
    if manifest.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path}: format: expected {FORMAT_NAME!r}, found {str(manifest.get('format'))[:80]!r}")
    version = manifest.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise CheckpointError(f"{path}: format_version: missing or not an integer")
    if version > FORMAT_VERSION:
        raise TooNewError(f"{path}: format_version {version} is newer than this graphsim reads "
                          f"({FORMAT_VERSION}); upgrade graphsim")
    if version < 1:
        raise CheckpointError(f"{path}: format_version {version} is unknown")
    try:
        if manifest.get("checksum") != manifest_checksum(manifest):
            raise CheckpointError(f"{path}: checksum: does not match the content (edited by hand or damaged)")
    except RecursionError:
        raise CheckpointError(f"{path}: nested too deeply to be a manifest") from None
    check_manifest(manifest, path)
    return manifest


def _dtype_of(record: dict, where: str) -> np.dtype:
    """A field's dtype: a plain little-endian (or byte) integer or float type, nothing else."""
    try:
        dtype = np.dtype(record.get("dtype"))
    except (TypeError, ValueError):
        dtype = None
    if dtype is None or dtype.kind not in "iuf" or dtype.byteorder == ">" or dtype.itemsize > 8:
        raise CheckpointError(f"{where}: field {str(record.get('name'))[:40]!r}: dtype "
                              f"{str(record.get('dtype'))[:40]!r} is not a little-endian integer or float type")
    return dtype


def _shape_of(record: dict, where: str, limit: int) -> tuple[tuple[int, ...], int]:
    """A field's shape and byte size, which must be at most ``limit``."""
    shape = record.get("shape")
    if not isinstance(shape, list) or len(shape) > 8 or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise CheckpointError(f"{where}: field {str(record.get('name'))[:40]!r}: shape {str(shape)[:80]} "
                              f"is not a list of sizes")
    nbytes = _dtype_of(record, where).itemsize
    for n in shape:
        nbytes *= n
    if nbytes > limit:
        raise CheckpointError(f"{where}.{record.get('name')}: {nbytes:,} bytes is more than the machine the "
                              f"checkpoint describes, or this host, can hold ({limit:,})")
    return tuple(shape), nbytes


def _declared_fields(kind, version: int) -> dict[str, str]:
    """Name → dtype of the fields a kind's state had at ``version``."""
    return {f.name: f.dtype for f in kind.state if f.since <= version}


def size_limit(manifest: dict) -> int:
    """The most bytes any one record may declare: the largest memory of the machine the checkpoint
    describes (with room for small state), never more than this host has."""
    memories = [m.get("size", 0) for m in manifest.get("compat", {}).get("memory", {}).values()]
    return min(max([64 << 20] + memories), host_memory())


def read_state(directory: str, store: ChunkStore, manifest: dict, kinds: dict) -> SavedState:
    """Every component's state and disk overlay, each checked against its checksum and version.

    Every record is checked before anything is allocated for it: dtypes from the kind's
    declaration, sizes bounded by the machine the checkpoint describes, chunk references
    well-formed and inside their array, every declared field present."""
    limit = size_limit(manifest)
    compat = manifest.get("compat", {})
    components = {}
    for name, entry in manifest.get("components", {}).items():
        where = f"{directory}: components.{name}"
        kind = kinds.get(entry.get("kind"))
        if kind is None:
            raise CheckpointError(f"{where}: unknown component kind {str(entry.get('kind'))[:40]!r}")
        version = entry.get("state_version")
        if not isinstance(version, int) or version < 1:
            raise CheckpointError(f"{where}: state_version missing or invalid")
        if version > kind.state_version:
            raise TooNewError(f"{where}: {kind.kind} state version {version} is newer than this graphsim "
                              f"reads ({kind.state_version})")
        declared = _declared_fields(kind, version)
        records = {}
        for record in entry.get("fields", []):
            fname = record.get("name")
            if not isinstance(fname, str) or fname in records:
                raise CheckpointError(f"{where}: a field has no name, or a name given twice ({str(fname)[:40]!r})")
            if fname not in declared and version == kind.state_version:
                raise CheckpointError(f"{where}.{fname[:40]}: {kind.kind} state version {version} has no such field")
            dtype = _dtype_of(record, f"{where}")
            if fname in declared and dtype != np.dtype(declared[fname]):
                raise CheckpointError(f"{where}.{fname}: dtype {dtype.str} but {kind.kind} declares {declared[fname]}")
            records[fname] = record
        missing = sorted(set(declared) - set(records))
        if missing:
            raise CheckpointError(f"{where}: state field(s) {', '.join(missing)} missing")
        if kind.role == "memory" and name in compat.get("memory", {}) and "data" in records:
            size = compat["memory"][name]["size"]
            if records["data"].get("shape") != [size]:
                raise CheckpointError(f"{where}.data: shape {str(records['data'].get('shape'))[:40]} does not "
                                      f"match the {size}-byte memory the checkpoint describes")
        blob = b""
        if "state_chunk" in entry:
            state_bytes = entry.get("state_bytes", -1)
            small = sum(_shape_of(r, where, SMALL_FIELD_LIMIT)[1] for r in records.values() if "chunks" not in r)
            if state_bytes != small or state_bytes > STATE_BLOB_LIMIT:
                raise CheckpointError(f"{where}: state_bytes {state_bytes:,} is not the {small:,} bytes its fields "
                                      f"declare, or more than {STATE_BLOB_LIMIT:,}")
            try:
                blob = store.get(entry["state_chunk"], state_bytes)
            except ChunkError as exc:
                raise CheckpointError(f"{where}: state {exc}") from None
        fields = {}
        for fname, record in records.items():
            shape, nbytes = _shape_of(record, f"{where}", limit if "chunks" in record else SMALL_FIELD_LIMIT)
            dtype = _dtype_of(record, where)
            if "chunks" in record:
                out = zeroed_bytes(nbytes)
                try:
                    load_bytes(store, record["chunks"], out)
                except ChunkError as exc:
                    raise CheckpointError(f"{where}.{fname}: {exc}") from None
                fields[fname] = out.view(dtype.newbyteorder("=")).reshape(shape)
            else:
                start, length = record.get("offset", -1), record.get("nbytes", -1)
                if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, length)) \
                        or start < 0 or length != nbytes or start + length > len(blob):
                    raise CheckpointError(f"{where}.{fname}: outside the state file, or not {nbytes} bytes")
                array = np.frombuffer(blob[start:start + length], dtype=dtype).reshape(shape)
                fields[fname] = array.astype(dtype.newbyteorder("="), copy=True)
        if version < kind.state_version:
            fields = upgrade_component_state(kind.kind, version, kind.state_version, fields, where)
        components[name] = ComponentState(kind.kind, kind.state_version, fields)
    disks = {}
    for name, entry in manifest.get("disks", {}).items():
        size = compat.get("disks", {}).get(name, entry.get("base", {})).get("size", 0)
        disks[name] = _read_overlay(f"{directory}: disks.{name}", store, entry, size, limit)
    return SavedState(components, disks)


def _read_overlay(where: str, store: ChunkStore, entry: dict, size: int, limit: int) -> dict:
    """A disk's overlay: sectors inside the ``size``-byte image the checkpoint describes, each once,
    then their chunks."""
    sectors = entry.get("overlay_sectors", [])
    if len(set(sectors)) != len(sectors) or any(s < 0 or (s + 1) * SECTOR > size for s in sectors):
        raise CheckpointError(f"{where}: overlay sectors must be distinct and inside the {size}-byte image")
    nbytes = entry.get("overlay_bytes", 0)
    if nbytes != len(sectors) * SECTOR or nbytes > limit:
        raise CheckpointError(f"{where}: overlay size does not match its sector list")
    data = np.zeros(nbytes, dtype=np.uint8)
    try:
        load_bytes(store, entry.get("overlay_chunks", []), data)
    except ChunkError as exc:
        raise CheckpointError(f"{where}: {exc}") from None
    raw = data.tobytes()
    return {"base": entry.get("base", {}), "overlay": {s: raw[i * SECTOR:(i + 1) * SECTOR] for i, s in enumerate(sectors)}}
