"""Start, scale and stop the user's Dask Gateway cluster: the ``ClusterControl`` model.

The model talks to any object with the ``dask_gateway.Gateway`` methods it uses (``new_cluster``,
``connect``, ``list_clusters``, ``cluster_options``), so tests hand it a small in-process fake and
notebooks the real gateway (``Gateway()`` with no arguments works in a spacehub server).

The per-user quota is enforced by the gateway (:mod:`spacehub.gateway.backend`); its refusals reach
the model as exceptions whose text is shown as is. The client cannot ask the gateway for the quota,
so every target publishes it to the server (:mod:`spacehub.deploy.published`, read by :class:`UserLimits`).
"""

from __future__ import annotations

import operator
import time
from dataclasses import dataclass
from typing import Any

from traitlets import Bool, Enum, HasTraits, Instance, Int, Tuple, Unicode

from ..catalog.display import plural
from ..deploy.published import PublishedLimits
from ..gateway.quota import GIB, Quota, Usage, cluster_usage, max_workers, total_usage


@dataclass(frozen=True)
class UserLimits:
    """What one user may hold on the gateway, and what each cluster's scheduler reserves.

    Read from what the hub publishes to the server (:mod:`spacehub.deploy.published`):

    >>> from spacehub.deploy import PublishedLimits
    >>> text = PublishedLimits(12, 24 * GIB, 3, 1, GIB, 8).to_json()
    >>> limits = UserLimits.from_json(text)
    >>> limits.quota.cores, limits.quota.memory / GIB, limits.scheduler_cores
    (12.0, 24.0, 1.0)
    """

    quota: Quota
    scheduler_cores: float = 1.0
    scheduler_memory: int = GIB  #: bytes
    cluster_max_workers: int | None = None

    @classmethod
    def from_published(cls, published: PublishedLimits) -> UserLimits:
        return cls(Quota(published.cores, published.memory, published.clusters), published.scheduler_cores,
                   published.scheduler_memory, published.cluster_max_workers)

    @classmethod
    def from_json(cls, text: str) -> UserLimits:
        return cls.from_published(PublishedLimits.from_json(text))

    @classmethod
    def from_env(cls) -> UserLimits | None:
        """The limits the hub published to this server, or None if it did not."""
        published = PublishedLimits.from_env()
        return cls.from_published(published) if published is not None else None

    def cluster_config(self, options: dict) -> dict:
        """A cluster's reservation in :mod:`spacehub.gateway.quota` terms, from its cluster options
        (``worker_cores``, ``worker_memory`` in GiB, as :func:`spacehub.gateway.config.cluster_options`)."""
        return {"scheduler_cores": self.scheduler_cores, "scheduler_memory": self.scheduler_memory,
                "worker_cores": float(options.get("worker_cores", 1)),
                "worker_memory": int(float(options.get("worker_memory", 1)) * GIB)}

    def describe(self) -> str:
        q = self.quota
        return f"{q.cores:g} cores, {q.memory / GIB:.1f} GiB, {plural(q.clusters, 'cluster')}"


def gateway_reason(error: Exception) -> str:
    """What a failed gateway call says to the user: the gateway's own text, or how to reach it."""
    if isinstance(error, OSError):  # aiohttp's connection errors are OSErrors
        return (f"cannot reach the Dask Gateway ({error}): check that the gateway runs and that "
                "DASK_GATEWAY__ADDRESS is set in this server (`spacehub doctor`)")
    if isinstance(error, TimeoutError):
        return f"the Dask Gateway did not answer in time ({error}); try again"
    return str(error) or type(error).__name__


class ClusterControl(HasTraits):
    """State and rules of one notebook's gateway cluster: start, scale, adapt, stop, quota use.

    Every operation returns True on success; on failure ``message`` holds the gateway's reason
    (e.g. a quota refusal) and the state is what it was.

    >>> control = ClusterControl(Gateway())      # doctest: +SKIP
    >>> control.start() and control.scale(2)     # doctest: +SKIP
    True
    >>> client = control.cluster.get_client()     # doctest: +SKIP
    """

    status = Enum(("stopped", "starting", "running", "scaling", "stopping"), default_value="stopped")
    busy = Bool(False, help="An operation is under way.")
    cluster_name = Unicode("")
    dashboard_link = Unicode("")
    workers = Int(0, help="Workers connected to the scheduler.")
    requested = Int(0, help="Workers asked for (fixed size).")
    adaptive = Tuple(help="(minimum, maximum) while adaptive, () otherwise.")
    usage = Instance(Usage, args=(), help="What the user's clusters reserve (workers of other clusters unknown).")
    others = Int(0, help="The user's clusters other than this one.")
    most_workers = Int(None, allow_none=True, help="Most workers this cluster may have, None if unknown.")
    message = Unicode("", help="The last failure's reason, or a note.")
    failed = Bool(False, help="Whether ``message`` reports a failure.")

    def __init__(self, gateway=None, *, limits: UserLimits | None = None, limits_from_env: bool = True,
                 wait_timeout_s: float = 120.0, poll_interval_s: float = 0.5):
        super().__init__()
        self._gateway = gateway
        self.cluster: Any = None  #: the attached ``GatewayCluster`` (or a test's stand-in)
        self.options: dict = {}  #: the cluster options this cluster was started with
        self.wait_timeout_s, self.poll_interval_s = wait_timeout_s, poll_interval_s
        self.limits = limits
        self.limits_error = ""  #: why the published quota could not be read
        if limits is None and limits_from_env:
            try:
                self.limits = UserLimits.from_env()
            except ValueError as e:
                self.limits_error = str(e)

    @property
    def gateway(self):
        if self._gateway is None:
            from dask_gateway import Gateway

            try:
                self._gateway = Gateway()
            except ValueError as e:  # no address in the environment or dask config
                raise RuntimeError(f"this server has no Dask Gateway configured ({e}); a spacehub server gets "
                                   "DASK_GATEWAY__ADDRESS when the hub's gateway is enabled (gateway.enabled)") from None
        return self._gateway

    # --- operations -------------------------------------------------------------------------------

    def start(self, **options) -> bool:
        """Start a new cluster with ``options`` (e.g. ``worker_cores=2``) and attach to it."""
        if self.cluster is not None:
            return self._note(f"cluster {self.cluster_name} is already running: scale it, or stop it first")

        def action():
            self.cluster = self.gateway.new_cluster(shutdown_on_close=True, **options)
            self.options = dict(options)
            self._attached()

        return self._run("starting a cluster", "starting", action)

    def attach(self, name: str | None = None) -> bool:
        """Attach to the user's running cluster ``name`` (default: the first one)."""
        if self.cluster is not None:
            return self._note(f"already attached to {self.cluster_name}")

        def action():
            target = name or next((r.name for r in self.gateway.list_clusters()), None)
            if target is None:
                raise ValueError("you have no running cluster to attach to: start one")
            self.cluster = self.gateway.connect(target)
            self._attached()

        return self._run("attaching to the cluster", "starting", action)

    def scale(self, n: int) -> bool:
        """Ask for ``n`` workers (fixed size) and wait until they join, up to ``wait_timeout_s``."""
        if self.cluster is None:
            return self._note("start a cluster first", failed=True)
        try:
            n = operator.index(n)
        except TypeError:
            n = -1
        if n < 0:
            return self._note("the number of workers must be a whole number >= 0", failed=True)

        def action():
            self.cluster.scale(n)
            self.requested, self.adaptive = n, ()
            self._wait_for_workers(n)
            self._refresh_usage()

        return self._run(f"scaling to {n} workers", "scaling", action)

    def adapt(self, minimum: int, maximum: int) -> bool:
        """Let the scheduler choose between ``minimum`` and ``maximum`` workers as the work needs."""
        if self.cluster is None:
            return self._note("start a cluster first", failed=True)
        if not 0 <= minimum <= maximum:
            return self._note(f"adaptive scaling needs 0 <= minimum <= maximum, not {minimum}..{maximum}",
                              failed=True)

        def action():
            self.cluster.adapt(minimum=int(minimum), maximum=int(maximum))
            self.adaptive, self.requested = (int(minimum), int(maximum)), 0
            self._refresh_usage()

        return self._run(f"adaptive scaling {minimum}..{maximum}", "scaling", action)

    def stop(self) -> bool:
        """Shut the cluster down (its workers and scheduler stop; results not gathered are lost)."""
        if self.cluster is None:
            return self._note("no cluster to stop")

        def action():
            self.cluster.shutdown()
            self.cluster, self.options = None, {}
            self.cluster_name, self.dashboard_link = "", ""
            self.workers = self.requested = 0
            self.adaptive = ()
            self._refresh_usage()

        return self._run("stopping the cluster", "stopping", action)

    def refresh(self) -> bool:
        """Re-read the connected workers and the user's clusters (quota use)."""

        def action():
            if self.cluster is not None:
                self.workers = _connected_workers(self.cluster)
            self._refresh_usage()

        return self._run("reading the cluster state", None, action)

    # --- internals --------------------------------------------------------------------------------

    def _run(self, doing: str, status: str | None, action) -> bool:
        self.busy, self.failed, self.message = True, False, ""
        if status:
            self.status = status
        try:
            action()
        # The boundary between the gateway and the notebook's UI: refusals (ValueError from a
        # 422, GatewayClusterError from a 409), network errors and timeouts all become the
        # message; in a background thread anything else would vanish without a trace.
        except Exception as e:
            return self._note(f"{doing} failed: {gateway_reason(e)}", failed=True)
        finally:
            self.status = "running" if self.cluster is not None else "stopped"
            self.busy = False
        return True

    def _note(self, text: str, failed: bool = False) -> bool:
        self.failed, self.message = failed, text
        return not failed

    def _attached(self) -> None:
        self.cluster_name = self.cluster.name
        self.dashboard_link = self.cluster.dashboard_link or ""
        self.workers = _connected_workers(self.cluster)
        self.requested, self.adaptive = self.workers, ()
        self._refresh_usage()

    def _wait_for_workers(self, n: int) -> None:
        deadline = time.monotonic() + self.wait_timeout_s
        while True:
            self.workers = _connected_workers(self.cluster)
            if self.workers == n:
                return
            if time.monotonic() > deadline:
                self._note(f"{self.workers} of {n} workers after {self.wait_timeout_s:g} s; the rest may still be "
                           "starting, or the machine is full")
                return
            time.sleep(self.poll_interval_s)

    def _refresh_usage(self) -> None:
        """Add up the user's clusters: this one in full, the others' schedulers (their workers are unknown)."""
        reports = [r for r in self.gateway.list_clusters() if r.name != self.cluster_name]
        self.others = len(reports)
        if self.limits is None:
            self.usage, self.most_workers = Usage(), None
            return
        defaults = dict(self.gateway.cluster_options())
        others = total_usage((self.limits.cluster_config({**defaults, **(r.options or {})}), 0) for r in reports)
        config = self.limits.cluster_config({**defaults, **self.options})
        mine = cluster_usage(config, max(self.requested, self.workers)) if self.cluster is not None else Usage()
        self.usage = others + mine
        allowed = max_workers(self.limits.quota, others, config)
        cap = self.limits.cluster_max_workers
        self.most_workers = min(allowed, cap) if cap is not None else allowed


def _connected_workers(cluster) -> int:
    return len(getattr(cluster, "scheduler_info", {}).get("workers", {}))
