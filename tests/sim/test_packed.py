"""Guest files committed as .xz are unpacked next to it on first use, and again when the .xz is
newer than the unpacked file (a checkout that brought a rebuilt image), never otherwise."""

import lzma
import os

from graphsim.sim.packed import unpacked


def test_unpacked_on_first_use_and_again_when_the_xz_is_newer(tmp_path):
    plain = tmp_path / "rootfs.ext4"
    (tmp_path / "rootfs.ext4.xz").write_bytes(lzma.compress(b"first build"))
    assert unpacked(str(plain)) == str(plain) and plain.read_bytes() == b"first build"
    plain.write_bytes(b"edited here")  # newer than the .xz: left alone
    assert unpacked(str(plain)) == str(plain) and plain.read_bytes() == b"edited here"
    (tmp_path / "rootfs.ext4.xz").write_bytes(lzma.compress(b"second build"))
    os.utime(plain, (1, 1))  # the .xz is now the newer
    unpacked(str(plain))
    assert plain.read_bytes() == b"second build"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rootfs.ext4", "rootfs.ext4.xz"]


def test_a_file_without_xz_is_itself(tmp_path):
    assert unpacked(str(tmp_path / "missing.img")) == str(tmp_path / "missing.img")
    assert not (tmp_path / "missing.img").exists()
