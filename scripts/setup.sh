#!/usr/bin/env bash
# Set up a fresh Debian machine for graphsim: Debian packages (only those missing),
# a virtual environment in .venv, and graphsim installed into it in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests and tools use: QEMU (the oracle), graphviz (diagrams), gdb-multiarch,
# the shared libraries Qt needs to render offscreen and those its xcb platform
# plugin needs on a real X display (as `ldd .../PySide6/Qt/lib/libQt6XcbQpa.so.6`
# lists them), and Xvfb, on which the tests start the desktop app as on a desktop.
needed=()
command -v qemu-system-riscv64 >/dev/null || needed+=(qemu-system-misc)
command -v dot >/dev/null || needed+=(graphviz)
command -v dtc >/dev/null || needed+=(device-tree-compiler)
command -v Xvfb >/dev/null || needed+=(xvfb)
command -v gdb-multiarch >/dev/null || needed+=(gdb-multiarch)  # the GDB stub's tests drive it
for lib in libEGL.so.1 libGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libdbus-1.so.3 libglib-2.0.so.0; do
  ldconfig -p | grep -q "$lib" || { needed+=(libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core); break; }
done
xcb_libs=(libxcb1:libxcb.so.1 libx11-6:libX11.so.6 libx11-xcb1:libX11-xcb.so.1 libxkbcommon-x11-0:libxkbcommon-x11.so.0
          libxcb-cursor0:libxcb-cursor.so.0 libxcb-icccm4:libxcb-icccm.so.4 libxcb-util1:libxcb-util.so.1
          libxcb-image0:libxcb-image.so.0 libxcb-keysyms1:libxcb-keysyms.so.1 libxcb-randr0:libxcb-randr.so.0
          libxcb-render0:libxcb-render.so.0 libxcb-render-util0:libxcb-render-util.so.0
          libxcb-shape0:libxcb-shape.so.0 libxcb-shm0:libxcb-shm.so.0 libxcb-sync1:libxcb-sync.so.1
          libxcb-xfixes0:libxcb-xfixes.so.0 libxcb-xkb1:libxcb-xkb.so.1 libxcb-xinerama0:libxcb-xinerama.so.0)
for entry in "${xcb_libs[@]}"; do
  ldconfig -p | grep -q "${entry#*:}" || needed+=("${entry%%:*}")
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

# Byte-compile graphsim (a first run then parses no source, even where PYTHONDONTWRITEBYTECODE
# is set), and compile every CPU model's kernels now (numba caches them), so that the first
# run starts at once; precompile prints a progress line per model with an estimate.
.venv/bin/python -m compileall -q graphsim gui >/dev/null
.venv/bin/graphsim precompile
