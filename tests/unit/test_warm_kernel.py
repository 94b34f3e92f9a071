"""A workshop notebook's kernel started ahead (spacehub.notebook.warm): which modules it imports,
that the import binds nothing in the notebook's namespace, and one kernel per notebook when the
warm-up and JupyterLab ask for the notebook's session at the same time (a real kernel)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from jupyter_server.services.contents.filemanager import AsyncFileContentsManager
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

from spacehub.notebook.warm import MATPLOTLIB, OneKernelPerNotebook, imported_modules, kernel_for, warm_code

ROOT = Path(__file__).resolve().parents[2]


def cell(source: str, kind: str = "code") -> dict:
    return {"cell_type": kind, "id": "x", "metadata": {}, "source": source}


def test_the_modules_a_notebook_imports_at_its_top_level():
    notebook = {"cells": [
        cell("# Imports\nimport numpy", "markdown"),
        cell("%matplotlib inline\nimport json, numpy as np\nfrom spacehub.widgets import explorer\nfrom . import local"),
        cell("!pip list\nimport pandas\ndef later():\n    import scipy\n"),
        cell("%%bash\nimport nothing"),
        cell("this is not python("),
        cell(["from dask.diagnostics ", "import ProgressBar\n"]),
    ]}
    assert imported_modules(notebook) == [*MATPLOTLIB, "json", "numpy", "spacehub.widgets", "pandas",
                                          "dask.diagnostics"]


def test_the_getting_started_notebook_warms_what_its_first_cells_need():
    notebook = json.loads((ROOT / "notebooks" / "templates" / "getting-started.ipynb").read_text())
    modules = imported_modules(notebook)
    assert {"numpy", "pandas", "spacehub.catalog", "spacehub.widgets", "matplotlib.pyplot"} <= set(modules)


def test_the_kernel_is_the_one_the_notebook_names_where_the_server_has_it():
    named = {"metadata": {"kernelspec": {"name": "xpython", "display_name": "Python 3.11 (XPython)"}}}
    assert kernel_for(named, ["python3", "xpython"], "python3") == "xpython"
    assert kernel_for(named, ["python3"], "python3") == "python3"  # not here: the server's default
    assert kernel_for({"metadata": {}}, ["python3"], "python3") == "python3"
    assert kernel_for({"metadata": {"kernelspec": None}}, ["python3"], "python3") == "python3"


def test_the_warm_up_binds_no_name_and_passes_over_what_fails():
    namespace: dict = {}
    exec(warm_code(["colorsys", "no_such_module_here", "json"]), namespace)
    assert "colorsys" in sys.modules
    assert set(namespace) == {"__builtins__"}


@pytest.fixture
def sessions(tmp_path):
    (tmp_path / "lesson.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                                      "cells": []}))
    kernels = AsyncMappingKernelManager(root_dir=str(tmp_path))
    manager = OneKernelPerNotebook(kernel_manager=kernels,
                                   contents_manager=AsyncFileContentsManager(root_dir=str(tmp_path)))
    yield manager, kernels
    asyncio.run(kernels.shutdown_all(now=True))
    manager.close()


def test_a_session_asked_for_while_it_is_being_made_is_the_same_kernel(sessions):
    manager, kernels = sessions

    async def both():
        # the warm-up starts the notebook's session; JupyterLab opens the notebook before its kernel is up
        making = asyncio.ensure_future(manager.create_session(path="lesson.ipynb", type="notebook",
                                                              name="lesson.ipynb"))
        await asyncio.sleep(0)  # the warm-up's request has begun
        assert not making.done()
        exists = await manager.session_exists("lesson.ipynb")  # what the sessions API asks before it starts one
        return exists, await making

    exists, made = asyncio.run(both())
    assert exists is True
    assert kernels.list_kernel_ids() == [made["kernel"]["id"]]
