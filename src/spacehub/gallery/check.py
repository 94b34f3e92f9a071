"""The reproducibility check: a published notebook re-executed headless in a clean kernel, compared
with what its author published.

A check runs the version's notebook with papermill in a folder of its own holding only what was
published (the notebook and its files), with that folder as the home: nothing of the author's home,
catalogs of their own or caches is there. The kernel reads the hub's catalog as a user's kernel
does (the sample data and the shared cache), and :mod:`spacehub.provenance` notes every read. The
check fails, saying why, when

- a cell raises (the cell and the error),
- the run does not finish within its time limit,
- the notebook read a file that is neither catalog data nor published with it (it would not re-run
  anywhere else),
- its outputs differ from the published ones (:mod:`spacehub.gallery.compare`).

Where the service runs as root (isolated mode), notebooks run as an account of their own
(``spacehub-gallery``), never as root.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..provenance import PROVENANCE_FILE_ENV, read_notes, summarize
from .store import NotFound, Store, now

#: the account notebooks run as when the service runs as root
RUN_AS = "spacehub-gallery"
#: variables of the service's environment a run keeps (the catalog's data, plots that need no CDN)
PASSED_ON = ("SPACEHUB_SAMPLE_DATA", "SPACEHUB_CACHE_DIR", "SPACEHUB_CACHE_GIB", "SPACEHUB_OFFLINE",
             "SPACEHUB_HAPI_URL", "BOKEH_RESOURCES", "PANEL_INLINE", "LANG", "TZ")


@dataclass
class RunResult:
    """One execution: what came out, in how long, and what it read."""

    ok: bool
    seconds: float
    notebook: dict[str, Any] | None  #: the executed notebook (None: papermill wrote none)
    provenance: list[dict[str, Any]]
    reasons: list[str] = field(default_factory=list)
    log: str = ""


@dataclass
class Runner:
    """Runs notebooks with papermill from ``python``'s environment, one folder per run under ``work``."""

    python: Path
    work: Path
    timeout: float = 600
    env: Mapping[str, str] = field(default_factory=dict)
    data_roots: tuple[Path, ...] = ()  #: files read under these are catalog data (samples, cache)
    run_as: pwd.struct_passwd | None = None
    _environment: dict[str, Any] | None = None
    #: process groups of the runs under way (papermill and its kernel), ended with the service
    active: set[int] = field(default_factory=set)

    def stop_all(self) -> None:
        for pid in list(self.active):
            _kill_group(pid)

    def environment(self) -> dict[str, Any]:
        """Python and package versions of the environment runs use, and their fingerprint."""
        if self._environment is None:
            code = ("import importlib.metadata as m, json, sys, platform; print(json.dumps({'python': sys.version.split()[0], "
                    "'platform': platform.platform(), 'packages': {d.metadata['Name']: d.version for d in m.distributions() "
                    "if d.metadata['Name']}}))")
            done = subprocess.run([str(self.python), "-c", code], capture_output=True, text=True, timeout=120)
            env = json.loads(done.stdout) if done.returncode == 0 else {"error": done.stderr[-500:]}
            packages = env.get("packages", {})
            env["packages"] = {k.lower(): packages[k] for k in sorted(packages, key=str.lower)}
            env["fingerprint"] = hashlib.sha256(json.dumps(env["packages"], sort_keys=True).encode()).hexdigest()[:16]
            self._environment = env
        return self._environment

    async def run(self, notebook: Path, files: list[Path], parameters: Mapping[str, Any] | None = None,
                  keep: Path | None = None) -> RunResult:
        """Execute ``notebook`` with ``files`` beside it (and ``parameters`` injected); the executed
        notebook is copied to ``keep`` if given."""
        folder = self.work / f"run-{os.getpid()}-{time.monotonic_ns()}"
        folder.mkdir(mode=0o700, parents=True)
        try:
            return await self._run(folder, notebook, files, parameters or {}, keep)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    async def _run(self, folder: Path, notebook: Path, files: list[Path], parameters: Mapping[str, Any],
                   keep: Path | None) -> RunResult:
        for f in files:
            shutil.copyfile(f, folder / f.name)
        shutil.copyfile(notebook, folder / "notebook.ipynb")
        (folder / "parameters.json").write_text(json.dumps(dict(parameters)))
        notes = folder / ".provenance.jsonl"
        env = {k: v for k, v in os.environ.items() if k in PASSED_ON}
        env.update(self.env)
        env.update({"HOME": str(folder), "PATH": f"{self.python.parent}:/usr/bin:/bin",
                    PROVENANCE_FILE_ENV: str(notes), "PYTHONDONTWRITEBYTECODE": "1",
                    "JUPYTER_PLATFORM_DIRS": "1"})
        command = [str(self.python), "-m", "papermill", "notebook.ipynb", "executed.ipynb", "-f", "parameters.json",
                   "--cwd", str(folder), "-k", "python3", "--no-progress-bar", "--log-level", "WARNING",
                   "--execution-timeout", str(int(self.timeout))]
        kw: dict[str, Any] = {}
        if self.run_as is not None:
            for path in folder.rglob("*"):
                os.chown(path, self.run_as.pw_uid, self.run_as.pw_gid)
            os.chown(folder, self.run_as.pw_uid, self.run_as.pw_gid)
            kw = {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []}
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            *command, cwd=folder, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, start_new_session=True, **kw)
        reasons = []
        self.active.add(proc.pid)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), self.timeout)
        except TimeoutError:
            _kill_group(proc.pid)
            out, _ = await proc.communicate()
            reasons.append(f"did not finish within {self.timeout:g} s (the gallery's check_timeout): a notebook "
                           "that runs longer can be published with smaller parameters")
        except asyncio.CancelledError:
            _kill_group(proc.pid)
            raise
        finally:
            self.active.discard(proc.pid)
        seconds = time.monotonic() - started
        _kill_group(proc.pid)  # a kernel papermill left behind
        log = out.decode(errors="replace")[-20_000:]
        executed = None
        with contextlib.suppress(OSError, ValueError):
            executed = json.loads((folder / "executed.ipynb").read_text())
            if keep is not None:
                shutil.copyfile(folder / "executed.ipynb", keep)
        provenance = read_notes(notes)
        if not reasons and proc.returncode != 0:
            reasons.append(_failure(executed, log))
        reasons += self._outside(provenance, folder)
        return RunResult(not reasons, seconds, executed, provenance, reasons, log)

    def _outside(self, provenance: list[dict[str, Any]], folder: Path) -> list[str]:
        """Files the notebook opened that are neither catalog data nor published with it."""
        out = []
        roots = (folder.resolve(), *(Path(r).resolve() for r in self.data_roots))
        for note in provenance:
            if note.get("kind") != "file" or note.get("remote"):
                continue
            path = Path(str(note.get("path")))
            with contextlib.suppress(OSError):
                path = path.resolve()
            if not any(path == r or r in path.parents for r in roots):
                shown = str(note.get("path")).replace(str(folder), "<notebook's folder>")
                out.append(f"the notebook read {shown}, which is neither catalog data nor a file published with "
                           "it, so it cannot re-run anywhere else: publish the file with the notebook (from the "
                           "notebook's folder) or read the data through the catalog")
        return out


def _failure(executed: dict[str, Any] | None, log: str) -> str:
    """Why a run failed, from the first error output (papermill stops there) or its log."""
    cells = [c for c in (executed or {}).get("cells", []) if isinstance(c, dict)
             and not {"injected-parameters", "papermill-error-cell-tag"} & set(c.get("metadata", {}).get("tags", []))]
    for index, cell in enumerate(cells):  # numbered as in the published notebook (papermill's cells left out)
        for output in cell.get("outputs", []):
            if isinstance(output, dict) and output.get("output_type") == "error":
                evalue = str(output.get("evalue", "")).splitlines()[0][:300] if output.get("evalue") else ""
                return f"cell {index} raised {output.get('ename', 'an error')}: {evalue}"
    last = [line for line in log.splitlines() if line.strip()][-1:] or ["no output"]
    return f"the run failed before any cell ran: {last[0][:300]}"


def _kill_group(pid: int) -> None:
    """End a run: papermill's process group and its kernel (jupyter_client starts kernels in a session of
    their own, so the group alone would leave it running)."""
    import psutil

    try:
        kernels = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        kernels = []
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    for p in kernels:
        with contextlib.suppress(psutil.Error):
            p.kill()


async def check_version(store: Store, runner: Runner, entry_id: str, version: int) -> dict[str, Any]:
    """Re-run version ``version`` of ``entry_id``, compare, and record the check (returned)."""
    from .compare import compare_notebooks

    folder = store.version_dir(entry_id, version)
    if store.entry(entry_id).get("withdrawn"):
        raise NotFound(f"{entry_id} was withdrawn")
    files = sorted((folder / "files").iterdir()) if (folder / "files").is_dir() else []
    started = now()
    store.record_check(entry_id, version, {"status": "running", "started": started})
    result = await runner.run(folder / "notebook.ipynb", files, keep=folder / ".check-output.ipynb")
    reasons = list(result.reasons)
    comparison = None
    notes = []
    if result.notebook is not None and not reasons:
        published = json.loads((folder / "notebook.ipynb").read_text())
        if not any(cell.get("outputs") for cell in published.get("cells", []) if isinstance(cell, dict)):
            notes.append("published without outputs: the check shows that it runs, with nothing to compare "
                         "(publish it saved with its outputs to have them compared)")
        else:
            comparison = compare_notebooks(published, result.notebook).to_json()
            if not comparison.get("same", False):
                n = len(comparison.get("differences", []))
                reasons.append(f"{n} output(s) differ from the published ones")
    env = runner.environment()
    check = {"status": "failed" if reasons else "passed", "reasons": reasons, "notes": notes, "started": started,
             "finished": now(), "seconds": round(result.seconds, 2), "comparison": comparison,
             "provenance": summarize(result.provenance),
             "environment": {"fingerprint": env.get("fingerprint"), "python": env.get("python"),
                             "packages": env.get("packages", {})},
             "log": result.log[-4000:] if reasons else ""}
    with contextlib.suppress(OSError):
        os.replace(folder / ".check-output.ipynb", folder / "check-output.ipynb")
    store.record_check(entry_id, version, check)
    return check


def gallery_account(name: str = RUN_AS) -> pwd.struct_passwd:
    """The account notebooks run as under a root service (isolated mode), made now if missing: a
    system account of its own, no login, no home, in no group of the hub's users."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["/usr/sbin/useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                        "/nonexistent", "--shell", "/usr/sbin/nologin", name], check=True, capture_output=True,
                       timeout=60)
        return pwd.getpwnam(name)


def timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")


__all__ = ["RUN_AS", "RunResult", "Runner", "check_version", "gallery_account", "sys"]
