"""The gallery as a person uses it: JupyterLab's Gallery menu → the publish form of her server → the
entry's page with its badge, the notebook's preview, the citation → "Open in my hub". The notebook
carries script payloads in its title, markdown and outputs: no script runs anywhere (no dialog opens,
the preview holds no script element), and the payloads show as text."""

from __future__ import annotations

import re

import pytest
from browsing import lab_session, put_notebook

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]
USER = "kim"
TITLE = "Storm <img src=x onerror=alert('title')>"


def payload_notebook() -> dict:
    html = "<b>bold output</b><script>alert('output')</script>"
    code = [("n = 6  # how many", []),
            ("print(n * 7)", [{"output_type": "stream", "name": "stdout", "text": "42\n"}]),
            ("from IPython.display import HTML\nHTML(" + repr(html) + ")",
             [{"output_type": "execute_result", "execution_count": 2, "metadata": {},
               "data": {"text/html": html, "text/plain": "<IPython.core.display.HTML object>"}}])]
    cells = [{"cell_type": "markdown", "id": "md", "metadata": {},
              "source": "# Payload heading\n<script>alert('markdown')</script><img src=x onerror=\"alert('img')\">"
                        "\n[click](javascript:alert('link'))"}]
    cells += [{"cell_type": "code", "id": f"c{i}", "metadata": {"tags": ["parameters"]} if i == 0 else {},
               "source": src, "outputs": outs, "execution_count": i + 1} for i, (src, outs) in enumerate(code)]
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}}


def test_publish_from_the_lab_menu_see_the_check_and_open_it_again(hub, playwright_browser, screenshots):
    dialogs: list[str] = []
    with lab_session(hub, playwright_browser, USER) as (lab, offline):
        lab.context.on("page", lambda p: p.on("dialog", lambda d: dialogs.append(d.message)))
        lab.on("dialog", lambda d: dialogs.append(d.message))
        put_notebook(lab, hub, USER, "payload.ipynb", payload_notebook())

        # JupyterLab's menu bar has the gallery; "Publish a notebook…" opens the form in a new tab
        lab.locator(".lm-MenuBar-itemLabel:text-is('Gallery')").click()
        with lab.context.expect_page() as opened:
            lab.locator(".lm-Menu-itemLabel:has-text('Publish a notebook')").click()
        form = opened.value
        form.on("dialog", lambda d: dialogs.append(d.message))
        form.wait_for_selector("select#path", timeout=60_000)
        form.select_option("#path", "payload.ipynb")
        form.fill("#title", TITLE)
        form.fill("#description", "Published from the browser <script>alert('description')</script>")
        form.fill("#tags", "storms, payloads")
        form.click("button[type=submit]")
        form.wait_for_url(re.compile(r".*/services/gallery/entries/[a-z0-9-]+/v1/$"), timeout=60_000)
        entry_url = form.url

        # the title shows as text; the check runs, and its badge says the notebook reproduces
        assert form.locator("h1").inner_text() == TITLE
        for _ in range(120):
            status = form.locator(".badge").first.get_attribute("data-status")
            if status in ("passed", "failed"):
                break
            form.wait_for_timeout(1000)
            form.reload()
        assert status == "passed", form.locator(".box").first.inner_text()
        assert "reproduces" in form.locator(".badge").first.inner_text()
        assert "version 1" in form.locator("#citation").inner_text() and entry_url in form.locator("#citation").inner_text()

        # the preview: the notebook's content, no script element, the payloads as harmless text
        frame = form.frame_locator("iframe[title='notebook preview']")
        frame.locator("h1:has-text('Payload heading')").wait_for(timeout=30_000)
        assert frame.locator("text=42").count() >= 1
        # the HTML output with a script is not shown as HTML: a note says where to see it
        assert frame.locator("text=open the notebook to see it").count() == 1
        preview = next(f for f in form.frames if f.url.endswith("/preview"))
        assert preview.locator("script").count() == 0
        assert preview.locator("[onerror], [onload], a[href^='javascript']").count() == 0
        form.screenshot(path=str(screenshots / "gallery-entry.png"), full_page=True)

        # the list finds it by a word of its description
        form.goto(hub.url + "services/gallery/?q=browser")
        assert form.locator("ul.entries li").count() >= 1
        assert TITLE in form.locator("ul.entries li").first.inner_text()
        form.screenshot(path=str(screenshots / "gallery-list.png"))

        # re-run with another value of its parameter, from the entry's page (Times Square-style)
        form.goto(entry_url)
        form.fill("input[name=n]", "7")
        form.click("button:has-text('Run')")
        form.wait_for_url(re.compile(r".*/services/gallery/runs/[0-9a-f]{20}/$"), timeout=30_000)
        for _ in range(120):
            if form.locator("[data-status]").first.get_attribute("data-status") in ("done", "failed"):
                break
            form.wait_for_timeout(1000)
            form.reload()
        assert form.locator("[data-status]").first.get_attribute("data-status") == "done"
        form.frame_locator("iframe[title='result']").locator("text=49").wait_for(timeout=30_000)
        form.screenshot(path=str(screenshots / "gallery-rerun.png"))

        # "Open in my hub": a copy in her home, opened in JupyterLab
        form.goto(entry_url)
        form.click("text=Open in my hub")
        form.wait_for_url(re.compile(rf".*/user/{USER}/lab/tree/gallery/.*\.ipynb"), timeout=90_000)
        form.locator(".jp-NotebookPanel .jp-MarkdownOutput h1:has-text('Payload heading')").wait_for(timeout=60_000)
        form.screenshot(path=str(screenshots / "gallery-opened.png"))
        assert dialogs == [], f"a script ran: {dialogs}"
        assert not offline.blocked, f"requests that left the machine: {offline.blocked[:5]}"
