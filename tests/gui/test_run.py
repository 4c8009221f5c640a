"""Restore with…: findings before starting, a relaunch on a swapped disk run as a separate process with its
console streamed live, new checkpoints appearing as children, errors shown, Stop."""

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

from .conftest import DISK_B, damage_state

WAIT = 20000
RUN_WAIT = 90000


def open_dialog(win, cpt_id, qtbot):
    dialog = win.restore_with(cpt_id)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.comparison is not None or dialog.findings.verdict.property("grade") == "error",
                    timeout=WAIT)
    return dialog


def heartbeat(win):
    """Counts event-loop turns while we wait: the UI thread must stay free during runs."""
    beats = [0]
    timer = QTimer(win)
    timer.setInterval(50)
    timer.timeout.connect(lambda: beats.__setitem__(0, beats[0] + 1))
    timer.start()
    return beats


def test_relaunch_with_a_swapped_disk_prints_its_content_and_adds_a_child(window_on, library_copy, qtbot):
    root, ids = library_copy
    win = window_on(root)
    dialog = open_dialog(win, ids["blk"], qtbot)
    assert dialog.comparison.code == 0 and dialog.start.isEnabled()

    dialog.form.set_disk("disk0", str(DISK_B))
    qtbot.waitUntil(lambda: dialog.comparison is not None and dialog.comparison.code == 1, timeout=WAIT)
    assert "64KiB → 32KiB" in dialog.form.disk_rows["disk0"].info.text()
    assert any(f.grade == "warning" and f.subject == "disk0" for f in dialog.comparison.findings)
    assert not dialog.start.isEnabled()  # warnings need an explicit allow
    assert "--allow-warnings" not in dialog.command.text()
    dialog.allow.setChecked(True)
    assert dialog.start.isEnabled() and "--allow-warnings" in dialog.command.text()
    dialog.options.at_inst.setText("200_000")
    assert "--disk disk0=" in dialog.command.text() and "--checkpoint-at-inst 200000" in dialog.command.text()
    dialog.copy.click()
    copied = QGuiApplication.clipboard().text()

    beats = heartbeat(win)
    dialog.start.click()
    (panel,) = win.runs.panels()
    assert copied == dialog.command.text() == panel.request.shell_line()  # exactly what Start runs
    assert win.tabs.currentWidget() is win.runs
    qtbot.waitUntil(lambda: panel.exit_code is not None, timeout=RUN_WAIT)
    console = panel.console.toPlainText()
    assert panel.exit_code == 0, (panel.errors, console)
    assert "capacity 64 sectors (32768 bytes)" in console  # test2.img, not the checkpoint's test.img
    assert "crc32=0x61def89b" in console
    assert panel.state.text().startswith("finished")
    assert len(panel.checkpoints) == 1
    messages = [panel.messages.item(n).text() for n in range(panel.messages.count())]
    assert any("image swapped" in m for m in messages) and any(m.startswith("restored") for m in messages)
    child = panel.checkpoints[0]
    qtbot.waitUntil(lambda: child in win.catalog.by_id, timeout=WAIT)  # live refresh
    assert win.catalog.entry(child).parent == ids["blk"]
    node = win.catalog.by_id[child]
    assert node.parent.id == ids["blk"]
    assert win.library_page.proxy.mapFromSource(win.library_page.model.index_of(child)).parent().isValid()
    assert beats[0] > 5


def test_restore_of_a_corrupted_checkpoint_shows_the_error(window_on, library_copy, qtbot):
    root, ids = library_copy
    component, _ = damage_state(root, ids["first"])
    win = window_on(root)
    dialog = open_dialog(win, ids["first"], qtbot)
    assert dialog.comparison.code == 0  # the manifest is fine: the damage is found by the restore itself
    beats = heartbeat(win)
    dialog.accept()
    (panel,) = win.runs.panels()
    qtbot.waitUntil(lambda: panel.exit_code is not None, timeout=RUN_WAIT)
    assert panel.exit_code == 3
    assert panel.errors and f"components.{component}" in panel.errors[0], panel.errors
    assert "checksum" in panel.errors[0] or "corrupt" in panel.errors[0]
    assert panel.state.text().startswith("failed")
    assert not panel.stop_button.isEnabled()
    assert beats[0] > 2


def test_incompatible_target_cannot_be_started(window, built_library, tmp_path, qtbot):
    from .conftest import CONFIGS

    _, ids = built_library
    machine = tmp_path / "rv32.toml"
    machine.write_text(f'version = 1\ninclude = ["{CONFIGS / "virt-rv32.toml"}"]\n')
    dialog = open_dialog(window, ids["first"], qtbot)
    dialog.form.set_file(str(machine))
    qtbot.waitUntil(lambda: dialog.comparison is not None and dialog.comparison.code == 2, timeout=WAIT)
    assert not dialog.start.isEnabled() and not dialog.allow.isEnabled()
    assert dialog.findings.verdict.text().startswith("Incompatible")
    dialog.options.max_insts.setText("12x")
    assert "'12x' is not a count" in dialog.options.error.text()
    dialog.reject()


def test_stop_a_running_restore(window_on, library_copy, qtbot, monkeypatch):
    monkeypatch.setenv("GRAPHSIM_JIT", "0")  # (with the block compiler sieve_long ends before it can be stopped)
    root, ids = library_copy
    win = window_on(root)
    dialog = open_dialog(win, ids["long"], qtbot)
    dialog.accept()
    (panel,) = win.runs.panels()
    qtbot.waitUntil(lambda: panel.last_progress is not None and panel.last_progress.insts > 1000, timeout=RUN_WAIT)
    assert panel.running() and panel.stop_button.isEnabled()
    assert panel.insts.text().replace(",", "").isdigit() and "MIPS" in panel.mips.text()
    panel.input.setText("typed while running")
    panel.send_line()
    assert panel.input.text() == ""
    panel.stop()
    qtbot.waitUntil(lambda: panel.exit_code is not None, timeout=WAIT)
    assert panel.state.text() == "stopped" and not panel.running()
    assert win.statusBar().currentMessage().endswith(": stopped")  # the status bar says what the badge says


def test_the_run_console_starts_with_the_checkpoints_console_tail(window_on, library_copy, qtbot, tmp_path):
    from .conftest import CONFIGS, GUESTS, cli

    root, _ = library_copy
    cli("run", CONFIGS / "virt-rv64.toml", "--kernel", GUESTS / "build" / "hello.elf", "--checkpoint-at-inst", 2000,
        "--library", root, "--quiet", "--name", "after-hello", "--outdir", tmp_path / "hello")
    win = window_on(root)
    qtbot.waitUntil(lambda: "after-hello" in {win.catalog.entry(i).name for i in win.catalog.ids()}, timeout=WAIT)
    cpt = next(i for i in win.catalog.ids() if win.catalog.entry(i).name == "after-hello")
    dialog = open_dialog(win, cpt, qtbot)
    dialog.accept()
    (panel,) = win.runs.panels()
    qtbot.waitUntil(lambda: panel.exit_code is not None, timeout=RUN_WAIT)
    console = panel.console.toPlainText()
    assert console.startswith("Hello from graphsim guest"), console
    assert f"──── restored from {cpt} ────" in console
