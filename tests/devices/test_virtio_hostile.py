"""A hostile driver against virtio-blk (issue 17): registers keep to their width, bad addresses are the
guest's problem (DEVICE_NEEDS_RESET or IOERR), requests are bounded by what the device advertises,
and one notification costs at most one pass over the queue."""

import resource
import struct
import time

import pytest

from graphsim.devices import virtio_blk as vb
from graphsim.devices import virtio_mmio as vm
from tests.devices.test_virtio_blk import AVAIL, DESC, NUM, RAM_BASE, USED, device, request, submit  # noqa: F401


@pytest.mark.parametrize("register", [vm.R_QUEUE_DESC, vm.R_QUEUE_DRIVER, vm.R_QUEUE_DEVICE])
def test_all_ones_in_a_queue_address_is_kept_to_64_bits(device, register):
    device.mmio_write(register + 4, 4, 0xFFFF_FFFF)
    device.mmio_write(register, 4, 0xFFFF_FFFF)
    assert device.mmio_read(register + 4, 4) == 0xFFFF_FFFF and device.mmio_read(register, 4) == 0xFFFF_FFFF
    device.mem.put(AVAIL + 2, struct.pack("<H", 1))
    device.mmio_write(vm.R_QUEUE_NOTIFY, 4, 0)  # rings outside RAM: the guest's problem
    assert device.mmio_read(vm.R_STATUS, 4) & vm.STATUS_DEVICE_NEEDS_RESET


def test_feature_and_select_registers_keep_to_their_width(device):
    device.mmio_write(vm.R_DRIVER_FEATURES_SEL, 4, 1)
    device.mmio_write(vm.R_DRIVER_FEATURES, 4, 0xFFFF_FFFF)
    device.mmio_write(vm.R_DRIVER_FEATURES_SEL, 4, 0)
    device.mmio_write(vm.R_DRIVER_FEATURES, 4, 0xFFFF_FFFF)
    assert device.reg("driver_features") == (1 << 64) - 1
    device.mmio_write(vm.R_DEVICE_FEATURES_SEL, 4, 0xFFFF_FFFF)
    assert device.mmio_read(vm.R_DEVICE_FEATURES, 4) == 0
    device.mmio_write(vm.R_QUEUE_SEL, 4, 0xFFFF_FFFF)
    assert device.mmio_read(vm.R_QUEUE_NUM_MAX, 4) == 0
    device.mmio_write(vm.R_STATUS, 4, 0xFFFF_FFFF)
    assert device.mmio_read(vm.R_STATUS, 4) == 0xFF


def test_size_and_segment_limits_are_advertised(device):
    device.mmio_write(vm.R_DEVICE_FEATURES_SEL, 4, 0)
    features = device.mmio_read(vm.R_DEVICE_FEATURES, 4)
    assert features & vb.VIRTIO_BLK_F_SIZE_MAX and features & vb.VIRTIO_BLK_F_SEG_MAX
    assert device.mmio_read(vm.R_CONFIG + 8, 4) == vb.SIZE_MAX
    assert device.mmio_read(vm.R_CONFIG + 12, 4) == vb.SEG_MAX


def test_huge_descriptors_are_io_errors_without_allocating(device):
    # one segment of 4 GiB
    assert request(device, vb.REQ_IN, 0, RAM_BASE + 0x8000, 0xFFFF_FE00, vm.DESC_F_WRITE) == vb.S_IOERR
    # a write of all of RAM, 250 times over in one request: 250 MiB if the segments were joined
    device.mmio_write(vm.R_QUEUE_NUM, 4, vm.QUEUE_NUM_MAX)
    chain = [(RAM_BASE + 0x4000, 16, vm.DESC_F_NEXT)] + [(RAM_BASE, 1 << 20, vm.DESC_F_NEXT)] * 250 \
        + [(RAM_BASE + 0x5000, 1, vm.DESC_F_WRITE)]
    device.mem.put(RAM_BASE + 0x4000, struct.pack("<IIQ", vb.REQ_OUT, 0, 0))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    submit(device, chain, avail_index=1)
    assert device.mem.ram[0x5000] == vb.S_IOERR
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024  # KiB: no big buffer


def test_more_segments_than_advertised_is_an_io_error(device):
    device.mmio_write(vm.R_QUEUE_NUM, 4, vm.QUEUE_NUM_MAX)  # room for chains longer than SEG_MAX
    device.mem.put(RAM_BASE + 0x4000, struct.pack("<IIQ", vb.REQ_IN, 0, 0))

    def read_with(segments, avail_index):
        device.mem.ram[0x5000] = 0xFF
        data = [(RAM_BASE + 0x8000 + 512 * i, 512 if i < 32 else 0, vm.DESC_F_NEXT | vm.DESC_F_WRITE)
                for i in range(segments)]
        submit(device, [(RAM_BASE + 0x4000, 16, vm.DESC_F_NEXT)] + data + [(RAM_BASE + 0x5000, 1, vm.DESC_F_WRITE)],
               avail_index)
        return device.mem.ram[0x5000]

    assert read_with(vb.SEG_MAX, 0) == vb.S_OK
    assert device.mem.ram[0x8000:0xC000].tobytes() == bytes(range(256)) * 64  # the whole disk, segment by segment
    assert read_with(vb.SEG_MAX + 1, 1) == vb.S_IOERR


def test_a_runaway_available_index_costs_one_pass(device):
    device.mem.put(RAM_BASE + 0x4000, struct.pack("<IIQ", vb.REQ_GET_ID, 0, 0))
    device.mem.put(DESC, struct.pack("<QIHH", RAM_BASE + 0x4000, 16, vm.DESC_F_NEXT, 1))
    device.mem.put(DESC + 16, struct.pack("<QIHH", RAM_BASE + 0x5000, 1, vm.DESC_F_WRITE, 0))
    device.mem.put(AVAIL + 2, struct.pack("<H", 0xFFFF))  # 65535 valid requests "available" on an 8-entry queue
    started = time.perf_counter()
    device.mmio_write(vm.R_QUEUE_NOTIFY, 4, 0)
    assert time.perf_counter() - started < 0.5
    assert device.mmio_read(vm.R_STATUS, 4) & vm.STATUS_DEVICE_NEEDS_RESET
    assert struct.unpack("<H", device.mem.dma_read(USED + 2, 2))[0] == 0  # nothing was served
