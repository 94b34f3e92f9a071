"""Run the hub in the foreground and take every process it started down with it.

``spacehub up`` makes itself a *child subreaper* (Linux): processes whose parent dies (the proxy
when the hub crashes, a user server, a Dask worker) are re-parented to it instead of to init, so
on exit it can find and stop every one of them. Nothing is left behind, whatever failed.
"""

from __future__ import annotations

import ctypes
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
from .config import public_url

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


def _default_sigint():
    # A shell that starts us in the background sets SIGINT to "ignore", and children inherit that:
    # the hub's services would then ignore the SIGINT the hub stops them with (and wait 10 s+).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def wait_healthy(url: str, deadline: float, proc: subprocess.Popen | None = None) -> bool:
    """Poll ``url`` until it answers 200, the deadline passes, or ``proc`` exits."""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


def stop_all(hub: subprocess.Popen, timeout: float = 20.0, log=print) -> list[int]:
    """Stop the hub (it stops servers, services and proxy itself), then anything still alive.

    Returns the pids that had to be killed after the hub had gone.
    """
    if hub.poll() is None:
        hub.send_signal(signal.SIGTERM)
        try:
            hub.wait(timeout)
        except subprocess.TimeoutExpired:
            log(f"hub did not stop in {timeout:g} s; killing it")
            hub.kill()
            hub.wait()
    left = psutil.Process().children(recursive=True)
    for p in left:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(left, timeout=5)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)
    return [p.pid for p in left]


def run_hub(settings: Settings, log=print) -> int:
    """Start JupyterHub for ``settings`` and block until it exits or we are told to stop."""
    become_subreaper()
    state = Path(settings.state_dir)
    env = {**os.environ, "SPACEHUB_CONFIG": str(settings.source)}
    cmd = [sys.executable, "-m", "spacehub.hub.launch", "jupyterhub", "-f", str(HUB_DIR / "jupyterhub_config.py")]
    hub = subprocess.Popen(cmd, cwd=state, env=env, start_new_session=True, preexec_fn=_default_sigint)
    (state / "spacehub-up.pid").write_text(f"{os.getpid()}\n")

    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    url = public_url(settings)

    def announce():
        if wait_healthy(url + "hub/health", time.monotonic() + 120, hub):
            log(f"\nspacehub is ready at {url}\n")

    threading.Thread(target=announce, daemon=True).start()
    try:
        while not stopping.is_set() and hub.poll() is None:
            stopping.wait(0.5)
        if hub.poll() is not None and not stopping.is_set():
            log(f"spacehub: the hub exited by itself (status {hub.returncode}); see the log above")
        log("spacehub: stopping the hub, its servers, services and clusters ...")
        t0 = time.monotonic()
        killed = stop_all(hub, log=log)
        if killed:
            log(f"spacehub: stopped {len(killed)} process(es) the hub left behind: {killed}")
        log(f"spacehub: stopped in {time.monotonic() - t0:.1f} s")
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        (state / "spacehub-up.pid").unlink(missing_ok=True)
    return 0 if stopping.is_set() else (hub.returncode or 1)
