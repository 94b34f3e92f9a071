"""Notebook widgets: each an ipywidgets view over a small validated model that works without a browser.

* :class:`DatasetPicker` over :class:`DatasetSelection` - mission, dataset, variables of the catalog
* :class:`TimeRangePicker` over :class:`TimeRange` - a [start, stop) that fits the dataset
* :class:`ClusterPanel` over :class:`ClusterControl` - the user's Dask Gateway cluster and quota
* :class:`PlotPane` over :class:`PlotModel`, and :func:`plot_timeseries` - stacked panels with units,
  gaps and event markers
* :func:`explorer` - the first three wired together
* :func:`provenance` - the datasets, ranges and versions behind a notebook's results
* :func:`show`, :func:`show_in`, :func:`message` - figures and messages in cells and ``Output`` widgets

>>> from spacehub.widgets import explorer                               # doctest: +SKIP
>>> explorer(dataset_id="omni_hro_1min", start="2015-03-17", stop="2015-03-19")  # doctest: +SKIP
"""

from .cluster import ClusterControl, UserLimits
from .cluster_panel import ClusterPanel
from .dataset import DatasetPicker, DatasetSelection
from .display import message, rendered, show, show_in
from .explorer import Explorer, explorer
from .feedback import MessageLine
from .pane import PlotModel, PlotPane
from .plots import plot_timeseries, with_gaps
from .provenance import provenance, versions
from .timerange import TimeRange, TimeRangePicker, presets_from_events

__all__ = ["ClusterControl", "ClusterPanel", "DatasetPicker", "DatasetSelection", "Explorer", "MessageLine",
           "PlotModel", "PlotPane", "TimeRange", "TimeRangePicker", "UserLimits", "explorer", "plot_timeseries",
           "message", "presets_from_events", "provenance", "rendered", "show", "show_in", "versions", "with_gaps"]
