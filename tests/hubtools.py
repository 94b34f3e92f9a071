"""Start a real spacehub (``spacehub up``: hub, proxy, gateway, culler) on free loopback ports and
talk to it as a browser and as a notebook would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import psutil
import requests
import yaml

BIN = Path(sys.executable).parent


REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def passable_folder(prefix: str) -> Path:
    """A new folder every Unix account can pass through (0711) for a hub whose users run as
    themselves: pytest's own temp folders are root's and 0700, which hides the state dir from them.
    The caller removes it."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(folder, 0o711)
    return folder


def wait_for(predicate, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # keep polling; report the last error on timeout
            last_exc = e
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached in {timeout} s" + (f" (last error: {last_exc!r})" if last_exc else ""))


def hub_settings(state_dir: Path, **overrides) -> dict:
    """Settings for a test hub: free ports, a temp state dir, users alice and bob, a small quota."""
    s = {
        "mode": "demo",
        # the test suite runs as root in CI: these hubs are its own, nobody else logs in to them
        "unsafe_demo_as_root": os.geteuid() == 0,
        "state_dir": str(state_dir),
        "hub": {"port": free_port(), "api_port": free_port(), "proxy_api_port": free_port()},
        "auth": {"type": "local", "admin_users": ["admin"], "allowed_users": ["alice", "bob"]},
        "gateway": {
            "port": free_port(),
            "gate_port": free_port(),
            "worker_cores": {"default": 1, "min": 1, "max": 2},
            "worker_memory_gib": {"default": 0.5, "min": 0.25, "max": 1.0},
            "scheduler_memory_gib": 0.5,
            "cluster_limits": {"workers": 4},
            "user_quota": {"cores": 4, "memory_gib": 8, "clusters": 2},
            "check_servers_every": 1,
        },
        "culler": {"enabled": True},
        "data_service": {"port": free_port()},
        "gallery": {"port": free_port(), "check_timeout": 300},
        "workshops": {"port": free_port(), "check_every": 1},
        "templates": {"source": str(REPO / "notebooks" / "templates")},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(s.get(key), dict):
            s[key] = {**s[key], **value}
        else:
            s[key] = value
    return s


class RunningHub:
    """``spacehub up`` as a subprocess, stopped with SIGINT like Ctrl-C."""

    def __init__(self, workdir: Path, sample_dir: Path | None = None, **overrides):
        self.workdir = Path(workdir)
        self.sample_dir = sample_dir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.settings = hub_settings(self.workdir / "state", **overrides)
        self.config = self.workdir / "spacehub.yaml"
        self.config.write_text(yaml.safe_dump(self.settings))
        self.url = f"http://127.0.0.1:{self.settings['hub']['port']}/"
        self.gateway_url = self.url + "services/dask-gateway"
        self.log_path = self.workdir / "spacehub-up.log"
        self.proc = None
        self.exit_code = None
        self.seen_pids: dict[int, float] = {}

    # -- life cycle --------------------------------------------------------------------------
    def start(self, timeout: float = 60):
        state = Path(self.settings["state_dir"])
        if self.sample_dir and not (state / "sample-data").exists():  # what `make up` writes with `spacehub data sample`
            state.mkdir(parents=True, exist_ok=True)
            (state / "sample-data").symlink_to(self.sample_dir)
        self._log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "DASK_GATEWAY"))}
        self.proc = subprocess.Popen(
            [str(BIN / "spacehub"), "up", "--config", str(self.config)],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        try:
            wait_for(self._healthy, timeout, what=f"hub at {self.url} healthy")
        except TimeoutError:
            self.stop()
            raise TimeoutError(f"hub did not become healthy; log:\n{self.log()}") from None
        return self

    def _healthy(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"spacehub up exited with {self.proc.returncode}:\n{self.log()}")
        hub = requests.get(self.url + "hub/health", timeout=2).status_code == 200
        gw = requests.get(self.gateway_url + "/api/health", timeout=2).status_code == 200
        # the data service answers (401: it wants a login) once it is up
        data = requests.get(self.url + "services/data/hapi/about", timeout=2).status_code in (200, 401)
        gallery = not self.settings["gallery"].get("enabled", True) or \
            requests.get(self.url + "services/gallery/api/entries", timeout=2).status_code in (200, 401)
        workshops = not self.settings.get("workshops", {}).get("enabled", True) or \
            self.settings["auth"].get("type") != "local" or \
            requests.get(self.url + "services/workshops/api/workshops", timeout=2).status_code == 401
        return hub and gw and data and gallery and workshops

    def processes(self) -> list[psutil.Process]:
        """Every process ``spacehub up`` started (it is a subreaper: orphans stay its children)."""
        try:
            procs = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        for p in procs:
            try:
                self.seen_pids[p.pid] = p.create_time()
            except psutil.NoSuchProcess:
                pass
        return procs

    def stop(self, timeout: float = 60) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.processes()  # remember everything alive now
        self.proc.send_signal(signal.SIGINT)
        try:
            self.exit_code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.exit_code = self.proc.wait()
        self._log.close()
        return self.exit_code

    def kill_supervisor(self) -> list[psutil.Process]:
        """``kill -9`` of ``spacehub up`` alone (not its process group), as an OOM killer or a careless
        admin would; returns what it ran. Its log is kept beside the next one's."""
        procs = self.processes()
        self.proc.kill()
        self.exit_code = self.proc.wait()
        self._log.close()
        self.log_path.rename(self.log_path.with_suffix(f".killed-{self.proc.pid}.log"))
        return procs

    def survivors(self) -> list[int]:
        """Pids seen while running that still exist (same pid, same start time)."""
        alive = []
        for pid, created in self.seen_pids.items():
            try:
                if psutil.Process(pid).create_time() == created:
                    alive.append(pid)
            except psutil.NoSuchProcess:
                pass
        return alive

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    # -- secrets and people --------------------------------------------------------------------
    def secret(self, name: str) -> str:
        return (Path(self.settings["state_dir"]) / "secrets" / name).read_text().strip()

    def login(self, username: str, password: str) -> requests.Session:
        """Log in through the login form, as a browser does; return the session with its cookies."""
        s = requests.Session()
        r = s.get(self.url + "hub/login", timeout=10)
        r.raise_for_status()
        xsrf = s.cookies.get("_xsrf")
        r = s.post(self.url + "hub/login", data={"username": username, "password": password, "_xsrf": xsrf},
                   allow_redirects=False, timeout=30)
        if r.status_code != 302:
            raise PermissionError(f"login of {username} failed: {r.status_code}")
        s.headers["X-XSRFToken"] = s.cookies.get("_xsrf", path="/hub/") or xsrf
        return s

    def admin(self) -> requests.Session:
        if not hasattr(self, "_admin"):
            self._admin = self.login("admin", self.secret("admin_password"))
        return self._admin

    def api(self, method: str, path: str, token: str | None = None, session=None, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"token {token}"
        return (session or requests).request(method, self.url + "hub/api/" + path.lstrip("/"),
                                             headers=headers, timeout=30, **kw)

    def token_for(self, username: str) -> str:
        r = self.api("POST", f"users/{username}/tokens", session=self.admin(), json={"note": "test"})
        r.raise_for_status()
        return r.json()["token"]

    def user_kernel(self, username: str, password: str, timeout: float = 120) -> Kernel:
        """Log ``username`` in through the form, start their server and open a kernel in it."""
        session = self.login(username, password)
        token = self.token_for(username)
        session.get(self.url + "hub/spawn", allow_redirects=False, timeout=30)
        wait_for(lambda: self.api("GET", f"users/{username}", token=token).json()["servers"].get("", {}).get("ready"),
                 timeout, what=f"{username}'s server ready")
        return Kernel(self.url + f"user/{username}/", token)

    def gateway(self, token: str) -> GatewayAPI:
        return GatewayAPI(self.gateway_url, token)


class GatewayAPI:
    """The gateway's REST API as a user's token sees it, through the hub's proxy.

    Plain HTTP on purpose: several dask_gateway ``Gateway`` objects in one process share one
    event-loop thread, and one being garbage-collected can stop it under the others.
    """

    def __init__(self, url: str, token: str | None):
        self.url = url.rstrip("/") + "/api/v1/clusters/"
        self.headers = {"Authorization": f"jupyterhub {token}"} if token else {}

    def request(self, method: str, name: str = "", **kw) -> requests.Response:
        return requests.request(method, self.url + name, headers=self.headers, timeout=30, **kw)

    def create(self, **options) -> requests.Response:
        return self.request("POST", json={"cluster_options": options})

    def new(self, **options) -> str:
        r = self.create(**options)
        assert r.status_code == 201, r.text
        return r.json()["name"]

    def names(self) -> set[str]:
        r = self.request("GET")
        r.raise_for_status()
        return set(r.json())

    def status(self, name: str) -> str:
        r = self.request("GET", name)
        r.raise_for_status()
        return r.json()["status"]

    def scale(self, name: str, count: int) -> requests.Response:
        return self.request("POST", f"{name}/scale", json={"count": count})

    def stop(self, name: str) -> requests.Response:
        return self.request("DELETE", name)


class Kernel:
    """A kernel in a user's JupyterLab server, driven over the Jupyter websocket protocol."""

    def __init__(self, server_url: str, token: str, kernel_id: str | None = None):
        """A new kernel, or the running one ``kernel_id`` connected to again."""
        import websocket

        self.server_url = server_url.rstrip("/") + "/"
        self.headers = {"Authorization": f"token {token}"}
        if kernel_id is None:
            r = requests.post(self.server_url + "api/kernels", headers=self.headers, json={"name": "python3"},
                              timeout=30)
            r.raise_for_status()
            kernel_id = r.json()["id"]
        self.id = kernel_id
        self.token = token
        ws_url = self.server_url.replace("http", "ws", 1) + f"api/kernels/{self.id}/channels"
        self.ws = websocket.create_connection(ws_url, header=[f"Authorization: token {token}"], timeout=120)

    #: the client's session in its messages' headers, and whether its cells count in the kernel's history
    session = ""
    store_history = False

    def run(self, code: str, timeout: float = 120) -> str:
        """Execute ``code``; return its stdout; raise with the traceback if it fails."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": self.session or uuid.uuid4().hex, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": self.store_history,
                        "user_expressions": {}, "allow_stdin": False},
        }))
        out, error = [], None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self._receive(deadline)
            if msg is None:  # the cell ended, said on a connection that was lost
                break
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                error = "\n".join(msg["content"]["traceback"])
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                break
        else:
            raise TimeoutError(f"kernel code did not finish in {timeout} s")
        if error:
            raise RuntimeError(f"kernel code failed:\n{error}")
        return "".join(out)

    def _receive(self, deadline: float) -> dict | None:
        """The kernel's next message (a client that reconnects may say None: the cell ended unseen)."""
        return json.loads(self.ws.recv())

    def close(self):
        try:
            self.ws.close()
            requests.delete(self.server_url + f"api/kernels/{self.id}", headers=self.headers, timeout=10)
        except Exception:
            pass


READY = "spacehub is ready at "  #: how `spacehub up`'s line saying the hub can be used starts


class ReadyLineHub(RunningHub):
    """A RunningHub started as a person starts one: nothing is asked through the proxy before
    `spacehub up` says the hub is ready. (Asked earlier, the proxy has no route yet: it answers 404
    and logs an error.) The log of a normal life cycle then holds no error at all."""

    def ready_line(self) -> str | None:
        return next((line for line in self.log().splitlines() if line.startswith(READY)), None)

    def _healthy(self):
        if self.proc.poll() is None and self.ready_line() is None:
            return False
        return super()._healthy()

    def report_activity(self, username: str, token: str) -> None:
        """Tell the hub ``username``'s server is in use, as JupyterLab does: a short culler leaves it be."""
        from datetime import UTC, datetime

        now = datetime.now(UTC).isoformat()
        r = self.api("POST", f"users/{username}/activity", token=token,
                     json={"last_activity": now, "servers": {"": {"last_activity": now}}})
        r.raise_for_status()


def exits_after_sigint(after: float) -> str:
    """Python code for a child process that says 'ready', then waits for a signal and exits
    ``after`` seconds after SIGINT (a service or cluster process finishing its shutdown)."""
    return ("import signal, sys, time\n"
            f"signal.signal(signal.SIGINT, lambda *a: (time.sleep({after}), sys.exit(0)))\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    signal.pause()\n")


def served(app, path: str = "/"):
    """A tornado ``app`` on a free loopback port, served by a thread of its own: (its URL + ``path``,
    its event loop, to stop with ``loop.call_soon_threadsafe(loop.stop)``)."""
    import asyncio

    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets

    sockets = bind_sockets(0, "127.0.0.1")
    loop = asyncio.new_event_loop()

    def run():
        asyncio.set_event_loop(loop)
        HTTPServer(app).add_sockets(sockets)
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{sockets[0].getsockname()[1]}{path}", loop


@contextmanager
def hapi_process(command: list[str], env: dict, port: int, log_path: Path):
    """The data service started by ``command`` on loopback ``port``: its HAPI URL once it answers; stopped after."""
    log = open(log_path, "w")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/services/data/hapi"
    try:
        wait_for(lambda: requests.get(url + "/about", timeout=2).status_code == 200, 30, what="HAPI service up")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


class CountingFiles(SimpleHTTPRequestHandler):
    """Serves a folder like an archive does; counts GETs per path."""

    counts: dict = {}

    def do_GET(self):
        type(self).counts[self.path] = type(self).counts.get(self.path, 0) + 1
        super().do_GET()

    def log_message(self, *args):
        pass
