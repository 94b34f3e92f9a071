"""Light curves as the search takes them: time in days, flux and errors as float64, flagged points as NaN."""

from __future__ import annotations

import numpy as np


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
