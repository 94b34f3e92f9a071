"""What a notebook's results rest on: datasets, time ranges, files or URLs, software versions."""

from __future__ import annotations

import importlib.metadata
import platform

import pandas as pd

PACKAGES = ("spacehub", "numpy", "scipy", "xarray", "dask", "distributed", "astropy", "pycdfpp", "numba")


def versions(packages=PACKAGES) -> dict[str, str]:
    """Installed versions of ``packages`` (missing ones left out), plus Python's."""
    found = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def provenance(*datasets, **extra) -> pd.DataFrame:
    """One row per dataset read with ``Entry.read`` (from the attrs every read records), then the
    software versions; ``extra`` adds rows of your own (e.g. ``fit="scipy.optimize.curve_fit"``).

    >>> provenance(ds_omni, ds_dst, cluster="2 workers")  # doctest: +SKIP
    """
    rows = []
    for ds in datasets:
        files = ds.attrs.get("provenance_files", [])
        files = [files] if isinstance(files, str) else list(files)
        rows.append({"item": ds.attrs.get("dataset_id", "?"),
                     "value": f"{ds.attrs.get('time_range', '')} via {ds.attrs.get('provenance_route', '?')}",
                     "detail": f"{len(files)} file(s)" + (f", first {files[0]}" if files else "")
                               + (" — synthetic sample" if "synthetic" in ds.attrs else "")})
    rows += [{"item": k, "value": str(v), "detail": ""} for k, v in extra.items()]
    rows += [{"item": k, "value": v, "detail": "version"} for k, v in versions().items()]
    return pd.DataFrame(rows)
