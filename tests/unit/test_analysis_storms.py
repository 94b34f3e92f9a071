"""spacehub.analysis.storms: storm detection and classification on injected storms and on the OMNI/Dst
samples; superposed-epoch statistics with known answers; clear errors for bad input."""

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import spacehub.catalog as catalog
from spacehub.analysis import storms
from spacehub.samples import omni

HOUR = np.timedelta64(1, "h")


def series(t, values, units="nT"):
    return xr.DataArray(values, coords={"time": t.astype("datetime64[ns]")}, dims="time", attrs={"units": units})


def injected_storm(h, onset_h, minimum_h, minimum_nT, tau_h, sc_nT=0.0):
    """Dst-like storm: optional sudden commencement in the hour before the onset, linear main phase, exponential
    recovery towards 0 nT."""
    out = np.zeros_like(h)
    sc = (h >= onset_h - 1) & (h < onset_h)
    out[sc] = sc_nT
    main = (h >= onset_h) & (h < minimum_h)
    out[main] = sc_nT + (minimum_nT - sc_nT) * (h[main] - onset_h) / (minimum_h - onset_h)
    rec = h >= minimum_h
    out[rec] = minimum_nT * np.exp(-(h[rec] - minimum_h) / tau_h)
    return out


@pytest.fixture(scope="module")
def two_storms():
    rng = np.random.default_rng(1994)
    t = np.arange(np.datetime64("2003-10-20T00"), np.datetime64("2003-11-10T00"), HOUR)
    h = (t - t[0]) / HOUR
    dst = (injected_storm(h, 100, 110, -80.0, 8.0, sc_nT=25.0) + injected_storm(h, 300, 318, -380.0, 15.0)
           + rng.normal(0, 2.0, h.size) - 5)
    return t, dst


@pytest.mark.parametrize("minimum, category", [(-30, "none"), (-50, "moderate"), (-99.9, "moderate"),
                                               (-100, "intense"), (-249, "intense"), (-250, "super"), (-589, "super")])
def test_gonzalez_categories(minimum, category):
    assert storms.storm_category(minimum) == category


def test_injected_storms_recovered(two_storms):
    t, dst = two_storms
    found = storms.detect_storms(series(t, dst))
    assert found.category.tolist() == ["moderate", "super"]
    moderate, superstorm = found.iloc[0], found.iloc[1]
    assert abs((moderate.minimum_time - (t[0] + 110 * HOUR)) / HOUR) <= 1
    assert abs((superstorm.minimum_time - (t[0] + 318 * HOUR)) / HOUR) <= 1
    assert moderate.minimum_nT == pytest.approx(-85, abs=6)
    assert superstorm.minimum_nT == pytest.approx(-385, abs=6)
    assert moderate.recovery_e_folding_hours == pytest.approx(8.0, rel=0.15)
    assert superstorm.recovery_e_folding_hours == pytest.approx(15.0, rel=0.1)
    assert 0 < superstorm.recovery_e_folding_err_hours < 2
    # the sudden commencement (25 nT, one hour before the main phase) is found; the second storm has none
    assert abs((moderate.sc_time - (t[0] + 98 * HOUR)) / HOUR) <= 1
    assert moderate.sc_amplitude_nT == pytest.approx(25, abs=6)
    assert pd.isna(superstorm.sc_time) and np.isnan(superstorm.sc_amplitude_nT)
    assert abs((moderate.onset - (t[0] + 99 * HOUR)) / HOUR) <= 1.5
    assert superstorm.main_phase_hours == pytest.approx(18, abs=2)


def test_threshold_and_merging(two_storms):
    t, dst = two_storms
    assert storms.detect_storms(series(t, dst), threshold_nT=-100).category.tolist() == ["super"]
    assert len(storms.detect_storms(series(t, dst), merge_gap=np.timedelta64(30, "D"))) == 1


@pytest.mark.parametrize("after_minimum, noise_nT", [
    (lambda hours: -120.0 + 0.02 * hours, 2.0),  # stays down: the fit ran to its 0.1-h bound, 0.1 ± 80 h
    (lambda hours: -130.0 + 0.3 * hours, 0.5),  # a slow straight climb: τ = 774 ± 397 h, ten windows long
])
def test_recovery_not_measured_in_the_window_is_unconstrained_not_a_number(after_minimum, noise_nT):
    rng = np.random.default_rng(0)
    t = np.arange(np.datetime64("2004-11-01T00"), np.datetime64("2004-11-12T00"), HOUR)
    h = (t - t[0]) / HOUR
    dst = np.where(h < 100, 0.0, np.where(h < 110, -13 * (h - 100), after_minimum(h - 110)))
    storm = storms.detect_storms(series(t, dst + rng.normal(0, noise_nT, h.size))).iloc[0]
    assert storm.category == "intense"
    assert not storm.recovery_constrained
    assert np.isnan(storm.recovery_e_folding_hours) and np.isnan(storm.recovery_e_folding_err_hours)


def test_measured_recovery_is_constrained(two_storms):
    t, dst = two_storms
    found = storms.detect_storms(series(t, dst))
    assert found.recovery_constrained.tolist() == [True, True]


def test_sudden_commencement_amplitude_is_never_below_its_threshold():
    """A 14 nT jump that drifts back down before the main phase: the commencement is the jump (14 nT), not
    the few nT the index stands above its earlier level at the onset."""
    rng = np.random.default_rng(11)
    t = np.arange(np.datetime64("2001-03-30T00"), np.datetime64("2001-04-06T00"), HOUR)
    h = (t - t[0]) / HOUR
    pre = np.where(h < 40, 0.0, np.clip(14 - 2.5 * (h - 40), 4, 14))  # jump at 40 h, down to +4 nT by 44 h
    dst = np.where(h < 48, pre, -150 * np.exp(-np.clip(h - 56, 0, None) / 10) * np.clip((h - 48) / 8, 0, 1) + 4)
    dst = dst + rng.normal(0, 0.3, h.size)
    for jump in (10.0, 12.0):
        storm = storms.detect_storms(series(t, dst), sc_jump_nT=jump).iloc[0]
        assert abs((storm.sc_time - (t[0] + 39 * HOUR)) / HOUR) <= 1
        assert storm.sc_amplitude_nT >= jump
        assert storm.sc_amplitude_nT == pytest.approx(14, abs=1.5)
    assert pd.isna(storms.detect_storms(series(t, dst), sc_jump_nT=16).iloc[0].sc_time)


@pytest.fixture
def omni_entry(sample_dir, monkeypatch):
    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    return catalog.open()["omni_hro_1min"]


def test_omni_sample_storm_recovered_from_sym_h(omni_entry):
    ds = omni_entry.read("2015-03-10", "2015-03-25", ["SYM_H"])
    truth = json.loads(ds.attrs["spacehub_injected_truth"]) if "spacehub_injected_truth" in ds.attrs else omni.TRUTH
    found = storms.detect_storms(ds.SYM_H)
    assert len(found) == 1
    storm = found.iloc[0]
    assert storm.category == "intense"
    assert abs((storm.minimum_time - np.datetime64(truth["sym_h_minimum_time"])) / HOUR) < 0.5
    # the sample adds the storm to a -8 nT quiet level with 3 nT fluctuations
    assert storm.minimum_nT == pytest.approx(truth["sym_h_minimum_nT"] - 8, abs=15)
    assert abs((storm.sc_time - np.datetime64(truth["shock_time"])) / HOUR) < 0.25
    assert storm.sc_amplitude_nT == pytest.approx(truth["sym_h_sudden_commencement_nT"], abs=10)
    assert storm.recovery_e_folding_hours == pytest.approx(truth["recovery_e_folding_hours"], abs=1.5)
    assert np.datetime64(truth["shock_time"]) < storm.onset < np.datetime64(truth["shock_time"]) + 2 * HOUR


def test_dst_sample_storm_recovered(sample_dir, monkeypatch):
    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    ds = catalog.open()["dst_kyoto"].read("2015-03-01", "2015-04-01")
    found = storms.detect_storms(ds.Dst)
    assert found.category.tolist() == ["intense"]
    storm = found.iloc[0]
    assert abs((storm.minimum_time - np.datetime64(omni.TRUTH["sym_h_minimum_time"])) / HOUR) <= 1.5
    assert storm.minimum_nT == pytest.approx(omni.TRUTH["sym_h_minimum_nT"] - 8, abs=20)
    assert storm.recovery_e_folding_hours == pytest.approx(omni.TRUTH["recovery_e_folding_hours"], abs=1.5)
    assert abs((storm.sc_time - np.datetime64(omni.TRUTH["shock_time"])) / HOUR) <= 1


def test_superposed_epoch_statistics_known_answer():
    rng = np.random.default_rng(7)
    t = np.arange(np.datetime64("2010-01-01T00"), np.datetime64("2010-04-01T00"), np.timedelta64(10, "m"))
    epochs = t[0] + np.arange(1, 21) * np.timedelta64(4, "D") + rng.integers(0, 24, 20) * HOUR
    amplitudes = rng.uniform(-20, -5, 20)
    bz = np.zeros(t.size)
    for epoch, amplitude in zip(epochs, amplitudes):  # southward Bz in the 6 h before each epoch
        bz[(t >= epoch - 6 * HOUR) & (t < epoch)] = amplitude
    ds = xr.Dataset({"BZ_GSM": ("time", bz, {"units": "nT"}), "V": ("time", 400 + np.zeros(t.size))},
                    coords={"time": t})
    sea = storms.superposed_epoch(ds, epochs, before=np.timedelta64(12, "h"), after=np.timedelta64(12, "h"))
    assert sea.sizes == {"statistic": 5, "epoch_time": 24}
    assert sea.attrs["n_epochs"] == 20 and sea.BZ_GSM.attrs["units"] == "nT"
    inside = sea.BZ_GSM.sel(epoch_time=-3 * HOUR)
    assert float(inside.sel(statistic="mean")) == pytest.approx(amplitudes.mean())
    assert float(inside.sel(statistic="median")) == pytest.approx(np.median(amplitudes))
    assert float(inside.sel(statistic="q25")) == pytest.approx(np.percentile(amplitudes, 25))
    assert float(inside.sel(statistic="q75")) == pytest.approx(np.percentile(amplitudes, 75))
    assert float(inside.sel(statistic="count")) == 20
    assert float(sea.BZ_GSM.sel(statistic="mean", epoch_time=-12 * HOUR)) == 0.0
    assert float(sea.BZ_GSM.sel(statistic="mean", epoch_time=np.timedelta64(0, "h"))) == 0.0
    np.testing.assert_array_equal(sea.V.sel(statistic="median"), 400.0)


def test_superposed_epoch_on_omni_storm(omni_entry):
    ds = storms.add_solar_wind_drivers(omni_entry.read("2015-03-14", "2015-03-21"))
    found = storms.detect_storms(ds.SYM_H)
    sea = storms.superposed_epoch(ds, found.minimum_time, variables=["BZ_GSM", "Ey_mV_m", "Pdyn_nPa"])
    # the storm is driven by Bz = -18 nT from 06 to 24 UT; the minimum is near 22:45
    driving = sea.sel(statistic="mean", epoch_time=slice(-16 * HOUR, -2 * HOUR))
    assert float(driving.BZ_GSM.mean()) == pytest.approx(omni.TRUTH["southward_bz_nT"], abs=1.5)
    assert float(driving.Ey_mV_m.mean()) > 5
    assert abs(float(sea.BZ_GSM.sel(statistic="mean", epoch_time=6 * HOUR))) < 8
    assert float(sea.BZ_GSM.sel(statistic="count").max()) == 1


def test_superposed_epoch_errors():
    t = np.arange(np.datetime64("2010-01-01T00"), np.datetime64("2010-01-02T00"), HOUR)
    ds = xr.Dataset({"Bz": ("time", np.zeros(t.size))}, coords={"time": t})
    with pytest.raises(ValueError, match="no epochs given"):
        storms.superposed_epoch(ds, [])
    with pytest.raises(ValueError, match="no data around any epoch"):
        storms.superposed_epoch(ds, [np.datetime64("2012-01-01")])
    with pytest.raises(ValueError, match="datetime64 'time' coordinate"):
        storms.superposed_epoch(xr.Dataset({"Bz": ("x", [1.0, 2.0])}), [t[3]])


def test_drivers_need_the_variables():
    with pytest.raises(ValueError, match=r"lacks \['flow_speed'"):
        storms.add_solar_wind_drivers(xr.Dataset({"BZ_GSM": ("time", [1.0])}))


@pytest.mark.parametrize("make, message", [
    (lambda t: xr.DataArray(np.full(t.size, -60.0), dims="x"), "no datetime64 'time' coordinate"),
    (lambda t: series(t, np.full(t.size, -60.0), units="km/s"), "must be in nT"),
    (lambda t: series(t, np.full(t.size, np.nan)), "too short or all NaN"),
    (lambda t: series(t[:2], np.array([-60.0, -70.0])), "too short or all NaN"),
    (lambda t: np.full(t.size, -60.0), "must be an xarray.DataArray"),
])
def test_bad_input_explained(make, message):
    t = np.arange(np.datetime64("2015-03-17T00"), np.datetime64("2015-03-18T00"), HOUR)
    with pytest.raises(ValueError, match=message):
        storms.detect_storms(make(t))
