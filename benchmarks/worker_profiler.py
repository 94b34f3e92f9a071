"""Parallel efficiency of the transit search on 1 vs 2 Dask workers, with the workers' statistical
profiler at its default, at a longer interval, and off.

Each mode starts a ``distributed.LocalCluster`` of single-thread worker processes (no hub, no
gateway: only what the workers themselves do), searches the same ``--stars`` Kepler-like stars with
``transits.search_many`` on 1 and then on 2 workers, and reports efficiency = t1 / (2 t2). The modes
take turns ``--repeat`` times, so that a shared machine's load falls on all of them alike. Baseline
in the same run: the default profiler (``distributed.worker.profile.interval`` 10 ms).

    .venv/bin/python benchmarks/worker_profiler.py [--stars 60] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

from kepler_transits import SEARCH, star  # the same stars as the Kepler benchmark

MODES = {
    "default profiler (10 ms; baseline)": {},
    "profiler every 100 ms": {"DASK_DISTRIBUTED__WORKER__PROFILE__INTERVAL": "100ms",
                              "DASK_DISTRIBUTED__WORKER__PROFILE__CYCLE": "10s"},
    "profiler off": {"DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"},
}


def efficiency(stars: int, env: dict) -> tuple[float, float]:
    """(t1, t2): wall seconds of the search on 1 and on 2 workers, with ``env`` in the workers' environment."""
    from distributed import Client, LocalCluster

    from spacehub.analysis import transits as tr
    from spacehub.samples.lightcurves import kepler_like_lightcurve

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # worker processes inherit it; dask reads it at their start
    try:
        times = []
        for n in (1, 2):
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                # every worker imports the module and loads the compiled kernels before the clock starts
                client.run(tr.search_star, kepler_like_lightcurve(0, years=0.5, snr=20), max_period_days=10)
                t0 = time.perf_counter()
                tr.search_many(star, client=client, star_ids=list(range(stars)), progress=False, **SEARCH)
                times.append(time.perf_counter() - t0)
        return times[0], times[1]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stars", type=int, default=60)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    results = {name: [] for name in MODES}
    for turn in range(args.repeat):
        for name, env in MODES.items():
            t1, t2 = efficiency(args.stars, env)
            results[name].append(t1 / (2 * t2))
            print(f"turn {turn + 1}, {name}: 1 worker {t1:.1f} s, 2 workers {t2:.1f} s, efficiency "
                  f"{t1 / (2 * t2):.0%}", file=sys.stderr, flush=True)
    print(f"{args.stars} stars, 1 vs 2 single-thread workers (LocalCluster); efficiency t1 / (2 t2):")
    for name, values in results.items():
        print(f"  {name:36s} median {statistics.median(values):.0%}  ({', '.join(f'{v:.0%}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
