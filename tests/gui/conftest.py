"""GUI tests: offscreen Qt, and a checkpoint library made by really running guests through the CLI.

The session library holds a lineage made by real runs:

    sieve  @200k  ─┬─ sieve @400k            (same run: parent = the previous checkpoint)
                   └─ sieve @300k            (a restore of @200k)
    blk    @early                           (virtio_blk_read on a machine with test.img)
    long   @1000                            (sieve_long: long enough to be stopped)
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import pytest  # noqa: E402

try:  # the desktop app is an optional extra (graphsim[gui]); without it only the Qt-free tests run
    import PySide6  # noqa: F401
    import pytestqt  # noqa: F401
except ImportError:
    QT_FREE = {"test_no_qt_in_core.py", "test_locate.py", "test_pure.py"}
    collect_ignore = [f for f in os.listdir(os.path.dirname(__file__)) if f.startswith("test_") and f not in QT_FREE]

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"
GUESTS = ROOT / "assets" / "guest"
DISK_A = GUESTS / "disk" / "test.img"
DISK_B = GUESTS / "disk" / "test2.img"
BLK_CHECKPOINT_AT = 3000  # before virtio_blk_read probes the virtio slots
CLI_TIMEOUT = 300


def cli(*args, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "graphsim.cli", *map(str, args)], cwd=ROOT,
                            capture_output=True, text=True, timeout=CLI_TIMEOUT)
    if check and result.returncode != 0:
        raise AssertionError(f"graphsim {' '.join(map(str, args))} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session", autouse=True)
def _isolated_app_state(tmp_path_factory):
    """Settings and run directories of the app under test go to a temporary place."""
    state = tmp_path_factory.mktemp("app-state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GRAPHSIM_GUI_SETTINGS", str(state / "gui.json"))
        patch.setenv("XDG_STATE_HOME", str(state / "xdg-state"))
        yield


@pytest.fixture(scope="session")
def disk_machine() -> Path:
    """virt-rv64 with a virtio-blk disk (test.img) in slot 7, as on QEMU."""
    return CONFIGS / "virt-rv64-disk.toml"


@pytest.fixture(scope="session")
def built_library(tmp_path_factory, disk_machine):
    """A library made by real runs (see the module docstring); returns (root, ids by role)."""
    root = tmp_path_factory.mktemp("library") / "lib"
    out = tmp_path_factory.mktemp("runs")
    cli("run", CONFIGS / "virt-rv64.toml", "--kernel", GUESTS / "build" / "sieve.elf",
        "--checkpoint-at-inst", 200_000, "--checkpoint-at-inst", 400_000, "--library", root, "--quiet",
        "--name", "sieve@200k", "--note", "first boot", "--outdir", out / "sieve")
    from graphsim.checkpoint.library import Library

    library = Library(str(root))
    first, second = [e.id for e in library.entries()]
    cli("restore", first, "--library", root, "--checkpoint-at-inst", 100_000, "--max-insts", 100_000,
        "--quiet", "--outdir", out / "restore")
    cli("run", disk_machine, "--kernel", GUESTS / "build" / "virtio_blk_read.elf", "--checkpoint-at-inst",
        BLK_CHECKPOINT_AT, "--library", root, "--quiet", "--name", "blk-early", "--outdir", out / "blk")
    cli("run", CONFIGS / "virt-rv64.toml", "--kernel", GUESTS / "build" / "sieve_long.elf", "--checkpoint-at-inst",
        1000, "--max-insts", 2000, "--library", root, "--quiet", "--name", "long", "--outdir", out / "long")
    library.sync_index()
    ids = {"first": first, "second": second}
    for e in library.entries():
        if e.id not in (first, second):
            ids["restored" if e.parent == first else e.name.replace("-early", "")] = e.id
    library.close()
    assert set(ids) == {"first", "second", "restored", "blk", "long"}, ids
    return root, ids


def damage_state(root: Path, cpt_id: str) -> tuple[str, str]:
    """Corrupt the stored state of a checkpoint's first component that has any; returns (component, damaged
    file). Works whether the state is a file of the checkpoint or a chunk of the library's store."""
    import tomllib

    from graphsim.checkpoint.chunks import ChunkStore

    manifest = tomllib.loads((root / "checkpoints" / cpt_id / "manifest.toml").read_text())
    store = ChunkStore(str(root / "chunks"))
    for name, entry in manifest["components"].items():
        if "file" in entry:
            path = root / "checkpoints" / cpt_id / entry["file"]
        elif "state_chunk" in entry:
            path = Path(store.path(entry["state_chunk"]))
        else:
            continue
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] + bytes(b ^ 0x5A for b in data[len(data) // 2:]))
        return name, str(path)
    raise AssertionError(f"{cpt_id} stores no component state")


@pytest.fixture
def library_copy(built_library, tmp_path):
    """A private copy of the session library (for tests that change or damage it)."""
    root, ids = built_library
    copy = tmp_path / "lib"
    shutil.copytree(root, copy)
    return copy, ids


@pytest.fixture
def window(qtbot, built_library):
    from gui.app import application, create_window
    from gui.workers import wait_for_all

    application()
    root, _ = built_library
    win = create_window(str(root))
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    yield win
    win.runs.stop_all(2000)
    wait_for_all(10000)


@pytest.fixture
def window_on(qtbot):
    """A main window on a library of your choice: ``window_on(root)``."""
    from gui.app import application, create_window
    from gui.workers import wait_for_all

    application()
    made = []

    def make(root):
        win = create_window(str(root))
        qtbot.addWidget(win)
        win.resize(1400, 860)
        win.show()
        made.append(win)
        return win

    yield make
    for win in made:
        win.runs.stop_all(2000)
    wait_for_all(10000)
