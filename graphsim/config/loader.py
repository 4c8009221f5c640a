"""Reading machine files: format version, includes, ``--set`` overrides.

The result is a `MachineSource`: one merged TOML document plus, for every key,
the file that set it, so that later errors can name the right file. Nothing
here knows about component kinds; `graph.elaborate` gives the document meaning.

A machine file::

    version = 1                      # mandatory format version
    include = ["base.toml"]          # optional; later files override earlier ones
    [machine]
    name = "virt-rv64"
    [workload]                       # optional: what to boot
    kernel = "assets/guest/build/hello.elf"
    [components.cpu]
    type = "cpu.atomic"
    count = 2                        # an array: cpu0, cpu1
    dcache_port = "l1d.cpu_side"     # a port binding
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, Problem
from ..safe_io import read_regular

FORMAT_VERSION = 1  # the machine-file format this graphsim reads and writes
OLDEST_FORMAT_VERSION = 1  # the oldest it still reads

TOP_LEVEL_KEYS = {"version", "include", "machine", "workload", "components"}
MACHINE_KEYS = {"name", "description"}
WORKLOAD_KEYS = {"kernel", "firmware", "initrd", "bootargs", "load_address", "dtb"}
MAX_FILE = 16 << 20  # a machine file is a few KiB
MAX_DEPTH = 32  # tables within tables, and includes within includes


@dataclass
class MachineSource:
    """A merged machine document and where each of its keys came from."""

    path: str
    data: dict
    origins: dict[tuple, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def origin(self, *key) -> str:
        """The file that set ``key`` (or the nearest enclosing table)."""
        for n in range(len(key), 0, -1):
            found = self.origins.get(tuple(key[:n]))
            if found:
                return found
        return self.path


def _record_origins(data, prefix: tuple, file: str, origins: dict):
    for key, value in data.items():
        origins[prefix + (key,)] = file
        if isinstance(value, dict):
            _record_origins(value, prefix + (key,), file, origins)


def _merge(base: dict, over: dict):
    """Deep-merge ``over`` into ``base``: tables merge, everything else replaces."""
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)


def _read_toml(path: Path, shown: str, included_from: str | None) -> dict:
    key = None  # the message says which file included it
    where = f"included from {included_from}: " if included_from else ""
    try:
        text = read_regular(str(path), MAX_FILE, follow=True).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(shown, key, f"{where}file not found")]) from None
    except OSError as exc:
        raise ConfigError([Problem(shown, key, f"{where}cannot read: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([Problem(shown, key, f"{where}cannot read: {exc}")]) from None
    return parse_toml(text, shown)


def parse_toml(text: str, shown: str) -> dict:
    """A TOML document, refused cleanly when malformed or nested deeper than MAX_DEPTH."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([Problem(shown, None, f"malformed TOML: {exc}")]) from None
    except RecursionError:
        raise ConfigError([Problem(shown, None, f"malformed TOML: nested deeper than {MAX_DEPTH} levels")]) from None
    path = _too_deep(doc)
    if path is not None:
        raise ConfigError([Problem(shown, ".".join(path), f"nested deeper than {MAX_DEPTH} levels")])
    return doc


def _too_deep(doc) -> tuple | None:
    """The key path (at most MAX_DEPTH long) of a value nested more than MAX_DEPTH deep, else None."""
    stack = [(doc, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return path[:MAX_DEPTH]
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        stack.extend((v, path + (str(k),)) for k, v in items)
    return None


def _check_version(doc: dict, shown: str):
    if "version" not in doc:
        raise ConfigError([Problem(shown, "version", f"missing; a machine file starts with 'version = {FORMAT_VERSION}'")])
    version = doc["version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise ConfigError([Problem(shown, "version", f"{version!r} is not an integer format version")])
    if version > FORMAT_VERSION:
        raise ConfigError([Problem(shown, "version", f"format version {version} is newer than this graphsim "
                                   f"reads ({FORMAT_VERSION}); upgrade graphsim")])
    if version < OLDEST_FORMAT_VERSION:
        raise ConfigError([Problem(shown, "version", f"format version {version} is older than the oldest this "
                                   f"graphsim reads ({OLDEST_FORMAT_VERSION}); update the file")])


def _load(path: Path, chain: tuple[Path, ...], included_from: str | None) -> MachineSource:
    shown = str(path)
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:
        raise ConfigError([Problem(shown, "include", f"cannot resolve: {exc}")]) from None
    if resolved in chain:
        cycle = " -> ".join(str(p) for p in chain + (resolved,))
        raise ConfigError([Problem(shown, "include", f"include cycle: {cycle}")])
    if len(chain) >= MAX_DEPTH:
        raise ConfigError([Problem(included_from, "include", f"includes nested deeper than {MAX_DEPTH} files")])
    return _assemble(_read_toml(path, shown, included_from), shown, path.parent, chain + (resolved,))


def _assemble(doc: dict, shown: str, base_dir: Path, chain: tuple[Path, ...]) -> MachineSource:
    """Check the version, load the includes in order, then lay this document over them."""
    _check_version(doc, shown)
    includes = doc.get("include", [])
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise ConfigError([Problem(shown, "include", f"{includes!r} is not a list of file names")])

    merged = MachineSource(path=shown, data={})
    for name in includes:
        child = _load(base_dir / name, chain, shown)
        _merge(merged.data, child.data)
        merged.origins.update(child.origins)
        merged.files.extend(child.files)
    own = {k: v for k, v in doc.items() if k != "include"}
    _merge(merged.data, own)
    _record_origins(own, (), shown, merged.origins)
    merged.files.append(shown)
    return merged


def parse_override(text: str) -> tuple[list[str], object]:
    """``components.l1d.size=64KiB`` → (["components", "l1d", "size"], "64KiB").

    The value is read as a TOML value when it is one (numbers, booleans, quoted
    strings, arrays), otherwise taken as a bare string, so units need no quotes.
    """
    if "=" not in text:
        raise ConfigError([Problem("--set", text, "expected KEY=VALUE, e.g. components.l1d.size=64KiB")])
    key, raw = text.split("=", 1)
    parts = [p.strip() for p in key.strip().split(".")]
    if not all(parts):
        raise ConfigError([Problem("--set", key, "is not a dotted key path like components.l1d.size")])
    try:
        value = parse_toml(f"v = {raw}", "--set")["v"]
    except ConfigError:
        value = raw.strip()
    return parts, value


def apply_overrides(source: MachineSource, overrides: list[str]):
    for text in overrides:
        parts, value = parse_override(text)
        table = source.data
        for part in parts[:-1]:
            existing = table.setdefault(part, {})
            if not isinstance(existing, dict):
                raise ConfigError([Problem("--set", ".".join(parts), f"{part!r} is not a table")])
            table = existing
        table[parts[-1]] = value
        source.origins[tuple(parts)] = "--set"


def load_machine(path: str | Path, overrides: list[str] = ()) -> MachineSource:
    """Read a machine file with its includes and apply ``--set`` overrides."""
    source = _load(Path(path), (), None)
    apply_overrides(source, list(overrides))
    return source


def load_machine_text(text: str, name: str = "<machine>", base_dir: str | Path = ".",
                      overrides: list[str] = ()) -> MachineSource:
    """Like `load_machine` for text held in memory (the GUI's editor); includes resolve from ``base_dir``."""
    source = _assemble(parse_toml(text, name), name, Path(base_dir), ())
    apply_overrides(source, list(overrides))
    return source
