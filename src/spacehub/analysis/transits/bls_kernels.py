"""Compiled kernels of the box-least-squares search: uniform binning, the fast folding transform
(Staelin 1969; layout as in Morello et al. 2020, *riptide*), the best box power of a folded profile,
and the classic binned BLS on unbinned points for the refinement.

The loops are tuned for numba/LLVM (unsigned indices, an integer maximum over float bit patterns):
the comments at each say why; keep them when changing the code.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64


@njit(nogil=True, cache=True)
def _bin_uniform(t, wy, w, t_start, bin_days, nbins):
    """Sums of w*y and w in uniform time bins, as complex64 (real: w*y, imag: w) for the folding."""
    out = np.zeros(nbins, np.complex64)
    for i in range(t.size):
        k = int((t[i] - t_start) / bin_days)
        out[k] += np.complex64(wy[i] + 1j * w[i])
    return out


@njit(nogil=True, cache=True)
def _ffa(src, dst, scratch):
    """Fast folding transform of the rows of src (m, p) into dst, using scratch (same shape):
    profile s is the sum of the rows, row r circularly shifted by about r * s / (m - 1) bins,
    i.e. the fold at period ``_ffa_period(p, s / (m - 1))`` (Staelin 1969; the split and
    rounding of riptide)."""
    m, p = src.shape
    if m == 1:
        dst[0, :] = src[0, :]
        return
    h = m // 2
    _ffa(src[:h], scratch[:h], dst[:h])  # children write into scratch, using dst as theirs
    _ffa(src[h:], scratch[h:], dst[h:])
    for s in range(m):
        ih = int(s * (h - 1) / (m - 1) + 0.5)
        it = int(s * (m - h - 1) / (m - 1) + 0.5)
        shift = (s - it) % p
        a, o = scratch[ih], dst[s]
        b, b_wrap = scratch[h + it][shift:], scratch[h + it][:shift]
        # unsigned indices: numba then emits no negative-index fix-up, and the loops vectorise
        # (with signed ones LLVM sees a gather)
        for j in range(uint64(p - shift)):
            o[j] = a[j] + b[j]
        a_wrap, o_wrap = a[p - shift:], o[p - shift:]
        for j in range(uint64(shift)):
            o_wrap[j] = a_wrap[j] + b_wrap[j]


@njit(nogil=True, cache=True, fastmath=True, error_model="numpy")
def _box_power(profile, dur_bins, w_total):
    """Best dip power over start bins and durations of a folded profile (sums of w*y, w).

    Power is the chi-square improvement of a box over a constant, S^2 W / (W_in (W - W_in)) with
    S the in-box sum of w*y (y with zero weighted mean); only dips (S < 0) count.
    Returns (power, start bin, duration index).
    """
    p = profile.size
    dmax = dur_bins.max()
    cy = np.zeros(p + dmax + 1)
    cw = np.zeros(p + dmax + 1)
    for i in range(p + dmax):
        cy[i + 1] = cy[i] + profile[i % p].real
        cw[i + 1] = cw[i] + profile[i % p].imag
    best, best_i, best_d = 0.0, 0, 0
    for k in range(dur_bins.size):
        d = dur_bins[k]
        for i in range(p):
            s = cy[i + d] - cy[i]
            win = cw[i + d] - cw[i]
            v = s * s * w_total / (win * (w_total - win) + 1e-30) if s < 0 else 0.0
            if v > best:
                best, best_i, best_d = v, i, k
    return best, best_i, best_d


@njit(nogil=True, cache=True, fastmath=True, error_model="numpy")
def _box_power_max(profile, dur_bins, w_total, cy, cw, power):
    """The power of :func:`_box_power` only, in float32 and vectorised, using the work arrays
    ``cy``, ``cw`` (at least ``profile.size + max(dur_bins) + 1``) and ``power`` (at least
    ``profile.size``) reused for every profile.

    Each duration's powers are written to ``power`` by a branch-free loop with unsigned indices
    (so numba adds no negative-index fix-ups and LLVM vectorises it), then their maximum is taken
    over the bit patterns as int32: for floats >= 0 the integer order is the float order, and an
    integer max vectorises where numba's float ``max`` does not. A negative power (rounding of a
    box holding nearly all the weight) reads as a negative integer and is ignored, as a float
    ``max`` with 0 would."""
    p = profile.size
    acc_y, acc_w = np.float32(0), np.float32(0)
    cy[0], cw[0] = 0, 0
    for i in range(p):
        acc_y += profile[i].real
        acc_w += profile[i].imag
        cy[i + 1], cw[i + 1] = acc_y, acc_w
    for i in range(dur_bins.max()):
        acc_y += profile[i].real
        acc_w += profile[i].imag
        cy[p + i + 1], cw[p + i + 1] = acc_y, acc_w
    wt = np.float32(w_total)
    zero, tiny = np.float32(0), np.float32(1e-30)
    bits = power.view(np.int32)
    best = np.int32(0)
    for d in dur_bins:
        du = uint64(d)
        for j in range(uint64(p)):
            s = cy[j + du] - cy[j]
            s = s if s < zero else zero
            win = cw[j + du] - cw[j]
            power[j] = s * s / (win * (wt - win) + tiny)
        for j in range(uint64(p)):
            b = bits[j]
            best = b if b > best else best
    bits[0] = best  # back to the float32 it is the pattern of
    return np.float64(power[0]) * w_total


@njit(nogil=True, cache=True)
def _ffa_period(p, drift):
    """Period (bins) folded by the FFA profile whose rows drift by ``drift`` bins each: a pulse
    that wraps past the end of a row lands in the next one, so the drift per row is
    (P - p) * p / P, not P - p (the difference, drift**2 / p, is 0.1 % of P at p = 30)."""
    return p * p / (p - drift)


@njit(nogil=True, cache=True)
def _ffa_bls(binned, p_min, p_max, dur_bins, w_total):
    """Coarse search: periods (in bins) and best box power for every base period p_min..p_max."""
    n = binned.size
    total = 0
    for p in range(p_min, p_max + 1):
        total += (n + p - 1) // p
    periods = np.empty(total)
    power = np.empty(total)
    cy = np.empty(p_max + dur_bins.max() + 1, np.float32)
    cw, work = np.empty_like(cy), np.empty_like(cy)
    src = np.zeros(n + p_max, np.complex64)  # rows past the data stay zero: no weight
    src[:n] = binned
    dst, scratch = np.empty_like(src), np.empty_like(src)
    k = 0
    for p in range(p_min, p_max + 1):
        m = (n + p - 1) // p
        folded = dst[:m * p].reshape(m, p)
        _ffa(src[:m * p].reshape(m, p), folded, scratch[:m * p].reshape(m, p))
        for s in range(m):
            periods[k] = _ffa_period(p, s / (m - 1))
            power[k] = _box_power_max(folded[s], dur_bins, w_total, cy, cw, work)
            k += 1
    return periods, power


@njit(nogil=True, cache=True)
def _fold_bls(t, wy, w, periods, bin_days, dur_bins, w_total):
    """Classic binned BLS on unbinned points: best (power, start bin, duration index) per period."""
    out = np.empty((periods.size, 3))
    for k in range(periods.size):
        nb = int(math.ceil(periods[k] / bin_days))
        profile = np.zeros(nb, np.complex128)
        for i in range(t.size):
            j = int((t[i] % periods[k]) / bin_days)
            profile[j] += wy[i] + 1j * w[i]
        out[k, 0], out[k, 1], out[k, 2] = _box_power(profile, dur_bins, w_total)
    return out
