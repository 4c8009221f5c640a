"""Guest files committed compressed (``Image.xz``, ``rootfs-a.ext4.xz``): a
machine file names the plain file, which is unpacked next to its ``.xz`` the
first time something opens it, and again when the ``.xz`` is newer than it
(a checkout that brought a rebuilt image)."""

from __future__ import annotations

import lzma
import os
import sys

from ..errors import GraphsimError


def unpacked(path: str) -> str:
    """``path``; when ``path.xz`` exists and ``path`` does not, or is older, it is unpacked to ``path``
    first (with a progress line)."""
    packed = path + ".xz"
    if not path or not os.path.exists(packed) or \
            os.path.exists(path) and os.path.getmtime(path) >= os.path.getmtime(packed):
        return path
    print(f"[graphsim] unpacking {packed} (once) ...", file=sys.stderr, end="", flush=True)
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with lzma.open(packed) as src, open(tmp, "wb") as dst:
            while block := src.read(1 << 22):
                dst.write(block)
        os.replace(tmp, path)
    except (OSError, lzma.LZMAError) as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        print(file=sys.stderr)
        raise GraphsimError(f"{packed}: cannot unpack: {exc}") from None
    print(f" {os.path.getsize(path) / 2**20:.1f} MiB", file=sys.stderr)
    return path
