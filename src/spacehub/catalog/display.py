"""How catalog objects show in a terminal (``repr``) and a notebook (``_repr_html_``).

One row per dataset — id, mission, cadence, coverage, title — as fixed-width text that fits about
100 columns, or as an HTML table with every value escaped. ``Catalog``, its search results and
``Entry`` render through these functions, so the three read the same.

>>> clip("Interplanetary magnetic field at 16-s resolution", 20)
'Interplanetary magn…'
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..timerange import format_span

if TYPE_CHECKING:  # the model renders through here: the type alone, no import back
    from .model import Entry

#: the columns of a catalog table, in order
COLUMNS = ("id", "mission", "cadence", "coverage", "title")
#: the width the text tables fit (a terminal, a notebook's text output)
WIDTH = 100
#: rows a text table shows before "... N more"
MAX_ROWS = 20
_MAX_WIDTHS = {"id": 40, "mission": 12, "cadence": 8, "coverage": 24}
_MIN_TITLE = 20


def clip(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis where it was longer."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def names(items: Sequence[str], width: int) -> str:
    """``items`` joined by commas, whole ones only, fitting ``width``; the rest counted.

    >>> names(["ACE", "ASO-S", "Chang'e-4", "Cluster", "DAMPE"], 32)
    "ACE, ASO-S, Chang'e-4 and 2 more"
    """
    for n in range(len(items), 0, -1):
        text = ", ".join(items[:n]) + (f" and {len(items) - n} more" if n < len(items) else "")
        if len(text) <= width:
            return text
    return f"{len(items)}"


def coverage(entry: Entry) -> str:
    """The entry's time coverage to the day: ``1995-01-01 .. now`` while the mission delivers."""
    return format_span(entry.start, entry.stop, "D")


def row(entry: Entry) -> dict[str, str]:
    """The cells of ``entry``'s table row, by column."""
    return {"id": entry.id, "mission": entry.mission, "cadence": entry.cadence or "-",
            "coverage": coverage(entry), "title": entry.title}


def text_table(entries: Sequence[Entry], header: str, width: int = WIDTH, max_rows: int = MAX_ROWS) -> str:
    """``header``, then one line per entry cut to ``width`` columns; past ``max_rows`` a "... N more" line.

    Ids are never cut (they are what one types next); missions, cadences and titles may be.
    """
    shown = [row(e) for e in entries[:max_rows]]
    lines = [header]
    if shown:
        widths = {c: min(max(len(r[c]) for r in shown), _MAX_WIDTHS[c]) for c in COLUMNS[:-1]}
        widths["id"] = max(len(r["id"]) for r in shown)
        title = max(width - sum(widths.values()) - 2 * (len(COLUMNS) - 1), _MIN_TITLE)
        for r in shown:
            cells = [clip(r[c], widths[c]).ljust(widths[c]) for c in COLUMNS[:-1]]
            lines.append("  ".join([*cells, clip(r["title"], title)]))
    if len(entries) > len(shown):
        lines.append(f"... {len(entries) - len(shown)} more")
    return "\n".join(lines)


def html_table(entries: Sequence[Entry], header: str) -> str:
    """``header`` and an HTML table of every entry (id, mission, cadence, coverage, title), all escaped."""
    head = "".join(f"<th style='text-align:left'>{c}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td style='text-align:left'>{_cell(c, v)}</td>" for c, v in row(e).items()) + "</tr>"
        for e in entries)
    return (f"<div><p>{html.escape(header)}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _cell(column: str, value: str) -> str:
    return f"<code>{html.escape(value)}</code>" if column == "id" else html.escape(value)


def entry_repr(entry: Entry) -> str:
    """One line: ``<Entry omni_hro_1min: OMNI, PT1M, 1995-01-01 .. now, 12 variables — title>``."""
    return (f"<Entry {entry.id}: {entry.mission}, {entry.cadence or 'no fixed cadence'}, {coverage(entry)}, "
            f"{plural(len(entry.variables), 'variable')} — {clip(entry.title, 60)}>")


def entry_html(entry: Entry) -> str:
    """A small definition table of ``entry``: id, title, mission, cadence, coverage, variables, routes."""
    rows = {"id": f"<code>{html.escape(entry.id)}</code>", "title": html.escape(entry.title),
            "mission": html.escape(entry.mission), "cadence": html.escape(entry.cadence or "-"),
            "coverage": html.escape(coverage(entry)), "variables": str(len(entry.variables)),
            "routes": html.escape(", ".join(r["kind"] for r in entry.routes) or "none")}
    body = "".join(f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}</td></tr>"
                   for k, v in rows.items())
    return f"<table>{body}</table>"


def plural(n: int, noun: str) -> str:
    """``n`` and ``noun``, with an s unless there is one: ``1 dataset``, ``52 datasets``.

    >>> plural(1, "dataset"), plural(0, "dataset")
    ('1 dataset', '0 datasets')
    """
    return f"{n} {noun}" + ("" if n == 1 else "s")
