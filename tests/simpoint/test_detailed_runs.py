"""The detailed runs on a real Dask LocalCluster: workers on this host restore each sample
straight from the library; shipped as exported archives (the path for workers elsewhere),
or falling back to them when the workers do not see the library or see a damaged copy, the
samples measure exactly the same; a damaged checkpoint in the client's own library is a
clear error."""

from __future__ import annotations

import json
import shutil

import distributed  # noqa: F401  (a missing Dask fails these tests)
import pytest

from graphsim.checkpoint.library import Library, chunk_refs
from graphsim.cli import main
from graphsim.simpoint.bbv import matrix, read_bbv
from graphsim.simpoint.cluster import fit_clusters, import_clustering
from graphsim.simpoint.run import DetailedRuns
from graphsim.sweep.execute import Cluster
from tests.simpoint.test_simpoint import MACHINE, elf


@pytest.fixture(scope="module")
def sample_set(tmp_path_factory):
    """A profile of the phases guest with one sample per cluster, checkpointed."""
    tmp = tmp_path_factory.mktemp("detailed")
    outdir, library = str(tmp / "phases"), str(tmp / "library")
    for step in (["profile", MACHINE, "--kernel", elf("phases"), "--interval", "500000", "--outdir", outdir,
                  "--library", library], ["cluster", outdir, "--max-k", "3"],
                 ["checkpoint", outdir, "--samples", "1", "--warmup", "200000"]):
        assert main(["simpoint", *step]) == 0
    samples = json.load(open(f"{outdir}/checkpoints.json"))["samples"]
    assert len(samples) >= 2
    return outdir, library, samples


def measured(runs: DetailedRuns, cluster: Cluster, samples: list[dict]) -> list[dict]:
    runs.start(cluster)
    runs.check(samples)
    for s in samples:
        runs.submit(s)
    return [(s["checkpoint"], s["measures"]) for s in runs.finish()["samples"]]


def test_clusters_fitted_on_a_worker_and_samples_from_the_library_or_shipped_are_the_same(sample_set, tmp_path):
    outdir, library, samples = sample_set
    cluster = Cluster(None, 2, ["atomic_warm", "pipelined"], warm=import_clustering)
    try:
        # the one command fits the clusters on the worker that imported scikit-learn: the same result
        prof = json.load(open(f"{outdir}/profile.json"))
        args = (matrix(read_bbv(f"{outdir}/profile.bb.gz")), prof["interval_insts"], prof["interval"],
                json.load(open(f"{outdir}/clusters.json"))["options"])
        assert cluster.on_warm_worker(fit_clusters, *args) == fit_clusters(*args) == \
            json.load(open(f"{outdir}/clusters.json"))

        direct = DetailedRuns(outdir)
        from_library = measured(direct, cluster, samples)
        assert direct.shipped == 0  # every worker restored from the library

        ship = DetailedRuns(outdir, share_library=False)
        assert measured(ship, cluster, samples) == from_library
        assert ship.shipped == len(samples)

        # workers that do not see the library (as one on another host): every sample falls back
        unseen = DetailedRuns(outdir)
        unseen.shared_root = str(tmp_path / "not-mounted-here")
        assert measured(unseen, cluster, samples) == from_library
        assert unseen.shipped == len(samples) and unseen.shared_root is None

        # a copy of the library whose chunk of one sample is damaged: that sample is shipped
        copy = tmp_path / "copy"
        shutil.copytree(library, copy)
        lib = Library(library)
        start = chunk_refs(lib.manifest(json.load(open(f"{outdir}/profile.json"))["start_checkpoint"]))
        own = sorted(chunk_refs(lib.manifest(samples[-1]["checkpoint"])) - start)
        assert own
        with open(Library(str(copy)).store.path(own[0]), "r+b") as f:
            f.seek(8)
            f.write(b"\xff\x00\xff\x00")
        damaged_copy = DetailedRuns(outdir)
        damaged_copy.shared_root = str(copy)
        assert measured(damaged_copy, cluster, samples) == from_library
        assert 1 <= damaged_copy.shipped < len(samples)
    finally:
        cluster.close()


def test_a_damaged_sample_in_the_library_is_a_clear_error(sample_set, tmp_path, capsys):
    outdir, library, samples = sample_set
    copy_lib, copy_out = tmp_path / "library", tmp_path / "phases"
    shutil.copytree(library, copy_lib)
    shutil.copytree(outdir, copy_out)
    prof = json.load(open(copy_out / "profile.json"))
    prof["library"] = str(copy_lib)
    json.dump(prof, open(copy_out / "profile.json", "w"))
    lib = Library(str(copy_lib))
    start = chunk_refs(lib.manifest(prof["start_checkpoint"]))
    own = sorted(chunk_refs(lib.manifest(samples[0]["checkpoint"])) - start)
    with open(lib.store.path(own[0]), "r+b") as f:
        f.seek(8)
        f.write(b"\xff\x00\xff\x00")
    capsys.readouterr()
    assert main(["simpoint", "run", str(copy_out), "--workers", "1"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err, err
    assert f"chunk {own[0][:16]}" in err and samples[0]["checkpoint"] in err, err
