"""FITS reader and the FITS samples (Kepler, TESS, Insight-HXMT, GECAM, DAMPE events): times in the
file's own system converted to UTC exactly (checked against astropy and hand-computed instants),
fills masked, units and injected truth in attrs, the injected science recovered, lazy == eager, and
a ReadError naming the file for every broken file."""

import json
import shutil

import numpy as np
import pytest
from astropy.io import fits
from astropy.time import Time, TimeDelta
from astropy.wcs import WCS

import spacehub.catalog as catalog
from spacehub.catalog.readers import CorruptFile, ReadError, open_file
from spacehub.catalog.readers.fits import open_fits
from spacehub.samples import dampe_events, gecam, hxmt, kepler, tess

US = np.timedelta64(1000, "ns")


@pytest.fixture
def cat(sample_dir, monkeypatch):
    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    return catalog.open()


def utc_of(ref_jd1, ref_jd2, values, fmt, scale, unit_s):
    """The independent computation: astropy's epoch + elapsed SI seconds, then UTC."""
    t = Time(ref_jd1, ref_jd2, format=fmt, scale=scale) + TimeDelta(np.asarray(values) * unit_s, format="sec")
    return t.utc.to_value("datetime64")


def folded_depth_ppm(time_d, flux, planet, t0_key):
    """Transit depth from the flat bottom (|phase| < T14/4) against the median out of transit."""
    ok = np.isfinite(flux)
    time_d, flux = time_d[ok], flux[ok]
    period = planet["period_d"]
    phase_h = np.abs((time_d - planet[t0_key] + 0.5 * period) % period - 0.5 * period) * 24
    inside = phase_h < planet["duration_h"] / 4
    outside = phase_h > planet["duration_h"]
    return (1 - flux[inside].mean() / np.median(flux[outside])) * 1e6


# -- Kepler -------------------------------------------------------------------------------------------
def test_kepler_files_in_mast_layout(sample_dir, cat):
    targets = kepler.sample_targets(sample_dir)
    assert len(targets) == 8 and sum(p is not None for _, _, p in targets) == 6
    for kic, files, _ in targets:
        assert len(files) == 4 and all(f.exists() for f in files)
        assert all(f.name.startswith(f"kplr{kic:09d}-") and f.name.endswith("_llc.fits") for f in files)
    with fits.open(targets[0][1][0]) as hdul:
        assert [h.name for h in hdul] == ["PRIMARY", "LIGHTCURVE", "APERTURE"]
        assert hdul[1].header["BJDREFI"] == 2454833 and hdul[1].header["TIMESYS"] == "TDB"
    route = cat.kepler_llc.route("sample")["path"]
    assert (sample_dir / route) in [f for _, files, _ in targets for f in files]


def test_kepler_bkjd_to_utc(cat):
    ds = cat.kepler_llc.read("2009-05-01", "2009-07-01", ["TIME", "PDCSAP_FLUX", "SAP_QUALITY"])
    assert ds.time.dtype == np.dtype("datetime64[ns]") and not ds.time.isnull().any()
    bkjd = ds.TIME.values
    expected = utc_of(2454833.0, 0.0, bkjd, "jd", "tdb", 86400.0)
    assert np.abs(ds.time.values - expected).max() < US
    # by hand: BKJD 131.512 = JD 2454964.512 TDB = 2009-05-13 00:17:16.8 TDB; UTC = TDB - 66.184 s
    # (TT - UTC, with TAI - UTC = 34 s since 2009-01-01) - (TDB - TT, |.| < 1.7 ms)
    first = ds.time.values[0]
    assert bkjd[0] == pytest.approx(131.512)
    assert abs(first - np.datetime64("2009-05-13T00:16:10.616")) < np.timedelta64(2, "ms")
    assert ds.TIME.attrs["units"] == "BJD - 2454833"
    assert ds.TIME.attrs["time_scale"] == "tdb" and ds.TIME.attrs["time_reference"] == "SOLARSYSTEM"
    assert ds.PDCSAP_FLUX.attrs["units"] == "e-/s"


def test_kepler_gaps_fills_quality_and_truth(cat, sample_dir):
    path = sample_dir / kepler.path_for(10666592, kepler.QUARTERS[2][1])
    ds = open_fits(path, ["PDCSAP_FLUX", "SAP_QUALITY"])
    with fits.open(path) as hdul:
        raw = hdul["LIGHTCURVE"].data
        no_time = ~np.isfinite(raw["TIME"])
        assert no_time.sum() > 90  # two monthly downlinks of a day each
        assert ds.attrs["rows_without_time_dropped"] == no_time.sum() == len(raw) - ds.time.size
        assert int(ds.PDCSAP_FLUX.isnull().sum()) == int(np.isnan(raw["PDCSAP_FLUX"][~no_time]).sum())
    assert (np.diff(ds.time.values) > np.timedelta64(20, "h")).sum() == 2
    assert ((ds.SAP_QUALITY.values & kepler.DESAT) > 0).sum() >= 25
    truth = json.loads(ds.attrs["spacehub_injected_truth"])
    assert truth == kepler.TARGETS[2]["planet"]
    assert ds.attrs["INJ_PER"] == truth["period_d"] and ds.attrs["KEPLERID"] == 10666592
    assert ds.attrs["synthetic"] == "true" and ds.attrs["OBJECT"] == "KIC 10666592"


@pytest.mark.parametrize("kic, tolerance_ppm", [(11446443, 300.0), (11904151, 25.0), (9139151, 25.0)])
def test_kepler_injected_transits_recovered(sample_dir, kic, tolerance_ppm):
    """A year of PDCSAP flux folded on the recorded ephemeris gives the recorded depth (no planet:
    no dip). Tolerances: a few times the error of the in-transit mean (white + red noise)."""
    _, files, planet = next(t for t in kepler.sample_targets(sample_dir) if t[0] == kic)
    parts = [open_fits(f, ["TIME", "PDCSAP_FLUX"]) for f in files]
    time_d = np.concatenate([p.TIME.values for p in parts])
    flux = np.concatenate([p.PDCSAP_FLUX.values for p in parts])
    assert time_d.max() - time_d.min() > 300  # about a year, four quarters
    if planet is None:
        planet = {"period_d": 3.0, "t0_bkjd": 132.0, "duration_h": 3.0, "depth_ppm": 0.0}
    assert folded_depth_ppm(time_d, flux, planet, "t0_bkjd") == pytest.approx(planet["depth_ppm"], abs=tolerance_ppm)


def test_kepler_lazy_equals_eager(cat):
    eager = cat.kepler_llc.read("2009-05-01", "2009-07-01")
    lazy = cat.kepler_llc.read("2009-05-01", "2009-07-01", lazy=True)
    assert lazy.PDCSAP_FLUX.chunks is not None and len(lazy.PDCSAP_FLUX.chunks[0]) == 1  # one chunk per file
    for name in eager.data_vars:
        np.testing.assert_array_equal(lazy[name].values, eager[name].values)
    np.testing.assert_array_equal(lazy.time.values, eager.time.values)


def test_image_hdu_with_wcs(sample_dir):
    path = sample_dir / kepler.path_for(11904151, kepler.QUARTERS[0][1])
    ds = open_fits(path, ["APERTURE"], layout="image")
    ap = ds.APERTURE
    assert ap.dims == ("y", "x") and ap.shape == (7, 8)
    assert int((ap.values == 3).sum()) == 21  # the optimal aperture's pixels
    w = WCS(fits.Header.fromstring(ap.attrs["wcs"]))
    sky = w.pixel_to_world(3, 3)  # CRPIX 4 in FITS's 1-based pixels
    assert (sky.ra.deg, sky.dec.deg) == pytest.approx((kepler.TARGETS[0]["ra"], kepler.TARGETS[0]["dec"]))
    np.testing.assert_array_equal(open_fits(path, ["APERTURE"], lazy=True, layout="image").APERTURE.values, ap.values)


# -- TESS ---------------------------------------------------------------------------------------------
def test_tess_btjd_gap_and_transit(cat):
    ds = cat.tess_spoc_2min.read("2018-07-25", "2018-08-23")
    assert ds.attrs["TICID"] == tess.TIC and ds.attrs["SECTOR"] == 1
    expected = utc_of(2457000.0, 0.0, ds.TIME.values, "jd", "tdb", 86400.0)
    assert np.abs(ds.time.values - expected).max() < US
    gap = np.diff(ds.time.values).max()
    assert np.timedelta64(26, "h") < gap < np.timedelta64(28, "h")  # the mid-sector downlink
    assert ds.TIME.attrs["units"] == "BJD - 2457000, days" and ds.QUALITY.dtype.kind == "i"
    truth = json.loads(ds.attrs["spacehub_injected_truth"])
    assert truth == tess.PLANET
    depth = folded_depth_ppm(ds.TIME.values, ds.PDCSAP_FLUX.values, truth, "t0_btjd")
    assert depth == pytest.approx(truth["depth_ppm"], abs=300)  # ~4 sigma of the in-transit mean


# -- Insight-HXMT ---------------------------------------------------------------------------------------
def test_hxmt_met_and_burst(cat):
    ds = cat.hxmt_he_events.read("2017-11-02T06:00", "2017-11-02T06:10")
    assert set(ds.data_vars) >= {"Time", "Det_ID", "Channel", "Pulse_Width", "ACD", "Event_Type", "Flag"}
    assert ds.ACD.dims == ("time", "ACD_dim1") and ds.ACD.shape[1] == 18
    # HXMT's clock: TT seconds since MJD 55927; the sample's start by hand and by astropy
    assert abs(utc_of(55927.0, 0.0, [hxmt.START_MET_S], "mjd", "tt", 1.0)[0] - np.datetime64("2017-11-02T06:00")) < US
    pick = np.linspace(0, ds.time.size - 1, 500).astype(int)
    expected = utc_of(55927.0, 0.0, ds.Time.values[pick], "mjd", "tt", 1.0)
    assert np.abs(ds.time.values[pick] - expected).max() < US
    assert ds.Time.attrs["time_scale"] == "tt" and ds.Time.attrs["units"] == "s"
    truth = json.loads(ds.attrs["spacehub_injected_truth"])
    assert truth["t90_s"] == pytest.approx(hxmt.TRUTH["t90_s"]) and ds.attrs["INJ_T90"] == pytest.approx(truth["t90_s"])

    # the burst recovered from the events: 1-s light curve, background from the first 90 s
    sec = (ds.time.values - np.datetime64(hxmt.START_UTC)) / np.timedelta64(1, "s")
    counts = np.bincount(sec.astype(int), minlength=300)[:300].astype(float)
    peak = np.datetime64(hxmt.START_UTC) + np.timedelta64(int(np.argmax(counts)), "s")
    assert abs(peak - np.datetime64(truth["peak_utc"])) <= np.timedelta64(3, "s")
    excess = counts - counts[:90].mean()
    fluence = excess[95:250].sum()
    assert fluence == pytest.approx(truth["fluence_counts"], rel=0.05)  # Poisson error ~1.5%
    cum = np.cumsum(excess[95:250])
    t90 = np.interp(0.95 * cum[-1], cum, np.arange(155)) - np.interp(0.05 * cum[-1], cum, np.arange(155))
    assert t90 == pytest.approx(truth["t90_s"], rel=0.15)


def test_hxmt_lazy_equals_eager(sample_dir):
    path = sample_dir / hxmt.PATH
    eager, lazy = open_fits(path), open_fits(path, lazy=True)
    assert lazy.ACD.chunks is not None
    for name in eager.data_vars:
        np.testing.assert_array_equal(lazy[name].values, eager[name].values)


# -- GECAM ----------------------------------------------------------------------------------------------
def test_gecam_detectors_merged_and_short_burst(cat):
    ds = cat.gecam_grd_events.read("2022-03-14T08:00", "2022-03-14T09:00")
    assert sorted(np.unique(ds.detector.values)) == list(range(1, 26))
    assert (np.diff(ds.time.values) >= np.timedelta64(0, "ns")).all()
    assert ds.PI.attrs["units"] == "chan" and ds.DEAD_TIME.attrs["units"] == "us"
    expected = utc_of(58484.0, 0.0, ds.TIME.values[::997], "mjd", "tt", 1.0)
    assert np.abs(ds.time.values[::997] - expected).max() < US
    truth = json.loads(ds.attrs["spacehub_injected_truth"])
    assert truth["t90_s"] < 2.0  # a short GRB
    sec = (ds.time.values - np.datetime64(gecam.START_UTC)) / np.timedelta64(1, "s")
    counts = np.histogram(sec, np.arange(0, 60.0001, 0.05))[0]
    peak = np.datetime64(gecam.START_UTC) + np.timedelta64(int(np.argmax(counts) * 50 + 25), "ms")
    assert abs(peak - np.datetime64(truth["peak_utc"])) <= np.timedelta64(100, "ms")
    t05, t95 = (truth[k] - gecam.START_MET_S for k in ("t05_met_s", "t95_met_s"))
    window = (sec > t05 - 0.5) & (sec < t95 + 1.0)
    background = 25 * gecam.BACKGROUND_CTS_S * (t95 - t05 + 1.5)
    excess = window.sum() - background
    assert excess == pytest.approx(truth["fluence_counts"], abs=5 * np.sqrt(window.sum()))
    # the detectors facing the burst see most of it
    per_det = np.bincount(ds.detector.values[window], minlength=26)[1:]
    assert np.corrcoef(per_det, truth["detector_weights"])[0, 1] > 0.8


def test_gecam_lazy_equals_eager(sample_dir):
    path = sample_dir / gecam.PATH
    eager, lazy = open_fits(path, ["TIME", "PI", "GAIN_TYPE"]), open_fits(path, ["TIME", "PI", "GAIN_TYPE"], lazy=True)
    assert len(lazy.PI.chunks[0]) == 1
    for name in ("TIME", "PI", "GAIN_TYPE", "detector"):
        np.testing.assert_array_equal(lazy[name].values, eager[name].values)


# -- DAMPE ----------------------------------------------------------------------------------------------
def test_dampe_day_starts_across_the_leap_second():
    """The samples' MET of each day's 00:00 UTC (hand-computed, with the leap seconds of 2015-06-30 and
    2016-12-31) agrees with astropy."""
    for day, met in dampe_events.DAY_START_MET_S.items():
        got = utc_of(dampe_events.MJDREFI, dampe_events.MJDREFF, [met], "mjd", "tt", 1.0)[0]
        assert abs(got - np.datetime64(day)) < US


def test_dampe_events_spectrum_and_exposure(cat):
    entry = cat.dampe_events
    counts, livetime, energies = 0, 0.0, []
    for day in dampe_events.DAYS:
        stop = str(np.datetime64(day) + np.timedelta64(1, "D"))
        ds = entry.read(day, stop)
        assert str(ds.time.values[0])[:10] == day and str(ds.time.values[-1])[:10] == day
        assert ds.ENERGY.attrs["units"] == "GeV"
        assert ds.attrs["LIVETIME"] == pytest.approx(dampe_events.livetime_s(day)) and ds.attrs["ACC_A0"] == 6.0
        counts += ds.time.size
        livetime += ds.attrs["LIVETIME"]
        energies.append(ds.ENERGY.values)
    e = np.concatenate(energies)
    assert 25.0 <= e.min() and e.max() <= 5000.0
    expected = sum(dampe_events.expected_counts(d) for d in dampe_events.DAYS)
    assert 1e5 < counts == pytest.approx(expected, abs=4 * np.sqrt(expected))
    # counts / (live time x A(E) x dE) gives back the injected flux; below 300 GeV its index is gamma1
    edges = np.geomspace(30, 300, 11)
    n = np.histogram(e, edges)[0]
    centre = np.sqrt(edges[1:] * edges[:-1])
    flux = n / (livetime * dampe_events.acceptance_m2_sr(centre, **dampe_events.ACCEPTANCE) * np.diff(edges))
    slope = np.polyfit(np.log(centre), np.log(flux), 1, w=np.sqrt(n))[0]
    assert -slope == pytest.approx(3.09, abs=0.05)  # stat. error ~0.01; bin-centre bias < 0.01
    model = dampe_events.flux(centre, **dampe_events.SPECTRUM)
    assert (np.abs(flux / model - 1) < 4 / np.sqrt(n) + 0.01).all()  # 4 sigma Poisson + bin-centre bias


def test_dampe_multi_day_read_is_continuous(cat):
    ds = cat.dampe_events.read("2016-12-31T23:00", "2017-01-01T01:00")
    assert len(ds.attrs["provenance_files"]) == 2 and ds.attrs["synthetic"] == "true"
    assert (np.diff(ds.time.values) >= np.timedelta64(0, "ns")).all()
    expected = utc_of(dampe_events.MJDREFI, dampe_events.MJDREFF, ds.TIME.values, "mjd", "tt", 1.0)
    assert np.abs(ds.time.values - expected).max() < US
    lazy = cat.dampe_events.read("2016-12-31T23:00", "2017-01-01T01:00", lazy=True)
    assert len(lazy.ENERGY.chunks[0]) == 2  # one chunk per file
    for name in ds.data_vars:
        np.testing.assert_array_equal(lazy[name].values, ds[name].values)


# -- the FITS time standard on hand-made files ---------------------------------------------------------
def table_file(path, time_values, **keywords):
    hdu = fits.BinTableHDU.from_columns([fits.Column("TIME", "D", unit="s", array=np.asarray(time_values, float)),
                                         fits.Column("COUNTS", "J", array=np.arange(len(time_values)), null=2)],
                                        name="EVENTS")
    for key, value in keywords.items():
        hdu.header[key] = value
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    return path


@pytest.mark.parametrize("keywords, values, expected", [
    # Fermi's MET: TT seconds since 2001-01-01T00:00:00 UTC (MJDREFF = 64.184 s); MET 0 is that instant
    ({"TIMESYS": "TT", "MJDREFI": 51910, "MJDREFF": 7.428703703703703e-4}, [0.0], ["2001-01-01T00:00:00"]),
    # TIMEZERO is added to every time
    ({"TIMESYS": "TT", "MJDREFI": 51910, "MJDREFF": 7.428703703703703e-4, "TIMEZERO": 10.5}, [0.0],
     ["2001-01-01T00:00:10.5"]),
    # UTC seconds across the leap second at the end of 2016 (23:59:60.5 cannot be a datetime64)
    ({"TIMESYS": "UTC", "MJDREF": 57753.0}, [86399.5, 86400.5, 86401.5],
     ["2016-12-31T23:59:59.5", "2016-12-31T23:59:59.999999999", "2017-01-01T00:00:00.5"]),
    # GPS time started at 1980-01-06T00:00:00 UTC (GPS = TAI - 19 s, and TAI - UTC was 19 s then)
    ({"TIMESYS": "GPS", "MJDREF": 44244.0}, [0.0], ["1980-01-06T00:00:00"]),
    # days after a JD reference in TDB (TIMEUNIT d), as Kepler's BKJD, checked against astropy below
    ({"TIMESYS": "TDB", "BJDREFI": 2454833, "BJDREFF": 0.0, "TIMEUNIT": "d"}, [131.512], None),
])
def test_time_systems(tmp_path, keywords, values, expected):
    ds = open_fits(table_file(tmp_path / "t.fits", values, **keywords))
    if expected is None:
        expected = utc_of(2454833.0, 0.0, values, "jd", "tdb", 86400.0)
    np.testing.assert_array_equal(ds.time.values, np.array(expected, "datetime64[ns]"))


def test_tnull_masked(tmp_path):
    ds = open_fits(table_file(tmp_path / "t.fits", [0.0, 1.0, 2.0, 3.0], TIMESYS="TT", MJDREF=55927.0))
    assert np.isnan(ds.COUNTS.values[2]) and ds.COUNTS.values[3] == 3 and ds.COUNTS.attrs["_FillValue_in_file"] == 2


def test_tnull_compared_before_tzero(tmp_path):
    """Unsigned 16-bit columns are stored as signed with TZERO 32768; TNULL is in stored units."""
    col = fits.Column("CHANNEL", "I", bzero=32768, null=32767, array=np.array([1, 40000, 65535], np.uint16))
    hdu = fits.BinTableHDU.from_columns([fits.Column("TIME", "D", array=[0.0, 1.0, 2.0]), col], name="EVENTS")
    hdu.header.update({"TIMESYS": "TT", "MJDREF": 55927.0})
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(tmp_path / "u16.fits")
    for lazy in (False, True):
        np.testing.assert_array_equal(open_fits(tmp_path / "u16.fits", lazy=lazy).CHANNEL.values, [1, 40000, np.nan])


# -- broken files -----------------------------------------------------------------------------------------
def test_truncated_files_give_read_errors(sample_dir, tmp_path):
    """No truncation point crashes the reader or leaks an astropy/numpy exception."""
    source = sample_dir / tess.PATH
    data = source.read_bytes()
    for cut in (100, 2880, 2880 * 3 + 7, len(data) // 3, len(data) // 2, len(data) - 2880, len(data) - 1):
        broken = tmp_path / f"cut{cut}_s_lc.fits"
        broken.write_bytes(data[:cut])
        with pytest.raises(ReadError) as err:
            open_file(broken, "fits", ["TIME", "PDCSAP_FLUX"])
        assert str(broken) in str(err.value) and ("truncated" in str(err.value) or "not a" in str(err.value))


def test_truncated_files_are_corrupt_files(sample_dir, tmp_path):
    data = (sample_dir / tess.PATH).read_bytes()
    for cut in (100, len(data) // 2, len(data) - 1):
        broken = tmp_path / f"cut{cut}_s_lc.fits"
        broken.write_bytes(data[:cut])
        with pytest.raises(CorruptFile):
            open_file(broken, "fits", ["TIME", "PDCSAP_FLUX"])


def test_not_fits_and_empty_files(tmp_path):
    text = tmp_path / "notes_llc.fits"
    text.write_text("this is not a FITS file\n")
    empty = tmp_path / "empty.fits"
    empty.write_bytes(b"")
    for path in (text, empty):
        with pytest.raises(ReadError, match="not a FITS file") as err:
            open_fits(path)
        assert str(path) in str(err.value)
    with pytest.raises(ReadError, match="no such file"):
        open_fits(tmp_path / "missing.fits")


def test_missing_column_bad_timesys_missing_reference(tmp_path, sample_dir):
    path = tmp_path / "copy_llc.fits"
    shutil.copyfile(sample_dir / tess.PATH, path)
    with pytest.raises(ReadError, match=r"NOT_A_COLUMN.*LIGHTCURVE: TIME") as err:
        open_fits(path, ["TIME", "NOT_A_COLUMN"])
    assert str(path) in str(err.value)
    bad = table_file(tmp_path / "bad_timesys.fits", [0.0], TIMESYS="MARS", MJDREF=55927.0)
    with pytest.raises(ReadError, match="TIMESYS 'MARS'") as err:
        open_fits(bad)
    assert str(bad) in str(err.value)
    with pytest.raises(ReadError, match="no reference time"):
        open_fits(table_file(tmp_path / "no_ref.fits", [0.0], TIMESYS="TT"))
    with pytest.raises(ReadError, match="no FITS layout 'cube'"):
        open_fits(path, layout="cube")
    with pytest.raises(ReadError, match="no image HDU"):
        open_fits(path, ["LIGHTCURVE"], layout="image")


def test_live_time_of_event_files_whole_and_cut(sample_dir):
    """Live time from the GTI and LIVETIME of a DAMPE day file: whole, cut to 06-18 UTC (where the
    generator's good time says), across the 2016 leap second, and the clear errors."""
    from spacehub.analysis.exposure import live_time
    from spacehub.catalog.readers import ReadError

    for day in dampe_events.DAYS:
        path = sample_dir / "dampe" / "events" / f"{day.replace('-', '')}.fits"
        whole = live_time(path)
        assert whole["live_time_s"] == pytest.approx(dampe_events.livetime_s(day), rel=1e-12)
        assert whole["keyword"] == "LIVETIME" and whole["dead_time_corrected"]
        day_end = str(np.datetime64(day) + np.timedelta64(1, "D"))
        assert live_time(path, day, day_end)["live_time_s"] == pytest.approx(whole["live_time_s"], rel=1e-9)
        t0 = dampe_events.DAY_START_MET_S[day]
        g = dampe_events.gti(day)
        good = np.clip(np.minimum(g[:, 1], t0 + 18 * 3600) - np.maximum(g[:, 0], t0 + 6 * 3600), 0, None).sum()
        cut = live_time(path, f"{day}T06:00", f"{day}T18:00")
        assert cut["good_time_s"] == pytest.approx(good, abs=1e-6)
        assert cut["live_time_s"] == pytest.approx(good * dampe_events.LIVE_FRACTION, rel=1e-9)
    path = sample_dir / "dampe" / "events" / "20161230.fits"
    with pytest.raises(ValueError, match="must be after start"):
        live_time(path, "2016-12-30T12:00", "2016-12-30T06:00")
    with pytest.raises(ReadError, match="has no GTI table"):
        live_time(sample_dir / kepler.path_for(11904151, kepler.QUARTERS[0][1]))


def test_a_gzipped_fits_file_reads_as_the_file_itself(sample_dir, tmp_path):
    """Archives serve many FITS files gzipped (``.fits.gz``): read as the file inside, and a cut gzip
    is a CorruptFile."""
    import gzip

    plain = sorted(sample_dir.glob("kepler/lightcurves/*/*/*_llc.fits"))[0]
    packed = tmp_path / f"{plain.name}.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    a, b = open_file(plain, "fits"), open_file(packed, "fits")
    assert a.sizes == b.sizes and a.sizes["time"] > 1000
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)
    cut = tmp_path / "cut.fits.gz"
    cut.write_bytes(packed.read_bytes()[: packed.stat().st_size // 2])
    with pytest.raises(CorruptFile, match=f"^{cut}: "):
        open_file(cut, "fits")


def test_a_table_with_no_reference_time_counts_from_date_obs_with_a_warning(tmp_path):
    """PROBA2 LYRA's way: TIME in minutes (TUNIT1 = 'MIN') since DATE-OBS, no MJDREF/DATEREF."""
    from spacehub import SpacehubWarning

    cols = [fits.Column(name="TIME", format="1I", unit="MIN", array=np.array([0, 1, 2], np.int16)),
            fits.Column(name="CHANNEL1", format="1D", unit="W/M**2", array=np.array([1.0, 2.0, 3.0]))]
    primary = fits.PrimaryHDU()
    primary.header["DATE-OBS"] = "2015-01-01T00:00:00.008000"
    path = tmp_path / "lyra.fits"
    fits.HDUList([primary, fits.BinTableHDU.from_columns(cols, name="IRRAD LEVEL 3")]).writeto(path)
    with pytest.warns(SpacehubWarning, match="times counted from DATE-OBS 2015-01-01T00:00:00.008"):
        ds = open_file(path, "fits")
    expected = np.datetime64("2015-01-01T00:00:00.008", "ns") + np.arange(3) * np.timedelta64(60, "s")
    assert np.abs(ds.time.values - expected).max() <= US
    with fits.open(path, mode="update") as hdul:  # and without DATE-OBS, still the error that says what is missing
        del hdul[0].header["DATE-OBS"]
    with pytest.raises(ReadError, match="no reference time"):
        open_file(path, "fits")
