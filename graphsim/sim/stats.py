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
