"""dask-gateway backends with a per-user quota and no clusters outliving their user's server.

What stock dask-gateway does not do:

* **Per-user quota.** Its limits apply to one cluster; here a user's clusters are added up
  (:mod:`spacehub.gateway.quota`) when a cluster is created, scaled or adapts.
* **Slurm as it is found at sites.** Jobs get a walltime, names that say what they are, and the
  site's ``SLURM_CONF`` (the stock backend runs sbatch/squeue/scancel with an empty environment).
* **No zombie clusters.** A cluster survives the stopping or culling of the JupyterLab server that
  made it. With ``stop_with_server`` the gateway asks the hub which users still have a running
  server and stops the clusters of those who have none.
* **Dashboards behind the hub.** Each cluster's dashboards answer only requests carrying the
  cluster's key (:mod:`spacehub.gateway.dashboard_guard`), which the hub's gate
  (:mod:`spacehub.gateway.gate`) adds for the cluster's owner, the users its owner shared their
  server with, and admins. Local clusters listen on loopback only, workers included.
* **A prompt, quiet stop.** A local cluster's processes are seen gone as soon as they exit, and
  the one harmless traceback of the gateway (a routing event written to a watch its proxy had
  already left) is not logged.

The classes here are what the gateway's configuration names (``spacehub.gateway.backend.<Name>``).
They are built from the pieces of :mod:`spacehub.gateway.upstream`, the one module that touches
dask-gateway-server's internals; what is here uses only its documented backend API.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import pwd
from typing import Any

import aiohttp
from dask_gateway_server.backends.base import Backend
from dask_gateway_server.models import User
from traitlets import Bool, Float

from .upstream import (
    DBUserQuota,
    GuardedDashboards,
    KubeUserQuota,
    LoopbackDemoProcesses,
    PublicException,
    QuietStaleRouteWatches,
    SlurmJobs,
    UserProcesses,
)


class StopWithServer(Backend):
    """Stops the clusters of users who have no running server (asks the hub every few seconds)."""

    stop_with_server = Bool(True, help="Stop a user's clusters when they have no running server.", config=True)
    check_servers_every = Float(10, help="Seconds between checks for users without a server.", config=True)

    async def setup(self, app: Any) -> None:
        await super().setup(app)
        self._server_check: asyncio.Task[None] | None = None
        if self.stop_with_server:
            self._server_check = asyncio.ensure_future(self._stop_clusters_without_server_loop())

    async def cleanup(self) -> None:
        task = getattr(self, "_server_check", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().cleanup()

    async def _stop_clusters_without_server_loop(self) -> None:
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

    async def _stop_clusters_without_server(self, session: aiohttp.ClientSession, api: str) -> None:
        users = {c.username for c in await self.list_clusters()}
        for name in users:
            async with session.get(f"{api}/users/{name}") as resp:
                if resp.status == 404:
                    running = False
                else:
                    resp.raise_for_status()
                    running = bool((await resp.json()).get("servers"))
            if running:
                continue
            for cluster in await self.list_clusters(username=name):
                self.log.info("Stopping cluster %s: its user %s has no running server", cluster.name, name)
                await self.stop_cluster(cluster.name)


class DemoBackend(StopWithServer, DBUserQuota, QuietStaleRouteWatches, GuardedDashboards, LoopbackDemoProcesses):
    """Clusters as local processes of the gateway's own Unix account (demo mode)."""


class IsolatedBackend(StopWithServer, DBUserQuota, QuietStaleRouteWatches, GuardedDashboards, UserProcesses):
    """Clusters as local processes of each user's own Unix account (isolated mode, needs root)."""


class SlurmQuotaBackend(StopWithServer, DBUserQuota, QuietStaleRouteWatches, GuardedDashboards, SlurmJobs):
    """Each cluster's scheduler and workers as Slurm jobs of the cluster's user (slurm target).

    Jobs are submitted through ``sudo -nHu USER dask-gateway-jobqueue-launcher``, so the user must
    have a Unix account on the hub machine; one without is refused with what to do.
    """

    async def start_cluster(self, user: User, cluster_options: dict[str, Any]) -> str:
        try:
            pwd.getpwnam(user.name)
        except KeyError:
            raise PublicException(
                f"{user.name} has no Unix account on the hub machine, so their Dask jobs cannot be "
                f"submitted to Slurm. An operator must create it (e.g. `useradd -m {user.name}`, or "
                f"through the site's directory) and try again.") from None
        return await super().start_cluster(user, cluster_options)


def __getattr__(name: str) -> type:
    # KubeQuotaBackend is built on first use: dask-gateway-server[kubernetes] is only installed in
    # the gateway image of the kubernetes target, and the local and slurm gateways never ask for it.
    if name == "KubeQuotaBackend":
        return _kube_quota_backend()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _kube_quota_backend() -> type:
    from dask_gateway_server.backends.kubernetes import KubeBackend

    class KubeQuotaBackend(KubeUserQuota, KubeBackend):
        """dask-gateway's Kubernetes backend with the per-user quota (kubernetes target)."""

    KubeQuotaBackend.__module__, KubeQuotaBackend.__qualname__ = __name__, "KubeQuotaBackend"
    return KubeQuotaBackend
