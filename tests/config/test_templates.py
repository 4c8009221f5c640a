"""The machines graphsim writes out itself (graphsim/config/templates.py) are valid machines."""

import pytest

from graphsim.checkpoint.restore import cpu_models
from graphsim.config.loader import load_machine_text
from graphsim.config.templates import NEW_MACHINE, WARM_UP_MACHINE, virt_machine
from graphsim.graph.elaborate import elaborate
from graphsim.sim.precompile import WARM_UP_ISAS


def test_the_editors_new_machine_is_whole_and_cacheless():
    graph = elaborate(load_machine_text(NEW_MACHINE, name="<new>"))
    assert graph.name == "my-machine" and not graph.of_role("cache")
    assert NEW_MACHINE.startswith("# A whole machine in one file")
    assert {c.kind for c in graph.components.values()} >= {"sifive_test", "clint", "plic", "uart16550", "memory"}


@pytest.mark.parametrize("isa", WARM_UP_ISAS)
@pytest.mark.parametrize("model", cpu_models())
def test_the_warm_up_machine_builds_on_every_cpu_model(model, isa):
    graph = elaborate(load_machine_text(WARM_UP_MACHINE.format(kind=f"cpu.{model}", isa=isa), name="<precompile>"))
    assert graph.components["cpu"].kind == f"cpu.{model}"
    assert graph.components["cpu"].params.isa == isa
    assert sorted(c.name for c in graph.of_role("cache")) == ["l1d", "l1i", "l2"]
    assert graph.of_kind("simctl") and graph.components["ram"].params.size == 1 << 20


def test_l1_caches_without_an_l2_go_to_the_bus():
    graph = elaborate(load_machine_text(virt_machine("m", caches={"l1i": "8KiB", "l1d": "8KiB"}), name="<m>"))
    assert graph.peers("l1d", "mem_side") == [("membus", "cpu_side")]
