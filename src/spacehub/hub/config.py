"""Render the deployment plan (:mod:`spacehub.deploy`) as JupyterHub configuration (local and slurm targets).

:func:`hub_config` is pure: the same settings, secrets and runtime give the same ``Config``, it only
sets values, and it touches neither files nor processes. ``hub/jupyterhub_config.py`` gathers the
inputs (reads the settings, makes the secrets) and loads the result into ``c``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traitlets.config import Config

from ..config import Settings
from ..deploy import CULLER_SERVICE, DATA_SERVICE, GATEWAY_SERVICE, Plan, Service, plan
from ..deploy.names import (
    ADMIN_CLI_SERVICE,
    DASHBOARD_SECRET_ENV,
    GALLERY_SERVICE,
    GATEWAY_SERVER_SERVICE,
    OFFLINE_ENV,
    WORKSHOPS_SERVICE,
)
from ..deploy.plan import gallery_enabled, workshops_enabled
from .accounts import post_auth_hook
from .homes import pre_spawn_hook

#: templates that extend JupyterHub's own (``{% extends "templates/home.html" %}``)
HUB_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Runtime:
    """Where things are on this machine: the inputs of the translation that are not settings."""

    bin_dir: Path  #: the environment's bin/ (jupyterhub-singleuser, dask, dask-gateway-server)
    proxy_cmd: str  #: configurable-http-proxy executable
    gateway_config: Path  #: hub/dask_gateway_config.py
    settings_file: Path  #: the settings file in use (handed to the services)
    is_root: bool = False
    offline: bool = False  #: SPACEHUB_OFFLINE: no reads from remote archives

    @property
    def path(self) -> str:
        return f"{self.bin_dir}:/usr/local/bin:/usr/bin:/bin"


#: files in the state dir naming the pid of the hub and of its proxy while they run
HUB_PID_FILE, PROXY_PID_FILE = "jupyterhub.pid", "proxy.pid"


def public_url(settings: Settings) -> str:
    """The URL users open, ending in '/'."""
    return settings.hub.public_url


def hub_api_url(settings: Settings) -> str:
    """Where the hub itself listens (loopback; the proxy routes the public URL here)."""
    return f"http://127.0.0.1:{settings.hub.api_port}"


def proxy_api_url(settings: Settings) -> str:
    """configurable-http-proxy's REST API (loopback; the hub and ``spacehub up`` ask it for its routes)."""
    return f"http://127.0.0.1:{settings.hub.proxy_api_port}"


def hub_config(settings: Settings, secrets: Mapping[str, str], runtime: Runtime) -> Config:
    """JupyterHub configuration for ``settings`` (as returned by ``load_settings``): its plan, rendered."""
    p = plan(settings)
    c = Config()
    state = settings.state_dir
    hub = settings.hub

    c.JupyterHub.bind_url = f"http://{hub.ip}:{hub.port}{hub.base_url}"
    c.JupyterHub.hub_bind_url = hub_api_url(settings)
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret = bytes.fromhex(secrets["jupyterhub_cookie_secret"])
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True
    c.JupyterHub.pid_file = str(state / HUB_PID_FILE)

    # its output through spacehub.redact: it logs the whole URL of each request it could not proxy
    c.ConfigurableHTTPProxy.command = [str(runtime.bin_dir / "python"), "-m", "spacehub.redact", runtime.proxy_cmd]
    c.ConfigurableHTTPProxy.api_url = proxy_api_url(settings)
    c.ConfigurableHTTPProxy.auth_token = secrets["proxy_auth_token"]
    c.ConfigurableHTTPProxy.pid_file = str(state / PROXY_PID_FILE)
    c.ConfigurableHTTPProxy.should_start = True
    # warnings and errors only: at info it logs each request to its API (route changes, which the
    # hub logs too, and `spacehub up` asking whether the routes are there yet: spacehub.hub.process)
    c.ConfigurableHTTPProxy.log_level = "warn"

    # the hub's pages with spacehub's additions: the login page (a workshop seat's one-time link), the
    # home page (sharing one's server)
    c.JupyterHub.template_paths = ([str(HUB_TEMPLATES / "sharing")] if settings.sharing else []) + [str(HUB_TEMPLATES)]
    c.JupyterHub.authenticator_class = LOCAL_AUTHENTICATORS.get(p.auth.authenticator_class, p.auth.authenticator_class)
    for section, traits in p.auth.config.items():
        c[section].update({k: _traitlet_value(v) for k, v in traits.items()})
    for section, traits in p.auth.secrets.items():
        c[section].update({k: secrets[name] for k, name in traits.items()})
    _apply_spawner(c, p, runtime)
    c.JupyterHub.services = [_service(service, secrets, runtime, settings) for service in p.services]
    c.JupyterHub.load_roles = [{"name": "user", "scopes": list(p.user_scopes)}] + [
        {"name": service.role, "services": [service.name], "scopes": list(service.scopes)}
        for service in p.services if service.scopes]
    return c


#: upstream authenticators replaced by spacehub's where the hub runs from spacehub's environment
#: (local and slurm targets; the Kubernetes chart's hub image has only upstream's)
LOCAL_AUTHENTICATORS = {"firstuseauthenticator.FirstUseAuthenticator": "spacehub.hub.logins.LocalPasswords"}


def _traitlet_value(value: Any) -> Any:
    """A plan value as the traitlet wants it: frozensets are Set traits, tuples List traits."""
    return set(value) if isinstance(value, frozenset) else list(value) if isinstance(value, tuple) else value


def _service(service: Service, secrets: Mapping[str, str], runtime: Runtime, settings: Settings) -> dict:
    """One hub-managed service: the plan's, with the command and token of this machine."""
    out: dict[str, Any] = {"name": service.name}
    if service.url:
        out["url"] = service.url
    token = secrets.get(f"service_token_{service.name}")
    if token:
        out["api_token"] = token
    # managed services get a scrubbed environment: hand over what they read
    env = {"SPACEHUB_CONFIG": str(runtime.settings_file), "PATH": runtime.path, **(service.environment or {})}
    if service.name == GATEWAY_SERVER_SERVICE:
        out["command"] = [str(runtime.bin_dir / "dask-gateway-server"), "-f", str(runtime.gateway_config)]
        out["cwd"] = str(settings.state_dir)
        env[DASHBOARD_SECRET_ENV] = secrets.get("dashboard_secret", "")  # both refuse to start without it
        env["DASK_GATEWAY_ENCRYPT_KEYS"] = secrets.get("gateway_db_key", "")  # its database's (gateway.config)
    elif service.name == GATEWAY_SERVICE:  # the gate in front of it
        out["command"] = [str(runtime.bin_dir / "python"), "-m", "spacehub.gateway.gate"]
        env[DASHBOARD_SECRET_ENV] = secrets.get("dashboard_secret", "")  # both refuse to start without it
    elif service.name == DATA_SERVICE:
        out["command"] = [str(runtime.bin_dir / "python"), "-m", "spacehub.services.data"]
        if runtime.offline:
            env[OFFLINE_ENV] = "1"
    elif service.name == GALLERY_SERVICE:
        out["command"] = [str(runtime.bin_dir / "python"), "-m", "spacehub.gallery"]
        # notebooks re-run in the environment users' servers run from (isolated mode: one they can read)
        env["SPACEHUB_GALLERY_PYTHON"] = str(server_bin(settings, runtime) / "python")
        if settings.mode == "isolated":  # the service runs as root: notebooks run as an account of their own
            env["SPACEHUB_GALLERY_RUN_AS"] = "spacehub-gallery"
        if runtime.offline:
            env[OFFLINE_ENV] = "1"
    elif service.name == WORKSHOPS_SERVICE:
        out["command"] = [str(runtime.bin_dir / "python"), "-m", "spacehub.workshops"]
    elif service.name == ADMIN_CLI_SERVICE:
        env = {}  # not a process the hub runs: a token `spacehub groups` uses
    elif service.name == CULLER_SERVICE:
        culler = settings.culler
        out["command"] = [str(runtime.bin_dir / "python"), "-m", "jupyterhub_idle_culler",
                          f"--timeout={culler.timeout}", f"--cull-every={culler.every}"]
        env = {}  # the culler reads only JupyterHub's own variables
    if env:
        out["environment"] = env
    if service.url:
        out["display"] = service.display
    if service.oauth_no_confirm:
        out["oauth_no_confirm"] = True
    return out


DEMO_AS_ROOT = ("demo mode runs every user's code as the account that starts the hub, and that is root: any "
                "user could read and change every other user's files, the hub's secrets and its database. "
                "Use `mode: isolated` (each user their own Unix account) or `mode: auto`, or start the hub as an "
                "ordinary account. For a machine nobody else logs in to, `unsafe_demo_as_root: true` allows it.")


def check_no_user_code_as_root(settings: Settings, is_root: bool) -> None:
    """Refuse demo mode as root unless ``unsafe_demo_as_root`` says otherwise (raises ``SettingsError``)."""
    from ..config import SettingsError

    if is_root and settings.mode == "demo" and settings.target != "kubernetes" and not settings.unsafe_demo_as_root:
        raise SettingsError(settings.source, "mode", DEMO_AS_ROOT)


def server_bin(settings: Settings, runtime: Runtime) -> Path:
    """The bin/ users' servers run from: isolated mode's users' environment, else the hub's own."""
    return settings.isolated.users_env / "bin" if settings.mode == "isolated" else runtime.bin_dir


def _apply_spawner(c: Config, p: Plan, runtime: Runtime) -> None:
    settings = p.settings
    sp = settings.spawner
    check_no_user_code_as_root(settings, runtime.is_root)
    if settings.target == "slurm" and settings.slurm.user_servers == "slurm":
        _apply_slurm_spawner(c, settings)
    elif p.homes.template is not None:  # demo mode: one Unix account, a folder per user
        c.JupyterHub.spawner_class = "spacehub.hub.spawning.QueuedDemoSpawner"
        c.SimpleLocalProcessSpawner.home_dir_template = p.homes.template
    else:
        c.JupyterHub.spawner_class = "spacehub.hub.spawning.QueuedLocalProcessSpawner"
    # a login burst: servers start a few at a time, the others wait their turn and see their place
    c.QueuedLocalProcessSpawner.concurrent_starts = sp.concurrent_starts
    bin_dir = server_bin(settings, runtime)
    # by default jupyterhub-singleuser through spacehub.hub.launch (2-3 s faster; see there)
    c.Spawner.cmd = list(sp.cmd) or c.Spawner.get("cmd") or [
        str(bin_dir / "python"), "-m", "spacehub.hub.launch", "jupyterhub-singleuser"]
    args = []
    if runtime.is_root and settings.mode == "demo":
        args.append("--allow-root")  # demo mode as root (unsafe_demo_as_root): servers run as root too
    # panel's "Preview with Panel" server extension: its websocket (PanelWSProxy) takes every
    # connection as an authenticated "default_user" from any origin; no server of the hub loads it
    args.append("--ServerApp.jpserver_extensions=panel.io.jupyter_server_extension=False")
    # nbgitpuller's link page (installed for workshops' git materials, which use its puller at server start
    # only): its targetpath may be any absolute path, so one crafted link clones into any folder the user can
    # write (their own Python packages included); no server of the hub loads it
    args.append("--ServerApp.jpserver_extensions=nbgitpuller=False")
    if p.homes.template is not None and p.homes.folders is not None:
        # demo mode: one account for all, so the server keeps shared/ read-only for all but admins
        args.append("--ServerApp.contents_manager_class=spacehub.notebook.contents.SharedFoldersContents")
    if not settings.collaboration:
        args.append("--YDocExtension.disable_rtc=True")
    if gallery_enabled(settings):  # publish from one's server, "open in my hub" (spacehub.notebook.gallery)
        args.append("--ServerApp.jpserver_extensions=spacehub.notebook.gallery=True")
    if workshops_enabled(settings):
        # a workshop's first notebook: its kernel started and its imports done as the seat's server starts,
        # one kernel per notebook however the requests for it cross (spacehub.notebook.warm)
        args.append("--ServerApp.jpserver_extensions=spacehub.notebook.warm=True")
        args.append("--ServerApp.session_manager_class=spacehub.notebook.warm.OneKernelPerNotebook")
    c.Spawner.args = args
    c.Spawner.default_url = sp.default_url
    c.Spawner.start_timeout = sp.start_timeout
    c.Spawner.http_timeout = sp.http_timeout
    c.Spawner.environment = {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", **p.server_env}
    c.Spawner.server_token_scopes = list(p.server_token_scopes)
    isolated = settings.isolated if settings.mode == "isolated" and p.homes.template is None else None
    if isolated is not None:
        # no user code as root: a hub user runs as their own account, made at first login if so set
        c.Authenticator.post_auth_hook = functools.partial(post_auth_hook, isolated)
    # every server start: templates, shared folders, a workshop's materials (spacehub.workshops)
    c.Spawner.pre_spawn_hook = functools.partial(
        pre_spawn_hook, str(p.homes.templates_source) if p.homes.templates_source else None,
        p.homes.templates_folder, p.homes.template, isolated,
        str(p.homes.folders) if p.homes.folders is not None else None, state_dir=str(settings.state_dir))
    if isolated is not None and p.homes.folders is not None:
        # what one member of a group writes in its folder, the others may change, and what an admin
        # writes in shared/ everyone reads (a home's files stay private: its folder is 0700, and each
        # account's own group is its alone)
        c.QueuedLocalProcessSpawner.umask = 0o002


def templates_source(settings: Settings) -> Path:
    """The shipped templates folder: ``templates.source`` relative to the settings file."""
    return settings.templates.source


def _apply_slurm_spawner(c: Config, settings: Settings) -> None:
    """Each JupyterLab server as a Slurm job of its user (batchspawner), run from the job env.

    batchspawner submits with ``sudo -E -u USER sbatch``; the server reports its port back to the
    hub through ``batchspawner-singleuser``.
    """
    slurm, sp = settings.slurm, settings.spawner
    job_bin = slurm.job_env / "bin"
    c.JupyterHub.spawner_class = "batchspawner.SlurmSpawner"
    s = c.SlurmSpawner
    s.req_partition = slurm.partition
    s.req_account = slurm.account
    s.req_qos = slurm.qos
    s.req_runtime = slurm.server_walltime
    s.req_nprocs = f"{sp.cores:g}"
    s.req_memory = f"{sp.memory // 2**20}M"
    s.req_srun = ""  # one process: no step needed, and task/none sites have no srun binding to do
    c.Spawner.cpu_limit = sp.cores
    c.Spawner.mem_limit = sp.memory
    c.Spawner.cmd = [str(job_bin / "batchspawner-singleuser"), str(job_bin / "jupyterhub-singleuser")]
