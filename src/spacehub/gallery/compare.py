"""Does a published notebook reproduce? Its outputs as published, side by side with the outputs of the
same notebook re-run headless by papermill.

What counts as the same:

- **numbers** in text outputs within a tolerance, ``abs(rerun - published) <= atol + rtol * abs(published)``
  (``nan`` equals ``nan``), as :func:`numpy.isclose` with the published value as the reference;
- **text** around the numbers equal once runs of whitespace are one space and memory addresses
  (``<Axes at 0x7f3a9c2b1d90>``) are ``0x…``. Dates and times are *not* smoothed over: in this field
  a time in a result is a result (an event's onset, a shock's arrival);
- **figures** (PNG, JPEG) by a 64-bit difference hash (dHash), within ``image_distance`` bits, so a
  figure rendered again with other anti-aliasing is the same and a curve that moved is not. Tick
  labels are below what the hash sees: a figure whose axes were re-scaled around the same shape
  passes; its numbers, printed, would not;
- **errors** by their name: a published ``KeyError`` raised again is the same.

Not compared, and said so in ``Comparison.not_compared``: stderr (warnings, progress bars, timings),
interactive outputs (widgets, Bokeh, HoloViews, Plotly, JavaScript), and outputs shown only as HTML
or SVG, whose markup changes between library versions while the result does not.

Nothing here raises on an odd notebook: an output that cannot be read is a difference (in the re-run)
or a note (in the published notebook).
"""

from __future__ import annotations

import base64
import io
import math
import re
from dataclasses import asdict, dataclass
from itertools import zip_longest
from typing import Any

import numpy as np

#: the tag of the cell papermill injects after the ``parameters`` cell (papermill's
#: ``parameterize_notebook``); its values differ between runs by design
INJECTED = "injected-parameters"
#: the image types compared by their look
IMAGES = ("image/png", "image/jpeg")
#: a greyscale standard deviation below this is one flat colour: a blank figure
BLANK_STD = 1.0
#: a figure resized by at most this fraction (another dpi rounding) keeps its size
RESIZE_TOLERANCE = 0.02
#: mime types whose output runs in the browser, each with the library that makes it; matched as a
#: part of the type, since their versions change (``application/vnd.bokehjs_exec.v0+json``)
INTERACTIVE = {"jupyter.widget": "Jupyter widget", "bokehjs": "Bokeh", "holoviews": "HoloViews",
               "pyviz": "HoloViews", "plotly": "Plotly", "vega": "Vega", "javascript": "JavaScript"}


@dataclass(frozen=True)
class Difference:
    """One way the re-run differs from the published notebook.

    ``cell`` is the index of the cell in the published notebook (0-based; for a code cell only in the
    re-run, its index there); ``kind`` is ``"number"``, ``"text"``, ``"image"``, ``"error"``,
    ``"missing"`` or ``"extra"``; ``detail`` says what was published and what came instead.
    """

    cell: int
    kind: str
    detail: str


@dataclass(frozen=True)
class Comparison:
    """The outcome of :func:`compare_notebooks`: how many outputs were compared, how they differ and
    what was not compared."""

    compared: int
    differences: tuple[Difference, ...]
    not_compared: tuple[str, ...]

    @property
    def same(self) -> bool:
        """The re-run reproduced every compared output."""
        return not self.differences

    def to_json(self) -> dict:
        """A plain dict for ``json.dumps`` (the gallery stores it with the run)."""
        return {"same": self.same, "compared": self.compared,
                "differences": [asdict(d) for d in self.differences], "not_compared": list(self.not_compared)}


def interactive_library(mime: str) -> str | None:
    """The library that makes an output of type ``mime`` run in the browser, or None for a static one.

    >>> interactive_library("application/vnd.bokehjs_exec.v0+json"), interactive_library("text/plain")
    ('Bokeh', None)
    """
    return next((name for part, name in INTERACTIVE.items() if part in mime), None)


def compare_notebooks(published: dict, rerun: dict, *, rtol: float = 1e-6, atol: float = 1e-12,
                      image_distance: int = 6) -> Comparison:
    """Compare the outputs of a notebook as published with those of its papermill re-run.

    Parameters
    ----------
    published, rerun : dict
        The notebooks as nbformat v4 JSON (``json.load`` of the ``.ipynb``, or a ``NotebookNode``).
        Cells tagged ``injected-parameters`` are left out on both sides. Code cells are paired by
        their ``id`` when both notebooks have the same ids, else in order.
    rtol, atol : float
        The relative and absolute tolerance for numbers in text outputs.
    image_distance : int
        How many of the 64 bits of two figures' difference hashes may differ.

    Returns
    -------
    Comparison
        ``same`` when every compared output reproduced. Once the re-run stopped at an error, the
        cells it did not run are one note, not one difference each.

    Examples
    --------
    >>> import nbformat.v4 as v4
    >>> def notebook(text):
    ...     return v4.new_notebook(cells=[v4.new_code_cell("print(flux)", outputs=[
    ...         v4.new_output("stream", name="stdout", text=text)])])
    >>> compare_notebooks(notebook("flux 2.5e-05\\n"), notebook("flux 2.5000001e-05\\n")).same
    True
    >>> compare_notebooks(notebook("flux 2.5e-05\\n"), notebook("flux 3.1e-05\\n")).differences
    (Difference(cell=0, kind='number', detail='2.5e-05 → 3.1e-05 (rtol 1e-06)'),)
    """
    notes = _Notes()
    differences: list[Difference] = []
    compared = 0
    stopped_at: int | None = None  # the cell whose unexpected error ended the re-run
    not_run: list[int] = []
    for (cell, ours), (theirs_at, theirs) in _paired_cells(_code_cells(published), _code_cells(rerun)):
        if ours is None:
            differences.append(Difference(theirs_at, "extra", "a code cell only in the re-run"))
            continue
        if theirs is None:
            if _list(ours.get("outputs")):
                differences.append(Difference(cell, "missing", "the cell is not in the re-run"))
            continue
        if stopped_at is not None and theirs.get("execution_count") is None and not _list(theirs.get("outputs")):
            not_run.append(cell)
            continue
        shown = zip_longest(_shown(ours, cell, notes), _shown(theirs, cell, notes))
        for expected, came in shown:
            try:
                difference = _difference(expected, came, cell, rtol, atol, image_distance)
            except Exception as e:  # a notebook is anyone's data: one odd output must not cost the check
                difference = f"an output could not be compared ({type(e).__name__})"
            if isinstance(difference, str):  # not comparable after all: a note
                notes.add(difference, cell)
                continue
            compared += expected is not None and came is not None
            if difference:
                differences.append(difference)
                if difference.kind == "error" and stopped_at is None:
                    stopped_at = cell
    if not_run:
        notes.add(f"not run: the re-run stopped at the error in cell {stopped_at}", *not_run)
    return Comparison(compared, tuple(differences), notes.lines())


@dataclass(frozen=True)
class _Shown:
    """An output reduced to what is compared: its ``kind`` ("text", "image", "error"), ``value``
    (the text; the base64 image; ``(ename, evalue)``) and ``what`` it is, for messages."""

    kind: str
    value: Any
    what: str


class _Notes:
    """What was not compared, one line per reason with the cells it applies to, stderr once."""

    def __init__(self) -> None:
        self.cells: dict[str, list[int]] = {}
        self.stderr = False

    def add(self, reason: str, *cells: int) -> None:
        found = self.cells.setdefault(reason, [])
        found += [c for c in cells if c not in found]

    def lines(self) -> tuple[str, ...]:
        lines = [f"{_cell_list(cells)}: {reason}" for reason, cells in self.cells.items()]
        if self.stderr:
            lines.append("stderr streams (warnings, progress bars) are not compared")
        return tuple(lines)


def _cell_list(cells: list[int]) -> str:
    if len(cells) == 1:
        return f"cell {cells[0]}"
    if len(cells) > 6:
        return f"cells {', '.join(map(str, cells[:5]))} and {len(cells) - 5} more"
    return f"cells {', '.join(map(str, cells))}"


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    """A multiline string of nbformat, stored as one string or a list of lines."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return None


#: a cell and its index in its notebook; None where the other notebook has no counterpart
_Indexed = tuple[int, dict | None]


def _code_cells(notebook: Any) -> list[tuple[int, dict]]:
    cells = _list(notebook.get("cells")) if isinstance(notebook, dict) else []
    found = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata")
        tags = _list(metadata.get("tags")) if isinstance(metadata, dict) else []
        if INJECTED not in tags:
            found.append((index, cell))
    return found


def _paired_cells(ours: list[tuple[int, dict]], theirs: list[tuple[int, dict]]) -> list[tuple[_Indexed, _Indexed]]:
    """Published and re-run code cells side by side, ``(index, cell)`` or ``(index, None)`` where one
    side has no counterpart. By id when both notebooks have the same ids (nbformat 4.5); in order
    otherwise (older notebooks, or a writer that gave new ids)."""
    ours_ids = [c.get("id") for _, c in ours]
    theirs_by_id = {c.get("id"): (i, c) for i, c in theirs}
    if all(isinstance(i, str) for i in ours_ids) and len(set(ours_ids)) == len(ours) == len(theirs) \
            and set(ours_ids) == set(theirs_by_id):
        return [((i, c), theirs_by_id[c["id"]]) for i, c in ours]
    none: _Indexed = (-1, None)
    return [(a or none, b or none) for a, b in zip_longest(ours, theirs)]


def _shown(cell: dict, index: int, notes: _Notes) -> list[_Shown]:
    """The comparable outputs of a code cell, consecutive stdout streams as one: how a kernel splits
    a cell's printing into stream messages depends on timing, not on the notebook."""
    shown: list[_Shown] = []
    for output in _list(cell.get("outputs")):
        kind = output.get("output_type") if isinstance(output, dict) else None
        if kind == "stream":
            text = _text(output.get("text"))
            if output.get("name") == "stderr":
                notes.stderr = True
            elif text is None:
                notes.add("a stream output without readable text is not compared", index)
            elif shown and shown[-1].what == "stdout":
                shown[-1] = _Shown("text", shown[-1].value + text, "stdout")
            else:
                shown.append(_Shown("text", text, "stdout"))
        elif kind in ("execute_result", "display_data"):
            shown += _shown_data(output.get("data"), index, notes)
        elif kind == "error":
            evalue = str(output.get("evalue", "")).strip().splitlines()
            shown.append(_Shown("error", (str(output.get("ename", "")), evalue[0] if evalue else ""), "an error"))
        else:
            notes.add(f"an output of type {kind!r} is not compared", index)
    return shown


def _shown_data(data: Any, index: int, notes: _Notes) -> list[_Shown]:
    """The richest comparable representation of a mime bundle: a figure over its text (matplotlib's
    ``<Figure size 640x480 with 1 Axes>``), text over HTML; none for what runs in the browser."""
    if not isinstance(data, dict) or not data:
        notes.add("a display output without data is not compared", index)
        return []
    image = next((mime for mime in IMAGES if mime in data), None)
    if image:
        return [_Shown("image", data[image], image)]
    interactive = next((mime for mime in data if interactive_library(mime)), None)
    if interactive:
        notes.add(f"interactive output ({interactive}) is not compared", index)
        return []
    text = _text(data.get("text/plain"))
    if text is not None:
        return [_Shown("text", text, "text/plain")]
    notes.add(f"{', '.join(sorted(data))} output is not compared", index)
    return []


def _difference(expected: _Shown | None, came: _Shown | None, cell: int, rtol: float, atol: float,
                image_distance: int) -> Difference | str | None:
    """How ``came`` differs from ``expected``: a Difference, None, or a note on why they are not
    compared."""
    if came is not None and came.kind == "error":
        if expected is not None and expected.kind == "error" and expected.value[0] == came.value[0]:
            return None
        return Difference(cell, "error", ": ".join(filter(None, came.value)) or "an error without a name")
    if came is None:
        return Difference(cell, "missing", f"the published {_described(expected)} is not in the re-run")
    if expected is None:
        return Difference(cell, "extra", f"{_described(came)} only in the re-run")
    if expected.kind != came.kind:
        return Difference(cell, "missing" if expected.kind == "error" else expected.kind,
                          f"{_described(expected)} published, {_described(came)} in the re-run")
    if expected.kind == "text":
        return _text_difference(expected.value, came.value, cell, rtol, atol)
    return _image_difference(expected.value, came.value, cell, image_distance)


def _described(shown: _Shown | None) -> str:
    if shown is None:
        return "nothing"
    if shown.kind == "error":
        return f"error {shown.value[0]}"
    if shown.kind == "text":
        return f"{shown.what} {_excerpt(shown.value, 0)}"
    return shown.what


# a number not inside a name or another number: 3, -0.5, 2.5e-05, .5, nan, -inf
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|(?:nan|inf(?:inity)?)(?![a-z]))",
                     re.IGNORECASE)
# an object's id in a repr (``<Line2D at 0x7f3a9c2b1d90>``): differs at every run
_ADDRESS = re.compile(r"\b0x[0-9a-f]{6,}\b", re.IGNORECASE)


# a file's place on the machine that ran it, to the end of its line (reprs cut long lines short, after a
# path of another length at another place): ``/tmp/x/sample/omni/...cdf`` on the author's machine is
# the hub's sample data in a re-run; which data was read is the provenance's to say
_PATH = re.compile(r"(?<![\w.:/])(?:~|/)[\w.@+-]*(?:/[\w.@+-]+)+.*$", re.MULTILINE)
# a progress bar printed to stdout (dask.diagnostics.ProgressBar): its times are not results
_PROGRESS = re.compile(r"^\s*\[[#= >-]*\]\s*\|\s*\d+% Completed\s*\|.*$", re.MULTILINE)


def _steady(text: str) -> str:
    """The text as a person reads it at the end: a line rewritten in place (``\\r``) as last written,
    progress bars and the machine's paths left out, object ids masked, blanks collapsed."""
    text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    text = _PROGRESS.sub("", _PATH.sub("<path>", text))
    return " ".join(_ADDRESS.sub("0x…", text).split())


def _text_difference(expected: str, came: str, cell: int, rtol: float, atol: float) -> Difference | None:
    ours, theirs = (_steady(text) for text in (expected, came))
    shapes = _NUMBER.sub("\0", ours), _NUMBER.sub("\0", theirs)
    if shapes[0] != shapes[1]:
        at = next((i for i, (a, b) in enumerate(zip(*shapes)) if a != b), min(map(len, shapes)))
        return Difference(cell, "text", f"{_excerpt(ours, _in_text(ours, at))} → {_excerpt(theirs, _in_text(theirs, at))}")
    for a, b in zip(_NUMBER.findall(ours), _NUMBER.findall(theirs)):
        x, y = float(a), float(b)
        if not (x == y or math.isnan(x) and math.isnan(y) or abs(y - x) <= atol + rtol * abs(x)):
            return Difference(cell, "number", f"{a} → {b} (rtol {rtol:g})")
    return None


def _in_text(text: str, at: int) -> int:
    """Where place ``at`` of the text's shape (each number one character) is in the text."""
    longer = 0
    for number in _NUMBER.finditer(text):
        if number.start() - longer >= at:
            break
        longer += len(number.group()) - 1
    return at + longer


def _excerpt(text: str, start: int, width: int = 48) -> str:
    begin = max(0, start - 16)
    part = text[begin:begin + width]
    return repr(("…" if begin else "") + part + ("…" if begin + width < len(text) else ""))


def _image_difference(expected: Any, came: Any, cell: int, image_distance: int) -> Difference | str | None:
    ours = _picture(expected)
    if ours is None:
        return "a published image could not be decoded and is not compared"
    theirs = _picture(came)
    if theirs is None:
        return Difference(cell, "image", "the re-run's image could not be decoded")
    if _is_blank(theirs) and not _is_blank(ours):
        return Difference(cell, "image", "blank image in the re-run (the published one is not blank)")
    found = []
    (w0, h0), (w1, h1) = ours.size, theirs.size
    if abs(w1 / w0 - 1) > RESIZE_TOLERANCE or abs(h1 / h0 - 1) > RESIZE_TOLERANCE:
        found.append(f"size {w0}×{h0} → {w1}×{h1}")
    distance = int(np.count_nonzero(_dhash(ours) != _dhash(theirs)))
    if distance > image_distance:
        found.append(f"looks different: {distance} of 64 hash bits differ (at most {image_distance})")
    return Difference(cell, "image", "; ".join(found)) if found else None


def _picture(data: Any) -> Any:
    """A base64 image of a notebook as a greyscale Pillow image on white, or None if unreadable."""
    from PIL import Image

    text = _text(data)
    if text is None:
        return None
    try:
        picture = Image.open(io.BytesIO(base64.b64decode("".join(text.split()), validate=True)))
        picture.load()
    except Exception:  # binascii.Error, PIL.UnidentifiedImageError, a truncated file's OSError, ...
        return None
    if picture.width == 0 or picture.height == 0:
        return None
    # transparent pixels are black in "L"; over white they are what a reader sees
    rgba = picture.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("L")


def _is_blank(picture: Any) -> bool:
    return float(np.asarray(picture, dtype=np.float32).std()) < BLANK_STD


def _dhash(picture: Any) -> np.ndarray:
    """The 64 bits of a difference hash: is each of 9×8 cells brighter than its left neighbour?"""
    from PIL import Image

    cells = np.asarray(picture.resize((9, 8), Image.Resampling.LANCZOS), dtype=np.int16)
    return (cells[:, 1:] > cells[:, :-1]).ravel()
