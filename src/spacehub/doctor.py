"""``spacehub doctor``: check an installation and say what to do about each problem."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .config import SettingsError, load_settings
from .hub.runtime import find_proxy

REQUIRED_MODULES = {
    "jupyterhub": "the hub",
    "jupyterlab": "the users' JupyterLab",
    "jupyter_server_ydoc": "real-time collaboration (jupyter-collaboration)",
    "jupyterhub_idle_culler": "the idle culler",
    "firstuseauthenticator": "local accounts",
    "oauthenticator": "GitHub / OIDC logins",
    "dask_gateway_server": "the Dask Gateway service",
    "dask_gateway": "the Dask Gateway client",
    "distributed": "Dask schedulers and workers",
    "bokeh": "Dask dashboards",
}


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def settings_ports(settings) -> dict[str, int]:
    ports = {"hub.port": settings["hub"]["port"], "hub.api_port": settings["hub"]["api_port"],
             "hub.proxy_api_port": settings["hub"]["proxy_api_port"]}
    if settings["gateway"]["enabled"]:
        ports["gateway.port"] = settings["gateway"]["port"]
    if settings["data_service"]["enabled"]:
        ports["data_service.port"] = settings["data_service"]["port"]
    return ports


def busy_ports(settings) -> dict[str, int]:
    host = settings["hub"]["ip"]
    return {k: p for k, p in settings_ports(settings).items()
            if not port_free(p, host if k == "hub.port" else "127.0.0.1")}


def run_checks(config: str | None = None, check_ports: bool = True) -> list[Check]:
    checks = []
    missing = [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]
    checks.append(Check(
        "python packages", not missing,
        "missing: " + ", ".join(f"{m} ({REQUIRED_MODULES[m]})" for m in missing) if missing else "all importable",
        "run `make install` (or `pip install -e .` in the venv)"))
    bin_dir = Path(sys.executable).parent
    proxy = find_proxy(bin_dir)
    proxy_ok = False
    if proxy:
        try:
            proxy_ok = subprocess.run([proxy, "--version"], capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            pass
    checks.append(Check("configurable-http-proxy", proxy_ok, proxy or "not found",
                        "run `make install` (needs node and npm: `apt-get install nodejs npm`)"))
    dask_cmd = bin_dir / "dask"
    checks.append(Check("dask command", dask_cmd.exists(), str(dask_cmd), "run `make install`"))
    spec = importlib.util.find_spec("dask_gateway_server")
    gw_proxy = Path(spec.origin).parent / "proxy" / "dask-gateway-proxy" if spec else None
    checks.append(Check("dask-gateway proxy binary", bool(gw_proxy and os.access(gw_proxy, os.X_OK)),
                        str(gw_proxy), "reinstall dask-gateway-server (`make clean install`)"))
    try:
        settings = load_settings(config)
    except SettingsError as e:
        checks.append(Check("settings", False, str(e), "fix the named key; the schema documents every key "
                            "(src/spacehub/config/schema.yaml)"))
        return checks
    checks.append(Check("settings", True, str(settings.source)))
    state = settings.state_dir
    probe = state
    while not probe.exists():
        probe = probe.parent
    writable = os.access(probe, os.W_OK)
    checks.append(Check("state dir writable", writable, str(state),
                        f"make {probe} writable for this user, or set state_dir in {settings.source}"))
    if settings["mode"] == "isolated":
        checks.append(Check("isolated mode runs as root", os.geteuid() == 0,
                            f"running as uid {os.geteuid()}",
                            "start the hub as root, or set `mode: demo`"))
    if check_ports:
        busy = busy_ports(settings)
        checks.append(Check("ports free", not busy,
                            ", ".join(f"{k}={p} in use" for k, p in busy.items()) or "all free",
                            f"stop what uses them (`ss -ltnp`), or choose other ports in {settings.source}"))
    return checks


def report(checks: list[Check], out=print) -> bool:
    for c in checks:
        out(f"[{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}")
        if not c.ok and c.fix:
            out(f"       -> {c.fix}")
    ok = all(c.ok for c in checks)
    out("everything looks fine" if ok else "some checks failed; see the arrows for what to do")
    return ok
