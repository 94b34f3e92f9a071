"""netCDF-4 / HDF5 files through xarray (h5netcdf engine), read in the reading program (`child`)."""

from __future__ import annotations

from pathlib import Path

from . import child
from ._damage import damage_is_corrupt
from .netcdf_load import select


def open_netcdf(path, variables=None, lazy: bool = False):
    """A netCDF-4/HDF5 file through xarray, loaded into memory by the reading program (`child`):
    HDF5 can loop forever or crash on a damaged file, which then ends that program, not this
    process. ``lazy`` gives dask-backed variables of the loaded values (one chunk per variable;
    lazily indexed arrays re-read compressed chunks on every access: resampling them is ~20x slower)."""
    path = Path(path)
    ds = child.read(path, {"kind": "netcdf", "variables": list(variables) if variables else None})
    return ds.chunk() if lazy else ds


def open_zarr(path, variables=None):
    """A zarr store (directory or zip) through xarray; dask-backed, one chunk per stored chunk."""
    import xarray as xr

    with damage_is_corrupt(path, "zarr store"):
        ds = xr.open_zarr(str(path), mask_and_scale=True)
        return select(ds, path, variables)
