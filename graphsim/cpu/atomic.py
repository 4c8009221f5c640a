"""The atomic CPU: one instruction per cycle, memory accesses complete at once.

Runs in the compiled kernel (graphsim/cpu/kernel.py) through `Core`
(graphsim/cpu/core.py); all harts of a machine share one kernel call. Caches in
the machine's graph are not modelled by this CPU (as gem5's atomic CPU without
a warm-up): there is nothing to drain and no cache statistics.
"""

from . import layout as L
from .base import CPU
from .core import Core


class AtomicCore(Core):
    """The core as the machine drives it: the compiled kernel with no timing model around it."""

    def __init__(self, config, ram, harts=None, graph=None):
        super().__init__(config, ram, harts)

    def drain(self):
        """Nothing is buffered outside the architectural state."""

    def mmio_reply_pending(self) -> bool:
        """True between `complete_mmio` and the re-execution that consumes the reply."""
        return bool(self.work[self.work[L.C_SLOT] + L.SL_VALID])

    def stats(self) -> list[tuple]:
        return []

    def reset_stats(self):
        pass


class AtomicCPU(CPU):
    kind = "cpu.atomic"
    doc = "Atomic CPU: functional, one instruction per cycle, compiled (numba) hot path."

    @classmethod
    def core_class(cls):
        """The class that runs every hart of a machine of this model: graphsim.cpu.core.Core."""
        from .core import Core

        return Core

    @staticmethod
    def core_class():
        return AtomicCore
