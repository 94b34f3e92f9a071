"""The typed, immutable settings the rest of spacehub reads.

:func:`spacehub.config.load_settings` validates the YAML against the schema (errors name the file,
line, key and why), fills the defaults, and builds these objects once. Units are parsed here and
nowhere else: memory is bytes (``int``), durations are seconds, paths are absolute. The YAML keeps
the operator's units (``memory_gib: 24``).

>>> from spacehub.config.settings import validate_settings
>>> s = validate_settings({"gateway": {"user_quota": {"memory_gib": 1.5}}})
>>> s.gateway.user_quota.memory, s.gateway.user_quota.cores
(1610612736, 12.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from dask.utils import format_bytes, parse_bytes

T = TypeVar("T", int, float)


def gib(value: float) -> int:
    """``value`` GiB in bytes, through dask's parser (``gib(1.5) == 1610612736``)."""
    return int(parse_bytes(f"{value!r} GiB"))


def describe_bytes(n: int) -> str:
    """Bytes for people: ``describe_bytes(2**30) == '1.00 GiB'``."""
    return str(format_bytes(n))


@dataclass(frozen=True)
class Choice(Generic[T]):
    """A value users choose within bounds (the gateway's cluster options)."""

    default: T
    min: T
    max: T


@dataclass(frozen=True)
class HubSettings:
    ip: str
    port: int
    api_port: int
    proxy_api_port: int
    base_url: str  #: starts and ends with '/'
    public_url: str  #: the URL users open, ending in '/' (derived from ip/port when not set)


@dataclass(frozen=True)
class GitHubAuth:
    client_id: str
    client_secret: str
    callback_url: str
    allowed_organizations: tuple[str, ...] = ()


@dataclass(frozen=True)
class OIDCAuth:
    client_id: str
    client_secret: str
    callback_url: str
    authorize_url: str
    token_url: str
    userdata_url: str
    username_claim: str = "preferred_username"
    scope: tuple[str, ...] = ("openid", "profile", "email")
    allowed_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthSettings:
    type: str  #: local | shared-password | github | oidc
    admin_users: tuple[str, ...]
    allowed_users: tuple[str, ...]
    min_password_length: int
    github: GitHubAuth | None = None
    oidc: OIDCAuth | None = None


@dataclass(frozen=True)
class SpawnerSettings:
    cmd: tuple[str, ...]
    default_url: str
    start_timeout: int
    http_timeout: int
    cores: float
    memory: int  #: bytes
    concurrent_starts: int = 4  #: local servers started at once (spacehub.hub.spawning)


@dataclass(frozen=True)
class TemplatesSettings:
    enabled: bool
    source: Path  #: absolute
    folder: str  #: inside each user's home


@dataclass(frozen=True)
class FoldersSettings:
    enabled: bool
    root: Path  #: absolute


@dataclass(frozen=True)
class ClusterLimits:
    cores: float | None = None
    memory: int | None = None  #: bytes
    workers: int | None = None


@dataclass(frozen=True)
class UserQuotaSettings:
    cores: float
    memory: int  #: bytes
    clusters: int


@dataclass(frozen=True)
class GatewaySettings:
    enabled: bool
    port: int
    worker_cores: Choice[int]
    worker_memory: Choice[int]  #: bytes
    scheduler_cores: float
    scheduler_memory: int  #: bytes
    cluster_limits: ClusterLimits
    user_quota: UserQuotaSettings
    worker_nanny: bool
    idle_timeout: float
    stop_with_server: bool
    check_servers_every: float
    gate_port: int = 8004  #: the gate in front of the gateway (dashboards behind the hub's login)


@dataclass(frozen=True)
class Profile:
    name: str
    display_name: str
    description: str
    cores: float
    memory: int  #: bytes
    default: bool


@dataclass(frozen=True)
class SlurmSettings:
    partition: str
    account: str
    qos: str
    walltime: str
    slurm_conf: str
    job_env: Path
    staging_dir: str
    gateway_host: str
    user_servers: str  #: local | slurm
    server_walltime: str


@dataclass(frozen=True)
class KubernetesSettings:
    image_name: str
    image_tag: str
    gateway_release: str
    host: str
    home_storage: int  #: bytes
    storage_class: str
    shared_claim: str
    shared_mount_path: str


@dataclass(frozen=True)
class CacheSettings:
    dir: Path  #: absolute (relative settings are inside the state dir)
    size: int  #: bytes


@dataclass(frozen=True)
class DataServiceSettings:
    enabled: bool
    port: int
    public: bool
    max_values: int = 20_000_000  #: values one data request may ask for (HAPI 1408 beyond)
    max_span_days: float = 366  #: days one request may span, for datasets without a cadence


@dataclass(frozen=True)
class GallerySettings:
    enabled: bool
    port: int
    max_notebook_mib: float  #: a publish's size limit (notebook and files)
    check_timeout: int  #: seconds a re-run may take
    checks_at_once: int


@dataclass(frozen=True)
class WorkshopsSettings:
    enabled: bool
    port: int
    check_every: int  #: seconds between looks for workshops whose end time has come


@dataclass(frozen=True)
class CullerSettings:
    enabled: bool
    timeout: int
    every: int


@dataclass(frozen=True)
class IsolatedSettings:
    accounts: str  #: create | existing
    group: str
    home_root: Path
    min_uid: int
    users_env: Path  #: the environment users' servers and Dask processes run from


@dataclass(frozen=True)
class Settings:
    """A validated settings file: every default filled in, units parsed, paths absolute."""

    mode: str  #: demo | isolated (``auto`` in a file is resolved when it is read)
    unsafe_demo_as_root: bool  #: demo mode may start as root (every user's code runs as root)
    isolated: IsolatedSettings
    target: str  #: local | slurm | kubernetes
    state_dir: Path
    hub: HubSettings
    auth: AuthSettings
    spawner: SpawnerSettings
    templates: TemplatesSettings
    folders: FoldersSettings
    gateway: GatewaySettings
    profiles: tuple[Profile, ...]
    slurm: SlurmSettings
    kubernetes: KubernetesSettings
    cache: CacheSettings
    data_service: DataServiceSettings
    gallery: GallerySettings
    workshops: WorkshopsSettings
    culler: CullerSettings
    collaboration: bool
    sharing: bool
    source: Path = field(compare=False)  #: the settings file (or ``<settings>`` for a mapping)


def build_settings(d: dict[str, Any], source: Path, base: Path, templates_base: Path | None = None) -> Settings:
    """The typed settings of a validated, defaults-filled mapping ``d``; relative paths from ``base``
    (``templates.source`` from ``templates_base``, default ``base``)."""
    state_dir = (base / Path(d["state_dir"]).expanduser()).resolve()
    hub = d["hub"]
    public_url = hub["public_url"] or f"http://{hub['ip']}:{hub['port']}{hub['base_url']}"
    a = d["auth"]
    sp, gw, k, tpl, iso = d["spawner"], d["gateway"], d["kubernetes"], d["templates"], d["isolated"]
    limits = gw["cluster_limits"]
    return Settings(
        mode=d["mode"], unsafe_demo_as_root=d["unsafe_demo_as_root"],
        isolated=IsolatedSettings(iso["accounts"], iso["group"], (base / Path(iso["home_root"])).resolve(),
                                  iso["min_uid"], (base / Path(iso["users_env"]).expanduser()).absolute()),
        target=d["target"], state_dir=state_dir,
        hub=HubSettings(hub["ip"], hub["port"], hub["api_port"], hub["proxy_api_port"], hub["base_url"],
                        public_url if public_url.endswith("/") else public_url + "/"),
        auth=AuthSettings(
            type=a["type"], admin_users=tuple(a["admin_users"]), allowed_users=tuple(a["allowed_users"]),
            min_password_length=a["min_password_length"],
            github=GitHubAuth(**{**a["github"], "allowed_organizations": tuple(
                a["github"].get("allowed_organizations", ()))}) if "github" in a else None,
            oidc=OIDCAuth(**{**a["oidc"], **{key: tuple(a["oidc"][key]) for key in ("scope", "allowed_groups")
                                             if key in a["oidc"]}}) if "oidc" in a else None),
        spawner=SpawnerSettings(tuple(sp["cmd"]), sp["default_url"], sp["start_timeout"], sp["http_timeout"],
                                float(sp["cores"]), gib(sp["memory_gib"]), sp["concurrent_starts"]),
        templates=TemplatesSettings(tpl["enabled"],
                                    ((templates_base or base) / Path(tpl["source"]).expanduser()).resolve(),
                                    tpl["folder"]),
        folders=FoldersSettings(d["folders"]["enabled"], (state_dir / Path(d["folders"]["root"]).expanduser()).resolve()),
        gateway=GatewaySettings(
            enabled=gw["enabled"], port=gw["port"],
            worker_cores=Choice(**gw["worker_cores"]),
            worker_memory=Choice(*(gib(gw["worker_memory_gib"][key]) for key in ("default", "min", "max"))),
            scheduler_cores=float(gw["scheduler_cores"]), scheduler_memory=gib(gw["scheduler_memory_gib"]),
            cluster_limits=ClusterLimits(
                float(limits["cores"]) if "cores" in limits else None,
                gib(limits["memory_gib"]) if "memory_gib" in limits else None, limits.get("workers")),
            user_quota=UserQuotaSettings(float(gw["user_quota"]["cores"]), gib(gw["user_quota"]["memory_gib"]),
                                         gw["user_quota"]["clusters"]),
            worker_nanny=gw["worker_nanny"], idle_timeout=float(gw["idle_timeout"]),
            stop_with_server=gw["stop_with_server"], check_servers_every=float(gw["check_servers_every"]),
            gate_port=gw["gate_port"]),
        profiles=tuple(Profile(p["name"], p.get("display_name", p["name"]), p.get("description", ""),
                               float(p["cores"]), gib(p["memory_gib"]), p.get("default", False))
                       for p in d["profiles"]),
        slurm=SlurmSettings(**{**d["slurm"], "job_env": Path(d["slurm"]["job_env"])}),
        kubernetes=KubernetesSettings(
            k["image"]["name"], k["image"]["tag"], k["gateway_release"], k["host"], gib(k["home_storage_gib"]),
            k["storage_class"], k["shared_storage"]["claim"], k["shared_storage"]["mount_path"]),
        cache=CacheSettings((state_dir / Path(d["cache"]["dir"]).expanduser()).resolve(),
                            gib(d["cache"]["size_gib"])),
        data_service=DataServiceSettings(**d["data_service"]),
        gallery=GallerySettings(**d["gallery"]),
        workshops=WorkshopsSettings(**d["workshops"]),
        culler=CullerSettings(**d["culler"]),
        collaboration=d["collaboration"]["enabled"], sharing=d["sharing"]["enabled"],
        source=source,
    )
