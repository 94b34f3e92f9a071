"""The deployment plan: every fact about a deployment, derived once from the settings.

A target only *renders* the plan: :mod:`spacehub.hub.config` (the local and slurm hub),
:mod:`spacehub.gateway.config` (the gateway on those), :mod:`spacehub.render.kubernetes` (Helm values).
What differs between targets is where things are (:class:`Network`: loopback ports here, service
names in a Kubernetes namespace), never what they are: the same settings give the same quota, roles,
logins and server environment everywhere (``tests/unit/test_plan.py`` holds them side by side).

>>> from spacehub.config import validate_settings
>>> p = plan(validate_settings({"target": "kubernetes", "state_dir": "/srv/spacehub"}))
>>> p.network.gateway_proxy, "SPACEHUB_USER_QUOTA" in p.server_env
('gateway://traefik-dask-gateway:80', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.model import Settings
from .names import (
    ADMIN_CLI_SERVICE,
    CACHE_DIR_ENV,
    CACHE_GIB_ENV,
    CULLER_ROLE,
    CULLER_SERVICE,
    DASHBOARDS_ROLE,
    DATA_MAX_SPAN_ENV,
    DATA_MAX_VALUES_ENV,
    DATA_PUBLIC_ENV,
    DATA_SERVICE,
    GALLERY_SERVICE,
    GALLERY_URL_ENV,
    GATEWAY_ROLE,
    GATEWAY_SERVER_SERVICE,
    GATEWAY_SERVICE,
    HAPI_URL_ENV,
    OFFLINE_PLOTS,
    QUOTA_ENV,
    SAMPLE_DATA_ENV,
    WORKSHOPS_SERVICE,
)
from .published import PublishedLimits

#: where the jupyterhub chart mounts the hub's persistent volume (the hub database, local passwords)
KUBE_HUB_DATA = "/srv/jupyterhub"


@dataclass(frozen=True)
class Network:
    """Where each part is reached, as seen from users' servers and from the hub's proxy."""

    hub_api: str  #: the hub's REST API, for services
    gateway_service: str  #: where the hub's proxy sends /services/dask-gateway
    gateway_api: str  #: the gateway's HTTP API for clients (``DASK_GATEWAY__ADDRESS``)
    gateway_proxy: str  #: scheduler traffic, TLS with SNI routing (``DASK_GATEWAY__PROXY_ADDRESS``)
    gateway_public: str  #: links shown to users, e.g. dashboards (``DASK_GATEWAY__PUBLIC_ADDRESS``)
    data_service: str  #: where the hub's proxy sends /services/data
    hapi: str  #: the HAPI service for notebooks (``SPACEHUB_HAPI_URL``)
    gallery_service: str = ""  #: where the hub's proxy sends /services/gallery (local and slurm targets)
    gallery: str = ""  #: the gallery for users' servers (``SPACEHUB_GALLERY_URL``)
    workshops_service: str = ""  #: where the hub's proxy sends /services/workshops (local and slurm targets)


@dataclass(frozen=True)
class Service:
    """A hub-managed service and the role it gets."""

    name: str
    url: str | None  #: where the hub's proxy routes /services/<name>; None: no web endpoint
    display: bool = False  #: listed on the hub's home page
    oauth_no_confirm: bool = False  #: users are not asked to authorise it
    scopes: tuple[str, ...] = ()  #: the service's own role (empty: no role)
    environment: Mapping[str, str] | None = None  #: what it reads besides the hub's JUPYTERHUB_* variables
    role_name: str = ""  #: its role's name, when not the usual one for its name

    @property
    def role(self) -> str:
        return self.role_name or {GATEWAY_SERVICE: GATEWAY_ROLE, CULLER_SERVICE: CULLER_ROLE}.get(
            self.name, f"spacehub-{self.name}")


@dataclass(frozen=True)
class Auth:
    """Who may log in: the authenticator and its traits, by config section.

    Set-valued traits are frozensets, list-valued ones tuples. ``secrets`` names the generated secrets
    that fill traits (section -> trait -> secret name): they are never part of the plan's values.
    """

    authenticator_class: str
    config: Mapping[str, Mapping[str, Any]]
    secrets: Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Homes:
    """Where users' files live and what is put there before each server start."""

    template: str | None  #: a user's home (``{username}`` filled in); None: their Unix account's home
    templates_source: Path | None  #: the shipped analysis templates; None: none are copied
    templates_folder: str  #: the folder inside the home that receives them
    folders: Path | None = None  #: the shared folders' root (spacehub.hub.folders); None: none given


@dataclass(frozen=True)
class Plan:
    settings: Settings
    network: Network
    auth: Auth
    services: tuple[Service, ...]
    user_scopes: tuple[str, ...]  #: the `user` role: what every user may do
    server_token_scopes: tuple[str, ...]  #: what a user's server may do with its own token
    limits: PublishedLimits | None  #: the per-user gateway quota (None without a gateway)
    server_env: Mapping[str, str]  #: a user's server's environment (on top of PATH and JupyterHub's own)
    data_env: Mapping[str, str]  #: where sample data and the shared cache are (servers and the data service)
    hub_data_dir: str  #: the hub's own persistent folder (database, local passwords)
    homes: Homes

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)


def plan(settings: Settings) -> Plan:
    """The plan of ``settings`` for its own target (``settings.target``)."""
    network = _network(settings)
    data_env = _data_env(settings)
    limits = _limits(settings) if settings.gateway.enabled else None
    server_env = {**data_env, **OFFLINE_PLOTS}
    if settings.gateway.enabled and limits is not None:
        server_env.update({
            "DASK_GATEWAY__ADDRESS": network.gateway_api,
            "DASK_GATEWAY__PROXY_ADDRESS": network.gateway_proxy,
            "DASK_GATEWAY__PUBLIC_ADDRESS": network.gateway_public,
            "DASK_GATEWAY__AUTH__TYPE": "jupyterhub",
            # the per-user quota, for the cluster panel to show (the gateway enforces it either way)
            QUOTA_ENV: limits.to_json(),
        })
    if settings.data_service.enabled:
        server_env[HAPI_URL_ENV] = network.hapi
    if gallery_enabled(settings):
        server_env[GALLERY_URL_ENV] = network.gallery
    if settings.target == "slurm" and settings.slurm.slurm_conf:
        server_env["SLURM_CONF"] = settings.slurm.slurm_conf
    hub_data = KUBE_HUB_DATA if settings.target == "kubernetes" else str(settings.state_dir)
    tpl = settings.templates
    homes = Homes(template=str(settings.state_dir / "homes" / "{username}")
                  if settings.mode == "demo" and settings.target != "kubernetes" else None,
                  templates_source=tpl.source if tpl.enabled else None, templates_folder=tpl.folder,
                  folders=settings.folders.root if settings.folders.enabled and settings.target != "kubernetes"
                  else None)
    return Plan(settings=settings, network=network, auth=_auth(settings, hub_data),
                services=_services(settings, network, data_env), user_scopes=_user_scopes(settings),
                server_token_scopes=_server_token_scopes(settings), limits=limits, server_env=server_env,
                data_env=data_env, hub_data_dir=hub_data, homes=homes)


def workshops_enabled(settings: Settings) -> bool:
    """The workshops service runs beside the hub: local logins (a seat's password), local and slurm targets."""
    return settings.workshops.enabled and settings.target != "kubernetes" and settings.auth.type == "local"


#: what `spacehub workshop` (the admin-cli token) and the workshops service do on the hub: make seats and
#: the workshop's group, share seats' servers with the instructors, start and stop seats' servers, read
#: their activity
WORKSHOP_SCOPES = ("admin:groups", "list:users", "read:users:name", "admin:users", "shares", "servers", "read:servers",
                   "read:users:activity")


def gallery_enabled(settings: Settings) -> bool:
    """The gallery runs beside the hub (local and slurm targets; the chart has no gallery image yet)."""
    return settings.gallery.enabled and settings.target != "kubernetes"


def gateway_fullname(settings: Settings) -> str:
    """Name prefix of the dask-gateway chart's objects (its ``fullname`` template)."""
    release = settings.kubernetes.gateway_release
    return release if "dask-gateway" in release else f"{release}-dask-gateway"


def _network(s: Settings) -> Network:
    base = s.hub.base_url
    gateway_route = f"{base}services/{GATEWAY_SERVICE}"
    hapi_route = f"{base}services/{DATA_SERVICE}/hapi"
    if s.target == "kubernetes":
        # one namespace: the chart's services by name (z2jh's proxy-public and hub, the gateway's traefik)
        traefik = f"traefik-{gateway_fullname(s)}"
        return Network(hub_api=f"http://hub:8081{base}hub/api", gateway_service=f"http://{traefik}",
                       gateway_api=f"http://proxy-public{gateway_route}", gateway_proxy=f"gateway://{traefik}:80",
                       gateway_public=gateway_route,
                       data_service=f"http://spacehub-data:{s.data_service.port}",
                       hapi=f"http://proxy-public{hapi_route}")
    # servers run on this machine: the API through the hub's proxy (and the gate) on loopback,
    # scheduler traffic straight to the gateway's own proxy, links with the URL the users' browsers know
    return Network(hub_api=f"http://127.0.0.1:{s.hub.api_port}{base}hub/api",
                   gateway_service=f"http://127.0.0.1:{s.gateway.gate_port}",
                   gateway_api=f"http://127.0.0.1:{s.hub.port}{gateway_route}",
                   gateway_proxy=f"gateway://127.0.0.1:{s.gateway.port}",
                   gateway_public=s.hub.public_url.rstrip("/") + f"/services/{GATEWAY_SERVICE}",
                   data_service=f"http://127.0.0.1:{s.data_service.port}",
                   hapi=f"http://127.0.0.1:{s.hub.port}{hapi_route}",
                   gallery_service=f"http://127.0.0.1:{s.gallery.port}",
                   gallery=f"http://127.0.0.1:{s.hub.port}{base}services/{GALLERY_SERVICE}/",
                   workshops_service=f"http://127.0.0.1:{s.workshops.port}")


def _data_env(s: Settings) -> dict[str, str]:
    """Where reads find the offline sample data and the hub's shared download cache."""
    env = {CACHE_GIB_ENV: f"{s.cache.size / 2**30:g}"}
    if s.target == "kubernetes":
        # no sample data in the image; the cache is shared only where a shared volume is mounted
        if s.kubernetes.shared_claim:
            env[CACHE_DIR_ENV] = f"{s.kubernetes.shared_mount_path.rstrip('/')}/cache"
        return env
    env[SAMPLE_DATA_ENV] = str(s.state_dir / "sample-data")
    env[CACHE_DIR_ENV] = str(s.cache.dir)
    return env


def _limits(s: Settings) -> PublishedLimits:
    gw = s.gateway
    return PublishedLimits(cores=gw.user_quota.cores, memory=gw.user_quota.memory, clusters=gw.user_quota.clusters,
                           scheduler_cores=gw.scheduler_cores, scheduler_memory=gw.scheduler_memory,
                           cluster_max_workers=gw.cluster_limits.workers)


def _user_scopes(s: Settings) -> tuple[str, ...]:
    scopes = ["self"]
    if s.gateway.enabled:
        scopes.append(f"access:services!service={GATEWAY_SERVICE}")
    if s.data_service.enabled:
        scopes.append(f"access:services!service={DATA_SERVICE}")
    if gallery_enabled(s):
        scopes.append(f"access:services!service={GALLERY_SERVICE}")
    if workshops_enabled(s):  # everyone may ask; it answers each instructor about their own workshops only
        scopes.append(f"access:services!service={WORKSHOPS_SERVICE}")
    if s.sharing:
        # JupyterHub server sharing: share one's own server, find others by name
        scopes += ["shares!user", "read:users:name", "read:groups:name"]
    return tuple(scopes)


def _server_token_scopes(s: Settings) -> tuple[str, ...]:
    scopes = ["users:activity!user", "access:servers!server"]
    if s.gateway.enabled:
        # the server's JUPYTERHUB_API_TOKEN is what Gateway() authenticates with
        scopes.append(f"access:services!service={GATEWAY_SERVICE}")
    if s.data_service.enabled:
        # notebooks reach the HAPI service with their own token
        scopes.append(f"access:services!service={DATA_SERVICE}")
    if gallery_enabled(s):
        # the server publishes its user's notebooks and fetches the ones they open
        scopes.append(f"access:services!service={GALLERY_SERVICE}")
    return tuple(scopes)


def _services(s: Settings, network: Network, data_env: Mapping[str, str]) -> tuple[Service, ...]:
    services = []
    # to stop the clusters of users whose server stopped (gateway.stop_with_server)
    gateway_scopes = ("list:users", "read:users:name", "read:servers")
    if s.gateway.enabled and s.target == "kubernetes":
        services.append(Service(GATEWAY_SERVICE, network.gateway_service, scopes=gateway_scopes))
    elif s.gateway.enabled:
        # users reach the gate (their tokens' access to dask-gateway is access to it); it reads the
        # shares of whoever asks for a dashboard, and passes the rest on to the gateway's own proxy
        services.append(Service(GATEWAY_SERVICE, network.gateway_service, oauth_no_confirm=True,
                                scopes=("read:users:shares",), role_name=DASHBOARDS_ROLE,
                                environment={"SPACEHUB_GATEWAY_PROXY": f"http://127.0.0.1:{s.gateway.port}"}))
        services.append(Service(GATEWAY_SERVER_SERVICE, None, scopes=gateway_scopes, role_name=GATEWAY_ROLE))
    if s.data_service.enabled:
        env = {**data_env, DATA_MAX_VALUES_ENV: str(s.data_service.max_values),
               DATA_MAX_SPAN_ENV: repr(float(s.data_service.max_span_days))}
        if s.data_service.public:
            env[DATA_PUBLIC_ENV] = "1"
        services.append(Service(DATA_SERVICE, network.data_service, display=True, oauth_no_confirm=True,
                                environment=env))
    if gallery_enabled(s):
        env = {**data_env, "SPACEHUB_GALLERY_DIR": str(s.state_dir / "gallery"),
               "SPACEHUB_GALLERY_TIMEOUT": str(s.gallery.check_timeout),
               "SPACEHUB_GALLERY_MAX_MB": repr(float(s.gallery.max_notebook_mib)),
               "SPACEHUB_GALLERY_AT_ONCE": str(s.gallery.checks_at_once),
               "SPACEHUB_PUBLIC_URL": s.hub.public_url, **OFFLINE_PLOTS}
        services.append(Service(GALLERY_SERVICE, network.gallery_service, display=True, oauth_no_confirm=True,
                                environment=env))
    if workshops_enabled(s):
        services.append(Service(WORKSHOPS_SERVICE, network.workshops_service, display=True, oauth_no_confirm=True,
                                scopes=WORKSHOP_SCOPES, environment={
                                    "SPACEHUB_WORKSHOPS_EVERY": str(s.workshops.check_every),
                                    "SPACEHUB_PUBLIC_URL": s.hub.public_url}))
    if s.target != "kubernetes" and (s.folders.enabled or workshops_enabled(s)):
        # `spacehub groups` and `spacehub workshop` on the host: groups (who sees which folder), and a
        # workshop's seats (made, shared with its instructors, their servers started ahead and stopped at its end)
        services.append(Service(ADMIN_CLI_SERVICE, None, scopes=WORKSHOP_SCOPES))
    if s.culler.enabled:
        services.append(Service(CULLER_SERVICE, None,
                                scopes=("list:users", "read:users:activity", "read:servers", "delete:servers")))
    return tuple(services)


def _auth(s: Settings, hub_data: str) -> Auth:
    a = s.auth
    config: dict[str, dict[str, Any]] = {"Authenticator": {
        "admin_users": frozenset(a.admin_users), "allowed_users": frozenset(a.allowed_users),
        # users an admin creates in the admin panel may log in too
        "allow_existing_users": True,
        # a workshop: whoever knows the shared password picks a username, unless a list is given
        "allow_all": a.type == "shared-password" and not a.allowed_users}}
    secrets: dict[str, dict[str, str]] = {}
    if a.type == "local":
        klass = "firstuseauthenticator.FirstUseAuthenticator"
        # only listed or admin-created users may set a password: no open sign-up
        config["FirstUseAuthenticator"] = {"dbm_path": str(Path(hub_data) / "passwords.dbm"), "create_users": False,
                                           "min_password_length": a.min_password_length}
    elif a.type == "shared-password":
        klass = "shared-password"
        secrets["SharedPasswordAuthenticator"] = {"user_password": "shared_password",
                                                  "admin_password": "admin_password"}
    elif a.type == "github" and a.github is not None:
        klass = "oauthenticator.github.GitHubOAuthenticator"
        gh = a.github
        config["GitHubOAuthenticator"] = {"client_id": gh.client_id, "client_secret": gh.client_secret,
                                          "oauth_callback_url": gh.callback_url,
                                          "allowed_organizations": frozenset(gh.allowed_organizations)}
    elif a.type == "oidc" and a.oidc is not None:
        klass = "oauthenticator.generic.GenericOAuthenticator"
        o = a.oidc
        g: dict[str, Any] = {"client_id": o.client_id, "client_secret": o.client_secret,
                             "oauth_callback_url": o.callback_url, "authorize_url": o.authorize_url,
                             "token_url": o.token_url, "userdata_url": o.userdata_url,
                             "username_claim": o.username_claim, "scope": tuple(o.scope)}
        if o.allowed_groups:
            g.update(manage_groups=True, auth_state_groups_key="oauth_user.groups",
                     allowed_groups=frozenset(o.allowed_groups))
        config["GenericOAuthenticator"] = g
    else:  # the settings' validation makes this unreachable
        raise ValueError(f"auth.type {a.type} without its auth.{a.type} settings")
    return Auth(klass, config, secrets)
