"""Life and death of a hub of its own: the idle culler takes clusters with the servers it stops,
and Ctrl-C on `spacehub up` stops everything within seconds, quietly, leaving nothing behind."""

import re
import time
from pathlib import Path

import pytest
from hubtools import READY, ReadyLineHub, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: a line that says something failed, as each program of the hub writes one: tornado/traitlets
#: apps, the gateway and its proxy ("[E 2026-..."), configurable-http-proxy ("[ConfigProxy] error:"),
#: Python's default logging ("ERROR:name:"), IPython's apps ("[IPKernelApp] ERROR |"). Not "[C ":
#: JupyterHub logs receiving SIGTERM at that level.
ERROR_LINE = re.compile(r"^(?:\x1b\[[\d;]*m)?\[E \d{4}-|\[ConfigProxy\] (?:\x1b\[[\d;]*m)?error|^ERROR:|\] ERROR \|",
                        re.MULTILINE)

STOP_WITHIN = 5.0  #: seconds from Ctrl-C to `spacehub up` exiting (the README's "a few seconds")


@pytest.fixture(scope="module")
def short_lived_hub(tmp_path_factory):
    hub = ReadyLineHub(tmp_path_factory.mktemp("lifecycle"), culler={"enabled": True, "timeout": 8, "every": 2})
    hub.start()
    yield hub
    hub.stop()


def spawn(hub, user):
    session = hub.login(user, f"{user}-password-123")
    session.get(hub.url + "hub/spawn", allow_redirects=False, timeout=30)
    wait_for(lambda: hub.api("GET", f"users/{user}", session=hub.admin()).json()["servers"].get("", {}).get("ready"),
             60, what=f"{user}'s server ready")
    return hub.token_for(user)


def test_ready_line_says_where_and_how_to_log_in(short_lived_hub):
    hub = short_lived_hub
    secrets = Path(hub.settings["state_dir"]) / "secrets"
    # repeated once the start-up lines above it have scrolled away; the password itself never
    assert hub.ready_line() == f"{READY}{hub.url} - log in as admin with the password in {secrets / 'admin_password'}"
    assert hub.secret("admin_password") not in hub.log()


def test_culled_server_takes_its_clusters(short_lived_hub):
    hub = short_lived_hub
    gw = hub.gateway(spawn(hub, "bob"))
    name = gw.new()
    assert gw.status(name) in ("PENDING", "RUNNING")
    # nobody uses bob's server: the culler stops it, and the gateway stops his cluster
    wait_for(lambda: not hub.api("GET", "users/bob", session=hub.admin()).json()["servers"], 60,
             what="bob's idle server culled")
    wait_for(lambda: gw.status(name) == "STOPPED", 30, what="bob's cluster stopped after his server was culled")


def test_ctrl_c_stops_everything_quietly_and_fast(short_lived_hub):
    hub = short_lived_hub
    token = spawn(hub, "alice")
    gw = hub.gateway(token)

    def busy(check):  # alice is at work: the 8 s culler must not take her server meanwhile
        def polled():
            hub.report_activity("alice", token)
            return check()
        return polled

    def cmdlines():
        return " ".join(" ".join(p.cmdline()) for p in hub.processes())

    def cluster_processes(name):  # a cluster's scheduler and workers run in its own working directory
        return " ".join(" ".join(p.cmdline()) for p in hub.processes() if Path(p.cwd()).name == name)

    def cluster_with_a_worker():
        name = gw.new()
        wait_for(busy(lambda: gw.status(name) == "RUNNING"), 60, what="cluster running")
        assert gw.scale(name, 1).status_code == 200
        wait_for(busy(lambda: "dask worker" in cluster_processes(name)), 60, what="worker process started")
        return name

    # a cluster with a worker started and stopped, then another left running for Ctrl-C to stop
    first = cluster_with_a_worker()
    assert gw.stop(first).status_code == 204
    wait_for(busy(lambda: gw.status(first) == "STOPPED" and not cluster_processes(first)), 30,
             what="first cluster's scheduler and worker stopped")
    cluster_with_a_worker()
    names = cmdlines()
    for part in ("jupyterhub", "configurable-http-proxy", "dask-gateway-server", "jupyterhub_idle_culler",
                 "spacehub.services.data", "launch jupyterhub-singleuser", "dask scheduler", "dask worker"):
        assert part in names, f"{part} not among the hub's processes: {names}"

    # SIGINT as Ctrl-C sends it; a hang past the harness's deadline is killed and fails here
    t0 = time.monotonic()
    assert hub.stop() == 0
    took = time.monotonic() - t0
    log = hub.log()
    assert took < STOP_WITHIN, f"Ctrl-C took {took:.1f} s:\n{log[-3000:]}"
    assert not hub.survivors(), f"left running: {hub.survivors()}"
    assert not list(Path(hub.settings["state_dir"]).glob("*.pid")), "pid files left in the state dir"
    assert "spacehub: stopped in" in log
    for bad in ("Traceback", "ECONNREFUSED"):
        assert bad not in log, f"{bad} in the log:\n{log}"
    assert not ERROR_LINE.findall(log), "error lines in the log:\n" + "\n".join(
        line for line in log.splitlines() if ERROR_LINE.search(line))


class JustLaunched(ReadyLineHub):
    def _healthy(self):  # start() returns as soon as `spacehub up` runs
        return True


def test_ctrl_c_while_starting_leaves_no_process_nor_pid_file(tmp_path):
    hub = JustLaunched(tmp_path).start()
    state = Path(hub.settings["state_dir"])
    # the hub writes its pid file first thing, long before it handles signals: SIGTERM then ends it
    # on the spot, leaving its pid file (and maybe its proxy's) to `spacehub up`
    wait_for(lambda: (state / "jupyterhub.pid").exists(), 60, what="the hub's pid file")
    hub.processes()
    assert hub.stop() == 0
    assert not hub.survivors(), f"left running: {hub.survivors()}"
    assert not list(state.glob("*.pid")), "pid files left in the state dir"
    assert "Traceback" not in hub.log(), hub.log()
