"""Faults of a running hub: a process of it killed, and what must hold afterwards."""

import socket

import psutil
import pytest
import requests
from hubtools import READY, Kernel, ReadyLineHub, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSWORD = "alice-password-123"


def running(procs: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for p in procs:
        try:
            if p.status() != psutil.STATUS_ZOMBIE:  # an exited orphan waits for whoever reaps it
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def faulty_hub(tmp_path_factory, sample_dir):
    hub = ReadyLineHub(tmp_path_factory.mktemp("faults"), sample_dir=sample_dir)
    hub.start()
    yield hub
    hub.stop()
    assert not hub.survivors(), f"left running: {hub.survivors()}"


def gateway_processes(hub) -> list[psutil.Process]:
    return [p for p in running(hub.processes()) if "dask-gateway-server" in " ".join(p.cmdline())]


def test_clusters_survive_a_crash_of_the_gateway(faulty_hub):
    hub = faulty_hub
    kernel = hub.user_kernel("alice", PASSWORD)
    token = hub.token_for("alice")
    gw = hub.gateway(token)
    out = kernel.run(
        "from dask_gateway import GatewayCluster\n"
        "cluster = GatewayCluster(shutdown_on_close=False)\n"
        "cluster.scale(1)\n"
        "client = cluster.get_client()\n"
        "client.wait_for_workers(1, timeout=120)\n"
        "print('NAME', cluster.name)\n"
        "print('SUM', client.submit(sum, range(100)).result())\n"
        "client.close(); cluster.close()\n", timeout=180)
    values = dict(line.split(" ", 1) for line in out.strip().splitlines())
    name = values["NAME"]
    assert int(values["SUM"]) == 4950
    cluster_pids = {p.pid for p in running(hub.processes()) if p.cwd().endswith(name)}
    assert len(cluster_pids) == 2, "a scheduler and a worker"
    [old] = gateway_processes(hub)
    old.kill()

    # the hub starts it again; it takes over alice's cluster from its database
    wait_for(lambda: [p.pid for p in gateway_processes(hub)] not in ([], [old.pid]), 60, what="the gateway restarted")
    wait_for(lambda: gw.request("GET", name).status_code == 200 and gw.status(name) == "RUNNING", 60,
             what=f"{name} known and running after the restart")
    assert {p.pid for p in running(hub.processes()) if p.cwd().endswith(name)} == cluster_pids, "same processes"
    out = kernel.run(
        "from dask_gateway import Gateway\n"
        f"cluster = Gateway().connect({name!r})\n"
        "client = cluster.get_client()\n"
        "print('SUM', client.submit(sum, range(10)).result())\n"
        "client.close()\n", timeout=120)
    assert out.strip() == "SUM 45"

    # her quota (2 clusters) still counts it: one more, then a refusal
    second = gw.new()
    refused = gw.create()
    assert refused.status_code == 422 and "already has 2 running cluster(s)" in refused.text, refused.text
    for cluster in (second, name):
        assert gw.stop(cluster).status_code == 204
    wait_for(lambda: not {p.pid for p in running(hub.processes()) if p.cwd().endswith(name)}, 30,
             what="her cluster's processes stopped by the new gateway")
    # nothing of the old gateway is left, its proxy included, and alice's token is in no log line
    old_children = [p for p in running(hub.processes()) if p.ppid() == old.pid]
    assert not old_children, old_children
    proxies = [p for p in running(hub.processes()) if "dask-gateway-proxy" in " ".join(p.cmdline())]
    assert len(proxies) == 1, [p.cmdline() for p in proxies]
    assert token not in hub.log()


def processes_running(hub, command: str) -> list[psutil.Process]:
    return [p for p in running(hub.processes()) if command in " ".join(p.cmdline())]


def test_a_crashed_data_service_comes_back_and_no_token_is_logged(faulty_hub):
    hub = faulty_hub
    token = hub.token_for("alice")
    hapi, headers = hub.url + "services/data/hapi", {"Authorization": f"token {token}"}
    query = "/data?dataset=omni_hro_1min&start=2015-03-17&stop=2015-03-18&parameters=SYM_H"
    before = requests.get(hapi + query, headers=headers, timeout=60)
    assert before.status_code == 200 and before.text.count("\n") == 1440
    [service] = processes_running(hub, "spacehub.services.data")
    service.kill()
    # asked meanwhile, the proxy answers for it; the hub starts it again
    wait_for(lambda: requests.get(hapi + query, headers=headers, timeout=30).status_code == 200, 90,
             what="the data service answering again")
    assert processes_running(hub, "spacehub.services.data")[0].pid != service.pid
    assert requests.get(hapi + query, headers=headers, timeout=60).content == before.content
    assert token not in hub.log()


def test_a_crashed_proxy_comes_back_with_every_route(faulty_hub):
    hub = faulty_hub
    kernel = hub.user_kernel("alice", PASSWORD)
    kernel.run("y = 7")
    [proxy] = [p for p in processes_running(hub, "configurable-http-proxy") if "spacehub.redact" not in " ".join(p.cmdline())]
    proxy.kill()
    wait_for(lambda: requests.get(hub.url + "hub/health", timeout=5).status_code == 200, 60, what="the proxy back")
    wait_for(lambda: requests.get(hub.url + "user/alice/api/status", headers={"Authorization": f"token {kernel.token}"},
                                  timeout=5).status_code == 200, 60, what="alice's server routed again")
    assert Kernel(kernel.server_url, kernel.token, kernel.id).run("print(y * 6)").strip() == "42"


def test_a_worker_killed_mid_computation_changes_no_result(faulty_hub):
    hub = faulty_hub
    kernel = hub.user_kernel("alice", PASSWORD)
    out = kernel.run(
        "import time\n"
        "from dask_gateway import GatewayCluster\n"
        "cluster = GatewayCluster()\n"
        "cluster.scale(2)\n"
        "client = cluster.get_client()\n"
        "client.wait_for_workers(2, timeout=120)\n"
        "futures = client.map(lambda i: (time.sleep(0.2), i * i)[1], range(60))\n"  # ~6 s of work on 2 workers
        "print('NAME', cluster.name)\n", timeout=180)
    name = out.split("NAME ", 1)[1].strip()

    def workers():
        return [p for p in processes_running(hub, "dask worker") if p.cwd().endswith(name)]

    assert len(workers()) == 2
    wait_for(lambda: int(kernel.run("print(sum(f.done() for f in futures))")) >= 5, 60, what="the work under way")
    victim = workers()[0]
    victim.kill()
    out = kernel.run("print(sum(client.gather(futures)), len(futures))", timeout=120)
    assert out.split() == [str(sum(i * i for i in range(60))), "60"]
    # the cluster is still hers and managed: the gateway replaces the lost worker, no more than asked for
    gw = hub.gateway(kernel.token)
    assert gw.status(name) == "RUNNING"
    wait_for(lambda: len(workers()) == 2 and victim.pid not in {p.pid for p in workers()}, 60,
             what="the lost worker replaced")
    kernel.run("client.close(); cluster.shutdown()")
    wait_for(lambda: not workers(), 30, what="her cluster's workers stopped")


def test_a_crashed_hub_is_started_again_and_takes_over_running_work(faulty_hub):
    hub = faulty_hub
    kernel = hub.user_kernel("alice", PASSWORD)
    kernel.run("x = 41")
    session = hub.login("alice", PASSWORD)
    gw = hub.gateway(kernel.token)
    name = gw.new()
    wait_for(lambda: gw.status(name) == "RUNNING", 60, what="her cluster running")
    work = {p.pid for p in running(hub.processes()) if "ipykernel" in " ".join(p.cmdline()) or p.cwd().endswith(name)}
    [jupyterhub] = [p for p in running(hub.processes()) if "spacehub.hub.launch jupyterhub " in " ".join(p.cmdline())]
    jupyterhub.kill()

    wait_for(lambda: "spacehub: starting the hub again" in hub.log(), 30, what="spacehub up restarting the hub")
    wait_for(lambda: hub.log().count(READY) == 2, 90, what="the hub ready again")
    # her kernel kept its state, her cluster its processes, her browser session its login
    assert Kernel(kernel.server_url, kernel.token, kernel.id).run("print(x + 1)").strip() == "42"
    assert gw.status(name) == "RUNNING"
    assert work <= {p.pid for p in running(hub.processes())}
    assert hub.api("GET", "user", session=session).json()["name"] == "alice"
    assert gw.stop(name).status_code == 204
    restart = hub.log().split("spacehub: starting the hub again")[1]
    assert "Traceback" not in restart, restart


def test_killing_spacehub_up_stops_the_hub_and_all_it_ran(faulty_hub):
    hub = faulty_hub
    kernel = hub.user_kernel("alice", PASSWORD)
    assert kernel.run("print(6 * 7)").strip() == "42"
    session = hub.login("alice", PASSWORD)
    procs = hub.kill_supervisor()
    names = " ".join(" ".join(p.cmdline()) for p in procs)
    assert "jupyterhub-singleuser" in names and "ipykernel" in names, names
    # nobody supervises them any more: the hub got SIGTERM and stops everything, kernels included
    wait_for(lambda: not running(procs), 30, what="the hub and everything it ran stopped after kill -9 of spacehub up")
    ports = [hub.settings["hub"]["port"], hub.settings["hub"]["api_port"], hub.settings["gateway"]["port"]]
    assert all(port_free(p) for p in ports), ports

    # the next start finds nothing in its way, and alice is still logged in
    hub.start()
    assert "ports in use" not in hub.log()
    assert hub.api("GET", "user", session=session).json()["name"] == "alice"


def test_a_restart_right_after_kill_waits_for_the_stopping_hub(faulty_hub):
    hub = faulty_hub
    old = hub.kill_supervisor()
    hub.start()  # at once: the old hub is still stopping
    assert "ports in use" not in hub.log(), hub.log()
    assert not running(old), [p.pid for p in running(old)]
    new = {p.pid for p in hub.processes()}
    assert new and not new & {p.pid for p in old}
    assert hub.proc.poll() is None  # the new supervisor runs
