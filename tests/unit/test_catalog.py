"""The mission catalog: every file valid, required missions present, search finds the right entries,
and broken catalog files are reported by file, entry and field."""

import textwrap

import numpy as np
import pytest

import spacehub.catalog as catalog
from spacehub.catalog import CatalogError, read_catalog_dir
from spacehub.cli import main
from spacehub.timerange import TimeRange

REQUIRED_MISSIONS = ["DAMPE", "Insight-HXMT", "GECAM", "SVOM", "ASO-S", "Einstein Probe", "SMILE", "SJ-10", "QUESS",
                     "OMNI", "ACE", "Wind", "MMS", "GOES", "SDO", "Kepler", "TESS"]


@pytest.fixture(scope="module")
def cat():
    return catalog.open()


def test_every_catalog_file_valid_and_broad(cat):
    assert len(cat.missions()) >= 25, cat.missions()
    assert len(cat.domains()) >= 4, cat.domains()


@pytest.mark.parametrize("mission", REQUIRED_MISSIONS)
def test_required_missions_present(cat, mission):
    names = [m.lower().replace("-", "").replace(" ", "") for m in cat.missions()]
    key = mission.lower().replace("-", "").replace(" ", "")
    assert any(key in n for n in names), f"{mission} missing from {cat.missions()}"


def test_meridian_and_indices_present(cat):
    assert cat.search("meridian", domain="ground")
    assert cat.search("dst") and cat.search("kp")


def test_entries_carry_real_routes(cat):
    omni = cat.omni_hro_1min
    assert omni.route("hapi") == {"kind": "hapi", "server": "https://cdaweb.gsfc.nasa.gov/hapi", "id": "OMNI_HRO_1MIN"}
    assert omni.route("files")["url"].startswith("https://spdf.gsfc.nasa.gov/pub/data/omni/")
    assert omni.variable("BZ_GSM").fill == 9999.99
    with pytest.raises(KeyError, match="has no variable 'BZ'"):
        omni.variable("BZ")
    for e in cat:
        assert e.routes, e.id
        assert all(v.units is not None for v in e.variables)


def test_search(cat):
    ids = [e.id for e in cat.search("solar wind", quantity="magnetic_field", mission="omni")]
    assert ids[:2] == sorted(ids[:2]) and set(ids) == {"omni_hro_1min", "omni2_h0_mrg1hr"}
    assert [e.id for e in cat.search(variable="sym_h", mission="OMNI")] == ["omni_hro_1min"]
    # coverage overlap: only the hourly OMNI reaches back to 1970
    assert [e.id for e in cat.search(mission="OMNI", start="1970-01-01", stop="1971-01-01")] == ["omni2_h0_mrg1hr"]
    assert cat.search("no-such-words-anywhere") == []
    assert all(e.domain == "astrophysics" for e in cat.search(domain="astrophysics"))
    with pytest.raises(ValueError, match="stop 2015-01-01 must be after start 2016-01-01"):
        cat.search(start="2016-01-01", stop="2015-01-01")
    with pytest.raises(ValueError, match="not a time"):
        cat.search(start="yesterday-ish")
    with pytest.raises(ValueError, match="unknown quantity"):
        cat.search(quantity="vibes")


def test_lookup_errors_suggest(cat):
    with pytest.raises(KeyError, match="did you mean omni_hro_1min"):
        cat["omni_hro"]
    with pytest.raises(AttributeError):
        cat.not_a_dataset  # noqa: B018 - the attribute lookup itself is what must fail


def test_overlaps_open_ended():
    e = catalog.open()["omni_hro_1min"]
    assert e.stop is None
    assert e.overlaps(np.datetime64("2030-01-01"), None)
    assert not e.overlaps(None, np.datetime64("1980-01-01"))


GOOD = """
mission: Testsat
domain: heliophysics
datasets:
  test_mag:
    title: Test magnetometer
    description: A test.
    coverage: {start: 2001-01-01, stop: 2002-01-01}
    variables:
      - {name: B, units: nT, description: field}
    routes:
      - {kind: files, url: "https://example.org/{time:%Y}/test_{time:%Y%m%d}.cdf", format: cdf, period: day}
"""


def write(tmp_path, name, text):
    (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path / name


@pytest.mark.parametrize("old, new, entry, field, why", [
    ("    title: Test magnetometer\n", "", "test_mag", "", "'title' is a required property"),
    ("format: cdf", "format: pdf", "test_mag", "routes.0.format", "unknown format / reader 'pdf'"),
    ("{kind: files,", "{kind: ftp,", "test_mag", "routes.0", "unknown route kind 'ftp'"),
    ("{time:%Y}/test", "{tme:%Y}/test", "test_mag", "routes[0]", "unknown placeholder(s) ['tme']"),
    ("test_{time:%Y%m%d}", "test_{time}", "test_mag", "routes[0]", "needs a strftime format"),
    ("period: day", "period: fortnight", "test_mag", "routes.0.period", "'fortnight' is not one of"),
    ("stop: 2002-01-01", "stop: 2000-01-01", "test_mag", "coverage", "stop 2000-01-01 is before start"),
    ("units: nT, ", "", "test_mag", "variables.0", "'units' is a required property"),
    ("domain: heliophysics", "domain: astrology", "", "domain", "'astrology' is not one of"),
    ("  test_mag:", "  Test-Mag:", "", "datasets", "does not match"),
    ("    coverage: {start: 2001-01-01, stop: 2002-01-01}\n",
     "    coverage: {start: 2001-01-01, stop: 2002-01-01}\n    example: {start: 2003-01-01, stop: 2003-01-02}\n",
     "test_mag", "example", "2003-01-01 to 2003-01-02 is not a range inside the coverage"),
    ("{kind: files, url: \"https://example.org/{time:%Y}/test_{time:%Y%m%d}.cdf\"",
     "{kind: local, path: \"data/test_{time:%Y%m%d}.cdf\"", "test_mag", "routes.0.path",
     "a local path is absolute (/...) or starts with ~/"),
])
def test_broken_catalog_named(tmp_path, old, new, entry, field, why):
    assert old in GOOD
    path = write(tmp_path, "testsat.yaml", GOOD.replace(old, new))
    with pytest.raises(CatalogError) as e:
        read_catalog_dir(tmp_path)
    assert e.value.path == str(path)
    assert (e.value.entry, e.value.field) == (entry, field)
    assert why in e.value.why, e.value.why


def test_duplicate_id_across_files(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    b = write(tmp_path, "b.yaml", GOOD)
    with pytest.raises(CatalogError, match=r"b.yaml: dataset test_mag: duplicate dataset id \(also in .*a.yaml\)"):
        read_catalog_dir(tmp_path)
    assert b.exists()


def test_not_yaml(tmp_path):
    write(tmp_path, "x.yaml", "mission: [unclosed\n")
    with pytest.raises(CatalogError, match="not valid YAML"):
        read_catalog_dir(tmp_path)


def test_cli(tmp_path, capsys):
    assert main(["catalog", "validate"]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
    assert main(["catalog", "search", "solar", "wind", "--mission", "OMNI"]) == 0
    assert "omni_hro_1min" in capsys.readouterr().out
    assert main(["catalog", "show", "omni_hro_1min"]) == 0
    out = capsys.readouterr().out
    assert "OMNI_HRO_1MIN" in out and "doi:10.1029/2004JA010649" in out
    assert main(["catalog", "show", "omni_hro"]) == 1
    assert "did you mean omni_hro_1min" in capsys.readouterr().err
    write(tmp_path, "bad.yaml", GOOD.replace("format: cdf", "format: pdf"))
    assert main(["catalog", "validate", "--dir", str(tmp_path)]) == 1
    assert "FAIL" in capsys.readouterr().out
    assert main(["catalog", "search", "--start", "2599-01-01"]) == 1
    assert "start '2599-01-01' is outside 1678-01-01 .. 2262-04-11" in capsys.readouterr().err
    assert main(["catalog", "export", "--format", "intake"]) == 2
    assert "--format intake needs -o FILE.yaml" in capsys.readouterr().err
    out_file = tmp_path / "all.json"
    assert main(["catalog", "export", "-o", str(out_file)]) == 0
    import json
    assert any(r["id"] == "omni_hro_1min" for r in json.loads(out_file.read_text()))


def test_cli_shows_a_bug_instead_of_hiding_it(monkeypatch):
    """Only the project's own errors become one-line messages; anything else keeps its traceback."""
    from spacehub.catalog.catalog import Catalog

    def broken(self, *args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(Catalog, "search", broken)
    with pytest.raises(KeyError, match="a bug"):
        main(["catalog", "list"])


def test_unknown_dataset_is_typed_and_a_key_error():
    from spacehub.catalog import UnknownDataset

    with pytest.raises(UnknownDataset, match="no dataset 'omni_hro' in the catalog; did you mean omni_hro_1min"):
        catalog.open()["omni_hro"]
    assert issubclass(UnknownDataset, KeyError)


def test_coverage_and_summary_use_one_format():
    e = catalog.open()["omni_hro_1min"]
    assert isinstance(e.coverage, TimeRange) and e.coverage.start == e.start
    assert " 1981-01-01..now " in e.summary()


def test_every_dataset_the_hapi_service_serves_says_where_a_first_look_starts(tmp_path):
    from spacehub.services.data.hapi import HAPIServer

    served = HAPIServer(catalog.open(samples=tmp_path, offline=False, own=False)).served()
    assert len(served) >= 20
    assert [d.id for d in served if d.entry.example is None] == []
