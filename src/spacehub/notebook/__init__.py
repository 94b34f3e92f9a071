"""A spacehub user's kernels: plots that need no internet.

Notebook plots (bokeh, panel, holoviews/hvplot) load their JavaScript and style sheets from public
CDNs by default; on networks without internet access they stay blank. A user's server (started by
:mod:`spacehub.hub.launch`) gives its kernels :data:`STARTUP_FILE` as ``PYTHONSTARTUP`` (unless the
user set one), which calls :func:`offline_plots` and :func:`private_hapi_cache`.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

#: the startup file kernels run (IPython runs ``$PYTHONSTARTUP`` in every kernel)
STARTUP_FILE = Path(__file__).with_name("startup.py")

def offline_plots() -> None:
    """Make notebook plots carry their JavaScript and style sheets instead of loading them from a CDN.

    bokeh and panel read ``BOKEH_RESOURCES`` / ``PANEL_INLINE`` (also set by the deployment plan for
    every server). holoviews (hence hvplot) has only a parameter, ``notebook_extension.inline``, read
    when ``hv.extension(...)`` runs, and the plots it shows link panel's style sheets from the CDN
    even when inline. Both are fixed as soon as ``holoviews.ipython`` is imported, without importing
    holoviews into kernels that never plot.
    """
    os.environ.setdefault("BOKEH_RESOURCES", "inline")
    os.environ.setdefault("PANEL_INLINE", "1")
    after_import("holoviews.ipython", _inline)


def private_hapi_cache() -> None:
    """Once a kernel imports hapiclient, it caches in the account's own ``~/.cache/hapiclient``
    (:func:`spacehub.data.hapi_client.use_private_cache`), not in the temp dir every account shares,
    whether or not the notebook asks ``spacehub.data`` for anything."""

    def then(module: ModuleType) -> None:
        from ..data.hapi_client import use_private_cache  # here: 0.2 s of imports a kernel may never need

        use_private_cache()

    after_import("hapiclient.hapi", then)


def after_import(name: str, then: Callable[[ModuleType], None]) -> None:
    """``then(module)`` once module ``name`` has run: now if it has, else as soon as it is imported."""
    module = sys.modules.get(name)
    if module is not None:
        then(module)
    elif not any(isinstance(f, _AfterImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport(name, then))


def _inline(module) -> None:
    module.notebook_extension.inline = True
    # panel inlines its style sheets only for objects it displays itself; holoviews' plots are
    # panel objects displayed by holoviews: inline theirs at render, in the preprocessing hooks
    # panel runs on every root model (panel 1.x, Viewable._preprocessing_hooks)
    from panel.viewable import Viewable

    if _inline_stylesheets not in Viewable._preprocessing_hooks:
        Viewable._preprocessing_hooks.append(_inline_stylesheets)


def _inline_stylesheets(viewable, root) -> None:
    from bokeh.models.ui import UIElement
    from panel.io.notebook import patch_inline_stylesheets

    for model in root.select({"type": UIElement}):
        patch_inline_stylesheets(model)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds module ``name`` through the other finders and calls ``then(module)`` once it ran."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]):
        self.name, self.then = name, then

    def find_spec(self, name, path=None, target=None):
        if name != self.name:
            return None
        sys.meta_path.remove(self)  # one use: the real finders find it, this one only wraps the loader
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            self.then(module)

        spec.loader.exec_module = exec_module  # this spec's loader only
        return spec
