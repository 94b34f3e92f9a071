"""Single transits: a box matched filter over time for planets whose period is longer than the data
(one transit seen), with the depth, error and SNR of :func:`bls_search` (red-noise factor included)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._input import _clean
from .bls import DEFAULT_DURATIONS_DAYS, _box_stats, _red_noise_factor, _weights

_MIN_COVERAGE = 0.5  # of the cadences a box half should hold: no dip made of a gap's edge
_CANDIDATES = 50  # best boxes checked for a dip carried by more than one outlier


@dataclass
class SingleEvent:
    """Result of :func:`single_event_search` (times in days, depth in ppm of the relative flux)."""

    t0_days: float  #: mid-transit time
    duration_days: float
    depth_ppm: float
    depth_err_ppm: float  #: white-noise error times the red-noise factor on the duration's scale
    snr: float  #: depth / depth_err
    times_days: np.ndarray = field(repr=False)  #: box centres searched
    snr_series: np.ndarray = field(repr=False)  #: best box SNR over the durations at each centre

    def to_dict(self) -> dict:
        """The scalar results, e.g. for one row of a table."""
        return {k: v for k, v in self.__dict__.items() if k not in ("times_days", "snr_series")}


def single_event_search(time, flux, flux_err=None, *, durations_days=DEFAULT_DURATIONS_DAYS,
                        oversample: float = 3.0) -> SingleEvent:
    """Search a (detrended) light curve for its most significant single box-shaped dip.

    Every box of the trial durations, centred every ``min(durations) / oversample`` days, is
    compared with the rest of the light curve as :func:`bls_search` compares its in-transit points
    (the box's SNR is its depth over the white-noise error times the red-noise factor of the light
    curve on the box's time scale). A box must have at least half the cadences it would hold
    without gaps in each of its halves, so that a gap's edge or a partly seen dip does not pass for
    a transit, and its median must lie at least half its depth below the mean flux, so that one
    outlier does not either.

    Parameters
    ----------
    time, flux, flux_err : array-like
        The light curve, as :func:`bls_search` takes it.
    durations_days : array-like
        Transit durations to try.
    oversample : float
        Box centres per shortest duration.

    Returns
    -------
    SingleEvent
        The best dip; its ``snr`` says whether it is a detection (compare with the threshold of the
        periodic search, e.g. 7.1).

    Examples
    --------
    >>> t = np.arange(0, 60, 0.02)
    >>> noise = 3e-4 * np.random.default_rng(1).standard_normal(t.size)
    >>> e = single_event_search(t, 1 - 2e-3 * (np.abs(t - 41.3) < 0.1) + noise)
    >>> round(e.t0_days, 1), round(e.depth_ppm, -3), e.snr > 20
    (41.3, 2000.0, True)
    """
    t, f, e = _clean(time, flux, flux_err)
    durations = np.unique(np.atleast_1d(np.asarray(durations_days, float)))
    if durations.min() <= 0:
        raise ValueError(f"durations must be positive, got {durations.min():.3g} d")
    good, y, w = _weights(f, e)
    t, y, w = t[good], y[good], w[good]
    cadence = float(np.median(np.diff(t)))
    centres = np.arange(t[0], t[-1], durations.min() / oversample)
    cw, cy = np.r_[0, np.cumsum(w)], np.r_[0, np.cumsum(w * y)]
    w_total = cw[-1]
    mid = np.searchsorted(t, centres)
    best_snr = np.zeros(centres.size)
    candidates = []
    for d in durations:
        lo, hi = np.searchsorted(t, centres - d / 2), np.searchsorted(t, centres + d / 2)
        expected_half = 0.5 * d / cadence
        covered = ((mid - lo) >= _MIN_COVERAGE * expected_half) & ((hi - mid) >= _MIN_COVERAGE * expected_half)
        w_in, s = cw[hi] - cw[lo], cy[hi] - cy[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            snr = -s * np.sqrt(1 / w_in + 1 / (w_total - w_in)) / _red_noise_factor(t, y, w, d)
        snr = np.where(covered & (w_in > 0) & (w_in < w_total), snr, 0.0)
        best_snr = np.maximum(best_snr, snr)
        top = np.argsort(snr)[::-1][:_CANDIDATES]
        candidates += [(snr[k], centres[k], d, lo[k], hi[k]) for k in top if snr[k] > 0]
    not_one_outlier = (  # the box's median at least half its mean depth below the mean
        (c, d) for _, c, d, lo, hi in sorted(candidates, key=lambda c: -c[0])
        if -np.median(y[lo:hi]) >= 0.5 * -np.sum(w[lo:hi] * y[lo:hi]) / np.sum(w[lo:hi]))
    # no dip at all: the middle of the data, SNR ~ 0
    centre, d = next(not_one_outlier, (t[0] + (t[-1] - t[0]) / 2, durations.min()))
    # one epoch only: a period longer than twice the span puts every other point out of transit
    period = 4 * (t[-1] - t[0]) + 4 * durations.max()
    step = durations.min() / oversample
    trials = [(c, dd) for c in centre + step * np.linspace(-1, 1, 13) for dd in d * np.geomspace(0.7, 1.4, 9)]
    stats = [_box_stats(t, y, w, period, c, dd) for c, dd in trials]
    k = int(np.argmax([snr for _, _, snr, _ in stats]))
    (centre, d), (depth_ppm, err_ppm, snr, _) = trials[k], stats[k]
    return SingleEvent(float(centre), float(d), depth_ppm, err_ppm, snr, times_days=centres, snr_series=best_snr)
