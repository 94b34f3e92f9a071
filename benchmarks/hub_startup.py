"""Time the local hub's life cycle: start -> healthy, spawn -> ready, new cluster, 2 workers ready.

Each run starts a fresh `spacehub up` (new state dir, free ports), logs a user in, spawns their
server, creates a Dask Gateway cluster from a kernel in that server and scales it to 2 workers,
then stops everything with SIGINT. Prints the median (and min/max) of each phase over --runs runs.

Baseline, in the same session and interleaved run by run: the stock commands spacehub replaces,
`jupyterhub-singleuser` started directly (spawner.cmd) and Dask workers under a nanny
(gateway.worker_nanny). The ratio column is spacehub / stock (below 1: spacehub is faster).

    .venv/bin/python benchmarks/hub_startup.py --runs 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hubtools import Kernel, RunningHub, wait_for

STOCK = {
    "spawner": {"cmd": [str(Path(sys.executable).parent / "jupyterhub-singleuser")]},
    "gateway": {"worker_nanny": True},
}


def one_run(workdir: Path, stock: bool = False) -> dict[str, float]:
    t = {}
    hub = RunningHub(workdir)
    if stock:  # deep-merge the stock overrides into the test settings
        for key, value in STOCK.items():
            hub.settings[key] = {**hub.settings.get(key, {}), **value}
        hub.config.write_text(__import__("yaml").safe_dump(hub.settings))
    t0 = time.perf_counter()
    hub.start(timeout=120)
    t["hub start -> healthy"] = time.perf_counter() - t0
    try:
        session = hub.login("alice", "benchmark-password")
        token = hub.token_for("alice")
        t0 = time.perf_counter()
        session.get(hub.url + "hub/spawn", allow_redirects=False, timeout=30)
        wait_for(lambda: hub.api("GET", "users/alice", token=token).json()["servers"].get("", {}).get("ready"),
                 120, interval=0.05, what="server ready")
        t["spawn -> ready"] = time.perf_counter() - t0
        # the cluster is made where users make it: in a kernel of their server
        kernel = Kernel(hub.url + "user/alice/", token)
        try:
            out = kernel.run(
                "import time\n"
                "from dask_gateway import GatewayCluster\n"
                "t0 = time.perf_counter()\n"
                "cluster = GatewayCluster()\n"
                "t1 = time.perf_counter()\n"
                "cluster.scale(2)\n"
                "client = cluster.get_client()\n"
                "client.wait_for_workers(2, timeout=120)\n"
                "t2 = time.perf_counter()\n"
                "print(t1 - t0, t2 - t1)\n"
                "client.close(); cluster.shutdown()\n", timeout=300)
        finally:
            kernel.close()
        new, workers = map(float, out.split())
        t["new cluster"] = new
        t["2 workers ready"] = workers
        t["new cluster + 2 workers"] = new + workers
    finally:
        t0 = time.perf_counter()
        hub.stop()
        t["stop (SIGINT) -> all exited"] = time.perf_counter() - t0
        assert not hub.survivors(), f"processes left behind: {hub.survivors()}"
    return t


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    results: dict[str, dict[str, list[float]]] = {"spacehub": {}, "stock": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            for kind in ("stock", "spacehub"):
                for k, v in one_run(Path(tmp) / f"{kind}{i}", stock=kind == "stock").items():
                    results[kind].setdefault(k, []).append(v)
            print(f"run {i + 1}/{args.runs} done", file=sys.stderr, flush=True)
    med = {kind: {k: statistics.median(v) for k, v in r.items()} for kind, r in results.items()}
    print(f"{'phase':30s} {'spacehub median s':>17s} {'min':>6s} {'max':>6s} {'stock median s':>15s} "
          f"{'ratio':>6s}   (n={args.runs} each)")
    for k, v in results["spacehub"].items():
        print(f"{k:30s} {med['spacehub'][k]:17.2f} {min(v):6.2f} {max(v):6.2f} {med['stock'][k]:15.2f} "
              f"{med['spacehub'][k] / med['stock'][k]:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
