"""The gallery's store: entries and their versions as folders, written so that a crash never leaves half of one.

Layout under the store's root (``<state_dir>/gallery``, 0711; every folder in it the service's alone,
0700, but ``work/``, where each re-run gets a folder of the account it runs as)::

    entries/<id>/entry.json            title, description, tags, licence, visibility, author ...
    entries/<id>/v<N>/notebook.ipynb   the notebook as published (version N, never changed)
    entries/<id>/v<N>/files/<name>     files published with it (data it reads from its folder)
    entries/<id>/v<N>/version.json     who, when, the author's environment, the parameters
    entries/<id>/v<N>/check.json       the last reproducibility check (replaced by each new one)
    runs/<key>/                        re-runs with other parameters
    work/run-.../                      a re-run's folder while it runs (the notebook, its files, HOME)
    staging/                           what is being written; emptied at start

A publish writes everything under ``staging/`` and then renames it into place: one ``rename(2)``
of a folder, so an entry or a version is either all there or not at all. A version number is
claimed by that rename too (it fails where ``v<N>`` exists), so concurrent publishes of one entry
get numbers of their own. A publish is acknowledged only after the rename and an ``fsync`` of the
folder holding it. Small files that change (entry.json, check.json) are replaced the same way:
written beside, then renamed over.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: ids, versions and names in URLs and paths: nothing that could leave the folder
ENTRY_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
VISIBILITIES = ("private", "group", "hub", "public")
TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._+-]{0,39}$")


class StoreError(ValueError):
    """A publish or change the store refuses; the message says what to do instead."""


class NotFound(KeyError):
    """No such entry or version."""


@dataclass(frozen=True)
class Published:
    """What a publish acknowledges."""

    id: str
    version: int


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def slug(title: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return words[:40].rstrip("-") or "notebook"


def check_metadata(meta: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """The entry fields of a publish or change, validated (``StoreError`` naming the field)."""
    known = {"title", "description", "tags", "licence", "visibility", "group", "authors"}
    unknown = set(meta) - known
    if unknown:
        raise StoreError(f"unknown field(s) {', '.join(sorted(unknown))}: an entry has {', '.join(sorted(known))}")
    out: dict[str, Any] = {}
    if "title" in meta or not partial:
        title = meta.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > 200:
            raise StoreError("title: a non-empty text of at most 200 characters is needed")
        out["title"] = title.strip()
    if "description" in meta or not partial:
        text = meta.get("description", "")
        if not isinstance(text, str) or len(text) > 10_000:
            raise StoreError("description: a text of at most 10,000 characters")
        out["description"] = text
    if "tags" in meta or not partial:
        tags = meta.get("tags", [])
        if isinstance(tags, str):
            tags = [t.strip() for t in tags.split(",") if t.strip()]
        if not isinstance(tags, list) or len(tags) > 20 or not all(isinstance(t, str) and TAG.match(t) for t in tags):
            raise StoreError("tags: at most 20 tags of letters, digits, spaces and ._+- (40 characters each)")
        out["tags"] = sorted(set(tags), key=tags.index)
    if "licence" in meta or not partial:
        licence = meta.get("licence", "CC-BY-4.0")
        if not isinstance(licence, str) or not re.match(r"^[A-Za-z0-9.+-]{1,40}$", licence):
            raise StoreError("licence: an SPDX identifier such as CC-BY-4.0, MIT or BSD-3-Clause")
        out["licence"] = licence
    if "authors" in meta:
        authors = meta["authors"]
        if not isinstance(authors, list) or not all(isinstance(a, str) and 0 < len(a) <= 100 for a in authors):
            raise StoreError("authors: a list of names as they should be cited")
        out["authors"] = authors[:50]
    if "visibility" in meta or not partial:
        visibility = meta.get("visibility", "hub")
        if visibility not in VISIBILITIES:
            raise StoreError(f"visibility: one of {', '.join(VISIBILITIES)}, not {visibility!r}")
        out["visibility"] = visibility
        group = meta.get("group")
        if visibility == "group":
            if not isinstance(group, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", group):
                raise StoreError("group: visibility 'group' needs the name of the hub group that may see it")
            out["group"] = group
        else:
            out["group"] = None
    return out


def check_notebook(data: bytes, limit: int) -> dict[str, Any]:
    """The bytes as a notebook (nbformat 4), or ``StoreError`` saying why they are not one."""
    if len(data) > limit:
        raise StoreError(f"the notebook is {len(data) / 2**20:.1f} MiB; this gallery takes at most "
                         f"{limit / 2**20:.0f} MiB (clear large outputs and publish again)")
    try:
        nb = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise StoreError("not a notebook: the file is not JSON (publish an .ipynb file)") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or nb.get("nbformat") != 4:
        raise StoreError("not a notebook: no nbformat 4 cells (publish an .ipynb file saved by Jupyter)")
    import nbformat

    try:
        nbformat.validate(nbformat.from_dict(nb))
    except nbformat.ValidationError as e:
        raise StoreError(f"not a valid notebook: {str(e).splitlines()[0][:200]}") from None
    return nb


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, value: Any) -> None:
    """Replace ``path`` whole: readers see the old file or the new one, never a part."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    _write(tmp, json.dumps(value, indent=1, sort_keys=True).encode())
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class Store:
    """The entries of one gallery (see the module's description for the layout)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.entries = self.root / "entries"
        self.staging = self.root / "staging"
        self.runs = self.root / "runs"
        for folder in (self.root, self.entries, self.staging, self.runs):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(folder, 0o700)
        # passable, not listable: the account re-runs run as reaches its own folder under work/ only
        os.chmod(self.root, 0o711)

    def recover(self) -> list[str]:
        """Remove what a publish stopped half-way left (never acknowledged); returns what was removed."""
        gone = []
        for leftover in self.staging.iterdir():
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
            gone.append(leftover.name)
        for entry in self.entries.iterdir():
            for tmp in entry.glob(".*.json.*"):  # a replace stopped before its rename
                tmp.unlink(missing_ok=True)
                gone.append(f"{entry.name}/{tmp.name}")
        return gone

    # -- reading --------------------------------------------------------------------------------
    def ids(self) -> list[str]:
        return sorted(p.name for p in self.entries.iterdir() if ENTRY_ID.match(p.name) and (p / "entry.json").is_file())

    def entry(self, entry_id: str) -> dict[str, Any]:
        if not ENTRY_ID.match(entry_id or ""):
            raise NotFound(entry_id)
        try:
            meta = read_json(self.entries / entry_id / "entry.json")
        except FileNotFoundError:
            raise NotFound(entry_id) from None
        meta["versions"] = self.versions(entry_id)
        return meta

    def versions(self, entry_id: str) -> list[int]:
        folder = self.entries / entry_id
        return sorted(int(p.name[1:]) for p in folder.glob("v*") if re.fullmatch(r"v[1-9][0-9]{0,5}", p.name)
                      and (p / "version.json").is_file())

    def version_dir(self, entry_id: str, version: int) -> Path:
        if not ENTRY_ID.match(entry_id or "") or not (1 <= version <= 999_999):
            raise NotFound(f"{entry_id} v{version}")
        folder = self.entries / entry_id / f"v{version}"
        if not (folder / "version.json").is_file():
            raise NotFound(f"{entry_id} v{version}")
        return folder

    def version(self, entry_id: str, version: int) -> dict[str, Any]:
        folder = self.version_dir(entry_id, version)
        info = read_json(folder / "version.json")
        with contextlib.suppress(FileNotFoundError):
            info["check"] = read_json(folder / "check.json")
        return info

    def notebook(self, entry_id: str, version: int) -> dict[str, Any]:
        return read_json(self.version_dir(entry_id, version) / "notebook.ipynb")

    def files(self, entry_id: str, version: int) -> list[str]:
        folder = self.version_dir(entry_id, version) / "files"
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    # -- writing --------------------------------------------------------------------------------
    def publish(self, author: str, notebook: dict[str, Any], meta: Mapping[str, Any],
                files: Mapping[str, bytes] | None = None, environment: Mapping[str, Any] | None = None,
                provenance: list | None = None, entry_id: str | None = None) -> Published:
        """A new entry (``entry_id`` None) or a new version of ``entry_id``; acknowledged when it returns."""
        files = dict(files or {})
        for name in files:
            if not FILE_NAME.match(name):
                raise StoreError(f"file name {name!r}: letters, digits and ._- only, no folders "
                                 "(publish the files the notebook reads from its own folder)")
        with self._staged() as stage:
            version_dir = stage / "v" if entry_id else stage / "entry" / "v1"
            version_dir.mkdir(parents=True)
            _write(version_dir / "notebook.ipynb", json.dumps(notebook, indent=1).encode())
            if files:
                (version_dir / "files").mkdir()
                for name, data in files.items():
                    _write(version_dir / "files" / name, data)
            digest = hashlib.sha256(json.dumps(notebook, sort_keys=True).encode()).hexdigest()
            info = {"author": author, "published": now(), "sha256": digest, "title": meta.get("title"),
                    "environment": dict(environment or {}), "provenance": list(provenance or []),
                    "parameters": parameters_of(version_dir / "notebook.ipynb"), "files": sorted(files)}
            if entry_id is None:
                entry = {**meta, "author": author, "created": info["published"], "updated": info["published"],
                         "withdrawn": None}
                for _ in range(20):
                    new_id = f"{slug(meta['title'])}-{secrets.token_hex(3)}"
                    entry["id"] = new_id
                    write_json(version_dir / "version.json", {**info, "version": 1})
                    write_json(stage / "entry" / "entry.json", entry)
                    try:
                        os.rename(stage / "entry", self.entries / new_id)
                    except OSError as e:
                        if e.errno in (errno.EEXIST, errno.ENOTEMPTY):
                            continue
                        raise
                    _fsync_dir(self.entries)
                    return Published(new_id, 1)
                raise StoreError("no free id for this title: publish again")
            folder = self.entries / entry_id
            if not (folder / "entry.json").is_file():
                raise NotFound(entry_id)
            number = max(self.versions(entry_id), default=0) + 1
            while True:
                write_json(version_dir / "version.json", {**info, "version": number})
                try:
                    os.rename(version_dir, folder / f"v{number}")
                except OSError as e:  # another publish took this number (or left an empty folder)
                    if e.errno in (errno.EEXIST, errno.ENOTEMPTY):
                        number += 1
                        continue
                    raise
                _fsync_dir(folder)
                break
            self.change(entry_id, {k: v for k, v in meta.items() if k in ("title", "description", "tags")},
                        updated=info["published"])
            return Published(entry_id, number)

    def change(self, entry_id: str, fields: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
        """Change an entry's description fields (under the entry's lock: no change is lost)."""
        folder = self.entries / entry_id
        with self._locked(folder):
            meta = read_json(folder / "entry.json")
            meta.update(fields)
            meta.update(extra)
            meta["updated"] = extra.get("updated") or now()  # a change, a withdrawal or a new version
            write_json(folder / "entry.json", meta)
        return meta

    def withdraw(self, entry_id: str, by: str, reason: str = "") -> dict[str, Any]:
        """Take an entry out of the gallery; its versions stay on disk for the record (a withdrawn
        entry's permanent URLs say it was withdrawn, when and by whom)."""
        return self.change(entry_id, {}, withdrawn={"by": by, "at": now(), "reason": reason[:500]})

    def record_check(self, entry_id: str, version: int, check: Mapping[str, Any]) -> None:
        write_json(self.version_dir(entry_id, version) / "check.json", dict(check))

    @contextlib.contextmanager
    def _staged(self) -> Iterator[Path]:
        stage = self.staging / secrets.token_hex(8)
        stage.mkdir(mode=0o700)
        try:
            yield stage
        finally:  # what was renamed into place is no longer here
            shutil.rmtree(stage, ignore_errors=True)

    @contextlib.contextmanager
    def _locked(self, folder: Path) -> Iterator[None]:
        with open(folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def parameters_of(path: Path) -> dict[str, dict[str, str]]:
    """The parameters of a papermill-style notebook (its cell tagged ``parameters``): name → default
    (as written), its type's name and the comment on its line. ``start, stop = "a", "b"`` counts as
    two (papermill's own inspection skips such lines, which the templates use)."""
    import ast

    try:
        notebook = json.loads(path.read_text())
        cell = next(c for c in notebook.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", []))
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        tree = ast.parse(source)
    except (StopIteration, ValueError, SyntaxError, KeyError, TypeError, AttributeError, RecursionError, OSError):
        return {}  # no parameters cell, or one that is not Python: re-runs with other values are off
    lines = source.splitlines()
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, value = node.targets[0], node.value
        pairs = [(target, value)]
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
            pairs = list(zip(target.elts, value.elts, strict=True))
        line = lines[node.lineno - 1]
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        for name, default in pairs:
            if isinstance(name, ast.Name):
                kind = type(default.value).__name__ if isinstance(default, ast.Constant) else type(default).__name__.lower()
                found[name.id] = {"default": ast.get_source_segment(source, default) or "", "type": kind, "help": comment}
    return found
