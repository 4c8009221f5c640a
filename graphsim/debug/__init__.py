"""Debugging the guest: a GDB remote serial protocol stub (stub.py) over the machine's
registers and memory (target.py), with breakpoints, watchpoints and single steps as
stops inside the compiled kernel. See docs/gdb.md."""
