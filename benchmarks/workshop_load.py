"""A workshop's first minutes: N seats of a workshop log in at once; how long until each can work?

A real hub (``spacehub up`` on loopback, local logins). The instructor makes the workshop as the
README says (``spacehub workshop create``: N generated seats, the templates as its materials, the
getting-started notebook the one each seat opens) and, in one of the two runs, starts every seat's
server and that notebook's kernel ahead (``spacehub workshop prewarm``). Then all N participants press
"Sign in" with the workshop password at the same moment, follow their server's progress as the page
does, open ``~/NAME/getting-started.ipynb`` as JupyterLab does (its session: the running kernel if
there is one) and run its cells in order, as "Run All" does. Time to ready = the login POST → the
notebook's first cells done (its parameters, its imports and the catalog opened: they can work); time
to done = → its last cell done. Meanwhile the memory of every process of the hub is sampled. Each run
on a fresh hub.

    .venv/bin/python benchmarks/workshop_load.py --seats 40
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
import websocket

from spacehub.config import load_settings
from spacehub.workshops.cli import create, prewarm

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hubtools import Kernel, RunningHub
from login_burst import hub_memory_gib, percentile, release_and_watch, sign_in_and_wait

ROOT = Path(__file__).resolve().parents[1]
NAME = "bench"
NOTEBOOK = "getting-started.ipynb"  #: the notebook the workshop opens (create --opens)
#: the steps of a seat, timed from its login POST
STAGES = {"login": "logged in", "server": "server ready", "kernel": "notebook's kernel joined", "ready": "cells run"}


def notebook_cells(upto: int | None = None) -> list[str]:
    """The getting-started notebook's code cells (its first ``upto`` only, if given)."""
    nb = json.loads((ROOT / "notebooks" / "templates" / "getting-started.ipynb").read_text())
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    return (["plot_backend = 'matplotlib'\nresults_file = ''\n" + cells[0]] + cells[1:])[:upto]


class NotebookKernel(Kernel):
    """A notebook's kernel as JupyterLab holds it: one client session (``?session_id=``) for its
    websocket, connected again to the same kernel with the same session when the server closes it (a
    server starved of CPU misses its pings); the server replays what it kept meanwhile. What it sent
    on the closing connection can be lost, so after a reconnection the cell counts as done once the
    kernel says it is idle (the server's record of its state). ``reconnects``: how often."""

    def __init__(self, server_url: str, token: str, kernel_id: str):
        self.server_url = server_url.rstrip("/") + "/"
        self.headers = {"Authorization": f"token {token}"}
        self.id, self.token = kernel_id, token
        self.session, self.store_history = uuid.uuid4().hex, True
        self.reconnects, self._reconnected = 0, False
        self._connect(time.monotonic() + 600)

    def _connect(self, deadline: float) -> None:
        """Open the websocket (a busy server may take a while to answer: tried again until ``deadline``);
        then wait at most 10 s for each message, so that a lost ending is noticed."""
        url = self.server_url.replace("http", "ws", 1) + f"api/kernels/{self.id}/channels?session_id={self.session}"
        while True:
            try:
                self.ws = websocket.create_connection(url, header=[f"Authorization: token {self.token}"], timeout=60)
                break
            except (OSError, websocket.WebSocketException):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)  # JupyterLab's reconnection waits between attempts too
        self.ws.settimeout(10)

    def _idle(self) -> bool:
        r = requests.get(self.server_url + f"api/kernels/{self.id}", headers=self.headers, timeout=60)
        return r.ok and r.json().get("execution_state") == "idle"

    def run(self, code: str, timeout: float = 120) -> str:
        self._reconnected = False
        return super().run(code, timeout)

    def _receive(self, deadline: float) -> dict | None:
        try:
            return json.loads(self.ws.recv())
        except (websocket.WebSocketConnectionClosedException, json.JSONDecodeError, OSError):
            self.reconnects += 1
            self._connect(deadline)  # the server closed it: JupyterLab connects again
            self._reconnected = True
        except websocket.WebSocketTimeoutException:  # nothing said for 10 s
            if self._reconnected and self._idle():  # its end was said on the lost connection
                return None
        return {}  # nothing of the cell's yet


def open_notebook(server: str, token: str, path: str) -> NotebookKernel:
    """The notebook's kernel, as JupyterLab gets it when it opens the notebook: the notebook's session (the
    running one if the server has it, else a new one: the server answers either) and its kernel's websocket."""
    r = requests.post(server + "api/sessions", headers={"Authorization": f"token {token}"}, timeout=600,
                      json={"path": path, "type": "notebook", "name": Path(path).name, "kernel": {"name": "python3"}})
    r.raise_for_status()
    return NotebookKernel(server, token, kernel_id=r.json()["kernel"]["id"])


def one_seat(hub: RunningHub, seat: str, password: str, token: str, cells: list[str], go: threading.Barrier,
             out: dict) -> None:
    s = requests.Session()
    try:
        s.get(hub.url + "hub/login", timeout=60)
        go.wait()  # everyone has the login page open: "Sign in", all at once
        t0 = time.perf_counter()
        sign_in_and_wait(hub, s, seat, password, out)
        out["server"] = time.perf_counter() - t0
        kernel = open_notebook(hub.url + f"user/{seat}/", token, f"{NAME}/{NOTEBOOK}")
        out["kernel"] = time.perf_counter() - t0
        try:
            for i, code in enumerate(cells):
                kernel.run(code, timeout=900)
                if i == 1:  # the parameters, then the imports and the catalog: they can work
                    out["ready"] = time.perf_counter() - t0
            out["done"] = time.perf_counter() - t0
        finally:
            out["reconnects"] = kernel.reconnects
            kernel.close()
    except Exception as e:
        out["error"] = f"{type(e).__name__}: {e}"[:200]


def run(seats: int, workdir: Path, warm: bool, cells: list[str]) -> dict:
    hub = RunningHub(workdir, sample_dir=_samples(workdir), culler={"enabled": False})
    hub.start(timeout=180)
    try:
        settings = load_settings(hub.config)
        said: list[str] = []
        record = create(settings, NAME, seats, None, ["admin"], str(ROOT / "notebooks" / "templates"), out=said.append,
                        opens=NOTEBOOK)
        password = said[-1].rsplit(" ", 1)[1]
        tokens = {seat: hub.token_for(seat) for seat in record["seats"]}
        warmed = None
        if warm:
            t0 = time.perf_counter()
            states = prewarm(settings, NAME, out=lambda *_: None, timeout=1200, progress=False)
            warmed = (time.perf_counter() - t0, sum(s == "ready" for s in states.values()))
        go, results = threading.Barrier(seats + 1), {seat: {} for seat in record["seats"]}
        threads = [threading.Thread(target=one_seat, args=(hub, seat, password, tokens[seat], cells, go, results[seat]))
                   for seat in record["seats"]]
        for t in threads:
            t.start()
        memory = [0.0]

        def sample():
            memory[0] = max(memory[0], hub_memory_gib(hub))

        wall = release_and_watch(go, threads, sample, every=0.5)
    finally:
        hub.stop()
    log = hub.log()
    stages = {stage: sorted(r[stage] for r in results.values() if stage in r) for stage in STAGES}
    ready = sorted(r["ready"] for r in results.values() if "ready" in r)
    finished = sorted(r["done"] for r in results.values() if "done" in r)
    return {"seats": seats, "ok": len(finished), "errors": [f"{n}: {r['error']}" for n, r in results.items()
                                                          if "error" in r],
            "wall": wall, "warmed": warmed, "peak_gib": memory[0],
            "reconnects": sum(r.get("reconnects", 0) for r in results.values()),
            "ping_timeouts": log.count("WebSocket ping timeout"),
            "stages": {k: (statistics.median(v), percentile(v, 95)) for k, v in stages.items() if v},
            "ready": (statistics.median(ready), percentile(ready, 95), max(ready)) if ready else None,
            "done": (statistics.median(finished), percentile(finished, 95), max(finished)) if finished else None}


def _samples(workdir: Path) -> Path:
    """The offline sample data the notebook reads (what `make up` writes with `spacehub data sample`)."""
    import contextlib
    import io

    from spacehub.cli import main

    folder = workdir / "sample-data"
    with contextlib.redirect_stdout(io.StringIO()):
        written = folder.exists() or main(["data", "sample", "--dest", str(folder)]) == 0
    if not written:
        raise SystemExit("the sample data could not be written")
    return folder


def report(label: str, r: dict) -> None:
    def triple(t):
        return "-" if t is None else f"{t[0]:.1f} / {t[1]:.1f} / {t[2]:.1f} s"
    warmed = f"; prewarm took {r['warmed'][0]:.0f} s ({r['warmed'][1]} ready)" if r["warmed"] else ""
    print(f"{label}: {r['ok']}/{r['seats']} ran the notebook in {r['wall']:.1f} s{warmed}")
    print(f"   time to ready (first cell) p50 / p95 / max: {triple(r['ready'])}; to the last cell: {triple(r['done'])}")
    print("   p50 / p95 since the login POST: " + ", ".join(f"{STAGES[k]} {v[0]:.1f} / {v[1]:.1f} s"
                                                          for k, v in r["stages"].items()))
    print(f"   hub's processes (servers and kernels included) peaked at {r['peak_gib']:.1f} GiB")
    print(f"   kernel websockets connected again: {r['reconnects']} (servers' ping timeouts: {r['ping_timeouts']})")
    for e in r["errors"][:5]:
        print("   failed:", e)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seats", type=int, default=40)
    p.add_argument("--only", choices=("cold", "warm"), help="one of the two runs")
    p.add_argument("--cells", choices=("all", "first"), default="all",
                   help="run the whole notebook (Run All), or its first two cells (parameters, imports and catalog)")
    args = p.parse_args(argv)
    cells = notebook_cells(None if args.cells == "all" else 2)
    with tempfile.TemporaryDirectory(prefix="workshop-load-") as tmp:
        found = {}
        for label, warm in (("cold", False), ("warm", True)):
            if args.only in (None, label):
                found[label] = run(args.seats, Path(tmp) / label, warm, cells)
                report("without prewarm" if label == "cold" else "after prewarm", found[label])
        if len(found) == 2 and found["cold"]["ready"] and found["warm"]["ready"]:
            print(f"ratio of p95 time to ready, after prewarm / without: "
                  f"{found['warm']['ready'][1] / found['cold']['ready'][1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
