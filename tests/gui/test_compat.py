"""The compatibility page: graded, coloured findings against a target machine, and two checkpoints side by side."""

from PySide6.QtCore import Qt

from gui import theme
from gui.findings_view import GRADE_ROLE

from .conftest import CONFIGS

WAIT = 20000


def rows(panel):
    model = panel.proxy
    return [(model.index(r, 0).data(GRADE_ROLE), model.index(r, 1).data(), model.index(r, 2).data(),
             model.index(r, 3).data()) for r in range(model.rowCount())]


def compare(page, qtbot):
    """Run the comparison; its result (a Comparison), or fail with the error the page shows."""
    page.run()
    qtbot.waitUntil(lambda: page.result is not None, timeout=WAIT)
    assert not isinstance(page.result, str), page.result
    return page.result


def test_target_lacking_a_used_extension_is_incompatible_in_red(window, built_library, tmp_path, qtbot):
    root, ids = built_library
    used = window.library.manifest(ids["first"])["compat"]["used"]["cpu"]["extensions"]
    assert "M" in used  # sieve divides
    lacking = tmp_path / "no-m.toml"
    lacking.write_text(f'version = 1\ninclude = ["{CONFIGS / "virt-rv64.toml"}"]\n'
                       '[components.cpu]\nisa = "rv64iac_zicsr_zifencei"\n')
    page = window.compat
    page.set_source(ids["first"])
    page.form.set_file(str(lacking))
    result = compare(page, qtbot)
    assert result.code == 2
    found = rows(page.findings)
    assert found[0][0] == "incompatible"  # worst first
    bad = [r for r in found if r[0] == "incompatible"]
    assert any("uses extension M" in r[2] and "M instructions" in r[3] for r in bad)
    assert page.findings.verdict.text().startswith("Incompatible")
    cell = page.findings.proxy.index(0, 0)
    assert cell.data(Qt.ItemDataRole.BackgroundRole).color().name() == theme.GRADE_BG["incompatible"]
    assert cell.data(Qt.ItemDataRole.ForegroundRole).color().name() == theme.GRADE_FG["incompatible"]
    assert theme.GRADE_FG["incompatible"] in page.findings.verdict.styleSheet()


def test_cpu_model_override_is_a_change_and_same_rows_can_be_shown(window, built_library, qtbot):
    from graphsim.checkpoint.restore import cpu_models

    _, ids = built_library
    page = window.compat
    page.set_source(ids["first"])
    page.form.own.setChecked(True)
    combo = page.form.cpu
    assert [combo.itemData(n) for n in range(1, combo.count())] == cpu_models()  # exactly the models there are
    other = sorted(set(cpu_models()) - {"atomic"})
    page.form.set_cpu(other[0] if other else "atomic")
    result = compare(page, qtbot)
    assert result.code == 0
    found = rows(page.findings)
    assert all(r[0] != "same" for r in found)
    if other:
        assert any(r[0] == "changed" and "CPU model" in r[2] for r in found)
    assert page.findings.verdict.text().startswith("Restorable")
    page.findings.show_same.setChecked(True)
    assert any(r[0] == "same" for r in rows(page.findings))
    same = page.findings.proxy.index(len(rows(page.findings)) - 1, 0)
    assert same.data(Qt.ItemDataRole.ForegroundRole).color().name() == theme.GRADE_FG["same"]


def test_swapped_disk_is_a_warning_in_amber(window, built_library, qtbot):
    _, ids = built_library
    page = window.compat
    page.set_source(ids["blk"])
    page.form.own.setChecked(True)
    from .conftest import DISK_B

    page.form.set_disk("disk0", str(DISK_B))
    qtbot.waitUntil(lambda: page.form.disk_rows["disk0"].change is not None, timeout=WAIT)
    info = page.form.disk_rows["disk0"].info.text()
    assert "64KiB → 32KiB" in info and "sha256" in info
    result = compare(page, qtbot)
    assert result.code == 1
    warning = [r for r in rows(page.findings) if r[0] == "warning"]
    assert warning and warning[0][1] == "disk0"
    cell = page.findings.proxy.index(0, 0)
    assert cell.data(Qt.ItemDataRole.BackgroundRole).color().name() == theme.GRADE_BG["warning"]


def test_two_checkpoints_side_by_side(window, built_library, qtbot):
    _, ids = built_library
    page = window.library_page
    window.compat.findings.show_same.setChecked(False)
    page._reselect([ids["first"], ids["blk"]])
    assert window.compare_action.isEnabled()
    with qtbot.waitSignal(window.compat.compared, timeout=WAIT) as got:
        window.compare_selected()
    result = got.args[0]
    assert result.target.kind == "checkpoint" and result.other["id"] == ids["blk"]
    assert window.tabs.currentWidget() is window.compat
    assert not window.compat.sides.isHidden()
    assert ids["first"] in window.compat.side_a.toPlainText()
    assert ids["blk"] in window.compat.side_b.toPlainText()
    assert any(r[1] == "disk0" for r in rows(window.compat.findings))  # a disk only one of them has


def test_editor_machine_as_target(window, built_library, qtbot):
    _, ids = built_library
    editor = window.editor
    editor.set_text(open(CONFIGS / "virt-rv64.toml").read().replace('"32KiB"', '"64KiB"'),
                    str(CONFIGS / "virt-rv64.toml"))
    editor.editor.document().setModified(True)  # edited, not saved: the diff uses the text
    page = window.compat
    page.set_source(ids["first"])
    page.form.editor.setChecked(True)
    result = compare(page, qtbot)
    assert result.code == 0
    assert any(r[1] == "caches" and "64KiB" in r[2] for r in rows(page.findings))
    assert "(editor)" in page.target_label.text()
    editor.editor.document().setModified(False)
