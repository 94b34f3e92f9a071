"""Driving JupyterLab in a real browser as a person does: the helpers of the browser tests."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
PASSWORD = "a-browser-users-password"


@dataclass
class Offline:
    """What a browser context tried to fetch from outside the machine, and what its pages logged."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def route(self, route):
        if urlparse(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def watch(self, page):
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(f"uncaught: {e}"))
        # leaving JupyterLab for the next notebook asks "Leave site?" while a document is being
        # saved; a person says yes (Playwright would say no and stay)
        page.on("dialog", lambda dialog: dialog.accept() if dialog.type == "beforeunload" else dialog.dismiss())
        return page

    def check(self):
        assert not self.blocked, f"requests that left the machine: {self.blocked[:10]}"
        assert not self.console_errors, f"browser console errors: {self.console_errors[:10]}"


def new_context(browser, offline: Offline):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.route("**/*", offline.route)
    context.on("page", offline.watch)
    return context


def add_user(hub, name: str) -> None:
    """An account the admin created (local logins: its first login sets the password)."""
    r = hub.api("POST", f"users/{name}", session=hub.admin())
    assert r.status_code in (201, 409), r.text


def log_in(page, hub, name: str, password: str = PASSWORD) -> None:
    """The login form, as a person uses it; JupyterLab opens by itself."""
    page.goto(hub.url + "hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{name}/lab**", timeout=120_000)
    page.wait_for_selector(".jp-DirListing-item", timeout=60_000)


def authorize_if_asked(page) -> None:
    """The hub asks once before opening a server that is someone else's: a person says yes."""
    button = page.locator("button:has-text('Authorize')")
    if button.count():
        button.first.click()


def show_every_cell(page, hub, name: str) -> None:
    """Render every cell rather than only those in view (JupyterLab's windowing), so that every
    output can be checked without scrolling; a person scrolling sees the same outputs."""
    r = page.request.put(hub.url + f"user/{name}/lab/api/settings/@jupyterlab/notebook-extension:tracker",
                         data=json.dumps({"raw": json.dumps({"windowingMode": "none"})}),
                         headers={"X-XSRFToken": xsrf(page), "Content-Type": "application/json"})
    assert r.status == 204, r.text()


NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def open_notebook(page, hub, user: str, path: str) -> None:
    page.goto(hub.url + f"user/{user}/lab/tree/{path}?reset")  # this notebook alone, not the last session's tabs
    wait_notebook_ready(page)


def wait_notebook_ready(page) -> None:
    """The opened notebook shows its cells, and its kernel is connected and idle (the status bar
    reads "Python 3 (ipykernel) | Idle")."""
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=60_000)
    page.wait_for_function("() => /\\| Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent || '')",
                           timeout=120_000)


def click_run_all(page) -> None:
    """Run > Run All Cells, as a person does."""
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li.lm-Menu-item:has-text('Run All Cells')")


def run_all(page, timeout_s: float = 300) -> None:
    """Run > Run All Cells, then wait until every code cell has run (or one failed, which stops the rest)."""
    click_run_all(page)
    page.wait_for_function(f"""() => {{
        const nb = document.querySelector('{NOTEBOOK}');
        const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
        const status = document.querySelector('#jp-main-statusbar')?.textContent || '';
        const done = prompts.length && prompts.every(p => /\\[\\d+\\]/.test(p));
        const stopped = /\\| Idle/.test(status) && !prompts.some(p => p.includes('*'))
                        && nb.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
        return done || (stopped && prompts.some(p => /\\[\\d+\\]/.test(p)) && !prompts.every(p => /\\[\\d+\\]/.test(p)));
    }}""", timeout=timeout_s * 1000, polling=500)


def saved_outputs(page, hub, user: str, path: str, timeout_s: float = 60) -> list[dict]:
    """Every code cell's outputs as the server saved them. With real-time collaboration (on by
    default) the server saves the shared document by itself; without it, Ctrl+S saves.

    Read from the user's home on disk: reading through the contents API while the collaboration
    saver writes can make jupyter-server take the half-written file for a broken one and restore
    its backup under the writer (jupyter-server 2.x; its save then fails with "No such file").
    """
    import time
    from pathlib import Path

    ran = page.locator(f"{NOTEBOOK} .jp-CodeCell .jp-InputPrompt").all_inner_texts()
    ran = sum(1 for prompt in ran if re.search(r"\[\d+\]", prompt))
    file = Path(hub.settings["state_dir"]) / "homes" / user / path
    deadline, pressed = time.monotonic() + timeout_s, False
    while True:
        try:
            cells = [c for c in json.loads(file.read_text())["cells"] if c["cell_type"] == "code"]
        except (OSError, ValueError):  # between the writer's steps
            cells = []
        if cells and sum(c.get("execution_count") is not None for c in cells) >= ran:
            return [dict(o, cell=i) for i, cell in enumerate(cells) for o in cell.get("outputs", [])]
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path}: {ran} cells ran, the saved file does not show them after {timeout_s} s")
        if not pressed and time.monotonic() > deadline - timeout_s / 2:
            page.keyboard.press("Control+s")  # no collaboration: save as a person would
            pressed = True
        page.wait_for_timeout(500)


def plots_on_page(page) -> list[dict]:
    """Every plot drawn in the open notebook: each innermost output with a bokeh canvas (found
    through the shadow roots; its largest) and each image output, with its size and how many
    colours it shows (a blank plot shows one or two)."""
    import io

    from PIL import Image

    def look(kind, handle):
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box() or {"width": 0, "height": 0}
        picture = Image.open(io.BytesIO(handle.screenshot())).convert("RGB")
        colours = picture.getcolors(maxcolors=1 << 16)
        return {"kind": kind, "width": round(box["width"]), "height": round(box["height"]),
                "colours": len(colours) if colours is not None else 1 << 16}

    found = []
    outputs = f"{NOTEBOOK} .jp-OutputArea-output:has([data-root-id]):not(:has(.jp-OutputArea-output [data-root-id]))"
    for output in page.locator(outputs).all():
        canvases = [c for c in output.locator("canvas").all() if c.is_visible()]
        if canvases:
            area = lambda c: (lambda b: b["width"] * b["height"] if b else 0)(c.bounding_box())  # noqa: E731
            found.append(look("bokeh", max(canvases, key=area)))
    for image in page.locator(f"{NOTEBOOK} .jp-OutputArea-output img").all():
        found.append(look("image", image))
    return found


def bokeh_figures(outputs: list[dict]) -> int:
    """How many outputs of a saved notebook hold a bokeh figure (the plots that must be drawn)."""
    return sum(1 for o in outputs if '"name":"Figure"' in json.dumps(o.get("data", {})).replace('\\"', '"'))


def write_notebook(page, hub, user: str, path: str, *cells: str) -> None:
    """Put a notebook of ``cells`` (code) into the user's home through the contents API."""
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
        "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None,
                   "id": f"cell{i}"} for i, c in enumerate(cells)]}
    put_notebook(page, hub, user, path, notebook)


def put_notebook(page, hub, user: str, path: str, notebook: dict) -> None:
    """Save ``notebook`` (nbformat JSON) at ``path`` in the user's home through the contents API."""
    r = page.request.put(hub.url + f"user/{user}/api/contents/{path}",
                         data=json.dumps({"type": "notebook", "format": "json", "content": notebook}),
                         headers={"X-XSRFToken": xsrf(page), "Content-Type": "application/json"})
    assert r.status in (200, 201), r.text()


def shut_down_kernels(page, hub, user: str) -> None:
    """Stop every kernel of the user's server (what closing the notebooks would do)."""
    r = page.request.get(hub.url + f"user/{user}/api/kernels")
    for kernel in r.json():
        page.request.delete(hub.url + f"user/{user}/api/kernels/{kernel['id']}", headers={"X-XSRFToken": xsrf(page)})


def xsrf(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "_xsrf" and c["path"].startswith("/user"))


@contextmanager
def lab_session(hub, browser, user: str):
    """``user`` (created by the admin) logged in through the form, JupyterLab open in a fresh
    browser context with every non-loopback request refused: yields (page, :class:`Offline`)."""
    add_user(hub, user)
    offline = Offline()
    context = new_context(browser, offline)
    page = context.new_page()
    try:
        log_in(page, hub, user)
        show_every_cell(page, hub, user)
        yield page, offline
        shut_down_kernels(page, hub, user)
    finally:
        context.close()


def cut_off_widgets(page) -> list[str]:
    """Widgets a person cannot read in full: a label or readout cut short (shown with an
    ellipsis), or a control reaching past the right edge of its output."""
    return page.evaluate(f"""() => {{
        const nb = document.querySelector('{NOTEBOOK}');
        const out = [];
        for (const e of nb.querySelectorAll('.widget-label, .widget-readout, .widget-inline-hbox > label')) {{
            if (e.offsetParent && e.scrollWidth > e.clientWidth + 1) out.push('label cut: ' + e.textContent);
        }}
        for (const area of nb.querySelectorAll('.jp-OutputArea-output')) {{
            const edge = area.getBoundingClientRect().right;
            for (const w of area.querySelectorAll('.widget-inline-hbox, .widget-button, .widget-dropdown')) {{
                const r = w.getBoundingClientRect();
                if (w.offsetParent && r.width > 0 && r.right > edge + 1)
                    out.push('past the edge: ' + (w.textContent || w.className).trim().slice(0, 60));
            }}
        }}
        return out;
    }}""")
