"""Servers start a few at a time, in order of arrival, and people see their place in the queue.

When a workshop's 40 people log in in the same minute, 40 JupyterLab servers starting at once on
a small machine share its cores: each then takes longer than JupyterHub waits for it (its
``http_timeout``), and most fail. Here at most ``concurrent_starts`` servers start at once; the
others wait their turn in arrival order, and the page JupyterHub shows while a server starts
(its progress events) says how many people are ahead. A server counts as started once it answers
HTTP, so the next one starts only when this one no longer competes for the CPU at its hardest.

The hub's ``start_timeout`` covers the wait in the queue as well as the start itself: the
settings' default leaves room for a full workshop (``spawner.start_timeout``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner, SimpleLocalProcessSpawner
from jupyterhub.utils import wait_for_http_server
from traitlets import Integer


class StartQueue:
    """At most ``slots`` starts at once; the others wait in arrival order (one per hub process)."""

    def __init__(self, slots: int):
        self.slots = slots
        self.waiting: list[Any] = []
        self.starting: set[Any] = set()
        self.changed = asyncio.Condition()

    def position(self, who: Any) -> int | None:
        """How many wait ahead of ``who``; None once it is starting (or not queued at all)."""
        return self.waiting.index(who) if who in self.waiting else None

    def _admissible(self, who: Any) -> bool:
        return self.waiting[0] is who and len(self.starting) < self.slots

    @contextlib.asynccontextmanager
    async def slot(self, who: Any) -> AsyncIterator[None]:
        """Wait for ``who``'s turn, hold a slot while the block runs. Leaving the queue early (a
        cancelled spawn, a timeout) gives the place up to those behind."""
        self.waiting.append(who)  # at once, in order of arrival: its place is known from here on
        try:
            async with self.changed:
                self.changed.notify_all()
                await self.changed.wait_for(lambda: self._admissible(who))
                self.waiting.remove(who)
                self.starting.add(who)
                self.changed.notify_all()
        except BaseException:
            if who in self.waiting:
                self.waiting.remove(who)
            asyncio.ensure_future(self._notify())  # the lock cannot be awaited while being cancelled
            raise
        try:
            yield
        finally:
            self.starting.discard(who)
            asyncio.ensure_future(self._notify())

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def changes_for(self, who: Any) -> AsyncIterator[int]:
        """How many wait ahead of ``who``, now and each time that changes, until its turn comes."""
        last: int | None = -1

        def moved() -> bool:
            return self.position(who) != last

        while True:
            async with self.changed:
                await self.changed.wait_for(moved)
                last = self.position(who)
            if last is None:
                return
            yield last


_queues: dict[int, StartQueue] = {}


def start_queue(slots: int) -> StartQueue:
    """The hub's queue for ``slots`` concurrent starts (spawners are made per user; the queue is shared)."""
    return _queues.setdefault(slots, StartQueue(slots))


class QueuedLocalProcessSpawner(LocalProcessSpawner):
    """Each user's server as a process of their own Unix account (isolated mode), started in turn:
    ``start`` waits its turn in the hub's :class:`StartQueue` and returns once the server answers
    HTTP; ``progress`` tells the person waiting where they are."""

    concurrent_starts = Integer(
        4, min=1, config=True,
        help="Servers started at once; others wait their turn in arrival order (their page says how many are ahead).")

    umask = Integer(
        None, allow_none=True, config=True,
        help="The servers' umask (isolated mode with shared folders: 0o002, so a group's members may change "
             "each other's files in its folder); None: inherited.")

    @property
    def _queue(self) -> StartQueue:
        return start_queue(self.concurrent_starts)

    def make_preexec_fn(self, name: str):
        switch = super().make_preexec_fn(name)
        umask = self.umask

        def preexec() -> None:
            switch()
            if umask is not None:
                os.umask(umask)

        return preexec

    async def start(self) -> Any:
        async with self._queue.slot(self):
            ip, port = await super().start()
            # started means answering: until then the server competes for the CPU at its hardest
            url = f"http://{ip or '127.0.0.1'}:{port}{self.server.base_url}"
            await wait_for_http_server(url, timeout=self.http_timeout)
        return ip, port

    async def progress(self) -> AsyncIterator[dict[str, Any]]:
        slots = self.concurrent_starts
        async for ahead in self._queue.changes_for(self):
            people = "nobody" if ahead == 0 else "1 person" if ahead == 1 else f"{ahead} people"
            yield {"progress": 5, "message": f"Waiting to start your server: {people} ahead of you "
                                              f"(servers start {slots} at a time)"}
        yield {"progress": 30, "message": "Starting your server (JupyterLab)"}


class QueuedDemoSpawner(QueuedLocalProcessSpawner, SimpleLocalProcessSpawner):
    """Each user's server as a process of the hub's account (demo mode), started in turn."""
