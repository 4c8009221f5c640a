"""Random integer programs, compiled and interpreted: the block compiler's code for every
RV64 I/M/C instruction it covers must compute what the interpreter computes.

Each program is a loop over a random straight-line body (ALU and M operations on edge
values, forward branches, aligned and misaligned loads and stores of every size into a
scratch buffer); the loop runs often enough for the body to be compiled at the lowered
threshold. Registers, the buffer and the instruction count must be identical with the
block compiler on and off, run in one go and split at odd instruction counts."""

import random

import numpy as np
import pytest

from graphsim.cpu.jit import engine
from graphsim.isa.state import PC

from .asm import assemble, run_elf

EDGE = [0, 1, 2, 3, 31, 32, 63, 64, -1, -2, 0x7FFFFFFF, 0x80000000, -0x80000000, 0xFFFFFFFF,
        0x7FFFFFFFFFFFFFFF, -0x8000000000000000, 0x5555555555555555, -0x5555555555555556]
R_TYPE = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
          "addw", "subw", "sllw", "srlw", "sraw",
          "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu",
          "mulw", "divw", "divuw", "remw", "remuw"]
I_TYPE = ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw"]
SHIFTS = {"slli": 63, "srli": 63, "srai": 63, "slliw": 31, "srliw": 31, "sraiw": 31}
LOADS = {"lb": 1, "lbu": 1, "lh": 2, "lhu": 2, "lw": 4, "lwu": 4, "ld": 8}
STORES = {"sb": 1, "sh": 2, "sw": 4, "sd": 8}
BRANCHES = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
# x1 ra, x2 sp unused; x3 = the middle of the scratch buffer, x4 = the loop counter; x5..x31 are random
FREE = list(range(5, 32))
ITERATIONS = 500  # (a slice is 10,000 instructions: blocks queued in one are compiled at its end)
THRESHOLD = 8


def random_program(seed: int, length: int = 80, branches: bool = True, misaligned: float = 0.15) -> str:
    rng = random.Random(seed)

    def reg():
        return f"x{rng.choice(FREE)}"

    def src():
        return f"x{rng.choice([0] + FREE)}"

    lines = ["    .globl _start", "_start:", "    la x3, scratch + 2048", f"    li x4, {ITERATIONS}"]
    lines += [f"    li x{r}, {rng.choice(EDGE) if rng.random() < 0.6 else rng.getrandbits(64) - (1 << 63)}"
              for r in FREE]
    lines += ["loop:", "    addi x4, x4, -1"]  # (a block starts here: a misaligned access first would leave it at once)
    label = 0
    while len(lines) < length + 40:
        kind = rng.random()
        if kind < 0.45:
            lines.append(f"    {rng.choice(R_TYPE)} {reg()}, {src()}, {src()}")
        elif kind < 0.6:
            lines.append(f"    {rng.choice(I_TYPE)} {reg()}, {src()}, {rng.choice([0, 1, -1, 31, -2048, 2047, rng.randint(-2048, 2047)])}")
        elif kind < 0.68:
            op, top = rng.choice(list(SHIFTS.items()))
            lines.append(f"    {op} {reg()}, {src()}, {rng.choice([0, 1, top, rng.randint(0, top)])}")
        elif kind < 0.71:
            lines.append(f"    lui {reg()}, {rng.randint(0, 0xFFFFF)}")
        elif kind < 0.82:
            op, size = rng.choice(list(LOADS.items()))
            lines.append(f"    {op} {reg()}, {random_offset(rng, size, misaligned)}(x3)")
        elif kind < 0.93 or not branches:
            op, size = rng.choice(list(STORES.items()))
            lines.append(f"    {op} {src()}, {random_offset(rng, size, misaligned)}(x3)")
        else:  # a forward branch over one to three instructions, taken or not by the data
            label += 1
            lines.append(f"    {rng.choice(BRANCHES)} {src()}, {src()}, 1f")
            lines += [f"    {rng.choice(R_TYPE[:15])} {reg()}, {src()}, {src()}" for _ in range(rng.randint(1, 3))]
            lines.append("1:")
    lines.append("    bnez x4, loop")
    lines += [f"    sd x{r}, {8 * (r - 5) - 2048}(x3)" for r in FREE]
    lines += ["    EXIT 0", "    .data", "    .balign 64", "scratch:", "    .fill 512, 8, 0x0123456789abcdef"]
    return "\n".join(lines) + "\n"


def random_offset(rng: random.Random, size: int, misaligned: float = 0.15) -> int:
    """Mostly aligned offsets into the 4 KiB buffer from its middle, x3 (sometimes misaligned:
    the interpreter's case)."""
    if rng.random() < misaligned:
        return rng.randint(0, 4096 - size) - 2048
    return rng.randint(0, 4096 // size - 1) * size - 2048


def final_state(core) -> tuple:
    """Instruction count, registers, pc and the first 64 KiB of RAM (the program and its buffer)."""
    return (core.total_icount(), [int(v) for v in core.harts[0, :32]], int(core.harts[0, PC]),
            bytes(np.asarray(core.ram[:64 << 10])))


def assert_compiled_runs_match_the_interpreter(elf, seed: int):
    """The program interpreted, compiled in one go and compiled split at odd instruction counts ends in the
    same registers, memory and instruction count, and some of it ran compiled."""
    results = {}
    for jit, chunk in ((False, 100_000_000), (True, 100_000_000), (True, 997)):
        r = run_elf(elf, ram_size=1 << 20, max_insts=2_000_000, chunk=chunk, jit=jit)
        assert r.exit_code == 0
        results[(jit, chunk)] = final_state(r.core)
        if jit:
            assert r.core.jit_stats()["instructions"] > 0, "the body was never run compiled"
    off = results[(False, 100_000_000)]
    for key, on in results.items():
        assert on[:3] == off[:3], f"registers differ with {key} (seed {seed})"
        assert on[3] == off[3], f"memory differs with {key} (seed {seed})"


@pytest.mark.parametrize("seed", range(32))
def test_random_integer_blocks_compute_what_the_interpreter_computes(seed, monkeypatch):
    monkeypatch.setenv("GRAPHSIM_JIT_THRESHOLD", str(THRESHOLD))
    elf = assemble(random_program(seed))
    assert_compiled_runs_match_the_interpreter(elf, seed)



@pytest.mark.parametrize("seed", range(8))
def test_long_straight_line_blocks_compute_what_the_interpreter_computes(seed, monkeypatch):
    """Bodies of ~200 instructions without a branch are one block (block.MAX_STRAIGHT), compiled after
    a twentieth of the threshold (engine.LONG_BLOCK), their accesses through x3 checked as groups (one
    check for all accesses through a register value, codegen.plan_groups); a few are misaligned and
    checked on their own."""
    monkeypatch.setenv("GRAPHSIM_JIT_THRESHOLD", "2000")  # (long blocks after 100 executions; the loop runs 500)
    elf = assemble(random_program(seed, length=200, branches=False, misaligned=0.02))
    assert_compiled_runs_match_the_interpreter(elf, seed)


def test_short_blocks_wait_for_the_whole_threshold_long_ones_do_not(monkeypatch):
    """A long straight-line body is compiled after a twentieth of the threshold (engine.LONG_AFTER), a
    short block only at the threshold (the loops here run 500 times: below a threshold of 2,000, above
    its twentieth, 100). A new block compiler with the block cache off: no block compiled before is
    at hand."""
    monkeypatch.setenv("GRAPHSIM_JIT_THRESHOLD", "2000")
    monkeypatch.setenv("GRAPHSIM_BLOCK_CACHE", "0")
    monkeypatch.setattr(engine, "_COMPILER", None)
    short = run_elf(assemble(random_program(1)), ram_size=1 << 20, max_insts=2_000_000, jit=True)
    long = run_elf(assemble(random_program(1, length=200, branches=False, misaligned=0.0)), ram_size=1 << 20,
                   max_insts=2_000_000, jit=True)
    assert short.exit_code == long.exit_code == 0
    assert short.core.jit_stats()["instructions"] == 0
    assert long.core.jit_stats()["instructions"] > long.core.total_icount() // 2
