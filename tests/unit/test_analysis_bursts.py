"""spacehub.analysis.bursts: injected short and long gamma-ray bursts recovered from photon event lists and
binned light curves (Bayesian blocks, polynomial background, T90/T50 with Poisson-resampling errors)."""

import numpy as np
import pytest

from spacehub.analysis import bursts


def test_light_curve_bins():
    edges, counts = bursts.light_curve([0.0, 0.1, 0.1, 0.7, 1.99], bin_s=0.5)
    np.testing.assert_allclose(edges, [0.0, 0.5, 1.0, 1.5, 2.0])
    assert counts.tolist() == [3, 1, 0, 1]


@pytest.fixture(scope="module")
def short_grb():
    """GECAM-like: 1000 counts/s flat background over [-20, 20) s and a Gaussian pulse of 3000 photons,
    sigma 0.1 s at t = 5 s, so T90 = 2 x 1.645 sigma = 0.329 s and T50 = 2 x 0.674 sigma = 0.135 s."""
    rng = np.random.default_rng(2022)
    return np.r_[rng.uniform(-20, 20, rng.poisson(40_000)), rng.normal(5.0, 0.1, 3000)]


def test_short_burst(short_grb):
    found = bursts.detect_bursts_in_events(short_grb, bin_s=0.016, n_resamples=100)
    assert len(found) == 1
    grb = found.iloc[0]
    assert grb.t90_s == pytest.approx(0.329, abs=0.04)
    assert grb.t50_s == pytest.approx(0.135, abs=0.02)
    assert 0.003 < grb.t90_err_s < 0.05 and 0.001 < grb.t50_err_s < 0.02
    assert grb.t90_start_s == pytest.approx(5.0 - 0.1645, abs=0.03)
    assert grb.peak_time_s == pytest.approx(5.0, abs=0.05)
    assert grb.fluence_counts == pytest.approx(3000, abs=3 * grb.fluence_err_counts)
    assert 30 < grb.fluence_err_counts < 150  # Poisson: sqrt(3000 + background under the pulse)
    assert grb.background_rate_counts_s == pytest.approx(1000, rel=0.03)
    assert grb.start_s < 5.0 < grb.stop_s and grb.stop_s - grb.start_s < 1.0


@pytest.fixture(scope="module")
def long_grb():
    """Insight-HXMT-like: background rising linearly, 1100 + 2 t counts/s over [-100, 150) s, and a flat
    300 counts/s burst from 10 to 40 s, so T90 = 27 s, T50 = 15 s and 9000 burst photons."""
    rng = np.random.default_rng(2017)
    candidates = rng.uniform(-100, 150, rng.poisson(1600 * 250))
    background = candidates[rng.random(candidates.size) < (1100 + 2 * candidates) / 1600]
    return np.r_[background, rng.uniform(10, 40, rng.poisson(9000))]


def test_long_burst_on_a_trending_background(long_grb):
    found = bursts.detect_bursts_in_events(long_grb, bin_s=0.128)
    assert len(found) == 1  # the slow trend is background, not a burst
    grb = found.iloc[0]
    assert grb.start_s == pytest.approx(10, abs=0.5) and grb.stop_s == pytest.approx(40, abs=0.5)
    assert grb.t90_s == pytest.approx(27, abs=max(2.0, 3 * grb.t90_err_s))
    assert grb.t50_s == pytest.approx(15, abs=max(1.5, 3 * grb.t50_err_s))
    assert grb.fluence_counts == pytest.approx(9000, abs=3 * grb.fluence_err_counts)
    assert 10 < grb.peak_time_s < 40
    assert grb.peak_rate_counts_s == pytest.approx(300, rel=0.2)
    # the background under the peak block follows the trend: 1100 + 2 t
    assert grb.background_rate_counts_s == pytest.approx(1100 + 2 * grb.peak_time_s, rel=0.03)


def test_binned_light_curve_with_two_pulses():
    """A binned light curve (1-s bins) with two pulses 8 s apart is one burst; T90 spans both pulses."""
    rng = np.random.default_rng(5)
    edges = np.arange(-100.0, 101.0, 1.0)
    centers = edges[:-1] + 0.5
    rate = 500 + 400 * np.exp(-0.5 * ((centers - 0) / 1.5) ** 2) + 400 * np.exp(-0.5 * ((centers - 8) / 1.5) ** 2)
    counts = rng.poisson(rate)
    found = bursts.detect_bursts(counts, edges, background_degree=0, n_resamples=100)
    assert len(found) == 1
    grb = found.iloc[0]
    # two equal Gaussians at 0 and 8 s (sigma 1.5 s): the 5 % and 95 % points of the mixture sit at -1.92 and 9.92 s
    assert grb.t90_s == pytest.approx(11.84, abs=max(1.0, 3 * grb.t90_err_s))
    assert grb.fluence_counts == pytest.approx(2 * 400 * 1.5 * np.sqrt(2 * np.pi), rel=0.1)


def test_no_burst_in_pure_background():
    rng = np.random.default_rng(9)
    edges = np.arange(0.0, 200.5, 0.5)
    assert bursts.detect_bursts(rng.poisson(200, edges.size - 1), edges).empty


def test_uncertainties_can_be_skipped(short_grb):
    grb = bursts.detect_bursts_in_events(short_grb, bin_s=0.032, n_resamples=0).iloc[0]
    assert np.isnan(grb.t90_err_s) and grb.t90_s == pytest.approx(0.329, abs=0.05)


@pytest.mark.parametrize("counts, edges, message", [
    (np.ones(5), np.arange(6.0), "too short to find a burst"),
    (np.ones(20), np.arange(20.0), "one more bin edge than counts"),
    (np.r_[np.ones(19), -1], np.arange(21.0), "finite and non-negative"),
    (np.r_[np.ones(19), np.nan], np.arange(21.0), "finite and non-negative"),
    (np.zeros(20), np.arange(21.0), "no counts"),
])
def test_bad_light_curves_explained(counts, edges, message):
    with pytest.raises(ValueError, match=message):
        bursts.detect_bursts(counts, edges)


def test_bad_events_explained():
    with pytest.raises(ValueError, match="at least two finite times"):
        bursts.detect_bursts_in_events(np.array([1.0, np.nan, 3.0]))
    with pytest.raises(ValueError, match="bin_s must be positive"):
        bursts.light_curve([0.0, 1.0], bin_s=0)


def test_burst_at_the_edge_explained():
    rng = np.random.default_rng(1)
    edges = np.arange(0.0, 60.5, 0.5)
    counts = rng.poisson(100, edges.size - 1)
    counts[-4:] += 2000  # the burst runs off the end of the data
    with pytest.raises(ValueError, match="give data before and after it"):
        bursts.detect_bursts(counts, edges, pad_s=5.0)
