"""Synthetic light curves with transiting planets: the one generator behind the Kepler and TESS
samples and the transit-search tests and benchmarks.

The parts: time sampling with Kepler's gaps (:func:`kepler_gaps`), red stellar noise on any time
stamps (:func:`red_noise`), the transit itself (:func:`transit_shape`: a trapezoid, averaged over the
exposure when one is given), and :func:`kepler_like_lightcurve`, which puts them together with
rotational variability, thermal ramps, quarterly flux levels, white noise and flagged outliers and
records the injected planet (the truth) in its attrs. The sample files (``kepler``, ``tess``) use the
same noise and transit, with their missions' real quarter and sector timing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from ..analysis.transits import KEPLER_CADENCE_DAYS, segments, trapezoid_transit

if TYPE_CHECKING:
    import xarray as xr


def kepler_gaps(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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


def red_noise(time: np.ndarray, tau_days: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Red noise: an AR(1) (Ornstein-Uhlenbeck) process of correlation time ``tau_days`` and standard
    deviation ``sigma`` at the given times (days; any spacing, gaps included), started stationary.

    Examples
    --------
    >>> t = np.arange(0, 2000, 0.02)
    >>> x = red_noise(t, 0.5, 1e-4, np.random.default_rng(0))
    >>> round(float(x.std() / 1e-4), 1), round(float(np.corrcoef(x[:-25], x[25:])[0, 1]), 1)  # lag 0.5 d: 1/e
    (1.0, 0.4)
    """
    rho = np.exp(-np.diff(time, prepend=time[0]) / tau_days)
    innovations = rng.standard_normal(time.size) * sigma * np.sqrt(1 - rho ** 2)
    innovations[0] = rng.standard_normal() * sigma
    return _ar1_recursion(rho, innovations)


def transit_shape(time: np.ndarray, period_days: float, t0_days: float, duration_days: float,
                  ingress_fraction: float = 0.15, exposure_days: float = 0.0) -> np.ndarray:
    """Transit shape, 0 outside and 1 at full depth (:func:`spacehub.analysis.transits.trapezoid_transit`),
    averaged over an exposure of ``exposure_days`` when it is > 0: a long cadence integrates over the
    ingress and egress and smooths them.

    Examples
    --------
    >>> transit_shape(np.array([0.0, 0.045, 0.2]), 1.0, 0.0, 0.1, ingress_fraction=0.1).round(2).tolist()
    [1.0, 0.5, 0.0]
    >>> transit_shape(np.array([0.045]), 1.0, 0.0, 0.1, 0.1, exposure_days=0.02).round(2).tolist()
    [0.5]
    """
    if exposure_days <= 0:
        return trapezoid_transit(time, period_days, t0_days, duration_days, ingress_fraction)
    offsets = (np.arange(5) - 2) / 5 * exposure_days  # five samples across the exposure
    return np.mean([trapezoid_transit(time + o, period_days, t0_days, duration_days, ingress_fraction)
                    for o in offsets], axis=0)


def kepler_like_lightcurve(seed: int, *, years: float = 4.0, period_days: float | None = None,
                           t0_days: float | None = None, duration_days: float | None = None,
                           depth_ppm: float | None = None, snr: float | None = None,
                           ingress_fraction: float = 0.15, noise_ppm: float | None = None) -> xr.Dataset:
    """A seeded synthetic Kepler long-cadence light curve, optionally with a transiting planet.

    29.4-min cadence from BKJD 131.5 with Kepler's gaps (see :func:`kepler_gaps`; 4 years leave about
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
    t = t[kepler_gaps(t, rng)]
    white = (noise_ppm or np.exp(rng.uniform(np.log(50), np.log(400)))) * 1e-6
    red_tau, red_sigma = rng.uniform(0.1, 0.5), white * rng.uniform(0.2, 0.5)
    red = red_noise(t, red_tau, red_sigma, rng)
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
        shape = transit_shape(t, period, t0, duration, ingress_fraction)
        sigma = math.hypot(white, red_sigma)
        depth = (depth_ppm * 1e-6 if depth_ppm is not None
                 else float(snr or 0) * sigma / math.sqrt(np.sum(shape ** 2)))  # snr is given when depth is not
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


@njit(nogil=True, cache=True)
def _ar1_recursion(rho, innovations):
    x = np.empty_like(innovations)
    x[0] = innovations[0]
    for i in range(1, x.size):
        x[i] = rho[i] * x[i - 1] + innovations[i]
    return x
