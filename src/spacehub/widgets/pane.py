"""A plot that follows the pickers: the ``PlotModel`` (read + plot) and the ``PlotPane`` that shows it."""

from __future__ import annotations

import io

import ipywidgets as widgets
import pandas as pd
from traitlets import Any, Bool, Enum, HasTraits, Unicode

from .dataset import DatasetSelection
from .feedback import MessageLine
from .plots import BACKENDS, plot_timeseries
from .timerange import TimeRange, covered_part, iso


class PlotModel(HasTraits):
    """Reads the chosen variables over the chosen range and plots them.

    ``update()`` reads only when the dataset, range or variables changed since the last read, so
    switching the backend re-plots without reading again.

    >>> model = PlotModel(selection, time_range, backend="matplotlib")   # doctest: +SKIP
    >>> model.update(), model.figure                                      # doctest: +SKIP
    (True, <Figure size 1000x480 with 2 Axes>)
    """

    backend = Enum(BACKENDS, default_value="hvplot", help="hvplot (interactive) or matplotlib (static).")
    figure = Any(None, read_only=True, help="The last plot: a holoviews Layout or a matplotlib Figure.")
    data = Any(None, read_only=True, help="The last dataset read.")
    ok = Bool(False, read_only=True, help="Whether the figure shows the current choice.")
    message = Unicode("", read_only=True, help="What is shown, or why nothing is.")

    def __init__(self, selection: DatasetSelection, time_range: TimeRange, *, backend: str = "hvplot",
                 events: pd.DataFrame | None = None):
        super().__init__()
        self.selection, self.time_range = selection, time_range
        self.backend = backend
        self.events = events  #: DataFrame with start/peak/end columns, drawn on every panel
        self._read_key: tuple | None = None
        self._plot_key: tuple | None = None

    def _choice(self):
        entry, tr = self.selection.entry, self.time_range
        return (entry.id if entry else None, tr.start, tr.stop, self.selection.variables)

    def _not_ready(self) -> str | None:
        if self.selection.entry is None:
            return self.selection.message or "pick a dataset"
        if not self.selection.variables:
            return "pick at least one variable"
        if not self.time_range.valid:
            return self.time_range.message
        entry, tr = self.selection.entry, self.time_range
        if tr.entry is not entry:  # checked for another dataset (or none): between the two models' updates
            check = TimeRange(entry, tr.start, tr.stop, max_samples=tr.max_samples)
            if not check.valid:
                return check.message
        return None

    def update(self) -> bool:
        """Read (if the choice changed) and plot; False with ``message`` saying why when it cannot."""
        why = self._not_ready()
        if why:
            return self._fail(why)
        key = self._choice()
        if (key, self.backend) == self._plot_key:
            return self.ok
        entry = self.selection.entry
        assert entry is not None  # _not_ready said so; for the type checker
        t0, t1 = covered_part(entry, self.time_range.start, self.time_range.stop)
        if key != self._read_key:
            try:
                ds = entry.read(t0, t1, list(self.selection.variables))
            except (ValueError, KeyError, OSError) as e:
                return self._fail(f"could not read {entry.id} for [{iso(t0)}, {iso(t1)}): {_text(e)}")
            self.set_trait("data", ds)
            self._read_key = key
        try:
            figure = plot_timeseries(self.data, self.selection.variables, self.backend, events=self.events)
        except (ValueError, ImportError) as e:
            return self._fail(f"could not plot {entry.id}: {_text(e)}")
        self._plot_key = (key, self.backend)
        self.set_trait("figure", figure)
        self.set_trait("ok", True)
        self.set_trait("message", f"{entry.id}: {self.data.sizes.get('time', 0):,} samples in "
                                  f"[{iso(t0)}, {iso(t1)})")
        return True

    def _fail(self, why: str) -> bool:
        self._plot_key = None
        self.set_trait("ok", False)
        self.set_trait("message", why)
        return False


def _text(error: Exception) -> str:
    """The error's own sentence (KeyError's str() adds quotes)."""
    return str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)


def png_bytes(figure, dpi: int = 96) -> bytes:
    """A matplotlib ``Figure`` as PNG, rendered with Agg (no display needed)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class PlotPane(widgets.VBox):
    """An ``Output`` with the current plot, re-drawn whenever the pickers' models change.

    >>> pane = PlotPane(dataset_picker, time_picker, backend="matplotlib")   # doctest: +SKIP
    >>> pane.model.figure                                                     # doctest: +SKIP
    """

    def __init__(self, dataset, time_range, *, backend: str = "hvplot", events: pd.DataFrame | None = None,
                 model: PlotModel | None = None):
        selection = getattr(dataset, "model", dataset)
        time_model = getattr(time_range, "model", time_range)
        self.model = model or PlotModel(selection, time_model, backend=backend, events=events)
        self.backend = widgets.ToggleButtons(options=BACKENDS, value=self.model.backend, description="Plot with")
        self.backend.observe(lambda change: setattr(self.model, "backend", change["new"]), "value")
        self.message = MessageLine()
        self.output = widgets.Output()
        self._shown = None
        selection.observe(self.refresh, ["dataset_id", "variables"])
        time_model.observe(self.refresh, ["start", "stop", "entry"])
        self.model.observe(self.refresh, "backend")
        super().__init__([self.backend, self.message, self.output])
        self.refresh()

    def refresh(self, _change=None) -> None:
        """Update the model and show its figure, or its message in place of a figure."""
        from IPython.display import Image

        self.message.show("reading ...", "info")
        ok = self.model.update()
        self.message.show(self.model.message, "info" if ok else "error")
        figure = self.model.figure if ok else None
        if figure is self._shown:
            return
        self._shown = figure
        # set as the Output's state rather than captured with `with output:`, which works
        # only in the kernel's main thread and leaves nothing to check without a front end
        self.output.outputs = ()
        if figure is not None:
            # a PNG shows the same in every front end, inline matplotlib backend or not
            shown = Image(png_bytes(figure)) if self.model.backend == "matplotlib" else figure
            self.output.append_display_data(shown)
