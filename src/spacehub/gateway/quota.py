"""Per-user limits across all of a user's clusters.

dask-gateway limits one cluster at a time (``cluster_max_cores`` ...). A user with three clusters can
therefore hold three times the limit. These pure functions add up what a user's clusters reserve
(scheduler + requested workers) and say how much more fits, so the backend can refuse with a message
that names the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GIB = 2**30


@dataclass(frozen=True)
class Quota:
    cores: float
    memory: int  #: bytes
    clusters: int


@dataclass(frozen=True)
class Usage:
    cores: float = 0
    memory: int = 0
    clusters: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.cores + other.cores, self.memory + other.memory, self.clusters + other.clusters)

    def describe(self) -> str:
        return f"{self.cores:g} cores, {self.memory / GIB:.1f} GiB in {self.clusters} cluster(s)"


def cluster_usage(config: Mapping[str, Any], workers: int) -> Usage:
    """What one cluster with ``workers`` workers reserves (``config``: a serialised ClusterConfig)."""
    return Usage(
        cores=config["scheduler_cores"] + workers * config["worker_cores"],
        memory=int(config["scheduler_memory"] + workers * config["worker_memory"]),
        clusters=1,
    )


def total_usage(clusters: Iterable[tuple[Mapping[str, Any], int]]) -> Usage:
    """Sum of ``cluster_usage`` over ``(config, workers)`` pairs."""
    total = Usage()
    for config, workers in clusters:
        total = total + cluster_usage(config, workers)
    return total


def new_cluster_refusal(quota: Quota, username: str, others: Usage, config: Mapping[str, Any]) -> str | None:
    """Why a new cluster (with no workers yet) would not fit, or None if it fits."""
    if others.clusters + 1 > quota.clusters:
        return (f"{username} already has {others.clusters} running cluster(s), the most allowed per user "
                f"is {quota.clusters}. Stop one (cluster.shutdown()) before starting another.")
    after = others + cluster_usage(config, 0)
    if after.cores > quota.cores or after.memory > quota.memory:
        return (f"A new cluster's scheduler does not fit in {username}'s quota of {quota.cores:g} cores, "
                f"{quota.memory / GIB:.1f} GiB across all clusters: {others.describe()} already in use. "
                f"Scale down or stop another cluster first.")
    return None


def max_workers(quota: Quota, others: Usage, config: Mapping[str, Any]) -> int:
    """Most workers this cluster may have while ``others`` (the user's other clusters) keep theirs."""
    free = others + cluster_usage(config, 0)
    by_cores = (quota.cores - free.cores) // config["worker_cores"]
    by_memory = (quota.memory - free.memory) // config["worker_memory"]
    return max(0, int(min(by_cores, by_memory)))


def scale_refusal(quota: Quota, username: str, others: Usage, config: Mapping[str, Any], count: int) -> str | None:
    """Why scaling a cluster to ``count`` workers would break the user's quota, or None."""
    allowed = max_workers(quota, others, config)
    if count <= allowed:
        return None
    return (f"Scaling to {count} workers would exceed {username}'s quota of {quota.cores:g} cores, "
            f"{quota.memory / GIB:.1f} GiB across all clusters ({others.describe()} held by other "
            f"clusters). This cluster can have at most {allowed} worker(s) now: scale to {allowed}, "
            f"or scale down or stop another cluster.")


def cohort_refusal(quota: Quota, workshop: str, others: Usage, config: Mapping[str, Any], count: int = 0,
                   new: bool = False) -> str | None:
    """Why a new cluster (``new``) or a cluster scaled to ``count`` workers would break the Dask quota a
    workshop's seats share (``others``: what the cohort's other clusters hold), or None if it fits."""
    after = others + cluster_usage(config, count)
    if after.cores <= quota.cores and after.memory <= quota.memory:
        return None
    shared = (f"The workshop {workshop}'s seats share {quota.cores:g} cores and {quota.memory / GIB:.1f} GiB for "
              f"Dask clusters, and its other clusters hold {others.describe()}.")
    if new:
        return f"{shared} A new cluster does not fit now: try again when a seat stops one, or ask your instructor."
    allowed = max_workers(quota, others, config)
    return f"{shared} This cluster can have at most {allowed} worker(s) now: scale to {allowed}."
