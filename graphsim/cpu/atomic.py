"""The atomic CPU: one instruction per cycle, memory accesses complete at once.

Runs in the compiled kernel (graphsim/cpu/kernel.py) through `Core`
(graphsim/cpu/core.py); all harts of a machine share one kernel call.
"""

from .base import CPU


class AtomicCPU(CPU):
    kind = "cpu.atomic"
    doc = "Atomic CPU: functional, one instruction per cycle, compiled (numba) hot path."
