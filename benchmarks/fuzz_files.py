"""Damaged files at scale: CDF, FITS, netCDF/HDF5, text and CSV mutants through the public reader.

The seeds, mutations and reading process are those of `tests/unit/test_file_fuzz.py`
(`tests/file_fuzzing.py`), ``--cases`` in all, the formats taking turns, with a random seed unless
``--seed`` is given. Prints, per format: cases, reads per second, read (the damage was harmless),
refused (a `ReadError` naming the file), library crashes and hangs the reading program took (each
a refusal),
escaped (any other exception, or a refusal that does not name the file: each printed) and reads
that killed the reading process (each file kept in ``--keep`` to reproduce it).

    .venv/bin/python benchmarks/fuzz_files.py --cases 5000 [--formats cdf,netcdf] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import file_fuzzing as ff


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", type=int, default=1000)
    p.add_argument("--formats", default=",".join(ff.FORMATS), help="comma-separated, of: " + ", ".join(ff.FORMATS))
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--keep", type=Path, default=Path("fuzz-files-findings"),
                   help="where the files that escaped or crashed the reader are copied")
    args = p.parse_args(argv)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    unknown = set(formats) - set(ff.FORMATS)
    if unknown:
        p.error(f"unknown format(s) {sorted(unknown)}: choose from {', '.join(ff.FORMATS)}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    from spacehub.cli import main as spacehub

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with open(tmp / "sample.log", "w") as log:
            stdout, sys.stdout = sys.stdout, log
            try:
                assert spacehub(["data", "sample", "--dest", str(tmp / "sample")]) == 0
            finally:
                sys.stdout = stdout
        found = ff.seeds(tmp / "sample", formats)
        print(f"seed {seed}; {len(found)} seed files: " + ", ".join(f"{s.path.name} ({s.format})" for s in found))
        (tmp / "cases").mkdir()
        cases = ff.mutants(found, args.cases, tmp / "cases", random.Random(seed))
        started = time.perf_counter()
        outcomes, crashed = ff.read_all(cases, timeout=24 * 3600)
        seconds = time.perf_counter() - started
        escaped = ff.problems(outcomes)
        keep = [Path(o["path"]) for o in escaped] + [c.path for c in crashed]
        if keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for path in keep:
                shutil.copy(path, args.keep / path.name)
    print(f"{len(cases)} cases in {seconds:.0f} s ({len(cases) / seconds:.1f}/s on average)")
    print(f"{'format':8s} {'cases':>6s} {'read':>6s} {'refused':>8s} {'crashes caught':>15s} {'hangs caught':>13s} "
          f"{'escaped':>8s} {'killed the reader':>18s}")
    for fmt in formats:
        mine = [o for o in outcomes if o["format"] == fmt]
        print(f"{fmt:8s} {sum(c.format == fmt for c in cases):6d} {sum('read' in o for o in mine):6d} "
              f"{sum('error' in o for o in mine):8d} "
              f"{sum('library crashed' in o.get('error', '') for o in mine):15d} "
              f"{sum('library did not finish' in o.get('error', '') for o in mine):13d} "
              f"{sum(o in escaped for o in mine):8d} {sum(c.format == fmt for c in crashed):18d}")
    for o in escaped:
        print(f"escaped: {Path(o['path']).name} ({o['format']}): {o.get('other') or o['error']}")
    for c in crashed:
        print(f"killed the reader: {c.path.name} ({c.format})")
    if keep:
        print(f"those files are in {args.keep}/")
    return 1 if escaped or crashed else 0


if __name__ == "__main__":
    sys.exit(main())
