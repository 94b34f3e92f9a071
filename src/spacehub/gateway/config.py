"""Render the deployment plan as dask-gateway-server configuration (local and slurm targets; pure, set-only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from traitlets.config import Config

from ..config import Settings
from ..config.model import Choice, GatewaySettings
from ..deploy import GATEWAY_SERVICE

GIB = 2**30  #: the cluster options ask for worker memory in GiB


def worker_size(worker_cores: int, worker_memory_gib: float, limits: bool = False) -> dict[str, Any]:
    """The ClusterConfig values of a worker size chosen in the cluster options (GiB -> bytes).

    ``limits``: also the Kubernetes pods' limits, equal to their requests.

    >>> worker_size(2, 1.5)
    {'worker_cores': 2, 'worker_threads': 2, 'worker_memory': 1610612736}
    """
    memory = int(worker_memory_gib * GIB)
    size: dict[str, Any] = {"worker_cores": worker_cores, "worker_threads": worker_cores, "worker_memory": memory}
    if limits:
        size.update(worker_cores_limit=worker_cores, worker_memory_limit=memory)
    return size


def worker_options(cores: Choice[int], memory: Choice[int], limits: bool = False):
    """The options users choose a worker size from (the gateway's options widget); memory in bytes."""
    from dask_gateway_server.options import Float, Integer, Options

    return Options(
        Integer("worker_cores", cores.default, min=cores.min, max=cores.max, label="Worker cores"),
        Float("worker_memory", memory.default / GIB, min=memory.min / GIB, max=memory.max / GIB,
              label="Worker memory (GiB)"),
        handler=lambda options: worker_size(options.worker_cores, options.worker_memory, limits),
    )


def cluster_options(settings: Settings):
    """The options users choose from when they create a cluster, from the settings' bounds."""
    return worker_options(settings.gateway.worker_cores, settings.gateway.worker_memory)


def backend_name(settings: Settings) -> str:
    """The class in :mod:`spacehub.gateway.backend` that runs clusters for this target and mode."""
    if settings.target == "kubernetes":
        return "KubeQuotaBackend"
    if settings.target == "slurm":
        return "SlurmQuotaBackend"
    return "DemoBackend" if settings.mode == "demo" else "IsolatedBackend"


def apply_quota(c: Config, settings: Settings) -> None:
    """The backend, the per-user quota and the cluster limits: the part every target shares."""
    gw = settings.gateway
    backend = backend_name(settings)
    c.DaskGateway.backend_class = f"spacehub.gateway.backend.{backend}"
    b = c[backend]
    b.user_max_cores = gw.user_quota.cores
    b.user_max_memory = gw.user_quota.memory
    b.user_max_clusters = gw.user_quota.clusters
    if settings.target != "kubernetes":  # a workshop's seats may share a Dask quota (spacehub.workshops)
        b.workshops_state_dir = str(settings.state_dir)
    section = "KubeClusterConfig" if settings.target == "kubernetes" else "ClusterConfig"
    apply_cluster_limits(c[section], gw)


#: the gateway's database in the state dir (local and slurm targets)
GATEWAY_DB = "gateway.sqlite"


def gateway_config(settings: Settings, bin_dir: Path) -> Config:
    """dask-gateway-server configuration for ``settings``; ``bin_dir`` holds the ``dask`` command.

    On the slurm target the jobs run the ``dask`` of ``slurm.job_env`` instead: an environment
    every user can read, unlike an interpreter under a private home.

    Examples
    --------
    >>> from spacehub.config.settings import validate_settings
    >>> c = gateway_config(validate_settings({"state_dir": "/srv/state"}), Path("/env/bin"))
    >>> c.ClusterConfig.scheduler_cmd
    ['/env/bin/dask', 'scheduler']
    """
    c = Config()
    gw, hub = settings.gateway, settings.hub
    apply_quota(c, settings)
    c.DaskGateway.authenticator_class = "dask_gateway_server.auth.JupyterHubAuthenticator"
    # the gateway runs as the hub service dask-gateway-server behind the gate, which users reach as
    # dask-gateway: their tokens' access to that service is what the gateway checks
    c.JupyterHubAuthenticator.jupyterhub_service_name = GATEWAY_SERVICE
    c.DaskGateway.address = "127.0.0.1:0"  # private API, reached only through the gateway's proxy
    c.Proxy.address = f"127.0.0.1:{gw.port}"
    c.Proxy.prefix = f"{hub.base_url}services/{GATEWAY_SERVICE}"

    b = c[backend_name(settings)]
    b.cluster_options = cluster_options(settings)
    b.stop_with_server = gw.stop_with_server
    b.check_servers_every = gw.check_servers_every
    # the scheduler reports its state this often; new workers no longer wait for it (see backend)
    b.cluster_heartbeat_period = 5
    # clusters outlive a restart of the gateway (a crash, kill -9; the hub restarts it): its database
    # is kept in the state dir (0600, made by spacehub.hub.runtime), the clusters' TLS keys and tokens
    # in it encrypted with the hub's secret gateway_db_key (DASK_GATEWAY_ENCRYPT_KEYS). The new gateway
    # takes over what still runs (its schedulers report to the same proxy port) and fails what does
    # not. A clean stop of the gateway still stops every cluster (stop_clusters_on_shutdown).
    b.db_url = f"sqlite:///{settings.state_dir / GATEWAY_DB}"
    if settings.target == "slurm":
        bin_dir = settings.slurm.job_env / "bin"
        _apply_slurm(c, settings, bin_dir)
    else:
        if settings.mode == "isolated":  # processes of each user's own account: from the users' environment
            bin_dir = settings.isolated.users_env / "bin"
            # temporary files (a worker's spilled data among them) in the cluster's own folder (the
            # processes start there; it is the user's, 0700), not in a /tmp folder other users can read
            c.ClusterConfig.environment = {"TMPDIR": "."}
        b.clusters_directory = str(settings.state_dir / "gateway-clusters")
        # processes get a few seconds, not the default 10 + 5, to stop on SIGINT before SIGTERM
        b.sigint_timeout = 3
        b.sigterm_timeout = 3

    cc = c.ClusterConfig
    # distributed >= 2025 ships only the `dask` command, not `dask-scheduler` / `dask-worker`;
    # absolute paths so workers run the same environment as the notebook
    cc.scheduler_cmd = [str(bin_dir / "dask"), "scheduler"]
    cc.worker_cmd = [str(bin_dir / "dask"), "worker"] + ([] if gw.worker_nanny else ["--no-nanny"])
    cc.worker_cores = gw.worker_cores.default
    cc.worker_memory = gw.worker_memory.default
    return c


def apply_cluster_limits(cc, gw: GatewaySettings) -> None:
    """Scheduler size, per-cluster limits and idle timeout on a ClusterConfig section (any backend's):
    the same numbers on every target."""
    cc.scheduler_cores = gw.scheduler_cores
    cc.scheduler_memory = gw.scheduler_memory
    limits = gw.cluster_limits
    if limits.cores is not None:
        cc.cluster_max_cores = limits.cores
    if limits.memory is not None:
        cc.cluster_max_memory = limits.memory
    if limits.workers is not None:
        cc.cluster_max_workers = limits.workers
    cc.idle_timeout = gw.idle_timeout


def _apply_slurm(c: Config, settings: Settings, job_bin: Path) -> None:
    """Jobs through sbatch as each user; SLURM_CONF and the launcher where the users can reach them."""
    slurm, gw, hub = settings.slurm, settings.gateway, settings.hub
    b = c.SlurmQuotaBackend
    b.dask_gateway_jobqueue_launcher = str(job_bin / "dask-gateway-jobqueue-launcher")
    b.slurm_conf = slurm.slurm_conf
    b.walltime = slurm.walltime
    # squeue every 10 s (not 30) finds a job Slurm ended or someone cancelled while it matters
    b.cluster_status_period = 10
    b.worker_status_period = 10
    if slurm.gateway_host not in ("127.0.0.1", "localhost"):
        # schedulers and workers on compute nodes reach the gateway's proxy over the network
        c.Proxy.address = f"0.0.0.0:{gw.port}"
        b.api_url = f"http://{slurm.gateway_host}:{gw.port}{hub.base_url}services/{GATEWAY_SERVICE}/api"
    sc = c.SlurmClusterConfig
    sc.partition = slurm.partition
    sc.account = slurm.account
    sc.qos = slurm.qos
    sc.staging_directory = slurm.staging_dir


def kube_gateway_config(settings: Settings) -> Config:
    """The gateway's own configuration on Kubernetes: what the dask-gateway chart has no value for
    (the backend with the per-user quota, limits); the chart runs it as ``gateway.extraConfig``."""
    c = Config()
    apply_quota(c, settings)
    return c


def kube_gateway_code(settings: Settings) -> str:
    """:func:`kube_gateway_config` as the Python lines of a traitlets config file.

    The gateway image carries spacehub, so the users' cluster options are built by the same
    :func:`cluster_options` as on the other targets, from the settings' numbers.
    """
    gw = settings.gateway
    choice = {"worker_cores": [gw.worker_cores.default, gw.worker_cores.min, gw.worker_cores.max],
              "worker_memory": [gw.worker_memory.default, gw.worker_memory.min, gw.worker_memory.max]}
    lines = [f"c.{section}.{key} = {value!r}" for section, traits in kube_gateway_config(settings).items()
             for key, value in traits.items()]
    lines += ["from spacehub.gateway.config import kube_cluster_options",
              f"c.Backend.cluster_options = kube_cluster_options({choice!r})"]
    return "\n".join(lines) + "\n"


def kube_cluster_options(choice: dict[str, list[int]]):
    """The cluster options of the Kubernetes gateway from :func:`kube_gateway_code`'s numbers (bytes)."""
    return worker_options(Choice(*choice["worker_cores"]), Choice(*choice["worker_memory"]), limits=True)


__all__ = ["apply_cluster_limits", "backend_name", "cluster_options", "gateway_config", "kube_cluster_options",
           "kube_gateway_code", "kube_gateway_config", "worker_options", "worker_size"]
