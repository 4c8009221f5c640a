import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def machine_file(tmp_path):
    """Write a machine file beside a copy-free include of the virt platform; returns its path."""

    def make(body: str, name: str = "m.toml", include_platform: bool = True) -> Path:
        header = "version = 1\n"
        if include_platform:
            header += f"include = ['{CONFIGS / 'include' / 'virt-devices.toml'}']\n"
        path = tmp_path / name
        path.write_text(header + body)
        return path

    return make
