"""netCDF-4 / HDF5 files through xarray (h5netcdf engine: accepts paths and file objects)."""

from __future__ import annotations

from ..errors import CorruptFile, UnknownVariable


def open_netcdf(path, variables=None, lazy: bool = False):
    """A netCDF-4/HDF5 file through xarray; loaded into memory unless ``lazy`` (lazily indexed
    arrays re-read compressed chunks on every access: resampling them is ~20x slower)."""
    import xarray as xr

    try:
        ds = xr.open_dataset(path, engine="h5netcdf", mask_and_scale=True)
    except (OSError, ValueError) as e:
        raise CorruptFile(path, f"not a readable netCDF-4/HDF5 file ({e})") from None
    ds = _select(ds, path, variables)
    if lazy:
        return ds.chunk()
    with ds:
        return ds.load()


def open_zarr(path, variables=None):
    """A zarr store (directory or zip) through xarray; dask-backed, one chunk per stored chunk."""
    import xarray as xr

    try:
        ds = xr.open_zarr(str(path), mask_and_scale=True)
    except (OSError, ValueError, KeyError) as e:
        raise CorruptFile(path, f"not a readable zarr store ({type(e).__name__}: {e})") from None
    ds = _select(ds, path, variables)
    return ds


def _select(ds, path, variables):
    if not variables:
        return ds
    missing = sorted(set(variables) - set(ds.data_vars))
    if missing:
        raise UnknownVariable(path, f"has no variable(s) {missing} (it has: {', '.join(map(str, ds.data_vars))})")
    return ds[variables]
