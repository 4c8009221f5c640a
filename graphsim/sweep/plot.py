"""Pictures of a sweep's results (matplotlib, PNG/SVG/PDF by the file's extension):
a statistic against one axis with one line per value of the other axes, or a
heat map over two axes."""

from __future__ import annotations

import os

from ..errors import GraphsimError
from .results import load_results


class PlotError(GraphsimError):
    pass


def _sort_key(value):
    """Axis values in a sensible order: sizes and numbers by magnitude, names alphabetically."""
    from ..config.units import parse_size

    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, value, "")
    try:
        return (0, parse_size(str(value)), "")
    except (ValueError, GraphsimError):
        return (1, 0, str(value))


def select(doc: dict, stat: str | None, where: list[str]) -> tuple[str, list[dict]]:
    """The statistic plotted (default: the first collected) and the finished rows matching ``where``."""
    rows = [r for r in doc["points"] if r.get("status") == "ok"]
    for condition in where:
        key, sep, value = condition.partition("=")
        if not sep or key not in doc["axes"]:
            raise PlotError(f"--where {condition!r}: expected AXIS=VALUE with an axis of "
                            f"{', '.join(doc['axes'])}")
        rows = [r for r in rows if str(r["values"].get(key)) == value]
    if not rows:
        raise PlotError("no finished points to plot" + (" (after --where)" if where else ""))
    names = [n for n in rows[0].get("stats", {})]
    if stat is None:
        stat = next((n for n in names if isinstance(rows[0]["stats"][n], (int, float))), None)
        if stat is None:
            raise PlotError("the results hold no numeric statistic")
    if not any(stat in r.get("stats", {}) for r in rows):
        raise PlotError(f"--stat {stat}: not in the results (collected: {', '.join(names[:8])}"
                        + (", ..." if len(names) > 8 else "") + ")")
    return stat, rows


def _varying(doc: dict, rows: list[dict]) -> list[str]:
    return [a for a in doc["axes"] if len({str(r["values"].get(a)) for r in rows}) > 1]


def plot_results(path: str, output: str, stat: str | None = None, x: str | None = None,
                 by: str | None = None, heatmap: bool = False, where: list[str] = ()) -> str:
    """Draw the picture to ``output``; returns a one-line description of it."""
    if os.path.splitext(output)[1].lower() not in (".png", ".svg", ".pdf"):
        raise PlotError(f"{output}: the picture's file name ends in .png, .svg or .pdf")
    doc = load_results(path)
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5), dpi=120)
    what = draw(fig, doc, stat, x, by, heatmap, where)
    fig.savefig(output)
    return what


def draw(fig, doc: dict, stat: str | None = None, x: str | None = None, by: str | None = None,
         heatmap: bool = False, where: list[str] = ()) -> str:
    """Draw a results document on a matplotlib Figure (a file's or the desktop app's canvas);
    returns a one-line description of the picture."""
    stat, rows = select(doc, stat, list(where))
    varying = _varying(doc, rows)
    for name, option in ((x, "--x"), (by, "--by")):
        if name is not None and name not in doc["axes"]:
            raise PlotError(f"{option} {name}: not an axis of this sweep ({', '.join(doc['axes'])})")
    x = x or (varying[0] if varying else doc["axes"][0])
    others = [a for a in varying if a != x]
    by = by or (others[0] if others else None)
    fig.clear()
    ax = fig.add_subplot()
    xs = sorted({r["values"].get(x) for r in rows}, key=_sort_key)
    if heatmap:
        if by is None:
            raise PlotError("a heat map needs two axes that vary (give --by AXIS)")
        rest = [a for a in varying if a not in (x, by)]
        if rest:
            raise PlotError(f"a heat map shows two axes; fix the others with --where ({', '.join(rest)})")
        ys = sorted({r["values"].get(by) for r in rows}, key=_sort_key)
        import numpy as np

        grid = np.full((len(ys), len(xs)), np.nan)
        for r in rows:
            grid[ys.index(r["values"].get(by)), xs.index(r["values"].get(x))] = float(r["stats"].get(stat, np.nan))
        image = ax.imshow(grid, cmap="viridis", aspect="auto", origin="lower")
        middle = (np.nanmin(grid) + np.nanmax(grid)) / 2
        for (i, j), value in np.ndenumerate(grid):
            if not np.isnan(value):  # dark text on the bright end of viridis, light on the dark end
                ax.text(j, i, f"{value:.4g}", ha="center", va="center", fontsize=8,
                        color="black" if value > middle else "white")
        ax.set_xticks(range(len(xs)), [str(v) for v in xs])
        ax.set_yticks(range(len(ys)), [str(v) for v in ys])
        ax.set_ylabel(by)
        fig.colorbar(image, ax=ax, label=stat)
        what = f"heat map of {stat} over {x} x {by}"
    else:
        line_axes = [a for a in varying if a != x]
        if by is not None and by in line_axes:  # --by first, then the other varying axes
            line_axes.remove(by)
            line_axes.insert(0, by)
        groups: dict[tuple, list[dict]] = {}
        for r in rows:
            groups.setdefault(tuple(str(r["values"].get(a)) for a in line_axes), []).append(r)
        for label, group in sorted(groups.items()):
            points = sorted(((xs.index(r["values"].get(x)), r["stats"].get(stat)) for r in group))
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o",
                    label=", ".join(f"{a}={v}" for a, v in zip(line_axes, label)) or stat)
        ax.set_xticks(range(len(xs)), [str(v) for v in xs])
        ax.set_ylabel(stat)
        if len(groups) > 1 or line_axes:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        what = f"{stat} against {x}" + (f", one line per {', '.join(line_axes)}" if line_axes else "")
    ax.set_xlabel(x)
    ax.set_title(f"{doc.get('sweep', '')}: {stat}", fontsize=10)
    fig.tight_layout()
    return what
