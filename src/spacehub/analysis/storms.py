"""Geomagnetic storms from Dst or SYM-H (nT), and superposed-epoch analysis of their solar-wind drivers.

A storm is a stretch of the index at or below ``threshold_nT`` (−50 nT); stretches closer than
``merge_gap`` are one storm (multi-step main phases). For each storm:

* **minimum**: time and value of the lowest index;
* **onset** of the main phase: the last time before the minimum at which the index is within
  ``onset_drop_nT`` (10 nT) of its highest value in the ``lookback`` (24 h) before the minimum (and
  after the previous storm), i.e. where the decrease to the minimum begins;
* **sudden commencement**: the start of the steepest rise over ``sc_rise`` (30 min, or one sample of
  coarser data) before the onset, reported when that rise is at least ``sc_jump_nT`` (10 nT); its
  amplitude is that rise, so it is never below ``sc_jump_nT``;
* **recovery**: ``index(t) = q + (minimum − q)·exp(−(t − t_min)/τ)`` fitted to ``recovery_window``
  (72 h) after the minimum, giving the e-folding time τ in hours and its 1σ error. A fit that ends on
  a bound of τ (0.1 h, 1000 h), whose error is as large as τ itself, or whose τ is longer than the
  window (the data then show only the first slope of the recovery, which fixes (q − minimum)/τ, not
  τ) has not measured τ: both are then NaN and ``recovery_constrained`` is False (widen the window,
  or the index did not recover before the data or the next storm);
* **category** (Gonzalez et al. 1994, "What is a geomagnetic storm?", JGR 99(A4), 5771,
  doi:10.1029/93JA02867): moderate −100 < Dst_min ≤ −50 nT, intense −250 < Dst_min ≤ −100 nT; and super
  Dst_min ≤ −250 nT, the "superintense" storms of Echer, Gonzalez & Tsurutani 2008 (GRL 35, L06S03).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr
from scipy.optimize import curve_fit

from ._checks import nt_series

HOUR = np.timedelta64(1, "h")
_TAU_BOUNDS_H = (0.1, 1e3)  # recovery e-folding times the fit may take, hours


def storm_category(minimum_nT: float) -> str:
    """Gonzalez et al. (1994) storm category of a Dst/SYM-H minimum (nT); "super" below −250 nT.

    Examples
    --------
    >>> [storm_category(v) for v in (-40, -50, -99, -100, -249, -250, -400)]
    ['none', 'moderate', 'moderate', 'intense', 'intense', 'super', 'super']
    """
    if minimum_nT <= -250:
        return "super"
    if minimum_nT <= -100:
        return "intense"
    return "moderate" if minimum_nT <= -50 else "none"


def index_series(index, what: str = "Dst/SYM-H", min_samples: int = 3) -> xr.DataArray:
    """Validate a time series in nT: a DataArray with a datetime64 ``time`` coordinate and some data.

    Units are taken from ``attrs["units"]`` (nT assumed when absent).
    """
    nt_series(index, what)
    if index.sizes["time"] < min_samples or int(index.notnull().sum()) < min_samples:
        raise ValueError(f"{what} is too short or all NaN ({int(index.notnull().sum())} valid samples, need at least "
                         f"{min_samples}): pick a longer time range with data")
    return index.load()


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the True runs of ``mask``."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _merge(runs, t, gap):
    merged = []
    for start, stop in runs:
        if merged and t[start] - t[merged[-1][1] - 1] < gap:
            merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return merged


def detect_storms(index: xr.DataArray, threshold_nT: float = -50.0, merge_gap=np.timedelta64(12, "h"),
                  lookback=np.timedelta64(24, "h"), onset_drop_nT: float = 10.0, sc_rise=np.timedelta64(30, "m"),
                  sc_jump_nT: float = 10.0, recovery_window=np.timedelta64(72, "h")) -> pd.DataFrame:
    """Storm list from an hourly Dst or 1-min SYM-H series (see the module doc for the definitions).

    Returns
    -------
    pandas.DataFrame
        One row per storm: ``onset``, ``sc_time`` (NaT without a sudden commencement),
        ``sc_amplitude_nT`` (the rise over ``sc_rise``, at least ``sc_jump_nT``), ``minimum_time``,
        ``minimum_nT``, ``main_phase_hours``, ``recovery_e_folding_hours``,
        ``recovery_e_folding_err_hours`` (both NaN unless the fit measured τ),
        ``recovery_constrained``, ``category``.

    Examples
    --------
    >>> t = np.arange("2015-03-16", "2015-03-21", np.timedelta64(1, "h"), dtype="datetime64[ns]")
    >>> h = (t - np.datetime64("2015-03-17T12")) / np.timedelta64(1, "h")
    >>> dst = np.where(h < 0, -120 * np.clip(1 + h / 10, 0, 1), -120 * np.exp(-np.clip(h, 0, None) / 12))
    >>> storms = detect_storms(xr.DataArray(dst, coords={"time": t}, dims="time", attrs={"units": "nT"}))
    >>> storms[["minimum_time", "minimum_nT", "category"]].to_dict("records")
    [{'minimum_time': Timestamp('2015-03-17 12:00:00'), 'minimum_nT': -120.0, 'category': 'intense'}]
    >>> round(float(storms.recovery_e_folding_hours[0]), 1)
    12.0
    """
    index = index_series(index)
    t, v = index["time"].values, index.values.astype(float)
    rows, previous_end = [], t[0]
    for start, stop in _merge(_runs(v <= threshold_nT), t, merge_gap):
        i_min = start + int(np.nanargmin(v[start:stop]))
        pre = np.flatnonzero((t >= max(t[i_min] - lookback, previous_end)) & (t <= t[i_min]))
        i_onset = pre[np.flatnonzero(v[pre] >= np.nanmax(v[pre]) - onset_drop_nT)[-1]]
        sc_time, sc_amp = _sudden_commencement(t, v, pre[0], i_onset, sc_rise, sc_jump_nT)
        tau, tau_err, constrained = _recovery(t, v, i_min, recovery_window)
        rows.append({"onset": t[i_onset], "sc_time": sc_time, "sc_amplitude_nT": sc_amp,
                     "minimum_time": t[i_min], "minimum_nT": v[i_min],
                     "main_phase_hours": (t[i_min] - t[i_onset]) / HOUR, "recovery_e_folding_hours": tau,
                     "recovery_e_folding_err_hours": tau_err, "recovery_constrained": constrained,
                     "category": storm_category(v[i_min])})
        previous_end = t[stop - 1]
    columns = ["onset", "sc_time", "sc_amplitude_nT", "minimum_time", "minimum_nT", "main_phase_hours",
               "recovery_e_folding_hours", "recovery_e_folding_err_hours", "recovery_constrained", "category"]
    return pd.DataFrame(rows, columns=columns)


def _sudden_commencement(t, v, first, i_onset, sc_rise, sc_jump_nT):
    """Start time and amplitude (the rise itself, which passed ``sc_jump_nT``) of the steepest rise over
    ``sc_rise`` before the onset."""
    cadence = np.median(np.diff(t))
    steps = max(1, int(round(sc_rise / cadence)))
    if i_onset - first < steps:
        return np.datetime64("NaT", "ns"), np.nan
    rise = v[first + steps:i_onset + 1] - v[first:i_onset + 1 - steps]
    if not np.any(np.isfinite(rise)) or np.nanmax(rise) < sc_jump_nT:
        return np.datetime64("NaT", "ns"), np.nan
    k = int(np.nanargmax(rise))
    return t[first + k], float(rise[k])


def _recovery(t, v, i_min, window):
    """e-folding time (h), its 1σ error and whether the fit constrains it; NaN, NaN, False when it
    cannot be fitted, ends on a bound of τ, has an error as large as τ or a τ longer than the window."""
    sel = (t >= t[i_min]) & (t <= t[i_min] + window) & np.isfinite(v)
    hours, values = (t[sel] - t[i_min]) / HOUR, v[sel]
    if hours.size < 4:
        return np.nan, np.nan, False

    def model(h, q, tau):
        return q + (v[i_min] - q) * np.exp(-h / tau)

    try:
        (q, tau), cov = curve_fit(model, hours, values, p0=(values[-1], 10.0),
                                  bounds=([-np.inf, _TAU_BOUNDS_H[0]], [np.inf, _TAU_BOUNDS_H[1]]))
    except RuntimeError:
        return np.nan, np.nan, False
    tau_err = float(np.sqrt(cov[1, 1]))
    on_bound = not _TAU_BOUNDS_H[0] * 1.01 < tau < _TAU_BOUNDS_H[1] / 1.01
    if on_bound or not tau_err < tau or tau > window / HOUR:
        return np.nan, np.nan, False
    return float(tau), tau_err, True


def add_solar_wind_drivers(omni: xr.Dataset, speed: str = "flow_speed", density: str = "proton_density",
                           bz: str = "BZ_GSM") -> xr.Dataset:
    """Add the dawn-dusk electric field ``Ey_mV_m`` = −V·Bz·1e-3 and ram pressure ``Pdyn_nPa``.

    With V in km/s, Bz in nT and n in cm⁻³; ``Pdyn`` = 1.6726e-6·n·V² nPa as OMNI defines it (protons only).

    Examples
    --------
    >>> t = np.array(["2015-03-17T05"], dtype="datetime64[ns]")
    >>> ds = xr.Dataset({"flow_speed": ("time", [500.0]), "proton_density": ("time", [10.0]),
    ...                  "BZ_GSM": ("time", [-10.0])}, coords={"time": t})
    >>> out = add_solar_wind_drivers(ds)
    >>> float(out.Ey_mV_m[0]), round(float(out.Pdyn_nPa[0]), 2)
    (5.0, 4.18)
    """
    missing = [name for name in (speed, density, bz) if name not in omni]
    if missing:
        raise ValueError(f"the dataset lacks {missing} (has {sorted(map(str, omni.data_vars))}): pass speed=, density=, bz=")
    ey = (-omni[speed] * omni[bz] * 1e-3).assign_attrs(units="mV/m", long_name="Dawn-dusk electric field -V Bz")
    pdyn = (1.6726e-6 * omni[density] * omni[speed] ** 2).assign_attrs(units="nPa", long_name="Solar-wind ram pressure")
    return omni.assign(Ey_mV_m=ey, Pdyn_nPa=pdyn)


def superposed_epoch(data, epochs, before=np.timedelta64(1, "D"), after=np.timedelta64(3, "D"),
                     resolution=np.timedelta64(1, "h"), variables: list[str] | None = None) -> xr.Dataset:
    """Superposed-epoch statistics of ``variables`` around ``epochs`` (storm minima, onsets, shocks...).

    Each epoch's data in [epoch − before, epoch + after) are averaged into ``resolution`` bins of epoch
    time (labelled by the bin start; bin 0 is [epoch, epoch + resolution)); the statistics are then
    taken across epochs, ignoring epochs without data in a bin.

    Returns
    -------
    xarray.Dataset
        One variable per input variable with dims ``("statistic", "epoch_time")``: statistic is
        ``mean``, ``median``, ``q25``, ``q75`` and ``count`` (epochs contributing); ``epoch_time`` is a
        timedelta64 coordinate. Attributes: ``n_epochs`` and the variables' units.

    Examples
    --------
    >>> t = np.arange("2015-03-01", "2015-03-10", np.timedelta64(1, "h"), dtype="datetime64[ns]")
    >>> epochs = np.array(["2015-03-03", "2015-03-06"], dtype="datetime64[ns]")
    >>> bz = xr.DataArray(np.where(np.isin(t, epochs), -10.0, 0.0), coords={"time": t}, dims="time", name="Bz")
    >>> sea = superposed_epoch(bz.to_dataset(), epochs, before=np.timedelta64(2, "h"), after=np.timedelta64(2, "h"))
    >>> sea.Bz.sel(statistic="mean").values
    array([  0.,   0., -10.,   0.])
    """
    ds = data.to_dataset() if isinstance(data, xr.DataArray) else data
    if "time" not in ds.coords or not np.issubdtype(ds["time"].dtype, np.datetime64):
        raise ValueError("superposed_epoch needs data with a datetime64 'time' coordinate")
    epochs = np.asarray(epochs, dtype="datetime64[ns]")
    if epochs.size == 0:
        raise ValueError("no epochs given: pass e.g. detect_storms(...).minimum_time")
    n_bins = int((before + after) // resolution)
    if n_bins < 1:
        raise ValueError(f"the window before={before}, after={after} is shorter than one {resolution} bin")
    names = variables or [str(n) for n in ds.data_vars if ds[n].dims == ("time",)]
    t = ds["time"].values
    out = {}
    for name in names:
        values = ds[name].values.astype(float)
        stack = np.vstack([_epoch_bins(t, values, e, before, resolution, n_bins) for e in epochs])
        out[name] = (("statistic", "epoch_time"), _statistics(stack), {"units": ds[name].attrs.get("units", "")})
    edges = -np.timedelta64(before, "ns") + np.arange(n_bins) * np.timedelta64(resolution, "ns")
    return xr.Dataset(out, coords={"statistic": ["mean", "median", "q25", "q75", "count"], "epoch_time": edges},
                      attrs={"n_epochs": int(epochs.size)})


def _epoch_bins(t, values, epoch, before, resolution, n_bins):
    lo, hi = np.searchsorted(t, [epoch - before, epoch - before + n_bins * resolution])
    rel = t[lo:hi] - (epoch - before)
    ok = np.isfinite(values[lo:hi])
    bins = (rel[ok] // np.timedelta64(resolution, "ns")).astype(int)
    sums = np.bincount(bins, weights=values[lo:hi][ok], minlength=n_bins)
    counts = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _statistics(stack):
    count = np.sum(np.isfinite(stack), axis=0)
    if not count.any():
        raise ValueError("no data around any epoch: check that the epochs fall inside the data's time range")
    with warnings.catch_warnings():  # bins without any epoch are NaN by design, not worth a warning
        warnings.simplefilter("ignore", RuntimeWarning)
        q25, median, q75 = np.nanpercentile(stack, [25, 50, 75], axis=0)
        return np.vstack([np.nanmean(stack, axis=0), median, q25, q75, count])
