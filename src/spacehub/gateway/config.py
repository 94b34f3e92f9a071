"""Translate validated settings into dask-gateway-server configuration (pure, set-only)."""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

from ..hub.config import GATEWAY_SERVICE
from .quota import GIB


def cluster_options(settings: dict):
    """The options users choose from when they create a cluster (the gateway's options widget)."""
    from dask_gateway_server.options import Float, Integer, Options

    gw = settings["gateway"]
    cores, mem = gw["worker_cores"], gw["worker_memory_gib"]

    def to_config(options):
        return {
            "worker_cores": options.worker_cores,
            "worker_threads": options.worker_cores,
            "worker_memory": int(options.worker_memory * GIB),
        }

    return Options(
        Integer("worker_cores", cores["default"], min=cores["min"], max=cores["max"], label="Worker cores"),
        Float("worker_memory", mem["default"], min=mem["min"], max=mem["max"], label="Worker memory (GiB)"),
        handler=to_config,
    )


def backend_name(settings: dict) -> str:
    """The class in :mod:`spacehub.gateway.backend` that runs clusters for this target and mode."""
    if settings["target"] == "slurm":
        return "SlurmQuotaBackend"
    return "DemoBackend" if settings["mode"] == "demo" else "IsolatedBackend"


def gateway_config(settings: dict, bin_dir: Path) -> Config:
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
    gw, hub = settings["gateway"], settings["hub"]
    backend = backend_name(settings)
    c.DaskGateway.backend_class = f"spacehub.gateway.backend.{backend}"
    c.DaskGateway.authenticator_class = "dask_gateway_server.auth.JupyterHubAuthenticator"
    c.DaskGateway.address = "127.0.0.1:0"  # private API, reached only through the gateway's proxy
    c.Proxy.address = f"127.0.0.1:{gw['port']}"
    c.Proxy.prefix = f"{hub['base_url']}services/{GATEWAY_SERVICE}"

    b = c[backend]
    b.cluster_options = cluster_options(settings)
    b.user_max_cores = gw["user_quota"]["cores"]
    b.user_max_memory = int(gw["user_quota"]["memory_gib"] * GIB)
    b.user_max_clusters = gw["user_quota"]["clusters"]
    b.stop_with_server = gw["stop_with_server"]
    b.check_servers_every = gw["check_servers_every"]
    # the scheduler reports its state this often; new workers no longer wait for it (see backend)
    b.cluster_heartbeat_period = 5
    if settings["target"] == "slurm":
        bin_dir = Path(settings["slurm"]["job_env"]) / "bin"
        _apply_slurm(c, settings, bin_dir)
    else:
        b.clusters_directory = str(Path(settings.state_dir) / "gateway-clusters")
        # processes get a few seconds, not the default 10 + 5, to stop on SIGINT before SIGTERM
        b.sigint_timeout = 3
        b.sigterm_timeout = 3

    cc = c.ClusterConfig
    # distributed >= 2025 ships only the `dask` command, not `dask-scheduler` / `dask-worker`;
    # absolute paths so workers run the same environment as the notebook
    cc.scheduler_cmd = [str(bin_dir / "dask"), "scheduler"]
    cc.worker_cmd = [str(bin_dir / "dask"), "worker"] + ([] if gw["worker_nanny"] else ["--no-nanny"])
    cc.worker_cores = gw["worker_cores"]["default"]
    cc.worker_memory = int(gw["worker_memory_gib"]["default"] * GIB)
    apply_cluster_limits(cc, gw)
    return c


def apply_cluster_limits(cc, gw: dict) -> None:
    """Scheduler size, per-cluster limits and idle timeout on a ClusterConfig section (any backend's),
    from the settings' ``gateway`` section: the same numbers on every target."""
    cc.scheduler_cores = float(gw["scheduler_cores"])
    cc.scheduler_memory = int(gw["scheduler_memory_gib"] * GIB)
    limits = gw["cluster_limits"]
    if "cores" in limits:
        cc.cluster_max_cores = float(limits["cores"])
    if "memory_gib" in limits:
        cc.cluster_max_memory = int(limits["memory_gib"] * GIB)
    if "workers" in limits:
        cc.cluster_max_workers = limits["workers"]
    cc.idle_timeout = float(gw["idle_timeout"])


def _apply_slurm(c: Config, settings: dict, job_bin: Path) -> None:
    """Jobs through sbatch as each user; SLURM_CONF and the launcher where the users can reach them."""
    slurm, gw, hub = settings["slurm"], settings["gateway"], settings["hub"]
    b = c.SlurmQuotaBackend
    b.dask_gateway_jobqueue_launcher = str(job_bin / "dask-gateway-jobqueue-launcher")
    b.slurm_conf = slurm["slurm_conf"]
    b.walltime = slurm["walltime"]
    # squeue every 10 s (not 30) finds a job Slurm ended or someone cancelled while it matters
    b.cluster_status_period = 10
    b.worker_status_period = 10
    if slurm["gateway_host"] not in ("127.0.0.1", "localhost"):
        # schedulers and workers on compute nodes reach the gateway's proxy over the network
        c.Proxy.address = f"0.0.0.0:{gw['port']}"
        b.api_url = f"http://{slurm['gateway_host']}:{gw['port']}{hub['base_url']}services/{GATEWAY_SERVICE}/api"
    sc = c.SlurmClusterConfig
    sc.partition = slurm["partition"]
    sc.account = slurm["account"]
    sc.qos = slurm["qos"]
    sc.staging_directory = slurm["staging_dir"]
