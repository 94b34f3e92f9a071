"""A workshop's first notebook, its kernel running before the participant opens it.

A Jupyter server extension of the users' servers of a hub with workshops. When the hub starts the
server of a workshop's seat whose workshop names a notebook to open (``spacehub workshop create
--opens``), the pre-spawn hook gives the server :data:`OPEN_NOTEBOOK_ENV` (the notebook's path in the
home) and JupyterLab's default URL opens it. At start this extension then

1. starts the notebook's session (the kernel its metadata names, or the default one; in the notebook's
   folder), as JupyterLab would when it opens the notebook: JupyterLab finds the session by the
   notebook's path and joins its kernel;
2. imports, in that kernel (a Python one), the modules the notebook imports (a silent execution: no output, no
   execution count, nothing bound in the notebook's namespace), so that its first cells do not wait
   for the scientific stack to load;
3. writes :func:`marker` (``~/.cache/spacehub/warm-kernel.json``) for ``spacehub workshop prewarm``,
   which waits for it.

:class:`OneKernelPerNotebook` (the servers' session manager) makes a request for a notebook's session
that arrives while that session is being made wait for it, instead of starting a second kernel.

Everything runs in the seat's own server, as the seat: the hub's services need no access to it.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jupyter_server.services.sessions.sessionmanager import SessionManager

from ..deploy.names import OPEN_NOTEBOOK_ENV

#: how long a kernel may take to start and import the notebook's modules before the warm-up gives up
WARM_TIMEOUT = 600.0
#: modules imported by a notebook's ``%matplotlib`` line (the inline backend), imported ahead too
MATPLOTLIB = ("matplotlib.pyplot", "matplotlib_inline.backend_inline")


def marker(home: str | os.PathLike | None = None) -> Path:
    """The file a server writes once its workshop notebook's kernel is warm (``home``: the seat's home)."""
    return Path(home if home is not None else Path.home()) / ".cache" / "spacehub" / "warm-kernel.json"


def imported_modules(notebook: dict[str, Any]) -> list[str]:
    """The modules a notebook's code cells import at their top level, in order, each once; a cell that
    is not Python (another kernel's language, a cell magic) is skipped, ``%matplotlib`` counts as
    importing pyplot and the inline backend."""
    found: dict[str, None] = {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        python: list[str] = []
        for line in source.splitlines():
            stripped = line.lstrip()
            if stripped.startswith("%%"):  # a cell magic: the cell is not Python
                python = []
                break
            if stripped.startswith("%matplotlib"):
                found.update(dict.fromkeys(MATPLOTLIB))
            python.append("" if stripped.startswith(("%", "!")) else line)
        try:
            tree = ast.parse("\n".join(python))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                found.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found[node.module] = None
    return list(found)


def kernel_for(notebook: dict[str, Any], known: Iterable[str], default: str) -> str:
    """The kernel JupyterLab starts for the notebook: the one its metadata names where this server has
    it, else the server's default."""
    name = ((notebook.get("metadata") or {}).get("kernelspec") or {}).get("name")
    return name if isinstance(name, str) and name in set(known) else default


def warm_code(modules: list[str]) -> str:
    """Code that imports ``modules`` and binds no name in the kernel's namespace; a module that
    fails to import is passed over (the notebook's own cell will say why)."""
    return ("def __spacehub_warm(names):\n"
            "    import importlib\n"
            "    for name in names:\n"
            "        try:\n"
            "            importlib.import_module(name)\n"
            "        except Exception:\n"
            "            pass\n"
            f"__spacehub_warm({modules!r})\n"
            "del __spacehub_warm\n")


class OneKernelPerNotebook(SessionManager):
    """A session manager that starts one kernel per notebook path even when two requests for the same
    notebook's session cross (the warm-up here and JupyterLab opening the notebook, two tabs): the
    later request waits for the session being made and gets it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._making: dict[str, asyncio.Future[None]] = {}

    async def create_session(self, path: str | None = None, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if path is None or path in self._making:
            return await super().create_session(path, *args, **kwargs)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._making[path] = done
        try:
            return await super().create_session(path, *args, **kwargs)
        finally:
            del self._making[path]
            done.set_result(None)

    async def session_exists(self, path: str) -> bool:
        making = self._making.get(path)
        if making is not None:
            await asyncio.shield(making)
        return await super().session_exists(path)


async def warm(serverapp: Any, path: str, home: Path) -> dict[str, Any]:
    """Start ``path``'s session and import its modules in its kernel; write :func:`marker` with what was done."""
    log = serverapp.log
    started = time.time()
    done: dict[str, Any] = {"path": path, "pid": os.getpid(), "started": started}
    try:
        notebook = json.loads((home / path).read_text(encoding="utf-8"))
        specs = serverapp.kernel_spec_manager
        kernel = kernel_for(notebook, specs.find_kernel_specs(), serverapp.kernel_manager.default_kernel_name)
        python = specs.get_kernel_spec(kernel).language.lower() == "python"
        modules = imported_modules(notebook) if python else []  # another language's kernel: started only
        existing = [s for s in await serverapp.session_manager.list_sessions() if s.get("path") == path]
        session = existing[0] if existing else await serverapp.session_manager.create_session(
            path=path, name=Path(path).name, type="notebook", kernel_name=kernel)
        done["kernel"] = session["kernel"]["id"]
        client = serverapp.kernel_manager.get_kernel(done["kernel"]).client()
        client.start_channels()
        try:
            await asyncio.wait_for(client.wait_for_ready(timeout=WARM_TIMEOUT), WARM_TIMEOUT)
            msg_id = client.execute(warm_code(modules), silent=True, store_history=False)
            deadline = time.monotonic() + WARM_TIMEOUT
            while True:
                reply = await client.get_shell_msg(timeout=max(1.0, deadline - time.monotonic()))
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
        finally:
            client.stop_channels()
        done["modules"] = modules
        log.info("spacehub: %s's kernel started with %d modules imported in %.1f s", path, len(modules),
                 time.time() - started)
    except Exception as e:  # the participant's server works without it: JupyterLab starts the kernel
        done["error"] = f"{type(e).__name__}: {e}"[:300]
        log.warning("spacehub: %s's kernel not started ahead: %s", path, done["error"])
    done["finished"] = time.time()
    _write(marker(home), done)
    return done


def _write(path: Path, content: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(content))
    staging.replace(path)


_tasks: set[asyncio.Task[Any]] = set()  #: warm-ups under way (the event loop keeps only weak references)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    path = os.environ.get(OPEN_NOTEBOOK_ENV, "").strip("/")
    if not path:
        return
    home = Path(serverapp.root_dir)
    marker(home).unlink(missing_ok=True)  # an earlier server's: prewarm waits for this server's

    def start() -> None:
        task = asyncio.ensure_future(warm(serverapp, path, home))
        _tasks.add(task)
        task.add_done_callback(_tasks.discard)

    serverapp.io_loop.add_callback(start)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "spacehub.notebook.warm"}]
