#!/usr/bin/env python3
"""Regenerate the desktop app's screenshots in docs/screenshots/ (offscreen, no display needed).

    .venv/bin/python scripts/screenshots.py [--library LIB] [--out docs/screenshots]

Without --library it builds a demo library by really running guests through the
CLI (sieve with checkpoints and a restore, virtio_blk_read on a disk machine),
then drives the app into each main view (a restore and a fresh boot included) and
saves ``QWidget.grab()`` of it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

GUESTS = ROOT / "assets" / "guest"
CONFIGS = ROOT / "configs"
SIZE = (1440, 880)


def cli(*args):
    subprocess.run([sys.executable, "-m", "graphsim.cli", *map(str, args)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def demo_library(where: Path) -> Path:
    lib = where / "library"
    out = where / "runs"
    cli("run", CONFIGS / "virt-rv64.toml", "--kernel", GUESTS / "build" / "sieve.elf", "--checkpoint-at-inst",
        200_000, "--checkpoint-at-inst", 400_000, "--checkpoint-at-inst", 2_000_000, "--library", lib, "--quiet",
        "--name", "sieve-warm", "--note", "sieve after start-up", "--outdir", out / "sieve")
    from graphsim.checkpoint.library import Library

    library = Library(str(lib))
    first = library.entries()[0].id
    cli("restore", first, "--library", lib, "--checkpoint-at-inst", 1_000_000, "--max-insts", 1_000_000, "--quiet",
        "--note", "restored once, as a child", "--outdir", out / "restore")
    cli("run", CONFIGS / "virt-rv64-disk.toml", "--kernel", GUESTS / "build" / "virtio_blk_read.elf",
        "--checkpoint-at-inst", 3000, "--library", lib, "--quiet", "--name", "blk-before-probe",
        "--note", "virtio-blk driver before it probes the slots", "--outdir", out / "blk")
    cli("run", CONFIGS / "virt-rv64.toml", "--kernel", GUESTS / "build" / "hello.elf", "--checkpoint-at-inst", 1500,
        "--library", lib, "--quiet", "--name", "hello", "--outdir", out / "hello")
    library.close()
    return lib


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", help="use this library instead of building a demo one")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="graphsim-screens-"))
    os.environ["GRAPHSIM_GUI_SETTINGS"] = str(scratch / "gui.json")  # never the user's settings
    os.environ["XDG_STATE_HOME"] = str(scratch / "state")
    lib = Path(args.library) if args.library else demo_library(scratch)
    os.chdir(ROOT)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QEventLoop, QTimer

    from gui.app import application, create_window
    from gui.workers import wait_for_all

    app = application()
    win = create_window(str(lib))
    win.resize(*SIZE)
    win.show()

    def spin(ms: int = 100):
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def until(condition, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the app did not get there in time")
            spin(50)
        wait_for_all(30000)
        spin(150)

    def save(widget, name: str):
        win._show_busy()
        path = out / name
        widget.grab().save(str(path))
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    def start_and_save(dialog, name: str):
        """Start the dialog's run; once it has ended and its checkpoints are listed, save the window."""
        dialog.start.click()
        panel = win.runs.panels()[-1]
        until(lambda: panel.exit_code is not None, timeout=600)
        until(lambda: all(i in catalog.by_id for i in panel.checkpoints))
        save(win, name)

    catalog = win.catalog
    entries = [catalog.entry(i) for i in catalog.ids()]
    if not entries:
        raise SystemExit(f"screenshots: {lib} holds no checkpoints")
    by_name = {e.name: e.id for e in entries}
    # the demo library's checkpoints, or on any other library: one with children and one with a disk
    parents = {e.parent for e in entries}
    first = by_name.get("sieve-warm") or next((e.id for e in entries if e.id in parents), entries[0].id)
    blk = by_name.get("blk-before-probe") or next((e.id for e in entries if e.disks and e.id != first),
                                                   next((e.id for e in entries if e.id != first), first))
    spin(300)

    # 1. library + details
    win.library_page.select(first)
    spin(300)
    save(win, "library.png")

    # 2. the machine diagram of the checkpoint
    details = win.library_page.details
    sizes = win.library_page.splitter.sizes()
    win.library_page.splitter.setSizes([560, sum(sizes) - 560])
    details.tabs.setCurrentWidget(details.diagram)
    until(lambda: details.diagram.svg)
    save(win, "library-diagram.png")
    details.tabs.setCurrentWidget(details.overview)
    win.library_page.splitter.setSizes(sizes)

    # 3. compatibility diff against a machine without M, with a bigger L2, more RAM and another timebase
    variant = scratch / "no-m-big-l2.toml"
    variant.write_text(f'version = 1\ninclude = ["{CONFIGS / "virt-rv64.toml"}"]\n[machine]\nname = "rv64iac-1MiB-L2"\n'
                       '[components.cpu]\nisa = "rv64iac_zicsr_zifencei"\nfrequency = "2GHz"\n'
                       '[components.l2]\nsize = "1MiB"\n[components.ram]\nsize = "256MiB"\n')
    win.tabs.setCurrentWidget(win.compat)
    win.compat.set_source(first)
    win.compat.findings.show_same.setChecked(True)
    win.compat.form.set_file(str(variant))  # compares once the form's debounce has passed
    spin(500)
    until(lambda: win.compat.result is not None)
    save(win, "compat.png")

    # 4. two checkpoints side by side
    if blk != first:
        win.tabs.setCurrentWidget(win.library_page)
        win.library_page._reselect([first, blk])
        win.compare_selected()
        until(lambda: win.compat.result is not None and not win.compat.sides.isHidden())
        win.compat.findings.show_same.setChecked(False)
        spin(100)
        save(win, "compat-side-by-side.png")

    # 5. restore, with another disk image where the demo library's disk checkpoint allows it
    win.tabs.setCurrentWidget(win.library_page)
    dialog = win.restore_with(blk)
    dialog.resize(1180, 720)
    until(lambda: dialog.comparison is not None)
    swapped = GUESTS / "disk" / "test2.img"
    if "disk0" in dialog.form.disk_rows and swapped.exists() and catalog.entry(blk).name == "blk-before-probe":
        dialog.form.set_disk("disk0", str(swapped))
        until(lambda: dialog.comparison is not None and dialog.comparison.code == 1)
        dialog.options.note.setText("same driver, the other disk")
    if dialog.comparison.code == 1:
        dialog.allow.setChecked(True)
    dialog.options.at_inst.setText("200_000")
    dialog.options.max_insts.setText("2M")  # any library's guest stops
    spin(200)
    save(dialog, "restore-dialog.png")

    # 6. the run it starts
    start_and_save(dialog, "run.png")

    # 7. a fresh boot of a shipped machine (how a library begins), checkpointing on the way
    win.tabs.setCurrentWidget(win.library_page)
    boot = win.boot_machine(str(CONFIGS / "virt-rv64.toml"))
    boot.resize(900, 640)
    until(lambda: boot.check is not None)
    boot.kernel.set_text(str(GUESTS / "build" / "sieve.elf"))
    boot.options.at_inst.setText("1M, 2M")
    boot.options.name.setText("sieve-fresh")
    boot.options.note.setText("a fresh boot from the app")
    spin(200)
    save(boot, "boot-dialog.png")
    start_and_save(boot, "boot-run.png")

    # 8. the machine editor with a mistake marked at its line, and the last valid diagram
    editor = win.editor
    editor.load(str(CONFIGS / "virt-rv64.toml"))  # the shipped machine, whatever the library
    until(lambda: editor.current is not None and editor.current.ok and editor.diagram.svg)
    editor.editor.setPlainText(editor.editor.toPlainText().replace("assoc = 8", "asoc = 8")
                               .replace('"512KiB"', '"512KB"'))
    until(lambda: editor.current is not None and not editor.current.ok)
    editor.editor.go_to_line(1)
    win.tabs.setCurrentWidget(editor)
    spin(200)
    save(win, "editor.png")
    editor.editor.document().setModified(False)

    win.close()
    wait_for_all(10000)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
