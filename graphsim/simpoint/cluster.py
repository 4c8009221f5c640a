"""Clustering of basic-block vectors as SimPoint 3.0 does it (Hamerly, Perelman, Lau,
Calder 2005), with scikit-learn:

1. each interval's vector is normalised to frequencies (it sums to 1);
2. a seeded random projection takes them to a few dimensions (15, SimPoint's default);
3. k-means (k-means++ seeding, several initialisations, a fixed seed) for k = 1 ... max_k;
4. each clustering is scored with the Bayesian information criterion of X-means (Pelleg
   and Moore 2000, spherical Gaussians of one shared variance), and the chosen k is the
   smallest whose score reaches `bic_threshold` (0.9) of the range between the worst and
   the best score;
   Intervals that are all within `tolerance` (Manhattan distance between frequency vectors,
   0.05: 5 % of an interval's instructions) of their cluster's mean are one phase: k stops
   at the smallest clustering where that holds, so a program with one phase gets one cluster
   (its intervals differ only where a loop iteration straddles their boundaries);
5. each cluster's simpoint is its full-length interval nearest the centroid, weighted by
   the cluster's share of the region's instructions; a second sample (`--samples 2`) is the
   nearest in the other half of the cluster's intervals by position (`sample_order`).

The same profile and seed always give the same simpoints. The files `simpoints` and
`weights` are SimPoint's (`<interval> <cluster>` and `<weight> <cluster>` lines);
`clusters.json` keeps everything else: the options, each k's BIC, every interval's label.
"""

from __future__ import annotations

import json
import math
import os
import warnings

import numpy as np

from .bbv import matrix, read_bbv
from .profile import BBV_FILE, SimpointError, read_profile, write_json

CLUSTERS_FILE = "clusters.json"
CLUSTERS_VERSION = 2  # 2: the second sample of a cluster comes from the other half of its span


CLUSTERING_MODULES = ("sklearn.cluster", "sklearn.random_projection", "threadpoolctl")


def import_clustering():
    """Import what clustering needs: scikit-learn, 0.8 s of CPU, most of the clustering step's."""
    import importlib

    for name in CLUSTERING_MODULES:
        importlib.import_module(name)


def import_meanwhile():
    """Import scikit-learn in a background thread while this process profiles: numba loading the
    cached kernels and LLVM compiling blocks run in foreign code without the GIL, so the import
    partly fills that time instead of adding to it. (The one command, with Dask workers at hand,
    has one of them import it and fit the clusters instead: see graphsim/simpoint/flow.py.)"""
    import threading

    threading.Thread(target=import_clustering, name="import-sklearn", daemon=True).start()


def project(freq: np.ndarray, dims: int, seed: int) -> np.ndarray:
    from sklearn.random_projection import GaussianRandomProjection

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fewer blocks than dimensions: nothing to reduce, still fine
        return GaussianRandomProjection(n_components=dims, random_state=seed).fit_transform(freq)


def bic(points: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> float:
    """X-means' BIC of a k-means clustering: log-likelihood under identical spherical Gaussians
    minus (parameters / 2) log R."""
    r, m = points.shape
    k = len(centers)
    sq = float(((points - centers[labels]) ** 2).sum())
    variance = sq / (m * max(r - k, 1))
    variance = max(variance, 1e-12)  # identical vectors: a perfect fit, not log(0)
    likelihood = 0.0
    for j in range(k):
        rj = int((labels == j).sum())
        if rj == 0:
            continue
        likelihood += (rj * math.log(rj) - rj * math.log(r) - rj * m / 2 * math.log(2 * math.pi * variance)
                       - (rj - 1) * m / 2)
    parameters = (k - 1) + m * k + 1
    return likelihood - parameters / 2 * math.log(r)


def within(freq: np.ndarray, labels: np.ndarray, k: int, tolerance: float) -> bool:
    """Every interval within ``tolerance`` (Manhattan) of its cluster's mean frequency vector."""
    for c in range(k):
        members = freq[labels == c]
        if len(members) and np.abs(members - members.mean(axis=0)).sum(axis=1).max() > tolerance:
            return False
    return True


def sample_order(by_distance: list[int]) -> list[int]:
    """A cluster's intervals in the order they are sampled: the simpoint (nearest the centroid),
    then the nearest in the other half of the cluster's intervals by position in the region, then
    the rest by distance. Intervals with the same code can still behave differently when what
    changes is the data (sieve's inner loop: the same instructions, a stride growing past the
    cache line); a second sample from the other end of the cluster's span catches such a drift,
    or at least widens the error estimate to show it."""
    first = by_distance[0]
    earlier = set(sorted(by_distance)[:len(by_distance) // 2])
    other = next((i for i in by_distance if (i in earlier) != (first in earlier)), None)
    if other is None:
        return by_distance
    return [first, other] + [i for i in by_distance[1:] if i != other]


def cluster_options(max_k: int = 10, k: int | None = None, dims: int = 15, seed: int = 1, bic_threshold: float = 0.9,
                    init: int = 5, tolerance: float = 0.05) -> dict:
    """The options a clustering is made with, as clusters.json records them (a re-run compares them)."""
    return {"max_k": max_k, "k": k, "dims": dims, "seed": seed, "bic_threshold": bic_threshold, "init": init,
            "tolerance": tolerance, "version": CLUSTERS_VERSION}


def cluster(outdir: str, max_k: int = 10, k: int | None = None, dims: int = 15, seed: int = 1,
            bic_threshold: float = 0.9, init: int = 5, tolerance: float = 0.05, fit=None) -> dict:
    """Cluster the profile in ``outdir``; write simpoints, weights and clusters.json; return the result.
    ``fit`` runs `fit_clusters` (by default here; the one command hands it to a Dask worker)."""
    prof = read_profile(outdir)
    vectors = read_bbv(os.path.join(outdir, BBV_FILE))
    lengths = prof["interval_insts"]
    if len(vectors) != len(lengths):
        raise SimpointError(f"{outdir}: {BBV_FILE} has {len(vectors)} intervals, profile.json {len(lengths)}")
    n = len(vectors)
    if k is not None and not 1 <= k <= n:
        raise SimpointError(f"--k {k}: must be between 1 and the number of intervals ({n})")
    if max_k < 1:
        raise SimpointError(f"--max-k {max_k}: must be at least 1")
    options = cluster_options(max_k, k, dims, seed, bic_threshold, init, tolerance)
    result = (fit or fit_clusters)(matrix(vectors), lengths, prof["interval"], options)
    simpoints = result["simpoints"]
    # SimPoint's own files: the chosen interval and the weight of each cluster, one line each
    with open(os.path.join(outdir, "simpoints"), "w", encoding="ascii") as f:
        f.writelines(f"{s['interval']} {s['cluster']}\n" for s in simpoints)
    with open(os.path.join(outdir, "weights"), "w", encoding="ascii") as f:
        f.writelines(f"{s['weight']:.6f} {s['cluster']}\n" for s in simpoints)
    write_json(os.path.join(outdir, CLUSTERS_FILE), result)
    return result


def fit_clusters(counts: np.ndarray, lengths: list[int], interval: int, options: dict) -> dict:
    """The clustering of a profile's block counts (one row per interval) with ``options`` (those of
    `cluster`, checked): the result clusters.json holds. Only numbers in, only numbers out, so it
    runs as well on a Dask worker."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    k, max_k, dims, seed = options["k"], options["max_k"], options["dims"], options["seed"]
    bic_threshold, init, tolerance = options["bic_threshold"], options["init"], options["tolerance"]
    n = len(counts)
    freq = counts / counts.sum(axis=1, keepdims=True)
    points = project(freq, dims, seed)
    # The region's short last interval (the program's tail) is not clustered: it joins the
    # nearest cluster, with its instructions' weight.
    full = np.array([length == interval for length in lengths])
    fitted = full if full.any() else np.ones(n, bool)
    fit_points, fit_freq = points[fitted], freq[fitted]
    tried = {}
    candidates = [k] if k is not None else list(range(1, min(max_k, int(fitted.sum())) + 1))
    distinct = len(np.unique(fit_points, axis=0))
    for kk in candidates:
        if k is None and kk > distinct:
            break
        # One thread: a few hundred points in 15 dimensions take microseconds, and OpenMP threads
        # spinning for work on a busy machine made each fit take ~0.3 s.
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")  # k-means' note on duplicate points: they are expected here
            km = KMeans(n_clusters=kk, n_init=init, random_state=seed).fit(fit_points)
        tried[kk] = (km, bic(fit_points, km.labels_, km.cluster_centers_))
        if k is None and within(fit_freq, km.labels_, kk, tolerance):
            break
    candidates = list(tried)
    if k is None:
        scores = [tried[kk][1] for kk in candidates]
        low, high = min(scores), max(scores)
        chosen = next(kk for kk in candidates if tried[kk][1] >= low + bic_threshold * (high - low))
    else:
        chosen = k
    km = tried[chosen][0]
    with threadpool_limits(1):
        labels = km.predict(points)
    labels[fitted] = km.labels_
    total = float(sum(lengths))
    simpoints = []
    for c in range(chosen):
        members = np.flatnonzero(labels == c)
        if not len(members):
            continue
        eligible = members[full[members]] if full[members].any() else members
        distance = ((points[eligible] - km.cluster_centers_[c]) ** 2).sum(axis=1)
        order = [int(i) for i in eligible[np.argsort(distance, kind="stable")]]
        simpoints.append({"cluster": len(simpoints), "label": c, "interval": order[0],
                          "weight": sum(lengths[i] for i in members) / total, "members": int(len(members)),
                          "ranked": sample_order(order)})
    return {"options": options, "k": len(simpoints), "bic": {str(kk): round(v[1], 6) for kk, v in tried.items()},
            "labels": [int(x) for x in labels], "simpoints": simpoints}


def read_clusters(outdir: str) -> dict:
    path = os.path.join(outdir, CLUSTERS_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise SimpointError(f"{outdir}: not clustered yet (run 'graphsim simpoint cluster' first)") from None
