"""Pick a time range [start, stop) for a dataset: the ``TimeRange`` model and its picker."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
import pandas as pd
from traitlets import Any, Bool, Dict, HasTraits, Instance, Int, TraitError, Unicode, observe, validate

from ..catalog import Entry
from ..timerange import (
    LATEST,
    ONE_DAY,
    TimeError,
    format_span,
    format_time,
    parse_duration,
    parse_time,
    require_time,
    resolve_open_end,
)
from .feedback import MessageLine, ModelLink


def cadence_of(entry: Entry | None) -> np.timedelta64 | None:
    """The entry's cadence (ISO 8601 duration such as ``PT1M``) as timedelta64, None if irregular.

    >>> cadence_of(spacehub.catalog.open().omni_hro_1min)   # doctest: +SKIP
    np.timedelta64(60000000000,'ns')
    """
    return None if entry is None else parse_duration(entry.cadence)


def iso(t: np.datetime64) -> str:
    """``t`` to the second, the date alone at midnight: ``2015-03-17`` or ``2015-03-17T04:45:00``."""
    return format_time(t.astype("datetime64[s]"))


def duration_text(span: np.timedelta64) -> str:
    """``span`` in days, hours, minutes and seconds, zero parts left out.

    >>> duration_text(np.timedelta64(120000, "m"))
    '83 d 8 h'
    """
    seconds = int(span / np.timedelta64(1, "s"))
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts) or "0 s"


def presets_from_events(events: pd.DataFrame, label: str | None = None,
                        pad: np.timedelta64 = np.timedelta64(1, "h")) -> dict[str, tuple[str, str]]:
    """Time-range presets, one per event row: [start - pad, end + pad) under the row's label.

    ``events`` has ``start`` and ``end`` columns (or ``peak`` alone); ``label`` names the column
    to label presets by (default: the index).

    >>> ev = pd.DataFrame({"start": ["2017-09-06T11:53"], "end": ["2017-09-06T12:10"]}, index=["X9.3"])
    >>> presets_from_events(ev)
    {'X9.3': ('2017-09-06T10:53:00', '2017-09-06T13:10:00')}
    """
    first = "start" if "start" in events else "peak"
    last = "end" if "end" in events else "peak"
    if first not in events:
        raise ValueError(f"events need start/end or peak columns; they have: {', '.join(map(str, events.columns))}")
    names = events[label] if label else events.index
    return {str(name): (iso(require_time(t0, "start") - pad), iso(require_time(t1, "end") + pad))
            for name, t0, t1 in zip(names, events[first], events[last])}


class TimeRange(HasTraits):
    """A validated [start, stop) for one catalog entry.

    ``valid`` is False and ``message`` says what would work when stop <= start, when the range is
    outside the entry's coverage or when it holds more than ``max_samples`` samples at the entry's
    cadence. A range that only partly meets the coverage is valid, with a note.

    >>> tr = TimeRange(spacehub.catalog.open().omni_hro_1min)   # doctest: +SKIP
    >>> tr.start, tr.stop = "2015-03-18", "2015-03-17"           # doctest: +SKIP
    >>> tr.valid, tr.message                                     # doctest: +SKIP
    (False, 'stop 2015-03-17 is not after start 2015-03-18: pick a later stop, e.g. 2015-03-19')
    """

    entry = Instance(Entry, allow_none=True, help="The dataset the range is for (coverage, cadence).")
    start = Any(None, help="Start (inclusive) as datetime64[ns], or None.")
    stop = Any(None, help="Stop (exclusive) as datetime64[ns], or None.")
    max_samples = Int(2_000_000, help="Most samples per variable one interactive read may hold.")
    presets = Dict(help="Label -> (start, stop) of quick choices, e.g. the sample's events.")
    valid = Bool(False, read_only=True)
    message = Unicode("", read_only=True, help="Why the range is invalid, a note, or ''.")

    def __init__(self, entry: Entry | None = None, start=None, stop=None, *, presets=None,
                 max_samples: int = 2_000_000):
        super().__init__()
        self.max_samples = max_samples
        self.presets = dict(presets or {})
        self.entry = entry
        refused = []
        for name, value in (("start", start), ("stop", stop)):
            try:
                setattr(self, name, value)
            except TraitError as e:  # shown as the message, as text typed into the picker would be
                refused.append(str(e))
        self._check()
        if refused:
            self.set_trait("valid", False)
            self.set_trait("message", "; ".join(refused))

    def apply_preset(self, label: str) -> None:
        """Set start and stop to the preset ``label``."""
        if label not in self.presets:
            raise ValueError(f"no preset {label!r}; the presets are: {', '.join(self.presets) or '(none)'}")
        start, stop = self.presets[label]
        with self.hold_trait_notifications():
            self.start, self.stop = start, stop

    @validate("start", "stop")
    def _to_datetime64(self, proposal):
        try:
            return parse_time(proposal["value"], proposal["trait"].name)
        except TimeError as e:
            raise TraitError(str(e)) from None

    @observe("entry", "start", "stop", "max_samples")
    def _on_change(self, _change):
        self._check()

    def _check(self) -> None:
        why = self._problem()
        self.set_trait("valid", why is None)
        self.set_trait("message", why or self._note())

    def _problem(self) -> str | None:
        t0, t1, entry = self.start, self.stop, self.entry
        if t0 is None or t1 is None:
            return "give a start and a stop (ISO 8601, e.g. 2015-03-17 or 2015-03-17T04:45)"
        if t1 <= t0:
            return f"stop {iso(t1)} is not after start {iso(t0)}: pick a later stop, e.g. {iso(_later(t0, ONE_DAY))}"
        if entry is None:
            return None
        first, last = _coverage(entry)
        if t1 <= first or t0 >= last:
            return self._outside_coverage(t0, t1, entry)
        return self._too_long(max(t0, first), min(t1, last))

    def _outside_coverage(self, t0, t1, entry: Entry) -> str:
        first, last = _coverage(entry)
        span = min(t1 - t0, ONE_DAY)
        a, b = (first, _later(first, span)) if t1 <= first else (last - span, last)
        return (f"[{iso(t0)}, {iso(t1)}) is outside the coverage of {entry.id}, {_coverage_text(entry)}: "
                f"pick a range inside it, e.g. {iso(a)} .. {iso(b)}")

    def _too_long(self, t0, t1) -> str | None:
        """Why the covered part [t0, t1) holds too many samples at the entry's cadence, or None."""
        entry = self.entry
        cadence = cadence_of(entry) if entry is not None else None
        if entry is None or cadence is None:
            return None
        samples = int((t1 - t0) // cadence)
        if samples <= self.max_samples:
            return None
        longest = (cadence * self.max_samples).astype("timedelta64[s]")
        return (f"[{iso(t0)}, {iso(t1)}) holds about {samples:,} samples per variable at {entry.id}'s cadence "
                f"{entry.cadence}, more than the {self.max_samples:,} one interactive read allows: pick at most "
                f"{duration_text(longest)}, e.g. {iso(t0)} .. {iso(_later(t0, longest))}, or read the whole range lazily "
                f"(entry.read(start, stop, lazy=True)) on your Dask cluster")

    def _note(self) -> str:
        t0, t1, entry = self.start, self.stop, self.entry
        if entry is None:
            return ""
        if self.valid and t0 < entry.start:
            return f"note: {entry.id} has data from {iso(entry.start)} on; the range is read from there"
        if self.valid and entry.stop is not None and t1 > entry.stop:
            return f"note: {entry.id} has data until {iso(entry.stop)}; the range is read up to there"
        return ""


class TimeRangePicker(widgets.VBox):
    """Start and stop as ISO text, presets and the dataset's coverage over a ``TimeRange``.

    With ``dataset`` (a ``DatasetPicker`` or ``DatasetSelection``) the range follows its entry.

    >>> picker = TimeRangePicker(dataset=dataset_picker, presets={"storm": ("2015-03-17", "2015-03-19")})  # doctest: +SKIP
    >>> picker.stop.value = "2015-03-16"      # doctest: +SKIP
    >>> picker.model.valid                    # doctest: +SKIP
    False
    """

    def __init__(self, entry: Entry | None = None, start=None, stop=None, *, presets=None, dataset=None,
                 model: TimeRange | None = None):
        self.model = model or TimeRange(entry, start, stop, presets=presets)
        # sized to fit side by side in a notebook's output at any common window width
        fit = {"style": {"description_width": "initial"}, "layout": widgets.Layout(width="16em")}
        self.start = widgets.Text(description="Start", continuous_update=False, placeholder="2015-03-17T04:45", **fit)
        self.stop = widgets.Text(description="Stop", continuous_update=False, placeholder="2015-03-18", **fit)
        self.preset = widgets.Dropdown(description="Presets")
        self.coverage = widgets.HTML()
        self.message = MessageLine()
        self._link = ModelLink(self.message, self._show_model_message)
        self._link.forward(self.start, lambda v: setattr(self.model, "start", v or None))
        self._link.forward(self.stop, lambda v: setattr(self.model, "stop", v or None))
        self._link.forward(self.preset, self._apply_preset)
        self.model.observe(self._render, ["entry", "start", "stop", "presets", "message"])
        if dataset is not None:
            self._follow(getattr(dataset, "model", dataset))
        self._render()
        super().__init__([widgets.HBox([self.start, self.stop]), self.preset, self.coverage, self.message])

    def _follow(self, selection) -> None:
        def set_entry(_change=None):
            self.model.entry = selection.entry

        selection.observe(set_entry, "dataset_id")
        set_entry()

    def _show_model_message(self) -> None:
        self.message.show(self.model.message, "error" if not self.model.valid else "warning")

    def _apply_preset(self, label: str) -> None:
        if label:  # the dropdown's empty choice: nothing to apply
            self.model.apply_preset(label)

    def _render(self, _change=None) -> None:
        m = self.model
        with self._link.quiet():
            self.start.value = iso(m.start) if m.start is not None else ""
            self.stop.value = iso(m.stop) if m.stop is not None else ""
            self.preset.options = [("choose a preset", "")] + [(label, label) for label in m.presets]
            self.preset.value = ""
        self.preset.layout.display = "" if m.presets else "none"
        self.coverage.value = _coverage_html(m.entry)
        self._show_model_message()


def covered_part(entry: Entry, start: np.datetime64, stop: np.datetime64) -> tuple[np.datetime64, np.datetime64]:
    """The part of [start, stop) in ``entry``'s coverage: what a read of the range gets, as the range's
    note says (a read of the whole range would look for every file of the years without data)."""
    first, last = _coverage(entry)
    return max(start, first), min(stop, last)


def _later(t: np.datetime64, span: np.timedelta64) -> np.datetime64:
    """``t + span``, at most the last day datetime64[ns] holds (numpy would wrap round to 1677)."""
    return t + span if span <= LATEST - t else LATEST


def _coverage(entry: Entry) -> tuple[np.datetime64, np.datetime64]:
    """The entry's coverage with an open end read as now (UTC): no data comes from the future."""
    return entry.start, resolve_open_end(entry.stop)


def _coverage_text(entry: Entry) -> str:
    """``1981-01-01 .. now``: to the second, the date alone at midnight."""
    return format_span(entry.start.astype("datetime64[s]"),
                       None if entry.stop is None else entry.stop.astype("datetime64[s]"))


def _coverage_html(entry: Entry | None) -> str:
    if entry is None:
        return ""
    cadence = entry.cadence or "irregular"
    return (f"<small><code>{html.escape(entry.id)}</code>: data {_coverage_text(entry)}, "
            f"cadence {html.escape(cadence)}</small>")
