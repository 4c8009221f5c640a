"""The CPU's ISA string in a machine file: F/D selection, G, refusals naming the key, and the
device tree's riscv,isa."""

import subprocess
import sys

from graphsim.config.loader import load_machine
from graphsim.graph.dtb import BootInfo, generate_dtb
from graphsim.graph.elaborate import elaborate
from tests.conftest import CONFIGS, ROOT


def test_d_without_f_is_refused_naming_the_key():
    result = subprocess.run([sys.executable, "-m", "graphsim.cli", "validate", str(CONFIGS / "virt-rv64.toml"),
                             "--set", "components.cpu.isa=rv64imadc_zicsr"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "components.cpu.isa" in result.stderr and "D requires F" in result.stderr


def test_device_tree_lists_f_and_d_with_g_expanded():
    for isa, want in (("rv64gc", b"rv64imafdc_zicsr_zifencei\0"), ("rv64imac_zicsr_zifencei", b"rv64imac_zicsr_zifencei\0"),
                      ("rv64imafc_zicsr_zifencei", b"rv64imafc_zicsr_zifencei\0")):
        machine = elaborate(load_machine(CONFIGS / "virt-rv64.toml", [f"components.cpu.isa={isa}"]))
        assert want in generate_dtb(machine, BootInfo(""))
