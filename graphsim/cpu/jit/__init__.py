"""The block compiler: hot guest basic blocks of the atomic CPU's lean loop turned
into native code with llvmlite (docs/jit.md).

- `block`: which instructions form a block (decoded from RAM, what the compiled
  code covers, where a block ends);
- `codegen`: the LLVM IR of a block (exact side exits for everything it does not
  handle on its fast path);
- `engine`: compiling queued blocks and filling the kernel's table (Core.run).

The kernel's side is a table lookup at block-start candidates and a call through
`graphsim/cpu/jit_call.py`.
"""
