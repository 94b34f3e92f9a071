"""Synthetic inputs shared by the benchmarks: an ISTP-style CDF and a one-entry catalog for it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

FILL = np.float32(-1e31)


def write_cdf(path: Path, names: list[str], records: int, cadence: np.timedelta64, fill_fraction: float = 0.0,
              seed: int = 0) -> np.ndarray:
    """Float32 variables of normal noise on a TT2000 Epoch from 2015-01-01; returns the times."""
    import pycdfpp

    t = np.datetime64("2015-01-01", "ns") + np.arange(records) * cadence
    cdf = pycdfpp.CDF()
    cdf.add_variable("Epoch", values=pycdfpp.to_tt2000(t), data_type=pycdfpp.DataType.CDF_TIME_TT2000)
    rng = np.random.default_rng(seed)
    for n in names:
        v = rng.normal(0, 10, records).astype(np.float32)
        if fill_fraction:
            v[rng.random(records) < fill_fraction] = FILL
        cdf.add_variable(n, values=v, data_type=pycdfpp.DataType.CDF_FLOAT, attributes={
            "FILLVAL": [FILL], "VALIDMIN": [np.float32(-1e4)], "VALIDMAX": [np.float32(1e4)],
            "DEPEND_0": "Epoch", "VAR_TYPE": "data", "UNITS": "nT", "CATDESC": n})
    path.parent.mkdir(parents=True, exist_ok=True)
    assert pycdfpp.save(cdf, str(path))
    return t


def write_catalog(folder: Path, dataset_id: str, names: list[str], sample_path: str) -> Path:
    """A catalog folder with one dataset whose sample route is ``sample_path`` (relative to the
    sample-data folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.yaml"
    path.write_text(textwrap.dedent(f"""
        mission: Bench
        domain: heliophysics
        datasets:
          {dataset_id}:
            title: benchmark file
            description: synthetic float32 variables
            coverage: {{start: 2015-01-01, stop: 2016-01-01}}
            variables: [{", ".join(f"{{name: {n}, units: nT, description: x}}" for n in names)}]
            routes: [{{kind: sample, path: {sample_path}, format: cdf, period: once}}]
        """))
    return folder
