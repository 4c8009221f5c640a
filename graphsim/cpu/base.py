"""The CPU component declaration shared by every CPU model (atomic, timing, pipelined)."""

from ..config.schema import REQUESTER, RESPONDER, Address, Component, Frequency, Param, Port, Str
from ..isa.state import HART_FIELDS


class CPU(Component):
    """A RISC-V hart. Abstract: concrete models set ``kind``.

    Its state is one hart row (graphsim/isa/state.py): the architectural
    registers, CSRs and the used-features mask, the same for every model,
    so a checkpoint taken on one model restores onto another.
    """

    role = "cpu"

    isa = Param(Str, "rv64imac_zicsr_zifencei", "ISA string: rv64/rv32 + i, m, a, c, _zicsr, _zifencei")
    frequency = Param(Frequency, "1GHz", "clock; the atomic model retires one instruction per cycle")
    reset_vector = Param(Address, 0x8000_0000, "pc at reset")
    icache_port = Port(REQUESTER, "mem", "instruction fetches")
    dcache_port = Port(REQUESTER, "mem", "loads, stores and AMOs")
    irq = Port(RESPONDER, "hart_irq", "interrupt lines from the CLINT and PLIC", vector=True)

    state_version = 1
    state = HART_FIELDS

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
