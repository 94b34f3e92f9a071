"""Input checks shared by the analysis modules: errors that say what to pass instead."""

from __future__ import annotations

import numpy as np
import xarray as xr

NT_UNITS = {"nt", "nanotesla", "nanoteslas", "gamma"}


def nt_series(index, what: str) -> xr.DataArray:
    """``index`` if it is a DataArray over a datetime64 ``time`` in nT (nT assumed without units)."""
    if not isinstance(index, xr.DataArray):
        raise ValueError(f"{what} must be an xarray.DataArray indexed by time, got {type(index).__name__}; "
                         f"pick the variable, e.g. ds['SYM_H']")
    if "time" not in index.coords or not np.issubdtype(index["time"].dtype, np.datetime64):
        raise ValueError(f"{what} has no datetime64 'time' coordinate: read it with spacehub.catalog "
                         f"(Entry.read) or build it with coords={{'time': times}}")
    units = str(index.attrs.get("units", "nT"))
    if units.strip().lower() not in NT_UNITS:
        raise ValueError(f"{what} must be in nT, got units {units!r}; convert it first")
    return index
