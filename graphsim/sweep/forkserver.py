"""Imported once by the forkserver that starts the worker processes of graphsim's own Dask
LocalCluster (graphsim/sweep/execute.py): it imports graphsim and loads the compiled kernels
of the CPU models named in ``GRAPHSIM_PRELOAD_MODELS`` (comma-separated), so that each worker
forked from it starts with them in memory. Started with ``spawn``, every worker paid that
itself, about 2 s of CPU each; the forkserver pays it once.

Forking is safe here because the forkserver is a fresh process with a single thread: it
imports, loads, and then only forks. The client process, which runs Dask's event loop in
threads, never forks. A failure here only loses the head start: the worker then loads the
kernels itself before its first point (``prepare_models``) and reports any error there.
"""

from __future__ import annotations

import os


def _preload():
    models = [m for m in os.environ.get("GRAPHSIM_PRELOAD_MODELS", "").split(",") if m]
    try:
        from . import worker

        worker.prepare_models(models, freeze=True)  # frozen also keeps the forked copies' pages shared
    except Exception:  # noqa: BLE001 — see the module's docstring
        pass


_preload()
