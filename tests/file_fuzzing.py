"""Damaged files of every format the readers claim, for `tests/unit/test_file_fuzz.py` and
`benchmarks/fuzz_files.py`.

Seeds are real files where public packages ship them (sunpy's test data: PSP FIELDS and Solar
Orbiter CDFs, GOES XRS netCDF, a Fermi GBM FITS table, SDAC's GOES XRS FITS, a RHESSI observing
summary) and the sample files (the real products' layouts: OMNI and ACE CDF, GECAM, Insight-HXMT,
Kepler and TESS FITS, GOES-16 netCDF, WDC Kyoto pages, GFZ Kp, IAGA-2002, DAMPE CSV), and WDC hourly
index records written from the format's description (tests/data/wdc). Mutations: bits flipped and
bytes overwritten (mostly in the first 64 KB, where binary formats keep their structure),
truncations, a chunk dropped or doubled.

Each mutant is read through the public `open_file` in a separate Python process, all of one run
in one process one after another, as a kernel or the data service meets them; a process a read
kills is started again with the next file and the file counted.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Seed:
    path: Path
    format: str
    layout: str | None = None


#: format, layout, files under the sample folder (glob)
SAMPLE_SEEDS = [
    ("cdf", None, "ace/*/level_2_cdaweb/*/2015/*20150316*.cdf"),
    ("fits", None, "gecam/**/*.fits"),
    ("fits", None, "hxmt/**/*.FITS"),
    ("fits", None, "kepler/lightcurves/0118/011853905/kplr011853905-2009166043257_llc.fits"),
    ("fits", None, "tess/**/*.fits"),
    ("netcdf", None, "goes/**/*.nc"),
    ("text", "kyoto-wdc-html", "wdc_kyoto/dst_final/201503/index.html"),
    ("text", "gfz-kp-text", "gfz/kp/Kp_ap_since_1932.txt"),
    ("text", "iaga2002", "meridian/magnetometer/MOH/*20150317*.txt"),
    ("csv", None, "dampe/*.csv"),
]

#: format and layout of files in sunpy's test data
SUNPY_SEEDS = [
    ("cdf", None, "*.cdf"),
    ("netcdf", None, "sci_*_truncated.nc"),
    ("netcdf", None, "goes_13_leap_second.nc"),
    ("fits", None, "gbm.fits"),
    ("fits", None, "go1520110607.fits"),
    ("fits", None, "hsi_obssumm_*_truncated.fits.gz"),
]

#: format, layout and files kept beside the tests (formats no package ships a real file of)
TEST_DATA_SEEDS = [
    ("text", "wdc-hourly", "wdc/*.wdc"),
]

FORMATS = ("cdf", "fits", "netcdf", "text", "csv")


def seeds(sample_dir: Path, formats=FORMATS) -> list[Seed]:
    found = [Seed(p, fmt, layout) for fmt, layout, pattern in SAMPLE_SEEDS for p in sorted(sample_dir.glob(pattern))]
    data = Path(__file__).with_name("data")
    found += [Seed(p, fmt, layout) for fmt, layout, pattern in TEST_DATA_SEEDS for p in sorted(data.glob(pattern))]
    try:
        import sunpy.data.test

        root = Path(sunpy.data.test.rootdir)
        found += [Seed(p, fmt, layout) for fmt, layout, pattern in SUNPY_SEEDS for p in sorted(root.glob(pattern))]
    except ImportError:
        pass
    return [s for s in found if s.format in formats]


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    kind = rng.random()
    head = min(len(out), 65536)
    if kind < 0.5:
        for _ in range(rng.choice([1, 1, 1, 2, 4])):
            out[rng.randrange(head)] ^= 1 << rng.randrange(8)
    elif kind < 0.75:
        out[rng.randrange(head)] = rng.choice([0x00, 0xFF, rng.randrange(256)])
    elif kind < 0.85:
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    elif kind < 0.93:
        del out[rng.randrange(8, len(out)):]
    else:
        at, size = rng.randrange(8, len(out)), rng.randrange(1, 512)
        out[at:at] = out[at:at + size] if rng.random() < 0.5 else b""
        if rng.random() < 0.5:
            del out[at:at + size]
    return bytes(out)


def mutants(found: list[Seed], cases: int, folder: Path, rng: random.Random) -> list[Seed]:
    """``cases`` damaged copies, the seeds drawn in turn per format (so that a format with many
    seed files gets no more cases than one with few)."""
    originals = {s: s.path.read_bytes() for s in found}
    by_format: dict[str, list[Seed]] = {}
    for s in found:
        by_format.setdefault(s.format, []).append(s)
    formats = sorted(by_format)
    out = []
    for i in range(cases):
        seed = rng.choice(by_format[formats[i % len(formats)]])
        path = folder / f"{i:05d}-{seed.path.name}"
        path.write_bytes(mutate(originals[seed], rng))
        out.append(Seed(path, seed.format, seed.layout))
    return out


READER = """
import json, sys, warnings
from spacehub.catalog.errors import ReadError
from spacehub.catalog.readers import child, open_file
warnings.simplefilter("ignore")
child.TIMEOUT_FLOOR = 10  # a damaged file that hangs its library is given up on sooner than a person's read
for line in sys.stdin:
    case = json.loads(line)
    try:
        ds = open_file(case["path"], case["format"], layout=case["layout"])
        ds.load()
        outcome = {"read": int(sum(ds.sizes.values()))}
    except ReadError as e:
        outcome = {"error": str(e)}
    except Exception as e:
        outcome = {"other": f"{type(e).__name__}: {e}"}
    print(json.dumps({**case, **outcome}), flush=True)
"""


def read_all(cases: list[Seed], timeout: float = 1800, workers: int = 2) -> tuple[list[dict], list[Seed]]:
    """Each file's outcome, and the files whose read killed the reading process (it is started again
    with the next file, as a person would restart their kernel). ``workers`` reading processes share
    the files (each a contiguous part, so the outcomes keep the files' order)."""
    from concurrent.futures import ThreadPoolExecutor

    size = -(-len(cases) // max(1, workers))
    parts = [cases[i:i + size] for i in range(0, len(cases), size)] or [[]]
    with ThreadPoolExecutor(len(parts)) as pool:
        done = list(pool.map(lambda part: _read_in_turn(part, timeout), parts))
    return [o for outcomes, _ in done for o in outcomes], [c for _, crashed in done for c in crashed]


def _read_in_turn(cases: list[Seed], timeout: float) -> tuple[list[dict], list[Seed]]:
    outcomes: list[dict] = []
    crashed: list[Seed] = []
    left = list(cases)
    while left:
        lines = "".join(json.dumps({"path": str(c.path), "format": c.format, "layout": c.layout}) + "\n"
                        for c in left)
        done = subprocess.run([sys.executable, "-c", READER], input=lines, capture_output=True, text=True,
                              timeout=timeout)
        got = [json.loads(line) for line in done.stdout.splitlines()]
        outcomes += got
        if done.returncode == 0:
            break
        crashed.append(left[len(got)])
        left = left[len(got) + 1:]
    return outcomes, crashed


def problems(outcomes: list[dict]) -> list[dict]:
    """Outcomes that are neither data nor a `ReadError` whose message starts with the file's path."""
    return [o for o in outcomes if "other" in o or ("error" in o and not o["error"].startswith(o["path"]))]
