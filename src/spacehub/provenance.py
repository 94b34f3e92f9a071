"""What a notebook read, recorded while it runs: the provenance the gallery publishes with it.

Every `Entry.read` (catalog datasets: id, time range, route, variables, files) and every
`spacehub.open_file` (a file or URL of the user's own) notes itself here. The notes are kept in the
kernel (:func:`recorded`) and, where ``SPACEHUB_PROVENANCE_FILE`` names a file (the gallery's
re-runs), appended to it as JSON lines the moment they happen, so that a run that fails or is
stopped half-way still says what it had read.

Reads through other libraries (hapiclient, cdflib, pandas on a path) are not seen: only spacehub's
own entry points note themselves.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from typing import Any

#: file the notes are appended to, one JSON object per line (set by the gallery for its re-runs)
PROVENANCE_FILE_ENV = "SPACEHUB_PROVENANCE_FILE"

_notes: list[dict[str, Any]] = []
_lock = threading.Lock()
_warned = False


def note(kind: str, **fields: Any) -> None:
    """Record one read (``kind``: ``dataset`` or ``file``); never fails the read itself."""
    global _warned
    item = {"kind": kind, **fields}
    with _lock:
        _notes.append(item)
        path = os.environ.get(PROVENANCE_FILE_ENV)
        if not path:
            return
        try:
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(item, default=str) + "\n")
        except OSError as e:
            if not _warned:
                _warned = True
                warnings.warn(f"provenance not recorded in {path}: {e}", stacklevel=3)


def note_dataset(attrs: dict[str, Any], variables: list[str] | None) -> None:
    """A catalog read, from the provenance attributes `Entry.read` gives its result."""
    start, _, stop = str(attrs.get("time_range", "")).strip("[)").partition(", ")
    route, _, where = str(attrs.get("provenance_route", "")).partition(":")
    note("dataset", dataset=attrs.get("dataset_id"), start=start, stop=stop, route=route,
         variables=list(variables or []), files=list(attrs.get("provenance_files", [])), where=where)


def recorded() -> list[dict[str, Any]]:
    """The reads of this process so far, oldest first."""
    with _lock:
        return [dict(n) for n in _notes]


def read_notes(path: str | os.PathLike) -> list[dict[str, Any]]:
    """The notes a run appended to ``path`` (a line cut short by a killed run is left out)."""
    out = []
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                try:
                    item = json.loads(line)
                except ValueError:
                    continue
                if isinstance(item, dict):
                    out.append(item)
    except FileNotFoundError:
        pass
    return out


def summarize(notes: list[dict[str, Any]]) -> dict[str, list]:
    """The notes as the gallery shows them: each dataset and time range once (in the order first
    read, with the variables of all its reads), each file once."""
    datasets: dict[tuple, dict[str, Any]] = {}
    files: list[str] = []
    for n in notes:
        if n.get("kind") == "dataset":
            key = (n.get("dataset"), n.get("start"), n.get("stop"))
            seen = datasets.setdefault(key, {"dataset": key[0], "start": key[1], "stop": key[2],
                                             "route": n.get("route"), "variables": [], "files": []})
            seen["variables"] += [v for v in n.get("variables", []) if v not in seen["variables"]]
            seen["files"] += [f for f in n.get("files", []) if f not in seen["files"]]
        elif n.get("kind") == "file" and n.get("path") not in files:
            files.append(str(n.get("path")))
    return {"datasets": list(datasets.values()), "files": files}
