"""The core never imports Qt: importing every graphsim module leaves PySide6 unloaded."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, pkgutil, sys
import graphsim
failed = []
names = sorted(m.name for m in pkgutil.walk_packages(graphsim.__path__, "graphsim."))
for name in names:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {type(exc).__name__}: {exc}")
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6"))
print(len(names))
print("QT " + " ".join(qt))
for line in failed:
    print("FAILED " + line)
"""


def test_core_imports_no_qt():
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert int(lines[0]) > 20, "expected to import every graphsim module"
    assert lines[1] == "QT ", f"graphsim imported Qt: {lines[1]}"
    failures = [line for line in lines if line.startswith("FAILED ")]
    assert not failures, "\n".join(failures)
