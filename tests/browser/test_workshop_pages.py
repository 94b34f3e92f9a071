"""A workshop as its people see it in the browser: a participant opens her one-time login link and
lands in JupyterLab on the workshop's notebook, its kernel already running (the one her server started:
no second one); the link does not work twice; the instructor's page shows her
seat running and opens her server ("look over the shoulder"); new links and the end from the page.

People of this file: nina (instructor), the seats coral-01 and coral-02.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from browsing import NOTEBOOK, PASSWORD, Offline, add_user, authorize_if_asked, new_context, run_all

from spacehub.config import load_settings
from spacehub.workshops.archive import verify
from spacehub.workshops.cli import create, links

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]
LESSON = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "# Coral reefs, lesson 1"},
    {"cell_type": "code", "id": "c", "metadata": {}, "outputs": [], "execution_count": None,
     "source": "import colorsys\nprint('hue', colorsys.rgb_to_hsv(0.0, 0.5, 1.0)[0])"}]}


def test_a_participant_signs_in_with_her_link_and_the_instructor_follows_from_the_page(
        hub, playwright_browser, screenshots, tmp_path):
    settings = load_settings(hub.config)
    add_user(hub, "nina")
    materials = tmp_path / "materials"
    materials.mkdir()
    (materials / "lesson.ipynb").write_text(json.dumps(LESSON))
    create(settings, "coral", 2, None, ["nina"], str(materials), out=lambda *_: None, opens="lesson.ipynb")
    link = links(settings, "coral", ["coral-01"])["coral-01"]
    code = link.split("code=")[1]

    offline, teacher_offline = Offline(), Offline()
    student = new_context(playwright_browser, offline)
    teacher = new_context(playwright_browser, teacher_offline)
    try:
        # her link signs her in and JupyterLab opens the lesson, in the workshop's folder, its kernel idle
        page = student.new_page()
        page.goto(link)
        page.wait_for_url("**/user/coral-01/lab**", timeout=120_000)
        page.locator(NOTEBOOK, has_text="Coral reefs, lesson 1").wait_for(timeout=120_000)
        page.wait_for_selector(".jp-DirListing-item[title*='lesson.ipynb']", timeout=60_000)
        page.locator("#jp-main-statusbar", has_text="Idle").wait_for(timeout=120_000)
        run_all(page)
        page.locator(f"{NOTEBOOK} .jp-OutputArea-output", has_text="hue 0.5833").wait_for(timeout=60_000)
        # the kernel she ran it in is the one her server started with: one session, one kernel
        seat = {"Authorization": f"token {hub.token_for('coral-01')}"}
        server = hub.url + "user/coral-01/"
        assert [s["path"] for s in requests.get(server + "api/sessions", headers=seat, timeout=30).json()] == [
            "coral/lesson.ipynb"]
        assert len(requests.get(server + "api/kernels", headers=seat, timeout=30).json()) == 1
        page.screenshot(path=str(screenshots / "workshop-seat-lands-on-lesson.png"))
        assert code not in hub.log()  # after '#': never sent to any server, so in no log

        # the same link a second time: the login form again, with the refusal
        refused = Offline()
        again = new_context(playwright_browser, refused).new_page()
        again.goto(link)
        again.wait_for_selector(".login_error", timeout=30_000)
        assert "/hub/login" in again.url and code not in again.url  # the code is taken out of the address bar
        again.context.close()
        assert not refused.blocked  # (its console has the refused login's 403)

        # the instructor's page: her seat's server running; its name opens her JupyterLab
        mine = teacher.new_page()  # she signs in to go to the workshops page (not to a server of her own)
        mine.goto(hub.url + "hub/login?next=" + quote("/services/workshops/"))
        mine.fill("#username_input", "nina")
        mine.fill("#password_input", PASSWORD)
        mine.click("#login_submit")
        mine.wait_for_url("**/services/workshops/", timeout=60_000)
        mine.get_by_role("link", name="coral").click()
        mine.wait_for_url("**/services/workshops/coral/")
        row = mine.locator("tr", has_text="coral-01")
        assert row.locator("td").nth(2).inner_text() == "ready"
        assert mine.locator("tr", has_text="coral-02").locator("td").nth(2).inner_text() == "-"
        assert "1 of 2" in mine.locator("body").inner_text()
        mine.screenshot(path=str(screenshots / "workshop-status.png"), full_page=True)
        row.get_by_role("link", name="coral-01").click()
        mine.wait_for_url(re.compile(r".*(/hub/api/oauth2/authorize|/user/coral-01/lab).*"), timeout=120_000)
        authorize_if_asked(mine)  # the hub asks once before opening someone else's server
        mine.wait_for_url("**/user/coral-01/lab**", timeout=120_000)
        mine.locator(NOTEBOOK, has_text="hue 0.5833").wait_for(timeout=120_000)  # her lesson, as she ran it

        offline.check()
        student.close()  # she is done for the day
        # new links from the page, shown once; then the end, from the page too
        mine.goto(hub.url + "services/workshops/coral/")
        mine.get_by_role("button", name="New login links").click()
        shown = mine.locator("td code").all_inner_texts()
        assert len(shown) == 2 and all(re.search(r"/hub/login#seat=coral-0[12]&code=", s) for s in shown)
        mine.goto(hub.url + "services/workshops/coral/")
        mine.get_by_role("button", name="End the workshop now").click()  # the box is not ticked: nothing happens
        assert mine.url.endswith("/services/workshops/coral/")
        mine.get_by_label(re.compile("stop every seat")).check()
        mine.get_by_role("button", name="End the workshop now").click()
        for _ in range(120):
            if "ended" in mine.locator("#state").inner_text():
                break
            mine.wait_for_timeout(1000)  # the page has no script: a person reloads it
            mine.reload()
        assert "ended" in mine.locator("#state").inner_text()
        archive = Path(mine.locator("#archive code").inner_text())
        homes = Path(settings.state_dir) / "homes"
        assert archive.parent == homes / "nina" / "workshop-archives"
        assert verify(archive, {s: homes / s for s in ("coral-01", "coral-02")}) == []
        mine.screenshot(path=str(screenshots / "workshop-ended.png"), full_page=True)
        teacher_offline.check()
    finally:
        student.close()
        teacher.close()

