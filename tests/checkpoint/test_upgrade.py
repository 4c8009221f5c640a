"""A real state-version upgrade: virtio-mmio state version 1 (one set of queue registers,
QueueSel ignored) → version 2 (registers per queue, selected by QueueSel).

tests/data/virtio-v1.cpt.tar is a checkpoint graphsim wrote before the change: the
virtio_blk_read guest stopped mid-way with its queue set up. Restored today it is
upgraded and the guest finishes with exactly QEMU's output."""

import pytest

from graphsim.checkpoint.format import CheckpointError
from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import plan_restore
from graphsim.checkpoint.upgrade import UPGRADERS, upgrade_component_state
from graphsim.config.schema import component_kinds
from tests.conftest import ROOT
from tests.guests import GUEST_DIR, run_to_end

V1 = ROOT / "tests" / "data" / "virtio-v1.cpt.tar"


def test_version_1_checkpoint_restores_upgraded(tmp_path):
    library = Library(str(tmp_path / "lib"))
    cpt = library.import_(str(V1), component_kinds())
    manifest = library.manifest(cpt)
    assert manifest["components"]["disk0"]["state_version"] == 1
    plan = plan_restore(library, cpt, disks={"disk0": str(GUEST_DIR / "disk" / "test.img")})
    machine = plan.build()
    disk = machine.components["disk0"]
    assert disk.state_arrays["queue_num"].shape == (1,) and disk.qreg("queue_ready", 0) == 1
    result = run_to_end(machine)
    expected = (GUEST_DIR / "expected" / "virtio_blk_read.out").read_text()
    assert result.stop.exit_code == 0
    assert expected.endswith(result.console)  # the part printed after the checkpoint
    assert "read it back: match" in result.console


def test_missing_upgrader_names_the_component():
    with pytest.raises(CheckpointError, match="x.disk0: no upgrader for virtio_blk state version 2 -> 3"):
        upgrade_component_state("virtio_blk", 2, 3, {}, "x.disk0")
    assert ("virtio_blk", 1) in UPGRADERS and ("virtio_mmio", 1) in UPGRADERS
