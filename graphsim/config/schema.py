"""Declarations: what a component kind has, said once.

A component kind is a subclass of `Component` that declares, as class
attributes, its parameters (`Param`), its ports (`Port`) and its state fields
(`StateField`, listed in ``state``), plus a ``state_version``. Everything else
— validation, the resolved dump, ``graphsim docs``, checkpoint I/O, the
compatibility record, the GUI's columns — is derived from these declarations.

    class Cache(Component):
        kind = "cache"
        size = Param(Size, "32KiB", "capacity")
        cpu_side = Port(RESPONDER, "mem", "towards the CPU", vector=True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import units

REQUIRED = object()  # the default of a parameter that must be given


# --- parameter types --------------------------------------------------------


@dataclass(frozen=True)
class ParamType:
    """A parameter type: a name shown to users, a parser to the internal value, a formatter back to TOML,
    and the bounds every value of the type keeps (a Param may narrow them): whatever validates also builds."""

    name: str
    parse: Callable[[Any], Any]
    format: Callable[[Any], Any] = lambda v: v
    example: str = ""
    min: int | float | None = None
    max: int | float | None = None


INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
PHYS_ADDRESS_LIMIT = 1 << 56  # RISC-V physical addresses have at most 56 bits


def _parse_int(value):
    if isinstance(value, bool) or not isinstance(value, int):
        raise units.UnitError(f"{value!r} is not an integer")
    return value


def _parse_bool(value):
    if not isinstance(value, bool):
        raise units.UnitError(f"{value!r} is not a boolean (expected true or false)")
    return value


def _parse_str(value):
    if not isinstance(value, str):
        raise units.UnitError(f"{value!r} is not a string")
    return value


def _parse_float(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise units.UnitError(f"{value!r} is not a number")
    if value != value or value in (float("inf"), float("-inf")):
        raise units.UnitError(f"{value!r} is not a finite number")
    return float(value)


Int = ParamType("integer", _parse_int, example="4", min=INT64_MIN, max=INT64_MAX)
Bool = ParamType("boolean", _parse_bool, example="true")
Str = ParamType("string", _parse_str, example='"name"')
Float = ParamType("number", _parse_float, example="0.5", min=-1e18, max=1e18)
Size = ParamType("size", units.parse_size, units.format_size, '"32KiB"', min=1, max=PHYS_ADDRESS_LIMIT)
Frequency = ParamType("frequency", units.parse_frequency, units.format_frequency, '"1GHz"', min=1, max=10**13)
Time = ParamType("duration", units.parse_time, units.format_time, '"10ns"', min=0, max=10**18)
Cycles = ParamType("cycles", units.parse_cycles, example="3", min=0, max=1 << 32)
# A file name; relative names are resolved against the directory of the machine file that sets them.
FilePath = ParamType("file path", _parse_str, example='"disk.img"')
Address = ParamType("address", units.parse_address, lambda v: f"0x{v:x}", '"0x8000_0000"',
                    min=0, max=PHYS_ADDRESS_LIMIT - 1)


def Choice(*choices: str) -> ParamType:
    """A string from a fixed set."""

    def parse(value):
        if value not in choices:
            raise units.UnitError(f"{value!r} is not one of {', '.join(map(repr, choices))}")
        return value

    return ParamType("one of " + ", ".join(choices), parse, example=repr(choices[0]))


# --- declarations -----------------------------------------------------------


@dataclass
class Param:
    """A parameter: its type (with unit), default (or REQUIRED), one-line doc and optional bounds."""

    type: ParamType
    default: Any = REQUIRED
    doc: str = ""
    min: int | float | None = None
    max: int | float | None = None
    name: str = ""

    def __set_name__(self, owner, name):
        self.name = name

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def parse(self, raw):
        """Parse a raw TOML value; raises UnitError with a user-facing message."""
        value = self.type.parse(raw)
        for low in (self.min, self.type.min):
            if low is not None and value < low:
                raise units.UnitError(f"{raw!r} is below the minimum {self.type.format(low)}")
        for high in (self.max, self.type.max):
            if high is not None and value > high:
                raise units.UnitError(f"{raw!r} is above the maximum {self.type.format(high)}")
        return value

    def default_value(self):
        return None if self.required else self.type.parse(self.default)


REQUESTER = "requester"  # initiates transactions / drives a line (a CPU's data port, a device's irq)
RESPONDER = "responder"  # answers them / receives the line (a cache's cpu side, a PLIC's sources)


@dataclass
class Port:
    """A port: direction, protocol, doc. Requester ports name their peer in the machine file;
    a responder with ``vector=True`` accepts any number of requesters. ``required`` ports must be bound."""

    direction: str
    protocol: str
    doc: str = ""
    vector: bool = False
    required: bool = True
    name: str = ""

    def __set_name__(self, owner, name):
        self.name = name


@dataclass(frozen=True)
class StateField:
    """A piece of component state saved in checkpoints.

    ``shape`` is a tuple whose entries are integers or names of parameters
    (``("num_harts",)``), or a function of the resolved params returning one. ``architectural`` state is guest-visible truth (registers,
    memory, device registers); the rest is timing/warm state (cache tags,
    predictor tables) that a checkpoint may carry but a restore may drop.
    ``since`` is the component state version that introduced the field.
    """

    name: str
    dtype: str
    shape: tuple[int | str, ...] | Callable[[Any], tuple] = ()
    doc: str = ""
    architectural: bool = True
    since: int = 1

    def resolve_shape(self, params) -> tuple:
        shape = self.shape(params) if callable(self.shape) else self.shape
        return tuple(int(params[n]) if isinstance(n, str) else int(n) for n in shape)


# --- components -------------------------------------------------------------

_REGISTRY: dict[str, type["Component"]] = {}


class Params(dict):
    """Resolved parameters with attribute access: ``params.size``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class Component:
    """Base of every component kind. Subclasses set ``kind`` and declare params, ports and state."""

    kind: str = ""
    doc: str = ""
    # What the elaborator treats it as: cpu, cache, bus, memory, device or interrupt_controller.
    role: str = "device"
    state_version: int = 1
    state: tuple[StateField, ...] = ()

    params_decl: dict[str, Param]
    ports_decl: dict[str, Port]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        params: dict[str, Param] = {}
        ports: dict[str, Port] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Param):
                    params[name] = value
                elif isinstance(value, Port):
                    ports[name] = value
        cls.params_decl = params
        cls.ports_decl = ports
        if cls.kind:
            if cls.kind in _REGISTRY and _REGISTRY[cls.kind] is not cls:
                raise TypeError(f"component kind {cls.kind!r} declared twice")
            _REGISTRY[cls.kind] = cls

    def __init__(self, name: str, params: Params):
        self.name = name
        self.params = params
        self.state_arrays: dict[str, np.ndarray] = {}

    def check(self) -> list[tuple[str, str]]:
        """Problems among this component's own parameters, as (param name, message) pairs."""
        return []

    def address_range(self) -> tuple[int, int] | None:
        """(base, size) for components that answer at an address (memories, devices)."""
        if "base" in self.params and "size" in self.params:
            return self.params["base"], self.params["size"]
        return None

    # Derived from the declarations ---------------------------------------

    def state_shapes(self) -> dict[str, tuple[str, tuple]]:
        return {f.name: (f.dtype, f.resolve_shape(self.params)) for f in self.state}

    def allocate_state(self) -> dict[str, np.ndarray]:
        """Zeroed arrays for every declared state field (components may override to pack them)."""
        self.state_arrays = {
            name: np.zeros(shape, dtype=dtype) for name, (dtype, shape) in self.state_shapes().items()
        }
        return self.state_arrays

    def __repr__(self):
        return f"<{self.kind} {self.name}>"


def component_kinds() -> dict[str, type[Component]]:
    """Every registered component kind, after importing the modules that declare them."""
    from .. import components  # noqa: F401  (imports every kind's module, which registers it)

    return dict(sorted(_REGISTRY.items()))


def closest(word: str, candidates) -> str | None:
    """The candidate a misspelt word most likely meant, for 'did you mean' hints."""
    import difflib

    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None
