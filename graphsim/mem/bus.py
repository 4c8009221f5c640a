"""A crossbar joining requesters (CPUs, caches) to memories and devices by address."""

from ..config.schema import REQUESTER, RESPONDER, Component, Cycles, Frequency, Param, Port, Size


class Bus(Component):
    kind = "bus"
    role = "bus"
    doc = "Coherent crossbar: routes each request to the component whose address range holds it."

    width = Param(Size, "16B", "bytes transferred per bus cycle", min=1)
    frequency = Param(Frequency, "1GHz", "bus clock", min=1)
    latency = Param(Cycles, 1, "cycles from request to the responder", min=0)
    cpu_side = Port(RESPONDER, "mem", "requests from CPUs and caches", vector=True)
    mem_side = Port(REQUESTER, "mem", "memories and devices", vector=True)
