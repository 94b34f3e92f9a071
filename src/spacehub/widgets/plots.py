"""Stacked time-series panels with units, gaps and event markers: hvplot (interactive) or matplotlib (static).

The matplotlib backend builds a ``Figure`` without pyplot, so it needs no display and no GUI
backend: it renders with Agg in headless tests and for static export (``fig.savefig``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

BACKENDS = ("hvplot", "matplotlib")
#: a time step this many times the typical one is a data gap, drawn as a break in the line
GAP_FACTOR = 1.5
#: positive data spanning more decades than this is drawn on a log axis (X-ray and particle fluxes)
LOG_DECADES = 3


def with_gaps(da: xr.DataArray, factor: float = GAP_FACTOR) -> xr.DataArray:
    """``da`` with a NaN sample after every time step longer than ``factor`` times the median step.

    Lines break at NaN in both backends, so a hole in the data shows as a hole, not as a straight
    line across it.

    >>> t = np.array(["2015-03-17T00:00", "2015-03-17T00:01", "2015-03-17T00:02", "2015-03-17T01:00"],
    ...              dtype="datetime64[ns]")
    >>> with_gaps(xr.DataArray([1.0, 2, 3, 4], coords={"time": t})).values
    array([ 1.,  2.,  3., nan,  4.])
    """
    t = da["time"].values
    if t.size < 3:
        return da
    steps = np.diff(t).astype("int64")  # ns; numpy has no median of timedelta64
    typical = np.median(steps)
    jumps = np.flatnonzero(steps > factor * typical)
    if not jumps.size:
        return da
    after_jump = t[jumps] + np.timedelta64(int(typical), "ns")
    return da.reindex(time=np.sort(np.concatenate([t, after_jump])))


def axis_label(da: xr.DataArray) -> str:
    """``name [units]`` from the variable's ``units`` attribute (``name`` alone when unitless)."""
    units = da.attrs.get("units", "")
    return f"{da.name} [{units}]" if units else str(da.name)


def event_times(events: pd.DataFrame | None, t0: np.datetime64, t1: np.datetime64) -> list[tuple]:
    """``(start, peak, end)`` as datetime64 (None where a column is absent) of the events meeting [t0, t1]."""
    if events is None or len(events) == 0:
        return []
    if not {"start", "peak", "end"} & set(events.columns):
        raise ValueError("event markers need start, peak and/or end columns; the events have: "
                         f"{', '.join(map(str, events.columns))}")

    def column(name):
        return pd.to_datetime(events[name]).to_numpy("datetime64[ns]") if name in events else [None] * len(events)

    kept = []
    for start, peak, end in zip(column("start"), column("peak"), column("end")):
        times = [t for t in (start, peak, end) if t is not None and not np.isnat(t)]
        if times and min(times) <= t1 and max(times) >= t0:
            kept.append((start, peak, end))
    return kept


def _use_log(da: xr.DataArray, logy: bool | None) -> bool:
    if logy is not None:
        return logy
    values = np.asarray(da.values, dtype=float)
    values = values[np.isfinite(values)]
    return bool(values.size and values.min() > 0 and np.log10(values.max() / values.min()) > LOG_DECADES)


def _check(ds: xr.Dataset, variables) -> list[str]:
    if "time" not in ds.dims:
        raise ValueError(f"the dataset has no time dimension (dims: {', '.join(map(str, ds.dims))}): "
                         "plot_timeseries draws time series")
    names = list(variables) if variables else [n for n in ds.data_vars if "time" in ds[n].dims]
    if not names:
        raise ValueError("no variable to plot: pick at least one variable")
    for n in names:
        if n not in ds:
            raise ValueError(f"the dataset has no variable {n!r}; it has: {', '.join(map(str, ds.data_vars))}")
        if ds[n].ndim > 2:
            raise ValueError(f"{n} has dims {ds[n].dims}: plot_timeseries draws scalars and vectors over "
                             "time; plot spectra or images another way")
    return [str(n) for n in names]


def plot_timeseries(ds: xr.Dataset, variables=None, backend: str = "hvplot", *, events: pd.DataFrame | None = None,
                    logy: bool | None = None, gap_factor: float = GAP_FACTOR):
    """One panel per variable, stacked over a shared time axis, units on the y axes.

    Parameters
    ----------
    ds : Dataset with a ``time`` dimension, e.g. from ``Entry.read``.
    variables : names to plot (default: every variable over time). Vectors (time, component)
        get one line per component.
    backend : ``"hvplot"`` (interactive bokeh ``Layout`` with linked x ranges) or ``"matplotlib"``
        (a ``Figure`` with shared x axes, no display needed).
    events : DataFrame with ``start``/``peak``/``end`` columns: spans from start to end, a dashed
        line at the peak, on every panel.
    logy : log y axes; default: for positive data spanning more than three decades.
    gap_factor : time steps longer than this many typical steps are drawn as gaps.

    Examples
    --------
    >>> ds = spacehub.catalog.open().omni_hro_1min.read("2015-03-17", "2015-03-19")   # doctest: +SKIP
    >>> fig = plot_timeseries(ds, ["BZ_GSM", "SYM_H"], backend="matplotlib")           # doctest: +SKIP
    >>> fig.savefig("storm.png")                                                       # doctest: +SKIP
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown plot backend {backend!r}; use one of: {', '.join(BACKENDS)}")
    names = _check(ds, variables)
    panels = [with_gaps(ds[n], gap_factor) for n in names]
    t = ds["time"].values
    marks = event_times(events, t.min(), t.max()) if t.size else []
    draw = _matplotlib if backend == "matplotlib" else _hvplot
    return draw(panels, marks, logy, title=ds.attrs.get("title", ""))


def _matplotlib(panels: list[xr.DataArray], marks: list[tuple], logy, title: str):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 1.2 + 1.8 * len(panels)), layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, da in zip(axes, panels):
        if da.ndim == 1:
            ax.plot(da["time"].values, da.values, lw=0.8)
        else:
            component = next(d for d in da.dims if d != "time")
            for i, label in enumerate(da[component].values if component in da.coords else range(da.sizes[component])):
                ax.plot(da["time"].values, da.isel({component: i}).values, lw=0.8, label=str(label))
            ax.legend(loc="upper right", fontsize="small")
        ax.set_ylabel(axis_label(da))
        if _use_log(da, logy):
            ax.set_yscale("log")
        for start, peak, end in marks:
            if start is not None and end is not None:
                ax.axvspan(start, end, color="tab:orange", alpha=0.15, lw=0)
            if peak is not None:
                ax.axvline(peak, color="tab:red", ls="--", lw=0.8)
    axes[-1].set_xlabel("time (UTC)")
    fig.suptitle(title, fontsize="medium")
    return fig


def _load_hvplot():
    """Import ``hvplot.xarray`` once per kernel (it registers ``.hvplot`` on xarray objects).

    hvplot takes its module out of ``sys.modules`` after each cell, so that importing it again
    re-sends the plotting JavaScript to the page; with that JavaScript inline (spacehub's kernels,
    :mod:`spacehub.notebook`) every plot would carry ~3 MB more. The first import's load output
    stays in the notebook, and JupyterLab runs it again when the notebook is reopened.
    """
    global _hvplot_loaded
    if not _hvplot_loaded:
        try:
            import hvplot.xarray  # noqa: F401 - registers .hvplot on xarray objects
        except ImportError as e:
            raise ImportError(f"the hvplot backend needs hvplot and holoviews ({e}): pip install hvplot, "
                              "or use backend='matplotlib'") from None
        _hvplot_loaded = True


_hvplot_loaded = False


def _hvplot(panels: list[xr.DataArray], marks: list[tuple], logy, title: str):
    _load_hvplot()
    import holoviews as hv
    plots = []
    for da in panels:
        by = [d for d in da.dims if d != "time"]
        plot = da.hvplot.line(x="time", by=by or None, ylabel=axis_label(da), xlabel="time (UTC)",
                              logy=_use_log(da, logy), width=900, height=220)
        for start, peak, end in marks:
            if start is not None and end is not None:
                plot = plot * hv.VSpan(start, end).opts(color="orange", alpha=0.15)
            if peak is not None:
                plot = plot * hv.VLine(peak).opts(color="red", line_dash="dashed", line_width=1)
        plots.append(plot)
    return hv.Layout(plots).cols(1).opts(shared_axes=True, title=title)
