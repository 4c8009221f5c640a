"""The atomic CPU: one instruction per cycle, memory accesses complete at once.

Runs in the compiled kernel (graphsim/cpu/kernel.py) through `Core`
(graphsim/cpu/core.py); all harts of a machine share one kernel call. Caches in
the machine's graph are not modelled by this CPU (as gem5's atomic CPU): there is
nothing to drain and no cache statistics.
"""

from .base import CPU


class AtomicCPU(CPU):
    kind = "cpu.atomic"
    doc = "Atomic CPU: functional, one instruction per cycle, compiled (numba) hot path."

    @classmethod
    def core_class(cls):
        """The class that runs every hart of a machine of this model: graphsim.cpu.core.Core."""
        from .core import Core

        return Core
