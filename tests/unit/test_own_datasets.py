"""A person's own datasets: catalog files in ~/catalogs and Catalog.add make their files appear in
search, read(start, stop) and the widgets, without anyone's rights but their own; the hub's data
service never reads them."""

import warnings

import numpy as np
import pytest

import spacehub.catalog
from spacehub import SpacehubWarning
from spacehub.catalog import CatalogError, NoData
from spacehub.samples import ace

MINE = """\
mission: ACE
domain: heliophysics
datasets:
  my_ace_field:
    title: ACE magnetic field, my own copy
    description: The files I downloaded for my thesis.
    coverage: {start: 2015-03-16, stop: 2015-03-21}
    cadence: PT16S
    keywords: [thesis]
    variables:
      - {name: Magnitude, units: nT, description: B-field magnitude}
      - {name: BGSEc, units: nT, description: B in GSE, components: [Bx, By, Bz]}
    routes:
      - {kind: local, path: "~/data/ace/ac_h0_mfi_{time:%Y%m%d}_v07.cdf", format: cdf, period: day}
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home with three days of ACE files in ~/data/ace and a catalog file in ~/catalogs."""
    home = tmp_path / "home"
    written = ace.write_mfi(tmp_path / "written")
    (home / "data" / "ace").mkdir(parents=True)
    for f in written:
        (home / "data" / "ace" / f.name).write_bytes(f.read_bytes())
    (home / "catalogs").mkdir()
    (home / "catalogs" / "mine.yaml").write_text(MINE)
    monkeypatch.setenv("HOME", str(home))
    return home


def test_a_catalog_file_in_my_home_adds_my_files_to_search_read_and_widgets(home, sample_dir):
    from spacehub.widgets.dataset import DatasetSelection

    cat = spacehub.catalog.open(samples=sample_dir, offline=True)
    assert "my_ace_field" in cat and "ac_h0_mfi" in cat
    assert [e.id for e in cat.search("thesis")] == ["my_ace_field"]
    mine = cat.my_ace_field.read("2015-03-17T00:00", "2015-03-17T06:00", ["BGSEc"])
    hubs = cat.ac_h0_mfi.read("2015-03-17T00:00", "2015-03-17T06:00", ["BGSEc"])  # the same files, as samples
    np.testing.assert_array_equal(mine.BGSEc.values, hubs.BGSEc.values)
    assert mine.attrs["provenance_route"].startswith("local:~/data/ace/")
    assert mine.attrs["provenance_files"][0].startswith(str(home / "data" / "ace"))
    with pytest.raises(NoData, match="in its files on this machine"):
        cat.my_ace_field.read("2015-03-19T12:00", "2015-03-20T00:00")
    for picker in (DatasetSelection(cat), DatasetSelection()):  # the default catalog has it too
        picker.mission = "ACE"
        assert "my_ace_field" in picker.datasets


def test_the_data_service_and_other_folders_never_read_a_home(home):
    assert "my_ace_field" not in spacehub.catalog.open(own=False)
    assert "my_ace_field" not in spacehub.catalog.open(spacehub.catalog.CATALOG_DIR)


def test_a_broken_or_clashing_file_of_mine_is_left_out_with_a_warning(home):
    (home / "catalogs" / "broken.yaml").write_text(MINE.replace("my_ace_field", "Bad-Id"))
    (home / "catalogs" / "clash.yaml").write_text(MINE.replace("my_ace_field", "ac_h0_mfi"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cat = spacehub.catalog.open(offline=True)
    said = [str(w.message) for w in caught if issubclass(w.category, SpacehubWarning)]
    assert any("broken.yaml" in m and "Bad-Id" in m for m in said), said
    assert any("clash.yaml" in m and "ac_h0_mfi" in m and "taken" in m for m in said), said
    assert "my_ace_field" in cat and cat.ac_h0_mfi.source.name == "ace.yaml"


def test_catalog_add_in_a_session(home, sample_dir):
    cat = spacehub.catalog.open(samples=sample_dir, offline=True, own=False)
    spec = {"id": "quick_look", "mission": "ACE", "domain": "heliophysics", "title": "ACE, quick look",
            "description": "Today's files.", "coverage": {"start": "2015-03-16", "stop": "2015-03-19"},
            "variables": [{"name": "Magnitude", "units": "nT", "description": "|B|"}],
            "routes": [{"kind": "local", "path": str(home / "data/ace/ac_h0_mfi_{time:%Y%m%d}_v07.cdf"),
                        "format": "cdf", "period": "day"}]}
    entry = cat.add(spec)
    assert cat.search("quick look") == [entry]
    assert cat.quick_look.read("2015-03-17", "2015-03-18").Magnitude.size == 5400
    with pytest.raises(CatalogError, match="already"):
        cat.add(spec)
    with pytest.raises(CatalogError, match=r"routes.0.path: 'data/x.cdf': a local path is absolute"):
        cat.add({**spec, "id": "relative", "routes": [{**spec["routes"][0], "path": "data/x.cdf"}]})
    with pytest.raises(CatalogError, match="mission"):
        cat.add({k: v for k, v in spec.items() if k != "mission"} | {"id": "nameless"})
