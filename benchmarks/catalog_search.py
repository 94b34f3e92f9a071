"""Catalog open + search over all entries, in a fresh process as a notebook would pay it.

Baseline in the same run: reading the same YAML files with PyYAML's libyaml loader alone (no
validation, no model), after the same imports.

    .venv/bin/python benchmarks/catalog_search.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

OPEN_AND_SEARCH = """
import time
t0 = time.perf_counter()
import spacehub.catalog
t1 = time.perf_counter()
cat = spacehub.catalog.open()
hits = cat.search("solar wind", quantity="magnetic_field", start="2015-03-17", stop="2015-03-18")
print(time.perf_counter() - t1, len(cat), len(hits), t1 - t0)
"""
YAML_ONLY = """
import time
t0 = time.perf_counter()
import yaml
from pathlib import Path
from spacehub.catalog.files import CATALOG_DIR
t1 = time.perf_counter()
docs = [yaml.load(p.read_text(), yaml.CSafeLoader) for p in sorted(CATALOG_DIR.glob("*.yaml"))]
print(time.perf_counter() - t1, len(docs), 0, t1 - t0)
"""


def run(code: str) -> tuple[float, int, int, float]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2]), float(out[3])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=7)
    args = p.parse_args(argv)
    ours, base, imports = [], [], []
    for _ in range(args.repeat):  # alternate, so both see the same machine load
        t, n, hits, imp = run(OPEN_AND_SEARCH)
        ours.append(t)
        imports.append(imp)
        base.append(run(YAML_ONLY)[0])
    print(f"entries: {n}, hits: {hits}")
    print(f"import spacehub.catalog:       median {statistics.median(imports) * 1e3:.0f} ms (once per kernel)")
    print(f"open + search:                 median {statistics.median(ours) * 1e3:.0f} ms, min {min(ours) * 1e3:.0f} ms")
    print(f"libyaml load only (baseline):  median {statistics.median(base) * 1e3:.0f} ms, min {min(base) * 1e3:.0f} ms")
    print(f"ratio: {statistics.median(ours) / statistics.median(base):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
