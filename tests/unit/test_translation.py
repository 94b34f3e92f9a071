"""Settings -> traitlets for the hub and the gateway: pure functions, checked on bare Configs."""

from pathlib import Path

import pytest

from spacehub.config.settings import SettingsError, validate_settings
from spacehub.gateway.config import cluster_options, gateway_config
from spacehub.hub.config import Runtime, hub_config

SECRETS = {
    "jupyterhub_cookie_secret": "ab" * 32, "proxy_auth_token": "p", "service_token_dask-gateway": "g",
    "service_token_idle-culler": "c", "admin_password": "a" * 32, "shared_password": "s" * 12,
}
RUNTIME = Runtime(bin_dir=Path("/env/bin"), proxy_cmd="/chp", gateway_config=Path("/hub/dg.py"),
                  settings_file=Path("/etc/spacehub.yaml"), is_root=False)


def settings(**raw):
    return validate_settings({"state_dir": "/srv/state", **raw}, "/etc/spacehub.yaml")


def test_demo_local_defaults():
    c = hub_config(settings(), SECRETS, RUNTIME)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8000/"
    assert c.JupyterHub.hub_bind_url == "http://127.0.0.1:8081"
    assert c.JupyterHub.db_url == "sqlite:////srv/state/jupyterhub.sqlite"
    assert c.JupyterHub.spawner_class == "spacehub.hub.spawning.QueuedDemoSpawner"
    assert c.SimpleLocalProcessSpawner.home_dir_template == "/srv/state/homes/{username}"
    assert c.JupyterHub.authenticator_class == "spacehub.hub.logins.LocalPasswords"  # FirstUseAuthenticator's logins
    assert c.FirstUseAuthenticator.create_users is False  # no open sign-up
    assert c.Authenticator.allow_all is False
    assert c.Authenticator.admin_users == {"admin"}
    assert c.ConfigurableHTTPProxy.command == ["/env/bin/python", "-m", "spacehub.redact", "/chp"]  # output redacted
    assert c.ConfigurableHTTPProxy.pid_file == "/srv/state/proxy.pid"
    assert c.ConfigurableHTTPProxy.log_level == "warn"  # its API requests at info would fill the log
    assert c.Spawner.cmd == ["/env/bin/python", "-m", "spacehub.hub.launch", "jupyterhub-singleuser"]
    assert "--allow-root" not in c.Spawner.args
    assert c.Spawner.default_url == "/lab"
    assert "access:services!service=dask-gateway" in c.Spawner.server_token_scopes
    env = c.Spawner.environment
    assert env["DASK_GATEWAY__ADDRESS"] == "http://127.0.0.1:8000/services/dask-gateway"
    assert env["DASK_GATEWAY__PROXY_ADDRESS"] == "gateway://127.0.0.1:8001"
    assert env["DASK_GATEWAY__AUTH__TYPE"] == "jupyterhub"


def test_services_and_roles():
    c = hub_config(settings(), SECRETS, RUNTIME)
    services = {s["name"]: s for s in c.JupyterHub.services}
    # users reach the gate; it passes the API on to the gateway's own proxy
    gate, gw = services["dask-gateway"], services["dask-gateway-server"]
    assert gate["url"] == "http://127.0.0.1:8004" and gate["oauth_no_confirm"]
    assert gate["command"] == ["/env/bin/python", "-m", "spacehub.gateway.gate"]
    assert gate["environment"]["SPACEHUB_GATEWAY_PROXY"] == "http://127.0.0.1:8001"
    assert "url" not in gw
    assert gw["command"] == ["/env/bin/dask-gateway-server", "-f", "/hub/dg.py"]
    assert gw["environment"]["SPACEHUB_CONFIG"] == "/etc/spacehub.yaml"
    assert "--timeout=3600" in services["idle-culler"]["command"]
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert set(roles["spacehub-idle-culler"]["scopes"]) == {"list:users", "read:users:activity", "read:servers",
                                                            "delete:servers"}
    assert "shares!user" in roles["user"]["scopes"]
    assert "admin:users" not in roles["spacehub-gateway"]["scopes"]  # least privilege
    assert roles["spacehub-dashboards"]["scopes"] == ["read:users:shares"]


def test_data_service():
    c = hub_config(settings(), SECRETS, Runtime(**{**RUNTIME.__dict__, "offline": True}))
    data = {s["name"]: s for s in c.JupyterHub.services}["data"]
    assert data["url"] == "http://127.0.0.1:8003"
    assert data["command"] == ["/env/bin/python", "-m", "spacehub.services.data"]
    assert data["environment"]["SPACEHUB_OFFLINE"] == "1" and "SPACEHUB_DATA_PUBLIC" not in data["environment"]
    assert "access:services!service=data" in c.JupyterHub.load_roles[0]["scopes"]
    assert "access:services!service=data" in c.Spawner.server_token_scopes
    assert c.Spawner.environment["SPACEHUB_HAPI_URL"] == "http://127.0.0.1:8000/services/data/hapi"
    cache_dir = c.Spawner.environment["SPACEHUB_CACHE_DIR"]
    assert data["environment"]["SPACEHUB_CACHE_DIR"] == cache_dir == "/srv/state/cache"
    big = hub_config(settings(cache={"dir": "/scratch/spacehub-cache", "size_gib": 500}), SECRETS, RUNTIME)
    assert big.Spawner.environment["SPACEHUB_CACHE_DIR"] == "/scratch/spacehub-cache"
    assert big.Spawner.environment["SPACEHUB_CACHE_GIB"] == "500"
    public = hub_config(settings(data_service={"public": True}), SECRETS, RUNTIME)
    assert {s["name"]: s for s in public.JupyterHub.services}["data"]["environment"]["SPACEHUB_DATA_PUBLIC"] == "1"
    # the request limits reach the service (HAPI 1408 beyond them)
    assert (data["environment"]["SPACEHUB_DATA_MAX_VALUES"], data["environment"]["SPACEHUB_DATA_MAX_SPAN_DAYS"]) == (
        "20000000", "366.0")
    small = hub_config(settings(data_service={"max_values": 5000, "max_span_days": 2.5}), SECRETS, RUNTIME)
    env = {s["name"]: s for s in small.JupyterHub.services}["data"]["environment"]
    assert (env["SPACEHUB_DATA_MAX_VALUES"], env["SPACEHUB_DATA_MAX_SPAN_DAYS"]) == ("5000", "2.5")


def test_switches_off():
    c = hub_config(settings(gateway={"enabled": False}, culler={"enabled": False}, sharing={"enabled": False},
                            collaboration={"enabled": False}, data_service={"enabled": False},
                            folders={"enabled": False}, gallery={"enabled": False}, workshops={"enabled": False}),
                 SECRETS, RUNTIME)
    assert c.JupyterHub.services == []
    assert not any("gallery" in a for a in c.Spawner.args)  # no server extension of a gallery that is not there
    assert not any("warm" in a for a in c.Spawner.args)  # nor of workshops
    # no "Work together" on the home page without sharing (the login page's additions stay)
    assert [Path(t).name for t in c.JupyterHub.template_paths] == ["templates"]
    assert not {"shares!user", "read:users:name", "read:groups:name"} & set(c.JupyterHub.load_roles[0]["scopes"])
    assert "--YDocExtension.disable_rtc=True" in c.Spawner.args
    assert "DASK_GATEWAY__ADDRESS" not in c.Spawner.environment


def test_no_server_loads_panels_preview():
    """panel's preview websocket lets anyone in (auth sweep): no server of the hub loads it."""
    c = hub_config(settings(), SECRETS, RUNTIME)
    assert "--ServerApp.jpserver_extensions=panel.io.jupyter_server_extension=False" in c.Spawner.args
    # nbgitpuller's link page clones wherever its targetpath says: workshops use its puller only
    assert "--ServerApp.jpserver_extensions=nbgitpuller=False" in c.Spawner.args
    # a workshop seat's first notebook: its kernel started by the seat's own server, one kernel per notebook
    assert {"--ServerApp.jpserver_extensions=spacehub.notebook.warm=True",
            "--ServerApp.session_manager_class=spacehub.notebook.warm.OneKernelPerNotebook"} <= set(c.Spawner.args)


def test_custom_server_command():
    c = hub_config(settings(spawner={"cmd": ["/opt/env/bin/jupyterhub-singleuser"]}), SECRETS, RUNTIME)
    assert c.Spawner.cmd == ["/opt/env/bin/jupyterhub-singleuser"]


def test_no_user_code_as_root():
    root = Runtime(**{**RUNTIME.__dict__, "is_root": True})
    with pytest.raises(SettingsError, match="mode: isolated.*unsafe_demo_as_root: true") as e:
        hub_config(settings(), SECRETS, root)
    assert e.value.key == "mode"
    assert "--allow-root" in hub_config(settings(unsafe_demo_as_root=True), SECRETS, root).Spawner.args
    assert "--allow-root" not in hub_config(settings(), SECRETS, RUNTIME).Spawner.args  # demo, not root


def test_isolated_mode_runs_users_from_the_users_environment_as_their_accounts():
    root = Runtime(**{**RUNTIME.__dict__, "is_root": True})
    c = hub_config(settings(mode="isolated", isolated={"users_env": "/opt/users"}), SECRETS, root)
    assert c.JupyterHub.spawner_class == "spacehub.hub.spawning.QueuedLocalProcessSpawner"
    assert "--allow-root" not in c.Spawner.args
    assert c.Spawner.cmd[0] == "/opt/users/bin/python" and c.Spawner.environment["PATH"].startswith("/opt/users/bin:")
    # accounts are made at the first login and checked before every start
    assert c.Authenticator.post_auth_hook.args[0].accounts == "create"
    assert c.Spawner.pre_spawn_hook.args[3].users_env == Path("/opt/users")


def test_shared_password_mode():
    c = hub_config(settings(auth={"type": "shared-password"}), SECRETS, RUNTIME)
    assert c.JupyterHub.authenticator_class == "shared-password"
    assert c.SharedPasswordAuthenticator.user_password == "s" * 12
    assert c.SharedPasswordAuthenticator.admin_password == "a" * 32
    assert c.Authenticator.allow_all is True


@pytest.mark.parametrize("kind, klass", [("github", "GitHubOAuthenticator"), ("oidc", "GenericOAuthenticator")])
def test_oauth_modes_load_in_real_classes(kind, klass):
    auth = {"type": kind, kind: {"client_id": "id", "client_secret": "sec", "callback_url": "https://h/hub/oauth_callback"}}
    if kind == "oidc":
        auth["oidc"].update(authorize_url="https://idp/auth", token_url="https://idp/token",
                            userdata_url="https://idp/userinfo", allowed_groups=["space"])
    else:
        auth["github"]["allowed_organizations"] = ["spacehub-org"]
    c = hub_config(settings(auth=auth), SECRETS, RUNTIME)
    import oauthenticator.generic
    import oauthenticator.github

    cls = {"GitHubOAuthenticator": oauthenticator.github.GitHubOAuthenticator,
           "GenericOAuthenticator": oauthenticator.generic.GenericOAuthenticator}[klass]
    assert c.JupyterHub.authenticator_class.endswith(klass)
    a = cls(config=c)
    assert a.client_id == "id" and a.oauth_callback_url == "https://h/hub/oauth_callback"
    assert a.allow_all is False
    if kind == "oidc":
        assert a.allowed_groups == {"space"} and a.userdata_url == "https://idp/userinfo"
    else:
        assert a.allowed_organizations == {"spacehub-org"}


def test_gateway_limits_and_commands():
    s = settings(gateway={"user_quota": {"cores": 6, "memory_gib": 10, "clusters": 2},
                          "cluster_limits": {"cores": 5, "workers": 3}})
    c = gateway_config(s, Path("/env/bin"))
    assert c.ClusterConfig.scheduler_cmd == ["/env/bin/dask", "scheduler"]
    assert c.ClusterConfig.worker_cmd == ["/env/bin/dask", "worker", "--no-nanny"]
    nanny = gateway_config(settings(gateway={"worker_nanny": True}), Path("/env/bin"))
    assert nanny.ClusterConfig.worker_cmd == ["/env/bin/dask", "worker"]
    assert c.ClusterConfig.cluster_max_cores == 5 and c.ClusterConfig.cluster_max_workers == 3
    assert c.Proxy.prefix == "/services/dask-gateway"
    assert c.DaskGateway.backend_class == "spacehub.gateway.backend.DemoBackend"
    b = c.DemoBackend
    assert (b.user_max_cores, b.user_max_memory, b.user_max_clusters) == (6, 10 * 2**30, 2)
    # the real backend class accepts all of it
    from spacehub.gateway.backend import DemoBackend

    backend = DemoBackend(config=c)
    assert backend.user_max_clusters == 2
    assert gateway_config(settings(mode="isolated"), Path("/b")).DaskGateway.backend_class.endswith("IsolatedBackend")


def test_cluster_options_bounds_and_handler():
    opts = cluster_options(settings())
    spec = {f["field"]: f for f in opts.get_specification()}
    assert spec["worker_cores"]["spec"]["max"] == 2
    from dask_gateway_server.models import User

    assert opts.get_configuration({"worker_cores": 2, "worker_memory": 1.5}, User("u")) == {
        "worker_cores": 2, "worker_threads": 2, "worker_memory": int(1.5 * 2**30)}
    with pytest.raises(ValueError):
        opts.parse_options({"worker_cores": 3})


def slurm_settings(**slurm):
    return settings(target="slurm", mode="isolated",
                    slurm={"slurm_conf": "/etc/slurm-site/slurm.conf", "partition": "compute",
                           "account": "helio", "walltime": "02:00:00", **slurm})


def test_slurm_gateway_jobs_run_from_the_job_env():
    c = gateway_config(slurm_settings(job_env="/opt/jobs"), Path("/root/.venv/bin"))
    assert c.DaskGateway.backend_class == "spacehub.gateway.backend.SlurmQuotaBackend"
    # never the hub's own interpreter (under /root, unreadable to users): the shared job env
    assert c.ClusterConfig.scheduler_cmd == ["/opt/jobs/bin/dask", "scheduler"]
    assert c.ClusterConfig.worker_cmd == ["/opt/jobs/bin/dask", "worker", "--no-nanny"]
    assert c.SlurmQuotaBackend.dask_gateway_jobqueue_launcher == "/opt/jobs/bin/dask-gateway-jobqueue-launcher"
    assert c.Proxy.address == "127.0.0.1:8001"
    from spacehub.gateway.backend import SlurmQuotaBackend

    backend = SlurmQuotaBackend(config=c)
    assert (backend.user_max_cores, backend.user_max_clusters) == (12, 3)
    assert backend.walltime == "02:00:00" and backend.slurm_conf == "/etc/slurm-site/slurm.conf"


def test_slurm_commands_carry_walltime_names_and_slurm_conf(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from dask_gateway_server.backends.jobqueue.slurm import SlurmClusterConfig

    from spacehub.gateway.backend import SlurmQuotaBackend

    c = gateway_config(slurm_settings(staging_dir=str(tmp_path) + "/{username}/"), Path("/b"))
    monkeypatch.setenv("SPACEHUB_DASHBOARD_SECRET", "s3cret")
    backend = SlurmQuotaBackend(config=c)
    backend.api_url = "http://127.0.0.1:8001/services/dask-gateway/api"
    cluster = SimpleNamespace(name="c0ffee", username="ada", token="t", config=SlurmClusterConfig(config=c),
                              scheduler_address="tls://10.0.0.5:8786")
    monkeypatch.setattr("pwd.getpwnam", lambda name: SimpleNamespace(pw_dir=f"/home/{name}"))
    cmd, env, script = backend.get_submit_cmd_env_stdin(cluster, SimpleNamespace(name="w1"))
    assert cmd[:2] == [backend.submit_command, "--time=02:00:00"]
    assert "--job-name=dask-worker-c0ffee" in cmd and "--partition=compute" in cmd and "--account=helio" in cmd
    assert env["SLURM_CONF"] == "/etc/slurm-site/slurm.conf"  # sbatch's own environment (the launcher's)
    assert script.splitlines()[-1].startswith("/opt/spacehub/env/bin/dask worker --no-nanny "
                                              "--preload spacehub.gateway.dashboard_guard tls://10.0.0.5:8786")
    assert len(env["SPACEHUB_DASHBOARD_KEY"]) == 64  # the job's dashboard key, never on its command line
    assert "--job-name=dask-scheduler-c0ffee" in backend.get_submit_cmd_env_stdin(cluster)[0]
    site_conf = {"SLURM_CONF": "/etc/slurm-site/slurm.conf"}
    assert backend.get_stop_cmd_env("42") == ([backend.cancel_command, "42"], site_conf)
    assert backend.get_status_cmd_env(["1", "2"])[1] == {"SLURM_CONF": "/etc/slurm-site/slurm.conf"}


def test_slurm_gateway_reachable_from_compute_nodes():
    c = gateway_config(slurm_settings(gateway_host="login1.cluster.example"), Path("/b"))
    assert c.Proxy.address == "0.0.0.0:8001"
    assert c.SlurmQuotaBackend.api_url == "http://login1.cluster.example:8001/services/dask-gateway/api"


def test_slurm_user_servers_through_batchspawner():
    c = hub_config(slurm_settings(user_servers="slurm", server_walltime="04:00:00", job_env="/opt/jobs"),
                   SECRETS, RUNTIME)
    assert c.JupyterHub.spawner_class == "batchspawner.SlurmSpawner"
    assert c.Spawner.cmd == ["/opt/jobs/bin/batchspawner-singleuser", "/opt/jobs/bin/jupyterhub-singleuser"]
    assert c.Spawner.environment["SLURM_CONF"] == "/etc/slurm-site/slurm.conf"
    from batchspawner import SlurmSpawner

    spawner = SlurmSpawner(config=c)
    assert (spawner.req_partition, spawner.req_account, spawner.req_runtime) == ("compute", "helio", "04:00:00")
    assert (spawner.req_nprocs, spawner.req_memory) == ("2", "4096M")
    local = hub_config(slurm_settings(), SECRETS, RUNTIME)
    assert local.JupyterHub.spawner_class == "spacehub.hub.spawning.QueuedLocalProcessSpawner"


def test_sudoers_rule_names_only_the_launcher():
    import shutil
    import subprocess

    from spacehub.render import sudoers_rule

    rule = sudoers_rule(slurm_settings(job_env="/opt/jobs"), "spacehub", group="space")
    assert rule.splitlines()[-1] == "spacehub ALL=(%space) NOPASSWD: /opt/jobs/bin/dask-gateway-jobqueue-launcher"
    if shutil.which("visudo"):  # sudo's own parser accepts it
        check = subprocess.run(["visudo", "-cf", "-"], input=rule, capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_gateway_keeps_its_clusters_in_the_state_dir_with_encrypted_keys():
    s = settings()
    c = gateway_config(s, Path("/env/bin"))
    assert c.DemoBackend.db_url == "sqlite:////srv/state/gateway.sqlite"
    hub = hub_config(s, {**SECRETS, "gateway_db_key": "k" * 44}, RUNTIME)
    [server] = [svc for svc in hub.JupyterHub.services if svc["name"] == "dask-gateway-server"]
    assert server["environment"]["DASK_GATEWAY_ENCRYPT_KEYS"] == "k" * 44
