"""Small HAPI requests while large ones run: does anybody wait for somebody else's years of data?

The data service runs as its own process (public mode, the offline samples). Phase 1 (the baseline,
same run): a client asks small requests one after another for --seconds: ``/hapi/about``, ``/hapi/info``
and one day of OMNI SYM_H as CSV. Phase 2: the same, while --large clients each ask, over and over,
for every parameter of the OMNI sample's whole coverage as CSV (the most expensive request the
samples allow under the service's size limit). Reports p50/p95/max of the small requests in both
phases, their ratio, and how many large requests were answered.

    .venv/bin/python benchmarks/data_service_load.py [--large 4] [--seconds 20] [--source CHECKOUT]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hubtools import free_port, wait_for

SMALL = ["/about", "/info?dataset=omni_hro_1min",
         "/data?dataset=omni_hro_1min&parameters=SYM_H&start=2015-03-17T00:00:00Z&stop=2015-03-18T00:00:00Z"]


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def small_requests(url: str, seconds: float) -> list[float]:
    took, deadline, session = [], time.monotonic() + seconds, requests.Session()
    while time.monotonic() < deadline:
        for path in SMALL:
            t0 = time.perf_counter()
            r = session.get(url + path, timeout=60)
            took.append(time.perf_counter() - t0)
            assert r.status_code == 200, (path, r.status_code, r.text[:200])
    return took


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--large", type=int, default=4, help="clients asking for large requests at once")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--source", help="run the service from this checkout's src/ instead (an earlier version)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hapi-load-") as tmp:
        samples = Path(tmp) / "samples"
        subprocess.run([sys.executable, "-m", "spacehub.cli", "data", "sample", "--dest", str(samples)], check=True,
                       stdout=subprocess.DEVNULL)
        port = free_port()
        env = {**os.environ, "SPACEHUB_DATA_PUBLIC": "1", "SPACEHUB_SAMPLE_DATA": str(samples),
               "SPACEHUB_OFFLINE": "1", "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}",
               "JUPYTERHUB_SERVICE_PREFIX": "/services/data/"}
        if args.source:
            env["PYTHONPATH"] = str(Path(args.source).resolve() / "src")
        log = open(Path(tmp) / "service.log", "w")
        service = subprocess.Popen([sys.executable, "-m", "spacehub.services.data"], env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/services/data/hapi"
        try:
            wait_for(lambda: requests.get(url + "/about", timeout=2).status_code == 200, 60, what="service up")
            info = requests.get(url + "/info?dataset=omni_hro_1min", timeout=30).json()
            cover = requests.get(url + "/data?dataset=omni_hro_1min&parameters=SYM_H&start=1981-01-01Z&stop=2262-01-01Z",
                                 timeout=60)
            large = (f"/data?dataset=omni_hro_1min&start={info['startDate']}&stop=2016-01-01T00:00:00Z")
            if cover.status_code != 200:  # the whole coverage is past the limit: the samples' year
                large = "/data?dataset=omni_hro_1min&start=2015-01-01T00:00:00Z&stop=2016-01-01T00:00:00Z"
            r = requests.get(url + large, timeout=300)
            assert r.status_code == 200, r.text[:300]
            print(f"large request: {large} -> {len(r.content) / 1e6:.1f} MB of CSV")
            small_requests(url, 2)  # warm: imports, caches
            quiet = small_requests(url, args.seconds)

            stop, answered, sizes = threading.Event(), [], []

            def large_client():
                session = requests.Session()
                while not stop.is_set():
                    r = session.get(url + large, timeout=300)
                    answered.append(r.status_code == 200)
                    sizes.append(len(r.content))

            clients = [threading.Thread(target=large_client) for _ in range(args.large)]
            for c in clients:
                c.start()
            busy = psutil.Process(service.pid)
            wait_for(lambda: busy.cpu_percent(0.5) > 50, 30, what="the large requests under way")
            loaded = small_requests(url, args.seconds)
            stop.set()
            for c in clients:
                c.join()
        finally:
            service.terminate()
            service.wait(30)
            log.close()
    for label, took in (("alone", quiet), (f"with {args.large} large requests running", loaded)):
        print(f"small requests {label}: n={len(took)}, p50 {statistics.median(took) * 1000:.1f} ms, "
              f"p95 {percentile(took, 95) * 1000:.1f} ms, max {max(took) * 1000:.1f} ms")
    print(f"ratio of p95, loaded / alone: {percentile(loaded, 95) / percentile(quiet, 95):.2f}; "
          f"large requests answered meanwhile: {sum(answered)} of {len(answered)} "
          f"({statistics.mean(sizes) / 1e6:.1f} MB each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
