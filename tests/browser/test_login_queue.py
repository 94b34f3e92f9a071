"""A workshop's first minute, as the last person to press "Sign in" sees it: their place in the queue
of starting servers, then JupyterLab."""

from __future__ import annotations

import re
import threading

import pytest
from browsing import PASSWORD, Offline, add_user, new_context
from hubtools import ReadyLineHub, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

EARLIER = ("bob", "carol", "dave")  # colleagues whose servers were asked for a moment before


@pytest.fixture(scope="module")
def one_at_a_time(tmp_path_factory):
    hub = ReadyLineHub(tmp_path_factory.mktemp("queue"), spawner={"concurrent_starts": 1},
                       auth={"type": "local", "admin_users": ["admin"], "allowed_users": ["alice", *EARLIER]})
    hub.start()
    yield hub
    hub.stop()


def test_the_person_waiting_sees_their_place_then_jupyterlab(one_at_a_time, playwright_browser, screenshots):
    hub = one_at_a_time
    for name in ("alice", *EARLIER):
        add_user(hub, name)
    # asked at once (each request waits while its server starts, up to JupyterHub's 10 s)
    admin = hub.admin()
    asking = [threading.Thread(target=hub.api, args=("POST", f"users/{name}/server"), kwargs={"session": admin})
              for name in EARLIER]
    for thread in asking:
        thread.start()
    wait_for(lambda: all(hub.api("GET", f"users/{n}", session=admin).json()["pending"] == "spawn" for n in EARLIER),
             30, what="the colleagues' servers starting")
    offline = Offline()
    context = new_context(playwright_browser, offline)
    page = context.new_page()
    page.goto(hub.url + "hub/login")
    page.fill("#username_input", "alice")
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_selector("#progress-message:has-text('ahead of you')", timeout=60_000)
    page.screenshot(path=str(screenshots / "login-queue.png"))
    message = page.inner_text("#progress-message")
    assert re.fullmatch(r"Waiting to start your server: (1 person|[23] people) ahead of you "
                        r"\(servers start 1 at a time\)", message.strip()), message
    # her turn comes: the page says so, then JupyterLab opens by itself
    page.wait_for_url("**/user/alice/lab**", timeout=180_000)
    page.wait_for_selector(".jp-DirListing-item", timeout=60_000)
    wait_for(lambda: all(hub.api("GET", f"users/{n}", session=hub.admin()).json()["servers"].get("", {}).get("ready")
                         for n in EARLIER), 60, what="the earlier colleagues' servers ready too")
    for thread in asking:
        thread.join()
    context.close()
    offline.check()
