"""Life and death of a hub of its own: the idle culler takes clusters with the servers it stops,
and Ctrl-C on `spacehub up` leaves no process behind."""

import pytest
from hubtools import RunningHub, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def short_lived_hub(tmp_path_factory):
    hub = RunningHub(tmp_path_factory.mktemp("lifecycle"), culler={"enabled": True, "timeout": 8, "every": 2})
    hub.start()
    yield hub
    hub.stop()


def spawn(hub, user):
    session = hub.login(user, f"{user}-password-123")
    session.get(hub.url + "hub/spawn", allow_redirects=False, timeout=30)
    wait_for(lambda: hub.api("GET", f"users/{user}", session=hub.admin()).json()["servers"].get("", {}).get("ready"),
             60, what=f"{user}'s server ready")
    return hub.token_for(user)


def test_culled_server_takes_its_clusters(short_lived_hub):
    hub = short_lived_hub
    gw = hub.gateway(spawn(hub, "bob"))
    name = gw.new()
    assert gw.status(name) in ("PENDING", "RUNNING")
    # nobody uses bob's server: the culler stops it, and the gateway stops his cluster
    wait_for(lambda: not hub.api("GET", "users/bob", session=hub.admin()).json()["servers"], 60,
             what="bob's idle server culled")
    wait_for(lambda: gw.status(name) == "STOPPED", 30, what="bob's cluster stopped after his server was culled")


def test_ctrl_c_stops_everything(short_lived_hub):
    hub = short_lived_hub
    gw = hub.gateway(spawn(hub, "alice"))
    name = gw.new()
    wait_for(lambda: gw.status(name) == "RUNNING", 60, what="cluster running")
    assert gw.scale(name, 1).status_code == 200

    def cmdlines():
        return " ".join(" ".join(p.cmdline()) for p in hub.processes())

    # hub, proxy, gateway, culler, alice's server, her scheduler and worker
    wait_for(lambda: "dask worker" in cmdlines(), 60, what="worker process started")
    names = cmdlines()
    for part in ("jupyterhub", "configurable-http-proxy", "dask-gateway-server", "jupyterhub_idle_culler",
                 "launch jupyterhub-singleuser", "dask scheduler", "dask worker"):
        assert part in names, f"{part} not among the hub's processes: {names}"
    # SIGINT as Ctrl-C sends it; a hang past the harness's deadline is killed and fails here
    assert hub.stop() == 0
    assert not hub.survivors(), f"left running: {hub.survivors()}"
    assert "spacehub: stopped in" in hub.log()
