"""Devices on the QEMU virt memory map, one module per kind."""
