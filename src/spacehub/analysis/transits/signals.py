"""Every transit signal of a light curve: periodic ones by box least squares, single transits by the
single-event search, each found one masked before the next search (multi-planet systems), and the
check that a periodic detection is not carried by one event."""

from __future__ import annotations

import math

import numpy as np

from ._input import _clean
from .bls import DEFAULT_DURATIONS_DAYS, _red_noise_factor, _weights, bls_search, longest_period
from .fold import fold
from .single import single_event_search

THRESHOLD_SNR = 7.1  # the Kepler pipeline's (Jenkins et al. 2010); batch.KEPLER_THRESHOLD_SNR
_ONE_EVENT_FRACTION = 0.5  # one event holding more of the in-transit signal than this carries it
_DEPTHS_P_VALUE = 1e-3  # events' depths this unlikely to be one depth plus noise are not one planet's
_MASK_DURATIONS = 1.5  # a found signal is masked over this many durations around each transit
# a transit lasts about P / pi * R_star / a, and R_star / a < 0.3 even on the closest orbits: a box
# longer than a tenth of its period is red noise or a trend left by the detrending, not a planet
_MAX_DUTY_CYCLE = 0.1
COLUMNS = ["kind", "period_days", "t0_days", "duration_days", "depth_ppm", "depth_err_ppm", "snr", "n_transits",
           "max_event_fraction", "depths_p_value", "carried_by_one_event"]


def event_stats(time, flux, flux_err=None, *, period_days: float, t0_days: float, duration_days: float) -> dict:
    """How the transits of a box ephemeris share its signal: whether one event carries it.

    Each transit's in-box sum of ``w * (flux - mean)`` is its part of the box's signal; its depth
    and error (white noise times the red-noise factor, as :func:`transit_stats`) test whether the
    transits share one depth (chi-square).

    Returns
    -------
    dict
        ``max_event_fraction`` (the largest share of the signal held by one transit; 1/n for n equal
        transits), ``depths_p_value`` (chance that depths this different come from one depth and the
        noise), ``carried_by_one_event`` (True when one transit of three or more holds more than half
        the signal, or two transits' depths differ at p < 0.001, or there is one transit: a single
        deep event, or single transits of different planets, not a periodic planet),
        ``event_depths_ppm`` and
        ``event_epochs`` (one per transit with data).

    Examples
    --------
    >>> t = np.arange(0, 40, 0.02)
    >>> noise = 1e-4 * np.random.default_rng(2).standard_normal(t.size)
    >>> even = 1 - 1e-3 * (np.abs(fold(t, 5.0, 1.0)) < 0.1)
    >>> event_stats(t, even + noise, period_days=5.0, t0_days=1.0, duration_days=0.2)["carried_by_one_event"]
    False
    >>> one_deep = even - 9e-3 * (np.abs(t - 21.0) < 0.1)
    >>> s = event_stats(t, one_deep + noise, period_days=5.0, t0_days=1.0, duration_days=0.2)
    >>> s["carried_by_one_event"], round(s["max_event_fraction"], 2)
    (True, 0.59)
    """
    t, f, e = _clean(time, flux, flux_err)
    good, y, w = _weights(f, e)
    t, y, w = t[good], y[good], w[good]
    phase = fold(t, period_days, t0_days)
    inside = np.abs(phase) < duration_days / 2
    epochs, index = np.unique(np.round((t[inside] - t0_days) / period_days).astype(np.int64), return_inverse=True)
    w_event = np.bincount(index, w[inside], epochs.size)
    s_event = np.bincount(index, w[inside] * y[inside], epochs.size)
    mean_out = np.sum(w[~inside] * y[~inside]) / np.sum(w[~inside])
    depths = mean_out - s_event / w_event
    errors = _red_noise_factor(t[~inside], y[~inside], w[~inside], duration_days) / np.sqrt(w_event)
    signal = s_event - mean_out * w_event  # each transit's part of the in-box deficit
    fraction = float(np.max(signal / signal.sum())) if epochs.size and signal.sum() < 0 else 1.0
    p_value = 1.0
    if epochs.size >= 2:
        from scipy.stats import chi2

        mean_depth = np.sum(depths / errors ** 2) / np.sum(errors ** -2)
        p_value = float(chi2.sf(np.sum(((depths - mean_depth) / errors) ** 2), epochs.size - 1))
    # with three transits or more, a share of the signal; with two, each holds about half of it and
    # only their depths tell one planet from two (not with more: the transits of other planets in the
    # data and red noise spread the depths of many transits more than their errors say)
    carried = bool(epochs.size < 2 or (epochs.size == 2 and p_value < _DEPTHS_P_VALUE)
                   or (epochs.size >= 3 and fraction > _ONE_EVENT_FRACTION))
    return {"max_event_fraction": fraction, "depths_p_value": p_value, "carried_by_one_event": carried,
            "event_depths_ppm": 1e6 * depths, "event_epochs": epochs}


def search_signals(time, flux, flux_err=None, *, min_period_days: float = 1.0, max_period_days: float = 50.0,
                   durations_days=DEFAULT_DURATIONS_DAYS, oversample: float = 2.0,
                   snr_threshold: float = THRESHOLD_SNR, max_signals: int = 6):
    """Every transit signal above ``snr_threshold``: periodic planets and single transits.

    Each round searches the light curve with :func:`bls_search` and :func:`single_event_search`.
    A periodic signal at or above the threshold that is not carried by one event (see
    :func:`event_stats`) and lasts at most a tenth of its period (a planet's transit does) is
    taken; otherwise the best single event, if it is at or above the threshold. The signal's
    transits are then masked (1.5 durations around each) and the search runs again, until nothing
    is left above the threshold or ``max_signals`` are found. So a deep single transit is reported
    as one and no longer drives a false period, two single transits of different planets are two
    single events, and the planets of a multi-planet system come one after another.
    ``max_period_days`` is lowered to half the light curve's span when it is longer (single
    transits cover the longer periods).

    Returns
    -------
    pandas.DataFrame
        One row per signal in the order found: ``kind`` (``"periodic"`` or ``"single"``),
        ``period_days`` (NaN for a single transit), ``t0_days``, ``duration_days``, ``depth_ppm``,
        ``depth_err_ppm``, ``snr``, ``n_transits``, and for periodic signals ``max_event_fraction``,
        ``depths_p_value`` and ``carried_by_one_event`` (False for every periodic row taken).

    Examples
    --------
    >>> t = np.arange(0, 60, 0.02)
    >>> noise = 2e-4 * np.random.default_rng(4).standard_normal(t.size)
    >>> flux = 1 - 1e-3 * (np.abs(fold(t, 3.3, 0.4)) < 0.08) - 4e-3 * (np.abs(t - 37.0) < 0.2) + noise
    >>> found = search_signals(t, flux, max_period_days=20)
    >>> found[["kind", "period_days", "t0_days"]].round(1).to_dict("records")
    [{'kind': 'single', 'period_days': nan, 't0_days': 37.0}, {'kind': 'periodic', 'period_days': 3.3, 't0_days': 30.1}]
    """
    import pandas as pd

    t, f, e = _clean(time, flux, flux_err)
    f = f.copy()
    rows: list[dict] = []
    while len(rows) < max_signals and np.isfinite(f).sum() > 10:
        row = _next_signal(t, f, e, min_period_days, max_period_days, durations_days, oversample, snr_threshold)
        if row is None:
            break
        rows.append(row)
        period = row["period_days"] if row["kind"] == "periodic" else math.inf
        f[_in_transit(t, period, row["t0_days"], _MASK_DURATIONS * row["duration_days"])] = np.nan
    return pd.DataFrame(rows, columns=COLUMNS)


def _in_transit(t, period, t0, width):
    return np.abs(t - t0 if math.isinf(period) else fold(t, period, t0)) < width / 2


def _next_signal(t, f, e, min_period, max_period, durations, oversample, threshold):
    finite = t[np.isfinite(f)]
    top_period = min(max_period, longest_period(finite[-1] - finite[0]))
    if min_period < top_period and np.max(durations) < min_period:
        found = bls_search(t, f, e, min_period_days=min_period, max_period_days=top_period,
                           durations_days=durations, oversample=oversample)
        if found.snr >= threshold and found.duration_days <= _MAX_DUTY_CYCLE * found.period_days:
            ephemeris = {k: getattr(found, k) for k in ("period_days", "t0_days", "duration_days")}
            events = event_stats(t, f, e, **ephemeris)
            if not events["carried_by_one_event"]:
                return {"kind": "periodic", **found.to_dict(),
                        **{k: events[k] for k in ("max_event_fraction", "depths_p_value", "carried_by_one_event")}}
    single = single_event_search(t, f, e, durations_days=durations)
    if single.snr < threshold:
        return None
    return {"kind": "single", "period_days": np.nan, **single.to_dict(), "n_transits": 1,
            "max_event_fraction": 1.0, "depths_p_value": np.nan, "carried_by_one_event": True}
