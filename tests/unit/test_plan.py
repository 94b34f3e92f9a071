"""The deployment plan: derived once from the settings, the same facts rendered on every target."""

from pathlib import Path

import pytest

from spacehub.config import validate_settings
from spacehub.deploy import PublishedLimits, plan
from spacehub.hub.config import Runtime, hub_config

GIB = 2**30
SECRETS = {"jupyterhub_cookie_secret": "ab" * 32, "proxy_auth_token": "p", "service_token_dask-gateway": "g",
           "service_token_idle-culler": "c", "admin_password": "a" * 32, "shared_password": "s" * 12}
RUNTIME = Runtime(bin_dir=Path("/env/bin"), proxy_cmd="/chp", gateway_config=Path("/hub/dg.py"),
                  settings_file=Path("/etc/spacehub.yaml"), is_root=False)
GROUP = {"state_dir": "/srv/state", "auth": {"type": "local", "admin_users": ["ada"], "allowed_users": ["bo"]},
         "gateway": {"scheduler_memory_gib": 2.0, "cluster_limits": {"workers": 6},
                     "user_quota": {"cores": 20, "memory_gib": 64, "clusters": 2}},
         "data_service": {"public": True}}
TARGETS = ["local", "slurm", "kubernetes"]


def settings(target: str, **raw):
    mode = "isolated" if target == "slurm" else "demo"
    return validate_settings({**GROUP, **raw, "target": target, "mode": mode}, "/etc/spacehub.yaml")


def rendered_server_env(target: str, s) -> dict:
    """A user server's environment as each target's renderer writes it."""
    if target == "kubernetes":
        from spacehub.render import jupyterhub_values

        return jupyterhub_values(s)["singleuser"]["extraEnv"]
    return dict(hub_config(s, SECRETS, RUNTIME).Spawner.environment)


def rendered_roles(target: str, s) -> dict:
    if target == "kubernetes":
        from spacehub.render import jupyterhub_values

        return {name: set(r["scopes"]) for name, r in jupyterhub_values(s)["hub"]["loadRoles"].items()}
    return {r["name"]: set(r["scopes"]) for r in hub_config(s, SECRETS, RUNTIME).JupyterHub.load_roles}


def rendered_auth(target: str, s) -> tuple:
    if target == "kubernetes":
        from spacehub.render import jupyterhub_values

        config = jupyterhub_values(s)["hub"]["config"]
        a = config["Authenticator"]
        return (config["JupyterHub"]["authenticator_class"], set(a["admin_users"]), set(a["allowed_users"]),
                a["allow_all"], config["FirstUseAuthenticator"]["create_users"])
    c = hub_config(s, SECRETS, RUNTIME)
    return (c.JupyterHub.authenticator_class, c.Authenticator.admin_users, c.Authenticator.allowed_users,
            c.Authenticator.allow_all, c.FirstUseAuthenticator.create_users)


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_publishes_the_same_quota_to_servers(target):
    """The table: the quota a user's server is told is the gateway's, in bytes, on every target."""
    env = rendered_server_env(target, settings(target))
    published = PublishedLimits.from_json(env["SPACEHUB_USER_QUOTA"])
    assert published == PublishedLimits(cores=20, memory=64 * GIB, clusters=2, scheduler_cores=1,
                                        scheduler_memory=2 * GIB, cluster_max_workers=6)
    assert env["DASK_GATEWAY__AUTH__TYPE"] == "jupyterhub"
    assert env["SPACEHUB_HAPI_URL"].endswith("/services/data/hapi")
    assert env["SPACEHUB_CACHE_GIB"] == "20"
    # plots carry their JavaScript: no CDN needed on any target
    assert env["BOKEH_RESOURCES"] == "inline" and env["PANEL_INLINE"] == "1"


@pytest.mark.parametrize("target", TARGETS)
def test_every_target_renders_the_same_roles_and_logins(target):
    s = settings(target)
    roles = rendered_roles(target, s)
    # not in the chart yet: the gallery, the workshops service
    gallery = set() if target == "kubernetes" else {"access:services!service=gallery", "access:services!service=workshops"}
    assert roles["user"] == {"self", "access:services!service=dask-gateway", "access:services!service=data",
                             "shares!user", "read:users:name", "read:groups:name"} | gallery
    assert roles["spacehub-gateway"] == {"list:users", "read:users:name", "read:servers"}  # least privilege
    # the same logins; where the hub runs from spacehub's environment, with the hashing off its event loop
    klass = "firstuseauthenticator.FirstUseAuthenticator" if target == "kubernetes" else "spacehub.hub.logins.LocalPasswords"
    assert rendered_auth(target, s) == (klass, {"ada"}, {"bo"}, False, False)


def test_plan_facts_differ_by_target_only_in_where_things_are():
    local, kube = plan(settings("local")), plan(settings("kubernetes"))
    # the gallery and the workshops service run beside the hub (local and slurm targets)
    gallery, workshops = "access:services!service=gallery", "access:services!service=workshops"
    assert local.limits == kube.limits and set(local.user_scopes) - {gallery, workshops} == set(kube.user_scopes)
    assert set(local.server_token_scopes) - {gallery} == set(kube.server_token_scopes)
    assert local.auth.config.keys() == kube.auth.config.keys()
    assert local.network.gateway_proxy == "gateway://127.0.0.1:8001"
    assert kube.network.gateway_proxy == "gateway://traefik-dask-gateway:80"
    assert local.auth.config["FirstUseAuthenticator"]["dbm_path"] == "/srv/state/passwords.dbm"
    assert kube.auth.config["FirstUseAuthenticator"]["dbm_path"] == "/srv/jupyterhub/passwords.dbm"
    # sample data lives on the hub machine only; the cache where a volume is shared
    assert "SPACEHUB_SAMPLE_DATA" in local.data_env and "SPACEHUB_SAMPLE_DATA" not in kube.data_env
    assert "SPACEHUB_CACHE_DIR" not in kube.data_env
    shared = plan(settings("kubernetes", kubernetes={"shared_storage": {"claim": "group-data"}}))
    assert shared.data_env["SPACEHUB_CACHE_DIR"] == "/home/jovyan/shared/cache"


def test_no_gateway_no_quota_published():
    p = plan(settings("local", gateway={"enabled": False}))
    assert p.limits is None
    assert "SPACEHUB_USER_QUOTA" not in p.server_env and "DASK_GATEWAY__ADDRESS" not in p.server_env
    assert [s.name for s in p.services] == ["data", "gallery", "workshops", "admin-cli", "idle-culler"]


def test_the_workshops_service_needs_local_logins_and_acts_with_its_own_role():
    on = plan(settings("local"))
    service = next(s for s in on.services if s.name == "workshops")
    assert service.url == "http://127.0.0.1:8006" and service.role == "spacehub-workshops"
    # seats, the workshop's group, shares with the instructors, seats' servers: nothing of the hub's own
    assert set(service.scopes) == {"admin:groups", "list:users", "read:users:name", "admin:users", "shares", "servers",
                                   "read:servers", "read:users:activity"}
    assert "access:services!service=workshops" in on.user_scopes  # each instructor sees their own workshops only
    assert "access:services!service=workshops" not in on.server_token_scopes  # a notebook's token cannot act
    for off in (plan(settings("local", workshops={"enabled": False})), plan(settings("kubernetes")),
                plan(settings("local", auth={"type": "shared-password"}))):  # seats need local logins
        assert all(s.name != "workshops" for s in off.services)
        assert "access:services!service=workshops" not in off.user_scopes


def test_the_gallery_service_its_scopes_and_its_server_extension_follow_the_setting():
    on, off = plan(settings("local")), plan(settings("local", gallery={"enabled": False}))
    gallery = next(s for s in on.services if s.name == "gallery")
    assert gallery.url == "http://127.0.0.1:8005" and gallery.oauth_no_confirm and not gallery.scopes  # no role
    assert gallery.environment["SPACEHUB_GALLERY_DIR"] == "/srv/state/gallery"
    assert on.server_env["SPACEHUB_GALLERY_URL"].endswith("/services/gallery/")
    assert "access:services!service=gallery" in on.user_scopes and "access:services!service=gallery" in on.server_token_scopes
    assert all(s.name != "gallery" for s in off.services) and "SPACEHUB_GALLERY_URL" not in off.server_env
    assert not any("gallery" in scope for scope in (*off.user_scopes, *off.server_token_scopes))
    assert all(s.name != "gallery" for s in plan(settings("kubernetes")).services)  # not in the chart yet


def test_kubernetes_cluster_panel_shows_the_published_quota(monkeypatch):
    """On Kubernetes the server's environment carries the quota, so the panel shows it."""
    from spacehub.render import jupyterhub_values
    from spacehub.widgets import ClusterPanel

    env = jupyterhub_values(settings("kubernetes"))["singleuser"]["extraEnv"]
    monkeypatch.setenv("SPACEHUB_USER_QUOTA", env["SPACEHUB_USER_QUOTA"])
    panel = ClusterPanel(gateway=object(), background=False)
    assert panel.model.limits is not None and panel.model.limits_error == ""
    assert "Quota 20 cores, 64.0 GiB, 2 clusters" in panel.quota.value


@pytest.mark.parametrize("text, why", [
    ("{cores: 12", "is not JSON"),
    ('{"cores": 12}', "lacks memory, clusters, scheduler_cores, scheduler_memory, cluster_max_workers"),
    ('{"cores": "x", "memory": 1, "clusters": 1, "scheduler_cores": 1, "scheduler_memory": 1, '
     '"cluster_max_workers": null}', "not a number"),
])
def test_unreadable_published_quota_says_what_is_expected(text, why):
    from spacehub.deploy import PublishedLimitsError

    with pytest.raises(PublishedLimitsError, match=why):
        PublishedLimits.from_json(text)


def test_homes_by_mode_and_target():
    demo = plan(settings("local")).homes
    assert demo.template == "/srv/state/homes/{username}" and demo.templates_folder == "templates"
    assert demo.templates_source is not None and (demo.templates_source / "getting-started.ipynb").is_file()
    assert plan(settings("slurm")).homes.template is None  # isolated: each user's Unix home
    assert plan(settings("local", templates={"enabled": False})).homes.templates_source is None
    c = hub_config(settings("local"), SECRETS, RUNTIME)
    assert c.SimpleLocalProcessSpawner.home_dir_template == "/srv/state/homes/{username}"
    assert c.Spawner.pre_spawn_hook.args[2] == "/srv/state/homes/{username}"
