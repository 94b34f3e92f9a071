"""Readers: one per file format, each returning an ``xarray.Dataset`` with time as datetime64,
fill values masked (NaN), units and descriptions in attrs."""

from __future__ import annotations

from pathlib import Path

from ..errors import CorruptFile, NoData, ReadError, RemoteUnavailable, UnknownVariable


def open_file(path: str | Path, format: str, variables: list[str] | None = None, lazy: bool = False,
              layout: str | None = None, default_variables: bool = False):
    """Open one file of ``format`` (a catalog route's format) as an ``xarray.Dataset``; ``lazy``
    asks for dask-backed variables. ``default_variables``: the caller did not choose ``variables``
    (a CDF then keeps those on the first one's time axis instead of refusing to mix axes)."""
    if format == "cdf":
        from .cdf import open_cdf

        return open_cdf(path, variables, lazy=lazy, first_axis_only=default_variables)
    if format in ("netcdf", "hdf5"):
        from .netcdf import open_netcdf

        return open_netcdf(path, variables, lazy=lazy)
    if format == "text":
        from .text import open_text

        return open_text(path, layout, variables)
    if format == "fits":
        from .fits import open_fits

        return open_fits(path, variables, lazy=lazy, layout=layout)
    if format == "zarr":
        from .netcdf import open_zarr

        return open_zarr(path, variables)
    if format == "csv":
        from .table import open_csv

        return open_csv(path, variables)
    raise ReadError(path, f"no reader for format {format!r} yet")


__all__ = ["CorruptFile", "NoData", "ReadError", "RemoteUnavailable", "UnknownVariable", "open_file"]
