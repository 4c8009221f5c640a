"""Runs as separate processes: the command line, and reading what they print.

Pure Python, no Qt: `RestoreRequest.argv()` builds the ``graphsim restore``
command, `BootRequest.argv()` the ``graphsim run`` of a fresh boot, and
`StatusParser` turns the process's stderr into events (progress, checkpoint
taken, restored, error, other messages).
"""

from __future__ import annotations

import datetime
import os
import re
import sys
from dataclasses import dataclass, field


def default_runs_dir() -> str:
    """Where run directories go: $XDG_STATE_HOME/graphsim/runs."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(state, "graphsim", "runs")


def child_python() -> list[str]:
    """The interpreter for graphsim child processes, isolated from the working directory."""
    return [sys.executable, "-P"]


def safe_cwd() -> str:
    """A working directory for child processes that holds nothing of the user's."""
    return os.path.expanduser("~")


def _run_options(max_insts, checkpoint_at_inst, checkpoint_on_console, note) -> list[str]:
    """The limit, checkpoint triggers and note, which a run and a restore take alike."""
    args = []
    if max_insts:
        args += ["--max-insts", str(max_insts)]
    for pattern in checkpoint_on_console:
        args += ["--checkpoint-on-console", pattern]
    for inst in checkpoint_at_inst:
        args += ["--checkpoint-at-inst", str(inst)]
    if note:
        args += ["--note", note]
    return args


def new_run_dir(runs_dir: str, stem: str) -> str:
    """A run directory of its own under ``runs_dir``: STEM-DATE-TIME."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return os.path.join(runs_dir, f"{stem}-{stamp}")


class ChildRun:
    """What the app starts for a request: this Python with -P (so that the working directory,
    which may hold a folder named graphsim, never shadows the installed package)."""

    outdir: str

    def argv(self) -> list[str]:
        raise NotImplementedError

    def command(self) -> list[str]:
        return child_python() + self.argv()

    def shell_line(self) -> str:
        import shlex

        return "graphsim " + shlex.join(self.argv()[2:])

    def _tail(self) -> list[str]:
        return ["--progress", "--console", "--outdir", os.path.abspath(self.outdir) if self.outdir else "RUNDIR"]


@dataclass
class RestoreRequest(ChildRun):
    checkpoint: str
    library: str
    outdir: str = ""
    cpu: str | None = None
    config: str | None = None
    disks: dict[str, str] = field(default_factory=dict)
    max_insts: int | None = None  # counted from the checkpoint (as restore counts by default)
    checkpoint_at_inst: list[int] = field(default_factory=list)  # also from the checkpoint
    checkpoint_on_console: list[str] = field(default_factory=list)
    strict: str = "features"
    note: str = ""
    allow_warnings: bool = False  # the user ticked "restore despite the warnings"

    @property
    def label(self) -> str:
        return self.checkpoint

    def with_outdir(self, runs_dir: str) -> "RestoreRequest":
        if not self.outdir:
            self.outdir = new_run_dir(runs_dir, self.checkpoint)
        return self

    def argv(self) -> list[str]:
        """Arguments after the Python executable."""
        args = ["-m", "graphsim.cli", "restore", self.checkpoint, "--library", os.path.abspath(self.library)]
        if self.cpu:
            args += ["--cpu", self.cpu]
        if self.config:
            args += ["--config", self.config]
        for name, image in self.disks.items():
            if image:
                args += ["--disk", f"{name}={image}"]
        args += _run_options(self.max_insts, self.checkpoint_at_inst, self.checkpoint_on_console, self.note)
        if self.strict != "features":
            args += ["--strict", self.strict]
        if self.allow_warnings:
            args.append("--allow-warnings")
        return args + self._tail()


@dataclass
class BootRequest(ChildRun):
    """A fresh boot of a machine file (``graphsim run``): how a library begins. Checkpoints it
    takes go to ``library``; the first one gets ``name``."""

    config: str
    library: str
    outdir: str = ""
    cpu: str | None = None
    kernel: str = ""  # empty: the machine file's [workload]
    disks: dict[str, str] = field(default_factory=dict)
    max_insts: int | None = None
    checkpoint_at_inst: list[int] = field(default_factory=list)
    checkpoint_on_console: list[str] = field(default_factory=list)
    name: str = ""
    note: str = ""

    @property
    def label(self) -> str:
        return os.path.splitext(os.path.basename(self.config))[0]

    def argv(self) -> list[str]:
        """Arguments after the Python executable."""
        args = ["-m", "graphsim.cli", "run", os.path.abspath(self.config), "--library", os.path.abspath(self.library)]
        if self.cpu:
            args += ["--cpu", self.cpu]
        if self.kernel:
            args += ["--kernel", os.path.abspath(self.kernel)]
        for name, image in self.disks.items():
            if image:
                args += ["--disk", f"{name}={os.path.abspath(image)}"]
        args += _run_options(self.max_insts, self.checkpoint_at_inst, self.checkpoint_on_console, self.note)
        if self.name:
            args += ["--name", self.name]
        return args + self._tail()


@dataclass
class Event:
    kind: str  # progress, checkpoint, restored, error, finding, done, message
    text: str
    insts: int = 0
    seconds: float = 0.0
    mips: float = 0.0
    checkpoint: str = ""


_PROGRESS = re.compile(r"\[graphsim\]\s+([\d,]+) insts\s+([\d.]+) s simulated\s+([\d.]+) MIPS")
_CHECKPOINT = re.compile(r"\[graphsim\] checkpoint (\S+) at ([\d,]+) insts")
_RESTORED = re.compile(r"\[graphsim\] restored (\S+) at ([\d,]+) insts")
_DONE = re.compile(r"\[graphsim\] (guest exited|reached|guest idle|.*after [\d,]+ insts)")
_FINDING = re.compile(r"\[graphsim\] (changed|warning|incompatible)\s")
_SUMMARY = re.compile(r"after ([\d,]+) insts, ([\d.]+) s simulated, [\d.]+ s host \(([\d.]+) MIPS\)")


class StatusParser:
    """Feed it stderr as it arrives; it returns complete events (lines end at \\n or \\r)."""

    def __init__(self):
        self._pending = ""

    def feed(self, text: str) -> list[Event]:
        self._pending += text
        parts = re.split(r"[\r\n]", self._pending)
        self._pending = parts.pop()
        return self._parse_all(parts)

    def flush(self) -> list[Event]:
        rest, self._pending = self._pending, ""
        return self._parse_all([rest])

    def _parse_all(self, lines: list[str]) -> list[Event]:
        # A message may follow a progress line that was not ended ("… 5.2 MIPS [graphsim] checkpoint …").
        pieces = [p for line in lines for p in re.split(r"(?<=\S) *(?=\[graphsim\])", line)]
        return [e for e in map(self.parse, pieces) if e is not None]

    @staticmethod
    def parse(line: str) -> Event | None:
        line = line.strip()
        if not line:
            return None
        m = _PROGRESS.search(line)
        if m:
            return Event("progress", line, insts=int(m.group(1).replace(",", "")), seconds=float(m.group(2)),
                         mips=float(m.group(3)))
        m = _CHECKPOINT.search(line)
        if m:
            return Event("checkpoint", line.removeprefix("[graphsim] "), insts=int(m.group(2).replace(",", "")),
                         checkpoint=m.group(1))
        m = _RESTORED.search(line)
        if m:
            return Event("restored", line.removeprefix("[graphsim] "), insts=int(m.group(2).replace(",", "")),
                         checkpoint=m.group(1))
        if line.startswith("error:") or line.startswith("Traceback") or line.startswith("interrupted"):
            return Event("error", line)
        if _FINDING.match(line):
            return Event("finding", line.removeprefix("[graphsim] "))
        if _DONE.match(line):
            m = _SUMMARY.search(line)
            if m:
                return Event("done", line.removeprefix("[graphsim] "), insts=int(m.group(1).replace(",", "")),
                             seconds=float(m.group(2)), mips=float(m.group(3)))
            return Event("done", line.removeprefix("[graphsim] "))
        return Event("message", line.removeprefix("[graphsim] "))


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>78]")


def console_text(text: str) -> str:
    """Guest console output made fit for a plain text pane: no escape sequences, no carriage returns."""
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "")
    return "".join(c for c in text if c in "\n\t" or c >= " " or c == "\x08")
