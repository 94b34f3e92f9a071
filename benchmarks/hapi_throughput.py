"""HAPI service -> hapiclient throughput, binary and CSV, for about 1 M records, cold and warm.

The data service runs as its own process (public mode) over a catalog entry whose sample file holds
--records records of 3 float32 variables at 1 Hz; clients request all of them. Two services run:
"cold" keeps no formatted times (every request formats its 1 M times, as a first request of a range
does), "warm" keeps them (a repeated request formats nothing). Both have read the file before, so the
operating system has it in memory either way. Each number is the median (and best) of --repeat
requests. Rows:

- plain HTTP GET: the whole body read with urllib3 (as hapiclient reads it), no parsing;
- hapiclient binary, cache=False: hapiclient keeps the response in memory (its parse included);
- hapiclient binary, cache=True (hapiclient's default): it also writes the response and a .npy
  copy of the records to its cache folder on disk;
- hapiclient csv (one request; it does not use the formatted-time cache).

Baseline in the same run: `Entry.read` of the same range in-process (what the service does first).

    .venv/bin/python benchmarks/hapi_throughput.py [--records 1000000] [--repeat 3]
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
import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubtools import free_port, wait_for
from synthetic import write_catalog, write_cdf

NAMES = ["Bx", "By", "Bz"]
START = "2015-01-01T00:00:00Z"


def start_service(catalogs: Path, time_cache_bytes: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    code = ("import spacehub.catalog, spacehub.services.data.app as a; "
            f"a.make_app('/services/data/', True, spacehub.catalog.open({str(catalogs)!r}), {time_cache_bytes})"
            f".listen({port}, '127.0.0.1'); import tornado.ioloop; tornado.ioloop.IOLoop.current().start()")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ})
    url = f"http://127.0.0.1:{port}/services/data/hapi"
    wait_for(lambda: requests.get(url + "/about", timeout=2).ok, 30, what="service")
    return proc, url


def timed(repeat: int, request) -> tuple[float, float]:
    """Median and best wall time of ``repeat`` calls of ``request``."""
    seconds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        request()
        seconds.append(time.perf_counter() - t0)
    return float(np.median(seconds)), min(seconds)


def measure(url: str, stop: str, records: int, repeat: int, cachedir: Path) -> dict[str, tuple[float, float]]:
    from hapiclient import hapi

    def plain_get():
        body = urllib3.PoolManager().request("GET", f"{url}/data?dataset=bench_1hz&start={START}&stop={stop}"
                                                    "&format=binary", preload_content=False).read()
        assert len(body) == records * (24 + 8 * len(NAMES))

    def client(cache: bool):
        def run():
            data, _ = hapi(url, "bench_1hz", ",".join(NAMES), START, stop, format="binary", cachedir=str(cachedir),
                           usecache=False, cache=cache, logging=False)
            assert len(data) == records
        return run

    plain_get()  # the service's first read of the file; a warm service keeps the formatted times
    return {"plain HTTP GET (urllib3, no parsing)": timed(repeat, plain_get),
            "hapiclient binary, cache=False": timed(repeat, client(False)),
            "hapiclient binary, cache=True (default)": timed(repeat, client(True))}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = write_cdf(tmp / "bench" / "b.cdf", NAMES, args.records, np.timedelta64(1, "s"), seed=1)
        write_catalog(tmp / "catalogs", "bench_1hz", NAMES, "bench/b.cdf")
        stop = str(t[-1] + np.timedelta64(1, "s"))[:19] + "Z"
        os.environ["SPACEHUB_SAMPLE_DATA"] = str(tmp)
        import spacehub.catalog

        entry = spacehub.catalog.open(tmp / "catalogs").bench_1hz
        entry.read(START, stop)  # warm
        read_s = timed(args.repeat, lambda: entry.read(START, stop))

        results = {}
        for state, cache_bytes in (("cold", 0), ("warm", 256 << 20)):
            proc, url = start_service(tmp / "catalogs", cache_bytes)
            try:
                results[state] = measure(url, stop, args.records, args.repeat, tmp / "hc")
                if state == "cold":
                    from hapiclient import hapi

                    t0 = time.perf_counter()
                    data, _ = hapi(url, "bench_1hz", ",".join(NAMES), START, stop, format="csv",
                                   cachedir=str(tmp / "hc"), usecache=False, cache=False, logging=False)
                    csv_s = time.perf_counter() - t0
                    assert len(data) == args.records
            finally:
                proc.terminate()
                proc.wait(10)
    n = args.records
    print(f"{n:,} records x {len(NAMES)} parameters; median (best) of {args.repeat}")
    print(f"{'Entry.read in-process (baseline)':44s} {read_s[0]:.3f} s ({read_s[1]:.3f})  "
          f"{n / read_s[0] / 1e6:5.1f} M records/s")
    for state, rows in results.items():
        for what, (median, best) in rows.items():
            print(f"{what + ', ' + state:44s} {median:.3f} s ({best:.3f})  {n / median / 1e6:5.2f} M records/s "
                  f"(best {n / best / 1e6:.2f})")
    print(f"{'hapiclient csv, cache=False':44s} {csv_s:.3f} s          {n / csv_s / 1e6:5.2f} M records/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
