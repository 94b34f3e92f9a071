"""Gamma-ray bursts in photon event lists or binned light curves (Insight-HXMT, GECAM, Fermi/GBM-like data).

1. **Detection**: Bayesian blocks (Scargle et al. 2013, ApJ 764, 167; ``astropy.stats.bayesian_blocks``
   with the ``events`` fitness on the binned counts, which keeps it fast for 1e5-1e6 photons) split the
   light curve into constant-rate blocks. Blocks whose counts exceed the background expected in them by
   ``sigma`` Poisson standard deviations are burst blocks; burst blocks less than ``merge_gap_s`` apart
   form one burst.
2. **Background**: a polynomial of degree ``background_degree`` in time, fitted (least squares on the
   count rate) first to every bin and then, until the bursts found stop changing, to the bins outside
   every burst padded by ``pad_s``; a slow trend therefore never counts as a burst.
3. **Durations** (Kouveliotou et al. 1993, ApJL 413, L101; method of Koshut et al. 1996, ApJ 463, 570):
   the background-subtracted cumulative counts rise from a pre-burst level to a post-burst plateau
   (the means over ``pad_s`` before the burst and after it); the fluence is the difference, and
   T90 (T50) is the time between the cumulative counts reaching 5 % and 95 % (25 % and 75 %) of it.
   Uncertainties are half the 16-84 % range over ``n_resamples`` Poisson resamplings of the counts,
   each with its own background fit.
4. **Peak**: the Bayesian block with the highest background-subtracted rate.

Times are in seconds on any scale (mission elapsed time, or seconds from the trigger).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from astropy.stats import bayesian_blocks

COLUMNS = ["start_s", "stop_s", "peak_time_s", "peak_rate_counts_s", "background_rate_counts_s", "t90_s",
           "t90_err_s", "t90_start_s", "t50_s", "t50_err_s", "t50_start_s", "fluence_counts", "fluence_err_counts"]
MAX_BINS = 4000  # Bayesian blocks costs O(bins^2)


def light_curve(times_s, bin_s: float = 0.064, start_s: float | None = None,
                stop_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Bin photon arrival times (s) into a light curve: (bin edges in s, counts per bin).

    Examples
    --------
    >>> edges, counts = light_curve([0.01, 0.02, 0.2, 0.9], bin_s=0.5, start_s=0, stop_s=1)
    >>> edges.tolist(), counts.tolist()
    ([0.0, 0.5, 1.0], [3, 1])
    """
    times_s = np.asarray(times_s, dtype=float)
    if times_s.ndim != 1 or times_s.size < 2 or not np.all(np.isfinite(times_s)):
        raise ValueError("photon arrival times must be a 1-D array of at least two finite times in seconds")
    if bin_s <= 0:
        raise ValueError(f"bin_s must be positive, got {bin_s}")
    start_s = times_s.min() if start_s is None else start_s
    stop_s = times_s.max() if stop_s is None else stop_s
    n_bins = max(1, int(np.ceil((stop_s - start_s) / bin_s - 1e-9)))
    edges = start_s + bin_s * np.arange(n_bins + 1)
    counts, _ = np.histogram(times_s, bins=edges)
    return edges, counts


def detect_bursts_in_events(times_s, bin_s: float = 0.064, **options) -> pd.DataFrame:
    """:func:`detect_bursts` on photon arrival times (s), binned at ``bin_s`` (coarsened if needed so the
    light curve has at most 4000 bins).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> background = rng.uniform(-20, 40, 60_000)              # 1000 counts/s
    >>> burst = rng.normal(5.0, 0.1, 3000)                     # a short burst: T90 = 3.29 sigma
    >>> bursts = detect_bursts_in_events(np.r_[background, burst], bin_s=0.016, n_resamples=50)
    >>> len(bursts), round(float(bursts.t90_s[0]), 1), round(float(bursts.peak_time_s[0]), 1)
    (1, 0.3, 5.0)
    """
    times_s = np.asarray(times_s, dtype=float)
    if times_s.size >= 2 and np.all(np.isfinite(times_s)):
        bin_s = max(bin_s, float(np.ptp(times_s)) / MAX_BINS)
    edges, counts = light_curve(times_s, bin_s)
    return detect_bursts(counts, edges, **options)


def detect_bursts(counts, edges_s, p0: float = 0.01, sigma: float = 5.0, merge_gap_s: float = 10.0,
                  background_degree: int = 1, pad_s: float | None = None, n_resamples: int = 200,
                  seed: int = 0) -> pd.DataFrame:
    """Bursts in a binned light curve (counts per bin, bin edges in s); see the module doc.

    Parameters
    ----------
    counts : array of int
        Counts in each bin.
    edges_s : array of float
        Bin edges in seconds (one more than ``counts``; bins may differ in width).
    p0 : float
        False-alarm probability of each Bayesian-blocks change point.
    sigma : float
        Significance, in Poisson standard deviations above the background, of a burst block.
    pad_s : float, optional
        Off-burst margin used for the plateaus and left out of the background fit; default the burst's
        own duration, at least 2 s.
    n_resamples : int
        Poisson resamplings for the uncertainties (0 to skip them).

    Returns
    -------
    pandas.DataFrame
        One row per burst, columns ``start_s``, ``stop_s`` (Bayesian-blocks interval), ``peak_time_s``,
        ``peak_rate_counts_s`` (above background), ``background_rate_counts_s`` (at the peak),
        ``t90_s``, ``t90_err_s``, ``t90_start_s``, ``t50_s``, ``t50_err_s``, ``t50_start_s``,
        ``fluence_counts``, ``fluence_err_counts``.
    """
    counts, edges = _check_light_curve(counts, edges_s)
    widths, centers = np.diff(edges), 0.5 * (edges[1:] + edges[:-1])
    block_edges = bayesian_blocks(centers, counts, fitness="events", p0=p0)
    block_counts, _ = np.histogram(centers, bins=block_edges, weights=counts)
    block_duration, _ = np.histogram(centers, bins=block_edges, weights=widths)
    block_rate = block_counts / block_duration
    intervals, pads, off = _find_bursts(counts, centers, widths, block_edges, block_counts, sigma, merge_gap_s,
                                        background_degree, pad_s)
    if not intervals:
        return pd.DataFrame(columns=COLUMNS)
    rng = np.random.default_rng(seed)
    samples = np.vstack([counts[None, :], rng.poisson(counts, size=(n_resamples, counts.size))])
    background = _background_counts(samples, centers, widths, off, background_degree)
    rows = []
    for (start, stop), pad in zip(intervals, pads):
        durations = _durations(edges, samples - background, start, stop, pad)
        peak = _peak_block(block_edges, block_rate, centers, background[0] / widths, start, stop)
        rows.append({"start_s": start, "stop_s": stop, **peak, **_summarise(durations)})
    return pd.DataFrame(rows, columns=COLUMNS)


def _check_light_curve(counts, edges_s):
    counts, edges = np.asarray(counts), np.asarray(edges_s, dtype=float)
    if counts.ndim != 1 or edges.shape != (counts.size + 1,):
        raise ValueError(f"need 1-D counts and one more bin edge than counts; got shapes {counts.shape} and "
                         f"{edges.shape}")
    if counts.size < 10:
        raise ValueError(f"a light curve of {counts.size} bins is too short to find a burst: give at least 10 bins")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or not np.all(np.diff(edges) > 0):
        raise ValueError("counts must be finite and non-negative (NaN gaps: cut them out) and bin edges increasing")
    if counts.sum() == 0:
        raise ValueError("the light curve has no counts")
    return counts.astype(float), edges


def _find_bursts(counts, centers, widths, block_edges, block_counts, sigma, merge_gap_s, degree, pad_s,
                 max_iterations=10):
    """Burst intervals, their pads and the off-burst mask, alternating background fit and block selection.

    The first background is fitted to every bin; each round leaves out the bursts found so far, until the
    set of bursts stops changing.
    """
    off = np.ones(counts.size, dtype=bool)
    intervals, pads = [], []
    for _ in range(max_iterations):
        background = _background_counts(counts[None, :], centers, widths, off, degree)[0]
        expected, _ = np.histogram(centers, bins=block_edges, weights=background)
        excess = (block_counts - expected) / np.sqrt(np.maximum(expected, 1.0))
        intervals = _burst_intervals(block_edges, excess >= sigma, merge_gap_s)
        pads = [max(stop - start, 2.0) if pad_s is None else pad_s for start, stop in intervals]
        new_off = np.ones(counts.size, dtype=bool)
        for (start, stop), pad in zip(intervals, pads):
            new_off &= (centers + 0.5 * widths <= start - pad) | (centers - 0.5 * widths >= stop + pad)
        if new_off.sum() <= degree + 1:
            raise ValueError("too little off-burst light curve to fit the background: give a longer interval "
                             "around the burst, or a smaller pad_s")
        if np.array_equal(new_off, off):
            break
        off = new_off
    return intervals, pads, off


def _burst_intervals(block_edges, significant, merge_gap_s):
    intervals = []
    for k in np.flatnonzero(significant):
        start, stop = block_edges[k], block_edges[k + 1]
        if intervals and start - intervals[-1][1] < merge_gap_s:
            intervals[-1] = (intervals[-1][0], stop)
        else:
            intervals.append((start, stop))
    return [(float(a), float(b)) for a, b in intervals]


def _background_counts(samples, centers, widths, off, degree):
    """Background counts per bin for every resampled light curve (rows), from a weighted polynomial fit."""
    rates = samples[:, off] / widths[off]
    # σ(rate) ∝ 1/sqrt(width) for a slowly varying rate; weights from the counts themselves would bias
    # the fit low by about one count per bin (the Neyman χ² bias)
    weights = np.sqrt(widths[off])
    x0 = centers.mean()
    coef = np.polynomial.polynomial.polyfit(centers[off] - x0, rates.T, degree, w=weights)
    return np.polynomial.polynomial.polyval(centers - x0, coef) * widths


def _durations(edges, net, start, stop, pad):
    """T90/T50 (start and length) and fluence for every row of background-subtracted counts."""
    cumulative = np.hstack([np.zeros((net.shape[0], 1)), np.cumsum(net, axis=1)])
    if start - edges[0] < pad / 2 or edges[-1] - stop < pad / 2:
        raise ValueError(f"the burst at [{start:.3f}, {stop:.3f}] s is within {pad / 2:g} s of the edge of the light "
                         f"curve [{edges[0]:.3f}, {edges[-1]:.3f}] s: give data before and after it")
    pre = (edges >= start - pad) & (edges <= start)
    post = (edges >= stop) & (edges <= stop + pad)
    low, high = cumulative[:, pre].mean(axis=1), cumulative[:, post].mean(axis=1)
    fluence = high - low
    inside = (edges >= start - pad) & (edges <= stop + pad)
    out = {"fluence": fluence}
    for name, (a, b) in {"t90": (0.05, 0.95), "t50": (0.25, 0.75)}.items():
        t_a = _crossing(edges[inside], cumulative[:, inside], low + a * fluence)
        t_b = _crossing(edges[inside], cumulative[:, inside], low + b * fluence)
        out[name], out[name + "_start"] = t_b - t_a, t_a
    return out


def _crossing(t, cumulative, level):
    """First time each row reaches its level, interpolated linearly within the bin."""
    reached = cumulative >= level[:, None]
    k = np.argmax(reached, axis=1)
    k = np.clip(k, 1, t.size - 1)
    rows = np.arange(cumulative.shape[0])
    c0, c1 = cumulative[rows, k - 1], cumulative[rows, k]
    frac = np.clip((level - c0) / np.where(c1 > c0, c1 - c0, 1.0), 0, 1)
    return t[k - 1] + frac * (t[k] - t[k - 1])


def _peak_block(block_edges, block_rate, centers, background_rate, start, stop):
    inside = np.flatnonzero((block_edges[:-1] >= start) & (block_edges[1:] <= stop))
    mids = 0.5 * (block_edges[inside] + block_edges[inside + 1])
    background = np.interp(mids, centers, background_rate)
    best = int(np.argmax(block_rate[inside] - background))
    return {"peak_time_s": float(mids[best]), "peak_rate_counts_s": float(block_rate[inside][best] - background[best]),
            "background_rate_counts_s": float(background[best])}


def _summarise(durations):
    """Best values from the observed light curve (row 0); errors from the resamplings (rows 1...), as half
    the 16-84 % range, which a few resamplings whose crossing lands in a background fluctuation cannot inflate."""
    def spread(values):
        return float(np.subtract(*np.percentile(values[1:], [84, 16])) / 2) if values.size > 2 else np.nan

    return {"t90_s": float(durations["t90"][0]), "t90_err_s": spread(durations["t90"]),
            "t90_start_s": float(durations["t90_start"][0]), "t50_s": float(durations["t50"][0]),
            "t50_err_s": spread(durations["t50"]), "t50_start_s": float(durations["t50_start"][0]),
            "fluence_counts": float(durations["fluence"][0]), "fluence_err_counts": spread(durations["fluence"])}
