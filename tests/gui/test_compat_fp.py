"""The compatibility page shows the F/D findings like any other: FP in use against a target
without F/D is incompatible (with the generic explanation), an FP-capable machine whose guest
never used FP is only a change."""

from tests.checkpoint.test_fp_checkpoints import FP_HEAVY
from tests.cpu.asm import assemble

from .conftest import CONFIGS, GUESTS, cli
from .test_compat import compare, rows


def test_fp_findings_on_the_compat_page(window_on, tmp_path, qtbot):
    root = tmp_path / "lib"
    elf = assemble(FP_HEAVY, march="rv64gc_zicsr_zifencei")
    cli("run", CONFIGS / "virt-rv64.toml", "--set", "components.cpu.isa=rv64gc", "--kernel", elf,
        "--checkpoint-at-inst", 20_000, "--max-insts", 20_000, "--library", root, "--quiet", "--name", "fp",
        "--outdir", tmp_path / "fp")
    cli("run", CONFIGS / "virt-rv64.toml", "--set", "components.cpu.isa=rv64gc", "--kernel",
        GUESTS / "build" / "sieve.elf", "--checkpoint-at-inst", 20_000, "--max-insts", 20_000, "--library", root,
        "--quiet", "--name", "int", "--outdir", tmp_path / "int")
    window = window_on(root)
    ids = {e.name: e.id for e in window.library.entries()}
    page = window.compat
    page.set_source(ids["fp"])
    page.form.set_file(str(CONFIGS / "virt-rv64.toml"))  # rv64imac
    result = compare(page, qtbot)
    assert result.code == 2
    bad = [r for r in rows(page.findings) if r[0] == "incompatible"]
    for ext in ("F", "D"):
        assert any(f"checkpoint uses extension {ext}; target rv64imac_zicsr_zifencei lacks it" in r[2]
                   and f"executed {ext} instructions" in r[3] for r in bad)
    page.set_source(ids["int"])
    page.form.set_file(str(CONFIGS / "virt-rv64.toml"))
    result = compare(page, qtbot)
    assert result.code == 0
    found = rows(page.findings)
    assert {r[0] for r in found if "never used" in r[2]} == {"changed"}
    assert any("extension F enabled in the checkpoint but never used" in r[2] for r in found)
