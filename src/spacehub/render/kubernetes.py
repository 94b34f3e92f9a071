"""Settings -> values of the jupyterhub (z2jh) and dask-gateway Helm charts (kubernetes target).

The two releases live in one namespace, as in the daskhub pairing: the hub routes
``/services/dask-gateway`` to the gateway's traefik service, the gateway checks users' tokens with
the hub, and notebooks reach both by service name. The charts run JupyterHub 5.5, so only options
JupyterHub 5 knows are rendered.

Everything comes from the deployment plan (:mod:`spacehub.deploy`), as on the other targets, so a
group moving from one target to another keeps its quota, logins and server environment;
``tests/unit/test_render.py`` and ``tests/unit/test_plan.py`` hold the renderings side by side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..config import Settings
from ..deploy import CULLER_SERVICE, DATA_SERVICE, GATEWAY_SERVICE, Plan, plan
from ..deploy.names import CACHE_DIR_ENV, DATA_PUBLIC_ENV
from ..gateway.config import kube_gateway_code

#: the secret the operator creates for passwords that must not be in values files
SECRET = "spacehub-secrets"
#: Helm values' names of the generated secrets the plan's logins use
_SECRET_ENV = {"shared_password": "SPACEHUB_SHARED_PASSWORD", "admin_password": "SPACEHUB_ADMIN_PASSWORD"}


def jupyterhub_values(settings: Settings) -> dict:
    """Values for the jupyterhub chart (z2jh 4.x, JupyterHub 5.5).

    Examples
    --------
    >>> from spacehub.config.settings import validate_settings
    >>> v = jupyterhub_values(validate_settings({"target": "kubernetes"}))
    >>> v["singleuser"]["memory"]["limit"], v["cull"]["timeout"]
    ('4G', 3600)
    """
    p = plan(settings)
    culler = settings.culler
    values: dict[str, Any] = {
        "hub": {
            "baseUrl": settings.hub.base_url,
            "config": _hub_config(p),
            "services": _services(p),
            "loadRoles": _roles(p),
        },
        "singleuser": _singleuser(p),
        # the chart runs the idle culler itself
        "cull": {"enabled": culler.enabled, "timeout": culler.timeout, "every": culler.every},
    }
    if p.auth.secrets:
        # generated passwords stay in the operator's secret; the hub reads them from its environment
        values["hub"]["extraEnv"] = {_SECRET_ENV[name]: {"valueFrom": {"secretKeyRef": {"name": SECRET, "key": name}}}
                                     for traits in p.auth.secrets.values() for name in traits.values()}
        values["hub"]["extraConfig"] = {"spacehub-secrets": "import os\n" + "".join(
            f"c.{section}.{trait} = os.environ[{_SECRET_ENV[name]!r}]\n"
            for section, traits in p.auth.secrets.items() for trait, name in traits.items())}
    if settings.kubernetes.host:
        values["ingress"] = {"enabled": True, "hosts": [settings.kubernetes.host]}
    return values


def _yaml_value(value: Any) -> Any:
    """A plan value in a values file: sets sorted into lists, tuples as lists."""
    return sorted(value) if isinstance(value, frozenset) else list(value) if isinstance(value, tuple) else value


def _hub_config(p: Plan) -> dict:
    config: dict[str, dict[str, Any]] = {"JupyterHub": {"authenticator_class": p.auth.authenticator_class}}
    for section, traits in p.auth.config.items():
        config[section] = {k: _yaml_value(v) for k, v in traits.items()}
    config["KubeSpawner"] = {"http_timeout": p.settings.spawner.http_timeout,
                             "start_timeout": p.settings.spawner.start_timeout,  # image pulls included
                             "server_token_scopes": list(p.server_token_scopes)}
    return config


def _services(p: Plan) -> dict:
    services = {}
    for service in p.services:
        if service.name == CULLER_SERVICE:
            continue  # the chart's own (values: cull)
        entry: dict[str, Any] = {"url": service.url, "display": service.display}
        if service.oauth_no_confirm:
            entry["oauth_no_confirm"] = True
        # the chart generates each service's token and keeps it in the `hub` secret
        services[service.name] = entry
    return services


def _roles(p: Plan) -> dict:
    roles = {"user": {"scopes": list(p.user_scopes)}}
    for service in p.services:
        if service.scopes and service.name != CULLER_SERVICE:
            roles[service.role] = {"services": [service.name], "scopes": list(service.scopes)}
    return roles


def _memory(n: int) -> str:
    """KubeSpawner's and the gateway chart's byte specification: G is GiB (1024**3)."""
    return f"{n / 2**30:g}G"


def _singleuser(p: Plan) -> dict:
    settings = p.settings
    k, sp = settings.kubernetes, settings.spawner
    storage: dict[str, Any] = {"type": "dynamic", "capacity": f"{k.home_storage / 2**30:g}Gi"}
    if k.storage_class:
        storage["dynamic"] = {"storageClass": k.storage_class}
    if k.shared_claim:
        storage["extraVolumes"] = [{"name": "spacehub-shared", "persistentVolumeClaim": {"claimName": k.shared_claim}}]
        storage["extraVolumeMounts"] = [{"name": "spacehub-shared", "mountPath": k.shared_mount_path}]
    single: dict[str, Any] = {
        "image": {"name": k.image_name, "tag": k.image_tag},
        "cpu": {"limit": sp.cores},
        "memory": {"limit": _memory(sp.memory)},
        "defaultUrl": sp.default_url,
        "startTimeout": sp.start_timeout,
        "extraEnv": dict(p.server_env),
        "storage": storage,
    }
    # the image has spacehub: its launcher gives kernels the startup file (plots without a CDN)
    single["cmd"] = list(sp.cmd) or ["spacehub-singleuser"]
    if settings.profiles:
        single["profileList"] = [{
            "display_name": profile.display_name,
            "slug": profile.name,
            "description": profile.description,
            "default": profile.default,
            "kubespawner_override": {"cpu_limit": profile.cores, "mem_limit": _memory(profile.memory)},
        } for profile in settings.profiles]
    return single


def dask_gateway_values(settings: Settings) -> dict:
    """Values for the dask-gateway chart, next to a jupyterhub release in the same namespace."""
    p = plan(settings)
    k, gw = settings.kubernetes, settings.gateway
    image = {"name": k.image_name, "tag": k.image_tag}

    def size(cores: float, memory: int) -> dict:
        return {"cores": {"request": cores, "limit": cores},
                "memory": {"request": _memory(memory), "limit": _memory(memory)}}

    return {
        "gateway": {
            "prefix": f"{settings.hub.base_url}services/{GATEWAY_SERVICE}",
            # the user image carries spacehub (the quota backend) and dask-gateway-server[kubernetes]
            "image": dict(image),
            "auth": {"type": "jupyterhub", "jupyterhub": {
                "apiTokenFromSecretName": "hub",
                "apiTokenFromSecretKey": f"hub.services.{GATEWAY_SERVICE}.apiToken",
                "apiUrl": p.network.hub_api,
                "jupyterhubServiceName": GATEWAY_SERVICE,
            }},
            "backend": {
                "image": dict(image),
                "scheduler": size(gw.scheduler_cores, gw.scheduler_memory),
                "worker": size(float(gw.worker_cores.default), gw.worker_memory.default),
            },
            "extraConfig": {"spacehub-limits": kube_gateway_code(settings)},
        },
    }


def data_service_manifests(settings: Settings) -> list[dict]:
    """Deployment and Service of the HAPI data service, run from the user image beside the hub."""
    p = plan(settings)
    service = p.service(DATA_SERVICE)
    assert service is not None and service.url is not None, "the data service is enabled"  # the caller checks
    k, port = settings.kubernetes, settings.data_service.port
    labels = {"app.kubernetes.io/name": "spacehub-data"}
    env = [{"name": "JUPYTERHUB_API_TOKEN", "valueFrom": {"secretKeyRef": {
               "name": "hub", "key": f"hub.services.{DATA_SERVICE}.apiToken"}}},
           {"name": "JUPYTERHUB_API_URL", "value": p.network.hub_api},
           {"name": "JUPYTERHUB_SERVICE_PREFIX", "value": f"{settings.hub.base_url}services/{DATA_SERVICE}/"},
           {"name": "JUPYTERHUB_SERVICE_URL", "value": f"http://0.0.0.0:{port}"}]
    service_env = dict(service.environment or {})
    if CACHE_DIR_ENV in service_env:
        service_env[CACHE_DIR_ENV] = "/srv/shared/cache"  # the shared volume, mounted below
    env += [{"name": name, "value": value} for name, value in service_env.items() if name != DATA_PUBLIC_ENV]
    if DATA_PUBLIC_ENV in service_env:
        env.append({"name": DATA_PUBLIC_ENV, "value": service_env[DATA_PUBLIC_ENV]})
    container: dict[str, Any] = {"name": "data", "image": f"{k.image_name}:{k.image_tag}",
                                 "command": ["python", "-m", "spacehub.services.data"], "env": env,
                                 "ports": [{"containerPort": port}]}
    pod: dict[str, Any] = {"containers": [container]}
    if k.shared_claim:
        container["volumeMounts"] = [{"name": "shared", "mountPath": "/srv/shared"}]
        pod["volumes"] = [{"name": "shared", "persistentVolumeClaim": {"claimName": k.shared_claim}}]
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "spacehub-data", "labels": labels},
         "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": pod}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "spacehub-data", "labels": labels},
         "spec": {"selector": labels, "ports": [{"port": port, "targetPort": port}]}},
    ]


class _ValuesDumper(yaml.SafeDumper):
    """Readable values files: code as literal blocks, no anchors."""

    def ignore_aliases(self, data):
        return True


_ValuesDumper.add_representer(str, lambda d, s: d.represent_scalar(
    "tag:yaml.org,2002:str", s, style="|" if "\n" in s else None))


def write_kubernetes(settings: Settings, out: Path) -> list[Path]:
    """Write ``jupyterhub-values.yaml``, ``dask-gateway-values.yaml`` (and the data service's
    manifests) into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"jupyterhub-values.yaml": jupyterhub_values(settings)}
    if settings.gateway.enabled:
        files["dask-gateway-values.yaml"] = dask_gateway_values(settings)
    header = f"# rendered by `spacehub render kubernetes` from {settings.source}; edit that file, not this one\n"
    written = []
    for name, values in files.items():
        path = out / name
        path.write_text(header + yaml.dump(values, Dumper=_ValuesDumper, sort_keys=False))
        written.append(path)
    if settings.data_service.enabled:
        path = out / "spacehub-data.yaml"
        path.write_text(header + yaml.dump_all(data_service_manifests(settings), Dumper=_ValuesDumper, sort_keys=False))
        written.append(path)
    return written
