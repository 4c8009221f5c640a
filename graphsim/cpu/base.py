"""The CPU component declaration shared by every CPU model (atomic, timing, pipelined)."""

import numpy as np

from ..checkpoint.upgrade import upgrader
from ..config.schema import REQUESTER, RESPONDER, Address, Component, Frequency, Param, Port, Str
from ..isa.state import HART_FIELDS


def hart_v1_to_v2(fields):
    """Hart state version 2 adds the F/D state. A version-1 hart had no FPU: its f registers and
    fcsr start zeroed, and its mstatus already has FS Off, so it runs exactly as it did."""
    fields.setdefault("f", np.zeros(32, np.int64))
    fields.setdefault("fcsr", np.zeros((), np.int64))
    return fields


class CPU(Component):
    """A RISC-V hart. Abstract: concrete models set ``kind``.

    Its state is one hart row (graphsim/isa/state.py): the architectural
    registers, CSRs and the used-features mask, the same for every model,
    so a checkpoint taken on one model restores onto another.
    """

    role = "cpu"

    isa = Param(Str, "rv64imac_zicsr_zifencei",
                "ISA string: rv64/rv32 + i, m, a, f, d, c, _zicsr, _zifencei, _zihintpause, _sstc (g = imafd_zicsr_zifencei; rv64gc)")
    frequency = Param(Frequency, "1GHz", "clock; the atomic model retires one instruction per cycle")
    reset_vector = Param(Address, 0x8000_0000, "pc at reset")
    icache_port = Port(REQUESTER, "mem", "instruction fetches")
    dcache_port = Port(REQUESTER, "mem", "loads, stores and AMOs")
    irq = Port(RESPONDER, "hart_irq", "interrupt lines from the CLINT and PLIC", vector=True)

    state_version = 2  # 2: FP registers and fcsr (graphsim/checkpoint/upgrade.py upgrades version 1)
    state = HART_FIELDS

    @property
    def digest_exclude(self):
        """A hart without F has no FP state (always zero): leave it out of the digest, so a machine
        without F/D digests as it did before the FP fields existed."""
        from ..isa.encoding import parse_isa
        from ..isa.state import FP_FIELDS

        try:
            return () if parse_isa(self.params.isa).has_fp else FP_FIELDS
        except ValueError:
            return ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:  # every CPU model shares the hart state and its upgraders
            upgrader(cls.kind, 1)(hart_v1_to_v2)

    @classmethod
    def core_class(cls):
        """The Core class that runs harts of this model (see graphsim/cpu/core.py)."""
        raise NotImplementedError(f"{cls.__name__} has no compiled core")

    def check(self):
        from ..isa.encoding import parse_isa

        try:
            parse_isa(self.params.isa)
        except ValueError as exc:
            return [("isa", str(exc))]
        return []
