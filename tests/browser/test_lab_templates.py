"""Every template as a person runs it: log in through the form, open it from ~/templates, Run All,
and look: no error, every plot drawn (offline: no CDN), widgets shown, no console error."""

from __future__ import annotations

from pathlib import Path

import pytest
from browsing import (
    NOTEBOOK,
    bokeh_figures,
    cut_off_widgets,
    lab_session,
    open_notebook,
    plots_on_page,
    run_all,
    saved_outputs,
    shut_down_kernels,
)

TEMPLATES = ["getting-started", "cosmic-ray-spectra", "exoplanet-transits", "gamma-ray-bursts",
             "geomagnetic-storms", "interplanetary-shocks", "solar-flares", "substorms"]
USER = "carol"

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture(scope="module")
def lab(hub, playwright_browser):
    """carol's JupyterLab in one browser context (one login for all templates)."""
    with lab_session(hub, playwright_browser, USER) as session:
        yield session


def test_template_files_match_the_shipped_ones():
    shipped = Path(__file__).resolve().parents[2] / "notebooks" / "templates"
    assert sorted(p.stem for p in shipped.glob("*.ipynb")) == sorted(TEMPLATES)


@pytest.mark.slow
@pytest.mark.parametrize("name", TEMPLATES)
def test_template_runs_and_shows_its_plots(hub, lab, name, screenshots):
    page, offline = lab
    path = f"templates/{name}.ipynb"
    try:
        open_notebook(page, hub, USER, path)
        run_all(page)
    except Exception:
        page.screenshot(path=str(screenshots / f"{name}-failed.png"))
        raise
    page.screenshot(path=str(screenshots / f"{name}-top.png"))
    outputs = saved_outputs(page, hub, USER, path)
    errors = [f"cell {o['cell']}: {o['ename']}: {o['evalue']}" for o in outputs if o["output_type"] == "error"]
    assert not errors, errors
    # warnings stay short: a line a person reads, not a wall of red
    stderr = [o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
    assert all(len(text) < 1500 for text in stderr), [t[:300] for t in stderr if len(t) >= 1500]

    plots = plots_on_page(page)
    assert plots, "no plot on the page"
    blank = [p for p in plots if p["colours"] < 3 or p["width"] < 150 or p["height"] < 100]
    assert not blank, f"blank or collapsed plots: {blank} of {plots}"
    figures = bokeh_figures(outputs)  # in cell outputs; plots inside widgets come on top
    assert sum(p["kind"] == "bokeh" for p in plots) >= figures, (figures, plots)
    assert page.locator(f"{NOTEBOOK} :text('Error displaying widget')").count() == 0
    assert not cut_off_widgets(page), cut_off_widgets(page)  # at 1600 px wide
    assert page.get_by_text("official Jupyter news").count() == 0  # JupyterLab asks nothing of the internet
    assert page.locator(f"{NOTEBOOK} :text('Unable to run Panel code')").count() == 0
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)
    page.locator(NOTEBOOK).screenshot(path=str(screenshots / f"{name}-notebook.png"))
    shut_down_kernels(page, hub, USER)
    offline.check()
