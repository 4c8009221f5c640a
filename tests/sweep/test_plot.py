"""`graphsim sweep plot`: a statistic against one axis, one line per value of another; heat maps."""

import pytest

from graphsim.cli import main


def test_a_line_plot_and_a_heat_map(capsys, grid_results, tmp_path):
    png = tmp_path / "ipc.png"
    assert main(["sweep", "plot", grid_results, "--stat", "system.cpu.ipc", "--x", "components.l1d.size",
                 "--by", "cpu", "-o", str(png)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {png}: system.cpu.ipc against components.l1d.size, one line per cpu, components.l2.size" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    svg = tmp_path / "misses.svg"
    assert main(["sweep", "plot", grid_results, "--stat", "system.l1d.overallMisses", "--heatmap",
                 "--x", "components.l1d.size", "--by", "components.l2.size", "--where", "cpu=timing",
                 "-o", str(svg)]) == 0
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "heat map of system.l1d.overallMisses" in capsys.readouterr().out


@pytest.mark.parametrize("args,message", [
    (["--stat", "system.nothing"], "--stat system.nothing: not in the results"),
    (["--x", "components.l9.size"], "--x components.l9.size: not an axis"),
    (["--heatmap", "--x", "cpu", "--by", "components.l2.size"], "fix the others with --where"),
    (["--where", "cpu"], "--where 'cpu': expected AXIS=VALUE"),
    (["-o", "plot.jpg"], "ends in .png, .svg or .pdf"),
])
def test_plot_errors_are_one_line(capsys, grid_results, tmp_path, args, message):
    if "-o" not in args:
        args = args + ["-o", str(tmp_path / "p.png")]
    assert main(["sweep", "plot", grid_results, *args]) != 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err


def test_plot_of_something_that_is_not_results(capsys, tmp_path):
    (tmp_path / "results.json").write_text("[1, 2]")
    assert main(["sweep", "plot", str(tmp_path)]) != 0
    assert "not a sweep results file" in capsys.readouterr().err
