"""``explorer()``: dataset picker, time-range picker and plot pane wired together."""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from ..catalog import Catalog
from .dataset import DatasetPicker
from .pane import PlotPane
from .timerange import TimeRangePicker


class Explorer(widgets.VBox):
    """The three widgets of :func:`explorer`, reachable as ``.dataset``, ``.time_range`` and ``.plot``."""

    def __init__(self, dataset: DatasetPicker, time_range: TimeRangePicker, plot: PlotPane):
        self.dataset, self.time_range, self.plot = dataset, time_range, plot
        # side by side where there is room, the time range below the dataset where there is not
        row = widgets.HBox([dataset, time_range], layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([row, plot])


def explorer(catalog: Catalog | None = None, *, dataset_id: str | None = None, variables=None,
             start=None, stop=None, presets: dict | None = None, events: pd.DataFrame | None = None,
             backend: str = "hvplot") -> Explorer:
    """Pick a time-series dataset, its variables and a time range, and see them plotted.

    Parameters
    ----------
    catalog : the catalog (default: ``spacehub.catalog.open()``).
    dataset_id, variables : the first choice (default: the catalog's first time series).
    start, stop : the first range; default: the first preset, if any.
    presets : label -> (start, stop) quick choices, e.g. ``presets_from_events(events)``.
    events : DataFrame with start/peak/end columns, marked on every panel.
    backend : ``"hvplot"`` or ``"matplotlib"``.

    Examples
    --------
    >>> ui = explorer(dataset_id="omni_hro_1min", variables=["BZ_GSM", "SYM_H"],
    ...               presets={"St Patrick's Day storm": ("2015-03-17", "2015-03-19")})  # doctest: +SKIP
    >>> ui                               # doctest: +SKIP
    >>> ds = ui.plot.model.data          # doctest: +SKIP
    """
    picker = DatasetPicker(catalog, kind="timeseries")
    if dataset_id is not None:
        picker.model.select(dataset_id, variables)
    if start is None and stop is None and presets:
        start, stop = next(iter(presets.values()))
    times = TimeRangePicker(picker.entry, start, stop, presets=presets, dataset=picker)
    pane = PlotPane(picker, times, backend=backend, events=events)
    return Explorer(picker, times, pane)
