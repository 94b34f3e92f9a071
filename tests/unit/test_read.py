"""Entry.read over the OMNI sample (real CDF layout): values, fills, month boundaries, provenance,
and clear errors for bad ranges, unknown variables and broken files."""

import json
import shutil
from importlib.resources import files

import numpy as np
import pytest

import spacehub.catalog as catalog
from spacehub.catalog.readers import ReadError, open_file
from spacehub.catalog.templates import files_for
from spacehub.cli import main
from spacehub.samples import omni


@pytest.fixture
def omni_entry(sample_dir, monkeypatch):
    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    return catalog.open().omni_hro_1min


def test_sample_in_real_layout(sample_dir):
    files = sorted(p.relative_to(sample_dir).as_posix() for p in (sample_dir / "omni").rglob("*.cdf"))
    assert files == [f"omni/hro_1min/2015/omni_hro_1min_2015{m}01_v01.cdf" for m in ("02", "03", "04")]


def test_storm_read_back(omni_entry):
    ds = omni_entry.read("2015-03-17", "2015-03-19", ["SYM_H", "BZ_GSM", "flow_speed", "proton_density"])
    assert ds.time.dtype == np.dtype("datetime64[ns]")
    assert ds.time.size == 2 * 24 * 60
    truth = json.loads(ds.attrs["spacehub_injected_truth"]) if "spacehub_injected_truth" in ds.attrs else omni.TRUTH
    t_min = ds.SYM_H.idxmin().values
    assert abs((t_min - np.datetime64(truth["sym_h_minimum_time"])) / np.timedelta64(1, "h")) < 1
    assert ds.SYM_H.min() == pytest.approx(truth["sym_h_minimum_nT"], abs=25)
    south = ds.BZ_GSM.sel(time=slice("2015-03-17T07", "2015-03-17T23"))
    assert float(south.mean()) == pytest.approx(-18, abs=1.5)
    before = float(ds.flow_speed.sel(time=slice("2015-03-17T03", "2015-03-17T04:30")).mean())
    after = float(ds.flow_speed.sel(time=slice("2015-03-17T05", "2015-03-17T06")).mean())
    assert before < 450 < after
    assert ds.flow_speed.attrs["units"] == "km/s"
    assert ds.attrs["synthetic"] == "true"


def test_fill_values_masked(omni_entry, sample_dir):
    ds = omni_entry.read("2015-03-01", "2015-04-01", ["flow_speed"])
    raw = open_file(sample_dir / "omni/hro_1min/2015/omni_hro_1min_20150301_v01.cdf", "cdf", ["flow_speed"])
    import pycdfpp
    cdf = pycdfpp.load(str(sample_dir / "omni/hro_1min/2015/omni_hro_1min_20150301_v01.cdf"))
    n_fill = int((cdf["flow_speed"].values == np.float32(99999.9)).sum())
    assert n_fill > 100  # the sample has gaps, as the real product does
    assert int(ds.flow_speed.isnull().sum()) == n_fill == int(raw.flow_speed.isnull().sum())
    assert float(ds.flow_speed.max()) < 1000


def test_month_and_year_boundaries(omni_entry):
    ds = omni_entry.read("2015-03-31T23:00", "2015-04-01T01:00", ["SYM_H"])
    assert ds.time.size == 120
    assert str(ds.time[0].values)[:16] == "2015-03-31T23:00" and str(ds.time[-1].values)[:16] == "2015-04-01T00:59"
    assert len(ds.attrs["provenance_files"]) == 2
    assert files_for("{time:%Y}/x_{time:%Y%m}01.cdf", "month", np.datetime64("2014-12-31T12"),
                     np.datetime64("2015-01-01T01")) == ["2014/x_20141201.cdf", "2015/x_20150101.cdf"]
    assert files_for("h_{time:%Y%m%d}.cdf", "halfyear", np.datetime64("2015-06-30"), np.datetime64("2015-07-02")) == [
        "h_20150101.cdf", "h_20150701.cdf"]
    assert files_for("d_{time:%Y%m%d}.cdf", "day", np.datetime64("2016-02-28"), np.datetime64("2016-03-01")) == [
        "d_20160228.cdf", "d_20160229.cdf"]


def test_provenance(omni_entry):
    ds = omni_entry.read("2015-03-17", "2015-03-17T01", ["BZ_GSM"])
    assert ds.attrs["dataset_id"] == "omni_hro_1min"
    assert ds.attrs["provenance_route"].startswith("sample:omni/hro_1min/")
    assert ds.attrs["provenance_files"][0].endswith("omni_hro_1min_20150301_v01.cdf")
    assert ds.attrs["doi"] == "10.1029/2004JA010649"


@pytest.mark.parametrize("start, stop, message", [
    ("2015-03-18", "2015-03-17", "stop 2015-03-17 must be after start 2015-03-18"),
    ("2015-03-17", "2015-03-17", "must be after start"),
    ("1970-01-01", "1970-01-02", "outside its coverage 1981-01-01"),
    ("last tuesday", "2015-03-17", "start 'last tuesday' is not a time"),
    ("2019-01-01", "2019-01-02", "no local data of omni_hro_1min for [2019-01-01T00:00:00, 2019-01-02T00:00:00) and "
                                 "remote reads are off (SPACEHUB_OFFLINE): run `spacehub data sample`"),
])
def test_bad_ranges_explained(omni_entry, start, stop, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        omni_entry.read(start, stop)


@pytest.mark.parametrize("start, stop, error", [
    ("2599-10-05", "2599-10-06", catalog.BadRange),  # would wrap to 2015 in datetime64[ns]
    ("1600-01-01", "1600-01-02", catalog.BadRange),
    (np.datetime64("NaT"), "2015-03-18", catalog.BadRange),
    ("2015-03-18", "2015-03-17", catalog.BadRange),
    ("2015-03-17", None, catalog.BadRange),
    ("1970-01-01", "1970-01-02", catalog.OutsideCoverage),
    ("2019-01-01", "2019-01-02", catalog.NoData),
])
def test_read_errors_are_typed(omni_entry, start, stop, error):
    with pytest.raises(error, match="omni_hro_1min"):
        omni_entry.read(start, stop, ["SYM_H"])


def test_far_future_is_refused_not_wrapped(omni_entry):
    with pytest.raises(catalog.BadRange, match=r"omni_hro_1min: start '2599-10-05' is outside 1678-01-01 \.\. "
                                               r"2262-04-11"):
        omni_entry.read("2599-10-05", "2599-10-06", ["SYM_H"])


def test_day_of_year_range_reads_the_same(omni_entry):
    doy = omni_entry.read("2015-076", "2015-077T00:00Z", ["SYM_H"])
    assert doy.time.values[0] == np.datetime64("2015-03-17", "ns") and doy.time.size == 24 * 60


def test_unknown_variable(omni_entry):
    with pytest.raises(KeyError, match="omni_hro_1min has no variable 'Bz'"):
        omni_entry.read("2015-03-17", "2015-03-18", ["Bz"])


def test_broken_cdf_files_named(sample_dir, tmp_path):
    good = sample_dir / "omni/hro_1min/2015/omni_hro_1min_20150301_v01.cdf"
    truncated = tmp_path / "truncated.cdf"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    junk = tmp_path / "junk.cdf"
    junk.write_bytes(b"not a cdf at all" * 64)
    empty = tmp_path / "empty.cdf"
    empty.write_bytes(b"")
    for path, why in ((truncated, f"the file is truncated: {truncated.stat().st_size} bytes of the "
                                  f"{good.stat().st_size} its header declares"),
                      (junk, "not a CDF file (magic numbers 0x6e6f7420 0x61206364)"),
                      (empty, "not a CDF file: only 0 bytes")):
        with pytest.raises(ReadError) as e:
            open_file(path, "cdf", ["BZ_GSM"])
        assert e.value.path == str(path)
        assert e.value.why == why
    assert good.exists()


def test_broken_cdf_is_a_corrupt_file(sample_dir, tmp_path):
    good = sample_dir / "omni/hro_1min/2015/omni_hro_1min_20150301_v01.cdf"
    truncated = tmp_path / "truncated.cdf"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    with pytest.raises(catalog.CorruptFile, match="the file is truncated"):
        open_file(truncated, "cdf", ["BZ_GSM"])
    with pytest.raises(catalog.UnknownVariable, match="has no variable"):
        open_file(good, "cdf", ["Bz"])


def test_broken_file_in_read_names_it(omni_entry, sample_dir, tmp_path, monkeypatch):
    copy = tmp_path / "data"
    shutil.copytree(sample_dir, copy)
    f = copy / "omni/hro_1min/2015/omni_hro_1min_20150301_v01.cdf"
    f.write_bytes(f.read_bytes()[:5000])
    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(copy))
    with pytest.raises(ReadError, match="omni_hro_1min_20150301_v01.cdf"):
        catalog.open().omni_hro_1min.read("2015-03-17", "2015-03-18")


def test_published_dampe_points_shipped(sample_dir):
    shipped = sample_dir / "dampe" / "dampe_2017_electron_positron_flux.csv"
    reference = files("spacehub.samples") / "published" / "dampe_2017_electron_positron_flux.csv"
    assert shipped.read_bytes() == reference.read_bytes()
    rows = [line for line in shipped.read_text().splitlines() if line and not line.startswith("#")]
    assert rows[0] == "E_min_GeV,E_max_GeV,E_GeV,flux,stat_err,sys_err" and len(rows) == 1 + 38
    entry = catalog.open().dampe_electron_flux_2017
    assert [v.name for v in entry.variables] == rows[0].split(",")


def test_intake_faces_read_the_same(omni_entry, tmp_path):
    import intake

    expected = omni_entry.read("2015-03-17", "2015-03-18", ["SYM_H"])
    via_method = catalog.open().to_intake()["omni_hro_1min"].read(start="2015-03-17", stop="2015-03-18",
                                                                    variables=["SYM_H"])
    path = tmp_path / "spacehub.yaml"
    assert main(["catalog", "export", "--format", "intake", "-o", str(path)]) == 0
    opened = intake.open_catalog(str(path))
    assert opened["omni_hro_1min"].metadata["mission"] == "OMNI"
    via_file = opened["omni_hro_1min"].read(start="2015-03-17", stop="2015-03-18", variables=["SYM_H"])
    np.testing.assert_array_equal(via_method.SYM_H.values, expected.SYM_H.values)
    np.testing.assert_array_equal(via_file.SYM_H.values, expected.SYM_H.values)
    assert len(list(opened.entries)) == len(catalog.open())


def test_goes_xrs_sample_netcdf(sample_dir, monkeypatch):
    from spacehub.samples import goes

    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    rel = "goes/goes16/l2/data/xrsf-l2-flx1s_science/2017/09/sci_xrsf-l2-flx1s_g16_d20170906_v2-2-0.nc"
    assert (sample_dir / rel).exists()  # NCEI's layout and file name
    entry = catalog.open().goes_xrs_flx1s
    ds = entry.read("2017-09-06T11:00", "2017-09-06T13:00", ["xrsa_flux", "xrsb_flux"])
    assert ds.time.size == 7200 and ds.time.dtype == np.dtype("datetime64[ns]")
    x93 = next(f for f in goes.FLARES if f["class"] == "X9.3")
    assert float(ds.xrsb_flux.max()) == pytest.approx(x93["xrsb_peak"], rel=0.05)
    peak_error = (ds.xrsb_flux.idxmax().values - np.datetime64(x93["peak"])) / np.timedelta64(1, "s")
    assert abs(peak_error) < 180
    assert float(ds.xrsa_flux.max()) < float(ds.xrsb_flux.max())  # the harder band is fainter
    gap = entry.read("2017-09-06T14:59", "2017-09-06T15:03", ["xrsb_flux"])
    assert int(gap.xrsb_flux.isnull().sum()) == 120  # the -9999 fills became NaN
    assert ds.attrs["synthetic"] == "true" and json.loads(ds.attrs["spacehub_injected_truth"])["flares"]


def test_ace_samples_epoch_vectors_and_shock(sample_dir, monkeypatch):
    from spacehub.samples import ace

    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    assert (sample_dir / "ace/mag/level_2_cdaweb/mfi_h0/2015/ac_h0_mfi_20150317_v07.cdf").exists()
    cat = catalog.open()
    mfi = cat.ac_h0_mfi.read("2015-03-16T23:00", "2015-03-17T01:00", ["Magnitude", "BGSEc"])
    assert mfi.BGSEc.shape == (450, 3)  # 16 s cadence across the day boundary, (record, component)
    assert str(mfi.time.values[0])[:19] == "2015-03-16T23:00:00"  # CDF_EPOCH decoded
    np.testing.assert_allclose(mfi.Magnitude, np.linalg.norm(mfi.BGSEc, axis=1), rtol=1e-5)
    swe = cat.ac_h0_swe.read("2015-03-17T03:00", "2015-03-17T05:00", ["Vp"])
    shock = np.datetime64(ace.TRUTH["shock_time_at_L1"])
    before = float(swe.Vp.sel(time=slice(shock - np.timedelta64(60, "m"), shock - np.timedelta64(5, "m"))).mean())
    after = float(swe.Vp.sel(time=slice(shock + np.timedelta64(5, "m"), shock + np.timedelta64(60, "m"))).mean())
    assert before < 420 and after > 500  # the OMNI shock, 45 minutes upstream


def test_lazy_read_reads_nothing_until_computed(omni_entry, monkeypatch):
    import dask.array

    from spacehub.catalog.readers import cdf

    calls = []
    real = cdf._load_masked
    monkeypatch.setattr(cdf, "_load_masked",
                        lambda path, name, records: calls.append((path, name)) or real(path, name, records))
    lazy = omni_entry.read("2015-02-20", "2015-04-10", ["SYM_H", "BZ_GSM"], lazy=True)
    assert isinstance(lazy.SYM_H.data, dask.array.Array) and calls == []
    assert lazy.SYM_H.data.numblocks == (3,)  # one chunk per monthly file
    eager = omni_entry.read("2015-02-20", "2015-04-10", ["SYM_H", "BZ_GSM"])
    np.testing.assert_array_equal(lazy.SYM_H.values, eager.SYM_H.values)
    assert len(calls) == 3  # only SYM_H's three files were read


def test_partial_sample_coverage_warns(omni_entry):
    from spacehub import SpacehubWarning

    with pytest.warns(SpacehubWarning, match="covers 1 of 2 files .* first missing: omni_hro_1min_20150101_v01.cdf"):
        ds = omni_entry.read("2015-01-31T23:00", "2015-02-01T01:00", ["SYM_H"])
    assert ds.time.size == 60  # what there is: February's first hour


def test_dst_kyoto_pages(sample_dir, monkeypatch, tmp_path):
    from spacehub.samples import dst

    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    entry = catalog.open().dst_kyoto
    ds = entry.read("2015-03-17", "2015-03-19")
    th, expected = dst.hourly_dst()
    sel = (th >= np.datetime64("2015-03-17")) & (th < np.datetime64("2015-03-19"))
    np.testing.assert_array_equal(ds.Dst.values, expected[sel])
    assert float(ds.Dst.min()) == pytest.approx(omni.TRUTH["sym_h_minimum_nT"], abs=25)
    gap = entry.read("2015-04-10", "2015-04-11").Dst  # two touching 9999 fields: "99999999"
    assert np.isnan(gap.values[5:7]).all() and not np.isnan(gap.values[[4, 7]]).any()
    assert entry.read("2015-02-28", "2015-03-01").time.size == 24  # February has 28 days
    # a damaged page names the file and the day
    page = sample_dir / "wdc_kyoto/dst_final/201503/index.html"
    broken = tmp_path / "index.html"
    broken.write_text(page.read_text().replace(
        page.read_text().splitlines()[15], page.read_text().splitlines()[15][:40]))
    from spacehub.catalog.readers.text import open_kyoto_wdc

    with pytest.raises(ReadError, match=r"index.html: day \d+: \d+ hourly values, expected 24"):
        open_kyoto_wdc(broken)
    junk = tmp_path / "junk.html"
    junk.write_text("<html>Service unavailable</html>")
    with pytest.raises(ReadError, match="not a WDC Kyoto monthly index page"):
        open_kyoto_wdc(junk)


def test_kp_gfz_text(sample_dir, monkeypatch, tmp_path):
    from spacehub.catalog.readers.text import open_gfz_kp
    from spacehub.samples import kp

    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    ds = catalog.open().kp_gfz.read("2015-03-16", "2015-03-20")
    assert ds.time.size == 32 and str(ds.time.values[0])[:19] == "2015-03-16T00:00:00"
    assert np.all(np.isin(np.round(ds.Kp.values * 3), np.arange(28)))  # thirds
    np.testing.assert_array_equal(ds.ap.values, kp.AP[np.round(ds.Kp.values * 3).astype(int)])
    truth = json.loads((sample_dir / "gfz/kp/spacehub_injected_truth.json").read_text())
    assert float(ds.Kp.max()) == pytest.approx(truth["max_kp"], abs=1e-3)  # written with 3 decimals
    assert truth["max_kp"] >= 6  # the storm
    quiet = catalog.open().kp_gfz.read("2015-03-05", "2015-03-06").Kp
    assert float(quiet.mean()) < 3
    bad = tmp_path / "Kp.txt"
    bad.write_text("#YYY MM DD\n2015 03 17 00.0 01.50 30392.0\n")
    with pytest.raises(ReadError, match=r"Kp.txt: line 2: 6 columns, expected 10"):
        open_gfz_kp(bad)


def test_a_range_far_past_the_coverage_looks_for_files_only_where_data_can_be(omni_entry):
    from spacehub.catalog.read import PartialSampleCoverage
    from spacehub.timerange import now

    with pytest.warns(PartialSampleCoverage) as caught:
        ds = omni_entry.read("1900-01-01", "2262-01-01", ["SYM_H"])
    assert str(ds.time.values[0])[:7] == "2015-02" and ds.time.size == (28 + 31 + 30) * 24 * 60
    missing = caught[0].message.missing_files
    months_to_now = (now().astype("datetime64[M]") - np.datetime64("1981-01", "M")).astype(int) + 2
    assert len(missing) <= months_to_now  # not a file per month until 2262 (2,700 more)
