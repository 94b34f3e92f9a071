"""Faults of a running hub: a process of it killed, and what must hold afterwards."""

import socket

import psutil
import pytest
from hubtools import ReadyLineHub, wait_for

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
