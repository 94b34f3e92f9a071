"""Settings -> values of the jupyterhub (z2jh) and dask-gateway Helm charts (kubernetes target).

The two releases live in one namespace, as in the daskhub pairing: the hub routes
``/services/dask-gateway`` to the gateway's traefik service, the gateway checks users' tokens with
the hub, and notebooks reach both by service name. The charts run JupyterHub 5.5, so only options
JupyterHub 5 knows are rendered.

Limits come from the same keys as on the other targets (``gateway``, ``spawner``, ``culler``), so a
group moving from one target to another keeps its quota; ``tests/unit/test_render.py`` holds the
three renderings side by side.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from traitlets.config import Config

from ..gateway.config import apply_cluster_limits
from ..gateway.quota import GIB
from ..hub.config import DATA_SERVICE, GATEWAY_SERVICE, _user_scopes

#: where the chart mounts the hub's persistent volume (the hub database, local passwords)
HUB_DATA = "/srv/jupyterhub"
#: the secret the operator creates for passwords that must not be in values files
SECRET = "spacehub-secrets"
DATA_PORT = 8003


def gateway_fullname(settings: dict) -> str:
    """Name prefix of the dask-gateway chart's objects (its ``fullname`` template)."""
    release = settings["kubernetes"]["gateway_release"]
    return release if "dask-gateway" in release else f"{release}-dask-gateway"


def jupyterhub_values(settings: dict) -> dict:
    """Values for the jupyterhub chart (z2jh 4.x, JupyterHub 5.5).

    Examples
    --------
    >>> from spacehub.config.settings import validate_settings
    >>> v = jupyterhub_values(validate_settings({"target": "kubernetes"}))
    >>> v["singleuser"]["memory"]["limit"], v["cull"]["timeout"]
    ('4G', 3600)
    """
    hub = settings["hub"]
    values = {
        "hub": {
            "baseUrl": hub["base_url"],
            "config": _auth_config(settings),
            "services": _services(settings),
            "loadRoles": _roles(settings),
        },
        "singleuser": _singleuser(settings),
        "cull": {"enabled": settings["culler"]["enabled"], "timeout": settings["culler"]["timeout"],
                 "every": settings["culler"]["every"]},
    }
    if settings["auth"]["type"] == "shared-password":
        values["hub"]["extraEnv"] = {
            "SPACEHUB_SHARED_PASSWORD": {"valueFrom": {"secretKeyRef": {"name": SECRET, "key": "shared_password"}}},
            "SPACEHUB_ADMIN_PASSWORD": {"valueFrom": {"secretKeyRef": {"name": SECRET, "key": "admin_password"}}},
        }
        values["hub"]["extraConfig"] = {"spacehub-shared-password": (
            "import os\n"
            "c.SharedPasswordAuthenticator.user_password = os.environ['SPACEHUB_SHARED_PASSWORD']\n"
            "c.SharedPasswordAuthenticator.admin_password = os.environ['SPACEHUB_ADMIN_PASSWORD']\n")}
    if settings["kubernetes"]["host"]:
        values["ingress"] = {"enabled": True, "hosts": [settings["kubernetes"]["host"]]}
    return values


def _auth_config(settings: dict) -> dict:
    auth = settings["auth"]
    kind = auth["type"]
    config = {"Authenticator": {"admin_users": sorted(auth["admin_users"]),
                                "allowed_users": sorted(auth["allowed_users"]),
                                "allow_existing_users": True,
                                "allow_all": kind == "shared-password" and not auth["allowed_users"]}}
    if kind == "local":
        config["JupyterHub"] = {"authenticator_class": "firstuseauthenticator.FirstUseAuthenticator"}
        config["FirstUseAuthenticator"] = {"dbm_path": f"{HUB_DATA}/passwords.dbm", "create_users": False,
                                           "min_password_length": auth["min_password_length"]}
    elif kind == "shared-password":
        config["JupyterHub"] = {"authenticator_class": "shared-password"}
    elif kind == "github":
        gh = auth["github"]
        config["JupyterHub"] = {"authenticator_class": "github"}
        config["GitHubOAuthenticator"] = {"client_id": gh["client_id"], "client_secret": gh["client_secret"],
                                          "oauth_callback_url": gh["callback_url"],
                                          "allowed_organizations": sorted(gh.get("allowed_organizations", []))}
    else:
        o = auth["oidc"]
        config["JupyterHub"] = {"authenticator_class": "generic-oauth"}
        g = {"client_id": o["client_id"], "client_secret": o["client_secret"], "oauth_callback_url": o["callback_url"],
             "authorize_url": o["authorize_url"], "token_url": o["token_url"], "userdata_url": o["userdata_url"],
             "username_claim": o.get("username_claim", "preferred_username"),
             "scope": list(o.get("scope", ["openid", "profile", "email"]))}
        if o.get("allowed_groups"):
            g.update(manage_groups=True, auth_state_groups_key="oauth_user.groups",
                     allowed_groups=sorted(o["allowed_groups"]))
        config["GenericOAuthenticator"] = g
    sp = settings["spawner"]
    config["KubeSpawner"] = {"http_timeout": sp["http_timeout"]}
    return config


def _services(settings: dict) -> dict:
    services = {}
    if settings["gateway"]["enabled"]:
        # the chart generates the token and keeps it in the `hub` secret, where the gateway reads it
        services[GATEWAY_SERVICE] = {"url": f"http://traefik-{gateway_fullname(settings)}", "display": False}
    if settings["data_service"]["enabled"]:
        services[DATA_SERVICE] = {"url": f"http://spacehub-data:{DATA_PORT}", "display": True,
                                  "oauth_no_confirm": True}
    return services


def _roles(settings: dict) -> dict:
    roles = {"user": {"scopes": _user_scopes(settings)}}
    if settings["gateway"]["enabled"]:
        roles["spacehub-gateway"] = {"services": [GATEWAY_SERVICE],
                                     "scopes": ["list:users", "read:users:name", "read:servers"]}
    return roles


def _memory(gib: float) -> str:
    """KubeSpawner's byte specification: G is GiB (1024**3)."""
    return f"{gib:g}G"


def _singleuser(settings: dict) -> dict:
    k, sp, gw = settings["kubernetes"], settings["spawner"], settings["gateway"]
    env = {"SPACEHUB_CACHE_GIB": f"{settings['cache']['size_gib']:g}"}
    if k["shared_storage"]["claim"]:
        env["SPACEHUB_CACHE_DIR"] = f"{k['shared_storage']['mount_path'].rstrip('/')}/cache"
    if gw["enabled"]:
        route = f"{settings['hub']['base_url']}services/{GATEWAY_SERVICE}"
        env.update({
            "DASK_GATEWAY__ADDRESS": f"http://proxy-public{route}",
            "DASK_GATEWAY__PROXY_ADDRESS": f"gateway://traefik-{gateway_fullname(settings)}:80",
            "DASK_GATEWAY__PUBLIC_ADDRESS": route,
            "DASK_GATEWAY__AUTH__TYPE": "jupyterhub",
        })
    if settings["data_service"]["enabled"]:
        env["SPACEHUB_HAPI_URL"] = f"http://proxy-public{settings['hub']['base_url']}services/{DATA_SERVICE}/hapi"
    storage = {"type": "dynamic", "capacity": f"{k['home_storage_gib']:g}Gi"}
    if k["storage_class"]:
        storage["dynamic"] = {"storageClass": k["storage_class"]}
    if k["shared_storage"]["claim"]:
        storage["extraVolumes"] = [{"name": "spacehub-shared",
                                    "persistentVolumeClaim": {"claimName": k["shared_storage"]["claim"]}}]
        storage["extraVolumeMounts"] = [{"name": "spacehub-shared", "mountPath": k["shared_storage"]["mount_path"]}]
    single = {
        "image": {"name": k["image"]["name"], "tag": k["image"]["tag"]},
        "cpu": {"limit": float(sp["cores"])},
        "memory": {"limit": _memory(sp["memory_gib"])},
        "defaultUrl": sp["default_url"],
        "startTimeout": sp["start_timeout"],
        "extraEnv": env,
        "storage": storage,
    }
    if sp["cmd"]:
        single["cmd"] = list(sp["cmd"])
    if settings["profiles"]:
        single["profileList"] = [{
            "display_name": p.get("display_name", p["name"]),
            "slug": p["name"],
            "description": p.get("description", ""),
            "default": p.get("default", False),
            "kubespawner_override": {"cpu_limit": float(p["cores"]), "mem_limit": _memory(p["memory_gib"])},
        } for p in settings["profiles"]]
    return single


def kube_gateway_config(settings: dict) -> Config:
    """The gateway's own configuration on Kubernetes: backend with the per-user quota, limits.

    The dask-gateway chart sets the gateway's basics from its values; this is what it has no value
    for. It is written into the values as ``gateway.extraConfig`` code (:func:`config_code`).
    """
    gw = settings["gateway"]
    c = Config()
    c.DaskGateway.backend_class = "spacehub.gateway.backend.KubeQuotaBackend"
    b = c.KubeQuotaBackend
    b.user_max_cores = gw["user_quota"]["cores"]
    b.user_max_memory = int(gw["user_quota"]["memory_gib"] * GIB)
    b.user_max_clusters = gw["user_quota"]["clusters"]
    apply_cluster_limits(c.KubeClusterConfig, gw)
    return c


def config_code(c: Config, settings: dict) -> str:
    """``c`` as the Python lines of a traitlets config file, plus the users' cluster options."""
    lines = [f"c.{section}.{key} = {value!r}" for section, traits in c.items() for key, value in traits.items()]
    cores, mem = settings["gateway"]["worker_cores"], settings["gateway"]["worker_memory_gib"]
    lines += [
        "from dask_gateway_server.options import Float, Integer, Options",
        "def _spacehub_worker_size(options):",
        "    memory = int(options.worker_memory * 2**30)",
        "    return {'worker_cores': options.worker_cores, 'worker_cores_limit': options.worker_cores,",
        "            'worker_threads': options.worker_cores, 'worker_memory': memory, 'worker_memory_limit': memory}",
        "c.Backend.cluster_options = Options(",
        f"    Integer('worker_cores', {cores['default']}, min={cores['min']}, max={cores['max']}, label='Worker cores'),",
        f"    Float('worker_memory', {mem['default']!r}, min={mem['min']!r}, max={mem['max']!r}, "
        "label='Worker memory (GiB)'),",
        "    handler=_spacehub_worker_size)",
    ]
    return "\n".join(lines) + "\n"


def dask_gateway_values(settings: dict) -> dict:
    """Values for the dask-gateway chart, next to a jupyterhub release in the same namespace."""
    k, gw = settings["kubernetes"], settings["gateway"]
    image = {"name": k["image"]["name"], "tag": k["image"]["tag"]}
    size = {"cores": {"request": float(gw["worker_cores"]["default"]), "limit": float(gw["worker_cores"]["default"])},
            "memory": {"request": _memory(gw["worker_memory_gib"]["default"]),
                       "limit": _memory(gw["worker_memory_gib"]["default"])}}
    return {
        "gateway": {
            "prefix": f"{settings['hub']['base_url']}services/{GATEWAY_SERVICE}",
            # the user image carries spacehub (the quota backend) and dask-gateway-server[kubernetes]
            "image": dict(image),
            "auth": {"type": "jupyterhub", "jupyterhub": {
                "apiTokenFromSecretName": "hub",
                "apiTokenFromSecretKey": f"hub.services.{GATEWAY_SERVICE}.apiToken",
                "apiUrl": f"http://hub:8081{settings['hub']['base_url']}hub/api",
                "jupyterhubServiceName": GATEWAY_SERVICE,
            }},
            "backend": {
                "image": dict(image),
                "scheduler": {"cores": {"request": float(gw["scheduler_cores"]), "limit": float(gw["scheduler_cores"])},
                              "memory": {"request": _memory(gw["scheduler_memory_gib"]),
                                         "limit": _memory(gw["scheduler_memory_gib"])}},
                "worker": size,
            },
            "extraConfig": {"spacehub-limits": config_code(kube_gateway_config(settings), settings)},
        },
    }


def data_service_manifests(settings: dict) -> list[dict]:
    """Deployment and Service of the HAPI data service, run from the user image beside the hub."""
    k = settings["kubernetes"]
    labels = {"app.kubernetes.io/name": "spacehub-data"}
    env = [{"name": "JUPYTERHUB_API_TOKEN", "valueFrom": {"secretKeyRef": {
               "name": "hub", "key": f"hub.services.{DATA_SERVICE}.apiToken"}}},
           {"name": "JUPYTERHUB_API_URL", "value": f"http://hub:8081{settings['hub']['base_url']}hub/api"},
           {"name": "JUPYTERHUB_SERVICE_PREFIX", "value": f"{settings['hub']['base_url']}services/{DATA_SERVICE}/"},
           {"name": "JUPYTERHUB_SERVICE_URL", "value": f"http://0.0.0.0:{DATA_PORT}"},
           {"name": "SPACEHUB_CACHE_GIB", "value": f"{settings['cache']['size_gib']:g}"}]
    if settings["data_service"]["public"]:
        env.append({"name": "SPACEHUB_DATA_PUBLIC", "value": "1"})
    container = {"name": "data", "image": f"{k['image']['name']}:{k['image']['tag']}",
                 "command": ["python", "-m", "spacehub.services.data"], "env": env,
                 "ports": [{"containerPort": DATA_PORT}]}
    pod = {"containers": [container]}
    if k["shared_storage"]["claim"]:
        env.append({"name": "SPACEHUB_CACHE_DIR", "value": "/srv/shared/cache"})
        container["volumeMounts"] = [{"name": "shared", "mountPath": "/srv/shared"}]
        pod["volumes"] = [{"name": "shared", "persistentVolumeClaim": {"claimName": k["shared_storage"]["claim"]}}]
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "spacehub-data", "labels": labels},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": pod}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "spacehub-data", "labels": labels},
         "spec": {"selector": labels, "ports": [{"port": DATA_PORT, "targetPort": DATA_PORT}]}},
    ]


class _ValuesDumper(yaml.SafeDumper):
    """Readable values files: code as literal blocks, no anchors."""

    def ignore_aliases(self, data):
        return True


_ValuesDumper.add_representer(str, lambda d, s: d.represent_scalar(
    "tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def write_kubernetes(settings: dict, out: Path) -> list[Path]:
    """Write ``jupyterhub-values.yaml``, ``dask-gateway-values.yaml`` (and the data service's
    manifests) into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"jupyterhub-values.yaml": jupyterhub_values(settings)}
    if settings["gateway"]["enabled"]:
        files["dask-gateway-values.yaml"] = dask_gateway_values(settings)
    dump = {"Dumper": _ValuesDumper, "sort_keys": False}
    header = f"# rendered by `spacehub render kubernetes` from {settings.source}; edit that file, not this one\n"
    written = []
    for name, values in files.items():
        path = out / name
        path.write_text(header + yaml.dump(values, **dump))
        written.append(path)
    if settings["data_service"]["enabled"]:
        path = out / "spacehub-data.yaml"
        path.write_text(header + yaml.dump_all(data_service_manifests(settings), **dump))
        written.append(path)
    return written
