"""The Sweeps tab: a real sweep's results table and plot, a point's run, and relaunching a point
as a restore whose statistics equal the point's."""

import json
from pathlib import Path

import pytest

from graphsim.checkpoint.library import Library
from graphsim.checkpoint.take import take_checkpoint
from graphsim.sim.machine import RunLimits
from tests.guests import boot_guest
from tests.sweep.conftest import sweep_in_process, write_sweep

RUN_WAIT = 120000
AXES = '[axes]\n"components.l1d.size" = ["8KiB", "32KiB"]\ncpu = ["timing", "pipelined"]\n'
HOST_STATS = ("hostSeconds", "hostInstRate")


@pytest.fixture(scope="module")
def sweep_results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gui-sweep")
    library = Library(str(tmp / "lib"))
    machine = boot_guest("matmul")
    machine.run(RunLimits(max_insts=300_000))
    take_checkpoint(machine, library, {"kind": "inst", "detail": "300000"}, name="matmul-300k")
    machine.close()
    library.close()
    return tmp / "lib", sweep_in_process(write_sweep(tmp, tmp / "lib", AXES, run="insts = 200_000"), tmp / "out")


def test_results_table_plot_and_a_points_run(window_on, sweep_results, qtbot):
    root, results = sweep_results
    win = window_on(root)
    page = win.sweeps
    assert win.tabs.tabText(win.SWEEPS) == "Sweeps"
    assert page.open(results)
    assert page.model.rowCount() == 4
    assert page.model.columns[:3] == ["status", "components.l1d.size", "cpu"]
    assert "system.cpu.ipc" in page.model.columns and page.model.columns[-1] == "wall s"
    assert {page.model.value(r, 0) for r in range(4)} == {"ok"}
    page.stat.setCurrentText("system.l1d.overallMisses")
    assert page.plot_message.text() == "system.l1d.overallMisses against components.l1d.size, one line per cpu"
    page.by_axis.setCurrentText("cpu")
    page.heatmap.setChecked(True)
    assert page.plot_message.text().startswith("heat map of system.l1d.overallMisses")
    assert page.figure.axes  # something was drawn
    assert not page.open_run_button.isEnabled()
    page.select_point(3)
    assert page.open_run_button.isEnabled() and page.relaunch_button.isEnabled()
    page.open_run()
    text = page.run_view.toPlainText()
    assert "status ok" in text and "── stats.txt ──" in text and "system.cpu.ipc" in text


def test_a_bad_results_file_is_reported(window_on, sweep_results, tmp_path):
    root, _ = sweep_results
    win = window_on(root)
    (tmp_path / "results.json").write_text("{}")
    assert not win.sweeps.open(str(tmp_path))
    assert "not a sweep results file" in win.sweeps.where.text()


@pytest.mark.slow
def test_relaunching_a_point_as_a_restore_gives_the_points_statistics(window_on, sweep_results, qtbot):
    root, results = sweep_results
    win = window_on(root)
    page = win.sweeps
    page.open(results)
    page.select_point(1)
    row = page.selected()
    assert row["values"] == {"components.l1d.size": "8KiB", "cpu": "pipelined"}
    page.relaunch()
    assert win.tabs.currentIndex() == win.RUNS
    panel = win.runs.panels()[-1]
    qtbot.waitUntil(lambda: panel.exit_code is not None, timeout=RUN_WAIT)
    assert panel.exit_code == 0
    strip = lambda dumps: [{k: v for k, v in d["stats"].items() if k not in HOST_STATS} for d in dumps]  # noqa: E731
    mine = json.loads(Path(page.run_dir(row), "stats.json").read_text())
    theirs = json.loads(Path(panel.request.outdir, "stats.json").read_text())
    assert strip(theirs) == strip(mine)
