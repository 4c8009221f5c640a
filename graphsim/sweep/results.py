"""A sweep's results: one row per point (axis values, collected stats, wall time,
status), kept as results.json (the record resume reads) and results.csv, and
each point's run directory under points/.

Both files are rewritten atomically after every finished point, so a client
killed at any moment leaves a table of exactly the points that finished.
"""

from __future__ import annotations

import csv
import io
import json
import os

from ..errors import GraphsimError

RESULTS_VERSION = 1
FIXED_COLUMNS = ("point", "index", "status")
TRAILING_COLUMNS = ("wall_seconds", "cpu_seconds", "insts", "stop", "digest", "worker", "error")


class ResultsError(GraphsimError):
    pass


def _atomic_write(path: str, text: str):
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Results:
    def __init__(self, outdir: str, name: str, identity: str, axes: list[str], collect: list[str],
                 rows: dict[str, dict] | None = None):
        self.outdir = outdir
        self.name = name
        self.identity = identity
        self.axes = axes
        self.collect = collect
        self.rows: dict[str, dict] = rows or {}
        self.start: dict = {}  # the checkpoint (id and library) the points restored, for relaunching one

    @classmethod
    def open(cls, outdir: str, spec, start: dict | None = None) -> Results:
        """The results in ``outdir``: those of an earlier run of the same sweep (to resume), else empty."""
        os.makedirs(os.path.join(outdir, "points"), exist_ok=True)
        path = os.path.join(outdir, "results.json")
        results = cls(outdir, spec.name, spec.identity(), list(spec.axes), list(spec.collect))
        results.start = dict(start or {})
        if os.path.exists(path):
            old = load_results(path)
            if old.get("identity") != results.identity:
                raise ResultsError(f"{outdir}: holds results of another sweep (its start, run or stats "
                                   "differ); choose another --outdir or remove it")
            results.rows = {row["point"]: row for row in old.get("points", [])}
        return results

    def finished(self, point_id: str) -> bool:
        row = self.rows.get(point_id)
        return bool(row) and row.get("status") == "ok" and os.path.isdir(os.path.join(self.outdir, row["dir"]))

    def record(self, row: dict, files: dict[str, bytes] | None = None):
        """Store one point's row (and its run directory's files), then rewrite both tables."""
        if files:
            directory = os.path.join(self.outdir, row["dir"])
            os.makedirs(directory, exist_ok=True)
            for name, data in files.items():
                with open(os.path.join(directory, name), "wb") as f:
                    f.write(data)
        self.rows[row["point"]] = row
        self.save()

    def ordered(self) -> list[dict]:
        return sorted(self.rows.values(), key=lambda r: r["index"])

    def stat_names(self) -> list[str]:
        names: list[str] = []
        for row in self.ordered():
            for name in row.get("stats", {}):
                if name not in names:
                    names.append(name)
        return names

    def save(self):
        doc = {"results_version": RESULTS_VERSION, "sweep": self.name, "identity": self.identity,
               "start": self.start, "axes": self.axes, "collect": self.collect, "points": self.ordered()}
        _atomic_write(os.path.join(self.outdir, "results.json"), json.dumps(doc, indent=1) + "\n")
        _atomic_write(os.path.join(self.outdir, "results.csv"), self.csv())

    def csv(self) -> str:
        stats = self.stat_names()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(list(FIXED_COLUMNS) + self.axes + stats + list(TRAILING_COLUMNS))
        for row in self.ordered():
            writer.writerow([row.get(c, "") for c in FIXED_COLUMNS]
                            + [row.get("values", {}).get(a, "") for a in self.axes]
                            + [row.get("stats", {}).get(s, "") for s in stats]
                            + [row.get(c, "") for c in TRAILING_COLUMNS])
        return out.getvalue()


def load_results(path: str) -> dict:
    """A results.json (or the sweep directory holding one)."""
    if os.path.isdir(path):
        path = os.path.join(path, "results.json")
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such results file") from None
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: not a sweep results file ({exc})") from None
    if not isinstance(doc, dict) or "points" not in doc:
        raise ResultsError(f"{path}: not a sweep results file (no points)")
    version = doc.get("results_version")
    if not isinstance(version, int) or version > RESULTS_VERSION:
        raise ResultsError(f"{path}: results_version {version!r} is not one this graphsim reads "
                           f"(<= {RESULTS_VERSION})")
    return doc
