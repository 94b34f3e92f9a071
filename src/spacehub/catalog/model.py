"""The catalog's entries: one mission dataset each, with its variables and access routes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..timerange import TimeRange, format_time
from .context import ReadContext
from .display import entry_html, entry_repr


@dataclass(frozen=True)
class Variable:
    name: str
    units: str
    description: str
    quantity: str | None = None
    fill: float | None = None
    components: tuple[str, ...] = ()
    frame: str | None = None
    #: the product's time variable where it is not the dataset's main one (Wind MFI's 3-s ``Epoch3``)
    time_axis: str | None = None
    cadence: str | None = None  #: the cadence on that axis


@dataclass(frozen=True, repr=False)
class Entry:
    """One dataset of the catalog, as written in ``catalogs/<mission>.yaml`` (defaults merged in).

    Its ``repr`` is one line (id, mission, cadence, coverage, variables, title); in a notebook it shows
    as a small table (``_repr_html_``).
    """

    id: str
    title: str
    mission: str
    domain: str
    description: str
    start: np.datetime64  #: first data (UTC)
    stop: np.datetime64 | None  #: last data, None while the mission is delivering
    variables: tuple[Variable, ...]
    routes: tuple[dict, ...]
    kind: str = "timeseries"
    instrument: str = ""
    provider: str = ""
    cadence: str = ""
    keywords: tuple[str, ...] = ()
    citation: str = ""
    doi: str = ""
    licence: str = ""
    data_policy: str = ""
    homepage: str = ""
    #: a short range with data where a first look starts (the catalog's ``example``), or None
    example: tuple[np.datetime64, np.datetime64] | None = None
    source: Path | None = field(default=None, compare=False)  #: the catalog file
    #: where reads find samples and the shared cache: the context of the catalog the entry came from
    context: ReadContext = field(default_factory=ReadContext, compare=False, repr=False)

    def variable(self, name: str) -> Variable:
        for v in self.variables:
            if v.name == name:
                return v
        known = ", ".join(v.name for v in self.variables)
        raise KeyError(f"{self.id} has no variable {name!r} (it has: {known})")

    def read(self, start=None, stop=None, variables: list[str] | None = None, **options):
        """The data in [start, stop) as an ``xarray.Dataset`` (time as datetime64, fills as NaN).

        Options: ``lazy=True`` (dask-backed), ``route="sample" | "files" | "hapi"`` (one route only),
        ``sample_dir``, ``cache``. Tables that are not time series read whole without start/stop.
        Variables on several of the product's time axes (``time_axis`` in the catalog: Wind MFI's
        1-min and 3-s field) come back as an ``xarray.DataTree`` with one group per axis.

        >>> spacehub.catalog.open().omni_hro_1min.read("2015-03-17", "2015-03-19")  # doctest: +SKIP
        """
        from ..provenance import note_dataset
        from .read import read_entry

        data = read_entry(self, start, stop, variables, **options)
        note_dataset(data.attrs, variables)  # what a published notebook read (spacehub.provenance)
        return data

    def route(self, kind: str) -> dict | None:
        return next((r for r in self.routes if r["kind"] == kind), None)

    @property
    def coverage(self) -> TimeRange:
        """The dataset's time coverage, an open end (still delivering) read as now."""
        return TimeRange.coverage(self.start, self.stop)

    def overlaps(self, start: np.datetime64 | None, stop: np.datetime64 | None) -> bool:
        """Whether [start, stop) meets the dataset's coverage (open ends of the range allowed).

        The coverage's stop is its last data, so a range starting there still meets it; an open
        coverage (still delivering) meets every range after its start, future ones too (searches for
        a mission's later data find it).
        """
        if stop is not None and stop <= self.start:
            return False
        return bool(start is None or self.stop is None or start <= self.stop)

    def text(self) -> str:
        """Everything free-text search looks at, lower-cased."""
        parts = [self.id, self.title, self.mission, self.instrument, self.provider, self.domain,
                 self.description, *self.keywords]
        for v in self.variables:
            parts += [v.name, v.description, v.quantity or ""]
        return " ".join(parts).lower()

    def __repr__(self) -> str:
        return entry_repr(self)

    def _repr_html_(self) -> str:
        return entry_html(self)

    def summary(self) -> str:
        start, stop = format_time(self.start, "D"), format_time(self.stop, "D")
        return f"{self.id:28s} {self.mission:18s} {self.domain:12s} {start}..{stop:10s} {self.title}"
