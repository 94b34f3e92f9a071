"""Transit search: injected planets recovered, agreement with astropy's BLS, no false alarms on
noise, detrending that keeps depths, clear errors on bad light curves, batch mode."""

import numpy as np
import pytest

from spacehub.analysis import transits as tr
from spacehub.samples.lightcurves import kepler_like_lightcurve

HALF_YEAR = dict(years=0.5, ingress_fraction=0.01)  # ~8,000 points with Kepler's kinds of gaps; box-like
SEARCH = dict(min_period_days=1.0, max_period_days=10.0)


def phase_offset(t0, t0_true, period):
    return abs((t0 - t0_true + period / 2) % period - period / 2)


def detrended(lc):
    flux_rel, trend = tr.detrend(lc.time, lc.flux, lc.quality, window_days=1.5)
    return lc.time.values, flux_rel, lc.flux_err.values / trend


@pytest.mark.parametrize("seed, period, duration", [(1, 3.71, 0.12), (2, 6.05, 0.2), (3, 1.37, 0.09)])
def test_injected_transit_recovered(seed, period, duration):
    lc = kepler_like_lightcurve(seed, period_days=period, duration_days=duration, snr=25, **HALF_YEAR)
    r = tr.search_star(lc, window_days=1.5, **SEARCH)
    truth = lc.attrs
    assert r["flags"] == "detected"
    assert abs(r["period_days"] - period) / period < 1e-3
    assert phase_offset(r["t0_days"], truth["t0_days"], period) < 0.25 * duration
    assert abs(r["depth_ppm"] - truth["depth_ppm"]) < 3 * r["depth_err_ppm"]
    assert r["snr"] > 0.7 * truth["snr_injected"]
    assert 0.5 * duration < r["duration_days"] < 1.3 * duration


def test_short_period_over_four_years_is_precise():
    """1,200 transits at 1.24 d: the coarse fold's period must be right to the 1e-5 level for the
    refinement (a few coarse steps wide) to land on the transit."""
    rng = np.random.default_rng(8)
    t = np.arange(0, 1460, tr.KEPLER_CADENCE_DAYS)
    flux = 1 + 2e-4 * rng.standard_normal(t.size) - 1e-4 * (np.abs(tr.fold(t, 1.242576, 0.3)) < 0.05)
    r = tr.bls_search(t, flux, min_period_days=1, max_period_days=3)
    assert abs(r.period_days - 1.242576) / 1.242576 < 1e-5
    assert r.depth_ppm == pytest.approx(100, abs=3 * r.depth_err_ppm)


def test_agrees_with_astropy_bls():
    from astropy.timeseries import BoxLeastSquares

    rng = np.random.default_rng(7)
    t = np.arange(0, 60, tr.KEPLER_CADENCE_DAYS)
    flux = 1 + 3e-4 * rng.standard_normal(t.size) - 6e-4 * (np.abs(tr.fold(t, 2.345, 0.8)) < 0.06)
    durations = np.array([0.08, 0.12, 0.18])
    ours = tr.bls_search(t, flux, min_period_days=1, max_period_days=8, durations_days=durations)
    periods = tr.period_grid(t[-1] - t[0], 1, 8, durations)
    theirs = BoxLeastSquares(t, flux).power(periods, durations)
    best = int(np.argmax(theirs.power))
    assert abs(ours.period_days - theirs.period[best]) / 2.345 < 1e-3
    assert abs(ours.period_days - 2.345) / 2.345 < 1e-3
    assert phase_offset(ours.t0_days, theirs.transit_time[best], 2.345) < 0.03
    assert ours.depth_ppm == pytest.approx(1e6 * theirs.depth[best], rel=0.15)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_no_detection_in_noise(seed):
    """Pure noise (white + red, variability, gaps) stays under the Kepler threshold of 7.1."""
    lc = kepler_like_lightcurve(seed, **HALF_YEAR)
    r = tr.bls_search(*detrended(lc), **SEARCH)
    assert r.snr < tr.KEPLER_THRESHOLD_SNR


def test_detrending_keeps_transit_depth():
    lc = kepler_like_lightcurve(4, period_days=4.2, duration_days=0.25, depth_ppm=800, **HALF_YEAR)
    t = lc.time.values
    inside = np.abs(tr.fold(t, 4.2, lc.attrs["t0_days"])) < 0.1
    flux_rel, _ = tr.detrend(t, lc.flux, lc.quality, window_days=1.5,
                             transit_mask=np.abs(tr.fold(t, 4.2, lc.attrs["t0_days"])) < 0.25)
    depth_ppm = 1e6 * (np.nanmedian(flux_rel[~inside]) - np.nanmean(flux_rel[inside]))
    err_ppm = lc.attrs["noise_ppm"] / np.sqrt(np.isfinite(flux_rel[inside]).sum())
    assert abs(depth_ppm - 800) < max(3 * err_ppm, 0.05 * 800)  # 3 white sigma or 5 %: the noise is red too
    # the variability, quarter offsets and ramps are gone: what is left is the noise
    assert np.nanstd(flux_rel[~inside]) < 1.3e-6 * lc.attrs["noise_ppm"]
    # without the mask the transit pulls the sliding median down by ~ its share of the window
    unmasked, _ = tr.detrend(t, lc.flux, lc.quality, window_days=1.5)
    assert 1e6 * (np.nanmedian(unmasked[~inside]) - np.nanmean(unmasked[inside])) < depth_ppm - 3 * err_ppm


def test_detrend_masks_flags_edges_and_outliers():
    lc = kepler_like_lightcurve(5, **HALF_YEAR)
    flux_rel, _ = tr.detrend(lc.time, lc.flux, lc.quality)
    flagged = lc.quality.values != 0
    assert np.isnan(flux_rel[flagged]).all()
    assert np.isnan(flux_rel[0])  # inside the settling time after the first downlink
    assert np.isfinite(flux_rel).mean() > 0.9
    kept, _ = tr.detrend(lc.time, lc.flux, lc.quality, quality_bitmask=0, upper_clip_sigma=None)
    assert np.isfinite(kept[flagged]).any()


def test_binned_fold_shows_the_transit():
    t = np.arange(0, 40, 0.01)
    flux = 1 - 0.002 * (np.abs(tr.fold(t, 2.5, 0.4)) < 0.05)
    ds = tr.binned_fold(t, flux, 2.5, 0.4 + 10 * 2.5, bin_days=0.02)
    assert float(ds.flux.sel(phase_days=0, method="nearest")) == pytest.approx(0.998)
    assert float(ds.flux.sel(phase_days=1.0, method="nearest")) == pytest.approx(1.0)
    assert int(ds["count"].sum()) == t.size


def test_period_grid_meets_oversampling_criterion():
    durations = np.array([0.1, 0.2])
    periods = tr.period_grid(365, 1, 50, durations, oversample=2)
    step = np.diff(periods)
    assert periods[0] <= 1 and periods[-1] >= 50 and (step >= 0).all()
    # phase drift over the baseline between neighbours: one bin (0.05 d), times m / (m - 1) for the
    # m = baseline / period rows of the fold and (p / (p - 1))**2 for the p = period / bin bins
    bound = 0.05 / (1 - periods[1:] / 365) / (1 - 0.05 / periods[1:]) ** 2
    assert (step / periods[1:] * 365 <= 1.01 * bound).all()


@pytest.mark.parametrize("change, message", [
    (lambda t, f: (t, f, 40.0), "too short to see two transits"),
    (lambda t, f: (t, np.full_like(f, np.nan), 5.0), "no finite flux"),
    (lambda t, f: (t[::-1], f, 5.0), "strictly increasing"),
])
def test_bad_input_is_refused_clearly(change, message):
    t = np.arange(0, 60, 0.02)
    time, flux, max_period = change(t, 1 + 1e-4 * np.random.default_rng(0).standard_normal(t.size))
    with pytest.raises(ValueError, match=message):
        tr.bls_search(time, flux, min_period_days=1, max_period_days=max_period)


def test_durations_must_fit_the_periods():
    t = np.arange(0, 60, 0.02)
    with pytest.raises(ValueError, match="durations must lie"):
        tr.bls_search(t, 1 + 1e-4 * np.sin(t), min_period_days=0.3, max_period_days=5, durations_days=[0.1, 0.5])


def load(star_id):
    """Stars 0-2 transit (periods 2.2, 3.2, 4.2 d); star 3 is noise only."""
    if star_id == 3:
        return kepler_like_lightcurve(star_id, **HALF_YEAR)
    return kepler_like_lightcurve(star_id, period_days=2.2 + star_id, duration_days=0.15, snr=30, **HALF_YEAR)


def check_table(table):
    assert table.star_id.tolist() == [0, 1, 2, 3, "broken"]
    found = table.iloc[:3]
    assert np.allclose(found.period_days, [2.2, 3.2, 4.2], rtol=1e-3)
    assert (found["flags"] == "detected").all()
    flags = table["flags"].tolist()
    assert flags[3] == "below_threshold"
    assert flags[4].startswith("error: ") and "strictly increasing" in flags[4]


def test_search_many_locally():
    t = np.arange(0, 60, 0.02)
    lcs = {i: load(i) for i in range(4)} | {"broken": (t[::-1], np.ones_like(t))}
    check_table(tr.search_many(lcs, progress=False, **SEARCH))


def test_search_many_on_a_dask_cluster_in_batches():
    distributed = pytest.importorskip("distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        t = np.arange(0, 60, 0.02)
        star_ids = [0, 1, 2, 3, "broken"]
        lcs = [(i, load(i)) for i in star_ids[:4]] + [("broken", (t[::-1], np.ones_like(t)))]
        table = tr.search_many(lcs, client=client, progress=False, batch_size=2, **SEARCH)
        check_table(table)
        # a loader runs on the workers: two tasks of two stars each
        with distributed.get_task_stream(client) as tasks:
            table = tr.search_many(load, client=client, star_ids=[0, 1, 2, 3], progress=False, batch_size=2,
                                   **SEARCH)
        assert np.allclose(table.period_days[:3], [2.2, 3.2, 4.2], rtol=1e-3)
        assert len(tasks.data) == 2


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_snr_does_not_trust_understated_errors(scale):
    """Errors that understate the scatter (photon-noise-only flux_err) must not inflate the SNR:
    the red-noise factor is measured against the errors. Overstated ones do lower it."""
    rng = np.random.default_rng(11)
    sigma, depth = 3e-4, 2e-4
    t = np.arange(0, 180, tr.KEPLER_CADENCE_DAYS)
    flux = 1 + sigma * rng.standard_normal(t.size) - depth * (np.abs(tr.fold(t, 4.2, 1.1)) < 0.06)
    ephemeris = dict(period_days=4.2, t0_days=1.1, duration_days=0.12)
    from_scatter = tr.transit_stats(t, flux, **ephemeris)
    given = tr.transit_stats(t, flux, np.full(t.size, scale * sigma), **ephemeris)
    n_in = np.sum(np.abs(tr.fold(t, 4.2, 1.1)) < 0.06)
    expected_snr = depth / (sigma * np.sqrt(1 / n_in + 1 / (t.size - n_in)))
    assert from_scatter["snr"] == pytest.approx(expected_snr, rel=0.15)
    assert given["depth_ppm"] == pytest.approx(from_scatter["depth_ppm"])
    if scale < 1:
        assert given["snr"] == pytest.approx(from_scatter["snr"], rel=0.15)
    else:
        assert given["snr"] == pytest.approx(from_scatter["snr"] / scale, rel=0.15)


def test_batches_per_thread_set_on_the_package_takes_effect(monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setattr(tr, "BATCHES_PER_THREAD", 1)  # 4 stars on 2 threads: 2 batches of 2 (16 would give 4 of 1)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        with distributed.get_task_stream(client) as tasks:
            tr.search_many(load, client=client, star_ids=[0, 1, 2, 3], progress=False, **SEARCH)
    assert len(tasks.data) == 2
