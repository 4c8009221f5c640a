"""The machine editor: validation while typing, each problem at its line, a live diagram, save as new."""

from graphsim.errors import Problem
from gui.editor import EditorPage, problem_line

from .conftest import CONFIGS

WAIT = 20000
VIRT = (CONFIGS / "virt-rv64.toml").read_text()


def validated(page, qtbot):
    with qtbot.waitSignal(page.validated, timeout=WAIT) as got:
        pass
    return got.args[0]


def test_a_bad_key_is_marked_at_its_line(qtbot):
    page = EditorPage()
    qtbot.addWidget(page)
    page.set_text(VIRT, str(CONFIGS / "virt-rv64.toml"))
    qtbot.waitUntil(lambda: page.current is not None and page.current.ok, timeout=WAIT)
    qtbot.waitUntil(lambda: b"<svg" in page.diagram.svg, timeout=WAIT)
    assert page.status.text().startswith("✓ valid") and b"membus" in page.diagram.svg

    bad = VIRT.replace("assoc = 8", "asoc = 8").replace('size = "512KiB"', 'size = "512 parsecs"')
    lines = bad.splitlines()
    asoc_line = next(n for n, line in enumerate(lines, 1) if line.startswith("asoc"))
    size_line = next(n for n, line in enumerate(lines, 1) if "parsecs" in line)
    page.editor.setPlainText(bad)  # typing: validation is debounced, then runs in a worker
    result = validated(page, qtbot)
    assert not result.ok
    marks = page.problem_lines()
    assert asoc_line in marks and "unknown parameter" in marks[asoc_line] and "assoc" in marks[asoc_line]
    assert size_line in marks
    items = [page.problems.item(n).text() for n in range(page.problems.count())]
    assert any(text.startswith(f"line {asoc_line}: components.l1d.asoc") for text in items)
    assert page.status.text().startswith("✕ 2 problems")
    assert page.diagram_label.text() == "showing the last valid version" and page.diagram.svg

    page.problems.setCurrentRow(0)
    page._jump(page.problems.item(0))
    assert page.editor.textCursor().blockNumber() + 1 == int(items[0].split(":")[0].split()[1])


def test_malformed_toml_and_included_file_problems(qtbot, tmp_path):
    page = EditorPage()
    qtbot.addWidget(page)
    page.set_text("version = 1\n[machine]\nname = \n", str(tmp_path / "m.toml"))
    result = validated(page, qtbot)
    assert not result.ok and page.problem_lines() and 3 in page.problem_lines()
    text = 'version = 1\ninclude = ["base.toml"]\n'
    assert problem_line(Problem(str(tmp_path / "base.toml"), "components.x.size", "bad"), text, "m.toml") == 2


def test_save_as_new_machine_and_use_it(qtbot, tmp_path):
    page = EditorPage()
    qtbot.addWidget(page)
    page.set_text(VIRT.replace('"virt-rv64"', '"my-variant"'), "")
    validated(page, qtbot)  # untitled: includes resolve from ./configs
    path = tmp_path / "variant.toml"
    absolute = f'include = ["{CONFIGS / "include/virt-devices.toml"}"]'
    page.editor.setPlainText(page.editor.toPlainText().replace('include = ["include/virt-devices.toml"]', absolute))
    assert page.write(str(path))
    assert path.read_text() == page.editor.toPlainText()
    assert page.path == str(path) and not page.editor.document().isModified()
    result = validated(page, qtbot)
    assert result.ok and result.graph.name == "my-variant"
    text, name, base = page.source()
    assert name == str(path) and base == str(tmp_path)


def test_new_machine_template_is_valid_from_any_working_directory(qtbot, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no configs/ here
    page = EditorPage()
    qtbot.addWidget(page)
    page.new()
    qtbot.waitUntil(lambda: page.current is not None, timeout=WAIT)
    assert page.current.ok, page.current.problems
    assert page.status.text().startswith("✓ valid")
