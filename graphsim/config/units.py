"""Units are types: every quantity in a machine file is parsed by one of these.

Each parser takes the raw TOML value and returns a plain int (bytes, hertz,
picosecond ticks, cycles, addresses) or raises `UnitError` with a message that
says what was expected and, when the mistake is a familiar one, what was meant
(``"32KB"`` → did you mean ``"32KiB"``?).
"""

from __future__ import annotations

import re

TICKS_PER_SECOND = 10**12  # one tick is one picosecond, as in gem5


class UnitError(ValueError):
    """A value that does not parse as the expected unit; the message is for the user."""


_NUMBER_UNIT = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$")

SIZE_UNITS = {
    "B": 1,
    "KiB": 1 << 10,
    "MiB": 1 << 20,
    "GiB": 1 << 30,
    "TiB": 1 << 40,
}
# Decimal or ambiguous spellings people type; each maps to the binary unit they almost always mean.
_SIZE_SUGGESTIONS = {
    "k": "KiB", "K": "KiB", "KB": "KiB", "kB": "KiB", "kb": "KiB", "Kb": "KiB", "kib": "KiB", "KIB": "KiB",
    "m": "MiB", "M": "MiB", "MB": "MiB", "mb": "MiB", "Mb": "MiB", "mib": "MiB", "MIB": "MiB",
    "g": "GiB", "G": "GiB", "GB": "GiB", "gb": "GiB", "Gb": "GiB", "gib": "GiB", "GIB": "GiB",
    "b": "B", "bytes": "B", "byte": "B",
}

FREQUENCY_UNITS = {"Hz": 1, "kHz": 10**3, "MHz": 10**6, "GHz": 10**9}
_FREQUENCY_SUGGESTIONS = {
    "hz": "Hz", "HZ": "Hz", "khz": "kHz", "KHz": "kHz", "KHZ": "kHz", "mhz": "MHz", "Mhz": "MHz",
    "MHZ": "MHz", "ghz": "GHz", "Ghz": "GHz", "GHZ": "GHz",
}

TIME_UNITS = {"ps": 1, "ns": 10**3, "us": 10**6, "ms": 10**9, "s": 10**12}
_TIME_SUGGESTIONS = {"PS": "ps", "NS": "ns", "Ns": "ns", "US": "us", "µs": "us", "MS": "ms", "sec": "s", "S": "s"}


def _split(value: str, what: str, example: str) -> tuple[float, str]:
    match = _NUMBER_UNIT.match(value)
    if not match:
        raise UnitError(f"{value!r} is not a {what} (expected a number and a unit, e.g. {example!r})")
    return float(match.group(1).replace("_", "")), match.group(2)


def _scaled(number: float, scale: int, value: str, what: str) -> int:
    result = number * scale
    if result != int(result):
        raise UnitError(f"{value!r} is not a whole number of {what}")
    return int(result)


def _unit_value(value, what: str, units: dict[str, int], suggestions: dict[str, str],
                default_unit: str | None, example: str) -> int:
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a {what} (expected e.g. {example!r})")
    if isinstance(value, int):
        if default_unit is None:
            raise UnitError(f"{value!r} has no unit; write it with one, e.g. {example!r}")
        return value * units[default_unit]
    if not isinstance(value, str):
        raise UnitError(f"{value!r} is not a {what} (expected e.g. {example!r})")
    number, unit = _split(value, what, example)
    if unit == "" and default_unit is not None:
        unit = default_unit
    if unit in units:
        return _scaled(number, units[unit], value, what)
    if unit in suggestions:
        right = suggestions[unit]
        shown = value.strip()[: len(value.strip()) - len(unit)].strip()
        raise UnitError(f"{value!r} has unknown unit {unit!r}; did you mean {shown + right!r}?")
    if unit == "":
        raise UnitError(f"{value!r} has no unit; write it with one, e.g. {example!r}")
    raise UnitError(f"{value!r} has unknown unit {unit!r}; expected one of {', '.join(units)}")


def parse_size(value) -> int:
    """A size in bytes: an integer, or a string like ``"32KiB"``, ``"128MiB"``, ``"64B"``."""
    return _unit_value(value, "size", SIZE_UNITS, _SIZE_SUGGESTIONS, "B", "32KiB")


def parse_frequency(value) -> int:
    """A frequency in hertz: ``"1GHz"``, ``"10MHz"`` or an integer number of hertz."""
    return _unit_value(value, "frequency", FREQUENCY_UNITS, _FREQUENCY_SUGGESTIONS, "Hz", "1GHz")


def parse_time(value) -> int:
    """A duration in ticks (picoseconds): ``"10ns"``, ``"1us"``. A bare number is ambiguous, so refused."""
    return _unit_value(value, "duration", TIME_UNITS, _TIME_SUGGESTIONS, None, "10ns")


def parse_cycles(value) -> int:
    """A count of clock cycles: an integer or ``"3 cycles"``."""
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a number of cycles (expected e.g. 3 or '3 cycles')")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = re.match(r"^\s*([0-9]+)\s*(cycles?|cyc)?\s*$", value)
        if match:
            return int(match.group(1))
        if re.match(r"^\s*[0-9.]+\s*(ns|ps|us|ms|s)\s*$", value):
            raise UnitError(f"{value!r} is a duration; this parameter counts cycles, e.g. '3 cycles'")
    raise UnitError(f"{value!r} is not a number of cycles (expected e.g. 3 or '3 cycles')")


COUNT_UNITS = {"": 1, "k": 10**3, "K": 10**3, "M": 10**6, "G": 10**9}


def parse_count(value) -> int:
    """A count (instructions): an integer, ``"5M"``, ``"1.5G"``, ``"200k"``, ``"1e6"``, ``"60_000_000"``."""
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not a count (expected e.g. 5M or 5000000)")
    if isinstance(value, int):
        if value < 0:
            raise UnitError(f"{value!r} is not a count (negative)")
        return value
    text = str(value).strip().replace("_", "").replace(",", "")
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?(?:[eE][0-9]+)?)\s*([A-Za-z]*)", text)
    if not match or match.group(2) not in COUNT_UNITS:
        raise UnitError(f"{value!r} is not a count (expected e.g. 5M, 200k, 1.5G or 5000000)")
    number = float(match.group(1)) * COUNT_UNITS[match.group(2)]
    if number != int(number):
        raise UnitError(f"{value!r} is not a whole number")
    return int(number)


def parse_ticks(value) -> int:
    """A simulated time for the command line: a duration with a unit (``"1ms"``), or a bare
    number of ticks (picoseconds)."""
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9][0-9_]*\s*", value):
        return int(value.replace("_", ""))
    return parse_time(value)


def parse_address(value) -> int:
    """A physical address: an integer or a string ``"0x8000_0000"``."""
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not an address (expected e.g. 0x80000000)")
    if isinstance(value, int):
        if value < 0:
            raise UnitError(f"{value!r} is not an address (negative)")
        return value
    if isinstance(value, str):
        try:
            result = int(value.replace("_", ""), 0)
        except ValueError:
            raise UnitError(f"{value!r} is not an address (expected e.g. '0x8000_0000')") from None
        if result < 0:
            raise UnitError(f"{value!r} is not an address (negative)")
        return result
    raise UnitError(f"{value!r} is not an address (expected e.g. 0x80000000)")


def format_size(n: int) -> str:
    """The exact size in the largest binary unit that divides it: 32768 → ``"32KiB"``."""
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        scale = SIZE_UNITS[unit]
        if n and n % scale == 0:
            return f"{n // scale}{unit}"
    return f"{n}B"


def format_bytes(n: int) -> str:
    """A stored or transferred amount for people, rounded: 1219584 → ``"1.16 MiB"``, 512 → ``"512 B"``."""
    for unit in ("TiB", "GiB", "MiB", "KiB"):
        scale = SIZE_UNITS[unit]
        if n >= scale:
            return f"{n / scale:.{0 if n >= 100 * scale else 1 if n >= 10 * scale else 2}f} {unit}"
    return f"{n} B"


def format_frequency(hz: int) -> str:
    for unit in ("GHz", "MHz", "kHz"):
        scale = FREQUENCY_UNITS[unit]
        if hz and hz % scale == 0:
            return f"{hz // scale}{unit}"
    return f"{hz}Hz"


def format_time(ticks: int) -> str:
    for unit in ("s", "ms", "us", "ns"):
        scale = TIME_UNITS[unit]
        if ticks and ticks % scale == 0:
            return f"{ticks // scale}{unit}"
    return f"{ticks}ps"
