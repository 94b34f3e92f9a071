"""Substorm onsets from an AL/SML-like index (nT) or a chain of ground magnetometers.

Onsets follow Newell & Gjerloev 2011 ("Evaluation of SuperMAG auroral electrojet indices as indicators
of substorms and auroral power", JGR 116, A12211, doi:10.1029/2011JA016779), on 1-min data: minute t0 is
an onset when

* SML(t0+1) − SML(t0) < −15 nT, SML(t0+2) − SML(t0) < −30 nT, SML(t0+3) − SML(t0) < −45 nT, and
* the mean of SML(t0+4) ... SML(t0+30) minus SML(t0) < −100 nT (the bay is sustained),

and no onset was found in the 20 minutes before (``lockout``). The thresholds are parameters.

For a magnetometer chain (e.g. a Meridian-project meridian chain), :func:`chain_index` removes each
station's quiet baseline from its H component and takes the lower (AL-like) and upper (AU-like)
envelopes across the stations at each minute.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ._checks import nt_series

MINUTE = np.timedelta64(1, "m")


def al_series(index, what: str = "AL/SML index", min_minutes: int = 31) -> xr.DataArray:
    """Validated 1-min series in nT: finer data are averaged to 1 min; coarser data are refused."""
    nt_series(index, what)
    if index.sizes["time"] < 2 or bool(index.isnull().all()):
        raise ValueError(f"{what} has no valid values (all NaN or a single sample): pick a time range with data")
    cadence = np.median(np.diff(index["time"].values))
    if cadence > MINUTE:
        raise ValueError(f"{what} at {cadence / np.timedelta64(1, 's'):g}-s cadence is too coarse: the onset "
                         f"criterion needs 1-min (or finer) data")
    # pandas, not xarray, resamples: xarray's per-bin groupby is far slower with ~1e5 bins
    minutes = index.reset_coords(drop=True).to_series().resample("1min").mean()
    if minutes.size < min_minutes:
        raise ValueError(f"{what} spans {minutes.size} minutes; the onset criterion needs at least {min_minutes}")
    return xr.DataArray(minutes.to_numpy(float), coords={"time": minutes.index.to_numpy()}, dims="time",
                        attrs=index.attrs)


def substorm_onsets(index: xr.DataArray, drops_nT=(-15.0, -30.0, -45.0), sustained_nT: float = -100.0,
                    lockout=np.timedelta64(20, "m")) -> pd.DataFrame:
    """Substorm onsets in an AL/SML-like index by the Newell & Gjerloev (2011) criterion.

    Parameters
    ----------
    index : xarray.DataArray
        AL, SML or a chain's lower envelope in nT, indexed by ``time`` (1-min or finer).
    drops_nT : three floats
        Upper limits of SML(t0+1..3) − SML(t0).
    sustained_nT : float
        Upper limit of mean(SML(t0+4..t0+30)) − SML(t0).
    lockout : numpy.timedelta64
        Minimum separation of onsets.

    Returns
    -------
    pandas.DataFrame
        One row per onset: ``onset``, ``index_nT`` (value at onset), ``drop_3min_nT``,
        ``sustained_drop_nT`` (mean of minutes 4-30 minus the onset value), ``minimum_nT`` and
        ``minimum_time`` (lowest value within 60 minutes after the onset).

    Examples
    --------
    >>> t = np.arange("2015-03-17T00", "2015-03-17T03", np.timedelta64(1, "m"), dtype="datetime64[ns]")
    >>> m = (t - np.datetime64("2015-03-17T01:00")) / np.timedelta64(1, "m")
    >>> sml = -30 - np.where(m > 0, 400 * (1 - np.exp(-m / 5)) * np.exp(-np.clip(m, 0, None) / 60), 0)
    >>> onsets = substorm_onsets(xr.DataArray(sml, coords={"time": t}, dims="time", attrs={"units": "nT"}))
    >>> onsets.onset.tolist()
    [Timestamp('2015-03-17 01:00:00')]
    """
    sml = al_series(index)
    v, t = sml.values, sml["time"].values
    n = v.size - 30
    change = {k: v[k:k + n] - v[:n] for k in (1, 2, 3)}
    later = np.lib.stride_tricks.sliding_window_view(v[4:], 27)[:n]
    with np.errstate(invalid="ignore"):
        sustained = later.mean(axis=1) - v[:n]
        candidate = ((change[1] < drops_nT[0]) & (change[2] < drops_nT[1]) & (change[3] < drops_nT[2])
                     & (sustained < sustained_nT))
    rows, last = [], None
    for i in np.flatnonzero(candidate):
        if last is not None and t[i] - last < lockout:
            continue
        last = t[i]
        after = v[i:i + 61]
        k = int(np.nanargmin(after))
        rows.append({"onset": t[i], "index_nT": v[i], "drop_3min_nT": change[3][i], "sustained_drop_nT": sustained[i],
                     "minimum_nT": after[k], "minimum_time": t[i + k]})
    return pd.DataFrame(rows, columns=["onset", "index_nT", "drop_3min_nT", "sustained_drop_nT", "minimum_nT",
                                       "minimum_time"])


def chain_index(stations, baseline: str = "median", quiet_quantile: float = 0.5) -> xr.Dataset:
    """AL/AU/AE-like indices of a magnetometer chain from the stations' H components (nT).

    Parameters
    ----------
    stations : dict of str to xarray.DataArray, or xarray.DataArray with a ``station`` dimension
        H component (nT) per station, indexed by ``time``.
    baseline : {"median", "daily"}
        Each station's quiet level removed before combining: the ``quiet_quantile`` of the whole
        interval, or of each UTC day (follows slow secular and seasonal drifts).

    Returns
    -------
    xarray.Dataset
        ``AL`` (lower envelope), ``AU`` (upper envelope), ``AE`` = AU − AL in nT and ``n_stations``
        (stations with data) on a common 1-min grid, plus ``dH`` (per-station disturbance).

    Examples
    --------
    >>> t = np.arange("2015-03-17T00", "2015-03-17T01", np.timedelta64(1, "m"), dtype="datetime64[ns]")
    >>> h = {"MOH": xr.DataArray(20000 + np.r_[np.zeros(40), -200 * np.ones(20)], coords={"time": t}, dims="time"),
    ...      "BJI": xr.DataArray(30000 + np.r_[np.zeros(40), 50 * np.ones(20)], coords={"time": t}, dims="time")}
    >>> chain = chain_index(h)
    >>> float(chain.AL[-1]), float(chain.AU[-1]), float(chain.AE[-1])
    (-200.0, 50.0, 250.0)
    """
    if isinstance(stations, xr.DataArray):
        if "station" not in stations.dims:
            raise ValueError("a DataArray of several stations needs a 'station' dimension")
        stations = {str(s): stations.sel(station=s, drop=True) for s in stations["station"].values}
    if not isinstance(stations, dict) or not stations:
        raise ValueError("give the stations as a dict {name: H DataArray (nT)} or a DataArray with a 'station' dim")
    if baseline not in ("median", "daily"):
        raise ValueError(f"baseline must be 'median' or 'daily', got {baseline!r}")
    series = {name: al_series(h, f"H of station {name}", min_minutes=2).to_series() for name, h in stations.items()}
    frame = pd.DataFrame(series)
    frame.index.name = "time"
    if baseline == "daily":
        quiet = frame.groupby(frame.index.floor("1D")).transform(lambda col: col.quantile(quiet_quantile))
    else:
        quiet = frame.quantile(quiet_quantile)
    dh = frame - quiet
    out = xr.Dataset({
        "AL": ("time", dh.min(axis=1).to_numpy(), {"units": "nT", "long_name": "Lower envelope of H disturbance"}),
        "AU": ("time", dh.max(axis=1).to_numpy(), {"units": "nT", "long_name": "Upper envelope of H disturbance"}),
        "n_stations": ("time", dh.notna().sum(axis=1).to_numpy()),
        "dH": (("time", "station"), dh.to_numpy(), {"units": "nT", "long_name": "H minus the station's baseline"}),
    }, coords={"time": dh.index.to_numpy(), "station": list(dh.columns)})
    out["AE"] = (out.AU - out.AL).assign_attrs(units="nT", long_name="AU - AL")
    return out


def chain_onsets(stations, baseline: str = "median", **criteria) -> pd.DataFrame:
    """Substorm onsets in a magnetometer chain: :func:`substorm_onsets` on the chain's ``AL``."""
    return substorm_onsets(chain_index(stations, baseline).AL, **criteria)
