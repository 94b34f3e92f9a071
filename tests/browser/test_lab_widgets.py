"""Widgets a person uses in the browser: a changed time range redraws the plot; the cluster panel
starts a cluster whose dashboard opens and renders, and stops it."""

from __future__ import annotations

import pytest
from browsing import (
    NOTEBOOK,
    lab_session,
    open_notebook,
    plots_on_page,
    run_all,
    write_notebook,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]
USER = "dana"


@pytest.fixture(scope="module")
def lab(hub, playwright_browser):
    with lab_session(hub, playwright_browser, USER) as session:
        yield session


def test_changing_the_time_range_redraws_the_plot(hub, lab, screenshots):
    page, offline = lab
    write_notebook(page, hub, USER, "explore.ipynb",
                   "import spacehub.catalog\nfrom spacehub.widgets import explorer\n"
                   "explorer(spacehub.catalog.open(), dataset_id='omni_hro_1min', variables=['SYM_H'],\n"
                   "         start='2015-03-17', stop='2015-03-19')")
    open_notebook(page, hub, USER, "explore.ipynb")
    run_all(page)
    roots = f"() => [...document.querySelectorAll('{NOTEBOOK} .jp-OutputArea-output [data-root-id]')]" \
            ".map(r => r.getAttribute('data-root-id')).sort().join(' ')"
    canvas = page.locator(f"{NOTEBOOK} .jp-OutputArea-output canvas").first  # through bokeh's shadow roots
    canvas.wait_for(state="attached", timeout=60_000)
    before = page.evaluate(roots)
    assert [p for p in plots_on_page(page) if p["colours"] >= 3]
    page.screenshot(path=str(screenshots / "explorer-before.png"))

    start = page.locator(f"{NOTEBOOK} .widget-text:has(label:text-is('Start')) input")
    start.fill("2015-03-18")
    start.press("Enter")
    page.wait_for_function(f"() => ({roots})() !== {before!r}", timeout=60_000)  # a new plot replaced the old
    canvas.wait_for(state="attached", timeout=60_000)
    plots = plots_on_page(page)
    assert plots and all(p["colours"] >= 3 for p in plots), plots
    page.screenshot(path=str(screenshots / "explorer-after.png"))
    offline.check()


def test_cluster_panel_starts_a_cluster_with_a_dashboard(hub, lab, screenshots):
    page, offline = lab
    write_notebook(page, hub, USER, "cluster.ipynb", "from spacehub.widgets import ClusterPanel\nClusterPanel()")
    open_notebook(page, hub, USER, "cluster.ipynb")
    run_all(page)
    page.click(f"{NOTEBOOK} button:has-text('Start cluster')")
    link = page.locator(f"{NOTEBOOK} a:has-text('Dask dashboard')")
    link.wait_for(timeout=120_000)
    href = link.get_attribute("href")
    assert "/services/dask-gateway/clusters/" in href
    assert "token" not in href
    page.screenshot(path=str(screenshots / "cluster-panel.png"))
    quota = page.locator(f"{NOTEBOOK} small:has-text('Quota')").inner_text()
    assert "In use:" in quota and "(s)" not in quota

    with page.expect_popup() as popup:
        link.click()
    dashboard = popup.value
    dashboard.wait_for_load_state()
    dashboard.locator("canvas").first.wait_for(timeout=60_000)  # bokeh drew the status page
    dashboard.screenshot(path=str(screenshots / "dask-dashboard.png"))
    assert "Dask" in dashboard.title()
    dashboard.close()

    page.click(f"{NOTEBOOK} button:has-text('Stop')")
    page.wait_for_function(f"() => !document.querySelector('{NOTEBOOK} a[href*=\"/clusters/\"]')", timeout=60_000)
    gateway = hub.gateway(hub.token_for(USER))
    from hubtools import wait_for

    wait_for(lambda: gateway.names() == set(), 60, what="the cluster gone from the gateway")
    offline.check()
