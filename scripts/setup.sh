#!/usr/bin/env bash
# Set up a fresh Debian machine for graphsim: Debian packages (only those missing),
# a virtual environment in .venv, and graphsim installed into it in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests and tools use: QEMU (the oracle), graphviz (diagrams), gdb-multiarch,
# and the shared libraries Qt needs to render offscreen.
needed=()
command -v qemu-system-riscv64 >/dev/null || needed+=(qemu-system-misc)
command -v dot >/dev/null || needed+=(graphviz)
command -v dtc >/dev/null || needed+=(device-tree-compiler)
command -v gdb-multiarch >/dev/null || needed+=(gdb-multiarch)  # the GDB stub's tests drive it
for lib in libEGL.so.1 libGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libdbus-1.so.3 libglib-2.0.so.0; do
  ldconfig -p | grep -q "$lib" || { needed+=(libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core); break; }
done
if ((${#needed[@]})); then
  echo "setup: installing Debian packages: ${needed[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${needed[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=.venv/.graphsim-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[gui,test]"
  touch "$stamp"
fi
