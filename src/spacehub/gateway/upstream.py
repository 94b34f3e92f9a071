"""The one module that leans on dask-gateway-server's internals.

dask-gateway-server documents a small backend API (``Backend.start_cluster``, ``stop_cluster``,
``get_cluster``, ``list_clusters``, ``setup``/``cleanup``, ``on_cluster_heartbeat``); the per-user
quota, the Slurm job options and the local backend's file ownership need more than that. Every
override of, or read from, something upstream does not promise to keep is here, and each says
which upstream versions and which behaviour it relies on. ``tests/unit/test_gateway_upstream.py``
checks each of them against the installed dask-gateway-server, so an upgrade that changes one
fails there, by name, instead of in a user's cluster.

Read in dask-gateway-server 2024.1.0 to 2026.3.0, in which these parts did not change except
``--qos`` (one sbatch argument since 2025.4.0; 2024.1.0 passed it as single characters).
:mod:`spacehub.gateway.backend` builds the backends the gateway is configured with from these pieces.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import signal
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import psutil
from dask_gateway_server.backends.base import Backend, PublicException
from dask_gateway_server.backends.db_base import DBBackendBase, JobStatus
from dask_gateway_server.backends.jobqueue.slurm import SlurmBackend
from dask_gateway_server.backends.local import LocalBackend, UnsafeLocalBackend
from dask_gateway_server.models import Cluster, User
from dask_gateway_server.proxy.core import Proxy
from traitlets import Float, Integer, Unicode, default

from ..config import validate_settings
from ..deploy.names import CLUSTER_OWNER_ENV as OWNER_ENV
from ..deploy.names import DASHBOARD_SECRET_ENV
from .dashboard_guard import GUARD_PRELOAD, KEY_ENV, KEY_HEADER, OWNER_ROUTE, dashboard_key
from .quota import Quota, Usage, cohort_refusal, max_workers, new_cluster_refusal, scale_refusal, total_usage

#: the settings' own defaults (gateway.user_quota in the schema): one home for the numbers
_DEFAULT_QUOTA = validate_settings({}).gateway.user_quota

__all__ = ["DBUserQuota", "GuardedDashboards", "KubeUserQuota", "LoopbackDemoProcesses", "LoopbackOnly", "PromptStop",
           "PublicException",
           "QuietStaleRouteWatches", "SlurmJobs", "StaleRouteWatchFilter", "UserProcesses", "UserQuota",
           "sbatch_option"]


class UserQuota(Backend):
    """The per-user quota on any backend: one lock, the new-cluster and scale checks, the heartbeat clamp.

    A backend supplies what the user's other clusters hold (:meth:`_others`) and how it records a
    cluster's requested worker count (:meth:`_record_workers`). New clusters and scale requests are
    decided under one lock, so two requests at once cannot both fit in what only one fits.

    Relies on (2024.1.0 to 2026.3.0): ``Backend.process_cluster_options(user, request)`` returning
    ``(options, ClusterConfig)``; the gateway's routes calling ``forward_message_to_scheduler(cluster,
    {"op": "scale", "count": n})`` with a ``models.Cluster`` and ``n`` already held to
    ``cluster_max_workers``, and turning a ``PublicException`` into a refusal the user reads;
    ``on_cluster_heartbeat(cluster_name, msg)`` taking the scheduler's wanted worker count (adaptive
    scaling included) from ``msg["count"]``.
    """

    user_max_cores = Float(_DEFAULT_QUOTA.cores, help="Cores one user may hold across all clusters.", config=True)
    user_max_memory = Integer(_DEFAULT_QUOTA.memory, help="Bytes of memory one user may hold across all clusters.",
                              config=True)
    user_max_clusters = Integer(_DEFAULT_QUOTA.clusters, help="Clusters one user may run at once.", config=True)
    workshops_state_dir = Unicode("", help="The hub's state dir, whose workshops' seats may share a Dask quota "
                                           "(spacehub.workshops); empty: no workshops.", config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._quota_lock = asyncio.Lock()
        self._cohorts: tuple[float, list[dict[str, Any]]] = (0.0, [])

    def _cohort(self, username: str) -> tuple[str, Quota, list[str]] | None:
        """The running workshop ``username`` sits in, if its seats share a Dask quota: (name, quota, seats)."""
        if not self.workshops_state_dir:
            return None
        read_at, found = self._cohorts
        if time.monotonic() - read_at > 5:  # the records, read again at most every 5 s
            from ..workshops.records import every

            found = [r for r in every(self.workshops_state_dir) if r.get("dask") and not r.get("ended")]
            self._cohorts = (time.monotonic(), found)
        for record in found:
            if username in record.get("seats", []):
                dask = record["dask"]
                return record["name"], Quota(float(dask["cores"]), int(dask["memory"]), 10**6), record["seats"]
        return None

    async def _cohort_others(self, seats: list[str], exclude: str | None = None) -> Usage:
        total = Usage()
        for seat in seats:
            total = total + await self._others(seat, exclude)
        return total

    @property
    def quota(self) -> Quota:
        return Quota(self.user_max_cores, self.user_max_memory, self.user_max_clusters)

    async def _others(self, username: str, exclude: str | None = None) -> Usage:
        """What ``username``'s active clusters other than ``exclude`` hold (scheduler + workers asked for)."""
        raise NotImplementedError

    def _record_workers(self, cluster_name: str, count: int) -> None:
        """Remember that ``cluster_name`` now asks for ``count`` workers."""
        raise NotImplementedError

    def _record_new_cluster(self, cluster_name: str, username: str, config: Mapping[str, Any]) -> None:
        """Count a cluster just created before the backend lists it; nothing to do where it lists it at once."""

    async def start_cluster(self, user: User, cluster_options: dict[str, Any]) -> str:
        async with self._quota_lock:
            _, config = await self.process_cluster_options(user, cluster_options)
            config_dict = config.to_dict()
            why = new_cluster_refusal(self.quota, user.name, await self._others(user.name), config_dict)
            cohort = self._cohort(user.name)
            if not why and cohort:
                why = cohort_refusal(cohort[1], cohort[0], await self._cohort_others(cohort[2]), config_dict, new=True)
            if why:
                self.log.info("Refused new cluster for %s: %s", user.name, why)
                raise PublicException(why)
            name: str = await super().start_cluster(user, cluster_options)
            self._record_new_cluster(name, user.name, config_dict)
            return name

    async def forward_message_to_scheduler(self, cluster: Cluster, msg: dict[str, Any]) -> None:
        if msg.get("op") != "scale":
            return await super().forward_message_to_scheduler(cluster, msg)
        async with self._quota_lock:
            others = await self._others(cluster.username, cluster.name)
            why = scale_refusal(self.quota, cluster.username, others, cluster.config, msg["count"])
            cohort = self._cohort(cluster.username)
            if not why and cohort:
                why = cohort_refusal(cohort[1], cohort[0], await self._cohort_others(cohort[2], cluster.name),
                                     cluster.config, msg["count"])
            if why:
                self.log.info("Refused scaling %s: %s", cluster.name, why)
                raise PublicException(why)
            await super().forward_message_to_scheduler(cluster, msg)
            # counted now rather than at the next heartbeat: the quota sees it at once and the
            # workers start without waiting for the heartbeat period
            self._record_workers(cluster.name, msg["count"])

    async def on_cluster_heartbeat(self, cluster_name: str, msg: dict[str, Any]) -> None:
        # Adaptive scaling asks for workers through heartbeats: hold them to the quota too. Not
        # under the lock: a scale request holds it while it reaches its scheduler, and a heartbeat
        # kept waiting past the heartbeat timeout fails its cluster.
        cluster = await self.get_cluster(cluster_name)
        if cluster is not None:
            count = msg["count"]
            allowed = max_workers(self.quota, await self._others(cluster.username, cluster_name), cluster.config)
            cohort = self._cohort(cluster.username)
            if cohort:
                allowed = min(allowed, max_workers(cohort[1], await self._cohort_others(cohort[2], cluster_name),
                                                   cluster.config))
            if count > allowed:
                self.log.info("Cluster %s asked for %d workers; %s's quota allows %d",
                              cluster_name, count, cluster.username, allowed)
                count = allowed
            limit = cluster.config.get("cluster_max_workers")
            if limit is not None:  # what upstream's heartbeat holds it to next; record that
                count = min(count, limit)
            msg = {**msg, "count": count}
            self._record_workers(cluster_name, count)
        return await super().on_cluster_heartbeat(cluster_name, msg)


class DBUserQuota(UserQuota, DBBackendBase):
    """The quota's bookkeeping on the database backends (local processes, Slurm).

    Relies on (2024.1.0 to 2026.3.0): ``DBBackendBase.setup`` making ``self.db`` (a ``DataManager``
    whose ``list_clusters(username=...)`` gives the user's active clusters with ``config`` and the
    worker ``count`` asked for, ``get_cluster(name)`` and ``update_cluster(cluster, count=n)``) and
    ``self.queue`` (``put(cluster)`` makes the reconciler start or stop workers up to ``count``);
    ``JobStatus.RUNNING`` as the target of a cluster that is not being stopped; the heartbeat
    recording the count itself, so recording it here first changes nothing there.
    """

    async def _others(self, username: str, exclude: str | None = None) -> Usage:
        clusters = self.db.list_clusters(username=username)
        return total_usage((c.config, c.count) for c in clusters if c.name != exclude)

    def _record_workers(self, cluster_name: str, count: int) -> None:
        cluster = self.db.get_cluster(cluster_name)
        if cluster is not None and cluster.target == JobStatus.RUNNING and cluster.count != count:
            self.db.update_cluster(cluster, count=count)
            self.queue.put(cluster)


JUST_CREATED_FOR = 60.0  #: seconds a new Kubernetes cluster counts before its informer lists it


class KubeUserQuota(UserQuota):
    """The quota's bookkeeping on Kubernetes, mixed into ``KubeBackend`` (built where it is used).

    Clusters are DaskCluster objects that the chart's controller turns into pods; upstream keeps no
    worker count, so the counts asked for are remembered here from scale requests and heartbeats,
    and a cluster just created counts until the backend's informer has seen it.

    Relies on (2024.1.0 to 2026.3.0): ``KubeBackend.list_clusters(username)`` giving the user's
    pending and running clusters and ``get_cluster(name)`` giving None for a cluster its informer
    has not seen yet; ``start_cluster`` returning the cluster's name; ``on_cluster_heartbeat``
    patching the DaskCluster's ``replicas`` to ``msg["count"]``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._worker_counts: dict[str, int] = {}
        self._just_created: dict[str, tuple[str, Mapping[str, Any], float]] = {}

    async def _others(self, username: str, exclude: str | None = None) -> Usage:
        listed = await self.list_clusters(username=username)
        held = [(c.name, c.config) for c in listed]
        for name, (owner, config, created) in list(self._just_created.items()):
            # the informer sees a new DaskCluster within seconds; a minute on, an event it missed
            # must not hold the user's place for good
            if await self.get_cluster(name) is not None or time.monotonic() - created > JUST_CREATED_FOR:
                del self._just_created[name]
            elif owner == username:
                held.append((name, config))
        return total_usage((config, self._worker_counts.get(name, 0)) for name, config in held if name != exclude)

    def _record_workers(self, cluster_name: str, count: int) -> None:
        self._worker_counts[cluster_name] = count

    def _record_new_cluster(self, cluster_name: str, username: str, config: Mapping[str, Any]) -> None:
        self._just_created[cluster_name] = (username, config, time.monotonic())


#: seconds between checks that a cluster's process being stopped has exited
STOP_POLL = 0.05


def _running(pid: int) -> bool:
    """The process runs: it exists and has not exited. One that has exited may wait to be reaped by
    someone else (a cluster taken over after a restart of the gateway is not its child)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class PromptStop(LocalBackend):
    """A local cluster's processes seen gone as soon as they exit, and killed when the gateway stops.

    Upstream's ``stop_process`` sends SIGINT (then SIGTERM, then SIGKILL, after ``sigint_timeout``
    and ``sigterm_timeout``) and looks for the process again after 0.1, 0.3, 0.7, 1.5, 3.1 s; a
    cluster's workers are stopped first, then its scheduler, and each takes 0.5-1.3 s to exit, so
    a cluster took 1.5-3 s to stop. Here the same signals, and a look every ``STOP_POLL``.

    When the gateway itself stops (its ``cleanup``: Ctrl-C on ``spacehub up``), the clusters'
    processes are killed instead of asked: they hold nothing that outlives the cluster, and asked
    they spend 0.5-1 s of CPU each exiting, seconds of a Ctrl-C on a busy machine. (A worker's
    nanny, if configured, is killed too; its worker process exits when it sees its parent gone.)

    Relies on (2024.1.0 to 2026.3.0): ``LocalBackend.do_stop_cluster`` and ``do_stop_worker``
    awaiting ``self.stop_process(pid)`` with the pid of the process (a child of the gateway, reaped
    by asyncio's child watcher as it exits); the ``sigint_timeout``, ``sigterm_timeout`` and
    ``sigkill_timeout`` traits; ``DBBackendBase.cleanup`` stopping the active clusters (with
    ``stop_clusters_on_shutdown``, the default) through those hooks before it returns.
    """

    _killing = False

    async def cleanup(self) -> None:
        self._killing = True
        await super().cleanup()

    async def stop_process(self, pid: int) -> None:
        signals = [(signal.SIGINT, self.sigint_timeout), (signal.SIGTERM, self.sigterm_timeout)]
        for sig, timeout in ([] if self._killing else signals) + [(signal.SIGKILL, self.sigkill_timeout)]:
            self.log.debug("Sending %s to process %d", sig.name, pid)
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                await asyncio.sleep(STOP_POLL)
                if not _running(pid):
                    return
        self.log.warning("Failed to stop process %d", pid)


def _raised_in(exc: BaseException, code: Any) -> bool:
    """Whether ``exc``'s traceback passes through the function whose code object is ``code``."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code is code:
            return True
        tb = tb.tb_next
    return False


class StaleRouteWatchFilter(logging.Filter):
    """Drops the one benign traceback of the gateway: a routing event written to a watch its proxy left.

    The gateway's proxy (``dask-gateway-proxy``, in Go) follows the routing table with a long
    ``GET /api/v1/routes?watch=1`` through an HTTP client whose timeout is 60 s
    (``cmd/dask-gateway-proxy/main.go``, ``NewApiClient``); when it expires the proxy opens a new
    watch from the last event it saw. The gateway's handler of the old one is not told (aiohttp
    does not cancel a handler whose client went away) and waits for the next routing event, a
    cluster starting or stopping; writing it, it finds the connection closed, and aiohttp logs
    "Error handling request" with a ``ClientConnectionResetError`` traceback: one for each minute
    the gateway had run, all at once when a cluster starts, and again at shutdown. Nothing is lost:
    the proxy reads the same event on its new watch, and the old handler ends there.

    Every other record passes, a connection reset anywhere else included.

    Relies on (2024.1.0 to 2026.3.0; aiohttp 3.14): ``Proxy.routes_handler`` writing the watch's
    events with ``StreamResponse.write`` (and ``write_eof`` when cancelled); aiohttp raising a
    ``ConnectionResetError`` (``ClientConnectionResetError`` since 3.10) for a write to a closed
    connection and logging a handler's exception on the ``aiohttp.server`` logger with ``exc_info``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, ConnectionResetError) and _raised_in(exc, Proxy.routes_handler.__code__))


class QuietStaleRouteWatches(DBBackendBase):
    """A database backend (its gateway runs the Go proxy) with :class:`StaleRouteWatchFilter` on aiohttp's log."""

    async def setup(self, app: Any) -> None:
        server_log = logging.getLogger("aiohttp.server")
        if not any(isinstance(f, StaleRouteWatchFilter) for f in server_log.filters):
            server_log.addFilter(StaleRouteWatchFilter())
        await super().setup(app)


def _after_program(cmd: list[str], program: list[str], args: list[str]) -> list[str]:
    """``cmd`` (``program`` followed by upstream's arguments) with ``args`` right after ``program``."""
    n = len(program)
    if cmd[:n] != list(program):
        raise RuntimeError(f"upstream's command {cmd} does not start with the configured {program}")
    return cmd[:n] + args + cmd[n:]


class LoopbackOnly(DBBackendBase):
    """Schedulers and workers listening on loopback only: their TLS ports, dashboards, nannies.

    Upstream binds the scheduler (``--host``), its gateway API and every dashboard to
    ``default_host``, but gives workers no ``--host``: a worker's TLS port (and its nanny's) then
    listens on every interface. ``--host`` is added to the worker's command here.

    Relies on (2024.1.0 to 2026.3.0): ``DBBackendBase.default_host`` being the address the
    scheduler's command binds to (``--host``, ``--dashboard-address``, ``--dg-api-address``) and
    the workers' dashboards too; ``get_worker_command(cluster, worker_name, scheduler_address=None)``
    returning ``cluster.config.worker_cmd`` followed by upstream's arguments, without ``--host``
    nor ``--listen-address``; ``dask worker --host`` binding the worker and its nanny.
    """

    default_host = "127.0.0.1"

    def get_worker_command(self, cluster: Any, worker_name: str, scheduler_address: str | None = None) -> list[str]:
        cmd = super().get_worker_command(cluster, worker_name, scheduler_address)
        return _after_program(cmd, cluster.config.worker_cmd, ["--host", self.default_host])


class GuardedDashboards(DBBackendBase):
    """Each cluster's dashboards answer only with the cluster's key; the hub's gate asks who owns a cluster.

    Every scheduler and worker gets its cluster's key (:func:`dashboard_key` of the hub's
    dashboard secret, from ``SPACEHUB_DASHBOARD_SECRET``) and its owner's name (``OWNER_ENV``: a
    workshop's status counts each seat's clusters by it) in its environment and runs
    :mod:`spacehub.gateway.dashboard_guard` as a preload, which refuses requests without it. The
    gateway's API gains one route, :data:`OWNER_ROUTE`, answering a cluster's owner to whoever
    presents that cluster's key (the gate; the cluster's own processes learn nothing new).

    Relies on (2024.1.0 to 2026.3.0): ``get_scheduler_env(cluster)`` and ``get_worker_env(cluster)``
    returning the process's whole environment (local processes and Slurm jobs alike);
    ``get_scheduler_command(cluster)`` and ``get_worker_command(cluster, worker_name,
    scheduler_address=None)`` returning ``cluster.config.scheduler_cmd`` / ``worker_cmd`` followed by
    upstream's arguments, the scheduler's with ``--preload dask_gateway.scheduler_preload`` and
    its ``--dg-*`` arguments, which ``dask scheduler`` hands to every preload (the guard's
    ``dask_setup`` is a plain function, so it takes none); ``Backend.setup(app)`` getting the
    gateway's aiohttp ``Application`` before it serves (routes may still be added), served under
    the gateway proxy's prefix; ``get_cluster(name)`` giving a ``models.Cluster`` with ``username``.
    Neither the gateway nor ``dask_gateway.scheduler_preload`` asks anything of a dashboard: the
    heartbeat and scale messages go to the preload's own API port, which the cluster's token guards.
    """

    dashboard_secret = Unicode(help="The hub's secret the clusters' dashboard keys derive from.", config=True)

    @default("dashboard_secret")
    def _dashboard_secret_from_environment(self) -> str:
        return os.environ.get(DASHBOARD_SECRET_ENV, "")

    def _key(self, cluster_name: str) -> str:
        if not self.dashboard_secret:
            raise RuntimeError(f"{DASHBOARD_SECRET_ENV} is not set: clusters' dashboards would have no key")
        return dashboard_key(self.dashboard_secret, cluster_name)

    async def setup(self, app: Any) -> None:
        self._key("")  # no secret: fail at start, not at the first cluster
        app.router.add_get(OWNER_ROUTE, self._owner_handler)
        await super().setup(app)

    async def _owner_handler(self, request: Any) -> Any:
        from aiohttp import web

        name = request.match_info["cluster_name"]
        if not hmac.compare_digest(request.headers.get(KEY_HEADER, "").encode(), self._key(name).encode()):
            raise web.HTTPForbidden(reason="the cluster's key is needed")
        cluster = await self.get_cluster(name)
        if cluster is None:
            raise web.HTTPNotFound(reason=f"no cluster {name}")
        return web.json_response({"name": name, "owner": cluster.username})

    def get_scheduler_env(self, cluster: Any) -> dict[str, str]:
        return {**super().get_scheduler_env(cluster), KEY_ENV: self._key(cluster.name), OWNER_ENV: cluster.username}

    def get_worker_env(self, cluster: Any) -> dict[str, str]:
        return {**super().get_worker_env(cluster), KEY_ENV: self._key(cluster.name), OWNER_ENV: cluster.username}

    def get_scheduler_command(self, cluster: Any) -> list[str]:
        return _after_program(super().get_scheduler_command(cluster), cluster.config.scheduler_cmd, GUARD_PRELOAD)

    def get_worker_command(self, cluster: Any, worker_name: str, scheduler_address: str | None = None) -> list[str]:
        cmd = super().get_worker_command(cluster, worker_name, scheduler_address)
        return _after_program(cmd, cluster.config.worker_cmd, GUARD_PRELOAD)


class LoopbackDemoProcesses(PromptStop, LoopbackOnly, UnsafeLocalBackend):
    """Clusters as processes of the gateway's own account, listening on loopback only."""


class UserProcesses(PromptStop, LoopbackOnly, LocalBackend):
    """Clusters as processes of each user's own account, listening on loopback only.

    Relies on (0.9 to 2026.3.0): ``LocalBackend.setup_working_directory`` creating the cluster's
    working directory with its certs and logs directories and the TLS cert and key, then calling
    ``set_file_permissions(paths, username)``.
    """

    def set_file_permissions(self, paths: list[str], username: str) -> None:
        """Give ``username`` the cluster's working directories and the files in them.

        Upstream builds ``paths`` with ``paths.extend(path)`` for each TLS file (it means
        ``append``), so after the directories come the single characters of the cert and key paths,
        the first one ``/``: as root that would give the user the root directory, then fail with
        ``FileNotFoundError``. Only the whole paths are kept here, and the files the directories hold
        (the cert and key, in the certs directory) are added.
        """
        whole = [p for p in paths if os.path.isabs(p) and p != os.sep]
        files = [os.path.join(d, f) for d in whole if os.path.isdir(d) for f in sorted(os.listdir(d))]
        super().set_file_permissions(list(dict.fromkeys(whole + files)), username)


def sbatch_option(cmd: list[str], option: str, value: str) -> list[str]:
    """``cmd`` with its ``--option=...`` argument set to ``value``, or the option added after the program.

    Examples
    --------
    >>> sbatch_option(["sbatch", "--parsable", "--job-name=dask-gateway"], "job-name", "dask-worker-c0ffee")
    ['sbatch', '--parsable', '--job-name=dask-worker-c0ffee']
    >>> sbatch_option(["sbatch", "--parsable"], "time", "08:00:00")
    ['sbatch', '--time=08:00:00', '--parsable']
    """
    flag = f"--{option}="
    if any(arg.startswith(flag) for arg in cmd[1:]):
        return [cmd[0]] + [flag + value if arg.startswith(flag) else arg for arg in cmd[1:]]
    return [cmd[0], flag + value, *cmd[1:]]


class SlurmJobs(SlurmBackend):
    """Slurm jobs with a walltime, names that say what they are, and the site's ``SLURM_CONF``.

    Relies on (2025.4.0 to 2026.3.0): ``get_submit_cmd_env_stdin(cluster, worker=None)`` returning
    ``(cmd, env, script)`` where ``cmd`` is the sbatch program and its arguments (among them one
    ``--job-name=``, no ``--time=``) and ``env`` is sbatch's whole environment;
    ``get_stop_cmd_env(job_id)`` and ``get_status_cmd_env(job_ids)`` returning scancel's and
    squeue's command and whole (empty) environment. Upstream offers no trait for the job name or
    the time limit, so :func:`sbatch_option` sets them on its command.
    """

    slurm_conf = Unicode("", help="slurm.conf for sbatch/squeue/scancel (SLURM_CONF); empty: Slurm's default.",
                         config=True)
    walltime = Unicode("08:00:00", help="Time limit of each job (sbatch --time).", config=True)

    def slurm_env(self) -> dict[str, str]:
        """What sbatch, squeue and scancel need in their environment (upstream gives them none)."""
        return {"SLURM_CONF": self.slurm_conf} if self.slurm_conf else {}

    def get_submit_cmd_env_stdin(self, cluster: Any, worker: Any = None) -> tuple[list[str], dict[str, str], str]:
        cmd, env, script = super().get_submit_cmd_env_stdin(cluster, worker)
        role = "worker" if worker else "scheduler"
        # `squeue -o '%u %j'` then tells whose cluster and which part each job is
        cmd = sbatch_option(cmd, "job-name", f"dask-{role}-{cluster.name}")
        cmd = sbatch_option(cmd, "time", self.walltime)
        return cmd, {**env, **self.slurm_env()}, script

    def get_stop_cmd_env(self, job_id: str) -> tuple[list[str], dict[str, str]]:
        cmd, env = super().get_stop_cmd_env(job_id)
        return cmd, {**env, **self.slurm_env()}

    def get_status_cmd_env(self, job_ids: list[str]) -> tuple[list[str], dict[str, str]]:
        cmd, env = super().get_status_cmd_env(job_ids)
        return cmd, {**env, **self.slurm_env()}
