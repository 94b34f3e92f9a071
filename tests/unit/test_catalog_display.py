"""Catalog objects read well in a terminal and a notebook: search results as a table that is still a
list, one-line entries and catalogs, an intake face that lists its datasets, and a one-line warning
when the sample data cover only part of a read."""

from dataclasses import replace

import numpy as np
import pytest

import spacehub.catalog as catalog
from spacehub import SpacehubWarning
from spacehub.catalog.catalog import SearchResults
from spacehub.catalog.display import MAX_ROWS, WIDTH
from spacehub.cli import main
from spacehub.timerange import format_span


@pytest.fixture(scope="module")
def cat():
    return catalog.open()


@pytest.fixture
def sample_cat(sample_dir, monkeypatch):
    # the intake reader opens the catalog at read time, as a notebook does: the edge finds the samples
    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    return catalog.open()


def test_search_results_are_a_list_shown_as_a_table(cat):
    hits = cat.search("solar wind", mission="OMNI")
    ids = [e.id for e in hits]
    assert isinstance(hits, list) and hits == [cat[i] for i in ids] and hits[0] is hits[:1][0]
    lines = repr(hits).splitlines()
    assert lines[0] == f"{len(ids)} datasets match 'solar wind', mission='OMNI'"
    assert [line.split()[0] for line in lines[1:]] == ids
    omni = next(line for line in lines if line.startswith("omni_hro_1min "))
    assert "OMNI" in omni and "PT1M" in omni
    assert format_span(cat.omni_hro_1min.start, None, "D") == "1981-01-01 .. now"
    assert "1981-01-01 .. now" in omni  # spacehub.timerange's format, to the day
    assert all(len(line) <= WIDTH for line in lines)


def test_long_results_are_shortened(cat):
    everything = cat.search()
    lines = repr(everything).splitlines()
    assert lines[0] == f"{len(cat)} datasets match (no criteria: every dataset)"
    assert len(lines) == 1 + MAX_ROWS + 1 and lines[-1] == f"... {len(cat) - MAX_ROWS} more"
    assert repr(cat.search("no-such-words-anywhere")) == "no dataset matches 'no-such-words-anywhere'"
    one = cat.search(variable="sym_h", mission="OMNI", start="2015-03-17", stop="2015-03-18")
    assert repr(one).splitlines()[0] == "1 dataset matches mission='OMNI', variable='sym_h', start='2015-03-17', stop='2015-03-18'"


def test_results_html_table_escapes(cat):
    hits = cat.search("solar wind", mission="OMNI")
    page = hits._repr_html_()
    assert page.count("<tr>") == 1 + len(hits)  # the header row and one per entry
    assert all(f"<code>{e.id}</code>" in page for e in hits)
    assert f"{len(hits)} datasets match &#x27;solar wind&#x27;, mission=&#x27;OMNI&#x27;" in page
    odd = replace(cat.omni_hro_1min, title="B<sub>z</sub> & <script>alert(1)</script>")
    page = SearchResults([odd], "test")._repr_html_()
    assert "B&lt;sub&gt;z&lt;/sub&gt; &amp; &lt;script&gt;" in page and "<script>" not in page
    assert "<script>" not in odd._repr_html_()


def test_entry_repr_is_one_line(cat):
    e = cat.omni_hro_1min
    text = repr(e)
    assert "\n" not in text and len(text) < 200
    assert text.startswith("<Entry omni_hro_1min: OMNI, PT1M, 1981-01-01 .. now, ")
    assert f"{len(e.variables)} variables" in text
    page = e._repr_html_()
    for label, value in [("id", "<code>omni_hro_1min</code>"), ("mission", "OMNI"), ("cadence", "PT1M"),
                         ("coverage", "1981-01-01 .. now"), ("variables", str(len(e.variables))),
                         ("routes", ", ".join(r["kind"] for r in e.routes))]:
        assert f"<th style='text-align:left'>{label}</th><td style='text-align:left'>{value}</td>" in page


def test_catalog_repr_is_one_line_and_html_lists_all(cat):
    text = repr(cat)
    assert "\n" not in text and len(text) <= 2 * WIDTH
    assert text.startswith(f"<Catalog: {len(cat)} datasets from {catalog.CATALOG_DIR}/ — missions: ACE, ")
    assert text.endswith(" more>")
    page = cat._repr_html_()
    assert page.count("<tr>") == 1 + len(cat)
    assert all(f"<code>{e.id}</code>" in page for e in cat)


def test_intake_lists_its_entries(sample_cat, tmp_path):
    import intake

    ids = [e.id for e in sample_cat]
    in_memory = sample_cat.to_intake()
    assert list(in_memory) == ids and len(in_memory) == len(ids)
    assert all(i in repr(in_memory) for i in ids)
    path = tmp_path / "spacehub.yaml"
    assert main(["catalog", "export", "--format", "intake", "-o", str(path)]) == 0
    opened = intake.open_catalog(str(path))
    assert sorted(opened) == sorted(ids) and len(opened) == len(ids)
    assert repr(opened["omni_hro_1min"]).startswith("<SpacehubReader omni_hro_1min: OMNI, 1981-01-01 .. now — OMNI")
    expected = sample_cat.omni_hro_1min.read("2015-03-17", "2015-03-18", ["SYM_H", "BZ_GSM"])
    for face in (in_memory, opened):
        ds = face.omni_hro_1min.read(start="2015-03-17", stop="2015-03-18", variables=["SYM_H", "BZ_GSM"])
        np.testing.assert_array_equal(ds.time.values, expected.time.values)
        np.testing.assert_array_equal(ds.SYM_H.values, expected.SYM_H.values)
        np.testing.assert_array_equal(ds.BZ_GSM.values, expected.BZ_GSM.values)


def test_partial_sample_coverage_is_one_line(sample_cat):
    # the sample holds February to April 2015: of November 2014 .. February 2015 only February is there
    with pytest.warns(SpacehubWarning) as record:
        ds = sample_cat.omni_hro_1min.read("2014-11-15", "2015-02-02", ["SYM_H"])
    [warning] = record
    text = str(warning.message)
    assert "\n" not in text and len(text) < 250
    assert text == ("sample data covers 1 of 4 files of omni_hro_1min in [2014-11-15, 2015-02-02); first missing: "
                    "omni_hro_1min_20141101_v01.cdf; the 3 missing are listed in ds.attrs['missing_files']")
    missing = [f"omni/hro_1min/{m[:4]}/omni_hro_1min_{m}01_v01.cdf" for m in ("201411", "201412", "201501")]
    assert ds.attrs["missing_files"] == missing == warning.message.missing_files
    assert ds.time.size == 24 * 60  # what there is: February's first day
    assert "missing_files" not in sample_cat.omni_hro_1min.read("2015-03-17", "2015-03-18", ["SYM_H"]).attrs
