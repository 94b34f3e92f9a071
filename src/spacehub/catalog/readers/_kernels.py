"""Compiled one-pass kernels of the CDF reader: ISTP masking and the TT2000 → UTC conversion.

Masking with numpy takes three comparisons, two ``logical_or`` and a ``putmask``: five passes over
the data and two boolean temporaries. :func:`mask_istp` reads and writes each value once, in a
branch-free loop that LLVM vectorises (integers: the float64 result, in the same pass). The kernels
release the GIL, so the reader masks variables in threads.

Comparisons follow numpy's rules exactly: a bound is first cast to the type numpy would compare in
(``np.result_type(values.dtype, bound)``: float32 for a float32 variable and a Python-number bound,
NEP 50), and the kernels compare in the promoted type of the value and that bound, as numpy does.

Compiled code is cached on disk (``cache=True``): a fresh install compiles each signature once
(0.3-0.5 s each); later processes load it in milliseconds, but still pay numba's own start-up
(import and JIT set-up, about 1.5 s), which is why the reader uses these kernels for large
variables only.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def _mask_inplace(flat, lo, hi, fill):  # pragma: no cover - compiled
    # every value written back, branch-free: LLVM vectorises this loop (a select per lane), which
    # a test-then-rewrite of blocks defeated (9x slower in a micro-benchmark of 4 M float32 values
    # with 1 % scattered fills; the read's benchmark is in benchmarks/RESULTS.md).
    for i in range(flat.size):
        x = flat[i]
        flat[i] = np.nan if (x < lo) | (x > hi) | (x == fill) else x


@njit(nogil=True, cache=True)
def _masked_float64(flat, out, lo, hi, fill):  # pragma: no cover - compiled
    for i in range(flat.size):
        x = np.float64(flat[i])
        out[i] = np.nan if (x < lo) | (x > hi) | (x == fill) else x


@njit(nogil=True, cache=True)
def _shift_inplace(flat, offset):  # pragma: no cover - compiled
    # unsigned addition wraps by definition, so a shift can always be undone exactly
    lo = flat[0]
    hi = flat[0]
    for i in range(flat.size):
        v = flat[i]
        lo = min(lo, v)
        hi = max(hi, v)
        flat[i] = np.int64(np.uint64(v) + offset)
    return lo, hi


def _bounds(dtype: np.dtype, fill, lo, hi) -> tuple:
    """(lo, hi, fill), each as the scalar numpy would compare values of ``dtype`` with; an absent
    bound becomes one that masks nothing (-inf, inf, NaN)."""
    def one(bound, missing):
        return dtype.type(missing) if bound is None else np.result_type(dtype, bound).type(bound)

    return one(lo, -np.inf), one(hi, np.inf), one(fill, np.nan)


def mask_istp(values: np.ndarray, fill=None, lo=None, hi=None) -> np.ndarray:
    """``values`` with NaN where equal to ``fill`` or outside [``lo``, ``hi``] (ISTP FILLVAL,
    VALIDMIN, VALIDMAX; ``None``: no such bound).

    Float arrays are masked **in place** (and returned); the caller must own their memory.
    Integer arrays give a new float64 array, so NaN can mark their fills. The result equals
    numpy's ``putmask(x, (x < lo) | (x > hi) | (x == fill), nan)`` bit for bit.

    Examples
    --------
    >>> mask_istp(np.array([1.0, -1e31, 5.0]), fill=-1e31, hi=4.0)
    array([ 1., nan, nan])
    >>> mask_istp(np.array([0, 7, 255], dtype=np.uint8), fill=255)
    array([ 0.,  7., nan])
    """
    if values.dtype.kind not in "fiu":
        raise TypeError(f"mask_istp: values must be integers or floats, not {values.dtype}")
    if values.dtype.kind == "f":
        out = np.ascontiguousarray(values)  # the same memory for what pycdfpp returns
        _mask_inplace(out.reshape(-1), *_bounds(out.dtype, fill, lo, hi))
        return out
    out = np.empty(values.shape, np.float64)  # numpy would compare this float64 copy
    _masked_float64(np.ascontiguousarray(values).reshape(-1), out.reshape(-1), *_bounds(out.dtype, fill, lo, hi))
    return out


def _utc_offset_ns(tt2000: int, records: np.dtype) -> int | None:
    """pycdfpp's UTC minus TT2000 at one TT2000 value, in ns; None where pycdfpp gives NaT."""
    import pycdfpp

    utc = int(pycdfpp.to_datetime64(np.array([tt2000], np.int64).view(records)).view(np.int64)[0])
    return None if utc == np.iinfo(np.int64).min else utc - tt2000


@functools.cache
def _integer_leap_seconds_start() -> int:
    """TT2000 of 1972-01-01 UTC: since then TAI - UTC is a whole number of seconds that only grows."""
    import pycdfpp

    return int(pycdfpp.to_tt2000(np.array(["1972-01-01"], "datetime64[ns]")).view(np.int64)[0])


def tt2000_to_datetime64(values: np.ndarray) -> np.ndarray:
    """UTC ``datetime64[ns]`` of CDF_TIME_TT2000 ``values`` (pycdfpp's ``tt2000_t`` records),
    equal to ``pycdfpp.to_datetime64(values)`` element for element.

    Since 1972 the TT2000 → UTC offset changes only at leap seconds, and only upwards. When the
    smallest and the largest value have the same offset (pycdfpp's, asked for those two values)
    every value between has it too, so the conversion is one addition, done **in place** in
    ``values``' memory (which the caller must own; the result is a view of it). Otherwise (a leap
    second inside, times before 1972, fill or pad values) ``values`` is restored and pycdfpp
    converts them.

    Examples
    --------
    >>> import pycdfpp
    >>> tt = pycdfpp.to_tt2000(np.array(["2015-01-01", "2015-01-02"], "datetime64[ns]"))
    >>> tt2000_to_datetime64(tt)
    array(['2015-01-01T00:00:00.000000000', '2015-01-02T00:00:00.000000000'],
          dtype='datetime64[ns]')
    """
    import pycdfpp

    if values.size == 0 or not values.flags.c_contiguous:
        return pycdfpp.to_datetime64(values)
    flat = values.view(np.int64).reshape(-1)
    offset = _utc_offset_ns(int(flat[0]), values.dtype)
    if offset is None or flat[0] < _integer_leap_seconds_start():
        return pycdfpp.to_datetime64(values)
    lo, hi = _shift_inplace(flat, np.uint64(offset % 2**64))
    if lo >= _integer_leap_seconds_start() and _utc_offset_ns(int(lo), values.dtype) == offset == \
            _utc_offset_ns(int(hi), values.dtype):
        return flat.view("datetime64[ns]").reshape(values.shape)
    _shift_inplace(flat, np.uint64(-offset % 2**64))
    return pycdfpp.to_datetime64(values)
