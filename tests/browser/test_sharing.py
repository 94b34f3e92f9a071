"""Working together, as two people do it in two browsers: frank shares his server with gina from the
hub's home page (no curl), gina opens it from hers, both edit one notebook and see each other's
typing and cursor; frank stops sharing, and gina, logging in again, is refused."""

from __future__ import annotations

import pytest
from browsing import (
    NOTEBOOK,
    Offline,
    add_user,
    authorize_if_asked,
    lab_session,
    log_in,
    new_context,
    open_notebook,
    write_notebook,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]
OWNER, GUEST = "frank", "gina"


def test_share_edit_together_and_stop_sharing(hub, playwright_browser, screenshots):
    with lab_session(hub, playwright_browser, OWNER) as (owner, owner_offline), \
            lab_session(hub, playwright_browser, GUEST) as (guest, guest_offline):
        # frank, on his home page: share with gina
        owner.goto(hub.url + "hub/home")
        owner.fill("#share-name", GUEST)
        owner.click("#share-submit")
        owner.locator("#my-shares li:has-text('gina')").wait_for(timeout=30_000)
        owner.screenshot(path=str(screenshots / "sharing-owner.png"))

        write_notebook(guest, hub, GUEST, "mine.ipynb", "1")  # (gina has a server of her own too)
        # frank's notebook, open on his side
        owner.goto(hub.url + f"user/{OWNER}/lab")
        owner.wait_for_selector(".jp-DirListing-item", timeout=60_000)
        write_notebook(owner, hub, OWNER, "together.ipynb", "x = 1")
        open_notebook(owner, hub, OWNER, "together.ipynb")

        # gina, on her home page: frank's server is listed; she opens his notebook
        guest.goto(hub.url + "hub/home")
        link = guest.locator("#shared-with-me a.open-shared")
        link.wait_for(timeout=30_000)
        assert guest.locator("#shared-with-me li").first.inner_text().startswith(f"{OWNER}'s server")
        guest.screenshot(path=str(screenshots / "sharing-guest.png"))
        guest.goto(hub.url + f"user/{OWNER}/lab/tree/together.ipynb")
        authorize_if_asked(guest)
        guest.wait_for_url(f"**/user/{OWNER}/lab/**", timeout=60_000)
        guest.wait_for_selector(f"{NOTEBOOK} .jp-Cell .cm-content", timeout=60_000)
        editor = guest.locator(f"{NOTEBOOK} .jp-Cell .cm-content").first
        editor.click()
        guest.keyboard.press("End")
        guest.keyboard.type("  # typed by gina")

        # frank sees her text arrive in his notebook, and her cursor
        owner.locator(f"{NOTEBOOK} .jp-Cell .cm-content:has-text('typed by gina')").wait_for(timeout=30_000)
        # JupyterLab draws a collaborator's cursor in a layer of its own over the cell's editor
        owner.locator(f"{NOTEBOOK} .jp-remote-cursors .jp-remote-cursor").first.wait_for(state="attached",
                                                                                   timeout=30_000)
        owner.screenshot(path=str(screenshots / "sharing-together.png"))

        # frank stops sharing; his list says nobody
        owner.goto(hub.url + "hub/home")
        owner.click("#my-shares button.revoke-share")
        owner.locator("#my-shares li:has-text('Nobody')").wait_for(timeout=30_000)
        for offline in (owner_offline, guest_offline):
            # two JupyterLabs on one kernel: each logs the comm messages of the other's widgets it never opened
            offline.console_errors[:] = [e for e in offline.console_errors if not e.startswith("Comm not found")]
            offline.check()

    # gina, in a new browser session: frank's server is no longer hers to open
    offline = Offline()
    context = new_context(playwright_browser, offline)
    try:
        page = context.new_page()
        log_in(page, hub, GUEST)
        page.goto(hub.url + "hub/home")
        page.locator("#shared-with-me li:has-text('None yet')").wait_for(timeout=30_000)
        response = page.goto(hub.url + f"user/{OWNER}/lab")
        authorize_if_asked(page)
        assert response is not None and (response.status == 403 or "403" in page.content()), page.url
    finally:
        context.close()


def test_sharing_with_nobody_says_why(hub, playwright_browser):
    offline = Offline()
    context = new_context(playwright_browser, offline)
    try:
        page = context.new_page()
        add_user(hub, OWNER)
        log_in(page, hub, OWNER)
        page.goto(hub.url + "hub/home")
        page.fill("#share-name", "<img src=x onerror=alert(1)>")
        page.click("#share-submit")
        message = page.locator("#share-message")
        message.locator("text=Could not share with").wait_for(timeout=30_000)
        assert "<img" in message.inner_text() and not page.locator("#spacehub-sharing img").count()
    finally:
        context.close()
