"""Exoplanet transits in light curves: detrending, box-least-squares search, folding, batch search.

Light curves are ``time`` in days (BKJD/BTJD or any float day count; ``datetime64`` is turned into
JD), relative or absolute ``flux`` and optional ``flux_err`` and ``quality``, as plain arrays or
``xarray`` objects. The usual path is::

    flux_rel, trend = detrend(time, flux, quality=quality)
    result = bls_search(time, flux_rel, min_period_days=1, max_period_days=50)
    folded = binned_fold(time, flux_rel, result.period_days, result.t0_days, bin_days=0.01)
    signals = search_signals(time, flux_rel, max_period_days=50)  # every planet, single transits too

and, for thousands of stars on a Dask cluster, :func:`search_many`.

Modules: ``detrend`` (sliding robust trend, segments), ``bls`` (the search, its result, depth and
SNR of an ephemeris), ``bls_kernels`` (the compiled folding and box kernels), ``fold`` (folding,
phase-binned light curves, the trapezoid transit shape), ``single`` (single transits: planets with
one transit in the data), ``signals`` (every signal of a light curve, periodic and single, each
masked before the next search; :func:`event_stats` tells a period carried by one event) and
``batch`` (one star, many stars, a Dask cluster). Synthetic light curves to try them on are in :mod:`spacehub.samples.lightcurves`.

The search is box least squares (Kovacs, Zucker & Mazeh 2002) over the trial periods of the fast
folding algorithm (Staelin 1969; layout as in Morello et al. 2020, *riptide*): the light curve is
binned at ``min(durations) / oversample``, and every band of base periods ``[p, p + 1)`` bins is
folded at once with ``ceil(N / p)`` periods whose phase drift over the baseline differs by one bin,
the usual BLS grid criterion ``dP = P * bin / baseline`` (Ofir 2014). The best peak is then refined
on the unbinned data with a finer period, phase and duration grid. Signal-to-noise ratios assume
white noise with the given ``flux_err`` (or the robust scatter of the flux when it is missing).
"""

from __future__ import annotations

from .batch import KEPLER_THRESHOLD_SNR, search_many, search_star
from .bls import DEFAULT_DURATIONS_DAYS, TransitSearch, bls_search, longest_period, period_grid, transit_stats
from .detrend import detrend, segments
from .fold import binned_fold, fold, trapezoid_transit
from .signals import event_stats, search_signals
from .single import SingleEvent, single_event_search

KEPLER_CADENCE_DAYS = 29.4243814 / 1440  # Kepler long cadence
# search_many on a cluster: default batches per worker thread. batch reads it from here at each call,
# so setting spacehub.analysis.transits.BATCHES_PER_THREAD takes effect.
BATCHES_PER_THREAD = 16

__all__ = [
    "KEPLER_CADENCE_DAYS", "KEPLER_THRESHOLD_SNR", "BATCHES_PER_THREAD", "DEFAULT_DURATIONS_DAYS", "TransitSearch",
    "detrend", "period_grid", "segments", "bls_search", "transit_stats", "fold", "binned_fold", "search_star",
    "search_many", "trapezoid_transit", "longest_period", "SingleEvent", "single_event_search", "event_stats",
    "search_signals",
]
