"""Boot machine…: a fresh run of a machine file from the app, which is how a library begins — the
machine checked before Start, the command shown and copied exactly as run, the guest's console live,
and the checkpoints it takes listed as roots of the library."""

from PySide6.QtGui import QGuiApplication

from .conftest import CONFIGS, GUESTS

WAIT = 30000
RUN_WAIT = 120000


def open_boot(win, machine, qtbot):
    dialog = win.boot_machine(str(machine))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.verdict.property("grade") in ("ok", "incompatible"), timeout=WAIT)
    return dialog


def test_boot_a_machine_into_an_empty_library(window_on, qtbot, tmp_path):
    root = tmp_path / "new-library"
    win = window_on(root)
    assert win.catalog.ids() == [] and win.boot_action.isEnabled()  # nothing selected, nothing to restore
    assert "Boot machine…" in win.library_page.details.overview.toPlainText()  # the empty library says how to begin
    dialog = open_boot(win, CONFIGS / "virt-rv64.toml", qtbot)
    assert dialog.check is not None, dialog.verdict.text()
    assert "virt-rv64" in dialog.verdict.text() and "cpu.atomic" in dialog.verdict.text()
    assert not dialog.start.isEnabled() and "kernel" in dialog.options.error.text()  # the file names none

    dialog.kernel.set_text(str(GUESTS / "build" / "sieve.elf"))
    dialog.options.at_inst.setText("200k")
    dialog.options.name.setText("fresh")
    dialog.options.note.setText("booted from the app")
    assert dialog.start.isEnabled(), dialog.options.error.text()
    for part in ("graphsim run ", "virt-rv64.toml", "--kernel ", "sieve.elf", "--checkpoint-at-inst 200000",
                 "--name fresh", f"--library {root}"):
        assert part in dialog.command.text()
    dialog.copy.click()
    copied = QGuiApplication.clipboard().text()

    dialog.start.click()
    (panel,) = win.runs.panels()
    assert copied == dialog.command.text() == panel.request.shell_line()  # exactly what Start runs
    assert win.tabs.currentWidget() is win.runs and panel.title == "Boot of virt-rv64"
    qtbot.waitUntil(lambda: panel.exit_code is not None, timeout=RUN_WAIT)
    console = panel.console.toPlainText()
    assert panel.exit_code == 0, (panel.errors, console)
    assert "primes=22044" in console  # the guest's own output, streamed from the child
    assert panel.state.text() == "finished · 1 checkpoint(s)"
    (cpt,) = panel.checkpoints
    qtbot.waitUntil(lambda: cpt in win.catalog.by_id, timeout=WAIT)  # the library, live
    entry = win.catalog.entry(cpt)
    assert entry.name == "fresh" and entry.note == "booted from the app" and not entry.parent
    assert entry.instret == 200_000
    assert str(CONFIGS / "virt-rv64.toml") in win.settings.recent_machines

    # and the new checkpoint restores from the app as any other
    restore = win.restore_with(cpt)
    qtbot.addWidget(restore)
    qtbot.waitUntil(lambda: restore.comparison is not None, timeout=WAIT)
    assert restore.comparison.code == 0 and restore.start.isEnabled()


def test_a_bad_machine_is_refused_by_key_before_start(window_on, qtbot, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(f'version = 1\ninclude = ["{CONFIGS / "virt-rv64.toml"}"]\n'
                   '[components.cpu]\nisa = "rv99imac"\n')
    win = window_on(tmp_path / "lib")
    dialog = open_boot(win, bad, qtbot)
    assert dialog.check is None and not dialog.start.isEnabled()
    assert "components.cpu.isa" in dialog.verdict.text()

    dialog.machine.set_text(str(CONFIGS / "virt-rv64-disk.toml"))  # fixed: another machine, with a disk
    qtbot.waitUntil(lambda: dialog.check is not None, timeout=WAIT)
    assert set(dialog.disk_fields) == {"disk0"}
    dialog.kernel.set_text(str(GUESTS / "build" / "virtio_blk_read.elf"))
    dialog.disk_fields["disk0"].set_text(str(GUESTS / "disk" / "test2.img"))
    dialog.options.max_insts.setText("1.5x")
    assert not dialog.start.isEnabled() and dialog.options.error.text()
    dialog.options.max_insts.setText("2M")
    assert dialog.start.isEnabled()
    assert f"--disk disk0={GUESTS / 'disk' / 'test2.img'}" in dialog.command.text()
    assert "--max-insts 2000000" in dialog.command.text()
