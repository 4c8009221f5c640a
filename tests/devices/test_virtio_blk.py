"""virtio-blk against a driver written here: requests served, guest memory reached only
through bounds-checked DMA, bad descriptors turned into I/O errors, the base image untouched."""

import hashlib
import struct

import numpy as np
import pytest

from graphsim.config.schema import Params
from graphsim.devices import virtio_blk as vb
from graphsim.devices import virtio_mmio as vm
from graphsim.devices.base import DmaError

RAM_BASE = 0x8000_0000
DESC, AVAIL, USED = RAM_BASE + 0x1000, RAM_BASE + 0x2000, RAM_BASE + 0x3000
NUM = 8


class GuestMemory:
    """The DMA service of a machine with 1 MiB of RAM, and its interrupt line."""

    def __init__(self):
        self.ram = np.zeros(1 << 20, dtype=np.uint8)
        self.irq = False

    def dma_read(self, paddr, length):
        off = paddr - RAM_BASE
        if off < 0 or off + length > len(self.ram):
            raise DmaError("outside")
        return self.ram[off:off + length].tobytes()

    def dma_write(self, paddr, data):
        off = paddr - RAM_BASE
        if off < 0 or off + len(data) > len(self.ram):
            raise DmaError("outside")
        self.ram[off:off + len(data)] = np.frombuffer(data, dtype=np.uint8)

    def set_irq(self, irq, level):
        self.irq = level

    def put(self, paddr, data):
        self.dma_write(paddr, data)


@pytest.fixture
def device(tmp_path):
    image = tmp_path / "disk.img"
    image.write_bytes(bytes(range(256)) * 64)  # 16 KiB = 32 sectors
    params = Params({p: d.default_value() for p, d in vb.VirtioBlk.params_decl.items()})
    params["image"] = str(image)
    dev = vb.VirtioBlk("disk0", params)
    dev.allocate_state()
    mem = GuestMemory()
    dev.attach(mem)
    dev.open_disk()
    # the driver's set-up, as Linux does it
    for offset, value in ((vm.R_STATUS, 1), (vm.R_STATUS, 3), (vm.R_DRIVER_FEATURES_SEL, 1), (vm.R_DRIVER_FEATURES, 1),
                          (vm.R_STATUS, 11), (vm.R_QUEUE_SEL, 0), (vm.R_QUEUE_NUM, NUM),
                          (vm.R_QUEUE_DESC, DESC), (vm.R_QUEUE_DRIVER, AVAIL), (vm.R_QUEUE_DEVICE, USED),
                          (vm.R_QUEUE_READY, 1), (vm.R_STATUS, 15)):
        dev.mmio_write(offset, 4, value)
    dev.mem = mem
    dev.image_digest = hashlib.sha256(image.read_bytes()).hexdigest()
    yield dev
    dev.disk.close()
    assert hashlib.sha256(image.read_bytes()).hexdigest() == dev.image_digest  # the base image is never written


def submit(dev, descriptors, avail_index=0):
    """Write a descriptor chain (addr, len, flags) at index 0.. and make it available."""
    for i, (addr, length, flags) in enumerate(descriptors):
        nxt = i + 1 if flags & vm.DESC_F_NEXT else 0
        dev.mem.put(DESC + 16 * i, struct.pack("<QIHH", addr, length, flags, nxt))
    dev.mem.put(AVAIL + 4 + 2 * (avail_index % NUM), struct.pack("<H", 0))
    dev.mem.put(AVAIL + 2, struct.pack("<H", avail_index + 1))
    dev.mmio_write(vm.R_QUEUE_NOTIFY, 4, 0)


def request(dev, kind, sector, buf, length, write_flag, avail_index=0, status_addr=RAM_BASE + 0x5000):
    dev.mem.put(RAM_BASE + 0x4000, struct.pack("<IIQ", kind, 0, sector))
    submit(dev, [(RAM_BASE + 0x4000, 16, vm.DESC_F_NEXT), (buf, length, vm.DESC_F_NEXT | write_flag),
                 (status_addr, 1, vm.DESC_F_WRITE)], avail_index)
    return dev.mem.ram[status_addr - RAM_BASE] if RAM_BASE <= status_addr < RAM_BASE + (1 << 20) else None


def test_identity_registers(device):
    assert device.mmio_read(vm.R_MAGIC, 4) == vm.MAGIC
    assert device.mmio_read(vm.R_VERSION, 4) == 2
    assert device.mmio_read(vm.R_DEVICE_ID, 4) == 2
    assert device.mmio_read(vm.R_CONFIG, 4) == 32  # capacity in sectors


def test_read_write_and_overlay(device):
    status = request(device, vb.REQ_IN, 2, RAM_BASE + 0x8000, 1024, vm.DESC_F_WRITE)
    assert status == vb.S_OK
    assert device.mem.ram[0x8000:0x8400].tobytes() == (bytes(range(256)) * 4)
    assert device.mem.irq and device.mmio_read(vm.R_INTERRUPT_STATUS, 4) == 1
    device.mmio_write(vm.R_INTERRUPT_ACK, 4, 1)
    assert not device.mem.irq
    device.mem.put(RAM_BASE + 0x9000, b"\xAA" * 512)
    assert request(device, vb.REQ_OUT, 3, RAM_BASE + 0x9000, 512, 0, avail_index=1) == vb.S_OK
    assert device.disk.read(3, 1) == b"\xAA" * 512
    assert request(device, vb.REQ_IN, 3, RAM_BASE + 0xA000, 512, vm.DESC_F_WRITE, avail_index=2) == vb.S_OK
    assert device.mem.ram[0xA000:0xA200].tobytes() == b"\xAA" * 512
    used_idx = struct.unpack("<H", device.mem.dma_read(USED + 2, 2))[0]
    assert used_idx == 3


def test_bad_descriptors_are_io_errors(device):
    # data buffer outside guest RAM
    assert request(device, vb.REQ_IN, 0, 0x1000, 512, vm.DESC_F_WRITE) == vb.S_IOERR
    # read beyond the end of the disk
    assert request(device, vb.REQ_IN, 31, RAM_BASE + 0x8000, 1024, vm.DESC_F_WRITE, avail_index=1) == vb.S_IOERR
    # a device-readable buffer for a read request
    assert request(device, vb.REQ_IN, 0, RAM_BASE + 0x8000, 512, 0, avail_index=2) == vb.S_IOERR
    # unknown request type
    assert request(device, 99, 0, RAM_BASE + 0x8000, 512, vm.DESC_F_WRITE, avail_index=3) == vb.S_UNSUPP


def test_unreachable_status_and_loops_need_reset(device):
    request(device, vb.REQ_IN, 0, RAM_BASE + 0x8000, 512, vm.DESC_F_WRITE, status_addr=0x10)
    assert device.mmio_read(vm.R_STATUS, 4) & vm.STATUS_DEVICE_NEEDS_RESET
    device.mmio_write(vm.R_STATUS, 4, 0)  # reset
    assert device.mmio_read(vm.R_STATUS, 4) == 0


def test_descriptor_loop_is_refused(device):
    device.mem.put(DESC, struct.pack("<QIHH", RAM_BASE + 0x4000, 16, vm.DESC_F_NEXT, 1))
    device.mem.put(DESC + 16, struct.pack("<QIHH", RAM_BASE + 0x8000, 16, vm.DESC_F_NEXT, 0))
    device.mem.put(AVAIL + 4, struct.pack("<H", 0))
    device.mem.put(AVAIL + 2, struct.pack("<H", 1))
    device.mmio_write(vm.R_QUEUE_NOTIFY, 4, 0)
    assert device.mmio_read(vm.R_STATUS, 4) & vm.STATUS_DEVICE_NEEDS_RESET


def test_queue_select_addresses_only_queues_that_exist(device):
    device.mmio_write(vm.R_QUEUE_SEL, 4, 1)
    assert device.mmio_read(vm.R_QUEUE_NUM_MAX, 4) == 0  # a block device has one queue
    device.mmio_write(vm.R_QUEUE_NUM, 4, 64)
    assert device.mmio_read(vm.R_QUEUE_READY, 4) == 0
    device.mmio_write(vm.R_QUEUE_SEL, 4, 0)
    assert device.mmio_read(vm.R_QUEUE_NUM_MAX, 4) == vm.QUEUE_NUM_MAX
    assert int(device.state_arrays["queue_num"][0]) == NUM  # queue 0 untouched
