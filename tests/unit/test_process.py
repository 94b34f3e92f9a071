"""The hub's process: what `spacehub up` says when it is ready, the pid files it leaves none of, and
what the hub's fast stop (spacehub.hub.launch.stop_together) relies on in JupyterHub.

A failure in the contract tests after a JupyterHub upgrade names what changed: read
``stop_together``'s docstring, then adapt it.
"""

import asyncio
import functools
import inspect
import os
import subprocess
import sys
import time
from importlib.metadata import version
from types import SimpleNamespace

import pytest
from hubtools import exits_after_sigint
from jupyterhub.app import JupyterHub
from jupyterhub.services.service import Service
from jupyterhub.spawner import LocalProcessSpawner, Spawner
from jupyterhub.user import User

from spacehub.cli import ready_line
from spacehub.config.settings import validate_settings
from spacehub.hub.launch import _hub_class, _prompt_wait_for_death, stop_together
from spacehub.hub.process import remove_pid_files, routed_prefixes

UPSTREAM = f"jupyterhub {version('jupyterhub')}"


def settings(**raw):
    return validate_settings({"state_dir": "/srv/state", **raw}, "/etc/spacehub.yaml")


# --- what `spacehub up` says ------------------------------------------------------------------------

@pytest.mark.parametrize("auth, hint", [
    ({"type": "local", "admin_users": ["admin"]}, "log in as admin with the password in /srv/state/secrets/admin_password"),
    ({"type": "shared-password", "admin_users": ["ada"]},
     "log in with any name and the password in /srv/state/secrets/shared_password"),
    ({"type": "github", "github": {"client_id": "i", "client_secret": "s", "callback_url": "https://h/hub/oauth_callback"}},
     "log in through github"),
])
def test_ready_line_says_where_and_how_to_log_in(auth, hint):
    assert ready_line(settings(auth=auth)) == f"spacehub is ready at http://127.0.0.1:8000/ - {hint}"


def test_ready_line_shows_the_password_file_from_here(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = validate_settings({"state_dir": str(tmp_path / ".state")}, str(tmp_path / "spacehub.yaml"))
    assert ready_line(s).endswith("log in as admin with the password in .state/secrets/admin_password")


def test_ready_waits_for_the_routes_of_the_hub_and_its_web_services():
    assert routed_prefixes(settings()) == ["/", "/services/dask-gateway/", "/services/data/", "/services/gallery/",
                                           "/services/workshops/"]
    assert routed_prefixes(settings(hub={"base_url": "/space/"}))[0] == "/space/"


# --- pid files --------------------------------------------------------------------------------------

def test_pid_files_of_gone_processes_are_removed(tmp_path):
    gone = subprocess.Popen(["true"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"])  # runs until killed
    try:
        (tmp_path / "jupyterhub.pid").write_text(f"{gone.pid}\n")  # the hub, killed or crashed
        (tmp_path / "proxy.pid").write_text("not a pid\n")
        (tmp_path / "spacehub-up.pid").write_text(f"{os.getpid()}\n")  # ours, on our way out
        (tmp_path / "other.pid").write_text(f"{alive.pid}\n")
        removed = remove_pid_files(tmp_path, names=("jupyterhub.pid", "proxy.pid", "spacehub-up.pid", "other.pid"))
        assert {p.name for p in removed} == {"jupyterhub.pid", "proxy.pid", "spacehub-up.pid"}
        assert [p.name for p in tmp_path.iterdir()] == ["other.pid"]  # another running process's: kept
    finally:
        alive.kill()
        alive.wait()


# --- the hub's fast stop: what it relies on in JupyterHub --------------------------------------------

def changed(what: str, relies_on: str) -> str:
    return f"{UPSTREAM} changed {what}: spacehub.hub.launch.stop_together relies on {relies_on}"


def test_hub_class_is_jupyterhub_with_its_name():
    hub_class = _hub_class()
    assert issubclass(hub_class, JupyterHub) and hub_class.__name__ == "JupyterHub"


def test_jupyterhub_cleanup_still_stops_services_then_servers():
    source = inspect.getsource(JupyterHub.cleanup)
    for relied_on in ("self._service_map.values()", "s.managed", "await service.stop()", "self.cleanup_servers",
                      "self.users.items()", "user.spawners.items()", "spawner.active", "user.stop(name)"):
        assert relied_on in source, changed("JupyterHub.cleanup", relied_on)
    assert "cleanup_servers" in JupyterHub.class_trait_names(), changed("JupyterHub", "cleanup_servers")
    assert inspect.iscoroutinefunction(Service.stop), changed("Service.stop", "a coroutine")
    assert list(inspect.signature(User.stop).parameters) == ["self", "server_name"], changed("User.stop", "server_name")
    assert isinstance(inspect.getattr_static(Spawner, "active"), property), changed("Spawner.active", "a property")


def test_local_spawner_stop_waits_through_wait_for_death():
    source = inspect.getsource(LocalProcessSpawner.stop)
    assert source.count("self.wait_for_death(") == 3, changed("LocalProcessSpawner.stop",
                                                              "wait_for_death after SIGINT, SIGTERM and SIGKILL")


def process_exiting_on_sigint(after: float) -> subprocess.Popen:
    """A process that exits ``after`` seconds after SIGINT (as a service finishing its shutdown)."""
    proc = subprocess.Popen([sys.executable, "-c", exits_after_sigint(after)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    return proc


def test_a_stopped_local_process_is_seen_gone_at_once():
    proc = process_exiting_on_sigint(after=0.7)
    spawner = LocalProcessSpawner()
    spawner.proc, spawner.pid = proc, proc.pid
    spawner.wait_for_death = functools.partial(_prompt_wait_for_death, spawner)
    t0 = time.monotonic()
    asyncio.run(spawner.stop())
    # JupyterHub's own backoff would look again up to 0.8 s later
    assert proc.returncode == 0 and time.monotonic() - t0 < 1.1


class FakeStop:
    """Records when each stop starts; each takes ``seconds``."""

    def __init__(self, seconds: float):
        self.seconds, self.started = seconds, []

    def __call__(self, *args):
        async def stop():
            self.started.append(time.monotonic())
            await asyncio.sleep(self.seconds)
        return stop()


def test_services_and_servers_stop_together():
    stop = FakeStop(0.3)
    spawner = SimpleNamespace(active=True)
    services = {name: SimpleNamespace(managed=True, spawner=None, stop=stop) for name in ("gw", "data", "culler")}
    services["external"] = SimpleNamespace(managed=False, spawner=None, stop=stop)
    users = {1: SimpleNamespace(name="alice", spawners={"": spawner}, stop=stop),
             2: SimpleNamespace(name="bob", spawners={"": SimpleNamespace(active=False)}, stop=stop)}
    hub = SimpleNamespace(_service_map=services, users=users, cleanup_servers=True, log=None)
    t0 = time.monotonic()
    asyncio.run(stop_together(hub))
    assert len(stop.started) == 4  # three managed services, alice's server
    assert max(stop.started) - t0 < 0.2 and time.monotonic() - t0 < 0.55  # all at once, not 1.2 s in turn
