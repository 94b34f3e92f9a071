"""The hub's workshops on disk: ``<state_dir>/workshops/<name>.json``, the hub account's alone (0600).

A record names the seats, the instructors, the materials, when the workshop starts and ends, the
workshop password (scrypt-hashed, never stored as given), the seats' one-time login links (their
codes' SHA-256 only) and whether the workshop has ended. The hub's login reads it (a seat logs in with
the workshop password or its link while the workshop runs, and not at all after), the spawner reads it
(the materials put into a seat's or instructor's home), ``spacehub workshop`` and the workshops service
write it: a change is made under the folder's lock and replaces the file whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterator
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


def new_link_code() -> tuple[str, dict[str, str]]:
    """A one-time login code (128 random bits: a fast hash is enough) and what the record keeps of it."""
    code = secrets.token_urlsafe(16)
    return code, {"sha256": hashlib.sha256(code.encode()).hexdigest()}


def link_ok(record: dict[str, Any], seat: str, code: str) -> bool:
    stored = (record.get("links") or {}).get(seat) or {}
    return bool(stored) and hmac.compare_digest(hashlib.sha256(code.encode()).hexdigest(), stored.get("sha256", ""))


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def when(text: str | None) -> dt.datetime | None:
    """A record's time (ISO 8601, UTC), or None."""
    return dt.datetime.fromisoformat(text) if text else None


def closed_because(record: dict[str, Any], at: dt.datetime | None = None) -> str | None:
    """Why a seat of this workshop may not log in now (not started, ended), or None."""
    at = at or now()
    if record.get("ended"):
        return f"The workshop {record['name']} has ended; your work there was kept for its instructors."
    starts = when(record.get("starts"))
    if starts is not None and at < starts:
        return (f"The workshop {record['name']} starts at {starts:%Y-%m-%d %H:%M} UTC; "
                "log in then with the password or link your instructor gives you.")
    return None


@contextlib.contextmanager
def _locked(state_dir: str | os.PathLike) -> Iterator[None]:
    where = folder(state_dir)
    where.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(where / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def change(state_dir: str | os.PathLike, name: str,
           how: Callable[[dict[str, Any]], Any]) -> tuple[dict[str, Any] | None, Any]:
    """Read, change and write one record under the folder's lock (a login consuming a link and an
    instructor ending the workshop never undo each other): ``(record or None, what how returned)``."""
    with _locked(state_dir):
        record = load(state_dir, name)
        if record is None:
            return None, None
        result = how(record)
        _write(state_dir, record)
    return record, result


def save(state_dir: str | os.PathLike, record: dict[str, Any]) -> Path:
    with _locked(state_dir):
        return _write(state_dir, record)


def _write(state_dir: str | os.PathLike, record: dict[str, Any]) -> Path:
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
    """The running workshops whose materials ``username`` gets (as a seat or an instructor); their
    ``materials``: what :func:`spacehub.workshops.materials.describe` said (a plain path in older records)."""
    return [r for r in every(state_dir) if not r.get("ended") and r.get("materials")
            and (username in r.get("seats", []) or username in r.get("instructors", []))]
