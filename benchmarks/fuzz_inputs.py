"""Fuzz spacehub's edges at scale: settings files, catalog files, time strings, the explorer's fields.

The inputs and checks are those of `tests/unit/test_fuzz_inputs.py` (`tests/fuzzing.py`), run for
``--cases`` per target with a random seed unless ``--seed`` is given. Prints, per target: cases,
cases/s, accepted, refused (with the project's own error naming what is wrong) and escaped (any
other exception, or a refusal that does not say where: each is printed with its input).

    .venv/bin/python benchmarks/fuzz_inputs.py --cases 5000
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzing as fz
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st


def targets(folder: Path) -> dict:
    ui = fz.fuzzed_explorer(folder)
    return {
        "settings files": (fz.SETTINGS_TEXT, lambda text: fz.check_settings(text, folder)),
        "catalog files": (fz.CATALOG_TEXT, lambda text: fz.check_catalog(text, folder)),
        "time strings": (st.tuples(fz.TIME_TEXT, fz.TIME_TEXT), lambda pair: fz.check_time(*pair)),
        "explorer fields": (st.tuples(st.sampled_from(fz.EXPLORED), fz.WIDGET_TEXT, fz.WIDGET_TEXT, fz.WIDGET_TEXT),
                            lambda case: fz.check_explorer_fields(ui, *case)),
    }


def run(name: str, strategy, check, cases: int, random_seed: int) -> dict:
    outcomes: collections.Counter = collections.Counter()
    escaped: list[tuple] = []
    slowest = [0.0, None]

    @seed(random_seed)
    @settings(max_examples=cases, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def one(case):
        started = time.perf_counter()
        try:
            outcomes[check(case)] += 1
        except Exception as e:
            outcomes["escaped"] += 1
            escaped.append((repr(case)[:300], f"{type(e).__name__}: {str(e)[:300]}"))
        took = time.perf_counter() - started
        if took > slowest[0]:
            slowest[:] = [took, repr(case)[:120]]

    started = time.perf_counter()
    one()
    seconds = time.perf_counter() - started
    total = sum(outcomes.values())
    print(f"{name:16s} {total:7,d} cases {seconds:7.1f} s {total / seconds:8.1f} cases/s  accepted "
          f"{outcomes['accepted']:6,d}  refused {outcomes['refused']:6,d}  escaped {outcomes['escaped']:3d}  "
          f"slowest case {slowest[0] * 1e3:.0f} ms", flush=True)
    for case, why in escaped[:10]:
        print(f"    ESCAPED {why}\n      input {case}")
    return {"cases": total, "seconds": seconds, **outcomes}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=5000, help="cases per target (default 5000)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: a new one, printed)")
    p.add_argument("--only", choices=["settings", "catalog", "time", "explorer"], help="one target only")
    args = p.parse_args(argv)
    random_seed = args.seed if args.seed is not None else int(time.time())
    print(f"seed {random_seed}, {args.cases:,} cases per target")
    with tempfile.TemporaryDirectory(prefix="spacehub-fuzz-") as folder:
        results = {name: run(name, strategy, check, args.cases, random_seed)
                   for name, (strategy, check) in targets(Path(folder)).items()
                   if args.only is None or name.startswith(args.only)}
    return 1 if any(r.get("escaped") for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
