"""Sweeps: one checkpoint (or boot), many machines, on this computer or a Dask cluster.

spec.py reads sweep files, plan.py checks every point before anything runs,
execute.py runs the points on Dask, worker.py is what a worker runs for one
point, results.py keeps the results table, plot.py draws it.
"""
