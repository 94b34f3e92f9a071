"""CDF read throughput: spacehub's `Entry.read` vs pycdfpp and cdflib directly, on one ~200 MB file.

The file is ISTP-style (TT2000 Epoch, float32 data variables with FILLVAL/VALIDMIN/VALIDMAX), written
once into a temp folder. Each reader is timed from the file on disk to numpy arrays with time as
datetime64 (page cache warm: every reader runs once before timing). Baselines in the same run:
raw pycdfpp (load + to_datetime64, one thread), cdflib `varget` + `cdfepoch.to_datetime`, and
`cdflib.xarray.cdf_to_xarray`; `Entry.read` is also timed on one thread, as the baselines run. The
readers take turns in each repeat, so that a shared machine's load falls on all of them alike.
`Entry.read` decodes in the CDF program (`readers/child`) and copies the arrays out of it;
the baselines decode in the benchmark's own process, which a damaged file could crash. Last, the
first `Entry.read` in fresh processes: the reader's one-time start-up (imports, the CDF program's
start, numba's JIT and its on-disk cache there), against a second read.

    .venv/bin/python benchmarks/cdf_read.py [--records 4000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import write_catalog, write_cdf

NAMES = [f"V{i}" for i in range(12)]


def raw_pycdfpp(path):
    import pycdfpp

    cdf = pycdfpp.load(str(path))
    t = pycdfpp.to_datetime64(cdf["Epoch"])
    return t, [cdf[n].values for n in NAMES]


def raw_cdflib(path):
    import cdflib

    f = cdflib.CDF(str(path))
    t = cdflib.cdfepoch.to_datetime(f.varget("Epoch"))
    return t, [f.varget(n) for n in NAMES]


def cdflib_xarray(path):
    import cdflib.xarray

    return cdflib.xarray.cdf_to_xarray(str(path), to_datetime=True)


def spacehub_read(entry, start, stop, threads=None):
    from spacehub.catalog.readers import cdf, child

    default, cdf.THREADS = cdf.THREADS, threads or cdf.THREADS
    copiers, child.COPY_THREADS = child.COPY_THREADS, threads or child.COPY_THREADS
    try:
        ds = entry.read(start, stop, NAMES)
    finally:
        cdf.THREADS, child.COPY_THREADS = default, copiers
    return ds.time.values, [ds[n].values for n in NAMES]


def take_turns(runs: dict, repeat: int) -> dict:
    """Seconds of each run per turn, the runs taking turns ``repeat`` times."""
    times = {name: [] for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return times


FIRST_READ = """
import sys, time
import spacehub.catalog
entry = spacehub.catalog.open(sys.argv[1]).bench_big
for label in ("first", "second"):
    t0 = time.perf_counter()
    entry.read("2015-01-01", sys.argv[2], {names!r})
    print(label, time.perf_counter() - t0)
print("pycdfpp-here", "pycdfpp" in sys.modules)
"""


def first_reads(catalogs: Path, stop: str, processes: int = 3) -> list[tuple[float, float, bool]]:
    """(first, second read in s, pycdfpp loaded in the reading process) of fresh processes, imports of
    spacehub.catalog done; the first read includes the CDF program's start (and numba's, there)."""
    import subprocess

    out = []
    for _ in range(processes):
        lines = subprocess.run([sys.executable, "-c", FIRST_READ.format(names=NAMES), str(catalogs), stop],
                               capture_output=True, text=True, check=True).stdout.split()
        out.append((float(lines[1]), float(lines[3]), lines[5] == "True"))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=4_000_000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--skip-cdflib-xarray", action="store_true", help="it takes minutes on big files")
    args = p.parse_args(argv)
    import os

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "bench" / "big.cdf"
        write_cdf(data, NAMES, args.records, np.timedelta64(250, "ms"), fill_fraction=0.01)
        size_mb = data.stat().st_size / 1e6
        write_catalog(tmp / "catalogs", "bench_big", NAMES, "bench/big.cdf")
        os.environ["SPACEHUB_SAMPLE_DATA"] = str(tmp)
        import spacehub.catalog

        entry = spacehub.catalog.open(tmp / "catalogs").bench_big
        stop = str(np.datetime64("2015-01-01", "ns") + args.records * np.timedelta64(250, "ms"))
        runs = {
            "spacehub Entry.read": lambda: spacehub_read(entry, "2015-01-01", stop),
            "spacehub Entry.read, 1 thread": lambda: spacehub_read(entry, "2015-01-01", stop, threads=1),
            "pycdfpp raw (baseline)": lambda: raw_pycdfpp(data),
            "cdflib varget + to_datetime": lambda: raw_cdflib(data),
        }
        if not args.skip_cdflib_xarray:
            runs["cdflib.xarray.cdf_to_xarray"] = lambda: cdflib_xarray(data)
        slow = {name: runs.pop(name) for name in list(runs) if "xarray" in name}
        for fn in [*runs.values(), *slow.values()]:  # warm the page cache and imports
            fn()
        results = take_turns(runs, args.repeat) | take_turns(slow, 1)
        cold = first_reads(tmp / "catalogs", stop)
    base = results["pycdfpp raw (baseline)"]
    print(f"file: {size_mb:.0f} MB, {args.records:,} records x {len(NAMES)} float32 variables + TT2000 Epoch")
    print("x pycdfpp: best over best; paired: median over turns of the baseline's time / the reader's "
          "time in the same turn")
    print(f"{'reader':32s} {'best s':>8s} {'MB/s':>8s} {'x pycdfpp':>10s} {'median s':>9s} {'paired':>7s}")
    for name, ts in results.items():
        paired = statistics.median(b / t for b, t in zip(base, ts)) if len(ts) == len(base) else min(base) / min(ts)
        print(f"{name:32s} {min(ts):8.3f} {size_mb / min(ts):8.0f} {min(base) / min(ts):10.2f} "
              f"{statistics.median(ts):9.3f} {paired:7.2f}")
    if "cdflib.xarray.cdf_to_xarray" in results:
        ratio = min(results["cdflib.xarray.cdf_to_xarray"]) / min(results["spacehub Entry.read"])
        print(f"spacehub Entry.read is {ratio:.0f}x faster than cdflib.xarray.cdf_to_xarray")
    for first, second, here in cold:
        print(f"fresh process: first Entry.read {first:.3f} s, second {second:.3f} s (pycdfpp in the reading "
              f"process: {here})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
