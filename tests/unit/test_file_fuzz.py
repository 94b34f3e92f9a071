"""Damaged files of every format: copies of real and sample files, read through the public reader,
give the data or a `ReadError` naming the file, never another exception, and never end the reading
process: the CDF library runs in a program of its own (`child`), and the files known to crash it
are refused with a reason.

Seeds, mutations and the reading process are in `tests/file_fuzzing.py` (shared with
`benchmarks/fuzz_files.py`, which runs any number of them); the seeds are fixed, so a run is the
same every time.
"""

from __future__ import annotations

import collections
import gzip
import random
import subprocess
import sys
from pathlib import Path

import pytest
from file_fuzzing import FORMATS, Seed, mutants, problems, read_all, seeds

CRASHERS = Path(__file__).parents[1] / "data" / "crashers"


def summary(outcomes: list[dict]) -> dict[str, collections.Counter]:
    counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for o in outcomes:
        counts[o["format"]]["read" if "read" in o else "refused"] += 1
        counts[o["format"]]["library crashes caught"] += "library crashed" in o.get("error", "")
        counts[o["format"]]["library hangs caught"] += "library did not finish" in o.get("error", "")
    return dict(counts)


@pytest.mark.slow
def test_a_thousand_damaged_cdfs_crash_nothing(sample_dir, tmp_path):
    found = seeds(sample_dir, ("cdf",))
    assert len(found) >= 4
    cases = mutants(found, 1000, tmp_path, random.Random(20261204))
    outcomes, crashed = read_all(cases)
    assert not crashed, [c.path.name for c in crashed]
    assert len(outcomes) == len(cases)
    bad = problems(outcomes)
    assert not bad, f"{len(bad)} reads escaped as something else than a ReadError naming the file: {bad[:5]}"
    counts = summary(outcomes)["cdf"]
    print(f"1000 damaged CDFs: {dict(counts)}")
    assert counts["library crashes caught"] > 0  # the mutants do reach the crashes the program is there for
    assert counts["read"] > 300  # and most damage is harmless: those files still read


@pytest.mark.slow
@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "cdf"])
def test_a_thousand_damaged_files_of_each_format_are_read_or_refused_by_name(sample_dir, tmp_path, fmt):
    found = seeds(sample_dir, (fmt,))
    assert found, f"no {fmt} seed files"
    cases = mutants(found, 1000, tmp_path, random.Random(f"20261205-{fmt}"))
    outcomes, crashed = read_all(cases)
    assert not crashed, [c.path.name for c in crashed]
    assert len(outcomes) == len(cases)
    bad = problems(outcomes)
    assert not bad, f"{len(bad)} reads escaped as something else than a ReadError naming the file: {bad[:5]}"
    counts = summary(outcomes)[fmt]
    print(f"1000 damaged {fmt} files: {dict(counts)}")
    assert counts["read"] > 100 and counts["refused"] > 100, counts  # both outcomes happen


def test_the_files_that_once_escaped_a_reader_are_refused_by_name(tmp_path):
    """Every damaged file that once escaped as another exception than a ReadError (or killed its
    reader), kept as found: ``tests/data/crashers/<format>/``."""
    cases = []
    for gz in sorted(CRASHERS.glob("*/*.gz")):
        path = tmp_path / gz.name.removesuffix(".gz")
        path.write_bytes(gzip.decompress(gz.read_bytes()))
        layout = {"index.html": "kyoto-wdc-html"}.get(path.name)
        cases.append(Seed(path, gz.parent.name, layout))
    assert {c.format for c in cases} >= {"cdf", "fits", "netcdf", "csv"}
    outcomes, crashed = read_all(cases)
    assert not crashed and len(outcomes) == len(cases)
    for o in outcomes:
        assert "error" in o and o["error"].startswith(o["path"]), o
    hang = next(o for o in outcomes if o["path"].endswith("dimension-scales-hang.nc"))
    assert "the HDF5 library did not finish in 10 s" in hang["error"]


def test_the_files_that_crashed_the_cdf_library_are_refused_with_a_reason(tmp_path):
    path = tmp_path / "adr-next-pointer-flipped.cdf"
    path.write_bytes(gzip.decompress((CRASHERS / "cdf" / f"{path.name}.gz").read_bytes()))
    outcomes, crashed = read_all([Seed(path, "cdf")])
    assert not crashed
    assert "the CDF library crashed (SIGSEGV) decoding it" in outcomes[0].get("error", ""), outcomes


def test_the_reading_process_never_loads_the_cdf_or_hdf5_library(sample_dir):
    """The guarantee in one line: a kernel that read CDF and netCDF files has no pycdfpp nor h5py in
    it to crash."""
    cdf = sorted(sample_dir.glob("ace/*/level_2_cdaweb/*/2015/*20150316*.cdf"))[0]
    nc = sorted(sample_dir.glob("goes/**/*.nc"))[0]
    code = ("import sys; from spacehub.catalog.readers import open_file; "
            f"a = open_file({str(cdf)!r}, 'cdf'); b = open_file({str(nc)!r}, 'netcdf'); "
            "print(a.sizes['time'], b.sizes['time'], 'pycdfpp' in sys.modules, 'h5py' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    cdf_records, nc_records, *loaded = done.stdout.split()
    assert int(cdf_records) > 1000 and int(nc_records) > 1000 and loaded == ["False", "False"]
