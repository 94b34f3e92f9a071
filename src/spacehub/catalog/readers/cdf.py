"""ISTP CDF files through pycdfpp, which runs in a program of its own (`child`).

Honours the ISTP/IACG guidelines (https://spdf.gsfc.nasa.gov/istp_guide/): each data variable's
time axis is its ``DEPEND_0`` (CDF_TIME_TT2000, CDF_EPOCH or CDF_EPOCH16, converted to datetime64
by pycdfpp); ``FILLVAL`` and values outside ``VALIDMIN``/``VALIDMAX`` become NaN; ``UNITS``,
``CATDESC``, ``FIELDNAM`` and ``LABLAXIS`` go into attrs. pycdfpp was picked over cdflib for speed
(benchmarks/RESULTS.md).

This module checks a file's header, asks the program for the read (`cdf_decode` is what the
program does: decoding, masking, the TT2000 conversion) and builds the ``xarray.Dataset`` on the
arrays it hands back, without copying them again; the index is built on the times as they are.
This process never imports pycdfpp: a damaged file can end the program, not the kernel.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ... import SpacehubWarning
from ..errors import CorruptFile
from . import child

_MAGIC_V3, _MAGIC_V2, _MAGIC_OLD = 0xCDF30001, 0xCDF26002, 0x0000FFFF
_UNCOMPRESSED, _COMPRESSED = 0x0000FFFF, 0xCCCC0001


def check_structure(path: Path) -> None:
    """Check a CDF's header against its size before the CDF program sees it.

    pycdfpp reads past the end of truncated files (a segmentation fault, not an exception): the
    program would end and the read say so, but a truncated file, the most common damage (an
    interrupted download), is named as such, with no program started. The file's own bookkeeping is
    checked (CDF Internal Format Description, sections 2.2-2.4): the
    magic numbers, the CDR, and the GDR's ``eof`` field (offset just past the last internal record),
    which a complete file reaches. Internal records are big-endian; v2.x offsets are 4 bytes, v3 8.
    """
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise CorruptFile(path, f"not a CDF file: only {size} bytes")
        magic1, magic2 = int.from_bytes(head[:4], "big"), int.from_bytes(head[4:], "big")
        if magic1 not in (_MAGIC_V3, _MAGIC_V2, _MAGIC_OLD) or magic2 not in (_UNCOMPRESSED, _COMPRESSED):
            raise CorruptFile(path, f"not a CDF file (magic numbers {magic1:#010x} {magic2:#010x})")
        off = 8 if magic1 == _MAGIC_V3 else 4

        def read_int(offset, n):
            if offset + n > size:
                raise CorruptFile(path, f"the file is truncated: {size} bytes, its header points past the end "
                                        f"(to byte {offset})")
            f.seek(offset)
            return int.from_bytes(f.read(n), "big")

        if magic2 == _COMPRESSED:  # whole-file compression: one CCR after the magic numbers
            end = 8 + read_int(8, off)
        else:
            gdr = read_int(8 + off + 4, off)  # CDR: RecordSize, RecordType, GDRoffset
            end = read_int(gdr + off + 4 + 3 * off, off)  # GDR: size, type, rVDRhead, zVDRhead, ADRhead, eof
        if size < end:
            raise CorruptFile(path, f"the file is truncated: {size} bytes of the {end} its header declares")


#: variables of at least this many values are masked (TT2000 times converted) by the compiled
#: kernels; smaller reads never import numba, whose start-up (1-2 s once per process, even with
#: its on-disk cache; benchmarks/RESULTS.md) the few milliseconds they would save cannot repay
_COMPILED_FROM = 1 << 20

#: threads that decode and mask variables (pycdfpp, numpy and the kernels release the GIL)
THREADS = os.cpu_count() or 1


def _load_masked(path: str, name: str, records: int) -> np.ndarray:
    """One variable of one file, masked, ``records`` long: the task behind each lazy (dask) variable."""
    found = child.read(Path(path), {"kind": "cdf-variable", "name": name, "compiled_from": _COMPILED_FROM,
                                    "records": records})
    return found["values"]


def open_cdf(path: str | Path, variables: list[str] | None = None, lazy: bool = False,
             first_axis_only: bool = False):
    """Open an ISTP CDF as an ``xarray.Dataset``; with ``lazy`` the data variables are dask arrays
    read (and masked) only when computed, so a Dask cluster's workers do the reading. A damaged
    file is a `CorruptFile`, whatever it does to the CDF library.

    Support data comes along: ``DEPEND_1/2/3`` and ``LABL_PTR_1/2/3`` are coordinates (energy
    channels, pitch angles, component labels; a table that varies with time as a 2-D coordinate),
    and a support variable asked for by name (``variables=["Ion_Bins_Low_Energy"]``) is read
    without a time axis. ``attrs["time_variable"]`` names the product's time variable.

    Variables asked for on different time axes (Wind MFI's 1-min ``Epoch`` and 3-s ``Epoch3``)
    come back as an ``xarray.DataTree`` with one group per axis, named after its time variable,
    each a Dataset with its own ``time``. Without ``variables`` and with ``first_axis_only`` (what
    a read with the default variables does) the first variable's axis is kept and the others are
    named in ``attrs["other_time_axes"]``."""
    import xarray as xr

    path = Path(path)
    check_structure(path)
    found = child.read(path, {"kind": "cdf", "variables": list(variables) if variables else None,
                                  "first_axis_only": first_axis_only, "values": not lazy,
                                  "compiled_from": _COMPILED_FROM, "threads": THREADS})
    for message in found["warnings"]:  # what the program had to assume
        warnings.warn(message, SpacehubWarning, stacklevel=3)
    attrs = {**found["attrs"], "source_files": [str(path)]}  # global attributes (ISTP: Project, TEXT, ...)
    if found["other_time_axes"]:
        attrs["other_time_axes"] = "; ".join(
            f"{', '.join(ns)} on {dep} (read them with variables=[{', '.join(map(repr, ns))}])"
            for dep, ns in found["other_time_axes"].items())
    untimed = _dataset(path, None, found["untimed"], lazy=False)
    groups = {axis["axis"]: _dataset(path, axis["time"], axis["variables"], lazy) for axis in found["axes"]}
    if len(groups) > 1:
        for name, ds in groups.items():
            ds.attrs["time_variable"] = name
        return xr.DataTree.from_dict({"/": untimed.assign_attrs(attrs), **groups})
    ds = next(iter(groups.values()), xr.Dataset())
    for name in untimed.variables:
        if name not in ds.variables:
            ds[name] = untimed[name]
    ds.attrs.update(attrs)
    if groups:
        ds.attrs["time_variable"] = next(iter(groups))
    return ds


def _dataset(path: Path, time: np.ndarray | None, described: dict, lazy: bool):
    """One Dataset of the program's answer: ``described`` variables on ``time`` (int64 ns) or none,
    with their support data as coordinates (left out where a data variable has the same name)."""
    import pandas as pd
    import xarray as xr

    data_vars = {}
    coords: dict = {}
    for name, v in described.items():
        data = v["data"]
        if lazy and time is not None:
            import dask
            import dask.array as da

            data = da.from_delayed(dask.delayed(_load_masked, pure=True)(str(path), name, v["shape"][0]),
                                   shape=v["shape"], dtype=v["dtype"])
        data_vars[name] = (v["dims"], data, v["attrs"])
        for cname, c in v["coords"].items():
            if cname not in described and cname not in coords:
                coords[cname] = (c["dims"], c["data"], c["attrs"])
    if time is None:
        return xr.Dataset(data_vars, coords=coords)
    # an index over the times as they are: xr.Dataset(coords=...) would copy them into a new one
    index = xr.indexes.PandasIndex(pd.DatetimeIndex(time.view("datetime64[ns]"), copy=False), "time")
    ds = xr.Dataset(data_vars, coords=xr.Coordinates.from_xindex(index))
    return ds.assign_coords(coords) if coords else ds
