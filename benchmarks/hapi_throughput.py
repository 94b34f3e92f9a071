"""HAPI service -> hapiclient throughput, binary and CSV, for about 1 M records.

The data service runs as its own process (public mode) over a catalog entry whose sample file holds
--records records of 3 float32 variables at 1 Hz. hapiclient (cache off) requests all of them.
Baseline in the same run: `Entry.read` of the same range in-process (what the service does first).

    .venv/bin/python benchmarks/hapi_throughput.py [--records 1000000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubtools import free_port, wait_for  # noqa: E402
from synthetic import write_catalog, write_cdf  # noqa: E402

NAMES = ["Bx", "By", "Bz"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=1_000_000)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = write_cdf(tmp / "bench" / "b.cdf", NAMES, args.records, np.timedelta64(1, "s"), seed=1)
        write_catalog(tmp / "catalogs", "bench_1hz", NAMES, "bench/b.cdf")
        stop = str(t[-1] + np.timedelta64(1, "s"))[:19] + "Z"
        os.environ["SPACEHUB_SAMPLE_DATA"] = str(tmp)
        import spacehub.catalog

        entry = spacehub.catalog.open(tmp / "catalogs").bench_1hz
        entry.read("2015-01-01", stop)  # warm
        t0 = time.perf_counter()
        entry.read("2015-01-01", stop)
        read_s = time.perf_counter() - t0

        port = free_port()
        code = ("import spacehub.catalog, spacehub.services.data.app as a, sys; "
                f"a.make_app('/services/data/', True, spacehub.catalog.open({str(tmp / 'catalogs')!r})).listen({port}, '127.0.0.1'); "
                "import tornado.ioloop; tornado.ioloop.IOLoop.current().start()")
        proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ})
        url = f"http://127.0.0.1:{port}/services/data/hapi"
        try:
            wait_for(lambda: requests.get(url + "/about", timeout=2).ok, 30, what="service")
            from hapiclient import hapi

            results = {}
            params = {"dataset": "bench_1hz", "start": "2015-01-01T00:00:00Z", "stop": stop, "format": "binary"}
            requests.get(url + "/data", params=params, timeout=120)  # warm: the service's first read
            t0 = time.perf_counter()
            r = requests.get(url + "/data", params=params, timeout=120)
            results["binary, plain HTTP GET (no parsing)"] = time.perf_counter() - t0
            assert len(r.content) == args.records * (24 + 8 * len(NAMES))
            for fmt in ("binary", "csv"):
                hapi(url, "bench_1hz", ",".join(NAMES), "2015-01-01T00:00:00Z", "2015-01-01T00:10:00Z", format=fmt,
                     cachedir=str(tmp / "hc"), usecache=False, logging=False)  # warm
                t0 = time.perf_counter()
                data, _ = hapi(url, "bench_1hz", ",".join(NAMES), "2015-01-01T00:00:00Z", stop, format=fmt,
                               cachedir=str(tmp / "hc"), usecache=False, logging=False)
                results[fmt] = time.perf_counter() - t0
                assert len(data) == args.records
        finally:
            proc.terminate()
            proc.wait(10)
    n = args.records
    print(f"{n:,} records x {len(NAMES)} parameters")
    print(f"{'Entry.read in-process (baseline)':38s} {read_s:.3f} s  {n / read_s / 1e6:.1f} M records/s")
    for what, s in results.items():
        label = what if "GET" in what else f"hapiclient {what}, end to end"
        print(f"{label:38s} {s:.3f} s  {n / s / 1e6:.2f} M records/s  ({s / read_s:.1f}x the read)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
