"""Local logins whose password hashing leaves the hub free to answer everyone else.

FirstUseAuthenticator (local logins: an account's first login sets its password) hashes and
checks passwords with bcrypt on the hub's event loop: about 0.25 s of CPU per login, during which
the hub answers nobody. Forty people pressing "Sign in" together then froze the hub for ten
seconds and more. Here the bcrypt work runs in a thread (bcrypt releases the GIL: two logins use
two cores) and only the password file is touched under a lock. What is checked is unchanged:
listed or admin-made accounts only, the minimum length on first use, the same bcrypt hashes in the
same file (``FirstUseAuthenticator.dbm_path``), so its change-password page keeps working.

A workshop's seats (:mod:`spacehub.workshops`) log in with their workshop's password, or once with
their own login link, while it runs; not before it starts, and not at all once it has ended.
"""

from __future__ import annotations

import asyncio
import dbm
import threading
from pathlib import Path
from typing import Any

import bcrypt
from firstuseauthenticator import FirstUseAuthenticator

from ..workshops import records


class LocalPasswords(FirstUseAuthenticator):
    """FirstUseAuthenticator with its bcrypt work off the event loop (configured as FirstUseAuthenticator)."""

    _file_lock = threading.Lock()  # one reader or writer of the password file at a time

    async def authenticate(self, handler: Any, data: dict[str, str]) -> str | None:
        username = self.normalize_username(data["username"])
        state_dir = Path(self.dbm_path).parent
        workshop = await asyncio.to_thread(records.seat_of, state_dir, username)
        if workshop is not None:  # a workshop's seat: its password or its link, while the workshop runs
            closed = records.closed_because(workshop)
            if closed:
                handler.custom_login_error = closed
                return None
            if records.link_ok(workshop, username, data["password"]) and await asyncio.to_thread(
                    self._used_link, state_dir, workshop["name"], username, data["password"]):
                return username
            ok = await asyncio.to_thread(records.password_ok, workshop, data["password"])
            return username if ok else None
        if not self.create_users and not self._user_exists(username):  # the hub's database: on the loop
            return None
        ok, problem = await asyncio.to_thread(self._check_or_set, username, data["password"])
        if problem:
            handler.custom_login_error = problem
            self.log.error(problem)
        return username if ok else None

    @staticmethod
    def _used_link(state_dir: Path, workshop: str, seat: str, code: str) -> bool:
        """The seat's one-time link, which the record read just before accepts: taken once, then gone
        (checked again and removed under the records' lock; the workshop password writes nothing)."""
        def consume(record: dict[str, Any]) -> bool:
            if not records.link_ok(record, seat, code):  # asked again under the lock: another login may have won
                return False
            del record["links"][seat]
            return True

        return bool(records.change(state_dir, workshop, consume)[1])

    def _stored(self, username: str) -> bytes | None:
        with self._file_lock, dbm.open(self.dbm_path, "c", 0o600) as db:
            return db.get(username.encode())

    def _check_or_set(self, username: str, password: str) -> tuple[bool, str | None]:
        """(accepted, what to tell the person): the stored hash checked, or the first password set."""
        stored = self._stored(username)
        if stored is None:
            if not self._validate_password(password):
                return False, (f"Password too short! Please choose a password at least {self.min_password_length} "
                               "characters long.")
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
            with self._file_lock, dbm.open(self.dbm_path, "c", 0o600) as db:
                stored = db.setdefault(username.encode(), hashed)  # a first login racing this one may have won
            if stored == hashed:
                return True, None
        return bcrypt.checkpw(password.encode(), stored), None
