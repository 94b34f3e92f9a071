"""What the CDF program (`child`) does with pycdfpp: the only code that hands a CDF file to it.

A read is described by plain values (`extract`): the time axes as datetime64, each variable's
masked values (or, for a lazy read, its shape and dtype), its attributes, the file's global
attributes. Nothing of pycdfpp leaves this module: attribute values of CDF time types become
datetime64, so the process that asked never imports the library.

Honours the ISTP/IACG guidelines (https://spdf.gsfc.nasa.gov/istp_guide/): each data variable's
time axis is its ``DEPEND_0`` (CDF_TIME_TT2000, CDF_EPOCH or CDF_EPOCH16); ``FILLVAL`` and values
outside ``VALIDMIN``/``VALIDMAX`` become NaN. The arrays pycdfpp hands out are views of buffers
that belong to the ``CDF`` object of this read alone, so masking and the TT2000 conversion work in
place (``_kernels``): one pass over each variable, no copies.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import CorruptFile, ReadError, UnknownVariable

_TIME_TYPES = {"CDF_TIME_TT2000", "CDF_EPOCH", "CDF_EPOCH16"}
_ATTRS = {"UNITS": "units", "CATDESC": "description", "FIELDNAM": "long_name", "LABLAXIS": "label"}

#: numpy dtype of a variable once masked (integers become float64 so that NaN can mark fills)
_DTYPES = {"CDF_FLOAT": np.float32, "CDF_REAL4": np.float32, "CDF_DOUBLE": np.float64, "CDF_REAL8": np.float64}


def _type(var) -> str:
    return str(var.type).split(".")[-1]


def _plain(value):
    """An attribute value as Python and numpy know it: CDF time records become datetime64."""
    import pycdfpp

    if isinstance(value, np.ndarray) and value.dtype.kind == "V":
        return pycdfpp.to_datetime64(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if value is None or isinstance(value, (str, bytes, int, float, np.ndarray, np.generic)):
        return value
    try:
        return pycdfpp.to_datetime64(value)
    except Exception:  # a type of the library this reader does not know: its text
        return str(value)


def _attr(var, name):
    a = var.attributes[name] if name in var.attributes else None
    if a is None:
        return None
    value = _plain(a.value)
    if isinstance(value, (list, tuple, np.ndarray)) and len(value) == 1:
        value = value[0]
    return value


def _time_axis(tvar, compiled_from: int) -> np.ndarray:
    """datetime64[ns] of a CDF time variable; a long TT2000 one converted in place in its buffer."""
    import pycdfpp

    if _type(tvar) == "CDF_TIME_TT2000" and math.prod(tvar.shape) >= compiled_from:
        from ._kernels import tt2000_to_datetime64

        return tt2000_to_datetime64(tvar.values)
    return pycdfpp.to_datetime64(tvar).astype("datetime64[ns]", copy=False)


def masked(values: np.ndarray, var, compiled_from: int) -> np.ndarray:
    """NaN where the value is the fill or outside [VALIDMIN, VALIDMAX]; in place for float arrays
    (``values`` belongs to this read alone), integers become float64."""
    if not np.issubdtype(values.dtype, np.number):
        return values
    # a bound per component (a list) or of another type (text) is not applied
    fill, lo, hi = (_attr(var, key) for key in ("FILLVAL", "VALIDMIN", "VALIDMAX"))
    bounds = [b if isinstance(b, (int, float, np.number)) else None for b in (fill, lo, hi)]
    if values.size >= compiled_from:
        from ._kernels import mask_istp

        return mask_istp(values, *bounds)
    return masked_numpy(values, *bounds)


def masked_numpy(values: np.ndarray, fill=None, lo=None, hi=None) -> np.ndarray:
    """What ``_kernels.mask_istp`` does, in numpy: a pass over the values per bound, not one in all."""
    out = values if values.dtype.kind == "f" else values.astype(np.float64)
    bad = np.zeros(out.shape, bool)
    with np.errstate(invalid="ignore"):
        for bound, test in ((lo, np.less), (hi, np.greater), (fill, np.equal)):
            if bound is not None:
                bad |= test(out, bound)
    np.putmask(out, bad, np.nan)
    return out


def _load(path: Path):
    import pycdfpp

    try:
        cdf = pycdfpp.load(str(path))
    except (ValueError, RuntimeError, OSError) as e:
        raise CorruptFile(path, f"not a readable CDF file ({e})") from None
    if cdf is None or len(cdf) == 0:
        raise CorruptFile(path, "CDF holds no variables: the file is truncated or corrupt")
    return cdf


def extract(path: Path, variables: list[str] | None, first_axis_only: bool, values: bool,
            compiled_from: int, threads: int) -> tuple[dict[str, Any], Any]:
    """A read of ``path`` as plain values, and the object whose memory they may share (keep it
    until they are copied out).

    ``found["axes"]``: one item per time axis (its time variable's name, the times as int64
    nanoseconds, the variables on it); ``found["untimed"]``: variables asked for by name that have
    no time axis (support data: energy tables, labels), without their record dimension. Each
    variable's other dimensions carry ISTP support data: ``DEPEND_1/2/3`` and ``LABL_PTR_1/2/3``
    become coordinates (`_support`). Variables on several time axes (Wind MFI's 1-min ``Epoch``
    and 3-s ``Epoch3``) give one item each, unless ``first_axis_only``, which keeps the first
    variable's axis and names the others (what a read with the default variables does)."""
    cdf = _load(path)
    names = list(variables) if variables else [
        name for name, v in cdf.items()
        if _attr(v, "VAR_TYPE") == "data" or (_attr(v, "VAR_TYPE") is None and _attr(v, "DEPEND_0"))]
    notes: list[str] = []
    implicit = _implicit_time_axis(cdf)
    if not names and not variables and implicit:  # a CDF written without ISTP attributes
        names = [n for n, v in cdf.items() if n != implicit and _type(v) not in _TIME_TYPES
                 and _attr(v, "VAR_TYPE") is None and tuple(v.shape)[:1] == tuple(cdf[implicit].shape)[:1]]
    if not names:
        raise ReadError(path, "has no data variables (none with VAR_TYPE data or a DEPEND_0 time axis; it has: "
                              f"{', '.join(n for n, _ in cdf.items())})")
    missing = [n for n in names if n not in cdf]
    if missing:
        raise UnknownVariable(path, f"has no variable(s) {missing} (it has: {', '.join(n for n, _ in cdf.items())})")
    depends: dict[str, str] = {}
    untimed: list[str] = []
    for name in names:  # the checks that need no data
        dep = _attr(cdf[name], "DEPEND_0")
        if dep is None and implicit and tuple(cdf[name].shape)[:1] == tuple(cdf[implicit].shape)[:1]:
            dep = implicit
            notes.append(name)
        if not isinstance(dep, str) or dep not in cdf or _type(cdf[dep]) not in _TIME_TYPES:
            if not variables or dep is None:  # data the file gives once, not over time (an energy table)
                untimed.append(name)
                continue
            if not isinstance(dep, str) or dep not in cdf:
                raise ReadError(path, f"variable {name} has DEPEND_0 {dep!r}, which the file does not have")
            raise ReadError(path, f"DEPEND_0 {dep} of {name} is {cdf[dep].type}, not a CDF time type")
        depends[name] = dep
    if not depends and not variables:
        raise ReadError(path, f"has no data variables on a time axis (those without one: {', '.join(untimed)})")
    groups: dict[str, list[str]] = {}
    for name, dep in depends.items():
        groups.setdefault(dep, []).append(name)
    others: dict[str, list[str]] = {}
    if first_axis_only and len(groups) > 1:
        first = next(iter(groups))
        others = {dep: ns for dep, ns in groups.items() if dep != first}
        groups = {first: groups[first]}

    decoded: dict[str, np.ndarray] = {}  # support variables, decoded once for all that name them

    def variable(name: str, axis: str | None, records: int) -> tuple[str, dict[str, Any]]:
        var = cdf[name]
        shape = tuple(int(n) for n in var.shape)  # from the variable's header: nothing read yet
        numeric = _type(var) not in ("CDF_CHAR", "CDF_UCHAR")
        attrs = {key: value for cdf_key, key in _ATTRS.items() if (value := _attr(var, cdf_key)) is not None}
        fill = _attr(var, "FILLVAL")
        if fill is not None:
            attrs["_FillValue_in_file"] = float(fill) if isinstance(fill, (int, float, np.number)) else fill
        if axis is None:  # support data: its records (one, for a variable that does not vary) as they are
            table = _support_values(var, compiled_from)
            dims, coords = _support(cdf, name, var, table.shape, False, decoded)
            return name, {"dims": dims, "data": table, "attrs": attrs, "shape": table.shape, "dtype": table.dtype,
                          "coords": coords}
        written = shape[0] if shape else 0
        if not shape or written > records or (written < records and not numeric):
            raise CorruptFile(path, f"variable {name} has {written} records but {axis} has {records}: the file "
                                    "is truncated or corrupt")
        if written < records:  # the records a writer did not write: the CDF's pad values, fills here
            attrs["records_written"] = written
            shape = (records, *shape[1:])
        dims, coords = _support(cdf, name, var, shape, True, decoded)
        data: np.ndarray | None = None
        if values:
            data = padded(masked(np.asarray(var.values), var, compiled_from), records)
        dtype = np.dtype(_DTYPES.get(_type(var), np.float64))
        return name, {"dims": dims, "data": data, "attrs": attrs, "shape": shape, "dtype": dtype, "coords": coords}

    axes = []
    # pycdfpp's decoding, numpy and the compiled kernels release the GIL: variables in parallel
    with ThreadPoolExecutor(max_workers=max(1, min(len(names), threads))) as pool:
        for dep, on_axis in groups.items():
            times = _time_axis(cdf[dep], compiled_from)
            records = len(times)
            described = dict(pool.map(lambda n, d=dep, r=records: variable(n, d, r), on_axis))
            # as int64: numpy pickles datetime64 arrays inside the pickle, integers out of band (no copy)
            axes.append({"axis": dep, "time": times.view(np.int64), "variables": described})
        support = dict(variable(n, None, 0) for n in untimed) if variables else {}
    attrs = {}
    for name, attr in cdf.attributes.items():  # global attributes (ISTP: Project, TEXT, ...)
        entries = [_plain(v.value if hasattr(v, "value") else v) for v in attr]
        attrs[name] = entries[0] if len(entries) == 1 else entries
    if untimed and not variables:
        attrs["variables_without_time_axis"] = ", ".join(untimed)
    warnings = []
    if notes:
        warnings.append(f"{path}: {', '.join(notes)} name no time axis (no DEPEND_0): taken to be on {implicit}, "
                        "the file's one time variable of the same length")
        attrs["time_axis_assumed"] = implicit
    found = {"axes": axes, "untimed": support, "other_time_axes": others, "attrs": attrs, "warnings": warnings}
    return found, cdf


def _support_values(var, compiled_from: int) -> np.ndarray:
    """A support variable's values: text stripped (str), numbers masked; a variable that does not
    vary from record to record without its record dimension."""
    if _type(var) in ("CDF_CHAR", "CDF_UCHAR"):
        values = np.char.strip(np.asarray(var.values_encoded, dtype=str))
    else:
        values = masked(np.array(var.values), var, compiled_from)
    return values[0] if var.is_nrv and values.ndim and values.shape[0] == 1 else values


def _support(cdf, name: str, var, shape: tuple[int, ...], with_time: bool,
             decoded: dict[str, np.ndarray]) -> tuple[tuple[str, ...], dict]:
    """The dimension names of a variable of ``shape`` and its coordinates from ISTP support data.

    Dimension i (after time) is named after its ``DEPEND_i`` or ``LABL_PTR_i`` where that is one
    fixed list of the dimension's length (energy channels, component labels): the list becomes an
    index coordinate. Support data of more dimensions, or varying with time (an energy table per
    record), becomes a coordinate over the dimensions it spans, which are named after it
    (``HOPE_ENERGY_Ion_dim1``), so that every variable sharing it shares them. Support data that
    does not fit the variable's shape is left out."""
    lead = 1 if with_time else 0
    inner = shape[lead:]
    dims = [f"{name}_dim{i}" for i in range(1, len(inner) + 1)]
    found: list[tuple[int, str, Any, np.ndarray, bool]] = []
    for i in range(1, len(inner) + 1):
        for key in (f"DEPEND_{i}", f"LABL_PTR_{i}"):
            cname = _attr(var, key)
            if not isinstance(cname, str) or cname not in cdf or cname == name:
                continue
            cvar = cdf[cname]
            if cname not in decoded:
                try:
                    decoded[cname] = _support_values(cvar, 1 << 62)
                except (ValueError, RuntimeError):  # support data the library cannot decode: left out
                    continue
            values = decoded[cname]
            varying = with_time and not cvar.is_nrv and _attr(cvar, "DEPEND_0") is not None
            cshape = values.shape[1:] if varying else values.shape
            if varying and values.shape[:1] != shape[:1]:
                continue
            k = len(cshape)
            if k == 0 or k > i or tuple(inner[i - k:i]) != tuple(cshape):
                continue
            found.append((i, cname, cvar, values, varying))
    for i, cname, _, values, varying in found:  # one fixed list along one dimension: it names the dimension
        if not varying and values.ndim == 1 and dims[i - 1] == f"{name}_dim{i}":
            dims[i - 1] = cname
    coords: dict[str, Any] = {}
    for i, cname, cvar, values, varying in found:
        k = values.ndim - (1 if varying else 0)
        span = range(i - k, i)
        for j, d in enumerate(span, 1):
            if dims[d] == f"{name}_dim{d + 1}":
                dims[d] = f"{cname}_dim{j}"
        cdims = (("time",) if varying else ()) + tuple(dims[d] for d in span)
        attrs = {key: value for cdf_key, key in _ATTRS.items() if (value := _attr(cvar, cdf_key)) is not None}
        coords.setdefault(cname, {"dims": cdims, "data": values, "attrs": attrs})
    return (("time",) if with_time else ()) + tuple(dims), coords


def _implicit_time_axis(cdf) -> str | None:
    """The file's one record-varying time variable, if it has exactly one (for CDFs written without
    ISTP's DEPEND_0: MagPy's, say)."""
    times = [n for n, v in cdf.items() if _type(v) in _TIME_TYPES and tuple(v.shape)[:1] != (0,)]
    return times[0] if len(times) == 1 else None


def padded(values: np.ndarray, records: int) -> np.ndarray:
    """``values`` with NaN records after the written ones, up to ``records`` (as masked: float)."""
    if len(values) >= records:
        return values
    out = np.full((records, *values.shape[1:]), np.nan, values.dtype if values.dtype.kind == "f" else np.float64)
    out[: len(values)] = values
    return out


def one_variable(path: Path, name: str, compiled_from: int, records: int) -> tuple[np.ndarray, Any]:
    """One variable of one file, masked, ``records`` long: the task behind each lazy (dask) variable."""
    cdf = _load(path)
    if name not in cdf:
        raise UnknownVariable(path, f"has no variable {name!r} (it has: {', '.join(n for n, _ in cdf.items())})")
    var = cdf[name]
    return padded(masked(np.asarray(var.values), var, compiled_from), records), cdf
