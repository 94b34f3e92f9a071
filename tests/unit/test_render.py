"""`spacehub render kubernetes`: values the two Helm charts accept, config the real classes load, and
the same limits as the local and slurm targets from the same settings."""

import copy
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator
from traitlets.config import Config

from spacehub.cli import main
from spacehub.config.settings import validate_settings
from spacehub.gateway.config import gateway_config
from spacehub.hub.config import Runtime, hub_config

#: the charts' values schemas, kept beside the project (not shipped with it)
HELM = Path(__file__).resolve().parents[3] / "shared" / "reference" / "helm"
SECRETS = {"jupyterhub_cookie_secret": "ab" * 32, "proxy_auth_token": "p", "service_token_dask-gateway": "g",
           "service_token_idle-culler": "c", "admin_password": "a" * 32, "shared_password": "s" * 12}
RUNTIME = Runtime(bin_dir=Path("/env/bin"), proxy_cmd="/chp", gateway_config=Path("/hub/dg.py"),
                  settings_file=Path("/etc/spacehub.yaml"), is_root=False)
GIB = 2**30

#: one group's settings, moved between targets by changing `target` (and `mode` where Slurm needs it)
GROUP = {
    "state_dir": "/srv/state",
    "spawner": {"cores": 3, "memory_gib": 6},
    "gateway": {"worker_cores": {"default": 2, "min": 1, "max": 4},
                "worker_memory_gib": {"default": 2.0, "min": 1.0, "max": 8.0},
                "scheduler_cores": 1, "scheduler_memory_gib": 2.0,
                "cluster_limits": {"cores": 17, "memory_gib": 40, "workers": 6},
                "user_quota": {"cores": 20, "memory_gib": 64, "clusters": 2},
                "idle_timeout": 900},
    "culler": {"timeout": 2400, "every": 120},
    "slurm": {"partition": "compute", "account": "heliophysics", "walltime": "12:00:00", "user_servers": "slurm"},
    "kubernetes": {"image": {"name": "registry.example.org/spacehub-user", "tag": "2025.11"},
                   "shared_storage": {"claim": "group-data"}, "host": "hub.example.org"},
    "profiles": [{"name": "small", "cores": 1, "memory_gib": 2, "default": True},
                 {"name": "large", "display_name": "Large (8 cores)", "cores": 8, "memory_gib": 32}],
}


def raw_settings(target="kubernetes", **raw) -> dict:
    base = copy.deepcopy(GROUP)
    base.update(raw)
    mode = "isolated" if target == "slurm" else base.pop("mode", "demo")
    return {**base, "target": target, "mode": mode}


def settings(target="kubernetes", **raw):
    return validate_settings(raw_settings(target, **raw), "/etc/spacehub.yaml")


def chart_validator(name: str) -> Draft7Validator:
    """The chart's values schema as Helm applies it to *our* file alone.

    Helm validates the chart's defaults merged with the values given; the defaults supply every key
    the schema marks required, so `required` is dropped here and everything else is checked
    (unknown keys, types, enums).
    """
    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "required"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    path = HELM / f"{name}-values.schema.yaml"
    if not path.is_file():
        pytest.skip(f"the {name} chart's values schema is not here ({path}): it lives beside the checkout, "
                    "in shared/reference/helm")
    return Draft7Validator(strip(yaml.safe_load(path.read_text())))


def render(tmp_path, raw: dict) -> dict:
    """Render through the CLI, as an operator does, and read the files back."""
    cfg = tmp_path / "spacehub.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    out = tmp_path / "k8s"
    assert main(["render", "kubernetes", "--config", str(cfg), "--out", str(out)]) == 0
    return {p.name: list(yaml.safe_load_all(p.read_text())) for p in out.iterdir()}


AUTHS = {
    "local": {"type": "local", "admin_users": ["ada"], "allowed_users": ["bo"]},
    "shared-password": {"type": "shared-password"},
    "github": {"type": "github", "github": {"client_id": "i", "client_secret": "s",
                                            "callback_url": "https://h/hub/oauth_callback",
                                            "allowed_organizations": ["helio-lab"]}},
    "oidc": {"type": "oidc", "oidc": {"client_id": "i", "client_secret": "s", "callback_url": "https://h/cb",
                                      "authorize_url": "https://idp/a", "token_url": "https://idp/t",
                                      "userdata_url": "https://idp/u", "allowed_groups": ["space"]}},
}


@pytest.mark.parametrize("auth", sorted(AUTHS))
def test_rendered_values_validate_against_chart_schemas(tmp_path, auth):
    files = render(tmp_path, raw_settings(auth=AUTHS[auth]))
    assert set(files) == {"jupyterhub-values.yaml", "dask-gateway-values.yaml", "spacehub-data.yaml"}
    for chart in ("jupyterhub", "dask-gateway"):
        (values,) = files[f"{chart}-values.yaml"]
        errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in chart_validator(chart).iter_errors(values)]
        assert not errors, errors
    kinds = [m["kind"] for m in files["spacehub-data.yaml"]]
    assert kinds == ["Deployment", "Service"]


def test_schema_check_catches_a_wrong_value():
    values = {"singleuser": {"cpu": {"limit": "lots"}, "stroage": {}}, "cull": {"timeout": "1h"}}
    paths = {".".join(map(str, e.absolute_path)) for e in chart_validator("jupyterhub").iter_errors(values)}
    assert paths == {"singleuser", "singleuser.cpu.limit", "cull.timeout"}


def test_passwords_stay_out_of_values():
    from spacehub.render import jupyterhub_values

    v = jupyterhub_values(settings(auth=AUTHS["shared-password"]))
    assert "s" * 12 not in yaml.safe_dump(v)
    env = v["hub"]["extraEnv"]["SPACEHUB_SHARED_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert env == {"name": "spacehub-secrets", "key": "shared_password"}


def z2jh_spawner_config(values: dict) -> Config:
    """What the jupyterhub chart's jupyterhub_config.py makes of the `singleuser` and `hub.config`
    values we render (z2jh files/hub/jupyterhub_config.py: singleuser.* -> KubeSpawner traits, then
    hub.config applied over them)."""
    su = values["singleuser"]
    c = Config()
    k = c.KubeSpawner
    k.image = f"{su['image']['name']}:{su['image']['tag']}"
    k.cpu_limit = su["cpu"]["limit"]
    k.mem_limit = su["memory"]["limit"]
    k.default_url = su["defaultUrl"]
    k.start_timeout = su["startTimeout"]
    k.environment = su["extraEnv"]
    k.storage_capacity = su["storage"]["capacity"]
    k.volumes = su["storage"].get("extraVolumes", [])
    k.volume_mounts = su["storage"].get("extraVolumeMounts", [])
    k.profile_list = su.get("profileList", [])
    for section, traits in values["hub"]["config"].items():
        c[section].update(traits)
    return c


@pytest.fixture
def kubespawner(tmp_path, monkeypatch):
    """Make a real KubeSpawner: it needs a kube config (a fake cluster, never contacted) and a loop."""
    import asyncio

    from kubernetes_asyncio.config import kube_config
    from kubespawner import KubeSpawner

    cfg = tmp_path / "kubeconfig"
    cfg.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "test",
        "clusters": [{"name": "test", "cluster": {"server": "https://127.0.0.1:9"}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
        "users": [{"name": "test", "user": {"token": "not-a-token"}}]}))
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(cfg))

    def make(config):
        async def create():
            return KubeSpawner(config=config, _mock=True)

        return asyncio.run(create())

    return make


def test_rendered_hub_config_loads_into_kubespawner_and_authenticators(kubespawner):
    from spacehub.render import jupyterhub_values

    for auth in AUTHS.values():
        v = jupyterhub_values(settings(auth=auth))
        c = z2jh_spawner_config(v)
        spawner = kubespawner(c)
        assert spawner.cpu_limit == 3.0 and spawner.mem_limit == 6 * GIB
        assert spawner.image == "registry.example.org/spacehub-user:2025.11"
        assert spawner.http_timeout == 120 and spawner.start_timeout == 300  # the settings' defaults
        assert spawner.volume_mounts == [{"name": "spacehub-shared", "mountPath": "/home/jovyan/shared"}]
        assert spawner.environment["DASK_GATEWAY__PROXY_ADDRESS"] == "gateway://traefik-dask-gateway:80"
        assert spawner.environment["SPACEHUB_CACHE_DIR"] == "/home/jovyan/shared/cache"
        slugs = [p["slug"] for p in spawner.profile_list]
        assert slugs == ["small", "large"]
        assert spawner.profile_list[1]["kubespawner_override"] == {"cpu_limit": 8.0, "mem_limit": "32G"}
        # the authenticator named by the values accepts its section
        from jupyterhub.app import JupyterHub

        klass = JupyterHub(config=c).authenticator_class
        authenticator = klass(config=c)
        assert authenticator.allow_existing_users is True
        assert ("ada" in authenticator.admin_users) == (auth["type"] == "local")


def kube_gateway_classes(values: dict):
    """The gateway's config as the dask-gateway chart builds it: backend values, then extraConfig."""
    from dask_gateway_server.backends.kubernetes import KubeClusterConfig
    from traitlets.utils.importstring import import_item

    gw = values["gateway"]
    c = Config()
    for role in ("scheduler", "worker"):
        size = gw["backend"][role]
        c.KubeClusterConfig[f"{role}_cores"] = size["cores"]["request"]
        c.KubeClusterConfig[f"{role}_cores_limit"] = size["cores"]["limit"]
        c.KubeClusterConfig[f"{role}_memory"] = size["memory"]["request"]
        c.KubeClusterConfig[f"{role}_memory_limit"] = size["memory"]["limit"]
    for code in gw["extraConfig"].values():
        exec(code, {"c": c})  # the chart runs each extraConfig snippet with `c` in scope
    backend = import_item(c.DaskGateway.backend_class)(config=c)
    return backend, KubeClusterConfig(config=c)


def local_gateway_classes(s):
    from dask_gateway_server.backends.local import LocalClusterConfig
    from traitlets.utils.importstring import import_item

    c = gateway_config(s, Path("/env/bin"))
    return import_item(c.DaskGateway.backend_class)(config=c), LocalClusterConfig(config=c)


def slurm_gateway_classes(s):
    from dask_gateway_server.backends.jobqueue.slurm import SlurmClusterConfig
    from traitlets.utils.importstring import import_item

    c = gateway_config(s, Path("/env/bin"))
    return import_item(c.DaskGateway.backend_class)(config=c), SlurmClusterConfig(config=c)


def limits_of(backend, cluster_config) -> dict:
    spec = {f["field"]: {**f["spec"], "default": f["default"]} for f in backend.cluster_options.get_specification()}
    return {
        "user cores": backend.user_max_cores, "user memory": backend.user_max_memory,
        "user clusters": backend.user_max_clusters,
        "cluster cores": cluster_config.cluster_max_cores, "cluster memory": cluster_config.cluster_max_memory,
        "cluster workers": cluster_config.cluster_max_workers,
        "scheduler cores": cluster_config.scheduler_cores, "scheduler memory": cluster_config.scheduler_memory,
        "idle timeout": cluster_config.idle_timeout,
        "worker cores choice": (spec["worker_cores"]["default"], spec["worker_cores"]["min"],
                                spec["worker_cores"]["max"]),
        "worker memory choice": (spec["worker_memory"]["default"], spec["worker_memory"]["min"],
                                 spec["worker_memory"]["max"]),
    }


def culler_timeout(target, s):
    if target == "kubernetes":
        from spacehub.render import jupyterhub_values

        return jupyterhub_values(s)["cull"]["timeout"]
    culler = {x["name"]: x for x in hub_config(s, SECRETS, RUNTIME).JupyterHub.services}["idle-culler"]
    return int(next(a for a in culler["command"] if a.startswith("--timeout=")).split("=")[1])


@pytest.mark.parametrize("target", ["local", "slurm", "kubernetes"])
def test_same_settings_same_limits_on_every_target(target):
    """The table: one group's settings rendered for each target give the same numbers."""
    from spacehub.render import dask_gateway_values

    expected = {
        "user cores": 20, "user memory": 64 * GIB, "user clusters": 2,
        "cluster cores": 17, "cluster memory": 40 * GIB, "cluster workers": 6,
        "scheduler cores": 1, "scheduler memory": 2 * GIB, "idle timeout": 900,
        "worker cores choice": (2, 1, 4), "worker memory choice": (2.0, 1.0, 8.0),
    }
    s = settings(target)
    classes = {"local": local_gateway_classes, "slurm": slurm_gateway_classes,
               "kubernetes": lambda s: kube_gateway_classes(dask_gateway_values(s))}[target](s)
    assert limits_of(*classes) == expected
    assert culler_timeout(target, s) == 2400
    # the worker size a user picks becomes the same cores and bytes everywhere
    backend, _ = classes
    from dask_gateway_server.models import User

    chosen = backend.cluster_options.get_configuration({"worker_cores": 3, "worker_memory": 5.0}, User("ada"))
    assert (chosen["worker_cores"], chosen["worker_memory"]) == (3, 5 * GIB)


def test_server_size_same_on_slurm_jobs_and_kubernetes_pods(kubespawner):
    from batchspawner import SlurmSpawner

    from spacehub.render import jupyterhub_values

    slurm_hub = hub_config(settings("slurm"), SECRETS, RUNTIME)
    job = SlurmSpawner(config=slurm_hub)
    pod = kubespawner(z2jh_spawner_config(jupyterhub_values(settings("kubernetes"))))
    assert (job.cpu_limit, job.mem_limit) == (pod.cpu_limit, pod.mem_limit) == (3.0, 6 * GIB)
    assert (job.req_nprocs, job.req_memory) == ("3", "6144M")


def test_kube_quota_backend_refuses_past_quota():
    """The quota backend of the rendered gateway refuses the third cluster and a scale past the cores."""
    import asyncio

    from dask_gateway_server.backends.base import PublicException
    from dask_gateway_server.models import Cluster, ClusterStatus, User

    from spacehub.render import dask_gateway_values

    backend, _ = kube_gateway_classes(dask_gateway_values(settings()))
    backend._quota_lock, backend._worker_counts = asyncio.Lock(), {}
    config = {"scheduler_cores": 1, "scheduler_memory": 2 * GIB, "worker_cores": 2, "worker_memory": 2 * GIB}
    held = [Cluster(name=f"ns.c{i}", username="ada", token="t", options={}, config=config,
                    status=ClusterStatus.RUNNING) for i in range(2)]
    backend.username_to_clusters = {"ada": {c.name: c for c in held}}
    with pytest.raises(PublicException, match="already has 2 running cluster"):
        asyncio.run(backend.start_cluster(User("ada"), {}))
    # 20 cores: the other cluster's scheduler (1) + this one's (1) leave 18, i.e. 9 workers of 2 cores
    with pytest.raises(PublicException, match="at most 9 worker"):
        asyncio.run(backend.forward_message_to_scheduler(held[0], {"op": "scale", "count": 10}))


def test_dockerfile_builds_from_environment_yml():
    dockerfile = (Path(__file__).parents[2] / "hub" / "images" / "user" / "Dockerfile").read_text()
    assert re.search(r"micromamba install .*-f environment\.yml", dockerfile)
    assert "dask-gateway-server-kubernetes" in dockerfile  # the gateway runs this image too
