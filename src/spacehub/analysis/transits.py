"""Exoplanet transits in light curves: detrending, box-least-squares search, folding, batch search.

Light curves are ``time`` in days (BKJD/BTJD or any float day count; ``datetime64`` is turned into
JD), relative or absolute ``flux`` and optional ``flux_err`` and ``quality``, as plain arrays or
``xarray`` objects. The usual path is::

    flux_rel, trend = detrend(time, flux, quality=quality)
    result = bls_search(time, flux_rel, min_period_days=1, max_period_days=50)
    folded = binned_fold(time, flux_rel, result.period_days, result.t0_days, bin_days=0.01)

and, for thousands of stars on a Dask cluster, :func:`search_many`.

The search is box least squares (Kovacs, Zucker & Mazeh 2002) over the trial periods of the fast
folding algorithm (Staelin 1969; layout as in Morello et al. 2020, *riptide*): the light curve is
binned at ``min(durations) / oversample``, and every band of base periods ``[p, p + 1)`` bins is
folded at once with ``ceil(N / p)`` periods whose phase drift over the baseline differs by one bin,
the usual BLS grid criterion ``dP = P * bin / baseline`` (Ofir 2014). The best peak is then refined
on the unbinned data with a finer period, phase and duration grid. Signal-to-noise ratios assume
white noise with the given ``flux_err`` (or the robust scatter of the flux when it is missing).
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field

import numpy as np
from numba import njit, uint64

__all__ = [
    "KEPLER_CADENCE_DAYS", "DEFAULT_DURATIONS_DAYS", "TransitSearch", "detrend", "period_grid",
    "segments", "bls_search", "transit_stats", "fold", "binned_fold", "search_star", "search_many", "trapezoid_transit",
    "kepler_like_lightcurve",
]

KEPLER_CADENCE_DAYS = 29.4243814 / 1440  # Kepler long cadence
# 2-10 h: a central transit of a Sun-like star lasts 13 h * (P / 365 d)**(1/3), 6.7 h at 50 d
DEFAULT_DURATIONS_DAYS = np.array([2, 3, 4.5, 6.75, 10.0]) / 24
KEPLER_THRESHOLD_SNR = 7.1  # the Kepler pipeline's detection threshold (Jenkins et al. 2010)
BATCHES_PER_THREAD = 16  # search_many on a cluster: default batches per worker thread
_FINE_SUBSTEPS = 12  # refinement: period steps per coarse grid step, and bins per shortest duration


# -- input --------------------------------------------------------------------------------------

def _days(time) -> np.ndarray:
    t = np.asarray(time)
    if np.issubdtype(t.dtype, np.datetime64):
        return (t - np.datetime64("1970-01-01T00:00", "ns")) / np.timedelta64(1, "D") + 2440587.5
    return t.astype(np.float64)


def _clean(time, flux, flux_err=None, quality=None, quality_bitmask: int = -1):
    """Days, flux and errors as float64 with flagged or non-finite points set to NaN; checks order."""
    t = _days(time)
    f = np.array(flux, dtype=np.float64)
    if t.shape != f.shape or t.ndim != 1:
        raise ValueError(f"time and flux must be 1-d arrays of one length, got {t.shape} and {f.shape}")
    e = np.full_like(f, np.nan) if flux_err is None else np.array(flux_err, dtype=np.float64)
    if quality is not None:
        f[(np.asarray(quality).astype(np.int64) & quality_bitmask) != 0] = np.nan
    f[~np.isfinite(t)] = np.nan
    if not np.isfinite(f).any():
        raise ValueError("the light curve has no finite flux (all NaN or quality-flagged); "
                         "check the quality_bitmask or the flux column")
    if np.any(np.diff(t[np.isfinite(t)]) <= 0):
        raise ValueError("time must be strictly increasing; sort the light curve first "
                         "(order = np.argsort(time)) and drop repeated time stamps")
    return t, f, e


def _robust_std(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return 1.4826 * float(np.median(np.abs(x - np.median(x))))


# -- detrending ---------------------------------------------------------------------------------

def segments(time, gap_days: float = 0.5) -> np.ndarray:
    """Segment number of each point: a new segment starts after every gap longer than ``gap_days``.

    Quarter boundaries, monthly downlinks and safe modes of Kepler all leave such gaps; a sliding
    filter that spans one would mix data taken under different pointing and thermal conditions.

    Examples
    --------
    >>> segments([0.0, 0.02, 0.04, 3.0, 3.02]).tolist()
    [0, 0, 0, 1, 1]
    """
    t = _days(time)
    return np.concatenate([[0], np.cumsum(np.diff(t) > gap_days)])


@njit(nogil=True, cache=True)
def _biweight(x, loc, c, iterations):
    for _ in range(iterations):
        mad = np.median(np.abs(x - loc))
        if mad == 0:
            break
        u = (x - loc) / (c * mad)
        w = np.where(np.abs(u) < 1, (1 - u * u) ** 2, 0.0)
        loc = np.sum(w * x) / np.sum(w)
    return loc


@njit(nogil=True, cache=True)
def _sliding_location(t, f, use, seg, first, last, half_window, biweight_iterations):
    """Median (then Tukey biweight, c = 5) of the flux where ``use`` in a window centred on each
    point with finite flux.

    The window stays inside the point's segment (finite data from ``first`` to ``last``) and
    shrinks symmetrically near its ends: a one-sided window would lag behind the slope of stellar
    variability and bend every segment edge the same way, a dip that repeats with the downlinks.
    """
    n = t.size
    trend = np.full(n, np.nan)
    buf = np.empty(n)
    lo, hi = 0, 0
    for i in range(n):
        if not np.isfinite(f[i]):
            continue
        h = max(0.0, min(half_window, t[i] - first[i], last[i] - t[i]))
        while lo < i and (t[lo] < t[i] - h or seg[lo] != seg[i]):
            lo += 1
        hi = max(hi, i)
        while hi + 1 < n and t[hi + 1] <= t[i] + h and seg[hi + 1] == seg[i]:
            hi += 1
        k = 0
        for j in range(lo, hi + 1):
            if use[j]:
                buf[k] = f[j]
                k += 1
        if k == 0:
            continue
        window = buf[:k]
        trend[i] = _biweight(window, np.median(window), 5.0, biweight_iterations)
    return trend


def detrend(time, flux, quality=None, *, window_days: float = 1.0, gap_days: float = 0.5,
            edge_cut_days: float = 0.25, method: str = "median", upper_clip_sigma: float | None = 5.0,
            quality_bitmask: int = -1, transit_mask=None):
    """Divide out stellar variability and instrument trends with a sliding robust location.

    Parameters
    ----------
    time, flux : array-like or xarray.DataArray
        Time in days (strictly increasing) and flux in any units.
    quality : array-like of int, optional
        Quality flags; points with ``quality & quality_bitmask`` set are masked (NaN in the output).
    window_days : float
        Full width of the sliding window; make it at least 3x the longest transit duration searched,
        so that a transit barely pulls the trend down (Hippke et al. 2019).
    gap_days : float
        Windows never cross a gap longer than this (see :func:`segments`).
    edge_cut_days : float
        Points this close after the start of a segment are masked: thermal settling after a
        downlink or safe mode bends the flux faster than a window can follow, and such edges
        recur every month in Kepler data (a false 31-day "transit" otherwise).
    method : {"median", "biweight"}
        Plain median, or Tukey biweight location (c = 5, three iterations from the median; about
        4x slower, slightly less biased by a transit inside the window).
    upper_clip_sigma : float or None
        Points this many robust standard deviations above the trend (flares, cosmic rays) become NaN.
    transit_mask : array-like of bool, optional
        Points left out of the trend (but kept in the output), e.g. ``abs(fold(...)) < duration``
        of a known or detected planet. A transit inside the window pulls the median down by about
        the transit's share of the window times its depth; masking it removes that bias.

    Returns
    -------
    flux_rel, trend : numpy.ndarray
        Relative flux ``flux / trend`` (1 = out of transit; NaN where masked) and the trend.

    Examples
    --------
    >>> t = np.arange(0, 10, 0.02)
    >>> flux_rel, trend = detrend(t, 1000 * (1 + 0.01 * np.sin(t)), window_days=0.5)
    >>> bool(np.nanmax(np.abs(flux_rel - 1)) < 1e-4)
    True
    """
    if method not in ("biweight", "median"):
        raise ValueError(f"method must be 'biweight' or 'median', got {method!r}")
    t, f, _ = _clean(time, flux, quality=quality, quality_bitmask=quality_bitmask)
    seg = segments(t, gap_days)
    f[t - t[np.searchsorted(seg, seg)] < edge_cut_days] = np.nan
    use = np.isfinite(f) & (True if transit_mask is None else ~np.asarray(transit_mask, bool))
    first, last = np.full(seg[-1] + 1, np.inf), np.full(seg[-1] + 1, -np.inf)
    np.minimum.at(first, seg[use], t[use])
    np.maximum.at(last, seg[use], t[use])
    trend = _sliding_location(t, f, use, seg, first[seg], last[seg], window_days / 2,
                              3 if method == "biweight" else 0)
    flux_rel = f / trend
    if upper_clip_sigma is not None:
        flux_rel[flux_rel - 1 > upper_clip_sigma * _robust_std(flux_rel - 1)] = np.nan
    return flux_rel, trend


# -- box least squares: kernels -----------------------------------------------------------------

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


# -- box least squares: driver ------------------------------------------------------------------

@dataclass
class TransitSearch:
    """Result of :func:`bls_search` (times in days, depth in ppm of the relative flux)."""

    period_days: float
    t0_days: float  #: mid-transit time of the epoch nearest the middle of the data
    duration_days: float
    depth_ppm: float
    depth_err_ppm: float  #: white-noise error times the red-noise factor on the duration's scale
    snr: float  #: depth / depth_err
    n_transits: int  #: transits with at least one in-transit point
    periods_days: np.ndarray = field(repr=False)  #: trial periods of the coarse search
    power: np.ndarray = field(repr=False)  #: chi-square improvement; sqrt(power) is the box SNR

    def to_dict(self) -> dict:
        """The scalar results, e.g. for one row of a table."""
        return {k: v for k, v in self.__dict__.items() if k not in ("periods_days", "power")}


def _check_range(baseline, min_period_days, max_period_days, durations):
    if not 0 < min_period_days < max_period_days:
        raise ValueError(f"need 0 < min_period_days < max_period_days, got {min_period_days}, {max_period_days}")
    if baseline < 2 * max_period_days:
        raise ValueError(f"the light curve spans {baseline:.3g} d, too short to see two transits at "
                         f"max_period_days={max_period_days}; lower max_period_days to <= {baseline / 2:.3g}")
    if durations.min() <= 0 or durations.max() >= min_period_days:
        raise ValueError(f"durations must lie in (0, min_period_days={min_period_days}) d, "
                         f"got {durations.min():.3g}..{durations.max():.3g} d")


def period_grid(baseline_days: float, min_period_days: float, max_period_days: float,
                durations_days=DEFAULT_DURATIONS_DAYS, oversample: float = 2.0) -> np.ndarray:
    """The trial periods that :func:`bls_search` uses, in days.

    The bin is ``min(durations) / oversample``; from base period ``p`` to about ``p + 1`` bins
    there are ``m = ceil(N / p)`` periods (``N = baseline / bin``), so the phase drift across the
    baseline changes by one bin (``m / (m - 1)`` at most) from one period to the next:
    ``dP ~ P * bin / baseline``.

    Examples
    --------
    >>> periods = period_grid(1460, 1, 50, durations_days=[2 / 24], oversample=2)
    >>> len(periods) > 100_000, bool(abs(periods[0] - 1) < 1 / 24)
    (True, True)
    """
    durations = np.atleast_1d(np.asarray(durations_days, float))
    bin_days = durations.min() / oversample
    n = int(baseline_days / bin_days) + 1
    p_min, p_max = int(min_period_days / bin_days), int(math.ceil(max_period_days / bin_days))
    m = (n + np.arange(p_min, p_max + 1) - 1) // np.arange(p_min, p_max + 1)
    periods = np.concatenate([_ffa_period(p, np.arange(k) / (k - 1)) for p, k in zip(range(p_min, p_max + 1), m)])
    return np.sort(periods) * bin_days


def _weights(f, e):
    good = np.isfinite(f)
    sigma = np.where(np.isfinite(e) & (e > 0), e, _robust_std(f))
    if not (sigma[good] > 0).all():
        raise ValueError("the flux has no scatter and no flux_err was given: cannot weight the points; "
                         "pass flux_err")
    w = np.where(good, 1 / sigma ** 2, 0.0)
    y = np.where(good, f, 0.0)
    y -= np.sum(w * y) / np.sum(w)
    return good, y, w


def bls_search(time, flux, flux_err=None, *, min_period_days: float = 1.0, max_period_days: float = 50.0,
               durations_days=DEFAULT_DURATIONS_DAYS, oversample: float = 2.0, refine: bool = True) -> TransitSearch:
    """Search a (detrended) light curve for periodic box-shaped dips.

    Parameters
    ----------
    time, flux : array-like
        Time in days, strictly increasing; relative flux (e.g. from :func:`detrend`). NaN is skipped.
    flux_err : array-like, optional
        Flux errors; the robust scatter of ``flux`` when missing.
    min_period_days, max_period_days : float
        Period range; the data must span at least ``2 * max_period_days``.
    durations_days : array-like
        Transit durations to try, each shorter than ``min_period_days``.
    oversample : float
        Bins per shortest duration in the coarse search (2 loses at most ~25 % of a box's SNR to
        binning before the refinement recovers it; 3 is safer for weak, short transits).
    refine : bool
        Refine the best peak on the unbinned data (period steps 1/12 of the coarse grid, phase bins
        1/12 of the shortest duration, durations within a factor 1.6 of the coarse best).

    Returns
    -------
    TransitSearch

    Examples
    --------
    >>> lc = kepler_like_lightcurve(1, years=0.5, period_days=3.2, depth_ppm=2000, duration_days=0.15)
    >>> r = bls_search(lc.time, lc.flux / lc.flux.median(), min_period_days=1, max_period_days=10)
    >>> round(r.period_days, 2)
    3.2
    """
    t, f, e = _clean(time, flux, flux_err)
    durations = np.atleast_1d(np.asarray(durations_days, float))
    finite_t = t[np.isfinite(f)]
    _check_range(finite_t[-1] - finite_t[0], min_period_days, max_period_days, durations)
    good, y, w = _weights(f, e)
    t, y, w = t[good], y[good], w[good]
    baseline = t[-1] - t[0]
    bin_days = durations.min() / oversample
    w_scale = w.mean()  # the kernels work in float32 on weights of order 1
    binned = _bin_uniform(t, y * w / w_scale, w / w_scale, t[0], bin_days, int(baseline / bin_days) + 1)
    dur_bins = np.unique(np.maximum(1, np.round(durations / bin_days))).astype(np.int64)
    p_min, p_max = int(min_period_days / bin_days), int(math.ceil(max_period_days / bin_days))
    periods, power = _ffa_bls(binned, p_min, p_max, dur_bins, np.float64(binned.imag.sum()))
    order = np.argsort(periods)  # neighbouring bands overlap a little
    periods, power = periods[order] * bin_days, power[order] * w_scale
    best = int(np.argmax(power))
    coarse_step = bin_days / max(1, baseline / periods[best] - 1)
    if refine:
        trial = periods[best] + coarse_step * np.arange(-3 * _FINE_SUBSTEPS, 3 * _FINE_SUBSTEPS + 1) / _FINE_SUBSTEPS
        fine_bin = durations.min() / _FINE_SUBSTEPS
        duration_c = dur_bins[_box_power(_coarse_profile(binned, periods[best] / bin_days), dur_bins,
                                         binned.imag.sum())[2]] * bin_days
        fine = np.geomspace(duration_c / 1.6, min(duration_c * 1.6, durations.max() * 1.25, min_period_days / 2), 15)
        fine_durs = np.unique(np.round(fine / fine_bin)).astype(np.int64)
    else:
        trial, fine_bin = periods[best:best + 1], bin_days / 4
        fine_durs = np.unique(np.round(durations / fine_bin)).astype(np.int64)
    fits = _fold_bls(t - t[0], y * w, w, trial, fine_bin, fine_durs, w.sum())
    k = int(np.argmax(fits[:, 0]))
    period, duration = trial[k], fine_durs[int(fits[k, 2])] * fine_bin
    t0 = t[0] + (fits[k, 1] * fine_bin + duration / 2) % period
    t0 += period * np.round((0.5 * (t[0] + t[-1]) - t0) / period)
    return TransitSearch(float(period), float(t0), float(duration), *_box_stats(t, y, w, period, t0, duration),
                         periods_days=periods, power=power)


def _coarse_profile(binned, period_bins):
    """Fold of the binned data (sums of w*y, w) at one period given in bins."""
    idx = (np.arange(binned.size) % period_bins).astype(np.int64)
    nb = int(math.ceil(period_bins))
    return np.bincount(idx, binned.real, nb) + 1j * np.bincount(idx, binned.imag, nb)


def transit_stats(time, flux, flux_err=None, *, period_days: float, t0_days: float, duration_days: float) -> dict:
    """Depth (ppm) and its error, SNR and number of transits of a box with a given ephemeris.

    Examples
    --------
    >>> t = np.arange(0, 30, 0.02)
    >>> f = 1 - 1e-3 * (np.abs(fold(t, 3.0, 1.0)) < 0.05) + 1e-4 * np.random.default_rng(0).normal(size=t.size)
    >>> round(transit_stats(t, f, period_days=3.0, t0_days=1.0, duration_days=0.1)["depth_ppm"], -1)
    1000.0
    """
    t, f, e = _clean(time, flux, flux_err)
    good, y, w = _weights(f, e)
    values = _box_stats(t[good], y[good], w[good], period_days, t0_days, duration_days)
    return dict(zip(("depth_ppm", "depth_err_ppm", "snr", "n_transits"), values))


def _box_stats(t, y, w, period, t0, duration):
    """Depth and error (ppm), SNR and number of transits of the box (period, t0, duration).

    The error is the white-noise one times the red-noise factor of the out-of-transit flux on
    the transit's time scale, so that correlated noise does not pass for a significant dip.
    """
    inside = np.abs(fold(t, period, t0)) < duration / 2
    w_in, w_out = w[inside].sum(), w[~inside].sum()
    if w_in == 0:
        return 0.0, np.inf, 0.0, 0
    depth = np.sum(w[~inside] * y[~inside]) / w_out - np.sum(w[inside] * y[inside]) / w_in
    err = math.sqrt(1 / w_in + 1 / w_out) * _red_noise_factor(t[~inside], y[~inside], w[~inside], duration)
    n_transits = np.unique(np.round((t[inside] - t0) / period)).size
    return float(1e6 * depth), float(1e6 * err), float(depth / err), int(n_transits)


def _red_noise_factor(t, y, w, duration):
    """beta of Pont, Zucker & Queloz (2006), measured against the weights: the scatter of the
    weighted means over ``duration``, each in units of its own expected error ``1 / sqrt(sum w)``.

    It is 1 when the weights describe the noise and the noise is white; it grows with correlated
    noise and with errors that understate the scatter (as photometric ``flux_err`` often does), so
    either makes the depth error larger, never smaller (beta is at least 1). With weights from the
    robust scatter (no ``flux_err``) this is the usual ratio of binned to white-noise scatter."""
    idx = ((t - t[0]) / duration).astype(np.int64)
    counts = np.bincount(idx)
    full = counts >= 0.8 * np.median(counts[counts > 0])
    w_bin = np.bincount(idx, w)[full]
    z = np.bincount(idx, w * y)[full] / np.sqrt(w_bin)  # weighted mean / its white-noise error
    return max(1.0, _robust_std(z))


# -- folding ------------------------------------------------------------------------------------

def fold(time, period_days: float, t0_days: float) -> np.ndarray:
    """Time from the nearest mid-transit, in days, in ``[-period / 2, period / 2)``.

    Examples
    --------
    >>> fold([10.0, 10.9, 12.6], period_days=1.0, t0_days=0.5).round(2).tolist()
    [-0.5, 0.4, 0.1]
    """
    return (_days(time) - t0_days + period_days / 2) % period_days - period_days / 2


def binned_fold(time, flux, period_days: float, t0_days: float, bin_days: float, flux_err=None):
    """Folded light curve averaged in phase bins, for plots.

    Returns
    -------
    xarray.Dataset
        Coordinate ``phase_days`` (bin centres, 0 = mid-transit); ``flux`` (mean), ``flux_err``
        (standard error of the mean, or propagated ``flux_err``) and ``count`` per bin.

    Examples
    --------
    >>> t = np.arange(0, 30, 0.02)
    >>> f = 1 - 0.01 * (np.abs(fold(t, 3.0, 1.0)) < 0.05)
    >>> ds = binned_fold(t, f, 3.0, 1.0, bin_days=0.05)
    >>> round(float(ds.flux.sel(phase_days=0, method="nearest")), 6)
    0.99
    """
    import xarray as xr

    t, f, e = _clean(time, flux, flux_err)
    good = np.isfinite(f)
    phase, f, e = fold(t[good], period_days, t0_days), f[good], e[good]
    edges = np.arange(-period_days / 2, period_days / 2 + bin_days, bin_days)
    idx = np.clip(np.digitize(phase, edges) - 1, 0, edges.size - 2)
    count = np.bincount(idx, minlength=edges.size - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(idx, f, edges.size - 1) / count
        if flux_err is None:
            var = np.bincount(idx, (f - mean[idx]) ** 2, edges.size - 1) / (count - 1) / count
        else:
            var = np.bincount(idx, e ** 2, edges.size - 1) / count ** 2
    centres = 0.5 * (edges[1:] + edges[:-1])
    return xr.Dataset(
        {"flux": ("phase_days", mean), "flux_err": ("phase_days", np.sqrt(var)), "count": ("phase_days", count)},
        coords={"phase_days": ("phase_days", centres, {"units": "d"})},
        attrs={"period_days": period_days, "t0_days": t0_days},
    )


# -- many stars ---------------------------------------------------------------------------------

def _unpack(lc):
    """(time, flux, flux_err, quality) from a tuple or an xarray.Dataset with those variables."""
    if hasattr(lc, "data_vars"):
        get = lambda name: lc[name].values if name in lc.variables else None  # noqa: E731
        return get("time"), get("flux"), get("flux_err"), get("quality")
    return tuple(lc) + (None,) * (4 - len(lc))


def search_star(lc, *, window_days: float | None = None, snr_threshold: float = KEPLER_THRESHOLD_SNR,
                **search_kw) -> dict:
    """Detrend and search one light curve; one row of :func:`search_many` (errors become flags).

    Examples
    --------
    >>> lc = kepler_like_lightcurve(3, years=0.5, period_days=2.5, depth_ppm=3000, duration_days=0.12)
    >>> row = search_star(lc, max_period_days=10)
    >>> row["flags"], round(row["period_days"], 1)
    ('detected', 2.5)
    """
    start = _time.perf_counter()
    time, flux, flux_err, quality = _unpack(lc)
    durations = np.atleast_1d(search_kw.get("durations_days", DEFAULT_DURATIONS_DAYS))
    window_days = window_days or 3 * float(np.max(durations))
    try:
        flux_rel, trend = detrend(time, flux, quality, window_days=window_days)
        err = None if flux_err is None else np.asarray(flux_err, float) / trend
        row = bls_search(time, flux_rel, err, **search_kw).to_dict()
        if row["snr"] >= snr_threshold:  # measure again on a trend that the transits did not pull down
            ephemeris = {k: row[k] for k in ("period_days", "t0_days", "duration_days")}
            in_transit = np.abs(fold(time, row["period_days"], row["t0_days"])) < row["duration_days"]
            flux_rel, trend = detrend(time, flux, quality, window_days=window_days, transit_mask=in_transit)
            err = None if flux_err is None else np.asarray(flux_err, float) / trend
            row.update(transit_stats(time, flux_rel, err, **ephemeris))
        flags = ["detected" if row["snr"] >= snr_threshold else "below_threshold"]
        if row["n_transits"] < 3:
            flags.append("few_transits")
        row["flags"] = ",".join(flags)
    except ValueError as e:
        row = {"flags": f"error: {e}"}
    row["seconds"] = _time.perf_counter() - start
    return row


def _search_batch(items, loader, kw):
    rows = []
    for star_id, lc in items:
        rows.append({"star_id": star_id, **search_star(loader(star_id) if loader else lc, **kw)})
    return rows


def search_many(lightcurves, client=None, progress: bool = True, *, star_ids=None, batch_size: int | None = None,
                **kw):
    """Detrend and search many light curves, on a Dask cluster when ``client`` is given.

    Parameters
    ----------
    lightcurves : mapping, iterable of (star_id, lc), or callable
        Light curves (``(time, flux[, flux_err[, quality]])`` tuples or ``xarray.Dataset`` with those
        variables) by star id; or a *loader* ``lc = loader(star_id)`` called where the search runs
        (on the workers), with the ids in ``star_ids``: the data then never passes through the client.
    client : distributed.Client, optional
        E.g. ``GatewayCluster().get_client()``. Stars go to the workers in batches of ``batch_size``
        (default: about 16 batches per worker thread, at most 50 stars each): a batch of a few stars
        takes seconds, against milliseconds of scheduling, and the threads finish within a small
        batch of each other. Results stream back as batches finish. Without a client
        the stars are searched here, one after another.
    progress : bool
        Show a tqdm progress bar counting stars.
    **kw
        ``window_days`` and ``snr_threshold`` of :func:`search_star`, and the arguments of
        :func:`bls_search`.

    Returns
    -------
    pandas.DataFrame
        One row per star in input order: ``star_id``, ``period_days``, ``t0_days``,
        ``duration_days``, ``depth_ppm``, ``depth_err_ppm``, ``snr``, ``n_transits``, ``flags``
        (``detected`` when ``snr >= snr_threshold``, else ``below_threshold``; ``few_transits``;
        ``error: ...`` for unusable light curves) and ``seconds`` spent on the star.

    Examples
    --------
    >>> load = lambda i: kepler_like_lightcurve(i, years=0.5, period_days=2 + i, depth_ppm=3000)
    >>> table = search_many(load, star_ids=[0, 1], progress=False, max_period_days=10)
    >>> table.period_days.round(1).tolist()
    [2.0, 3.0]
    """
    import pandas as pd
    from tqdm.auto import tqdm

    if callable(lightcurves):
        if star_ids is None:
            raise ValueError("a loader needs the star ids: search_many(loader, star_ids=[...])")
        items, loader = [(i, None) for i in star_ids], lightcurves
    else:
        items = list(lightcurves.items() if hasattr(lightcurves, "items") else lightcurves)
        loader = None
    rows = []
    with tqdm(total=len(items), unit="star", disable=not progress) as bar:
        if client is None:
            for item in items:
                rows.extend(_search_batch([item], loader, kw))
                bar.update(1)
        else:
            rows = _search_on_cluster(client, items, loader, kw, batch_size, bar)
    order = {star_id: k for k, (star_id, _) in enumerate(items)}
    return pd.DataFrame(rows).sort_values("star_id", key=lambda s: s.map(order)).reset_index(drop=True)


def _search_on_cluster(client, items, loader, kw, batch_size, bar):
    from distributed import as_completed

    threads = max(1, sum(client.nthreads().values()))
    # many small batches: the last round leaves a thread idle for at most one small batch
    size = batch_size or max(1, min(50, math.ceil(len(items) / (BATCHES_PER_THREAD * threads))))
    batches = [items[i:i + size] for i in range(0, len(items), size)]
    futures = [client.submit(_search_batch, b, loader, kw, pure=False) for b in batches]
    rows = []
    for future in as_completed(futures):
        batch = future.result()
        rows.extend(batch)
        bar.update(len(batch))
        future.release()
    return rows


# -- synthetic Kepler-like light curves ---------------------------------------------------------

def _kepler_gaps(t, rng):
    """Mask of the cadences Kepler would have returned: quarterly rolls (93 d) and monthly
    downlinks (31 d) with thermal settling after each, and a few multi-day safe modes."""
    keep = np.ones(t.size, bool)
    span = t[-1] - t[0]
    for start in np.arange(31.0, span, 31.0):
        quarterly = round(start / 31.0) % 3 == 0
        keep &= ~((t - t[0] >= start) & (t - t[0] < start + (3.0 if quarterly else 2.0)))
    for _ in range(rng.poisson(span / 365.25)):
        start = rng.uniform(0, span)
        keep &= ~((t - t[0] >= start) & (t - t[0] < start + rng.uniform(2, 8)))
    return keep


def trapezoid_transit(time, period_days, t0_days, duration_days, ingress_fraction=0.15):
    """Transit shape, 0 outside and 1 at full depth, with linear ingress and egress.

    Examples
    --------
    >>> trapezoid_transit([0.0, 0.045, 0.2], 1.0, 0.0, 0.1, ingress_fraction=0.1).round(2).tolist()
    [1.0, 0.5, 0.0]
    """
    x = np.abs(fold(time, period_days, t0_days))
    ingress = ingress_fraction * duration_days
    return np.clip((duration_days / 2 - x) / ingress, 0, 1)


def kepler_like_lightcurve(seed: int, *, years: float = 4.0, period_days: float | None = None,
                           t0_days: float | None = None, duration_days: float | None = None,
                           depth_ppm: float | None = None, snr: float | None = None,
                           ingress_fraction: float = 0.15, noise_ppm: float | None = None):
    """A seeded synthetic Kepler long-cadence light curve, optionally with a transiting planet.

    29.4-min cadence from BKJD 131.5 with Kepler's gaps (see ``_kepler_gaps``; 4 years leave about
    65,000 points), a flux level per quarter, thermal ramps after gaps, rotational variability
    (period 10-40 d, 0.01-0.1 %), red noise (AR(1), 0.1-0.5 d, 20-50 % of the white level), white
    noise (``noise_ppm``, else 50-400 ppm) and ~1 % quality-flagged outliers (momentum dumps,
    cosmic rays). A trapezoid transit (ingress and egress each ``ingress_fraction`` of the
    duration) is injected when ``depth_ppm`` or ``snr`` is given; ``snr``
    sets the depth so that ``depth * sqrt(sum(shape**2)) / sigma = snr`` over the unflagged points,
    ``sigma`` being the per-point white + red noise. Unset planet parameters are drawn: period
    log-uniform 1-50 d, duration 13 h * (P / 365 d)**(1/3) * U(0.7, 1.3) clipped to 2-12 h.

    Returns
    -------
    xarray.Dataset
        ``flux``, ``flux_err`` (e-/s) and ``quality`` over ``time`` (BKJD days); the injected truth in
        attrs (``period_days``, ``t0_days``, ``duration_days``, ``depth_ppm``, ``snr_injected``,
        ``noise_ppm``).

    Examples
    --------
    >>> lc = kepler_like_lightcurve(0, period_days=10, snr=15)
    >>> 60_000 < lc.time.size < 70_000, lc.attrs["snr_injected"]
    (True, 15.0)
    """
    import xarray as xr

    rng = np.random.default_rng(seed)
    t = 131.5 + np.arange(int(years * 365.25 / KEPLER_CADENCE_DAYS)) * KEPLER_CADENCE_DAYS
    t = t[_kepler_gaps(t, rng)]
    white = (noise_ppm or np.exp(rng.uniform(np.log(50), np.log(400)))) * 1e-6
    red_tau, red_sigma = rng.uniform(0.1, 0.5), white * rng.uniform(0.2, 0.5)
    red = _ar1(t, red_tau, red_sigma, rng)
    p_rot, amp = rng.uniform(10, 40), np.exp(rng.uniform(np.log(1e-4), np.log(1e-3)))
    variability = amp * (np.sin(2 * np.pi * t / p_rot + rng.uniform(0, 6.3))
                         + 0.4 * np.sin(4 * np.pi * t / p_rot + rng.uniform(0, 6.3)))
    seg = segments(t, 0.5)
    seg_start = t[np.searchsorted(seg, seg)]
    ramp = -rng.uniform(1, 5) * white * np.exp(-(t - seg_start) / rng.uniform(0.1, 0.3))
    level = 1e5 * rng.uniform(0.97, 1.03, seg.max() + 1)[seg // 3]  # aperture changes with the roll
    truth = {"noise_ppm": 1e6 * math.hypot(white, red_sigma)}
    shape = np.zeros_like(t)
    if depth_ppm is not None or snr is not None:
        period = period_days or float(np.exp(rng.uniform(0, np.log(50))))
        duration = duration_days or float(np.clip(13 / 24 * (period / 365) ** (1 / 3) * rng.uniform(0.7, 1.3),
                                                  2 / 24, 12 / 24))
        t0 = float(t0_days if t0_days is not None else t[0] + rng.uniform(0, period))
        shape = trapezoid_transit(t, period, t0, duration, ingress_fraction)
        sigma = math.hypot(white, red_sigma)
        depth = depth_ppm * 1e-6 if depth_ppm is not None else snr * sigma / math.sqrt(np.sum(shape ** 2))
        shape *= depth
        truth.update(period_days=period, t0_days=t0, duration_days=duration, depth_ppm=1e6 * depth,
                     snr_injected=round(depth * math.sqrt(np.sum((shape / depth) ** 2)) / sigma, 6))
    flux = level * (1 + ramp + variability + red - shape + white * rng.standard_normal(t.size))
    quality = np.zeros(t.size, np.int32)
    dumps = rng.choice(t.size, t.size // 100, replace=False)
    quality[dumps] = 32  # reaction wheel desaturation: pointing jumps, flux off
    flux[dumps] *= 1 + rng.choice([-1, 1], dumps.size) * 20 * white
    return xr.Dataset(
        {"flux": ("time", flux, {"units": "e-/s"}), "flux_err": ("time", level * white, {"units": "e-/s"}),
         "quality": ("time", quality)},
        coords={"time": ("time", t, {"units": "d", "long_name": "BKJD"})}, attrs=truth)


def _ar1(t, tau_days, sigma, rng):
    """Red noise: an AR(1) (Ornstein-Uhlenbeck) process of correlation time tau and std sigma."""
    rho = np.exp(-np.diff(t, prepend=t[0]) / tau_days)
    innovations = rng.standard_normal(t.size) * sigma * np.sqrt(1 - rho ** 2)
    innovations[0] = rng.standard_normal() * sigma
    return _ar1_recursion(rho, innovations)


@njit(nogil=True, cache=True)
def _ar1_recursion(rho, innovations):
    x = np.empty_like(innovations)
    x[0] = innovations[0]
    for i in range(1, x.size):
        x[i] = rho[i] * x[i - 1] + innovations[i]
    return x
