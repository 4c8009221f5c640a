import hashlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def need_tool(tool: str, package: str = "qemu-system-misc") -> None:
    """Skips a test without `tool` on a developer's machine; fails it under CI (CI=true),
    where the README's set-up must have installed it."""
    if shutil.which(tool) is None:
        message = f"{tool} not found (Debian package {package}; the README's set-up installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


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


@pytest.fixture(scope="session", autouse=True)
def base_images_are_never_written():
    """Every disk image under assets/ is byte-for-byte the same after the whole session."""
    images = sorted(ROOT.glob("assets/**/*.img"))

    def digests():
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in images}

    before = digests()
    yield
    assert digests() == before, "a base disk image was modified"


@pytest.fixture(autouse=True)
def private_library(tmp_path_factory, monkeypatch):
    """Checkpoints taken without --library never reach the user's real library."""
    monkeypatch.setenv("GRAPHSIM_LIBRARY", str(tmp_path_factory.mktemp("default-library")))
