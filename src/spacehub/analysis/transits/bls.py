"""Box-least-squares search over the trial periods of the fast folding algorithm, refined on the
unbinned data; depth, SNR (with a red-noise factor) and number of transits of a box ephemeris."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._input import _clean, _robust_std
from .bls_kernels import _bin_uniform, _box_power, _ffa_bls, _ffa_period, _fold_bls
from .fold import fold

# 2-10 h: a central transit of a Sun-like star lasts 13 h * (P / 365 d)**(1/3), 6.7 h at 50 d
DEFAULT_DURATIONS_DAYS = np.array([2, 3, 4.5, 6.75, 10.0]) / 24
_FINE_SUBSTEPS = 12  # refinement: period steps per coarse grid step, and bins per shortest duration


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
        raise ValueError(f"the light curve spans {baseline:.6g} d, too short to see two transits at "
                         f"max_period_days={max_period_days}; lower max_period_days to <= "
                         f"{longest_period(baseline):g} (a single transit: single_event_search)")
    if durations.min() <= 0 or durations.max() >= min_period_days:
        raise ValueError(f"durations must lie in (0, min_period_days={min_period_days}) d, "
                         f"got {durations.min():.3g}..{durations.max():.3g} d")


def longest_period(baseline_days: float) -> float:
    """The longest ``max_period_days`` a light curve spanning ``baseline_days`` takes: half the span,
    rounded *down* to 4 significant digits (rounded to nearest, 277.95 d would suggest 139, which
    is refused).

    Examples
    --------
    >>> longest_period(277.95), longest_period(1459.49)
    (138.9, 729.7)
    """
    if not baseline_days > 0:
        return 0.0
    half = baseline_days / 2
    scale = 10.0 ** (math.floor(math.log10(half)) - 3)
    return math.floor(half / scale) * scale


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
    >>> t = np.arange(0, 90, 0.02)
    >>> noise = 3e-4 * np.random.default_rng(1).standard_normal(t.size)
    >>> r = bls_search(t, 1 - 2e-3 * (np.abs(fold(t, 3.2, 0.5)) < 0.07) + noise, min_period_days=1, max_period_days=10)
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


def _box_stats(t, y, w, period, t0, duration) -> tuple[float, float, float, int]:
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
