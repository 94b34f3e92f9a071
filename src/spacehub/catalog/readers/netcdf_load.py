"""What the reading program (`child`) does for `netcdf.open_netcdf`: the only code that hands a
netCDF-4/HDF5 file to h5py (through xarray's h5netcdf engine)."""

from __future__ import annotations

from pathlib import Path

from ..errors import UnknownVariable
from ._damage import damage_is_corrupt


def read_here(path: Path, variables: list[str] | None):
    """What the reading program does for `open_netcdf`: the file loaded, closed, nothing of it kept open."""
    import xarray as xr

    with damage_is_corrupt(path, "netCDF-4/HDF5 file"):
        with xr.open_dataset(path, engine="h5netcdf", mask_and_scale=True) as ds:
            ds = select(ds, path, variables).load()
        ds.set_close(None)
        return ds


def select(ds, path, variables):
    if not variables:
        return ds
    missing = sorted(set(variables) - set(ds.data_vars))
    if missing:
        raise UnknownVariable(path, f"has no variable(s) {missing} (it has: {', '.join(map(str, ds.data_vars))})")
    return ds[variables]
