"""ISTP CDF files through pycdfpp.

Honours the ISTP/IACG guidelines (https://spdf.gsfc.nasa.gov/istp_guide/): each data variable's
time axis is its ``DEPEND_0`` (CDF_TIME_TT2000, CDF_EPOCH or CDF_EPOCH16, converted to datetime64
by pycdfpp); ``FILLVAL`` and values outside ``VALIDMIN``/``VALIDMAX`` become NaN; ``UNITS``,
``CATDESC``, ``FIELDNAM`` and ``LABLAXIS`` go into attrs. pycdfpp was picked over cdflib for speed
(benchmarks/RESULTS.md).

The arrays pycdfpp hands out are views of buffers that belong to the ``CDF`` object of this read
alone, so masking and the TT2000 conversion work in place (``_kernels``): one pass over each
variable, no copies, and the xarray index is built on the converted times as they are.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import CorruptFile, ReadError, UnknownVariable
from .cdf_probe import prove

_TIME_TYPES = {"CDF_TIME_TT2000", "CDF_EPOCH", "CDF_EPOCH16"}
_ATTRS = {"UNITS": "units", "CATDESC": "description", "FIELDNAM": "long_name", "LABLAXIS": "label"}


def _attr(var, name):
    a = var.attributes.get(name) if hasattr(var.attributes, "get") else (
        var.attributes[name] if name in var.attributes else None)
    if a is None:
        return None
    value = a.value
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) == 1:
        value = value[0]
    return value


_MAGIC_V3, _MAGIC_V2, _MAGIC_OLD = 0xCDF30001, 0xCDF26002, 0x0000FFFF
_UNCOMPRESSED, _COMPRESSED = 0x0000FFFF, 0xCCCC0001


def check_structure(path: Path) -> None:
    """Check a CDF's header against its size before any C code sees it.

    pycdfpp reads past the end of truncated files (a segmentation fault, not an exception), so the
    file's own bookkeeping is checked first (CDF Internal Format Description, sections 2.2-2.4): the
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
            f.seek(offset)
            b = f.read(n)
            if len(b) < n:
                raise CorruptFile(path, f"the file is truncated: {size} bytes, its header points past the end")
            return int.from_bytes(b, "big")

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

#: numpy dtype of a variable once masked (integers become float64 so that NaN can mark fills)
_DTYPES = {"CDF_FLOAT": np.float32, "CDF_REAL4": np.float32, "CDF_DOUBLE": np.float64, "CDF_REAL8": np.float64}


def _load_masked(path: str, name: str) -> np.ndarray:
    """One variable of one file, masked: the task behind each lazy (dask) variable."""
    import pycdfpp

    prove(path, [name])
    var = pycdfpp.load(path)[name]
    return _masked(np.asarray(var.values), var)


def _time_axis(tvar) -> np.ndarray:
    """datetime64[ns] of a CDF time variable; a long TT2000 one converted in place in its buffer."""
    import pycdfpp

    if str(tvar.type).split(".")[-1] == "CDF_TIME_TT2000" and math.prod(tvar.shape) >= _COMPILED_FROM:
        from ._kernels import tt2000_to_datetime64

        return tt2000_to_datetime64(tvar.values)
    return pycdfpp.to_datetime64(tvar).astype("datetime64[ns]", copy=False)


#: what pycdfpp and the checks above raise on a damaged file, besides a crash: a name or text that is
#: not UTF-8, an offset past any file, a shape that does not fit
_DAMAGE = (UnicodeDecodeError, ValueError, OverflowError, IndexError, TypeError, RuntimeError)


def open_cdf(path: str | Path, variables: list[str] | None = None, lazy: bool = False,
             first_axis_only: bool = False):
    """Open an ISTP CDF as an ``xarray.Dataset`` (see `_open_cdf`); a damaged file is a `CorruptFile`."""
    try:
        return _open_cdf(Path(path), variables, lazy, first_axis_only)
    except ReadError:
        raise
    except _DAMAGE as e:
        raise CorruptFile(path, f"damaged: {type(e).__name__}: {e}") from None


def _open_cdf(path: Path, variables: list[str] | None = None, lazy: bool = False,
              first_axis_only: bool = False):
    """Open an ISTP CDF as an ``xarray.Dataset``; with ``lazy`` the data variables are dask arrays
    read (and masked) only when computed, so a Dask cluster's workers do the reading.

    Variables on different time axes (e.g. Wind MFI's 1-min ``Epoch`` and 3-s ``Epoch3``) cannot
    share one ``time``: asking for both is an error that lists the groups, unless
    ``first_axis_only``, which keeps the first variable's axis and names the rest in
    ``attrs["other_time_axes"]`` (what a read with the default variables does)."""
    import pandas as pd
    import pycdfpp
    import xarray as xr

    check_structure(path)
    prove(path, list(variables or []))  # decoded in a child process first: see cdf_probe
    try:
        cdf = pycdfpp.load(str(path))
    except (ValueError, RuntimeError, OSError) as e:
        raise CorruptFile(path, f"not a readable CDF file ({e})") from None
    if cdf is None or len(cdf) == 0:
        raise CorruptFile(path, "CDF holds no variables: the file is truncated or corrupt")
    names = list(variables) if variables else [
        name for name, v in cdf.items()
        if _attr(v, "VAR_TYPE") == "data" or (_attr(v, "VAR_TYPE") is None and _attr(v, "DEPEND_0"))]
    missing = [n for n in names if n not in cdf]
    if missing:
        raise UnknownVariable(path, f"has no variable(s) {missing} (it has: {', '.join(n for n, _ in cdf.items())})")
    coords, others = {}, {}
    for name in names:  # time axes first, and the checks that need no data
        dep = _attr(cdf[name], "DEPEND_0")
        if dep is None or dep not in cdf:
            raise ReadError(path, f"variable {name} has no usable DEPEND_0 time axis")
        if dep not in coords:
            tvar = cdf[dep]
            if str(tvar.type).split(".")[-1] not in _TIME_TYPES:
                raise ReadError(path, f"DEPEND_0 {dep} of {name} is {tvar.type}, not a CDF time type")
            coords[dep] = _time_axis(tvar)

    if len(coords) > 1:
        groups = {dep: [n for n in names if _attr(cdf[n], "DEPEND_0") == dep] for dep in coords}
        listing = "; ".join(f"{dep}: {', '.join(ns)}" for dep, ns in groups.items())
        if not first_axis_only:
            raise ReadError(path, f"the variables are on different time axes ({listing}): read each group in "
                                  "its own call, e.g. variables=[" + ", ".join(map(repr, groups[next(iter(groups))])) + "]")
        first = next(iter(coords))
        names, coords = groups[first], {first: coords[first]}
        others = {dep: ns for dep, ns in groups.items() if dep != first}

    def variable(name):
        var = cdf[name]
        dep = _attr(var, "DEPEND_0")
        shape = tuple(var.shape)  # from the variable's header: nothing read yet
        if shape[0] != len(coords[dep]):
            raise CorruptFile(path, f"variable {name} has {shape[0]} records but {dep} has {len(coords[dep])}"
                            ": the file is truncated or corrupt")
        attrs = {key: _attr(var, cdf_key) for cdf_key, key in _ATTRS.items() if _attr(var, cdf_key) is not None}
        fill = _attr(var, "FILLVAL")
        if fill is not None:
            attrs["_FillValue_in_file"] = float(fill) if np.isscalar(fill) else fill
        dims = ("time",) + tuple(f"{name}_dim{i}" for i in range(1, len(shape)))
        if lazy:
            import dask
            import dask.array as da

            dtype = _DTYPES.get(str(var.type).split(".")[-1], np.float64)
            data = da.from_delayed(dask.delayed(_load_masked, pure=True)(str(path), name), shape=shape, dtype=dtype)
        else:
            try:
                data = _masked(np.asarray(var.values), var)  # see there: may reuse the values' memory
            except Exception as e:  # pycdfpp raises plain exceptions on inconsistent records
                raise CorruptFile(path, f"variable {name} cannot be decoded ({e})") from None
        return name, (dims, data, attrs)

    if lazy:
        data_vars = dict(variable(n) for n in names)
    else:
        # pycdfpp's decoding, numpy and the compiled kernels release the GIL: variables in parallel
        with ThreadPoolExecutor(max_workers=max(1, min(len(names), THREADS))) as pool:
            data_vars = dict(pool.map(variable, names))
    # an index over the times as they are: xr.Dataset(coords=...) would copy them into a new one
    index = xr.indexes.PandasIndex(pd.DatetimeIndex(next(iter(coords.values())), copy=False), "time")
    ds = xr.Dataset(data_vars, coords=xr.Coordinates.from_xindex(index))
    if others:
        ds.attrs["other_time_axes"] = "; ".join(
            f"{', '.join(ns)} on {dep} (read them with variables=[{', '.join(map(repr, ns))}])"
            for dep, ns in others.items())
    for name, attr in cdf.attributes.items():  # global attributes (ISTP: Project, TEXT, ...)
        values = [v.value if hasattr(v, "value") else v for v in attr]
        ds.attrs[name] = values[0] if len(values) == 1 else values
    ds.attrs["source_files"] = [str(path)]
    return ds


def _masked(values: np.ndarray, var) -> np.ndarray:
    """NaN where the value is the fill or outside [VALIDMIN, VALIDMAX]; in place for float arrays
    (``values`` belongs to this read alone), integers become float64."""
    if not np.issubdtype(values.dtype, np.number):
        return values
    # a bound per component (a list) or of another type (text) is not applied
    fill, lo, hi = (_attr(var, key) for key in ("FILLVAL", "VALIDMIN", "VALIDMAX"))
    bounds = [b if isinstance(b, (int, float, np.number)) else None for b in (fill, lo, hi)]
    if values.size >= _COMPILED_FROM:
        from ._kernels import mask_istp

        return mask_istp(values, *bounds)
    return _masked_numpy(values, *bounds)


def _masked_numpy(values: np.ndarray, fill=None, lo=None, hi=None) -> np.ndarray:
    """What ``_kernels.mask_istp`` does, in numpy: a pass over the values per bound, not one in all."""
    out = values if values.dtype.kind == "f" else values.astype(np.float64)
    bad = np.zeros(out.shape, bool)
    with np.errstate(invalid="ignore"):
        for bound, test in ((lo, np.less), (hi, np.greater), (fill, np.equal)):
            if bound is not None:
                bad |= test(out, bound)
    np.putmask(out, bad, np.nan)
    return out
