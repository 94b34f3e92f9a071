"""What spacehub.gateway.upstream relies on in dask-gateway-server still holds, and its pieces work.

A failure here after an upgrade names the upstream hook that changed and the spacehub piece that
relies on it: read that piece's docstring, then adapt it (or its bound in pyproject.toml).
"""

import asyncio
import inspect
import logging
import os
import sys
import time
from importlib.metadata import version
from types import SimpleNamespace

import pytest
from dask_gateway_server.backends.base import Backend, PublicException
from dask_gateway_server.backends.db_base import DataManager, DBBackendBase, JobStatus
from dask_gateway_server.backends.jobqueue.slurm import SlurmBackend, SlurmClusterConfig
from dask_gateway_server.backends.local import LocalBackend
from dask_gateway_server.models import Cluster, ClusterStatus, User
from dask_gateway_server.workqueue import WorkQueue
from hubtools import exits_after_sigint
from traitlets.config import Config

from spacehub.gateway.backend import DemoBackend, IsolatedBackend, SlurmQuotaBackend
from spacehub.gateway.dashboard_guard import dashboard_key
from spacehub.gateway.quota import GIB
from spacehub.gateway.upstream import (
    GuardedDashboards,
    PromptStop,
    QuietStaleRouteWatches,
    StaleRouteWatchFilter,
    sbatch_option,
)

UPSTREAM = f"dask-gateway-server {version('dask-gateway-server')}"
CONFIG = {"scheduler_cores": 1, "scheduler_memory": GIB, "worker_cores": 1, "worker_memory": GIB}


def changed(hook: str, piece: str, relies_on: str) -> str:
    return f"{UPSTREAM} changed {hook}: spacehub.gateway.upstream.{piece} relies on {relies_on}"


def params(func) -> list[str]:
    return list(inspect.signature(func).parameters)


# --- the hooks' signatures -------------------------------------------------------------------------

@pytest.mark.parametrize("cls, hook, expected, piece", [
    (Backend, "process_cluster_options", ["self", "user", "request"], "UserQuota"),
    (Backend, "forward_message_to_scheduler", ["self", "cluster", "msg"], "UserQuota"),
    (Backend, "get_cluster", ["self", "cluster_name", "wait"], "UserQuota"),
    (Backend, "list_clusters", ["self", "username", "statuses"], "KubeUserQuota"),
    (DBBackendBase, "on_cluster_heartbeat", ["self", "cluster_name", "msg"], "UserQuota"),
    (DBBackendBase, "start_cluster", ["self", "user", "cluster_options"], "UserQuota"),
    (LocalBackend, "set_file_permissions", ["self", "paths", "username"], "UserProcesses"),
    (SlurmBackend, "get_submit_cmd_env_stdin", ["self", "cluster", "worker"], "SlurmJobs"),
    (SlurmBackend, "get_stop_cmd_env", ["self", "job_id"], "SlurmJobs"),
    (SlurmBackend, "get_status_cmd_env", ["self", "job_ids"], "SlurmJobs"),
])
def test_hooks_keep_their_signatures(cls, hook, expected, piece):
    assert params(getattr(cls, hook)) == expected, changed(f"{cls.__name__}.{hook}", piece, f"{hook}{expected[1:]}")


def test_public_exception_is_what_the_routes_turn_into_refusals():
    from dask_gateway_server import routes

    assert routes.PublicException is PublicException, changed(
        "routes' PublicException", "PublicException", "the routes answering it with the message to the user")


def test_local_backends_listen_where_told():
    source = inspect.getsource(DBBackendBase.get_scheduler_command)
    assert "self.default_host" in source, changed(
        "DBBackendBase.get_scheduler_command", "LoopbackDemoProcesses", "default_host as the address to bind")


# --- the database backends' bookkeeping ----------------------------------------------------------

def db_backend(**quota) -> DemoBackend:
    """A DemoBackend with upstream's real DataManager and WorkQueue, as DBBackendBase.setup makes them."""
    backend = DemoBackend(config=Config({"DemoBackend": quota}))
    backend.db, backend.queue = DataManager(), WorkQueue()
    return backend


def test_db_setup_makes_the_db_and_queue_relied_on():
    source = inspect.getsource(DBBackendBase.setup)
    for made in ("self.db = DataManager(", "self.queue = WorkQueue("):
        assert made in source, changed("DBBackendBase.setup", "DBUserQuota", f"`{made}...)`")


def test_db_clusters_carry_config_and_count():
    async def check():  # upstream's clusters are made inside the gateway's event loop
        backend = db_backend()
        cluster = backend.db.create_cluster("ada", {}, CONFIG)
        assert cluster.target == JobStatus.RUNNING, changed("DataManager.create_cluster", "DBUserQuota",
                                                            "a new cluster's target being JobStatus.RUNNING")
        backend.db.update_cluster(cluster, count=2)
        listed = backend.db.list_clusters(username="ada")
        assert [(c.name, c.count, c.config["worker_cores"]) for c in listed] == [(cluster.name, 2, 1)], changed(
            "DataManager.list_clusters/update_cluster", "DBUserQuota", "clusters with .config and the .count set")
        assert (await backend._others("ada")).cores == 3
        assert (await backend._others("ada", exclude=cluster.name)).clusters == 0

    asyncio.run(check())


HEARTBEAT = {"active_workers": [], "closing_workers": [], "closed_workers": []}


def test_db_heartbeat_records_the_count_and_holds_it_to_the_cluster_limit():
    async def check():
        backend = db_backend()
        cluster = backend.db.create_cluster("ada", {}, {**CONFIG, "cluster_max_workers": 4})
        backend.db.update_cluster(cluster, status=JobStatus.RUNNING)
        await DBBackendBase.on_cluster_heartbeat(backend, cluster.name, {"count": 6, **HEARTBEAT})
        assert cluster.count == 4, changed("DBBackendBase.on_cluster_heartbeat", "DBUserQuota",
                                           "the heartbeat recording msg['count'], held to cluster_max_workers")

    asyncio.run(check())


def test_heartbeat_is_held_to_the_users_quota():
    async def check():
        backend = db_backend(user_max_cores=4.0)
        other = backend.db.create_cluster("ada", {}, CONFIG)
        backend.db.update_cluster(other, count=1)  # 2 cores
        cluster = backend.db.create_cluster("ada", {}, CONFIG)
        backend.db.update_cluster(cluster, status=JobStatus.RUNNING)
        async with backend._quota_lock:  # a scale request waiting on its scheduler must not hold heartbeats up
            await asyncio.wait_for(backend.on_cluster_heartbeat(cluster.name, {"count": 5, **HEARTBEAT}), 5)
        assert cluster.count == 1  # 4 cores - 2 held by the other - 1 for this scheduler

    asyncio.run(check())


def test_db_scale_is_refused_past_quota_and_counted_at_once(monkeypatch):
    sent = []

    async def to_scheduler(self, cluster, msg):
        sent.append(msg)

    monkeypatch.setattr(Backend, "forward_message_to_scheduler", to_scheduler)

    async def check():
        backend = db_backend(user_max_cores=4.0)
        cluster = backend.db.create_cluster("ada", {}, CONFIG)
        model = cluster.to_model()
        with pytest.raises(PublicException, match="at most 3 worker"):
            await backend.forward_message_to_scheduler(model, {"op": "scale", "count": 4})
        await backend.forward_message_to_scheduler(model, {"op": "scale", "count": 3})
        assert sent == [{"op": "scale", "count": 3}] and cluster.count == 3

    asyncio.run(check())


def test_db_new_clusters_one_at_a_time():
    """Two requests at once: the second sees the first's cluster, so only one fits a 1-cluster quota."""
    async def both():
        backend = db_backend(user_max_clusters=1)
        return await asyncio.gather(*(backend.start_cluster(User("ada"), {}) for _ in range(2)),
                                    return_exceptions=True)

    results = asyncio.run(both())
    assert isinstance(results[0], str)
    assert isinstance(results[1], PublicException) and "already has 1 running cluster" in str(results[1])


# --- Kubernetes ------------------------------------------------------------------------------------

@pytest.fixture
def kube_backend():
    from dask_gateway_server.backends.kubernetes import KubeBackend

    from spacehub.gateway import backend as module

    cls = module.KubeQuotaBackend
    assert issubclass(cls, KubeBackend) and cls.__module__ == "spacehub.gateway.backend"
    backend = cls(config=Config({"KubeQuotaBackend": {"user_max_clusters": 1, "user_max_cores": 4.0},
                                 "KubeClusterConfig": {"namespace": "ns"}}))
    backend.clusters, backend.username_to_clusters = {}, {}
    return backend


def kube_cluster(name: str, status=ClusterStatus.RUNNING) -> Cluster:
    return Cluster(name=name, username="ada", token="t", options={}, config=CONFIG, status=status)


def test_kube_lists_what_its_informer_saw(kube_backend):
    running, stopped = kube_cluster("ns.a"), kube_cluster("ns.b", ClusterStatus.STOPPED)
    kube_backend.clusters = {c.name: c for c in (running, stopped)}
    kube_backend.username_to_clusters = {"ada": dict(kube_backend.clusters)}
    assert [c.name for c in asyncio.run(kube_backend.list_clusters(username="ada"))] == ["ns.a"], changed(
        "KubeBackend.list_clusters", "KubeUserQuota", "the user's pending and running clusters from its informer")
    assert asyncio.run(kube_backend.get_cluster("ns.new")) is None, changed(
        "KubeBackend.get_cluster", "KubeUserQuota", "None for a cluster the informer has not seen")


def test_kube_heartbeat_patches_the_count_it_is_given(kube_backend):
    patched = []

    async def patch(*args):
        patched.append(args[-1])

    kube_backend.custom_client = SimpleNamespace(patch_namespaced_custom_object=patch)
    kube_backend.clusters = {"ns.a": kube_cluster("ns.a")}
    kube_backend.username_to_clusters = {"ada": dict(kube_backend.clusters)}
    asyncio.run(kube_backend.on_cluster_heartbeat("ns.a", {"count": 9, **HEARTBEAT}))
    # 4 cores: 1 for the scheduler, 3 workers of 1 core
    assert patched == [[{"op": "add", "path": "/spec/replicas", "value": 3}]], changed(
        "KubeBackend.on_cluster_heartbeat", "KubeUserQuota", "patching replicas to msg['count']")
    assert kube_backend._worker_counts == {"ns.a": 3}


def test_kube_new_clusters_one_at_a_time(kube_backend, monkeypatch):
    """Two requests at once, before the informer has seen either: only one fits a 1-cluster quota."""
    from dask_gateway_server.backends.kubernetes import KubeBackend

    made = []

    async def create(self, user, cluster_options):
        await asyncio.sleep(0)  # the API call: the other request runs meanwhile
        made.append(f"ns.c{len(made)}")
        return made[-1]

    monkeypatch.setattr(KubeBackend, "start_cluster", create)

    async def both():
        return await asyncio.gather(*(kube_backend.start_cluster(User("ada"), {}) for _ in range(2)),
                                    return_exceptions=True)

    results = asyncio.run(both())
    assert results[0] == "ns.c0" and made == ["ns.c0"]
    assert isinstance(results[1], PublicException) and "already has 1 running cluster" in str(results[1])
    # once the informer lists it, it counts from there (and only once)
    kube_backend.clusters = {"ns.c0": kube_cluster("ns.c0")}
    kube_backend.username_to_clusters = {"ada": dict(kube_backend.clusters)}
    assert asyncio.run(kube_backend._others("ada")).clusters == 1 and not kube_backend._just_created


def test_kube_new_cluster_the_informer_never_lists_stops_counting(kube_backend, monkeypatch):
    from spacehub.gateway import upstream

    kube_backend._record_new_cluster("ns.lost", "ada", CONFIG)
    assert asyncio.run(kube_backend._others("ada")).clusters == 1
    later = upstream.time.monotonic() + upstream.JUST_CREATED_FOR + 1
    monkeypatch.setattr(upstream.time, "monotonic", lambda: later)
    assert asyncio.run(kube_backend._others("ada")).clusters == 0 and not kube_backend._just_created


def test_kube_scales_one_at_a_time(kube_backend, monkeypatch):
    """Two clusters scaling at once to what fits one of them: the second is refused."""
    async def to_scheduler(self, cluster, msg):
        await asyncio.sleep(0)

    monkeypatch.setattr(Backend, "forward_message_to_scheduler", to_scheduler)
    a, b = kube_cluster("ns.a"), kube_cluster("ns.b")
    kube_backend.username_to_clusters = {"ada": {"ns.a": a, "ns.b": b}}
    kube_backend.user_max_clusters = 2

    async def both():  # 4 cores: two schedulers leave 2, so 2 workers in all
        return await asyncio.gather(*(kube_backend.forward_message_to_scheduler(c, {"op": "scale", "count": 2})
                                      for c in (a, b)), return_exceptions=True)

    results = asyncio.run(both())
    assert results[0] is None and isinstance(results[1], PublicException)
    assert "at most 0 worker" in str(results[1]) and kube_backend._worker_counts == {"ns.a": 2}


# --- local processes as the user ------------------------------------------------------------------

def test_cluster_files_are_given_to_the_user_whole(tmp_path, monkeypatch):
    """Upstream's own working directory setup, with the paths it chowns recorded (no root needed)."""
    chowned = []
    monkeypatch.setattr("dask_gateway_server.backends.local.getpwnam",
                        lambda name: SimpleNamespace(pw_uid=1234, pw_gid=1234))
    monkeypatch.setattr(os, "chown", lambda path, uid, gid: chowned.append(path))
    backend = IsolatedBackend(config=Config({"IsolatedBackend": {"clusters_directory": str(tmp_path)}}))
    cluster = SimpleNamespace(name="c0ffee", username="ada", tls_cert=b"cert", tls_key=b"key")
    workdir = backend.setup_working_directory(cluster)
    certs = os.path.join(workdir, ".certs")
    assert sorted(chowned) == sorted([workdir, certs, os.path.join(workdir, "logs"),
                                      os.path.join(certs, "dask.crt"), os.path.join(certs, "dask.pem")]), changed(
        "LocalBackend.setup_working_directory", "UserProcesses",
        "the working, certs and logs directories passed to set_file_permissions, the TLS files in them")


# --- a prompt, quiet stop -----------------------------------------------------------------------------

def test_local_clusters_are_stopped_through_stop_process():
    for hook in (LocalBackend.do_stop_cluster, LocalBackend.do_stop_worker):
        assert "await self.stop_process(pid)" in inspect.getsource(hook), changed(
            f"LocalBackend.{hook.__name__}", "PromptStop", "awaiting self.stop_process(pid)")
    for trait in ("sigint_timeout", "sigterm_timeout", "sigkill_timeout"):
        assert LocalBackend.class_traits().get(trait) is not None, changed("LocalBackend", "PromptStop", trait)
    source = inspect.getsource(DBBackendBase.cleanup)
    for relied_on in ("self.stop_clusters_on_shutdown", "c.shutdown"):
        assert relied_on in source, changed("DBBackendBase.cleanup", "PromptStop",
                                            "stopping the active clusters before it returns")
    assert issubclass(DemoBackend, PromptStop) and issubclass(IsolatedBackend, PromptStop)


async def child_exiting_on_sigint(after: float):
    """A child process made as upstream makes a cluster's (asyncio reaps it as it exits)."""
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", exits_after_sigint(after),
                                                stdout=asyncio.subprocess.PIPE)
    assert await proc.stdout.readline() == b"ready\n"
    return proc


@pytest.mark.parametrize("killing, seconds", [(False, 0.6), (True, 0.3)])
def test_cluster_processes_seen_gone_at_once_and_killed_when_the_gateway_stops(killing, seconds):
    backend = DemoBackend()
    backend._killing = killing

    async def stop():
        proc = await child_exiting_on_sigint(after=0.4)
        t0 = time.monotonic()
        await backend.stop_process(proc.pid)
        return await proc.wait(), time.monotonic() - t0

    status, took = asyncio.run(stop())
    # asked (SIGINT), it exits after 0.4 s: seen then, not at upstream's next look (0.7 s); killed, at once
    assert (status, took < seconds) == ((-9 if killing else 0), True), (status, took)


async def until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.01)


async def route_watch_left_by_its_proxy(filtered: bool) -> list[logging.LogRecord]:
    """Upstream's own routes handler, watched by a client that goes away, then a route added."""
    from aiohttp import ClientSession, web
    from dask_gateway_server.proxy.core import Proxy

    records: list[logging.LogRecord] = []
    server_log = logging.getLogger("aiohttp.server")
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    server_log.addHandler(handler)
    quiet = StaleRouteWatchFilter()
    if filtered:
        server_log.addFilter(quiet)
    proxy = Proxy(externally_managed=True, gateway_address="127.0.0.1:8000", log=logging.getLogger("test"))
    app = web.Application()
    await proxy.setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with ClientSession() as session:
            resp = await session.get(f"http://127.0.0.1:{port}/api/v1/routes?watch=1",
                                     headers={"Authorization": f"token {proxy.api_token}"})
            await resp.content.readline()  # the routes so far: the proxy is watching
            resp.close()  # its client timed out: it watches anew elsewhere
        # the server has seen the connection go (its handler is still on it)
        await until(lambda: all(h.transport is None for h in runner.server.connections))
        assert proxy._watchers  # and its handler still waits for the next event
        await proxy.add_route(kind="SNI", sni="c0ffee", target="tls://127.0.0.1:8786")  # a cluster starts
        await until(lambda: not proxy._watchers)  # the old handler has written, failed and ended
        return records
    finally:
        server_log.removeHandler(handler)
        server_log.removeFilter(quiet)
        await proxy.cleanup()
        await runner.cleanup()


def test_route_watch_left_by_the_proxy_is_not_logged_as_an_error():
    logged = asyncio.run(route_watch_left_by_its_proxy(filtered=False))
    errors = [r for r in logged if r.exc_info and isinstance(r.exc_info[1], ConnectionResetError)]
    assert errors, changed("Proxy.routes_handler", "StaleRouteWatchFilter",
                           "a write to a watch whose client went away logging a ConnectionResetError traceback")
    assert not asyncio.run(route_watch_left_by_its_proxy(filtered=True))


def test_other_connection_resets_are_still_logged():
    try:
        raise ConnectionResetError("elsewhere")
    except ConnectionResetError:
        record = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "Error handling request", (),
                                   sys.exc_info())
    assert StaleRouteWatchFilter().filter(record)


def test_database_backends_quiet_the_route_watch(monkeypatch):
    async def no_setup(self, app):
        pass

    monkeypatch.setattr(DBBackendBase, "setup", no_setup)
    server_log = logging.getLogger("aiohttp.server")
    before = list(server_log.filters)
    try:
        from aiohttp import web

        config = Config({"DemoBackend": {"stop_with_server": False, "dashboard_secret": "s3cret"}})
        for backend in (DemoBackend(config=config),) * 2:
            asyncio.run(backend.setup(web.Application()))
        added = [f for f in server_log.filters if f not in before]
        assert len(added) == 1 and isinstance(added[0], StaleRouteWatchFilter)  # once, however many setups
    finally:
        server_log.filters[:] = before
    assert all(issubclass(b, QuietStaleRouteWatches) for b in (DemoBackend, IsolatedBackend, SlurmQuotaBackend))


# --- Slurm -----------------------------------------------------------------------------------------

def slurm_cluster(config: Config) -> SimpleNamespace:
    return SimpleNamespace(name="c0ffee", username="ada", token="t", config=SlurmClusterConfig(config=config),
                           scheduler_address="tls://10.0.0.5:8786")


@pytest.fixture
def slurm_config(monkeypatch, tmp_path):
    monkeypatch.setattr("pwd.getpwnam", lambda name: SimpleNamespace(pw_dir=f"/home/{name}"))
    return Config({"SlurmClusterConfig": {"partition": "compute", "qos": "long"},
                   "SlurmQuotaBackend": {"walltime": "02:00:00", "slurm_conf": "/etc/site/slurm.conf",
                                         "api_url": "http://127.0.0.1:8001/api", "dashboard_secret": "s3cret"},
                   "SlurmBackend": {"api_url": "http://127.0.0.1:8001/api"}})


@pytest.mark.parametrize("worker", [None, SimpleNamespace(name="w1")])
def test_sbatch_command_changed_only_in_name_and_time(slurm_config, worker):
    cluster = slurm_cluster(slurm_config)
    upstream, upstream_env, upstream_script = SlurmBackend(config=slurm_config).get_submit_cmd_env_stdin(
        cluster, worker)
    names = [a for a in upstream if a.startswith("--job-name=")]
    assert len(names) == 1 and not any(a.startswith("--time=") for a in upstream), changed(
        "SlurmBackend.get_submit_cmd_env_stdin", "SlurmJobs", "one --job-name= and no --time= in sbatch's command")
    assert "--qos=long" in upstream, changed("SlurmBackend.get_submit_cmd_env_stdin", "SlurmJobs",
                                             "--qos=QOS as one argument (dask-gateway-server >= 2025.4)")
    cmd, env, script = SlurmQuotaBackend(config=slurm_config).get_submit_cmd_env_stdin(cluster, worker)
    role = "worker" if worker else "scheduler"
    expected = sbatch_option(sbatch_option(upstream, "job-name", f"dask-{role}-c0ffee"), "time", "02:00:00")
    assert cmd[:2] == [upstream[0], "--time=02:00:00"]
    assert f"--job-name=dask-{role}-c0ffee" in cmd and names[0] not in cmd
    # and the dashboard guard: its preload right after the program, the cluster's key (and its owner's
    # name) in the job's environment
    key = dashboard_key("s3cret", "c0ffee")
    export = f"--export={','.join(sorted({*upstream_env, 'SPACEHUB_DASHBOARD_KEY', 'SPACEHUB_CLUSTER_OWNER'}))}"
    assert [a if not a.startswith("--export=") else export for a in expected] == cmd
    assert env == {**upstream_env, "SLURM_CONF": "/etc/site/slurm.conf", "SPACEHUB_DASHBOARD_KEY": key,
                   "SPACEHUB_CLUSTER_OWNER": cluster.username}
    program = " ".join(getattr(cluster.config, f"{role}_cmd"))
    assert script == upstream_script.replace(program, program + " --preload spacehub.gateway.dashboard_guard", 1)


def test_scancel_and_squeue_get_only_slurm_conf(slurm_config):
    upstream = SlurmBackend(config=slurm_config)
    assert upstream.get_stop_cmd_env("42")[1] == {} and upstream.get_status_cmd_env(["1"])[1] == {}, changed(
        "SlurmBackend.get_stop_cmd_env/get_status_cmd_env", "SlurmJobs", "an empty environment to add SLURM_CONF to")
    ours = SlurmQuotaBackend(config=slurm_config)
    assert ours.get_stop_cmd_env("42") == (upstream.get_stop_cmd_env("42")[0], {"SLURM_CONF": "/etc/site/slurm.conf"})
    assert ours.get_status_cmd_env(["1"])[0] == upstream.get_status_cmd_env(["1"])[0]


# --- Dashboards behind the gate, loopback only ------------------------------------------------------

def test_local_clusters_get_their_key_the_guard_and_loopback_only(monkeypatch):
    from aiohttp import web
    from dask_gateway_server.backends.local import LocalClusterConfig

    from spacehub.gateway.dashboard_guard import GUARD_PRELOAD, OWNER_ROUTE

    program = {"scheduler_cmd": ["/b/dask", "scheduler"], "worker_cmd": ["/b/dask", "worker", "--no-nanny"]}
    config = Config({"DemoBackend": {"dashboard_secret": "s3cret", "api_url": "http://127.0.0.1:8001/api"},
                     "LocalClusterConfig": program})
    backend = DemoBackend(config=config)
    cluster = SimpleNamespace(name="c0ffee", username="ada", token="t", config=LocalClusterConfig(config=config),
                              scheduler_address="tls://127.0.0.1:8786", state={"workdir": "/w"})
    scheduler = DBBackendBase.get_scheduler_command(backend, cluster)
    worker = DBBackendBase.get_worker_command(backend, cluster, "w1")
    assert scheduler[:2] == program["scheduler_cmd"] and worker[:3] == program["worker_cmd"], changed(
        "DBBackendBase.get_scheduler_command/get_worker_command", "LoopbackOnly, GuardedDashboards",
        "the configured program first, upstream's arguments after it")
    host = backend.default_host
    assert {"--host", "--dashboard-address", "--dg-api-address"} <= set(scheduler) and all(
        scheduler[scheduler.index(flag) + 1] in (host, f"{host}:0")
        for flag in ("--host", "--dashboard-address", "--dg-api-address")), changed(
        "DBBackendBase.get_scheduler_command", "LoopbackOnly", "every scheduler port bound to default_host")
    assert "dask_gateway.scheduler_preload" in scheduler, changed(
        "DBBackendBase.get_scheduler_command", "GuardedDashboards", "the gateway's own preload (and its --dg-* args)")
    assert "--host" not in worker and "--listen-address" not in worker, changed(
        "DBBackendBase.get_worker_command", "LoopbackOnly", "workers given no --host (spacehub adds it)")
    assert backend.get_scheduler_command(cluster) == scheduler[:2] + GUARD_PRELOAD + scheduler[2:]
    assert backend.get_worker_command(cluster, "w1") == worker[:3] + GUARD_PRELOAD + ["--host", "127.0.0.1"] + worker[3:]
    key = dashboard_key("s3cret", "c0ffee")
    assert backend.get_scheduler_env(cluster)["SPACEHUB_DASHBOARD_KEY"] == key
    assert backend.get_worker_env(cluster)["SPACEHUB_DASHBOARD_KEY"] == key
    assert "SPACEHUB_DASHBOARD_SECRET" not in backend.get_worker_env(cluster)
    # the gate asks the gateway who owns a cluster, with that cluster's key
    async def no_setup(self, app):
        pass

    monkeypatch.setattr(DBBackendBase, "setup", no_setup)  # only the route is looked at here
    app = web.Application()
    asyncio.run(backend.setup(app))
    assert any(r.resource.canonical == OWNER_ROUTE for r in app.router.routes())
    assert all(issubclass(b, GuardedDashboards) for b in (DemoBackend, IsolatedBackend, SlurmQuotaBackend))
