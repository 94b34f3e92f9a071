"""A fast histogram for positive, increasing (typically log-spaced) bin edges.

For positive IEEE-754 floats the bit pattern, read as an unsigned integer, grows with the value.
The top bits (exponent and the first few mantissa bits) of a value therefore name a narrow slice
of the value axis. A small table gives, for each slice, the first bin the slice can fall into and
the bit pattern of that bin's upper edge; slices are made narrower than half the narrowest bin, so one
integer comparison with that edge finishes the job.

Edges are compared as the bit patterns of their roundings up to the input's dtype, which is exact:
for a float32 ``x``, ``x >= edge`` (compared in float64, as numpy does) holds exactly when ``x`` is at
least the smallest float32 not below ``edge``. The counts are therefore those of
``np.histogram(values, edges)`` bit for bit, also for values lying on an edge or one ulp either side
of it; the last bin is closed, as in numpy. For 55 GeV–10 TeV at 20 bins per decade the table has
~240 entries and stays in the L1 cache.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

# out-of-range tallies kept by the kernel, in this order
STATS = ("below", "above", "nan", "negative")
_MAX_TABLE = 1 << 20
#: float dtype -> (unsigned integer of the same width, mantissa bits)
_FORMATS: dict[np.dtype, tuple[type[np.unsignedinteger], int]] = {
    np.dtype(np.float32): (np.uint32, 23), np.dtype(np.float64): (np.uint64, 52)}


def _round_up(edges: np.ndarray, dtype) -> np.ndarray:
    """Smallest value of ``dtype`` that is >= each edge (float64)."""
    rounded = edges.astype(dtype)
    below = rounded.astype(np.float64) < edges
    rounded[below] = np.nextafter(rounded[below], dtype(np.inf))
    return rounded


def lookup_table(edges: np.ndarray, dtype) -> tuple[np.ndarray, int, int, int, int]:
    """Slice table of ``edges`` for values of ``dtype`` (float32 or float64).

    Returns ``(table, shift, key0, lo_bits, hi_bits)``. A value whose bit pattern ``b`` has
    ``lo_bits <= b <= hi_bits`` is exactly one with ``edges[0] <= x <= edges[-1]`` (negative values
    and NaN have larger patterns). Its slice is ``s = (b >> shift) - key0``; it lies in bin
    ``table[2 s]``, or in the next one if ``b >= table[2 s + 1]``.
    """
    uint, mantissa_bits = _FORMATS[np.dtype(dtype)]
    dtype = np.dtype(dtype).type
    edge_bits = _round_up(edges, dtype).view(uint)
    lo_bits = edge_bits[0]
    hi = np.array(edges[-1], dtype=dtype)
    hi_bits = (hi if hi <= edges[-1] else np.nextafter(hi, dtype(0))).view(uint)
    # slices half as wide as the narrowest bin: at most one edge inside each slice, also after the
    # edges are rounded to ``dtype`` (at full mantissa precision a slice is a single value)
    smallest_gap = float(np.min(edges[1:] / edges[:-1])) - 1.0
    mant = int(np.clip(np.ceil(-np.log2(smallest_gap)) + 1, 1, mantissa_bits))
    shift = mantissa_bits - mant
    key0, key1 = int(lo_bits >> shift), int(hi_bits >> shift)
    if key1 - key0 >= _MAX_TABLE:
        raise ValueError(f"bins too narrow for the fast histogram ({len(edges) - 1} bins from {edges[0]} to "
                         f"{edges[-1]}, narrowest {smallest_gap:.2g} wide relative): use np.histogram")
    first = (np.arange(key0, key1 + 1, dtype=uint) << uint(shift))
    start_bin = np.clip(np.searchsorted(edge_bits, first, side="right") - 1, 0, len(edges) - 2)
    table = np.empty(2 * len(start_bin), dtype=uint)
    table[0::2] = start_bin
    # one past the last edge: never reached, so the comparison needs no bounds check
    table[1::2] = np.append(edge_bits, np.iinfo(uint).max)[start_bin + 1]
    return table, shift, key0, int(lo_bits), int(hi_bits)


@njit(nogil=True, cache=True)
def _bin(b, table, shift, key0, counts, offset):
    s = ((b >> shift) - key0) << uint64(1)
    counts[offset + uint64(table[s]) + uint64(b >= uint64(table[s + uint64(1)]))] += 1


@njit(nogil=True, cache=True)
def _outside(x, lo, hi, stats):
    if x < lo:
        stats[0] += 1
        stats[3] += x < 0
    elif x > hi:
        stats[1] += 1
    else:
        stats[2] += 1


@njit(nogil=True, cache=True)
def _fill(values, bits, table, shift, key0, lo_bits, hi_bits, lo, hi, counts, stats):
    # two interleaved streams (first and second half) into two halves of ``counts``: independent
    # chains of look-ups and increments that the CPU overlaps (~1.5x faster than one stream)
    n = values.shape[0]
    half = n // 2
    width = uint64(counts.shape[0] // 2)
    for i in range(half):
        b0 = uint64(bits[i])
        b1 = uint64(bits[i + half])
        if b0 >= lo_bits and b0 <= hi_bits:
            _bin(b0, table, shift, key0, counts, uint64(0))
        else:
            _outside(values[i], lo, hi, stats)
        if b1 >= lo_bits and b1 <= hi_bits:
            _bin(b1, table, shift, key0, counts, width)
        else:
            _outside(values[i + half], lo, hi, stats)
    if n % 2:
        b0 = uint64(bits[n - 1])
        if b0 >= lo_bits and b0 <= hi_bits:
            _bin(b0, table, shift, key0, counts, uint64(0))
        else:
            _outside(values[n - 1], lo, hi, stats)


def histogram_log(values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Counts of ``values`` in the bins ``edges``, identical to ``np.histogram(values, edges)[0]``.

    Parameters
    ----------
    values : numpy.ndarray
        float32 or float64 (other dtypes are converted to float64); NaN and values outside
        ``[edges[0], edges[-1]]`` are not counted, as in numpy.
    edges : numpy.ndarray
        Strictly increasing, positive bin edges. Any spacing works; log spacing keeps the table small.

    Returns
    -------
    counts : numpy.ndarray of int64, shape (len(edges) - 1,)
    stats : dict
        How many values were ``below`` the first edge (of which ``negative``), ``above`` the last
        edge, or ``nan``.

    Examples
    --------
    >>> edges = np.geomspace(1.0, 100.0, 5)
    >>> histogram_log(np.array([0.5, 1.0, 3.0, 99.0, 100.0, np.nan]), edges)[0]
    array([2, 0, 0, 2])
    """
    edges = np.asarray(edges, dtype=np.float64)
    if edges.ndim != 1 or len(edges) < 2 or not (edges[0] > 0 and np.all(np.diff(edges) > 0)):
        raise ValueError("edges must be a 1-d array of at least two positive, strictly increasing values")
    values = np.asarray(values)
    if values.dtype not in _FORMATS:
        values = values.astype(np.float64)
    values = np.ascontiguousarray(values).reshape(-1)
    uint = _FORMATS[values.dtype][0]
    table, shift, key0, lo_bits, hi_bits = lookup_table(edges, values.dtype)
    nbins = len(edges) - 1
    # per stream one extra column for values equal to the last edge: numpy's last bin is closed
    counts = np.zeros(2 * (nbins + 1), dtype=np.int64)
    stats = np.zeros(len(STATS), dtype=np.int64)
    _fill(values, values.view(uint), table,  # type: ignore[call-arg]  # numba's Dispatcher type hides the jitted signature
          *(np.uint64(v) for v in (shift, key0, lo_bits, hi_bits)),
          edges[0], edges[-1], counts, stats)
    counts = counts.reshape(2, nbins + 1).sum(axis=0)
    counts[nbins - 1] += counts[nbins]
    return counts[:nbins], dict(zip(STATS, stats.tolist()))
