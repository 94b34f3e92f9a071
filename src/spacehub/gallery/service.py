"""The gallery's rules and work, apart from HTTP: who sees and changes what, the queue of checks and runs.

Visibility of an entry: ``private`` (its author), ``group`` (members of one hub group), ``hub``
(every user of the hub), ``public`` (anyone, logged in or not). The hub's admins see and change
everything; only an entry's author (or an admin) changes it, publishes a new version or withdraws it.
A withdrawn entry leaves the lists; its permanent URLs say so and serve nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .check import Runner, check_version
from .store import NotFound, Store, StoreError, now, read_json, write_json

log = logging.getLogger("spacehub.gallery")

#: re-runs with other parameters one person may have waiting at once (the queue is everyone's)
RUNS_WAITING_PER_USER = 3

User = Mapping[str, Any]  #: the hub's model of the caller (name, admin, groups), None for strangers


def may_see(user: User | None, entry: Mapping[str, Any]) -> bool:
    visibility = entry.get("visibility")
    if visibility == "public":
        return True
    if user is None:
        return False
    if user.get("admin") or user.get("name") == entry.get("author") or visibility == "hub":
        return True
    return visibility == "group" and entry.get("group") in (user.get("groups") or [])


def may_change(user: User | None, entry: Mapping[str, Any]) -> bool:
    return user is not None and (bool(user.get("admin")) or user.get("name") == entry.get("author"))


def check_parameters(given: Any, known: Mapping[str, Any]) -> dict[str, Any]:
    """Values for a re-run: only the notebook's own parameters, JSON values of modest size."""
    if not isinstance(given, dict):
        raise StoreError("parameters: an object of name → value")
    if not known:
        raise StoreError("this notebook has no parameters cell (a cell tagged 'parameters'): it cannot be "
                         "re-run with other values")
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise StoreError(f"unknown parameter(s) {', '.join(unknown)}; this notebook takes {', '.join(known)}")
    for name, value in given.items():
        scalars = (str, int, float, bool, type(None))
        if not (isinstance(value, scalars) or isinstance(value, list) and all(isinstance(v, scalars) for v in value)):
            raise StoreError(f"parameter {name}: a text, number, true/false or a list of them")
        if len(json.dumps(value)) > 2000:
            raise StoreError(f"parameter {name}: at most 2,000 characters")
    return dict(given)


@dataclass
class Gallery:
    """The store, the runner and the queue of work behind the web service."""

    store: Store
    runner: Runner
    at_once: int = 1
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    waiting: set = field(default_factory=set)
    runs_of: dict = field(default_factory=dict)  #: re-runs each person has queued or running
    _workers: list = field(default_factory=list)

    def start(self) -> None:
        """Recover from a crash and queue what is owed: checks never finished, never made, or made in
        an environment that has changed since (the packages' fingerprint)."""
        removed = self.store.recover()
        if removed:
            log.info("removed %d piece(s) of publishes that never finished", len(removed))
        fingerprint = self.runner.environment().get("fingerprint")
        for entry_id in self.store.ids():
            entry = self.store.entry(entry_id)
            if entry.get("withdrawn"):
                continue
            for version in entry["versions"]:
                check = self.store.version(entry_id, version).get("check")
                stale = check and version == entry["versions"][-1] and \
                    check.get("environment", {}).get("fingerprint") != fingerprint
                if not check or check.get("status") in ("queued", "running") or stale:
                    self.enqueue_check(entry_id, version, why="environment changed" if stale else "owed")
        for key in [p.name for p in self.store.runs.iterdir()]:
            status = _read(self.store.runs / key / "status.json")
            if status and status.get("status") in ("queued", "running"):
                self.queue.put_nowait(("run", key))
        self._workers = [asyncio.ensure_future(self._work()) for _ in range(self.at_once)]

    def enqueue_check(self, entry_id: str, version: int, why: str = "") -> None:
        if ("check", entry_id, version) in self.waiting:
            return
        self.waiting.add(("check", entry_id, version))
        self.store.record_check(entry_id, version, {"status": "queued", "queued": now(), "why": why})
        self.queue.put_nowait(("check", entry_id, version))

    def enqueue_run(self, entry_id: str, version: int, parameters: dict[str, Any], user: str) -> str:
        """A re-run with other parameters; the same values give the same run (kept, not run again)."""
        key = hashlib.sha256(json.dumps([entry_id, version, parameters], sort_keys=True).encode()).hexdigest()[:20]
        folder = self.store.runs / key
        status = _read(folder / "status.json")
        if status and status.get("status") not in ("error",):
            return key
        waiting = self.runs_of.get(user, 0)
        if waiting >= RUNS_WAITING_PER_USER:
            raise StoreError(f"you have {waiting} re-runs waiting already: ask again when one has finished")
        folder.mkdir(exist_ok=True, mode=0o700)
        write_json(folder / "request.json", {"entry": entry_id, "version": version, "parameters": parameters,
                                             "by": user, "asked": now()})
        write_json(folder / "status.json", {"status": "queued", "queued": now()})
        self.runs_of[user] = waiting + 1
        self.queue.put_nowait(("run", key))
        return key

    async def _work(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                if job[0] == "check":
                    self.waiting.discard(job)
                    result = await check_version(self.store, self.runner, job[1], job[2])
                    log.info("check of %s v%d: %s in %.1f s", job[1], job[2], result["status"], result["seconds"])
                else:
                    await self._run(job[1])
            except NotFound:
                pass  # withdrawn or removed meanwhile
            except Exception:
                log.exception("%s failed", job)
            finally:
                self.queue.task_done()

    async def _run(self, key: str) -> None:
        folder = self.store.runs / key
        request = read_json(folder / "request.json")
        version_dir = self.store.version_dir(request["entry"], request["version"])
        files = sorted((version_dir / "files").iterdir()) if (version_dir / "files").is_dir() else []
        write_json(folder / "status.json", {"status": "running", "started": now()})
        try:
            result = await self.runner.run(version_dir / "notebook.ipynb", files, request["parameters"],
                                           keep=folder / "executed.ipynb")
        finally:
            by = request.get("by", "")
            self.runs_of[by] = max(0, self.runs_of.get(by, 1) - 1)
        write_json(folder / "status.json", {"status": "done" if result.ok else "failed", "finished": now(),
                                            "seconds": round(result.seconds, 2), "reasons": result.reasons})

    async def stop(self) -> None:
        for task in self._workers:
            task.cancel()
        for task in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return read_json(path)
    except (OSError, ValueError):
        return None


def remove_run(store: Store, key: str) -> None:
    shutil.rmtree(store.runs / key, ignore_errors=True)
