"""The hub's workshops on disk: ``<state_dir>/workshops/<name>.json``, the hub account's alone (0600).

A record names the seats, the instructors, the materials folder, the workshop password (scrypt-hashed,
never stored as given) and whether the workshop has ended. The hub's login reads it (a seat logs in
with the workshop password while the workshop runs, and not at all after), the spawner reads it (the
materials put into a seat's or instructor's home), ``spacehub workshop`` writes it, replacing the file
whole.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def folder(state_dir: str | os.PathLike) -> Path:
    return Path(state_dir) / "workshops"


def hash_password(password: str) -> dict[str, str]:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return {"scrypt": digest.hex(), "salt": salt.hex()}


def password_ok(record: dict[str, Any], password: str) -> bool:
    stored = record.get("password") or {}
    try:
        digest = hashlib.scrypt(password.encode(), salt=bytes.fromhex(stored["salt"]), **SCRYPT)
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(digest.hex(), stored["scrypt"])


def save(state_dir: str | os.PathLike, record: dict[str, Any]) -> Path:
    where = folder(state_dir)
    where.mkdir(mode=0o700, exist_ok=True)
    path = where / f"{record['name']}.json"
    tmp = where / f".{record['name']}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(record, out, indent=1, sort_keys=True)
    os.replace(tmp, path)
    return path


def load(state_dir: str | os.PathLike, name: str) -> dict[str, Any] | None:
    try:
        return json.loads((folder(state_dir) / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None


def every(state_dir: str | os.PathLike) -> list[dict[str, Any]]:
    where = folder(state_dir)
    if not where.is_dir():
        return []
    out = []
    for path in sorted(where.glob("*.json")):
        try:
            out.append(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
    return out


def seat_of(state_dir: str | os.PathLike, username: str) -> dict[str, Any] | None:
    """The workshop ``username`` is a seat of (the latest, if several), or None."""
    found = [r for r in every(state_dir) if username in r.get("seats", [])]
    return found[-1] if found else None


def materials_for(state_dir: str | os.PathLike, username: str) -> list[dict[str, Any]]:
    """The running workshops whose materials ``username`` gets (as a seat or an instructor)."""
    return [r for r in every(state_dir) if not r.get("ended") and r.get("materials")
            and (username in r.get("seats", []) or username in r.get("instructors", []))]
