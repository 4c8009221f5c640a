"""The details pane shows a SimPoint sample's place in its sampled set and, once the detailed
runs are done, the set's report (a library made by `graphsim simpoint` steps on a real guest)."""

import json

from graphsim.checkpoint.library import Library
from graphsim.cli import main
from gui.details import DetailsPane

from .conftest import CONFIGS, GUESTS


def test_details_show_the_sampled_set(qtbot, tmp_path):
    outdir, library = str(tmp_path / "sp"), str(tmp_path / "library")
    assert main(["simpoint", "profile", str(CONFIGS / "virt-rv64.toml"), "--kernel",
                 str(GUESTS / "build" / "phases.elf"), "--interval", "1000000", "--outdir", outdir,
                 "--library", library]) == 0
    assert main(["simpoint", "cluster", outdir, "--max-k", "3"]) == 0
    assert main(["simpoint", "checkpoint", outdir, "--samples", "1"]) == 0
    lib = Library(library)
    sample = json.load(open(f"{outdir}/checkpoints.json"))["samples"][0]
    pane = DetailsPane()
    qtbot.addWidget(pane)
    pane.show_checkpoint(lib.manifest(sample["checkpoint"]))
    text = pane.overview.toPlainText()
    assert "Sampled set" in text
    assert f"cluster {sample['cluster']}" in text and f"weight {sample['weight']:.4f}" in text
    assert f"{sample['warmup']:,} instructions of cache and predictor warm-up" in text
    assert "no report yet" in text
    assert main(["simpoint", "run", outdir, "--workers", "1"]) == 0
    report = json.load(open(f"{outdir}/results.json"))
    start = json.load(open(f"{outdir}/profile.json"))["start_checkpoint"]
    pane.show_checkpoint(lib.manifest(start))
    text = pane.overview.toPlainText()
    assert "Start of a SimPoint region" in text and "Report" in text
    assert f"estimated CPI {report['estimate']['cpi']:.4f}" in text
    for s in report["samples"]:  # the set: every sample with its measured CPI
        assert s["checkpoint"] in text and f"{s['measures']['cpi']:.4f}" in text
