"""Pick mission -> dataset -> variables from the catalog: the ``DatasetSelection`` model and its picker."""

from __future__ import annotations

import html

import ipywidgets as widgets
from traitlets import HasTraits, List, TraitError, Tuple, Unicode, observe, validate

from ..catalog import Catalog, Entry
from ..timerange import format_span
from .feedback import MessageLine, ModelLink


class DatasetSelection(HasTraits):
    """Which catalog dataset and variables are chosen, under a domain filter and a text search.

    The rules: the mission is one of those with a matching dataset, the dataset is one of that
    mission's matching datasets, the variables are the dataset's. Changing the filter or the mission
    keeps what still fits and otherwise picks the first that does.

    >>> sel = DatasetSelection(spacehub.catalog.open())     # doctest: +SKIP
    >>> sel.select("omni_hro_1min", ["SYM_H", "BZ_GSM"])    # doctest: +SKIP
    >>> sel.entry.cadence, sel.variables                    # doctest: +SKIP
    ('PT1M', ('SYM_H', 'BZ_GSM'))
    """

    domain = Unicode("", help="Only datasets of this domain ('' for all).")
    text = Unicode("", help="Free-text search: every word must occur in the dataset's description.")
    missions = List(Unicode(), read_only=True, help="Missions with at least one matching dataset.")
    mission = Unicode("", help="The chosen mission.")
    datasets = List(Unicode(), read_only=True, help="Ids of the chosen mission's matching datasets.")
    dataset_id = Unicode("", help="The chosen dataset's id.")
    variables = Tuple(help="Names of the chosen variables.")
    message = Unicode("", help="Why nothing can be chosen, or ''.")

    def __init__(self, catalog: Catalog | None = None, *, kind: str | None = None, domain: str = "", text: str = ""):
        if catalog is None:
            from .. import catalog as catalogs

            catalog = catalogs.open()
        self.catalog = catalog
        self.kind = kind  #: only entries of this kind ("timeseries", ...), None for all
        super().__init__()
        self._matches: list[Entry] = []
        self.domain, self.text = domain, text
        self._refilter()

    @property
    def entry(self) -> Entry | None:
        """The chosen catalog entry, or None when nothing matches."""
        return self.catalog[self.dataset_id] if self.dataset_id else None

    def select(self, dataset_id: str, variables: list[str] | tuple[str, ...] | None = None) -> None:
        """Choose ``dataset_id`` (and its mission), and ``variables`` if given."""
        entry = self.catalog[dataset_id]  # KeyError with close matches
        if dataset_id not in {e.id for e in self._matches}:
            raise ValueError(f"{dataset_id} does not match the current filter (domain {self.domain or 'any'!r}, "
                             f"search {self.text!r}): clear the filter first")
        self.mission = entry.mission
        self.dataset_id = dataset_id
        if variables is not None:
            self.variables = tuple(variables)

    @validate("domain")
    def _check_domain(self, proposal):
        value = proposal["value"]
        if value and value not in self.catalog.domains():
            raise TraitError(f"unknown domain {value!r}; the catalog has: {', '.join(self.catalog.domains())}")
        return value

    @validate("mission")
    def _check_mission(self, proposal):
        value = proposal["value"]
        if value != "" and value not in self.missions:
            raise TraitError(f"no mission {value!r} among the matching datasets; pick one of: "
                             f"{', '.join(self.missions) or '(none: clear the search)'}")
        return value

    @validate("dataset_id")
    def _check_dataset(self, proposal):
        value = proposal["value"]
        if value != "" and value not in self.datasets:
            raise TraitError(f"{value!r} is not a matching dataset of {self.mission or 'the chosen mission'}; "
                             f"pick one of: {', '.join(self.datasets) or '(none)'}")
        return value

    @validate("variables")
    def _check_variables(self, proposal):
        names = tuple(proposal["value"])
        entry = self.entry
        known = [v.name for v in entry.variables] if entry else []
        unknown = [n for n in names if n not in known]
        if unknown:
            raise TraitError(f"{self.dataset_id or 'no dataset'} has no variable {', '.join(map(repr, unknown))}; "
                             f"it has: {', '.join(known) or '(none)'}")
        return names

    @observe("domain", "text")
    def _on_filter(self, _change):
        self._refilter()

    def _refilter(self) -> None:
        self._matches = self.catalog.search(self.text, domain=self.domain or None, kind=self.kind)
        self.set_trait("missions", sorted({e.mission for e in self._matches}))
        if not self._matches:
            where = f" in domain {self.domain}" if self.domain else ""
            self.message = f"no dataset matches {self.text!r}{where}: clear the search box or pick another domain"
        else:
            self.message = ""
        if self.mission in self.missions:
            self._update_datasets()
        else:
            self.mission = self.missions[0] if self.missions else ""

    @observe("mission")
    def _on_mission(self, _change):
        self._update_datasets()

    def _update_datasets(self) -> None:
        self.set_trait("datasets", [e.id for e in self._matches if e.mission == self.mission])
        if self.dataset_id in self.datasets:
            return
        self.dataset_id = self.datasets[0] if self.datasets else ""

    @observe("dataset_id")
    def _on_dataset(self, _change):
        entry = self.entry
        names = [v.name for v in entry.variables] if entry else []
        kept = tuple(n for n in self.variables if n in names)
        self.set_trait("variables", kept or tuple(names[:1]))


def describe_entry(entry: Entry | None) -> str:
    """HTML card of ``entry``: title, coverage, cadence, variables with units, citation."""
    if entry is None:
        return ""
    rows = "".join(f"<tr><td><code>{html.escape(v.name)}</code></td><td>{html.escape(v.units or '-')}</td>"
                   f"<td>{html.escape(v.description)}</td></tr>" for v in entry.variables)
    doi = f' <a href="https://doi.org/{html.escape(entry.doi)}" target="_blank">doi:{html.escape(entry.doi)}</a>' \
        if entry.doi else ""
    return (f"<b>{html.escape(entry.title)}</b><br>"
            f"<code>{html.escape(entry.id)}</code> &middot; {html.escape(entry.mission)} "
            f"{html.escape(entry.instrument)}<br>"
            f"coverage {format_span(entry.start, entry.stop, 'D')} &middot; "
            f"cadence {html.escape(entry.cadence or 'irregular')}"
            f"<table><tr><th>variable</th><th>units</th><th>description</th></tr>{rows}</table>"
            f"<small>Cite: {html.escape(entry.citation.strip() or 'see the mission homepage')}{doi}</small>")


class DatasetPicker(widgets.VBox):
    """Domain filter, search box, mission, dataset and variables over a ``DatasetSelection``.

    >>> picker = DatasetPicker()                    # doctest: +SKIP
    >>> picker.mission.value = "OMNI"               # doctest: +SKIP
    >>> picker.model.entry.id, picker.variables     # doctest: +SKIP
    """

    def __init__(self, catalog: Catalog | None = None, *, model: DatasetSelection | None = None,
                 kind: str | None = None):
        self.model = model or DatasetSelection(catalog, kind=kind)
        domains = [("all domains", "")] + [(d, d) for d in self.model.catalog.domains()]
        self.domain = widgets.Dropdown(options=domains, value=self.model.domain, description="Domain")
        self.search = widgets.Text(value=self.model.text, description="Search", continuous_update=False,
                                   placeholder="e.g. solar wind, flare, SYM-H")
        self.mission = widgets.Dropdown(description="Mission")
        self.dataset = widgets.Dropdown(description="Dataset", layout=widgets.Layout(width="40em"))
        self.variable_list = widgets.SelectMultiple(description="Variables", rows=6)
        self.info = widgets.HTML()
        self.message = MessageLine()
        self._link = ModelLink(self.message, self._show_model_message)
        self._link.forward(self.domain, lambda v: setattr(self.model, "domain", v))
        self._link.forward(self.search, lambda v: setattr(self.model, "text", v))
        self._link.forward(self.mission, lambda v: setattr(self.model, "mission", v or ""))
        self._link.forward(self.dataset, lambda v: setattr(self.model, "dataset_id", v or ""))
        self._link.forward(self.variable_list, lambda v: setattr(self.model, "variables", v))
        self.model.observe(self._render, ["missions", "mission", "datasets", "dataset_id", "variables", "message"])
        self._render()
        super().__init__([widgets.HBox([self.domain, self.search]), self.mission, self.dataset,
                          self.variable_list, self.message, self.info])

    @property
    def entry(self) -> Entry | None:
        return self.model.entry

    @property
    def variables(self) -> tuple[str, ...]:
        return self.model.variables

    def _show_model_message(self) -> None:
        self.message.show(self.model.message)

    def _render(self, _change=None) -> None:
        # the model notifies once per trait while it settles: show only what is consistent so far
        m, entry = self.model, self.model.entry
        with self._link.quiet():
            self.mission.options = m.missions
            self.mission.value = m.mission if m.mission in m.missions else None
            self.dataset.options = [(f"{i} - {m.catalog[i].title}", i) for i in m.datasets]
            self.dataset.value = m.dataset_id if m.dataset_id in m.datasets else None
            names = [v.name for v in entry.variables] if entry else []
            self.variable_list.options = [(f"{v.name} [{v.units}]" if v.units else v.name, v.name)
                                          for v in (entry.variables if entry else ())]
            self.variable_list.value = tuple(n for n in m.variables if n in names)
        self.info.value = describe_entry(entry)
        self._show_model_message()
