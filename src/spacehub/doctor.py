"""``spacehub doctor``: check an installation and say what to do about each problem."""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .config import Settings, SettingsError, load_settings
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
    #: False: ``spacehub up`` warns and starts anyway (the hub is useful without it)
    blocking: bool = True


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def settings_ports(settings: Settings) -> dict[str, int]:
    ports = {"hub.port": settings.hub.port, "hub.api_port": settings.hub.api_port,
             "hub.proxy_api_port": settings.hub.proxy_api_port}
    if settings.gateway.enabled:
        ports["gateway.port"] = settings.gateway.port
        ports["gateway.gate_port"] = settings.gateway.gate_port
    if settings.data_service.enabled:
        ports["data_service.port"] = settings.data_service.port
    return ports


def busy_ports(settings: Settings) -> dict[str, int]:
    host = settings.hub.ip
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
                        "in a checkout `make install` (needs node and npm: `apt-get install nodejs npm`); "
                        "otherwise `npm install -g configurable-http-proxy`"))
    dask_cmd = bin_dir / "dask"
    checks.append(Check("dask command", dask_cmd.exists(), str(dask_cmd), "run `make install`"))
    spec = importlib.util.find_spec("dask_gateway_server")
    gw_proxy = Path(spec.origin).parent / "proxy" / "dask-gateway-proxy" if spec and spec.origin else None
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
    checks += target_checks(settings)
    if check_ports:
        busy = busy_ports(settings)
        checks.append(Check("ports free", not busy,
                            ", ".join(f"{k}={p} in use" for k, p in busy.items()) or "all free",
                            f"stop what uses them (`ss -ltnp`), or choose other ports in {settings.source}"))
    return checks


SLURM_COMMANDS = ("sbatch", "squeue", "scancel", "sinfo")


def target_checks(settings: Settings) -> list[Check]:
    """What the settings' target needs from this machine (slurm: commands, sudo, accounts, ...).

    ``spacehub up`` refuses to start when one fails, so an operator reads what to do instead of a
    traceback from deep inside the gateway at the first cluster.
    """
    checks = _mode_checks(settings)
    if settings.target != "slurm":
        return checks
    slurm = settings.slurm
    checks += [Check("slurm target runs in isolated mode", settings.mode == "isolated",
                    f"mode is {settings.mode}",
                    f"Slurm runs each user's jobs under their own Unix account: set `mode: isolated` in "
                    f"{settings.source} and start the hub as root")]
    missing = [c for c in SLURM_COMMANDS if shutil.which(c) is None]
    checks.append(Check("Slurm commands", not missing, "missing: " + ", ".join(missing) if missing else "found",
                        "install the Slurm client (Debian: `apt-get install slurm-client`) with the cluster's "
                        "munge key, or try it on one machine with `hub/slurm/devslurm.sh install`"))
    checks.append(_sudo_check(settings))
    checks.append(_job_env_check(slurm.job_env))
    if not missing:
        checks.append(_partition_check(settings))
    checks.append(_accounts_check(settings))
    return checks


def _mode_checks(settings: Settings) -> list[Check]:
    """No user code as root; in isolated mode, what each user's account must be able to reach."""
    from .hub.config import DEMO_AS_ROOT

    if settings.target == "kubernetes":
        return []
    root = os.geteuid() == 0
    if settings.mode == "demo":
        if root and not settings.unsafe_demo_as_root:
            return [Check("no user code as root", False, "demo mode, started as root", DEMO_AS_ROOT)]
        return []
    checks = [Check("isolated mode runs as root", root, f"running as uid {os.geteuid()}",
                    "start the hub as root, or set `mode: demo` (users then share one account)")]
    checks.append(_users_env_check(settings.isolated.users_env, root))
    private = _private_folders(settings.state_dir.parent)
    checks.append(Check("users reach the state dir", not private,
                        f"{', '.join(private)} (mode without o+x) hide(s) the sample data and the clusters' folders"
                        if private else str(settings.state_dir),
                        f"set state_dir in {settings.source} to a folder outside private homes, e.g. "
                        "/var/lib/spacehub",
                        # Slurm jobs read nothing there; local servers and clusters need it
                        blocking=settings.target == "local"))
    if settings.isolated.accounts == "create":
        missing = [c for c in ("useradd", "groupadd") if shutil.which(c) is None]
        checks.append(Check("account tools", not missing, "missing: " + ", ".join(missing) if missing else "found",
                            "apt-get install passwd, or set isolated.accounts: existing"))
    return checks


def _private_folders(path: Path) -> list[str]:
    """The folders on the way to ``path`` (itself included) that other users cannot pass through."""
    real = Path(os.path.realpath(path))
    return [str(p) for p in [*reversed(real.parents), real] if p.exists() and not os.stat(p).st_mode & 0o001]


def _users_env_check(env: Path, root: bool) -> Check:
    """The users' environment: there, reachable by everyone, and (as root) importable by an ordinary account."""
    return _shared_env_check("users' environment", env, "isolated.users_env", root,
                             ("python", "jupyterhub-singleuser", "dask"), "spacehub, jupyterhub, distributed, dask_gateway")


def _shared_env_check(name: str, env: Path, setting: str, root: bool, programs: tuple[str, ...],
                      imports: str) -> Check:
    """An environment other accounts run: its ``programs`` there, every folder on the way passable, and
    (as root, who can become another account) ``imports`` importable by an account with no rights."""
    fix = f"build it as root with `hub/users-env.sh {env}` (`make install` does, as root), or set {setting}"
    needed = [env / "bin" / prog for prog in programs]
    absent = [str(p) for p in needed if not p.exists()]
    if absent:
        return Check(name, False, "missing: " + ", ".join(absent), fix)
    private = _private_folders(needed[0]) + _private_folders(env)
    if private:
        return Check(name, False, f"not usable by other users: {', '.join(sorted(set(private)))} (mode without o+x)",
                     f"{fix}; it must not live under a private folder such as /root")
    if root:  # the proof: an account with no rights of its own imports what servers and workers import
        try:
            run = subprocess.run([str(needed[0]), "-c", f"import {imports}"],
                                 capture_output=True, text=True, timeout=120, user="nobody", group="nogroup",
                                 extra_groups=[], cwd="/", env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"})
        except (OSError, subprocess.TimeoutExpired, KeyError) as e:
            return Check(name, False, f"cannot run it as nobody: {e}", fix)
        if run.returncode != 0:
            return Check(name, False, f"an ordinary account cannot import from it: "
                         f"{run.stderr.strip().splitlines()[-1:] or run.returncode}", fix)
    return Check(name, True, str(env))


def _slurm_env(settings: Settings) -> dict[str, str]:
    conf = settings.slurm.slurm_conf
    return {**os.environ, "SLURM_CONF": conf} if conf else dict(os.environ)


def _sudo_check(settings: Settings) -> Check:
    launcher = settings.slurm.job_env / "bin" / "dask-gateway-jobqueue-launcher"
    fix = ("install sudo (`apt-get install sudo`) and add the rule `spacehub render sudoers --service-user "
           "$(whoami)` prints to /etc/sudoers.d/spacehub (mode 0440)")
    if shutil.which("sudo") is None:
        return Check("sudo for the gateway", False, "sudo not found", fix)
    if os.geteuid() == 0:
        return Check("sudo for the gateway", True, "running as root")
    allowed = subprocess.run(["sudo", "-n", "-l", str(launcher)], capture_output=True).returncode == 0
    return Check("sudo for the gateway", allowed,
                 f"may run {launcher} as users" if allowed else f"sudo refuses {launcher} without a password", fix)


def _job_env_check(job_env: Path) -> Check:
    """The jobs' environment: the users' one (or a copy of it on a path the compute nodes share)."""
    return _shared_env_check("Slurm job environment", Path(job_env), "slurm.job_env", os.geteuid() == 0,
                             ("python", "dask", "dask-gateway-jobqueue-launcher"),
                             "spacehub.gateway.dashboard_guard, distributed, dask_gateway")


def _partition_check(settings: Settings) -> Check:
    partition = settings.slurm.partition
    try:
        run = subprocess.run(["sinfo", "-h", "-o", "%R"], capture_output=True, text=True, timeout=20,
                             env=_slurm_env(settings))
    except subprocess.TimeoutExpired:
        run = None
    if run is None or run.returncode != 0:
        why = run.stderr.strip().splitlines()[-1:] if run is not None else ["no answer in 20 s"]
        return Check("Slurm controller", False, f"sinfo failed: {' '.join(why)}",
                     "start slurmctld, or set slurm.slurm_conf to the cluster's slurm.conf")
    known = sorted(set(run.stdout.split()))
    ok = not partition or partition in known
    return Check("Slurm partition", ok, f"{partition or '(default)'}; partitions: {', '.join(known)}",
                 f"set slurm.partition to one of: {', '.join(known)}")


def _accounts_check(settings: Settings) -> Check:
    names = sorted(set(settings.auth.admin_users) | set(settings.auth.allowed_users))
    missing = []
    for name in names:
        try:
            pwd.getpwnam(name)
        except KeyError:
            missing.append(name)
    return Check("hub users have Unix accounts", not missing,
                 "without an account: " + ", ".join(missing) if missing else f"{len(names)} listed users",
                 "create them (`useradd -m NAME`, or in the site's directory): their Dask jobs run as them",
                 blocking=False)


def report(checks: list[Check], out=print) -> bool:
    for c in checks:
        out(f"[{'ok' if c.ok else 'FAIL'}] {c.name}: {c.detail}")
        if not c.ok and c.fix:
            out(f"       -> {c.fix}")
    ok = all(c.ok for c in checks)
    out("everything looks fine" if ok else "some checks failed; see the arrows for what to do")
    return ok
