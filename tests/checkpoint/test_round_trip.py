"""Checkpoint at N, restore, run to the end: the same digest, console and exit code
as a straight run, for every guest and every CPU model; and every model restores
from a checkpoint taken on any other.

On a timing model, taking a checkpoint is itself a (timing-visible) event: the
drain writes dirty lines back and applies pending time. So a restored run is
compared with the checkpointed run continued past its checkpoint — the digests
(which include each hart's time) must be equal — and with the straight run for
console and exit code. On the atomic model nothing drains and the restored run
equals the straight run."""

import pytest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.restore import plan_restore
from graphsim.checkpoint.take import take_checkpoint
from graphsim.sim.machine import Trigger
from tests.guests import GUESTS, GUEST_DIR, TEST_GUESTS, boot_guest, run_to_end

CPU_MODELS = ["atomic", "timing", "pipelined"]


def on_model(cpu):
    return [f"components.cpu.type=cpu.{cpu}"]


def checkpoint_at_half(name, cpu, library, total):
    """Boot on ``cpu``, run to half of ``total`` instructions and checkpoint there."""
    taken = []

    def checkpoint(machine, stop):
        taken.append(take_checkpoint(machine, library, {"kind": "test", "detail": stop.detail})[0])

    first = boot_guest(name, on_model(cpu))
    half = max(1, total // 2)
    run_to_end(first, max_insts=half, triggers=[Trigger("inst", half)], on_checkpoint=checkpoint)
    assert taken, "the trigger took no checkpoint"
    return first, taken[-1]


@pytest.mark.parametrize("cpu", CPU_MODELS)
@pytest.mark.parametrize("name", TEST_GUESTS)
def test_round_trip(name, cpu, tmp_path):
    straight = run_to_end(boot_guest(name, on_model(cpu)))
    assert straight.stop.reason == "exit"
    total = straight.machine.instret
    digest = straight.machine.digest()

    library = Library(str(tmp_path / "lib"))
    first, checkpoint = checkpoint_at_half(name, cpu, library, total)
    before = first.console.tail_text(1 << 20)

    plan = plan_restore(library, checkpoint, cpu=cpu)
    restored = plan.build()
    assert restored.instret == first.instret
    after = run_to_end(restored)
    assert after.stop.reason == "exit" and after.stop.exit_code == straight.stop.exit_code
    assert (before + after.console).replace("\r\n", "\n") == straight.console
    continued = run_to_end(first)
    assert continued.stop.reason == "exit"
    assert restored.instret == first.instret
    assert restored.digest() == first.digest()
    if cpu == "atomic":
        assert restored.instret == total
        assert restored.digest() == digest


CROSS = [(a, b) for a in CPU_MODELS for b in CPU_MODELS if a != b]


@pytest.mark.parametrize("source,target", CROSS)
@pytest.mark.parametrize("name", ["dhrystone_like", "smp", "privtest"])
def test_restore_onto_another_model(name, source, target, tmp_path):
    want = (GUEST_DIR / "expected" / f"{name}.out").read_text()
    library = Library(str(tmp_path / "lib"))
    total = {"dhrystone_like": 4_500_000, "smp": 3_800_000, "privtest": 66_000}[name]
    first, checkpoint = checkpoint_at_half(name, source, library, total)
    before = first.console.tail_text(1 << 20)
    restored = plan_restore(library, checkpoint, cpu=target).build()
    assert restored.cpus[0].kind == f"cpu.{target}"
    after = run_to_end(restored)
    assert after.stop.reason == "exit" and after.stop.exit_code == GUESTS[name]["exit_code"]
    assert (before + after.console).replace("\r\n", "\n") == want


def test_checkpoint_of_a_restored_run_records_its_parent(tmp_path):
    library = Library(str(tmp_path / "lib"))
    machine = boot_guest("sieve")
    run_to_end(machine, max_insts=500_000)
    parent, _, _ = take_checkpoint(machine, library, {"kind": "test", "detail": ""})
    restored = plan_restore(library, parent).build()
    run_to_end(restored, max_insts=501_000)
    child, manifest, _ = take_checkpoint(restored, library, {"kind": "test", "detail": ""}, parent=parent)
    assert manifest["parent"] == parent and library.children(parent) == [child]
    # little changed between the two: the child costs a small fraction of the parent
    assert manifest["stored_bytes"] < library.manifest(parent)["stored_bytes"] / 2


def test_checkpoint_between_an_mmio_exit_and_its_retirement(tmp_path):
    """The virtio guest's device accesses exit to Python; a checkpoint taken right after one
    must not make the restored machine repeat the access."""
    straight = run_to_end(boot_guest("virtio_blk_read"))
    library = Library(str(tmp_path / "lib"))
    machine = boot_guest("virtio_blk_read")
    while True:  # stop exactly when an MMIO reply is pending
        event = machine.core.run(1_000_000, -1)
        if event.reason == "mmio":
            machine._handle(event)
            if machine.core.mmio_reply_pending():
                break
    cpt, _, _ = take_checkpoint(machine, library, {"kind": "test", "detail": "mmio"})
    restored = plan_restore(library, cpt).build()
    after = run_to_end(restored)
    assert after.stop.exit_code == straight.stop.exit_code == 0
    assert restored.digest() == straight.machine.digest()
