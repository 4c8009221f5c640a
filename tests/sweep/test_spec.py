"""Bad sweep files: one-line errors naming the file and key, before any point runs."""

import pytest

from graphsim.cli import main
from graphsim.sweep.spec import load_sweep

GOOD_AXES = '[axes]\ncpu = ["timing"]\n'


def sweep_errors(capsys, path, tmp_path, *extra) -> tuple[int, list[str]]:
    code = main(["sweep", path, "--outdir", str(tmp_path / "out"), *extra])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err.splitlines()


@pytest.mark.parametrize("body,key,words", [
    ('[axes]\ncpu = ["timing"]\n[run]\ninsts = 10\n', "run", "malformed TOML"),
    ('[axes]\n"components.l1d.size" = ["16KiB", "32KHz"]\n', "axes.components.l1d.size", "32KHz"),
    ('[axes]\ncomponents.l1d.size = ["16KiB", 3]\n', "axes.components.l1d.size", "3"),
    ('[axes]\ncpu = []\n', "axes.cpu", "empty axis"),
    ('[axes]\ncpu = ["timing", "outoforder"]\n', "axes.cpu", "expected one of"),
    ('[axes]\n"components.l1d.sise" = ["16KiB"]\n', "axes.components.l1d.sise", "unknown parameter"),
    ('[axes]\n"components.l3.size" = ["1MiB"]\n', "axes.components.l3.size", "l3"),
    ('[axes]\ncpu = ["timing"]\n[[points]]\ncpu = "timing"\n', "points", "not both"),
    ('[[points]]\ncpu = "timing"\n[[points]]\n"components.l1d.size" = "16KiB"\n', "points[0]", "does not set"),
])
def test_a_bad_sweep_file_names_the_key(capsys, tmp_path, sweep_file, body, key, words):
    code, lines = sweep_errors(capsys, sweep_file(body), tmp_path)
    assert code != 0
    mine = [line for line in lines if f": {key}:" in line or (words == "malformed TOML" and words in line)]
    assert mine and mine[0].startswith("error: ") and words in mine[0], lines
    assert not (tmp_path / "out").exists()  # nothing ran


def test_a_bad_run_table_and_an_unknown_checkpoint(capsys, tmp_path, benchmark_library):
    path = tmp_path / "s.toml"
    path.write_text(f'version = 1\n[sweep]\nlibrary = "{benchmark_library}"\n[start]\ncheckpoint = "nope"\n'
                    f'[run]\ninsts = -5\nuntil = "forever"\n{GOOD_AXES}')
    code, lines = sweep_errors(capsys, str(path), tmp_path)
    assert code != 0
    assert any("run.insts: -5 is not an integer >= 1" in line for line in lines), lines
    assert any("run.until: 'forever'" in line for line in lines), lines
    path.write_text(f'version = 1\n[sweep]\nlibrary = "{benchmark_library}"\n[start]\ncheckpoint = "nope"\n'
                    f'{GOOD_AXES}')
    code, lines = sweep_errors(capsys, str(path), tmp_path)
    assert code != 0 and lines == [f"error: {path}: start.checkpoint: no checkpoint 'nope' in {benchmark_library}"]


def test_unknown_keys_anywhere(capsys, tmp_path, sweep_file):
    code, lines = sweep_errors(capsys, sweep_file(GOOD_AXES, extra='nmae = "x"'), tmp_path)
    assert code != 0 and any(": sweep.nmae: unknown key" in line for line in lines), lines
    path = tmp_path / "top.toml"
    path.write_text("version = 1\nbogus = 1\n[start]\ncheckpoint = 'x'\n" + GOOD_AXES)
    code, lines = sweep_errors(capsys, str(path), tmp_path)
    assert code != 0 and lines == [f"error: {path}: bogus: unknown key (expected one of axes, points, run, "
                                   "start, stats, sweep, version)"]


def test_a_missing_or_newer_version(capsys, tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(GOOD_AXES)
    assert sweep_errors(capsys, str(path), tmp_path)[1] == [
        f"error: {path}: version: missing; a sweep file starts with 'version = 1'"]
    path.write_text("version = 9\n" + GOOD_AXES)
    assert "newer than this graphsim reads" in sweep_errors(capsys, str(path), tmp_path)[1][0]


def test_points_the_checkpoint_cannot_restore_onto_are_reported_and_skipped(capsys, tmp_path, sweep_file):
    path = sweep_file('[axes]\ncpu = ["timing"]\n"components.ram.size" = ["128MiB", "64MiB"]\n')
    code = main(["sweep", path, "--check"])
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert code == 1 and "1 point(s) runnable, 1 incompatible" in captured.out
    assert any("point 1 (cpu=timing, components.ram.size=64MiB): incompatible:" in line and "ram" in line
               for line in lines), lines
    only_bad = sweep_file('[axes]\n"components.ram.size" = ["64MiB"]\n', name="bad.toml")
    code, lines = sweep_errors(capsys, only_bad, tmp_path)
    assert code != 0 and any("no point of the sweep can restore the checkpoint" in line for line in lines), lines


def test_axes_written_with_bare_dotted_keys_and_explicit_points(tmp_path, sweep_file):
    grid = load_sweep(sweep_file('[axes]\ncomponents.l1d.size = ["8KiB", "16KiB"]\ncpu = ["timing", "pipelined"]\n'))
    assert grid.axes == ["components.l1d.size", "cpu"] and len(grid.points) == 4
    assert grid.points[3].values == {"components.l1d.size": "16KiB", "cpu": "pipelined"}
    assert grid.points[3].overrides() == ['components.l1d.size="16KiB"']
    listed = load_sweep(sweep_file('[[points]]\ncpu = "timing"\ncomponents.l2.size = "1MiB"\n'
                                   '[[points]]\ncpu = "pipelined"\n"components.l2.size" = "256KiB"\n', name="p.toml"))
    assert [p.values for p in listed.points] == [{"cpu": "timing", "components.l2.size": "1MiB"},
                                                 {"cpu": "pipelined", "components.l2.size": "256KiB"}]
    assert listed.points[0].id != listed.points[1].id
