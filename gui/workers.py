"""Background work: functions run in the global QThreadPool, reporting through signals.

    run_task(compare, root, cpt, target, on_finished=self.show_result, on_errored=self.show_error)

The callbacks are connected before the task starts (a fast task could
otherwise finish before anyone listens) and run in the UI thread.

A function that declares an ``abort`` parameter receives a `threading.Event`
it should poll (cooperative abort); one that declares ``progress`` receives a
callable forwarding to the ``progress`` signal. Errors a user caused
(`GraphsimError`) arrive as their lines; anything else as the exception's type
and message, with the traceback logged.
"""

from __future__ import annotations

import inspect
import logging
import threading
import traceback

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from graphsim.errors import GraphsimError

log = logging.getLogger(__name__)

_ACTIVE: set["Task"] = set()  # keeps Python wrappers alive while Qt runs them


class TaskSignals(QObject):
    started = Signal()
    progress = Signal(object)
    finished = Signal(object)  # the function's result
    errored = Signal(str)  # a message for the user
    done = Signal()  # after finished or errored


class Task(QRunnable):
    def __init__(self, fn, *args, **kwargs):
        super().__init__()
        self.setAutoDelete(False)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.signals = TaskSignals()  # created in the UI thread, so its signals are queued to it
        self.aborted = threading.Event()
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            params = {}
        if "abort" in params:
            self.kwargs["abort"] = self.aborted
        if "progress" in params:
            self.kwargs["progress"] = self.signals.progress.emit

    def abort(self):
        self.aborted.set()

    def run(self):
        self.signals.started.emit()
        try:
            result = self.fn(*self.args, **self.kwargs)
        except GraphsimError as exc:
            self.signals.errored.emit("\n".join(exc.lines()))
        except Exception as exc:  # noqa: BLE001 — a worker must report, never die silently
            log.error("background task %s failed:\n%s", getattr(self.fn, "__name__", self.fn),
                      traceback.format_exc())
            self.signals.errored.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.signals.finished.emit(result)
        finally:
            self.signals.done.emit()


def run_task(fn, *args, on_finished=None, on_errored=None, on_progress=None, **kwargs) -> Task:
    """Start ``fn(*args, **kwargs)`` in the global thread pool, its signals connected to the callbacks first."""
    task = Task(fn, *args, **kwargs)
    for signal, slot in ((task.signals.finished, on_finished), (task.signals.errored, on_errored),
                         (task.signals.progress, on_progress)):
        if slot is not None:
            signal.connect(slot)
    _ACTIVE.add(task)
    task.signals.done.connect(lambda: _ACTIVE.discard(task))
    QThreadPool.globalInstance().start(task)
    return task


def active_tasks() -> int:
    return len(_ACTIVE)


def wait_for_all(msecs: int = 30000) -> bool:
    """Wait for every background task (tests, application exit)."""
    return QThreadPool.globalInstance().waitForDone(msecs)


class Latest(QObject):
    """Keeps only the newest of a stream of requests: older results are dropped when they arrive.

    Used for debounced work (validation while typing, findings while a dialog changes).
    """

    finished = Signal(object)
    errored = Signal(str)
    busy = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.generation = 0
        self.task: Task | None = None

    def submit(self, fn, *args, **kwargs) -> Task:
        self.generation += 1
        generation = self.generation
        if self.task is not None:
            self.task.abort()
        self.busy.emit(True)
        self.task = run_task(fn, *args, **kwargs,
                             on_finished=lambda result: self._deliver(generation, self.finished, result),
                             on_errored=lambda message: self._deliver(generation, self.errored, message))
        return self.task

    def cancel(self):
        self.generation += 1
        if self.task is not None:
            self.task.abort()
        self.busy.emit(False)

    def _deliver(self, generation, signal, value):
        try:
            if generation == self.generation:
                self.busy.emit(False)
                signal.emit(value)
        except RuntimeError:  # the owner was destroyed while the task ran
            pass
