"""Physical memory: the ground truth of every byte the guest stores, and the
timing of reaching it.

Two timing models, chosen by `model` (used by the timing and pipelined CPUs;
the compiled model is graphsim/mem/dram.py):

* ``simple``: every line transfer takes `latency`; transfers share one data
  channel of `bandwidth`, so back-to-back requests (prefetches, write-backs)
  queue behind each other.
* ``dram``: a banked DRAM with an open-page (or closed-page) row buffer per
  bank. A request to line address A goes to bank ``(A / dram_row_size) %
  dram_banks``; a row hit costs tCAS, an access to a precharged bank tRCD +
  tCAS, a row conflict tRP + tRCD + tCAS; then the line crosses the shared data
  channel (line size / `bandwidth`), and `dram_static_latency` (controller and
  PHY) is added.

Every access also crosses the memory bus: its `latency` (bus cycles) is added.
"""

from decimal import Decimal, InvalidOperation

import re

from ..checkpoint.upgrade import upgrader
from ..config import units
from ..config.schema import (RESPONDER, Address, Choice, Component, Int, Param, ParamType, Port, Size, StateField,
                             Time)

_BANDWIDTH_UNITS = {"B/s": 1, "KB/s": 10**3, "MB/s": 10**6, "GB/s": 10**9, "TB/s": 10**12,
                    "KiB/s": 1 << 10, "MiB/s": 1 << 20, "GiB/s": 1 << 30}


def parse_bandwidth(value) -> int:
    """Bytes per second from ``"12.8GB/s"``, ``"16GiB/s"`` or ``"800MB/s"``."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise units.UnitError(f"{value!r} is not a bandwidth (expected e.g. '12.8GB/s')")
    match = re.match(r"^\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([A-Za-z]+/s)\s*$", value)
    if not match:
        raise units.UnitError(f"{value!r} is not a bandwidth (expected a number and a unit, e.g. '12.8GB/s')")
    unit = match.group(2)
    if unit not in _BANDWIDTH_UNITS:
        raise units.UnitError(f"{value!r} has unknown unit {unit!r}; expected one of {', '.join(_BANDWIDTH_UNITS)}")
    try:
        number = Decimal(match.group(1).replace("_", "")) * _BANDWIDTH_UNITS[unit]
    except InvalidOperation:
        raise units.UnitError(f"{value!r} is not a bandwidth") from None
    if number != int(number) or number <= 0:
        raise units.UnitError(f"{value!r} is not a whole, positive number of bytes per second")
    return int(number)


def format_bandwidth(bps: int) -> str:
    for unit in ("GB/s", "MB/s", "KB/s"):
        scale = _BANDWIDTH_UNITS[unit]
        if bps >= scale and (bps * 10) % scale == 0:
            text = f"{Decimal(bps) / scale:f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text + unit
    for unit in ("GiB/s", "MiB/s", "KiB/s"):
        if bps >= _BANDWIDTH_UNITS[unit] and bps % _BANDWIDTH_UNITS[unit] == 0:
            return f"{bps // _BANDWIDTH_UNITS[unit]}{unit}"
    return f"{bps}B/s"


Bandwidth = ParamType("bandwidth", parse_bandwidth, format_bandwidth, '"12.8GB/s"', min=1, max=10**15)


def _banks(p) -> tuple:
    return (p.dram_banks,)


class Memory(Component):
    kind = "memory"
    role = "memory"
    doc = ("Physical RAM. Contents live in one numpy byte array; zero pages cost nothing in checkpoints. "
           "Its timing parameters are used by the timing and pipelined CPU models: `model = \"simple\"` is "
           "a fixed latency plus a bandwidth-limited data channel, `model = \"dram\"` a banked DRAM with a "
           "row buffer per bank (tRCD/tCAS/tRP, open- or closed-page).")

    base = Param(Address, 0x8000_0000, "first physical address")
    size = Param(Size, "128MiB", "capacity", min=4096)
    model = Param(Choice("simple", "dram"), "simple", "timing model: fixed latency, or banked DRAM")
    latency = Param(Time, "50ns", "access latency of the simple model (line transfer included)")
    bandwidth = Param(Bandwidth, "12.8GB/s", "peak data rate of the memory channel (both models)")
    dram_banks = Param(Int, 8, "DRAM banks (dram model)", min=1, max=1024)
    dram_row_size = Param(Size, "2KiB", "DRAM row (page) size: consecutive addresses share a row (dram model)",
                          min=64)
    dram_tRCD = Param(Time, "14ns", "activate to column command: opening a row (dram model)")
    dram_tCAS = Param(Time, "14ns", "column command to data (dram model)")
    dram_tRP = Param(Time, "14ns", "precharge: closing an open row (dram model)")
    dram_page_policy = Param(Choice("open", "closed"), "open", "keep a row open after an access (dram model)")
    dram_static_latency = Param(Time, "10ns", "controller and PHY latency added to every access (dram model)")
    port = Port(RESPONDER, "mem", "requests from buses and caches", vector=True)

    state_version = 2
    state = (
        StateField("data", "uint8", ("size",), "memory contents"),
        StateField("dram_rows", "int64", _banks, "open row + 1 of each DRAM bank (0: precharged)",
                   architectural=False, since=2),
        StateField("warm_geometry", "int64", (4,), "DRAM geometry the open rows were recorded with",
                   architectural=False, since=2),
    )

    def check(self):
        problems = []
        if self.params.size % 4096:
            problems.append(("size", "must be a multiple of 4KiB"))
        if self.params.base % 4096:
            problems.append(("base", "must be 4KiB-aligned"))
        if self.params.dram_row_size & (self.params.dram_row_size - 1):
            problems.append(("dram_row_size", f"{self.params.dram_row_size}B is not a power of two"))
        return problems

    def warm_geometry(self):
        import numpy as np

        p = self.params
        return np.array([1 if p.model == "dram" else 0, p.dram_banks, p.dram_row_size, 0], np.int64)


@upgrader("memory", 1)
def _memory_v1_to_v2(fields):
    """Version 2 adds the DRAM row-buffer warm state; older checkpoints start with every bank precharged."""
    return fields
