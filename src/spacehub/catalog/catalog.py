"""The catalog of all mission datasets: look up, list and search entries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ..timerange import TimeRange, format_time, parse_time
from .context import ReadContext
from .display import html_table, names, plural, text_table
from .errors import UnknownDataset
from .files import CATALOG_DIR, CatalogError, dataset_entry, read_catalog_dir
from .model import Entry
from .templates import URLAllowlist, route_patterns

QUANTITIES = ("magnetic_field", "velocity", "density", "temperature", "pressure", "electric_field", "flux",
              "counts", "energy", "index", "position", "time", "other")


class SearchResults(list[Entry]):
    """The entries a search found, best first: a list, shown as a table.

    Everything a list does works (index, iterate, ``len``, compare with a list); ``repr`` is a header
    saying how many matched and one line per entry (id, mission, cadence, coverage, title), and a
    notebook shows an HTML table. ``query`` says what was searched for.

    >>> cat.search("solar wind", mission="OMNI")      # doctest: +SKIP
    2 datasets match 'solar wind', mission='OMNI'
    omni2_h0_mrg1hr  OMNI  PT1H  1963-01-01 .. now  OMNI 2 hourly merged solar wind, IMF, indices and e…
    omni_hro_1min    OMNI  PT1M  1981-01-01 .. now  OMNI 1-min high-resolution solar wind and indices (…
    """

    def __init__(self, entries=(), query: str = ""):
        super().__init__(entries)
        self.query = query

    @property
    def header(self) -> str:
        """``3 datasets match 'solar wind', mission='OMNI'``; ``no dataset matches ...`` when empty."""
        what = f" {self.query}" if self.query else " (no criteria: every dataset)"
        if not self:
            return f"no dataset matches{what}"
        return f"{plural(len(self), 'dataset')} match{'es' if len(self) == 1 else ''}{what}"

    def __repr__(self) -> str:
        return text_table(self, self.header)

    def _repr_html_(self) -> str:
        return html_table(self, self.header)


class Catalog:
    """All datasets of the catalog files, by id.

    ``repr`` is one line (how many datasets, from where, which missions); a notebook shows a table of
    every entry.

    >>> cat = Catalog.from_dir()                      # doctest: +SKIP
    >>> cat.search(text="solar wind", quantity="magnetic_field")  # doctest: +SKIP
    """

    def __init__(self, entries: list[Entry], context: ReadContext | None = None, folder: Path | None = None):
        self.context = context or ReadContext()
        self.folder = folder  #: the folder of the catalog files, where known (for display)
        self._entries = {e.id: replace(e, context=self.context) for e in entries}

    @classmethod
    def from_dir(cls, folder: str | Path = CATALOG_DIR, context: ReadContext | None = None) -> Catalog:
        """The entries of the catalog files in ``folder``, read with ``context`` (default: none)."""
        return cls(read_catalog_dir(Path(folder)), context, Path(folder))

    def with_context(self, context: ReadContext) -> Catalog:
        """The same entries, read with ``context``."""
        return Catalog(list(self), context, self.folder)

    @property
    def header(self) -> str:
        """``52 datasets from /srv/spacehub/catalogs/``."""
        where = f" from {self.folder}/" if self.folder is not None else ""
        return f"{plural(len(self), 'dataset')}{where}"

    def __repr__(self) -> str:
        missions = self.missions()
        return f"<Catalog: {self.header} — missions: {names(missions, 60)}>"

    def _repr_html_(self) -> str:
        return html_table(list(self), f"Catalog: {self.header}, missions: {', '.join(self.missions())}")

    @property
    def allows(self) -> URLAllowlist:
        """Which remote URLs this catalog's routes name: the allowlist of a cache it reads through."""
        return URLAllowlist(tuple(p.pattern for p in route_patterns(self)))

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries.values())

    def __contains__(self, dataset_id: str) -> bool:
        return dataset_id in self._entries

    def __getitem__(self, dataset_id: str) -> Entry:
        if not isinstance(dataset_id, str):
            raise UnknownDataset(f"no dataset {dataset_id!r} in the catalog: dataset ids are text (e.g. "
                                 f"'{next(iter(self._entries), 'omni_hro_1min')}'); `spacehub catalog list` shows all")
        try:
            return self._entries[dataset_id]
        except KeyError:
            close = [i for i in self._entries if dataset_id.lower().replace("-", "_") in i]
            hint = f"; did you mean {', '.join(close[:5])}?" if close else "; `spacehub catalog list` shows all"
            raise UnknownDataset(f"no dataset {dataset_id!r} in the catalog{hint}") from None

    def __getattr__(self, name: str) -> Entry:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(str(e)) from None

    def __dir__(self):
        return [*super().__dir__(), *self._entries]

    def add(self, dataset: dict | Entry) -> Entry:
        """Add a dataset of your own to this catalog: it is found by `search`, read by
        ``read(start, stop)`` and offered by the widgets given this catalog, like the hub's.

        ``dataset`` is a mapping in the form of a catalog file's dataset, with its ``id``,
        ``mission`` and ``domain`` (checked the same way: a `CatalogError` names the field), or an
        `Entry`. Files on this machine are a ``local`` route (an absolute path template or one
        starting with ``~/``). To keep it for the next session, put it in a catalog file in
        ``~/catalogs/`` (`spacehub.catalog.open()` reads that folder too).

        >>> cat.add({"id": "my_magnetometer", "mission": "My station", "domain": "ground",
        ...          "title": "Our fluxgate, 1 s", "description": "Campaign data.",
        ...          "coverage": {"start": "2024-01-01", "stop": "2024-12-31"}, "cadence": "PT1S",
        ...          "variables": [{"name": "H", "units": "nT", "description": "H component"}],
        ...          "routes": [{"kind": "local", "path": "~/data/mag/{time:%Y%m%d}.txt", "format": "text",
        ...                      "layout": "iaga2002", "period": "day"}]})  # doctest: +SKIP
        """
        entry = dataset if isinstance(dataset, Entry) else dataset_entry(dataset)
        if entry.id in self._entries:
            where = self._entries[entry.id].source
            raise CatalogError(where or "this catalog", entry.id, "id", "the catalog has a dataset of this id already: "
                                                                        "choose another")
        self._entries[entry.id] = replace(entry, context=self.context)
        return self._entries[entry.id]

    def to_intake(self, catalog_dir: str | Path | None = None):
        """This catalog as an intake 2 catalog (``cat["omni_hro_1min"].read(start=..., stop=...)``)."""
        from .intake_ import to_intake

        return to_intake(self, catalog_dir)

    def missions(self) -> list[str]:
        return sorted({e.mission for e in self})

    def domains(self) -> list[str]:
        return sorted({e.domain for e in self})

    def search(self, text: str = "", *, mission: str | None = None, domain: str | None = None,
               quantity: str | None = None, variable: str | None = None, start=None, stop=None,
               kind: str | None = None) -> SearchResults:
        """Entries matching every given criterion, best text matches first, as a list (`SearchResults`)
        that shows as a table.

        Parameters
        ----------
        text : words that must all occur in the entry (id, title, mission, instrument, description,
            keywords, variable names and descriptions); case-insensitive.
        mission, domain, kind : exact (case-insensitive) match.
        quantity : physical quantity of at least one variable (``magnetic_field``, ``density``, ...).
        variable : name of a variable (case-insensitive), e.g. ``BZ_GSM``.
        start, stop : the entry's time coverage must overlap [start, stop).
        """
        if quantity is not None and quantity not in QUANTITIES:
            raise ValueError(f"unknown quantity {quantity!r}; known: {', '.join(QUANTITIES)}")
        t0, t1 = parse_time(start, "start"), parse_time(stop, "stop")
        if t0 is not None and t1 is not None:
            TimeRange(t0, t1)  # a TimeError (a ValueError) if stop is not after start
        words = [w for w in re.split(r"\s+", text.lower().strip()) if w]
        hits = []
        for e in self:
            if mission and e.mission.lower() != mission.lower():
                continue
            if domain and e.domain != domain.lower():
                continue
            if kind and e.kind != kind:
                continue
            if quantity and not any(v.quantity == quantity for v in e.variables):
                continue
            if variable and not any(v.name.lower() == variable.lower() for v in e.variables):
                continue
            if not e.overlaps(t0, t1):
                continue
            score = _text_score(e, words)
            if score is None:
                continue
            hits.append((-score, e.id, e))
        given = {"mission": mission, "domain": domain, "kind": kind, "quantity": quantity, "variable": variable,
                 "start": t0 if t0 is None else format_time(t0), "stop": t1 if t1 is None else format_time(t1)}
        query = ", ".join([*([repr(text.strip())] if words else []),
                           *(f"{k}={v!r}" for k, v in given.items() if v is not None)])
        return SearchResults([e for *_, e in sorted(hits, key=lambda h: h[:2])], query)


def _text_score(entry: Entry, words: list[str]) -> int | None:
    """None if a word is missing; else a score favouring hits in id, title, mission and keywords."""
    if not words:
        return 0
    everything = entry.text()
    strong = " ".join([entry.id, entry.title, entry.mission, entry.instrument, *entry.keywords]).lower()
    score = 0
    for w in words:
        if w not in everything:
            return None
        score += 3 if w in strong else 1
    return score
