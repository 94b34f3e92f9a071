"""Translate validated settings into JupyterHub configuration.

:func:`hub_config` is pure: the same settings, secrets and runtime give the same ``Config``, it only
sets values, and it touches neither files nor processes. ``hub/jupyterhub_config.py`` gathers the
inputs (reads the settings, makes the secrets) and loads the result into ``c``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config

from ..config.paths import HUB_DIR
from .homes import pre_spawn_hook

GATEWAY_SERVICE = "dask-gateway"
CULLER_SERVICE = "idle-culler"
DATA_SERVICE = "data"


@dataclass(frozen=True)
class Runtime:
    """Where things are on this machine: the inputs of the translation that are not settings."""

    bin_dir: Path  #: the environment's bin/ (jupyterhub-singleuser, dask, dask-gateway-server)
    proxy_cmd: str  #: configurable-http-proxy executable
    gateway_config: Path  #: hub/dask_gateway_config.py
    settings_file: Path  #: the settings file in use (handed to the services)
    is_root: bool = False
    offline: bool = False  #: SPACEHUB_OFFLINE: no reads from remote archives


def public_url(settings: dict) -> str:
    """The URL users open, ending in '/'."""
    hub = settings["hub"]
    url = hub["public_url"] or f"http://{hub['ip']}:{hub['port']}{hub['base_url']}"
    return url if url.endswith("/") else url + "/"


def data_env(settings) -> dict[str, str]:
    """Where Entry.read finds the offline sample data and the hub's shared download cache."""
    state = Path(settings.state_dir)
    return {"SPACEHUB_SAMPLE_DATA": str(state / "sample-data"),
            "SPACEHUB_CACHE_DIR": str(state / settings["cache"]["dir"]),
            "SPACEHUB_CACHE_GIB": f"{settings['cache']['size_gib']:g}"}


def gateway_client_env(settings: dict) -> dict[str, str]:
    """Environment that lets ``Gateway()`` / ``GatewayCluster()`` work with no arguments."""
    hub, gw = settings["hub"], settings["gateway"]
    route = f"{hub['base_url']}services/{GATEWAY_SERVICE}"
    return {
        # API through the hub's proxy, on loopback (servers run on this machine)
        "DASK_GATEWAY__ADDRESS": f"http://127.0.0.1:{hub['port']}{route}",
        # scheduler traffic is TLS with SNI routing: straight to the gateway's own proxy
        "DASK_GATEWAY__PROXY_ADDRESS": f"gateway://127.0.0.1:{gw['port']}",
        # links shown to the user (dashboards) use the URL their browser knows
        "DASK_GATEWAY__PUBLIC_ADDRESS": public_url(settings).rstrip("/") + f"/services/{GATEWAY_SERVICE}",
        "DASK_GATEWAY__AUTH__TYPE": "jupyterhub",
        # the per-user quota, for the cluster panel to show (the gateway enforces it either way)
        "SPACEHUB_USER_QUOTA": json.dumps({
            **gw["user_quota"], "scheduler_cores": gw["scheduler_cores"],
            "scheduler_memory_gib": gw["scheduler_memory_gib"],
            "cluster_max_workers": gw["cluster_limits"].get("workers")}),
    }


def hub_config(settings: dict, secrets: dict, runtime: Runtime) -> Config:
    """JupyterHub configuration for ``settings`` (as returned by ``load_settings``)."""
    c = Config()
    state = Path(settings.state_dir)
    hub = settings["hub"]

    c.JupyterHub.bind_url = f"http://{hub['ip']}:{hub['port']}{hub['base_url']}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{hub['api_port']}"
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret = bytes.fromhex(secrets["jupyterhub_cookie_secret"])
    c.JupyterHub.cleanup_servers = True
    c.JupyterHub.cleanup_proxy = True
    c.JupyterHub.pid_file = str(state / "jupyterhub.pid")

    c.ConfigurableHTTPProxy.command = [runtime.proxy_cmd]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{hub['proxy_api_port']}"
    c.ConfigurableHTTPProxy.auth_token = secrets["proxy_auth_token"]
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
    c.ConfigurableHTTPProxy.should_start = True

    _apply_auth(c, settings, secrets, state)
    _apply_spawner(c, settings, runtime, state)

    roles = [{"name": "user", "scopes": _user_scopes(settings)}]
    services = []
    if settings["gateway"]["enabled"]:
        services.append({
            "name": GATEWAY_SERVICE,
            "url": f"http://127.0.0.1:{settings['gateway']['port']}",
            "api_token": secrets[f"service_token_{GATEWAY_SERVICE}"],
            "command": [str(runtime.bin_dir / "dask-gateway-server"), "-f", str(runtime.gateway_config)],
            "cwd": str(state),
            # managed services get a scrubbed environment: hand over what the gateway config reads
            "environment": {
                "SPACEHUB_CONFIG": str(runtime.settings_file),
                "PATH": f"{runtime.bin_dir}:/usr/local/bin:/usr/bin:/bin",
            },
            "display": False,
        })
        # to stop the clusters of users whose server stopped (gateway.stop_with_server)
        roles.append({"name": "spacehub-gateway", "services": [GATEWAY_SERVICE],
                      "scopes": ["list:users", "read:users:name", "read:servers"]})
    data = settings["data_service"]
    if data["enabled"]:
        env = {"SPACEHUB_CONFIG": str(runtime.settings_file), "PATH": f"{runtime.bin_dir}:/usr/local/bin:/usr/bin:/bin",
               **data_env(settings)}
        if data["public"]:
            env["SPACEHUB_DATA_PUBLIC"] = "1"
        if runtime.offline:
            env["SPACEHUB_OFFLINE"] = "1"
        services.append({
            "name": DATA_SERVICE,
            "url": f"http://127.0.0.1:{data['port']}",
            "command": [str(runtime.bin_dir / "python"), "-m", "spacehub.services.data"],
            "environment": env,
            "oauth_no_confirm": True,
            "display": True,
        })
    culler = settings["culler"]
    if culler["enabled"]:
        services.append({
            "name": CULLER_SERVICE,
            "api_token": secrets[f"service_token_{CULLER_SERVICE}"],
            "command": [str(runtime.bin_dir / "python"), "-m", "jupyterhub_idle_culler",
                        f"--timeout={culler['timeout']}", f"--cull-every={culler['every']}"],
        })
        roles.append({"name": "spacehub-idle-culler", "services": [CULLER_SERVICE],
                      "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]})
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles
    return c


def _user_scopes(settings: dict) -> list[str]:
    scopes = ["self"]
    if settings["gateway"]["enabled"]:
        scopes.append(f"access:services!service={GATEWAY_SERVICE}")
    if settings["data_service"]["enabled"]:
        scopes.append(f"access:services!service={DATA_SERVICE}")
    if settings["sharing"]["enabled"]:
        # JupyterHub server sharing: share one's own server, find others by name
        scopes += ["shares!user", "read:users:name", "read:groups:name"]
    return scopes


def _apply_auth(c: Config, settings: dict, secrets: dict, state: Path) -> None:
    auth = settings["auth"]
    kind = auth["type"]
    c.Authenticator.admin_users = set(auth["admin_users"])
    c.Authenticator.allowed_users = set(auth["allowed_users"])
    # users an admin creates in the admin panel may log in too
    c.Authenticator.allow_existing_users = True
    c.Authenticator.allow_all = False
    if kind == "local":
        c.JupyterHub.authenticator_class = "firstuseauthenticator.FirstUseAuthenticator"
        c.FirstUseAuthenticator.dbm_path = str(state / "passwords.dbm")
        # only listed or admin-created users may set a password: no open sign-up
        c.FirstUseAuthenticator.create_users = False
        c.FirstUseAuthenticator.min_password_length = auth["min_password_length"]
    elif kind == "shared-password":
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = secrets["shared_password"]
        c.SharedPasswordAuthenticator.admin_password = secrets["admin_password"]
        # a workshop: whoever knows the password picks a username, unless a list is given
        c.Authenticator.allow_all = not auth["allowed_users"]
    elif kind == "github":
        gh = auth["github"]
        c.JupyterHub.authenticator_class = "oauthenticator.github.GitHubOAuthenticator"
        c.GitHubOAuthenticator.client_id = gh["client_id"]
        c.GitHubOAuthenticator.client_secret = gh["client_secret"]
        c.GitHubOAuthenticator.oauth_callback_url = gh["callback_url"]
        c.GitHubOAuthenticator.allowed_organizations = set(gh.get("allowed_organizations", []))
    elif kind == "oidc":
        o = auth["oidc"]
        c.JupyterHub.authenticator_class = "oauthenticator.generic.GenericOAuthenticator"
        g = c.GenericOAuthenticator
        g.client_id, g.client_secret, g.oauth_callback_url = o["client_id"], o["client_secret"], o["callback_url"]
        g.authorize_url, g.token_url, g.userdata_url = o["authorize_url"], o["token_url"], o["userdata_url"]
        g.username_claim = o.get("username_claim", "preferred_username")
        g.scope = list(o.get("scope", ["openid", "profile", "email"]))
        if o.get("allowed_groups"):
            g.manage_groups = True
            g.auth_state_groups_key = "oauth_user.groups"
            g.allowed_groups = set(o["allowed_groups"])


def _apply_spawner(c: Config, settings: dict, runtime: Runtime, state: Path) -> None:
    sp = settings["spawner"]
    if settings["target"] == "slurm" and settings["slurm"]["user_servers"] == "slurm":
        _apply_slurm_spawner(c, settings)
    elif settings["mode"] == "demo":
        c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
        c.SimpleLocalProcessSpawner.home_dir_template = str(state / "homes" / "{username}")
    else:
        c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
    # by default jupyterhub-singleuser through spacehub.hub.launch (2-3 s faster; see there)
    c.Spawner.cmd = sp["cmd"] or c.Spawner.get("cmd") or [str(runtime.bin_dir / "python"), "-m", "spacehub.hub.launch",
                                                   "jupyterhub-singleuser"]
    args = []
    if runtime.is_root and settings["mode"] == "demo":
        args.append("--allow-root")  # demo mode as root: servers run as root too
    if not settings["collaboration"]["enabled"]:
        args.append("--YDocExtension.disable_rtc=True")
    c.Spawner.args = args
    c.Spawner.default_url = sp["default_url"]
    c.Spawner.start_timeout = sp["start_timeout"]
    c.Spawner.http_timeout = sp["http_timeout"]
    env = {"PATH": f"{runtime.bin_dir}:/usr/local/bin:/usr/bin:/bin", **data_env(settings)}
    scopes = ["users:activity!user", "access:servers!server"]
    if settings["gateway"]["enabled"]:
        env.update(gateway_client_env(settings))
        # the server's JUPYTERHUB_API_TOKEN is what Gateway() authenticates with
        scopes.append(f"access:services!service={GATEWAY_SERVICE}")
    if settings["data_service"]["enabled"]:
        # notebooks reach the HAPI service with their own token
        scopes.append(f"access:services!service={DATA_SERVICE}")
        env["SPACEHUB_HAPI_URL"] = f"http://127.0.0.1:{settings['hub']['port']}{settings['hub']['base_url']}services/{DATA_SERVICE}/hapi"
    if settings["target"] == "slurm" and settings["slurm"]["slurm_conf"]:
        env["SLURM_CONF"] = settings["slurm"]["slurm_conf"]
    c.Spawner.environment = env
    c.Spawner.server_token_scopes = scopes
    tpl = settings["templates"]
    if tpl["enabled"]:
        c.Spawner.pre_spawn_hook = functools.partial(
            pre_spawn_hook, str(templates_source(settings)), tpl["folder"], settings["mode"], str(state))


def templates_source(settings) -> Path:
    """The shipped templates folder: ``templates.source`` relative to the settings file."""
    source = Path(settings["templates"]["source"]).expanduser()
    settings_file = Path(str(getattr(settings, "source", "")))
    base = settings_file.parent if settings_file.is_file() else HUB_DIR
    return (base / source).resolve()


def _apply_slurm_spawner(c: Config, settings: dict) -> None:
    """Each JupyterLab server as a Slurm job of its user (batchspawner), run from the job env.

    batchspawner submits with ``sudo -E -u USER sbatch``; the server reports its port back to the
    hub through ``batchspawner-singleuser``.
    """
    slurm, sp = settings["slurm"], settings["spawner"]
    job_bin = Path(slurm["job_env"]) / "bin"
    c.JupyterHub.spawner_class = "batchspawner.SlurmSpawner"
    s = c.SlurmSpawner
    s.req_partition = slurm["partition"]
    s.req_account = slurm["account"]
    s.req_qos = slurm["qos"]
    s.req_runtime = slurm["server_walltime"]
    s.req_nprocs = f"{sp['cores']:g}"
    s.req_memory = f"{int(sp['memory_gib'] * 1024)}M"
    s.req_srun = ""  # one process: no step needed, and task/none sites have no srun binding to do
    c.Spawner.cpu_limit = float(sp["cores"])
    c.Spawner.mem_limit = int(sp["memory_gib"] * 2**30)
    c.Spawner.cmd = [str(job_bin / "batchspawner-singleuser"), str(job_bin / "jupyterhub-singleuser")]
