"""From the login page to the first plot a person sees in getting-started, in Chromium.

A real hub (``spacehub up`` on loopback, the sample data), Debian's Chromium driven by Playwright
with every non-loopback request refused (as on a network without internet). For each of N fresh
users: open the login page, log in through the form (their server starts), open
``templates/getting-started.ipynb`` as shipped (default plot backend), Run All, and stop the clock
when the first plot output shows a drawn bokeh canvas. Prints each user's phases and the median.

    .venv/bin/python benchmarks/first_plot.py --users 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))

from browsing import NOTEBOOK, Offline, add_user, log_in, new_context
from hubtools import RunningHub


def first_plot(browser, hub, user: str) -> dict:
    add_user(hub, user)
    offline = Offline()
    context = new_context(browser, offline)
    page = context.new_page()
    t0 = time.perf_counter()
    log_in(page, hub, user)  # from the login page: the form, the server's start, JupyterLab
    t_lab = time.perf_counter()
    page.goto(hub.url + f"user/{user}/lab/tree/templates/getting-started.ipynb")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell", timeout=60_000)
    page.wait_for_function("() => /\\| Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent || '')",
                           timeout=120_000)
    t_open = time.perf_counter()
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li.lm-Menu-item:has-text('Run All Cells')")
    # the first bokeh plot drawn: a canvas of plot size inside an output (windowing renders the
    # cells in view; the first plot is the 7th cell, brought into view as the notebook runs)
    page.wait_for_function(f"""() => [...document.querySelectorAll('{NOTEBOOK} .jp-OutputArea-output [data-root-id]')]
        .some(root => {{
            const walk = (node) => [node, ...[...(node.shadowRoot ? node.shadowRoot.children : []),
                                             ...node.children].flatMap(walk)];
            return walk(root).some(n => n.tagName === 'CANVAS' && n.width > 200 && n.height > 100);
        }})""", timeout=300_000, polling=100)
    t_plot = time.perf_counter()
    context.close()
    assert not offline.blocked, offline.blocked
    return {"login_to_lab": t_lab - t0, "open_notebook": t_open - t_lab, "run_to_plot": t_plot - t_open,
            "total": t_plot - t0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from spacehub.cli import main as spacehub

    with tempfile.TemporaryDirectory() as tmp:
        samples = Path(tmp) / "samples"
        spacehub(["data", "sample", "--dest", str(samples)])
        hub = RunningHub(Path(tmp) / "hub", sample_dir=samples)
        hub.settings["auth"]["allowed_users"] = []
        hub.config.write_text(__import__("yaml").safe_dump(hub.settings))
        hub.start()
        runs: list[dict] = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
                for i in range(args.users):
                    run = first_plot(browser, hub, f"user{i}")
                    runs.append(run)
                    print(f"user{i}: " + ", ".join(f"{k} {v:.2f} s" for k, v in run.items()), flush=True)
                browser.close()
        finally:
            hub.stop()
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"{key:>14}: median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
