"""Shared folders as a person sees them: in JupyterLab's file browser, beside their own files,
``shared`` and ``groups``; in ``groups`` the folder of their group, with what a colleague put there."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import add_user, lab_session

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]
USER = "ivy"


@pytest.fixture(scope="module")
def lab(hub, playwright_browser):
    add_user(hub, USER)
    r = hub.api("POST", "groups/radio", session=hub.admin(), json={"users": [USER]})
    assert r.status_code == 201, r.text
    colleague_file = Path(hub.settings["state_dir"]) / "folders" / "groups" / "radio" / "antenna-log.txt"
    colleague_file.parent.mkdir(parents=True, exist_ok=True)
    colleague_file.write_text("dish pointed at Cas A")
    with lab_session(hub, playwright_browser, USER) as session:
        yield session


def test_the_file_browser_shows_shared_and_the_group_folder(hub, lab, screenshots):
    page, offline = lab
    listing = page.locator(".jp-DirListing-content")
    for name in ("shared", "groups", "templates"):
        listing.locator(f".jp-DirListing-item[title*='Name: {name}']").wait_for(timeout=30_000)
    listing.locator(".jp-DirListing-item[title*='Name: groups']").dblclick()
    listing.locator(".jp-DirListing-item[title*='Name: radio']").dblclick()
    item = listing.locator(".jp-DirListing-item[title*='Name: antenna-log.txt']")
    item.wait_for(timeout=30_000)
    page.screenshot(path=str(screenshots / "file-browser-group-folder.png"))
    item.dblclick()
    page.locator(".jp-FileEditor .cm-content:has-text('dish pointed at Cas A')").wait_for(timeout=30_000)
    offline.check()
