"""Folding at a period: time from the nearest mid-transit, phase-binned light curves, and the
trapezoid shape of a transit on the fold."""

from __future__ import annotations

import numpy as np

from ._input import _clean, _days


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
