"""Property-based fuzzing of machine files: whatever the input, elaboration either
succeeds or raises ConfigError whose every line names a file and a key path."""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphsim.config.loader import load_machine, load_machine_text
from graphsim.errors import ConfigError
from graphsim.graph.elaborate import elaborate
from tests.conftest import CONFIGS

SHIPPED = sorted(CONFIGS.glob("*.toml"))
BASES = [load_machine(p).data for p in SHIPPED]

toml_scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12), st.sampled_from(["32KiB", "32KB", "1GHz", "3 cycles", "10ns", "0x1000_0000",
                                           "membus.cpu_side", "cpu.irq", "l2.cpu_side", "nope.port", "cache",
                                           "cpu.atomic", "uart16550", "-1", "0", ""]),
)
toml_values = st.recursive(toml_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(min_size=1, max_size=6), inner, max_size=3)), max_leaves=6)


def paths(doc, prefix=()):
    for key, value in doc.items():
        yield prefix + (key,)
        if isinstance(value, dict):
            yield from paths(value, prefix + (key,))


@st.composite
def mutated_machines(draw):
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        all_paths = list(paths(doc))
        target = draw(st.sampled_from(all_paths))
        parent = doc
        for part in target[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["set", "delete", "rename", "add"]))
        if action == "set":
            parent[target[-1]] = draw(toml_values)
        elif action == "delete":
            del parent[target[-1]]
        elif action == "rename":
            parent[draw(st.text(min_size=1, max_size=8))] = parent.pop(target[-1])
        elif isinstance(parent.get(target[-1]), dict):
            parent[target[-1]][draw(st.text(min_size=1, max_size=8))] = draw(toml_values)
    doc["version"] = 1
    return doc


def check_machine_doc(doc, tmp_path):
    import tomli_w

    path = tmp_path / "fuzz.toml"
    path.write_text(tomli_w.dumps(doc))
    try:
        elaborate(load_machine(path))
    except ConfigError as err:
        assert err.problems
        for problem in err.problems:
            assert problem.file, problem
            assert problem.key or "TOML" in problem.message, problem


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=mutated_machines())
def test_mutated_machines_fail_cleanly(doc, tmp_path):
    check_machine_doc(doc, tmp_path)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mangled_text_fails_cleanly(data):
    text = data.draw(st.sampled_from(SHIPPED)).read_text()
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 6))):
        position = data.draw(st.integers(0, len(chars) - 1))
        chars[position] = data.draw(st.sampled_from(list("=[]\"'.#\n x0{}")))
    try:
        elaborate(load_machine_text("".join(chars), name="mangled.toml", base_dir=CONFIGS))
    except ConfigError as err:
        for problem in err.problems:
            assert problem.file
            assert problem.key or "TOML" in problem.message or "not found" in problem.message, problem


DEVICE_KINDS = {"uart16550", "sifive_test", "clint", "plic", "simctl", "virtio_mmio", "virtio_blk"}


@st.composite
def miswired_machines(draw):
    """A shipped machine with one CPU port or cache memory side bound to a device instead."""
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    tables = doc["components"]
    ports = [(name, port) for name, t in tables.items() if isinstance(t, dict) and not t.get("remove")
             for port in (("icache_port", "dcache_port") if str(t.get("type", "")).startswith("cpu.")
                          else ("mem_side",) if t.get("type") == "cache" else ())]
    devices = sorted(name for name, t in tables.items() if isinstance(t, dict) and t.get("type") in DEVICE_KINDS
                     and "count" not in t and not t.get("remove"))
    name, port = draw(st.sampled_from(ports))
    tables[name][port] = f"{draw(st.sampled_from(devices))}.port"
    return doc, f"components.{name}.{port}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=miswired_machines())
def test_a_port_bound_to_a_device_is_refused_by_name(case, tmp_path):
    import pytest
    import tomli_w

    doc, key = case
    path = tmp_path / "miswired.toml"
    path.write_text(tomli_w.dumps(doc))
    with pytest.raises(ConfigError) as err:
        elaborate(load_machine(path))
    assert any(p.key == key and "leads through caches and buses to memory" in p.message
               for p in err.value.problems), err.value.lines()
