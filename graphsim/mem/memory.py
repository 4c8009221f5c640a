"""Physical memory: the ground truth of every byte the guest stores."""

from ..config.schema import RESPONDER, Address, Component, Param, Port, Size, StateField, Time


class Memory(Component):
    kind = "memory"
    role = "memory"
    doc = "Physical RAM. Contents live in one numpy byte array; zero pages cost nothing in checkpoints."

    base = Param(Address, 0x8000_0000, "first physical address")
    size = Param(Size, "128MiB", "capacity", min=4096)
    latency = Param(Time, "50ns", "access latency seen by timing models")
    port = Port(RESPONDER, "mem", "requests from buses and caches", vector=True)

    state = (StateField("data", "uint8", ("size",), "memory contents"),)

    def check(self):
        problems = []
        if self.params.size % 4096:
            problems.append(("size", "must be a multiple of 4KiB"))
        if self.params.base % 4096:
            problems.append(("base", "must be 4KiB-aligned"))
        return problems
