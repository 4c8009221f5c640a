"""Small machines written out as TOML text: the desktop editor's "New" machine and the tiny
machine the CPU models' kernels are compiled ahead on (`graphsim precompile`) are the same
QEMU-virt platform in one file, built here from one template with the differences as parameters."""

from __future__ import annotations


def virt_machine(name: str, description: str = "", cpu: str = "cpu.atomic", isa: str = "rv64imac_zicsr_zifencei",
                 ram: str = "128MiB",
                 caches: dict[str, str] | None = None, simctl: bool = False, comment: str = "") -> str:
    """One hart on the QEMU virt map (RAM at 0x8000_0000, finisher, CLINT, PLIC, UART at irq 10).

    ``caches`` maps l1i/l1d (and optionally l2) to their sizes; without them the CPU's ports go
    straight to the bus. ``simctl`` adds the m5op MMIO twin at 0x1001_0000. ``comment`` lines
    open the file."""
    caches = caches or {}
    below_l1 = "l2.cpu_side" if "l2" in caches else "membus.cpu_side"
    lines = [f"# {line}" if line else "#" for line in comment.splitlines()]
    lines += ["version = 1", "", "[machine]", f'name = "{name}"']
    if description:
        lines.append(f'description = "{description}"')
    icache, dcache = ("l1i.cpu_side", "l1d.cpu_side") if caches else ("membus.cpu_side", "membus.cpu_side")
    lines += ["", "[components.cpu]", f'type = "{cpu}"', f'isa = "{isa}"', 'frequency = "1GHz"',
              f'icache_port = "{icache}"', f'dcache_port = "{dcache}"']
    for cache, size in caches.items():
        mem_side = "membus.cpu_side" if cache == "l2" else below_l1
        lines += ["", f"[components.{cache}]", 'type = "cache"', f'size = "{size}"', f'mem_side = "{mem_side}"']
    lines += ["", "[components.membus]", 'type = "bus"']
    devices = [("ram", "memory", "0x8000_0000", [f'size = "{ram}"']),
               ("test", "sifive_test", "0x10_0000", []),
               ("clint", "clint", "0x200_0000", ['harts = "cpu.irq"']),
               ("plic", "plic", "0xc00_0000", ['harts = "cpu.irq"']),
               ("uart0", "uart16550", "0x1000_0000", ["irq = 10", 'irq_line = "plic.sources"'])]
    if simctl:
        devices.append(("simctl", "simctl", "0x1001_0000", []))
    for device, kind, base, extra in devices:
        lines += ["", f"[components.{device}]", f'type = "{kind}"', f'base = "{base}"',
                  'port = "membus.mem_side"', *extra]
    return "\n".join(lines) + "\n"


# The desktop editor's "New" machine: whole in one file, so it validates wherever it is saved.
NEW_MACHINE = virt_machine(
    "my-machine", "1× rv64imac, no caches, 128MiB RAM (QEMU virt map)",
    comment="A whole machine in one file, so it validates wherever it is saved. Larger machines\n"
            'share a platform with  include = ["include/virt-devices.toml"]  (relative to this file).')

# The machine `graphsim precompile` warms each CPU model up on (``{kind}``, ``{isa}``: the model's
# kind and ISA, once without and once with F/D, the kernel's two compilations): caches
# and simctl so that every kernel entry a run can use is compiled; 1 MiB of RAM so it builds fast.
WARM_UP_MACHINE = virt_machine("graphsim-precompile", cpu="{kind}", isa="{isa}", ram="1MiB",
                               caches={"l1i": "4KiB", "l1d": "4KiB", "l2": "16KiB"}, simctl=True)
