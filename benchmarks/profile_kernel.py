"""Where the atomic kernel's time goes, per host instruction: samples the running process
with `perf record -e cpu-clock` (this machine has no hardware counters), then disassembles the
compiled `run` function from the live process and prints the hottest addresses with their
instructions, and the share of samples in the kernel's own code.

    python benchmarks/profile_kernel.py [GUEST.elf] [--insts N] [--top 60]   # prints text, not JSON
    python benchmarks/profile_kernel.py --config linux.toml --insts 150000000   # the Linux boot
    python benchmarks/profile_kernel.py --cpu timing --insts 50000000   # a timing model (record mode + model)

Used for the breakdown in docs/speed.md. Needs `perf` and `objdump` (binutils).
"""

import argparse
import collections
import ctypes
import os
import re
import subprocess
import tempfile
import time

from common import GUEST_BUILD, build_machine

from graphsim.sim.machine import RunLimits


def kernel_function_address(machine) -> tuple[int, str]:
    """Native entry address of the compiled kernel `run` used by this machine."""
    from numba.core import types

    dispatcher = machine.core._kernel.run
    fp_none = machine.core._fp is None
    recording = getattr(machine.core, "records_trace", False)
    for sig, cres in dispatcher.overloads.items():
        # the compilation this machine runs: with trace records (the timing models) or without, with or
        # without the FP paths
        if isinstance(sig[-1], types.NoneType) != recording and (recording or isinstance(sig[-2], types.NoneType) == fp_none):
            name = cres.fndesc.llvm_func_name
            return cres.library.get_pointer_to_function(name), name
    raise RuntimeError("the kernel is not compiled")


def compiled_entries() -> list[tuple[int, str]]:
    """(entry address, name) of every compiled numba function of graphsim in this process, sorted."""
    import gc

    from numba.core.registry import CPUDispatcher

    entries = []
    for obj in gc.get_objects():
        if issubclass(type(obj), CPUDispatcher) and obj.py_func.__module__.startswith("graphsim."):
            for sig, cres in obj.overloads.items():
                try:
                    addr = cres.library.get_pointer_to_function(cres.fndesc.llvm_func_name)
                except Exception:  # (a function only inlined into others has no entry of its own)
                    continue
                if addr:
                    entries.append((addr, f"{obj.py_func.__module__}.{obj.py_func.__qualname__}{tuple(sig)}"))
    return sorted(entries)


def owner(entries, ip) -> str:
    import bisect

    i = bisect.bisect_right(entries, (ip, "\uffff")) - 1
    return f"{entries[i][1]}+{ip - entries[i][0]:#x}" if i >= 0 and ip - entries[i][0] < 1 << 20 else "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("guest", nargs="?", default="qsort_long.elf")
    parser.add_argument("--config", help="boot this machine (configs/) with its own kernel instead of a guest")
    parser.add_argument("--cpu", help="CPU model (timing, pipelined) on virt-rv64.toml's L1I/L1D + L2 instead of "
                                      "the atomic CPU without caches")
    parser.add_argument("--insts", type=int, default=300_000_000)
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--span", type=lambda v: int(v, 0), default=0x30000, help="bytes of code to disassemble after run's entry")
    parser.add_argument("--function", help="disassemble this compiled function (e.g. timing_batch) instead of run")
    parser.add_argument("--dump", help="write the annotated disassembly (samples per instruction) to this file")
    args = parser.parse_args()
    if args.config:
        machine = build_machine(args.config)
        machine.boot()
    elif args.cpu:
        machine = build_machine("virt-rv64.toml", [f"components.cpu.type=cpu.{args.cpu}"])
        machine.boot(kernel=str(GUEST_BUILD / args.guest))
    else:
        machine = build_machine("virt-rv64-nocache.toml")
        machine.boot(kernel=str(GUEST_BUILD / args.guest))
    machine.run(RunLimits(max_insts=1000))  # compile/load before sampling
    entry, _name = kernel_function_address(machine)
    if args.function:
        entry = next(addr for addr, name in compiled_entries() if f".{args.function}(" in name)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "5000", "-p", str(os.getpid()),
                                 "-o", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        started = time.perf_counter()
        machine.run(RunLimits(max_insts=args.insts), slice_insts=10_000_000)
        seconds = time.perf_counter() - started
        perf.send_signal(2)
        perf.wait()
        report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--sort", "dso,sym"],
                                capture_output=True, text=True).stdout
        script = subprocess.run(["perf", "script", "-i", data, "-F", "ip"], capture_output=True, text=True).stdout
        ips = collections.Counter(int(line.strip(), 16) for line in script.split() if line.strip())
        code = ctypes.string_at(entry, args.span)
        blob = os.path.join(tmp, "code.bin")
        with open(blob, "wb") as f:
            f.write(code)
        dis = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "--adjust-vma", hex(entry),
                              blob], capture_output=True, text=True).stdout
    lines = {}
    for line in dis.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(.*)", line)
        if m:
            lines[int(m.group(1), 16)] = m.group(2).strip()
    total = sum(ips.values())
    inside = sum(n for ip, n in ips.items() if entry <= ip < entry + args.span)
    print(f"{args.config or args.guest}: {machine.instret} instructions in {seconds:.2f} s "
          f"({machine.instret / seconds / 1e6:.1f} MIPS), {total} samples, "
          f"{100 * inside / max(total, 1):.1f}% in the {args.span:#x} bytes after {args.function or 'run'}'s entry {entry:#x}")
    if args.dump:
        with open(args.dump, "w") as f:
            for addr, text in sorted(lines.items()):
                n = ips.get(addr, 0)
                f.write(f"{100 * n / max(total, 1):6.2f}  +{addr - entry:#07x}  {text}\n")
    print("by shared object and symbol (JIT code has none: [unknown]):")
    print("\n".join([ln for ln in report.splitlines() if ln.strip() and not ln.startswith("#")][:15]))
    entries = compiled_entries()
    by_function = collections.Counter()
    for ip, n in ips.items():
        by_function[owner(entries, ip).rsplit("+", 1)[0]] += n
    print("by compiled function (nearest entry point below the sample):")
    for name, n in by_function.most_common(12):
        print(f"{100 * n / total:6.2f}%  {name}")
    for ip, n in ips.most_common(args.top):
        where = f"+{ip - entry:#07x}" if entry <= ip < entry + args.span else owner(entries, ip)
        print(f"{100 * n / total:6.2f}%  {where}  {lines.get(ip, '')}")


if __name__ == "__main__":
    main()
