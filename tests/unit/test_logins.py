"""Local logins: FirstUseAuthenticator's rules, with the hashing off the hub's event loop."""

import asyncio
import time
from types import SimpleNamespace

import pytest

from spacehub.hub.logins import LocalPasswords
from spacehub.hub.runtime import seed_password


@pytest.fixture
def logins(tmp_path):
    auth = LocalPasswords(dbm_path=str(tmp_path / "passwords.dbm"), create_users=False, min_password_length=8)
    auth._user_exists = lambda name: name in {"ada", "bo", "cy"}  # accounts the admin made
    return auth


def log_in(auth, name, password):
    handler = SimpleNamespace(custom_login_error=None)
    return asyncio.run(auth.authenticate(handler, {"username": name, "password": password})), handler


def test_first_login_sets_the_password_then_only_it_opens(logins, tmp_path):
    assert log_in(logins, "ada", "first-password")[0] == "ada"
    assert log_in(logins, "ada", "first-password")[0] == "ada"
    assert log_in(logins, "ada", "another-password")[0] is None
    assert log_in(logins, "nobody", "first-password")[0] is None  # not an account of the hub
    user, handler = log_in(logins, "bo", "short")
    assert user is None and "at least 8 characters" in handler.custom_login_error
    # the admin's password the hub seeds is read as FirstUseAuthenticator would
    seed_password(tmp_path / "passwords.dbm", "cy", "seeded-password")
    assert log_in(logins, "cy", "seeded-password")[0] == "cy"


def test_the_event_loop_answers_others_while_passwords_are_hashed(logins):
    async def main():
        ticks, done = [], asyncio.Event()

        async def others():  # the hub's other requests: each wants the loop for a moment
            while not done.is_set():
                t0 = time.perf_counter()
                await asyncio.sleep(0.005)
                ticks.append(time.perf_counter() - t0)

        watcher = asyncio.ensure_future(others())
        results = await asyncio.gather(*(logins.authenticate(SimpleNamespace(), {"username": n, "password": "pw-" * 4})
                                         for n in ("ada", "bo", "cy") * 2))
        done.set()
        await watcher
        return results, ticks

    results, ticks = asyncio.run(main())
    assert results == ["ada", "bo", "cy"] * 2
    assert max(ticks) < 0.15, f"the loop was held {max(ticks):.2f} s (a bcrypt hash takes about 0.25 s)"
