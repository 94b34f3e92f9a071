"""Interplanetary shocks from solar-wind plasma and field: detection, jump ratios, fast/slow forward/reverse.

At every boundary of a regular grid (default 1 min) the mean speed V (km/s), proton density Np (cm⁻³),
proton temperature Tp (K) and field magnitude |B| (nT) are taken over a ``window`` before and after it,
leaving out ``exclude`` on each side for the shock ramp. With "1" before and "2" after the boundary in
time, the criteria of the Heliospheric Shock Database (ipshocks.fi; Kilpua et al. 2015, "Properties and
drivers of fast interplanetary shocks near the orbit of the Earth (1995-2013)", JGR 120, 4112,
doi:10.1002/2015JA021138) are, with r = ``min_ratio`` (1.2) and ΔV = V2 − V1 ≥ ``min_speed_jump_km_s``
(20 km/s) for every type:

==================  ============  ============  =========================
type                density       temperature   field
==================  ============  ============  =========================
fast forward (FF)   N2/N1 ≥ r     T2/T1 ≥ rT    B2/B1 ≥ r
fast reverse (FR)   N1/N2 ≥ r     T1/T2 ≥ rT    B1/B2 ≥ r
slow forward (SF)   N2/N1 ≥ r     T2/T1 ≥ rT    B2/B1 ≤ 1/r
slow reverse (SR)   N1/N2 ≥ r     T1/T2 ≥ rT    B1/B2 ≤ 1/r
==================  ============  ============  =========================

rT = ``temperature_ratio_min`` (1.2; lower it, e.g. to 1/1.2, to tolerate noisy temperatures). Slow
shocks compress the plasma but not the field (the SF/SR types of the CfA interplanetary shock
database). Consecutive boundaries that pass are one shock, placed where the jumps are largest.
Upstream is the unshocked side: before the shock for forward, after it for reverse shocks; every
ratio is reported as downstream/upstream.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

UNITS = {
    "speed": {"km/s", "km s-1", "km s^-1", "km/sec", "km s**-1"},
    "density": {"cm^-3", "cm-3", "cm**-3", "/cc", "n/cc", "#/cc", "1/cm3", "/cm3", "cm⁻³", "#/cm3", "cm^{-3}"},
    "temperature": {"k", "degrees k", "kelvin", "deg k"},
    "field": {"nt", "nanotesla"},
}
COLUMNS = ["time", "type", "upstream_start", "upstream_stop", "downstream_start", "downstream_stop", "V_up_km_s",
           "V_down_km_s", "N_up_cm3", "N_down_cm3", "T_up_K", "T_down_K", "B_up_nT", "B_down_nT", "speed_jump_km_s",
           "density_ratio", "temperature_ratio", "field_ratio"]


def plasma_grid(ds: xr.Dataset, names: dict[str, str], cadence=np.timedelta64(1, "m"),
                min_samples: int = 10) -> xr.Dataset:
    """The four validated quantities on a regular grid of ``cadence`` (or the data's own, if coarser).

    ``names`` maps ``speed``, ``density``, ``temperature`` and ``field`` to the dataset's variables.
    """
    if not isinstance(ds, xr.Dataset):
        raise ValueError(f"expected an xarray.Dataset of speed, density, temperature and |B|, got {type(ds).__name__}")
    if "time" not in ds.coords or not np.issubdtype(ds["time"].dtype, np.datetime64):
        raise ValueError("the solar-wind dataset has no datetime64 'time' coordinate: read it with spacehub.catalog "
                         "(Entry.read) or build it with coords={'time': times}")
    missing = [v for v in names.values() if v not in ds]
    if missing:
        raise ValueError(f"the dataset lacks {missing} (it has {sorted(map(str, ds.data_vars))}): pass speed=, density=, "
                         f"temperature=, field= with its variable names")
    for quantity, name in names.items():
        units = ds[name].attrs.get("units")  # taken as the documented units when absent
        if units is not None and str(units).strip().lower() not in UNITS[quantity]:
            raise ValueError(f"{name} ({quantity}) has units {units!r}; expected one of {sorted(UNITS[quantity])}")
    native = np.median(np.diff(ds["time"].values)) if ds.sizes["time"] > 1 else cadence
    # pandas, not xarray, resamples: xarray's per-bin groupby is far slower with ~1e5 bins
    rule = pd.Timedelta(max(np.timedelta64(cadence, "ns"), native))
    grid = xr.Dataset.from_dataframe(ds[list(names.values())].to_dataframe().resample(rule).mean())
    valid = int(np.isfinite(np.column_stack([grid[v].values for v in names.values()])).all(axis=1).sum())
    if valid < min_samples:
        raise ValueError(f"only {valid} time steps have all of {list(names.values())}: too short or all NaN; "
                         f"pick a longer time range with data")
    return grid.rename({v: k for k, v in names.items()})


def _window_means(x, start_offsets, width, min_coverage):
    """Mean of x[i + start : i + start + width] for every i (NaN where fewer than min_coverage are valid)."""
    ok = np.isfinite(x)
    sums = np.r_[0, np.cumsum(np.where(ok, x, 0.0))]
    counts = np.r_[0, np.cumsum(ok)]
    lo = np.clip(np.arange(x.size) + start_offsets, 0, x.size)
    hi = np.clip(lo + width, 0, x.size)
    n = counts[hi] - counts[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n >= min_coverage * width, (sums[hi] - sums[lo]) / n, np.nan)


def detect_shocks(ds: xr.Dataset, speed: str = "flow_speed", density: str = "proton_density", temperature: str = "T",
                  field: str = "F", cadence=np.timedelta64(1, "m"), window=np.timedelta64(10, "m"),
                  exclude=np.timedelta64(2, "m"), min_speed_jump_km_s: float = 20.0, min_ratio: float = 1.2,
                  temperature_ratio_min: float = 1.2, min_coverage: float = 0.5) -> pd.DataFrame:
    """Shock list (FF, FR, SF, SR) from a solar-wind dataset; see the module doc for the criteria.

    Parameters
    ----------
    ds : xarray.Dataset
        Speed (km/s), proton density (cm⁻³), proton temperature (K) and |B| (nT) indexed by ``time``;
        the defaults are OMNI's variable names.
    window, exclude : numpy.timedelta64
        Length of the upstream/downstream averaging windows, and the gap left out next to the shock.
    min_coverage : float
        Fraction of a window that must hold data.

    Returns
    -------
    pandas.DataFrame
        One row per shock: ``time`` (first grid step after the jump), ``type``, the window bounds, the
        upstream/downstream means, ``speed_jump_km_s`` (after − before) and downstream/upstream ratios.

    Examples
    --------
    >>> t = np.arange("2015-03-17T04", "2015-03-17T06", np.timedelta64(1, "m"), dtype="datetime64[ns]")
    >>> after = t >= np.datetime64("2015-03-17T04:45")
    >>> ds = xr.Dataset({"flow_speed": ("time", np.where(after, 560.0, 400.0)),
    ...                  "proton_density": ("time", np.where(after, 18.0, 5.0)),
    ...                  "T": ("time", np.where(after, 2e5, 1e5)), "F": ("time", np.where(after, 17.5, 5.0))},
    ...                 coords={"time": t})
    >>> shocks = detect_shocks(ds)
    >>> shocks[["time", "type", "speed_jump_km_s", "density_ratio"]].to_dict("records")
    [{'time': Timestamp('2015-03-17 04:45:00'), 'type': 'FF', 'speed_jump_km_s': 160.0, 'density_ratio': 3.6}]
    """
    grid = plasma_grid(ds, {"speed": speed, "density": density, "temperature": temperature, "field": field}, cadence)
    step = grid["time"].values[1] - grid["time"].values[0]
    w, gap = max(1, int(window // step)), int(exclude // step)
    before = {k: _window_means(grid[k].values.astype(float), -gap - w, w, min_coverage) for k in grid.data_vars}
    after = {k: _window_means(grid[k].values.astype(float), gap, w, min_coverage) for k in grid.data_vars}
    kinds = _classify(before, after, min_speed_jump_km_s, min_ratio, temperature_ratio_min)
    t, strength, steps = grid["time"].values, _strength(before, after), _step_jumps(grid)
    rows = []
    for kind, mask in kinds.items():
        for start, stop in _groups(mask, w):
            i = start + int(np.nanargmax(np.where(mask[start:stop], strength[start:stop], -np.inf)))
            # the windows leave the ramp out, so neighbouring boundaries score alike: the largest
            # single-step jump near the best one marks the shock itself, among the boundaries that
            # pass (an outlier sample nearby must not move it where its jumps are below the criteria)
            near = np.arange(max(i - gap, 1), min(i + gap + 1, t.size))
            near = near[mask[near]]
            rows.append(_shock_row(kind, t, near[int(np.argmax(steps[near]))], step, w, gap, before, after))
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("time", ignore_index=True)


def _classify(before, after, min_dv, r, r_t):
    """Boolean masks of boundaries passing each type's criteria (time order: before = 1, after = 2)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        fast_speed = after["speed"] - before["speed"] >= min_dv
        n21, t21, b21 = (after[k] / before[k] for k in ("density", "temperature", "field"))
        forward = fast_speed & (n21 >= r) & (t21 >= r_t)
        reverse = fast_speed & (1 / n21 >= r) & (1 / t21 >= r_t)
        return {"FF": forward & (b21 >= r), "SF": forward & (b21 <= 1 / r),
                "FR": reverse & (1 / b21 >= r), "SR": reverse & (1 / b21 <= 1 / r)}


def _strength(before, after):
    """Size of the jumps, to place the shock inside a run of passing boundaries."""
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = [np.abs(np.log(after[k] / before[k])) for k in ("density", "field", "temperature")]
        return sum(logs) + np.abs(after["speed"] - before["speed"]) / before["speed"]


def _step_jumps(grid):
    """Jump from each grid step to the next, summed over the quantities (relative; 0 where unknown)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = [np.abs(np.diff(np.log(grid[k].values.astype(float)), prepend=np.nan))
                for k in ("density", "field", "temperature", "speed")]
        return np.nan_to_num(sum(logs), nan=0.0)


def _groups(mask, join):
    """[start, stop) of runs of ``mask``, joining runs less than ``join`` steps apart."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    groups = []
    for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        if groups and start - groups[-1][1] < join:
            groups[-1] = (groups[-1][0], stop)
        else:
            groups.append((start, stop))
    return groups


def _shock_row(kind, t, i, step, w, gap, before, after):
    forward = kind.endswith("F")
    up, down = (before, after) if forward else (after, before)
    windows = {"before": (t[i] - (gap + w) * step, t[i] - gap * step), "after": (t[i] + gap * step,
                                                                                  t[i] + (gap + w) * step)}
    up_window, down_window = (windows["before"], windows["after"]) if forward else (windows["after"], windows["before"])
    return {"time": t[i], "type": kind, "upstream_start": up_window[0], "upstream_stop": up_window[1],
            "downstream_start": down_window[0], "downstream_stop": down_window[1],
            "V_up_km_s": up["speed"][i], "V_down_km_s": down["speed"][i], "N_up_cm3": up["density"][i],
            "N_down_cm3": down["density"][i], "T_up_K": up["temperature"][i], "T_down_K": down["temperature"][i],
            "B_up_nT": up["field"][i], "B_down_nT": down["field"][i],
            "speed_jump_km_s": after["speed"][i] - before["speed"][i],
            "density_ratio": down["density"][i] / up["density"][i],
            "temperature_ratio": down["temperature"][i] / up["temperature"][i],
            "field_ratio": down["field"][i] / up["field"][i]}


def timing_lag(reference: xr.DataArray, lagged: xr.DataArray, centre, half_window,
               max_lag=np.timedelta64(15, "m"), step=np.timedelta64(3, "s")) -> tuple[np.timedelta64, float]:
    """The lag at which ``lagged`` best repeats ``reference`` near ``centre``: a shock's travel time
    between two spacecraft (e.g. ACE at L1 and Wind), for its speed along their separation.

    Both series (e.g. |B| at each spacecraft) are interpolated over their valid points onto a grid of
    ``step`` spanning ``centre ± half_window``; the lag is the one in ``[-max_lag, max_lag]`` (steps of
    ``step``) maximising the Pearson correlation of ``reference(t)`` with ``lagged(t + lag)``.

    Parameters
    ----------
    reference, lagged : xarray.DataArray
        Series on a ``time`` coordinate (any cadence; NaN is skipped).
    centre : datetime64
        Where to compare, e.g. the shock's time at the reference spacecraft.
    half_window, max_lag, step : timedelta64
        Half-width of the compared span, largest lag tried, and the resolution of both.

    Returns
    -------
    lag : numpy.timedelta64
        Positive when ``lagged`` sees the structure later.
    correlation : float
        The correlation at that lag (near 1 for a clean shock).

    Examples
    --------
    >>> t = np.arange("2015-03-17T04:00", "2015-03-17T06:00", np.timedelta64(1, "s"), dtype="datetime64[ns]")
    >>> def jump(at): return xr.DataArray(np.where(t >= np.datetime64(at), 20.0, 8.0), coords={"time": t})
    >>> lag, r = timing_lag(jump("2015-03-17T04:45"), jump("2015-03-17T04:48"), np.datetime64("2015-03-17T04:45"),
    ...                     np.timedelta64(20, "m"))
    >>> lag.astype("timedelta64[s]"), r > 0.9
    (np.timedelta64(180,'s'), True)
    """
    centre = np.datetime64(centre, "ns")
    half_window, max_lag, step = (np.timedelta64(x, "ns") for x in (half_window, max_lag, step))
    if not (half_window > 0 and max_lag > 0 and step > 0):
        raise ValueError("half_window, max_lag and step must be positive time spans")
    grid = np.arange(centre - half_window, centre + half_window, step)

    def valid(series):
        """(times as int64 ns, values) of the finite values, for np.interp."""
        values = np.asarray(series.values, dtype=float)
        ok = np.isfinite(values)
        if ok.sum() < 2:
            raise ValueError(f"{series.name or 'a series'} has fewer than two valid values to compare")
        return series.time.values[ok].astype("datetime64[ns]").view("int64"), values[ok]

    ref = np.interp(grid.view("int64"), *valid(reference))
    if not np.std(ref) > 0:
        raise ValueError(f"{reference.name or 'the reference'} is constant near {str(centre)[:19]}: nothing to time "
                         "(widen half_window to include the jump)")
    x, values = valid(lagged)
    lags = np.arange(-max_lag, max_lag + step, step)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.array([np.corrcoef(ref, np.interp((grid + lag).view("int64"), x, values))[0, 1] for lag in lags])
    scores = np.where(np.isfinite(scores), scores, -np.inf)
    best = int(np.argmax(scores))
    return lags[best], float(scores[best])
