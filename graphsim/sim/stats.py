"""Statistics in gem5's shape: hierarchical names (``system.cpu0.committedInsts``),
dumped as ``stats.txt`` (gem5's text layout, one section per dump) and
``stats.json`` (a list of dumps), reset by m5op or at checkpoints."""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass
class Stat:
    value: float | int
    desc: str
    unit: str = ""


@dataclass
class StatsDump:
    """One snapshot of every statistic, with why it was taken."""

    reason: str
    values: dict[str, Stat] = field(default_factory=dict)

    def text(self) -> str:
        lines = ["", "---------- Begin Simulation Statistics ----------"]
        width = max((len(n) for n in self.values), default=40) + 2
        for name, stat in self.values.items():
            value = f"{stat.value:.6f}" if isinstance(stat.value, float) else str(stat.value)
            unit = f" ({stat.unit})" if stat.unit else ""
            lines.append(f"{name:<{width}}{value:>20}    # {stat.desc}{unit}")
        lines += ["", "---------- End Simulation Statistics   ----------", ""]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"reason": self.reason, "stats": {n: s.value for n, s in self.values.items()}}


class StatsLog:
    """Every dump of a run, written out together."""

    def __init__(self):
        self.dumps: list[StatsDump] = []

    def add(self, dump: StatsDump):
        self.dumps.append(dump)

    def write(self, directory: str):
        import os

        with open(os.path.join(directory, "stats.txt"), "w", encoding="utf-8") as f:
            for dump in self.dumps:
                f.write(dump.text())
        with open(os.path.join(directory, "stats.json"), "w", encoding="utf-8") as f:
            json.dump([d.as_dict() for d in self.dumps], f, indent=1)
            f.write("\n")


def load_stats(path: str) -> list[dict]:
    """The dumps of a run directory's stats.json (or the file itself)."""
    import os

    if os.path.isdir(path):
        path = os.path.join(path, "stats.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _last_dump(path: str, index: int) -> tuple[str, dict]:
    dumps = load_stats(path)
    if not dumps:
        raise ValueError(f"{path}: no statistics dumps")
    try:
        dump = dumps[index]
    except IndexError:
        raise ValueError(f"{path}: has {len(dumps)} dump(s); --dump {index} is out of range") from None
    return dump.get("reason", ""), dump.get("stats", {})


def compare_stats(a: str, b: str, dump: int = -1, pattern: str | None = None) -> list[tuple]:
    """Rows (name, value in A, value in B, B/A) for two runs' statistics (run directories or
    stats.json files), from dump number ``dump`` of each (default: the last, the end of the run).
    Names in A's order, then those only B has; ``pattern`` (a regular expression) selects names."""
    import re

    _, sa = _last_dump(a, dump)
    _, sb = _last_dump(b, dump)
    names = list(sa) + [n for n in sb if n not in sa]
    if pattern:
        regex = re.compile(pattern)
        names = [n for n in names if regex.search(n)]
    rows = []
    for name in names:
        va, vb = sa.get(name), sb.get(name)
        ratio = None
        if isinstance(va, (int, float)) and isinstance(vb, (int, float)) and va != 0:
            ratio = vb / va
        rows.append((name, va, vb, ratio))
    return rows


def format_comparison(rows: list[tuple], label_a: str = "A", label_b: str = "B") -> str:
    """The rows of `compare_stats` as aligned text."""

    def show(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.6g}"
        return str(v)

    width = max([len(r[0]) for r in rows] + [4]) + 2
    lines = [f"{'stat':<{width}}{label_a:>20}{label_b:>20}{'B/A':>10}"]
    for name, va, vb, ratio in rows:
        lines.append(f"{name:<{width}}{show(va):>20}{show(vb):>20}{(f'{ratio:.3f}' if ratio is not None else '-'):>10}")
    return "\n".join(lines) + "\n"
