"""`graphsim checkpoints list|show|verify|note|rm|export|import|gc` on a library made by real runs."""

import subprocess
import sys

from tests.conftest import CONFIGS, ROOT


def graphsim(*args):
    return subprocess.run([sys.executable, "-m", "graphsim.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def test_library_commands(tmp_path):
    lib = str(tmp_path / "lib")
    run = graphsim("run", str(CONFIGS / "virt-rv64.toml"), "--kernel", "assets/guest/build/sieve.elf",
                   "--checkpoint-at-inst", "100000", "--checkpoint-at-inst", "200000", "--max-insts", "200001",
                   "--library", lib, "--name", "early", "--quiet", "--outdir", str(tmp_path / "run"))
    assert run.returncode == 0, run.stderr
    listing = graphsim("checkpoints", "--library", lib, "list")
    lines = listing.stdout.splitlines()
    assert lines[1].startswith("early") and lines[2].startswith("  └ cpt-")  # the second is the first's child
    assert "100,000" in lines[1] and "200,000" in lines[2]

    assert graphsim("checkpoints", "--library", lib, "note", "early", "sieve warmed up").returncode == 0
    show = graphsim("checkpoints", "--library", lib, "show", "early").stdout
    assert "note        sieve warmed up" in show and "used extensions C,M" in show

    verify = graphsim("checkpoints", "--library", lib, "verify")
    assert verify.returncode == 0 and verify.stdout.count("ok ") == 2

    archive = str(tmp_path / "early.tar")
    assert graphsim("checkpoints", "--library", lib, "export", "early", archive).returncode == 0
    other = str(tmp_path / "other")
    imported = graphsim("checkpoints", "--library", other, "import", archive)
    assert imported.returncode == 0 and imported.stdout.startswith("imported cpt-")
    assert graphsim("checkpoints", "--library", other, "verify").returncode == 0

    assert graphsim("checkpoints", "--library", lib, "rm", "early").returncode == 0
    child_still_verifies = graphsim("checkpoints", "--library", lib, "verify")
    assert child_still_verifies.returncode == 0 and child_still_verifies.stdout.count("ok ") == 1
    gc = graphsim("checkpoints", "--library", lib, "gc")
    assert gc.returncode == 0 and gc.stdout.startswith("freed ")

    missing = graphsim("checkpoints", "--library", lib, "show", "nope")
    assert missing.returncode == 6 and missing.stderr.strip() == f"error: no checkpoint 'nope' in {lib}"
