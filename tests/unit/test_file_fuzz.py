"""Damaged CDF files: copies of real and sample files, read through the public reader, give the data
or a `ReadError` naming the file, never another exception, and never end the reading process: the
CDF library runs in a program of its own (`cdf_child`), and the files known to crash it are refused
with a reason.

The reads run in a separate Python process (were one to kill it, the test fails instead of pytest
ending), all mutants of one run in one process, as a kernel or the data service would meet them one
after another. Mutations are drawn from a fixed seed: bits flipped and bytes overwritten (mostly in
the first 64 KB, where a CDF keeps its internal records), truncations, a chunk dropped or doubled.
`benchmarks/fuzz_files.py` runs more of them, of every format.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

CRASHERS = Path(__file__).parents[1] / "data" / "crashers"
CASES = 1000

READER = """
import json, sys
from spacehub.catalog.errors import ReadError
from spacehub.catalog.readers import open_file
for path in sys.argv[1:]:
    try:
        ds = open_file(path, "cdf")
        outcome = {"path": path, "read": int(ds.sizes.get("time", 0))}
    except ReadError as e:
        outcome = {"path": path, "error": str(e)}
    except Exception as e:
        outcome = {"path": path, "other": f"{type(e).__name__}: {e}"}
    print(json.dumps(outcome), flush=True)
"""


def seeds(sample_dir: Path) -> list[Path]:
    """Sample files of two layouts, and the real CDFs sunpy ships as test data (PSP FIELDS, Solar Orbiter)."""
    found = sorted(sample_dir.glob("ace/*/level_2_cdaweb/*/2015/*20150316*.cdf"))
    try:
        import sunpy.data.test

        found += sorted(Path(sunpy.data.test.rootdir).glob("*.cdf"))
    except ImportError:
        pass
    return found


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


def read_all(paths: list[Path]) -> tuple[list[dict], list[Path]]:
    """Each file's outcome, and the files whose read killed the reading process (it is started again
    with the next file, as a person would restart their kernel)."""
    outcomes: list[dict] = []
    crashed: list[Path] = []
    left = list(paths)
    while left:
        done = subprocess.run([sys.executable, "-c", READER, *map(str, left)], capture_output=True, text=True,
                              timeout=600)
        got = [json.loads(line) for line in done.stdout.splitlines()]
        outcomes += got
        if done.returncode == 0:
            break
        crashed.append(left[len(got)])
        left = left[len(got) + 1:]
    return outcomes, crashed


@pytest.mark.slow
def test_a_thousand_damaged_cdfs_crash_nothing(sample_dir, tmp_path):
    rng = random.Random(20261204)
    originals = {p: p.read_bytes() for p in seeds(sample_dir)}
    assert len(originals) >= 4
    paths = []
    for i in range(CASES):
        source = rng.choice(sorted(originals))
        path = tmp_path / f"{i:04d}-{source.name}"
        path.write_bytes(mutate(originals[source], rng))
        paths.append(path)
    outcomes, crashed = read_all(paths)
    assert len(outcomes) + len(crashed) == CASES
    other = [o for o in outcomes if "other" in o]
    assert not other, f"{len(other)} reads raised something else than ReadError: {other[:5]}"
    for o in outcomes:
        if "error" in o:
            assert o["error"].startswith(o["path"]), o  # the message names the file
    refused = sum("error" in o for o in outcomes)
    caught = sum("crashed" in o.get("error", "") for o in outcomes)
    print(f"{CASES} damaged CDFs: {len(outcomes) - refused} read, {refused} refused ({caught} that crashed the CDF "
          f"program); {len(crashed)} killed the reading process")
    assert not crashed, [p.name for p in crashed]
    assert caught > 0  # the mutants do reach the crashes the program is there for


def test_the_files_that_crashed_the_cdf_library_are_refused_with_a_reason(tmp_path):
    files = sorted(CRASHERS.glob("cdf/*.cdf.gz"))
    assert files, f"no regression files in {CRASHERS / 'cdf'}"
    paths = []
    for gz in files:
        path = tmp_path / gz.name.removesuffix(".gz")
        path.write_bytes(gzip.decompress(gz.read_bytes()))
        paths.append(path)
    outcomes, crashed = read_all(paths)
    assert not crashed
    for outcome in outcomes:
        assert "the CDF library crashed (SIGSEGV) decoding it" in outcome.get("error", ""), outcome


def test_the_reading_process_never_loads_the_cdf_library(sample_dir):
    """The guarantee in one line: a kernel that read CDFs has no pycdfpp in it to crash."""
    path = sorted(sample_dir.glob("ace/*/level_2_cdaweb/*/2015/*20150316*.cdf"))[0]
    code = ("import sys; from spacehub.catalog.readers import open_file; "
            f"ds = open_file({str(path)!r}, 'cdf'); print(ds.sizes['time'], 'pycdfpp' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    records, loaded = done.stdout.split()
    assert int(records) > 1000 and loaded == "False"
