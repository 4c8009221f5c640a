"""The cache tag model driven directly: replacement policies, write policies, drain,
prefetchers, MSHRs and the coherence protocols, on machines built from the configs."""

import numpy as np
import pytest

from graphsim.config.loader import load_machine
from graphsim.graph.elaborate import elaborate
from graphsim.mem import cachemodel as CM
from graphsim.mem import tlayout as T
from graphsim.sim.machine import Machine
from tests.conftest import CONFIGS

BASE = 0x8010_0000
LINE = 64
KINDS = {"fetch": 0, "load": 1, "store": 2, "amo": 3}


class Probe:
    """A timing machine's cache hierarchy, accessed line by line."""

    def __init__(self, config="virt-rv64.toml", *sets):
        graph = elaborate(load_machine(CONFIGS / config, ["components.cpu.type=cpu.timing", *sets]))
        self.machine = Machine(graph)
        self.core = self.machine.core
        self.t = self.core.t
        self.index = {c.name: i for i, c in enumerate(self.core.hierarchy.caches)}
        self.now = 0

    def access(self, cache, addr, kind="load", hart=0, pc=0x8000_0000):
        self.now += 1_000_000
        return CM.access(self.t, hart, self.index[cache], addr // LINE, KINDS[kind], pc, self.now, 1000)

    def present(self, cache, addr):
        return CM.lookup(self.t, self.index[cache], addr // LINE) >= 0

    def flags(self, cache, addr):
        i = CM.lookup(self.t, self.index[cache], addr // LINE)
        return int(self.t[self.t[T.H_FLAGS] + i]) if i >= 0 else 0

    def stat(self, name):
        return {n: v for n, v, _d, _u in self.core.stats()}[name]


def same_set(n, sets):
    """n addresses mapping to one set of a cache with `sets` sets."""
    return [BASE + k * sets * LINE for k in range(n)]


def test_lru_evicts_the_least_recently_used():
    p = Probe("virt-rv64.toml", "components.l1d.size=512", "components.l1d.assoc=2")
    a, b, c = same_set(3, 4)
    for addr in (a, b, a, c):
        p.access("l1d", addr)
    assert p.present("l1d", a) and p.present("l1d", c) and not p.present("l1d", b)


def test_tree_plru_is_not_lru():
    """Fill a 4-way set with A B C D, touch A, bring E: LRU would evict B; the tree evicts C
    (the root points away from A's half, the right node away from D)."""
    p = Probe("virt-rv64.toml", "components.l1d.size=1KiB", "components.l1d.assoc=4",
              "components.l1d.replacement=tree_plru")
    a, b, c, d, e = same_set(5, 4)
    for addr in (a, b, c, d, a, e):
        p.access("l1d", addr)
    assert [p.present("l1d", x) for x in (a, b, c, d, e)] == [True, True, False, True, True]


def random_survivors(seed):
    p = Probe("virt-rv64.toml", "components.l1d.size=1KiB", "components.l1d.assoc=4",
              "components.l1d.replacement=random", f"components.l1d.seed={seed}")
    lines = same_set(12, 4)
    for k in range(40):
        p.access("l1d", lines[(k * 7) % 12])
    return [p.present("l1d", x) for x in lines]


def test_random_replacement_is_seeded():
    assert random_survivors(1) == random_survivors(1)
    assert any(random_survivors(1) != random_survivors(s) for s in (2, 3, 4))
    assert sum(random_survivors(1)) == 4


def test_write_back_writes_dirty_victims_down():
    p = Probe("virt-rv64.toml", "components.l1d.size=512", "components.l1d.assoc=2")
    a, b, c = same_set(3, 4)
    p.access("l1d", a, "store")
    assert p.flags("l1d", a) & T.F_DIRTY
    p.access("l1d", b)
    p.access("l1d", c)  # evicts a
    assert p.stat("system.l1d.writebacks") == 1
    assert p.stat("system.l2.WritebackDirty.accesses") == 1
    assert p.flags("l2", a) & T.F_DIRTY


def test_write_through_passes_every_write_down():
    p = Probe("virt-rv64.toml", "components.l1d.write_policy=write_through")
    p.access("l1d", BASE, "store")
    p.access("l1d", BASE, "store")
    assert p.present("l1d", BASE) and not p.flags("l1d", BASE) & T.F_DIRTY
    assert p.stat("system.l2.WritebackDirty.accesses") == 2


def test_no_write_allocate_posts_the_write():
    p = Probe("virt-rv64.toml", "components.l1d.write_allocate=false")
    latency = p.access("l1d", BASE, "store")
    assert latency == 2 and not p.present("l1d", BASE)
    assert p.stat("system.l1d.WriteReq.misses") == 1 and p.flags("l2", BASE) & T.F_DIRTY


def test_drain_writes_back_dirty_lines_and_keeps_clean_ones():
    p = Probe()
    for k in range(10):
        p.access("l1d", BASE + k * LINE, "store" if k % 2 else "load")
    p.core.drain()
    assert p.stat("system.l1d.drainWritebacks") == 5
    assert all(p.present("l1d", BASE + k * LINE) for k in range(10))
    assert not any(p.flags(c, BASE + k * LINE) & T.F_DIRTY for k in range(10) for c in ("l1d", "l2"))


def test_next_line_prefetcher():
    p = Probe("virt-rv64.toml", "components.l1d.prefetcher=next_line", "components.l1d.prefetch_degree=2")
    p.access("l1d", BASE)
    assert p.present("l1d", BASE + LINE) and p.present("l1d", BASE + 2 * LINE)
    assert p.flags("l1d", BASE + LINE) & T.F_PREF
    assert p.stat("system.l1d.prefetcher.pfIssued") == 2
    assert p.access("l1d", BASE + LINE) == 2  # arrived long ago: a plain hit
    assert p.stat("system.l1d.prefetcher.pfUseful") == 1
    assert p.present("l1d", BASE + 3 * LINE)  # tagged: the first use prefetches further


def test_stride_prefetcher_follows_a_pc():
    p = Probe("virt-rv64.toml", "components.l1d.prefetcher=stride", "components.l1d.prefetch_degree=2")
    stride = 5 * LINE
    for k in range(3):
        p.access("l1d", BASE + k * stride, pc=0x8000_1234)
    assert p.present("l1d", BASE + 3 * stride) and p.present("l1d", BASE + 4 * stride)
    assert not p.present("l1d", BASE + 3 * LINE)


def test_prefetches_need_a_free_mshr():
    """One MSHR stays with the CPU's demand miss: with 4 MSHRs, 3 prefetches can be in flight."""
    p = Probe("virt-rv64.toml", "components.l1d.prefetcher=next_line", "components.l1d.prefetch_degree=8",
              "components.l1d.mshrs=4")
    p.access("l1d", BASE)
    assert p.stat("system.l1d.prefetcher.pfIssued") == 3
    assert p.stat("system.l1d.prefetcher.pfDropped") == 5


def test_a_late_prefetch_is_waited_for():
    p = Probe("virt-rv64.toml", "components.l1d.prefetcher=next_line", "components.l1d.prefetch_degree=1")
    start = p.now + 1_000_000
    p.access("l1d", BASE)
    t = p.t
    c = p.index["l1d"]
    ready = t[t[T.H_READY] + CM.lookup(t, c, (BASE + LINE) // LINE)]
    assert ready > start
    latency = CM.access(t, 0, c, (BASE + LINE) // LINE, 1, 0, start, 1000)  # at once: still in flight
    assert latency == 2 + (ready - start - 2000 + 999) // 1000
    assert p.stat("system.l1d.prefetcher.pfLate") == 1


@pytest.mark.parametrize("protocol,upgrades", [("mesi", 0), ("msi", 1)])
def test_read_then_write_of_a_private_line(protocol, upgrades):
    p = Probe("virt-rv64-4hart.toml", f"components.l1d.coherence={protocol}",
              f"components.l1i.coherence={protocol}")
    p.access("l1d0", BASE, "load")
    p.access("l1d0", BASE, "store")
    assert p.stat("system.l1d0.coherence.upgrades") == upgrades
    assert p.flags("l1d0", BASE) & T.F_EXCL and p.flags("l1d0", BASE) & T.F_DIRTY


def test_a_write_invalidates_other_copies_and_a_read_takes_a_dirty_one():
    p = Probe("virt-rv64-4hart.toml")
    for h in range(4):
        p.access(f"l1d{h}", BASE, "load", hart=h)
    assert all(not p.flags(f"l1d{h}", BASE) & T.F_EXCL for h in range(4))  # shared
    p.access("l1d1", BASE, "store", hart=1)
    assert p.stat("system.l1d1.coherence.upgrades") == 1
    assert [p.present(f"l1d{h}", BASE) for h in range(4)] == [False, True, False, False]
    assert sum(p.stat(f"system.l1d{h}.coherence.invalidations") for h in range(4)) == 3
    p.access("l1d2", BASE, "load", hart=2)  # l1d1 holds it modified: it hands it over, keeps it shared
    assert p.stat("system.l1d1.coherence.interventions") == 1
    assert p.flags("l1d1", BASE) == T.F_VALID and p.flags("l1d2", BASE) == T.F_VALID
    assert p.flags("l2", BASE) & T.F_DIRTY  # written back to the point of coherence


def test_a_store_from_another_hart_invalidates_an_instruction_line():
    p = Probe("virt-rv64-4hart.toml")
    p.access("l1i0", BASE, "fetch")
    p.access("l1d1", BASE, "store", hart=1)
    assert not p.present("l1i0", BASE)
    assert p.stat("system.l1i0.coherence.invalidations") == 1


def test_cold_caches_and_geometry():
    p = Probe()
    tags = p.core.hierarchy.caches[p.index["l1d"]].state_arrays["tags"]
    assert not tags.any()
    geometry = p.machine.components["l1d"].state_arrays["warm_geometry"]
    assert list(geometry[:5]) == [1, 64, 8, 64, 0]
    assert np.array_equal(geometry, p.machine.components["l1d"].warm_geometry())
