"""Elaboration: the graph, its derived maps, and every class of error, reported together."""

import pytest

from graphsim.config.loader import load_machine
from graphsim.errors import ConfigError
from graphsim.graph.elaborate import elaborate

CPU_DIRECT = """
[components.cpu]
type = "cpu.atomic"
icache_port = "membus.cpu_side"
dcache_port = "membus.cpu_side"
"""


def build(path, overrides=()):
    return elaborate(load_machine(path, list(overrides)))


def problems(path, overrides=()):
    with pytest.raises(ConfigError) as err:
        build(path, overrides)
    return err.value.lines()


def test_minimal_machine(machine_file):
    machine = build(machine_file(CPU_DIRECT))
    assert machine.cpus == ["cpu"]
    names = [r.component for r in machine.address_map["cpu"]]
    assert names == ["test", "clint", "plic", "uart0"] + [f"virtio{i}" for i in range(8)] + ["simctl", "ram"]
    assert [(r.source, r.irq, r.controller) for r in machine.irq_map] == \
        [(f"virtio{i}", i + 1, "plic") for i in range(8)] + [("uart0", 10, "plic")]
    order = list(machine.components)
    assert order.index("ram") < order.index("membus") < order.index("cpu")
    assert machine.components["plic"].params.num_harts == 1


def test_hart_arrays_expand_to_stable_names(machine_file):
    path = machine_file("""
[components.cpu]
type = "cpu.atomic"
count = 3
icache_port = "l1i.cpu_side"
dcache_port = "l1d.cpu_side"
[components.l1i]
type = "cache"
count = 3
mem_side = "membus.cpu_side"
[components.l1d]
type = "cache"
count = 3
mem_side = "membus.cpu_side"
""")
    machine = build(path)
    assert machine.cpus == ["cpu0", "cpu1", "cpu2"]
    assert [c.hartid for c in machine.of_role("cpu")] == [0, 1, 2]
    assert machine.peers("cpu1", "dcache_port") == [("l1d1", "cpu_side")]
    assert sorted(p for p, _ in machine.peers("plic", "harts")) == ["cpu0", "cpu1", "cpu2"]
    assert machine.components["clint"].params.num_harts == 3


def test_every_problem_is_reported_together(machine_file):
    path = machine_file("""
[components.cpu]
type = "cpu.atomic"
icache_port = "membus.cpu_side"
dcache_port = "membus.cpu_side"
frequncy = "1GHz"
[components.l1d]
type = "cache"
size = "32KB"
mem_side = "membus.cpu_side"
[components.gpu]
type = "gpu"
""")
    lines = problems(path)
    assert len(lines) == 3
    assert any("components.cpu.frequncy: unknown parameter of cpu.atomic; did you mean 'frequency'?" in l
               for l in lines)
    assert any("components.l1d.size: '32KB' has unknown unit 'KB'; did you mean '32KiB'?" in l for l in lines)
    assert any("components.gpu.type: unknown component type 'gpu'" in l for l in lines)
    assert all(l.startswith(str(path)) for l in lines)


@pytest.mark.parametrize("body,expected", [
    ("[components.cpu]\ntype='cpu.atomic'\nicache_port='membus.cpu_side'\n",
     "components.cpu.dcache_port: required port is not bound"),
    (CPU_DIRECT + "[components.x]\ntype='uart16550'\nbase='0x1000_0100'\nirq=11\nport='membus.mem_side'\n",
     "components.x.irq_line: interrupt line not routed to a controller"),
    (CPU_DIRECT.replace('dcache_port = "membus.cpu_side"', 'dcache_port = "membus.cpu_sid"'),
     "'membus.cpu_sid': bus has no port 'cpu_sid'; did you mean 'cpu_side'?"),
    (CPU_DIRECT.replace('dcache_port = "membus.cpu_side"', 'dcache_port = "memb.cpu_side"'),
     "'memb.cpu_side' names no component 'memb'; did you mean 'membus'?"),
    (CPU_DIRECT + "[components.plic]\nsources='uart0.port'\n",
     "protocol mismatch"),
    (CPU_DIRECT.replace('dcache_port = "membus.cpu_side"', 'dcache_port = "ram.port"') +
     "[components.ram2]\ntype='memory'\nbase='0x9000_0000'\nsize='4KiB'\nport='membus.mem_side'\n",
     None),
    (CPU_DIRECT + "[components.ram2]\ntype='memory'\nbase='0x8400_0000'\nsize='128MiB'\nport='membus.mem_side'\n",
     "components.ram2.base: address range 0x84000000+128MiB overlaps ram (0x80000000+128MiB) as seen from cpu"),
    (CPU_DIRECT + "[components.ram2]\ntype='memory'\nbase='0x9000_0000'\nsize='4KiB'\n",
     "components.ram2: unreachable: no CPU's memory path leads to it"),
    (CPU_DIRECT + "[components.uart1]\ntype='uart16550'\nbase='0x1000_0100'\nirq=10\n"
     "port='membus.mem_side'\nirq_line='plic.sources'\n",
     "interrupt 10 on plic is already used by"),
    ("[components.cpu]\ntype='cpu.atomic'\nicache_port='l1.cpu_side'\ndcache_port='l1.cpu_side'\n"
     "[components.l1]\ntype='cache'\nmem_side='l2.cpu_side'\n[components.l2]\ntype='cache'\nmem_side='l1.cpu_side'\n"
     "[components.membus]\nremove=true\n[components.ram]\nport='l2.cpu_side'\n",
     "cycle in the memory path"),
    (CPU_DIRECT + "[components.l1]\ntype='cache'\nsize='48KiB'\nassoc=8\nmem_side='membus.cpu_side'\n"
     "cpu_side='cpu.dcache_port'\n",
     "components.l1.size: gives 96 sets, which is not a power of two"),
    (CPU_DIRECT + "[components.l1]\ntype='cache'\nsize='32KiB'\nassoc=3\nline_size='48B'\n"
     "mem_side='membus.cpu_side'\n", "components.l1.line_size: 48B is not a power of two"),
    (CPU_DIRECT + "[components.cpu2]\ntype='cpu.atomic'\nicache_port='membus.cpu_side'\n"
     "dcache_port='membus.cpu_side'\ncount=2\n[components.l1]\ntype='cache'\ncount=3\n"
     "mem_side='membus.cpu_side'\ncpu_side='cpu2.dcache_port'\n", "counts differ"),
    ("[components.cpu]\ntype='cpu.atomic'\nicache_port='membus.cpu_side'\ndcache_port='membus.cpu_side'\n"
     "[components.ram]\nremove=true\n", "components.cpu.dcache_port: a CPU's dcache_port reaches no memory through membus"),
    (CPU_DIRECT + "[components.l1d]\ntype='cache'\ncpu_side='cpu.dcache_port'\nmem_side='uart0.port'\n",
     "components.l1d.mem_side: uart0.port is a uart16550: a cache's memory side leads through caches and buses "
     "to memory (devices hang off a bus)"),
    (CPU_DIRECT.replace('icache_port = "membus.cpu_side"', 'icache_port = "iobus.cpu_side"') +
     "[components.iobus]\ntype='bus'\nmem_side='uart0.port'\n",
     "components.cpu.icache_port: a CPU's icache_port reaches no memory through iobus"),
    (CPU_DIRECT.replace('dcache_port = "membus.cpu_side"', 'dcache_port = "test.port"'),
     "components.cpu.dcache_port: test.port is a sifive_test: a CPU's dcache_port leads through caches"),
    (CPU_DIRECT + "[componets]\n", "componets: unknown key; did you mean 'components'?"),
    (CPU_DIRECT.replace('type = "cpu.atomic"', 'type = "cpu.atomic"\ncount = 0'),
     "components.cpu.count: 0 is not an integer from 1 to 1024"),
    (CPU_DIRECT + "[components.l1]\ntype='cache'\nassoc='eight'\nmem_side='membus.cpu_side'\n",
     "components.l1.assoc: 'eight' is not an integer (expected integer, e.g. 4)"),
])
def test_error_classes(machine_file, body, expected):
    path = machine_file(body)
    if expected is None:  # a CPU bound straight to a memory is legal
        build(path)
        return
    lines = problems(path)
    assert any(expected in line for line in lines), lines


def test_doubly_bound_port(machine_file):
    path = machine_file(CPU_DIRECT.replace('dcache_port = "membus.cpu_side"',
                                           'dcache_port = ["membus.cpu_side", "ram.port"]'))
    lines = problems(path)
    assert any("components.cpu.dcache_port: bound more than once (membus.cpu_side, ram.port)" in l for l in lines)


def test_errors_name_the_file_that_set_the_key(machine_file, tmp_path):
    (tmp_path / "base.toml").write_text("version = 1\n[components.l1]\ntype = 'cache'\nsize = '3KiB'\n")
    path = machine_file(CPU_DIRECT + "[components.l1]\nmem_side='membus.cpu_side'\n", name="top.toml")
    text = path.read_text().replace("include = [", "include = ['base.toml', ")
    path.write_text(text)
    lines = problems(path)
    assert any(l.startswith(f"{tmp_path / 'base.toml'}: components.l1.size:") for l in lines), lines


def test_overrides_reach_elaboration(machine_file):
    machine = build(machine_file(CPU_DIRECT), ["components.ram.size=64MiB"])
    assert machine.components["ram"].params.size == 64 << 20
    lines = problems(machine_file(CPU_DIRECT), ["components.ram.size=64MB"])
    assert lines == [f"--set: components.ram.size: '64MB' has unknown unit 'MB'; did you mean '64MiB'? "
                     "(expected size, e.g. \"32KiB\")"]


def test_a_miswired_cache_is_one_error_naming_its_key(machine_file):
    """A cache whose memory side is a device: one problem, on that key, and no cascade of
    'unreachable' consequences."""
    body = (CPU_DIRECT.replace('dcache_port = "membus.cpu_side"', 'dcache_port = "l1d.cpu_side"')
            + "[components.l1d]\ntype='cache'\nmem_side='uart0.port'\n")
    lines = problems(machine_file(body))
    assert len(lines) == 1 and "components.l1d.mem_side: uart0.port is a uart16550" in lines[0], lines


def test_count_mismatch_is_blamed_on_the_file_that_set_the_count_once(machine_file, tmp_path):
    (tmp_path / "base.toml").write_text(
        "version = 1\n[components.cpu]\ntype='cpu.atomic'\ncount=2\nicache_port='l1i.cpu_side'\n"
        "dcache_port='membus.cpu_side'\n[components.l1i]\ntype='cache'\ncount=2\nmem_side='membus.cpu_side'\n")
    path = machine_file("[components.cpu]\ncount = 3\n", name="top.toml")
    path.write_text(path.read_text().replace("include = [", "include = ['base.toml', "))
    lines = problems(path)
    assert lines == [f"{path}: components.cpu.count: cpu has 3 members and l1i 2, but cpu.icache_port = "
                     f"'l1i.cpu_side' ({tmp_path / 'base.toml'}) binds them member to member: counts differ"], lines
