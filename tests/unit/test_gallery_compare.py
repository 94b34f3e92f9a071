"""The gallery's reproducibility check: a papermill re-run's outputs against the published ones."""

import base64
import io
import json

import matplotlib
import nbformat
import numpy as np
import pytest
from nbformat import v4

from spacehub.gallery.compare import Comparison, Difference, compare_notebooks

matplotlib.use("Agg")


def notebook(*cells):
    """A notebook of code cells, each given as its outputs."""
    return v4.new_notebook(cells=[v4.new_markdown_cell("# Solar wind at L1")]
                           + [v4.new_code_cell(f"cell_{i}()", outputs=list(outputs)) for i, outputs in enumerate(cells)])


def stdout(text):
    return v4.new_output("stream", name="stdout", text=text)


def result(text, **more):
    return v4.new_output("execute_result", data={"text/plain": text, **more}, execution_count=1)


def figure(draw):
    """A matplotlib figure's PNG as a notebook shows it: a display_data with base64 PNG and its text."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6.4, 4.8))
    draw(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode()
    return v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure size 640x480 with 1 Axes>"})


def curve(y, **style):
    def draw(fig):
        ax = fig.add_subplot()
        x = np.linspace(0, 10, 200)
        ax.plot(x, y(x), **style)
        ax.set_ylim(-2, 2)
    return draw


def test_identical_notebooks_are_the_same():
    nb = notebook([stdout("Bz mean -3.25 nT\n"), result("array([1., 2., 3.])")], [result("42")])
    comparison = compare_notebooks(nb, json.loads(nbformat.writes(nb)))
    assert comparison.same
    assert comparison.compared == 3
    assert comparison.differences == () and comparison.not_compared == ()


def test_a_number_beyond_the_tolerance_is_one_difference_naming_both_values():
    comparison = compare_notebooks(notebook([], [stdout("flux 2.5e-05 W/m2\n")]),
                                   notebook([], [stdout("flux 3.1e-05 W/m2\n")]))
    assert comparison.differences == (Difference(2, "number", "2.5e-05 → 3.1e-05 (rtol 1e-06)"),)
    assert not comparison.same


def test_numbers_within_the_tolerance_are_the_same():
    published = notebook([result("v = 450.0000001 km/s, n = nan, B = -inf, 12 events")])
    rerun = notebook([result("v = 450.0000002 km/s, n = nan, B = -inf, 12 events")])
    assert compare_notebooks(published, rerun).same
    assert not compare_notebooks(published, rerun, rtol=1e-12).same


def test_aligned_columns_of_other_widths_are_the_same():
    assert compare_notebooks(notebook([result("   kp\n0   1.0\n1  10.0")]),
                             notebook([result("  kp\n0  1.0\n1 10.0")])).same


def test_changed_text_is_a_text_difference():
    comparison = compare_notebooks(notebook([stdout("Found 3 shocks in 2015\n")]),
                                   notebook([stdout("Found 3 flares in 2015\n")]))
    [difference] = comparison.differences
    assert difference.kind == "text" and difference.cell == 1
    assert "shocks" in difference.detail and "flares" in difference.detail


def test_a_time_in_a_result_is_a_result():
    comparison = compare_notebooks(notebook([stdout("onset 2015-03-17T04:45:00\n")]),
                                   notebook([stdout("onset 2015-03-17T05:45:00\n")]))
    [difference] = comparison.differences
    assert "T04:45:00" in difference.detail and "T05:45:00" in difference.detail


def test_an_error_in_the_rerun_is_an_error_difference_and_later_cells_are_one_note():
    published = notebook([result("1")], [result("2")], [result("3")], [result("4")])
    rerun = notebook([result("1")],
                     [v4.new_output("error", ename="KeyError", evalue="'BGSEc'\nmore", traceback=[])], [], [])
    for cell in rerun.cells[3:]:
        cell.execution_count = None
    comparison = compare_notebooks(published, rerun)
    assert comparison.differences == (Difference(2, "error", "KeyError: 'BGSEc'"),)
    assert comparison.not_compared == ("cells 3, 4: not run: the re-run stopped at the error in cell 2",)


def test_a_published_error_raised_again_is_the_same():
    error = v4.new_output("error", ename="ValueError", evalue="no data in range", traceback=["..."])
    again = v4.new_output("error", ename="ValueError", evalue="no data in 2015-03-17", traceback=[])
    assert compare_notebooks(notebook([error]), notebook([again])).same


def test_the_injected_parameters_cell_is_ignored():
    published = notebook([stdout("event 1\n")], [result("0.5")])
    published.cells[1].metadata["tags"] = ["parameters"]
    rerun = json.loads(nbformat.writes(published))
    injected = v4.new_code_cell("day = '2015-03-18'", outputs=[stdout("injected\n")])
    injected.metadata["tags"] = ["injected-parameters"]
    rerun["cells"].insert(2, injected)
    del published.cells[1]["id"]  # pairing in order, then: the injected cell would shift every cell
    assert compare_notebooks(published, rerun).same


def test_cells_are_paired_by_id():
    published = notebook([result("1")], [result("2")])
    rerun = json.loads(nbformat.writes(published))
    rerun["cells"][1:] = rerun["cells"][:0:-1]
    assert compare_notebooks(published, rerun).same


def test_memory_addresses_are_ignored():
    assert compare_notebooks(notebook([result("[<matplotlib.lines.Line2D at 0x7f3a9c2b1d90>]")]),
                             notebook([result("[<matplotlib.lines.Line2D at 0x7fe01234abcd>]")])).same


def test_where_files_are_on_a_machine_and_progress_bars_are_not_results():
    """A Dataset's repr names its files where the machine keeps them (cut short at the line's end), and
    dask's progress bar prints times: the getting-started template re-run on the hub shows both."""
    ours = result("<xarray.Dataset>\n    provenance_files:  ['/tmp/a/sample/omni/hro_1min/2015/omni_hro_1mi...\n"
                  "    time_range:  [2015-03-17, 2015-03-19)")
    theirs = result("<xarray.Dataset>\n    provenance_files:  ['/srv/hub/state/sample-data/omni/hro_1...\n"
                    "    time_range:  [2015-03-17, 2015-03-19)")
    assert compare_notebooks(notebook([ours]), notebook([theirs])).same
    bars = "[##   ] | 5% Completed | 1.2 s\r[#####] | 100% Completed | {} s\n2880 records\n"
    assert compare_notebooks(notebook([stdout(bars.format("2.3"))]), notebook([stdout(bars.format("9.9"))])).same
    fewer = bars.format("2.3").replace("2880", "1440")
    other = compare_notebooks(notebook([stdout(bars.format("2.3"))]), notebook([stdout(fewer)]))
    assert [d.kind for d in other.differences] == ["number"]


def test_stderr_is_one_note_and_consecutive_stdout_is_one_text():
    published = notebook([stdout("a 1\nb 2\n"), v4.new_output("stream", name="stderr", text="100%|####|")],
                         [v4.new_output("stream", name="stderr", text="UserWarning: ...")])
    rerun = notebook([stdout("a 1\n"), stdout("b 2\n")], [])
    comparison = compare_notebooks(published, rerun)
    assert comparison.same and comparison.compared == 1
    assert comparison.not_compared == ("stderr streams (warnings, progress bars) are not compared",)


def test_missing_and_extra_outputs():
    comparison = compare_notebooks(notebook([result("1"), result("2")], [result("3")]),
                                   notebook([result("1")], [result("3"), stdout("done\n")]))
    assert [(d.cell, d.kind) for d in comparison.differences] == [(1, "missing"), (2, "extra")]


def test_a_figure_rendered_again_is_the_same():
    published = notebook([figure(curve(np.sin))])
    assert compare_notebooks(published, notebook([figure(curve(np.sin))])).same
    # other line widths, same curve: anti-aliasing is not a result
    assert compare_notebooks(published, notebook([figure(curve(np.sin, lw=1.7))])).same


@pytest.mark.parametrize("other", [np.cos, lambda x: np.sin(x) + 0.5], ids=["cos", "shifted"])
def test_a_different_curve_is_an_image_difference(other):
    comparison = compare_notebooks(notebook([figure(curve(np.sin))]), notebook([figure(curve(other))]))
    [difference] = comparison.differences
    assert difference.kind == "image" and "hash bits differ" in difference.detail


def test_a_blank_figure_is_a_difference_saying_blank():
    comparison = compare_notebooks(notebook([figure(curve(np.sin))]), notebook([figure(lambda fig: None)]))
    [difference] = comparison.differences
    assert difference.kind == "image" and "blank image" in difference.detail


def test_a_figure_of_another_size_is_a_difference_but_not_a_slight_resize():
    from PIL import Image

    def resized(output, scale):
        picture = Image.open(io.BytesIO(base64.b64decode(output["data"]["image/png"])))
        picture = picture.resize((round(picture.width * scale), round(picture.height * scale)))
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        return v4.new_output("display_data", data={"image/png": base64.b64encode(buffer.getvalue()).decode()})

    sine = figure(curve(np.sin))
    assert compare_notebooks(notebook([sine]), notebook([resized(sine, 1.01)])).same
    [difference] = compare_notebooks(notebook([sine]), notebook([resized(sine, 2)])).differences
    assert difference.detail == "size 640×480 → 1280×960"


def test_interactive_and_html_outputs_are_listed_as_not_compared():
    bokeh = v4.new_output("display_data", data={"application/vnd.bokehjs_exec.v0+json": "", "text/html": "<div/>",
                                                "text/plain": "GridPlot(...)"})
    html = v4.new_output("display_data", data={"text/html": "<b>kp</b>"})
    comparison = compare_notebooks(notebook([bokeh], [html, html]), notebook([bokeh], [html]))
    assert comparison.same and comparison.compared == 0
    assert comparison.not_compared == ("cell 1: interactive output (application/vnd.bokehjs_exec.v0+json) is not compared",
                                       "cell 2: text/html output is not compared")


def test_text_as_a_list_of_lines_equals_text_as_one_string():
    published = notebook([stdout("kp 3\nkp 4\n")])
    rerun = notebook([stdout("")])
    rerun.cells[1].outputs[0]["text"] = ["kp 3\n", "kp 4\n"]
    assert compare_notebooks(published, rerun).same


def test_odd_notebooks_do_not_raise():
    bad_png = v4.new_output("display_data", data={"image/png": "not base64 at all!"})
    good = figure(curve(np.sin))
    odd = {"cells": [{"cell_type": "code"},  # no outputs, no source
                     {"cell_type": "code", "outputs": ["a string", {"no": "type"}, {"output_type": "stream"},
                                                       {"output_type": "display_data", "data": None},
                                                       {"output_type": "execute_result", "data": {"text/plain": 5}}]},
                     "not a cell",
                     {"cell_type": "code", "outputs": [bad_png]},
                     {"cell_type": "code", "outputs": [good]}]}
    rerun = json.loads(json.dumps(odd))
    rerun["cells"][4]["outputs"] = [bad_png]
    comparison = compare_notebooks(odd, rerun)
    assert isinstance(comparison, Comparison)
    assert Difference(4, "image", "the re-run's image could not be decoded") in comparison.differences
    assert "cell 3: a published image could not be decoded and is not compared" in comparison.not_compared
    for nonsense in ({}, {"cells": None}, None, []):
        assert compare_notebooks(nonsense, odd).compared == 0
    json.dumps(comparison.to_json())


def test_to_json_is_plain():
    comparison = compare_notebooks(notebook([result("1")]), notebook([result("2")]))
    assert json.loads(json.dumps(comparison.to_json())) == {
        "same": False, "compared": 1, "not_compared": [],
        "differences": [{"cell": 1, "kind": "number", "detail": "1 → 2 (rtol 1e-06)"}]}
