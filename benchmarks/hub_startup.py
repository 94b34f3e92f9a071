"""Time the local hub's life cycle: start -> healthy, spawn -> ready, new cluster, 2 workers ready.

Each run starts a fresh `spacehub up` (new state dir, free ports), logs a user in, spawns their
server, creates a Dask Gateway cluster and scales it to 2 workers, then stops everything with SIGINT.
Prints the median (and min/max) of each phase over --runs runs.

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

from hubtools import Kernel, RunningHub, wait_for  # noqa: E402


def one_run(workdir: Path) -> dict[str, float]:
    t = {}
    hub = RunningHub(workdir)
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
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            for k, v in one_run(Path(tmp) / f"run{i}").items():
                results.setdefault(k, []).append(v)
            print(f"run {i + 1}/{args.runs} done", file=sys.stderr, flush=True)
    print(f"{'phase':32s} {'median s':>9s} {'min':>7s} {'max':>7s}   (n={args.runs})")
    for k, v in results.items():
        print(f"{k:32s} {statistics.median(v):9.2f} {min(v):7.2f} {max(v):7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
