"""A workshop's end: every seat's home as one archive per seat, a manifest of checksums, and a
verification that reads every archive back before anything may be removed.

Layout (made in a folder beside the destination, then renamed into place: a half-made archive is never
taken for a whole one)::

    <dest>/<workshop>-<yyyymmddThhmmssZ>/
        <seat>.tar.gz        the seat's home: regular files and folders (links and devices are not
                             followed nor kept: they point outside the seat's work)
        manifest.json        per seat: the archive's sha256 and size, and every file's size and sha256

:func:`verify` opens every archive, hashes every member against the manifest and, given the homes,
checks that every file still there is in the archive with the same content. An empty list of problems
is the only green light for disabling accounts or removing anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import stat
import tarfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
CHUNK = 1 << 20


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def _files(home: Path) -> dict[str, Path]:
    """The home's regular files by relative path; links, sockets and devices left out, links never followed."""
    out = {}
    for folder, _, files in os.walk(home, followlinks=False):
        for name in files:
            path = Path(folder) / name
            if stat.S_ISREG(path.lstat().st_mode):
                out[str(path.relative_to(home))] = path
    return dict(sorted(out.items()))


def archive_seats(homes: Mapping[str, Path], dest: Path, workshop: str) -> Path:
    """Archive each seat's home (``{seat: home}``) into a new folder under ``dest``; returns it.

    Raises ``OSError`` (nothing is left behind) when a home cannot be read or the disk is full."""
    made = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    final = Path(dest) / f"{workshop}-{made}"
    stage = Path(dest) / f".{workshop}-{made}.{secrets.token_hex(4)}"
    stage.mkdir(parents=True, mode=0o700)
    try:
        manifest: dict[str, Any] = {"workshop": workshop, "made": made, "seats": {}}
        for seat, home in sorted(homes.items()):
            home = Path(home)
            files = _files(home) if home.is_dir() else {}
            archive = stage / f"{seat}.tar.gz"
            listed = {}
            with tarfile.open(archive, "w:gz") as tar:
                for relative, path in files.items():
                    info = tar.gettarinfo(str(path), arcname=f"{seat}/{relative}")
                    with open(path, "rb") as f:
                        digest = hashlib.sha256()
                        tar.addfile(info, _Hashing(f, digest))
                    listed[relative] = {"bytes": info.size, "sha256": digest.hexdigest()}
            manifest["seats"][seat] = {"archive": archive.name, "sha256": _sha256(archive),
                                       "bytes": archive.stat().st_size, "files": listed,
                                       "home": str(home), "home_missing": not home.is_dir()}
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        os.rename(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return final


class _Hashing:
    """A file read through for tarfile, hashed on the way: each file is read once."""

    def __init__(self, f, digest):
        self.f, self.digest = f, digest

    def read(self, size: int = -1) -> bytes:
        block = self.f.read(size)
        self.digest.update(block)
        return block


def verify(folder: Path, homes: Mapping[str, Path] | None = None) -> list[str]:
    """Problems with an archive folder (empty: every archive reads back as its manifest says, and every
    file of ``homes`` still there is in it with the same content)."""
    problems = []
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
    except (OSError, ValueError) as e:
        return [f"{folder}: no readable manifest ({e})"]
    for seat, entry in sorted(manifest.get("seats", {}).items()):
        archive = Path(folder) / entry["archive"]
        if not archive.is_file() or _sha256(archive) != entry["sha256"]:
            problems.append(f"{seat}: {archive.name} is missing or not as made (sha256 differs)")
            continue
        found = {}
        try:
            with tarfile.open(archive, "r:gz") as tar:
                for member in tar:
                    if not member.isfile():
                        continue
                    data = tar.extractfile(member)
                    digest = hashlib.sha256()
                    while data is not None and (block := data.read(CHUNK)):
                        digest.update(block)
                    found[member.name.split("/", 1)[1]] = digest.hexdigest()
        except (tarfile.TarError, OSError, EOFError) as e:
            problems.append(f"{seat}: {archive.name} cannot be read back ({e})")
            continue
        listed = {name: f["sha256"] for name, f in entry["files"].items()}
        if found != listed:
            differ = sorted(set(found) ^ set(listed) | {n for n in found if listed.get(n) != found[n]})
            problems.append(f"{seat}: the archive differs from its manifest ({', '.join(differ[:5])})")
        if homes is not None and seat in homes and Path(homes[seat]).is_dir():
            for relative, path in _files(Path(homes[seat])).items():
                if relative not in listed or _sha256(path) != listed[relative]:
                    problems.append(f"{seat}: {relative} is in the home but not in the archive as it is now")
    return problems
