"""Run the hub in the foreground and take every process it started down with it.

``spacehub up`` makes itself a *child subreaper* (Linux): processes whose parent dies (the proxy
when the hub crashes, a user server, a Dask worker) are re-parented to it instead of to init, so
on exit it can find and stop every one of them. Nothing is left behind, whatever failed.

The hub never outlives it: it gets SIGTERM the moment ``spacehub up`` ends, however that ends
(``kill -9`` included: the kernel's parent-death signal), stops its servers, services and
clusters, and, a subreaper too, ends whatever of its own is still running before it exits. A
hub that is still stopping when ``spacehub up`` is started again is waited for, then ended
(:func:`stop_leftover_hub`): never an unsupervised hub, never "ports in use".

It says the hub is ready only once the proxy routes to the hub and its services, and it asks
neither through the public port before then: a request there before the hub has added its routes
is a 404 the proxy logs as an error, and before the hub listens its error page fails with an
``ECONNREFUSED`` stack. The hub is asked on its own port, the proxy on its API port.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import requests

from ..config import Settings
from ..config.paths import HUB_DIR
from ..config.secrets import ensure_secrets
from ..deploy import plan
from .config import HUB_PID_FILE, PROXY_PID_FILE, hub_api_url, proxy_api_url, public_url

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
UP_PID_FILE = "spacehub-up.pid"

#: seconds the hub gets to stop its services, servers and clusters before what is left is stopped
#: here. Locally every process is ours to end, and the hub needs 1.5-3 s: with the SIGTERM-to-SIGKILL
#: grace of what is left, a Ctrl-C ends within 5 s whatever hangs. On Slurm the gateway must cancel
#: its jobs itself (they are not processes of this machine), so it gets longer.
HUB_GRACE = {"local": 3.5, "slurm": 20.0}
#: seconds between SIGTERM and SIGKILL for what the hub left behind (a kernel whose server exited)
STRAGGLER_GRACE = 1.0


@functools.cache
def _libc() -> ctypes.CDLL | None:
    return ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _prctl(option: int, value: int) -> bool:
    libc = _libc()
    return libc is not None and libc.prctl(option, value, 0, 0, 0) == 0


def become_subreaper() -> bool:
    return _prctl(PR_SET_CHILD_SUBREAPER, 1)


def _hub_child(parent: int):
    """Run in the hub's process before it executes: what it inherits from ``spacehub up``, undone,
    and its end tied to ``parent``'s."""
    # A shell that starts us in the background sets SIGINT to "ignore", and children inherit that:
    # the hub's services would then ignore the SIGINT the hub stops them with (and wait 10 s+).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # SIGTERM when the thread that started us ends: `spacehub up` runs the hub from its main thread
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the line above: nobody would send the signal
        os.kill(os.getpid(), signal.SIGTERM)


def _poll(check, deadline: float, proc: subprocess.Popen | None, stop: threading.Event | None) -> bool:
    """Call ``check`` every 0.2 s until it is true; False once the deadline passes, ``proc`` exits or ``stop`` is set."""
    while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
        if proc is not None and proc.poll() is not None:
            return False
        try:
            if check():
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def wait_healthy(url: str, deadline: float, proc: subprocess.Popen | None = None,
                 stop: threading.Event | None = None) -> bool:
    """Poll ``url`` until it answers 200, the deadline passes, ``proc`` exits or ``stop`` is set."""
    return _poll(lambda: requests.get(url, timeout=2).status_code == 200, deadline, proc, stop)


def routed_prefixes(settings: Settings) -> list[str]:
    """The proxy's routes that make the hub usable: the hub's, and each service's with a web endpoint."""
    base = settings.hub.base_url
    return [base] + [f"{base}services/{s.name}/" for s in plan(settings).services if s.url]


def wait_ready(settings: Settings, deadline: float, proc: subprocess.Popen | None = None,
               stop: threading.Event | None = None) -> bool:
    """Wait until the hub answers on its own port and the proxy routes to it and to its services.

    The hub logs health checks at debug level, the proxy its API requests at info level (which
    :func:`spacehub.hub.config.hub_config` leaves out); the routes come 1-3 s after the hub
    answers, once it has started its services.
    """
    health = f"{hub_api_url(settings)}{settings.hub.base_url}hub/health"
    if not wait_healthy(health, deadline, proc, stop):
        return False
    token = ensure_secrets(settings.state_dir)["proxy_auth_token"]
    wanted = {p.rstrip("/") or "/" for p in routed_prefixes(settings)}

    def routed() -> bool:
        r = requests.get(proxy_api_url(settings) + "/api/routes", headers={"Authorization": f"token {token}"},
                         timeout=2)
        return r.status_code == 200 and wanted <= set(r.json())

    return _poll(routed, deadline, proc, stop)


def stop_all(hub: subprocess.Popen, timeout: float = HUB_GRACE["local"], log=print) -> list[int]:
    """Stop the hub (it stops servers, services and proxy itself), then anything still alive.

    Returns the pids that had to be stopped after the hub had gone.
    """
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"spacehub: the hub did not stop in {timeout:g} s; stopping what it started")
            hub.kill()
            hub.wait()
    return end_descendants()


def reap_orphans(keep: int) -> list[int]:
    """Reap the exited processes re-parented here (a subreaper) but ``keep``, the one this process
    started and waits for itself: the gateway's proxy after a crash of the gateway, say, would stay
    a zombie until the hub stops. Returns their pids."""
    reaped = []
    for p in psutil.Process().children():
        try:
            if p.pid != keep and p.status() == psutil.STATUS_ZOMBIE and os.waitpid(p.pid, os.WNOHANG)[0]:
                reaped.append(p.pid)
        except (psutil.NoSuchProcess, ChildProcessError):
            pass
    return reaped


def end_descendants() -> list[int]:
    """End every process below this one still running (SIGTERM, then SIGKILL after
    ``STRAGGLER_GRACE``); return their pids. What the hub does last, being a subreaper."""
    return end_processes(psutil.Process().children(recursive=True))


def end_processes(procs: list[psutil.Process]) -> list[int]:
    """SIGTERM to each of ``procs`` still running, SIGKILL to those alive ``STRAGGLER_GRACE`` later;
    return the pids that were running. Exited ones (zombies, orphans re-parented here) are reaped."""
    running = [p for p in procs if _running(p)]
    for p in running:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=STRAGGLER_GRACE)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=STRAGGLER_GRACE)
    return [p.pid for p in running]


def stop_leftover_hub(state: Path, grace: float = HUB_GRACE["local"] + 2 * STRAGGLER_GRACE, log=print) -> list[int]:
    """End a hub of ``state`` that no ``spacehub up`` supervises any more; return the pids ended.

    One is only ever seen stopping: its ``spacehub up`` ended (``kill -9``) and it got SIGTERM. It
    is given ``grace`` seconds to finish (it stops its services, servers and clusters), then it and
    what it still runs are ended. Found by the pid file of ``spacehub up`` (which names the hub's too:
    the hub removes its own while it stops), and only if that process is a hub running in ``state``.
    """
    up, hub = _pids_in(state / UP_PID_FILE)
    if hub is None or (up != os.getpid() and psutil.pid_exists(up)):
        return []
    try:
        proc = psutil.Process(hub)
        if Path(proc.cwd()) != state.resolve() or "spacehub.hub.launch" not in proc.cmdline() or not _running(proc):
            return []
        log(f"spacehub: a hub of {state} (pid {hub}) is still stopping after its `spacehub up` ended; "
            f"waiting up to {grace:g} s")
        gone, _ = psutil.wait_procs([proc], timeout=grace)
        if gone:
            return []
        left = [proc, *proc.children(recursive=True)]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []
    ended = end_processes(left)
    log(f"spacehub: ended {len(ended)} process(es) it left: {ended}")
    return ended


def _pid_in(path: Path) -> int | None:
    return _pids_in(path)[0]


def _pids_in(path: Path) -> tuple[int | None, int | None]:
    """The pids a pid file names: the process's own, and (``spacehub up``'s) the hub's."""
    try:
        pids = [int(word) for word in path.read_text().split()[:2]]
    except (OSError, ValueError):
        return None, None
    return (pids[0] if pids else None), (pids[1] if len(pids) > 1 else None)


def _running(p: psutil.Process) -> bool:
    try:
        return p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def remove_pid_files(state: Path, names=(UP_PID_FILE, HUB_PID_FILE, PROXY_PID_FILE)) -> list[Path]:
    """Remove the pid files in ``state`` whose process no longer runs; return those removed.

    The hub removes its own and its proxy's when it stops cleanly, but not when it crashes or is
    killed; a stale one would make the next start look for (and signal) a process that is gone.
    """
    removed = []
    for name in names:
        path = state / name
        pid = _pid_in(path)
        if path.exists() and (pid is None or pid == os.getpid() or not psutil.pid_exists(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def run_hub(settings: Settings, log=print, ready_message: str | None = None) -> int:
    """Start JupyterHub for ``settings`` and block until we are told to stop (or it cannot run).

    ``ready_message`` is logged once the hub can be used (default: "spacehub is ready at URL").
    A hub that stops by itself after it was ready (a crash, ``kill -9``) is started again, its
    users' servers, kernels and clusters left running for it to take over (:func:`end_crashed_services`);
    one that cannot get ready, or crashes again within ``CRASH_WINDOW`` seconds, is not.
    """
    become_subreaper()
    state = Path(settings.state_dir)
    url = public_url(settings)
    ready_message = ready_message or f"spacehub is ready at {url}"
    env = {**os.environ, "SPACEHUB_CONFIG": str(settings.source)}
    cmd = [sys.executable, "-m", "spacehub.hub.launch", "jupyterhub", "-f", str(HUB_DIR / "jupyterhub_config.py")]
    stopping = threading.Event()
    _libc()  # loaded here: the hub's process only calls it between fork and exec (see _hub_child)

    def on_signal(signum, frame):
        stopping.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    hub = None
    last_start = -CRASH_WINDOW
    try:
        while True:
            hub = subprocess.Popen(cmd, cwd=state, env=env, start_new_session=True,
                                   preexec_fn=functools.partial(_hub_child, os.getpid()))
            (state / UP_PID_FILE).write_text(f"{os.getpid()} {hub.pid}\n")  # see stop_leftover_hub
            started, ready = time.monotonic(), threading.Event()

            def announce(hub=hub, ready=ready):
                if wait_ready(settings, time.monotonic() + 120, hub, stopping) and not stopping.is_set():
                    ready.set()
                    log(f"\n{ready_message}\n")

            threading.Thread(target=announce, daemon=True).start()
            while not stopping.is_set() and hub.poll() is None:
                stopping.wait(0.5)
                reap_orphans(hub.pid)
            if stopping.is_set():
                break
            log(f"spacehub: the hub exited by itself (status {hub.returncode}); see the log above")
            if not ready.is_set() or started - last_start < CRASH_WINDOW:
                break
            last_start = started
            ended = end_crashed_services()
            log(f"spacehub: starting the hub again; users' servers, kernels and clusters keep running "
                f"(ended the {len(ended)} service process(es) it had started, to be started anew)")
    finally:
        if hub is not None:
            log("spacehub: stopping the hub, its servers, services and clusters ...")
            t0 = time.monotonic()
            killed = stop_all(hub, timeout=HUB_GRACE.get(settings.target, HUB_GRACE["local"]), log=log)
            if killed:
                log(f"spacehub: stopped {len(killed)} process(es) the hub left behind: {killed}")
            log(f"spacehub: stopped in {time.monotonic() - t0:.1f} s")
        for s, h in old.items():
            signal.signal(s, h)
        remove_pid_files(state)
    return 0 if stopping.is_set() else (hub.returncode or 1)


#: a hub that crashes again within this many seconds of its last start is not started again
CRASH_WINDOW = 300.0

#: how the hub's services are recognised among the processes it left (their command lines)
SERVICE_COMMANDS = ("dask-gateway-server", "spacehub.gateway.gate", "spacehub.services.data", "spacehub.gallery",
                    "spacehub.workshops", "jupyterhub_idle_culler")


def end_crashed_services() -> list[int]:
    """End the services of a hub that stopped by itself, so that the hub started again can start its
    own on their ports; return their pids. They were adopted here (a subreaper) when it died.

    The gateway is killed (SIGKILL), not asked to stop: asked, it stops every cluster; killed, it
    leaves them running for the next one to take over from its database. Users' servers and their
    kernels are left alone: the new hub finds them running (their pids are in its database), and
    its proxy, which replaces the old one (JupyterHub ends it by its pid file), routes to them again.
    """
    gateway, others = [], []
    for p in psutil.Process().children():
        try:
            command = " ".join(p.cmdline())
        except psutil.NoSuchProcess:
            continue
        if "dask-gateway-server" in command:
            gateway.append(p)
        elif any(name in command for name in SERVICE_COMMANDS):
            others.append(p)
    for p in gateway:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    psutil.wait_procs(gateway, timeout=STRAGGLER_GRACE)
    return [p.pid for p in gateway] + end_processes(others)
