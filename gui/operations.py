"""Library operations the app runs in worker threads: pure Python, no Qt.

Each opens its own `Library` (an SQLite connection belongs to its thread); the
app's catalog picks the changes up on its next refresh.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphsim.checkpoint.format import CheckpointError
from graphsim.checkpoint.library import Library
from graphsim.config.schema import component_kinds


@dataclass
class Verified:
    id: str
    ok: bool
    message: str


def verify(root: str, ids: list[str], abort=None, progress=None) -> list[Verified]:
    """Read and check every file and chunk of each checkpoint (the damaged ones fail at once)."""
    library = Library(root, create=False)
    kinds = component_kinds()
    out = []
    try:
        for n, cpt_id in enumerate(ids):
            if abort is not None and abort.is_set():
                break
            if progress is not None:
                progress((n, len(ids), cpt_id))
            if cpt_id in library.damaged:
                out.append(Verified(cpt_id, False, library.damaged[cpt_id]))
                continue
            try:
                library.load(cpt_id, kinds)
                out.append(Verified(cpt_id, True, "every file and chunk checks out"))
            except CheckpointError as exc:
                out.append(Verified(cpt_id, False, str(exc)))
    finally:
        library.close()
    return out


def remove(root: str, ids: list[str]) -> list[str]:
    """Delete checkpoints (shared chunks are kept until gc); returns the ids removed."""
    library = Library(root, create=False)
    try:
        for cpt_id in ids:
            library.remove(cpt_id)
    finally:
        library.close()
    return list(ids)


def export(root: str, cpt_id: str, path: str) -> str:
    library = Library(root, create=False)
    try:
        library.export(cpt_id, path)
    finally:
        library.close()
    return path


def import_(root: str, path: str) -> str:
    """Add an exported checkpoint (verified completely first); returns its id."""
    library = Library(root, create=False)
    try:
        return library.import_(path, component_kinds())
    finally:
        library.close()
