"""CDF read throughput: spacehub's `Entry.read` vs pycdfpp and cdflib directly, on one ~200 MB file.

The file is ISTP-style (TT2000 Epoch, float32 data variables with FILLVAL/VALIDMIN/VALIDMAX), written
once into a temp folder. Each reader is timed from the file on disk to numpy arrays with time as
datetime64 (page cache warm: every reader runs once before timing). Baselines in the same run:
raw pycdfpp (load + to_datetime64), cdflib `varget` + `cdfepoch.to_datetime`, and
`cdflib.xarray.cdf_to_xarray`.

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
from synthetic import write_catalog, write_cdf  # noqa: E402

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


def spacehub_read(entry, start, stop):
    ds = entry.read(start, stop, NAMES)
    return ds.time.values, [ds[n].values for n in NAMES]


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


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
            "pycdfpp raw (baseline)": lambda: raw_pycdfpp(data),
            "cdflib varget + to_datetime": lambda: raw_cdflib(data),
        }
        if not args.skip_cdflib_xarray:
            runs["cdflib.xarray.cdf_to_xarray"] = lambda: cdflib_xarray(data)
        for fn in runs.values():  # warm the page cache and imports
            fn()
        results = {name: best_of(fn, args.repeat if "xarray" not in name else 1) for name, fn in runs.items()}
    base = results["pycdfpp raw (baseline)"][0]
    print(f"file: {size_mb:.0f} MB, {args.records:,} records x {len(NAMES)} float32 variables + TT2000 Epoch")
    print(f"{'reader':32s} {'best s':>8s} {'MB/s':>8s} {'x pycdfpp':>10s}")
    for name, (best, _) in results.items():
        print(f"{name:32s} {best:8.3f} {size_mb / best:8.0f} {base / best:10.2f}")
    if "cdflib.xarray.cdf_to_xarray" in results:
        ratio = results["cdflib.xarray.cdf_to_xarray"][0] / results["spacehub Entry.read"][0]
        print(f"spacehub Entry.read is {ratio:.0f}x faster than cdflib.xarray.cdf_to_xarray")
    return 0


if __name__ == "__main__":
    sys.exit(main())
