"""spacehub.analysis.substorms: Newell & Gjerloev (2011) onsets in an SML-like index and in a magnetometer
chain's lower envelope, with injected substorm bays of known onset."""

import numpy as np
import pytest
import xarray as xr

from spacehub.analysis import substorms

MINUTE = np.timedelta64(1, "m")
START = np.datetime64("2015-03-17T00:00")
ONSETS = ["2015-03-17T03:10", "2015-03-17T07:45", "2015-03-17T13:20", "2015-03-17T19:05"]
DEPTHS_NT = [300.0, 650.0, 180.0, 900.0]


def bay(t, onset, depth_nT, growth_min=4.0, recovery_min=50.0):
    """Substorm bay: a drop of depth_nT reached in a few minutes, recovering over about an hour."""
    m = (t - np.datetime64(onset)) / MINUTE
    return np.where(m > 0, -depth_nT * (1 - np.exp(-np.clip(m, 0, None) / growth_min))
                    * np.exp(-np.clip(m, 0, None) / recovery_min), 0.0)


def minutes(days=1.0):
    return np.arange(START, START + np.timedelta64(int(days * 1440), "m"), MINUTE)


def sml_like(seed=2011, onsets=ONSETS, depths=DEPTHS_NT):
    rng = np.random.default_rng(seed)
    t = minutes()
    noise = np.cumsum(rng.normal(0, 2.0, t.size))  # slow wander, a few nT per minute at most
    values = -40 + noise - noise.mean() + sum(bay(t, o, d) for o, d in zip(onsets, depths))
    return xr.DataArray(values, coords={"time": t.astype("datetime64[ns]")}, dims="time", attrs={"units": "nT"})


def test_injected_onsets_recovered():
    found = substorms.substorm_onsets(sml_like())
    assert len(found) == len(ONSETS)
    for onset, depth, row in zip(ONSETS, DEPTHS_NT, found.itertuples()):
        assert abs((row.onset - np.datetime64(onset)) / MINUTE) <= 1
        assert row.drop_3min_nT < -45 and row.sustained_drop_nT < -100
        assert row.minimum_nT - row.index_nT == pytest.approx(-0.8 * depth, rel=0.2)


def test_weak_or_slow_bays_are_not_onsets():
    weak = substorms.substorm_onsets(sml_like(onsets=["2015-03-17T05:00"], depths=[90.0]))
    assert weak.empty  # drops fast, but its mean over minutes 4-30 stays above -100 nT
    t = minutes()
    slow = -40 + bay(t, "2015-03-17T05:00", 400.0, growth_min=40.0)  # a slow growth: -45 nT takes far over 3 min
    assert substorms.substorm_onsets(xr.DataArray(slow, coords={"time": t}, dims="time")).empty


def test_lockout_keeps_the_first_of_close_onsets():
    t = minutes()
    sml = -40 + bay(t, "2015-03-17T05:00", 400.0) + bay(t, "2015-03-17T05:12", 400.0)
    index = xr.DataArray(sml, coords={"time": t}, dims="time", attrs={"units": "nT"})
    assert substorms.substorm_onsets(index).onset.tolist() == [np.datetime64("2015-03-17T05:00")]
    both = substorms.substorm_onsets(index, lockout=np.timedelta64(5, "m"))
    assert [str(o)[11:16] for o in both.onset] == ["05:00", "05:12"]


def test_one_second_data_is_averaged_to_minutes():
    t = np.arange(START, START + np.timedelta64(6, "h"), np.timedelta64(1, "s"))
    sml = -40 + bay(t, "2015-03-17T02:30", 500.0)
    found = substorms.substorm_onsets(xr.DataArray(sml, coords={"time": t}, dims="time", attrs={"units": "nT"}))
    # the minute bin [02:30, 02:31) already holds the start of the drop, so the last quiet minute is 02:29
    assert found.onset.tolist() == [np.datetime64("2015-03-17T02:29")]


@pytest.fixture(scope="module")
def chain():
    """Five stations of a meridian chain: different H baselines and drifts; each bay seen by only some of them."""
    rng = np.random.default_rng(7)
    t = minutes(days=2)
    baselines = {"MZL": 39500.0, "BJI": 28900.0, "WHN": 34200.0, "GZH": 37100.0, "SYA": 11250.0}
    stations = {}
    for k, (name, h0) in enumerate(baselines.items()):
        drift = 10 * np.sin(2 * np.pi * (t - START) / np.timedelta64(1, "D") + k)  # daily variation
        stations[name] = xr.DataArray(h0 + drift + rng.normal(0, 1.0, t.size),
                                      coords={"time": t.astype("datetime64[ns]")}, dims="time", attrs={"units": "nT"})
    stations["MZL"] += bay(t, ONSETS[0], 500.0) + bay(t, ONSETS[2], 150.0)
    stations["SYA"] += bay(t, ONSETS[0], 250.0) + bay(t, ONSETS[1], 700.0) + bay(t, ONSETS[2], 320.0)
    stations["BJI"] += 0.3 * bay(t, ONSETS[1], 700.0)
    return stations


def test_chain_index_is_the_envelope_of_baseline_removed_h(chain):
    index = substorms.chain_index(chain)
    assert sorted(index.station.values.tolist()) == sorted(chain)
    assert int(index.n_stations.min()) == 5 and index.AL.attrs["units"] == "nT"
    at = np.datetime64(ONSETS[1]) + np.timedelta64(10, "m")
    expected = float(bay(np.array([at]), ONSETS[1], 700.0)[0])
    assert float(index.AL.sel(time=at)) == pytest.approx(expected, abs=15)
    quiet = index.sel(time=slice("2015-03-18T02", "2015-03-18T20"))
    assert float(np.abs(quiet.AL).max()) < 30 and float(quiet.AE.max()) < 50
    np.testing.assert_allclose(index.AE, index.AU - index.AL)


def test_chain_onsets(chain):
    for baseline in ("median", "daily"):
        found = substorms.chain_onsets(chain, baseline=baseline)
        assert [abs((o - np.datetime64(e)) / MINUTE) <= 1 for o, e in zip(found.onset, ONSETS[:3])] == [True] * 3
        assert len(found) == 3


def test_chain_from_a_station_dimension(chain):
    stacked = xr.concat(list(chain.values()), dim="station").assign_coords(station=list(chain))
    np.testing.assert_allclose(substorms.chain_index(stacked).AL, substorms.chain_index(chain).AL)


@pytest.mark.parametrize("make, message", [
    (lambda t: xr.DataArray(np.zeros(t.size), dims="x"), "no datetime64 'time' coordinate"),
    (lambda t: xr.DataArray(np.zeros(t.size), coords={"time": t}, dims="time", attrs={"units": "nT/s"}),
     "must be in nT"),
    (lambda t: xr.DataArray(np.full(t.size, np.nan), coords={"time": t}, dims="time"), "no valid values"),
    (lambda t: xr.DataArray(np.zeros(20), coords={"time": t[:20]}, dims="time"), "needs at least 31"),
    (lambda t: xr.DataArray(np.zeros(24), coords={"time": t[::60][:24]}, dims="time"), "too coarse"),
    (lambda t: np.zeros(t.size), "must be an xarray.DataArray"),
])
def test_bad_input_explained(make, message):
    t = minutes()
    with pytest.raises(ValueError, match=message):
        substorms.substorm_onsets(make(t))


def test_bad_chain_explained():
    with pytest.raises(ValueError, match="dict"):
        substorms.chain_index({})
    with pytest.raises(ValueError, match="'station' dimension"):
        substorms.chain_index(xr.DataArray(np.zeros(3), dims="time"))
    with pytest.raises(ValueError, match="baseline must be"):
        substorms.chain_index({"A": xr.DataArray(np.zeros(3), dims="time")}, baseline="mean")
