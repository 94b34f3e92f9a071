"""A real browser (Debian's Chromium driven by Playwright) against the session's real hub.

Nothing may leave the machine: every request to a host other than the loopback is refused and
recorded, and the test that caused it fails (``browsing.Offline``). Screenshots go to
``<pytest's basetemp>/screenshots`` (``--basetemp`` to keep them somewhere), or to
``$SPACEHUB_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SPACEHUB_CHROMIUM", "/usr/bin/chromium")

@pytest.fixture(scope="module")
def playwright_browser():
    """Chromium for the browser tests only: Playwright's sync API runs an event loop in this
    thread while it is open, which would break the later tests that call ``asyncio.run``."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium when run as root "
                    "(apt-get install chromium), or set SPACEHUB_CHROMIUM")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"] if os.geteuid() == 0 else [])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    where = Path(os.environ.get("SPACEHUB_SCREENSHOTS") or tmp_path_factory.getbasetemp() / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where
