"""spacehub.analysis.flares: SWPC flare detection and classes on both XRS-B scales, on synthetic data with
injected flares, on real GOES-15 data shipped with sunpy, on the GOES-16 sample; forecast skill scores."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import spacehub.catalog as catalog
from spacehub.analysis import flares

SUNPY_TEST_DATA = Path(__import__("sunpy").__file__).parent / "data" / "test"
MINUTE = np.timedelta64(1, "m")


def xrs(t, flux, units="W/m2"):
    return xr.DataArray(flux, coords={"time": t.astype("datetime64[ns]")}, dims="time", attrs={"units": units})


def profile(t, peak, amplitude, rise_s, decay_s):
    dt = (t - np.datetime64(peak)) / np.timedelta64(1, "s")
    return amplitude * np.where(dt < 0, np.exp(-0.5 * (dt / rise_s) ** 2), np.exp(-dt / decay_s))


INJECTED = [  # peak, XRS-B amplitude on the true scale (W/m2), Gaussian rise sigma (s), decay e-folding (s)
    ("2014-02-25T00:49:00", 5.0e-4, 300, 900),
    ("2014-02-25T06:30:00", 3.0e-6, 180, 500),
    ("2014-02-25T14:10:00", 2.4e-5, 240, 1200),
]


@pytest.fixture(scope="module")
def one_second_day():
    rng = np.random.default_rng(2014)
    t = np.arange(np.datetime64("2014-02-25T00:00"), np.datetime64("2014-02-26T00:00"), np.timedelta64(1, "s"))
    flux = np.full(t.size, 3e-7)
    for peak, amplitude, rise, decay in INJECTED:
        flux += profile(t, peak, amplitude, rise, decay)
    return t, flux * np.exp(rng.normal(0, 0.01, t.size))


@pytest.mark.parametrize("flux, expected", [
    (1.0e-8, "A1.0"), (4.2e-7, "B4.2"), (9.96e-6, "M1.0"), (1.0e-5, "M1.0"), (2.56e-5, "M2.6"), (2.2e-4, "X2.2"),
    (2.8e-3, "X28.0"), (3.0e-9, "A0.3"),
])
def test_goes_class(flux, expected):
    assert flares.goes_class(flux) == expected


def test_goes_class_rejects_nonsense():
    for bad in (0.0, -1e-6, float("nan")):
        with pytest.raises(ValueError, match="positive finite flux"):
            flares.goes_class(bad)


def test_scale_conversions():
    assert flares.to_true_flux(2.5e-5, "swpc") == pytest.approx(2.5e-5 / 0.7)
    assert flares.to_true_flux(2.5e-5, "science") == 2.5e-5
    assert flares.to_swpc_flux(1e-4, "science") == pytest.approx(7e-5)
    with pytest.raises(ValueError, match="convention must be 'science'"):
        flares.to_true_flux(1e-5, "noaa")


def test_start_criterion():
    rising = np.array([1.0, 1.1, 1.2, 1.5, 1.3])
    assert flares.flare_starts(rising).tolist() == [True, False, False, False, False]
    too_gentle = np.array([1.0, 1.1, 1.2, 1.3, 1.2])  # monotonic, but 1.3 < 1.4 x 1.0
    assert not flares.flare_starts(too_gentle).any()
    interrupted = np.array([1.0, 1.5, 1.4, 2.0, 2.5, 3.0])
    assert flares.flare_starts(interrupted).tolist() == [False, False, True, False, False, False]


def test_injected_flares_recovered_at_every_cadence(one_second_day):
    t, flux = one_second_day
    two_second = xrs(t[::2], flux[::2])
    one_minute = xrs(*_minute_means(t, flux))
    lists = [flares.detect_flares(xrs(t, flux)), flares.detect_flares(two_second), flares.detect_flares(one_minute)]
    for events in lists:
        assert len(events) == len(INJECTED)
        for (peak, amplitude, rise, decay), row in zip(INJECTED, events.itertuples()):
            assert abs((row.peak - np.datetime64(peak)) / MINUTE) <= 1
            # the start comes during the Gaussian rise; the end once the excess has halved: decay x ln 2
            assert 1 * rise / 60 < (np.datetime64(peak) - row.start) / MINUTE < 5 * rise / 60
            assert (row.end - np.datetime64(peak)) / MINUTE == pytest.approx(decay * np.log(2) / 60, abs=2)
            assert row.peak_flux_W_m2 == pytest.approx(amplitude + 3e-7, rel=0.02)
            assert row.complete
    # classes of the 1-min peak: for the C flare 1.5 % below the instantaneous 3.3e-6 W/m2 on a 3-min rise
    assert lists[0].class_true.tolist() == ["X5.0", "C3.2", "M2.4"]
    assert lists[0].class_swpc.tolist() == ["X3.5", "C2.3", "M1.7"]
    assert lists[0].start.tolist() == lists[2].start.tolist()


def _minute_means(t, flux):
    minutes = t.astype("datetime64[m]")
    edges = np.flatnonzero(np.r_[True, minutes[1:] != minutes[:-1]])
    return minutes[edges], np.add.reduceat(flux, edges) / np.diff(np.r_[edges, flux.size])


def test_swpc_convention_reports_the_same_flares(one_second_day):
    t, flux = one_second_day
    science = flares.detect_flares(xrs(t, flux), convention="science")
    operational = flares.detect_flares(xrs(t, 0.7 * flux), convention="swpc")
    assert operational.class_swpc.tolist() == science.class_swpc.tolist() == ["X3.5", "C2.3", "M1.7"]
    assert operational.class_true.tolist() == science.class_true.tolist()
    np.testing.assert_allclose(operational.peak_flux_W_m2, science.peak_flux_W_m2, rtol=1e-9)


def test_flare_running_at_the_end_is_incomplete():
    t = np.arange(np.datetime64("2014-02-25T00:00"), np.datetime64("2014-02-25T01:00"), MINUTE)
    flux = 2e-7 + profile(t, "2014-02-25T00:50", 1e-5, 300, 1800)
    events = flares.detect_flares(xrs(t, flux))
    assert len(events) == 1 and not events.complete[0] and pd.isna(events.end[0])
    assert events.class_true[0] == "M1.0"


def read_sdac_goes_fits(path):
    """XRS-B flux of an SDAC GOES FITS file (operational GOES 8-15 data, SWPC-scaled)."""
    from astropy.io import fits

    with fits.open(path) as hdus:
        day = np.datetime64("1858-11-17") + np.timedelta64(int(hdus["FLUXES"].header["TIMEZERO"]), "D")
        table = hdus["FLUXES"].data
        seconds, flux = table["TIME"][0].astype(float), table["FLUX"][0][:, 0].astype(float)
        units = hdus["FLUXES"].header["TUNIT2"]
    t = day.astype("datetime64[ns]") + (seconds * 1e9).astype("timedelta64[ns]")
    return xrs(t, np.where(flux < 0, np.nan, flux), units)  # -99999 marks no data


def test_real_goes15_m25_flare_of_2011_06_07():
    """NOAA SWPC edited event list, 2011-06-07, GOES-15 XRS: begin 06:16, maximum 06:41, end 06:59 UT,
    class M2.5 (NOAA region 11226, S22W53; the flare with the large filament eruption)."""
    flux = read_sdac_goes_fits(SUNPY_TEST_DATA / "go1520110607.fits")
    assert flux.attrs["units"] == "W /m**2"
    events = flares.detect_flares(flux, convention="swpc")
    big = events[events.peak_flux_swpc_W_m2 >= 1e-5]
    assert len(big) == 1
    flare = big.iloc[0]
    for column, noaa in (("start", "2011-06-07T06:16"), ("peak", "2011-06-07T06:41"), ("end", "2011-06-07T06:59")):
        assert abs((flare[column] - np.datetime64(noaa)) / MINUTE) <= 2, column
    assert flare.class_swpc == "M2.5"
    assert flare.class_true == "M3.6"  # the reprocessed science-quality scale: M2.5 / 0.7
    as_science = flux / 0.7
    as_science.attrs = flux.attrs
    again = flares.detect_flares(as_science, convention="science")
    assert again[again.peak_flux_swpc_W_m2 >= 1e-5].class_swpc.tolist() == ["M2.5"]


def test_real_reprocessed_goes15_decay_has_no_flare_start():
    """sci_gxrs-l2-irrad_g15_d20131028 (truncated to 00:00-00:20): the tail of a C-level decay with a small
    bump and no 4-minute 1.4x rise, so no flare starts in it."""
    with xr.open_dataset(SUNPY_TEST_DATA / "sci_gxrs-l2-irrad_g15_d20131028_truncated.nc", engine="h5netcdf") as ds:
        ds = ds.load()
    assert ds.b_flux.attrs["units"] == "W/m2"
    assert flares.detect_flares(ds, convention="science").empty
    peak = float(flares.xrsb_1min(ds).max())
    assert flares.goes_class(peak) == "C2.3"
    assert flares.goes_class(flares.to_swpc_flux(peak, "science")) == "C1.6"


def test_goes16_sample_flares_recovered(sample_dir, monkeypatch):
    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    ds = catalog.open()["goes_xrs_flx1s"].read("2017-09-06", "2017-09-07", ["xrsb_flux"])
    truth = json.loads(ds.attrs["spacehub_injected_truth"])
    events = flares.detect_flares(ds, convention="science")
    assert len(events) == len(truth["flares"])
    for injected, row in zip(truth["flares"], events.itertuples()):
        assert abs((row.peak - np.datetime64(injected["peak"])) / MINUTE) <= 2
        # NOAA's class is of the total flux; the injected amplitude sits on a ~4e-7 W/m2 background
        assert row.peak_flux_W_m2 - row.start_flux_W_m2 == pytest.approx(injected["xrsb_peak"], rel=0.1)
        if injected["xrsb_peak"] >= 1e-5:
            assert row.class_true == injected["class"]
    assert events.class_swpc.tolist()[2:] == ["X1.5", "X6.5", "M1.0"]


@pytest.mark.parametrize("bad, message", [
    (xr.DataArray(np.ones(100), dims="x", attrs={"units": "W/m2"}), "no datetime64 'time' coordinate"),
    ("units", "must be in W/m2"),
    ("nan", "no valid values"),
    ("short", "too short to find flares"),
    ("hourly", "too coarse"),
    (np.ones(10), "expected an xarray.Dataset or DataArray"),
])
def test_bad_input_explained(bad, message):
    t = np.arange(np.datetime64("2017-09-06T00:00"), np.datetime64("2017-09-06T02:00"), MINUTE)
    if isinstance(bad, str):
        bad = {"units": xrs(t, np.ones(t.size), units="counts"), "nan": xrs(t, np.full(t.size, np.nan)),
               "short": xrs(t[:3], np.ones(3) * 1e-6),
               "hourly": xrs(t[::60], np.ones(2) * 1e-6)}[bad]
    with pytest.raises(ValueError, match=message):
        flares.detect_flares(bad)


def test_dataset_without_xrsb_named():
    with pytest.raises(ValueError, match="no XRS-B flux in the dataset.*pass variable="):
        flares.detect_flares(xr.Dataset({"xrsa_flux": ("time", np.ones(3))}))


# --- forecast ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("counts, tss, hss", [
    ({"tp": 5, "fn": 0, "fp": 0, "tn": 20}, 1.0, 1.0),          # perfect
    ({"tp": 0, "fn": 5, "fp": 0, "tn": 20}, 0.0, 0.0),          # never forecast
    ({"tp": 2, "fn": 2, "fp": 8, "tn": 8}, 0.0, 0.0),           # chance: POD = POFD = 0.5
    ({"tp": 0, "fn": 5, "fp": 20, "tn": 0}, -1.0, -200 / 425),  # always wrong: 2(0 - 100) / (5*5 + 20*20)
    ({"tp": 20, "fn": 10, "fp": 30, "tn": 140}, 2 / 3 - 3 / 17, 5000 / 13000),
])
def test_skill_scores_on_hand_computed_tables(counts, tss, hss):
    assert flares.true_skill_statistic(**counts) == pytest.approx(tss)
    assert flares.heidke_skill_score(**counts) == pytest.approx(hss)


def test_skill_scores_undefined():
    with pytest.raises(ValueError, match="both event and non-event"):
        flares.true_skill_statistic(tp=0, fn=0, fp=3, tn=7)
    with pytest.raises(ValueError, match="undefined"):
        flares.heidke_skill_score(tp=0, fn=0, fp=0, tn=0)


def test_confusion_matrix():
    observed = [True, True, False, False, True, False]
    forecast = [True, False, True, False, True, False]
    assert flares.confusion_matrix(observed, forecast) == {"tp": 2, "fn": 1, "fp": 1, "tn": 2}


def synthetic_cycle(days=240, seed=11):
    """Operational-scale XRS-B with 12-day active/quiet spells: >=M flares on 60 % of active days, 5 % of quiet."""
    rng = np.random.default_rng(seed)
    t = np.arange(np.datetime64("2014-01-01T00:00"), np.datetime64("2014-01-01T00:00") + np.timedelta64(days, "D"),
                  MINUTE)
    active = np.repeat(rng.random(days // 12) < 0.4, 12)
    flux = np.repeat(np.where(active, 2e-6, 2e-7) * np.exp(rng.normal(0, 0.2, days)), 1440)
    flux *= np.exp(rng.normal(0, 0.01, t.size))
    m_days = []
    for day in range(days):
        big = rng.random() < (0.6 if active[day] else 0.05)
        peak = day * 1440 + int(rng.integers(60, 1380))
        amplitude = 10 ** rng.uniform(-5, -4.3) if big else 10 ** rng.uniform(-6.5, -5.5)
        m_days += [day] if big else []
        window = slice(max(peak - 120, 0), peak + 400)
        dt = np.arange(window.start, window.stop) - peak
        flux[window] += amplitude * np.where(dt < 0, np.exp(-0.5 * (dt / 5) ** 2), np.exp(-dt / 20))
    return xrs(t, flux), m_days


def test_forecast_baseline_has_skill_on_persistent_activity():
    flux, m_days = synthetic_cycle()
    events = flares.detect_flares(flux, convention="swpc")
    assert int((events.peak_flux_swpc_W_m2 >= 1e-5).sum()) == len(m_days)
    table = flares.daily_features(flux, events, convention="swpc")
    assert len(table) == 239 and list(table.columns[:5]) == list(flares.FEATURES)
    np.testing.assert_array_equal(np.flatnonzero(table.m_flare_next_24h.to_numpy()) + 1,
                                  [d for d in m_days if 1 <= d <= 239])
    result = flares.forecast_m_flares(table, train_fraction=0.7)
    train, test = flares.chronological_split(table, 0.7)
    assert train.index.max() < test.index.min() and len(test) == len(result["test"]) == 72
    assert result["tss"] > 0.5 and result["hss"] > 0.4  # persistence of activity is learnable
    assert sum(result["confusion"].values()) == 72
    assert 0.1 < result["threshold"] < 0.5


def test_forecast_needs_both_outcomes():
    t = np.arange(np.datetime64("2014-01-01T00:00"), np.datetime64("2014-01-11T00:00"), MINUTE)
    table = flares.daily_features(xrs(t, np.full(t.size, 1e-7)))
    with pytest.raises(ValueError, match="need both outcomes"):
        flares.forecast_m_flares(table)
    with pytest.raises(ValueError, match="train_fraction must be between 0 and 1"):
        flares.chronological_split(table, 1.5)


def test_block_features_any_block_and_the_daily_baseline():
    """Daily features are block features of one day; 6-h blocks mark the block before each event,
    and the forecast scores a block table through the same call."""
    flux, m_days = synthetic_cycle(days=60)
    events = flares.detect_flares(flux, convention="swpc")
    daily = flares.daily_features(flux, events, convention="swpc")
    blocks = flares.block_features(flux, events, convention="swpc", block="1D")
    pd.testing.assert_frame_equal(daily, blocks.rename(columns={"event_next_block": "m_flare_next_24h"}))

    six = flares.block_features(flux, events, convention="swpc", block="6h", event_flux_swpc_W_m2=1e-5)
    assert len(six) == 60 * 4 - 1
    m_peaks = pd.DatetimeIndex(events.peak[events.peak_flux_swpc_W_m2 >= 1e-5])
    expected = sorted({p.floor("6h") - pd.Timedelta(hours=6) for p in m_peaks} & set(six.index))
    assert list(six.index[six.event_next_block]) == expected
    assert six.n_m_flares.sum() == len(m_peaks[m_peaks < six.index[-1] + pd.Timedelta(hours=6)])
    result = flares.forecast_m_flares(six)
    assert result["n_train"] + len(result["test"]) == len(six)
    assert sum(result["confusion"].values()) == len(result["test"])
    with pytest.raises(ValueError, match="no target column 'storm'"):
        flares.forecast_m_flares(six, target="storm")
