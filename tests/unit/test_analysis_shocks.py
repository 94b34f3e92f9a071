"""spacehub.analysis.shocks: injected fast/slow forward/reverse shocks recovered with their jumps, the OMNI
sample's shock found, and clear errors for bad input."""

import json

import numpy as np
import pytest
import xarray as xr

import spacehub.catalog as catalog
from spacehub.analysis import shocks
from spacehub.samples import omni

MINUTE = np.timedelta64(1, "m")
UNITS = {"flow_speed": "km/s", "proton_density": "n/cc", "T": "Degrees K", "F": "nT"}

# time, type, and the (before, after) values of V km/s, N cm^-3, T K, |B| nT
INJECTED = [
    ("2001-03-01T06:00", "FF", (400, 480), (5, 12), (8e4, 2e5), (5, 11)),
    ("2001-03-01T14:00", "FR", (450, 500), (9, 5), (2e5, 1.2e5), (10, 6)),
    ("2001-03-01T20:00", "SF", (380, 415), (6, 9), (7e4, 1e5), (8, 5.5)),
    ("2001-03-02T04:00", "SR", (420, 450), (10, 7), (1.5e5, 1e5), (5, 8)),
]


def solar_wind(shock, seed=2015):
    """1-min solar wind with one jump between constant levels, with 1 % noise."""
    when, _, *jumps = shock
    rng = np.random.default_rng(seed)
    t = np.arange(np.datetime64("2001-03-01T00:00"), np.datetime64("2001-03-02T12:00"), MINUTE)
    after = t >= np.datetime64(when)
    data = {name: ("time", np.where(after, post, pre) * np.exp(rng.normal(0, 0.01, t.size)), {"units": units})
            for (name, units), (pre, post) in zip(UNITS.items(), jumps)}
    return xr.Dataset(data, coords={"time": t.astype("datetime64[ns]")})


def test_each_type_recovered_with_its_jumps():
    for when, kind, v, n, temp, b in INJECTED:
        found = shocks.detect_shocks(solar_wind((when, kind, v, n, temp, b)))
        assert found.type.tolist() == [kind], kind
        shock = found.iloc[0]
        assert abs((shock.time - np.datetime64(when)) / MINUTE) <= 1, kind
        up, down = (0, 1) if kind.endswith("F") else (1, 0)  # upstream is after a reverse shock
        assert shock.speed_jump_km_s == pytest.approx(v[1] - v[0], abs=5)
        assert shock.density_ratio == pytest.approx(n[down] / n[up], rel=0.03)
        assert shock.temperature_ratio == pytest.approx(temp[down] / temp[up], rel=0.03)
        assert shock.field_ratio == pytest.approx(b[down] / b[up], rel=0.03)
        assert shock.V_up_km_s == pytest.approx(v[up], rel=0.01)
        if kind.endswith("F"):
            assert shock.upstream_stop <= shock.time <= shock.downstream_start
        else:
            assert shock.downstream_stop <= shock.time <= shock.upstream_start


def test_reported_jumps_always_pass_the_criteria():
    """A marginal shock (dV 23 km/s, ratios 1.3) with an outlier density sample 5 minutes before it: the
    shock is reported with jumps that pass (was: 19.4 km/s at 05:55, placed on the outlier)."""
    marginal = ("2001-03-01T06:00", "FF", (400, 423), (5, 6.5), (1e5, 1.3e5), (5, 6.5))
    ds = solar_wind(marginal)
    k = int(np.flatnonzero(ds.time.values >= np.datetime64("2001-03-01T06:00"))[0]) - 5
    ds.proton_density[k] = ds.proton_density[k] * 3
    (shock,) = shocks.detect_shocks(ds).itertuples()
    assert abs((shock.time - np.datetime64("2001-03-01T06:00")) / MINUTE) <= 5  # inside the excluded gap + window
    assert shock.speed_jump_km_s >= 20
    assert min(shock.density_ratio, shock.temperature_ratio, shock.field_ratio) >= 1.2


def test_weak_jumps_are_not_shocks():
    weak = ("2001-03-01T06:00", "FF", (400, 415), (5, 7), (1e5, 1.3e5), (5, 7))  # dV 15 km/s < 20
    assert shocks.detect_shocks(solar_wind(weak)).empty
    cool = ("2001-03-01T06:00", "FF", (400, 450), (5, 7), (1e5, 1.05e5), (5, 7))  # T2/T1 1.05 < 1.2
    assert shocks.detect_shocks(solar_wind(cool)).empty
    assert shocks.detect_shocks(solar_wind(cool), temperature_ratio_min=1 / 1.2).type.tolist() == ["FF"]


def test_several_shocks_in_one_series():
    # one series with a forward and a reverse shock bounding a stream interaction region
    rng = np.random.default_rng(3)
    t = np.arange(np.datetime64("2001-03-01T00:00"), np.datetime64("2001-03-01T12:00"), MINUTE)
    hours = (t - t[0]) / np.timedelta64(1, "h")
    sir = (hours >= 3) & (hours < 8)
    v = np.where(hours < 3, 380, np.where(hours < 8, 450, 520))
    ds = xr.Dataset({
        "flow_speed": ("time", v * np.exp(rng.normal(0, 0.005, t.size)), {"units": "km/s"}),
        "proton_density": ("time", np.where(sir, 15.0, 5.0) * np.exp(rng.normal(0, 0.02, t.size)), {"units": "cm-3"}),
        "T": ("time", np.where(sir, 2.5e5, 1e5) * np.exp(rng.normal(0, 0.02, t.size)), {"units": "K"}),
        "F": ("time", np.where(sir, 12.0, 5.0) * np.exp(rng.normal(0, 0.02, t.size)), {"units": "nT"}),
    }, coords={"time": t.astype("datetime64[ns]")})
    found = shocks.detect_shocks(ds)
    assert found.type.tolist() == ["FF", "FR"]
    assert [abs((s - e) / MINUTE) <= 1 for s, e in zip(found.time, [t[180], t[480]])] == [True, True]
    np.testing.assert_allclose(found.density_ratio, 3.0, rtol=0.05)


def test_omni_sample_shock_recovered(sample_dir, monkeypatch):
    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    ds = catalog.open()["omni_hro_1min"].read("2015-03-01", "2015-04-01", list(UNITS))
    truth = json.loads(ds.attrs["spacehub_injected_truth"]) if "spacehub_injected_truth" in ds.attrs else omni.TRUTH
    found = shocks.detect_shocks(ds)
    assert found.type.tolist() == ["FF"]  # one shock in the month, no false alarms in the turbulent wind
    shock = found.iloc[0]
    assert abs((shock.time - np.datetime64(truth["shock_time"])) / MINUTE) <= 2
    v_up, v_down = truth["shock_speed_jump_km_s"]
    assert shock.speed_jump_km_s == pytest.approx(v_down - v_up, abs=25)
    assert shock.V_up_km_s == pytest.approx(v_up, abs=30) and shock.V_down_km_s == pytest.approx(v_down, abs=30)
    n_up, n_down = truth["shock_density_jump_cm3"]
    assert shock.N_down_cm3 == pytest.approx(n_down, abs=4)  # the sample relaxes with a 10 h e-folding
    assert shock.N_up_cm3 == pytest.approx(n_up, abs=3)
    assert shock.temperature_ratio == pytest.approx((v_down / v_up) ** 2, rel=0.15)  # the sample's T ~ V^2
    assert shock.field_ratio >= 1.2


@pytest.mark.parametrize("change, message", [
    (lambda ds: ds.drop_vars("T"), r"lacks \['T'\].*pass speed=, density=, temperature=, field="),
    (lambda ds: ds.assign(flow_speed=ds.flow_speed.assign_attrs(units="m/s")), "flow_speed .speed. has units 'm/s'"),
    (lambda ds: ds.rename(time="epoch"), "no datetime64 'time' coordinate"),
    (lambda ds: ds * np.nan, "too short or all NaN"),
    (lambda ds: ds.isel(time=slice(0, 5)), "too short or all NaN"),
    (lambda ds: ds.flow_speed, "expected an xarray.Dataset"),
])
def test_bad_input_explained(change, message):
    ds = solar_wind(INJECTED[0])
    with pytest.raises(ValueError, match=message):
        shocks.detect_shocks(change(ds))


def test_timing_lag_between_two_spacecraft():
    """A noisy |B| jump seen 177 s later by a second spacecraft with another cadence: the lag comes back
    to within the 3-s step; a flat reference is refused with what to do."""
    rng = np.random.default_rng(3)
    shock = np.datetime64("2015-03-17T04:45:00", "ns")
    t_ace = np.arange(shock - np.timedelta64(1, "h"), shock + np.timedelta64(1, "h"), np.timedelta64(16, "s"))
    t_wind = np.arange(shock - np.timedelta64(1, "h"), shock + np.timedelta64(1, "h"), np.timedelta64(3, "s"))

    def field(t, at):
        b = 8 + 12 / (1 + np.exp(-(t - at) / np.timedelta64(20, "s"))) + 0.3 * rng.standard_normal(t.size)
        return xr.DataArray(b, coords={"time": t}, name="B")

    ace, wind = field(t_ace, shock), field(t_wind, shock + np.timedelta64(177, "s"))
    wind[100:140] = np.nan  # a data gap away from the jump
    lag, r = shocks.timing_lag(ace, wind, shock, np.timedelta64(20, "m"))
    assert abs(lag / np.timedelta64(1, "s") - 177) <= 3 and r > 0.95
    back, _ = shocks.timing_lag(wind, ace, shock + np.timedelta64(177, "s"), np.timedelta64(20, "m"))
    assert abs(back / np.timedelta64(1, "s") + 177) <= 3
    flat = xr.DataArray(np.full(t_ace.size, 5.0), coords={"time": t_ace}, name="B")
    with pytest.raises(ValueError, match="constant near .*widen half_window"):
        shocks.timing_lag(flat, wind, shock, np.timedelta64(20, "m"))
