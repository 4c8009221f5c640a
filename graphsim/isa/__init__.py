"""RISC-V ISA: encoding tables (opcodes/), the generated decoder, one semantics
module per extension (rv_i, rv_m, rv_a, rv_c, zicsr, zifencei, priv), CSRs,
the MMU, the hart state layout and a disassembler."""
