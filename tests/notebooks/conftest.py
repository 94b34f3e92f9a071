import json
import os
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "notebooks" / "templates"


@pytest.fixture
def run_template(sample_dir, tmp_path, monkeypatch):
    """Execute a template headless with papermill (its `parameters` cell overridden) against the
    sample data; returns the results it wrote and the executed notebook."""
    import papermill

    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")

    def run(name: str, **parameters):
        results = tmp_path / f"{name}.json"
        out = tmp_path / f"{name}.ipynb"
        parameters = {"plot_backend": "matplotlib", **parameters, "results_file": str(results)}
        nb = papermill.execute_notebook(str(TEMPLATES / f"{name}.ipynb"), str(out), parameters=parameters,
                                        kernel_name="python3", cwd=str(tmp_path), progress_bar=False,
                                        execution_timeout=120)
        return json.loads(results.read_text()), nb

    return run


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.ipynb"))


__all__ = ["TEMPLATES", "template_names", "os"]
