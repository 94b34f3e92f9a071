"""GOES XRS solar flares: NOAA/SWPC event detection, flare classes on both XRS scales, a forecast baseline.

Flares are found in the XRS-B (0.1-0.8 nm, "1-8 Å") irradiance in W/m², averaged to 1 minute as SWPC
does, with the SWPC X-ray event definition:

* **start**: the first minute of a run of ``rise_minutes`` (4) one-minute values that increase
  monotonically (f[i] < f[i+1] < f[i+2] < f[i+3]) with the last at least ``rise_ratio`` (1.4) times the
  first (the NOAA SWPC solar X-ray event definition behind the SWPC/NGDC event lists: "the first minute,
  in a sequence of 4 minutes, of steep monotonic increase", steepness meaning the 1.4 ratio);
* **peak**: the minute of the largest 1-min flux after the start;
* **end**: the first minute after the peak at which the flux is back to half-way between the peak and
  the start flux (the start minute stands in for the pre-flare background), or the start of the next
  flare if one begins during the decay, whichever comes first. A flare still decaying when the data end
  has ``end`` NaT and ``complete`` False.

The class is the letter of the peak's decade (A 1e-8, B 1e-7, C 1e-6, M 1e-5, X 1e-4 W/m²) and the peak
in units of it, rounded to one decimal (2.56e-5 W/m² is M2.6; 2.3e-3 is X23.0).

**Two XRS-B scales.** The operational GOES 8-15 fluxes distributed by SWPC were multiplied by 0.7 (XRS-B;
0.85 for XRS-A) to match the GOES-7 calibration, and every historical flare catalogue (the SWPC/NGDC
event lists, HEK) gives classes on that scaled ("SWPC") scale. NOAA's reprocessed science-quality GOES
8-15 data and all GOES-R (16-19) data are true irradiances, whose classes are 1/0.7 = 1.43 times larger
(NOAA NCEI, "GOES-R XRS L2 products User's Guide", Machol, Codrescu & Peck 2021, sec. 2.2 "Flare
magnitudes"; NOAA NCEI "README for science-quality GOES 13-15 XRS data"). Tell the functions which scale
the input is on with ``convention="science"`` (true irradiance: reprocessed GOES 8-15, GOES-R L2) or
``convention="swpc"`` (operational GOES 8-15, e.g. the SDAC ``go15YYYYMMDD.fits`` files); left out, it is
the flux's own ``flux_convention`` attribute (``spacehub.open_file`` sets ``"swpc"`` on the fluxes of
SDAC's GOES 8-15 files, which hold the operational fluxes: the M2.5 flare of 2011-06-07 peaks there at
2.56e-5 W/m² and is found as M2.5 on the SWPC scale, M3.6 true), else ``"science"``. Every event list
reports both ``class_swpc`` (comparable with historical catalogues) and ``class_true``. (SWPC's own
reports since GOES-16 became primary are on the true scale; "swpc" here names the historical 8-15 scale.)

The forecast baseline turns the series into one row of features per UTC day, fits a logistic regression
(numpy/scipy) predicting "a ≥M flare (SWPC scale) peaks in the next 24 h" on the earliest days and scores
it on the later ones with the true skill statistic and the Heidke skill score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy.optimize import minimize
from scipy.special import expit

#: SWPC's multiplicative factor on operational GOES 8-15 XRS-B fluxes (true = operational / 0.7)
SWPC_XRSB_SCALE = 0.7
CONVENTIONS = ("science", "swpc")
FLUX_UNITS = {"w/m2", "w m-2", "w/m^2", "w m^-2", "w /m**2", "w/m**2", "w m**-2", "w.m-2", "watts/m2", "w m⁻²"}
XRSB_NAMES = ("xrsb_flux", "b_flux", "xrsb", "B_FLUX")
CLASS_DECADES = (("X", 1e-4), ("M", 1e-5), ("C", 1e-6), ("B", 1e-7), ("A", 1e-8))


def goes_class(flux_W_m2: float) -> str:
    """The GOES flare class of an XRS-B flux (W/m²), on whatever scale the flux is on.

    Examples
    --------
    >>> goes_class(2.56e-5), goes_class(9.3e-4), goes_class(4.2e-7), goes_class(2.3e-3)
    ('M2.6', 'X9.3', 'B4.2', 'X23.0')
    """
    if not np.isfinite(flux_W_m2) or flux_W_m2 <= 0:
        raise ValueError(f"a flare class needs a positive finite flux in W/m2, got {flux_W_m2!r}")
    for i, (letter, base) in enumerate(CLASS_DECADES):
        if flux_W_m2 >= base or letter == "A":
            number = round(flux_W_m2 / base, 1)
            if number >= 10 and i > 0:  # 9.96e-6 rounds to 10.0 C: that is M1.0
                letter, base = CLASS_DECADES[i - 1]
                number = round(flux_W_m2 / base, 1)
            return f"{letter}{number:.1f}"
    raise AssertionError("unreachable: the A decade takes every positive flux")


def to_true_flux(flux_W_m2, convention: str):
    """XRS-B flux on the true-irradiance scale, from data on ``convention``'s scale.

    Examples
    --------
    >>> round(to_true_flux(2.5e-5, "swpc") / 1e-5, 3)
    3.571
    """
    _check_convention(convention)
    return flux_W_m2 / SWPC_XRSB_SCALE if convention == "swpc" else flux_W_m2


def to_swpc_flux(flux_W_m2, convention: str):
    """XRS-B flux on the SWPC (operational GOES 8-15, historical catalogue) scale."""
    _check_convention(convention)
    return flux_W_m2 * SWPC_XRSB_SCALE if convention == "science" else flux_W_m2


def flux_convention(flux, convention: str | None = None) -> str:
    """The scale of an XRS-B flux: ``convention`` if given, else the flux's ``flux_convention``
    attribute, else ``"science"``; a ``convention`` that contradicts the attribute is refused.

    Examples
    --------
    >>> operational = xr.DataArray([2.5e-5], dims="time", attrs={"flux_convention": "swpc"})
    >>> flux_convention(operational), flux_convention(xr.DataArray([2.5e-5], dims="time"))
    ('swpc', 'science')
    """
    said = flux.attrs.get("flux_convention")
    if said is not None:
        _check_convention(said)
        if convention is not None and convention != said:
            raise ValueError(f"convention={convention!r}, but the flux says it is on the {said!r} scale "
                             f"(attrs['flux_convention']): leave convention out, or drop the attribute if the "
                             "data were rescaled")
        return str(said)
    convention = "science" if convention is None else convention
    _check_convention(convention)
    return convention


def _check_convention(convention):
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be 'science' (true irradiance: reprocessed GOES 8-15, GOES-R) or "
                         f"'swpc' (operational GOES 8-15 scaled by 0.7), got {convention!r}")


def xrsb_1min(data, variable: str | None = None) -> xr.DataArray:
    """Validated XRS-B flux (W/m²) averaged to 1 minute (bins labelled by their start), as SWPC does.

    ``data`` is a DataArray indexed by ``time`` or a Dataset holding one of ``xrsb_flux`` (GOES-R),
    ``b_flux`` (reprocessed GOES 8-15) or ``variable``. Data at 1-s, 2-s, 3-s or 1-min cadence are
    accepted; coarser data cannot resolve the 4-minute start criterion and are refused.

    Examples
    --------
    >>> t = np.arange("2017-09-06", "2017-09-06T00:10", np.timedelta64(1, "s"), dtype="datetime64[ns]")
    >>> flux = xr.DataArray(np.full(t.size, 2e-6), coords={"time": t}, dims="time", attrs={"units": "W/m2"})
    >>> xrsb_1min(flux).sizes["time"]
    10
    """
    flux = _pick_variable(data, variable)
    if "time" not in flux.coords or not np.issubdtype(flux["time"].dtype, np.datetime64):
        raise ValueError("the XRS-B flux has no datetime64 'time' coordinate: pass an xarray.DataArray indexed by "
                         "time, e.g. ds.xrsb_flux from spacehub.catalog.open()['goes_xrs_flx1s'].read(...)")
    units = str(flux.attrs.get("units", "W/m2"))
    if units.strip().lower() not in FLUX_UNITS:
        raise ValueError(f"XRS-B flux must be in W/m2 (irradiance), got units {units!r}; convert it first")
    if flux.sizes["time"] < 2 or bool(flux.isnull().all()):
        raise ValueError("the XRS-B flux has no valid values (all NaN or fewer than two samples): pick a time range "
                         "with data")
    cadence_s = float(np.median(np.diff(flux["time"].values)) / np.timedelta64(1, "s"))
    if cadence_s > 60:
        raise ValueError(f"XRS-B flux at {cadence_s:g}-s cadence is too coarse: the SWPC flare definition needs "
                         "1-minute (or finer) data")
    # pandas, not xarray, resamples: xarray's per-bin groupby is far slower with ~1e5 bins
    minutes = flux.reset_coords(drop=True).to_series().resample("1min").mean()
    return xr.DataArray(minutes.to_numpy(), coords={"time": minutes.index.to_numpy()}, dims="time", attrs=flux.attrs)


def _pick_variable(data, variable):
    if isinstance(data, xr.DataArray):
        return data
    if not isinstance(data, xr.Dataset):
        raise ValueError(f"expected an xarray.Dataset or DataArray of XRS-B flux, got {type(data).__name__}")
    names = [variable] if variable else [n for n in XRSB_NAMES if n in data]
    if not names or names[0] not in data:
        raise ValueError(f"no XRS-B flux in the dataset (looked for {variable or XRSB_NAMES}); "
                         f"it has {sorted(data.data_vars)}: pass variable=...")
    return data[names[0]]


def flare_starts(flux_1min: np.ndarray, rise_minutes: int = 4, rise_ratio: float = 1.4) -> np.ndarray:
    """Boolean mask of minutes that start a run meeting the SWPC start criterion (see the module doc).

    Examples
    --------
    >>> flare_starts(np.array([1.0, 1.1, 1.3, 1.5, 1.4, 1.3]))
    array([ True, False, False, False, False, False])
    """
    f = np.asarray(flux_1min, dtype=float)
    starts = np.zeros(f.size, dtype=bool)
    if f.size < rise_minutes:
        return starts
    windows = np.lib.stride_tricks.sliding_window_view(f, rise_minutes)
    monotonic = np.all(np.diff(windows, axis=1) > 0, axis=1)
    starts[: windows.shape[0]] = monotonic & (windows[:, -1] >= rise_ratio * windows[:, 0])
    return starts


def detect_flares(data, convention: str | None = None, variable: str | None = None, rise_minutes: int = 4,
                  rise_ratio: float = 1.4) -> pd.DataFrame:
    """SWPC-style flare list from GOES XRS-B flux (see the module doc for the exact definition).

    Parameters
    ----------
    data : xarray.DataArray or xarray.Dataset
        XRS-B flux in W/m² indexed by ``time`` (1-s, 2-s or 1-min cadence); see :func:`xrsb_1min`.
    convention : {"science", "swpc"}, optional
        Scale of the input: ``"science"`` (true irradiance: GOES-R L2, reprocessed GOES 8-15) or
        ``"swpc"`` (operational GOES 8-15 fluxes scaled by 0.7); default: the flux's
        ``flux_convention`` attribute, else ``"science"`` (see :func:`flux_convention`).
    rise_minutes, rise_ratio : int, float
        The start criterion: that many monotonically increasing 1-min values, the last ≥ ratio × the first.

    Returns
    -------
    pandas.DataFrame
        One row per flare: ``start``, ``peak``, ``end`` (UTC), ``start_flux_W_m2``, ``peak_flux_W_m2``
        (both true irradiance), ``peak_flux_swpc_W_m2``, ``class_true``, ``class_swpc``, ``complete``.

    Examples
    --------
    >>> t = np.arange("2011-06-07T06:00", "2011-06-07T08:00", np.timedelta64(1, "m"), dtype="datetime64[ns]")
    >>> minutes = np.arange(t.size)
    >>> f = 2e-7 + 2.5e-5 * np.exp(-0.5 * ((minutes - 40) / 8.0) ** 2)
    >>> flux = xr.DataArray(f, coords={"time": t}, dims="time", attrs={"units": "W/m2"})
    >>> detect_flares(flux, convention="swpc")[["peak", "class_swpc", "class_true"]].to_dict("records")
    [{'peak': Timestamp('2011-06-07 06:40:00'), 'class_swpc': 'M2.5', 'class_true': 'M3.6'}]
    """
    flux = xrsb_1min(data, variable)
    convention = flux_convention(flux, convention)
    if flux.sizes["time"] < rise_minutes + 1:
        raise ValueError(f"{flux.sizes['time']} minute(s) of XRS-B data is too short to find flares: the start "
                         f"criterion alone needs {rise_minutes} minutes")
    f = flux.values.astype(float)
    t = flux["time"].values
    rows = [_flare_row(t, f, s, p, e, convention) for s, p, e in _scan_flares(f, flare_starts(f, rise_minutes,
                                                                                               rise_ratio))]
    columns = ["start", "peak", "end", "start_flux_W_m2", "peak_flux_W_m2", "peak_flux_swpc_W_m2", "class_true",
               "class_swpc", "complete"]
    return pd.DataFrame(rows, columns=columns)


def _scan_flares(f, starts):
    """(start, peak, end-or-None) minute indices, walking forward from each start."""
    i = _next_true(starts, 0)
    while i is not None:
        peak, end, j = i, None, i + 1
        while j < f.size:
            if f[j] > f[peak]:
                peak = j
            elif starts[j] and j > peak:
                end = j  # a new flare begins during the decay: this one ends there
                break
            elif f[j] <= 0.5 * (f[peak] + f[i]):
                end = j
                break
            j += 1
        yield i, peak, end
        i = None if end is None else _next_true(starts, end)


def _next_true(mask, begin):
    hits = np.flatnonzero(mask[begin:])
    return int(begin + hits[0]) if hits.size else None


def _flare_row(t, f, start, peak, end, convention):
    peak_true = float(to_true_flux(f[peak], convention))
    peak_swpc = float(to_swpc_flux(f[peak], convention))
    return {"start": t[start], "peak": t[peak], "end": t[end] if end is not None else np.datetime64("NaT", "ns"),
            "start_flux_W_m2": float(to_true_flux(f[start], convention)), "peak_flux_W_m2": peak_true,
            "peak_flux_swpc_W_m2": peak_swpc, "class_true": goes_class(peak_true), "class_swpc": goes_class(peak_swpc),
            "complete": end is not None}


# --- forecast baseline ----------------------------------------------------------------------------------

FEATURES = ("log10_max_flux", "log10_background", "n_c_flares", "n_m_flares", "background_trend")


def block_features(data, flares: pd.DataFrame | None = None, convention: str | None = None,
                   variable: str | None = None, *, block: str = "1D", event_flux_swpc_W_m2: float = 1e-5,
                   background_bin: str = "1h") -> pd.DataFrame:
    """One row of flare-forecast features per time block, with the target "an event in the next block".

    All fluxes on the SWPC scale (the scale of the historical flare statistics). Features of a block
    use only its own data: ``log10_max_flux`` (largest 1-min flux, "max class so far"),
    ``log10_background`` (smallest ``background_bin`` mean, close to NOAA's daily background for
    1-h bins), ``n_c_flares`` and ``n_m_flares`` (flares of class C and ≥M peaking in it),
    ``background_trend`` (change of ``log10_background`` since the block before).
    ``event_next_block`` is True when a flare of at least ``event_flux_swpc_W_m2`` (default M1)
    peaks in the next block; the last block, whose next one is not in the data, is dropped, and so
    are blocks without flux (eclipses, gaps).

    Parameters
    ----------
    data : xarray.Dataset or DataArray
        GOES XRS (see :func:`xrsb_1min`).
    flares : pandas.DataFrame, optional
        :func:`detect_flares` of the same data (detected here if left out).
    block : str
        pandas offset of a block, e.g. ``"1D"``, ``"6h"``.
    event_flux_swpc_W_m2 : float
        Smallest peak flux (SWPC scale) of a flare that counts as an event.
    background_bin : str
        Averaging bin of the background (its minimum over the block is the feature).

    Examples
    --------
    >>> t = np.arange("2017-09-01", "2017-09-02", np.timedelta64(1, "m"), dtype="datetime64[ns]")
    >>> flux = xr.DataArray(np.full(t.size, 1e-6), coords={"time": t}, dims="time", attrs={"units": "W/m2"})
    >>> block_features(flux, block="6h").shape
    (3, 6)
    """
    flux = xrsb_1min(data, variable)
    convention = flux_convention(flux, convention)
    flares = detect_flares(flux, convention) if flares is None else flares
    swpc = to_swpc_flux(flux.to_series(), convention)
    table = pd.DataFrame({"log10_max_flux": np.log10(swpc.resample(block).max()),
                          "log10_background": np.log10(swpc.resample(background_bin).mean().resample(block).min())})
    peaks = pd.Series(flares["peak_flux_swpc_W_m2"].to_numpy(float), index=pd.DatetimeIndex(flares["peak"]))
    for column, low, high in (("n_c_flares", 1e-6, 1e-5), ("n_m_flares", 1e-5, np.inf)):
        table[column] = _per_block(peaks[(peaks >= low) & (peaks < high)], block, table.index)
    table["background_trend"] = table["log10_background"].diff().fillna(0.0)
    table["event_next_block"] = _per_block(peaks[peaks >= event_flux_swpc_W_m2], block, table.index).shift(-1) > 0
    return table.iloc[:-1].dropna()


def _per_block(peaks: pd.Series, block: str, index: pd.DatetimeIndex) -> pd.Series:
    """Flares per block of ``index`` (0 where none peaked)."""
    return peaks.resample(block).count().reindex(index, fill_value=0)


def daily_features(data, flares: pd.DataFrame | None = None, convention: str | None = None,
                   variable: str | None = None) -> pd.DataFrame:
    """:func:`block_features` per UTC day, with the target "≥M flare in the next 24 h"
    (``m_flare_next_24h``): the usual daily forecasting baseline.

    Examples
    --------
    >>> t = np.arange("2017-09-01", "2017-09-04", np.timedelta64(1, "m"), dtype="datetime64[ns]")
    >>> flux = xr.DataArray(np.full(t.size, 1e-6), coords={"time": t}, dims="time", attrs={"units": "W/m2"})
    >>> daily_features(flux).shape
    (2, 6)
    """
    table = block_features(data, flares, convention, variable, block="1D", event_flux_swpc_W_m2=1e-5,
                           background_bin="1h")
    return table.rename(columns={"event_next_block": "m_flare_next_24h"})


def chronological_split(table: pd.DataFrame, train_fraction: float = 0.7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Earliest ``train_fraction`` of the rows (by index time) for training, the rest for testing.

    Flare activity is persistent, so a random split would leak tomorrow into today's training set.
    """
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be between 0 and 1, got {train_fraction}")
    ordered = table.sort_index()
    cut = int(round(train_fraction * len(ordered)))
    if cut < 2 or cut > len(ordered) - 1:
        raise ValueError(f"{len(ordered)} days are too few to split into training and test sets")
    return ordered.iloc[:cut], ordered.iloc[cut:]


@dataclass
class LogisticModel:
    """Logistic regression on standardised features: P(y=1) = 1 / (1 + exp(-(b0 + x·b)))."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # intercept first

    @classmethod
    def fit(cls, X, y, l2: float = 1e-2) -> LogisticModel:
        """Maximum-likelihood fit with a small L2 penalty (keeps separable data finite)."""
        X, y = np.asarray(X, float), np.asarray(y, float)
        mean, scale = X.mean(axis=0), X.std(axis=0)
        scale[scale == 0] = 1.0
        A = np.column_stack([np.ones(len(X)), (X - mean) / scale])

        def loss(b):
            z = A @ b
            nll = np.sum(np.logaddexp(0, z) - y * z)
            p = expit(z)
            return nll + l2 * b[1:] @ b[1:], A.T @ (p - y) + 2 * l2 * np.r_[0, b[1:]]

        result = minimize(loss, np.zeros(A.shape[1]), jac=True, method="L-BFGS-B")
        return cls(mean, scale, result.x)

    def predict_proba(self, X) -> np.ndarray:
        z = self.coef[0] + ((np.asarray(X, float) - self.mean) / self.scale) @ self.coef[1:]
        return expit(z)


def confusion_matrix(observed, forecast) -> dict[str, int]:
    """Counts of hits ``tp``, misses ``fn``, false alarms ``fp`` and correct negatives ``tn``.

    Examples
    --------
    >>> confusion_matrix([1, 1, 0, 0, 0], [1, 0, 1, 0, 0])
    {'tp': 1, 'fn': 1, 'fp': 1, 'tn': 2}
    """
    o, f = np.asarray(observed, bool), np.asarray(forecast, bool)
    return {"tp": int(np.sum(o & f)), "fn": int(np.sum(o & ~f)), "fp": int(np.sum(~o & f)), "tn": int(np.sum(~o & ~f))}


def true_skill_statistic(tp: int, fn: int, fp: int, tn: int) -> float:
    """TSS = TP/(TP+FN) − FP/(FP+TN) (Hanssen & Kuipers 1965; Bloomfield et al. 2012, ApJL 747, L41).

    Examples
    --------
    >>> round(true_skill_statistic(tp=20, fn=10, fp=30, tn=140), 4)
    0.4902
    """
    if tp + fn == 0 or fp + tn == 0:
        raise ValueError("TSS needs both event and non-event cases in the observations")
    return tp / (tp + fn) - fp / (fp + tn)


def heidke_skill_score(tp: int, fn: int, fp: int, tn: int) -> float:
    """HSS = 2(TP·TN − FN·FP) / [(TP+FN)(FN+TN) + (TP+FP)(FP+TN)] (Heidke 1926; Barnes et al. 2016).

    Examples
    --------
    >>> round(heidke_skill_score(tp=20, fn=10, fp=30, tn=140), 4)
    0.3846
    """
    denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
    if denominator == 0:
        raise ValueError("HSS is undefined for this confusion matrix (no events and no forecasts)")
    return 2 * (tp * tn - fn * fp) / denominator


def forecast_m_flares(table: pd.DataFrame, train_fraction: float = 0.7, threshold: float | None = None,
                      target: str | None = None) -> dict:
    """Fit the logistic baseline on the earliest rows, forecast the rest, and score it.

    ``table`` is :func:`daily_features` (target ``m_flare_next_24h``) or :func:`block_features`
    (target ``event_next_block``); ``target`` names another boolean column. ``threshold`` is the
    probability above which an event is forecast; by default the training climatology (fraction of
    rows followed by an event), the usual choice for rare events. Returns ``model``, ``threshold``,
    ``n_train``, ``test`` (the test rows with ``probability`` and ``forecast``), the test
    ``confusion`` counts, ``tss`` and ``hss``.
    """
    if target is None:
        target = "m_flare_next_24h" if "m_flare_next_24h" in table else "event_next_block"
    if target not in table:
        raise ValueError(f"no target column {target!r} in the table (it has: {', '.join(table.columns)})")
    train, test = chronological_split(table, train_fraction)
    y = train[target].to_numpy(bool)
    if y.all() or not y.any():
        raise ValueError("the training rows need both outcomes (with and without a following event); "
                         "use a longer series")
    model = LogisticModel.fit(train[list(FEATURES)].to_numpy(), y)
    threshold = float(y.mean()) if threshold is None else threshold
    test = test.assign(probability=model.predict_proba(test[list(FEATURES)].to_numpy()))
    test["forecast"] = test["probability"] >= threshold
    counts = confusion_matrix(test[target], test["forecast"])
    return {"model": model, "threshold": threshold, "n_train": len(train), "test": test, "confusion": counts,
            "tss": true_skill_statistic(**counts), "hss": heidke_skill_score(**counts)}
