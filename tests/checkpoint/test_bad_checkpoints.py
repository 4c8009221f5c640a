"""Damaged checkpoints and impossible targets: one line, a distinct exit code, no traceback,
nothing created, base images untouched."""

import subprocess
import sys

import pytest

from tests.conftest import CONFIGS, ROOT

DISK_A = ROOT / "assets" / "guest" / "disk" / "test.img"
DISK_B = ROOT / "assets" / "guest" / "disk" / "test2.img"


def graphsim(*args):
    return subprocess.run([sys.executable, "-m", "graphsim.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    lib = tmp_path_factory.mktemp("lib")
    result = graphsim("run", str(CONFIGS / "virt-rv64-disk.toml"), "--kernel", "assets/guest/build/virtio_blk_read.elf",
                      "--checkpoint-at-inst", "200000", "--max-insts", "200001", "--library", str(lib), "--quiet",
                      "--outdir", str(lib / "run"), "--name", "disk")
    assert result.returncode == 0, result.stderr
    return lib


def fresh_copy(library, tmp_path):
    import shutil

    copy = tmp_path / "lib"
    shutil.copytree(library, copy)
    cpt = next(p for p in (copy / "checkpoints").iterdir() if not p.name.startswith("."))
    return copy, cpt


def restore(lib, *extra):
    return graphsim("restore", "disk", "--library", str(lib), "--quiet", "--max-insts", "100000", "--outdir",
                    str(lib / "restored"), *extra)


def check_refused(result, code, message, lib):
    assert result.returncode == code, (result.returncode, result.stderr)
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (lib / "restored").exists()  # nothing was built or written


def test_restore_works_untouched(library, tmp_path):
    lib, _ = fresh_copy(library, tmp_path)
    result = restore(lib)
    assert result.returncode == 0, result.stderr


def test_truncated_state(library, tmp_path):
    from graphsim.checkpoint.format import read_manifest

    lib, cpt = fresh_copy(library, tmp_path)
    digest = read_manifest(str(cpt))["components"]["cpu"]["state_chunk"]
    chunk = lib / "chunks" / digest[:2] / (digest[2:] + ".zst")
    chunk.write_bytes(chunk.read_bytes()[:20])
    check_refused(restore(lib), 3, f"components.cpu: state chunk {digest[:16]} is corrupt", lib)


def test_bit_flipped_chunk(library, tmp_path):
    lib, _ = fresh_copy(library, tmp_path)
    chunk = next((lib / "chunks").rglob("*.zst"))
    raw = bytearray(chunk.read_bytes())
    raw[len(raw) // 2] ^= 1
    chunk.write_bytes(bytes(raw))
    check_refused(restore(lib), 3, " chunk ", lib)


def test_missing_chunk(library, tmp_path):
    lib, _ = fresh_copy(library, tmp_path)
    next((lib / "chunks").rglob("*.zst")).unlink()
    check_refused(restore(lib), 3, "is missing", lib)


def test_manifest_edited_by_hand(library, tmp_path):
    lib, cpt = fresh_copy(library, tmp_path)
    manifest = cpt / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('xlen = 64', 'xlen = 32', 1))
    check_refused(restore(lib), 3, "checksum: does not match the content (edited by hand or damaged)", lib)


def test_too_new_format(library, tmp_path):
    from graphsim.checkpoint.format import read_manifest, write_manifest

    lib, cpt = fresh_copy(library, tmp_path)
    manifest = read_manifest(str(cpt))
    manifest["format_version"] = 2
    write_manifest(str(cpt), manifest)
    check_refused(restore(lib), 4, "format_version 2 is newer than this graphsim reads (1); upgrade graphsim", lib)


def test_other_xlen(library, tmp_path):
    lib, _ = fresh_copy(library, tmp_path)
    result = restore(lib, "--config", str(CONFIGS / "virt-rv32.toml"))
    check_refused(result, 2, "incompatible xlen: checkpoint is RV64; target is RV32", lib)


def test_target_lacking_a_used_extension(library, tmp_path):
    lib, _ = fresh_copy(library, tmp_path)
    result = restore(lib, "--set", "components.cpu.isa=rv64iac_zicsr_zifencei")
    check_refused(result, 2, "checkpoint uses extension M; target rv64iac_zicsr_zifencei lacks it", lib)


def test_missing_disk_image(library, tmp_path):
    lib, _ = fresh_copy(library, tmp_path)
    check_refused(restore(lib, "--disk", "disk0=/nonexistent.img"), 5, "disk image /nonexistent.img", lib)


def test_swapped_disk_needs_allow_warnings(library, tmp_path):
    lib, _ = fresh_copy(library, tmp_path)
    check_refused(restore(lib, "--disk", f"disk0={DISK_B}"), 1, "warning      disk0: image swapped", lib)
    assert restore(lib, "--disk", f"disk0={DISK_B}", "--allow-warnings").returncode == 0


def test_compat_command_exit_codes(library, tmp_path):
    lib, _ = fresh_copy(library, tmp_path)
    same = graphsim("compat", "disk", "--library", str(lib))
    assert same.returncode == 0 and same.stdout.strip().endswith("restorable")
    slower = graphsim("compat", "disk", "--library", str(lib), "--cpu", "atomic", "--set",
                      "components.clint.timebase_frequency=1MHz")
    assert slower.returncode == 1 and "warning      timebase" in slower.stdout
    rv32 = graphsim("compat", "disk", str(CONFIGS / "virt-rv32.toml"), "--library", str(lib))
    assert rv32.returncode == 2 and "incompatible" in rv32.stdout
