"""scripts/screenshots.py works on any library, not only the demo one it builds."""

import os
import subprocess
import sys

from .conftest import ROOT


def test_screenshots_of_another_library(library_copy, tmp_path):
    root, _ = library_copy
    out = tmp_path / "shots"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--library", str(root),
                             "--out", str(out)], capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("library.png", "library-diagram.png", "compat.png", "restore-dialog.png", "run.png", "boot-dialog.png",
                 "boot-run.png", "editor.png"):
        assert (out / name).stat().st_size > 10_000, name
