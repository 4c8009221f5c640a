"""The app as a person starts it: `graphsim gui` on a real X display (Xvfb, through Qt's xcb
plugin and the libraries `make setup` installs) as well as offscreen, a library begun by
booting a machine there, and Ctrl-C in the terminal quits it."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import need_tool

from .conftest import ROOT

SHOW = """
import sys
from gui.app import application, create_window
app = application()
window = create_window(sys.argv[1])
window.resize(1280, 800)
window.show()
for _ in range(50):
    app.processEvents()
window.grab().save(sys.argv[2])
print(app.platformName(), window.isVisible())
"""

BOOT = """
import sys, time
from gui.app import application, create_window
app = application()
window = create_window(sys.argv[1])
window.resize(1280, 800)
window.show()
dialog = window.boot_machine(sys.argv[2])
def until(condition, what):
    deadline = time.monotonic() + 120
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for " + what)
        app.processEvents()
        time.sleep(0.02)
until(lambda: dialog.check is not None, "the machine check")
dialog.kernel.set_text(sys.argv[3])
dialog.options.at_inst.setText("100k")
dialog.start.click()
(panel,) = window.runs.panels()
until(lambda: panel.exit_code is not None, "the run")
until(lambda: window.catalog.ids(), "the library refresh")
window.grab().save(sys.argv[4])
print(app.platformName(), panel.exit_code, len(window.catalog.ids()), "primes=22044" in panel.console.toPlainText())
"""


@pytest.fixture
def xvfb():
    need_tool("Xvfb", "xvfb")
    binary = shutil.which("Xvfb")
    display = f":{90 + os.getpid() % 100}"
    server = subprocess.Popen([binary, display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    socket = f"/tmp/.X11-unix/X{display[1:]}"
    deadline = time.time() + 20
    while not os.path.exists(socket) and time.time() < deadline:
        time.sleep(0.1)
    yield display
    server.terminate()
    server.wait(timeout=10)


def _cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_idle(pid: int, timeout: float = 120):
    """Until the process has started and stops using the CPU (its event loop waits)."""
    deadline = time.time() + timeout
    time.sleep(2)
    last = _cpu_seconds(pid)
    while time.time() < deadline:
        time.sleep(1.0)
        now = _cpu_seconds(pid)
        if now - last < 0.05:
            return
        last = now
    raise AssertionError("the app never became idle")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env.update(extra)
    return env


def test_the_app_shows_on_an_x_display(library_copy, xvfb, tmp_path):
    root, _ = library_copy  # a private copy: another process opens it
    shot = tmp_path / "window.png"
    result = subprocess.run([sys.executable, "-P", "-c", SHOW, str(root), str(shot)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env=_env(DISPLAY=xvfb, QT_QPA_PLATFORM="xcb"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["xcb", "True"]
    assert shot.stat().st_size > 10_000  # a real picture of the window


def test_a_library_begins_with_a_boot_on_an_x_display(xvfb, tmp_path):
    shot = tmp_path / "boot.png"
    machine, kernel = ROOT / "configs" / "virt-rv64.toml", ROOT / "assets" / "guest" / "build" / "sieve.elf"
    result = subprocess.run([sys.executable, "-P", "-c", BOOT, str(tmp_path / "lib"), str(machine), str(kernel),
                             str(shot)], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env=_env(DISPLAY=xvfb, QT_QPA_PLATFORM="xcb"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["xcb", "0", "1", "True"]
    assert shot.stat().st_size > 10_000


@pytest.mark.parametrize("platform", ["offscreen", "xcb"])
def test_ctrl_c_in_the_terminal_quits_the_app(library_copy, platform, tmp_path, request):
    root, _ = library_copy
    env = _env(QT_QPA_PLATFORM=platform)
    if platform == "xcb":
        env["DISPLAY"] = request.getfixturevalue("xvfb")
    app = subprocess.Popen([sys.executable, "-P", "-m", "graphsim.cli", "gui", "--library", str(root)],
                           cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_idle(app.pid)  # up, waiting in its event loop
    assert app.poll() is None, app.communicate()
    app.send_signal(signal.SIGINT)
    try:
        _, stderr = app.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        app.kill()
        raise AssertionError("the app ignored Ctrl-C")
    assert app.returncode == 0, stderr
