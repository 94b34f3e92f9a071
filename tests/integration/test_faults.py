"""Faults of a running hub: a process of it killed, and what must hold afterwards."""

import socket

import psutil
import pytest
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
def faulty_hub(tmp_path_factory):
    hub = ReadyLineHub(tmp_path_factory.mktemp("faults"))
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
