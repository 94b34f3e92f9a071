"""A spacehub kernel's plots carry their JavaScript and style sheets: nothing from a CDN.

A real IPython kernel started as a user's server starts them (``PYTHONSTARTUP`` from
:mod:`spacehub.hub.launch`), showing an hvplot plot; every output is searched for CDN addresses.
The browser tests show the same plots drawn in Chromium with every non-loopback request refused.
"""

import json
import os
import re

import pytest

from spacehub.notebook import STARTUP_FILE

pytestmark = pytest.mark.slow

CDN = re.compile(r"https?://(cdn\.bokeh\.org|cdn\.holoviz\.org|cdn\.jsdelivr\.net|unpkg\.com)[^\"' )]*")
LOADER = "application/javascript"  # the loader: its code mentions optional CDN fetches (MathJax, icons)
LOADS = re.compile(r"(?:js_urls|css_urls|js_modules|js_exports)\s*=\s*(\[[^\]]*\]|\{[^}]*\})")


def fetched_from_a_cdn(outputs: list[dict]) -> list[str]:
    """CDN addresses a browser would fetch: in the loader's lists of files, or anywhere else."""
    found = []
    for output in outputs:
        for mime, body in output.get("data", {}).items():
            text = body if isinstance(body, str) else json.dumps(body)
            if mime == LOADER or mime.endswith("holoviews_load.v0+json"):
                found += [m for lst in LOADS.findall(text) for m in CDN.findall(lst)]
            else:
                found += CDN.findall(text)
    return found

PLOT = """
import numpy as np, pandas as pd, xarray as xr
from spacehub.widgets import plot_timeseries
ds = xr.Dataset({"SYM_H": ("time", np.sin(np.arange(200.)))}, coords={"time": pd.date_range("2015-03-17", periods=200, freq="min")})
display(plot_timeseries(ds, ["SYM_H"]))
"""


def kernel_outputs(code: str, env: dict) -> list[dict]:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=env)
    try:
        outputs: list[dict] = []
        reply = kc.execute_interactive(code, timeout=120, output_hook=lambda m: outputs.append(m))
        assert reply["content"]["status"] == "ok", outputs
        return [m["content"] for m in outputs if m["msg_type"] in ("display_data", "execute_result")]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_spacehub_kernels_plot_without_a_cdn():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOKEH_", "PANEL_"))}
    outputs = kernel_outputs(PLOT, {**env, "PYTHONSTARTUP": str(STARTUP_FILE)})
    assert "holoviews_exec" in json.dumps(outputs)  # a bokeh plot was shown
    assert not fetched_from_a_cdn(outputs)


def test_without_the_startup_file_the_plot_needs_the_cdn():
    """The control: stock settings load bokeh from its CDN (what a network without internet blocks)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOKEH_", "PANEL_", "PYTHONSTARTUP"))}
    assert fetched_from_a_cdn(kernel_outputs(PLOT, env))


def test_a_users_own_startup_file_is_kept(monkeypatch):
    from spacehub.hub import launch

    monkeypatch.setenv("PYTHONSTARTUP", "/home/alice/.pythonrc")
    monkeypatch.setattr(launch, "import_jsonschema", lambda: None)
    monkeypatch.setattr(launch, "redact_logs", lambda: None)  # a record factory for the whole test process
    monkeypatch.setattr(launch.importlib, "import_module", lambda name: type("M", (), {"main": staticmethod(lambda: 0)}))
    launch.main(["jupyterhub-singleuser"])
    assert os.environ["PYTHONSTARTUP"] == "/home/alice/.pythonrc"
