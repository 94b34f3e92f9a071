"""Every template: committed clean, runs headless against the sample data, and recovers the samples'
injected truth (or the published result) within the stated tolerances."""

import json

import nbformat
import pytest
from conftest import TEMPLATES, template_names


@pytest.mark.parametrize("name", template_names())
def test_committed_without_outputs_and_with_parameters(name):
    nb = nbformat.read(TEMPLATES / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), f"{name}: outputs committed"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: needs exactly one cell tagged `parameters`"
    assert "results_file" in tagged[0].source and "plot_backend" in tagged[0].source
    assert any("provenance(" in c.source for c in code), f"{name}: no provenance cell"


def errors(nb) -> list[str]:
    return [o.get("ename", "") + ": " + o.get("evalue", "") for c in nb.cells if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.slow
def test_getting_started(run_template):
    results, nb = run_template("getting-started")
    assert not errors(nb)
    assert results["datasets"] >= 50 and results["missions"] >= 25 and results["domains"] >= 4
    assert results["records"] == 2 * 1440  # two days of 1-min OMNI
    assert results["min_SYM_H_nT"] == pytest.approx(-220, abs=25)  # the sample's injected storm minimum
    assert results["hourly_points"] > 24 * 28 * 2  # the lazy scale-out pass covered the sample months
    text = json.dumps(nb.cells[-2].get("outputs", []))
    assert "omni_hro_1min" in text and "spacehub" in text  # the provenance table
