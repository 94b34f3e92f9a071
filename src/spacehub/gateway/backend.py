"""dask-gateway backends with a per-user quota and no clusters outliving their user's server.

Two things stock dask-gateway does not do:

* **Per-user quota.** Its limits apply to one cluster; here a user's clusters are added up
  (:mod:`spacehub.gateway.quota`) when a cluster is created, scaled or adapts.
* **Slurm as it is found at sites.** Jobs get a walltime, names that say what they are, and the
  site's ``SLURM_CONF`` (the stock backend runs sbatch/squeue/scancel with an empty environment).
* **No zombie clusters.** A cluster survives the stopping or culling of the JupyterLab server that
  made it. With ``stop_with_server`` the gateway asks the hub which users still have a running
  server and stops the clusters of those who have none.
"""

from __future__ import annotations

import asyncio
import functools
import os
import pwd

import aiohttp
from dask_gateway_server.backends.base import PublicException
from dask_gateway_server.backends.db_base import DBBackendBase, JobStatus
from dask_gateway_server.backends.jobqueue.slurm import SlurmBackend
from dask_gateway_server.backends.local import LocalBackend, UnsafeLocalBackend
from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import LoggingConfigurable

from .quota import Quota, Usage, max_workers, new_cluster_refusal, scale_refusal, total_usage


class UserQuotaLimits(LoggingConfigurable):
    """The per-user quota's settings, shared by every backend here."""

    user_max_cores = Float(12, help="Cores one user may hold across all clusters.", config=True)
    user_max_memory = Integer(24 * 2**30, help="Bytes of memory one user may hold across all clusters.", config=True)
    user_max_clusters = Integer(3, help="Clusters one user may run at once.", config=True)

    @property
    def quota(self) -> Quota:
        return Quota(self.user_max_cores, self.user_max_memory, self.user_max_clusters)


class SpacehubBackend(UserQuotaLimits, DBBackendBase):
    """Adds the per-user quota and stop-with-server to a ``DBBackendBase`` backend."""

    stop_with_server = Bool(True, help="Stop a user's clusters when they have no running server.", config=True)
    check_servers_every = Float(10, help="Seconds between checks for users without a server.", config=True)

    def _others(self, username: str, exclude: str | None = None) -> Usage:
        return total_usage(
            (c.config, c.count) for c in self.db.list_clusters(username=username) if c.name != exclude
        )

    async def setup(self, app):
        await super().setup(app)
        self._quota_lock = asyncio.Lock()
        if self.stop_with_server:
            self.task_pool.spawn(self._stop_clusters_without_server_loop())

    async def start_cluster(self, user, cluster_options):
        async with self._quota_lock:
            _, config = await self.process_cluster_options(user, cluster_options)
            why = new_cluster_refusal(self.quota, user.name, self._others(user.name), config.to_dict())
            if why:
                self.log.info("Refused new cluster for %s: %s", user.name, why)
                raise PublicException(why)
            return await super().start_cluster(user, cluster_options)

    async def forward_message_to_scheduler(self, cluster, msg):
        if msg.get("op") != "scale":
            return await super().forward_message_to_scheduler(cluster, msg)
        async with self._quota_lock:
            why = scale_refusal(self.quota, cluster.username, self._others(cluster.username, cluster.name),
                                cluster.config, msg["count"])
            if why:
                self.log.info("Refused scaling %s: %s", cluster.name, why)
                raise PublicException(why)
            await super().forward_message_to_scheduler(cluster, msg)
            # Count it now rather than at the next heartbeat: the quota sees it at once and
            # the workers start without waiting for the heartbeat period.
            db_cluster = self.db.get_cluster(cluster.name)
            if db_cluster is not None and db_cluster.target == JobStatus.RUNNING:
                self.db.update_cluster(db_cluster, count=msg["count"])
                self.queue.put(db_cluster)

    async def on_cluster_heartbeat(self, cluster_name, msg):
        # adaptive scaling asks for workers through heartbeats: hold it to the quota too
        cluster = self.db.get_cluster(cluster_name)
        if cluster is not None:
            allowed = max_workers(self.quota, self._others(cluster.username, cluster_name), cluster.config)
            if msg["count"] > allowed:
                self.log.info("Cluster %s asked for %d workers; %s's quota allows %d",
                              cluster_name, msg["count"], cluster.username, allowed)
                msg = {**msg, "count": allowed}
        return await super().on_cluster_heartbeat(cluster_name, msg)

    async def _stop_clusters_without_server_loop(self):
        api = os.environ.get("JUPYTERHUB_API_URL", "").rstrip("/")
        token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
        if not (api and token):
            self.log.warning("stop_with_server needs JUPYTERHUB_API_URL/TOKEN (run as a hub service)")
            return
        headers = {"Authorization": f"token {token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            while True:
                try:
                    await self._stop_clusters_without_server(session, api)
                except Exception:  # the hub restarting must not kill the loop
                    self.log.warning("Could not check users' servers", exc_info=True)
                await asyncio.sleep(self.check_servers_every)

    async def _stop_clusters_without_server(self, session, api):
        users = {c.username for c in self.db.active_clusters()}
        for name in users:
            async with session.get(f"{api}/users/{name}") as resp:
                if resp.status == 404:
                    running = False
                else:
                    resp.raise_for_status()
                    running = bool((await resp.json()).get("servers"))
            if running:
                continue
            for cluster in self.db.list_clusters(username=name):
                self.log.info("Stopping cluster %s: its user %s has no running server", cluster.name, name)
                await self.stop_cluster(cluster.name)


class DemoBackend(SpacehubBackend, UnsafeLocalBackend):
    """Clusters as local processes of the gateway's own Unix account (demo mode)."""

    default_host = "127.0.0.1"


class IsolatedBackend(SpacehubBackend, LocalBackend):
    """Clusters as local processes of each user's own Unix account (isolated mode, needs root)."""

    default_host = "127.0.0.1"


class SlurmQuotaBackend(SpacehubBackend, SlurmBackend):
    """Each cluster's scheduler and workers as Slurm jobs of the cluster's user (slurm target).

    Jobs are submitted through ``sudo -nHu USER dask-gateway-jobqueue-launcher``, so the user must
    have a Unix account on the hub machine; one without is refused with what to do.
    """

    slurm_conf = Unicode("", help="slurm.conf for sbatch/squeue/scancel (SLURM_CONF); empty: Slurm's default.",
                         config=True)
    walltime = Unicode("08:00:00", help="Time limit of each job (sbatch --time).", config=True)

    def _slurm_env(self) -> dict[str, str]:
        return {"SLURM_CONF": self.slurm_conf} if self.slurm_conf else {}

    async def start_cluster(self, user, cluster_options):
        try:
            pwd.getpwnam(user.name)
        except KeyError:
            raise PublicException(
                f"{user.name} has no Unix account on the hub machine, so their Dask jobs cannot be "
                f"submitted to Slurm. An operator must create it (e.g. `useradd -m {user.name}`, or "
                f"through the site's directory) and try again.") from None
        return await super().start_cluster(user, cluster_options)

    def get_submit_cmd_env_stdin(self, cluster, worker=None):
        cmd, env, script = super().get_submit_cmd_env_stdin(cluster, worker)
        role = "worker" if worker else "scheduler"
        # `squeue -o '%u %j'` then tells whose cluster and which part each job is
        cmd = [f"--job-name=dask-{role}-{cluster.name}" if a == "--job-name=dask-gateway" else a for a in cmd]
        cmd.insert(1, f"--time={self.walltime}")
        return cmd, {**env, **self._slurm_env()}, script

    def get_stop_cmd_env(self, job_id):
        cmd, env = super().get_stop_cmd_env(job_id)
        return cmd, {**env, **self._slurm_env()}

    def get_status_cmd_env(self, job_ids):
        cmd, env = super().get_status_cmd_env(job_ids)
        return cmd, {**env, **self._slurm_env()}



def __getattr__(name):
    # KubeQuotaBackend is built on first use: dask-gateway-server[kubernetes] is only installed in
    # the gateway image of the kubernetes target, and the local and slurm gateways never ask for it.
    if name == "KubeQuotaBackend":
        return _kube_quota_backend()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _kube_quota_backend():
    from dask_gateway_server.backends.kubernetes import KubeBackend
    from dask_gateway_server.models import ClusterStatus

    class KubeQuotaBackend(UserQuotaLimits, KubeBackend):
        """dask-gateway's Kubernetes backend with the per-user quota (kubernetes target).

        Clusters are DaskCluster objects that the chart's controller turns into pods; the worker
        counts asked for are remembered here from scale requests and heartbeats.
        """

        async def setup(self, app):
            await super().setup(app)
            self._quota_lock = asyncio.Lock()
            self._worker_counts: dict[str, int] = {}

        def _others(self, username: str, exclude: str | None = None) -> Usage:
            clusters = self.username_to_clusters.get(username, {}).values()
            return total_usage((c.config, self._worker_counts.get(c.name, 0)) for c in clusters
                               if c.name != exclude and c.status <= ClusterStatus.RUNNING)

        async def start_cluster(self, user, cluster_options):
            async with self._quota_lock:
                _, config = await self.process_cluster_options(user, cluster_options)
                why = new_cluster_refusal(self.quota, user.name, self._others(user.name), config.to_dict())
                if why:
                    raise PublicException(why)
                return await super().start_cluster(user, cluster_options)

        async def forward_message_to_scheduler(self, cluster, msg):
            if msg.get("op") == "scale":
                why = scale_refusal(self.quota, cluster.username, self._others(cluster.username, cluster.name),
                                    cluster.config, msg["count"])
                if why:
                    raise PublicException(why)
                self._worker_counts[cluster.name] = msg["count"]
            return await super().forward_message_to_scheduler(cluster, msg)

        async def on_cluster_heartbeat(self, cluster_name, msg):
            cluster = self.clusters.get(cluster_name)
            if cluster is not None:
                allowed = max_workers(self.quota, self._others(cluster.username, cluster_name), cluster.config)
                msg = {**msg, "count": min(msg["count"], allowed)}
                self._worker_counts[cluster_name] = msg["count"]
            return await super().on_cluster_heartbeat(cluster_name, msg)

    KubeQuotaBackend.__module__, KubeQuotaBackend.__qualname__ = __name__, "KubeQuotaBackend"
    return KubeQuotaBackend
