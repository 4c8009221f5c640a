"""Upgraders for breaking changes of a component's state layout.

Additive changes need none: a field declared with ``since = N`` is absent from
older checkpoints and starts zeroed. A breaking change bumps the kind's
``state_version`` and registers a function that turns the fields of version N
into those of N+1; restore chains them. A version with no upgrader is an error
naming the component, never a silent guess.
"""

from __future__ import annotations

from typing import Callable

import numpy as np



Fields = dict[str, np.ndarray]
UPGRADERS: dict[tuple[str, int], Callable[[Fields], Fields]] = {}


def upgrader(kind: str, from_version: int):
    """Register ``fn(fields) -> fields`` taking ``kind`` state from ``from_version`` to the next version."""

    def register(fn):
        UPGRADERS[(kind, from_version)] = fn
        return fn

    return register


def upgrade_component_state(kind: str, version: int, target: int, fields: Fields, where: str) -> Fields:
    from ..checkpoint.format import CheckpointError

    while version < target:
        step = UPGRADERS.get((kind, version))
        if step is None:
            raise CheckpointError(f"{where}: no upgrader for {kind} state version {version} -> {version + 1}")
        fields = step(dict(fields))
        version += 1
    return fields



